-- The event stream of a tenant: api.read_events pages through events.outbox in delivery
-- order from a position; api.current_event_position gives "now" for a stream that starts
-- live; api.purge_events is the worker's retention. See migrations/0015_create_events.sql
-- for why a position is (transaction, event) and why reading stops at the oldest running
-- transaction: resuming from any position the reader received loses nothing and repeats
-- nothing, whatever commits concurrently.
--
-- Readers wake on LISTEN claw_events (an empty NOTIFY after every transaction that wrote
-- events) and read again; a NOTIFY is only a hint, so they also read on a timer.

-- api.read_events: this tenant's events after p_after (NULL: from the oldest kept), at most
-- p_limit (1..1000), in delivery order. Who: owner, admin, operator, approver, viewer with
-- scope events:read. Raises CL401/CL403, CL422 malformed position or limit, CL409 when
-- retention has deleted events after p_after (the reader must start again from
-- api.current_event_position() and reconcile). An event becomes readable once every
-- transaction that started before it wrote has finished (a long transaction elsewhere delays
-- delivery; the login roles' idle_in_transaction and statement timeouts bound it).
CREATE OR REPLACE FUNCTION api.read_events(p_after text DEFAULT NULL, p_limit integer DEFAULT 100)
RETURNS TABLE (event_id text, event_type text, subject_id text, data jsonb, trace_id text,
               occurred_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $fn$
DECLARE
  v_tenant uuid;
  v_after record;
  v_purged record;
BEGIN
  PERFORM internal.require_size('p_after', p_after, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'reading events');
  PERFORM internal.require_limit(p_limit, 1000);
  v_tenant := internal.current_tenant_id();
  SELECT * INTO v_after FROM events.parse_position(p_after);
  SELECT p.purged_xact_id, p.purged_event_id INTO v_purged
  FROM events.purges AS p WHERE p.tenant_id = v_tenant;
  IF FOUND AND (p_after IS NULL
                OR (v_after.xact_id, v_after.event_id)
                   < (v_purged.purged_xact_id, v_purged.purged_event_id)) THEN
    IF p_after IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'events are gone',
        DETAIL = pg_catalog.format('events after %s were deleted by retention (up to %s)',
                                   p_after, events.format_position(v_purged.purged_xact_id,
                                                                   v_purged.purged_event_id)),
        HINT = 'start again from api.current_event_position() and reload current state';
    END IF;
    SELECT v_purged.purged_xact_id AS xact_id, v_purged.purged_event_id AS event_id
      INTO v_after;
  END IF;
  RETURN QUERY
  SELECT events.format_position(o.xact_id, o.event_id), o.event_type, o.subject_id, o.data,
         o.trace_id, o.occurred_at
  FROM events.outbox AS o
  WHERE o.tenant_id = v_tenant
    AND (v_after.xact_id IS NULL OR (o.xact_id, o.event_id) > (v_after.xact_id, v_after.event_id))
    AND o.xact_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
  ORDER BY o.xact_id, o.event_id
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION api.read_events(text, integer) IS
  'This tenant''s events after a position (the last event_id received; NULL: the oldest '
  'kept), in delivery order; resuming loses nothing and repeats nothing. CL409 when retention '
  'deleted events after the position. Wake on LISTEN claw_events.';
GRANT EXECUTE ON FUNCTION api.read_events(text, integer) TO claw_runtime;

-- api.current_event_position: the position of "now": reading from it returns exactly the
-- events that become readable after this call (every transaction already finished is
-- behind it). Who: as api.read_events.
CREATE OR REPLACE FUNCTION api.current_event_position()
RETURNS text
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'reading events');
  -- Every transaction below xmin has finished; (xmin, 0) is before anything at or above it.
  RETURN events.format_position(pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()), 0);
END
$fn$;
COMMENT ON FUNCTION api.current_event_position() IS
  'The event position of now: api.read_events(p_after => it) returns only events that '
  'become readable later. For a stream that starts live.';
GRANT EXECUTE ON FUNCTION api.current_event_position() TO claw_runtime;

-- api.purge_events: the worker's retention of the outbox (default 7 days). Returns rows
-- deleted. Raises CL422 for a retention under an hour.
CREATE OR REPLACE FUNCTION api.purge_events(p_retention_days integer DEFAULT 7)
RETURNS bigint
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $fn$ SELECT events.purge(pg_catalog.make_interval(days => p_retention_days)) $fn$;
COMMENT ON FUNCTION api.purge_events(integer) IS
  'Worker: delete outbox events older than the retention (days, default 7); readers further '
  'behind get CL409 and start again.';
GRANT EXECUTE ON FUNCTION api.purge_events(integer) TO claw_worker;
