"""A run's history has a ceiling. Every dispatch hands the worker the run's whole recorded
history as one jsonb; a run that kept recording (a loop of steps, large outputs) grew past
what PostgreSQL can aggregate (a jsonb of 256 MB), and then every claim failed with a raw
54000, the job retried for ever and the run stayed 'running'. Now a claim that finds the
history past flow.history_limits() (steps recorded, bytes of outputs and errors) fails the
run with kind 'history_limit' and says what to do instead (start a new run with the state).
Here the limits are lowered for the test's database."""

from __future__ import annotations

import random
from typing import Any

import pytest

from claw.flows import FlowContext, Flows
from conftest import Database, Tenant
from test_flows import aio, move_clock, run_row, serve, start, status_is, tenant  # noqa: F401

LIMITS = """CREATE OR REPLACE FUNCTION flow.history_limits(OUT steps integer, OUT bytes bigint)
LANGUAGE sql IMMUTABLE AS $$ SELECT %s, %s::bigint $$"""


def lower_limits(db: Database, steps: int, bytes_: int) -> None:
    with db.connect() as conn:
        conn.execute(LIMITS % (steps, bytes_))


async def echo(value: Any) -> Any:
    return value


@pytest.mark.parametrize("limit, status", [(5, "failed"), (20, "completed")],
                         ids=["past the limit", "within it"])
@aio
async def test_a_history_past_the_step_limit_fails_the_run_at_its_next_claim(
        db: Database, tenant: Tenant, limit: int, status: str) -> None:
    lower_limits(db, limit, 1 << 30)
    flows = Flows()

    @flows.flow("history.long")
    async def long(ctx: FlowContext, inp: Any) -> Any:
        for i in range(8):
            await ctx.run(f"s{i}", echo, i)
        await ctx.sleep(60)
        return "done"

    run = start(db, tenant, "history.long")
    await serve(db, flows, status_is(db, run, "sleeping", "failed"))
    move_clock(db, 61)
    await serve(db, flows, status_is(db, run, "completed", "failed"))
    row = run_row(db, run)
    assert row["status"] == status, row
    if status == "failed":
        assert row["error"]["kind"] == "history_limit", row["error"]
        assert "8 steps" in row["error"]["message"] and "new run" in row["error"]["hint"], row


@aio
async def test_a_history_past_the_byte_limit_fails_the_run_at_its_next_claim(
        db: Database, tenant: Tenant) -> None:
    lower_limits(db, 20000, 50000)
    flows = Flows()

    @flows.flow("history.wide")
    async def wide(ctx: FlowContext, inp: Any) -> Any:
        for i in range(3):
            # random digits: the size counted is the stored (compressed) one
            await ctx.run(f"s{i}", echo, "".join(random.Random(i).choices("0123456789",
                                                                          k=30000)))
        await ctx.sleep(60)
        return "done"

    run = start(db, tenant, "history.wide")
    await serve(db, flows, status_is(db, run, "sleeping", "failed"))
    move_clock(db, 61)
    await serve(db, flows, status_is(db, run, "completed", "failed"))
    row = run_row(db, run)
    assert row["status"] == "failed" and row["error"]["kind"] == "history_limit", row
