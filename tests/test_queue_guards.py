"""Queue guarantees at the edges of the hot paths: a job whose cancellation was accepted
never runs again (released at shutdown, or failing while cancelled), a unique-key dedupe
racing the completion of the job that holds the key still returns a job, a claim whose
clock is older than the rate bucket's does not move the bucket back, and an overlong
claw.trace_id is ignored as every ledger ignores it (never a failed write)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from conftest import Database, Tenant, seed_tenants

CLAIM = ("SELECT job_id::text, lease_token FROM api.claim_jobs(p_queue => %s, "
         "p_worker => %s, p_limit => %s, p_lease_seconds => %s)")


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return seed_tenants(db, names=("a",), extra_principals=0)["a"]


def enqueue(db: Database, tenant: Tenant, jobs: list[dict[str, Any]]) -> list[str]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        return [r[0] for r in conn.execute("SELECT job_id::text FROM api.enqueue_jobs(%s)",
                                           (json.dumps(jobs),)).fetchall()]


def cancel(db: Database, tenant: Tenant, job_id: str) -> str:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        row = conn.execute("SELECT api.cancel_job(%s)", (job_id,)).fetchone()
    assert row is not None
    return str(row[0])


def history(db: Database, job_id: str) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return conn.execute("SELECT outcome, errors -> -1 ->> 'error' FROM queue.job_history "
                            "WHERE job_id = %s", (job_id,)).fetchall()


def test_a_cancelled_job_released_at_shutdown_is_cancelled_not_run_again(
        db: Database, tenant: Tenant) -> None:
    [job] = enqueue(db, tenant, [{"queue": "cq", "kind": "noop"}])
    with db.connect("claw_worker") as w1, db.connect("claw_worker") as w2:
        [(_, token)] = w1.execute(CLAIM, ("cq", "w1", 10, 30)).fetchall()
        assert cancel(db, tenant, job) == "cancelling"
        w1.execute("SELECT api.release_jobs(%s, %s)", ([job], token))  # graceful shutdown
        assert w2.execute(CLAIM, ("cq", "w2", 10, 30)).fetchall() == []
    assert history(db, job) == [("cancelled", None)]


def test_a_cancelled_job_whose_attempt_fails_is_cancelled_not_retried(
        db: Database, tenant: Tenant) -> None:
    [job] = enqueue(db, tenant, [{"queue": "cq", "kind": "noop"}])
    with db.connect("claw_worker") as w1, db.connect("claw_worker") as w2:
        [(_, token)] = w1.execute(CLAIM, ("cq", "w1", 10, 30)).fetchall()
        assert cancel(db, tenant, job) == "cancelling"
        assert w1.execute("SELECT state FROM api.fail_job(%s, %s, 'boom')",
                          (job, token)).fetchone() == ("cancelled",)
        with db.connect() as conn:
            conn.execute("UPDATE internal.clock SET offset_by = interval '1 hour'")
        assert w2.execute(CLAIM, ("cq", "w2", 10, 30)).fetchall() == []
    assert history(db, job) == [("cancelled", "boom")]


def test_a_dedupe_racing_the_completion_of_the_key_holder_returns_a_job(
        db: Database, tenant: Tenant) -> None:
    """The conflicting insert and the lookup of the job that holds the key are two
    statements: the holder completing between them left the caller job_id NULL (a lost
    enqueue). A test-only statement trigger widens that window."""
    with db.connect() as conn:
        conn.execute("""
            CREATE FUNCTION public.test_sleep() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF current_setting('test.sleep', true) = 'on' THEN PERFORM pg_sleep(1.5); END IF;
              RETURN NULL;
            END $$""")
        conn.execute("CREATE TRIGGER \"950_test_sleep\" AFTER INSERT ON queue.jobs "
                      "FOR EACH STATEMENT EXECUTE FUNCTION public.test_sleep()")
    spec = [{"queue": "u", "kind": "noop", "unique_key": "k1"}]
    [first] = enqueue(db, tenant, spec)
    result: list[tuple[Any, ...]] = []
    with db.connect("claw_worker") as w:
        [(job, token)] = w.execute(CLAIM, ("u", "w", 1, 30)).fetchall()
        assert job == first

        def second() -> None:
            with db.connect("claw_runtime") as conn, conn.transaction():
                conn.execute("SET LOCAL test.sleep = 'on'")
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)",
                             (tenant.api_key,))
                result.extend(conn.execute("SELECT job_id::text, deduplicated FROM "
                                           "api.enqueue_jobs(%s)", (json.dumps(spec),)))

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.7)  # its insert found the running job and did nothing
        w.execute("SELECT api.complete_jobs(%s, %s)", ([job], token))
        thread.join(10)
    [(job_id, deduplicated)] = result
    assert job_id is not None
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM queue.jobs WHERE job_id = %s",
                            (job_id,)).fetchone() == (0 if deduplicated else 1,)


def test_a_claim_with_an_older_clock_does_not_move_the_rate_bucket_back(
        db: Database, tenant: Tenant) -> None:
    """Claims read internal.now() at transaction start: a claim that reached the bucket after
    a newer one wrote its older instant, and the next claim was refilled for time already
    spent (20 jobs in 0.5 s at 10/s, burst 10)."""
    with db.connect() as conn:
        conn.execute("SELECT queue.set_rate_limit('api:x', 10, 10)")
    enqueue(db, tenant, [{"queue": "r", "kind": "noop", "rate_key": "api:x"}] * 10)
    late = db.connect("claw_worker", autocommit=False)
    late.execute("SELECT 1")  # its transaction, and its now(), start here
    time.sleep(1.0)
    with db.connect("claw_worker") as w:
        t0 = time.monotonic()
        started = len(w.execute(CLAIM, ("r", "w", 100, 30)).fetchall())  # the burst: 10
    enqueue(db, tenant, [{"queue": "r", "kind": "noop", "rate_key": "api:x"}] * 100)
    started += len(late.execute(CLAIM, ("r", "late", 100, 30)).fetchall())  # no tokens
    late.commit()
    late.close()
    time.sleep(0.2)
    with db.connect() as conn:  # the deferred jobs come due: only the bucket decides
        conn.execute("UPDATE queue.jobs SET run_at = now() WHERE state = 'scheduled'")
    with db.connect("claw_worker") as w:
        started += len(w.execute(CLAIM, ("r", "w", 100, 30)).fetchall())
    elapsed = time.monotonic() - t0
    assert started <= 10 + 10 * elapsed + 1, (started, elapsed)


@pytest.mark.parametrize("sql", [
    "SELECT job_id FROM api.enqueue_job(p_queue => 'q', p_kind => 'noop')",
    "SELECT job_id FROM api.enqueue_jobs('[{\"queue\": \"q\", \"kind\": \"noop\"}]')",
])
def test_an_overlong_trace_id_is_ignored_not_a_failed_enqueue(
        db: Database, tenant: Tenant, sql: str) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        conn.execute("SELECT set_config('claw.trace_id', repeat('t', 100), true)")
        [(job,)] = conn.execute(sql).fetchall()
    with db.connect() as conn:
        assert conn.execute("SELECT trace_id FROM queue.jobs WHERE job_id = %s",
                            (job,)).fetchone() == (None,)


@pytest.mark.parametrize("field, value", [
    ("priority", 1.5), ("priority", 1e20), ("max_attempts", 1.5), ("max_attempts", 1e20),
], ids=["priority 1.5", "priority 1e20", "max_attempts 1.5", "max_attempts 1e20"])
def test_a_batch_number_that_is_no_integer_is_cl422_naming_the_job(
        db: Database, tenant: Tenant, field: str, value: float) -> None:
    """Found by an outside-in probe: queue.job_spec_problem guarded its integer casts with OR,
    which PostgreSQL may evaluate in any order, and 1.5 or 1e20 raised a raw 22P02 / 22003
    out of the check instead of CL422 naming the job and field."""
    with pytest.raises(Exception) as err:
        enqueue(db, tenant, [{"queue": "q", "kind": "ok"},
                             {"queue": "q", "kind": "k", field: value}])
    assert getattr(err.value, "sqlstate", None) == "CL422", err.value
    detail = err.value.diag.message_detail or ""  # type: ignore[attr-defined]
    assert detail.startswith("job 2 of the batch") and field in detail, detail


def test_a_claim_without_a_queue_is_cl422(db: Database, tenant: Tenant) -> None:
    """A NULL queue with p_idle_runners reached the waiting-worker registration: raw 23502."""
    with db.connect("claw_worker") as conn:
        for queue in (None, "Bad Queue!"):
            with pytest.raises(Exception) as err:
                conn.execute("SELECT * FROM api.claim_jobs(%s, 'w', 10, 30, 5)", (queue,))
            assert getattr(err.value, "sqlstate", None) == "CL422", err.value
