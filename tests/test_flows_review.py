"""Review of the durable-flows layer (session review-flows): each test here failed on the code
it was written against and describes the scenario in its docstring."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
import pytest

from claw.flows import FlowContext, Flows, RetryPolicy
from conftest import Database, Tenant
from test_flow_attacks import auth
from test_flows import (FakeProvider, aio, as_owner, move_clock, run_row, serve, start,
                        status_is, tenant)  # noqa: F401 - tenant is a fixture

H = "0" * 64


def claim_one(db: Database, run: str) -> tuple[Any, Any]:
    """Claim the run's flow.run job as claw_worker and claim the run: (job, lease)."""
    with db.connect("claw_worker") as wk:
        (job, tok), = wk.execute("SELECT job_id, lease_token FROM api.claim_jobs("
                                 "p_queue => 'flows', p_worker => 'w', p_limit => 1)").fetchall()
        action = wk.execute("SELECT action FROM api.claim_flow_run(%s, %s, %s)",
                            (run, job, tok)).fetchone()[0]
    assert action == "run"
    return job, tok


def start_sql(db: Database, tenant: Tenant, name: str = "job.notice") -> str:
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        return str(rt.execute("SELECT run_id FROM api.start_flow_run(p_flow_name => %s, "
                              "p_queue => 'flows')", (name,)).fetchone()[0])


# -- an effect whose step can never be recorded is still sent ---------------------------------

@pytest.mark.parametrize("name,digest", [("", H), ("x" * 201, H), ("charge", "NOT-HEX")])
def test_begin_effect_refuses_a_step_identity_it_could_never_record(
        db: Database, tenant: Tenant, name: str, digest: str) -> None:
    """api.begin_flow_effect validates nothing of the step's identity (name 1..200 characters,
    input hash lowercase hex) before it commits the intent; only api.settle_flow_effect (after
    the provider was called) checks it, in flow.insert_step. So a flow whose effect name is
    empty or over 200 characters gets its external call *delivered* and then cannot record
    it: the SDK marks the effect unknown and blocks the run; when a person resolves it as
    delivered, the replay's settle fails the same way, the SDK tries to mark the reconciled
    effect unknown again (CL409), and the run's job is retried until it is dead, the run
    'running' for ever. Bad input must be CL422 before anything is written (or sent)."""
    run = start_sql(db, tenant)
    job, tok = claim_one(db, run)
    with db.connect("claw_worker") as wk:
        with pytest.raises(psycopg.Error) as err:
            wk.execute("SELECT * FROM api.begin_flow_effect(%s, %s, %s, 0, %s, %s, 'twilio', "
                       "'{\"to\": \"+61400000000\"}')", (run, job, tok, name, digest))
    assert err.value.sqlstate == "CL422", err.value
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.effects").fetchone()[0] == 0
        assert su.execute("SELECT pending_step FROM flow.runs").fetchone()[0] is None


@aio
async def test_an_effect_with_an_unrecordable_name_is_never_sent(db: Database,
                                                                 tenant: Tenant) -> None:
    """The SDK view of the test above: ctx.effect with a 201-character name. Today the SMS is
    delivered, then the run blocks; resolved as delivered by a person it never completes
    (its job fails on every retry). It must fail the run before calling the provider."""
    twilio = FakeProvider("twilio", idempotent=False)
    flows = Flows()

    @flows.flow("text.long")
    async def text(ctx: FlowContext, inp: Any) -> Any:
        return await ctx.effect("s" * 201, twilio, {"to": "+61400000000"},
                                retry=RetryPolicy(backoff=0.1))

    run = start(db, tenant, "text.long")
    await serve(db, flows, status_is(db, run, "failed", "blocked", "completed"))
    assert twilio.calls == 0, "the provider was called for a step that cannot be recorded"
    assert run_row(db, run)["status"] == "failed"


# -- retention deletes a finished child its running parent still waits for ------------------

