-- internal.ensure_tenant_policy: (re)create the one RESTRICTIVE tenant policy of a tenant
-- table, named <table>_tenant_isolation, FOR ALL, with the same USING and WITH CHECK:
--   tenant_id = (select internal.current_tenant_id())
-- Restrictive policies are AND-ed with every permissive (feature) policy, so no feature
-- policy can ever widen access beyond the verified tenant. Called from policies/<schema>.sql
-- on every migrate (idempotent). Raises CL422 when the table is not RLS-enabled and forced
-- or has no tenant_id column. Locks: ACCESS EXCLUSIVE on the table, briefly (policy DDL).
CREATE OR REPLACE FUNCTION internal.ensure_tenant_policy(p_table regclass)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_name text := (SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = p_table)
                 || '_tenant_isolation';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c
                 WHERE c.oid = p_table AND c.relrowsecurity AND c.relforcerowsecurity) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('%s is not a tenant table', p_table),
      DETAIL = 'row level security must be enabled and forced',
      HINT = 'ALTER TABLE ... ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY in its migration';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                 WHERE a.attrelid = p_table AND a.attname = 'tenant_id' AND a.attnotnull) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('%s is not a tenant table', p_table),
      DETAIL = 'it has no tenant_id NOT NULL column', HINT = 'add tenant_id uuid NOT NULL';
  END IF;
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS %I ON %s', v_name, p_table);
  EXECUTE pg_catalog.format(
    'CREATE POLICY %I ON %s AS RESTRICTIVE FOR ALL '
    'USING (tenant_id = (SELECT internal.current_tenant_id())) '
    'WITH CHECK (tenant_id = (SELECT internal.current_tenant_id()))', v_name, p_table);
END
$fn$;
