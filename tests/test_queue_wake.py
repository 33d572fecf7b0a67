"""Waking one worker, not all (functions/queue/waiting.sql): an idle worker whose short claim
left it a free runner is registered; an enqueue notifies one live registered worker per job
on that worker's own channel, and claw_queue (every worker) only when none is registered and
alive. Against the herd of empty claims that every NOTIFY on claw_queue started."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from claw.worker import Job, Worker, worker_channel
from conftest import Database, Tenant, seed_tenants

CLAIM = ("SELECT count(*) FROM api.claim_jobs(p_queue => %s, p_worker => %s, p_limit => %s, "
         "p_lease_seconds => 30, p_idle_runners => %s)")


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return seed_tenants(db, names=("a",), extra_principals=0)["a"]


def enqueue(db: Database, tenant: Tenant, queue: str, n: int = 1, kind: str = "noop",
            statements: int = 1) -> None:
    """n jobs a statement, `statements` statements in one transaction."""
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        for _ in range(statements):
            conn.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)",
                         (json.dumps([{"queue": queue, "kind": kind}] * n),))


def waiting(db: Database, queue: str) -> list[str]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute(
            "SELECT worker FROM internal.waiting_workers WHERE queue = %s ORDER BY since, worker",
            (queue,))]


def notified(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    return [(n.channel, n.payload) for n in conn.notifies(timeout=0.5, stop_after=20)]


def test_the_channel_is_the_same_in_python_and_sql(db: Database) -> None:
    with db.connect("claw_worker") as conn:
        for name in ("host:42", "web-1:4242", "é" * 200):
            assert conn.execute("SELECT queue.worker_channel(%s)", (name,)).fetchone() == (
                worker_channel(name),)


def test_a_short_claim_with_a_free_runner_registers_and_a_full_one_does_not(
        db: Database, tenant: Tenant) -> None:
    with db.connect("claw_worker") as w:
        assert w.execute(CLAIM, ("r", "w:1", 10, 4)).fetchone() == (0,)
        assert waiting(db, "r") == ["w:1"]
        enqueue(db, tenant, "r", 3)
        # three jobs for three free runners: none left free, so no longer waiting
        assert w.execute(CLAIM, ("r", "w:1", 10, 3)).fetchone() == (3,)
        assert waiting(db, "r") == []
        enqueue(db, tenant, "r", 2)
        assert w.execute(CLAIM, ("r", "w:1", 10, 3)).fetchone() == (2,)  # one runner left
        assert waiting(db, "r") == ["w:1"]
        enqueue(db, tenant, "r", 2)
        assert w.execute(CLAIM, ("r", "w:1", 2, 5)).fetchone() == (2,)  # filled its claim
        assert waiting(db, "r") == []
        # without p_idle_runners (a custom worker) nothing is registered or taken away
        w.execute("SELECT count(*) FROM api.claim_jobs(p_queue => 'r', p_worker => 'w:1')")
        assert waiting(db, "r") == []
        with pytest.raises(psycopg.Error) as bad:
            w.execute(CLAIM, ("r", "w:1", 10, -1))
        assert bad.value.sqlstate == "CL422"
        assert bad.value.diag.message_detail == "p_idle_runners must be 0 or more, not -1"


def test_an_enqueue_notifies_one_live_waiting_worker_and_not_claw_queue(
        db: Database, tenant: Tenant) -> None:
    with db.connect("claw_worker") as w1, db.connect("claw_worker") as w2, \
            db.connect("claw_worker") as everyone:
        for conn, name in ((w1, "w:1"), (w2, "w:2")):
            conn.execute(f'LISTEN "{worker_channel(name)}"')
            assert conn.execute(CLAIM, ("n", name, 10, 5)).fetchone() == (0,)
        everyone.execute("LISTEN claw_queue")
        with db.connect() as admin:
            tag = admin.execute("SELECT queue.notify_tag('n')").fetchone()[0]
        enqueue(db, tenant, "n")
        # the first registered, alone
        assert notified(w1) == [(worker_channel("w:1"), tag)]
        assert notified(w2) == [] and notified(everyone) == []
        enqueue(db, tenant, "n", 5)  # five jobs: both waiting workers
        assert notified(w1) == [(worker_channel("w:1"), tag)]
        assert notified(w2) == [(worker_channel("w:2"), tag)]
        assert notified(everyone) == []
        # a second session claiming under a live worker's name does not take its place
        with db.connect("claw_worker") as twin:
            twin.execute(CLAIM, ("n2", "w:1", 10, 5))
            assert waiting(db, "n2") == []
        # nobody waiting for this queue: claw_queue, as before
        enqueue(db, tenant, "other")
        with db.connect() as admin:
            other = admin.execute("SELECT queue.notify_tag('other')").fetchone()[0]
        assert notified(everyone) == [("claw_queue", other)]
        assert notified(w1) == [] and notified(w2) == []


def test_a_gone_workers_entry_is_skipped_and_dropped(db: Database, tenant: Tenant) -> None:
    """A worker that died while registered: an enqueue must not wake only it (the job would
    wait for a poll), and its entry goes."""
    with db.connect("claw_worker") as ghost:
        ghost.execute(CLAIM, ("g", "ghost:1", 10, 5))
    with db.connect("claw_worker") as live, db.connect("claw_worker") as everyone:
        live.execute(f'LISTEN "{worker_channel("live:1")}"')
        live.execute(CLAIM, ("g", "live:1", 10, 5))
        everyone.execute("LISTEN claw_queue")
        assert waiting(db, "g") == ["ghost:1", "live:1"]
        enqueue(db, tenant, "g")
        assert [c for c, _ in notified(live)] == [worker_channel("live:1")]
        assert notified(everyone) == []
        assert waiting(db, "g") == ["live:1"]
    # the last one gone too: the next enqueue falls back to claw_queue
    with db.connect("claw_worker") as everyone:
        everyone.execute("LISTEN claw_queue")
        enqueue(db, tenant, "g")
        assert [c for c, _ in notified(everyone)] == ["claw_queue"]
    assert waiting(db, "g") == []


def test_a_producer_naming_a_gone_worker_as_itself_still_drops_it(db: Database,
                                                                   tenant: Tenant) -> None:
    """claw.waiting_as tells an enqueue which registered worker is its own session's (whose
    liveness lock the session holds, so the try-lock cannot test it). Anyone can set it: a
    producer that names a gone worker must not make its enqueue wake that worker alone and
    keep its entry; the name counts only with the lock held (pg_locks)."""
    with db.connect("claw_worker") as ghost:
        ghost.execute(CLAIM, ("ga", "ghost:2", 10, 5))
    with db.connect("claw_worker") as live:
        live.execute(f'LISTEN "{worker_channel("live:2")}"')
        live.execute(CLAIM, ("ga", "live:2", 10, 5))
        assert waiting(db, "ga") == ["ghost:2", "live:2"]
        with db.connect("claw_runtime") as producer:
            producer.execute("SET claw.waiting_as = 'ghost:2'")
            with producer.transaction():
                producer.execute("SELECT * FROM api.authenticate(p_api_key => %s)",
                                 (tenant.api_key,))
                producer.execute("SELECT * FROM api.enqueue_job(p_queue => 'ga', "
                                 "p_kind => 'noop')")
        assert [c for c, _ in notified(live)] == [worker_channel("live:2")]
        assert waiting(db, "ga") == ["live:2"]


async def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time (the poll interval is 60 s)"
        await asyncio.sleep(0.02)


def gated_worker(db: Database, worker_id: str, queues: list[str], ran: list[tuple[str, str]],
                 gate: asyncio.Event, concurrency: int = 1, **kw: Any) -> Worker:
    """A worker polling only every 60 s, whose "slow" jobs wait for the gate and whose
    "noop" jobs return at once; each start is recorded in `ran` as (worker, kind)."""
    w = Worker(db.url("claw_worker"), queues=queues, concurrency=concurrency,
               worker_id=worker_id, poll_interval=60.0, tick=False, maintain=False, **kw)

    @w.handler("slow")
    async def slow(job: Job) -> None:
        ran.append((worker_id, "slow"))
        await gate.wait()

    @w.handler("noop")
    async def noop(job: Job) -> None:
        ran.append((worker_id, "noop"))
    return w


def test_one_enqueue_starts_one_claim_among_four_idle_workers(db: Database,
                                                              tenant: Tenant) -> None:
    ran: list[str] = []

    async def main() -> list[Worker]:
        workers = [Worker(db.url("claw_worker"), queues=["h"], concurrency=2, worker_id=f"h:{i}",
                          poll_interval=60.0, tick=False, maintain=False) for i in range(4)]
        for w in workers:
            @w.handler("noop")
            async def noop(job: Job, w: Worker = w) -> None:
                ran.append(w.worker_id)
        runs = [asyncio.create_task(w.run(install_signals=False)) for w in workers]
        await until(lambda: len(waiting(db, "h")) == 4)
        before = sum(w.stats["claim"] for w in workers)
        for i in range(3):
            await asyncio.to_thread(enqueue, db, tenant, "h")
            await until(lambda: len(ran) == i + 1)
            await asyncio.sleep(0.2)  # any other worker woken would have claimed by now
            await until(lambda: len(waiting(db, "h")) == 4)
        claims = sum(w.stats["claim"] for w in workers) - before
        for w in workers:
            w.stop()
        await asyncio.gather(*runs)
        assert claims == 3, f"{claims} claims for 3 jobs: idle workers woken for nothing"
        return workers

    asyncio.run(main())
    assert len(ran) == 3


def test_a_worker_with_every_runner_busy_is_not_woken_for_a_job_another_can_start(
        db: Database, tenant: Tenant) -> None:
    """Two workers of one runner each: the one busy with a long job must not take (and hold
    in its buffer) the next job while the other one idles."""
    ran: list[tuple[str, str]] = []

    async def main() -> None:
        gate = asyncio.Event()
        workers = [gated_worker(db, f"b:{i}", ["b"], ran, gate) for i in range(2)]
        runs = [asyncio.create_task(w.run(install_signals=False)) for w in workers]
        await until(lambda: len(waiting(db, "b")) == 2)
        await asyncio.to_thread(enqueue, db, tenant, "b", 1, "slow")
        await until(lambda: len(ran) == 1)
        busy = ran[0][0]
        await until(lambda: waiting(db, "b") == [w.worker_id for w in workers
                                                 if w.worker_id != busy])
        for _ in range(3):
            await asyncio.to_thread(enqueue, db, tenant, "b", 1, "noop")
        await until(lambda: len(ran) == 4)
        gate.set()
        for w in workers:
            w.stop()
        await asyncio.gather(*runs)
        assert {who for who, kind in ran if kind == "noop"} == {
            w.worker_id for w in workers if w.worker_id != busy}

    asyncio.run(main())


def test_a_claim_never_waits_on_an_enqueue_dropping_a_gone_entry(db: Database,
                                                                  tenant: Tenant) -> None:
    """A worker restarted under its old name (claw.worker.supervise keeps host:pid) while a
    long producer transaction is dropping the entry its gone predecessor left: the claim's
    unregistration must skip that entry, not wait for the producer to commit."""
    with db.connect("claw_worker") as ghost:
        ghost.execute(CLAIM, ("d", "same:1", 10, 5))
    assert waiting(db, "d") == ["same:1"]
    with db.connect("claw_runtime") as producer, db.connect("claw_worker") as worker:
        producer.execute("BEGIN")
        producer.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        producer.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)",
                         (json.dumps([{"queue": "d", "kind": "noop"}]),))
        # the producer's trigger found same:1 gone and holds its entry, being deleted
        worker.execute("SET lock_timeout = '2s'")
        try:
            # every runner busy: the claim unregisters
            assert worker.execute(CLAIM, ("d", "same:1", 10, 0)).fetchone() == (0,)
        finally:
            producer.execute("COMMIT")
    assert waiting(db, "d") == []



def test_one_transaction_enqueueing_job_by_job_wakes_one_worker_per_job(
        db: Database, tenant: Tenant) -> None:
    """A producer (or a handler acting in a job's tenant, a flow step) that enqueues two
    jobs with two statements in one transaction: two jobs, so two waiting workers, as one
    statement of two jobs wakes; not the same first-registered worker twice (it would take
    both, one of them into its buffer, and the other worker would sleep out its poll)."""
    with db.connect("claw_worker") as w1, db.connect("claw_worker") as w2, \
            db.connect("claw_worker") as everyone:
        for conn, name in ((w1, "t:1"), (w2, "t:2")):
            conn.execute(f'LISTEN "{worker_channel(name)}"')
            assert conn.execute(CLAIM, ("t", name, 10, 1)).fetchone() == (0,)
        everyone.execute("LISTEN claw_queue")
        enqueue(db, tenant, "t", statements=2)
        assert [c for c, _ in notified(w1)] == [worker_channel("t:1")]
        assert [c for c, _ in notified(w2)] == [worker_channel("t:2")]
        assert notified(everyone) == []
        # a third job in a third statement: both waiting workers are woken already; no
        # broadcast to the busy ones (as a statement of three jobs for two waiting workers)
        enqueue(db, tenant, "t", statements=3)
        assert [c for c, _ in notified(w1)] == [worker_channel("t:1")]
        assert [c for c, _ in notified(w2)] == [worker_channel("t:2")]
        assert notified(everyone) == []


def test_a_runner_that_finishes_during_a_claim_that_found_it_busy_gets_the_worker_registered(
        db: Database, tenant: Tenant) -> None:
    """A claim sent while every runner was busy (p_idle_runners 0) unregisters the worker;
    the first runner to finish makes it claim again, and register. A runner that finishes
    while that claim is still in flight must count too: else the worker idles unregistered
    until its poll (an enqueue then wakes another waiting worker, which takes this one's
    share into its buffer, or nobody: see the test above)."""
    gate = asyncio.Event()

    async def main() -> None:
        w = Worker(db.url("claw_worker"), queues=["f"], concurrency=1, worker_id="f:1",
                   poll_interval=60.0, tick=False, maintain=False)

        @w.handler("noop")
        async def noop(job: Job) -> None:
            return None

        @w.handler("slow")
        async def slow(job: Job) -> None:
            await gate.wait()

        real = w._exec
        hooked = False

        async def exec_(conn: Any, kind: str, sql: str, params: Any = None,
                        binary: bool = False) -> Any:
            nonlocal hooked
            if kind == "claim" and params[4] == 0 and not hooked:
                hooked = True  # the one runner is busy: let it finish before this claim runs
                gate.set()
                await until(lambda: not w._running)
            return await real(conn, kind, sql, params, binary)

        w._exec = exec_  # type: ignore[method-assign]
        run = asyncio.create_task(w.run(install_signals=False))
        await until(lambda: waiting(db, "f") == ["f:1"])
        with db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
            conn.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)",
                         (json.dumps([{"queue": "f", "kind": "noop"},
                                      {"queue": "f", "kind": "slow"}]),))
        await until(lambda: hooked)
        try:
            await until(lambda: waiting(db, "f") == ["f:1"])
        finally:
            w.stop()
            await run

    asyncio.run(main())


def test_a_multi_queue_worker_busied_by_its_next_queue_is_not_woken_for_the_first(
        db: Database, tenant: Tenant) -> None:
    """A worker serving queues a and b claims a (nothing: it registers there, its runner is
    free), then b (a job: its runner is busy now). It must not stay registered for a: the
    next job of a would wake it alone, it would take that job into its buffer behind the
    long one, and the worker serving a that idles would sleep out its poll."""
    ran: list[tuple[str, str]] = []

    async def main() -> None:
        gate = asyncio.Event()
        both = gated_worker(db, "m:both", ["ma", "mb"], ran, gate)
        only_a = gated_worker(db, "m:a", ["ma"], ran, gate)
        runs = [asyncio.create_task(both.run(install_signals=False))]
        await until(lambda: waiting(db, "ma") == ["m:both"] and waiting(db, "mb") == ["m:both"])
        runs.append(asyncio.create_task(only_a.run(install_signals=False)))
        await until(lambda: waiting(db, "ma") == ["m:both", "m:a"])
        try:
            await asyncio.to_thread(enqueue, db, tenant, "mb", 1, "slow")
            await until(lambda: ran == [("m:both", "slow")])
            await until(lambda: waiting(db, "mb") == [])
            await asyncio.to_thread(enqueue, db, tenant, "ma", 1, "noop")
            await until(lambda: len(ran) == 2)
            assert ran[1] == ("m:a", "noop")
        finally:
            gate.set()
            both.stop()
            only_a.stop()
            await asyncio.gather(*runs)

    asyncio.run(main())


def test_the_claim_session_that_holds_the_liveness_lock_uses_short_keepalives(
        db: Database, tenant: Tenant) -> None:
    """A host that dies without closing its connections leaves its sessions (and the
    liveness lock) on the server until TCP gives up on them: 2 hours by default, during which
    enqueues would wake the dead worker alone. The claim session asks for about 25 s."""
    conns: list[Any] = []

    async def main() -> dict[str, str]:
        worker = Worker(db.url("claw_worker"), queues=["k"], worker_id="k:1",
                        poll_interval=60.0, tick=False, maintain=False)
        connect = worker._connect

        async def keep() -> Any:
            conn = await connect()
            conns.append(conn)
            return conn

        worker._connect = keep  # type: ignore[method-assign]
        run = asyncio.create_task(worker.run(install_signals=False))
        await until(lambda: waiting(db, "k") == ["k:1"])
        got = {}
        for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count"):
            cur = await conns[0].execute(f"SHOW {name}")  # the first: the claim connection
            got[name] = (await cur.fetchone())[0]
        worker.stop()
        await run
        return got

    assert asyncio.run(main()) == {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5",
                                   "tcp_keepalives_count": "3"}


def test_a_worker_that_enqueues_on_its_claim_session_stays_registered(
        db: Database, tenant: Tenant) -> None:
    """A custom worker that acts as its job and enqueues a follow-up over the session that
    claimed (and holds its liveness lock): the enqueue's liveness check must not take the
    session's own lock for a sign that the worker is gone (a session never conflicts with
    itself), drop its entry and wake nobody in particular."""
    with db.connect("claw_worker") as w:
        w.execute(f'LISTEN "{worker_channel("self:1")}"')
        enqueue(db, tenant, "sq")
        row = w.execute("SELECT job_id, lease_token FROM api.claim_jobs(p_queue => 'sq', "
                        "p_worker => 'self:1', p_limit => 10, p_lease_seconds => 30, "
                        "p_idle_runners => 5)").fetchone()
        assert row is not None and waiting(db, "sq") == ["self:1"]
        with w.transaction():
            w.execute("SELECT api.act_as_job(p_job_id => %s, p_lease_token => %s)", row)
            w.execute("SELECT * FROM api.enqueue_job(p_queue => 'sq', p_kind => 'noop')")
        assert waiting(db, "sq") == ["self:1"]
        assert [c for c, _ in notified(w)] == [worker_channel("self:1")]


def test_a_stopping_worker_waiting_for_its_runners_is_not_woken_alone(
        db: Database, tenant: Tenant) -> None:
    """A worker told to stop waits up to its grace for the jobs it runs, and claims nothing
    more. Registered (it had a free runner) and its claim session still open, it must not be
    the one worker an enqueue wakes: the job would wait for another worker's poll."""
    ran: list[tuple[str, str]] = []

    async def main() -> None:
        gate = asyncio.Event()
        first = gated_worker(db, "st:1", ["st"], ran, gate, concurrency=2, grace=30.0)
        second = gated_worker(db, "st:2", ["st"], ran, gate)
        runs = [asyncio.create_task(first.run(install_signals=False))]
        await until(lambda: waiting(db, "st") == ["st:1"])
        runs.append(asyncio.create_task(second.run(install_signals=False)))
        await until(lambda: waiting(db, "st") == ["st:1", "st:2"])
        try:
            await asyncio.to_thread(enqueue, db, tenant, "st", 1, "slow")
            await until(lambda: ran == [("st:1", "slow")])
            first.stop()  # it waits for its slow job (grace 30 s)
            await asyncio.sleep(0.2)  # its claimer has left its loop
            assert not runs[0].done()
            await asyncio.to_thread(enqueue, db, tenant, "st", 1, "noop")
            await until(lambda: ("st:2", "noop") in ran)
        finally:
            gate.set()
            first.stop()
            second.stop()
            await asyncio.gather(*runs)

    asyncio.run(main())


