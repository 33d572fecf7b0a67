-- api.authenticate: verify an API key and establish the tenant context for the rest of the
-- transaction (see functions/internal/tenant_context.sql). Applications call it first in
-- every transaction: BEGIN; SELECT * FROM api.authenticate(p_api_key => $1); ...; COMMIT.
--
-- Returns: the tenant, principal, its roles and the key's scopes.
-- Raises: CL401 for a malformed, unknown, wrong-secret, revoked or expired key, or a
-- disabled principal (the message says which; the detail never echoes the secret).
-- Writes: api_keys.last_used_at, at most once a minute per key. Locks: that key row.
-- Flow: the key's public part names tenant and key id; tenancy.api_key_credential reads that
-- one row (as claw_authenticator: no context exists yet); only a matching sha256(secret)
-- leads to the principal's context.
CREATE OR REPLACE FUNCTION api.authenticate(p_api_key text)
RETURNS TABLE (tenant_id uuid, principal_id uuid, roles text[], scopes text[])
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  -- no bounded repeats ({32}) in the pattern: PostgreSQL's regex engine expands them into
  -- states, which cost about 0.1 ms per call; the lengths are checked instead. A value
  -- longer than any key (111 characters) is malformed before the size guard (1 KiB, CL422)
  -- could name this parameter to a client holding a garbage credential.
  v_m text[] := CASE WHEN pg_catalog.octet_length(p_api_key) <= 111 THEN pg_catalog.regexp_match(
    internal.require_size('p_api_key', p_api_key, 'name'), '^ck_([0-9a-f]*)_([A-Za-z0-9_-]*)$')
    END;
  v_tenant uuid;
  v_key record;
  v_roles text[];
BEGIN
  IF v_m IS NULL OR pg_catalog.length(v_m[1]) <> 64 OR pg_catalog.length(v_m[2]) <> 43 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'invalid API key',
      DETAIL = 'the key is malformed',
      HINT = 'API keys look like ck_<64 hex>_<43 characters>; pass the whole key';
  END IF;
  v_tenant := pg_catalog.substr(v_m[1], 1, 32)::uuid;
  SELECT * INTO v_key
  FROM tenancy.api_key_credential(v_tenant, pg_catalog.substr(v_m[1], 33, 32)::uuid);
  IF NOT FOUND OR v_key.secret_hash <> pg_catalog.sha256(pg_catalog.convert_to(v_m[2], 'UTF8')) THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'invalid API key',
      DETAIL = 'no such key, or the secret does not match',
      HINT = 'check the key; a lost key cannot be recovered, issue a new one';
  END IF;
  IF v_key.revoked_at IS NOT NULL THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'API key revoked',
      DETAIL = pg_catalog.format('key %s was revoked at %s', v_key.api_key_id, v_key.revoked_at),
      HINT = 'issue a new key';
  END IF;
  -- the instant of this call, not the transaction's start (now()): a transaction opened
  -- before the key expired authenticated with it for as long as it stayed open
  IF v_key.expires_at IS NOT NULL AND v_key.expires_at <= pg_catalog.clock_timestamp() THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'API key expired',
      DETAIL = pg_catalog.format('key %s expired at %s', v_key.api_key_id, v_key.expires_at),
      HINT = 'issue a new key';
  END IF;
  IF v_key.disabled_at IS NOT NULL THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'principal disabled',
      DETAIL = pg_catalog.format('principal %s was disabled at %s', v_key.principal_id,
                                 v_key.disabled_at),
      HINT = 'ask a tenant admin to enable the principal';
  END IF;
  v_roles := v_key.roles;
  IF v_key.last_used_at IS NULL OR v_key.last_used_at < pg_catalog.now() - interval '1 minute' THEN
    PERFORM internal.set_context(v_tenant, NULL, '{system}');
    UPDATE tenancy.api_keys AS k SET last_used_at = pg_catalog.now()
    WHERE k.tenant_id = v_tenant AND k.api_key_id = v_key.api_key_id;
  END IF;
  PERFORM internal.set_context(v_tenant, v_key.principal_id, coalesce(v_roles, '{}'),
                               v_key.scopes, 'key:' || v_key.api_key_id::text);
  RETURN QUERY SELECT v_tenant, v_key.principal_id, coalesce(v_roles, '{}'::text[]), v_key.scopes;
END
$fn$;

COMMENT ON FUNCTION api.authenticate(text) IS
  'Verify an API key and set the tenant context for this transaction. Returns tenant, '
  'principal, roles, scopes. CL401 when the key is malformed, unknown, revoked or expired.';
GRANT EXECUTE ON FUNCTION api.authenticate(text) TO claw_runtime;

-- api.whoami: the verified context of this transaction (no rows without one).
CREATE OR REPLACE FUNCTION api.whoami()
RETURNS TABLE (tenant_id uuid, principal_id uuid, roles text[], scopes text[])
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c.tenant_id, c.principal_id, c.roles, c.scopes
  FROM internal.verified_context() AS c WHERE c.tenant_id IS NOT NULL
$fn$;

COMMENT ON FUNCTION api.whoami() IS
  'The tenant, principal, roles and scopes this transaction acts as; no rows when unauthenticated.';
GRANT EXECUTE ON FUNCTION api.whoami() TO claw_runtime, claw_worker;
