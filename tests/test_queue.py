"""The queue with several connections: SKIP LOCKED claims, lease expiry and stale completion,
tenant fairness, rate and concurrency limits shared by workers, NOTIFY per statement, and the
Python worker's graceful stop. (One-session behaviour is in tests/sql/20_queue.sql.)"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from typing import Any
from uuid import UUID

import psycopg
import pytest

from claw.worker import Job, Worker
from conftest import Database, Tenant, seed_tenants

CLAIM = "SELECT job_id, tenant_id, lease_token FROM api.claim_jobs(p_queue => %s, p_worker => %s, p_limit => %s, p_lease_seconds => %s)"


def enqueue(db: Database, tenant: Tenant, jobs: list[dict[str, Any]]) -> list[str]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        rows = conn.execute("SELECT job_id::text FROM api.enqueue_jobs(p_jobs => %s)",
                            (json.dumps(jobs),)).fetchall()
    return [r[0] for r in rows]


def move_clock(db: Database, seconds: float) -> None:
    with db.connect() as conn:
        conn.execute("UPDATE internal.clock SET offset_by = offset_by + make_interval(secs => %s)",
                      (seconds,))


def noops(queue: str, n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"queue": queue, "kind": "noop", **extra} for _ in range(n)]


@pytest.fixture
def tenants(db: Database) -> dict[str, Tenant]:
    return seed_tenants(db, names=("a", "b"), extra_principals=0)


def test_concurrent_claims_skip_locked_rows(db: Database, tenants: dict[str, Tenant]) -> None:
    enqueue(db, tenants["a"], noops("q", 50))
    w1 = db.connect("claw_worker", autocommit=False)
    w2 = db.connect("claw_worker", autocommit=False)
    try:
        first = w1.execute(CLAIM, ("q", "w1", 30, 30)).fetchall()  # w1's transaction stays open
        second = w2.execute(CLAIM, ("q", "w2", 30, 30)).fetchall()  # must not wait for w1
        assert len(first) == 30 and len(second) == 20
        assert not {r[0] for r in first} & {r[0] for r in second}
        w1.commit()
        w2.commit()
    finally:
        w1.close()
        w2.close()


def test_expired_lease_goes_to_another_worker_and_the_late_completion_is_refused(
        db: Database, tenants: dict[str, Tenant]) -> None:
    [job] = enqueue(db, tenants["a"], noops("q", 1))
    with db.connect("claw_worker") as w1, db.connect("claw_worker") as w2:
        [(_, _, token1)] = w1.execute(CLAIM, ("q", "w1", 10, 5)).fetchall()
        assert w2.execute(CLAIM, ("q", "w2", 10, 5)).fetchall() == []  # held
        move_clock(db, 6)
        [(job2, _, token2)] = w2.execute(CLAIM, ("q", "w2", 10, 5)).fetchall()
        assert str(job2) == job and token2 != token1
        with pytest.raises(psycopg.Error) as late:
            w1.execute("SELECT api.complete_jobs(%s, %s)", ([job], token1))
        assert late.value.sqlstate == "CL409"
        with pytest.raises(psycopg.Error) as late_fail:
            w1.execute("SELECT * FROM api.fail_job(%s, %s, 'late')", (job, token1))
        assert late_fail.value.sqlstate == "CL409"
        assert w2.execute("SELECT api.complete_jobs(%s, %s)", ([job], token2)).fetchone() == (1,)
    with db.connect() as conn:
        rows = conn.execute("SELECT outcome, attempts, lease_holder, errors -> 0 ->> 'worker' "
                            "FROM queue.job_history WHERE job_id = %s", (job,)).fetchall()
    assert rows == [("completed", 2, "w2", "w1")]


def test_heartbeat_keeps_the_lease(db: Database, tenants: dict[str, Tenant]) -> None:
    [job] = enqueue(db, tenants["a"], noops("q", 1))
    with db.connect("claw_worker") as w1, db.connect("claw_worker") as w2:
        [(_, _, token)] = w1.execute(CLAIM, ("q", "w1", 10, 5)).fetchall()
        for _ in range(4):
            move_clock(db, 3)
            beat = w1.execute("SELECT job_id::text FROM api.heartbeat_jobs(%s, %s, 5)",
                              ([job], token)).fetchall()
            assert beat == [(job,)]
            assert w2.execute(CLAIM, ("q", "w2", 10, 5)).fetchall() == []
        move_clock(db, 6)
        assert w1.execute("SELECT * FROM api.heartbeat_jobs(%s, %s, 5)",
                          ([job], token)).fetchall() == [], "an expired lease cannot be revived"


def test_a_tenant_with_100k_jobs_does_not_starve_another(db: Database,
                                                         tenants: dict[str, Tenant]) -> None:
    for _ in range(10):
        enqueue(db, tenants["a"], noops("bulk", 10_000))
    [b_job] = enqueue(db, tenants["b"], noops("bulk", 1))
    with db.connect("claw_worker") as w:
        first = w.execute(CLAIM, ("bulk", "w", 10, 30)).fetchall()
        assert b_job in {str(r[0]) for r in first}, "B's job is in the very next claim"
        # and A keeps enqueueing: B's next job still comes before A's backlog
        enqueue(db, tenants["a"], noops("bulk", 10_000))
        [b_job2] = enqueue(db, tenants["b"], noops("bulk", 1))
        second = w.execute(CLAIM, ("bulk", "w", 10, 30)).fetchall()
        assert b_job2 in {str(r[0]) for r in second}
    with db.connect() as conn:
        waiting = conn.execute("SELECT count(*) FROM queue.jobs WHERE state = 'available'").fetchone()
    assert waiting == (110_000 - 18,)


def claimed_order(db: Database, queue: str, n: int) -> list[tuple[str, str]]:
    """(tenant_id, job_id) of the next n jobs of the queue, in claim order, one at a time."""
    out = []
    with db.connect("claw_worker") as w:
        for _ in range(n):
            rows = w.execute(CLAIM, (queue, "w", 1, 30)).fetchall()
            out += [(str(r[1]), str(r[0])) for r in rows]
    return out


def test_a_high_priority_job_does_not_put_another_tenants_job_behind_a_backlog(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """Fair keys are per priority: A's one high-priority job must not make B's new
    normal-priority job wait behind A's whole normal-priority backlog. Before, the head a new
    key starts from was the next job to claim, which is the highest priority's: B's job got a
    key after A's high-priority one, so after all 1,000 of A's normal jobs."""
    a, b = tenants["a"], tenants["b"]
    enqueue(db, a, noops("pq", 1000))
    enqueue(db, a, noops("pq", 1, priority=10))
    [b_job] = enqueue(db, b, noops("pq", 1))
    order = claimed_order(db, "pq", 4)
    assert order[0][0] == a.tenant_id  # A's high-priority job first
    # B's key is the head's + 1: after A's first normal job, level with A's second
    assert (b.tenant_id, b_job) in order[2:4], "B's job comes right after A's first normal job"


def test_a_delayed_job_does_not_come_due_behind_another_tenants_delayed_backlog(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """A job delayed to the same instant as another tenant's 1,000 delayed jobs joins the line
    when it comes due, interleaved with them. Before, delayed jobs took their keys at enqueue,
    and with nothing available the head was the largest key given out: B's job came due
    behind all 1,000 of A's."""
    a, b = tenants["a"], tenants["b"]
    with db.connect() as conn:
        at = conn.execute("SELECT internal.now() + interval '60 seconds'").fetchone()[0]
    enqueue(db, a, noops("dq", 1000, run_at=at.isoformat()))
    [b_job] = enqueue(db, b, noops("dq", 1, run_at=at.isoformat()))
    with db.connect() as conn:
        keys = conn.execute("SELECT count(*) FILTER (WHERE fair_key IS NOT NULL) FROM queue.jobs "
                            "WHERE queue = 'dq'").fetchone()
    assert keys == (0,), "a delayed job takes its place in line when it comes due"
    move_clock(db, 61)
    order = claimed_order(db, "dq", 2)
    assert (b.tenant_id, b_job) in order, order
    # and A's delayed jobs, once due, do not overtake a job B enqueues now: its key is the
    # head's + 1, level with A's second waiting job
    [b_job2] = enqueue(db, b, noops("dq", 1))
    assert (b.tenant_id, b_job2) in claimed_order(db, "dq", 3)


