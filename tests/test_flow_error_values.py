"""Errors and inputs PostgreSQL or Python cannot carry as they are (found by an outside-in
probe of the flows runtime). Each test fails on the code before the fix:
  * a step whose exception message holds a NUL: the failure report itself was refused
    (PostgreSQL text holds no NUL; psycopg refuses it client-side, with no SQLSTATE), so the
    job was retried and the step, side effects included, ran again on every job attempt;
  * the same from the flow function itself: its FAIL_RUN jsonb was refused (22P05) and the
    run stayed 'running';
  * an exception message over 64 KiB (an upstream error page): the report was CL422 'input
    too large' and the run failed at once, whatever attempts the step's policy had left;
  * a run input with a number longer than Python reads (4,300 digits; jsonb holds 1e5000):
    every claim raised ValueError and the run stayed 'running'."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from claw.flows import FlowContext, Flows, RetryPolicy
from conftest import Database, Tenant
from test_flows import aio, move_clock, run_row, serve, start, status_is, tenant  # noqa: F401


async def served_until(db: Database, flows: Flows, done: Any) -> None:
    """Serve while moving the clock along, so that job retries' backoffs pass quickly."""
    async def bump() -> None:
        for _ in range(40):
            await asyncio.sleep(0.2)
            await asyncio.to_thread(move_clock, db, 120)

    mover = asyncio.create_task(bump())
    try:
        await serve(db, flows, done, timeout=20)
    finally:
        mover.cancel()


@aio
async def test_a_step_error_with_a_nul_fails_the_step_once(db: Database, tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    flows = Flows()

    async def charge() -> None:
        calls["charge"] += 1
        raise ValueError("upstream said: \x00\x01garbage")

    @flows.flow("err.nul")
    async def nul(ctx: FlowContext, inp: Any) -> Any:
        return await ctx.run("charge", charge, retry=RetryPolicy(max_attempts=1))

    run = start(db, tenant, "err.nul")
    await served_until(db, flows, lambda: run_row(db, run)["status"] == "failed"
                       or calls["charge"] >= 3)
    assert calls["charge"] == 1
    row = run_row(db, run)
    assert row["status"] == "failed" and "\\x00" in str(row["error"]), row


@aio
async def test_a_flow_error_with_a_nul_fails_the_run(db: Database, tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    flows = Flows()

    @flows.flow("err.nulrun")
    async def nulrun(ctx: FlowContext, inp: Any) -> Any:
        calls["body"] += 1
        raise ValueError("bad record: a\x00b")

    run = start(db, tenant, "err.nulrun")
    await served_until(db, flows, lambda: run_row(db, run)["status"] == "failed"
                       or calls["body"] >= 3)
    assert run_row(db, run)["status"] == "failed" and calls["body"] == 1


@aio
async def test_a_step_error_over_64_kib_keeps_the_retry_policy(db: Database,
                                                              tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    flows = Flows()

    async def fetch() -> str:
        calls["fetch"] += 1
        if calls["fetch"] == 1:
            raise RuntimeError("502 Bad Gateway: <html>" + "x" * 70_000)
        return "fine"

    @flows.flow("err.long")
    async def long(ctx: FlowContext, inp: Any) -> Any:
        return await ctx.run("fetch", fetch, retry=RetryPolicy(max_attempts=3, backoff=1))

    run = start(db, tenant, "err.long")
    await served_until(db, flows, status_is(db, run, "failed", "completed"))
    row = run_row(db, run)
    assert row["status"] == "completed" and row["output"] == "fine", (calls, row["error"])


@aio
async def test_an_input_number_python_cannot_read_fails_the_run(db: Database,
                                                                tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    flows = Flows()

    @flows.flow("err.bignum")
    async def bignum(ctx: FlowContext, inp: Any) -> Any:
        calls["body"] += 1
        return "ok"

    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        [(run,)] = conn.execute("SELECT run_id::text FROM api.start_flow_run(p_flow_name => "
                                "'err.bignum', p_input => '{\"n\": 1e5000}'::jsonb)").fetchall()
    await served_until(db, flows, lambda: run_row(db, run)["status"] in ("failed", "completed"))
    row = run_row(db, run)
    assert row["status"] == "failed" and "cannot be read" in str(row["error"]), row
    assert calls["body"] == 0
