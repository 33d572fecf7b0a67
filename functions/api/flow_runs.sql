-- Flows, for applications (and psql): start runs, signal, cancel, fork, resolve effects whose
-- outcome is unknown, list and inspect runs, steps and effects, retention. The engine is in
-- functions/flow/; the worker-side calls are in functions/api/flow_worker.sql.

-- api.start_flow_run: start a run of p_flow_name (version p_flow_version) with p_input in
-- this transaction; its first dispatch is enqueued on p_queue. The same p_idempotency_key
-- returns the same run (created = false). Who: owner, admin, operator, or a worker acting
-- for a job; scope flow:write. Raises CL401, CL403, CL409 (key used by another flow), CL422.
CREATE OR REPLACE FUNCTION api.start_flow_run(p_flow_name text, p_input jsonb DEFAULT '{}',
                                              p_flow_version integer DEFAULT 1,
                                              p_idempotency_key text DEFAULT NULL,
                                              p_trace_id text DEFAULT NULL,
                                              p_queue text DEFAULT 'flows')
RETURNS TABLE (run_id uuid, created boolean)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_flow_name', p_flow_name, 'name'),
          internal.require_size('p_input', p_input, 'json'),
          internal.require_size('p_idempotency_key', p_idempotency_key, 'name'),
          internal.require_size('p_trace_id', p_trace_id, 'name'),
          internal.require_size('p_queue', p_queue, 'name');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'flow:write', 'starting a flow');
  IF p_idempotency_key LIKE 'child:%' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotency key',
      DETAIL = 'keys starting with child: are reserved for the child runs a flow starts',
      HINT = 'use a key per flow and business object, e.g. order.fulfil:4711';
  END IF;
  RETURN QUERY SELECT s.run_id, s.created
               FROM flow.start_run(p_flow_name, p_input, p_flow_version, p_idempotency_key,
                                   p_trace_id, p_queue, NULL, NULL) AS s;
END
$fn$;
COMMENT ON FUNCTION api.start_flow_run(text, jsonb, integer, text, text, text) IS
  'Start a durable flow run (dispatched through the queue). The same idempotency key returns '
  'the same run with created = false.';
GRANT EXECUTE ON FUNCTION api.start_flow_run(text, jsonb, integer, text, text, text)
  TO claw_runtime, claw_worker;

-- api.get_flow_run: one run of this tenant. CL404 otherwise.
CREATE OR REPLACE FUNCTION api.get_flow_run(p_run_id uuid)
RETURNS TABLE (run_id uuid, flow_name text, flow_version integer, status text, input jsonb,
               output jsonb, error jsonb, idempotency_key text, parent_run_id uuid,
               forked_from_run_id uuid, trace_id text, next_position integer,
               wake_at timestamptz, wait_signal text, wait_child_run_id uuid,
               cancel_requested_at timestamptz, dispatches integer, created_at timestamptz,
               started_at timestamptz, finished_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'reading a flow run');
  RETURN QUERY
  SELECT r.run_id, r.flow_name, r.flow_version, r.status, r.input, r.output, r.error,
         r.idempotency_key, r.parent_run_id, r.forked_from_run_id, r.trace_id, r.next_position,
         r.wake_at, r.wait_signal, r.wait_child_run_id, r.cancel_requested_at, r.dispatches,
         r.created_at, r.started_at, r.finished_at
  FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'flow run not found',
      DETAIL = pg_catalog.format('no flow run %s in this tenant', p_run_id),
      HINT = 'finished runs are kept until api.purge_flow_runs removes them';
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.get_flow_run(uuid) IS
  'One flow run of this tenant: status (pending, running, sleeping, waiting, blocked, '
  'completed, failed, cancelled), input, output or error, what it waits for.';
