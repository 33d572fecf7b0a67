-- llm.reserve: hold p_amount_usd (the call's worst case) on every budget that applies to the
-- call (the tenant's, the principal's, the task's; daily and monthly), in the windows that
-- hold internal.now() in the tenant's zone, and record the reservation.
--
-- Admission is one conditional UPDATE per window:
--   reserved += amount WHERE spent + reserved + amount <= limit
-- The row lock serialises concurrent reservers of a window and PostgreSQL re-checks the
-- condition on the latest row version after waiting, so no interleaving admits more than
-- the limit (the LiteLLM check-then-increment race cannot happen). Windows are created on
-- first use (INSERT ... ON CONFLICT DO NOTHING): a new window starts at zero by being a new
-- row, so there is no reset job to race.
-- Before admitting, overdue held reservations of the tenant (callers that died) are expired,
-- so a crash never holds budget beyond its deadline.
-- Locks (order): overdue reservations and their windows (llm.expire_held), then this call's
-- windows in budget_id order. Settlement and expiry lock windows in the same order.
-- Raises CL429 when a budget cannot hold the amount (nothing is kept: the caller's
-- transaction rolls back the windows already held).
CREATE OR REPLACE FUNCTION llm.reserve(
  p_tenant_id uuid, p_task text, p_principal_id uuid, p_amount_usd numeric, p_ttl interval,
  p_flow_run_id uuid DEFAULT NULL, p_flow_step integer DEFAULT NULL)
RETURNS llm.reservations
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_zone text := llm.tenant_zone(p_tenant_id);
  v_budget record;
  v_win record;
  v_left numeric;
  v_ids uuid[] := '{}';
  v_starts date[] := '{}';
  v_res llm.reservations;
BEGIN
  IF EXISTS (SELECT 1 FROM llm.reservations AS r
             WHERE r.tenant_id = p_tenant_id AND r.status = 'held' AND r.expires_at <= v_now) THEN
    PERFORM llm.expire_held(p_tenant_id, v_now);
  END IF;
  FOR v_budget IN
    SELECT b.budget_id, b.scope, b.period, b.limit_usd, b.principal_id, b.task
    FROM llm.budgets AS b
    WHERE b.tenant_id = p_tenant_id
      AND (b.scope = 'tenant' OR (b.scope = 'principal' AND b.principal_id = p_principal_id)
           OR (b.scope = 'task' AND b.task = p_task))
    ORDER BY b.budget_id
  LOOP
    SELECT * INTO STRICT v_win FROM llm.window_for(v_budget.period, v_now, v_zone);
    INSERT INTO llm.budget_windows (tenant_id, budget_id, window_start, starts_at, ends_at)
    VALUES (p_tenant_id, v_budget.budget_id, v_win.window_start, v_win.starts_at, v_win.ends_at)
    ON CONFLICT DO NOTHING;
    UPDATE llm.budget_windows AS w SET reserved_usd = w.reserved_usd + p_amount_usd
    WHERE w.tenant_id = p_tenant_id AND w.budget_id = v_budget.budget_id
      AND w.window_start = v_win.window_start
      AND w.spent_usd + w.reserved_usd + p_amount_usd <= v_budget.limit_usd
    RETURNING v_budget.limit_usd - w.spent_usd - w.reserved_usd INTO v_left;
    IF NOT FOUND THEN
      SELECT v_budget.limit_usd - w.spent_usd - w.reserved_usd INTO v_left
      FROM llm.budget_windows AS w
      WHERE w.tenant_id = p_tenant_id AND w.budget_id = v_budget.budget_id
        AND w.window_start = v_win.window_start;
      RAISE EXCEPTION USING ERRCODE = 'CL429', MESSAGE = 'LLM budget exhausted',
        DETAIL = pg_catalog.format(
          'the %s %s budget%s (limit %s USD, window from %s) has %s USD left; this call may '
          'cost up to %s USD', v_budget.period,
          v_budget.scope, CASE v_budget.scope WHEN 'task' THEN ' of task ' || v_budget.task
                                              WHEN 'principal' THEN ' of principal '
                                                || v_budget.principal_id::text ELSE '' END,
          v_budget.limit_usd, v_win.window_start, greatest(v_left, 0)::numeric(18, 6),
          p_amount_usd::numeric(18, 6)),
        HINT = 'nothing was sent; retry in the next window, lower max_output_tokens, or raise '
               'the budget (api.set_llm_budget)';
    END IF;
    v_ids := v_ids || v_budget.budget_id;
    v_starts := v_starts || v_win.window_start;
  END LOOP;
  INSERT INTO llm.reservations (tenant_id, task, principal_id, flow_run_id, flow_step,
                                amount_usd, budget_ids, window_starts, created_at, expires_at)
  VALUES (p_tenant_id, p_task, p_principal_id, p_flow_run_id, p_flow_step, p_amount_usd,
          v_ids, v_starts, v_now, v_now + p_ttl)
  RETURNING * INTO v_res;
  RETURN v_res;
END
$fn$;
