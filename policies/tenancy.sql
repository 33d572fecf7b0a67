-- Policies for tenancy. Each table: the restrictive tenant policy (internal.ensure_tenant_policy)
-- and permissive feature policies for roles within the tenant. Roles come from the verified
-- context: owner, admin, operator, approver, viewer, and 'system' for Claw's own work
-- (authentication, provisioning). No grants: login roles reach these tables only through
-- SECURITY DEFINER api functions.

-- claw_authenticator (sql/00_roles.sql) reads the columns an API key check needs, through
-- tenancy.api_key_credential only.
GRANT USAGE ON SCHEMA tenancy TO claw_authenticator;
GRANT SELECT (tenant_id, api_key_id, principal_id, secret_hash, scopes, expires_at, revoked_at,
              last_used_at) ON tenancy.api_keys TO claw_authenticator;
GRANT SELECT (tenant_id, principal_id, disabled_at) ON tenancy.principals TO claw_authenticator;
GRANT SELECT (tenant_id, principal_id, role) ON tenancy.memberships TO claw_authenticator;

SELECT internal.ensure_tenant_policy('tenancy.tenants');
DROP POLICY IF EXISTS tenants_select_member ON tenancy.tenants;
CREATE POLICY tenants_select_member ON tenancy.tenants FOR SELECT USING (true);
DROP POLICY IF EXISTS tenants_insert_system ON tenancy.tenants;
CREATE POLICY tenants_insert_system ON tenancy.tenants FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{system}')));
DROP POLICY IF EXISTS tenants_update_owner ON tenancy.tenants;
CREATE POLICY tenants_update_owner ON tenancy.tenants FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,system}')));

SELECT internal.ensure_tenant_policy('tenancy.principals');
DROP POLICY IF EXISTS principals_select_member ON tenancy.principals;
CREATE POLICY principals_select_member ON tenancy.principals FOR SELECT USING (true);
DROP POLICY IF EXISTS principals_insert_admin ON tenancy.principals;
CREATE POLICY principals_insert_admin ON tenancy.principals FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,system}')));
DROP POLICY IF EXISTS principals_update_admin ON tenancy.principals;
CREATE POLICY principals_update_admin ON tenancy.principals FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,system}')));

SELECT internal.ensure_tenant_policy('tenancy.memberships');
DROP POLICY IF EXISTS memberships_select_member ON tenancy.memberships;
CREATE POLICY memberships_select_member ON tenancy.memberships FOR SELECT USING (true);
DROP POLICY IF EXISTS memberships_insert_admin ON tenancy.memberships;
CREATE POLICY memberships_insert_admin ON tenancy.memberships FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,system}')));
DROP POLICY IF EXISTS memberships_delete_admin ON tenancy.memberships;
CREATE POLICY memberships_delete_admin ON tenancy.memberships FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin,system}')));

SELECT internal.ensure_tenant_policy('tenancy.api_keys');
DROP POLICY IF EXISTS api_keys_select_own_or_admin ON tenancy.api_keys;
CREATE POLICY api_keys_select_own_or_admin ON tenancy.api_keys FOR SELECT
  USING (principal_id = (SELECT internal.current_principal_id())
         OR (SELECT internal.claims_role('{owner,admin,system}')));
-- a principal may issue keys for itself (api.create_api_key: any role, within its own
-- credential's scopes); owners and admins for others
DROP POLICY IF EXISTS api_keys_insert_admin ON tenancy.api_keys;
DROP POLICY IF EXISTS api_keys_insert_own_or_admin ON tenancy.api_keys;
CREATE POLICY api_keys_insert_own_or_admin ON tenancy.api_keys FOR INSERT
  WITH CHECK (principal_id = (SELECT internal.current_principal_id())
              OR (SELECT internal.claims_role('{owner,admin,system}')));
DROP POLICY IF EXISTS api_keys_update_own_or_admin ON tenancy.api_keys;
CREATE POLICY api_keys_update_own_or_admin ON tenancy.api_keys FOR UPDATE
  USING (principal_id = (SELECT internal.current_principal_id())
         OR (SELECT internal.claims_role('{owner,admin,system}')));

-- JWT issuers and keys (migration 0016): read by the tenant's owners and admins and by
-- authentication ('system'); written only by the operator functions (functions/tenancy/
-- jwt_issuers.sql, system context). Subject links: owners and admins may map their users.
SELECT internal.ensure_tenant_policy('tenancy.jwt_issuers');
DROP POLICY IF EXISTS jwt_issuers_select_admin ON tenancy.jwt_issuers;
CREATE POLICY jwt_issuers_select_admin ON tenancy.jwt_issuers FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,system}')));
DROP POLICY IF EXISTS jwt_issuers_write_system ON tenancy.jwt_issuers;
DROP POLICY IF EXISTS jwt_issuers_insert_system ON tenancy.jwt_issuers;
CREATE POLICY jwt_issuers_insert_system ON tenancy.jwt_issuers FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{system}')));
-- Owners and admins see the rows an UPDATE would reach, but only 'system' may write them.
DROP POLICY IF EXISTS jwt_issuers_update_system ON tenancy.jwt_issuers;
CREATE POLICY jwt_issuers_update_system ON tenancy.jwt_issuers FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,system}')))
  WITH CHECK ((SELECT internal.claims_role('{system}')));
DROP POLICY IF EXISTS jwt_issuers_delete_system ON tenancy.jwt_issuers;
CREATE POLICY jwt_issuers_delete_system ON tenancy.jwt_issuers FOR DELETE
  USING ((SELECT internal.claims_role('{system}')));

-- Keys are never updated: a changed key is a delete and an insert (tenancy.set_jwt_keys).
SELECT internal.ensure_tenant_policy('tenancy.jwt_keys');
DROP POLICY IF EXISTS jwt_keys_select_admin ON tenancy.jwt_keys;
CREATE POLICY jwt_keys_select_admin ON tenancy.jwt_keys FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,system}')));
DROP POLICY IF EXISTS jwt_keys_write_system ON tenancy.jwt_keys;
DROP POLICY IF EXISTS jwt_keys_insert_system ON tenancy.jwt_keys;
CREATE POLICY jwt_keys_insert_system ON tenancy.jwt_keys FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{system}')));
DROP POLICY IF EXISTS jwt_keys_delete_system ON tenancy.jwt_keys;
CREATE POLICY jwt_keys_delete_system ON tenancy.jwt_keys FOR DELETE
  USING ((SELECT internal.claims_role('{system}')));

SELECT internal.ensure_tenant_policy('tenancy.jwt_subjects');
DROP POLICY IF EXISTS jwt_subjects_all_admin ON tenancy.jwt_subjects;
CREATE POLICY jwt_subjects_all_admin ON tenancy.jwt_subjects FOR ALL
  USING ((SELECT internal.claims_role('{owner,admin,system}')))
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,system}')));
