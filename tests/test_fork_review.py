"""Review of d5368bc (a fork adopts the children its copied checkpoints started): each test
here failed on that commit and describes the scenario in its docstring."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
import pytest

from claw.flows import Flows
from conftest import Database, Tenant
from test_flows import aio, as_owner, run_row, serve, status_is, start, tenant  # noqa: F401
from test_flows_review import claim_one, failed_parent, parent_and_kid, start_sql

H = "0" * 64


def parent_of(db: Database, run: str) -> str | None:
    with db.connect() as su:
        row = su.execute("SELECT parent_run_id::text FROM flow.runs WHERE run_id = %s",
                         (run,)).fetchone()
    assert row is not None
    return row[0]


def adopted(db: Database, run: str) -> int:
    with db.connect() as su:
        return int(su.execute("SELECT count(*) FROM audit.events WHERE action = "
                              "'flow.run.adopted' AND target_id = %s", (run,)).fetchone()[0])


# -- a worker names any run of the tenant as its child; the fork adopts it -------------------

def test_a_forged_child_step_does_not_make_a_fork_adopt_another_run(db: Database,
                                                                    tenant: Tenant) -> None:
    """api.record_flow_step accepts p_kind => 'child' with any output, so a worker holding
    one run's lease could record a 'child' step naming another run of the tenant (here a
    top-level run it has no part in). When an operator forks that run, flow.fork trusted the
    step and adopted the other run: its parent became the fork (so the fork's worker could
    ctx.wait_child it and read its output, and cancelling the fork cancelled it). A 'child'
    step must only come from flow.start_child; and a fork adopts only a run that a start_child
    at that position did start (a step recorded before that rule is CL409, nothing written)."""
    run = start_sql(db, tenant)
    job, tok = claim_one(db, run)
    victim = start_sql(db, tenant, "other.flow")
    with db.connect("claw_worker") as wk:
        with pytest.raises(psycopg.Error) as err:
            wk.execute("SELECT api.record_flow_step(%s, %s, %s, 0, 'child:x', %s, %s, 'child')",
                       (run, job, tok, H, json.dumps({"run_id": victim})))
        assert err.value.sqlstate == "CL422", err.value
    # a step like that, recorded before record_flow_step refused it
    with db.connect() as su:
        su.execute("INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, input_hash, "
                   "status, output) VALUES (%s, %s, 0, 'child:x', 'child', %s, 'completed', %s)",
                   (tenant.tenant_id, run, H, json.dumps({"run_id": victim})))
        su.execute("UPDATE flow.runs SET next_position = 1 WHERE run_id = %s", (run,))
    with db.connect("claw_worker") as wk:
        wk.execute("SELECT api.complete_flow_run(%s, %s, %s, '1')", (run, job, tok))
    with db.connect() as su:
        runs = su.execute("SELECT count(*) FROM flow.runs").fetchone()[0]
    with pytest.raises(psycopg.Error) as err:
        as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,))
    assert err.value.sqlstate == "CL409", err.value
    assert "position 0" in str(err.value.diag.message_hint)
    assert parent_of(db, victim) is None
    assert adopted(db, victim) == 0
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.runs").fetchone()[0] == runs


@aio
@pytest.mark.parametrize("purged", [[], ["fork1"], ["run", "fork1"]],
                         ids=["none", "middle", "first-two"])
async def test_a_fork_of_a_fork_adopts_the_child_the_first_run_started(
        db: Database, tenant: Tenant, purged: list[str]) -> None:
    """The check above must not refuse a genuine child step copied through a chain of forks:
    the child's key names the run that started it (run), three forks back; fork2 holds the
    child step through fork1. flow.fork proved the key by walking forked_from_run_id back
    from fork2, and when retention had purged fork1 (finished, no parent) meanwhile the walk
    stopped there, run was not found, and the third fork was refused CL409 'the fork's child
    step names another run'. The line is kept on each run now (migrations/0057)."""
    gate = {"open": False}
    flows = parent_and_kid(gate)
    run, kid = await failed_parent(db, tenant, flows)
    fork1 = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,)))
    await serve(db, flows, status_is(db, fork1, "failed"))
    fork2 = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (fork1,)))
    await serve(db, flows, status_is(db, fork2, "failed"))
    gone = [{"run": run, "fork1": fork1}[name] for name in purged]
    if gone:
        with db.connect() as su:
            su.execute("UPDATE flow.runs SET finished_at = now() - interval '30 days' "
                       "WHERE run_id = ANY (%s::uuid[])", (gone,))
        assert as_owner(db, tenant, "SELECT api.purge_flow_runs(p_days => 7)") == len(gone)
    fork3 = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (fork2,)))
    assert parent_of(db, kid) == fork3
    gate["open"] = True
    await serve(db, flows, status_is(db, fork3, "waiting"))
    as_owner(db, tenant, "SELECT api.send_flow_signal(%s, 'go')", (kid,))
    await serve(db, flows, status_is(db, fork3, "completed", "failed"))
    assert run_row(db, fork3)["output"] == 7


