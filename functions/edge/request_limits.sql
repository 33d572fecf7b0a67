-- Request rate limits (see migrations/0018_create_edge.sql): GCRA, the token bucket written
-- as one timestamp per bucket. With T = 60 s / per_minute and tau = T x burst, a request of
-- cost c at time now is allowed when max(tat, now) + c T - now <= tau, and then
-- tat := max(tat, now) + c T. Two buckets decide each request: the credential's (its API
-- key, or a JWT's principal) and the tenant's; both must allow it, and only then are both
-- charged.

-- edge.default_request_limits: the limits of a tenant without an edge.request_limits row.
CREATE OR REPLACE FUNCTION edge.default_request_limits(
  OUT tenant_per_minute integer, OUT tenant_burst integer,
  OUT credential_per_minute integer, OUT credential_burst integer)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT 12000, 2000, 6000, 1000 $fn$;

-- edge.set_request_limits: an operator sets a tenant's request limits (psql as claw_owner;
-- NULL arguments keep the current or default value). Audited in the tenant's chain (the
-- table's tracking trigger). Raises CL404 unknown tenant, CL422 a value outside 1..10^7.
CREATE OR REPLACE FUNCTION edge.set_request_limits(p_tenant_id uuid,
                                                   p_tenant_per_minute integer DEFAULT NULL,
                                                   p_tenant_burst integer DEFAULT NULL,
                                                   p_credential_per_minute integer DEFAULT NULL,
                                                   p_credential_burst integer DEFAULT NULL)
RETURNS edge.request_limits
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_row edge.request_limits;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.tenant_id = p_tenant_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'unknown tenant',
      DETAIL = pg_catalog.format('no tenant %s', p_tenant_id), HINT = 'admin.list_tenants()';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY[p_tenant_per_minute, p_tenant_burst,
                                                   p_credential_per_minute, p_credential_burst]) AS v
             WHERE v IS NOT NULL AND v NOT BETWEEN 1 AND 10000000) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid request limit',
      DETAIL = 'limits per minute and bursts are 1 to 10,000,000',
      HINT = 'NULL keeps the current value';
  END IF;
  PERFORM internal.set_context(p_tenant_id, NULL, '{system}');
  INSERT INTO edge.request_limits AS l (tenant_id, tenant_per_minute, tenant_burst,
                                        credential_per_minute, credential_burst, updated_at)
  SELECT p_tenant_id, coalesce(p_tenant_per_minute, d.tenant_per_minute),
         coalesce(p_tenant_burst, d.tenant_burst),
         coalesce(p_credential_per_minute, d.credential_per_minute),
         coalesce(p_credential_burst, d.credential_burst), internal.now()
  FROM edge.default_request_limits() AS d
  ON CONFLICT (tenant_id, request_limit_id) DO UPDATE
    SET tenant_per_minute = coalesce(p_tenant_per_minute, l.tenant_per_minute),
        tenant_burst = coalesce(p_tenant_burst, l.tenant_burst),
        credential_per_minute = coalesce(p_credential_per_minute, l.credential_per_minute),
        credential_burst = coalesce(p_credential_burst, l.credential_burst),
        updated_at = excluded.updated_at
  RETURNING * INTO v_row;
  PERFORM internal.clear_context();
  RETURN v_row;
END
$fn$;
COMMENT ON FUNCTION edge.set_request_limits(uuid, integer, integer, integer, integer) IS
  'Operator (psql as claw_owner): set a tenant''s HTTP request limits per minute and bursts, '
  'for the tenant and for each credential; NULL keeps a value. Audited.';

-- The limits are governed: every change is in the tenant's ledger.
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON edge.request_limits
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tenant_id', 'updated_at');
