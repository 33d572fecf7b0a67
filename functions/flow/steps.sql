-- Steps: the checkpoints of a run, written once, in order.
--
-- The worker that holds a run (flow.hold) records step N only when N is the run's
-- next_position: a checkpoint of an earlier position is a second write and fails on the
-- primary key (23505), never an overwrite; a later one is a gap (CL409). Recording advances
-- next_position in the same transaction, so "step N is done" and "the run is at N + 1" are
-- one fact. A step that only writes to Claw's database does that write in this transaction
-- too (the SDK's transactional step): its effect and its checkpoint commit together.
--
-- A failed attempt is not a checkpoint: flow.fail_step counts it on the run (step_attempts)
-- and either puts the run to sleep until the retry (backoff from the step's policy, computed
-- here) or, after the last attempt, writes the step as failed and fails the run.
-- When a cancel was requested while the step ran, the step is still recorded (its work is
-- done) and the run ends as cancelled.

-- flow.pending: the pending_step value of a step begun at the run's next position.
CREATE OR REPLACE FUNCTION flow.pending(p_kind text, p_name text, p_input_hash text)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_build_object('kind', p_kind, 'name', p_name, 'input_hash', p_input_hash)
$fn$;

-- flow.require_step_identity: CL422 unless a step's name (1 to 200 characters) and input
-- hash (lowercase hex, at most 128) are ones flow.steps can record. Every call that begins a
-- step (an effect's intent, a sleep, a wait, a retry) checks them before it writes anything:
-- found only at the checkpoint, an effect would already have been sent.
CREATE OR REPLACE FUNCTION flow.require_step_identity(p_name text, p_input_hash text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_name IS NULL OR pg_catalog.length(p_name) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid step name',
      DETAIL = 'a step name is 1 to 200 characters', HINT = 'e.g. fetch-schedule';
  END IF;
  IF p_input_hash IS NULL OR p_input_hash !~ '^[0-9a-f]+$'
     OR pg_catalog.length(p_input_hash) > 128 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid input hash',
      DETAIL = 'p_input_hash is the hex digest of the step''s input',
      HINT = 'sha256 of the canonical JSON of the arguments';
  END IF;
END
$fn$;

-- flow.insert_step: the one INSERT into flow.steps, for a held, locked run; advances it.
-- Returns the run's status afterwards ('running', or 'cancelled' when a cancel was pending).
CREATE OR REPLACE FUNCTION flow.insert_step(p_run flow.runs, p_position integer, p_name text,
                                            p_kind text, p_input_hash text, p_status text,
                                            p_output jsonb, p_error text,
                                            p_started_at timestamptz)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM flow.require_position(p_position);
  IF p_position > p_run.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'step out of order',
      DETAIL = pg_catalog.format('run %s is at position %s; step %s cannot be recorded',
                                 p_run.run_id, p_run.next_position, p_position),
      HINT = 'steps are recorded in order, each once';
  END IF;
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  -- an earlier position: this INSERT raises 23505 (written once)
  INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, input_hash, status, output,
                          error, attempts, started_at, finished_at)
  VALUES (p_run.tenant_id, p_run.run_id, p_position, p_name, p_kind, p_input_hash, p_status,
          p_output, p_error, p_run.step_attempts + 1, p_started_at, internal.now());
  IF p_status = 'failed' THEN
    RETURN 'failed';
  END IF;
  UPDATE flow.runs AS r SET next_position = p_position + 1, step_attempts = 0, pending_step = NULL
  WHERE r.tenant_id = p_run.tenant_id AND r.run_id = p_run.run_id;
  IF p_run.cancel_requested_at IS NOT NULL THEN
    RETURN flow.finish(p_run, 'cancelled', NULL, pg_catalog.jsonb_build_object(
      'message', 'cancelled', 'after_position', p_position));
  END IF;
  RETURN 'running';
END
$fn$;

-- flow.record_step: checkpoint a completed step of a held run (see the header). Returns the
-- run's status: 'running' to carry on, 'cancelled' to stop. Raises CL409 (lease, dispatch,
-- order), 23505 (written already), CL422. A 'child' step is written only by flow.start_child
-- (with the child it started): a fork adopts the run such a step names (flow.fork).
CREATE OR REPLACE FUNCTION flow.record_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                            p_position integer, p_name text, p_input_hash text,
                                            p_output jsonb, p_kind text, p_started_at timestamptz)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  IF p_kind IS NULL OR p_kind NOT IN ('step', 'transaction', 'patch') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid step kind',
      DETAIL = pg_catalog.format('%L cannot be recorded directly', p_kind),
      HINT = 'step, transaction or patch; sleeps, signals, children (api.start_child_flow) and '
             'effects have their own calls';
  END IF;
  RETURN flow.insert_step(v_run, p_position, p_name, p_kind, p_input_hash, 'completed', p_output,
                          NULL, p_started_at);
END
$fn$;

