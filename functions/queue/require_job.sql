-- queue.require_job: lock one of this tenant's hot jobs, or raise CL404 / CL409 (finished).
CREATE OR REPLACE FUNCTION queue.require_job(p_job_id uuid, p_action text)
RETURNS queue.jobs
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_job queue.jobs;
BEGIN
  SELECT j.* INTO v_job FROM queue.jobs AS j
  WHERE j.tenant_id = internal.current_tenant_id() AND j.job_id = p_job_id
  FOR UPDATE;
  IF FOUND THEN
    RETURN v_job;
  END IF;
  IF EXISTS (SELECT 1 FROM queue.job_history AS h
             WHERE h.tenant_id = internal.current_tenant_id() AND h.job_id = p_job_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'job already finished',
      DETAIL = pg_catalog.format('job %s has finished; cannot %s it', p_job_id, p_action),
      HINT = 'api.get_job shows its outcome';
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'job not found',
    DETAIL = pg_catalog.format('no job %s in this tenant', p_job_id),
    HINT = 'check the job id';
END
$fn$;

-- queue.record_history: append finished jobs (rows already deleted from queue.jobs) to the
-- history with their outcome. Runs as its caller (the tenant policy applies to claw_owner).
CREATE OR REPLACE FUNCTION queue.record_history(p_jobs queue.jobs[], p_outcome text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_n integer;
BEGIN
  INSERT INTO queue.job_history (tenant_id, job_id, queue, kind, payload, priority, outcome,
                                 attempts, max_attempts, unique_key, errors, trace_id,
                                 lease_holder, enqueued_at, started_at, finished_at)
  SELECT d.tenant_id, d.job_id, d.queue, d.kind, d.payload, d.priority, p_outcome, d.attempts,
         d.max_attempts, d.unique_key, d.errors, d.trace_id, d.lease_holder, d.enqueued_at,
         d.started_at, internal.now()
  FROM pg_catalog.unnest(p_jobs) AS d;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$fn$;
GRANT EXECUTE ON FUNCTION queue.record_history(queue.jobs[], text) TO claw_dispatcher;
