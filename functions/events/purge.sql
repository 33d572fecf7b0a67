-- events.purge: delete outbox rows older than the retention, across tenants, remembering per
-- tenant the highest position deleted (events.purges) so api.read_events can tell a reader
-- that resumes from before it that events are gone (CL409) rather than skip them silently.
-- Returns the number of rows deleted. Owned by claw_dispatcher (BYPASSRLS: every tenant).
-- Locks: the deleted rows; the tenant's purges row.
CREATE OR REPLACE FUNCTION events.purge(p_retention interval)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_n bigint;
BEGIN
  IF p_retention IS NULL OR p_retention < interval '1 hour'
     OR p_retention > interval '100 years' THEN  -- beyond that now() - it leaves the calendar
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid event retention',
      DETAIL = pg_catalog.format('the retention must be 1 hour to 100 years, not %s',
                                 coalesce(p_retention::text, 'NULL')),
      HINT = 'readers that fall further behind than the retention lose events';
  END IF;
  WITH gone AS (
    DELETE FROM events.outbox AS o
    WHERE o.occurred_at < internal.now() - p_retention
    RETURNING o.tenant_id, o.xact_id, o.event_id
  ), last AS (
    SELECT DISTINCT ON (g.tenant_id) g.tenant_id, g.xact_id, g.event_id, pg_catalog.count(*)
                                       OVER (PARTITION BY g.tenant_id) AS n
    FROM gone AS g
    ORDER BY g.tenant_id, g.xact_id DESC, g.event_id DESC
  ), saved AS (
    INSERT INTO events.purges AS p (tenant_id, purged_xact_id, purged_event_id, purged_at)
    SELECT l.tenant_id, l.xact_id, l.event_id, internal.now() FROM last AS l
    ON CONFLICT (tenant_id, purge_id) DO UPDATE
      SET purged_xact_id = greatest(p.purged_xact_id, excluded.purged_xact_id),
          purged_event_id = CASE WHEN (excluded.purged_xact_id, excluded.purged_event_id)
                                      > (p.purged_xact_id, p.purged_event_id)
                                 THEN excluded.purged_event_id ELSE p.purged_event_id END,
          purged_at = excluded.purged_at
    RETURNING 1
  )
  SELECT coalesce(sum(l.n), 0) INTO v_n FROM last AS l;
  RETURN v_n;
END
$fn$;
ALTER FUNCTION events.purge(interval) OWNER TO claw_dispatcher;
