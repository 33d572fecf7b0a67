"""Review of the LLM layer as a hostile tenant or a buggy caller: each test is a defect found
in review (failing on the code before its fix), with the scenario in its docstring."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from pydantic import BaseModel

from test_llm import ONE_ATTEMPT, Env, begin_call, env, user  # noqa: F401 (env: fixture)

FINISH = ("SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
          "p_call_token => %s)")


def sqlstate_of(fn: Any) -> tuple[str | None, str | None, str | None, str | None]:
    try:
        fn()
    except psycopg.Error as exc:
        return (exc.sqlstate, exc.diag.message_primary, exc.diag.message_detail,
                exc.diag.message_hint)
    return (None, None, None, None)


# --- bad input escaping the CL error registry --------------------------------------------------

@pytest.mark.parametrize("field", ["input_tokens", "output_tokens", "cached_tokens",
                                   "route_position", "latency_ms", "http_status"])
def test_a_count_written_as_a_whole_decimal_is_cl422_not_22p02(env: Env, field: str) -> None:
    """An attempt record whose count is a whole number written with a decimal point (100.0,
    what a float-typed client serialises) passed the "whole number" check (100.0 = trunc(100.0))
    and then failed the integer cast in jsonb_to_record with 22P02 "invalid input syntax for
    type integer": an error outside the CL registry, no detail naming the attempt, no hint."""
    call = begin_call(env.db, env.key)
    attempt = {"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok",
               "input_tokens": 100, "output_tokens": 10, field: 100.0}
    with env.db.connect("claw_runtime") as conn:
        state, _, detail, hint = sqlstate_of(lambda: conn.execute(
            FINISH, (call["reservation_id"], json.dumps([attempt]), call["call_token"])))
        assert state == "CL422", (state, detail)
        assert detail and field in detail and hint
        assert env.superuser("SELECT count(*) FROM llm.calls") == [(0,)]
        conn.execute(FINISH, (call["reservation_id"], ONE_ATTEMPT, call["call_token"]))
    assert len(env.ledger()) == 1


@pytest.mark.parametrize("dates", [("infinity", "infinity"), ("-infinity", "2026-01-01"),
                                   ("2026-01-01", "infinity"),
                                   ("5874897-12-31", "5874897-12-31")])
def test_usage_for_infinite_or_unrepresentable_dates_is_cl422(env: Env,
                                                              dates: tuple[str, str]) -> None:
    """api.llm_usage(p_from, p_to) checked the range with p_to - p_from: infinite dates raised
    22008 "cannot subtract infinite dates", and the last representable date raised 22008
    "date out of range for timestamp" when the day after it was computed."""
    state, message, _, hint = sqlstate_of(
        lambda: env.api("SELECT * FROM api.llm_usage(%s::date, %s::date)", dates))
    assert (state, message) == ("CL422", "invalid date range") and hint


EVAL = "SELECT api.record_llm_eval_run('suite', 'summarise', 0.1, %s, %s::numeric)"
GOOD_CASE = {"case_id": "a", "scorer": "exact", "score": 1, "passed": True}


@pytest.mark.parametrize("results, cost", [
    ([{**GOOD_CASE, "case_id": ""}], 0),          # 23514 eval_results_case_id_check
    ([{**GOOD_CASE, "case_id": "x" * 201}], 0),   # 23514
    ([{**GOOD_CASE, "score": "high"}], 0),        # 22P02 numeric
    ([{**GOOD_CASE, "score": [1]}], 0),           # 22P02 numeric
    ([{**GOOD_CASE, "passed": "maybe"}], 0),      # 22P02 boolean
    ([1], 0),                                     # 22023 jsonb_to_recordset
    ([GOOD_CASE], "1e12"),                        # 22003 numeric field overflow
    ([GOOD_CASE], -5),                            # accepted: a negative cost
    ([GOOD_CASE], "NaN"),                         # accepted: NaN stored as the cost
], ids=["empty case id", "long case id", "score text", "score array", "passed text",
        "not an object", "huge cost", "negative cost", "NaN cost"])
def test_a_bad_eval_run_is_cl422_and_writes_nothing(env: Env, results: Any, cost: Any) -> None:
    """api.record_llm_eval_run validated results with jsonb_to_recordset casts and the
    tables' checks, so bad values escaped as 22P02 / 22023 / 23514 / 22003 instead of CL422,
    and p_cost_usd was not validated at all: a negative or NaN cost was stored on the run."""
    state, message, detail, hint = sqlstate_of(
        lambda: env.api(EVAL, (json.dumps(results), str(cost))))
    assert (state, message) == ("CL422", "invalid eval run"), (state, message, detail)
    assert detail and hint
    assert env.superuser("SELECT count(*) FROM llm.eval_runs") == [(0,)]


# --- forged usage ---------------------------------------------------------------------------------

