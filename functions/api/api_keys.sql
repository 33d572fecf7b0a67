-- API key management for the authenticated tenant.

-- api.create_api_key: issue a key for a principal; the full key is returned once.
-- Who: owner for any principal, admin for any but an owner; any principal for itself.
-- Scope keys:write. A key carries no scope its issuing credential lacks (a credential with
-- '*' may give any): a key scoped to keys:write alone cannot mint one with '*' and so act
-- with every permission of its principal's roles (CL403, tests/test_api_keys.py).
-- Raises: CL401/CL403 (context), CL404 unknown principal, CL422 bad input, CL409 name taken.
CREATE OR REPLACE FUNCTION api.create_api_key(
  p_name text, p_principal_id uuid DEFAULT NULL, p_scopes text[] DEFAULT '{*}',
  p_expires_at timestamptz DEFAULT NULL,
  OUT api_key_id uuid, OUT api_key text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_principal uuid := coalesce(p_principal_id, internal.current_principal_id());
  v_mine text[];
  v_wider text[];
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_scopes', p_scopes, 'text');
  IF v_principal IS DISTINCT FROM internal.current_principal_id() THEN
    PERFORM internal.require_role('{owner,admin}', 'keys:write', 'creating a key for another principal');
    IF EXISTS (SELECT 1 FROM tenancy.memberships AS m
               WHERE m.tenant_id = internal.current_tenant_id() AND m.principal_id = v_principal
                 AND m.role = 'owner') THEN  -- only an owner grants owner, so only one acts as one
      PERFORM internal.require_role('{owner}', 'keys:write', 'creating a key for an owner');
    END IF;
  ELSE
    PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:write',
                                  'creating an API key');
  END IF;
  SELECT c.scopes INTO v_mine FROM internal.verified_context() AS c;
  IF NOT coalesce('*' = ANY (v_mine), false) THEN
    SELECT pg_catalog.array_agg(DISTINCT s ORDER BY s) INTO v_wider
    FROM pg_catalog.unnest(p_scopes) AS s
    WHERE s <> ALL (coalesce(v_mine, '{}'));  -- a NULL scope is CL422 below
    IF v_wider IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
        DETAIL = pg_catalog.format('a key cannot carry a scope its issuing credential lacks: '
                                   '%s (this credential has %s)', v_wider, v_mine),
        HINT = 'ask for scopes within your own, or issue the key with a credential that has them';
    END IF;
  END IF;
  SELECT k.api_key_id, k.api_key INTO api_key_id, api_key
  FROM tenancy.issue_api_key(v_principal, p_name, p_scopes, p_expires_at) AS k;
END
$fn$;

COMMENT ON FUNCTION api.create_api_key(text, uuid, text[], timestamptz) IS
  'Issue an API key (returned once; only its hash is kept) for yourself, or as owner/admin '
  'for another principal. Scopes: ''*'' or those of internal.scopes() (CL422 names any '
  'other); optional expiry.';
GRANT EXECUTE ON FUNCTION api.create_api_key(text, uuid, text[], timestamptz) TO claw_runtime;

-- api.revoke_api_key: revoke a key at once (the next api.authenticate with it fails).
-- Who: owner/admin, or the key's own principal. Idempotent: revoking twice keeps the first
-- time. Raises CL404 when the key is not visible. Locks: the key row.
CREATE OR REPLACE FUNCTION api.revoke_api_key(p_api_key_id uuid)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_revoked timestamptz;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:write',
                                'revoking an API key');
  -- an owner's key is revoked by an owner or by its principal: an admin revoking every key
  -- of every owner locked all of them out (no one else could issue them a key)
  IF NOT internal.has_role('{owner}') AND EXISTS (
       SELECT 1 FROM tenancy.api_keys AS k
       JOIN tenancy.memberships AS m
         ON m.tenant_id = k.tenant_id AND m.principal_id = k.principal_id AND m.role = 'owner'
       WHERE k.tenant_id = internal.current_tenant_id() AND k.api_key_id = p_api_key_id
         AND k.principal_id IS DISTINCT FROM internal.current_principal_id()) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = 'revoking an owner''s API key needs an owner',
      HINT = 'ask an owner; an owner whose key leaked revokes it itself';
  END IF;
  UPDATE tenancy.api_keys AS k SET revoked_at = coalesce(k.revoked_at, pg_catalog.now())
  WHERE k.tenant_id = internal.current_tenant_id() AND k.api_key_id = p_api_key_id
  RETURNING k.revoked_at INTO v_revoked;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'API key not found',
      DETAIL = pg_catalog.format('no key %s visible to this principal', p_api_key_id),
      HINT = 'list keys with api.list_api_keys()';
  END IF;
  RETURN v_revoked;
END
$fn$;

COMMENT ON FUNCTION api.revoke_api_key(uuid) IS
  'Revoke an API key immediately; returns when it was revoked. Idempotent.';
GRANT EXECUTE ON FUNCTION api.revoke_api_key(uuid) TO claw_runtime;

-- api.list_api_keys: keys visible to the caller (own keys; all for owner/admin), never a
-- secret or hash. Status is active, revoked or expired.
CREATE OR REPLACE FUNCTION api.list_api_keys(p_limit integer DEFAULT 100,
                                             p_cursor text DEFAULT NULL)
RETURNS TABLE (api_key_id uuid, principal_id uuid, name text, prefix text, scopes text[],
               status text, expires_at timestamptz, revoked_at timestamptz,
               last_used_at timestamptz, created_at timestamptz, cursor text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_after jsonb;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:read',
                                'listing API keys');
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_api_keys', '{}', p_cursor);
  RETURN QUERY
  SELECT k.api_key_id, k.principal_id, k.name, k.prefix, k.scopes,
         CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
              WHEN k.expires_at <= pg_catalog.now() THEN 'expired' ELSE 'active' END,
         k.expires_at, k.revoked_at, k.last_used_at, k.created_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY k.created_at, k.api_key_id) = p_limit
              THEN internal.make_cursor('api.list_api_keys', '{}', pg_catalog.jsonb_build_object(
                     'at', k.created_at, 'id', k.api_key_id)) END
  FROM tenancy.api_keys AS k
  WHERE v_after IS NULL OR (k.created_at, k.api_key_id)
                           > ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid)
  ORDER BY k.created_at, k.api_key_id
  LIMIT p_limit;
END
$fn$;

COMMENT ON FUNCTION api.list_api_keys(integer, text) IS
  'API keys visible to the caller with their status (active, revoked, expired); no secrets. '
  'Oldest first, p_limit (1..1000) at a time; the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';
GRANT EXECUTE ON FUNCTION api.list_api_keys(integer, text) TO claw_runtime;
