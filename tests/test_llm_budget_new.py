"""A budget created while the tenant is already spending. Its current window must hold what
the calls of its scope in that window spent, and what those in flight hold, and their
settlements must land in it: otherwise a 'daily limit' set at noon ignores the morning, and
calls begun a moment before it settle past it unseen."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import psycopg

from test_llm import ONE_ATTEMPT, Env, begin_call, env, user  # noqa: F401 (env: fixture)


def finish(env: Env, call: dict[str, Any]) -> dict[str, Any]:
    with env.db.connect("claw_runtime") as conn:
        [(done,)] = conn.execute(
            "SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
            "p_call_token => %s)", (call["reservation_id"], ONE_ATTEMPT,
                                    call["call_token"])).fetchall()
    return dict(done)


def budget(env: Env, scope: str = "tenant", **kw: Any) -> tuple[Decimal, Decimal, Decimal]:
    """(limit, spent, reserved) of the tenant's one budget of that scope, this window."""
    [row] = env.api("SELECT limit_usd, spent_usd, reserved_usd FROM api.list_llm_budgets() "
                    "WHERE scope = %s", (scope,))
    return row


def ledger_matches_windows(env: Env) -> list[tuple[Any, ...]]:
    """The tenant budgets' windows whose spent is not the actual cost of the tenant's
    reservations begun in the window's hours, or whose reserved is not what the held ones
    among them hold (one zone, so one window per day)."""
    return env.superuser("""
        SELECT w.budget_id, w.window_start, w.spent_usd, w.reserved_usd, x.spent, x.held
        FROM llm.budget_windows AS w
        JOIN llm.budgets AS b ON b.tenant_id = w.tenant_id AND b.budget_id = w.budget_id
        CROSS JOIN LATERAL (
          SELECT coalesce(sum(r.actual_usd), 0) AS spent,
                 coalesce(sum(r.amount_usd) FILTER (WHERE r.status = 'held'), 0) AS held
          FROM llm.reservations AS r
          WHERE r.tenant_id = w.tenant_id
            AND r.created_at >= w.starts_at AND r.created_at < w.ends_at) AS x
        WHERE b.scope = 'tenant' AND (w.spent_usd <> x.spent OR w.reserved_usd <> x.held)""")


def test_a_new_budget_holds_the_windows_spend_and_the_calls_in_flight(env: Env) -> None:
    """One call settled and one in flight before the tenant's daily budget exists. The new
    window starts with the first's cost spent and the second's worst case reserved; when the
    second settles, its cost lands in the new window. A principal budget of another principal
    takes neither. Before the fix the window started at zero and the second call settled
    past it."""
    env.route(p_models=["gpt-4o-mini"])
    done = finish(env, begin_call(env.db, env.key))
    flying = begin_call(env.db, env.key)
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => 1)")
    limit, spent, reserved = budget(env)
    assert spent == Decimal(str(done["cost_usd"]))
    assert reserved == Decimal(str(flying["reserved_usd"]))
    second = finish(env, flying)
    limit, spent, reserved = budget(env)
    assert spent == Decimal(str(done["cost_usd"])) + Decimal(str(second["cost_usd"]))
    assert reserved == 0
    assert ledger_matches_windows(env) == []

    # another principal's budget: none of these calls are that principal's
    [(other,)] = env.api("SELECT api.create_principal(p_kind => 'service', p_handle => "
                         "'other', p_display_name => 'Other', p_roles => '{operator}')")
    env.api("SELECT api.set_llm_budget(p_scope => 'principal', p_period => 'month', "
            "p_limit_usd => 1, p_principal_id => %s)", (other,))
    assert budget(env, "principal")[1:] == (0, 0)


def test_a_budget_created_while_a_call_is_being_begun_waits_for_it(env: Env) -> None:
    """The call's begin has not committed when the admin creates the budget: the creation
    waits for it (the tenant's zone lock), then holds its reservation."""
    env.route(p_models=["gpt-4o-mini"])
    with env.db.connect("claw_runtime") as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
        [(call,)] = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                                 "p_input_tokens => 100)").fetchall()
        out: dict[str, Any] = {}

        def create() -> None:
            try:
                env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
                        "p_limit_usd => 1)")
            except psycopg.Error as exc:
                out["error"] = exc

        t = threading.Thread(target=create, daemon=True)
        t.start()
        t.join(1.0)
        waited = t.is_alive()
        conn.execute("COMMIT")
        t.join(30)
    assert "error" not in out, out.get("error")
    assert waited, "the budget was created beside an uncommitted begin"
    assert budget(env)[2] == Decimal(str(call["reserved_usd"]))
    finish(env, dict(call))
    assert budget(env)[2] == 0
    assert ledger_matches_windows(env) == []


def test_a_call_expired_before_the_budget_settles_late_into_it(env: Env) -> None:
    """A call whose reservation expired (its caller presumed dead) before the budget existed
    may still settle late: its cost lands in the new window, like the late settlement of
    any expired call (the ledger and the counters stay equal)."""
    env.route(p_models=["gpt-4o-mini"])
    env.superuser("UPDATE internal.clock SET offset_by = '2026-12-15 12:00Z'::timestamptz - now()")
    slow = begin_call(env.db, env.key)
    env.superuser("UPDATE internal.clock SET offset_by = '2026-12-15 13:00Z'::timestamptz - now()")
    [(expired,)] = env.superuser("SELECT llm.expire_reservations(100)")
    assert expired == 1
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => 1)")
    assert budget(env)[1:] == (0, 0)
    late = finish(env, slow)
    assert budget(env)[1] == Decimal(str(late["cost_usd"]))
    assert ledger_matches_windows(env) == []


def test_a_budget_is_seeded_in_the_window_of_when_it_was_created_not_of_its_transaction(
        env: Env) -> None:
    """The admin's transaction began a moment before midnight (UTC, the tenant's zone); a
    call began after it; then the budget is created. Its window is the new day's, holding
    that call: seeded by the day the transaction began in, as first written, the new day's
    window was missing and the call in flight settled past it."""
    env.route(p_models=["gpt-4o-mini"])
    env.superuser("UPDATE internal.clock "
                  "SET offset_by = '2026-12-15 23:59:59.2Z'::timestamptz - now()")
    with env.db.connect("claw_runtime") as admin:
        admin.execute("BEGIN")
        admin.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
        time.sleep(1.0)
        flying = begin_call(env.db, env.key)  # 2026-12-16, a little after midnight
        admin.execute("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
                      "p_limit_usd => 1)")
        admin.execute("COMMIT")
    [(start,)] = env.api("SELECT window_start FROM api.list_llm_budgets()")
    assert str(start) == "2026-12-16"
    assert budget(env)[2] == Decimal(str(flying["reserved_usd"]))
    done = finish(env, flying)
    assert budget(env)[1:] == (Decimal(str(done["cost_usd"])), 0)
    assert ledger_matches_windows(env) == []


def test_a_limit_with_more_decimals_than_kept_is_cl422(env: Env) -> None:
    """limit_usd keeps 6 decimals: 0.0000004 was stored as 0 (a budget that refuses every
    call) and 1.0000004 as 1, silently."""
    import psycopg
    import pytest

    for limit in ("0.0000004", "1.0000004"):
        with pytest.raises(psycopg.Error) as err:
            env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
                    "p_limit_usd => %s::numeric)", (limit,))
        assert err.value.sqlstate == "CL422" and "6 decimals" in err.value.diag.message_detail
    env.api("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
            "p_limit_usd => 0.000001)")
