"""A step's value as the first dispatch sees it must be the value a replay sees: the replay
reads it back from its jsonb checkpoint, which orders object keys (shorter first) and prints
numbers without exponents. The first dispatch got json.loads(json.dumps(value)), so a flow
that looped over a returned dict ran its steps in one order and replayed them in another
(NonDeterminismError on a correct flow), and a float 1e20 passed on to the next step hashed
as '1e+20' the first time and as '100000000000000000000' on replay. Now the first dispatch
gets the checkpoint's own value back from the statement that records it."""

from __future__ import annotations

from typing import Any

from claw.flows import FlowContext, Flows
from conftest import Database, Tenant
from test_flows import aio, move_clock, run_row, serve, start, status_is, tenant  # noqa: F401


@aio
async def test_a_replay_sees_the_values_the_first_dispatch_saw(db: Database,
                                                             tenant: Tenant) -> None:
    flows = Flows()
    seen: list[Any] = []

    async def plan() -> dict[str, Any]:
        return {"bob": 1, "amy": 2, "n": 1e20, "z": -0.0, "x": [{"yy": 1, "b": 2}]}

    async def work(name: str, n: Any) -> str:
        return f"{name}:{n!r}"

    async def pay(provider_key: str, request: Any) -> dict[str, Any]:
        return {"zz": 1, "a": 2.5e-7}

    @flows.flow("values.order")
    async def order(ctx: FlowContext, inp: Any) -> Any:
        tasks = await ctx.run("plan", plan)
        seen.append(repr(tasks))
        done = [await ctx.run(f"do:{name}", work, name, tasks["n"])
                for name in tasks if name in ("bob", "amy")]
        await ctx.sleep(10)
        return done

    run = start(db, tenant, "values.order")
    await serve(db, flows, status_is(db, run, "sleeping"))
    move_clock(db, 11)
    await serve(db, flows, status_is(db, run, "completed", "failed"))
    row = run_row(db, run)
    assert row["status"] == "completed", row["error"]
    assert len(seen) == 2 and seen[0] == seen[1], seen
