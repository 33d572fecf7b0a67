"""What a finish may charge: only attempts the call could have made. api.finish_llm_call
checked each attempt against the model catalogue alone (its context window, its own output
cap, at most 80 attempts), so a finish could charge a model the route does not have, output
beyond the cap the call was begun with (and sent to the provider as max_tokens), or more
attempts of a model than the route allows: a budget that held exactly one worst case was
overspent 130 times. The call's chain, output caps and attempt limit are kept with its
reservation at begin, and the finish is checked against them: another model or position, or
too many attempts, is CL422 with nothing written; output beyond the cap the call was begun
with is charged at that cap (tests/test_llm_usage_beyond_catalogue.py)."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from test_llm import Env, env  # noqa: F401 (env: fixture)

OK = {"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok", "input_tokens": 100,
      "output_tokens": 10}


def begin(env: Env) -> dict[str, Any]:
    [(call,)] = env.api("SELECT api.begin_llm_call(p_task => 'summarise', "
                        "p_input_tokens => 100)")
    return dict(call)


def finish(env: Env, call: dict[str, Any], attempts: list[dict[str, Any]]) -> Any:
    with env.db.connect("claw_runtime") as conn:
        [(done,)] = conn.execute(
            "SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
            "p_call_token => %s)", (call["reservation_id"], json.dumps(attempts),
                                    call["call_token"])).fetchall()
    return done


@pytest.mark.parametrize("attempts,says", [
    ([{**OK, "model": "claude-sonnet-4-5", "output_tokens": 64000}], "not in the route"),
    ([{**OK, "route_position": 2}], "not in the route"),
    ([{**OK, "outcome": "server_error", "output_tokens": 0}] * 3 + [OK], "attempts"),
], ids=["other-model", "other-position", "too-many-attempts"])
def test_a_finish_charges_only_what_the_call_could_have_cost(
        env: Env, attempts: list[dict[str, Any]], says: str) -> None:
    env.route(p_models=["gpt-4o-mini"], p_max_output_tokens=100, p_max_attempts=3)
    call = begin(env)
    with pytest.raises(psycopg.Error) as err:
        finish(env, call, attempts)
    assert err.value.sqlstate == "CL422", err.value
    assert says in (err.value.diag.message_detail or ""), err.value.diag.message_detail
    assert env.superuser("SELECT count(*) FROM llm.calls") == [(0,)]
    assert env.superuser("SELECT status FROM llm.reservations") == [("held",)]
    # what the call could have made is charged as before
    done = finish(env, call, [{**OK, "outcome": "server_error", "output_tokens": 0}] * 2
                  + [{**OK, "output_tokens": 100}])
    assert done["status"] == "settled"


def test_output_beyond_the_cap_the_call_was_begun_with_is_charged_at_that_cap(env: Env) -> None:
    env.route(p_models=["gpt-4o-mini"], p_max_output_tokens=100, p_max_attempts=3)
    call = begin(env)
    done = finish(env, call, [{**OK, "output_tokens": 16384}])
    assert done["status"] == "settled"
    assert env.superuser("SELECT output_tokens FROM llm.calls") == [(100,)]
