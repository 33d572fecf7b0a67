-- Who may change a principal's roles and status, and the tenant's last enabled owner
-- (api.revoke_role, api.set_principal_disabled in functions/api/principals.sql).

-- tenancy.require_an_owner_left: CL409 unless the tenant keeps an enabled owner other than
-- p_principal_id (about to be disabled or to lose owner). Takes the tenant's owners lock
-- first, so two sessions removing the last two owners take turns and the second sees the
-- first's change (each saw the other's owner role and both went through).
CREATE OR REPLACE FUNCTION tenancy.require_an_owner_left(p_principal_id uuid, p_action text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.lock_named('tenancy.owners|' || internal.current_tenant_id()::text, true);
  IF NOT EXISTS (SELECT 1 FROM tenancy.memberships AS m
                 JOIN tenancy.principals AS p
                   ON p.tenant_id = m.tenant_id AND p.principal_id = m.principal_id
                 WHERE m.tenant_id = internal.current_tenant_id() AND m.role = 'owner'
                   AND m.principal_id <> p_principal_id AND p.disabled_at IS NULL) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'last owner',
      DETAIL = pg_catalog.format('%s would leave the tenant without an enabled owner', p_action),
      HINT = 'grant owner to another principal first (api.grant_role)';
  END IF;
END
$fn$;

-- tenancy.require_may_manage: CL403 unless the caller may change p_principal_id's roles or
-- status: an owner any principal, an admin any but an owner.
CREATE OR REPLACE FUNCTION tenancy.require_may_manage(p_principal_id uuid, p_action text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'members:write', p_action);
  PERFORM tenancy.require_principal(p_principal_id);
  IF NOT internal.has_role('{owner}') AND EXISTS (
       SELECT 1 FROM tenancy.memberships AS m
       WHERE m.tenant_id = internal.current_tenant_id() AND m.principal_id = p_principal_id
         AND m.role = 'owner') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s of an owner needs an owner', p_action),
      HINT = 'ask an owner';
  END IF;
END
$fn$;

-- tenancy.require_role_name: CL422 unless p_role is one of the five tenant roles.
CREATE OR REPLACE FUNCTION tenancy.require_role_name(p_role text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_role IS NULL OR p_role NOT IN ('owner', 'admin', 'operator', 'approver', 'viewer') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown role',
      DETAIL = pg_catalog.format('role %L is not owner, admin, operator, approver or viewer',
                                 p_role),
      HINT = 'one of the five tenant roles (README: roles)';
  END IF;
END
$fn$;
