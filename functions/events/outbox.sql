-- The outbox writers: triggers on the tables whose changes a tenant sees, each appending to
-- events.outbox in the same transaction as the change (see migrations/0015_create_events.sql
-- for positions and delivery order).
--
-- Job events. The two that every job has come one per statement, tenant and queue, not one
-- per job (subject: the queue; data: the queue and a "jobs" array, one entry per job): an
-- enqueue batch and a completed claim each add one row, so the outbox costs the queue's hot
-- path a row per batch (tests/test_queue_costs.py counts it); each entry is built as a row of
-- events.job_enqueued or events.job_finished (migrations/0055: the same JSON, built cheaper):
--   jobs.enqueued                    jobs were inserted (api.enqueue_job(s), schedules, flows)
--   jobs.completed, jobs.cancelled   jobs moved to history with that outcome
-- The rarer ones are one per job (subject: the job; data: job_id, queue, kind, state,
-- attempts, run_at, error, trace_id):
--   job.failed     an attempt failed and the job waits for its retry (running -> scheduled)
--   job.dead       the job is dead-lettered (last attempt failed, or no retry)
--   job.retried    a dead job is put back (api.retry_job)
-- A claim (available -> running) and a heartbeat are not events: they are the queue's own
-- bookkeeping, and the hot path stays free of them (the state trigger has a WHEN clause, so
-- it is not even called for them).
-- Schedule events: schedule.created, schedule.paused, schedule.resumed, schedule.deleted,
-- schedule.fired (data: schedule_id, name, and for a fire the instant and the job; a
-- schedule.paused by the tick because its fire failed also carries last_error).
--
-- An event's trace_id is the trace of the transaction that made the change (the request's
-- claw.trace_id as internal.trace_id reads it: unset, empty or longer than the outbox
-- holds, 64 bytes, is none; it inlines, so the completing path that
-- tests/test_queue_costs.py counts has no statement more), so a cancel or a retry
-- names the request that cancelled or retried. Without one (a worker that does not
-- trace, the scheduler) a job event falls back to the trace the job carries (a batch event:
-- the one its jobs share); the job's own trace is in the event's data either way.
--
-- The functions are SECURITY DEFINER owned by claw_dispatcher: job changes happen in
-- cross-tenant functions without a tenant context, and each row's tenant_id is taken from
-- the changed row itself (which its own policies already admitted). No login role can call
-- them (trigger functions cannot be called directly).
-- After every statement that wrote events for a watched tenant, one NOTIFY claw_events
-- (empty payload; a transaction's identical notifications fold into one at commit) wakes the
-- readers.

-- events.tg_jobs__enqueued: one outbox row per tenant and queue of an INSERT statement.
CREATE OR REPLACE FUNCTION events.tg_jobs__enqueued()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();  -- once per statement, not per row
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  SELECT n.tenant_id, 'jobs.enqueued', n.queue,
         pg_catalog.jsonb_build_object('queue', n.queue, 'jobs', pg_catalog.to_jsonb(
           pg_catalog.array_agg(ROW(n.job_id, n.kind, n.state, n.run_at, n.trace_id)
                                  ::events.job_enqueued ORDER BY n.job_id))),
         min(n.trace_id), v_now
  FROM new_rows AS n
  GROUP BY n.tenant_id, n.queue;
  RETURN NULL;
END
$fn$;
ALTER FUNCTION events.tg_jobs__enqueued() OWNER TO claw_dispatcher;
CREATE OR REPLACE TRIGGER "800_events_enqueued" AFTER INSERT ON queue.jobs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events.tg_jobs__enqueued();

-- events.tg_jobs__state: a failed attempt waiting for its retry, a dead letter, a retried
-- dead job. Row level with a WHEN clause: claims, heartbeats and releases never call it.
CREATE OR REPLACE FUNCTION events.tg_jobs__state()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  VALUES (NEW.tenant_id,
          CASE WHEN NEW.state = 'dead' THEN 'job.dead'
               WHEN OLD.state = 'dead' THEN 'job.retried'
               ELSE 'job.failed' END,
          NEW.job_id::text,
          pg_catalog.jsonb_build_object(
            'job_id', NEW.job_id, 'queue', NEW.queue, 'kind', NEW.kind, 'state', NEW.state,
            'attempts', NEW.attempts, 'run_at', NEW.run_at,
            'error', NEW.errors -> -1 ->> 'error', 'trace_id', NEW.trace_id),
          coalesce(internal.trace_id(), NEW.trace_id), internal.now());
  RETURN NULL;
END
$fn$;
ALTER FUNCTION events.tg_jobs__state() OWNER TO claw_dispatcher;
CREATE OR REPLACE TRIGGER "800_events_state" AFTER UPDATE OF state ON queue.jobs
  FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state
        AND (NEW.state = 'dead' OR OLD.state = 'dead'
             OR (OLD.state = 'running' AND NEW.state = 'scheduled')))
  EXECUTE FUNCTION events.tg_jobs__state();

-- events.tg_job_history__finished: completed and cancelled jobs, one outbox row per tenant,
-- queue and outcome of a statement (api.complete_jobs finishes a batch in one statement).
CREATE OR REPLACE FUNCTION events.tg_job_history__finished()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();  -- once per statement, not per row
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  SELECT n.tenant_id, 'jobs.' || n.outcome, n.queue,
         pg_catalog.jsonb_build_object('queue', n.queue, 'jobs', pg_catalog.to_jsonb(
           pg_catalog.array_agg(ROW(n.job_id, n.kind, n.attempts, n.finished_at, n.trace_id)
                                  ::events.job_finished ORDER BY n.job_id))),
         coalesce(internal.trace_id(),
                  CASE WHEN min(n.trace_id) = max(n.trace_id) THEN min(n.trace_id) END),
         v_now
  FROM new_rows AS n
  GROUP BY n.tenant_id, n.queue, n.outcome;
  RETURN NULL;
