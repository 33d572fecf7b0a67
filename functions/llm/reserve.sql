-- llm.budget_covers: does a budget of this scope (its principal, its task) apply to a call by
-- p_principal_id for p_task? The one statement of the rule: llm.reserve admits a call on
-- every budget it covers, llm.seed_window starts a new budget with the calls it covers. SQL
-- without a SET clause: inlined into both queries, as if written out.
CREATE OR REPLACE FUNCTION llm.budget_covers(p_scope text, p_budget_principal uuid,
                                             p_budget_task text, p_principal_id uuid,
                                             p_task text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT p_scope = 'tenant' OR (p_scope = 'principal' AND p_budget_principal = p_principal_id)
         OR (p_scope = 'task' AND p_budget_task = p_task)
$fn$;

-- llm.reserve: hold p_amount_usd (the call's worst case) on every budget that applies to the
-- call (the tenant's, the principal's, the task's; daily and monthly), in the windows that
-- hold internal.now() in the tenant's zone, and record the reservation.
--
-- Admission is one statement for every window: an upsert whose update is conditional,
--   INSERT (reserved = amount) ON CONFLICT DO UPDATE
--     SET reserved = reserved + amount WHERE spent + reserved + amount <= limit
-- ON CONFLICT locks the window row and evaluates the condition on its latest version, so
-- concurrent reservers of a window queue on the row lock and no interleaving admits more
-- than the limit (the LiteLLM check-then-increment race cannot happen). When fewer windows
-- come back than budgets apply, one refused: CL429, and the exception undoes the others. A
-- window is created on first use: a new window starts at zero by being a new row, so there
-- is no reset job to race. Other windows of a budget that overlap the current one's hours
-- (left by a time-zone change, llm.overlapping) count against its limit too: their sum
-- is read in the statement's snapshot, and no new reservation lands in them (the zone
-- moved); their held ones settle or expire, which never raises the sum unless a provider
-- bills more than the worst case (the caveat on settlement), so the check errs safe.
-- Before admitting, overdue held reservations of the tenant (callers that died) are expired,
-- so a crash never holds budget beyond its deadline.
-- Locks (order): overdue reservations and their windows (llm.expire_held), then this call's
-- windows in budget_id order (the upsert's rows come sorted). Settlement and expiry lock
-- windows in the same order.
-- Raises CL429 when a budget cannot hold the amount (nothing is kept: the caller's
-- transaction rolls back the windows already held).
CREATE OR REPLACE FUNCTION llm.reserve(
  p_tenant_id uuid, p_task text, p_principal_id uuid, p_amount_usd numeric, p_ttl interval,
  p_zone text, p_flow_run_id uuid DEFAULT NULL, p_flow_step integer DEFAULT NULL,
  p_route_version integer DEFAULT NULL, p_chain_models text[] DEFAULT NULL,
  p_chain_output_caps integer[] DEFAULT NULL, p_max_attempts integer DEFAULT NULL)
RETURNS llm.reservations
LANGUAGE plpgsql
VOLATILE
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_ids uuid[];
  v_starts date[];
  v_wanted integer;
  v_bad record;
  v_res llm.reservations;
BEGIN
  IF EXISTS (SELECT 1 FROM llm.reservations AS r
             WHERE r.tenant_id = p_tenant_id AND r.status = 'held' AND r.expires_at <= v_now) THEN
    PERFORM llm.expire_held(p_tenant_id, v_now);
  END IF;
  WITH b AS (
    SELECT b.budget_id, b.limit_usd, w.window_start, w.starts_at, w.ends_at, o.other_usd
    FROM llm.budgets AS b
    CROSS JOIN LATERAL llm.window_for(b.period, v_now, p_zone) AS w
    CROSS JOIN LATERAL llm.overlapping(p_tenant_id, b.budget_id, w.window_start, w.starts_at,
                                       w.ends_at) AS o
    WHERE b.tenant_id = p_tenant_id
      AND llm.budget_covers(b.scope, b.principal_id, b.task, p_principal_id, p_task)
    ORDER BY b.budget_id),
  held AS (
    INSERT INTO llm.budget_windows AS w (tenant_id, budget_id, window_start, starts_at, ends_at,
                                         reserved_usd)
    SELECT p_tenant_id, b.budget_id, b.window_start, b.starts_at, b.ends_at, p_amount_usd
    FROM b WHERE p_amount_usd + b.other_usd <= b.limit_usd
    ORDER BY b.budget_id
    ON CONFLICT (tenant_id, budget_id, window_start) DO UPDATE
      -- a row a zone change reuses (another zone's window of the same local date) covers
      -- the hours of both from now on, so llm.overlapping sees where its money was spent
      SET reserved_usd = w.reserved_usd + EXCLUDED.reserved_usd,
          starts_at = least(w.starts_at, EXCLUDED.starts_at),
          ends_at = greatest(w.ends_at, EXCLUDED.ends_at)
      WHERE w.spent_usd + w.reserved_usd + EXCLUDED.reserved_usd
            <= (SELECT b.limit_usd - b.other_usd FROM b WHERE b.budget_id = w.budget_id)
    RETURNING w.budget_id, w.window_start)
  SELECT (SELECT count(*) FROM b),
         (SELECT pg_catalog.array_agg(h.budget_id ORDER BY h.budget_id) FROM held AS h),
         (SELECT pg_catalog.array_agg(h.window_start ORDER BY h.budget_id) FROM held AS h)
    INTO v_wanted, v_ids, v_starts;
  IF v_wanted > coalesce(pg_catalog.cardinality(v_ids), 0) THEN
    SELECT b.budget_id, b.scope, b.period, b.limit_usd, b.principal_id, b.task, w.window_start,
           b.limit_usd - coalesce(x.spent_usd, 0) - coalesce(x.reserved_usd, 0) - o.other_usd
             AS left_usd
      INTO v_bad
    FROM llm.budgets AS b
    CROSS JOIN LATERAL llm.window_for(b.period, v_now, p_zone) AS w
    CROSS JOIN LATERAL llm.overlapping(p_tenant_id, b.budget_id, w.window_start, w.starts_at,
                                       w.ends_at) AS o
    LEFT JOIN llm.budget_windows AS x
      ON x.tenant_id = b.tenant_id AND x.budget_id = b.budget_id AND x.window_start = w.window_start
    WHERE b.tenant_id = p_tenant_id
      AND llm.budget_covers(b.scope, b.principal_id, b.task, p_principal_id, p_task)
      AND b.budget_id <> ALL (coalesce(v_ids, '{}'))
    ORDER BY b.budget_id LIMIT 1;
    RAISE EXCEPTION USING ERRCODE = 'CL429', MESSAGE = 'LLM budget exhausted',
      DETAIL = pg_catalog.format(
        'the %s %s budget%s (limit %s USD, window from %s) has %s USD left; this call may '
        'cost up to %s USD', v_bad.period,
        v_bad.scope, CASE v_bad.scope WHEN 'task' THEN ' of task ' || v_bad.task
                                      WHEN 'principal' THEN ' of principal '
                                        || v_bad.principal_id::text ELSE '' END,
        v_bad.limit_usd, v_bad.window_start, greatest(v_bad.left_usd, 0)::numeric(18, 6),
        p_amount_usd::numeric(18, 6)),
      HINT = 'nothing was sent; retry in the next window, lower max_output_tokens, or raise '
             'the budget (api.set_llm_budget)';
  END IF;
  -- without a principal (a worker acting for a job), the credential it was begun with: only
  -- that job's context finishes it without the call token (api.finish_llm_call)
  INSERT INTO llm.reservations (tenant_id, task, principal_id, flow_run_id, flow_step,
                                amount_usd, budget_ids, window_starts, created_at, expires_at,
                                route_version, begun_by, chain_models, chain_output_caps,
                                max_attempts)
  VALUES (p_tenant_id, p_task, p_principal_id, p_flow_run_id, p_flow_step, p_amount_usd,
          coalesce(v_ids, '{}'), coalesce(v_starts, '{}'), v_now, v_now + p_ttl,
          p_route_version,
          CASE WHEN p_principal_id IS NULL THEN internal.context_credential() END,
          p_chain_models, p_chain_output_caps, p_max_attempts)
  RETURNING * INTO v_res;
  RETURN v_res;
END
$fn$;
-- the versions without the route version (migration 0051) and without the chain (0059)
DROP FUNCTION IF EXISTS llm.reserve(uuid, text, uuid, numeric, interval, text, uuid, integer);
DROP FUNCTION IF EXISTS llm.reserve(uuid, text, uuid, numeric, interval, text, uuid, integer,
                                    integer);

-- llm.seed_window: the window holding p_at (the caller passes the moment its zone lock was
-- granted) of a budget just created (api.set_llm_budget), holding
-- what the calls of its scope in that window already did, as if it had existed when they
-- began: their actual cost as spent (settled, released, and expired ones settled late), and
-- the worst case of those in flight as reserved. The calls still open (held, or expired and
-- able to settle late) hold the new budget too (budget_ids and window_starts, kept in
-- budget_id order, the order settlement locks windows in), so their settlement lands in it.
-- Concurrency: the caller holds the tenant's zone lock exclusively, so no begin is under way;
-- the UPDATE waits for a settlement under way and then skips that call (no longer open), and
-- the spent sum, a later statement, sees it settled.
-- Cost: the tenant's reservations begun in the window (reservations_tenant_created_idx,
-- migrations/0058), once per budget created.
CREATE OR REPLACE FUNCTION llm.seed_window(p_budget llm.budgets, p_zone text,
                                           p_at timestamptz)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $fn$
DECLARE
  v_w record;
  v_held numeric;
  v_spent numeric;
BEGIN
  SELECT * INTO v_w FROM llm.window_for(p_budget.period, p_at, p_zone);
  WITH attached AS (
    UPDATE llm.reservations AS r
    SET (budget_ids, window_starts) = (
          SELECT pg_catalog.array_agg(u.budget_id ORDER BY u.budget_id),
                 pg_catalog.array_agg(u.window_start ORDER BY u.budget_id)
          FROM ROWS FROM (pg_catalog.unnest(r.budget_ids || p_budget.budget_id),
                          pg_catalog.unnest(r.window_starts || v_w.window_start))
            AS u(budget_id, window_start))
    WHERE r.tenant_id = p_budget.tenant_id
      AND r.created_at >= v_w.starts_at AND r.created_at < v_w.ends_at
      AND (r.status = 'held' OR (r.status = 'expired' AND NOT r.late))
      AND llm.budget_covers(p_budget.scope, p_budget.principal_id, p_budget.task,
                            r.principal_id, r.task)
    RETURNING r.status, r.amount_usd)
  SELECT coalesce(sum(a.amount_usd) FILTER (WHERE a.status = 'held'), 0) INTO v_held
  FROM attached AS a;
  SELECT coalesce(sum(r.actual_usd), 0) INTO v_spent
  FROM llm.reservations AS r
  WHERE r.tenant_id = p_budget.tenant_id
    AND r.created_at >= v_w.starts_at AND r.created_at < v_w.ends_at
    AND (r.status IN ('settled', 'released') OR r.late)
    AND llm.budget_covers(p_budget.scope, p_budget.principal_id, p_budget.task,
                          r.principal_id, r.task);
  INSERT INTO llm.budget_windows (tenant_id, budget_id, window_start, starts_at, ends_at,
                                  spent_usd, reserved_usd)
  VALUES (p_budget.tenant_id, p_budget.budget_id, v_w.window_start, v_w.starts_at, v_w.ends_at,
          v_spent, v_held);
END
$fn$;
-- the version without p_at (0cefda5)
DROP FUNCTION IF EXISTS llm.seed_window(llm.budgets, text);
