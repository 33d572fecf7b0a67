"""Attacks on the flow API from inside one tenant (cross-tenant access is covered by the
isolation suites): a worker credential holding the lease of an unrelated job must not pass a
run's approval gate or read other runs; a job that is not a run's dispatch learns nothing
about that run; a caller cannot take a child run's reserved idempotency key; who sent a
signal and who asked to cancel a running run is in the audit ledger."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants

H = "0" * 64


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return seed_tenants(db, names=("a",), extra_principals=0)["a"]


def auth(conn: psycopg.Connection[Any], key: str) -> None:
    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))


def start_waiting_run(db: Database, tenant: Tenant) -> tuple[str, Any, Any]:
    """A run that reached an approval gate (waiting for signal 'approval'), and a leased job
    of another kind in the same tenant."""
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        run = str(rt.execute("SELECT run_id FROM api.start_flow_run(p_flow_name => "
                             "'job.notice', p_input => '{}', p_queue => 'flows')").fetchone()[0])
        rt.execute("SELECT * FROM api.enqueue_job(p_queue => 'hooks', p_kind => 'hook.ingest')")
    with db.connect("claw_worker") as wk:
        (job, tok), = wk.execute("SELECT job_id, lease_token FROM api.claim_jobs("
                                 "p_queue => 'flows', p_worker => 'w', p_limit => 10)").fetchall()
        wk.execute("SELECT * FROM api.claim_flow_run(%s, %s, %s)", (run, job, tok))
        wk.execute("SELECT * FROM api.wait_flow_signal(%s, %s, %s, 0, 'approval', %s)",
                   (run, job, tok, H))
        wk.execute("SELECT api.complete_jobs(%s, %s)", ([job], tok))
        (hook, hook_tok), = wk.execute("SELECT job_id, lease_token FROM api.claim_jobs("
                                       "p_queue => 'hooks', p_worker => 'evil', "
                                       "p_limit => 1)").fetchall()
    return run, hook, hook_tok


@pytest.mark.parametrize("call", [
    "SELECT api.send_flow_signal(p_run_id => %s, p_name => 'approval', p_payload => '{}')",
    "SELECT * FROM api.get_flow_run(p_run_id => %s)",
    "SELECT * FROM api.list_flow_steps(p_run_id => %s)",
])
def test_a_lease_on_an_unrelated_job_does_not_reach_a_run(db: Database, tenant: Tenant,
                                                            call: str) -> None:
    run, hook, hook_tok = start_waiting_run(db, tenant)
    with db.connect("claw_worker") as wk:
        with pytest.raises(psycopg.Error) as err, wk.transaction():
            wk.execute("SELECT api.act_as_job(%s, %s)", (hook, hook_tok))
            wk.execute(call, (run,))
        assert err.value.sqlstate in ("42501", "CL403"), err.value
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.signals").fetchone()[0] == 0


def test_claiming_a_run_with_a_foreign_job_reveals_nothing(db: Database,
                                                           tenant: Tenant) -> None:
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        run = str(rt.execute("SELECT run_id FROM api.start_flow_run(p_flow_name => "
                             "'job.secret', p_input => '{\"card\": \"4111\"}', "
                             "p_queue => 'flows', p_trace_id => 'trace-secret')").fetchone()[0])
        rt.execute("SELECT * FROM api.enqueue_job(p_queue => 'hooks', p_kind => 'hook.ingest')")
    with db.connect("claw_worker") as wk:
        (hook, tok), = wk.execute("SELECT job_id, lease_token FROM api.claim_jobs("
                                  "p_queue => 'hooks', p_worker => 'evil', p_limit => 1)").fetchall()
        row = wk.execute("SELECT * FROM api.claim_flow_run(%s, %s, %s)", (run, hook, tok)).fetchone()
    assert row is not None and row[0] == "skip"
    assert all(v is None or v == [] for v in row[1:]), row


def test_a_child_runs_idempotency_key_is_reserved(db: Database, tenant: Tenant) -> None:
    with db.connect("claw_runtime") as rt:
        with pytest.raises(psycopg.Error) as err, rt.transaction():
            auth(rt, tenant.api_key)
            rt.execute("SELECT * FROM api.start_flow_run(p_flow_name => 'pay.child', "
                       "p_input => '{\"amount\": 1000000}', "
                       "p_idempotency_key => 'child:01a20000-0000-7000-8000-000000000000:1')")
    assert err.value.sqlstate == "CL422"
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.runs").fetchone()[0] == 0


def test_signals_and_cancel_requests_are_audited_with_their_actor(db: Database,
                                                                    tenant: Tenant) -> None:
    run, _, _ = start_waiting_run(db, tenant)
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        rt.execute("SELECT api.send_flow_signal(p_run_id => %s, p_name => 'approval', "
                   "p_payload => '{\"ok\": true}')", (run,))
    with db.connect("claw_worker") as wk:  # the run takes the signal and is running again
        (job, tok), = wk.execute("SELECT job_id, lease_token FROM api.claim_jobs("
                                 "p_queue => 'flows', p_worker => 'w', p_limit => 10)").fetchall()
        wk.execute("SELECT * FROM api.claim_flow_run(%s, %s, %s)", (run, job, tok))
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        assert rt.execute("SELECT api.cancel_flow_run(p_run_id => %s)",
                          (run,)).fetchone()[0] == "cancelling"
    with db.connect() as su:
        events = dict(su.execute(
            "SELECT action, actor_principal_id::text FROM audit.events "
            "WHERE action IN ('flow.signal.sent', 'flow.run.cancel_requested')").fetchall())
    assert events == {"flow.signal.sent": tenant.owner_id,
                      "flow.run.cancel_requested": tenant.owner_id}, events


@pytest.mark.parametrize("position", [None, -1])
def test_a_missing_or_negative_position_is_invalid_input(db: Database, tenant: Tenant,
                                                         position: int | None) -> None:
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        run = str(rt.execute("SELECT run_id FROM api.start_flow_run(p_flow_name => "
                             "'job.notice', p_queue => 'flows')").fetchone()[0])
    with db.connect("claw_worker") as wk:
        (job, tok), = wk.execute("SELECT job_id, lease_token FROM api.claim_jobs("
                                 "p_queue => 'flows', p_worker => 'w', p_limit => 1)").fetchall()
        wk.execute("SELECT * FROM api.claim_flow_run(%s, %s, %s)", (run, job, tok))
        for call in ("SELECT api.record_flow_step(%s, %s, %s, %s, 'x', %s, '{}')",
                     "SELECT * FROM api.fail_flow_step(%s, %s, %s, %s, 'x', %s, 'boom')"):
            with pytest.raises(psycopg.Error) as err:
                wk.execute(call, (run, job, tok, position, H))
            assert err.value.sqlstate == "CL422", err.value
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.steps").fetchone()[0] == 0


def test_undelivered_signals_per_run_are_bounded(db: Database, tenant: Tenant) -> None:
    """Signal names are free, so a sender could pile any number of them on one run (a row and
    a ledger entry each). At 1,000 that no wait has taken, a new name is CL409 and writes
    nothing; a name already sent still answers false; the signal the run waits for now is
    taken all the same (a flood must not block an approval); one taken by a wait frees a
    place."""
    run, _, _ = start_waiting_run(db, tenant)
    with db.connect("claw_runtime") as rt:
        with rt.transaction():
            auth(rt, tenant.api_key)
            sent = rt.execute(
                "SELECT count(*) FILTER (WHERE api.send_flow_signal(p_run_id => %s, "
                "p_name => 'extra:' || i)) FROM generate_series(1, 1000) AS i", (run,)).fetchone()
            assert sent == (1000,)
        with rt.transaction():
            auth(rt, tenant.api_key)
            # a name sent already: false, as always (nothing new is stored)
            assert rt.execute("SELECT api.send_flow_signal(p_run_id => %s, p_name => 'extra:7')",
                              (run,)).fetchone() == (False,)
        with pytest.raises(psycopg.Error) as refused, rt.transaction():
            auth(rt, tenant.api_key)
            rt.execute("SELECT api.send_flow_signal(p_run_id => %s, p_name => 'later')", (run,))
        assert refused.value.sqlstate == "CL409", refused.value
        assert "too many undelivered signals" in str(refused.value)
        assert refused.value.diag.message_hint
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.signals WHERE run_id = %s",
                          (run,)).fetchone() == (1000,)
        assert su.execute("SELECT count(*) FROM audit.events WHERE action = 'flow.signal.sent'"
                          ).fetchone() == (1000,)
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        # the run waits for 'approval': taken over the bound
        assert rt.execute("SELECT api.send_flow_signal(p_run_id => %s, p_name => 'approval')",
                          (run,)).fetchone() == (True,)
    with db.connect() as su:  # one of the others taken by a wait: a place for a new name
        su.execute("UPDATE flow.signals SET delivered_position = 0, delivered_at = now() "
                   "WHERE run_id = %s AND name IN ('extra:1', 'extra:2')", (run,))
    with db.connect("claw_runtime") as rt, rt.transaction():
        auth(rt, tenant.api_key)
        assert rt.execute("SELECT api.send_flow_signal(p_run_id => %s, p_name => 'later')",
                          (run,)).fetchone() == (True,)


@pytest.mark.parametrize("change", ["input", "version", "queue", "none"])
def test_an_idempotency_key_reused_for_other_work_is_refused(db: Database, tenant: Tenant,
                                                            change: str) -> None:
    """The same key returns the same run only for the same request. flow.start_run compared
    the flow name and parent alone: a second start with other input, another version or
    another queue came back as the first run ('created': false), and the work it asked for
    was dropped without a word. Now that is CL409 naming what differs, and nothing is
    written; the same request again still returns the first run."""
    first = {"p_input": json.dumps({"order": 1}), "p_flow_version": 1, "p_queue": "flows"}
    again = dict(first)
    if change == "input":
        again["p_input"] = json.dumps({"order": 2})
    elif change == "version":
        again["p_flow_version"] = 2
    elif change == "queue":
        again["p_queue"] = "elsewhere"
    sql = ("SELECT run_id::text, created FROM api.start_flow_run(p_flow_name => 'order.fulfil', "
           "p_input => %(p_input)s, p_flow_version => %(p_flow_version)s, "
           "p_queue => %(p_queue)s, p_idempotency_key => 'order.fulfil:4711')")
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
            run, created = conn.execute(sql, first).fetchone()
        assert created
        with db.connect() as su:
            runs = su.execute("SELECT count(*) FROM flow.runs").fetchone()[0]
        if change == "none":
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
                assert conn.execute(sql, again).fetchone() == (run, False)
            return
        with pytest.raises(psycopg.Error) as err, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
            conn.execute(sql, again)
    assert err.value.sqlstate == "CL409", err.value
    assert change.replace("version", "flow version") in (err.value.diag.message_detail or "")
    with db.connect() as su:
        assert su.execute("SELECT count(*) FROM flow.runs").fetchone()[0] == runs
