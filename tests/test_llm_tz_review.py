"""Review of the time-zone budget changes (llm.overlapping, ledger rows dated at the call's
beginning): the windows that a zone change makes share a row."""

from __future__ import annotations

import json
import threading
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


def test_a_call_begun_in_the_old_zone_and_one_in_the_new_cannot_both_be_admitted(
        env: Env) -> None:
    """llm.overlapping reads the other windows in the statement's snapshot, on the ground
    that no new reservation lands in them once the zone moved. A begin that read the old
    zone and has not committed yet does: its hold is invisible to a begin in the new zone,
    which admits a worst case beside it over the same hours (both commit: 2 worst cases
    held against a limit of 1.5). A zone change must wait for the begins that read the
    old zone, and a begin after it must see them."""
    env.api("SELECT api.set_llm_settings(p_time_zone => 'Australia/Sydney')")
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => 1000)")
    at_utc(env, 0, 23)   # Sydney 10:00 (or 09:00), Los Angeles 15:00 the day before
    old = env.db.connect("claw_runtime")
    env.conns.append(old)
    old.autocommit = False
    old.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
    [(probe,)] = old.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                             "p_input_tokens => 100)").fetchall()
    old.rollback()
    held = Decimal(str(probe["reserved_usd"]))
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => %s)", (held * Decimal("1.5"),))
    old.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
    old.execute("SELECT api.begin_llm_call(p_task => 'summarise', p_input_tokens => 100)")
    # the zone changes while that begin is open (committing when it may)
    mover = threading.Thread(target=env.api, args=(
        "SELECT api.set_llm_settings(p_time_zone => 'America/Los_Angeles')",))
    mover.start()
    mover.join(1.0)
    if mover.is_alive():   # it waits for the old zone's begin
        old.commit()
        mover.join(10)
    assert not mover.is_alive()
    outcome: list[BaseException | None] = []

    def new_zone_begin() -> None:
        try:
            begin(env)
            outcome.append(None)
        except psycopg.Error as exc:
            outcome.append(exc)
    late = threading.Thread(target=new_zone_begin)
    late.start()
    late.join(1.0)
    old.commit()
    late.join(10)
    assert len(outcome) == 1
    [(reserved,)] = env.superuser("SELECT sum(reserved_usd) FROM llm.budget_windows")
    assert reserved <= held * Decimal("1.5"), outcome
    assert isinstance(outcome[0], psycopg.Error) and outcome[0].sqlstate == "CL429"
