-- Guards and the audit of flow state: the triggers that make the state machines and the
-- write-once checkpoints hold whatever function (or owner in psql) writes the tables.
--
--   flow.runs     BEFORE UPDATE: a status change must be a pair in
--                 internal.flow_run_transitions (CL409 otherwise); AFTER INSERT and AFTER
--                 UPDATE OF status: the transition is appended to the tenant's audit chain
--                 ('flow.run.started', 'flow.run.<new status>').
--   flow.steps    BEFORE UPDATE: refused (CL403, like the ledger's guards): a checkpoint is
--                 written once. A second INSERT of a position is the primary key's 23505.
--   Identity columns of runs and effects (tenant, ids, flow, input, what a run was forked
--   from and its fork line, provider, key, request) never change (CL403).
--   flow.effects  BEFORE UPDATE: status pairs from internal.flow_effect_transitions; AFTER:
--                 every status change is audited ('flow.effect.<status>').

-- flow.tg_runs__guard_transition: CL409 for a status pair the state machine does not allow.
CREATE OR REPLACE FUNCTION flow.tg_runs__guard_transition()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
       SELECT 1 FROM internal.flow_run_transitions AS t
       WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'invalid flow run transition',
      DETAIL = pg_catalog.format('run %s cannot go from %s to %s', OLD.run_id, OLD.status,
                                 NEW.status),
      HINT = 'see internal.flow_run_transitions for the allowed transitions';
  END IF;
  IF NEW.run_id IS DISTINCT FROM OLD.run_id OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id
     OR NEW.flow_name IS DISTINCT FROM OLD.flow_name OR NEW.input IS DISTINCT FROM OLD.input
     OR NEW.flow_version IS DISTINCT FROM OLD.flow_version
     OR NEW.forked_from_run_id IS DISTINCT FROM OLD.forked_from_run_id
     OR NEW.forked_from_position IS DISTINCT FROM OLD.forked_from_position
     OR NEW.fork_line IS DISTINCT FROM OLD.fork_line
     OR NEW.fork_line_upto IS DISTINCT FROM OLD.fork_line_upto THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a run''s identity is fixed',
      DETAIL = pg_catalog.format('run %s: tenant, id, flow name, version, input and what it '
                                 'was forked from never change', OLD.run_id),
      HINT = 'fork the run (api.fork_flow_run) to run it again differently';
  END IF;
  IF NEW IS DISTINCT FROM OLD THEN
    NEW.updated_at := pg_catalog.now();
  END IF;
  RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER "100_guard_transition" BEFORE UPDATE ON flow.runs
  FOR EACH ROW EXECUTE FUNCTION flow.tg_runs__guard_transition();

-- flow.tg_runs__audit: the run's start and every status change, in the tenant's chain.
CREATE OR REPLACE FUNCTION flow.tg_runs__audit()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM audit.append(NEW.tenant_id, 'flow.run.started', 'flow.runs', NEW.run_id::text, NULL,
      pg_catalog.jsonb_build_object('flow_name', NEW.flow_name, 'flow_version', NEW.flow_version,
        'status', NEW.status, 'trace_id', NEW.trace_id, 'parent_run_id', NEW.parent_run_id,
        'forked_from_run_id', NEW.forked_from_run_id));
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM audit.append(NEW.tenant_id, 'flow.run.' || NEW.status, 'flow.runs', NEW.run_id::text,
      pg_catalog.jsonb_build_object('status', OLD.status),
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'status', NEW.status, 'next_position', NEW.next_position, 'wake_at', NEW.wake_at,
        'wait_signal', NEW.wait_signal, 'wait_child_run_id', NEW.wait_child_run_id,
        'error', NEW.error, 'trace_id', NEW.trace_id)));
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER "500_audit" AFTER INSERT OR UPDATE OF status ON flow.runs
  FOR EACH ROW EXECUTE FUNCTION flow.tg_runs__audit();

-- flow.tg_steps__written_once: a checkpoint is never overwritten.
CREATE OR REPLACE FUNCTION flow.tg_steps__written_once()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a step checkpoint is written once',
    DETAIL = pg_catalog.format('step %s of run %s is recorded and cannot change', OLD.position,
                               OLD.run_id),
    HINT = 'fork the run from this position (api.fork_flow_run) to record it again';
END
$fn$;
CREATE OR REPLACE TRIGGER "100_written_once" BEFORE UPDATE ON flow.steps
  FOR EACH ROW EXECUTE FUNCTION flow.tg_steps__written_once();

-- flow.tg_effects__guard_transition: effect status pairs; identity and key never change.
CREATE OR REPLACE FUNCTION flow.tg_effects__guard_transition()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
       SELECT 1 FROM internal.flow_effect_transitions AS t
       WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'invalid effect transition',
      DETAIL = pg_catalog.format('effect %s cannot go from %s to %s', OLD.idempotency_key,
                                 OLD.status, NEW.status),
      HINT = 'see internal.flow_effect_transitions for the allowed transitions';
  END IF;
  IF NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key
     OR NEW.provider IS DISTINCT FROM OLD.provider OR NEW.request IS DISTINCT FROM OLD.request
     OR NEW.position IS DISTINCT FROM OLD.position OR NEW.run_id IS DISTINCT FROM OLD.run_id
     OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'an effect''s identity is fixed',
      DETAIL = pg_catalog.format('effect %s: provider, key and request never change',
                                 OLD.idempotency_key),
      HINT = 'a different request is a different effect (a different step)';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER "100_guard_transition" BEFORE UPDATE ON flow.effects
  FOR EACH ROW EXECUTE FUNCTION flow.tg_effects__guard_transition();

-- flow.tg_effects__audit: every effect's intent and each status change.
CREATE OR REPLACE FUNCTION flow.tg_effects__audit()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM audit.append(NEW.tenant_id, 'flow.effect.' || NEW.status, 'flow.effects',
      NEW.idempotency_key,
      CASE WHEN TG_OP = 'UPDATE' THEN pg_catalog.jsonb_build_object('status', OLD.status) END,
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'status', NEW.status, 'provider', NEW.provider, 'run_id', NEW.run_id,
        'position', NEW.position, 'sends', NEW.sends, 'note', NEW.note,
        'resolved_by', NEW.resolved_by)));
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER "500_audit" AFTER INSERT OR UPDATE OF status ON flow.effects
  FOR EACH ROW EXECUTE FUNCTION flow.tg_effects__audit();
