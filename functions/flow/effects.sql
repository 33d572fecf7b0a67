-- Effects: exactly-once external calls (an SMS, a card charge) from a run.
--
-- The rules. A step that calls the outside world first records an intent (flow.begin_effect)
-- with an idempotency key derived from the run and position ('<run_id>:<position>', stable
-- across replays, new for a fork), and commits it before any call. Then:
--   1. flow.mark_effect_sent: intended -> sent (sends + 1), committed just before the call.
--   2. the call, carrying the key: as the provider's Idempotency-Key where it has one
--      (Stripe, Square style), or as a tag on the request where it has none (Twilio style).
--   3. flow.settle_effect: sent -> confirmed (or reconciled) with the response AND the step's
--      checkpoint, in one transaction.
-- After a crash the replay finds the intent:
--   intended            nothing was sent: send.
--   sent                the outcome is unknown. A provider that honours the key: send again
--                       with the same key (the provider answers with the first result). A
--                       provider without: ask it whether the key was delivered
--                       (reconciliation): yes -> settle as 'reconciled' with what it
--                       reports; no -> send (sends + 1); cannot tell -> flow.effect_unknown.
--   unknown             never retried blindly: the run is 'blocked' until a person looks at
--                       the provider and calls api.resolve_flow_effect (delivered: reconciled;
--                       not delivered: back to intended, sent again). Blocked runs and unknown
--                       effects show in psql: api.list_flow_effects(p_status => 'unknown').
--   confirmed/reconciled  the step is recorded (or is recorded now): never sent again.

-- flow.require_effect: lock the effect at (run, position) or CL404.
CREATE OR REPLACE FUNCTION flow.require_effect(p_run flow.runs, p_position integer)
RETURNS flow.effects
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_eff flow.effects;
BEGIN
  SELECT e.* INTO v_eff FROM flow.effects AS e
  WHERE e.tenant_id = p_run.tenant_id AND e.run_id = p_run.run_id AND e.position = p_position
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'effect not found',
      DETAIL = pg_catalog.format('run %s has no effect at position %s', p_run.run_id, p_position),
      HINT = 'api.list_flow_effects lists a run''s effects';
  END IF;
  RETURN v_eff;
END
$fn$;

-- flow.begin_effect: record the intent at p_position (or return the existing one: a replay).
-- A run whose cancel was requested begins nothing it has not sent yet: it ends cancelled
-- (returned status 'cancelled').
-- CL409 when the recorded intent has another provider or request (the code changed).
CREATE OR REPLACE FUNCTION flow.begin_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                             p_position integer, p_name text,
                                             p_input_hash text, p_provider text,
                                             p_request jsonb)
RETURNS TABLE (idempotency_key text, status text, sends integer, response jsonb)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  IF p_provider IS NULL OR p_provider !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_provider) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid provider',
      DETAIL = pg_catalog.format('%L is not a provider name', p_provider), HINT = 'e.g. twilio.sms';
  END IF;
  IF v_run.cancel_requested_at IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM flow.effects AS e
       WHERE e.tenant_id = v_run.tenant_id AND e.run_id = v_run.run_id
         AND e.position = p_position AND e.status <> 'intended') THEN
    -- a cancel was requested and nothing was sent yet: nothing goes out (status 'cancelled')
    RETURN QUERY SELECT NULL::text, flow.finish(v_run, 'cancelled', NULL,
                          pg_catalog.jsonb_build_object('message', 'cancelled',
                                                        'during_position', p_position)),
                        0, NULL::jsonb;
    RETURN;
  END IF;
  INSERT INTO flow.effects (tenant_id, run_id, position, provider, idempotency_key, request)
  VALUES (v_run.tenant_id, v_run.run_id, p_position, p_provider,
          v_run.run_id::text || ':' || p_position, coalesce(p_request, '{}'))
  ON CONFLICT (tenant_id, run_id, position) DO NOTHING;
  v_eff := flow.require_effect(v_run, p_position);
  IF v_run.pending_step IS NULL THEN
    UPDATE flow.runs AS r SET pending_step = flow.pending('effect', p_name, p_input_hash)
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
  END IF;
  IF v_eff.provider <> p_provider OR v_eff.request <> coalesce(p_request, '{}') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect does not match its intent',
      DETAIL = pg_catalog.format('run %s position %s recorded an effect on %s with request %s; '
                                 'the code now asks %s with %s', p_run_id, p_position,
                                 v_eff.provider, v_eff.request, p_provider, p_request),
      HINT = 'the flow''s code no longer matches this run: deploy the old version or fork the run';
  END IF;
  RETURN QUERY SELECT v_eff.idempotency_key, v_eff.status, v_eff.sends, v_eff.response;
END
$fn$;

