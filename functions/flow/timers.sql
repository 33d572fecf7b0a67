-- Timers and signals: how a run waits without holding a worker.
--
-- A sleep (flow.sleep) or a signal wait with a timeout (flow.wait_signal) first fixes its
-- wake-up instant in flow.timers (INSERT ... ON CONFLICT DO NOTHING on (run, position)): a
-- replay after a crash reads the instant back instead of computing a new one, so a timer
-- never moves. If the instant has passed (internal.now(), the injectable clock) the sleep is
-- checkpointed as a step at once; otherwise the run goes to 'sleeping' (or 'waiting') and a
-- 'flow.run' job is dispatched for that instant (its run_at): the worker is free meanwhile.
--
-- Signals are named per run: api.send_flow_signal inserts (run, name) with ON CONFLICT DO
-- NOTHING, so the first write wins and later ones are refused (accepted = false). The wait
-- at position N consumes it: the signal is marked delivered to N and step N records its
-- payload, in one transaction; a delivered signal is never delivered again. A signal that
-- arrives while the run waits for it dispatches the run now (and the timeout job, when it
-- fires, finds itself no longer the run's job and does nothing).
--
-- Locks: the run row (flow.hold / flow.require_run) before the signal row, on both sides,
-- so a send and a wait on the same run are serialised and no wake-up is lost.

-- flow.require_position: CL422 for a missing or negative step position (bad input, not a
-- conflict with the run's state).
CREATE OR REPLACE FUNCTION flow.require_position(p_position integer)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_position IS NULL OR p_position < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid step position',
      DETAIL = pg_catalog.format('p_position must be 0 or more, not %s',
                                 coalesce(p_position::text, 'NULL')),
      HINT = 'positions count the run''s steps from 0';
  END IF;
END
$fn$;

-- flow.check_position: CL409 unless p_position is the held run's next position.
CREATE OR REPLACE FUNCTION flow.check_position(p_run flow.runs, p_position integer)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM flow.require_position(p_position);
  IF p_position IS DISTINCT FROM p_run.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'step out of order',
      DETAIL = pg_catalog.format('run %s is at position %s, not %s', p_run.run_id,
                                 p_run.next_position, p_position),
      HINT = 'steps are recorded in order, each once';
  END IF;
END
$fn$;

-- flow.fix_timer: the wake-up instant of the timer at (run, position), fixed on first call.
CREATE OR REPLACE FUNCTION flow.fix_timer(p_run flow.runs, p_position integer, p_kind text,
                                          p_wake_at timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_at timestamptz;
BEGIN
  INSERT INTO flow.timers AS t (tenant_id, run_id, position, kind, wake_at)
  VALUES (p_run.tenant_id, p_run.run_id, p_position, p_kind, p_wake_at)
  ON CONFLICT (tenant_id, run_id, position) DO NOTHING;
  SELECT t.wake_at INTO STRICT v_at FROM flow.timers AS t
  WHERE t.tenant_id = p_run.tenant_id AND t.run_id = p_run.run_id AND t.position = p_position;
  RETURN v_at;
END
$fn$;

-- flow.check_wait: CL422 unless exactly a non-negative duration or a finite instant is given
-- ('infinity' would be a sleep no timer ever ends, which the cap on seconds already refuses).
CREATE OR REPLACE FUNCTION flow.check_wait(p_wake_at timestamptz, p_seconds double precision,
                                           p_required boolean)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF (p_wake_at IS NOT NULL AND p_seconds IS NOT NULL)
     OR (p_required AND p_wake_at IS NULL AND p_seconds IS NULL)
     OR NOT pg_catalog.isfinite(p_wake_at)
     OR p_seconds < 0 OR p_seconds > 31536000 * 10 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid timer',
      DETAIL = pg_catalog.format('give a finite instant or 0 to 315360000 seconds (got %s, %s)',
                                 p_wake_at, p_seconds),
      HINT = 'p_wake_at => ''2026-12-01T06:00:00Z'' or p_seconds => 3600';
  END IF;
END
$fn$;

-- flow.sleep: a durable sleep at p_position until p_wake_at or for p_seconds (from the first
-- time the run reached it). Returns the run's status ('running': the sleep is over and
-- recorded; 'sleeping': a job is dispatched for wake_at; 'cancelled') and the instant.
CREATE OR REPLACE FUNCTION flow.sleep(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                      p_position integer, p_name text, p_input_hash text,
                                      p_wake_at timestamptz, p_seconds double precision)
RETURNS TABLE (status text, wake_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_at timestamptz;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  PERFORM flow.check_wait(p_wake_at, p_seconds, true);
  v_at := flow.fix_timer(v_run, p_position, 'sleep',
                         coalesce(p_wake_at, internal.now() + pg_catalog.make_interval(secs => p_seconds)));
  IF v_at <= internal.now() OR v_run.cancel_requested_at IS NOT NULL THEN
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'sleep', p_input_hash,
                                         'completed', pg_catalog.jsonb_build_object('wake_at', v_at),
                                         NULL, NULL), v_at;
    RETURN;
  END IF;
  UPDATE flow.runs AS r SET status = 'sleeping', wake_at = v_at,
                            pending_step = flow.pending('sleep', p_name, p_input_hash)
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  PERFORM flow.redispatch(v_run, v_at);
  RETURN QUERY SELECT 'sleeping'::text, v_at;
END
$fn$;

-- flow.wait_signal: wait at p_position for the signal p_signal, until a timeout (an instant,
-- or seconds from the first wait; none = forever). Returns the run's status ('running':
-- recorded, with received and payload; 'waiting': suspended; 'cancelled'; 'failed': the
-- signal was already delivered to an earlier step and this wait has no timeout), received,
-- payload.
CREATE OR REPLACE FUNCTION flow.wait_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                            p_position integer, p_signal text, p_input_hash text,
                                            p_timeout_at timestamptz,
                                            p_timeout_seconds double precision)
