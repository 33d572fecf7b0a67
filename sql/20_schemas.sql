-- Bootstrap 20: the schemas every domain builds on, owned by claw_owner, and the default
-- privileges that keep new objects closed until a GRANT beside them opens them.
--
--   claw_migrations  yoyo's bookkeeping tables
--   internal         private helpers and SECURITY DEFINER internals; no grants to login roles
--   api              the only schema applications call
--
-- Domain schemas (tenancy, audit, queue, ...) are created by their own migrations.
CREATE SCHEMA IF NOT EXISTS claw_migrations AUTHORIZATION claw_owner;
CREATE SCHEMA IF NOT EXISTS internal AUTHORIZATION claw_owner;
CREATE SCHEMA IF NOT EXISTS api AUTHORIZATION claw_owner;

-- Nobody but the owner creates anything in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Functions are not executable by PUBLIC unless granted, in every schema claw_owner
-- creates objects in (the PostgreSQL default is EXECUTE for PUBLIC).
ALTER DEFAULT PRIVILEGES FOR ROLE claw_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Login roles see the api schema; what they may call is granted function by function.
GRANT USAGE ON SCHEMA api TO claw_runtime, claw_worker, claw_admin, claw_auditor;