def test_a_child_step_whose_output_is_not_a_run_id_is_a_clear_error(db: Database,
                                                                   tenant: Tenant) -> None:
    """flow.fork cast the 'child' step's output ->> 'run_id' to uuid: a step whose output
    has no valid run id (recorded through api.record_flow_step's 'child' kind before it was
    refused) made every fork past it fail with 22P02 'invalid input syntax for type uuid'
    instead of a CL error with a hint."""
    run = start_sql(db, tenant)
    job, tok = claim_one(db, run)
    with db.connect() as su:
        su.execute("INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, input_hash, "
                   "status, output) VALUES (%s, %s, 0, 'child:x', 'child', %s, 'completed', %s)",
                   (tenant.tenant_id, run, H, json.dumps({"run_id": "not-a-uuid"})))
        su.execute("UPDATE flow.runs SET next_position = 1 WHERE run_id = %s", (run,))
    with db.connect("claw_worker") as wk:
        wk.execute("SELECT api.complete_flow_run(%s, %s, %s, '1')", (run, job, tok))
    with pytest.raises(psycopg.Error) as err:
        as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,))
    assert err.value.sqlstate == "CL409", err.value
    assert err.value.diag.message_detail and err.value.diag.message_hint


# -- a child whose outcome the copy already holds ---------------------------------------------

def waited_kid(gate: dict[str, bool]) -> Flows:
    """A parent that starts a child, waits for it, then fails at its next step until the
    gate opens: steps 0 child, 1 wait_child, 2 flaky."""
    return parent_and_kid(gate, kid_waits=False, wait_first=True)


@aio
async def test_a_fork_past_the_wait_for_a_purged_child_is_not_refused(db: Database,
                                                                      tenant: Tenant) -> None:
    """The fork adopted every child its copied checkpoints started, even one whose outcome a
    copied wait_child step already holds (the fork replays it from the copy and never needs
    the child again). A child finished long before its parent is purged by retention while
    the failed parent is kept; forking the parent from its failed step (after the wait) was
    then CL409 'the fork's child run is gone' with the hint to fork from position 0 (rerun
    everything). It worked before d5368bc."""
    gate = {"open": False}
    await fork_after_the_wait(db, tenant, waited_kid(gate), gate, purged=True)


async def fork_after_the_wait(db: Database, tenant: Tenant, flows: Flows, gate: dict[str, bool],
                              purged: bool) -> tuple[str, str, str]:
    """Fail the parent at its flaky step (2), purge its finished child if asked, fix the bug
    and fork from the failed step; the fork must complete with the child's output.
    (the parent's run id, the child's, the fork's)"""
    run, kid = await failed_parent(db, tenant, flows)
    if purged:
        with db.connect() as su:
            su.execute("DELETE FROM flow.runs WHERE run_id = %s", (kid,))
    gate["open"] = True
    fork = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 2)", (run,)))
    await serve(db, flows, status_is(db, fork, "completed", "failed"))
    assert run_row(db, fork)["status"] == "completed", run_row(db, fork)["error"]
    assert run_row(db, fork)["output"] == 7
    return run, kid, fork


