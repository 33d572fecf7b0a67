-- Runs: how a durable flow run is started, dispatched, held and finished.
--
-- A run is a state machine (internal.flow_run_transitions, guarded by a trigger):
--
--   pending --> running --> completed | failed | cancelled
--                  |  ^
--                  v  |
--     sleeping / waiting / blocked(--> pending)
--
-- Dispatch goes through the queue, never a second claiming mechanism: every time a run
-- should execute (start, timer due, signal or child arrived, retry of a step, a person
-- resolved an effect) flow.dispatch_job enqueues one job of kind 'flow.run' (payload
-- {"run_id": ...}, 100 attempts) and the run remembers it in runs.job_id. The queue's
-- claim gives that job a lease; the worker holding the lease is the run's only writer:
-- every worker-side function takes (run, job, lease token) and flow.hold checks the lease
-- (api.act_as_job: CL409 when stale, and the tenant context comes from it) and that the
-- job is still the run's current one (CL409 otherwise: a newer dispatch took over). A
-- worker killed mid-run loses nothing: its lease expires, the queue's next claim hands the
-- same job to another worker, which replays the recorded steps and carries on.
-- Jobs left over from an older dispatch (a signal-timeout job after the signal woke the run)
-- find runs.job_id pointing elsewhere and end without touching the run.
--
-- Locks: the run row (FOR UPDATE) first, then its steps, timers, signals and effects; a
-- child run before its parent (a finishing child wakes its parent).

-- flow.dispatch_job: enqueue the 'flow.run' job of a run in the current tenant (run_at NULL:
-- now). Owned by claw_dispatcher (BYPASSRLS) so that any role allowed to wake a run (an
-- approver sending a signal) can enqueue its job; the tenant is the verified context's, never
-- a parameter. Returns the job id.
CREATE OR REPLACE FUNCTION flow.dispatch_job(p_queue text, p_run_id uuid, p_trace_id text,
                                             p_run_at timestamptz)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
  v_job uuid;
BEGIN
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = 'dispatching a flow run needs a tenant context',
      HINT = 'call it from an api function after authentication';
  END IF;
  SELECT i.job_id INTO v_job FROM queue.insert_jobs(v_tenant, pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'queue', p_queue, 'kind', 'flow.run', 'payload', pg_catalog.jsonb_build_object('run_id', p_run_id),
      'max_attempts', 100, 'trace_id', p_trace_id, 'run_at', p_run_at)))) AS i;
  RETURN v_job;
END
$fn$;
ALTER FUNCTION flow.dispatch_job(text, uuid, text, timestamptz) OWNER TO claw_dispatcher;

-- flow.redispatch: give a locked run a new dispatch job (at p_run_at, NULL = now) and make it
-- the current one. Returns the job id.
CREATE OR REPLACE FUNCTION flow.redispatch(p_run flow.runs, p_run_at timestamptz)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_job uuid := flow.dispatch_job(p_run.queue, p_run.run_id, p_run.trace_id, p_run_at);
BEGIN
  UPDATE flow.runs AS r SET job_id = v_job
  WHERE r.tenant_id = p_run.tenant_id AND r.run_id = p_run.run_id;
  RETURN v_job;
END
$fn$;

-- flow.trace: make the run's trace id this transaction's claw.trace_id (which the audit
-- ledger records with every event) unless the caller already set one.
CREATE OR REPLACE FUNCTION flow.trace(p_trace_id text)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.set_config('claw.trace_id', p_trace_id, true)
  WHERE coalesce(pg_catalog.current_setting('claw.trace_id', true), '') = ''
$fn$;

-- flow.require_run: lock one of this tenant's runs, or CL404.
CREATE OR REPLACE FUNCTION flow.require_run(p_run_id uuid)
RETURNS flow.runs
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs;
BEGIN
  SELECT r.* INTO v_run FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'flow run not found',
      DETAIL = pg_catalog.format('no flow run %s in this tenant', p_run_id),
      HINT = 'api.list_flow_runs lists this tenant''s runs';
  END IF;
  RETURN v_run;
