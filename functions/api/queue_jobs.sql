-- Jobs, for applications (and for workers acting inside a job's tenant): enqueue inside the
-- caller's transaction, look at, cancel and retry the authenticated tenant's jobs. The
-- queue itself (claim, leases, fairness) is in functions/queue/.

-- api.enqueue_jobs: enqueue a batch (a JSON array of job specs, see functions/queue/enqueue.sql)
-- in the caller's transaction: the jobs exist only if the caller commits. Who: owner, admin,
-- operator, or a worker acting for a job (api.act_as_job); scope queue:write.
-- Returns per spec, in order: job id, deduplicated (unique_key already waiting or running).
-- Raises CL401, CL403, CL422 (naming the first bad spec; nothing enqueued).
CREATE OR REPLACE FUNCTION api.enqueue_jobs(p_jobs jsonb)
RETURNS TABLE (job_id uuid, deduplicated boolean)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'queue:write', 'enqueueing jobs');
  RETURN QUERY SELECT i.job_id, i.deduplicated
               FROM queue.insert_jobs(internal.current_tenant_id(),
                                       internal.require_size('p_jobs', p_jobs, 'batch')) AS i;
END
$fn$;
COMMENT ON FUNCTION api.enqueue_jobs(jsonb) IS
  'Enqueue a batch of jobs (JSON array of {queue, kind, payload, priority, run_at, unique_key, '
  'rate_key, max_attempts, trace_id}) in this transaction. Returns job_id, deduplicated per spec.';
GRANT EXECUTE ON FUNCTION api.enqueue_jobs(jsonb) TO claw_runtime, claw_worker;

-- api.enqueue_job: enqueue one job; the named-argument form of api.enqueue_jobs, with the
-- same rules (queue.job_spec_problem), errors and result. A valid job without a unique key
-- takes the short path: one context verification, its fair key (queue.take_fair_keys) and one
-- INSERT; a job with a unique key (the dedupe) or a bad one (its CL422) goes through
-- queue.insert_jobs. The payload is stored as given (JSON nulls inside it kept).
CREATE OR REPLACE FUNCTION api.enqueue_job(p_queue text, p_kind text, p_payload jsonb DEFAULT '{}',
                                           p_priority integer DEFAULT 0,
                                           p_run_at timestamptz DEFAULT NULL,
                                           p_unique_key text DEFAULT NULL,
                                           p_rate_key text DEFAULT NULL,
                                           p_max_attempts integer DEFAULT 5)
RETURNS TABLE (job_id uuid, deduplicated boolean)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
  v_spec jsonb;
  v_now timestamptz;
BEGIN
  PERFORM internal.require_size('p_queue', p_queue, 'name'),
          internal.require_size('p_kind', p_kind, 'name'),
          internal.require_size('p_payload', p_payload, 'json'),
          internal.require_size('p_unique_key', p_unique_key, 'name'),
          internal.require_size('p_rate_key', p_rate_key, 'name');
  v_tenant := internal.require_role('{owner,admin,operator,worker}', 'queue:write',
                                    'enqueueing jobs');
  -- A unique key (dedupe), or arguments the pre-check does not pass, go the batch's way
  -- with the spec api.enqueue_jobs would get: absent, not null, where an argument is NULL
  -- (a JSON null payload stays: job_spec_problem refuses it, as in a batch). Its CL422 names
  -- the problem.
  IF p_unique_key IS NOT NULL
     OR NOT coalesce(queue.job_args_plainly_valid(p_queue, p_kind, p_payload, p_priority,
                                                  p_rate_key, p_max_attempts), false) THEN
    v_spec := JSON_OBJECT('queue': p_queue, 'kind': p_kind, 'priority': p_priority,
                          'run_at': p_run_at, 'unique_key': p_unique_key,
                          'rate_key': p_rate_key, 'max_attempts': p_max_attempts
                          ABSENT ON NULL RETURNING jsonb);
    IF p_payload IS NOT NULL THEN
      v_spec := v_spec || pg_catalog.jsonb_build_object('payload', p_payload);
    END IF;
    RETURN QUERY SELECT i.job_id, i.deduplicated
                 FROM queue.insert_jobs(v_tenant, pg_catalog.jsonb_build_array(v_spec)) AS i;
    RETURN;
  END IF;
  v_now := internal.now();
  job_id := pg_catalog.uuidv7();
  deduplicated := false;
  INSERT INTO queue.jobs (tenant_id, job_id, queue, kind, payload, priority, fair_key, state,
                          run_at, max_attempts, rate_key, trace_id, enqueued_at)
  VALUES (v_tenant, job_id, p_queue, p_kind, coalesce(p_payload, '{}'), coalesce(p_priority, 0),
          -- a job delayed to later takes its key when it comes due (NULL; p_n = 0)
          queue.take_fair_keys(v_tenant, p_queue, coalesce(p_priority, 0)::smallint,
                               CASE WHEN p_run_at > v_now THEN 0 ELSE 1 END),
          CASE WHEN p_run_at > v_now THEN 'scheduled' ELSE 'available' END,
          coalesce(p_run_at, v_now), coalesce(p_max_attempts, 5), p_rate_key,
          internal.trace_id(), v_now);
  RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION api.enqueue_job(text, text, jsonb, integer, timestamptz, text, text, integer) IS
  'Enqueue one job in this transaction. Returns job_id and whether an existing job with the '
  'same unique_key was returned instead.';
