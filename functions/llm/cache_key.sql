-- llm.cache_key: the response cache's key of a call: sha256 over the task, the version of its
-- route, the route's chain and the caller's request hash (sha256 of the parameters and the
-- assembled context). The task and the route version are in it because the route shapes the
-- answer beyond the caller's hash (its output schema, applied after the hash is taken, its
-- output cap, its repairs): an answer of one task, or of one version of a route, is never
-- served to another. api.begin_llm_call looks it up; api.finish_llm_call fills it only when
-- the route is still at the version the call was begun under (llm.reservations.route_version).
CREATE OR REPLACE FUNCTION llm.cache_key(p_task text, p_route_version integer,
                                         p_models text[], p_request_hash text)
RETURNS bytea
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT pg_catalog.sha256(pg_catalog.convert_to(
    p_task || '|' || p_route_version || '|' || pg_catalog.array_to_string(p_models, ',')
    || '|' || p_request_hash, 'UTF8'))
$fn$;
