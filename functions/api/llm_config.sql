-- Configuring the LLM layer of a tenant: its time zone, the route of each task (the ordered
-- model chain and its rules) and its budgets; and reading them back. Every change lands in
-- the tenant's audit chain (functions/llm/audit_tracking.sql).
-- Who: changes need owner or admin (scope llm:admin); reads any tenant role or a worker
-- acting for a job (scope llm:read).

-- api.set_llm_settings: the tenant's time zone (an IANA name) for budget windows and usage
-- days. Raises CL401, CL403, CL422 (unknown zone, or one PostgreSQL reads as
-- a fixed abbreviation: queue.check_time_zone).
CREATE OR REPLACE FUNCTION api.set_llm_settings(p_time_zone text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_time_zone', p_time_zone, 'name');
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'changing LLM settings');
  PERFORM queue.check_time_zone(p_time_zone);
  -- waits for the begins that read the old zone (llm.lock_zone)
  PERFORM llm.lock_zone(internal.current_tenant_id(), true);
  INSERT INTO llm.settings (tenant_id, time_zone, updated_by, updated_at)
  VALUES (internal.current_tenant_id(), p_time_zone, internal.current_principal_id(),
          internal.now())
  ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone,
    updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
  WHERE llm.settings.time_zone IS DISTINCT FROM EXCLUDED.time_zone;
END
$fn$;
COMMENT ON FUNCTION api.set_llm_settings(text) IS
  'Set the tenant''s time zone (IANA) for LLM budget windows and usage days. Owner/admin. '
  'CL422 for an unknown or ambiguous zone.';
GRANT EXECUTE ON FUNCTION api.set_llm_settings(text) TO claw_runtime;

-- api.set_llm_route: create or replace the route of task p_task: p_models in order (each in
-- the catalogue), on which failures to move on to the next model (p_fallback_on: any of
-- rate_limited, server_error, timeout, context_overflow), attempts per model, the base of
-- the exponential backoff, the timeout of each attempt, the output cap, the cache TTL
-- (0 = no cache), the structured-output JSON schema and how many repairs invalid output
-- gets. NULL keeps the current value (or the default for a new route). Returns the route's
-- id and version (bumped by every change). Raises CL401, CL403, CL422.
CREATE OR REPLACE FUNCTION api.set_llm_route(
  p_task text, p_models text[], p_fallback_on text[] DEFAULT NULL,
  p_max_attempts integer DEFAULT NULL, p_backoff_ms integer DEFAULT NULL,
  p_timeout_ms integer DEFAULT NULL, p_max_output_tokens integer DEFAULT NULL,
  p_cache_ttl_seconds integer DEFAULT NULL, p_output_schema jsonb DEFAULT NULL,
  p_max_repairs integer DEFAULT NULL)
