-- tenancy.api_key_credential: the API key row (tenant, key id), its principal's disabled_at
-- and roles, for api.authenticate to check the secret against. Runs as claw_authenticator
-- (BYPASSRLS, SELECT on exactly these columns): the key names its tenant, so no context
-- exists yet to read it under RLS. Returns no row for an unknown key. Only claw_owner (the
-- api functions) may call it; it never leaves the database.
CREATE OR REPLACE FUNCTION tenancy.api_key_credential(p_tenant_id uuid, p_api_key_id uuid)
RETURNS TABLE (api_key_id uuid, principal_id uuid, secret_hash bytea, scopes text[],
               expires_at timestamptz, revoked_at timestamptz, last_used_at timestamptz,
               disabled_at timestamptz, roles text[])
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT k.api_key_id, k.principal_id, k.secret_hash, k.scopes, k.expires_at, k.revoked_at,
         k.last_used_at, p.disabled_at,
         coalesce((SELECT pg_catalog.array_agg(m.role ORDER BY m.role)
                   FROM tenancy.memberships AS m
                   WHERE m.tenant_id = k.tenant_id AND m.principal_id = k.principal_id),
                  '{}')
  FROM tenancy.api_keys AS k
  JOIN tenancy.principals AS p ON p.tenant_id = k.tenant_id AND p.principal_id = k.principal_id
  WHERE k.tenant_id = p_tenant_id AND k.api_key_id = p_api_key_id
$fn$;
ALTER FUNCTION tenancy.api_key_credential(uuid, uuid) OWNER TO claw_authenticator;
REVOKE ALL ON FUNCTION tenancy.api_key_credential(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenancy.api_key_credential(uuid, uuid) TO claw_owner;
