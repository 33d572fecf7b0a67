-- authz.permitted: does the subject hold p_relation on p_object ('type:id')? For filters
-- inside other queries (semantic search: permission before retrieval). A type without that
-- relation permits nothing. COST is high so the planner runs it after every cheaper
-- predicate (the tenant, the text match). Evaluated as claw_authz_reader, like authz.check.
-- Decided as api.is_permitted decides: authz.evaluate with the model's "decide" flag asks
-- authz.reaches wherever the compiled model's "x" allows it, which walks a diamond of
-- parents once per (node, depth) where the explaining evaluator follows every path.
-- Fails closed: a candidate whose decision is CL508 (too deep, too complex, a cycle) is not
-- permitted, so one document on a costly graph cannot abort everyone else's search
-- (tests/test_authz_attacks.py). Only CL508 is caught; every other error still aborts.
CREATE OR REPLACE FUNCTION authz.permitted(p_tenant_id uuid, p_model jsonb, p_object text,
                                           p_relation text, p_subject_type text,
                                           p_subject_id text, p_subject_relation text,
                                           p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql
STABLE
COST 1000
AS $fn$
DECLARE
  v_i integer := pg_catalog.strpos(p_object, ':');
  v_type text := pg_catalog.left(p_object, v_i - 1);
BEGIN
  IF v_i < 2 OR NOT coalesce(p_model -> 'r' ? (v_type || '#' || p_relation), false) THEN
    RETURN false;
  END IF;
  -- without the model's "u": nested groups walked down from each candidate, not up from
  -- the subject, which would walk the same subject's groups again for every candidate
  RETURN authz.evaluate_in_tenant(p_tenant_id, (p_model - 'u') || '{"decide": true}'::jsonb,
                                  v_type, pg_catalog.substr(p_object, v_i + 1), p_relation,
                                  p_subject_type, p_subject_id, p_subject_relation,
                                  p_now) IS NOT NULL;
EXCEPTION WHEN SQLSTATE 'CL508' THEN
  RETURN false;
END
$fn$;
