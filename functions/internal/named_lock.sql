-- internal.lock_named: a transaction-level advisory lock named by a text key (hashed with
-- hashtextextended, seed 0), exclusive or shared, released at commit or rollback, waited
-- for: ontology.lock_type (an object type), llm.lock_zone (a tenant's LLM time zone). The
-- waiting workers' locks are tried, never waited for, and one is held for a session, which
-- this cannot express: they are in functions/queue/waiting.sql. Only claw_owner may call
-- the advisory lock functions (sql/30_hardening.sql), so callers are its definer functions.
CREATE OR REPLACE FUNCTION internal.lock_named(p_name text, p_exclusive boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_key bigint := pg_catalog.hashtextextended(p_name, 0);
BEGIN
  IF p_exclusive THEN
    PERFORM pg_catalog.pg_advisory_xact_lock(v_key);
  ELSE
    PERFORM pg_catalog.pg_advisory_xact_lock_shared(v_key);
  END IF;
END
$fn$;
