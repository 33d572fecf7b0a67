-- 01: roles and privileges. The runtime and worker roles are bound by RLS and can reach
-- nothing but the api functions granted to them; every object belongs to claw_owner.
BEGIN;
SELECT plan(23);

-- roles and their attributes
SELECT has_role(r, format('role %s exists', r))
FROM unnest(ARRAY['claw_owner','claw_runtime','claw_worker','claw_admin','claw_auditor']) AS r;
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'claw_owner'), false,
          'claw_owner cannot log in');
SELECT is_empty($$
  SELECT rolname FROM pg_roles
  WHERE rolname IN ('claw_runtime','claw_worker','claw_admin','claw_auditor')
    AND (rolsuper OR (rolbypassrls AND rolname <> 'claw_auditor') OR rolcreaterole
         OR rolcreatedb OR NOT rolcanlogin)
$$, 'login roles: LOGIN, NOSUPERUSER, NOBYPASSRLS (but the read-only auditor), NOCREATEROLE, NOCREATEDB');
SELECT is_empty('SELECT * FROM internal.role_safety_problems()',
                'internal.role_safety_problems() finds nothing on a fresh install');

-- ownership: everything Claw created belongs to claw_owner
SELECT is_empty($$
  SELECT c.oid::regclass::text, c.relowner::regrole::text FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN ('api','internal','claw_migrations') AND c.relowner <> 'claw_owner'::regrole
  UNION ALL
  SELECT p.oid::regprocedure::text, p.proowner::regrole::text FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname IN ('api','internal') AND p.proowner <> 'claw_owner'::regrole
$$, 'every relation and function in api, internal, claw_migrations is owned by claw_owner');

-- the runtime and worker roles hold no privilege on any relation
SELECT is_empty(format($$
  SELECT c.oid::regclass::text, p FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p
  WHERE n.nspname NOT IN ('information_schema','tap') AND n.nspname !~ '^pg_'
    AND c.relkind IN ('r','p','v','m','f','S')
    AND has_table_privilege(%L, c.oid, CASE WHEN c.relkind = 'S' THEN 'SELECT' ELSE p END)
$$, r), format('%s holds no privilege on any relation', r))
FROM unnest(ARRAY['claw_runtime','claw_worker']) AS r;

-- no role of ours holds TRUNCATE or REFERENCES anywhere
SELECT is_empty($$
  SELECT c.oid::regclass::text, r FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN unnest(ARRAY['claw_runtime','claw_worker','claw_admin','claw_auditor']) AS r
  WHERE n.nspname NOT IN ('information_schema','tap') AND n.nspname !~ '^pg_'
    AND c.relkind IN ('r','p')
    AND (has_table_privilege(r, c.oid, 'TRUNCATE') OR has_table_privilege(r, c.oid, 'REFERENCES'))
$$, 'no login role holds TRUNCATE or REFERENCES on any table');

-- schemas: the runtime role may use api (and PostgreSQL's public, which holds nothing)
SELECT is(
  (SELECT array_agg(nspname ORDER BY nspname) FROM pg_namespace
   WHERE has_schema_privilege('claw_runtime', oid, 'USAGE')
     AND nspname NOT IN ('pg_catalog','information_schema','tap') AND nspname NOT LIKE 'pg_%'),
  ARRAY['api','public']::name[], 'claw_runtime may use only the api (and empty public) schemas');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
$$, 'nothing lives in public');

-- functions: the runtime role can execute api functions only
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog','information_schema','tap','api')
    AND has_schema_privilege('claw_runtime', n.oid, 'USAGE')
    AND has_function_privilege('claw_runtime', p.oid, 'EXECUTE')
$$, 'claw_runtime can execute no function outside api');
SELECT is(
  (SELECT defaclacl::text FROM pg_default_acl
   WHERE defaclrole = 'claw_owner'::regrole AND defaclobjtype = 'f' AND defaclnamespace = 0),
  '{claw_owner=X/claw_owner}',
  'default privileges: functions claw_owner creates are not executable by PUBLIC');

-- api conventions: documented, no overloads
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.pronamespace = 'api'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
$$, 'every api function has a COMMENT');
SELECT is_empty($$
  SELECT proname FROM pg_proc WHERE pronamespace = 'api'::regnamespace
  GROUP BY proname HAVING count(*) > 1
$$, 'no overloaded api functions');

-- SECURITY DEFINER and views
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog','information_schema','tap')
    AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) AS cfg WHERE cfg LIKE 'search_path=%')
$$, 'every SECURITY DEFINER function pins search_path');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog','information_schema','tap')
    AND NOT coalesce('security_invoker=true' = ANY (c.reloptions)
                     OR 'security_invoker=on' = ANY (c.reloptions), false)
$$, 'every view is security_invoker');

-- admin.require_reason: every operator read checks it first, before anything it could reveal
SELECT throws_ok($$SELECT admin.require_reason('admin.list_members', ' ab ')$$, 'CL422',
                 'a reason is required', 'a reason shorter than 3 characters is refused');
SELECT lives_ok($$SELECT admin.require_reason('admin.list_members', 'ticket 123')$$, 'a reason passes');
SELECT throws_ok($$SELECT * FROM admin.list_members(gen_random_uuid(), NULL)$$, 'CL422',
                 'a reason is required', 'an unknown tenant without a reason: the reason first, not CL404');

SELECT * FROM finish();
ROLLBACK;
