-- llm.daily_usage: the usage ledger by tenant, local day (each tenant's zone), task and model,
-- for operators in psql (as a superuser, or inside a tenant context where RLS narrows it to
-- that tenant):  SELECT * FROM llm.daily_usage WHERE day = current_date ORDER BY cost_usd DESC;
CREATE OR REPLACE VIEW llm.daily_usage WITH (security_invoker = true) AS
SELECT c.tenant_id, (c.occurred_at AT TIME ZONE coalesce(s.time_zone, 'UTC'))::date AS day,
       c.task, c.model, c.provider, count(*) AS calls,
       count(*) FILTER (WHERE c.outcome NOT IN ('ok', 'cache_hit')) AS failed,
       count(*) FILTER (WHERE c.outcome = 'cache_hit') AS cache_hits,
       sum(c.input_tokens) AS input_tokens, sum(c.output_tokens) AS output_tokens,
       sum(c.cached_tokens) AS cached_tokens, sum(c.cost_usd) AS cost_usd,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY c.latency_ms) AS p50_latency_ms
FROM llm.calls AS c
LEFT JOIN llm.settings AS s ON s.tenant_id = c.tenant_id
GROUP BY 1, 2, 3, 4, 5;