GRANT EXECUTE ON FUNCTION api.get_flow_run(uuid) TO claw_runtime;
-- A worker acting for a job (api.act_as_job) may not: a lease on one job would reach every
-- run of the tenant (an approval gate included); the flow SDK reads its own run through
-- api.claim_flow_run. REVOKE: CREATE OR REPLACE keeps the grants of a migrated database.
REVOKE EXECUTE ON FUNCTION api.get_flow_run(uuid) FROM claw_worker;

-- api.list_flow_runs: this tenant's runs, newest first, by status and flow name, a page of
-- p_limit (1..1000) at a time: the last row of a full page carries the cursor to pass as
-- p_cursor for the next page (keyset on (created_at, run_id), bound to the tenant and the
-- filters: runs started meanwhile never shift a page). Raises CL422 bad status, limit, or a
-- cursor of another tenant, list or filters.
-- The version without p_cursor (and without the cursor column): dropped here, in the same
-- transaction as its replacement is created, so callers by name never see two versions.
DROP FUNCTION IF EXISTS api.list_flow_runs(text, text, integer);
CREATE OR REPLACE FUNCTION api.list_flow_runs(p_status text DEFAULT NULL,
                                              p_flow_name text DEFAULT NULL,
                                              p_limit integer DEFAULT 100,
                                              p_cursor text DEFAULT NULL)
RETURNS TABLE (run_id uuid, flow_name text, flow_version integer, status text,
               next_position integer, parent_run_id uuid, trace_id text, error jsonb,
               created_at timestamptz, finished_at timestamptz, cursor text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_filters jsonb := pg_catalog.jsonb_build_object('status', p_status, 'flow_name', p_flow_name);
  v_after jsonb;
BEGIN
  PERFORM internal.require_size('p_status', p_status, 'name'),
          internal.require_size('p_flow_name', p_flow_name, 'name'),
          internal.require_size('p_cursor', p_cursor, 'text');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'listing flow runs');
  IF p_status IS NOT NULL AND p_status NOT IN ('pending', 'running', 'sleeping', 'waiting',
                                               'blocked', 'completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow run status',
      DETAIL = pg_catalog.format('%L is not a run status', p_status),
      HINT = 'pending, running, sleeping, waiting, blocked, completed, failed or cancelled';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid limit',
      DETAIL = pg_catalog.format('p_limit must be 1 to 1000, not %s', p_limit),
      HINT = 'page with smaller limits';
  END IF;
  v_after := internal.read_cursor('api.list_flow_runs', v_filters, p_cursor);
  RETURN QUERY
  SELECT r.run_id, r.flow_name, r.flow_version, r.status, r.next_position, r.parent_run_id,
         r.trace_id, r.error, r.created_at, r.finished_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY r.created_at DESC, r.run_id DESC)
                   = p_limit  -- a full page: its last row carries the next page's cursor
              THEN internal.make_cursor('api.list_flow_runs', v_filters,
                     pg_catalog.jsonb_build_object('at', r.created_at, 'id', r.run_id)) END
  FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id()
    AND (p_status IS NULL OR r.status = p_status)
    AND (p_flow_name IS NULL OR r.flow_name = p_flow_name)
    AND (v_after IS NULL OR (r.created_at, r.run_id)
                            < ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid))
  ORDER BY r.created_at DESC, r.run_id DESC
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION api.list_flow_runs(text, text, integer, text) IS
  'This tenant''s flow runs, newest first (p_status => ''blocked'' lists the runs a person '
  'must look at); the last row of a full page carries the cursor to pass as p_cursor for the '
  'next one (NULL on the other rows).';
GRANT EXECUTE ON FUNCTION api.list_flow_runs(text, text, integer, text) TO claw_runtime;

