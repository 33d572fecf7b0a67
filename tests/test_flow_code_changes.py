"""Flow code that does what a run's history cannot replay must fail the run with a clear
error, not loop or complete over it (found by an outside-in probe of the flows runtime):
  * steps awaited together (asyncio.gather over ctx.run): the faster one recorded out of
    order (CL409), which the runtime took for a lost lease, so the job was retried and both
    steps, side effects included, ran again on every attempt;
  * code that returns before the recorded history ends (a deploy that dropped steps): the
    run completed, its recorded steps and pending sleep ignored."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from claw.flows import FlowContext, Flows
from conftest import Database, Tenant
from test_flow_error_values import served_until
from test_flows import aio, move_clock, run_row, serve, start, status_is, tenant  # noqa: F401


@aio
async def test_steps_awaited_together_fail_the_run_once(db: Database, tenant: Tenant) -> None:
    calls: Counter[str] = Counter()
    flows = Flows()

    async def slow() -> str:
        calls["slow"] += 1
        await asyncio.sleep(0.2)
        return "slow"

    async def fast() -> str:
        calls["fast"] += 1
        return "fast"

    @flows.flow("code.gather")
    async def gathered(ctx: FlowContext, inp: Any) -> Any:
        return await asyncio.gather(ctx.run("slow", slow), ctx.run("fast", fast))

    run = start(db, tenant, "code.gather")
    await served_until(db, flows, lambda: run_row(db, run)["status"] in ("failed", "completed")
                       or calls["fast"] >= 3)
    row = run_row(db, run)
    assert row["status"] == "failed" and calls["fast"] == 1, (calls, row)
    assert row["error"]["kind"] == "concurrent_steps", row["error"]


@aio
async def test_code_that_returns_before_its_recorded_steps_fails_the_run(
        db: Database, tenant: Tenant) -> None:
    async def const(n: int) -> int:
        return n

    old = Flows()

    @old.flow("code.shrink")
    async def v_old(ctx: FlowContext, inp: Any) -> Any:
        await ctx.run("a", const, 1)
        await ctx.run("b", const, 2)
        await ctx.sleep(60)
        return "old"

    run = start(db, tenant, "code.shrink")
    await serve(db, old, status_is(db, run, "sleeping"))
    new = Flows()

    @new.flow("code.shrink")
    async def v_new(ctx: FlowContext, inp: Any) -> Any:
        await ctx.run("a", const, 1)
        return "new"

    move_clock(db, 61)
    await serve(db, new, status_is(db, run, "completed", "failed"))
    row = run_row(db, run)
    assert row["status"] == "failed", row
    assert row["error"]["kind"] == "non_determinism" and row["error"]["position"] == 1, row