def test_due_delayed_jobs_of_a_tenant_do_not_stack_on_the_same_keys(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """Each batch of a tenant's delayed jobs that comes due takes keys after its tenant's
    earlier ones (the promotion advances the tenant's cursor): ten batches of A's come due one
    after another, and B's job enqueued then waits behind at most one of A's jobs per key,
    not ten."""
    a, b = tenants["a"], tenants["b"]
    with db.connect() as conn:
        now = conn.execute("SELECT internal.now()").fetchone()[0]
    import datetime as dt
    for i in range(10):
        enqueue(db, a, noops("sq", 50, run_at=(now + dt.timedelta(seconds=10 + i)).isoformat()))
    with db.connect("claw_worker") as w:
        for _ in range(10):
            move_clock(db, 1.0)
            w.execute(CLAIM, ("sq", "w", 1, 30)).fetchall()  # promotes what is due
        move_clock(db, 1.0)
        w.execute(CLAIM, ("sq", "w", 1, 30)).fetchall()
    with db.connect() as conn:
        stacked = conn.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM queue.jobs "
                               "WHERE queue = 'sq' AND state = 'available' "
                               "GROUP BY fair_key) AS k").fetchone()
    assert stacked == (1,), "no two of A's jobs share a key"
    [b_job] = enqueue(db, b, noops("sq", 1))
    assert (b.tenant_id, b_job) in claimed_order(db, "sq", 3)


