-- llm.tenant_zone: the tenant's time zone for budget windows and usage days (UTC until set
-- with api.set_llm_settings).
CREATE OR REPLACE FUNCTION llm.tenant_zone(p_tenant_id uuid)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT coalesce((SELECT s.time_zone FROM llm.settings AS s WHERE s.tenant_id = p_tenant_id),
                  'UTC')
$fn$;

-- llm.lock_zone: the tenant's zone lock, for this transaction. api.begin_llm_call takes it
-- shared before it reads the zone (which picks the windows its call is held in);
-- api.set_llm_settings takes it exclusive, so a zone change waits for the begins that read
-- the old zone, whose holds, uncommitted, a begin in the new zone could not see
-- (llm.overlapping reads them in its snapshot). Through internal.lock_named.
CREATE OR REPLACE FUNCTION llm.lock_zone(p_tenant_id uuid, p_exclusive boolean)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT internal.lock_named('llm.zone:' || p_tenant_id::text, p_exclusive)
$fn$;

-- llm.window_for: the budget window (local day or local month in p_zone) holding p_at: its
-- local start date and its bounds in absolute time. Across a DST change a local day is 23 or
-- 25 hours long; the bounds are local midnights, whatever their offset.
CREATE OR REPLACE FUNCTION llm.window_for(
  p_period text, p_at timestamptz, p_zone text,
  OUT window_start date, OUT starts_at timestamptz, OUT ends_at timestamptz)
LANGUAGE sql
STABLE
AS $fn$
  SELECT s.w, s.w::timestamp AT TIME ZONE p_zone,
         (s.w + CASE p_period WHEN 'day' THEN interval '1 day' ELSE interval '1 month' END)
           AT TIME ZONE p_zone
  FROM (SELECT pg_catalog.date_trunc(CASE p_period WHEN 'day' THEN 'day' ELSE 'month' END,
                                     p_at AT TIME ZONE p_zone)::date AS w) AS s
$fn$;

-- llm.overlapping: what the budget's other windows whose hours overlap this one hold
-- (other_usd: spent + reserved). Windows are keyed by local start date, so a time-zone
-- change (api.set_llm_settings) makes the current window a different row from the one that
-- held the same hours in the old zone; admission (llm.reserve) counts both, so moving the
-- zone never opens a fresh day or month over hours already spent. In one zone windows never
-- overlap and this is 0. Only windows starting within 32 days either side can overlap
-- (zones differ by at most 26 hours): a range of the primary key, not the budget's history.
-- A set-returning SQL function with one SELECT: used in FROM (CROSS JOIN LATERAL) it is
-- inlined into the caller's plan, no function call per budget.
CREATE OR REPLACE FUNCTION llm.overlapping(p_tenant_id uuid, p_budget_id uuid,
                                           p_window_start date, p_starts_at timestamptz,
                                           p_ends_at timestamptz)
RETURNS TABLE (other_usd numeric)
LANGUAGE sql
STABLE
AS $fn$
  SELECT coalesce(pg_catalog.sum(x.spent_usd + x.reserved_usd), 0)
  FROM llm.budget_windows AS x
  WHERE x.tenant_id = p_tenant_id AND x.budget_id = p_budget_id
    AND x.window_start BETWEEN p_window_start - 32 AND p_window_start + 32
    AND x.window_start <> p_window_start
    AND x.starts_at < p_ends_at AND x.ends_at > p_starts_at
$fn$;
