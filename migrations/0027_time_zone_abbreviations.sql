-- CET, EET, MET and WET are IANA zones with summer time (since tzdata 2024b, links to
-- Europe/Brussels, Europe/Athens, Europe/Brussels and Europe/Lisbon), but AT TIME ZONE reads
-- them as PostgreSQL's fixed-offset abbreviations, so a schedule or a budget window in one
-- of them ran an hour off all summer. queue.check_time_zone refuses them now; rows stored
-- before get the zone they named. A schedule's next fire keeps its local wall-clock slot:
-- the stored instant read in the abbreviation it was computed in, then placed in the new
-- zone (06:00 +01:00 becomes 06:00 Europe/Brussels, 04:00 UTC in summer), so a slot that is
-- due stays due and a resumed schedule does not fire its paused slots.
-- Migrations run as claw_owner, which forced RLS holds to a tenant context: the two tables
-- stop forcing it for this transaction (ALTER TABLE's lock keeps every other session out
-- until the commit, which forces it again), so the owner finds every tenant's rows. Each
-- tenant's rows are then changed in its own context: the audit ledger (llm.settings) and
-- the event outbox (schedules) write under RLS. The loop's statements are planned only
-- when a row needs them (internal.set_context and queue.local_to_utc come with the
-- routines, after the migrations of a new database).
DO $migrate$
DECLARE
  v_tenant uuid;
  v_zones CONSTANT text[] := '{CET,EET,MET,WET}';
BEGIN
  ALTER TABLE queue.schedules NO FORCE ROW LEVEL SECURITY;
  ALTER TABLE llm.settings NO FORCE ROW LEVEL SECURITY;
  FOR v_tenant IN
    SELECT s.tenant_id FROM queue.schedules AS s WHERE s.time_zone = ANY (v_zones)
    UNION
    SELECT s.tenant_id FROM llm.settings AS s WHERE s.time_zone = ANY (v_zones)
  LOOP
    PERFORM internal.set_context(v_tenant, NULL, '{owner}');
    UPDATE queue.schedules AS s
    SET time_zone = z.name,
        next_fire_at = queue.local_to_utc(s.next_fire_at AT TIME ZONE s.time_zone, z.name)
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
  IF EXISTS (SELECT 1 FROM queue.schedules AS s WHERE s.time_zone = ANY (v_zones))
     OR EXISTS (SELECT 1 FROM llm.settings AS s WHERE s.time_zone = ANY (v_zones)) THEN
    RAISE EXCEPTION 'migration 0027: rows still name an abbreviated time zone';
  END IF;
  ALTER TABLE queue.schedules FORCE ROW LEVEL SECURITY;
  ALTER TABLE llm.settings FORCE ROW LEVEL SECURITY;
END
$migrate$;