@pytest.mark.parametrize("attempt", [
    {"output_tokens": 2147483647},                # gpt-4o-mini answers at most 16384
    {"input_tokens": 2000000000},                 # its window is 128000
], ids=["output beyond the model's cap", "input beyond the model's window"])
def test_a_finish_cannot_charge_usage_no_provider_could_have_billed(
        env: Env, attempt: dict[str, Any]) -> None:
    """Any principal that may call (an operator, or a worker acting for any job of the tenant)
    reported 2^31-1 output tokens on its own call: gpt-4o-mini at 0.60 USD per million output
    tokens put 1288 USD on the tenant's 1 USD daily budget in one finish (reserved: 0.0006),
    so every other caller of the tenant was CL429 for the rest of the day. No provider can
    bill that: the request's max_tokens is at most the model's output cap, the input at most
    its context window. Such a record is charged at those bounds, with what was reported on
    its row (tests/test_llm_usage_beyond_catalogue.py: refusing it lost real usage)."""
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', p_limit_usd => 1)")
    call = begin_call(env.db, env.key)
    forged = {"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok",
              "input_tokens": 100, "output_tokens": 10, **attempt}
    with env.db.connect("claw_runtime") as conn:
        conn.execute(FINISH, (call["reservation_id"], json.dumps([forged]), call["call_token"]))
    [(spent, limit)] = env.api("SELECT spent_usd, limit_usd FROM api.list_llm_budgets()")
    [(tokens_in, tokens_out, error)] = env.superuser(
        "SELECT input_tokens, output_tokens, error FROM llm.calls")
    assert spent <= limit and tokens_in <= 128000 and tokens_out <= 16384, (spent, tokens_in,
                                                                            tokens_out)
    assert "the provider reported" in error, error


def test_a_finish_cannot_report_more_attempts_than_any_route_makes(env: Env) -> None:
    """A route makes at most max_attempts (10) per model of at most 8 models: 80 attempts.
    A finish took any number of them (thousands fit in the 256 KiB limit), each with
    p_context stored again on its row, and each attempt's tokens charged: 500 attempts
    at gpt-4-turbo's caps charged 500 times the worst case the call reserved."""
    env.route(p_models=["gpt-4-turbo"], p_max_output_tokens=4096)
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => 100)")
    call = begin_call(env.db, env.key)
    one = {"model": "gpt-4-turbo", "route_position": 1, "outcome": "ok", "input_tokens": 100,
           "output_tokens": 4096}
    with env.db.connect("claw_runtime") as conn:
        state, _, detail, _ = sqlstate_of(lambda: conn.execute(
            FINISH, (call["reservation_id"], json.dumps([one] * 500), call["call_token"])))
        assert state == "CL422", (state, detail,
                                  env.superuser("SELECT spent_usd FROM llm.budget_windows"))
        conn.execute(FINISH, (call["reservation_id"], json.dumps([one]), call["call_token"]))
    assert env.superuser("SELECT count(*) FROM llm.calls") == [(1,)]


# --- the cache --------------------------------------------------------------------------------------

class Verdict(BaseModel):
    label: str


def test_the_cache_does_not_serve_one_tasks_answer_to_another_task(env: Env) -> None:
    """The cache key was sha256(chain | caller's request hash): two tasks routed to the same
    chain shared entries, though their routes differ in what shapes the answer (the route's
    output_schema is applied after the hash is taken, the output cap, the repairs). A free-text
    answer of 'summarise' was served as the answer of 'classify', whose route demands JSON."""
    env.route(p_models=["gpt-4o-mini"], p_cache_ttl_seconds=3600)
    with env.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
        conn.execute("SELECT * FROM api.set_llm_route(p_task => 'classify', p_models => "
                     "'{gpt-4o-mini}', p_cache_ttl_seconds => 3600, p_output_schema => %s)",
                     (json.dumps(Verdict.model_json_schema()),))
    env.fakes["openai"].push({"text": "A free-text summary."}, {"text": '{"label": "ok"}'})
    first = env.router().call("summarise", user("the same words"))
    second = env.router().call("classify", user("the same words"))
    assert not first.cached
    assert not second.cached and second.response.text == '{"label": "ok"}', second.response.text


