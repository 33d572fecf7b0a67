-- queue.require_job: lock one of this tenant's hot jobs, or raise CL404 / CL409 (finished).
CREATE OR REPLACE FUNCTION queue.require_job(p_job_id uuid, p_action text)
RETURNS queue.jobs
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
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