GRANT EXECUTE ON FUNCTION api.enqueue_job(text, text, jsonb, integer, timestamptz, text, text, integer)
  TO claw_runtime, claw_worker;

-- api.get_job: one job of this tenant, waiting, running, dead or finished. CL404 otherwise.
CREATE OR REPLACE FUNCTION api.get_job(p_job_id uuid)
RETURNS TABLE (job_id uuid, queue text, kind text, state text, payload jsonb, priority smallint,
               attempts integer, max_attempts integer, run_at timestamptz, unique_key text,
               errors jsonb, trace_id text, enqueued_at timestamptz, started_at timestamptz,
               finished_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'queue:read',
                                'reading a job');
  RETURN QUERY
  SELECT j.job_id, j.queue, j.kind, j.state, j.payload, j.priority, j.attempts, j.max_attempts,
         j.run_at, j.unique_key, j.errors, j.trace_id, j.enqueued_at, j.started_at,
         NULL::timestamptz
  FROM queue.jobs AS j
  WHERE j.tenant_id = internal.current_tenant_id() AND j.job_id = p_job_id
  UNION ALL
  SELECT h.job_id, h.queue, h.kind, h.outcome, h.payload, h.priority, h.attempts, h.max_attempts,
         NULL, h.unique_key, h.errors, h.trace_id, h.enqueued_at, h.started_at, h.finished_at
  FROM queue.job_history AS h
  WHERE h.tenant_id = internal.current_tenant_id() AND h.job_id = p_job_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'job not found',
      DETAIL = pg_catalog.format('no job %s in this tenant', p_job_id),
      HINT = 'finished jobs are kept for the history retention (default 14 days)';
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.get_job(uuid) IS
  'One job of this tenant: state scheduled, available, running, dead, completed or cancelled, '
  'with every error of every attempt.';
GRANT EXECUTE ON FUNCTION api.get_job(uuid) TO claw_runtime, claw_worker;

-- api.list_jobs: this tenant's jobs in the hot table (waiting, running, dead), newest first,
-- a page of p_limit (1..1000) at a time: pass the last row's cursor as p_cursor for the
-- next page (keyset on (enqueued_at, job_id): jobs enqueued meanwhile never shift a page).
-- Raises CL422 bad state, limit, or a cursor of another tenant, list or filters.
CREATE OR REPLACE FUNCTION api.list_jobs(p_state text DEFAULT NULL, p_queue text DEFAULT NULL,
                                         p_limit integer DEFAULT 100, p_cursor text DEFAULT NULL)