def test_the_cache_does_not_serve_an_answer_made_under_another_route_version(env: Env) -> None:
    """An admin gives the route an output schema; entries cached before it (free text) were
    still served, since the key held only the chain and the caller's hash (which does not
    include the route's schema). And a route changed while a call ran (the same models, a
    new schema) cached the old call's answer under the new route."""
    env.route(p_models=["gpt-4o-mini"], p_cache_ttl_seconds=3600)
    env.fakes["openai"].push({"text": "free text"}, {"text": '{"label": "fresh"}'})
    assert not env.router().call("summarise", user()).cached
    env.route(p_models=["gpt-4o-mini"], p_output_schema=json.dumps(Verdict.model_json_schema()))
    again = env.router().call("summarise", user())
    assert not again.cached and again.response.text == '{"label": "fresh"}'
    # mid-call: begun under one version, finished after a change of schema
    with env.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
        [(call,)] = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                                 "p_input_tokens => 100, p_request_hash => %s)",
                                 ("ef" * 32,)).fetchall()
    env.route(p_models=["gpt-4o-mini"], p_output_schema=json.dumps({"type": "object"}))
    with env.db.connect("claw_runtime") as conn:
        conn.execute("SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
                     "p_response => %s, p_request_hash => %s, p_call_token => %s)",
                     (call["reservation_id"], ONE_ATTEMPT, '{"text": "old schema"}', "ef" * 32,
                      call["call_token"]))
    [(later,)] = env.api("SELECT api.begin_llm_call(p_task => 'summarise', "
                         "p_input_tokens => 100, p_request_hash => %s)", ("ef" * 32,))
    assert "cached" not in later, later


# --- lock order -------------------------------------------------------------------------------------

def wait_for_lock_waiters(env: Env, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(waiting,)] = env.superuser(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%%llm_call%%'")
        if waiting >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} statements waited on a lock")


def run_in_thread(fn: Any, errors: list[Any]) -> threading.Thread:
    def target() -> None:
        try:
            fn()
        except psycopg.Error as exc:
            errors.append((exc.sqlstate, exc.diag.message_primary))
    t = threading.Thread(target=target)
    t.start()
    return t


def open_breaker(env: Env, provider: str) -> None:
    env.superuser("INSERT INTO llm.breakers (tenant_id, provider, state, consecutive_failures, "
                  "opened_at, retry_at) VALUES (%s, %s, 'open', 5, internal.now() - "
                  "interval '1 hour', internal.now() - interval '1 minute') "
                  "ON CONFLICT (tenant_id, provider) DO UPDATE SET state = 'open', "
                  "retry_at = EXCLUDED.retry_at, probe_until = NULL",
                  (env.tenant_id, provider))


def test_a_finish_and_a_begin_claiming_the_probe_do_not_deadlock(env: Env) -> None:
    """api.begin_llm_call locked the tenant's breaker row (claiming the probe of an open
    breaker) and then its budget windows (llm.reserve); api.finish_llm_call locked the
    windows (settling) and then the breaker rows (recording the attempts): opposite orders.
    A begin that claims the probe while another call of the tenant finishes with a failure on
    that provider deadlocked (40P01): one of them failed outside the CL registry, and when the
    loser was the finish, the record of a paid call was lost (its reservation expired)."""
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => 100)")
    call = begin_call(env.db, env.key)
    open_breaker(env, "openai")
    failed = json.dumps([{"model": "gpt-4o-mini", "route_position": 1, "outcome": "server_error",
                          "http_status": 500}])
    errors: list[Any] = []
    holder = env.db.connect(autocommit=False)
    begin_conn = env.db.connect("claw_runtime")
    finish_conn = env.db.connect("claw_runtime")
    try:
        holder.execute("SELECT 1 FROM llm.breakers WHERE tenant_id = %s AND provider = 'openai' "
                       "FOR UPDATE", (env.tenant_id,))

        def begin() -> None:
            with begin_conn.transaction():
                begin_conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
                begin_conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                                   "p_input_tokens => 100)")
        threads = [run_in_thread(begin, errors)]
        wait_for_lock_waiters(env, 1)
        threads.append(run_in_thread(lambda: finish_conn.execute(
            FINISH, (call["reservation_id"], failed, call["call_token"])), errors))
        wait_for_lock_waiters(env, 2)
        holder.commit()
        for t in threads:
            t.join(30)
    finally:
        for c in (holder, begin_conn, finish_conn):
            c.close()
    assert errors == []
    assert env.superuser("SELECT status FROM llm.reservations ORDER BY created_at") == [
        ("released",), ("held",)]


