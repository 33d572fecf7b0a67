-- The per-tenant scheduler. A schedule is a 5-field cron expression read in an IANA time
-- zone (queue.next_fire in cron.sql holds the calendar walk and the DST rules). The next
-- fire instant is stored in UTC in schedules.next_fire_at; queue.tick_schedules, called by
-- every worker, enqueues what is due:
--   * exactly once per (schedule, fire instant): schedules are taken FOR UPDATE SKIP LOCKED
--     (two ticks never work on one schedule), the fire is recorded in queue.schedule_fires
--     (primary key (tenant, schedule, fire_at)), and the job is enqueued in the same
--     transaction, so a crash leaves both or neither;
--   * after downtime, once: a schedule that missed several slots fires once (for the first
--     missed slot, with "missed": n in the payload) and moves on to the next slot after now;
--     n counts the later missed slots up to 1,000 (then "missed_more": true is in the payload
--     too): an every-minute schedule down for weeks would otherwise count tens of thousands
--     of slots, one queue.next_fire each, in one tick of every tenant;
--     a schedule created with catch_up fires once per missed slot instead (at most 1000 per
--     tick, the rest on the next tick);
--   * one schedule's failure stops only that schedule: each schedule fires in its own
--     subtransaction (a BEGIN ... EXCEPTION block), so a fire that raises (say a job spec
--     that queue.insert_jobs refuses) rolls back that schedule's fires alone; the schedule
--     is then paused with the error in schedules.last_error (sqlstate, message, detail,
--     hint, the fire instant, when), which api.list_schedules shows and the schedule.paused
--     event carries, and the tick goes on with the others. Such errors come from the
--     schedule's own row and would recur every tick, hence the pause; the tenant fixes the
--     cause (deletes and re-creates the schedule) or resumes it. Errors that are not the
--     schedule's (classes 40, 53, 57, 58, XX: serialization, resources, shutdown, system)
--     still abort the tick.
--   * no tick waits on a tenant: enqueueing a fire takes the (tenant, queue) fairness
--     cursor row (queue.take_fair_keys), which a tenant's own enqueue transaction holds until
--     it commits. The tick waits at most 50 ms for it (lock_timeout, inside the schedule's
--     subtransaction); a schedule whose cursor is busy is left due, still locked by this tick
--     until it commits (no other tick takes it meanwhile), and fires on a later tick, exactly
--     once like any other. The other schedules of that tenant and queue in the same tick are
--     skipped without waiting again. So one tenant's open transaction delays only its own
--     schedules into that queue, and the tick's lock waits are too short to deadlock.
-- Lock order: the due schedule rows (SKIP LOCKED: never waited on) are taken first, all at
-- once; then, in (tenant, queue, next_fire_at, schedule) order, each one's cursor row (and
-- the rows its fires insert). Concurrent ticks take cursors in the same order.
-- Each schedule that fires costs a subtransaction (and an xid): a tick that fires more than
-- 64 overflows its backend's subtransaction cache until it commits, which slows other
-- sessions' snapshots a little meanwhile; the worker ticks 100 at a time, every second.
-- Owned by claw_dispatcher (it reads schedules of every tenant).

