-- Child flows, forks and retention: runs made from other runs.
--
-- A child is started by a step of its parent (flow.start_child): the child run (idempotency
-- key 'child:<parent>:<position>', the parent's trace id and queue) and the parent's step
-- that names it are written in one transaction, so a replay finds the child instead of
-- starting a second one. flow.wait_child at a later position records the child's outcome
-- if it has finished, or puts the parent to 'waiting'; a child that finishes wakes a
-- parent waiting for it (flow.wake_parent, locks: child, then parent).
--
-- A fork (flow.fork) copies a finished run's first N checkpoints into a new pending run
-- and dispatches it: steps before N replay from the copy, step N onwards run again (an
-- effect at N or later gets a new idempotency key, the new run's). The children named by
-- the copied checkpoints, and not waited for in them, become the fork's (it may wait for
-- them; the source never will).
--
-- Retention (flow.purge) deletes finished runs older than a number of days with their
-- steps, timers, signals and effects (children keep running, their parent link cleared; a
-- finished child is kept while its parent is still going, which may yet wait for it).

-- flow.start_child: start child flow p_flow_name at p_position of a held parent and record
-- the step naming it. Returns the parent's status and the child's run id (a run whose
-- cancel was requested starts none: it ends cancelled, child id NULL).
CREATE OR REPLACE FUNCTION flow.start_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                            p_position integer, p_name text,
                                            p_input_hash text, p_flow_name text,
                                            p_input jsonb, p_flow_version integer)
RETURNS TABLE (status text, child_run_id uuid)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_child uuid;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  IF v_run.cancel_requested_at IS NOT NULL THEN
    -- a cancel was requested: no child is started (nothing would ever cancel it)
    RETURN QUERY SELECT flow.finish(v_run, 'cancelled', NULL, pg_catalog.jsonb_build_object(
                          'message', 'cancelled', 'during_position', p_position)), NULL::uuid;
    RETURN;
  END IF;
  SELECT s.run_id INTO v_child
  FROM flow.start_run(p_flow_name, p_input, p_flow_version,
                      'child:' || v_run.run_id::text || ':' || p_position, v_run.trace_id,
                      v_run.queue, v_run.run_id, p_position) AS s;
  RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'child', p_input_hash,
                                       'completed', pg_catalog.jsonb_build_object('run_id', v_child),
                                       NULL, NULL), v_child;
END
$fn$;

-- flow.wait_child: wait at p_position for child p_child_run_id to finish. Returns the
-- parent's status ('running': recorded; 'waiting': suspended; 'cancelled') and, when
-- recorded, the child's status, output and error. CL422 when it is not this run's child.
-- A fork does not adopt a child whose outcome a wait_child among its copied checkpoints
-- holds (flow.fork); a later wait for that child answers with the outcome that checkpoint
-- holds when it is a finished child's (final; retention may have purged the child since).
CREATE OR REPLACE FUNCTION flow.wait_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                           p_position integer, p_name text, p_input_hash text,
                                           p_child_run_id uuid)
RETURNS TABLE (status text, child_status text, child_output jsonb, child_error jsonb)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_child flow.runs;
  v_held jsonb;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  SELECT r.* INTO v_child FROM flow.runs AS r
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = p_child_run_id
    AND r.parent_run_id = v_run.run_id;
  IF NOT FOUND THEN
    -- (forked_from_position is NULL for a run that is no fork: no step qualifies)
    SELECT s.output INTO v_held FROM flow.steps AS s
    WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id
      AND s.position < v_run.forked_from_position AND s.kind = 'wait_child'
      AND s.status = 'completed' AND s.output ->> 'run_id' = p_child_run_id::text
      -- a final outcome only: a wait recorded because its run was being cancelled holds
      -- the child's status at that moment, which may be 'running'
      AND s.output ->> 'status' IN ('completed', 'failed', 'cancelled')
    ORDER BY s.position
    LIMIT 1;
    IF FOUND THEN
      RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'wait_child', p_input_hash,
                                           'completed', v_held, NULL, NULL),
                          v_held ->> 'status', v_held -> 'output', v_held -> 'error';
      RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'not a child of this run',
      DETAIL = pg_catalog.format('run %s has no child %s', p_run_id, p_child_run_id),
      HINT = 'wait for a child this run started';
  END IF;
  IF v_child.status IN ('completed', 'failed', 'cancelled') OR v_run.cancel_requested_at IS NOT NULL THEN
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'wait_child', p_input_hash,
                                         'completed', pg_catalog.jsonb_build_object(
                                           'run_id', v_child.run_id, 'status', v_child.status,
                                           'output', v_child.output, 'error', v_child.error),
                                         NULL, NULL),
                        v_child.status, v_child.output, v_child.error;
    RETURN;
  END IF;
  UPDATE flow.runs AS r SET status = 'waiting', wait_child_run_id = p_child_run_id, job_id = NULL,
                            pending_step = flow.pending('wait_child', p_name, p_input_hash)
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
  RETURN QUERY SELECT 'waiting'::text, v_child.status, NULL::jsonb, NULL::jsonb;