END
$fn$;

-- flow.hold: the worker-side gate. Establishes the tenant context from the job's lease
-- (api.act_as_job: CL409 when the lease is stale or expired), locks the run and checks
-- that this job is its current dispatch (CL409: a newer dispatch holds it) and, unless
-- p_any_status, that it is running (CL409 otherwise). Returns the locked run.
CREATE OR REPLACE FUNCTION flow.hold(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                    p_any_status boolean DEFAULT false)
RETURNS flow.runs
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs;
BEGIN
  PERFORM api.act_as_job(p_job_id, p_lease_token);
  v_run := flow.require_run(p_run_id);
  PERFORM flow.trace(v_run.trace_id);
  IF v_run.job_id IS DISTINCT FROM p_job_id THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run not held',
      DETAIL = pg_catalog.format('run %s is dispatched by job %s, not %s', p_run_id,
                                 v_run.job_id, p_job_id),
      HINT = 'a newer dispatch took the run over; drop this result';
  END IF;
  IF NOT p_any_status AND v_run.status <> 'running' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run not running',
      DETAIL = pg_catalog.format('run %s is %s', p_run_id, v_run.status),
      HINT = 'claim it first (api.claim_flow_run)';
  END IF;
  RETURN v_run;
END
$fn$;

-- flow.check_start_args: CL422 for a bad flow name, version, trace id or queue.
CREATE OR REPLACE FUNCTION flow.check_start_args(p_flow_name text, p_flow_version integer,
                                                 p_input jsonb, p_idempotency_key text,
                                                 p_trace_id text, p_queue text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_flow_name IS NULL OR p_flow_name !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_flow_name) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow name',
      DETAIL = pg_catalog.format('%L is not a flow name', p_flow_name),
      HINT = 'lowercase letters, digits and _.:- , starting with a letter, e.g. order.fulfil';
  END IF;
  IF p_flow_version IS NULL OR p_flow_version NOT BETWEEN 1 AND 1000000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow version',
      DETAIL = pg_catalog.format('p_flow_version must be 1 to 1000000, not %s', p_flow_version),
      HINT = 'versions count deploys that change a flow''s steps: 1, 2, ...';
  END IF;
  IF p_input IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow input',
      DETAIL = 'p_input must be a JSON value, not NULL', HINT = 'pass ''{}'' for no input';
  END IF;
  IF p_idempotency_key IS NOT NULL AND pg_catalog.length(p_idempotency_key) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotency key',
      DETAIL = 'an idempotency key is 1 to 200 characters', HINT = 'e.g. order-4711';
  END IF;
  IF p_trace_id IS NOT NULL AND pg_catalog.length(p_trace_id) NOT BETWEEN 1 AND 64 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid trace id',
      DETAIL = 'a trace id is 1 to 64 characters', HINT = 'a W3C trace id is 32 hex digits';
  END IF;
  IF p_queue IS NULL OR p_queue !~ '^[a-z][a-z0-9_.-]*$'
     OR pg_catalog.length(p_queue) > 63 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue',
      DETAIL = pg_catalog.format('%L is not a queue name', p_queue), HINT = 'e.g. flows';
  END IF;
END
$fn$;

-- flow.start_run: create a run in the current tenant and dispatch it; with an idempotency
-- key that already names a run, return that run (created = false) and dispatch nothing
-- (CL409 when that run is of another flow). Raises CL422 (nothing written).
CREATE OR REPLACE FUNCTION flow.start_run(p_flow_name text, p_input jsonb,
                                          p_flow_version integer, p_idempotency_key text,
                                          p_trace_id text, p_queue text,
                                          p_parent_run_id uuid, p_parent_position integer)
