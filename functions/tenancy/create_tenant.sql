-- tenancy.create_tenant: provision a tenant with its first principal (an owner) and that
-- owner's first API key (returned once). For platform operators: run by the administrator
-- in psql or by `claw tenant create`; not granted to any login role.
-- Raises: 23505 when the slug or handle is taken; 23514 on a malformed slug/handle/name.
-- Leaves the transaction in the new tenant's system context; the caller's own context, if
-- any, is replaced.
CREATE OR REPLACE FUNCTION tenancy.create_tenant(
  p_slug text, p_name text, p_owner_handle text, p_owner_name text,
  OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  tenant_id := pg_catalog.uuidv7();
  principal_id := pg_catalog.uuidv7();
  PERFORM internal.set_context(tenant_id, NULL, '{system}');
  INSERT INTO tenancy.tenants (tenant_id, slug, name) VALUES (tenant_id, p_slug, p_name);
  INSERT INTO tenancy.principals (tenant_id, principal_id, kind, handle, display_name)
  VALUES (tenant_id, principal_id, 'person', p_owner_handle, p_owner_name);
  INSERT INTO tenancy.memberships (tenant_id, principal_id, role)
  VALUES (tenant_id, principal_id, 'owner');
  SELECT k.api_key INTO api_key
  FROM tenancy.issue_api_key(principal_id, 'initial owner key', '{*}', NULL) AS k;
END
$fn$;

COMMENT ON FUNCTION tenancy.create_tenant(text, text, text, text) IS
  'Provision a tenant, its owner principal and the owner''s first API key (shown once).';
