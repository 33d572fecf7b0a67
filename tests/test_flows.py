"""The Python flow SDK against a real database and the real queue worker: replay from
checkpoints, the non-determinism error, versions and patch markers, timers with the
injectable clock, signals (first write wins, delivered once), cancel, child flows, fork,
transactional steps, effects (idempotent provider, reconciled provider, unknown outcome
resolved by a person), the trace id. (One-session SQL behaviour: tests/sql/30_flow.sql.)"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import psycopg
import pytest

from claw.flows import FlowContext, Flows, RetryPolicy
from claw.worker import Worker
from conftest import Database, Tenant, seed_tenants


def aio(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test on its own event loop."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))
    return run


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return seed_tenants(db, names=("a",), extra_principals=0)["a"]


def start(db: Database, tenant: Tenant, name: str, input: Any = None, version: int = 1,
          key: str | None = None, trace_id: str | None = None) -> str:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        row = conn.execute("SELECT run_id::text FROM api.start_flow_run(p_flow_name => %s, "
                           "p_input => %s, p_flow_version => %s, p_idempotency_key => %s, "
                           "p_trace_id => %s)",
                           (name, json.dumps(input or {}), version, key, trace_id)).fetchone()
    assert row is not None
    return str(row[0])


def as_owner(db: Database, tenant: Tenant, sql: str, args: tuple[Any, ...] = ()) -> Any:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def run_row(db: Database, run_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        cur = conn.execute("SELECT status, output, error, next_position, flow_version, trace_id "
                           "FROM flow.runs WHERE run_id = %s", (run_id,))
        row = cur.fetchone()
    assert row is not None
    return dict(zip(("status", "output", "error", "next_position", "version", "trace_id"), row,
                    strict=True))


def steps(db: Database, run_id: str) -> list[tuple[int, str, str]]:
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            "SELECT position, kind, name FROM flow.steps WHERE run_id = %s ORDER BY position",
            (run_id,)).fetchall()]


def move_clock(db: Database, seconds: float) -> None:
    with db.connect() as conn:
        conn.execute("UPDATE internal.clock SET offset_by = offset_by + make_interval(secs => %s)",
                     (seconds,))


async def serve(db: Database, flows: Flows, until: Callable[[], bool], timeout: float = 30,
                lease: int = 30) -> None:
    """Run a queue worker with these flows installed until `until()` holds."""
    worker = Worker(db.url("claw_worker"), queues=["flows"], concurrency=4, lease_seconds=lease,
                    poll_interval=0.05, grace=0.2, tick=False, maintain=False)
    flows.dsn = None
    flows.install(worker)
    task = asyncio.create_task(worker.run(install_signals=False))
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await asyncio.to_thread(until):
            if task.done():
                await task
            if asyncio.get_running_loop().time() > deadline:
                with db.connect() as conn:
                    state = conn.execute("SELECT flow_name, flow_version, status, error::text "
                                         "FROM flow.runs").fetchall()
                raise AssertionError(f"timed out; runs: {state}")
            await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await task
        await flows.close()


def status_is(db: Database, run_id: str, *status: str) -> Callable[[], bool]:
    return lambda: run_row(db, run_id)["status"] in status


# -- replay, timers -----------------------------------------------------------------------------

@aio
async def test_replay_returns_checkpoints_and_timers_follow_the_injectable_clock(
        db: Database, tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    flows = Flows()

    @flows.step()
    async def fetch(n: int) -> dict[str, int]:
        calls["fetch"] += 1
        return {"rows": n}

    @flows.flow("replay.demo")
    async def demo(ctx: FlowContext, inp: dict[str, Any]) -> dict[str, Any]:
        data = await fetch(inp["n"])
        summary = await ctx.run("summarise", lambda: _count(calls, "summarise", data["rows"] * 2))
        await ctx.sleep(3600)
        calls["after sleep"] += 1
        return {"summary": summary}

    run = start(db, tenant, "replay.demo", {"n": 21})
    await serve(db, flows, status_is(db, run, "sleeping"))
    assert calls == Counter({"fetch": 1, "summarise": 1})
    move_clock(db, 1800)
    await asyncio.sleep(0.3)
    assert run_row(db, run)["status"] == "sleeping"  # not due yet (nothing claimed it)
    move_clock(db, 1801)
    await serve(db, flows, status_is(db, run, "completed"))
    # the second dispatch replayed fetch and summarise from their checkpoints
    assert calls == Counter({"fetch": 1, "summarise": 1, "after sleep": 1})
    assert run_row(db, run)["output"] == {"summary": 42}
    assert steps(db, run) == [(0, "step", "fetch"), (1, "step", "summarise"), (2, "sleep", "sleep")]


async def _count(calls: Counter[str], key: str, value: int) -> int:
    calls[key] += 1
    return value


@aio
async def test_a_worker_stopped_mid_step_is_replaced_and_completed_steps_are_not_rerun(
        db: Database, tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    gate = asyncio.Event()
    flows = Flows()

    @flows.flow("replay.crash")
    async def crashy(ctx: FlowContext, inp: Any) -> str:
        await ctx.run("one", lambda: _count(calls, "one", 1))

        async def slow() -> int:
            calls["two started"] += 1
            if calls["two started"] == 1:
                await asyncio.sleep(3600)  # the first worker never finishes this step
            return 2
        await ctx.run("two", slow)
        gate.set()
        return "done"

    run = start(db, tenant, "replay.crash")
    # first worker: stopped while step two runs (its handler is cancelled, the job released)
    await serve(db, flows, lambda: calls["two started"] == 1)
    assert run_row(db, run)["status"] == "running" and run_row(db, run)["next_position"] == 1
    await serve(db, flows, status_is(db, run, "completed"))
    assert calls == Counter({"one": 1, "two started": 2})


# -- non-determinism, versions, patch markers ----------------------------------------------------

@aio
async def test_code_that_no_longer_matches_the_history_fails_with_a_clear_error(
        db: Database, tenant: Tenant) -> None:
    old = Flows()

    @old.flow("nd.flow")
    async def v_old(ctx: FlowContext, inp: Any) -> None:
        await ctx.run("a", _const, 1)
        await ctx.run("b", _const, 2)
        await ctx.sleep(60)

    run = start(db, tenant, "nd.flow")
    await serve(db, old, status_is(db, run, "sleeping"))
    new = Flows()

    @new.flow("nd.flow")
    async def v_new(ctx: FlowContext, inp: Any) -> None:
        await ctx.run("a", _const, 1)
        await ctx.run("c", _const, 2)  # a deploy replaced step b
        await ctx.sleep(60)

    move_clock(db, 61)
    await serve(db, new, status_is(db, run, "failed"))
    error = run_row(db, run)["error"]
    assert error["kind"] == "non_determinism" and error["position"] == 1
    assert "flow 'nd.flow' version 1" in error["message"]
    assert "step 1 was recorded as step 'b'" in error["message"]
    assert "now asks for step 'c'" in error["message"]


async def _const(value: Any) -> Any:
    return value


@aio
async def test_patch_markers_let_old_runs_keep_their_path_and_versions_pick_the_code(
        db: Database, tenant: Tenant) -> None:
    ran: list[str] = []
    old = Flows()

    @old.flow("patch.flow")
    async def before(ctx: FlowContext, inp: Any) -> list[str]:
        await ctx.run("a", lambda: _note(ran, "a"))
        await ctx.sleep(60)
        await ctx.run("b", lambda: _note(ran, "b"))
        return ran

    mid_way = start(db, tenant, "patch.flow")
    await serve(db, old, status_is(db, mid_way, "sleeping"))
    new = Flows()

    @new.flow("patch.flow")
    async def after(ctx: FlowContext, inp: Any) -> str:
        await ctx.run("a", lambda: _note(ran, "a"))
        if await ctx.patched("audit-first"):  # a step added before the sleep
            await ctx.run("audit", lambda: _note(ran, "audit"))
        await ctx.sleep(60)
        await ctx.run("b", lambda: _note(ran, "b"))
        return "new code"

    @new.flow("patch.flow", version=2)
    async def v2(ctx: FlowContext, inp: Any) -> str:
        return "version 2"

    fresh = start(db, tenant, "patch.flow")
    v2_run = start(db, tenant, "patch.flow", version=2)
    v3_run = start(db, tenant, "patch.flow", version=3)
    move_clock(db, 61)
    await serve(db, new, lambda: run_row(db, mid_way)["status"] == "completed"
                and run_row(db, fresh)["status"] == "sleeping"
                and run_row(db, v2_run)["status"] == "completed")
    # the run recorded before the patch skipped the new step; it was not stranded
    assert [s[2] for s in steps(db, mid_way)] == ["a", "sleep", "b"]
    assert [s[2] for s in steps(db, fresh)] == ["a", "patch:audit-first", "audit"]
    assert run_row(db, v2_run)["output"] == "version 2"
    # a version no worker has stays put; its job says why
    assert run_row(db, v3_run)["status"] == "running"
    with db.connect() as conn:
        errors = conn.execute("SELECT errors::text FROM queue.jobs j JOIN flow.runs r "
                              "ON r.job_id = j.job_id WHERE r.run_id = %s", (v3_run,)).fetchone()
    assert errors is not None and "version 3 is not registered" in errors[0]


async def _note(ran: list[str], what: str) -> str:
    ran.append(what)
    return what


# -- signals ------------------------------------------------------------------------------------

@aio
async def test_signals_first_write_wins_delivered_once_and_timeouts(db: Database,
                                                                     tenant: Tenant) -> None:
    flows = Flows()

    @flows.flow("approve")
    async def approve(ctx: FlowContext, inp: Any) -> dict[str, Any]:
        first = await ctx.wait_for_signal("approval", timeout=600)
        again = await ctx.wait_for_signal("approval", timeout=0)  # delivered once: not again
        return {"first": first, "again": again}

    approved = start(db, tenant, "approve")
    silent = start(db, tenant, "approve")
    await serve(db, flows, lambda: run_row(db, approved)["status"] == "waiting"
                and run_row(db, silent)["status"] == "waiting")
    send = "SELECT api.send_flow_signal(p_run_id => %s, p_name => 'approval', p_payload => %s)"
    assert as_owner(db, tenant, send, (approved, json.dumps({"by": "alice"}))) is True
    assert as_owner(db, tenant, send, (approved, json.dumps({"by": "mallory"}))) is False
    await serve(db, flows, status_is(db, approved, "completed"))
    assert run_row(db, approved)["output"] == {"first": {"by": "alice"}, "again": None}
    assert run_row(db, silent)["status"] == "waiting"
    move_clock(db, 601)
    await serve(db, flows, status_is(db, silent, "completed"))
    assert run_row(db, silent)["output"] == {"first": None, "again": None}


# -- cancel ---------------------------------------------------------------------------------------

@aio
async def test_cancel_a_running_flow_stops_it_at_the_next_checkpoint(db: Database,
                                                                      tenant: Tenant) -> None:
    ran: list[str] = []
    release = asyncio.Event()
    flows = Flows()

    async def long_step() -> str:
        ran.append("long started")
        await release.wait()
        return "long done"

    @flows.flow("cancel.me")
    async def cancellable(ctx: FlowContext, inp: Any) -> None:
        await ctx.run("long", long_step)
        await ctx.run("after", lambda: _note(ran, "after"))

    run = start(db, tenant, "cancel.me")
    pending = start(db, tenant, "not.served.yet")
    assert as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (pending,)) == "cancelled"

    async def cancel_when_started() -> None:
        while "long started" not in ran:
            await asyncio.sleep(0.02)
        state = await asyncio.to_thread(as_owner, db, tenant,
                                        "SELECT api.cancel_flow_run(%s)", (run,))
        assert state == "cancelling"
        release.set()

    canceller = asyncio.create_task(cancel_when_started())
    await serve(db, flows, status_is(db, run, "cancelled"))
    await canceller
    assert ran == ["long started"]  # the running step finished; nothing after it ran
    assert [s[2] for s in steps(db, run)] == ["long"]


@aio
async def test_a_step_that_runs_on_sees_the_cancel_and_is_abandoned(db: Database,
                                                                    tenant: Tenant) -> None:
    ran: list[str] = []
    flows = Flows(cancel_poll=0.1)

    async def endless() -> str:
        ran.append("endless started")
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            ran.append("endless cancelled")
            raise
        return "never"

    @flows.flow("cancel.endless")
    async def stuck(ctx: FlowContext, inp: Any) -> None:
        await ctx.run("endless", endless)
        await ctx.run("after", lambda: _note(ran, "after"))

    run = start(db, tenant, "cancel.endless")

    async def cancel_when_started() -> None:
        while "endless started" not in ran:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(as_owner, db, tenant, "SELECT api.cancel_flow_run(%s)", (run,))

    canceller = asyncio.create_task(cancel_when_started())
    await serve(db, flows, status_is(db, run, "cancelled"))
    await canceller
    assert ran == ["endless started", "endless cancelled"]
    assert steps(db, run) == [] and run_row(db, run)["error"]["during_position"] == 0


# -- children, fork ---------------------------------------------------------------------------------

@aio
async def test_a_parent_waits_for_its_children(db: Database, tenant: Tenant) -> None:
    flows = Flows()

    @flows.flow("child")
    async def child(ctx: FlowContext, inp: dict[str, int]) -> int:
        await ctx.sleep(30)
        return inp["n"] * 10

    @flows.flow("parent")
    async def parent(ctx: FlowContext, inp: Any) -> list[Any]:
        kids = [await ctx.start_child("child", {"n": n}) for n in (1, 2)]
        return [(await ctx.wait_child(k))["output"] for k in kids]

    run = start(db, tenant, "parent")
    # both children asleep before the clock moves (the parent waits as soon as it started
    # them; a child that first runs after the move would sleep 30 s from the moved clock)
    await serve(db, flows, lambda: status_is(db, run, "waiting")()
                and children_of(db, run) == ["sleeping", "sleeping"])
    move_clock(db, 31)
    await serve(db, flows, status_is(db, run, "completed"))
    assert run_row(db, run)["output"] == [10, 20]
    with db.connect() as conn:
        kids = conn.execute("SELECT count(*), min(trace_id) = max(trace_id) FROM flow.runs "
                            "WHERE parent_run_id = %s", (run,)).fetchone()
    assert kids == (2, True)  # started once each, despite the replays


@aio
async def test_a_child_cancelled_while_running_and_stopped_since_wakes_its_parent(
        db: Database, tenant: Tenant) -> None:
    """A cancel requested while the child ran, and found by the child's next claim after it
    stopped without finishing (here a sleep; in the wild a retry backoff or a blocked effect
    a person resolved): the child ends cancelled with its error and the parent, waiting for
    it, is woken. Before, that claim set the status alone and the parent waited for ever."""
    flows = Flows()

    @flows.flow("child")
    async def child(ctx: FlowContext, inp: Any) -> str:
        await ctx.sleep(30)
        return "done"

    @flows.flow("parent")
    async def parent(ctx: FlowContext, inp: Any) -> Any:
        kid = await ctx.start_child("child", {})
        return (await ctx.wait_child(kid))["status"]

    run = start(db, tenant, "parent")
    await serve(db, flows, lambda: status_is(db, run, "waiting")()
                and children_of(db, run) == ["sleeping"])
    with db.connect() as conn:
        conn.execute("UPDATE flow.runs SET cancel_requested_at = now() WHERE parent_run_id = %s",
                     (run,))
    move_clock(db, 31)
    await serve(db, flows, status_is(db, run, "completed"), timeout=15)
    assert run_row(db, run)["output"] == "cancelled"
    with db.connect() as conn:
        assert conn.execute("SELECT status, error FROM flow.runs WHERE parent_run_id = %s",
                            (run,)).fetchone() == ("cancelled", {"message": "cancelled"})


@pytest.mark.parametrize("output", ["a\x00b", float("nan"), "x" * 300_000, [0] * 60_000],
                         ids=["nul", "nan", "too large", "too large as jsonb"])
@aio
async def test_a_step_whose_output_cannot_be_recorded_runs_once_and_fails_the_run(
        db: Database, tenant: Tenant, output: Any) -> None:
    """PostgreSQL refuses the checkpoint (jsonb has no NUL, NaN is not JSON, the size limit,
    which the server checks on the binary jsonb: 60,000 zeros are 120 kB of JSON, 720 kB of it):
    the step ran once and its side effect happened; running it again would repeat the effect
    and fail the same way. The run fails with a clear error. Before, every job attempt re-ran
    the step (three runs seen in three attempts, up to the job's 100)."""
    calls: Counter[str] = Counter()
    flows = Flows()

    async def charge() -> Any:
        calls["charge"] += 1
        return output

    @flows.flow("unrecordable")
    async def flow(ctx: FlowContext, inp: Any) -> Any:
        return await ctx.run("charge", charge)

    @flows.flow("unrecordable-result")
    async def result(ctx: FlowContext, inp: Any) -> Any:
        await ctx.run("fine", _const, 1)
        return output

    run = start(db, tenant, "unrecordable")
    await serve(db, flows, status_is(db, run, "failed"))
    await asyncio.sleep(0.3)
    assert calls["charge"] == 1
    assert "cannot be recorded" in run_row(db, run)["error"]["message"]
    # the same value as the run's result: the run fails (it was dispatched again and again)
    run = start(db, tenant, "unrecordable-result")
    await serve(db, flows, status_is(db, run, "failed"))
    assert "result cannot be recorded" in run_row(db, run)["error"]["message"]


class Client:
    """An argument with object's own repr (its memory address), like an HTTP client."""


def test_a_step_input_hash_is_the_same_in_every_process() -> None:
    """A replay by another worker process must find the same hash: an object argument is
    hashed by its type, not its address, and a set in sorted order, not hash-seed order."""
    import subprocess
    import sys
    code = ("import sys; sys.path.insert(0, 'tests'); from test_flows import Client; "
            "from claw.flows.runtime import input_hash; "
            "print(input_hash('s', (Client(), {'alpha', 'beta', 'gamma', 'delta'}, 1), {}))")
    hashes = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env={**__import__("os").environ,
                                              "PYTHONHASHSEED": str(seed)}).stdout
              for seed in range(4)}
    assert len(hashes) == 1, hashes
    from claw.flows.runtime import input_hash
    # plain data hashes as before (runs recorded before this change replay unchanged)
    assert input_hash("s", ({"n": 1, "id": UUID(int=7)},), {}) == __import__("hashlib").sha256(
        json.dumps(("s", ({"n": 1, "id": UUID(int=7)},), {}), sort_keys=True,
                   separators=(",", ":"), default=str).encode()).hexdigest()