def test_two_producers_open_at_once_wake_two_different_workers(db: Database,
                                                              tenant: Tenant) -> None:
    """claw.woken is transaction-local: two transactions open at once, each enqueueing one
    job while two workers wait, must not both pick the longest registered worker (it would
    take both jobs while the other one sleeps out its poll). The first takes its worker
    until it ends; the second wakes the other."""
    other = seed_tenants(db, names=("b",), extra_principals=0)["b"]
    with db.connect("claw_worker") as w0, db.connect("claw_worker") as w1:
        for conn, name in ((w0, "tp:0"), (w1, "tp:1")):
            conn.execute(f'LISTEN "{worker_channel(name)}"')
            conn.execute(CLAIM, ("tp", name, 10, 1))
        assert waiting(db, "tp") == ["tp:0", "tp:1"]
        # two tenants: one tenant's enqueues to a queue take turns (its fair-key cursor)
        with db.connect("claw_runtime") as c1, db.connect("claw_runtime") as c2:
            for c, t in ((c1, tenant), (c2, other)):
                c.execute("BEGIN")
                c.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                c.execute("SELECT * FROM api.enqueue_job(p_queue => 'tp', p_kind => 'slow')")
            c1.execute("COMMIT")
            c2.execute("COMMIT")
        assert [c for c, _ in notified(w0)] == [worker_channel("tp:0")]
        assert [c for c, _ in notified(w1)] == [worker_channel("tp:1")]