@aio
async def test_purge_keeps_a_finished_child_whose_parent_is_still_going(
        db: Database, tenant: Tenant) -> None:
    """api.purge_flow_runs(p_days => 0) deletes every finished run, also a child whose
    parent is still going and has not recorded its outcome yet (ctx.wait_child later). The
    parent's wait then finds no child (CL422 'not a child of this run') and the parent fails
    although its child completed. Retention must keep a child until its parent finished."""
    flows = Flows()

    @flows.flow("kid")
    async def kid(ctx: FlowContext, inp: Any) -> int:
        return 7

    @flows.flow("parent")
    async def parent(ctx: FlowContext, inp: Any) -> Any:
        child = await ctx.start_child("kid")
        await ctx.sleep(60)
        return (await ctx.wait_child(child))["output"]

    run = start(db, tenant, "parent")

    def kid_done_parent_sleeping() -> bool:
        with db.connect() as su:
            rows = dict(su.execute("SELECT flow_name, status FROM flow.runs").fetchall())
        return rows.get("kid") == "completed" and rows.get("parent") == "sleeping"
    await serve(db, flows, kid_done_parent_sleeping)
    move_clock(db, 1)
    as_owner(db, tenant, "SELECT api.purge_flow_runs(p_days => 0)")
    move_clock(db, 60)
    await serve(db, flows, status_is(db, run, "completed", "failed"))
    assert run_row(db, run)["status"] == "completed", run_row(db, run)["error"]
    assert run_row(db, run)["output"] == 7


# -- a fork after a child was started waits for that child ------------------------------------

def parent_and_kid(gate: dict[str, bool], kid_waits: bool = True,
                   wait_first: bool = False, wait_again: bool = False) -> Flows:
    """A parent that starts a child, then fails at its next step until the gate opens; with
    kid_waits the child waits for a signal 'go' (so it is still running when the parent
    fails and is forked). Steps: 0 child, 1 flaky, 2 wait_child; with wait_first the
    parent waits for the child before the flaky step (0 child, 1 wait_child, 2 flaky), and
    with wait_again too it waits for the same child once more after it (3 wait_child)."""
    flows = Flows()

    @flows.flow("kid")
    async def kid(ctx: FlowContext, inp: Any) -> int:
        if kid_waits:
            await ctx.wait_for_signal("go")
        return 7

    async def flaky() -> int:
        if not gate["open"]:
            raise RuntimeError("bug, fixed by the next deploy")
        return 1

    @flows.flow("parent")
    async def parent(ctx: FlowContext, inp: Any) -> Any:
        child = await ctx.start_child("kid")
        if wait_first:
            out = (await ctx.wait_child(child))["output"]
        await ctx.run("flaky", flaky, retry=RetryPolicy(max_attempts=1))
        if not wait_first or wait_again:
            out = (await ctx.wait_child(child))["output"]
        return out

    return flows


async def failed_parent(db: Database, tenant: Tenant, flows: Flows) -> tuple[str, str]:
    """Start the parent of parent_and_kid, serve it until it has failed at its flaky step:
    (the parent's run id, its child's)."""
    run = start(db, tenant, "parent")
    await serve(db, flows, status_is(db, run, "failed"))
    return run, kid_of(db, tenant)


def kid_of(db: Database, tenant: Tenant) -> str:
    with db.connect() as su:
        return str(su.execute("SELECT run_id FROM flow.runs WHERE flow_name = 'kid' AND "
                              "tenant_id = %s", (tenant.tenant_id,)).fetchone()[0])