RETURNS TABLE (status text, received boolean, payload jsonb)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_sig flow.signals;
  v_at timestamptz;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity('signal:' || coalesce(p_signal, ''), p_input_hash);
  PERFORM flow.check_wait(p_timeout_at, p_timeout_seconds, false);
  IF p_signal IS NULL OR p_signal !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_signal) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid signal name',
      DETAIL = pg_catalog.format('%L is not a signal name', p_signal), HINT = 'e.g. approval';
  END IF;
  SELECT s.* INTO v_sig FROM flow.signals AS s
  WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id AND s.name = p_signal
  FOR UPDATE;
  IF FOUND AND v_sig.delivered_position IS DISTINCT FROM p_position
     AND v_sig.delivered_position IS NOT NULL
     AND p_timeout_at IS NULL AND p_timeout_seconds IS NULL THEN
    -- a run gets each signal name once (first write wins; a second send is refused): a
    -- second wait for a delivered name times out, and one without a timeout would wait for
    -- ever; the run fails, saying so, instead
    PERFORM flow.finish(v_run, 'failed', NULL, pg_catalog.jsonb_build_object(
      'message', pg_catalog.format('signal %L was already delivered to step %s and a run '
                                   'receives each signal name once: this wait, without a '
                                   'timeout, would wait for ever; wait for a new name (e.g. %L)',
                                   p_signal, v_sig.delivered_position, p_signal || ':2'),
      'position', p_position));
    RETURN QUERY SELECT 'failed'::text, false, NULL::jsonb;
    RETURN;
  END IF;
  IF FOUND AND v_sig.delivered_position IS NULL THEN
    UPDATE flow.signals AS s SET delivered_position = p_position, delivered_at = internal.now()
    WHERE s.tenant_id = v_sig.tenant_id AND s.run_id = v_sig.run_id AND s.name = v_sig.name;
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, 'signal:' || p_signal, 'signal',
                                         p_input_hash, 'completed', pg_catalog.jsonb_build_object(
                                           'received', true, 'payload', v_sig.payload), NULL, NULL),
                        true, v_sig.payload;
    RETURN;
  END IF;
  IF p_timeout_at IS NOT NULL OR p_timeout_seconds IS NOT NULL THEN
    v_at := flow.fix_timer(v_run, p_position, 'signal_timeout', coalesce(p_timeout_at,
              internal.now() + pg_catalog.make_interval(secs => p_timeout_seconds)));
  END IF;
  IF v_at <= internal.now() OR v_run.cancel_requested_at IS NOT NULL THEN
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, 'signal:' || p_signal, 'signal',
                                         p_input_hash, 'completed', pg_catalog.jsonb_build_object(
                                           'received', false, 'payload', NULL), NULL, NULL),
                        false, NULL::jsonb;
    RETURN;
  END IF;
  UPDATE flow.runs AS r SET status = 'waiting', wait_signal = p_signal, wake_at = v_at,
                            job_id = NULL,
                            pending_step = flow.pending('signal', 'signal:' || p_signal, p_input_hash)
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  IF v_at IS NOT NULL THEN
    PERFORM flow.redispatch(v_run, v_at);
  END IF;
  RETURN QUERY SELECT 'waiting'::text, false, NULL::jsonb;