def test_no_claim_waits_on_a_tenants_open_enqueue_to_make_its_delayed_jobs_due(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """A delayed job takes its key from its tenant's cursor row when a claim makes it due, and
    an open enqueue transaction of that tenant holds the row. The claim skips that tenant
    instead of waiting: the other tenant's due job is claimed at once, and the first tenant's
    comes due after its transaction ends."""
    a, b = tenants["a"], tenants["b"]
    with db.connect() as conn:
        at = conn.execute("SELECT internal.now() + interval '30 seconds'").fetchone()[0]
    [a_late] = enqueue(db, a, noops("lq", 1, run_at=at.isoformat()))
    [b_late] = enqueue(db, b, noops("lq", 1, run_at=at.isoformat()))
    move_clock(db, 31)
    with db.connect("claw_runtime", autocommit=False) as open_tx:
        open_tx.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        open_tx.execute("SELECT * FROM api.enqueue_job(p_queue => 'lq', p_kind => 'noop', "
                        "p_run_at => now() + interval '1 hour')")
        open_tx.execute("SELECT * FROM api.enqueue_job(p_queue => 'lq', p_kind => 'noop')")
        with db.connect("claw_worker") as w:
            w.execute("SET lock_timeout = '5s'")
            got = {str(r[0]) for r in w.execute(CLAIM, ("lq", "w", 10, 30)).fetchall()}
            assert got == {b_late}, "B's due job is claimed; A's waits for A's transaction"
            open_tx.commit()
            got = {str(r[0]) for r in w.execute(CLAIM, ("lq", "w", 10, 30)).fetchall()}
    assert a_late in got and len(got) == 2, "after A commits, its due job and its new one"


def test_rate_limit_is_shared_by_all_workers(db: Database, tenants: dict[str, Tenant]) -> None:
    with db.connect() as conn:
        conn.execute("SELECT queue.set_rate_limit(p_rate_key => 'simpro:acme', p_per_second => 10, "
                     "p_burst => 10)")
    enqueue(db, tenants["a"], noops("sync", 100, rate_key="simpro:acme"))
    enqueue(db, tenants["b"], noops("sync", 20))  # no rate key: not limited
    started: list[int] = []
    # the bucket refills with the database clock: the simulated seconds below plus the real
    # time the claims take (a loaded machine can spend 0.1 s, one token, on six claims)
    extra: list[int] = []
    with db.connect("claw_worker") as w1, db.connect("claw_worker") as w2:
        for second in range(5):
            n = 0
            t0 = time.monotonic()
            for _ in range(3):
                for w, name in ((w1, "w1"), (w2, "w2")):
                    n += sum(1 for r in w.execute(CLAIM, ("sync", name, 7, 30)).fetchall()
                             if str(r[1]) == tenants["a"].tenant_id)
            started.append(n)
            extra.append(math.ceil(10 * (time.monotonic() - t0)))
            move_clock(db, 1)
    assert 10 <= started[0] <= 10 + extra[0], (started, extra)  # the burst
    assert all(n <= 10 + e for n, e in zip(started, extra)), (started, extra)
    assert sum(started) <= 10 + 10 * 4 + sum(extra), (started, extra)
    with db.connect() as conn:
        b_running = conn.execute("SELECT count(*) FROM queue.jobs WHERE tenant_id = %s "
                                 "AND state = 'running'", (tenants["b"].tenant_id,)).fetchone()
    assert b_running == (20,), "jobs without the key were not held back"


def test_concurrency_limit_holds_across_concurrent_claimers(db: Database,
                                                            tenants: dict[str, Tenant]) -> None:
    with db.connect() as conn:
        conn.execute("SELECT queue.configure_queue(p_queue => 'limited', p_concurrency_limit => 3)")
    enqueue(db, tenants["a"], noops("limited", 20))
    w1 = db.connect("claw_worker", autocommit=False)
    got: dict[str, int] = {}
    try:
        got["w1"] = len(w1.execute(CLAIM, ("limited", "w1", 10, 30)).fetchall())

        def second() -> None:
            with db.connect("claw_worker") as w2:
                got["w2"] = len(w2.execute(CLAIM, ("limited", "w2", 10, 30)).fetchall())

        t = threading.Thread(target=second)
        t.start()
        t.join(0.5)
        assert t.is_alive(), "the second claimer waits for the first (queue row lock)"
        w1.commit()
        t.join(10)
    finally:
        w1.close()
    assert got == {"w1": 3, "w2": 0}


def test_one_notify_per_statement_and_queue(db: Database, tenants: dict[str, Tenant]) -> None:
    with db.connect("claw_worker") as listener:
        listener.execute("LISTEN claw_queue")
        enqueue(db, tenants["a"], noops("n1", 500) + noops("n2", 300))
        enqueue(db, tenants["a"], noops("n3", 5, run_at="2099-01-01T00:00:00Z"))  # not ready
        got = [n.payload for n in listener.notifies(timeout=1.0, stop_after=10)]
    # the payload is the queue's keyed tag, never its name: any role may LISTEN on any
    # channel, and a tenant must not read other tenants' queue names there
    with db.connect() as admin:
        tags = admin.execute("SELECT queue.notify_tag('n1'), queue.notify_tag('n2')").fetchone()
        assert tags is not None
        assert sorted(got) == sorted(tags)
        assert not any(p in ("n1", "n2", "n3") for p in got)
        # and an application cannot compute a tag to confirm a guessed name
        assert admin.execute(
            "SELECT r FROM unnest(ARRAY['claw_runtime', 'claw_worker', 'claw_admin', 'claw_auditor']) "
            "AS r WHERE has_function_privilege(r, 'queue.notify_tag(text)', 'EXECUTE')").fetchall() == []


def test_worker_runs_jobs_and_releases_on_stop(db: Database, tenants: dict[str, Tenant]) -> None:
    enqueue(db, tenants["a"], noops("w", 200))
    enqueue(db, tenants["b"], [{"queue": "w", "kind": "slow"}] * 3
            + [{"queue": "w", "kind": "flaky", "max_attempts": 1}])
    seen: list[Job] = []

    async def main() -> Worker:
        worker = Worker(db.url("claw_worker"), queues=["w"], concurrency=8, batch_size=20,
                        lease_seconds=30, poll_interval=0.1, grace=0.2, maintain=True)
        started = asyncio.Event()

        @worker.handler("noop")
        async def noop(job: Job) -> None:
            seen.append(job)

        @worker.handler("slow")
        async def slow(job: Job) -> None:
            started.set()
            await asyncio.sleep(60)

        @worker.handler("flaky")
        async def flaky(job: Job) -> None:
            raise RuntimeError("upstream said no")

        run = asyncio.create_task(worker.run())
        for _ in range(200):
            if len(seen) == 200 and started.is_set():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        worker.stop()
        await asyncio.wait_for(run, 10)
        return worker

    worker = asyncio.run(main())
    assert len(seen) == 200 and len({j.job_id for j in seen}) == 200
    assert worker.completed == 200
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM queue.job_history WHERE outcome = 'completed'"
                            ).fetchone() == (200,)
        slow = conn.execute("SELECT state, attempts FROM queue.jobs WHERE kind = 'slow'").fetchall()
        assert slow == [("available", 0)] * 3, "released on stop, the attempt not counted"
        flaky = conn.execute("SELECT state, errors -> 0 ->> 'error' FROM queue.jobs "
                             "WHERE kind = 'flaky'").fetchone()
        assert flaky == ("dead", "RuntimeError: upstream said no")


