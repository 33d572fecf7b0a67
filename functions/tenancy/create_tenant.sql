-- tenancy.create_tenant: provision a tenant with its first principal (an owner) and that
-- owner's first API key (returned once). For platform operators: run by the administrator
-- in psql or by `claw tenant create`; not granted to any login role.
-- Raises: CL409 when the slug is taken; CL422 naming a malformed slug, name, handle or owner
-- name (they were the tables' raw 23505 / 23514, naming constraints, without a hint).
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
  BEGIN
    INSERT INTO tenancy.tenants (tenant_id, slug, name) VALUES (tenant_id, p_slug, p_name);
    INSERT INTO tenancy.principals (tenant_id, principal_id, kind, handle, display_name)
    VALUES (tenant_id, principal_id, 'person', p_owner_handle, p_owner_name);
  EXCEPTION
    WHEN unique_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'tenant slug taken',
        DETAIL = pg_catalog.format('a tenant with slug %L exists', p_slug),
        HINT = 'pick another slug (admin.list_tenants shows the ones in use)';
    WHEN check_violation OR not_null_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tenant',
        DETAIL = CASE
          WHEN p_slug IS NULL OR p_slug !~ '^[a-z0-9][a-z0-9-]{1,62}$' THEN
            pg_catalog.format('slug %L is not 2 to 63 of a-z 0-9 -, starting with a letter '
                              'or digit', p_slug)
          WHEN p_name IS NULL OR pg_catalog.length(p_name) NOT BETWEEN 1 AND 200 THEN
            pg_catalog.format('name %L is not 1 to 200 characters', p_name)
          WHEN p_owner_handle IS NULL OR p_owner_handle !~ '^[a-z0-9][a-z0-9._@+-]{0,127}$' THEN
            pg_catalog.format('owner handle %L is not 1 to 128 of a-z 0-9 . _ @ + -, '
                              'starting with a letter or digit', p_owner_handle)
          ELSE pg_catalog.format('owner name %L is not 1 to 200 characters', p_owner_name) END,
        HINT = 'e.g. claw tenant create acme "Acme Ltd" alice "Alice Smith"';
  END;
  INSERT INTO tenancy.memberships (tenant_id, principal_id, role)
  VALUES (tenant_id, principal_id, 'owner');
  SELECT k.api_key INTO api_key
  FROM tenancy.issue_api_key(principal_id, 'initial owner key', '{*}', NULL) AS k;
END
$fn$;

COMMENT ON FUNCTION tenancy.create_tenant(text, text, text, text) IS
  'Provision a tenant, its owner principal and the owner''s first API key (shown once).';
