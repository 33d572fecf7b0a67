-- CET, EET, MET and WET are IANA zones with summer time (since tzdata 2024b, links to
-- Europe/Brussels, Europe/Athens, Europe/Brussels and Europe/Lisbon), but AT TIME ZONE reads
-- them as PostgreSQL's fixed-offset abbreviations, so a schedule or a budget window in one
-- of them ran an hour off all summer. queue.check_time_zone refuses them now; rows stored
-- before get the zone they named, and a schedule's next fire is computed again in it, from
-- its last fire (or its creation), so a slot that is due stays due. Each tenant's rows are
-- changed in its own context: the audit ledger (llm.settings) and the event outbox
-- (schedules) write under its RLS. The loop's statements are planned only when a row needs
-- them (internal.set_context and queue.next_fire come with the routines, after the
-- migrations of a new database).
DO $migrate$
DECLARE
  v_tenant uuid;
  v_zones CONSTANT text[] := '{CET,EET,MET,WET}';
BEGIN
  FOR v_tenant IN
    SELECT s.tenant_id FROM queue.schedules AS s WHERE s.time_zone = ANY (v_zones)
    UNION
    SELECT s.tenant_id FROM llm.settings AS s WHERE s.time_zone = ANY (v_zones)
  LOOP
    PERFORM internal.set_context(v_tenant, NULL, '{owner}');
    UPDATE queue.schedules AS s
    SET time_zone = z.name,
        next_fire_at = CASE WHEN s.next_fire_at IS NULL THEN NULL
                            ELSE queue.next_fire(s.cron, z.name,
                                                 coalesce(s.last_fired_at, s.created_at)) END
    FROM (VALUES ('CET', 'Europe/Brussels'), ('EET', 'Europe/Athens'),
                 ('MET', 'Europe/Brussels'), ('WET', 'Europe/Lisbon')) AS z (abbrev, name)
    WHERE s.tenant_id = v_tenant AND s.time_zone = z.abbrev;
    UPDATE llm.settings AS s
    SET time_zone = z.name
    FROM (VALUES ('CET', 'Europe/Brussels'), ('EET', 'Europe/Athens'),
                 ('MET', 'Europe/Brussels'), ('WET', 'Europe/Lisbon')) AS z (abbrev, name)
    WHERE s.tenant_id = v_tenant AND s.time_zone = z.abbrev;
    PERFORM internal.clear_context();
  END LOOP;
END
$migrate$;
