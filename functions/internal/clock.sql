-- internal.now: "now" for leases, expiries, backoff and schedules. It is the transaction's
-- now() plus the offset in internal.clock, which only the owner (or a superuser) can change:
-- tests move the clock with UPDATE internal.clock SET offset_by = interval '5 minutes'.
-- A setting (SET claw.now = ...) would let any session forge time and outlive its leases;
-- a table it cannot write cannot be forged. STABLE: one value per statement.
CREATE OR REPLACE FUNCTION internal.now()
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.now() + coalesce(
    (SELECT c.offset_by FROM internal.clock AS c WHERE c.clock_id = 1), interval '0')
$fn$;
GRANT EXECUTE ON FUNCTION internal.now() TO claw_dispatcher;