@aio
@pytest.mark.parametrize("purged", [False, True], ids=["kept", "purged"])
async def test_a_fork_past_a_wait_for_a_child_may_wait_for_it_again(db: Database, tenant: Tenant,
                                                                    purged: bool) -> None:
    """A parent waits for its child (step 1), fails at its next step, and waits for the same
    child again after it (step 3). Forked from the failed step, the fork holds the child's
    outcome in its copied step 1 and so does not adopt the child; its second wait_child was
    then CL422 'not a child of this run' and the fork failed. A finished child's outcome is
    final: the wait answers with the outcome the copied checkpoint holds, also when the
    child was purged by retention since."""
    gate = {"open": False}
    flows = parent_and_kid(gate, kid_waits=False, wait_first=True, wait_again=True)
    run, kid, fork = await fork_after_the_wait(db, tenant, flows, gate, purged)
    if not purged:
        assert parent_of(db, kid) == run
    with db.connect() as su:
        steps = su.execute("SELECT position, kind, output FROM flow.steps WHERE run_id = %s "
                           "ORDER BY position", (fork,)).fetchall()
    assert [(p, k) for p, k, _ in steps] == [(0, "child"), (1, "wait_child"), (2, "step"),
                                             (3, "wait_child")]
    assert steps[3][2] == steps[1][2]


@aio
async def test_two_forks_past_the_wait_for_a_child_may_run_at_once(db: Database,
                                                                   tenant: Tenant) -> None:
    """The first fork (from after the wait) adopted the finished child it never waits for;
    a second fork of the same run from the same position while the first is still going
    was CL409 'the fork's child run is taken', and the first fork kept the child from
    retention. Neither fork needs the child: neither adopts it."""
    gate = {"open": False}
    flows = waited_kid(gate)
    run, kid = await failed_parent(db, tenant, flows)
    fork1 = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 2)", (run,)))
    fork2 = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 2)", (run,)))
    assert parent_of(db, kid) == run
    gate["open"] = True
    await serve(db, flows, lambda: all(run_row(db, f)["status"] in ("completed", "failed")
                                       for f in (fork1, fork2)))
    assert [run_row(db, f)["output"] for f in (fork1, fork2)] == [7, 7]


# -- a fork racing its child's finish ---------------------------------------------------------

@aio
async def test_a_fork_racing_the_child_finishing_does_not_deadlock(db: Database,
                                                                   tenant: Tenant) -> None:
    """flow.fork locks the source run (flow.require_run), then each child FOR UPDATE, and
    waits: the reverse of the documented order (a finishing child locks child, then parent
    in flow.wake_parent). A child finishing (or cancelled) while its failed parent is forked
    held the child and waited for the parent, the fork held the parent and waited for the
    child: a deadlock, 40P01 for one of them. The fork must not wait for a busy child: CL409
    (retry), nothing written, and the child's finish goes through."""
    gate = {"open": False}
    flows = parent_and_kid(gate)
    run, kid = await failed_parent(db, tenant, flows)
    with db.connect() as su:
        runs = su.execute("SELECT count(*) FROM flow.runs").fetchone()[0]
    result: dict[str, Any] = {}

    def fork() -> None:
        try:
            result["fork"] = as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,))
        except psycopg.Error as exc:
            result["error"] = exc

    thread = threading.Thread(target=fork)
    try:
        with db.connect() as holder, holder.transaction():  # the child's worker finishing it
            holder.execute("SELECT 1 FROM flow.runs WHERE run_id = %s FOR UPDATE", (kid,))
            thread.start()
            time.sleep(0.5)
            # flow.wake_parent: the parent next (a deadlock here was 40P01 for one side)
            holder.execute("SELECT 1 FROM flow.runs WHERE run_id = %s FOR UPDATE", (run,))
    except psycopg.Error as exc:
        result["holder"] = exc
    thread.join(10)
    assert not thread.is_alive()
    err = result.get("error")
    assert "holder" not in result, result
    assert isinstance(err, psycopg.Error) and err.sqlstate == "CL409", result
    assert "busy" in str(err)
    assert parent_of(db, kid) == run
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.runs").fetchone()[0] == runs
    fork_id = str(as_owner(db, tenant, "SELECT api.fork_flow_run(%s, 1)", (run,)))
    assert parent_of(db, kid) == fork_id


# -- a fork racing retention --------------------------------------------------------------------

