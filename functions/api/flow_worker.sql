-- Flows, for workers: every call names the run, the 'flow.run' job that dispatches it and
-- that job's lease token. The engine (functions/flow/) checks the lease (api.act_as_job, which
-- also sets the tenant context) and that the job is still the run's current dispatch, so a
-- worker whose lease expired and was taken over gets CL409 and can never write the run again.
-- claw_worker only; thin wrappers over functions/flow/.

-- api.claim_flow_run: Take the run this job dispatches: pending, sleeping or waiting -> running; returns action
-- 'run' with the recorded steps to replay, or 'skip' (stale job, finished or cancelled run).
CREATE OR REPLACE FUNCTION api.claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid)
RETURNS TABLE (action text, status text, flow_name text, flow_version integer, input jsonb, trace_id text, next_position integer, step_attempts integer, dispatches integer, steps jsonb)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM flow.claim(p_run_id, p_job_id, p_lease_token) $fn$;
COMMENT ON FUNCTION api.claim_flow_run(uuid, uuid, uuid) IS
  'Worker: take the run a flow.run job dispatches (-> running) and get its recorded steps to replay; action skip for a stale job or finished run.';
GRANT EXECUTE ON FUNCTION api.claim_flow_run(uuid, uuid, uuid) TO claw_worker;

-- api.record_flow_step: Checkpoint step p_position (written once: 23505 if it exists; CL409 stale lease or
-- dispatch, out of order). Returns 'running' or 'cancelled'.
CREATE OR REPLACE FUNCTION api.record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text DEFAULT 'step', p_started_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.record_step(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_output', p_output, 'json'), internal.require_size('p_kind', p_kind, 'name'), p_started_at) $fn$;
COMMENT ON FUNCTION api.record_flow_step(uuid, uuid, uuid, integer, text, text, jsonb, text, timestamptz) IS
  'Worker: checkpoint a completed step, once (a second write is 23505); only while holding the run''s lease (CL409 otherwise). Returns running or cancelled.';
GRANT EXECUTE ON FUNCTION api.record_flow_step(uuid, uuid, uuid, integer, text, text, jsonb, text, timestamptz) TO claw_worker;

-- api.fail_flow_step: A failed attempt of a step under its retry policy: the run sleeps until the retry
-- ('sleeping') or, after the last attempt, the step and the run fail ('failed').
CREATE OR REPLACE FUNCTION api.fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer DEFAULT 3, p_backoff_seconds double precision DEFAULT 1, p_backoff_max_seconds double precision DEFAULT 3600, p_retry boolean DEFAULT true)
RETURNS TABLE (status text, retry_at timestamptz, attempts integer)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM flow.fail_step(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_error', p_error, 'text'), p_max_attempts, p_backoff_seconds, p_backoff_max_seconds, p_retry) $fn$;
COMMENT ON FUNCTION api.fail_flow_step(uuid, uuid, uuid, integer, text, text, text, integer, double precision, double precision, boolean) IS
  'Worker: record a failed step attempt under the step''s retry policy (max attempts, exponential backoff): sleeping until the retry, or failed.';
GRANT EXECUTE ON FUNCTION api.fail_flow_step(uuid, uuid, uuid, integer, text, text, text, integer, double precision, double precision, boolean) TO claw_worker;

-- api.complete_flow_run: The flow returned: running -> completed with its output (wakes a waiting parent).
CREATE OR REPLACE FUNCTION api.complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb DEFAULT NULL)
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.complete(p_run_id, p_job_id, p_lease_token, internal.require_size('p_output', p_output, 'json')) $fn$;
COMMENT ON FUNCTION api.complete_flow_run(uuid, uuid, uuid, jsonb) IS
  'Worker: the flow function returned; the run is completed with its output.';
GRANT EXECUTE ON FUNCTION api.complete_flow_run(uuid, uuid, uuid, jsonb) TO claw_worker;