END
$fn$;
ALTER FUNCTION events.tg_job_history__finished() OWNER TO claw_dispatcher;
CREATE OR REPLACE TRIGGER "800_events_finished" AFTER INSERT ON queue.job_history
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION events.tg_job_history__finished();

-- events.tg_schedules__changed: created, paused, resumed, deleted.
CREATE OR REPLACE FUNCTION events.tg_schedules__changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_row queue.schedules := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  v_type text := CASE TG_OP WHEN 'INSERT' THEN 'schedule.created'
                            WHEN 'DELETE' THEN 'schedule.deleted'
                            ELSE CASE WHEN NEW.paused THEN 'schedule.paused'
                                      ELSE 'schedule.resumed' END END;
BEGIN
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  VALUES (v_row.tenant_id, v_type, v_row.schedule_id::text,
          pg_catalog.jsonb_build_object('schedule_id', v_row.schedule_id, 'name', v_row.name,
                                        'cron', v_row.cron, 'time_zone', v_row.time_zone,
                                        'paused', v_row.paused,
                                        'next_fire_at', v_row.next_fire_at)
          || CASE WHEN TG_OP = 'UPDATE' AND v_row.paused
                       AND v_row.last_error IS DISTINCT FROM OLD.last_error
                  THEN pg_catalog.jsonb_build_object('last_error', v_row.last_error)
                  ELSE '{}' END,
          internal.trace_id(), internal.now());
  RETURN NULL;
END
$fn$;
ALTER FUNCTION events.tg_schedules__changed() OWNER TO claw_dispatcher;
CREATE OR REPLACE TRIGGER "800_events_created" AFTER INSERT OR DELETE ON queue.schedules
  FOR EACH ROW EXECUTE FUNCTION events.tg_schedules__changed();
CREATE OR REPLACE TRIGGER "800_events_paused" AFTER UPDATE OF paused ON queue.schedules
  FOR EACH ROW WHEN (OLD.paused IS DISTINCT FROM NEW.paused)
  EXECUTE FUNCTION events.tg_schedules__changed();

-- events.tg_schedule_fires__fired: a schedule fired (once per local instant).
CREATE OR REPLACE FUNCTION events.tg_schedule_fires__fired()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();  -- once per statement, not per row
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  SELECT n.tenant_id, 'schedule.fired', n.schedule_id::text,
         pg_catalog.jsonb_build_object('schedule_id', n.schedule_id, 'fire_at', n.fire_at,
                                       'job_id', n.job_id, 'missed', n.missed),
         NULL, v_now
  FROM new_rows AS n;
  RETURN NULL;
END
$fn$;
ALTER FUNCTION events.tg_schedule_fires__fired() OWNER TO claw_dispatcher;
CREATE OR REPLACE TRIGGER "800_events_fired" AFTER INSERT ON queue.schedule_fires
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION events.tg_schedule_fires__fired();

-- events.tg_outbox__notify: wake the readers once per statement that wrote events, when
-- someone watches one of its tenants (events.watchers, kept by api.watch_events): a NOTIFY
-- serialises every committing transaction on the server's notify lock, so a tenant nobody
-- streams from costs nothing (migrations/0019_create_event_watchers.sql has the numbers).
-- A reader that is not registered still finds every event by reading on a timer.
CREATE OR REPLACE FUNCTION events.tg_outbox__notify()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM events.watchers AS w
             WHERE w.tenant_id IN (SELECT n.tenant_id FROM new_rows AS n)
               AND w.expires_at > pg_catalog.now()) THEN
    PERFORM pg_catalog.pg_notify('claw_events', '');
  END IF;
  RETURN NULL;
END
$fn$;
ALTER FUNCTION events.tg_outbox__notify() OWNER TO claw_dispatcher;
CREATE OR REPLACE TRIGGER "900_notify" AFTER INSERT ON events.outbox
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION events.tg_outbox__notify();

-- events.watchers_with_events: of the given registered streams (watcher ids from
-- api.watch_events) and their positions, the ones whose tenant has an event after the
-- position that api.read_events would return now (the same predicate: committed below the
-- snapshot's xmin). A process that holds many streams asks this once per NOTIFY instead of
-- opening an authenticated read per stream; only the streams it names read. A watcher id is
-- a random capability that only the process that registered it knows; an unknown or expired
-- one is never named, and the answer says nothing but "read now" about a tenant. Runs as
-- claw_dispatcher (BYPASSRLS: streams of many tenants); only api.events_waiting calls it.
CREATE OR REPLACE FUNCTION events.watchers_with_events(p_watcher_ids uuid[], p_positions text[])
RETURNS SETOF uuid
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT w.watcher_id
  FROM ROWS FROM (pg_catalog.unnest(p_watcher_ids), pg_catalog.unnest(p_positions))
         AS s(watcher_id, position)
  JOIN events.watchers AS w ON w.watcher_id = s.watcher_id AND w.expires_at > pg_catalog.now()
  CROSS JOIN LATERAL events.parse_position(s.position) AS p
  WHERE EXISTS (
    SELECT 1 FROM events.outbox AS o
    WHERE o.tenant_id = w.tenant_id
      AND (p.xact_id IS NULL OR (o.xact_id, o.event_id) > (p.xact_id, p.event_id))
      AND o.xact_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()))
$fn$;
ALTER FUNCTION events.watchers_with_events(uuid[], text[]) OWNER TO claw_dispatcher;
REVOKE ALL ON FUNCTION events.watchers_with_events(uuid[], text[]) FROM PUBLIC;