@aio
async def test_a_fork_after_start_child_can_wait_for_the_child(db: Database,
                                                               tenant: Tenant) -> None:
    """api.fork_flow_run copies the first N checkpoints, a 'child' step included: the fork
    replays ctx.start_child and gets the source run's child id, but flow.wait_child only
    accepted children whose parent_run_id is the waiting run itself, so the fork failed with
    CL422 'not a child of this run' at its first wait_child: forking a run that failed
    between starting a child and waiting for it (the README's fix-and-fork workflow) could
    never succeed. The fork now adopts the children its copied checkpoints name (audited as
    flow.run.adopted)."""
    gate = {"open": False}
    flows = parent_and_kid(gate, kid_waits=False)
    run = start(db, tenant, "parent")
    await serve(db, flows, status_is(db, run, "failed"))
    gate["open"] = True
    fork = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,)))
    await serve(db, flows, status_is(db, fork, "completed", "failed"))
    assert run_row(db, fork)["status"] == "completed", run_row(db, fork)["error"]
    assert run_row(db, fork)["output"] == 7
    with db.connect() as su:
        child, parent_of = su.execute(
            "SELECT run_id::text, parent_run_id::text FROM flow.runs WHERE flow_name = 'kid' "
            "AND tenant_id = %s", (tenant.tenant_id,)).fetchone()
        assert parent_of == fork
        assert su.execute("SELECT before ->> 'parent_run_id', after ->> 'parent_run_id' "
                          "FROM audit.events WHERE tenant_id = %s AND action = "
                          "'flow.run.adopted' AND target_id = %s",
                          (tenant.tenant_id, child)).fetchall() == [(run, fork)]


@aio
async def test_a_fork_waiting_for_a_running_child_is_woken_by_it(db: Database,
                                                                 tenant: Tenant) -> None:
    """The child is still running when its parent fails: the fork adopts it, waits for it,
    and the child's finish wakes the fork (not the failed source). A second fork of the
    same source while the first still waits is CL409 (the child is the first fork's), and
    writes nothing."""
    gate = {"open": False}
    flows = parent_and_kid(gate)
    run, kid = await failed_parent(db, tenant, flows)
    assert run_row(db, kid)["status"] == "waiting"
    gate["open"] = True
    fork = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,)))
    await serve(db, flows, status_is(db, fork, "waiting"))
    with db.connect() as su:
        before = su.execute("SELECT count(*) FROM flow.runs WHERE tenant_id = %s",
                            (tenant.tenant_id,)).fetchone()[0]
    with pytest.raises(psycopg.Error) as err:
        as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,))
    assert err.value.sqlstate == "CL409", err.value
    assert "still going" in str(err.value.diag.message_detail)
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.runs WHERE tenant_id = %s",
                          (tenant.tenant_id,)).fetchone()[0] == before
    as_owner(db, tenant, "SELECT api.send_flow_signal(%s, 'go')", (kid,))
    await serve(db, flows, status_is(db, fork, "completed", "failed"))
    assert run_row(db, fork)["status"] == "completed", run_row(db, fork)["error"]
    assert run_row(db, fork)["output"] == 7
    # the first fork has finished: a second fork of the source may take the child over
    fork2 = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,)))
    await serve(db, flows, status_is(db, fork2, "completed", "failed"))
    assert run_row(db, fork2)["output"] == 7


@aio
async def test_a_fork_whose_child_was_purged_is_refused(db: Database, tenant: Tenant) -> None:
    """A child purged with its finished parent cannot be waited for: forking past the step
    that started it is CL409 with the position to fork from instead; forking from that
    position starts a child of the fork's own."""
    gate = {"open": False}
    flows = parent_and_kid(gate)
    run, kid = await failed_parent(db, tenant, flows)
    as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (kid,))
    with db.connect() as su:
        su.execute("DELETE FROM flow.runs WHERE run_id = %s", (kid,))
    with pytest.raises(psycopg.Error) as err:
        as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,))
    assert err.value.sqlstate == "CL409", err.value
    assert "position 0" in str(err.value.diag.message_hint)
    gate["open"] = True
    fork = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 0)", (run,)))
    await serve(db, flows, lambda: run_row(db, fork)["status"] == "waiting")
    with db.connect() as su:
        fresh = su.execute("SELECT run_id::text FROM flow.runs WHERE parent_run_id = %s",
                           (fork,)).fetchone()[0]
    as_owner(db, tenant, "SELECT api.send_flow_signal(%s, 'go')", (fresh,))
    await serve(db, flows, status_is(db, fork, "completed", "failed"))
    assert run_row(db, fork)["output"] == 7