def _sleeping_children_flows() -> Flows:
    flows = Flows()

    @flows.flow("child")
    async def child(ctx: FlowContext, inp: dict[str, int]) -> int:
        await ctx.sleep(30)
        return inp["n"]

    @flows.flow("parent")
    async def parent(ctx: FlowContext, inp: Any) -> list[Any]:
        kids = [await ctx.start_child("child", {"n": n}) for n in (1, 2)]
        return [(await ctx.wait_child(k))["output"] for k in kids]

    return flows


def children_of(db: Database, run: str) -> list[str]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute("SELECT status FROM flow.runs WHERE parent_run_id = %s "
                                           "ORDER BY run_id", (run,)).fetchall()]


@aio
async def test_cancelling_a_parent_cancels_its_unfinished_children(db: Database,
                                                                   tenant: Tenant) -> None:
    flows = _sleeping_children_flows()
    run = start(db, tenant, "parent")
    await serve(db, flows, lambda: status_is(db, run, "waiting")()
                and children_of(db, run) == ["sleeping", "sleeping"])
    assert as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (run,)) == "cancelled"
    assert run_row(db, run)["status"] == "cancelled"
    assert children_of(db, run) == ["cancelled", "cancelled"]


@aio
async def test_a_cancel_that_finds_a_child_busy_changes_nothing(db: Database,
                                                                 tenant: Tenant) -> None:
    flows = _sleeping_children_flows()
    run = start(db, tenant, "parent")
    await serve(db, flows, lambda: status_is(db, run, "waiting")()
                and children_of(db, run) == ["sleeping", "sleeping"])
    with db.connect() as holder, holder.transaction():  # a worker call holding one child
        holder.execute("SELECT 1 FROM flow.runs WHERE parent_run_id = %s ORDER BY run_id "
                       "LIMIT 1 FOR UPDATE", (run,))
        with pytest.raises(psycopg.Error) as err:
            as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (run,))
        assert err.value.sqlstate == "CL409" and "busy" in str(err.value)
    assert run_row(db, run)["status"] == "waiting"
    assert children_of(db, run) == ["sleeping", "sleeping"]
    assert as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (run,)) == "cancelled"
    assert children_of(db, run) == ["cancelled", "cancelled"]


