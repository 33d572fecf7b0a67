"""Fairness under attack: scenarios a review of fairness per priority (commit 132331c) found
breaking the promised property (one tenant's backlog, of any size, priority, delay, retries
or deduplicated requests, puts another tenant's new job behind it by about one job), and the
locks that must never deadlock or make a claim wait on a tenant. Each test explains its
scenario."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from conftest import Database, Tenant, seed_tenants
from test_queue import CLAIM, claimed_order, enqueue, move_clock, noops


def db_now(db: Database) -> dt.datetime:
    with db.connect() as conn:
        return conn.execute("SELECT internal.now()").fetchone()[0]


@pytest.fixture
def tenants(db: Database) -> dict[str, Tenant]:
    return seed_tenants(db, names=("a", "b"), extra_principals=0)


def test_a_tenant_holding_its_cursor_does_not_keep_other_tenants_due_jobs_scheduled(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """Step 2 of the claim locks the first 10,000 due jobs (ORDER BY run_at LIMIT 10000) and
    only then skips the tenants whose cursor row is locked. A tenant with 10,000 delayed jobs
    due first, and an enqueue transaction left open (it holds the tenant's cursor row), fills
    that window with jobs the claim skips: every claim promotes nothing, and B's due job (here
    delayed at enqueue; a retried or rate-deferred job or a flow timer would do the same)
    stays 'scheduled' for as long as A's transaction stays open. "One tenant's open
    transaction delays only its own delayed jobs" does not hold."""
    a, b = tenants["a"], tenants["b"]
    now = db_now(db)
    enqueue(db, a, noops("lq", 10_000, run_at=(now + dt.timedelta(seconds=10)).isoformat()))
    [b_late] = enqueue(db, b, noops("lq", 1, run_at=(now + dt.timedelta(seconds=20)).isoformat()))
    move_clock(db, 30)
    with db.connect("claw_runtime", autocommit=False) as open_tx:
        open_tx.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        open_tx.execute("SELECT * FROM api.enqueue_job(p_queue => 'lq', p_kind => 'noop')")
        with db.connect("claw_worker") as w:
            w.execute("SET lock_timeout = '5s'")
            for _ in range(3):
                w.execute(CLAIM, ("lq", "w", 10, 30)).fetchall()
        with db.connect() as conn:
            state = conn.execute("SELECT state FROM queue.jobs WHERE job_id = %s",
                                 (b_late,)).fetchone()
        open_tx.rollback()
    assert state != ("scheduled",), "B's due job must not wait for A's open transaction"


@pytest.mark.parametrize("first_delayed", [False, True])
def test_a_tenants_enqueues_at_two_priorities_do_not_deadlock(
        db: Database, tenants: dict[str, Tenant], first_delayed: bool) -> None:
    """Two transactions of one tenant enqueue into one queue at priorities 0 and 1, in the
    opposite order (a normal job then an urgent one, and vice versa; or a delayed job at
    priority 1, which inserts the new cursor row, then a normal one). Before 132331c both took
    the one (tenant, queue) cursor row and simply took turns; with a cursor row per priority
    each holds one row and waits for the other's: a deadlock, and one of the application's
    transactions is aborted (40P01)."""
    a = tenants["a"]
    errors: list[BaseException] = []
    later = "now() + interval '1 hour'"

    def run(steps: list[str], start_after: float) -> None:
        try:
            time.sleep(start_after)
            with db.connect("claw_runtime", autocommit=False) as conn:
                conn.execute("SET lock_timeout = '20s'")
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
                for i, step in enumerate(steps):
                    if i:
                        time.sleep(0.6)
                    conn.execute(f"SELECT * FROM api.enqueue_job(p_queue => 'dl', "
                                 f"p_kind => 'noop', {step})")
                conn.commit()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    p1 = f"p_priority => 1, p_run_at => {later}" if first_delayed else "p_priority => 1"
    t1 = threading.Thread(target=run, args=(["p_priority => 0", "p_priority => 1"], 0.0))
    t2 = threading.Thread(target=run, args=([p1, "p_priority => 0"], 0.3))
    t1.start()
    t2.start()
    t1.join(30)
    t2.join(30)
    assert not errors, errors
    with db.connect() as conn:
        n = conn.execute("SELECT count(*) FROM queue.jobs WHERE queue = 'dl'").fetchone()
    assert n == (4,)