-- api.fail_flow_run: The flow failed outside a step (or its code no longer matches its history): -> failed.
CREATE OR REPLACE FUNCTION api.fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb)
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.fail(p_run_id, p_job_id, p_lease_token, internal.require_size('p_error', p_error, 'json')) $fn$;
COMMENT ON FUNCTION api.fail_flow_run(uuid, uuid, uuid, jsonb) IS
  'Worker: the flow failed outside a step (an exception, or code that no longer matches the recorded history); the run is failed.';
GRANT EXECUTE ON FUNCTION api.fail_flow_run(uuid, uuid, uuid, jsonb) TO claw_worker;

-- api.sleep_flow: Durable sleep at p_position until an instant or for seconds (fixed at the first call):
-- 'running' when over (recorded), 'sleeping' with a job dispatched for the instant.
CREATE OR REPLACE FUNCTION api.sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamptz DEFAULT NULL, p_seconds double precision DEFAULT NULL)
RETURNS TABLE (status text, wake_at timestamptz)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM flow.sleep(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), p_wake_at, p_seconds) $fn$;
COMMENT ON FUNCTION api.sleep_flow(uuid, uuid, uuid, integer, text, text, timestamptz, double precision) IS
  'Worker: durable sleep (timer fixed at first call, never moved by a replay); the worker is released until it is due.';
GRANT EXECUTE ON FUNCTION api.sleep_flow(uuid, uuid, uuid, integer, text, text, timestamptz, double precision) TO claw_worker;

-- api.wait_flow_signal: Wait for a signal with an optional timeout: consumes it (recorded, delivered once) or
-- suspends the run ('waiting'); after the timeout records received = false.
CREATE OR REPLACE FUNCTION api.wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamptz DEFAULT NULL, p_timeout_seconds double precision DEFAULT NULL)
RETURNS TABLE (status text, received boolean, payload jsonb)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM flow.wait_signal(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_signal', p_signal, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), p_timeout_at, p_timeout_seconds) $fn$;
COMMENT ON FUNCTION api.wait_flow_signal(uuid, uuid, uuid, integer, text, text, timestamptz, double precision) IS
  'Worker: wait for a named signal with an optional timeout; the signal is delivered to this step once, or the run waits without holding a worker.';
GRANT EXECUTE ON FUNCTION api.wait_flow_signal(uuid, uuid, uuid, integer, text, text, timestamptz, double precision) TO claw_worker;

-- api.start_child_flow: Start a child run and record the step naming it, in one transaction.
CREATE OR REPLACE FUNCTION api.start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb DEFAULT '{}', p_flow_version integer DEFAULT 1)
RETURNS TABLE (status text, child_run_id uuid)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM flow.start_child(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_flow_name', p_flow_name, 'name'), internal.require_size('p_input', p_input, 'json'), p_flow_version) $fn$;
COMMENT ON FUNCTION api.start_child_flow(uuid, uuid, uuid, integer, text, text, text, jsonb, integer) IS
  'Worker: start a child flow run from step N of this run (recorded with the step, so a replay never starts it twice).';
GRANT EXECUTE ON FUNCTION api.start_child_flow(uuid, uuid, uuid, integer, text, text, text, jsonb, integer) TO claw_worker;

-- api.wait_flow_child: Wait for a child run to finish: records its outcome, or the parent waits (woken by it).
CREATE OR REPLACE FUNCTION api.wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid)
RETURNS TABLE (status text, child_status text, child_output jsonb, child_error jsonb)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM flow.wait_child(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), p_child_run_id) $fn$;
COMMENT ON FUNCTION api.wait_flow_child(uuid, uuid, uuid, integer, text, text, uuid) IS
  'Worker: wait for a child run to finish; the parent waits without holding a worker and is woken when the child finishes.';
GRANT EXECUTE ON FUNCTION api.wait_flow_child(uuid, uuid, uuid, integer, text, text, uuid) TO claw_worker;