END
$fn$;

-- flow.send_signal: send p_name to a run of this tenant. First write wins: returns false
-- (nothing changed) when the run already has a signal of that name. Wakes the run when it
-- waits for this signal. CL404 unknown run, CL409 finished run, CL422 bad name or a null
-- payload (ctx.wait_for_signal returns None after a timeout: a null one read the same).
CREATE OR REPLACE FUNCTION flow.send_signal(p_run_id uuid, p_name text, p_payload jsonb)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs;
  v_ok boolean;
BEGIN
  IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_name) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid signal name',
      DETAIL = pg_catalog.format('%L is not a signal name', p_name), HINT = 'e.g. approval';
  END IF;
  IF p_payload IS NULL OR pg_catalog.jsonb_typeof(p_payload) = 'null' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid signal payload',
      DETAIL = 'a null payload: the waiting step could not tell it from a wait that timed out',
      HINT = 'send {} (the default) or any other JSON value';
  END IF;
  v_run := flow.require_run(p_run_id);
  IF v_run.status IN ('completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run already finished',
      DETAIL = pg_catalog.format('run %s is %s; it takes no more signals', p_run_id, v_run.status),
      HINT = 'signal a run that is still going';
  END IF;
  -- Signals no wait has taken yet are bounded per run: each is a row and a ledger entry, and
  -- names are free, so a sender (or a loop gone wrong) could otherwise pile up any number on
  -- one run. A name already sent is not counted (it returns false below, writing nothing),
  -- and the signal the run waits for now is always taken: a flood of other names must not
  -- keep an approval from the run that waits for it.
  IF (v_run.status <> 'waiting' OR v_run.wait_signal IS DISTINCT FROM p_name)
     AND (SELECT pg_catalog.count(*) FROM (
        SELECT 1 FROM flow.signals AS s
        WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id
          AND s.delivered_at IS NULL
        LIMIT 1000) AS u) >= 1000
     AND NOT EXISTS (SELECT 1 FROM flow.signals AS s
                     WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id
                       AND s.name = p_name) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'too many undelivered signals',
      DETAIL = pg_catalog.format('run %s holds 1000 signals that no wait has taken', p_run_id),
      HINT = 'signal names a wait of the run uses (one per wait, e.g. approval:1); the run takes them as it reaches those waits';
  END IF;
  INSERT INTO flow.signals (tenant_id, run_id, name, payload, sent_by, sent_at)
  VALUES (v_run.tenant_id, v_run.run_id, p_name, coalesce(p_payload, '{}'),
          internal.current_principal_id(), internal.now())
  ON CONFLICT (tenant_id, run_id, name) DO NOTHING
  RETURNING true INTO v_ok;
  IF v_ok THEN  -- who sent it (an approval, say) is in the ledger, not only in the row
    PERFORM audit.append(v_run.tenant_id, 'flow.signal.sent', 'flow.signals',
                         v_run.run_id::text || ':' || p_name, NULL,
                         pg_catalog.jsonb_build_object('run_id', v_run.run_id, 'name', p_name,
                                                       'run_status', v_run.status));
  END IF;
  IF v_ok AND v_run.status = 'waiting' AND v_run.wait_signal = p_name THEN
    PERFORM flow.redispatch(v_run, NULL);
  END IF;
  RETURN coalesce(v_ok, false);
END
$fn$;