RETURNS TABLE (job_id uuid, queue text, kind text, state text, attempts integer,
               max_attempts integer, run_at timestamptz, last_error text, enqueued_at timestamptz,
               cursor text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_filters jsonb := pg_catalog.jsonb_build_object('state', p_state, 'queue', p_queue);
  v_after jsonb;
BEGIN
  PERFORM internal.require_size('p_state', p_state, 'name'),
          internal.require_size('p_queue', p_queue, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'queue:read',
                                'listing jobs');
  IF p_state IS NOT NULL AND p_state NOT IN ('scheduled', 'available', 'running', 'dead') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job state',
      DETAIL = pg_catalog.format('%L is not a state of a waiting, running or dead job', p_state),
      HINT = 'scheduled, available, running or dead; finished jobs: api.get_job';
  END IF;
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_jobs', v_filters, p_cursor);
  RETURN QUERY
  SELECT j.job_id, j.queue::text, j.kind::text, j.state, j.attempts, j.max_attempts, j.run_at,
         j.errors -> -1 ->> 'error', j.enqueued_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY j.enqueued_at DESC, j.job_id DESC)
                   = p_limit  -- a full page: its last row carries the next page's cursor
              THEN internal.make_cursor('api.list_jobs', v_filters, pg_catalog.jsonb_build_object(
                     'at', j.enqueued_at, 'id', j.job_id)) END
  FROM queue.jobs AS j
  WHERE j.tenant_id = internal.current_tenant_id()
    AND (p_state IS NULL OR j.state = p_state) AND (p_queue IS NULL OR j.queue = p_queue)
    AND (v_after IS NULL OR (j.enqueued_at, j.job_id)
                            < ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid))
  ORDER BY j.enqueued_at DESC, j.job_id DESC
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION api.list_jobs(text, text, integer, text) IS
  'This tenant''s waiting, running and dead jobs, newest first (p_state => ''dead'' lists the '
  'dead letters); the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';
GRANT EXECUTE ON FUNCTION api.list_jobs(text, text, integer, text) TO claw_runtime;

-- api.cancel_job: cancel a job of this tenant. A waiting or dead job moves to history as
-- 'cancelled' now. A running job is marked: its worker's next heartbeat (every third of the
-- lease) finds it gone and cancels the handler, and the job moves to history as 'cancelled'
-- (at the latest when the lease expires); a late completion is refused (CL409). Returns the
-- job's state afterwards: 'cancelled' or 'cancelling'. Who: owner, admin, operator.
-- Raises CL404 unknown, CL409 already finished. Locks the job row.
CREATE OR REPLACE FUNCTION api.cancel_job(p_job_id uuid)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_job queue.jobs;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'cancelling a job');
  v_job := queue.require_job(p_job_id, 'cancel');
  IF v_job.state = 'running' THEN
    UPDATE queue.jobs AS j SET cancel_requested_at = coalesce(j.cancel_requested_at, internal.now())
    WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id;
    RETURN 'cancelling';
  END IF;
  DELETE FROM queue.jobs AS j WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id;
  PERFORM queue.record_history(ARRAY[v_job], 'cancelled');
  RETURN 'cancelled';
END
$fn$;
COMMENT ON FUNCTION api.cancel_job(uuid) IS
  'Cancel a job of this tenant: waiting or dead at once (''cancelled''); running at its worker''s '
  'next heartbeat (''cancelling''). CL409 when finished, CL404 unknown.';
GRANT EXECUTE ON FUNCTION api.cancel_job(uuid) TO claw_runtime;

-- api.retry_job: run a dead job again: attempts start over, its errors are kept. Who: owner,
-- admin, operator. CL409 unless the job is dead.
CREATE OR REPLACE FUNCTION api.retry_job(p_job_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_job queue.jobs;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'retrying a job');
  v_job := queue.require_job(p_job_id, 'retry');
  IF v_job.state <> 'dead' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'job is not dead',
      DETAIL = pg_catalog.format('job %s is %s; only dead jobs are retried', p_job_id, v_job.state),
      HINT = 'api.list_jobs(p_state => ''dead'') lists the dead letters';
  END IF;
  -- a new place in line, after the tenant's jobs waiting now: its old key would pull the
  -- head back, and every tenant's next key with it (queue.take_fair_keys)
  UPDATE queue.jobs AS j
  SET state = 'available', attempts = 0, run_at = internal.now(),
      fair_key = queue.take_fair_keys(v_job.tenant_id, v_job.queue, v_job.priority, 1)
  WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id;
  PERFORM pg_catalog.pg_notify('claw_queue', queue.notify_tag(v_job.queue));
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'a job with this unique key is waiting',
    DETAIL = pg_catalog.format('job %s has unique_key %L, which another waiting or running job '
                               'of this queue holds', p_job_id, v_job.unique_key),
    HINT = 'cancel the dead job instead';
END
$fn$;
COMMENT ON FUNCTION api.retry_job(uuid) IS
  'Make a dead job available again (attempts reset, error history kept). CL409 unless dead.';
GRANT EXECUTE ON FUNCTION api.retry_job(uuid) TO claw_runtime;