RETURNS TABLE (run_id uuid, created boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs;
  v_trace text := coalesce(p_trace_id,
                           internal.trace_id(),
                           pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', ''));
BEGIN
  PERFORM flow.check_start_args(p_flow_name, p_flow_version, p_input, p_idempotency_key,
                                p_trace_id, p_queue);
  PERFORM flow.trace(v_trace);
  INSERT INTO flow.runs AS r (tenant_id, flow_name, flow_version, input, idempotency_key,
                              parent_run_id, parent_position, trace_id, queue)
  VALUES (internal.current_tenant_id(), p_flow_name, p_flow_version, p_input, p_idempotency_key,
          p_parent_run_id, p_parent_position, v_trace, p_queue)
  ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING r.* INTO v_run;
  IF v_run.run_id IS NULL THEN
    SELECT r.* INTO STRICT v_run FROM flow.runs AS r
    WHERE r.tenant_id = internal.current_tenant_id() AND r.idempotency_key = p_idempotency_key;
    IF v_run.flow_name <> p_flow_name OR v_run.parent_run_id IS DISTINCT FROM p_parent_run_id
       OR v_run.parent_position IS DISTINCT FROM p_parent_position THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'idempotency key already used',
        DETAIL = pg_catalog.format('key %L names run %s of flow %s (parent %s), not %s '
                                   '(parent %s)', p_idempotency_key, v_run.run_id,
                                   v_run.flow_name, v_run.parent_run_id, p_flow_name,
                                   p_parent_run_id),
        HINT = 'use a key per flow and business object, e.g. order.fulfil:4711';
    END IF;
    -- the same key is the same request: other input, version or queue would be work the
    -- caller asked for and never got (the first run does not do it)
    IF v_run.input IS DISTINCT FROM p_input OR v_run.flow_version IS DISTINCT FROM p_flow_version
       OR v_run.queue IS DISTINCT FROM p_queue THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'idempotency key already used',
        DETAIL = pg_catalog.format('key %L names run %s, started with other %s',
                                   p_idempotency_key, v_run.run_id,
                                   pg_catalog.array_to_string(ARRAY[
                                     CASE WHEN v_run.input IS DISTINCT FROM p_input
                                          THEN 'input' END,
                                     CASE WHEN v_run.flow_version IS DISTINCT FROM p_flow_version
                                          THEN 'flow version ' || v_run.flow_version END,
                                     CASE WHEN v_run.queue IS DISTINCT FROM p_queue
                                          THEN 'queue ' || v_run.queue END], ', ')),
        HINT = 'send the same request again to get that run, or use a new key for new work';
    END IF;
    RETURN QUERY SELECT v_run.run_id, false;
    RETURN;
  END IF;
  PERFORM flow.redispatch(v_run, NULL);
  RETURN QUERY SELECT v_run.run_id, true;
END
$fn$;

-- flow.wake_parent: when a child run has finished, wake its parent if it waits for it.
-- Locks the parent row (after the child's: child before parent).
CREATE OR REPLACE FUNCTION flow.wake_parent(p_child flow.runs)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_parent flow.runs;
BEGIN
  IF p_child.parent_run_id IS NULL THEN
    RETURN;
  END IF;
  SELECT r.* INTO v_parent FROM flow.runs AS r
  WHERE r.tenant_id = p_child.tenant_id AND r.run_id = p_child.parent_run_id
  FOR UPDATE;
  IF FOUND AND v_parent.status = 'waiting' AND v_parent.wait_child_run_id = p_child.run_id THEN
    PERFORM flow.redispatch(v_parent, NULL);
  END IF;
END
$fn$;

-- flow.flag_unsettled_effects: a run that ends failed or cancelled with an effect sent and
-- never settled (its send failed, and no retry will look it up now) leaves that effect
-- 'unknown', where a person finds it (api.list_flow_effects(p_status => 'unknown')): it may
-- well have been delivered. It stayed 'sent' before, out of every list a person reads.
CREATE OR REPLACE FUNCTION flow.flag_unsettled_effects(p_run flow.runs, p_status text)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  UPDATE flow.effects AS e
  SET status = 'unknown',
      note = pg_catalog.format('the run ended %s with this effect sent %s time(s) and never '
                               'settled: it may have been delivered; check the provider',
                               p_status, e.sends)
  WHERE e.tenant_id = p_run.tenant_id AND e.run_id = p_run.run_id AND e.status = 'sent'
$fn$;

-- flow.finish: how every run ends (completed / failed / cancelled), with its output or
-- error; wakes a waiting parent; flags an unsettled effect of a failed or cancelled run.
-- Returns the new status.
CREATE OR REPLACE FUNCTION flow.finish(p_run flow.runs, p_status text, p_output jsonb,
                                       p_error jsonb)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs;
BEGIN
  UPDATE flow.runs AS r
  SET status = p_status, output = p_output, error = p_error, finished_at = internal.now(),
      wake_at = NULL, wait_signal = NULL, wait_child_run_id = NULL
  WHERE r.tenant_id = p_run.tenant_id AND r.run_id = p_run.run_id
  RETURNING r.* INTO v_run;
  IF p_status IN ('failed', 'cancelled') THEN
    PERFORM flow.flag_unsettled_effects(v_run, p_status);
  END IF;
  PERFORM flow.wake_parent(v_run);
  RETURN p_status;
END
$fn$;

-- flow.history_limits: the most history a run may carry into a dispatch: steps recorded
-- (positions) and bytes of their outputs and errors as stored. Every claim hands the worker
-- the whole history as one jsonb, which PostgreSQL caps at 256 MB; a run past either limit
-- is failed at its next claim (flow.claim) with kind 'history_limit', instead of every
-- claim failing with a raw 54000 and the run left 'running'. A flow that loops for ever
-- carries its state into a new run (api.start_flow_run) well before.
CREATE OR REPLACE FUNCTION flow.history_limits(OUT steps integer, OUT bytes bigint)
LANGUAGE sql
IMMUTABLE
AS $fn$ SELECT 20000, 67108864::bigint $fn$;

-- flow.claim: called by the worker that holds the run's current job. pending, sleeping,
-- waiting -> running; running stays running (a re-dispatch after a crash: dispatches + 1).
-- A cancel requested while it was away finishes it as cancelled. Returns the run and its
-- recorded steps (JSON array by position; the step begun at next_position, if any, last,
-- with "pending": true), with action 'run' or 'skip' (the job is stale or the run is
-- finished: complete the job, do nothing).
CREATE OR REPLACE FUNCTION flow.claim(p_run_id uuid, p_job_id uuid, p_lease_token uuid)
RETURNS TABLE (action text, status text, flow_name text, flow_version integer, input jsonb,
               trace_id text, next_position integer, step_attempts integer, dispatches integer,
               steps jsonb)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs;
  v_lim record;
BEGIN
  PERFORM api.act_as_job(p_job_id, p_lease_token);
  SELECT r.* INTO v_run FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id
  FOR UPDATE;
  IF NOT FOUND OR v_run.job_id IS DISTINCT FROM p_job_id THEN
    -- not this job's run (a stale dispatch, or a job that was never it): nothing about it
    RETURN QUERY SELECT 'skip'::text, NULL::text, NULL::text, NULL::integer, NULL::jsonb,
                        NULL::text, NULL::integer, NULL::integer, NULL::integer, '[]'::jsonb;
    RETURN;
  END IF;
  PERFORM flow.trace(v_run.trace_id);
  IF v_run.status NOT IN ('pending', 'running', 'sleeping', 'waiting') THEN
    RETURN QUERY SELECT 'skip', v_run.status, v_run.flow_name, v_run.flow_version, v_run.input,
                        v_run.trace_id, v_run.next_position, v_run.step_attempts,
                        v_run.dispatches, '[]'::jsonb;
    RETURN;
  END IF;
  IF v_run.cancel_requested_at IS NOT NULL THEN
    -- requested while it ran, and it stopped since without finishing (a retry backoff, an
    -- effect blocked then resolved): cancelled now, with its error, and a waiting parent
    -- woken (it was not, and waited for ever)
    PERFORM flow.finish(v_run, 'cancelled', NULL,
                        pg_catalog.jsonb_build_object('message', 'cancelled'));
    RETURN QUERY SELECT 'skip', 'cancelled'::text, v_run.flow_name, v_run.flow_version,
                        v_run.input, v_run.trace_id, v_run.next_position, v_run.step_attempts,
                        v_run.dispatches, '[]'::jsonb;
    RETURN;
  END IF;
  UPDATE flow.runs AS r
  SET status = 'running', dispatches = r.dispatches + 1,
      started_at = coalesce(r.started_at, internal.now()),
      wake_at = NULL, wait_signal = NULL, wait_child_run_id = NULL
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  -- (running first: the state machine fails only a running run) the history it would
  -- hand over: the steps first (free), the bytes only where that
  -- many steps could hold more than the limit (a step holds at most 256 KiB of output
  -- and 64 KiB of error: 327,680 bytes), so an ordinary run pays nothing for the check
  SELECT * INTO v_lim FROM flow.history_limits();
  IF v_run.next_position > v_lim.steps
     OR (v_run.next_position::bigint * 327680 > v_lim.bytes
         AND (SELECT coalesce(pg_catalog.sum(pg_catalog.pg_column_size(s.output)), 0)
                     + coalesce(pg_catalog.sum(pg_catalog.octet_length(s.error)), 0)
              FROM flow.steps AS s
              WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id) > v_lim.bytes)
  THEN
    PERFORM flow.finish(v_run, 'failed', NULL, pg_catalog.jsonb_build_object(
      'kind', 'history_limit',
      'message', pg_catalog.format('the run''s history is too large to replay: %s steps '
                                   '(at most %s), or more than %s bytes of outputs and errors',
                                   v_run.next_position, v_lim.steps, v_lim.bytes),
      'hint', 'carry the state into a new run (api.start_flow_run) before the history grows '
              'this far, as a loop that runs for ever must'));
    RETURN QUERY SELECT 'skip', 'failed'::text, v_run.flow_name, v_run.flow_version,
                        v_run.input, v_run.trace_id, v_run.next_position, v_run.step_attempts,
                        v_run.dispatches, '[]'::jsonb;
    RETURN;
  END IF;
  RETURN QUERY
  SELECT 'run', v_run.status, v_run.flow_name, v_run.flow_version, v_run.input, v_run.trace_id,
         v_run.next_position, v_run.step_attempts, v_run.dispatches,
         coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                     'position', s.position, 'name', s.name, 'kind', s.kind,
                     'input_hash', s.input_hash, 'status', s.status, 'output', s.output,
                     'error', s.error) ORDER BY s.position)
                   FROM flow.steps AS s
                   WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id), '[]')
         || CASE WHEN v_run.pending_step IS NULL THEN '[]'::jsonb
                 ELSE pg_catalog.jsonb_build_array(v_run.pending_step || pg_catalog.jsonb_build_object(
                        'position', v_run.next_position, 'pending', true)) END;