def test_a_notify_during_an_empty_claim_is_not_lost(db: Database,
                                                   tenants: dict[str, Tenant]) -> None:
    """A job committed while the worker's (empty) claim is in flight: its NOTIFY arrives
    before the claim's answer, and the worker must claim again at once, not sleep on the
    wake-up it already had until the poll interval (60 s here)."""
    ran = threading.Event()
    injected: list[str] = []

    async def main() -> Worker:
        worker = Worker(db.url("claw_worker"), queues=["lw"], concurrency=2,
                        poll_interval=60.0, tick=False, maintain=False)
        claim = worker._exec

        async def exec_(conn: Any, kind: str, sql: str, params: Any = None, **kw: Any) -> Any:
            cur = await claim(conn, kind, sql, params, **kw)
            if kind == "claim" and not injected and cur.rowcount == 0:
                # the claim has answered (nothing) but the claimer has not looked yet:
                # commit a job now and hold the answer until its NOTIFY has woken us
                injected.extend(await asyncio.to_thread(enqueue, db, tenants["a"], noops("lw", 1)))
                for _ in range(200):
                    if worker._wake.is_set():
                        break
                    await asyncio.sleep(0.01)
                assert worker._wake.is_set(), "the job's NOTIFY never reached the worker"
            return cur

        worker._exec = exec_  # type: ignore[method-assign]

        @worker.handler("noop")
        async def noop(job: Job) -> None:
            ran.set()

        run = asyncio.create_task(worker.run())
        for _ in range(100):  # 5 s, far below the 60 s poll interval
            if ran.is_set():
                break
            await asyncio.sleep(0.05)
        worker.stop()
        await asyncio.wait_for(run, 10)
        return worker

    worker = asyncio.run(main())
    assert injected, "the worker never made an empty claim"
    assert ran.is_set(), "the job waited for the poll interval: its wake-up was lost"
    assert worker.completed == 1