@aio
async def test_fork_a_failed_run_from_the_failed_step(db: Database, tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    broken = {"yes": True}
    flows = Flows()

    async def flaky() -> str:
        calls["flaky"] += 1
        if broken["yes"]:
            raise RuntimeError("upstream 500")
        return "fine"

    @flows.flow("forkable")
    async def forkable(ctx: FlowContext, inp: Any) -> str:
        await ctx.run("one", lambda: _count(calls, "one", 1))
        return await ctx.run("flaky", flaky, retry=RetryPolicy(max_attempts=2, backoff=5))

    run = start(db, tenant, "forkable")
    await serve(db, flows, status_is(db, run, "sleeping"))
    move_clock(db, 6)
    await serve(db, flows, status_is(db, run, "failed"))
    assert calls == Counter({"one": 1, "flaky": 2})
    assert run_row(db, run)["error"]["message"] == "RuntimeError: upstream 500"
    broken["yes"] = False
    fork = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,)))
    await serve(db, flows, status_is(db, fork, "completed"))
    assert calls == Counter({"one": 1, "flaky": 3})  # step one came from the copy
    assert run_row(db, fork)["output"] == "fine"


# -- transactional step, trace id -------------------------------------------------------------------

@aio
async def test_a_transactional_step_commits_its_write_with_its_checkpoint(
        db: Database, tenant: Tenant, caplog: pytest.LogCaptureFixture) -> None:
    flows = Flows()

    async def enqueue(conn: psycopg.AsyncConnection[Any]) -> str:
        cur = await conn.execute("SELECT job_id::text FROM api.enqueue_job(p_queue => 'mail', "
                                 "p_kind => 'noop')")
        row = await cur.fetchone()
        assert row is not None
        return str(row[0])

    @flows.flow("tx")
    async def tx(ctx: FlowContext, inp: Any) -> str:
        job = await ctx.transaction("enqueue-mail", enqueue)
        await ctx.sleep(10)
        return job

    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    run = start(db, tenant, "tx", trace_id=trace)
    caplog.set_level(logging.INFO, logger="claw")
    await serve(db, flows, status_is(db, run, "sleeping"))
    move_clock(db, 11)
    await serve(db, flows, status_is(db, run, "completed"))
    with db.connect() as conn:
        jobs = conn.execute("SELECT job_id::text, trace_id FROM queue.jobs WHERE queue = 'mail'"
                            ).fetchall()
        dispatch = conn.execute("SELECT DISTINCT trace_id FROM queue.job_history "
                                "WHERE kind = 'flow.run'").fetchall()
    assert [j[0] for j in jobs] == [run_row(db, run)["output"]]  # enqueued exactly once
    assert run_row(db, run)["trace_id"] == trace and dispatch == [(trace,)]
    with db.connect() as conn:
        audited = conn.execute("SELECT DISTINCT trace_id FROM audit.events WHERE target_id = %s",
                               (run,)).fetchall()
    assert audited == [(trace,)]  # every transition of the run in the ledger carries it
    flow_logs = [r for r in caplog.records if r.name == "claw.flows"]
    assert flow_logs and all(getattr(r, "trace_id", None) == trace for r in flow_logs)


