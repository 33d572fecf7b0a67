-- Bootstrap 00: the roles Claw runs with (cluster-wide, created once, never loosened here).
--
--   claw_owner    NOLOGIN  owns every object; migrations run as it (SET ROLE)
--   claw_runtime  LOGIN    applications: EXECUTE on api functions only; owns nothing
--   claw_worker   LOGIN    `claw worker`: claims work across tenants, acts inside one
--   claw_admin    LOGIN    operators in psql: read-only views, audited
--   claw_auditor  LOGIN    reads and verifies the audit ledger (BYPASSRLS, read-only)
--
-- Roles are created with safe attributes if missing and never altered afterwards: if
-- someone later grants claw_runtime SUPERUSER or BYPASSRLS, `claw` refuses to start
-- (internal.role_safety_problems) instead of silently repairing and hiding it.
-- Passwords are not set here: the CLI sets generated ones on the embedded cluster; on an
-- external server the operator sets them (README).
DO $bootstrap$
DECLARE
  v_role record;
BEGIN
  FOR v_role IN
    SELECT * FROM (VALUES
      ('claw_owner',   'NOLOGIN'),
      ('claw_runtime', 'LOGIN'),
      ('claw_worker',  'LOGIN'),
      ('claw_admin',   'LOGIN'),
      ('claw_auditor', 'LOGIN')
    ) AS r(name, login)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role.name) THEN
      EXECUTE format(
        'CREATE ROLE %I %s NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION',
        v_role.name, v_role.login);
    END IF;
  END LOOP;
END
$bootstrap$;

-- The owners of narrow cross-tenant functions: NOLOGIN, BYPASSRLS, members of claw_owner
-- (which creates their functions and hands them over), grants limited to what they read.
--   claw_operator_reader  owns only the admin.* functions: the operator's cross-tenant reads.
--                         claw_admin can call them, never read tables itself, and every call
--                         appends an 'operator.read' event to each tenant chain it read
--                         (functions/admin/).
--   claw_dispatcher       owns only the cross-tenant queue functions that claw_worker calls
--                         (claim, heartbeat, complete, fail, act_as_job, tick): they must see
--                         jobs of every tenant. Grants: the queue tables (policies/queue.sql).
--   claw_authenticator    owns only tenancy.api_key_credential, the lookup of the one API key
--                         row (with its principal's state and roles) a presented key names,
--                         for api.authenticate. Grants: those columns (policies/tenancy.sql).
--                         Under RLS the lookup needed a system context of its own first: a
--                         second signed context and six policy checks, half the cost.
--   claw_authz_reader     owns only authz.evaluate_in_tenant and authz.decide_in_tenant,
--                         the evaluation of one permission question inside the tenant
--                         authz.check or api.is_permitted names (every query of the evaluator
--                         filters by that tenant). Grants: SELECT on authz.tuples and
--                         authz.models (policies/authz.sql). Under RLS each of the dozen
--                         queries of a check verified the context's MAC again: a third of
--                         the check's time.
DO $bootstrap$
DECLARE
  v_name text;
BEGIN
  FOREACH v_name IN ARRAY ARRAY['claw_operator_reader', 'claw_dispatcher', 'claw_authenticator',
                             'claw_authz_reader']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_name) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE',
                     v_name);
    END IF;
  END LOOP;
END
$bootstrap$;
GRANT claw_operator_reader, claw_dispatcher, claw_authenticator, claw_authz_reader TO claw_owner;

-- The auditor verifies every tenant's chain: it bypasses RLS, and its only grants are
-- SELECT on the ledger and EXECUTE on the verification functions (policies/audit.sql,
-- functions/audit/verify.sql).
ALTER ROLE claw_auditor BYPASSRLS;

-- The connecting administrator runs migrations as claw_owner, so it must be able to
-- SET ROLE to it (a no-op for a superuser).
GRANT claw_owner TO CURRENT_USER;

-- claw_owner creates domain schemas in migrations.
DO $bootstrap$
BEGIN
  EXECUTE format('GRANT CREATE, CONNECT ON DATABASE %I TO claw_owner', current_database());
END
$bootstrap$;
