-- Policies for tenancy. Each table: the restrictive tenant policy (internal.ensure_tenant_policy)
-- and permissive feature policies for roles within the tenant. Roles come from the verified
-- context: owner, admin, operator, approver, viewer, and 'system' for Claw's own work
-- (authentication, provisioning). No grants: login roles reach these tables only through
-- SECURITY DEFINER api functions.

SELECT internal.ensure_tenant_policy('tenancy.tenants');
DROP POLICY IF EXISTS tenants_select_member ON tenancy.tenants;
CREATE POLICY tenants_select_member ON tenancy.tenants FOR SELECT USING (true);
DROP POLICY IF EXISTS tenants_insert_system ON tenancy.tenants;
CREATE POLICY tenants_insert_system ON tenancy.tenants FOR INSERT
  WITH CHECK ((SELECT internal.has_role('{system}')));
DROP POLICY IF EXISTS tenants_update_owner ON tenancy.tenants;
CREATE POLICY tenants_update_owner ON tenancy.tenants FOR UPDATE
  USING ((SELECT internal.has_role('{owner,system}')));

SELECT internal.ensure_tenant_policy('tenancy.principals');
DROP POLICY IF EXISTS principals_select_member ON tenancy.principals;
CREATE POLICY principals_select_member ON tenancy.principals FOR SELECT USING (true);
DROP POLICY IF EXISTS principals_insert_admin ON tenancy.principals;
CREATE POLICY principals_insert_admin ON tenancy.principals FOR INSERT
  WITH CHECK ((SELECT internal.has_role('{owner,admin,system}')));
DROP POLICY IF EXISTS principals_update_admin ON tenancy.principals;
CREATE POLICY principals_update_admin ON tenancy.principals FOR UPDATE
  USING ((SELECT internal.has_role('{owner,admin,system}')));

SELECT internal.ensure_tenant_policy('tenancy.memberships');
DROP POLICY IF EXISTS memberships_select_member ON tenancy.memberships;
CREATE POLICY memberships_select_member ON tenancy.memberships FOR SELECT USING (true);
DROP POLICY IF EXISTS memberships_insert_admin ON tenancy.memberships;
CREATE POLICY memberships_insert_admin ON tenancy.memberships FOR INSERT
  WITH CHECK ((SELECT internal.has_role('{owner,admin,system}')));
DROP POLICY IF EXISTS memberships_delete_admin ON tenancy.memberships;
CREATE POLICY memberships_delete_admin ON tenancy.memberships FOR DELETE
  USING ((SELECT internal.has_role('{owner,admin,system}')));

SELECT internal.ensure_tenant_policy('tenancy.api_keys');
DROP POLICY IF EXISTS api_keys_select_own_or_admin ON tenancy.api_keys;
CREATE POLICY api_keys_select_own_or_admin ON tenancy.api_keys FOR SELECT
  USING (principal_id = (SELECT internal.current_principal_id())
         OR (SELECT internal.has_role('{owner,admin,system}')));
DROP POLICY IF EXISTS api_keys_insert_admin ON tenancy.api_keys;
CREATE POLICY api_keys_insert_admin ON tenancy.api_keys FOR INSERT
  WITH CHECK ((SELECT internal.has_role('{owner,admin,system}')));
DROP POLICY IF EXISTS api_keys_update_own_or_admin ON tenancy.api_keys;
CREATE POLICY api_keys_update_own_or_admin ON tenancy.api_keys FOR UPDATE
  USING (principal_id = (SELECT internal.current_principal_id())
         OR (SELECT internal.has_role('{owner,admin,system}')));
