-- Schedules of the authenticated tenant: a cron expression in an IANA time zone that
-- enqueues a job (queue, kind, payload) at each fire instant. The DST rules are in
-- functions/queue/cron.sql; firing is functions/queue/schedules.sql.

-- api.create_schedule: returns the schedule id and its first fire instant (UTC).
-- Who: owner, admin, operator; scope queue:write. Raises CL422 (bad cron, zone, names; a
-- payload over the json limit less 1024 bytes: each fire adds schedule_id, fire_at and
-- missed to it, and the job's payload must stay within the limit), CL409 when the name is
-- taken.
CREATE OR REPLACE FUNCTION api.create_schedule(p_name text, p_cron text, p_time_zone text,
                                               p_queue text, p_kind text,
                                               p_payload jsonb DEFAULT '{}',
                                               p_catch_up boolean DEFAULT false)
RETURNS TABLE (schedule_id uuid, next_fire_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_next timestamptz;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_cron', p_cron, 'name'),
          internal.require_size('p_time_zone', p_time_zone, 'name'),
          internal.require_size('p_queue', p_queue, 'name'),
          internal.require_size('p_kind', p_kind, 'name'),
          internal.require_size('p_payload', p_payload, 'json');
  IF pg_catalog.pg_column_size(p_payload) > internal.input_limit('json') - 1024 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'schedule payload too large',
      DETAIL = pg_catalog.format(
        'p_payload is %s bytes; a schedule''s payload may be at most %s bytes (the json '
        'limit, %s, less 1024 for the schedule_id, fire_at and missed each fire adds)',
        pg_catalog.pg_column_size(p_payload), internal.input_limit('json') - 1024,
        internal.input_limit('json')),
      HINT = 'keep large data elsewhere (an object or a document) and put its id in the payload';
  END IF;
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'creating a schedule');
  PERFORM queue.parse_cron(p_cron);
  PERFORM queue.check_time_zone(p_time_zone);
  v_next := queue.next_fire(p_cron, p_time_zone, internal.now());
  IF v_next IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'cron expression never fires',
      DETAIL = pg_catalog.format('%L has no fire instant in the next five years', p_cron),
      HINT = 'check day-of-month against month (''0 0 30 2 *'' is February 30th)';
  END IF;
  RETURN QUERY
  INSERT INTO queue.schedules AS s (tenant_id, name, cron, time_zone, queue, kind, payload,
                                    catch_up, next_fire_at)
  VALUES (internal.current_tenant_id(), p_name, p_cron, p_time_zone, p_queue, p_kind,
          coalesce(p_payload, '{}'), coalesce(p_catch_up, false), v_next)
  RETURNING s.schedule_id, s.next_fire_at;
EXCEPTION
  WHEN unique_violation THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'schedule name taken',
      DETAIL = pg_catalog.format('this tenant already has a schedule named %L', p_name),
      HINT = 'pick another name or delete the old schedule';
  WHEN check_violation OR not_null_violation THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid schedule',
      DETAIL = SQLERRM,
      HINT = 'name: lower case, digits, _ . -; queue and kind like "default", "report.daily"; '
             'payload a JSON object';
END
$fn$;
COMMENT ON FUNCTION api.create_schedule(text, text, text, text, text, jsonb, boolean) IS
  'Create a schedule: 5-field cron read in an IANA zone (DST-safe), enqueuing queue/kind/payload '
  'at each fire. Returns schedule_id and next_fire_at (UTC).';
GRANT EXECUTE ON FUNCTION api.create_schedule(text, text, text, text, text, jsonb, boolean)
  TO claw_runtime;

-- api.set_schedule_paused: pause or resume; a resumed schedule fires next at its first slot
-- after now (paused slots are not caught up). Only a change recomputes: resuming a schedule
-- that is not paused (or pausing a paused one) leaves it as it is, so a fire that is due but
-- not yet ticked still happens. CL404 unknown schedule. Locks the schedule row.
CREATE OR REPLACE FUNCTION api.set_schedule_paused(p_schedule_id uuid, p_paused boolean)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_next timestamptz;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'pausing a schedule');
  IF p_paused IS NULL THEN  -- it paused the schedule before: neither was asked for
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid pause',
      DETAIL = 'p_paused is NULL', HINT = 'pass true to pause the schedule, false to resume it';
  END IF;
  UPDATE queue.schedules AS s
  SET paused = p_paused,
      next_fire_at = CASE WHEN s.paused AND NOT p_paused
                          THEN queue.next_fire(s.cron, s.time_zone, internal.now())
                          ELSE s.next_fire_at END
  WHERE s.tenant_id = internal.current_tenant_id() AND s.schedule_id = p_schedule_id
  RETURNING s.next_fire_at INTO v_next;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'schedule not found',
      DETAIL = pg_catalog.format('no schedule %s in this tenant', p_schedule_id),
      HINT = 'api.list_schedules() lists them';
  END IF;
  RETURN v_next;
END
$fn$;
COMMENT ON FUNCTION api.set_schedule_paused(uuid, boolean) IS
  'Pause or resume a schedule; returns its next fire instant. CL404 unknown.';
GRANT EXECUTE ON FUNCTION api.set_schedule_paused(uuid, boolean) TO claw_runtime;

-- api.delete_schedule: remove a schedule and its fire records. CL404 unknown.
CREATE OR REPLACE FUNCTION api.delete_schedule(p_schedule_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'deleting a schedule');
  DELETE FROM queue.schedules AS s
  WHERE s.tenant_id = internal.current_tenant_id() AND s.schedule_id = p_schedule_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'schedule not found',
      DETAIL = pg_catalog.format('no schedule %s in this tenant', p_schedule_id),
      HINT = 'api.list_schedules() lists them';
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.delete_schedule(uuid) IS 'Delete a schedule of this tenant. CL404 unknown.';
GRANT EXECUTE ON FUNCTION api.delete_schedule(uuid) TO claw_runtime;

-- api.list_schedules: this tenant's schedules with their next and last fire, and the error
-- of the last fire that failed (the tick paused the schedule then; see
-- functions/queue/schedules.sql): {sqlstate, message, detail, hint, fire_at, at}.
CREATE OR REPLACE FUNCTION api.list_schedules(p_limit integer DEFAULT 100,
                                              p_cursor text DEFAULT NULL)
RETURNS TABLE (schedule_id uuid, name text, cron text, time_zone text, queue text, kind text,
               catch_up boolean, paused boolean, next_fire_at timestamptz,
               last_fired_at timestamptz, last_error jsonb, cursor text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_after jsonb;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'queue:read',
                                'listing schedules');
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_schedules', '{}', p_cursor);
  RETURN QUERY
  SELECT s.schedule_id, s.name, s.cron, s.time_zone, s.queue, s.kind, s.catch_up, s.paused,
         s.next_fire_at, s.last_fired_at, s.last_error,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY s.name) = p_limit
              THEN internal.make_cursor('api.list_schedules', '{}',
                                        pg_catalog.jsonb_build_object('name', s.name)) END
  FROM queue.schedules AS s
  WHERE s.tenant_id = internal.current_tenant_id()
    AND (v_after IS NULL OR s.name > v_after ->> 'name')
  ORDER BY s.name
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION api.list_schedules(integer, text) IS
  'This tenant''s schedules by name, with next and last fire and the error that paused one '
  '(last_error: sqlstate, message, detail, hint, fire_at, at), p_limit (1..1000) at a time; '
  'the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';
GRANT EXECUTE ON FUNCTION api.list_schedules(integer, text) TO claw_runtime;
