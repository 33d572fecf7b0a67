"""Crashes: a worker killed with SIGKILL while it holds 100 leases, and a job that kills
every worker that runs it. Worker processes: tests/workers/effect_worker.py."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from claw.worker import Worker, builtin_handlers, supervise
from conftest import Database, seed_tenants

WORKER = Path(__file__).parent / "workers" / "effect_worker.py"


@pytest.fixture
def crash_db(db: Database) -> Iterator[Database]:
    with db.connect() as conn:
        conn.execute("""
            CREATE TABLE public.test_runs (job_id uuid NOT NULL, pid integer NOT NULL,
                                           at timestamptz NOT NULL DEFAULT clock_timestamp());
            CREATE TABLE public.test_effects (job_id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
            CREATE TABLE public.test_applied (job_id uuid NOT NULL);
            GRANT SELECT, INSERT ON public.test_runs, public.test_effects, public.test_applied
              TO claw_worker;""")
    yield db


def start_worker(db: Database, mode: str, lease: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(WORKER), db.url("claw_worker"), mode, str(lease)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def scalar(db: Database, sql: str) -> object:
    with db.connect() as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def move_clock(db: Database, seconds: float) -> None:
    with db.connect() as conn:
        conn.execute("UPDATE internal.clock SET offset_by = offset_by + make_interval(secs => %s)",
                     (seconds,))


def test_kill_9_with_100_leases_loses_nothing_and_effects_happen_once(crash_db: Database) -> None:
    db = crash_db
    tenants = seed_tenants(db, names=("a", "b"), extra_principals=0)
    for t in tenants.values():
        with db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
            conn.execute("SELECT * FROM api.enqueue_jobs(%s)",
                         (json.dumps([{"queue": "crash", "kind": "test.effect"}] * 50),))

    doomed = start_worker(db, "hang", lease=5)
    wait_for(lambda: scalar(db, "SELECT count(*) FROM public.test_runs") == 100,
             "the first worker to start all 100 jobs")
    assert scalar(db, f"SELECT count(*) FROM queue.jobs WHERE state = 'running' "
                      f"AND lease_holder LIKE '%:{doomed.pid}'") == 100
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)

    rescuer = start_worker(db, "normal", lease=5)
    try:
        time.sleep(1)
        assert scalar(db, "SELECT count(*) FROM queue.job_history") == 0, \
            "nobody takes a job over before its lease expires"
        move_clock(db, 6)
        wait_for(lambda: scalar(db, "SELECT count(*) FROM queue.job_history") == 100,
                 "another worker to finish every job after the leases expired")
    finally:
        rescuer.send_signal(signal.SIGTERM)
        rescuer.wait(20)
    assert rescuer.returncode == 0, rescuer.stderr.read().decode() if rescuer.stderr else ""

    assert scalar(db, "SELECT count(*) FROM queue.jobs") == 0, "no job left behind"
    assert scalar(db, "SELECT count(*) FROM public.test_runs") == 200, "each job ran twice"
    assert scalar(db, "SELECT count(*) FROM public.test_applied") == 100, \
        "the idempotent effect applied exactly once per job"
    assert scalar(db, "SELECT count(DISTINCT job_id) FROM public.test_applied") == 100
    assert scalar(db, f"""SELECT count(*) FROM queue.job_history
                          WHERE outcome = 'completed' AND attempts = 2
                            AND errors -> 0 ->> 'error' LIKE 'lease expired%'
                            AND errors -> 0 ->> 'worker' LIKE '%:{doomed.pid}'""") == 100


def test_a_job_that_crashes_every_worker_ends_dead(crash_db: Database) -> None:
    db = crash_db
    [t] = seed_tenants(db, names=("a",), extra_principals=0).values()
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
        conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'crash', p_kind => 'test.crash', "
                     "p_max_attempts => 3)")
    deaths = 0
    for _ in range(6):
        proc = start_worker(db, "normal", lease=2)
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:  # nothing left to crash on: it idles
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
            assert proc.returncode == 0
            break
        assert proc.returncode == -signal.SIGKILL
        deaths += 1
        move_clock(db, 3)
    assert deaths == 3, "one crash per attempt, then no more"
    with db.connect() as conn:
        state, attempts, errors = conn.execute(
            "SELECT state, attempts, errors FROM queue.jobs WHERE kind = 'test.crash'").fetchone()
    assert (state, attempts, len(errors)) == ("dead", 3, 3)
    assert all(e["error"].startswith("lease expired") for e in errors)


def enqueue_effects(db: Database, api_key: str, n: int) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (api_key,))
        conn.execute("SELECT * FROM api.enqueue_jobs(%s)",
                     (json.dumps([{"queue": "crash", "kind": "test.effect"}] * n),))


def test_worker_survives_losing_its_database_connections(crash_db: Database) -> None:
    db = crash_db
    [t] = seed_tenants(db, names=("a",), extra_principals=0).values()
    worker = start_worker(db, "normal", lease=5)
    try:
        enqueue_effects(db, t.api_key, 20)
        wait_for(lambda: scalar(db, "SELECT count(*) FROM queue.job_history") == 20,
                 "the first 20 jobs")
        # every connection of the worker role is killed (as a PostgreSQL restart would)
        assert scalar(db, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM "
                          "pg_stat_activity WHERE usename = 'claw_worker' AND datname = "
                          "current_database()) k") >= 4
        enqueue_effects(db, t.api_key, 20)
        wait_for(lambda: scalar(db, "SELECT count(*) FROM queue.job_history") == 40,
                 "the worker to reconnect and run 20 more jobs")
        assert worker.poll() is None, "the process kept running"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    assert worker.returncode == 0
    err = worker.stderr.read().decode() if worker.stderr else ""
    assert "database connection lost; restarting the worker" in err
    assert scalar(db, "SELECT count(*) FROM public.test_applied") == 40


# --- a database error that is not a lost connection (review finding B) ------------------

def enqueue_noops(db: Database, api_key: str, queue: str, n: int) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (api_key,))
        conn.execute("SELECT * FROM api.enqueue_jobs(%s)",
                     (json.dumps([{"queue": queue, "kind": "noop"}] * n),))


def test_a_failing_tick_or_maintenance_does_not_stop_the_worker(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    """The schedule tick and the queue maintenance fail on every call with an error that
    leaves the connection usable (here the worker role lost EXECUTE on both: 42501; a
    poisoned schedule once made the tick CL422 the same way). Before, the control loop died,
    the worker stopped, supervise() (which restarted only on connection errors) let the
    process exit, and one bad schedule stopped all job processing. Now the worker logs the
    failure with its context, backs off (1, 2, 4 ... 30 s) and keeps running jobs and
    heartbeats."""
    caplog.set_level(logging.INFO, logger="claw")
    [t] = seed_tenants(db, names=("a",), extra_principals=0).values()
    with db.connect() as conn:
        conn.execute("REVOKE EXECUTE ON FUNCTION api.tick_schedules(integer), "
                     "api.maintain_queue(integer) FROM claw_worker")
    enqueue_noops(db, t.api_key, "tk", 3)
    made: list[Worker] = []

    async def main() -> None:
        def make() -> Worker:
            worker = Worker(db.url("claw_worker"), queues=["tk"], concurrency=2,
                            poll_interval=0.1, tick=True, maintain=True)
            builtin_handlers(worker)
            made.append(worker)
            return worker
        supervisor = asyncio.create_task(supervise(make, run_for=5.0))
        await asyncio.sleep(3.0)  # the tick has failed by now
        await asyncio.to_thread(enqueue_noops, db, t.api_key, "tk", 3)
        await supervisor  # raises if the worker process would have exited

    asyncio.run(main())
    assert len(made) == 1, "one worker ran throughout, never restarted"
    [worker] = made
    assert worker.completed == 6
    assert 1 <= worker.stats["tick"] <= 3, "a failing tick backs off instead of every second"
    failures = [r for r in caplog.records
                if r.name == "claw.worker" and r.getMessage().startswith(("tick failed",
                                                                          "maintain failed"))]
    assert {r.getMessage().split()[0] for r in failures} == {"tick", "maintain"}
    assert all(getattr(r, "worker", None) == worker.worker_id
               and "42501" in getattr(r, "error", "") for r in failures)


def test_supervise_restarts_a_worker_that_ends_on_any_database_error(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    """A worker that ends on a database error other than a lost connection (here every claim
    is CL422: a queue name over the name limit) is restarted with backoff like one that lost
    its connection; before, supervise() re-raised it and `claw worker` exited."""
    caplog.set_level(logging.INFO, logger="claw")
    made: list[Worker] = []

    def make() -> Worker:
        worker = Worker(db.url("claw_worker"), queues=["q" * 2000], poll_interval=0.1,
                        tick=False, maintain=False)
        made.append(worker)
        return worker

    asyncio.run(supervise(make, run_for=2.5))
    assert len(made) == 2, "restarted after 1 s, then waiting 2 s when stopped"
    restarts = [r for r in caplog.records
                if r.getMessage().startswith("worker failed; restarting the worker in")]
    assert len(restarts) == 2 and all("CL422" in getattr(r, "error", "") for r in restarts)


def test_a_failed_attempt_is_logged_with_its_error_and_the_state_it_left() -> None:
    """The worker's log said `"error": "now scheduled"`: the failure was only in the job row
    (a new-user walkthrough). The log line now carries the error and, apart, the state."""
    import json
    import logging

    from claw.worker import JsonFormatter

    record = logging.LogRecord("claw.worker", logging.INFO, __file__, 1,
                               "job attempt recorded as failed", None, None)
    record.error, record.state = "no handler for kind 'demo.note'", "scheduled"
    line = json.loads(JsonFormatter().format(record))
    assert line["error"].startswith("no handler") and line["state"] == "scheduled"