def test_a_worker_woken_on_drained_queues_claims_no_more_than_its_free_runners(
        db: Database, tenant: Tenant) -> None:
    """Woken for jobs that other waiting workers were woken for too, a worker whose queues
    were drained asks for as many jobs as it has free runners, not for its claim size (10
    here): the rest are for the others. A claim that comes back full grows them again."""
    limits: list[int] = []

    async def main() -> None:
        w = Worker(db.url("claw_worker"), queues=["cap"], concurrency=3, batch_size=10,
                   worker_id="cap:1", poll_interval=60.0, tick=False, maintain=False)

        @w.handler("noop")
        async def noop(job: Job) -> None:
            return None

        real = w._exec

        async def exec_(conn: Any, kind: str, sql: str, params: Any = None,
                        binary: bool = False) -> Any:
            if kind == "claim":
                limits.append(params[2])
            return await real(conn, kind, sql, params, binary)

        w._exec = exec_  # type: ignore[method-assign]
        run = asyncio.create_task(w.run(install_signals=False))
        await until(lambda: waiting(db, "cap") == ["cap:1"])
        before = len(limits)
        await asyncio.to_thread(enqueue, db, tenant, "cap", 5)
        await until(lambda: w.completed == 5)
        w.stop()
        await run
        assert limits[before] == 3, limits  # its three free runners
        assert max(limits[before:]) > 3, limits  # then, having found more, it claims ahead

    asyncio.run(main())


