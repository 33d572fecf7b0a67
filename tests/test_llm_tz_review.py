"""Review of the time-zone budget changes (llm.overlapping, ledger rows dated at the call's
beginning): the windows that a zone change makes share a row."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from test_llm import Env, env  # noqa: F401  (the fixture)

ATTEMPT = json.dumps([{"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok",
                       "input_tokens": 100, "output_tokens": 10}])


def at_utc(e: Env, days: int, hours: int) -> None:
    """Set the clock to the next UTC midnight after the Sydney date of today + days, + hours."""
    e.superuser("UPDATE internal.clock SET offset_by = offset_by + ((date_trunc('day', now() "
                "AT TIME ZONE 'Australia/Sydney') + %s * interval '1 day' + %s * interval "
                "'1 hour') AT TIME ZONE 'UTC') - internal.now()", (days, hours))


def begin(e: Env) -> dict[str, Any]:
    [(begun,)] = e.api("SELECT api.begin_llm_call(p_task => 'summarise', p_input_tokens => 100)")
    return dict(begun)


def test_a_zone_moved_away_and_back_counts_the_day_that_shared_a_row(env: Env) -> None:
    """Sydney -> Los Angeles -> Sydney. Windows are keyed by local start date: the Los
    Angeles day X is the row the Sydney day X made, and it kept the Sydney day's bounds
    (the upsert adds to reserved only). Spending in Los Angeles' day X is then recorded
    with hours ending at 13:00 UTC on X, so back in Sydney on X+1 (whose hours overlap Los
    Angeles' X until 08:00 UTC on X+1) the row is not counted: a fresh day over hours just
    spent. Had the tenant come from UTC instead, the Los Angeles row would be counted."""
    env.api("SELECT api.set_llm_settings(p_time_zone => 'Australia/Sydney')")
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => 1000)")
    # day X in Sydney: [X-1 13:00Z, X 13:00Z) (UTC+11 in summer, +10 in winter: 14:00Z)
    at_utc(env, 1, -4)   # X-1 20:00Z: Sydney X morning
    first = begin(env)
    env.api("SELECT api.finish_llm_call(%s, %s)", (first["reservation_id"], ATTEMPT))
    env.api("SELECT api.set_llm_settings(p_time_zone => 'America/Los_Angeles')")
    at_utc(env, 1, 10)   # X 10:00Z: Los Angeles X, 02:00 or 03:00
    [(la_day,)] = env.api("SELECT window_start FROM api.list_llm_budgets()")
    second = begin(env)
    env.api("SELECT api.finish_llm_call(%s, %s)", (second["reservation_id"], ATTEMPT))
    [(spent,)] = env.superuser("SELECT sum(spent_usd) FROM llm.budget_windows")
    assert spent > 0
    held = Decimal(str(second["reserved_usd"]))
    # the limit leaves room for one call's worst case, not beside what day X spent
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => %s)", (held + spent / 2,))
    at_utc(env, 2, 2)    # X+1 02:00Z: Los Angeles X 18:00, Sydney X+1 13:00
    env.api("SELECT api.set_llm_settings(p_time_zone => 'Australia/Sydney')")
    [(window_start, remaining)] = env.api(
        "SELECT window_start, remaining_usd FROM api.list_llm_budgets()")
    assert window_start == la_day + timedelta(days=1)
    assert remaining == held + spent / 2 - spent
    with pytest.raises(psycopg.Error) as err:
        begin(env)
    assert err.value.sqlstate == "CL429", err.value
