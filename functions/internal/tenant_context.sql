-- The tenant context: which tenant, principal and roles the current transaction acts as.
--
-- Design. The context lives in two transaction-local settings (set_config(..., true), so it
-- is gone at COMMIT/ROLLBACK and safe behind PgBouncer in transaction mode):
--   claw.ctx      'tenant_id|principal_id|role,role|scope,scope|xid|credential'
--   claw.ctx_mac  hex(sha256(k || sha256(k || claw.ctx)))   k = internal.context_keys.secret
-- Only SECURITY DEFINER functions owned by claw_owner can read k, so only they can produce a
-- valid MAC: internal.set_context is called by api functions after they verified a
-- credential (api.authenticate: an API key). The MAC binds the context to the transaction id,
-- so a value seen in one transaction is worthless in any other. A role that writes the raw
-- settings itself (SET claw.ctx = ...) gets no tenant: internal.current_tenant_id() returns
-- NULL, every policy compares tenant_id with NULL, and the session sees no rows and can
-- write none (fail closed).
--
-- Policies call the helpers as (select internal.current_tenant_id()) so the planner runs them
-- once per query (an InitPlan), not per row.
--
-- current_tenant_id, current_principal_id, has_role and claims_role are one-expression SQL
-- functions with no SET clause and no SECURITY DEFINER, so the planner inlines them: a
-- policy's InitPlan calls internal.verified_context() directly instead of going through a SQL
-- function call that saves and restores the configuration (about 8 us each; an enqueue
-- evaluates a dozen).
-- They name everything qualified, operators too (OPERATOR(pg_catalog.&&)), so the caller's
-- search_path (pinned by every api function; an operator role's own in psql) changes nothing.

-- internal.set_context: establish the verified context for the rest of this transaction.
-- Callers: api functions that verified a credential, and internal provisioning; always as a
-- statement of its own, never inside a query over tenant tables (see internal.claims_role).
-- Parameters: tenant (required), principal (NULL for system work), roles (tenant roles, or
-- '{system}' for Claw's own work inside a tenant), scopes (of the credential; '*' = all),
-- credential (which credential was verified, e.g. 'key:<api key id>' or 'jwt:<principal>';
-- request rate limits are charged to it).
-- Raises CL422 on a NULL tenant.
-- Not granted to any login role.
CREATE OR REPLACE FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid,
                                                p_roles text[], p_scopes text[] DEFAULT '{*}',
                                                p_credential text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_ctx text;
  v_key bytea;
BEGIN
  IF p_tenant_id IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'a tenant context needs a tenant',
      DETAIL = 'internal.set_context was called with a NULL tenant id',
      HINT = 'pass the tenant the verified credential belongs to';
  END IF;
  SELECT k.secret INTO STRICT v_key FROM internal.context_keys AS k WHERE k.context_key_id = 1;
  v_ctx := p_tenant_id::text || '|' || coalesce(p_principal_id::text, '') || '|'
           || array_to_string(coalesce(p_roles, '{}'), ',') || '|'
           || array_to_string(coalesce(p_scopes, '{}'), ',') || '|'
           || pg_catalog.pg_current_xact_id()::text || '|' || coalesce(p_credential, '');
  PERFORM pg_catalog.set_config('claw.ctx', v_ctx, true);
  PERFORM pg_catalog.set_config('claw.ctx_mac', pg_catalog.encode(pg_catalog.sha256(
    v_key || pg_catalog.sha256(v_key || pg_catalog.convert_to(v_ctx, 'UTF8'))), 'hex'), true);
END
$fn$;

-- internal.clear_context: drop the context for the rest of this transaction.
CREATE OR REPLACE FUNCTION internal.clear_context()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM pg_catalog.set_config('claw.ctx', '', true);
  PERFORM pg_catalog.set_config('claw.ctx_mac', '', true);
END
$fn$;

-- internal.verified_context: the context if its MAC is valid for this transaction; NULL
-- fields otherwise. Never raises: an absent or forged context simply is no context.
CREATE OR REPLACE FUNCTION internal.verified_context(
  OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[])
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_ctx text := pg_catalog.current_setting('claw.ctx', true);
  v_mac text := pg_catalog.current_setting('claw.ctx_mac', true);
  v_key bytea;
  v_parts text[];
BEGIN
  IF v_ctx IS NULL OR v_ctx = '' OR v_mac IS NULL OR v_mac = '' THEN
    RETURN;
  END IF;
  v_parts := pg_catalog.string_to_array(v_ctx, '|');
  IF pg_catalog.cardinality(v_parts) <> 6 THEN
    RETURN;
  END IF;
  -- Cheap check first: bound to this transaction. pg_current_xact_id_if_assigned() is NULL
  -- when no xid exists, which never matches.
  IF v_parts[5] IS DISTINCT FROM pg_catalog.pg_current_xact_id_if_assigned()::text THEN
    RETURN;
  END IF;
  SELECT k.secret INTO v_key FROM internal.context_keys AS k WHERE k.context_key_id = 1;
  IF v_mac IS DISTINCT FROM pg_catalog.encode(pg_catalog.sha256(
       v_key || pg_catalog.sha256(v_key || pg_catalog.convert_to(v_ctx, 'UTF8'))), 'hex') THEN
    RETURN;
  END IF;
  tenant_id := v_parts[1]::uuid;
  principal_id := NULLIF(v_parts[2], '')::uuid;
  roles := pg_catalog.string_to_array(NULLIF(v_parts[3], ''), ',');
  scopes := pg_catalog.string_to_array(NULLIF(v_parts[4], ''), ',');
END
$fn$;

GRANT EXECUTE ON FUNCTION internal.verified_context() TO claw_authz_reader;

-- internal.current_tenant_id: the verified tenant of this transaction, or NULL.
CREATE OR REPLACE FUNCTION internal.current_tenant_id()
RETURNS uuid
LANGUAGE sql
STABLE
AS $fn$ SELECT (internal.verified_context()).tenant_id $fn$;

-- internal.current_principal_id: the verified principal, or NULL (system work, no context).
CREATE OR REPLACE FUNCTION internal.current_principal_id()
RETURNS uuid
LANGUAGE sql
STABLE
AS $fn$ SELECT (internal.verified_context()).principal_id $fn$;

-- internal.has_role: does the verified context hold any of these tenant roles? (Policies use
-- internal.claims_role below.)
CREATE OR REPLACE FUNCTION internal.has_role(p_roles text[])
RETURNS boolean
LANGUAGE sql
STABLE
AS $fn$
  SELECT coalesce((internal.verified_context()).roles OPERATOR(pg_catalog.&&) p_roles, false)
$fn$;

-- internal.claims_role: do the roles written in claw.ctx include any of these? NOT verified:
-- for the permissive (role) policies only, each of which sits beside its table's
-- restrictive tenant policy (internal.ensure_tenant_policy), which verifies the same setting
-- in the same statement. A context whose roles were rewritten fails that verification, so
-- the tenant policy admits no row and the claimed role opens nothing; a valid context's
-- claim is its verified roles. This saves a second HMAC verification per table a statement
-- touches (an LLM call's statements verified 51 times, 27 of them for roles).
-- Never use it to decide anything outside a policy: use internal.require_role (verified).
-- The rule this rests on: claw.ctx does not change within a statement that reads or writes a
-- tenant table (the two policies' InitPlans run at different moments of the statement; a
-- context switched between them would pair one verified tenant with other claimed roles).
-- Nothing does that today (a security review traced every caller of set_context and
-- clear_context: each runs as a statement of its own, or inside functions whose owner
-- bypasses RLS); keep it so: never call a context-changing function from inside a query
-- over tenant tables.
-- tests/sql/10_tenant_catalog.sql holds every use to a permissive policy on a table with the
-- tenant policy; tests/test_tenant_context.py rewrites a viewer's roles to owner.
CREATE OR REPLACE FUNCTION internal.claims_role(p_roles text[])
RETURNS boolean
LANGUAGE sql
STABLE
AS $fn$
  SELECT coalesce(pg_catalog.string_to_array(pg_catalog.split_part(
           pg_catalog.current_setting('claw.ctx', true), '|', 3), ',')
         OPERATOR(pg_catalog.&&) p_roles, false)
$fn$;

-- internal.require_context: raise CL401 without a context, CL403 without one of the roles or
-- when the credential's scopes do not include p_scope ('*' includes every scope). Returns the
-- verified context, verified once (an HMAC check): callers that need the principal or the
-- roles too take them from here instead of verifying again.
CREATE OR REPLACE FUNCTION internal.require_context(
  p_roles text[], p_scope text, p_action text,
  OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[])
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  SELECT c.tenant_id, c.principal_id, c.roles, c.scopes
    INTO tenant_id, principal_id, roles, scopes
  FROM internal.verified_context() AS c;
  IF tenant_id IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = pg_catalog.format('%s needs an authenticated tenant context', p_action),
      HINT = 'call api.authenticate(p_api_key => ...) first, in the same transaction';
  END IF;
  IF NOT coalesce(roles && p_roles, false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s needs one of the roles %s', p_action, p_roles),
      HINT = 'ask a tenant owner or admin to grant the role';
  END IF;
  IF NOT coalesce(scopes && ARRAY['*', p_scope], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s needs a credential with scope %s', p_action, p_scope),
      HINT = 'use an API key that carries this scope';
  END IF;
END
$fn$;

-- internal.require_role: internal.require_context's checks; returns the verified tenant
-- (v_tenant := internal.require_role(...) verifies the context once, where
-- PERFORM require_role(...) and then current_tenant_id() verify it twice).
CREATE OR REPLACE FUNCTION internal.require_role(p_roles text[], p_scope text, p_action text)
RETURNS uuid
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c.tenant_id FROM internal.require_context(p_roles, p_scope, p_action) AS c
$fn$;

-- Nothing here is granted to login roles: they reach tables only through SECURITY DEFINER
-- api functions, so policies (and these helpers) always run as claw_owner, which FORCE ROW
-- LEVEL SECURITY subjects to them.

-- internal.context_credential: the credential the verified context was established with
-- ('key:<api key id>', ...), or NULL without a valid context. Covered by the same MAC.
CREATE OR REPLACE FUNCTION internal.context_credential()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT NULLIF(pg_catalog.split_part(pg_catalog.current_setting('claw.ctx', true), '|', 6), '')
  FROM internal.verified_context() AS c WHERE c.tenant_id IS NOT NULL
$fn$;