@aio
async def test_a_purge_racing_a_fork_keeps_the_child_the_fork_adopted(db: Database,
                                                                     tenant: Tenant) -> None:
    """flow.purge keeps a finished child while its parent is still going, judged by a NOT
    EXISTS on the parent in the DELETE's snapshot. Before d5368bc a finished run's children
    never changed parent; now a fork makes an old finished child the child of a new, pending
    run. A purge that started before the fork committed waited for the child's row lock,
    then re-checked it with the new parent (the fork), which its snapshot cannot see: NOT
    EXISTS held, the child was deleted, and the fork failed at its wait_child (CL422 'not a
    child of this run') although its child had completed."""
    gate = {"open": False}
    flows = parent_and_kid(gate, kid_waits=False)
    run, kid = await failed_parent(db, tenant, flows)
    assert run_row(db, kid)["status"] == "completed"
    with db.connect() as su:  # the child finished days ago; its parent only now
        su.execute("UPDATE flow.runs SET finished_at = finished_at - interval '2 days' "
                   "WHERE run_id = %s", (kid,))
    result: dict[str, Any] = {}

    def purge() -> None:
        try:
            result["purged"] = as_owner(db, tenant, "SELECT api.purge_flow_runs(p_days => 1)")
        except psycopg.Error as exc:
            result["error"] = exc

    thread = threading.Thread(target=purge)
    with db.connect("claw_runtime") as rt, rt.transaction():
        rt.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        fork = str(rt.execute("SELECT api.fork_flow_run(%s, 1)", (run,)).fetchone()[0])
        thread.start()
        time.sleep(0.5)  # the purge's DELETE waits for the child the fork holds
    thread.join(10)
    assert not thread.is_alive() and "error" not in result, result
    with db.connect() as su:
        assert su.execute("SELECT parent_run_id::text FROM flow.runs WHERE run_id = %s",
                          (kid,)).fetchall() == [(fork,)]
    gate["open"] = True
    await serve(db, flows, status_is(db, fork, "completed", "failed"))
    assert run_row(db, fork)["status"] == "completed", run_row(db, fork)["error"]
    assert run_row(db, fork)["output"] == 7


@pytest.mark.parametrize("held", ["completed", "running"])
def test_a_later_wait_is_answered_from_a_copied_wait_only_with_a_final_outcome(
        db: Database, tenant: Tenant, held: str) -> None:
    """The copied wait_child that answers a fork's later wait for the same child must hold a
    finished child's outcome. A wait recorded while its run was being cancelled holds the
    child's status at that moment ('running'); a later wait must not return as if the child
    had finished: it stays CL422 (no such child of this run), as before."""
    run = start_sql(db, tenant)
    job, tok = claim_one(db, run)
    kid = start_sql(db, tenant, "other.flow")
    with db.connect() as su:
        # made a fork after the fact: what a run was forked from never changes (the guard
        # trigger, off for this one write)
        su.execute("SET session_replication_role = replica")
        su.execute("UPDATE flow.runs SET forked_from_run_id = %s, forked_from_position = 2, "
                   "fork_line = ARRAY[%s::uuid], fork_line_upto = '{2}', next_position = 2 "
                   "WHERE run_id = %s", (kid, kid, run))
        su.execute("RESET session_replication_role")
        for position, kind, output in (
                (0, "child", {"run_id": kid}),
                (1, "wait_child", {"run_id": kid, "status": held, "output": 5, "error": None})):
            su.execute("INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, "
                       "input_hash, status, output) VALUES (%s, %s, %s, %s, %s, %s, "
                       "'completed', %s)",
                       (tenant.tenant_id, run, position, f"s{position}", kind, H,
                        json.dumps(output)))
    wait = "SELECT * FROM api.wait_flow_child(%s, %s, %s, 2, 'again', %s, %s)"
    with db.connect("claw_worker") as wk:
        if held == "completed":
            assert wk.execute(wait, (run, job, tok, H, kid)).fetchone()[1:] == ("completed", 5, None)
        else:
            with pytest.raises(psycopg.Error) as err:
                wk.execute(wait, (run, job, tok, H, kid))
            assert err.value.sqlstate == "CL422", err.value