RETURNS TABLE (route_id uuid, version integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
  v_unknown text[];
  v_problem text;
BEGIN
  PERFORM internal.require_size('p_task', p_task, 'name'),
          internal.require_size('p_models', p_models, 'text'),
          internal.require_size('p_fallback_on', p_fallback_on, 'text'),
          internal.require_size('p_output_schema', p_output_schema, 'json');
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'changing LLM routes');
  v_tenant := internal.current_tenant_id();
  SELECT pg_catalog.array_agg(m.model) INTO v_unknown
  FROM pg_catalog.unnest(p_models) AS m(model)
  WHERE NOT EXISTS (SELECT 1 FROM internal.llm_models AS x WHERE x.model = m.model);
  IF p_task IS NULL OR p_task !~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
    v_problem := 'the task must be lower-case letters, digits, _ . -, starting with a letter';
  ELSIF p_models IS NULL OR pg_catalog.cardinality(p_models) NOT BETWEEN 1 AND 8 THEN
    v_problem := 'a route names 1 to 8 models';
  ELSIF v_unknown IS NOT NULL THEN
    v_problem := pg_catalog.format('models not in the catalogue: %s', v_unknown);
  ELSIF NOT coalesce(p_fallback_on, '{}') <@ '{rate_limited,server_error,timeout,context_overflow}'::text[] THEN
    v_problem := 'fallback_on takes rate_limited, server_error, timeout, context_overflow';
  ELSIF p_max_attempts NOT BETWEEN 1 AND 10 OR p_backoff_ms NOT BETWEEN 0 AND 60000
        OR p_timeout_ms NOT BETWEEN 10 AND 600000 OR p_max_output_tokens NOT BETWEEN 1 AND 200000
        OR p_cache_ttl_seconds NOT BETWEEN 0 AND 2592000 OR p_max_repairs NOT BETWEEN 0 AND 5 THEN
    v_problem := 'out of range: max_attempts 1-10, backoff_ms 0-60000, timeout_ms 10-600000, '
                 'max_output_tokens 1-200000, cache_ttl_seconds 0-2592000, max_repairs 0-5';
  ELSIF p_output_schema IS NOT NULL AND pg_catalog.jsonb_typeof(p_output_schema) <> 'object' THEN
    v_problem := 'the output schema must be a JSON object (a JSON schema)';
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM route', DETAIL = v_problem,
      HINT = 'see COMMENT ON FUNCTION api.set_llm_route';
  END IF;
  INSERT INTO llm.routes AS r (tenant_id, task, models, fallback_on, max_attempts, backoff_ms,
                               timeout_ms, max_output_tokens, cache_ttl_seconds, output_schema,
                               max_repairs, updated_by)
  VALUES (v_tenant, p_task, p_models,
          coalesce(p_fallback_on, '{rate_limited,server_error,timeout,context_overflow}'),
          coalesce(p_max_attempts, 2), coalesce(p_backoff_ms, 200), coalesce(p_timeout_ms, 30000),
          coalesce(p_max_output_tokens, 1024), coalesce(p_cache_ttl_seconds, 0), p_output_schema,
          coalesce(p_max_repairs, 1), internal.current_principal_id())
  ON CONFLICT (tenant_id, task) DO UPDATE SET
    models = EXCLUDED.models,
    fallback_on = coalesce(p_fallback_on, r.fallback_on),
    max_attempts = coalesce(p_max_attempts, r.max_attempts),
    backoff_ms = coalesce(p_backoff_ms, r.backoff_ms),
    timeout_ms = coalesce(p_timeout_ms, r.timeout_ms),
    max_output_tokens = coalesce(p_max_output_tokens, r.max_output_tokens),
    cache_ttl_seconds = coalesce(p_cache_ttl_seconds, r.cache_ttl_seconds),
    output_schema = coalesce(p_output_schema, r.output_schema),
    max_repairs = coalesce(p_max_repairs, r.max_repairs),
    version = r.version + 1, updated_by = EXCLUDED.updated_by, updated_at = internal.now();
  RETURN QUERY SELECT r.route_id, r.version FROM llm.routes AS r
  WHERE r.tenant_id = v_tenant AND r.task = p_task;
END
$fn$;
COMMENT ON FUNCTION api.set_llm_route(text, text[], text[], integer, integer, integer, integer, integer, jsonb, integer) IS
  'Create or change the LLM route of a task: ordered models, fallback rules, attempts, '
  'backoff, timeout per attempt, output cap, cache TTL, output schema, repairs. Owner/admin. '
  'Returns route id and version. CL422 for bad input.';
GRANT EXECUTE ON FUNCTION api.set_llm_route(text, text[], text[], integer, integer, integer, integer, integer, jsonb, integer) TO claw_runtime;