def test_a_wake_up_with_a_full_buffer_still_drains_the_queue(db: Database,
                                                            tenants: dict[str, Tenant]) -> None:
    """A NOTIFY that wakes the claimer while its buffer is full (no room to claim) must not
    make it forget that the queue may hold more: once the runners make room they wake it,
    and the whole queue drains without waiting for the poll interval (60 s here)."""
    enqueue(db, tenants["a"], [{"queue": "fb", "kind": "gate"}] * 60)
    done: list[Job] = []

    class CountingEvent(asyncio.Event):
        cleared = 0

        def clear(self) -> None:
            CountingEvent.cleared += 1
            super().clear()

    async def main() -> Worker:
        worker = Worker(db.url("claw_worker"), queues=["fb"], concurrency=2, batch_size=10,
                        poll_interval=60.0, tick=False, maintain=False)
        worker._wake = CountingEvent()
        gate = asyncio.Event()

        @worker.handler("gate")
        async def hold(job: Job) -> None:
            await gate.wait()
            done.append(job)

        run = asyncio.create_task(worker.run())
        for _ in range(200):  # the claimer fills its buffer and sleeps
            if worker._buffer.qsize() >= worker._claim_size:
                break
            await asyncio.sleep(0.025)
        assert worker._buffer.qsize() >= worker._claim_size, "the buffer never filled"
        rounds = CountingEvent.cleared
        await asyncio.to_thread(enqueue, db, tenants["a"], [{"queue": "fb", "kind": "gate"}])
        for _ in range(200):  # its NOTIFY wakes a round that finds no room
            if CountingEvent.cleared > rounds:
                break
            await asyncio.sleep(0.025)
        assert CountingEvent.cleared > rounds, "the NOTIFY never woke the claimer"
        gate.set()
        for _ in range(200):  # 10 s, far below the poll interval
            if len(done) == 61:
                break
            await asyncio.sleep(0.05)
        worker.stop()
        await asyncio.wait_for(run, 10)
        return worker

    asyncio.run(main())
    assert len(done) == 61, f"{len(done)} of 61 ran: the rest waited for the poll"


def test_cancelling_a_running_job_cancels_its_handler(db: Database,
                                                      tenants: dict[str, Tenant]) -> None:
    [job_id] = enqueue(db, tenants["a"], [{"queue": "c", "kind": "slow"}])
    outcome: dict[str, str] = {}

    async def main() -> None:
        worker = Worker(db.url("claw_worker"), queues=["c"], concurrency=2, lease_seconds=3,
                        poll_interval=0.1, tick=False, maintain=False)
        started = asyncio.Event()

        @worker.handler("slow")
        async def slow(job: Job) -> None:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                outcome["handler"] = "cancelled"
                raise

        release = asyncio.Event()
        pair_running = 0

        @worker.handler("pair")
        async def pair(job: Job) -> None:
            nonlocal pair_running
            pair_running += 1
            await release.wait()

        run = asyncio.create_task(worker.run())
        await asyncio.wait_for(started.wait(), 10)
        with db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenants["a"].api_key,))
            row = conn.execute("SELECT api.cancel_job(%s)", (job_id,)).fetchone()
            outcome["api"] = row[0] if row else ""
        for _ in range(100):  # the heartbeat comes every lease/3 = 1 s
            if "handler" in outcome:
                break
            await asyncio.sleep(0.1)
        # the runner that ran it lives on: concurrency 2 still runs 2 jobs at once
        enqueue(db, tenants["a"], [{"queue": "c", "kind": "pair"}] * 2)
        for _ in range(100):
            if pair_running == 2:
                break
            await asyncio.sleep(0.05)
        outcome["pair"] = str(pair_running)
        release.set()
        worker.stop()
        await asyncio.wait_for(run, 10)

    asyncio.run(main())
    assert outcome == {"api": "cancelling", "handler": "cancelled", "pair": "2"}
    with db.connect() as conn:
        assert conn.execute("SELECT outcome FROM queue.job_history WHERE job_id = %s",
                            (job_id,)).fetchall() == [("cancelled",)]
        assert conn.execute("SELECT count(*) FROM queue.job_history WHERE outcome = 'completed'"
                            ).fetchone() == (2,)