-- flow.mark_effect_sent: intended -> sent, or another send of a 'sent' effect; sends + 1.
-- Commit it before calling the provider. Returns the number of sends.
CREATE OR REPLACE FUNCTION flow.mark_effect_sent(p_run_id uuid, p_job_id uuid,
                                                 p_lease_token uuid, p_position integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
BEGIN
  IF v_eff.status NOT IN ('intended', 'sent') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect cannot be sent',
      DETAIL = pg_catalog.format('effect %s is %s', v_eff.idempotency_key, v_eff.status),
      HINT = 'only an intended (or sent, unconfirmed) effect is sent';
  END IF;
  UPDATE flow.effects AS e SET status = 'sent', sends = e.sends + 1, sent_at = internal.now()
  WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position
  RETURNING e.sends INTO v_eff.sends;
  RETURN v_eff.sends;
END
$fn$;

-- flow.settle_effect: the provider's answer (p_outcome 'confirmed': it answered our call;
-- 'reconciled': its lookup found the key delivered) and the step's checkpoint, in one
-- transaction. An effect a person already reconciled is recorded as it is. Returns the run's
-- status ('running' or 'cancelled').
CREATE OR REPLACE FUNCTION flow.settle_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                              p_position integer, p_name text,
                                              p_input_hash text, p_outcome text,
                                              p_response jsonb)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
BEGIN
  IF p_outcome IS NULL OR p_outcome NOT IN ('confirmed', 'reconciled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid effect outcome',
      DETAIL = pg_catalog.format('%L is not an outcome', p_outcome),
      HINT = 'confirmed (the call answered) or reconciled (the lookup found it)';
  END IF;
  IF v_eff.status = 'sent' THEN
    UPDATE flow.effects AS e
    SET status = p_outcome, response = coalesce(p_response, 'null'), settled_at = internal.now()
    WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position
    RETURNING e.* INTO v_eff;
  ELSIF v_eff.status <> 'reconciled' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect cannot be settled',
      DETAIL = pg_catalog.format('effect %s is %s', v_eff.idempotency_key, v_eff.status),
      HINT = 'mark it sent before the call (api.mark_flow_effect_sent)';
  END IF;
  RETURN flow.insert_step(v_run, p_position, p_name, 'effect', p_input_hash, 'completed',
                          pg_catalog.jsonb_build_object('key', v_eff.idempotency_key,
                                                        'outcome', v_eff.status,
                                                        'response', v_eff.response),
                          NULL, v_eff.created_at);
END
$fn$;

-- flow.effect_unknown: reconciliation could not tell whether a sent effect was delivered:
-- sent -> unknown, and the run running -> blocked until a person resolves it. Returns
-- 'blocked'.
CREATE OR REPLACE FUNCTION flow.effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid,
                                               p_position integer, p_note text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
BEGIN
  UPDATE flow.effects AS e SET status = 'unknown', note = pg_catalog.left(p_note, 4000)
  WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position;
  UPDATE flow.runs AS r
  SET status = 'blocked', job_id = NULL,
      error = pg_catalog.jsonb_build_object('position', p_position, 'effect', v_eff.idempotency_key,
                                            'message', 'effect outcome unknown: ' || coalesce(p_note, ''))
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
  RETURN 'blocked';
END
$fn$;

-- flow.resolve_effect: a person's decision on an unknown effect. p_delivered: the provider
-- shows it delivered -> reconciled with p_response; not delivered -> intended (sent again).
-- The blocked run goes back to pending and is dispatched. Returns the effect's new status.
-- CL404 unknown run or effect, CL409 the effect is not unknown.
CREATE OR REPLACE FUNCTION flow.resolve_effect(p_run_id uuid, p_position integer,
                                               p_delivered boolean, p_response jsonb,
                                               p_note text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_run flow.runs := flow.require_run(p_run_id);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
  v_status text := CASE WHEN p_delivered THEN 'reconciled' ELSE 'intended' END;
BEGIN
  IF p_delivered IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'say whether it was delivered',
      DETAIL = 'p_delivered must be true or false',
      HINT = 'look the key up at the provider first';
  END IF;
  IF v_eff.status <> 'unknown' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect is not unknown',
      DETAIL = pg_catalog.format('effect %s is %s', v_eff.idempotency_key, v_eff.status),
      HINT = 'only effects whose outcome is unknown are resolved by a person';
  END IF;
  UPDATE flow.effects AS e
  SET status = v_status, response = CASE WHEN p_delivered THEN coalesce(p_response, 'null') END,
      settled_at = CASE WHEN p_delivered THEN internal.now() END,
      resolved_by = internal.current_principal_id(),
      note = pg_catalog.left(coalesce(p_note, e.note), 4000)
  WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position;
  IF v_run.status = 'blocked' THEN
    UPDATE flow.runs AS r SET status = 'pending', error = NULL
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
    RETURNING r.* INTO v_run;
    PERFORM flow.redispatch(v_run, NULL);
  END IF;
  RETURN v_status;
END
$fn$;
