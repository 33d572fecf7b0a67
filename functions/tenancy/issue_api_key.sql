-- tenancy.issue_api_key: create an API key for a principal of the current tenant and return
-- the full key once; only sha256(secret) is stored. Key format:
--   'ck_' || tenant_id hex (32) || api_key_id hex (32) || '_' || secret (43, base64url)
-- The secret is 32 bytes from two v4 UUIDs (pg_strong_random; 244 random bits).
-- Parameters: principal, unique name within the tenant, scopes ('*' = all), expiry or NULL.
-- Raises: CL404 unknown principal; CL422 bad name/scopes/expiry; 23505 duplicate name.
-- Runs under the caller's verified context (RLS applies). Private: not granted.
CREATE OR REPLACE FUNCTION tenancy.issue_api_key(
  p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamptz,
  OUT api_key_id uuid, OUT api_key text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
  v_secret text;
BEGIN
  PERFORM tenancy.require_principal(p_principal_id);
  IF p_expires_at IS NOT NULL AND p_expires_at <= pg_catalog.now() THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'expiry is in the past',
      DETAIL = pg_catalog.format('expires_at %s is not after now', p_expires_at),
      HINT = 'pass a future time, or NULL for a key that does not expire';
  END IF;
  IF p_scopes IS NULL OR pg_catalog.cardinality(p_scopes) = 0 OR EXISTS (
       SELECT 1 FROM pg_catalog.unnest(p_scopes) AS s
       WHERE s IS NULL OR NOT s = ANY (internal.scopes())) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid scopes',
      DETAIL = pg_catalog.format('scopes %s%s', p_scopes, (
        SELECT ': ' || pg_catalog.string_agg(coalesce(pg_catalog.quote_literal(s), 'NULL'), ', ')
                    || ' not known'
        FROM pg_catalog.unnest(p_scopes) AS s WHERE s IS NULL OR NOT s = ANY (internal.scopes()))),
      HINT = pg_catalog.format('a key needs at least one of %s', internal.scopes());
  END IF;
  api_key_id := pg_catalog.uuidv7();
  IF internal.visible_length(p_name) = 0 THEN  -- white space or control characters only
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid key name',
      DETAIL = 'the name has no visible character',
      HINT = 'pass p_name => a name for the key, e.g. ''dispatch-bot''';
  END IF;
  v_secret := pg_catalog.translate(pg_catalog.rtrim(pg_catalog.encode(
    pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
    || pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 'base64'), '='), '+/', '-_');
  BEGIN
    INSERT INTO tenancy.api_keys (tenant_id, api_key_id, principal_id, name, prefix,
                                  secret_hash, scopes, expires_at)
    VALUES (v_tenant, api_key_id, p_principal_id, p_name,
            'ck_' || pg_catalog.left(pg_catalog.replace(api_key_id::text, '-', ''), 12),
            pg_catalog.sha256(pg_catalog.convert_to(v_secret, 'UTF8')), p_scopes, p_expires_at);
  EXCEPTION
    WHEN unique_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'key name taken',
        DETAIL = pg_catalog.format('the name %L is taken by another key of this tenant', p_name),
        HINT = 'name keys by holder and purpose, e.g. ''dispatch-bot 2026-12'' (api.list_api_keys)';
    WHEN check_violation OR not_null_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid key name',
        DETAIL = pg_catalog.format('the name %L is not 1 to 100 characters', p_name),
        HINT = 'pass p_name => a name for the key, e.g. ''dispatch-bot''';
  END;
  api_key := 'ck_' || pg_catalog.replace(v_tenant::text, '-', '')
             || pg_catalog.replace(api_key_id::text, '-', '') || '_' || v_secret;
END
$fn$;
