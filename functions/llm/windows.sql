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