-- api.begin_flow_effect: Record an external effect's intent and idempotency key before the call (or return it).
CREATE OR REPLACE FUNCTION api.begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb DEFAULT '{}')
RETURNS TABLE (idempotency_key text, status text, sends integer, response jsonb)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM flow.begin_effect(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_provider', p_provider, 'name'), internal.require_size('p_request', p_request, 'json')) $fn$;
COMMENT ON FUNCTION api.begin_flow_effect(uuid, uuid, uuid, integer, text, text, text, jsonb) IS
  'Worker: record the intent and idempotency key of an external effect before calling the provider (returns the existing intent on a replay).';
GRANT EXECUTE ON FUNCTION api.begin_flow_effect(uuid, uuid, uuid, integer, text, text, text, jsonb) TO claw_worker;

-- api.mark_flow_effect_sent: intended -> sent, committed just before the provider call; returns the number of sends.
CREATE OR REPLACE FUNCTION api.mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.mark_effect_sent(p_run_id, p_job_id, p_lease_token, p_position) $fn$;
COMMENT ON FUNCTION api.mark_flow_effect_sent(uuid, uuid, uuid, integer) IS
  'Worker: mark an effect sent (commit this just before calling the provider); returns how many sends so far.';
GRANT EXECUTE ON FUNCTION api.mark_flow_effect_sent(uuid, uuid, uuid, integer) TO claw_worker;

-- api.settle_flow_effect: The provider's answer (confirmed) or a lookup's finding (reconciled) and the step's
-- checkpoint, in one transaction.
CREATE OR REPLACE FUNCTION api.settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb)
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.settle_effect(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_outcome', p_outcome, 'name'), internal.require_size('p_response', p_response, 'json')) $fn$;
COMMENT ON FUNCTION api.settle_flow_effect(uuid, uuid, uuid, integer, text, text, text, jsonb) IS
  'Worker: settle an effect as confirmed or reconciled with the provider''s response and checkpoint its step in the same transaction.';
GRANT EXECUTE ON FUNCTION api.settle_flow_effect(uuid, uuid, uuid, integer, text, text, text, jsonb) TO claw_worker;

-- api.mark_flow_effect_unknown: Reconciliation could not tell: effect unknown, run blocked until a person resolves it.
CREATE OR REPLACE FUNCTION api.mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text)
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.effect_unknown(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_note', p_note, 'text')) $fn$;
COMMENT ON FUNCTION api.mark_flow_effect_unknown(uuid, uuid, uuid, integer, text) IS
  'Worker: reconciliation could not tell whether a sent effect was delivered; the run is blocked until a person resolves it.';
GRANT EXECUTE ON FUNCTION api.mark_flow_effect_unknown(uuid, uuid, uuid, integer, text) TO claw_worker;

-- api.flow_cancel_requested: has a cancel been requested for this held run?
CREATE OR REPLACE FUNCTION api.flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid)
RETURNS boolean
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.cancel_requested(p_run_id, p_job_id, p_lease_token) $fn$;
COMMENT ON FUNCTION api.flow_cancel_requested(uuid, uuid, uuid) IS
  'Worker: whether a cancel was requested for this held run (asked while a long step runs).';
GRANT EXECUTE ON FUNCTION api.flow_cancel_requested(uuid, uuid, uuid) TO claw_worker;

-- api.stop_cancelled_flow_run: end a held run whose cancel was requested as cancelled, the
-- step in progress abandoned (not recorded). CL409 when no cancel was requested.
CREATE OR REPLACE FUNCTION api.stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid)
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT flow.stop_cancelled(p_run_id, p_job_id, p_lease_token) $fn$;
COMMENT ON FUNCTION api.stop_cancelled_flow_run(uuid, uuid, uuid) IS
  'Worker: end a held run whose cancel was requested, abandoning the step in progress.';
GRANT EXECUTE ON FUNCTION api.stop_cancelled_flow_run(uuid, uuid, uuid) TO claw_worker;