def test_a_full_claim_of_a_worker_not_registered_does_not_scan_the_registry(
        db: Database, tenant: Tenant) -> None:
    """At high throughput every claim is full: the unregistration (a filter on the worker
    alone, which the (queue, worker) key cannot serve: a scan of every queue's waiting
    workers) must run once when the worker turns busy, not on every full claim."""
    with db.connect() as admin:
        admin.execute("INSERT INTO internal.waiting_workers (queue, worker) "
                      "SELECT 'fq' || i, 'other:' || i FROM generate_series(1, 50) AS i")
    with db.connect() as w:  # a superuser session: it may read its own transaction's stats
        assert w.execute(CLAIM, ("fs", "fs:1", 3, 5)).fetchone() == (0,)
        assert waiting(db, "fs") == ["fs:1"]

        def full_claim_scans() -> int:
            enqueue(db, tenant, "fs", 3)
            # the session's counts not flushed yet, earlier transactions' included: a difference
            scans = ("SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables "
                     "WHERE schemaname = 'internal' AND relname = 'waiting_workers'")
            with w.transaction():
                before = w.execute(scans).fetchone()[0]
                assert w.execute(CLAIM, ("fs", "fs:1", 3, 5)).fetchone() == (3,)
                return w.execute(scans).fetchone()[0] - before

        assert full_claim_scans() >= 1  # busy now: it unregisters
        assert waiting(db, "fs") == []
        assert full_claim_scans() == 0  # busy still: nothing to take away
        assert full_claim_scans() == 0
