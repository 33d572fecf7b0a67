-- The route version a call was begun under, on its reservation: the response cache is keyed by
-- the task, the route version, the chain and the caller's request hash, and
-- api.finish_llm_call fills it only when the route is still at that version (an answer made
-- under one version of a route, its output schema, output cap or chain, is never served under
-- another, nor to another task). NULL for reservations made before this migration (their
-- answers are not cached).
ALTER TABLE llm.reservations ADD COLUMN route_version integer;