END
$fn$;

-- flow.cancel_one: cancel one unfinished run, whose row the caller holds locked; nothing of
-- its children. A running run is marked (its worker ends it at its next checkpoint or
-- claim; the ledger records who asked, now); any other is cancelled now, ending like every
-- run (unsettled effects flagged, a waiting parent woken). Returns 'cancelling' or
-- 'cancelled'.
CREATE OR REPLACE FUNCTION flow.cancel_one(p_run flow.runs)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := p_run;
BEGIN
  IF v_run.status = 'running' THEN
    UPDATE flow.runs AS r SET cancel_requested_at = coalesce(r.cancel_requested_at, internal.now())
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
    PERFORM audit.append(v_run.tenant_id, 'flow.run.cancel_requested', 'flow.runs',
                         v_run.run_id::text, NULL,
                         pg_catalog.jsonb_build_object('status', v_run.status));
    RETURN 'cancelling';
  END IF;
  UPDATE flow.runs AS r SET cancel_requested_at = internal.now()
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  PERFORM flow.finish(v_run, 'cancelled', NULL,
                      pg_catalog.jsonb_build_object('message', 'cancelled'));
  RETURN 'cancelled';
END
$fn$;

-- flow.cancel: cancel a run of this tenant (flow.cancel_one) and its unfinished descendants,
-- parents before children, level by level: one walk of the tree, not a call per level (a
-- chain of 600 nested children overflowed the stack, 54001, and its root could never be
-- cancelled). Returns the run's status after: 'cancelled' or 'cancelling'. CL409 when
-- already finished, or when a descendant is locked by a worker call at this moment (retry:
-- nothing was changed).
-- Locks: the run, then every unfinished descendant with NOWAIT (a finishing child locks child
-- then parent; waiting here in the other order could deadlock).
CREATE OR REPLACE FUNCTION flow.cancel(p_run_id uuid)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.require_run(p_run_id);
  v_status text;
  v_child flow.runs;
