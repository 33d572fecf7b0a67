-- tenancy.require_principal: raise CL404 unless the principal exists in the current
-- tenant (under RLS, so another tenant's principal is "not found" too). Private.
CREATE OR REPLACE FUNCTION tenancy.require_principal(p_principal_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenancy.principals AS p
                 WHERE p.tenant_id = internal.current_tenant_id()
                   AND p.principal_id = p_principal_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'principal not found',
      DETAIL = pg_catalog.format('no principal %s in this tenant', p_principal_id),
      HINT = 'list principals with api.list_principals(); create one with api.create_principal';
  END IF;
END
$fn$;
