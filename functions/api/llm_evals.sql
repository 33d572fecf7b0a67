-- Eval runs (claw eval SUITE): the runner scores each golden case in Python and records the
-- run here; the score, the baseline (the suite's last accepted run) and whether it regressed
-- beyond the threshold are decided in SQL. Accepting a run makes it the next baseline.
-- Who: recording needs owner, admin, operator or worker (scope llm:call); accepting owner or
-- admin (llm:admin); listing any tenant role (llm:read).

-- api.record_llm_eval_run: p_results [{case_id, scorer, score (0..1), passed, output,
-- detail}]. The run's score is the mean case score; it regressed when the baseline's score
-- minus this score exceeds p_threshold. Returns jsonb {eval_run_id, score, passed, cases,
-- baseline_run_id, baseline_score, regressed}. Raises CL401, CL403, CL422.
CREATE OR REPLACE FUNCTION api.record_llm_eval_run(
  p_suite text, p_task text, p_threshold numeric, p_results jsonb,
  p_cost_usd numeric DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
  v_run llm.eval_runs;
  v_base llm.eval_runs;
  v_cases integer;
  v_passed integer;
  v_score numeric;
BEGIN
  PERFORM internal.require_size('p_suite', p_suite, 'name'),
          internal.require_size('p_task', p_task, 'name'),
          internal.require_size('p_results', p_results, 'batch');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'llm:call', 'recording an eval run');
  v_tenant := internal.current_tenant_id();
  IF p_suite IS NULL OR p_suite !~ '^[a-z][a-z0-9_.-]{0,62}$' OR p_task IS NULL
     OR p_threshold IS NULL OR p_threshold NOT BETWEEN 0 AND 1
     OR p_cost_usd < 0 OR p_cost_usd >= 1000000000  -- NaN sorts above every number
     OR p_results IS NULL OR pg_catalog.jsonb_typeof(p_results) <> 'array'
     OR pg_catalog.jsonb_array_length(p_results) = 0
     -- each result checked by its JSON types before any cast (a text score raised 22P02, a
     -- non-object 22023, an empty or long case_id the table's check, 23514)
     OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(p_results) AS e(j)
                WHERE pg_catalog.jsonb_typeof(e.j) <> 'object'
                   OR pg_catalog.jsonb_typeof(e.j -> 'case_id') NOT IN ('string', 'number')
                   OR pg_catalog.length(e.j ->> 'case_id') NOT BETWEEN 1 AND 200
                   OR pg_catalog.jsonb_typeof(e.j -> 'score') IS DISTINCT FROM 'number'
                   OR (e.j ->> 'score')::numeric NOT BETWEEN 0 AND 1
                   OR pg_catalog.jsonb_typeof(e.j -> 'passed') IS DISTINCT FROM 'boolean'
                   OR pg_catalog.jsonb_typeof(e.j -> 'scorer') IS DISTINCT FROM 'string'
                   OR (e.j ->> 'scorer') NOT IN ('exact', 'json_schema', 'contains', 'numeric',
                                                 'judge')) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid eval run',
      DETAIL = 'a suite name, a task, a threshold in 0..1, a cost from 0 below 10^9 USD and a '
               'non-empty array of result objects {case_id (1 to 200 characters), scorer '
               'exact|json_schema|contains|numeric|judge, score a number 0..1, passed a boolean}',
      HINT = 'see COMMENT ON FUNCTION api.record_llm_eval_run';
  END IF;
  SELECT count(*), count(*) FILTER (WHERE r.passed), avg(r.score)
    INTO v_cases, v_passed, v_score
  FROM pg_catalog.jsonb_to_recordset(p_results) AS r(score numeric, passed boolean);
  SELECT e.* INTO v_base FROM llm.eval_runs AS e
  WHERE e.tenant_id = v_tenant AND e.suite = p_suite AND e.accepted_at IS NOT NULL
  ORDER BY e.accepted_at DESC LIMIT 1;
  INSERT INTO llm.eval_runs (tenant_id, suite, task, cases, passed, score, threshold,
                             baseline_run_id, baseline_score, regressed, cost_usd, created_by,
                             created_at)
  VALUES (v_tenant, p_suite, p_task, v_cases, v_passed, round(v_score, 6), p_threshold,
          v_base.eval_run_id, v_base.score,
          coalesce(v_base.score - round(v_score, 6) > p_threshold, false),
          coalesce(p_cost_usd, 0), internal.current_principal_id(), internal.now())
  RETURNING * INTO v_run;
  INSERT INTO llm.eval_results (tenant_id, eval_run_id, case_id, scorer, score, passed, output,
                                detail)
  SELECT v_tenant, v_run.eval_run_id, r.case_id, r.scorer, round(r.score, 6), r.passed,
         pg_catalog.left(r.output, 10000), r.detail
  FROM pg_catalog.jsonb_to_recordset(p_results)
         AS r(case_id text, scorer text, score numeric, passed boolean, output text, detail jsonb);
  RETURN pg_catalog.jsonb_build_object(
    'eval_run_id', v_run.eval_run_id, 'score', v_run.score, 'passed', v_run.passed,
    'cases', v_run.cases, 'baseline_run_id', v_run.baseline_run_id,
    'baseline_score', v_run.baseline_score, 'regressed', v_run.regressed);
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid eval run',
    DETAIL = 'two results share a case_id', HINT = 'case ids are unique within a suite';
END
$fn$;
COMMENT ON FUNCTION api.record_llm_eval_run(text, text, numeric, jsonb, numeric) IS
  'Record an eval run of a suite: per-case results; returns its score, the last accepted '
  'baseline''s score and whether it regressed beyond the threshold. CL422 bad input.';
GRANT EXECUTE ON FUNCTION api.record_llm_eval_run(text, text, numeric, jsonb, numeric)
  TO claw_runtime, claw_worker;

-- api.accept_llm_eval_run: make a run its suite's baseline. Raises CL401, CL403, CL404.
CREATE OR REPLACE FUNCTION api.accept_llm_eval_run(p_eval_run_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'accepting an eval run');
  UPDATE llm.eval_runs AS e
  SET accepted_at = internal.now(), accepted_by = internal.current_principal_id()
  WHERE e.tenant_id = internal.current_tenant_id() AND e.eval_run_id = p_eval_run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'eval run not found',
      DETAIL = pg_catalog.format('eval run %s is not visible in this tenant', p_eval_run_id),
      HINT = 'pass an eval_run_id from api.list_llm_eval_runs';
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.accept_llm_eval_run(uuid) IS
  'Accept an eval run as its suite''s baseline (owner/admin). CL404 unknown run.';
GRANT EXECUTE ON FUNCTION api.accept_llm_eval_run(uuid) TO claw_runtime;

-- api.list_llm_eval_runs: a suite's runs (or every suite's), newest first.
CREATE OR REPLACE FUNCTION api.list_llm_eval_runs(p_suite text DEFAULT NULL)
RETURNS TABLE (eval_run_id uuid, suite text, task text, cases integer, passed integer,
               score numeric, baseline_score numeric, regressed boolean, cost_usd numeric,
               accepted_at timestamptz, created_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_suite', p_suite, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing eval runs');
  RETURN QUERY
  SELECT e.eval_run_id, e.suite, e.task, e.cases, e.passed, e.score, e.baseline_score,
         e.regressed, e.cost_usd, e.accepted_at, e.created_at
  FROM llm.eval_runs AS e
  WHERE e.tenant_id = internal.current_tenant_id() AND (p_suite IS NULL OR e.suite = p_suite)
  ORDER BY e.created_at DESC, e.eval_run_id DESC LIMIT 100;
END
$fn$;
COMMENT ON FUNCTION api.list_llm_eval_runs(text) IS
  'Eval runs of a suite (or all), newest first, with score, baseline score, regression flag.';
GRANT EXECUTE ON FUNCTION api.list_llm_eval_runs(text) TO claw_runtime, claw_worker;