END
$fn$;

-- flow.fork: a new run of the same flow, version and input with the first p_from_position
-- checkpoints of a finished run, dispatched; it adopts the children those checkpoints
-- started and do not wait for. Returns the new run id. CL409 unless the run has finished, or
-- when such a child was purged, belongs to another run still going, is locked by a worker
-- call at this moment (retry: nothing was written) or was not started by a start_child at
-- that position; CL422 when p_from_position is beyond its completed steps.
-- Locks: the source run, then the adopted children in run id order, each NOWAIT (a finishing
-- child locks child then parent, flow.wake_parent; waiting here in the other order could
-- deadlock).
CREATE OR REPLACE FUNCTION flow.fork(p_run_id uuid, p_from_position integer)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_src flow.runs := flow.require_run(p_run_id);
  v_run flow.runs;
  v_child flow.runs;
  v_step record;
BEGIN
  IF v_src.status NOT IN ('completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run still going',
      DETAIL = pg_catalog.format('run %s is %s; only a finished run is forked', p_run_id,
                                 v_src.status),
      HINT = 'cancel it first, or wait until it finishes';
  END IF;
  IF p_from_position IS NULL OR p_from_position NOT BETWEEN 0 AND v_src.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid fork position',
      DETAIL = pg_catalog.format('run %s has %s completed steps; fork from 0 to %s, not %s',
                                 p_run_id, v_src.next_position, v_src.next_position,
                                 p_from_position),
      HINT = 'api.list_flow_steps shows the positions';
  END IF;
  -- the fork line (migrations/0057): the source, then the source's own line, each with how
  -- many of its first steps reach the fork (never more than this fork copies)
  INSERT INTO flow.runs AS r (tenant_id, flow_name, flow_version, input, trace_id, queue,
                              forked_from_run_id, forked_from_position, next_position,
                              fork_line, fork_line_upto)
  VALUES (v_src.tenant_id, v_src.flow_name, v_src.flow_version, v_src.input,
          pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', ''), v_src.queue,
          v_src.run_id, p_from_position, p_from_position,
          ARRAY[v_src.run_id] || v_src.fork_line,
          ARRAY[p_from_position] || ARRAY(
            SELECT LEAST(u.upto, p_from_position)
            FROM pg_catalog.unnest(v_src.fork_line_upto) WITH ORDINALITY AS u(upto, i)
            ORDER BY u.i))
  RETURNING r.* INTO v_run;
  INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, input_hash, status, output,
                          error, attempts, started_at, finished_at)
  SELECT s.tenant_id, v_run.run_id, s.position, s.name, s.kind, s.input_hash, s.status, s.output,
         s.error, s.attempts, s.started_at, s.finished_at
  FROM flow.steps AS s
  WHERE s.tenant_id = v_src.tenant_id AND s.run_id = v_src.run_id AND s.position < p_from_position;
  -- The children the copied checkpoints name and do not wait for: the fork replays their
  -- start (it gets the same child ids) and may wait for them, so it adopts them (their
  -- parent becomes the fork, which they wake when they finish, and which cancels them when
  -- it is cancelled). The finished
  -- source never waits again. A child gone (purged) or followed by another run still going
  -- (an earlier fork of the same source) is CL409: nothing is written.
  -- Only a run that a start_child at that position started is adopted: its key is
  -- 'child:<starter>:<position>' (reserved, see api.start_flow_run), the starter being the
  -- source or a run the step was copied from (the source's fork line, kept on its row since
  -- migration 0057, so a run of the line that retention purged since does not break it); a
  -- step naming anything else (recorded before api.record_flow_step refused the 'child'
  -- kind) is CL409.
  FOR v_step IN
    SELECT s.position, s.output ->> 'run_id' AS named,
           CASE WHEN pg_catalog.pg_input_is_valid(s.output ->> 'run_id', 'uuid')
                THEN (s.output ->> 'run_id')::uuid END AS child_run_id
    FROM flow.steps AS s
    WHERE s.tenant_id = v_src.tenant_id AND s.run_id = v_src.run_id
      AND s.position < p_from_position AND s.kind = 'child'
      -- a child whose outcome a copied wait_child holds: the fork replays that from the copy
      -- and never needs the child (it may be purged, or another fork's meanwhile)
      AND NOT EXISTS (SELECT 1 FROM flow.steps AS w
                      WHERE w.tenant_id = s.tenant_id AND w.run_id = s.run_id
                        AND w.position > s.position AND w.position < p_from_position
                        AND w.kind = 'wait_child' AND w.output ->> 'run_id' = s.output ->> 'run_id')
    ORDER BY 3, 1
  LOOP
    IF v_step.child_run_id IS NOT NULL THEN
      BEGIN
        SELECT r.* INTO v_child FROM flow.runs AS r
        WHERE r.tenant_id = v_src.tenant_id AND r.run_id = v_step.child_run_id
        FOR UPDATE NOWAIT;
      EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child run is busy',
          DETAIL = pg_catalog.format('child %s (step %s of run %s) is being updated by its '
                                     'worker; nothing was forked', v_step.child_run_id,
                                     v_step.position, p_run_id),
          HINT = 'retry the fork in a moment';
      END;
      IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child run is gone',
          DETAIL = pg_catalog.format('step %s of run %s started child %s, which was purged',
                                     v_step.position, p_run_id, v_step.child_run_id),
          HINT = pg_catalog.format('fork from position %s or earlier: the fork starts a '
                                   'child of its own there', v_step.position);
      END IF;
    END IF;
    IF v_step.child_run_id IS NULL OR v_child.parent_position IS DISTINCT FROM v_step.position
       OR v_child.idempotency_key IS NULL OR v_child.idempotency_key NOT IN (
         SELECT 'child:' || c.starter::text || ':' || v_step.position::text
         FROM (SELECT v_src.run_id
               UNION ALL
               SELECT l.run_id
               FROM ROWS FROM (pg_catalog.unnest(v_src.fork_line),
                               pg_catalog.unnest(v_src.fork_line_upto)) AS l(run_id, upto)
               WHERE v_step.position < l.upto) AS c (starter)) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child step names another run',
        DETAIL = pg_catalog.format('step %s of run %s is a child step naming %L, which no '
                                   'start_child of this run at that position started',
                                   v_step.position, p_run_id, v_step.named),
        HINT = pg_catalog.format('fork from position %s or earlier: the fork starts a child '
                                 'of its own there', v_step.position);
    END IF;
    IF v_child.parent_run_id IS NOT NULL AND v_child.parent_run_id <> v_src.run_id
       AND EXISTS (SELECT 1 FROM flow.runs AS p
                   WHERE p.tenant_id = v_child.tenant_id AND p.run_id = v_child.parent_run_id
                     AND p.status NOT IN ('completed', 'failed', 'cancelled')) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child run is taken',
        DETAIL = pg_catalog.format('child %s (step %s of run %s) now belongs to run %s, which '
                                   'is still going', v_child.run_id, v_step.position, p_run_id,
                                   v_child.parent_run_id),
        HINT = pg_catalog.format('wait for run %s to finish (or cancel it), or fork from '
                                 'position %s or earlier', v_child.parent_run_id,
                                 v_step.position);
    END IF;
    UPDATE flow.runs AS r SET parent_run_id = v_run.run_id
    WHERE r.tenant_id = v_child.tenant_id AND r.run_id = v_child.run_id;
    PERFORM audit.append(v_child.tenant_id, 'flow.run.adopted', 'flow.runs',
                         v_child.run_id::text,
                         pg_catalog.jsonb_build_object('parent_run_id', v_child.parent_run_id),
                         pg_catalog.jsonb_build_object('parent_run_id', v_run.run_id,
                                                       'forked_from_run_id', v_src.run_id));
  END LOOP;
  PERFORM flow.redispatch(v_run, NULL);
  RETURN v_run.run_id;
END
$fn$;

-- flow.purge: delete this tenant's runs finished more than p_days days ago. Returns how many.
CREATE OR REPLACE FUNCTION flow.purge(p_days integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_n integer;
BEGIN
  IF p_days IS NULL OR p_days NOT BETWEEN 0 AND 36500 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retention',
      DETAIL = pg_catalog.format('p_days must be 0 to 36500, not %s', p_days),
      HINT = 'finished runs older than this many days are deleted';
  END IF;
  DELETE FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id()
    AND r.finished_at < internal.now() - pg_catalog.make_interval(days => p_days)
    AND r.status IN ('completed', 'failed', 'cancelled')
    -- a child is kept while its parent goes on: the parent may still ctx.wait_child it.
    -- Asked as "no parent, or one seen finished", not "no parent seen going": a fork that
    -- adopts the child (flow.fork) while this DELETE waits for its row gives it a parent
    -- this statement's snapshot cannot see, and the re-check must keep it.
    AND (r.parent_run_id IS NULL
         OR EXISTS (SELECT 1 FROM flow.runs AS p
                    WHERE p.tenant_id = r.tenant_id AND p.run_id = r.parent_run_id
                      AND p.status IN ('completed', 'failed', 'cancelled')));
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n > 0 THEN
    PERFORM audit.append(internal.current_tenant_id(), 'flow.runs.purged', 'flow.runs', NULL,
                         NULL, pg_catalog.jsonb_build_object('runs', v_n, 'older_than_days', p_days));
  END IF;
  RETURN v_n;
END
$fn$;