# -- effects ------------------------------------------------------------------------------------------

class FakeProvider:
    """A provider in memory. Honours keys (idempotent) or not; `lose_first_response`
    delivers the first call and then fails as if the connection dropped."""

    def __init__(self, name: str, idempotent: bool, lose_first_response: bool = False,
                 lookup_fails: bool = False) -> None:
        self.name, self.idempotent = name, idempotent
        self.delivered: dict[str, list[dict[str, Any]]] = {}
        self.calls = 0
        self.lose_first_response = lose_first_response
        self.lookup_fails = lookup_fails

    async def send(self, key: str, request: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if not (self.idempotent and key in self.delivered):
            self.delivered.setdefault(key, []).append(request)
        if self.lose_first_response and self.calls == 1:
            raise ConnectionError("connection reset after the request was sent")
        return {"id": f"{self.name}-{key}", "n": len(self.delivered[key])}

    async def lookup(self, key: str) -> dict[str, Any] | None:
        if self.lookup_fails:
            raise TimeoutError("lookup endpoint timed out")
        if key in self.delivered:
            return {"id": f"{self.name}-{key}", "n": len(self.delivered[key])}
        return None


@aio
async def test_effects_are_delivered_once_when_the_response_is_lost(db: Database,
                                                                     tenant: Tenant) -> None:
    square = FakeProvider("square", idempotent=True, lose_first_response=True)
    twilio = FakeProvider("twilio", idempotent=False, lose_first_response=True)
    flows = Flows()

    @flows.flow("pay.and.text")
    async def pay(ctx: FlowContext, inp: Any) -> list[Any]:
        charge = await ctx.effect("charge", square, {"amount": 4200},
                                  retry=RetryPolicy(backoff=0.1))
        sms = await ctx.effect("sms", twilio, {"to": "+61400000000", "body": "paid"},
                               retry=RetryPolicy(backoff=0.1))
        return [charge, sms]

    run = start(db, tenant, "pay.and.text")
    await serve(db, flows, status_is(db, run, "completed"))
    assert square.calls == 2 and [len(v) for v in square.delivered.values()] == [1]
    assert twilio.calls == 1 and [len(v) for v in twilio.delivered.values()] == [1]
    with db.connect() as conn:
        effects = conn.execute("SELECT provider, status, sends FROM flow.effects "
                               "WHERE run_id = %s ORDER BY position", (run,)).fetchall()
    # square: re-sent with the same key (the provider answered with the first result);
    # twilio: looked up, found delivered, never sent again
    assert effects == [("square", "confirmed", 2), ("twilio", "reconciled", 1)]
    assert run_row(db, run)["output"][1]["n"] == 1


@aio
async def test_an_effect_whose_outcome_stays_unknown_blocks_the_run_for_a_person(
        db: Database, tenant: Tenant) -> None:
    twilio = FakeProvider("twilio", idempotent=False, lose_first_response=True, lookup_fails=True)
    flows = Flows()

    @flows.flow("text")
    async def text(ctx: FlowContext, inp: Any) -> Any:
        return await ctx.effect("sms", twilio, {"to": "+61400000000"},
                                retry=RetryPolicy(backoff=0.1))

    run = start(db, tenant, "text")
    await serve(db, flows, status_is(db, run, "blocked"))
    assert twilio.calls == 1  # never retried blindly
    unknown = as_owner(db, tenant, "SELECT count(*) FROM api.list_flow_effects(p_status => 'unknown')")
    assert unknown == 1
    state = as_owner(db, tenant, "SELECT api.resolve_flow_effect(%s, 0, true, %s, 'seen in console')",
                     (run, json.dumps({"sid": "SM42"})))
    assert state == "reconciled"
    await serve(db, flows, status_is(db, run, "completed"))
    assert twilio.calls == 1 and run_row(db, run)["output"] == {"sid": "SM42"}


@pytest.mark.parametrize("end", ["failed", "cancelled"])
@aio
async def test_an_effect_left_sent_by_a_run_that_ended_is_unknown_for_a_person(
        db: Database, tenant: Tenant, end: str) -> None:
    """The provider delivered and the connection dropped; then the run failed (no attempts
    left) or was cancelled during its retry backoff. Nothing will look the effect up now:
    it is 'unknown', where a person finds it. It stayed 'sent' before, in no list."""
    twilio = FakeProvider("twilio", idempotent=False, lose_first_response=True)
    flows = Flows()

    @flows.flow("text")
    async def text(ctx: FlowContext, inp: Any) -> Any:
        return await ctx.effect("sms", twilio, {"to": "+61400000000"}, retry=RetryPolicy(
            max_attempts=1 if end == "failed" else 3, backoff=3600, backoff_max=3600))

    run = start(db, tenant, "text")
    await serve(db, flows, status_is(db, run, "failed" if end == "failed" else "sleeping"))
    if end == "cancelled":
        assert as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (run,)) == "cancelled"
    assert run_row(db, run)["status"] == end
    assert twilio.calls == 1
    assert as_owner(db, tenant, "SELECT count(*) FROM api.list_flow_effects("
                                "p_status => 'unknown')") == 1