CREATE OR REPLACE FUNCTION queue.tick_schedules(p_limit integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_s record;
  v_fire timestamptz;
  v_next timestamptz;
  v_missed integer;
  v_more boolean;
  v_job uuid;
  v_fired integer := 0;
  v_this integer;
  v_batch integer;
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
  v_lock_timeout CONSTANT text := pg_catalog.current_setting('lock_timeout');
  v_busy_tenant uuid;
  v_busy_queue text;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tick size',
      DETAIL = pg_catalog.format('p_limit must be 1 to 10000, not %s', p_limit),
      HINT = 'the default (100) suits a worker that ticks every second';
  END IF;
  FOR v_s IN
    WITH due AS MATERIALIZED (  -- which: the longest due, whatever their tenant
      SELECT s.tenant_id, s.schedule_id, s.cron, s.time_zone, s.queue, s.kind, s.payload,
             s.catch_up, s.next_fire_at
      FROM queue.schedules AS s
      WHERE NOT s.paused AND s.next_fire_at <= v_now
      ORDER BY s.next_fire_at
      LIMIT p_limit
      FOR UPDATE SKIP LOCKED
    )
    SELECT * FROM due
    ORDER BY due.tenant_id, due.queue, due.next_fire_at, due.schedule_id  -- the lock order
  LOOP
    CONTINUE WHEN v_s.tenant_id = v_busy_tenant AND v_s.queue = v_busy_queue;
    BEGIN  -- one subtransaction per schedule
      PERFORM pg_catalog.set_config('lock_timeout', '50ms', true);
      v_fire := v_s.next_fire_at;
      v_batch := 0;
      v_this := 0;
      LOOP
        -- the slots after v_fire that are also already due
        v_next := queue.next_fire(v_s.cron, v_s.time_zone, v_fire);
        v_missed := 0;
        v_more := false;
        IF NOT v_s.catch_up THEN
          WHILE v_next IS NOT NULL AND v_next <= v_now AND v_missed < 1000 LOOP
            v_missed := v_missed + 1;
            v_next := queue.next_fire(v_s.cron, v_s.time_zone, v_next);
          END LOOP;
          -- more than that are not counted: on to the first slot after now (the count used to
          -- stop at 100,000 with the slot it reached still due, which fired a second time)
          IF v_next IS NOT NULL AND v_next <= v_now THEN
            v_next := queue.next_fire(v_s.cron, v_s.time_zone, v_now);
            v_more := true;
          END IF;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM queue.schedule_fires AS f
                       WHERE f.tenant_id = v_s.tenant_id AND f.schedule_id = v_s.schedule_id
                         AND f.fire_at = v_fire) THEN
          SELECT i.job_id INTO STRICT v_job
          FROM queue.insert_jobs(v_s.tenant_id, pg_catalog.jsonb_build_array(
                 pg_catalog.jsonb_build_object(
                   'queue', v_s.queue, 'kind', v_s.kind,
                   'payload', v_s.payload || pg_catalog.jsonb_build_object(
                     'schedule_id', v_s.schedule_id, 'fire_at', v_fire, 'missed', v_missed)
                     || CASE WHEN v_more THEN '{"missed_more": true}'::jsonb
                             ELSE '{}'::jsonb END))) AS i;
          INSERT INTO queue.schedule_fires (tenant_id, schedule_id, fire_at, job_id, missed,
                                            fired_at)
          VALUES (v_s.tenant_id, v_s.schedule_id, v_fire, v_job, v_missed, v_now);
          v_this := v_this + 1;
        END IF;
        v_batch := v_batch + 1;
        v_fire := v_next;
        EXIT WHEN v_fire IS NULL OR v_fire > v_now OR v_batch >= 1000;
      END LOOP;
      UPDATE queue.schedules AS s SET next_fire_at = v_fire, last_fired_at = v_now
      WHERE s.tenant_id = v_s.tenant_id AND s.schedule_id = v_s.schedule_id;
      PERFORM pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
      v_fired := v_fired + v_this;  -- last: counted only when the block commits
    EXCEPTION
      WHEN lock_not_available THEN  -- the rollback restored lock_timeout
        -- busy (a tenant's open enqueue holds the cursor): due still, a later tick fires it
        v_busy_tenant := v_s.tenant_id;
        v_busy_queue := v_s.queue;
      WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        IF pg_catalog.left(v_state, 2) IN ('40', '53', '57', '58', 'XX') THEN
          RAISE;  -- not this schedule's fault: the whole tick fails, as before
        END IF;
        -- the block rolled back; the row is still locked by the tick's scan
        UPDATE queue.schedules AS s
        SET paused = true,
            last_error = pg_catalog.jsonb_build_object(
              'sqlstate', v_state, 'message', v_message, 'detail', NULLIF(v_detail, ''),
              'hint', NULLIF(v_hint, ''), 'fire_at', v_s.next_fire_at, 'at', v_now)
        WHERE s.tenant_id = v_s.tenant_id AND s.schedule_id = v_s.schedule_id;
    END;
  END LOOP;
  RETURN v_fired;
END
$fn$;
ALTER FUNCTION queue.tick_schedules(integer) OWNER TO claw_dispatcher;
