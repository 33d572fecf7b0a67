-- ontology.require_own_tenant: a row the validation triggers are about to check belongs to
-- the verified tenant of this transaction; otherwise 42501, as the tenant policy would say
-- (the triggers run before the policy's WITH CHECK, and would otherwise fail with their own
-- error, or, for a superuser without a context, validate against another tenant's types).
CREATE OR REPLACE FUNCTION ontology.require_own_tenant(p_tenant_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_tenant_id IS DISTINCT FROM internal.current_tenant_id() THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'not the verified tenant',
      DETAIL = pg_catalog.format('a row of tenant %s is written outside its tenant context',
                                 p_tenant_id),
      HINT = 'write through the api after api.authenticate (or api.act_as_job)';
  END IF;
END
$fn$;
