-- Principals and their roles in the authenticated tenant.

-- api.create_principal: add a person, service account or agent. Who: owner/admin; scope
-- members:write. Raises 23505 when the handle is taken in this tenant, 23514 on bad input.
CREATE OR REPLACE FUNCTION api.create_principal(
  p_kind text, p_handle text, p_display_name text, p_roles text[] DEFAULT '{}')
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $fn$
DECLARE
  v_id uuid := pg_catalog.uuidv7();
  v_role text;
BEGIN
  PERFORM internal.require_size('p_kind', p_kind, 'name'),
          internal.require_size('p_handle', p_handle, 'name'),
          internal.require_size('p_display_name', p_display_name, 'name'),
          internal.require_size('p_roles', p_roles, 'text');
  PERFORM internal.require_role('{owner,admin}', 'members:write', 'creating a principal');
  INSERT INTO tenancy.principals (tenant_id, principal_id, kind, handle, display_name)
  VALUES (internal.current_tenant_id(), v_id, p_kind, p_handle, p_display_name);
  FOREACH v_role IN ARRAY coalesce(p_roles, '{}') LOOP
    PERFORM api.grant_role(v_id, v_role);
  END LOOP;
  RETURN v_id;
END
$fn$;

COMMENT ON FUNCTION api.create_principal(text, text, text, text[]) IS
  'Create a principal (person, service, agent) in this tenant, optionally with roles; returns its id.';
GRANT EXECUTE ON FUNCTION api.create_principal(text, text, text, text[]) TO claw_runtime;

-- api.grant_role: give a principal a role. Only an owner grants owner. Idempotent.
-- Raises CL404 unknown principal, CL403 not allowed, 23514 unknown role.
CREATE OR REPLACE FUNCTION api.grant_role(p_principal_id uuid, p_role text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $fn$
BEGIN
  PERFORM internal.require_size('p_role', p_role, 'name');
  PERFORM internal.require_role(CASE WHEN p_role = 'owner' THEN '{owner}'::text[]
                                     ELSE '{owner,admin}'::text[] END,
                                'members:write', 'granting role ' || p_role);
  PERFORM tenancy.require_principal(p_principal_id);
  INSERT INTO tenancy.memberships (tenant_id, principal_id, role, granted_by)
  VALUES (internal.current_tenant_id(), p_principal_id, p_role, internal.current_principal_id())
  ON CONFLICT DO NOTHING;
END
$fn$;

COMMENT ON FUNCTION api.grant_role(uuid, text) IS
  'Grant a role (owner, admin, operator, approver, viewer) to a principal; owner needs an owner. Idempotent.';
GRANT EXECUTE ON FUNCTION api.grant_role(uuid, text) TO claw_runtime;

-- api.list_principals: the tenant's principals with their roles.
CREATE OR REPLACE FUNCTION api.list_principals()
RETURNS TABLE (principal_id uuid, kind text, handle text, display_name text, roles text[],
               disabled_at timestamptz, created_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'members:read',
                                'listing principals');
  RETURN QUERY
  SELECT p.principal_id, p.kind, p.handle, p.display_name,
         coalesce((SELECT pg_catalog.array_agg(m.role ORDER BY m.role) FROM tenancy.memberships AS m
                   WHERE m.tenant_id = p.tenant_id AND m.principal_id = p.principal_id),
                  '{}'::text[]),
         p.disabled_at, p.created_at
  FROM tenancy.principals AS p
  ORDER BY p.created_at, p.principal_id;
END
$fn$;

COMMENT ON FUNCTION api.list_principals() IS
  'The principals of this tenant with their roles.';
GRANT EXECUTE ON FUNCTION api.list_principals() TO claw_runtime;
