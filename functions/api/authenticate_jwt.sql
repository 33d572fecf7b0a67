-- api.authenticate_jwt: verify a JWT from a tenant's identity provider and establish the
-- tenant context for the rest of the transaction, exactly as api.authenticate does for an
-- API key (same result, same internal.set_context). The database verifies the token, so an
-- application with a SQL injection cannot act as anyone without a validly signed token.
--
-- Parameters: p_token, a compact JWS (header.payload.signature, base64url, at most 16 KiB).
-- Returns: the tenant, principal, its roles, and the scopes (those of the token's `scope`
-- claim, space-separated or an array of strings, that are Claw's, internal.scopes(), others
-- dropped; another shape is a malformed token; '{*}'
-- without the claim). Roles come from the principal's memberships, never
-- from the token.
-- Raises: CL401 for every refusal; the message says which check failed (malformed, algorithm
-- not allowed, unknown issuer, wrong audience, ambiguous audience, unknown kid, bad
-- signature, expired, not yet valid, issued in the future, unknown subject, principal
-- disabled); the detail never echoes the token or any part of it.
-- Checks, in order: shape and size; header: alg exactly "RS256" (no "none", no HS*, no
-- other: no shared-secret path exists, so HS/RS confusion has nothing to use), no `crit`,
-- a string kid; claims: string iss and sub, aud a string or an array of strings, numeric
-- exp; the tenant from the unique (iss, aud) route; the key by kid among that issuer's
-- keys; RSASSA-PKCS1-v1_5 SHA-256 (internal.rsa_verify_sha256); then exp, nbf, iat against
-- internal.now() with the issuer's max_skew_seconds (default 60); then sub -> principal.
-- Claims read before the signature check only choose which key to try; nothing of them is
-- trusted until the signature verified.
-- Writes nothing; reads under the tenant's system context, cleared on refusal.
CREATE OR REPLACE FUNCTION api.authenticate_jwt(p_token text)
RETURNS TABLE (tenant_id uuid, principal_id uuid, roles text[], scopes text[])
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_parts text[];
  v_header jsonb;
  v_claims jsonb;
  v_auds text[];
  v_tenant uuid;
  v_issuer uuid;
  v_routes integer;
  v_key record;
  v_skew integer;
  v_now numeric;
  v_subject record;
  v_roles text[];
  v_scopes text[];
