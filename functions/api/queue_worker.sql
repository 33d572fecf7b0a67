-- The worker's calls (claw_worker only): thin wrappers over the lease functions in
-- functions/queue/leases.sql, which run as claw_dispatcher across tenants. See that file for
-- the flow, the locks and the errors.

-- api.claim_jobs: lease up to p_limit jobs of one queue for p_lease_seconds.
CREATE OR REPLACE FUNCTION api.claim_jobs(p_queue text, p_worker text, p_limit integer DEFAULT 100,
                                          p_lease_seconds integer DEFAULT 30,
                                          p_idle_runners integer DEFAULT NULL)
RETURNS TABLE (job_id uuid, tenant_id uuid, queue text, kind text, payload jsonb,
               priority smallint, attempt integer, max_attempts integer, lease_token uuid,
               lease_expires_at timestamptz, trace_id text, enqueued_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_n integer;
BEGIN
  IF p_queue IS NULL OR NOT pg_catalog.pg_input_is_valid(p_queue, 'queue.queue_name') THEN
    -- no job can be in such a queue (the domain queue.jobs's names are held to); with
    -- p_idle_runners a NULL one reached the waiting workers' table as a raw 23502, and a
    -- bad name was registered as waited on
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue',
      DETAIL = pg_catalog.format('%L is not a queue name', pg_catalog.left(p_queue, 100)),
      HINT = 'a queue is named like "default" (lower case, digits, _ . -; up to 63)';
  END IF;
  IF p_idle_runners < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idle runner count',
      DETAIL = pg_catalog.format('p_idle_runners must be 0 or more, not %s', p_idle_runners),
      HINT = 'pass how many of the worker''s runners have no job to run, or NULL';
  END IF;
  RETURN QUERY
  SELECT * FROM queue.claim_jobs(internal.require_size('p_queue', p_queue, 'name'),
                                 internal.require_size('p_worker', p_worker, 'name'),
                                 p_limit, p_lease_seconds);
  IF p_idle_runners IS NOT NULL THEN
    -- a worker left with a free runner by a short claim waits to be woken for this queue
    -- (functions/queue/waiting.sql); one this claim keeps busy does not
    GET DIAGNOSTICS v_n = ROW_COUNT;
    PERFORM queue.note_waiting(p_queue, p_worker, v_n < p_limit AND v_n < p_idle_runners);
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.claim_jobs(text, text, integer, integer, integer) IS
  'Worker: lease up to p_limit jobs of a queue (FOR UPDATE SKIP LOCKED, tenant-fair order), '
  'reclaiming expired leases first. All returned jobs share one lease_token. With '
  'p_idle_runners (how many of the worker''s runners are free), a claim that leaves one free '
  'registers the worker to be woken alone by the next enqueue (its channel: '
  'queue.worker_channel(p_worker)).';
GRANT EXECUTE ON FUNCTION api.claim_jobs(text, text, integer, integer, integer) TO claw_worker;

-- api.heartbeat_jobs: extend leases; returns the jobs still held.
CREATE OR REPLACE FUNCTION api.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid,
                                              p_lease_seconds integer DEFAULT 30)
RETURNS TABLE (job_id uuid, lease_expires_at timestamptz)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM queue.heartbeat_jobs(p_job_ids, p_lease_token, p_lease_seconds) $fn$;
COMMENT ON FUNCTION api.heartbeat_jobs(uuid[], uuid, integer) IS
  'Worker: extend the lease of jobs this token holds; a job missing from the result was lost.';
GRANT EXECUTE ON FUNCTION api.heartbeat_jobs(uuid[], uuid, integer) TO claw_worker;

-- api.complete_jobs: finish held jobs (all or nothing; CL409 if any is not held).
CREATE OR REPLACE FUNCTION api.complete_jobs(p_job_ids uuid[], p_lease_token uuid)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT queue.complete_jobs(p_job_ids, p_lease_token) $fn$;
COMMENT ON FUNCTION api.complete_jobs(uuid[], uuid) IS
  'Worker: mark held jobs completed (moved to history). CL409 and nothing written if any job '
  'is no longer held by this lease.';
GRANT EXECUTE ON FUNCTION api.complete_jobs(uuid[], uuid) TO claw_worker;

-- api.fail_job: record a failed attempt; retry with backoff or dead-letter.
-- A failure report is never refused for its length: the job keeps 4,000 characters of an
-- error (queue.fail_job), so a longer p_error is cut here to its head, ending in
-- '... [truncated: <n> characters in all]', before anything else. Refusing it (as the 64 KiB
-- `text` guard once did, CL422) left the job running with no error recorded and cost the
-- worker that reported it (claw.worker sends at most 4,000 characters since). The size guard
-- stays, as on every api input (tests/test_hardening.py), but runs on the cut text: 4,000
-- characters are at most 16,000 bytes, so no real error can reach it.
-- Raises: CL409 (lease not held), CL422 (empty p_error, bad p_retry_in_seconds).
CREATE OR REPLACE FUNCTION api.fail_job(p_job_id uuid, p_lease_token uuid, p_error text,
                                        p_retry boolean DEFAULT true,
                                        p_retry_in_seconds integer DEFAULT NULL)
RETURNS TABLE (state text, run_at timestamptz, attempts integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_length integer := pg_catalog.length(p_error);
  v_tail text;
BEGIN
  IF v_length > 4000 THEN
    v_tail := pg_catalog.format('... [truncated: %s characters in all]', v_length);
    p_error := pg_catalog.left(p_error, 4000 - pg_catalog.length(v_tail)) || v_tail;
  END IF;
  RETURN QUERY SELECT * FROM queue.fail_job(p_job_id, p_lease_token,
    internal.require_size('p_error', p_error, 'text'), p_retry, p_retry_in_seconds);
END
$fn$;
COMMENT ON FUNCTION api.fail_job(uuid, uuid, text, boolean, integer) IS
  'Worker: record a failed attempt of a held job: scheduled for retry after exponential backoff '
  'with jitter, or dead after the last attempt (p_retry => false: dead now). CL409 if not held.';
GRANT EXECUTE ON FUNCTION api.fail_job(uuid, uuid, text, boolean, integer) TO claw_worker;

-- api.release_jobs: give held jobs back without counting the attempt (shutdown).
CREATE OR REPLACE FUNCTION api.release_jobs(p_job_ids uuid[], p_lease_token uuid)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT queue.release_jobs(p_job_ids, p_lease_token) $fn$;
COMMENT ON FUNCTION api.release_jobs(uuid[], uuid) IS
  'Worker: return held jobs to the queue untouched (graceful shutdown); returns how many.';
GRANT EXECUTE ON FUNCTION api.release_jobs(uuid[], uuid) TO claw_worker;

-- api.act_as_job: act inside the tenant of a job this lease holds, for the rest of the
-- transaction (roles '{worker}'). CL409 when the lease is not held or has expired.
CREATE OR REPLACE FUNCTION api.act_as_job(p_job_id uuid, p_lease_token uuid)
RETURNS uuid
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT queue.lease_context(p_job_id, p_lease_token) $fn$;
COMMENT ON FUNCTION api.act_as_job(uuid, uuid) IS
  'Worker: set the tenant context of a job whose live lease this token is, for this '
  'transaction; returns the tenant id. The only way a worker acts inside a tenant.';
GRANT EXECUTE ON FUNCTION api.act_as_job(uuid, uuid) TO claw_worker;

-- api.tick_schedules: enqueue due schedule fires (exactly once each); returns how many.
CREATE OR REPLACE FUNCTION api.tick_schedules(p_limit integer DEFAULT 100)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT queue.tick_schedules(p_limit) $fn$;
COMMENT ON FUNCTION api.tick_schedules(integer) IS
  'Worker: enqueue the jobs of due schedules, once per schedule and fire instant.';
GRANT EXECUTE ON FUNCTION api.tick_schedules(integer) TO claw_worker;

-- api.maintain_queue: history partitions ahead, old ones dropped; returns what it did.
CREATE OR REPLACE FUNCTION api.maintain_queue(p_retention_days integer DEFAULT 14)
RETURNS text[]
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT queue.maintain_history(p_retention_days) $fn$;
COMMENT ON FUNCTION api.maintain_queue(integer) IS
  'Worker: create job history partitions ahead and drop those past retention (days).';
GRANT EXECUTE ON FUNCTION api.maintain_queue(integer) TO claw_worker;