-- api.list_flow_steps: the checkpoints of one run, by position. CL404 unknown run.
CREATE OR REPLACE FUNCTION api.list_flow_steps(p_run_id uuid)
RETURNS TABLE ("position" integer, name text, kind text, status text, input_hash text,
               output jsonb, error text, attempts integer, started_at timestamptz,
               finished_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'reading flow steps');
  IF NOT EXISTS (SELECT 1 FROM flow.runs AS r
                 WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'flow run not found',
      DETAIL = pg_catalog.format('no flow run %s in this tenant', p_run_id),
      HINT = 'api.list_flow_runs lists this tenant''s runs';
  END IF;
  RETURN QUERY
  SELECT s.position, s.name, s.kind, s.status, s.input_hash, s.output, s.error, s.attempts,
         s.started_at, s.finished_at
  FROM flow.steps AS s
  WHERE s.tenant_id = internal.current_tenant_id() AND s.run_id = p_run_id
  ORDER BY s.position;
END
$fn$;
COMMENT ON FUNCTION api.list_flow_steps(uuid) IS
  'The recorded steps (checkpoints) of a flow run, by position, with outputs and errors.';
GRANT EXECUTE ON FUNCTION api.list_flow_steps(uuid) TO claw_runtime;
-- Not for workers (see api.get_flow_run's grant).
REVOKE EXECUTE ON FUNCTION api.list_flow_steps(uuid) FROM claw_worker;

-- api.list_flow_effects: this tenant's external effects, by run or status ('unknown': what
-- a person must resolve).
CREATE OR REPLACE FUNCTION api.list_flow_effects(p_run_id uuid DEFAULT NULL,
                                                 p_status text DEFAULT NULL,
                                                 p_limit integer DEFAULT 100)
RETURNS TABLE (run_id uuid, "position" integer, provider text, idempotency_key text,
               status text, request jsonb, response jsonb, sends integer, note text,
               created_at timestamptz, sent_at timestamptz, settled_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_status', p_status, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'listing effects');
  IF p_status IS NOT NULL AND p_status NOT IN ('intended', 'sent', 'confirmed', 'unknown',
                                               'reconciled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid effect status',
      DETAIL = pg_catalog.format('%L is not an effect status', p_status),
      HINT = 'intended, sent, confirmed, unknown or reconciled';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid limit',
      DETAIL = pg_catalog.format('p_limit must be 1 to 1000, not %s', p_limit),
      HINT = 'page with smaller limits';
  END IF;
  RETURN QUERY
  SELECT e.run_id, e.position, e.provider, e.idempotency_key, e.status, e.request, e.response,
         e.sends, e.note, e.created_at, e.sent_at, e.settled_at
  FROM flow.effects AS e
  WHERE e.tenant_id = internal.current_tenant_id()
    AND (p_run_id IS NULL OR e.run_id = p_run_id) AND (p_status IS NULL OR e.status = p_status)
  ORDER BY e.created_at DESC, e.idempotency_key
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION api.list_flow_effects(uuid, text, integer) IS
  'This tenant''s external effects with their idempotency keys (p_status => ''unknown'': the '
  'ones a person must resolve with api.resolve_flow_effect).';
GRANT EXECUTE ON FUNCTION api.list_flow_effects(uuid, text, integer) TO claw_runtime;

-- api.send_flow_signal: send signal p_name with p_payload to a run. First write wins:
-- returns false when the run already has a signal of that name. Wakes the run if it waits
-- for it. Who: owner, admin, operator, approver (not a worker: see the grant below).
-- Raises CL404, CL409 (run finished), CL422.
CREATE OR REPLACE FUNCTION api.send_flow_signal(p_run_id uuid, p_name text,
                                                p_payload jsonb DEFAULT '{}')
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_payload', p_payload, 'json');
  PERFORM internal.require_role('{owner,admin,operator,approver}', 'flow:write',
                                'signalling a flow');
  RETURN flow.send_signal(p_run_id, p_name, p_payload);
END
$fn$;
COMMENT ON FUNCTION api.send_flow_signal(uuid, text, jsonb) IS
  'Send a named signal to a flow run; the first signal of a name wins (later ones return '
  'false) and is delivered to one waiting step, once.';
GRANT EXECUTE ON FUNCTION api.send_flow_signal(uuid, text, jsonb) TO claw_runtime;
-- Not for workers (see api.get_flow_run's grant).
REVOKE EXECUTE ON FUNCTION api.send_flow_signal(uuid, text, jsonb) FROM claw_worker;

-- api.cancel_flow_run: cancel a run. Returns 'cancelled' (it was not running) or
-- 'cancelling' (its worker stops it at the next checkpoint). CL404, CL409 finished.
CREATE OR REPLACE FUNCTION api.cancel_flow_run(p_run_id uuid)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'flow:write', 'cancelling a flow');
  RETURN flow.cancel(p_run_id);
END
$fn$;
COMMENT ON FUNCTION api.cancel_flow_run(uuid) IS
  'Cancel a flow run: at once if it is not running, else at its next checkpoint '
  '(returns cancelled or cancelling).';
GRANT EXECUTE ON FUNCTION api.cancel_flow_run(uuid) TO claw_runtime;

-- api.fork_flow_run: a new run from the first p_from_position steps of a finished run; it
-- adopts the child runs those steps started and do not wait for (flow.fork). Returns the new
-- run's id. CL404, CL409 (not finished; such a child purged, another unfinished run's, or
-- busy: retry), CL422 (position).
CREATE OR REPLACE FUNCTION api.fork_flow_run(p_run_id uuid, p_from_position integer)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'flow:write', 'forking a flow');
  RETURN flow.fork(p_run_id, p_from_position);
END
$fn$;
COMMENT ON FUNCTION api.fork_flow_run(uuid, integer) IS
  'Fork a finished (completed, failed or cancelled) run from step N: a new run that replays '
  'steps 0..N-1 from the copy and runs step N onwards again; it adopts the children those '
  'steps started and do not wait for.';
GRANT EXECUTE ON FUNCTION api.fork_flow_run(uuid, integer) TO claw_runtime;

-- api.resolve_flow_effect: a person's decision on an effect whose outcome is unknown:
-- delivered (reconciled, with the provider's response) or not (sent again). The blocked run
-- carries on. Returns the effect's status. CL404, CL409 (not unknown), CL422.
CREATE OR REPLACE FUNCTION api.resolve_flow_effect(p_run_id uuid, p_position integer,
                                                   p_delivered boolean,
                                                   p_response jsonb DEFAULT NULL,
                                                   p_note text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_response', p_response, 'json'),
          internal.require_size('p_note', p_note, 'text');
  PERFORM internal.require_role('{owner,admin,operator}', 'flow:write', 'resolving an effect');
  RETURN flow.resolve_effect(p_run_id, p_position, p_delivered, p_response, p_note);
END
$fn$;
COMMENT ON FUNCTION api.resolve_flow_effect(uuid, integer, boolean, jsonb, text) IS
  'Resolve an effect whose outcome is unknown after reconciliation: delivered => reconciled, '
  'not delivered => sent again; the blocked run continues.';
GRANT EXECUTE ON FUNCTION api.resolve_flow_effect(uuid, integer, boolean, jsonb, text)
  TO claw_runtime;

-- api.purge_flow_runs: retention: delete this tenant's runs finished more than p_days days
-- ago, with their steps, timers, signals and effects. Returns how many runs. Who: owner,
-- admin.
CREATE OR REPLACE FUNCTION api.purge_flow_runs(p_days integer DEFAULT 30)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'flow:write', 'purging flow runs');
  RETURN flow.purge(p_days);
END
$fn$;
COMMENT ON FUNCTION api.purge_flow_runs(integer) IS
  'Retention: delete this tenant''s flow runs finished more than p_days days ago (and their '
  'steps, timers, signals and effects); returns how many.';
GRANT EXECUTE ON FUNCTION api.purge_flow_runs(integer) TO claw_runtime;
