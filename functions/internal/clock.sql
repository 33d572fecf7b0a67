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

-- internal.clock_now: this moment (clock_timestamp(), not the transaction's start) with the
-- same offset as internal.now(): for an instant taken after a lock wait, which may have
-- lasted long after the transaction began (llm.set_price, api.set_llm_budget).
CREATE OR REPLACE FUNCTION internal.clock_now()
RETURNS timestamptz
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT internal.now() + (pg_catalog.clock_timestamp() - pg_catalog.now()) $fn$;