# --- a failure report is never refused for its length (review finding A) -----------------

def test_fail_job_cuts_an_over_long_error_instead_of_refusing_it(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """api.fail_job once ran p_error through the 64 KiB `text` guard (CL422, nothing recorded)
    although the job keeps only 4,000 characters of it: an over-long error is now cut to
    those 4,000 characters, marked as cut, and recorded."""
    [job] = enqueue(db, tenants["a"], noops("long", 1))
    error = "RuntimeError: upstream said: " + "é" * 70_000  # 140 KB of UTF-8
    with db.connect("claw_worker") as w:
        [(_, _, token)] = w.execute(CLAIM, ("long", "w1", 1, 30)).fetchall()
        row = w.execute("SELECT state, attempts FROM api.fail_job(p_job_id => %s, "
                        "p_lease_token => %s, p_error => %s)", (job, token, error)).fetchone()
    assert row == ("scheduled", 1)
    with db.connect() as conn:
        stored = conn.execute("SELECT errors -> 0 ->> 'error' FROM queue.jobs WHERE job_id = %s",
                              (job,)).fetchone()
    assert stored is not None and len(stored[0]) == 4000
    assert stored[0].startswith("RuntimeError: upstream said: éé")
    assert stored[0].endswith(f"[truncated: {len(error)} characters in all]")


def run_one_failure_and_five_noops(db: Database, queue: str, kind: str, *, error: str,
                                   on_fail: Any) -> Worker:
    """Run a worker over the queue's one failing job (its handler raises RuntimeError(error))
    and five no-ops, with on_fail(params) -> params seeing or changing each failure report the
    worker sends; stop once all six are reported (or the worker ended)."""

    async def main() -> Worker:
        worker = Worker(db.url("claw_worker"), queues=[queue], concurrency=6, poll_interval=0.1,
                        tick=False, maintain=False)
        exec_ = worker._exec

        async def hook(conn: Any, what: str, sql: str, params: Any = None, **kw: Any) -> Any:
            if what == "fail":
                params = on_fail(params)
            return await exec_(conn, what, sql, params, **kw)

        worker._exec = hook  # type: ignore[method-assign]

        @worker.handler(kind)
        async def failing(job: Job) -> None:
            raise RuntimeError(error)

        @worker.handler("noop")
        async def noop(job: Job) -> None:
            return None

        run = asyncio.create_task(worker.run())
        for _ in range(100):
            if worker.completed == 5 and worker.failed == 1 or run.done():
                break
            await asyncio.sleep(0.05)
        worker.stop()
        await asyncio.wait_for(run, 10)  # raises what stopped it, if anything did
        return worker

    return asyncio.run(main())


def test_a_handler_error_over_64_kib_is_recorded_and_the_worker_lives_on(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """A handler whose exception carries a response body of 70,000 characters (and a NUL
    byte, which PostgreSQL text cannot hold): the worker once sent it whole, the fail was
    CL422, the completer died with the batch it held (its successful jobs ran again after
    their leases expired) and the worker stopped, leaving the job running with no error.
    Now the worker sends the error's head, marked as cut, and completes the rest."""
    [chatty] = enqueue(db, tenants["a"], [{"queue": "big", "kind": "chatty"}])
    enqueue(db, tenants["a"], [{"queue": "big", "kind": "noop"}] * 5)
    sent: list[str] = []

    def spy(params: Any) -> Any:
        sent.append(params[2])
        return params

    worker = run_one_failure_and_five_noops(db, "big", "chatty", on_fail=spy,
                                            error="upstream said: \x00" + "x" * 70_000)
    assert (worker.completed, worker.failed) == (5, 1)
    assert len(sent) == 1 and len(sent[0]) <= 4000, "the worker sent the error's head only"
    with db.connect() as conn:
        row = conn.execute("SELECT state, errors -> 0 ->> 'error' FROM queue.jobs "
                           "WHERE job_id = %s", (chatty,)).fetchone()
        assert conn.execute("SELECT count(*) FROM queue.job_history WHERE outcome = 'completed'"
                            ).fetchone() == (5,)
    assert row is not None and row[0] == "scheduled"
    assert row[1].startswith("RuntimeError: upstream said: \\x00xxx")
    assert "[truncated: 70030 characters in all]" in row[1]


def test_a_refused_failure_report_does_not_lose_the_rest_of_the_batch(
        db: Database, tenants: dict[str, Tenant], caplog: pytest.LogCaptureFixture) -> None:
    """Any refusal of one job's report that leaves the connection usable (here the database
    refuses the first report of one failure, CL422) is that job's alone: the worker logs it,
    records the failure with a short text instead, completes the other jobs of the batch and
    carries on. Before, the completer died with the whole batch and the worker stopped."""
    caplog.set_level(logging.INFO, logger="claw")
    [bad] = enqueue(db, tenants["a"], [{"queue": "rf", "kind": "bad"}])
    enqueue(db, tenants["a"], [{"queue": "rf", "kind": "noop"}] * 5)
    refused: list[str] = []

    def refuse(params: Any) -> Any:
        if refused:
            return params
        refused.append(params[2])  # the database refuses this report (CL422)
        return (params[0], params[1], "", *params[3:])

    worker = run_one_failure_and_five_noops(db, "rf", "bad", on_fail=refuse,
                                            error="upstream said no")
    assert refused == ["RuntimeError: upstream said no"]
    assert (worker.completed, worker.failed) == (5, 1)
    with db.connect() as conn:
        row = conn.execute("SELECT state, errors -> 0 ->> 'error' FROM queue.jobs "
                           "WHERE job_id = %s", (bad,)).fetchone()
        assert conn.execute("SELECT count(*) FROM queue.job_history WHERE outcome = 'completed'"
                            ).fetchone() == (5,)
    assert row is not None and row[0] == "scheduled"
    assert row[1].startswith("RuntimeError: upstream said no")
    assert "report was refused (CL422" in row[1]
    assert any(r.getMessage() == "failure report refused; recording a short one"
               and getattr(r, "job_id", None) == UUID(bad) for r in caplog.records)


def test_a_buffered_job_that_is_cancelled_is_dropped_and_never_runs(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """A job claimed ahead and waiting in the worker's buffer is cancelled: the next heartbeat
    moves it to the history as cancelled, and the worker drops it from the buffer. Before, only
    jobs with a running handler were cancelled: the buffered one ran later (its completion
    refused, CL409, after its side effects)."""
    [gate_job] = enqueue(db, tenants["a"], [{"queue": "bq", "kind": "gate", "priority": 10}])
    [victim] = enqueue(db, tenants["a"], [{"queue": "bq", "kind": "victim"}])
    ran: list[str] = []

    async def main() -> Worker:
        worker = Worker(db.url("claw_worker"), queues=["bq"], concurrency=1, batch_size=10,
                        lease_seconds=3, poll_interval=0.1, tick=False, maintain=False)
        gate = asyncio.Event()
        started = asyncio.Event()

        @worker.handler("gate")
        async def hold(job: Job) -> None:
            started.set()
            await gate.wait()

        @worker.handler("victim")
        async def run_victim(job: Job) -> None:
            ran.append(str(job.job_id))

        run = asyncio.create_task(worker.run())
        await asyncio.wait_for(started.wait(), 10)
        # a worker that found the queue drained claims no more than its free runners (one:
        # the gate); that claim came back full, so the next one claims ahead (the victim)
        for _ in range(100):
            if worker._buffer.qsize() == 1:
                break
            await asyncio.sleep(0.05)
        assert worker._buffer.qsize() == 1, "the victim is claimed and buffered"
        with db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenants["a"].api_key,))
            assert conn.execute("SELECT api.cancel_job(%s)", (victim,)).fetchone() == ("cancelling",)
        for _ in range(50):  # the heartbeat comes every lease/3 = 1 s
            if worker._buffer.qsize() == 0:
                break
            await asyncio.sleep(0.1)
        assert worker._buffer.qsize() == 0, "the cancelled job left the buffer"
        gate.set()
        for _ in range(50):
            if worker.completed == 1:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        worker.stop()
        await asyncio.wait_for(run, 10)
        return worker

    worker = asyncio.run(main())
    assert ran == [], "the handler of a job already recorded as cancelled ran"
    assert worker.completed == 1
    with db.connect() as conn:
        assert conn.execute("SELECT job_id::text, outcome FROM queue.job_history ORDER BY outcome"
                            ).fetchall() == [(victim, "cancelled"), (gate_job, "completed")]


# --- api.enqueue_job's short path ---------------------------------------------------------
# A single job without a unique key is inserted directly when queue.job_args_plainly_valid
# says its arguments are fine (functions/queue/enqueue.sql); anything else goes the batch's
# way, where queue.job_spec_problem names the problem. The pre-check must never pass what
# job_spec_problem refuses, and a refused argument must still be the batch path's CL422 with
# nothing written.

BAD_SINGLE_ARGS = [
    ({"p_queue": None}, "queue must be"),
    ({"p_queue": "Q!"}, "queue must be"),
    ({"p_queue": "q" * 64}, "queue must be"),
    ({"p_queue": ""}, "queue must be"),
    ({"p_kind": None}, "kind must be"),
    ({"p_kind": "Noop"}, "kind must be"),
    ({"p_kind": "k" * 101}, "kind must be"),
    ({"p_payload": "[]"}, "payload must be"),
    ({"p_payload": '"text"'}, "payload must be"),
    ({"p_payload": "null"}, "payload must be"),
    ({"p_priority": 101}, "priority must be"),
    ({"p_priority": -101}, "priority must be"),
    ({"p_max_attempts": 0}, "max_attempts must be"),
    ({"p_max_attempts": 101}, "max_attempts must be"),
    ({"p_rate_key": ""}, "rate_key must be"),
    ({"p_rate_key": "r" * 201}, "rate_key must be"),
]


@pytest.mark.parametrize("bad,detail", BAD_SINGLE_ARGS,
                         ids=[f"{next(iter(b))}={str(next(iter(b.values())))[:8]}"
                              for b, _ in BAD_SINGLE_ARGS])
def test_enqueue_job_refuses_each_bad_argument_as_the_batch_path_does(
        db: Database, tenants: dict[str, Tenant], bad: dict[str, Any], detail: str) -> None:
    args = {"p_queue": "q", "p_kind": "noop", "p_payload": "{}", "p_priority": 0,
            "p_rate_key": None, "p_max_attempts": 5, **bad}
    with db.connect("claw_runtime") as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenants["a"].api_key,))
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT * FROM api.enqueue_job(p_queue => %(p_queue)s, "
                         "p_kind => %(p_kind)s, p_payload => %(p_payload)s::jsonb, "
                         "p_priority => %(p_priority)s, p_rate_key => %(p_rate_key)s, "
                         "p_max_attempts => %(p_max_attempts)s)", args)
        assert err.value.sqlstate == "CL422", (err.value.sqlstate, str(err.value))
        assert err.value.diag.message_primary == "invalid job"
        assert detail in (err.value.diag.message_detail or ""), err.value.diag.message_detail
        conn.execute("ROLLBACK")
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM queue.jobs").fetchone()[0] == 0


