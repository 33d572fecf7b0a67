"""Usage a provider reports beyond what the catalogue allows is charged at the bound, never
lost. api.finish_llm_call refused an attempt whose input exceeded the model's context window
or whose output exceeded the output cap (CL422, nothing written): the Router raised, the
reservation stayed held until it expired and was then given back, and a call the provider
had answered and billed was on no ledger and in no budget. A stale catalogue (a model whose
window grew) or a provider that counts differently was enough. Now such an attempt is charged
at the bound (the window; the cap the call was begun with), its row says what the provider
reported, and the call settles. A finish still cannot charge more than the call could have
cost in output (tests/test_llm_finish_bounds.py); input beyond what begin counted is charged
as the README's budget section says (the window can then pass its limit, visibly)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from test_llm import Env, env, user  # noqa: F401 (env: fixture)

# gpt-4o-mini: 0.15 in, 0.60 out per million tokens; context window 128,000
IN, OUT = Decimal("0.15"), Decimal("0.60")


def cost(inp: int, out: int) -> Decimal:
    return (inp * IN + out * OUT) / 1000000


def test_output_beyond_the_cap_is_charged_at_the_cap_and_the_call_settles(env: Env) -> None:
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', p_limit_usd => 1)")
    env.route(p_models=["gpt-4o-mini"], p_max_output_tokens=100)
    # an OpenAI-compatible server that does not honour max_tokens
    env.fakes["openai"].push({"text": "long answer", "usage": {"input": 1000, "output": 500},
                              "ignore_cap": True})
    result = env.router().call("summarise", user())
    assert result.response.text == "long answer"
    [row] = env.ledger()
    assert (row["outcome"], row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (
        "ok", 1000, 100, cost(1000, 100))
    assert "reported 500 output tokens" in row["error"], row["error"]
    assert result.cost_usd == float(cost(1000, 100))
    [(status, actual)] = env.superuser("SELECT status, actual_usd FROM llm.reservations")
    assert (status, actual) == ("settled", cost(1000, 100))
    [budget] = env.api("SELECT spent_usd, reserved_usd FROM api.list_llm_budgets()")
    assert budget == (cost(1000, 100), 0)


def test_input_beyond_the_context_window_is_charged_at_the_window(env: Env) -> None:
    env.route(p_models=["gpt-4o-mini"], p_max_output_tokens=100)
    env.fakes["openai"].push({"text": "ok", "usage": {"input": 200000, "output": 10,
                                                      "cached": 150000}})
    result = env.router().call("summarise", user())
    [row] = env.ledger()
    # the 50,000 uncached tokens are kept (the dearer part), the cached fill the rest
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"]) == (128000, 78000, 10)
    assert "reported 200000 input tokens" in row["error"], row["error"]
    charged = (50000 * IN + 78000 * Decimal("0.075") + 10 * OUT) / 1000000
    assert row["cost_usd"] == charged and result.cost_usd == float(charged)
    assert env.superuser("SELECT status FROM llm.reservations") == [("settled",)]


def test_a_finish_keeps_the_providers_own_error_text_beside_the_note(env: Env) -> None:
    env.route(p_models=["gpt-4o-mini"], p_max_output_tokens=100, p_max_attempts=2)
    [(call,)] = env.api("SELECT api.begin_llm_call(p_task => 'summarise', "
                        "p_input_tokens => 100)")
    attempts: list[dict[str, Any]] = [
        {"model": "gpt-4o-mini", "route_position": 1, "outcome": "invalid_output",
         "input_tokens": 100, "output_tokens": 300, "error": "not JSON"},
        {"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok", "input_tokens": 100,
         "output_tokens": 50}]
    with env.db.connect("claw_runtime") as conn:
        [(done,)] = conn.execute(
            "SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
            "p_call_token => %s)", (call["reservation_id"], json.dumps(attempts),
                                    call["call_token"])).fetchall()
    assert done["status"] == "settled" and Decimal(str(done["cost_usd"])) == cost(200, 150)
    first, second = env.ledger()
    assert first["output_tokens"] == 100 and first["error"].endswith("; not JSON")
    assert "reported 300 output tokens" in first["error"]
    assert second["output_tokens"] == 50 and second["error"] is None
