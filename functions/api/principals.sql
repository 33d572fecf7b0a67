-- Principals and their roles in the authenticated tenant.

-- api.create_principal: add a person, service account or agent. Who: owner/admin; scope
-- members:write. Raises CL409 when the handle is taken in this tenant, CL422 for a bad kind,
-- handle, display name or role (the detail names which; the table's own 23505/23514 named
-- its constraints and gave no hint).
CREATE OR REPLACE FUNCTION api.create_principal(
  p_kind text, p_handle text, p_display_name text, p_roles text[] DEFAULT '{}')
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
  IF internal.visible_length(p_display_name) = 0 THEN  -- white space or control characters
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid principal',
      DETAIL = 'the display name has no visible character',
      HINT = 'e.g. p_display_name => ''Dispatch bot''';
  END IF;
  BEGIN
    INSERT INTO tenancy.principals (tenant_id, principal_id, kind, handle, display_name)
    VALUES (internal.current_tenant_id(), v_id, p_kind, p_handle, p_display_name);
  EXCEPTION
    WHEN unique_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'handle taken',
        DETAIL = pg_catalog.format('the handle %L is taken in this tenant', p_handle),
        HINT = 'pick another handle (api.list_principals shows the ones in use)';
    WHEN check_violation OR not_null_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid principal',
        DETAIL = CASE
          WHEN p_kind IS NULL OR p_kind NOT IN ('person', 'service', 'agent') THEN
            pg_catalog.format('kind %L is not person, service or agent', p_kind)
          WHEN p_handle IS NULL OR p_handle !~ '^[a-z0-9][a-z0-9._@+-]{0,127}$' THEN
            pg_catalog.format('handle %L is not 1 to 128 of a-z 0-9 . _ @ + -, starting '
                              'with a letter or digit', p_handle)
          ELSE pg_catalog.format('display name %L is not 1 to 200 characters',
                                 p_display_name) END,
        HINT = 'e.g. p_kind => ''agent'', p_handle => ''dispatch-bot'', '
               'p_display_name => ''Dispatch bot''';
  END;
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
-- Raises CL404 unknown principal, CL403 not allowed, CL422 unknown role.
CREATE OR REPLACE FUNCTION api.grant_role(p_principal_id uuid, p_role text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_role', p_role, 'name');
  PERFORM internal.require_role(CASE WHEN p_role = 'owner' THEN '{owner}'::text[]
                                     ELSE '{owner,admin}'::text[] END,
                                'members:write', 'granting role ' || p_role);
  PERFORM tenancy.require_role_name(p_role);
  PERFORM tenancy.require_principal(p_principal_id);
  -- an owner's keys are issued by an owner: a principal promoted with keys someone else
  -- issued it (an admin keeping a key's secret) would hand that one an owner's powers, so
  -- they are revoked first
  IF p_role = 'owner'
     AND NOT EXISTS (SELECT 1 FROM tenancy.memberships AS m
                     WHERE m.tenant_id = internal.current_tenant_id()
                       AND m.principal_id = p_principal_id AND m.role = 'owner')
     AND EXISTS (SELECT 1 FROM tenancy.api_keys AS k
                 WHERE k.tenant_id = internal.current_tenant_id()
                   AND k.principal_id = p_principal_id AND k.revoked_at IS NULL
                   AND (k.expires_at IS NULL OR k.expires_at > pg_catalog.now())) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'principal holds API keys',
      DETAIL = pg_catalog.format('principal %s has active API keys, which an owner did not '
                                 'necessarily issue', p_principal_id),
      HINT = 'revoke its keys first (api.revoke_api_key), then grant owner and issue its keys '
             'as an owner';
  END IF;
  INSERT INTO tenancy.memberships (tenant_id, principal_id, role, granted_by)
  VALUES (internal.current_tenant_id(), p_principal_id, p_role, internal.current_principal_id())
  ON CONFLICT DO NOTHING;
END
$fn$;

COMMENT ON FUNCTION api.grant_role(uuid, text) IS
  'Grant a role (owner, admin, operator, approver, viewer) to a principal; owner needs an owner. Idempotent.';
GRANT EXECUTE ON FUNCTION api.grant_role(uuid, text) TO claw_runtime;

-- api.list_principals: the tenant's principals with their roles.
CREATE OR REPLACE FUNCTION api.list_principals(p_limit integer DEFAULT 100,
                                               p_cursor text DEFAULT NULL)
RETURNS TABLE (principal_id uuid, kind text, handle text, display_name text, roles text[],
               disabled_at timestamptz, created_at timestamptz, cursor text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_after jsonb;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'members:read',
                                'listing principals');
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_principals', '{}', p_cursor);
  RETURN QUERY
  SELECT p.principal_id, p.kind, p.handle, p.display_name,
         coalesce((SELECT pg_catalog.array_agg(m.role ORDER BY m.role) FROM tenancy.memberships AS m
                   WHERE m.tenant_id = p.tenant_id AND m.principal_id = p.principal_id),
                  '{}'::text[]),
         p.disabled_at, p.created_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY p.created_at, p.principal_id) = p_limit
              THEN internal.make_cursor('api.list_principals', '{}', pg_catalog.jsonb_build_object(
                     'at', p.created_at, 'id', p.principal_id)) END
  FROM tenancy.principals AS p
  WHERE v_after IS NULL OR (p.created_at, p.principal_id)
                           > ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid)
  ORDER BY p.created_at, p.principal_id
  LIMIT p_limit;