# -- a chain of child runs too deep to cancel ---------------------------------------------------

def test_cancelling_a_deep_chain_of_child_runs_is_not_a_stack_overflow(
        db: Database, tenant: Tenant) -> None:
    """flow.cancel cancels a run's unfinished children by calling itself for each child, so a
    chain of nested children (a flow that walks a list by starting itself as a child: 600
    levels here, built directly in the tables as a worker would build them one dispatch at a
    time) makes api.cancel_flow_run fail with 54001 'stack depth limit exceeded' (somewhere
    between 400 and 600 levels with the default max_stack_depth): the root can never be
    cancelled, and the error is outside the CL registry. flow.cancel now walks the
    descendants in one recursive statement, locked NOWAIT, and cancels each in turn."""
    with db.connect() as su:
        su.execute("SET session_replication_role = replica")  # no audit rows for the setup
        su.execute("""
            DO $$ DECLARE prev uuid; cur uuid; BEGIN
              FOR i IN 1..600 LOOP
                INSERT INTO flow.runs (tenant_id, flow_name, trace_id, parent_run_id, status)
                VALUES ('%s', 'walk', 't', prev, 'pending') RETURNING run_id INTO cur;
                prev := cur;
              END LOOP; END $$""" % tenant.tenant_id)
        root = su.execute("SELECT run_id FROM flow.runs WHERE parent_run_id IS NULL").fetchone()[0]
    try:
        status = as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (root,))
    except psycopg.Error as exc:
        assert exc.sqlstate is not None and exc.sqlstate.startswith("CL"), exc.sqlstate
        raise
    assert status == "cancelled"
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.runs WHERE status <> 'cancelled'"
                          ).fetchone()[0] == 0


# -- input no worker can read -------------------------------------------------------------------

@aio
async def test_a_deeply_nested_input_is_refused_or_fails_the_run(db: Database,
                                                                 tenant: Tenant) -> None:
    """api.start_flow_run accepts any JSON within 256 KiB, whatever its depth. An input
    nested 5,000 levels deep (10 KB) is valid jsonb, but the worker's JSON decoder (Python's
    json, psycopg's jsonb loader) raises RecursionError reading api.claim_flow_run's row, after
    the claim committed: the handler fails, the job is retried (100 attempts) and the run
    stays 'running' with nothing to move it (a cancel only marks it, for a worker that never
    gets that far). Bad input must be refused at the start (CL422) or fail the run."""
    deep = "[" * 5000 + "1" + "]" * 5000
    flows = Flows()

    @flows.flow("deep")
    async def flow(ctx: FlowContext, inp: Any) -> str:
        return "ok"

    try:
        with db.connect("claw_runtime") as rt, rt.transaction():
            auth(rt, tenant.api_key)
            run = str(rt.execute("SELECT run_id FROM api.start_flow_run(p_flow_name => 'deep', "
                                 "p_input => %s::jsonb)", (deep,)).fetchone()[0])
    except psycopg.Error as exc:
        assert exc.sqlstate == "CL422", exc
        return
    with contextlib.suppress(AssertionError):  # "timed out" today
        await serve(db, flows, status_is(db, run, "completed", "failed"), timeout=4)
    with db.connect() as su:
        errors = [r[0] for r in su.execute("SELECT errors::text FROM queue.jobs "
                                           "WHERE kind = 'flow.run'").fetchall()]
    assert run_row(db, run)["status"] in ("completed", "failed"), errors


# -- a cancel requested between two steps -------------------------------------------------------

