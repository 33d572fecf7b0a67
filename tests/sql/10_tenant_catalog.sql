-- 10: the catalog holds every tenant table to the isolation rules, whatever table a later
-- migration adds: tenant_id NOT NULL leading the primary key, RLS enabled and forced, one
-- restrictive FOR ALL tenant policy with USING and WITH CHECK on the verified tenant, and
-- an index leading with tenant_id behind every policy.
BEGIN;
SELECT plan(13);

CREATE TEMP VIEW tenant_tables AS
  SELECT c.oid AS relid, c.oid::regclass::text AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY (internal.tenant_schemas()) AND c.relkind IN ('r', 'p');

SELECT cmp_ok((SELECT count(*)::int FROM tenant_tables), '>=', 6,
              'the tenant schemas hold tenant tables (tenancy and audit at least)');
SELECT is_empty($$ SELECT name FROM tenant_tables t JOIN pg_class c ON c.oid = t.relid
                   WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity) $$,
                'every tenant table has RLS enabled and forced');
SELECT is_empty($$ SELECT name FROM tenant_tables t
                   WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.relid
                                     AND a.attname = 'tenant_id' AND a.attnotnull) $$,
                'every tenant table has tenant_id NOT NULL');
SELECT is_empty($$ SELECT name FROM tenant_tables t
                   WHERE NOT EXISTS (SELECT 1 FROM pg_index i
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                     WHERE i.indrelid = t.relid AND i.indisprimary AND a.attname = 'tenant_id') $$,
                'every tenant table''s primary key leads with tenant_id');
SELECT is_empty($$
  SELECT name FROM tenant_tables t
  WHERE (SELECT count(*) FROM pg_policy p
         WHERE p.polrelid = t.relid AND NOT p.polpermissive AND p.polcmd = '*'
           AND pg_get_expr(p.polqual, p.polrelid) = '(tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))'
           AND pg_get_expr(p.polwithcheck, p.polrelid) = '(tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))'
        ) <> 1
$$, 'every tenant table has exactly one restrictive FOR ALL tenant policy with USING and WITH CHECK');
SELECT is_empty($$
  SELECT name, p.polname FROM tenant_tables t JOIN pg_policy p ON p.polrelid = t.relid
  WHERE NOT p.polpermissive AND p.polname <> split_part(name, '.', 2) || '_tenant_isolation'
$$, 'no other restrictive policies');
SELECT is_empty($$
  SELECT name FROM tenant_tables t
  WHERE NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.relid AND p.polpermissive)
$$, 'every tenant table has a permissive feature policy (or nothing would be visible)');
SELECT is_empty($$
  SELECT name FROM tenant_tables t
  WHERE NOT EXISTS (SELECT 1 FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = t.relid AND a.attname = 'tenant_id')
$$, 'the policy column tenant_id leads an index on every tenant table');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.oid IN ('internal.current_tenant_id()'::regprocedure, 'internal.has_role(text[])'::regprocedure,
                  'internal.current_principal_id()'::regprocedure, 'internal.verified_context()'::regprocedure)
    AND p.provolatile <> 's'
$$, 'policy helpers are STABLE');
CREATE FUNCTION pg_temp.plan_lines(p_query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || p_query LOOP RETURN NEXT l; END LOOP;
END $$;
-- the wrappers inline into the policies (no SET clause, not SECURITY DEFINER): the plan calls
-- internal.verified_context() itself (functions/internal/tenant_context.sql)
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.oid IN ('internal.current_tenant_id()'::regprocedure, 'internal.has_role(text[])'::regprocedure,
                  'internal.current_principal_id()'::regprocedure, 'internal.claims_role(text[])'::regprocedure)
    AND (p.proconfig IS NOT NULL OR p.prosecdef
         OR p.prolang <> (SELECT l.oid FROM pg_language l WHERE l.lanname = 'sql'))
$$, 'the policy wrappers are plain SQL functions the planner can inline');
SELECT ok((SELECT string_agg(l, E'\n') FROM pg_temp.plan_lines(
             'SELECT 1 FROM queue.jobs WHERE tenant_id = (SELECT internal.current_tenant_id()) '
             'AND (SELECT internal.has_role(''{owner}'')) AND (SELECT internal.claims_role(''{owner}''))') AS l)
             !~ '(current_tenant_id|has_role|claims_role)\(',
          'a policy''s InitPlan calls internal.verified_context() directly: the wrappers are inlined');

-- internal.claims_role (unverified roles) only where the tenant policy verifies beside it
SELECT is_empty($$
  SELECT p.polrelid::regclass::text || ' ' || p.polname FROM pg_policy p
  WHERE (coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''))
        LIKE '%claims_role%'
    AND (NOT p.polpermissive OR NOT EXISTS (
      SELECT 1 FROM pg_policy r WHERE r.polrelid = p.polrelid AND NOT r.polpermissive
        AND r.polcmd = '*' AND r.polname = (SELECT c.relname FROM pg_class c WHERE c.oid = p.polrelid) || '_tenant_isolation'
        AND pg_get_expr(r.polqual, r.polrelid) LIKE '%current_tenant_id()%'
        AND pg_get_expr(r.polwithcheck, r.polrelid) LIKE '%current_tenant_id()%'))
$$, 'claims_role appears only in permissive policies of tables with the verified tenant policy');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.prosrc LIKE '%claims_role%' AND p.oid <> 'internal.claims_role(text[])'::regprocedure
  UNION ALL
  SELECT c.oid::regclass::text FROM pg_class c
  WHERE c.relkind IN ('v', 'm') AND pg_get_viewdef(c.oid) LIKE '%claims_role%'
$$, 'no function or view decides anything with the unverified claims_role');

SELECT * FROM finish();
ROLLBACK;