BEGIN
  IF v_run.status IN ('completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run already finished',
      DETAIL = pg_catalog.format('run %s is %s', p_run_id, v_run.status),
      HINT = 'api.fork_flow_run starts a new run from any of its steps';
  END IF;
  v_status := flow.cancel_one(v_run);
  BEGIN
    FOR v_child IN
      WITH RECURSIVE d (run_id, depth) AS (
        SELECT r.run_id, 1 FROM flow.runs AS r
        WHERE r.tenant_id = v_run.tenant_id AND r.parent_run_id = v_run.run_id
          AND r.status NOT IN ('completed', 'failed', 'cancelled')
        UNION
        SELECT r.run_id, d.depth + 1 FROM d
        JOIN flow.runs AS r ON r.tenant_id = v_run.tenant_id AND r.parent_run_id = d.run_id
        WHERE r.status NOT IN ('completed', 'failed', 'cancelled'))
      SELECT r.* FROM flow.runs AS r JOIN d ON d.run_id = r.run_id
      WHERE r.tenant_id = v_run.tenant_id
      ORDER BY d.depth, r.run_id
      FOR UPDATE OF r NOWAIT
    LOOP
      PERFORM flow.cancel_one(v_child);
    END LOOP;
  EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'a child run is busy',
      DETAIL = pg_catalog.format('a descendant of run %s is being updated by its worker; '
                                 'nothing was cancelled', p_run_id),
      HINT = 'retry the cancel in a moment';
  END;
  RETURN v_status;
END
$fn$;

-- flow.cancel_requested: whether a cancel was requested for a run this job holds (the SDK
-- asks while a long step runs, so that running steps see a cancel).
CREATE OR REPLACE FUNCTION flow.cancel_requested(p_run_id uuid, p_job_id uuid,
                                                 p_lease_token uuid)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  RETURN v_run.cancel_requested_at IS NOT NULL;
END
$fn$;

-- flow.stop_cancelled: end a held run whose cancel was requested, as cancelled, without
-- recording the step it was in (the SDK cancelled that step). CL409 without a request.
CREATE OR REPLACE FUNCTION flow.stop_cancelled(p_run_id uuid, p_job_id uuid, p_lease_token uuid)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  IF v_run.cancel_requested_at IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'no cancel requested',
      DETAIL = pg_catalog.format('run %s was not asked to stop', p_run_id),
      HINT = 'api.cancel_flow_run requests it';
  END IF;
  RETURN flow.finish(v_run, 'cancelled', NULL, pg_catalog.jsonb_build_object(
    'message', 'cancelled', 'during_position', v_run.next_position));
END
$fn$;
