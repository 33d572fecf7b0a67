-- api.list_error_codes: the CL error registry, for clients and psql users.
--
-- Returns: every Claw SQLSTATE with its name, HTTP status and meaning, ordered by code.
-- Raises: nothing. Locks: none. Idempotent, read-only. SECURITY DEFINER so callers need no
-- access to internal.error_codes; search_path pinned and every name qualified.
CREATE OR REPLACE FUNCTION api.list_error_codes()
RETURNS TABLE (sqlstate text, name text, http_status integer, meaning text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT e.sqlstate, e.name, e.http_status, e.meaning
  FROM internal.error_codes AS e
  ORDER BY e.sqlstate
$fn$;

COMMENT ON FUNCTION api.list_error_codes() IS
  'The CL error registry: sqlstate, name, HTTP status and meaning of every Claw error.';
GRANT EXECUTE ON FUNCTION api.list_error_codes() TO claw_runtime, claw_worker, claw_admin, claw_auditor;