def test_two_begins_with_opposite_chains_do_not_deadlock_claiming_probes(env: Env) -> None:
    """Two tasks of a tenant route to the same providers in opposite orders; both breakers are
    open and due for a probe. begin claimed each provider's probe in chain order (a row lock
    each), so 'summarise' (openai, anthropic) and 'triage' (anthropic, openai) locked the two
    rows in opposite orders and deadlocked (40P01)."""
    env.route(p_models=["gpt-4o-mini", "claude-haiku-4-5"])
    with env.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
        conn.execute("SELECT * FROM api.set_llm_route(p_task => 'triage', p_models => "
                     "'{claude-haiku-4-5,gpt-4o-mini}', p_max_attempts => 1)")
    open_breaker(env, "openai")
    open_breaker(env, "anthropic")
    errors: list[Any] = []
    holder = env.db.connect(autocommit=False)
    conns = [env.db.connect("claw_runtime"), env.db.connect("claw_runtime")]
    try:
        holder.execute("SELECT 1 FROM llm.breakers WHERE tenant_id = %s AND provider = 'openai' "
                       "FOR UPDATE", (env.tenant_id,))

        def begin(conn: psycopg.Connection[Any], task: str) -> Any:
            def go() -> None:
                with conn.transaction():
                    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
                    conn.execute("SELECT api.begin_llm_call(p_task => %s, p_input_tokens => 100)",
                                 (task,))
            return go
        threads = [run_in_thread(begin(conns[0], "summarise"), errors)]
        wait_for_lock_waiters(env, 1)
        threads.append(run_in_thread(begin(conns[1], "triage"), errors))
        wait_for_lock_waiters(env, 2)
        holder.commit()
        for t in threads:
            t.join(30)
    finally:
        holder.close()
        for c in conns:
            c.close()
    assert errors == []
    assert env.superuser("SELECT count(*) FROM llm.reservations") == [(2,)]
    # one probe per provider, whichever call claimed it
    assert env.superuser("SELECT provider, state FROM llm.breakers ORDER BY provider") == [
        ("anthropic", "half_open"), ("openai", "half_open")]


# --- another job's call -------------------------------------------------------------------------

def test_a_worker_acting_for_one_job_cannot_settle_another_jobs_call(env: Env) -> None:
    """A finish without the call token is for the caller's own calls (another principal's is
    CL403 unless owner or admin: a caller must not settle someone else's call with usage it
    made up). A worker acting for a job (api.act_as_job) has no principal, and neither has the
    reservation a worker begins, so the check `reservation principal IS DISTINCT FROM caller
    principal` was NULL vs NULL: a worker holding the lease of job B settled the call job A's
    worker had begun, with 0 tokens (the spend vanished from the ledger and the budget). The
    lease context now names its job (credential 'job:<id>'), a reservation begun without a
    principal records it, and only that job's context may finish it without the token."""
    with env.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
        conn.execute("SELECT * FROM api.enqueue_jobs(p_jobs => %s)", (json.dumps(
            [{"queue": "llm", "kind": "summarise"}, {"queue": "llm", "kind": "summarise"}]),))
    leases = []
    with env.db.connect("claw_worker") as conn:
        for name in ("a", "b"):
            leases.append(conn.execute(
                "SELECT job_id, lease_token FROM api.claim_jobs(p_queue => 'llm', p_worker => %s, "
                "p_limit => 1, p_lease_seconds => 3600)", (name,)).fetchone())
    (job_a, lease_a), (job_b, lease_b) = leases
    with env.db.connect("claw_worker") as conn, conn.transaction():
        conn.execute("SELECT api.act_as_job(%s, %s)", (job_a, lease_a))
        [(call,)] = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                                 "p_input_tokens => 100)").fetchall()
    free = json.dumps([{"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok",
                        "input_tokens": 0, "output_tokens": 0}])
    with env.db.connect("claw_worker") as conn:
        def settle_as_b() -> None:
            with conn.transaction():
                conn.execute("SELECT api.act_as_job(%s, %s)", (job_b, lease_b))
                conn.execute("SELECT api.finish_llm_call(p_reservation_id => %s, "
                             "p_attempts => %s)", (call["reservation_id"], free))
        state, _, _, _ = sqlstate_of(settle_as_b)
    assert state == "CL403", env.superuser("SELECT status, actual_usd FROM llm.reservations")
    # the job that began it still finishes it without the token
    spent = json.dumps([{"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok",
                         "input_tokens": 100, "output_tokens": 10}])
    with env.db.connect("claw_worker") as conn, conn.transaction():
        conn.execute("SELECT api.act_as_job(%s, %s)", (job_a, lease_a))
        [(done,)] = conn.execute("SELECT api.finish_llm_call(p_reservation_id => %s, "
                                 "p_attempts => %s)", (call["reservation_id"], spent)).fetchall()
    assert done["status"] == "settled"


def test_a_flow_step_is_0_or_more_and_comes_with_its_run(env: Env) -> None:
    """The ledger names the flow run and step a call was made in; a negative step, or a step
    without a run, is a label no flow can have. Before, both were stored as given."""
    for args in ("p_flow_step => -1, p_flow_run_id => gen_random_uuid()", "p_flow_step => 2"):
        def begin(args: str = args) -> None:
            env.api(f"SELECT api.begin_llm_call(p_task => 'summarise', p_input_tokens => 10, "
                    f"{args})")
        state, message, _, _ = sqlstate_of(begin)
        assert (state, message) == ("CL422", "invalid LLM call"), args
    assert env.superuser("SELECT count(*) FROM llm.reservations") == [(0,)]
