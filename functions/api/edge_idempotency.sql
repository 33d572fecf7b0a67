-- Idempotency keys for the HTTP edge (and any client that wants the same guarantee over
-- SQL): see functions/edge/idempotency.sql for the flow.

-- api.begin_idempotent_request: start a request that carries an Idempotency-Key, inside the
-- request's transaction after authentication. Returns replay = false: go on, act, then call
-- api.finish_idempotent_request in the same transaction. replay = true: the same key was
-- used for the same request (method, path, body hash) within the window; return the stored
-- status, headers and body and do not act.
-- Raises: CL401 without a context (or one without a principal); CL422 malformed key or
-- hash; CL422 when the key was used for a different request (method, path or body) or by
-- another credential of the principal (a stored response replays to its credential); CL409
-- when a request with this key is in flight in another transaction right now.
-- Locks: a transaction-level advisory lock on (tenant, principal, key), until commit.
CREATE OR REPLACE FUNCTION api.begin_idempotent_request(p_key text, p_method text, p_path text,
                                                        p_request_sha256 text)
RETURNS TABLE (replay boolean, status integer, headers jsonb, body text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_ctx record;
  v_row edge.idempotency_keys;
BEGIN
  PERFORM internal.require_size('p_key', p_key, 'name'),
          internal.require_size('p_method', p_method, 'name'),
          internal.require_size('p_path', p_path, 'text'),
          internal.require_size('p_request_sha256', p_request_sha256, 'name');
  SELECT * INTO v_ctx FROM edge.idempotency_principal();
  PERFORM edge.require_idempotency_key(p_key);
  IF p_request_sha256 IS NULL OR p_request_sha256 !~ '^[0-9a-f]+$'
     OR pg_catalog.length(p_request_sha256) <> 64
     OR p_method IS NULL OR pg_catalog.length(p_method) NOT BETWEEN 1 AND 16
     OR p_path IS NULL OR pg_catalog.length(p_path) NOT BETWEEN 1 AND 2048 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotent request',
      DETAIL = 'p_method (1-16 characters), p_path (1-2048) and p_request_sha256 (64 hex '
               'digits of the body''s SHA-256) are required',
      HINT = 'hash the exact request body bytes';
  END IF;
  IF NOT pg_catalog.pg_try_advisory_xact_lock(
           edge.idempotency_lock_key(v_ctx.tenant_id, v_ctx.principal_id, p_key)) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'request in flight',
      DETAIL = 'a request with this Idempotency-Key is being processed right now',
      HINT = 'wait for it to finish, then retry: the retry gets its response';
  END IF;
  SELECT * INTO v_row FROM edge.idempotency_keys AS k
  WHERE k.tenant_id = v_ctx.tenant_id AND k.principal_id = v_ctx.principal_id
    AND k.idempotency_key = p_key;
  IF FOUND AND v_row.expires_at <= internal.now() THEN
    DELETE FROM edge.idempotency_keys AS k
    WHERE k.tenant_id = v_row.tenant_id AND k.idempotency_key_id = v_row.idempotency_key_id;
  ELSIF FOUND THEN
    IF v_row.credential IS DISTINCT FROM internal.context_credential() THEN
      -- another credential of the principal (perhaps one with narrower scopes) must not get
      -- a response that its own scopes might refuse
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'idempotency key reused',
        DETAIL = pg_catalog.format(
          'this Idempotency-Key was first used with another credential of this principal at %s',
          v_row.created_at),
        HINT = 'retry with the credential that sent the first request, or use a new key';
    END IF;
    IF (v_row.request_method, v_row.request_path, v_row.request_sha256)
       IS DISTINCT FROM (p_method, p_path, p_request_sha256) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'idempotency key reused',
        DETAIL = pg_catalog.format(
          'this Idempotency-Key was first used for %s %s with another body at %s',
          v_row.request_method, v_row.request_path, v_row.created_at),
        HINT = 'use a new key for a new request; reuse a key only to retry the same request';
    END IF;
    RETURN QUERY SELECT true, v_row.response_status, v_row.response_headers, v_row.response_body;
    RETURN;
  END IF;
  -- what api.finish_idempotent_request will store (this transaction only)
  PERFORM pg_catalog.set_config('claw.idempotent_key', p_key, true),
          pg_catalog.set_config('claw.idempotent_method', p_method, true),
          pg_catalog.set_config('claw.idempotent_path', p_path, true),
          pg_catalog.set_config('claw.idempotent_sha256', p_request_sha256, true),
          pg_catalog.set_config('claw.idempotent_mac', edge.idempotency_mac(
            v_ctx.tenant_id, v_ctx.principal_id, p_key, p_method, p_path, p_request_sha256), true);
  RETURN QUERY SELECT false, NULL::integer, NULL::jsonb, NULL::text;
END
$fn$;
COMMENT ON FUNCTION api.begin_idempotent_request(text, text, text, text) IS
  'Start a request with an Idempotency-Key (after authenticate, in the request''s '
  'transaction): replay = true returns the stored response of the same request; CL422 '
  'when the key was used for another request; CL409 when it is in flight. Then act and call '
  'api.finish_idempotent_request before COMMIT. Keys are kept 24 hours.';
GRANT EXECUTE ON FUNCTION api.begin_idempotent_request(text, text, text, text) TO claw_runtime;

-- api.finish_idempotent_request: store the response of the request begun with
-- api.begin_idempotent_request, in the same transaction (it commits with the effect).
-- Raises: CL401 without a context; CL409 when the key is not held by this transaction
-- (begin was not called, or it replayed, or the claw.idempotent_* settings were not written
-- by begin for this principal: they carry begin's MAC); CL422 a status outside 100-599, headers not an
-- object, a body over 1 MiB, or a body holding a whole API key (only its hash is kept);
-- 40001 when another transaction completed the same key after this one's snapshot
-- (REPEATABLE READ or SERIALIZABLE): roll back and retry, the retry replays.
CREATE OR REPLACE FUNCTION api.finish_idempotent_request(p_key text, p_status integer,
                                                         p_headers jsonb, p_body text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_ctx record;
  v_method text;
  v_path text;
  v_hash text;
  v_now timestamptz := internal.now();
BEGIN
  PERFORM internal.require_size('p_key', p_key, 'name'),
          internal.require_size('p_headers', p_headers, 'json'),
          internal.require_size('p_body', p_body, 'document');
  SELECT * INTO v_ctx FROM edge.idempotency_principal();
  PERFORM edge.require_idempotency_key(p_key);
  IF p_status IS NULL OR p_status NOT BETWEEN 100 AND 599
     OR pg_catalog.jsonb_typeof(coalesce(p_headers, '{}')) <> 'object'
     OR p_body IS NULL OR pg_catalog.octet_length(p_body) > 1048576 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid stored response',
      DETAIL = 'p_status 100-599, p_headers a JSON object, p_body at most 1 MiB',
      HINT = 'responses larger than 1 MiB cannot be replayed; page them';
  END IF;
  v_method := pg_catalog.current_setting('claw.idempotent_method', true);
  v_path := pg_catalog.current_setting('claw.idempotent_path', true);
  v_hash := pg_catalog.current_setting('claw.idempotent_sha256', true);
  IF pg_catalog.current_setting('claw.idempotent_key', true) IS DISTINCT FROM p_key
     OR coalesce(v_method, '') = ''
     OR pg_catalog.current_setting('claw.idempotent_mac', true) IS DISTINCT FROM
        edge.idempotency_mac(v_ctx.tenant_id, v_ctx.principal_id, p_key, v_method, v_path, v_hash)
  THEN  -- begun by begin in this transaction for this principal, not set by the caller
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'idempotency key not begun',
      DETAIL = 'this transaction did not begin a new request with this Idempotency-Key',
      HINT = 'call api.begin_idempotent_request first; a replayed request stores nothing';
  END IF;
  IF edge.holds_api_key(p_body) THEN  -- only sha256 of a key's secret is ever kept
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'stored response holds an API key',
      DETAIL = 'the response to keep for replay contains a whole API key (its secret)',
      HINT = 'store the response without the secret: it is shown once, never replayed';
  END IF;
  BEGIN
    INSERT INTO edge.idempotency_keys (tenant_id, principal_id, idempotency_key, request_method,
                                       request_path, request_sha256, response_status,
                                       response_headers, response_body, created_at, expires_at,
                                       credential)
    VALUES (v_ctx.tenant_id, v_ctx.principal_id, p_key, v_method, v_path, v_hash, p_status,
            coalesce(p_headers, '{}'), p_body, v_now, v_now + edge.idempotency_window(),
            internal.context_credential());
  EXCEPTION WHEN unique_violation THEN
    -- a REPEATABLE READ or SERIALIZABLE transaction whose snapshot predates another's
    -- completed request with this key: begin could not see its response, so this one acted
    -- again; it must not commit (in READ COMMITTED begin's lock makes it see the response)
    RAISE EXCEPTION USING ERRCODE = '40001',
      MESSAGE = 'idempotent request completed by another transaction',
      DETAIL = 'a request with this Idempotency-Key completed after this transaction''s '
               'snapshot was taken; this transaction''s effects must roll back',
      HINT = 'roll back and retry: the retry replays the stored response';
  END;
  PERFORM pg_catalog.set_config('claw.idempotent_key', '', true);
END
$fn$;
COMMENT ON FUNCTION api.finish_idempotent_request(text, integer, jsonb, text) IS
  'Store the response of the request begun with api.begin_idempotent_request (same '
  'transaction); a later request with the same key and body replays it.';
GRANT EXECUTE ON FUNCTION api.finish_idempotent_request(text, integer, jsonb, text) TO claw_runtime;

-- api.purge_idempotency_keys: the worker's retention: delete expired keys in every tenant.
-- Returns how many.
CREATE OR REPLACE FUNCTION api.purge_idempotency_keys()
RETURNS bigint
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT edge.purge_idempotency_keys() $fn$;
COMMENT ON FUNCTION api.purge_idempotency_keys() IS
  'Worker: delete expired idempotency keys (older than 24 hours) in every tenant.';
GRANT EXECUTE ON FUNCTION api.purge_idempotency_keys() TO claw_worker;