def test_the_short_paths_precheck_never_passes_what_the_batch_path_refuses(db: Database) -> None:
    """Every combination of edge values: where queue.job_args_plainly_valid says true,
    queue.job_spec_problem of the same job's spec is NULL. (The converse need not hold: a
    valid job that the pre-check does not recognise only takes the batch path.)"""
    queues = [None, "", "q", "a.b_c-d9", "Q", "9q", "q" * 63, "q" * 64, "q q", "é"]
    kinds = [None, "", "noop", "sms.send:v2", "Noop", "k" * 100, "k" * 101, "-k"]
    payloads = [None, "{}", '{"a": [1, null]}', "[]", '"s"', "1", "null"]
    priorities = [None, 0, -100, 100, -101, 101, 32767]
    rate_keys = [None, "", "r", "r" * 200, "r" * 201]
    attempts = [None, 1, 100, 0, 101, -1]
    with db.connect() as conn:
        bad = conn.execute(
            """
            SELECT q, k, p, pr, r, m, queue.job_spec_problem(JSON_OBJECT(
                     'queue': q, 'kind': k, 'payload': p::jsonb, 'priority': pr,
                     'rate_key': r, 'max_attempts': m ABSENT ON NULL RETURNING jsonb))
            FROM unnest(%s::text[]) AS q, unnest(%s::text[]) AS k, unnest(%s::text[]) AS p,
                 unnest(%s::int[]) AS pr, unnest(%s::text[]) AS r, unnest(%s::int[]) AS m
            WHERE queue.job_args_plainly_valid(q, k, p::jsonb, pr, r, m)
              AND queue.job_spec_problem(JSON_OBJECT(
                     'queue': q, 'kind': k, 'payload': p::jsonb, 'priority': pr,
                     'rate_key': r, 'max_attempts': m ABSENT ON NULL RETURNING jsonb)) IS NOT NULL
            """, (queues, kinds, payloads, priorities, rate_keys, attempts)).fetchall()
        assert not bad, bad[:5]
        # and it does recognise the everyday job
        assert conn.execute("SELECT queue.job_args_plainly_valid('q', 'noop', '{}', 0, NULL, 5)"
                            ).fetchone()[0] is True