def _running_run_cancel_requested(db: Database, tenant: Tenant) -> tuple[str, Any, Any]:
    """A run that recorded step 0 and was then asked to cancel (api.cancel_flow_run:
    'cancelling'), its worker about to begin step 1."""
    run = start_sql(db, tenant, "parent")
    job, tok = claim_one(db, run)
    with db.connect("claw_worker") as wk:
        assert wk.execute("SELECT api.record_flow_step(%s, %s, %s, 0, 'a', %s, '{}')",
                          (run, job, tok, H)).fetchone()[0] == "running"
    assert as_owner(db, tenant, "SELECT api.cancel_flow_run(%s)", (run,)) == "cancelling"
    return run, job, tok


def test_a_child_started_after_a_cancel_request_is_not_left_running(db: Database,
                                                                    tenant: Tenant) -> None:
    """api.cancel_flow_run on a running run cancels the children it has at that moment; the
    run itself stops at its next checkpoint. When that next checkpoint is ctx.start_child,
    flow.start_child starts the child anyway, records the step and ends the parent as
    cancelled: the new child is dispatched and runs to the end under a cancelled parent
    (nothing ever cancels it). The README: 'The run's unfinished child runs are cancelled
    with it'. A cancelled run must not start (or leave) a child."""
    run, job, tok = _running_run_cancel_requested(db, tenant)
    with db.connect("claw_worker") as wk:
        status = wk.execute("SELECT status FROM api.start_child_flow(%s, %s, %s, 1, "
                            "'child:kid', %s, 'kid')", (run, job, tok, H)).fetchone()[0]
    assert status == "cancelled"
    with db.connect() as su:
        left = su.execute("SELECT flow_name, status FROM flow.runs "
                          "WHERE status NOT IN ('completed', 'failed', 'cancelled')").fetchall()
    assert left == [], f"left going under a cancelled parent: {left}"


def test_an_effect_is_not_begun_after_a_cancel_request(db: Database, tenant: Tenant) -> None:
    """A cancel requested while a run is between steps: sleeps, signal waits and child waits
    see it at once (recorded, run cancelled), but flow.begin_effect records a new intent and
    the worker goes on to mark it sent and call the provider: the SMS (or the charge) goes out
    after a person asked the run to stop, and only the settle afterwards cancels the run. An
    effect not yet sent must not be begun once a cancel was requested."""
    run, job, tok = _running_run_cancel_requested(db, tenant)
    with db.connect("claw_worker") as wk:
        row = wk.execute("SELECT status FROM api.begin_flow_effect(%s, %s, %s, 1, 'sms', %s, "
                         "'twilio', '{\"to\": \"+61400000000\"}')", (run, job, tok, H)).fetchone()
        with pytest.raises(psycopg.Error) as err:
            wk.execute("SELECT api.mark_flow_effect_sent(%s, %s, %s, 1)", (run, job, tok))
    assert err.value.sqlstate == "CL409", err.value
    assert row[0] == "cancelled"
    assert run_row(db, run)["status"] == "cancelled"


def test_a_step_failing_after_a_cancel_request_ends_the_run_cancelled(
        db: Database, tenant: Tenant) -> None:
    """A cancel requested while a step runs; the step then fails with attempts left under
    its retry policy. flow.fail_step does not retry (right) but ends the run 'failed' with the
    step's error, as if it had run out of attempts: the run a person cancelled shows up in
    api.list_flow_runs(p_status => 'failed'), and a waiting parent gets a failed child,
    not a cancelled one. It must end 'cancelled' (the step's error kept in the step)."""
    run, job, tok = _running_run_cancel_requested(db, tenant)
    with db.connect("claw_worker") as wk:
        status = wk.execute("SELECT status FROM api.fail_flow_step(%s, %s, %s, 1, 'b', %s, "
                            "'timeout', p_max_attempts => 3)", (run, job, tok, H)).fetchone()[0]
    assert (status, run_row(db, run)["status"]) == ("cancelled", "cancelled")
