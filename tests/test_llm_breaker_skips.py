"""Breakers and models skipped before sending (found by an outside-in probe of the LLM layer;
each test fails on the old code):
  * a route whose first provider's breaker is open skips to the next model whatever
    fallback_on lists (the README: callers skip the provider); with fallback_on
    {rate_limited} the skip was taken for a server_error and the call failed, the second
    model never tried;
  * a model skipped because the input does not fit, or because the router has no client for
    its provider, was counted by the finish as a success of that provider, which closed its
    open breaker though nothing had been sent to it."""

from __future__ import annotations

import json

from claw.llm import Router, TenantAuth
from test_llm import Env, env, user  # noqa: F401 (env: fixture)

OPEN = ("INSERT INTO llm.breakers (tenant_id, provider, state, consecutive_failures, opened_at, "
        "retry_at) VALUES (%s, 'openai', 'open', 5, internal.now() - %s::interval, "
        "internal.now() + %s::interval)")


def breaker(env: Env) -> str:
    [(state,)] = env.superuser("SELECT state FROM llm.breakers WHERE provider = 'openai'")
    return str(state)


def test_an_open_breaker_skips_to_the_next_model_whatever_fallback_on_says(env: Env) -> None:
    env.route(p_fallback_on=["rate_limited"])
    env.superuser(OPEN, (env.tenant_id, "0", "1 hour"))
    env.fakes["anthropic"].push({"text": "from claude"})
    assert env.router().call("summarise", user()).response.text == "from claude"
    assert env.fakes["openai"].hits == 0


def test_a_model_that_does_not_fit_leaves_its_providers_breaker_open(env: Env) -> None:
    env.superuser("SELECT llm.define_model('tiny-model', 'openai', 'o200k_base', 50, 16)")
    env.superuser("SELECT llm.set_price('tiny-model', 1, 1, 1, '2020-01-01')")
    env.route(p_models=["tiny-model", "claude-haiku-4-5"])
    env.superuser(OPEN, (env.tenant_id, "0", "1 hour"))
    env.fakes["anthropic"].push({"text": "big window"})
    assert env.router().call("summarise", user("word " * 100)).model == "claude-haiku-4-5"
    assert env.fakes["openai"].hits == 0
    assert breaker(env) == "open"


def test_a_probe_taken_without_a_client_for_the_provider_does_not_close_it(env: Env) -> None:
    env.superuser(OPEN, (env.tenant_id, "1 hour", "-1 minute"))  # due for its probe
    providers = env.providers()
    del providers["openai"]
    conn = env.db.connect("claw_runtime")
    env.conns.append(conn)
    env.fakes["anthropic"].push({"text": "from claude"})
    Router(conn, TenantAuth.api_key(env.key), providers, sleep=env.sleeps.append).call(
        "summarise", user())
    assert env.fakes["openai"].hits == 0
    assert breaker(env) != "closed"


def test_a_probe_claim_the_call_did_not_use_is_given_back_at_finish(env: Env) -> None:
    """A begin claims the due probe of every provider of its chain. When an earlier model
    answered, the claim was never used, and the provider stayed skipped by every other call
    until the claim's lease ran out (twice the route's timeout) though it might have
    recovered. The finish now gives back the claims its attempts did not use, so the next
    call probes at once; a claim that was used is settled by its outcome as before."""
    anthropic = OPEN.replace("'openai'", "'anthropic'")
    env.superuser(anthropic, (env.tenant_id, "1 hour", "-1 minute"))  # due for its probe
    env.route(p_models=["gpt-4o-mini", "claude-haiku-4-5"], p_timeout_ms=60000)
    env.fakes["openai"].push({"text": "from openai"})
    assert env.router().call("summarise", user()).model == "gpt-4o-mini"
    assert env.fakes["anthropic"].hits == 0
    # the next call that needs anthropic probes it now, not two minutes later
    env.route(p_models=["claude-haiku-4-5"], p_timeout_ms=60000)
    env.fakes["anthropic"].push({"text": "recovered"})
    assert env.router().call("summarise", user()).response.text == "recovered"
    assert env.superuser("SELECT state FROM llm.breakers WHERE provider = 'anthropic'") == [
        ("closed",)]


def test_a_claim_given_back_late_leaves_a_later_callers_probe_alone(env: Env) -> None:
    """The claim is given back only if it is still the one this call took: a finish after
    its lease ran out and another caller claimed the probe must not free that caller's."""
    anthropic = OPEN.replace("'openai'", "'anthropic'")
    env.superuser(anthropic, (env.tenant_id, "1 hour", "-1 minute"))
    env.route(p_models=["gpt-4o-mini", "claude-haiku-4-5"], p_timeout_ms=60000)
    [(call,)] = env.api("SELECT api.begin_llm_call(p_task => 'summarise', "
                        "p_input_tokens => 10)")
    # the lease ran out and another caller took the probe (a later probe_until)
    env.superuser("UPDATE llm.breakers SET probe_until = internal.now() + interval '5 minutes' "
                  "WHERE provider = 'anthropic'")
    with env.db.connect("claw_runtime") as conn:
        conn.execute("SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
                     "p_call_token => %s)", (call["reservation_id"], json.dumps([
                         {"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok",
                          "input_tokens": 10, "output_tokens": 5, "http_status": 200}]),
                         call["call_token"]))
    [(state, later)] = env.superuser("SELECT state, probe_until > internal.now() + "
                                     "interval '4 minutes' FROM llm.breakers "
                                     "WHERE provider = 'anthropic'")
    assert (state, later) == ("half_open", True)
