-- api.get_schema_version: which migrations this database has, for health checks and
-- for clients that must refuse to talk to an older schema.
--
-- Returns: one row: the id of the newest applied migration, how many are applied, and when
-- the newest was applied (UTC). Raises: nothing. Locks: none. Read-only.
-- SECURITY DEFINER over yoyo's bookkeeping table; search_path pinned.
CREATE OR REPLACE FUNCTION api.get_schema_version()
RETURNS TABLE (migration_id text, applied_migrations integer, applied_at timestamptz)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT (SELECT m.migration_id FROM claw_migrations._yoyo_migration AS m
          ORDER BY m.migration_id DESC LIMIT 1),
         (SELECT count(*)::integer FROM claw_migrations._yoyo_migration),
         (SELECT max(m.applied_at_utc) AT TIME ZONE 'UTC' FROM claw_migrations._yoyo_migration AS m)
$fn$;

COMMENT ON FUNCTION api.get_schema_version() IS
  'The newest applied migration id, the number of applied migrations and when the newest was applied.';
GRANT EXECUTE ON FUNCTION api.get_schema_version() TO claw_runtime, claw_worker, claw_admin, claw_auditor;