def test_a_dead_job_retried_does_not_put_another_tenants_new_job_behind_a_backlog(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """api.retry_job makes a dead job 'available' with its old fair key, so the head (the
    smallest available key) goes back to that old key. A tenant that enqueues now gets keys
    from that old head on, while a tenant whose cursor moved on meanwhile (its jobs ran) keeps
    greatest(its last key, head) = its last key: B's new job lands behind A's whole new
    backlog. Here: A's job dies (key 1); B's 200 jobs run (keys 2..201); A's dead job is
    retried; A enqueues 200 (keys 2..201 again); B's next job gets 202 and is claimed after
    all 201 of A's."""
    a, b = tenants["a"], tenants["b"]
    [dead] = enqueue(db, a, noops("rq", 1, max_attempts=1))
    with db.connect("claw_worker") as w:
        [(_, _, token)] = w.execute(CLAIM, ("rq", "w", 1, 30)).fetchall()
        assert w.execute("SELECT state FROM api.fail_job(%s, %s, 'boom')",
                         (dead, token)).fetchone() == ("dead",)
        enqueue(db, b, noops("rq", 200))
        rows = w.execute(CLAIM, ("rq", "w", 200, 30)).fetchall()
        assert len(rows) == 200
        w.execute("SELECT api.complete_jobs(%s, %s)", ([r[0] for r in rows], rows[0][2]))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT api.retry_job(%s)", (dead,))
    enqueue(db, a, noops("rq", 200))
    [b_job] = enqueue(db, b, noops("rq", 1))
    order = claimed_order(db, "rq", 4)
    assert (b.tenant_id, b_job) in order, "B's new job waits behind A's whole new backlog"


def test_retried_jobs_do_not_put_another_tenants_waiting_job_behind_them(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """A retried job keeps its old fair key. A's 100 jobs run and fail (retry in 60 s); B
    enqueues a job meanwhile: nothing is available, so its key is the largest given out + 1,
    after all of A's. When A's retries come due before a worker is free (they need no claim to
    be in line: the first claim after they are due promotes them all), all 100 of them are
    claimed before B's job: A's retried backlog puts B's newly enqueued job behind it by 100,
    not by about one."""
    a, b = tenants["a"], tenants["b"]
    enqueue(db, a, noops("fq", 100))
    with db.connect("claw_worker") as w:
        rows = w.execute(CLAIM, ("fq", "w", 100, 30)).fetchall()
        for r in rows:
            w.execute("SELECT * FROM api.fail_job(%s, %s, 'boom', p_retry_in_seconds => 60)",
                      (r[0], r[2]))
    [b_job] = enqueue(db, b, noops("fq", 1))
    move_clock(db, 61)
    order = claimed_order(db, "fq", 3)
    assert (b.tenant_id, b_job) in order, "B's job waits behind all of A's retries"


def test_deduplicated_enqueues_do_not_push_a_tenants_next_job_behind_another_backlog(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """queue.insert_jobs reserves fair keys for every ready spec before the INSERT, and a spec
    whose unique_key is already waiting (deduplicated: nothing inserted) keeps its reserved key
    burnt: the tenant's cursor moves on as if the job had been enqueued. The usual idiom
    "enqueue the sync job unless it is already queued", repeated, walks B's cursor past A's
    backlog: here B's 'sync' job waits (delayed), B asks for it again 200 times (all
    deduplicated), and B's next real job gets a key 200 places behind the head, after 200 of
    A's jobs, though B has nothing else in line."""
    a, b = tenants["a"], tenants["b"]
    enqueue(db, a, noops("uq", 300))
    later = (db_now(db) + dt.timedelta(hours=1)).isoformat()
    [sync] = enqueue(db, b, noops("uq", 1, unique_key="sync", run_at=later))
    with db.connect("claw_runtime") as conn:
        for _ in range(200):
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (b.api_key,))
                row = conn.execute("SELECT job_id::text, deduplicated FROM api.enqueue_job("
                                   "p_queue => 'uq', p_kind => 'noop', p_unique_key => 'sync')"
                                   ).fetchone()
                assert row == (sync, True)
    [b_job] = enqueue(db, b, noops("uq", 1))
    order = claimed_order(db, "uq", 4)
    assert (b.tenant_id, b_job) in order, "B's job waits behind 200 of A's jobs"