-- api.list_llm_routes: the tenant's routes.
CREATE OR REPLACE FUNCTION api.list_llm_routes()
RETURNS TABLE (task text, models text[], fallback_on text[], max_attempts integer,
               backoff_ms integer, timeout_ms integer, max_output_tokens integer,
               cache_ttl_seconds integer, output_schema jsonb, max_repairs integer,
               version integer, updated_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing LLM routes');
  RETURN QUERY SELECT r.task, r.models, r.fallback_on, r.max_attempts, r.backoff_ms,
                      r.timeout_ms, r.max_output_tokens, r.cache_ttl_seconds, r.output_schema,
                      r.max_repairs, r.version, r.updated_at
  FROM llm.routes AS r WHERE r.tenant_id = internal.current_tenant_id() ORDER BY r.task;
END
$fn$;
COMMENT ON FUNCTION api.list_llm_routes() IS 'The tenant''s LLM routes, one per task.';
GRANT EXECUTE ON FUNCTION api.list_llm_routes() TO claw_runtime, claw_worker;

-- api.set_llm_budget: create or change the budget of a scope (tenant; principal p_principal_id;
-- task p_task) over a period (day or month, local to the tenant's zone). Lowering a limit
-- below what is already spent refuses further calls in that window; nothing is clawed back.
-- A new budget's current window starts with what its scope's calls in that window spent and
-- hold, and the calls in flight settle into it (llm.seed_window).
-- Locks: the tenant's zone lock, exclusive (llm.lock_zone): it waits for the begins under
-- way, and begins wait for it, so none is priced beside a budget it cannot see.
-- Returns the budget id. Raises CL401, CL403, CL404 (unknown principal), CL422.
CREATE OR REPLACE FUNCTION api.set_llm_budget(
  p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid DEFAULT NULL,
  p_task text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
  v_id uuid;
  v_new boolean;
  v_problem text;
BEGIN
  PERFORM internal.require_size('p_scope', p_scope, 'name'),
          internal.require_size('p_period', p_period, 'name'),
          internal.require_size('p_task', p_task, 'name');
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'changing LLM budgets');
  v_tenant := internal.current_tenant_id();
  IF p_scope IS NULL OR p_scope NOT IN ('tenant', 'principal', 'task') THEN
    v_problem := 'scope is tenant, principal or task';
  ELSIF p_period IS NULL OR p_period NOT IN ('day', 'month') THEN
    v_problem := 'period is day or month';
  ELSIF p_limit_usd IS NULL OR p_limit_usd < 0 OR p_limit_usd > 99999999 THEN
    v_problem := 'the limit is between 0 and 99999999 USD';
  ELSIF p_limit_usd <> pg_catalog.round(p_limit_usd, 6) THEN
    -- the column keeps six decimals: 0.0000004 was stored as 0, a budget refusing every call
    v_problem := pg_catalog.format('the limit %s has more than 6 decimals (millionths of a '
                                   'dollar are kept)', p_limit_usd);
  ELSIF (p_scope = 'principal') <> (p_principal_id IS NOT NULL) THEN
    v_problem := 'a principal budget names a principal (and only it does)';
  ELSIF (p_scope = 'task') <> (p_task IS NOT NULL) THEN
    v_problem := 'a task budget names a task (and only it does)';
  ELSIF p_task !~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
    v_problem := 'the task must be lower-case letters, digits, _ . -, starting with a letter';
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM budget', DETAIL = v_problem,
      HINT = 'see COMMENT ON FUNCTION api.set_llm_budget';
  END IF;
  IF p_principal_id IS NOT NULL THEN
    PERFORM tenancy.require_principal(p_principal_id);
  END IF;
  PERFORM llm.lock_zone(v_tenant, true);
  INSERT INTO llm.budgets AS b (tenant_id, scope, principal_id, task, period, limit_usd,
                                updated_by)
  VALUES (v_tenant, p_scope, p_principal_id, p_task, p_period, p_limit_usd,
          internal.current_principal_id())
  ON CONFLICT (tenant_id, scope, principal_id, task, period) DO UPDATE
    SET limit_usd = EXCLUDED.limit_usd, updated_by = EXCLUDED.updated_by,
        updated_at = internal.now()
    WHERE b.limit_usd IS DISTINCT FROM EXCLUDED.limit_usd
  RETURNING b.budget_id, b.xmax = 0 INTO v_id, v_new;  -- xmax 0: inserted, not updated
  IF v_new THEN
    -- the window of the moment the lock was granted, not of the transaction's start (an
    -- admin's transaction begun before midnight would seed yesterday's)
    PERFORM llm.seed_window(b, llm.tenant_zone(v_tenant),
                            internal.clock_now())
    FROM llm.budgets AS b WHERE b.tenant_id = v_tenant AND b.budget_id = v_id;
  END IF;
  IF v_id IS NULL THEN  -- unchanged
    SELECT b.budget_id INTO STRICT v_id FROM llm.budgets AS b
    WHERE b.tenant_id = v_tenant AND b.scope = p_scope AND b.period = p_period
      AND b.principal_id IS NOT DISTINCT FROM p_principal_id AND b.task IS NOT DISTINCT FROM p_task;
  END IF;
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION api.set_llm_budget(text, text, numeric, uuid, text) IS
  'Create or change an LLM budget: scope tenant|principal|task, period day|month (tenant-local), '
  'limit in USD. Owner/admin. Returns the budget id. CL404 unknown principal, CL422 bad input.';
GRANT EXECUTE ON FUNCTION api.set_llm_budget(text, text, numeric, uuid, text) TO claw_runtime;

-- api.list_llm_budgets: every budget with its current window (local to the tenant's zone):
-- spent, reserved (held by calls in flight) and what remains.
CREATE OR REPLACE FUNCTION api.list_llm_budgets()
RETURNS TABLE (budget_id uuid, scope text, principal_id uuid, task text, period text,
               limit_usd numeric, window_start date, starts_at timestamptz, ends_at timestamptz,
               spent_usd numeric, reserved_usd numeric, remaining_usd numeric)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing LLM budgets');
  v_tenant := internal.current_tenant_id();
  RETURN QUERY
  SELECT b.budget_id, b.scope, b.principal_id, b.task, b.period, b.limit_usd, w.window_start,
         w.starts_at, w.ends_at, coalesce(x.spent_usd, 0), coalesce(x.reserved_usd, 0),
         -- what other windows over the same hours hold (a time-zone change) counts too
         b.limit_usd - coalesce(x.spent_usd, 0) - coalesce(x.reserved_usd, 0) - o.other_usd
  FROM llm.budgets AS b
  CROSS JOIN LATERAL llm.window_for(b.period, internal.now(), llm.tenant_zone(v_tenant)) AS w
  CROSS JOIN LATERAL llm.overlapping(v_tenant, b.budget_id, w.window_start, w.starts_at,
                                     w.ends_at) AS o
  LEFT JOIN llm.budget_windows AS x
    ON x.tenant_id = b.tenant_id AND x.budget_id = b.budget_id AND x.window_start = w.window_start
  WHERE b.tenant_id = v_tenant
  ORDER BY b.scope, b.period, b.budget_id;
END
$fn$;
COMMENT ON FUNCTION api.list_llm_budgets() IS
  'The tenant''s LLM budgets with the current local window: spent, reserved, remaining (USD).';
GRANT EXECUTE ON FUNCTION api.list_llm_budgets() TO claw_runtime, claw_worker;

-- api.list_llm_models: the model catalogue with the price in force now and the state of this
-- tenant's breaker of each provider.
CREATE OR REPLACE FUNCTION api.list_llm_models()
RETURNS TABLE (model text, provider text, tokenizer text, context_window integer,
               max_output_tokens integer, input_usd_per_mtok numeric,
               cached_input_usd_per_mtok numeric, output_usd_per_mtok numeric,
               price_valid_from timestamptz, breaker text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing LLM models');
  RETURN QUERY
  SELECT m.model, m.provider, m.tokenizer, m.context_window, m.max_output_tokens,
         p.input_usd_per_mtok, p.cached_input_usd_per_mtok, p.output_usd_per_mtok,
         p.valid_from, coalesce(b.state, 'closed')
  FROM internal.llm_models AS m
  LEFT JOIN LATERAL llm.price_at(m.model, internal.now()) AS p ON true
  LEFT JOIN llm.breakers AS b
    ON b.tenant_id = internal.current_tenant_id() AND b.provider = m.provider
  ORDER BY m.provider, m.model;
END
$fn$;
COMMENT ON FUNCTION api.list_llm_models() IS
  'The LLM model catalogue: provider, tokenizer, limits, the price in force, this tenant''s '
  'breaker state.';
GRANT EXECUTE ON FUNCTION api.list_llm_models() TO claw_runtime, claw_worker;