-- flow.fail_step: a failed attempt of step p_position. With attempts left (p_max_attempts
-- counts every attempt), the run sleeps until now + p_backoff_seconds * 2^(attempt-1)
-- (capped at p_backoff_max_seconds) and a job is dispatched for then: returns 'sleeping'
-- and the retry instant. Otherwise (or p_retry false) the step is written as failed and the
-- run fails: returns 'failed'. CL422 for a bad policy; CL409 as flow.hold.
CREATE OR REPLACE FUNCTION flow.fail_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                          p_position integer, p_name text, p_input_hash text,
                                          p_error text, p_max_attempts integer,
                                          p_backoff_seconds double precision,
                                          p_backoff_max_seconds double precision,
                                          p_retry boolean)
RETURNS TABLE (status text, retry_at timestamptz, attempts integer)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_attempt integer := v_run.step_attempts + 1;
  v_at timestamptz;
  v_status text;
BEGIN
  IF p_max_attempts IS NULL OR p_max_attempts NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retry policy',
      DETAIL = pg_catalog.format('p_max_attempts must be 1 to 1000, not %s', p_max_attempts),
      HINT = 'max_attempts counts the first attempt too';
  END IF;
  IF p_backoff_seconds IS NULL OR p_backoff_seconds < 0 OR p_backoff_max_seconds IS NULL
     OR p_backoff_max_seconds < p_backoff_seconds OR p_backoff_max_seconds > 31536000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retry policy',
      DETAIL = pg_catalog.format('backoff %s s, at most %s s', p_backoff_seconds,
                                 p_backoff_max_seconds),
      HINT = '0 <= backoff <= backoff_max <= one year';
  END IF;
  IF p_error IS NULL OR pg_catalog.length(p_error) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'an error message is required',
      DETAIL = 'fail_flow_step records why the attempt failed', HINT = 'pass p_error => ''...''';
  END IF;
  PERFORM flow.require_position(p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  IF p_position IS DISTINCT FROM v_run.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'step out of order',
      DETAIL = pg_catalog.format('run %s is at position %s, not %s', p_run_id,
                                 v_run.next_position, p_position),
      HINT = 'only the step at the run''s position can fail';
  END IF;
  IF coalesce(p_retry, true) AND v_attempt < p_max_attempts AND v_run.cancel_requested_at IS NULL THEN
    v_at := internal.now() + pg_catalog.make_interval(secs => LEAST(
      p_backoff_seconds * pg_catalog.power(2::double precision, LEAST(v_attempt - 1, 40)),
      p_backoff_max_seconds));
    UPDATE flow.runs AS r
    SET status = 'sleeping', step_attempts = v_attempt, wake_at = v_at,
        pending_step = coalesce(r.pending_step, flow.pending('step', p_name, p_input_hash)),
        error = pg_catalog.jsonb_build_object('position', p_position, 'step', p_name,
                                              'attempt', v_attempt,
                                              'message', pg_catalog.left(p_error, 4000))
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
    RETURNING r.* INTO v_run;
    PERFORM flow.redispatch(v_run, v_at);
    RETURN QUERY SELECT 'sleeping'::text, v_at, v_attempt;
    RETURN;
  END IF;
  PERFORM flow.insert_step(v_run, p_position, p_name, 'step', p_input_hash, 'failed', NULL,
                           pg_catalog.left(p_error, 4000), NULL);
  -- attempts left, but a cancel was requested: the run ends as asked, cancelled
  v_status := CASE WHEN coalesce(p_retry, true) AND v_attempt < p_max_attempts
                        AND v_run.cancel_requested_at IS NOT NULL
                   THEN 'cancelled' ELSE 'failed' END;
  PERFORM flow.finish(v_run, v_status, NULL, pg_catalog.jsonb_build_object(
    'position', p_position, 'step', p_name, 'attempt', v_attempt,
    'message', CASE WHEN v_status = 'cancelled' THEN 'cancelled after a failed attempt: '
                    ELSE '' END || pg_catalog.left(p_error, 4000)));
  RETURN QUERY SELECT v_status, NULL::timestamptz, v_attempt;
END
$fn$;

-- flow.complete: the flow function returned: running -> completed with its output.
CREATE OR REPLACE FUNCTION flow.complete(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                         p_output jsonb)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  RETURN flow.finish(v_run, 'completed', coalesce(p_output, 'null'::jsonb), NULL);
END
$fn$;

-- flow.fail: the flow failed outside a step (an exception in the flow function, code that
-- no longer matches the recorded history): running -> failed with the error.
CREATE OR REPLACE FUNCTION flow.fail(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                     p_error jsonb)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  IF p_error IS NULL OR pg_catalog.jsonb_typeof(p_error) <> 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid error',
      DETAIL = 'p_error must be a JSON object', HINT = '{"message": "..."}';
  END IF;
  RETURN flow.finish(v_run, 'failed', NULL, p_error);
END
$fn$;