@aio
async def test_a_second_wait_for_a_delivered_signal_name_fails_the_run_not_waits_for_ever(
        db: Database, tenant: Tenant) -> None:
    """Signal names are first-write-wins per run: a loop waiting for 'tick' twice got the
    first tick, then waited for ever (the second send is refused). The run fails, saying
    which step had the signal and what to do."""
    flows = Flows()

    @flows.flow("ticker")
    async def ticker(ctx: FlowContext, inp: Any) -> Any:
        first = await ctx.wait_for_signal("tick")
        second = await ctx.wait_for_signal("tick")
        return [first, second]

    run = start(db, tenant, "ticker")
    await serve(db, flows, status_is(db, run, "waiting"))
    assert as_owner(db, tenant, "SELECT api.send_flow_signal(%s, 'tick', '{\"n\": 1}')",
                    (run,)) is True
    await serve(db, flows, status_is(db, run, "failed"))
    error = run_row(db, run)["error"]
    assert "already delivered to step 0" in error["message"] and error["position"] == 1


def test_flow_rows_are_visible_only_in_their_tenant(db: Database) -> None:
    tenants = seed_tenants(db, names=("a", "b"), extra_principals=0)
    run = start(db, tenants["a"], "iso")
    with pytest.raises(psycopg.Error) as exc:
        as_owner(db, tenants["b"], "SELECT status FROM api.get_flow_run(%s)", (run,))
    assert exc.value.sqlstate == "CL404"
    assert UUID(run)