BEGIN
  -- the shape first: a token over 16 KiB is malformed (CL401), before the size guard of
  -- every text input (64 KiB, CL422) could name this parameter to a client
  IF p_token IS NULL OR pg_catalog.octet_length(p_token) > 16384
     OR p_token !~ '^[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.][A-Za-z0-9_-]+$' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'a token is three base64url parts joined by dots, at most 16 KiB');
  END IF;
  PERFORM internal.require_size('p_token', p_token, 'text');
  v_parts := pg_catalog.string_to_array(p_token, '.');
  BEGIN
    v_header := pg_catalog.convert_from(internal.b64url_decode(v_parts[1]), 'UTF8')::jsonb;
    v_claims := pg_catalog.convert_from(internal.b64url_decode(v_parts[2]), 'UTF8')::jsonb;
  EXCEPTION WHEN character_not_in_repertoire OR invalid_text_representation
                 OR untranslatable_character OR null_value_not_allowed
                 OR numeric_value_out_of_range THEN  -- e.g. 1e1000000, which jsonb cannot hold
    v_header := NULL;
  END;
  IF pg_catalog.jsonb_typeof(v_header) IS DISTINCT FROM 'object'
     OR pg_catalog.jsonb_typeof(v_claims) IS DISTINCT FROM 'object' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'the header or the payload is not a base64url-encoded JSON object');
  END IF;
  IF (v_header -> 'alg') IS DISTINCT FROM '"RS256"'::jsonb THEN
    PERFORM internal.refuse_jwt('algorithm not allowed',
      'the token''s alg is not RS256, the only algorithm accepted (none and HS* never are)');
  END IF;
  IF v_header ? 'crit' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'the header names critical extensions (crit), which are not supported');
  END IF;
  IF pg_catalog.jsonb_typeof(v_header -> 'kid') IS DISTINCT FROM 'string' THEN
    PERFORM internal.refuse_jwt('unknown kid', 'the header carries no kid');
  END IF;
  IF pg_catalog.jsonb_typeof(v_claims -> 'iss') IS DISTINCT FROM 'string'
     OR pg_catalog.jsonb_typeof(v_claims -> 'sub') IS DISTINCT FROM 'string'
     OR pg_catalog.jsonb_typeof(v_claims -> 'exp') IS DISTINCT FROM 'number'
     OR pg_catalog.jsonb_typeof(v_claims -> 'aud') NOT IN ('string', 'array')
     OR v_claims -> 'aud' IS NULL
     OR pg_catalog.jsonb_typeof(coalesce(v_claims -> 'nbf', '0')) <> 'number'
     OR pg_catalog.jsonb_typeof(coalesce(v_claims -> 'iat', '0')) <> 'number' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'iss, sub and aud (a string or an array of strings) and a numeric exp are required; '
      'nbf and iat, when present, are numbers');
  END IF;
  IF pg_catalog.jsonb_typeof(v_claims -> 'aud') = 'string' THEN
    v_auds := ARRAY[v_claims ->> 'aud'];
  ELSE
    SELECT pg_catalog.array_agg(a ->> 0) INTO v_auds
    FROM pg_catalog.jsonb_array_elements(v_claims -> 'aud') AS x(a)
    WHERE pg_catalog.jsonb_typeof(a) = 'string';
  END IF;

  -- Which tenant: the unique (iss, aud) route (internal.jwt_routes, owner-only).
  SELECT count(*)::integer, min(r.tenant_id::text)::uuid, min(r.jwt_issuer_id::text)::uuid
    INTO v_routes, v_tenant, v_issuer
  FROM internal.jwt_routes AS r
  WHERE r.issuer = v_claims ->> 'iss' AND r.audience = ANY (v_auds);
  IF v_routes = 0 THEN
    IF EXISTS (SELECT 1 FROM internal.jwt_routes AS r WHERE r.issuer = v_claims ->> 'iss') THEN
      PERFORM internal.refuse_jwt('wrong audience',
        'no audience of the token is registered for its issuer');
    END IF;
    PERFORM internal.refuse_jwt('unknown issuer', 'the token''s issuer is not registered');
  ELSIF v_routes > 1 THEN
    PERFORM internal.refuse_jwt('ambiguous audience',
      'the token names several registered audiences of its issuer');
  END IF;

  PERFORM internal.set_context(v_tenant, NULL, '{system}');
  SELECT k.n, k.e, k.modulus_bytes, k.em_prefix, i.max_skew_seconds INTO v_key
  FROM tenancy.jwt_keys AS k
  JOIN tenancy.jwt_issuers AS i ON i.tenant_id = k.tenant_id AND i.jwt_issuer_id = k.jwt_issuer_id
  WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = v_issuer
    AND k.kid = v_header ->> 'kid';
  IF NOT FOUND THEN
    PERFORM internal.refuse_jwt('unknown kid',
      'the issuer has no registered key with the token''s kid (rotated out or never added)');
  END IF;
  IF NOT internal.rsa_verify_sha256(
       pg_catalog.convert_to(v_parts[1] || '.' || v_parts[2], 'UTF8'),
       internal.b64url_decode(v_parts[3]), v_key.n, v_key.e, v_key.modulus_bytes,
       v_key.em_prefix) THEN
    PERFORM internal.refuse_jwt('bad signature',
      'the RS256 signature does not verify with the key the kid names');
  END IF;

  -- The claims are authentic from here on.
  v_skew := v_key.max_skew_seconds;
  -- the instant of this call, not of the transaction's start: a transaction opened before
  -- a token expired must not keep authenticating with it (internal.clock_now)
  v_now := extract(epoch FROM internal.clock_now());
  IF v_now >= (v_claims ->> 'exp')::numeric + v_skew THEN
    PERFORM internal.refuse_jwt('token expired',
      pg_catalog.format('exp has passed (allowed clock skew %s s)', v_skew));
  END IF;
  IF v_now + v_skew < (v_claims ->> 'nbf')::numeric THEN
    PERFORM internal.refuse_jwt('token not yet valid',
      pg_catalog.format('nbf is in the future (allowed clock skew %s s)', v_skew));
  END IF;
  IF v_now + v_skew < (v_claims ->> 'iat')::numeric THEN
    PERFORM internal.refuse_jwt('token issued in the future',
      pg_catalog.format('iat is in the future (allowed clock skew %s s)', v_skew));
  END IF;

  SELECT s.principal_id, p.disabled_at INTO v_subject
  FROM tenancy.jwt_subjects AS s
  JOIN tenancy.principals AS p ON p.tenant_id = s.tenant_id AND p.principal_id = s.principal_id
  WHERE s.tenant_id = v_tenant AND s.jwt_issuer_id = v_issuer
    AND s.subject = v_claims ->> 'sub';
  IF NOT FOUND THEN
    PERFORM internal.refuse_jwt('unknown subject',
      'the token''s subject is not linked to a principal of the tenant');
  END IF;
  IF v_subject.disabled_at IS NOT NULL THEN
    PERFORM internal.refuse_jwt('principal disabled',
      pg_catalog.format('principal %s was disabled at %s', v_subject.principal_id,
                        v_subject.disabled_at));
  END IF;
  SELECT pg_catalog.array_agg(m.role ORDER BY m.role) INTO v_roles
  FROM tenancy.memberships AS m
  WHERE m.tenant_id = v_tenant AND m.principal_id = v_subject.principal_id;
  -- only Claw scopes (as API keys carry them): others match nothing, and a ',' or '|' in
  -- one would be read back from the context as other scopes ('x,*' as '*'). Every scope
  -- only without the claim: one present in another shape (null, an object) is malformed,
  -- never every scope, as it once was for anything but a string
  IF NOT v_claims ? 'scope' THEN
    v_scopes := '{*}';
  ELSIF pg_catalog.jsonb_typeof(v_claims -> 'scope') = 'string' THEN
    SELECT coalesce(pg_catalog.array_agg(s ORDER BY s), '{}') INTO v_scopes
    FROM pg_catalog.regexp_split_to_table(v_claims ->> 'scope', ' +') AS s
    WHERE s = ANY (internal.scopes());
  ELSIF pg_catalog.jsonb_typeof(v_claims -> 'scope') = 'array'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_claims -> 'scope') AS e
                        WHERE pg_catalog.jsonb_typeof(e) <> 'string') THEN
    -- as some identity providers send it: each element one scope
    SELECT coalesce(pg_catalog.array_agg(DISTINCT s ORDER BY s), '{}') INTO v_scopes
    FROM pg_catalog.jsonb_array_elements_text(v_claims -> 'scope') AS s
    WHERE s = ANY (internal.scopes());
  ELSE
    PERFORM internal.refuse_jwt('malformed token',
      'the scope claim is neither a space-separated string nor an array of strings');
  END IF;
  -- the credential (request rate limits): the token's subject, a principal of the tenant
  PERFORM internal.set_context(v_tenant, v_subject.principal_id,
                               coalesce(v_roles, '{}'), v_scopes,
                               'jwt:' || v_subject.principal_id::text);
  RETURN QUERY SELECT v_tenant, v_subject.principal_id, coalesce(v_roles, '{}'::text[]),
                      v_scopes;
END
$fn$;

COMMENT ON FUNCTION api.authenticate_jwt(text) IS
  'Verify an RS256 JWT (iss+aud route to a tenant, kid among its registered keys, exp/nbf/iat '
  'with bounded skew, sub linked to a principal) and set the tenant context for this '
  'transaction. Returns tenant, principal, roles, scopes. CL401 naming the failed check.';
GRANT EXECUTE ON FUNCTION api.authenticate_jwt(text) TO claw_runtime;