END
$fn$;

COMMENT ON FUNCTION api.list_principals(integer, text) IS
  'The principals of this tenant with their roles, oldest first, p_limit (1..1000) at a time; '
  'the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';
GRANT EXECUTE ON FUNCTION api.list_principals(integer, text) TO claw_runtime;

-- api.revoke_role: take a role from a principal. Who: owner; admin for any but an owner (and
-- the owner role only an owner takes). Returns whether the principal had it. CL409 when it
-- would leave the tenant without an enabled owner; CL422 an unknown role; CL404 an unknown
-- principal. Audited (tenancy.memberships).
CREATE OR REPLACE FUNCTION api.revoke_role(p_principal_id uuid, p_role text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_role', p_role, 'name');
  PERFORM tenancy.require_may_manage(p_principal_id, 'revoking role ' || coalesce(p_role, 'NULL'));
  PERFORM tenancy.require_role_name(p_role);
  IF p_role = 'owner' THEN
    PERFORM internal.require_role('{owner}', 'members:write', 'revoking role owner');
    PERFORM tenancy.require_an_owner_left(p_principal_id, 'revoking owner');
  END IF;
  DELETE FROM tenancy.memberships AS m
  WHERE m.tenant_id = internal.current_tenant_id() AND m.principal_id = p_principal_id
    AND m.role = p_role;
  RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION api.revoke_role(uuid, text) IS
  'Take a role from a principal (owner, or admin for a non-owner); returns whether it had it. '
  'CL409 when no enabled owner would be left.';
GRANT EXECUTE ON FUNCTION api.revoke_role(uuid, text) TO claw_runtime;

-- api.set_principal_disabled: disable a principal (its keys and tokens stop authenticating
-- at once: CL401 'principal disabled') or enable it again. Who: owner; admin for any but an
-- owner. Returns disabled_at (NULL when enabled). CL409 when disabling would leave the
-- tenant without an enabled owner; CL404 an unknown principal; CL422 a NULL p_disabled.
-- Audited (tenancy.principals).
CREATE OR REPLACE FUNCTION api.set_principal_disabled(p_principal_id uuid, p_disabled boolean)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_at timestamptz;
BEGIN
  IF p_disabled IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid switch',
      DETAIL = 'p_disabled must be true (disable) or false (enable)',
      HINT = 'pass true or false';
  END IF;
  PERFORM tenancy.require_may_manage(p_principal_id, CASE WHEN p_disabled THEN 'disabling'
                                                          ELSE 'enabling' END);
  IF p_disabled THEN
    PERFORM tenancy.require_an_owner_left(p_principal_id, 'disabling this principal');
  END IF;
  UPDATE tenancy.principals AS p
  SET disabled_at = CASE WHEN p_disabled THEN coalesce(p.disabled_at, pg_catalog.now()) END
  WHERE p.tenant_id = internal.current_tenant_id() AND p.principal_id = p_principal_id
  RETURNING p.disabled_at INTO v_at;
  RETURN v_at;
END
$fn$;
COMMENT ON FUNCTION api.set_principal_disabled(uuid, boolean) IS
  'Disable (true) or enable (false) a principal: a disabled one''s credentials fail with CL401. '
  'Owner, or admin for a non-owner; CL409 when no enabled owner would be left.';
GRANT EXECUTE ON FUNCTION api.set_principal_disabled(uuid, boolean) TO claw_runtime;
