-- Idempotency keys (see migrations/0018_create_edge.sql). A request with an Idempotency-Key
-- runs in one transaction: api.authenticate, api.begin_idempotent_request, the action,
-- api.finish_idempotent_request, COMMIT. begin takes a transaction-level advisory lock on
-- (tenant, principal, key) without waiting, so a concurrent duplicate is refused at once
-- (CL409) rather than queued behind the first; a later duplicate finds the stored response.
-- A request that fails rolls back and stores nothing: retrying it with the same key runs it
-- again (no effect was committed).

-- edge.idempotency_window: how long a key is remembered.
CREATE OR REPLACE FUNCTION edge.idempotency_window()
RETURNS interval
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT interval '24 hours' $fn$;

-- edge.idempotency_lock_key: the advisory lock of a key, 64 bits of a hash over the tenant,
-- principal and key (a collision can only make two different keys refuse each other while
-- both are in flight).
CREATE OR REPLACE FUNCTION edge.idempotency_lock_key(p_tenant_id uuid, p_principal_id uuid,
                                                     p_key text)
RETURNS bigint
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.hashtextextended(
    'idempotency|' || p_tenant_id::text || '|' || p_principal_id::text || '|' || p_key, 0)
$fn$;

-- edge.idempotency_mac: what binds the request api.begin_idempotent_request began (tenant,
-- principal, key, method, path, body hash) to this transaction: the settings claw.idempotent_*
-- can be written by any caller, so api.finish_idempotent_request stores only what carries
-- begin's MAC (keyed with the context key; runs inside the SECURITY DEFINER api functions).
CREATE OR REPLACE FUNCTION edge.idempotency_mac(p_tenant_id uuid, p_principal_id uuid,
                                                p_key text, p_method text, p_path text,
                                                p_request_sha256 text)
RETURNS text
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.encode(pg_catalog.sha256(k.secret || pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('idempotency|' || pg_catalog.jsonb_build_array(
             p_tenant_id, p_principal_id, p_key, p_method, p_path, p_request_sha256,
             pg_catalog.pg_current_xact_id()::text)::text, 'UTF8'))), 'hex')
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$fn$;

-- edge.idempotency_principal: the verified tenant and principal whose keys a request uses;
-- CL401 without a context or without a principal.
CREATE OR REPLACE FUNCTION edge.idempotency_principal(OUT tenant_id uuid, OUT principal_id uuid)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  SELECT c.tenant_id, c.principal_id INTO tenant_id, principal_id
  FROM internal.verified_context() AS c;
  IF tenant_id IS NULL OR principal_id IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = 'an idempotent request needs an authenticated principal',
      HINT = 'call api.authenticate(p_api_key => ...) first, in the same transaction';
  END IF;
END
$fn$;

-- edge.holds_api_key: whether a text contains a whole API key ('ck_' || 64 hex digits || '_'
-- || a 43-character base64url secret; functions/tenancy/issue_api_key.sql). Unbounded
-- repeats with the lengths checked apart (bounded ones expand into regex states).
CREATE OR REPLACE FUNCTION edge.holds_api_key(p_text text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.strpos(p_text, 'ck_') > 0 AND EXISTS (
    SELECT 1 FROM pg_catalog.regexp_matches(p_text, 'ck_([0-9a-f]+)_([A-Za-z0-9_-]+)', 'g') AS m
    WHERE pg_catalog.length(m[1]) >= 64 AND pg_catalog.length(m[2]) >= 43)
$fn$;

-- edge.require_idempotency_key: CL422 unless 1 to 255 visible ASCII characters.
CREATE OR REPLACE FUNCTION edge.require_idempotency_key(p_key text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_key IS NULL OR pg_catalog.length(p_key) NOT BETWEEN 1 AND 255
     OR p_key !~ '^[!-~]+$' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotency key',
      DETAIL = 'an Idempotency-Key is 1 to 255 visible ASCII characters (no spaces)',
      HINT = 'use a UUID per logical request, and the same one when retrying it';
  END IF;
END
$fn$;

-- edge.purge_idempotency_keys: delete expired keys in every tenant (claw_dispatcher:
-- BYPASSRLS). Returns how many.
CREATE OR REPLACE FUNCTION edge.purge_idempotency_keys()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_n bigint;
BEGIN
  DELETE FROM edge.idempotency_keys AS k WHERE k.expires_at <= internal.now();
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$fn$;
ALTER FUNCTION edge.purge_idempotency_keys() OWNER TO claw_dispatcher;
