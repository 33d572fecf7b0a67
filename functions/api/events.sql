-- The event stream of a tenant: api.read_events pages through events.outbox in delivery
-- order from a position; api.current_event_position gives "now" for a stream that starts
-- live; api.purge_events is the worker's retention. See migrations/0015_create_events.sql
-- for why a position is (transaction, event) and why reading stops at the oldest running
-- transaction: resuming from any position the reader received loses nothing and repeats
-- nothing, whatever commits concurrently.
--
-- Readers wake on LISTEN claw_events (an empty NOTIFY after every transaction that wrote
-- events of a watched tenant) and read again; a process with many streams first asks
-- api.events_waiting which of them have something to read. A NOTIFY is only a hint, so
-- readers also read on a timer.

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
SET search_path = pg_catalog, pg_temp
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
  -- From NULL a reader gets everything still kept (retention deletes by age, so an event
  -- below the purge mark may survive it); resuming from below the mark is refused.
  IF FOUND AND p_after IS NOT NULL
     AND (v_after.xact_id, v_after.event_id)
         < (v_purged.purged_xact_id, v_purged.purged_event_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'events are gone',
      DETAIL = pg_catalog.format('events after %s were deleted by retention (up to %s)',
                                 p_after, events.format_position(v_purged.purged_xact_id,
                                                                 v_purged.purged_event_id)),
      HINT = 'start again from api.current_event_position() and reload current state';
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
SET search_path = pg_catalog, pg_temp
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
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT events.purge(pg_catalog.make_interval(days => p_retention_days)) $fn$;
COMMENT ON FUNCTION api.purge_events(integer) IS
  'Worker: delete outbox events older than the retention (days, default 7); readers further '
  'behind get CL409 and start again.';
GRANT EXECUTE ON FUNCTION api.purge_events(integer) TO claw_worker;

-- api.watch_events: register (or refresh) an open event stream of this tenant, so that
-- transactions writing its events send NOTIFY claw_events. A stream calls it when it opens
-- (p_watcher_id NULL: a new id is returned) and again at least every 60 seconds; the
-- registration expires 90 seconds after the last call. Who: as api.read_events.
CREATE OR REPLACE FUNCTION api.watch_events(p_watcher_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid := coalesce(p_watcher_id, pg_catalog.gen_random_uuid());
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'watching events');
  INSERT INTO events.watchers AS w (tenant_id, watcher_id, expires_at)
  VALUES (internal.current_tenant_id(), v_id, pg_catalog.now() + interval '90 seconds')
  ON CONFLICT (tenant_id, watcher_id) DO UPDATE SET expires_at = excluded.expires_at;
  DELETE FROM events.watchers AS w
  WHERE w.tenant_id = internal.current_tenant_id() AND w.expires_at < pg_catalog.now();
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION api.watch_events(uuid) IS
  'Register or refresh an open event stream of this tenant (returns its id; call again '
  'within 60 s, it expires after 90 s): writes of this tenant''s events then NOTIFY '
  'claw_events. api.unwatch_events ends it.';
GRANT EXECUTE ON FUNCTION api.watch_events(uuid) TO claw_runtime;

-- api.unwatch_events: end a stream's registration (idempotent).
CREATE OR REPLACE FUNCTION api.unwatch_events(p_watcher_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'watching events');
  DELETE FROM events.watchers AS w
  WHERE w.tenant_id = internal.current_tenant_id() AND w.watcher_id = p_watcher_id;
END
$fn$;
COMMENT ON FUNCTION api.unwatch_events(uuid) IS
  'End an event stream''s registration (api.watch_events); idempotent.';
GRANT EXECUTE ON FUNCTION api.unwatch_events(uuid) TO claw_runtime;

-- api.events_waiting: which of these streams should read now (see
-- events.watchers_with_events). No tenant context: a stream is named by the watcher id its
-- process registered with api.watch_events, with the position it has read up to (NULL: from
-- the oldest kept). Returns the watcher ids with an event waiting. Raises CL422 for arrays of
-- different lengths, more than 2000 streams (ask in chunks), or a malformed position.
CREATE OR REPLACE FUNCTION api.events_waiting(p_watcher_ids uuid[], p_positions text[])
RETURNS SETOF uuid
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- the json limit (256 KiB), not text's 64 KiB: 2000 positions of up to 40 characters
  -- (20 digits, '-', 19 digits) take about 88 KB
  PERFORM internal.require_size('p_positions', p_positions, 'json');
  IF p_watcher_ids IS NULL OR p_positions IS NULL
     OR pg_catalog.cardinality(p_watcher_ids) <> pg_catalog.cardinality(p_positions)
     OR pg_catalog.cardinality(p_watcher_ids) > 2000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid streams',
      DETAIL = 'p_watcher_ids and p_positions are arrays of the same length, at most 2000',
      HINT = 'one position (or NULL) per watcher id, in the same order';
  END IF;
  PERFORM events.parse_position(x) FROM pg_catalog.unnest(p_positions) AS x;  -- CL422 if bad
  RETURN QUERY SELECT * FROM events.watchers_with_events(p_watcher_ids, p_positions);
END
$fn$;
COMMENT ON FUNCTION api.events_waiting(uuid[], text[]) IS
  'Of these registered streams (api.watch_events ids) and their positions, the ones with an '
  'event to read now; one question per NOTIFY for all of a process''s streams.';
GRANT EXECUTE ON FUNCTION api.events_waiting(uuid[], text[]) TO claw_runtime;
