-- api.role_safety_problems: internal.role_safety_problems() for the login roles themselves,
-- so a long-running process that holds only its own credential (the HTTP edge's readiness
-- probe, /readyz) can ask whether the runtime and worker roles are still bound by RLS
-- without an administrator's connection.
--
-- Returns: one row per problem (role name, problem); no rows when safe. Raises: nothing.
-- Locks: none. Read-only. SECURITY DEFINER (runs as claw_owner, which may read the
-- catalogs the check needs); search_path pinned.
CREATE OR REPLACE FUNCTION api.role_safety_problems()
RETURNS TABLE (role_name text, problem text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT p.role_name, p.problem FROM internal.role_safety_problems() AS p
$fn$;

COMMENT ON FUNCTION api.role_safety_problems() IS
  'Why the runtime or worker role could escape Row-Level Security (superuser, BYPASSRLS, '
  'CREATEROLE, owner membership, owned objects); no rows means safe. For readiness probes.';
GRANT EXECUTE ON FUNCTION api.role_safety_problems() TO claw_runtime, claw_worker;
