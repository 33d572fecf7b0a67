-- JWT issuers, keys and subjects: registration by platform operators (`claw jwt ...`, or the
-- administrator in psql). Not granted to any login role: which (iss, aud) pair routes
-- tokens to which tenant decides who a token is, and a tenant that could register another
-- tenant's pair (squatting) would receive that tenant's users' tokens, so registration is
-- an operator action, never a tenant's. Every change lands in the tenant's audit chain
-- (functions/tenancy/audit_tracking.sql): issuers, keys (kid, thumbprint, size; not n),
-- subject links.
--
-- Flow: add_jwt_issuer (tenant, iss, aud, skew) -> set_jwt_keys (the JWKS: the key set
-- becomes exactly its usable RS256 keys, so rotation is publishing old and new kid
-- together, then the new one alone) -> link_jwt_subject (sub -> principal). remove_jwt_key
-- stops one kid at once; remove_jwt_issuer removes the route, keys and links. Like
-- tenancy.create_tenant, they leave the transaction in the issuer's tenant's system context.
-- Tenant owners and admins list their issuers and link subjects through the api
-- (functions/api/jwt_issuers.sql).

-- tenancy.jwt_issuer_context: the tenant of an issuer, with that tenant's system context
-- set for the rest of the transaction. CL404 for an unknown issuer.
CREATE OR REPLACE FUNCTION tenancy.jwt_issuer_context(p_jwt_issuer_id uuid)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
BEGIN
  SELECT r.tenant_id INTO v_tenant FROM internal.jwt_routes AS r
  WHERE r.jwt_issuer_id = p_jwt_issuer_id;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'JWT issuer not found',
      DETAIL = pg_catalog.format('no issuer %s is registered', p_jwt_issuer_id),
      HINT = 'claw jwt list shows the registered issuers';
  END IF;
  PERFORM internal.set_context(v_tenant, NULL, '{system}');
  RETURN v_tenant;
END
$fn$;

-- tenancy.valid_jwks_url: NULL (no URL) or https; plain http only to this host (a sidecar:
-- 127.0.0.1, [::1], localhost), since keys fetched over http from elsewhere can be replaced
-- by anyone on the network path, who could then mint tokens for the tenant.
CREATE OR REPLACE FUNCTION tenancy.valid_jwks_url(p_url text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT p_url IS NULL
      OR (pg_catalog.length(p_url) <= 2000  -- the column's limit (a raw 23514 beyond it)
          AND (p_url ~ '^https://[^/?#]+'
               OR p_url ~ '^http://(127[.]0[.]0[.]1|[[]::1[]]|localhost)(:[0-9]+)?(/|$)'))
$fn$;

-- tenancy.add_jwt_issuer: accept tokens of issuer p_issuer for audience p_audience in a
-- tenant. The pair must be free in every tenant (CL409 otherwise: a token must never be
-- able to mean two tenants). p_max_skew_seconds (0-300, default 60) is the clock skew
-- allowed on exp, nbf and iat; p_jwks_url where `claw jwt refresh` fetches the keys.
-- Returns the issuer id. Raises CL404 unknown tenant, CL409 pair taken, CL422 bad input.
CREATE OR REPLACE FUNCTION tenancy.add_jwt_issuer(p_tenant_id uuid, p_issuer text,
                                                  p_audience text,
                                                  p_max_skew_seconds integer DEFAULT 60,
                                                  p_jwks_url text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid := pg_catalog.uuidv7();
BEGIN
  IF p_issuer IS NULL OR pg_catalog.length(p_issuer) NOT BETWEEN 1 AND 500
     OR p_audience IS NULL OR pg_catalog.length(p_audience) NOT BETWEEN 1 AND 500
     OR p_max_skew_seconds IS NULL OR p_max_skew_seconds NOT BETWEEN 0 AND 300
     OR NOT tenancy.valid_jwks_url(p_jwks_url) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWT issuer',
      DETAIL = 'issuer and audience are 1-500 characters, the skew 0-300 seconds, the JWKS '
               'URL https (http only on this host: 127.0.0.1, ::1 or localhost), at most '
               '2000 characters',
      HINT = 'the issuer is the iss claim exactly; the audience one value of aud';
  END IF;
  -- the pair first: two operators adding it at once both passed the check below and the
  -- second got the routes' raw 23505
  PERFORM internal.lock_named(pg_catalog.format('tenancy.jwt_route|%s|%s', p_issuer, p_audience),
                              true);
  IF EXISTS (SELECT 1 FROM internal.jwt_routes AS r
             WHERE r.issuer = p_issuer AND r.audience = p_audience) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'JWT issuer and audience already registered',
      DETAIL = 'this (iss, aud) pair already routes tokens to a tenant',
      HINT = 'each tenant needs its own audience (client id) at the identity provider';
  END IF;
  PERFORM internal.set_context(p_tenant_id, NULL, '{system}');
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.tenant_id = p_tenant_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tenant not found',
      DETAIL = pg_catalog.format('no tenant %s', p_tenant_id), HINT = 'check the tenant id';
  END IF;
  INSERT INTO tenancy.jwt_issuers (tenant_id, jwt_issuer_id, issuer, audience, max_skew_seconds,
                                   jwks_url)
  VALUES (p_tenant_id, v_id, p_issuer, p_audience, p_max_skew_seconds, p_jwks_url);
  INSERT INTO internal.jwt_routes (issuer, audience, tenant_id, jwt_issuer_id)
  VALUES (p_issuer, p_audience, p_tenant_id, v_id);
  RETURN v_id;
END
$fn$;

COMMENT ON FUNCTION tenancy.add_jwt_issuer(uuid, text, text, integer, text) IS
  'Operator: accept RS256 tokens of an issuer for an audience in a tenant (the pair unique '
  'across tenants); returns the issuer id.';

-- tenancy.jwk_rsa: one JWK (RFC 7517/7518 RSA public key) as the row tenancy.jwt_keys
-- stores, or NULL with p_reason when the key is not a usable RS256 signing key (another kty,
-- use other than sig, alg other than RS256). CL422 for a key that claims to be one and is
-- malformed or weaker than 2048 bits.
CREATE OR REPLACE FUNCTION tenancy.jwk_rsa(p_jwk jsonb, OUT kid text, OUT n numeric,
                                           OUT e numeric, OUT modulus_bytes integer,
                                           OUT em_prefix numeric, OUT thumbprint text,
                                           OUT reason text)
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_n bytea;
  v_e bytea;
BEGIN
  kid := p_jwk ->> 'kid';
  IF p_jwk ->> 'kty' IS DISTINCT FROM 'RSA' THEN
    reason := 'not an RSA key';
  ELSIF coalesce(p_jwk ->> 'use', 'sig') <> 'sig' THEN
    reason := 'not a signing key (use)';
  ELSIF coalesce(p_jwk ->> 'alg', 'RS256') <> 'RS256' THEN
    reason := 'not an RS256 key (alg)';
  END IF;
  IF reason IS NOT NULL THEN
    RETURN;
  END IF;
  v_n := internal.b64url_decode(p_jwk ->> 'n');
  v_e := internal.b64url_decode(p_jwk ->> 'e');
  IF pg_catalog.jsonb_typeof(p_jwk -> 'kid') IS DISTINCT FROM 'string'
     OR pg_catalog.length(kid) NOT BETWEEN 1 AND 200
     OR v_n IS NULL OR v_e IS NULL OR pg_catalog.length(v_e) NOT BETWEEN 1 AND 8 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWK',
      DETAIL = pg_catalog.format('key %s: kid (1-200 characters), n and e (base64url) are required',
                                 coalesce(pg_catalog.quote_literal(pg_catalog.left(kid, 200)), 'without kid')),
      HINT = 'pass the identity provider''s JWKS document unchanged';
  END IF;
  n := internal.bytes_to_numeric(v_n);
  e := internal.bytes_to_numeric(v_e);
  -- k, the length of n in bytes without leading zero bytes (RFC 8017: signatures are k bytes)
  modulus_bytes := pg_catalog.length(pg_catalog.regexp_replace(pg_catalog.encode(v_n, 'hex'),
                                                               '^(00)+', '')) / 2;
  IF modulus_bytes < 256 OR modulus_bytes > 1024 OR e < 3 OR pg_catalog.mod(e, 2) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWK',
      DETAIL = pg_catalog.format('key %L: the modulus must be 2048-8192 bits and e odd and >= 3',
                                 kid),
      HINT = 'RS256 keys shorter than 2048 bits are refused';
  END IF;
  em_prefix := internal.rsa_pkcs1_prefix(modulus_bytes);
  -- RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
  thumbprint := pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(pg_catalog.sha256(
    pg_catalog.convert_to(pg_catalog.format('{"e":"%s","kty":"RSA","n":"%s"}',
                                            p_jwk ->> 'e', p_jwk ->> 'n'), 'UTF8')), 'base64'),
    E'+/\n', '-_'), '=');
END
$fn$;

-- tenancy.set_jwt_keys: make the issuer's key set exactly the usable RS256 keys of a JWKS
-- document ({"keys": [...]}): new kids are added, a kid whose key changed is replaced, kids
-- missing from the document are removed (their tokens fail with "unknown kid" at once).
-- Rotation: publish the old and the new key together (both verify), later the new alone.
-- Returns per kid: added, replaced, kept, removed, or skipped (with why). Raises CL404
-- unknown issuer, CL422 a malformed document or key, a duplicate kid, or no usable key
-- (nothing is changed then). Locks: the issuer row (FOR UPDATE), so two refreshes of one
-- issuer apply one after the other.
CREATE OR REPLACE FUNCTION tenancy.set_jwt_keys(p_jwt_issuer_id uuid, p_jwks jsonb)
RETURNS TABLE (kid text, action text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
  v_keys jsonb;
  v_removed text[];
BEGIN
  IF pg_catalog.jsonb_typeof(p_jwks -> 'keys') IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWKS',
      DETAIL = 'a JWKS is a JSON object with a "keys" array',
      HINT = 'pass the document the issuer publishes at its jwks_uri';
  END IF;
  PERFORM 1 FROM tenancy.jwt_issuers AS i
  WHERE i.tenant_id = v_tenant AND i.jwt_issuer_id = p_jwt_issuer_id FOR UPDATE;
  SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(k)), '[]') INTO v_keys
  FROM pg_catalog.jsonb_array_elements(p_jwks -> 'keys') AS j(jwk),
       LATERAL tenancy.jwk_rsa(j.jwk) AS k;
  IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_keys) AS x(k)
             WHERE x.k ->> 'reason' IS NULL GROUP BY x.k ->> 'kid' HAVING count(*) > 1) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWKS',
      DETAIL = 'two usable keys share a kid', HINT = 'every key needs its own kid';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_keys) AS x(k)
                 WHERE x.k ->> 'reason' IS NULL) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWKS',
      DETAIL = 'the document holds no usable RS256 signing key',
      HINT = 'use remove_jwt_issuer to stop accepting the issuer altogether';
  END IF;
  -- Keys whose kid left the set, or whose key material changed, go first (so a replaced
  -- kid is free for its new key); then the new ones are added.
  WITH removed AS (
    DELETE FROM tenancy.jwt_keys AS k
    WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = p_jwt_issuer_id
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_keys) AS x(j)
                      WHERE x.j ->> 'reason' IS NULL AND x.j ->> 'kid' = k.kid
                        AND x.j ->> 'thumbprint' = k.thumbprint)
    RETURNING k.kid
  )
  SELECT pg_catalog.array_agg(r.kid) INTO v_removed FROM removed AS r;
  RETURN QUERY
  WITH added AS (
    INSERT INTO tenancy.jwt_keys AS k (tenant_id, jwt_issuer_id, kid, n, e, modulus_bytes,
                                      em_prefix, thumbprint)
    SELECT v_tenant, p_jwt_issuer_id, x.kid, x.n, x.e, x.modulus_bytes, x.em_prefix,
           x.thumbprint
    FROM pg_catalog.jsonb_to_recordset(v_keys) AS x(kid text, n numeric, e numeric,
           modulus_bytes integer, em_prefix numeric, thumbprint text, reason text)
    WHERE x.reason IS NULL
      AND NOT EXISTS (SELECT 1 FROM tenancy.jwt_keys AS o
                      WHERE o.tenant_id = v_tenant AND o.jwt_issuer_id = p_jwt_issuer_id
                        AND o.kid = x.kid)
    RETURNING k.kid
  )
  SELECT a.kid, CASE WHEN a.kid = ANY (v_removed) THEN 'replaced' ELSE 'added' END
  FROM added AS a
  UNION ALL
  SELECT r.kid, 'removed' FROM pg_catalog.unnest(v_removed) AS r(kid)
  WHERE NOT EXISTS (SELECT 1 FROM added AS a WHERE a.kid = r.kid)
  UNION ALL
  SELECT x.j ->> 'kid', CASE WHEN x.j ->> 'reason' IS NULL THEN 'kept'
                             ELSE 'skipped: ' || (x.j ->> 'reason') END
  FROM pg_catalog.jsonb_array_elements(v_keys) AS x(j)
  WHERE x.j ->> 'reason' IS NOT NULL
     OR NOT (x.j ->> 'kid' = ANY (coalesce(v_removed, '{}'))
             OR EXISTS (SELECT 1 FROM added AS a WHERE a.kid = x.j ->> 'kid'));
END
$fn$;

COMMENT ON FUNCTION tenancy.set_jwt_keys(uuid, jsonb) IS
  'Operator: the issuer''s keys become exactly the usable RS256 keys of a JWKS document '
  '(added, replaced, kept, removed per kid).';

-- tenancy.remove_jwt_key: stop one kid at once. CL404 when the issuer has no such kid.
CREATE OR REPLACE FUNCTION tenancy.remove_jwt_key(p_jwt_issuer_id uuid, p_kid text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
BEGIN
  DELETE FROM tenancy.jwt_keys AS k
  WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = p_jwt_issuer_id AND k.kid = p_kid;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'JWT key not found',
      DETAIL = pg_catalog.format('issuer %s has no key %L', p_jwt_issuer_id, p_kid),
      HINT = 'claw jwt list shows the kids of each issuer';
  END IF;
END
$fn$;

COMMENT ON FUNCTION tenancy.remove_jwt_key(uuid, text) IS
  'Operator: remove one key (kid) of an issuer; its tokens are refused at once.';

-- tenancy.remove_jwt_issuer: stop accepting an issuer: its route, keys and subject links go.
CREATE OR REPLACE FUNCTION tenancy.remove_jwt_issuer(p_jwt_issuer_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
BEGIN
  DELETE FROM tenancy.jwt_subjects AS s
  WHERE s.tenant_id = v_tenant AND s.jwt_issuer_id = p_jwt_issuer_id;
  DELETE FROM tenancy.jwt_keys AS k
  WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = p_jwt_issuer_id;
  DELETE FROM internal.jwt_routes AS r WHERE r.jwt_issuer_id = p_jwt_issuer_id;
  DELETE FROM tenancy.jwt_issuers AS i
  WHERE i.tenant_id = v_tenant AND i.jwt_issuer_id = p_jwt_issuer_id;
END
$fn$;

COMMENT ON FUNCTION tenancy.remove_jwt_issuer(uuid) IS
  'Operator: stop accepting an issuer; removes its route, keys and subject links.';

-- tenancy.put_jwt_subject: link (or move) a subject of an issuer of p_tenant_id to one of
-- its principals, under the caller's context (the operator's system context, or an owner's
-- or admin's through api.link_jwt_subject). Raises CL404 unknown principal, CL422 subject.
CREATE OR REPLACE FUNCTION tenancy.put_jwt_subject(p_tenant_id uuid, p_jwt_issuer_id uuid,
                                                   p_subject text, p_principal_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_subject IS NULL OR pg_catalog.length(p_subject) NOT BETWEEN 1 AND 500 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid subject',
      DETAIL = 'the subject is the sub claim exactly, 1-500 characters',
      HINT = 'copy sub from a decoded token of the identity provider';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM tenancy.principals AS p
                 WHERE p.tenant_id = p_tenant_id AND p.principal_id = p_principal_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'principal not found',
      DETAIL = pg_catalog.format('no principal %s in the issuer''s tenant', p_principal_id),
      HINT = 'a subject links to a principal of the tenant that registered the issuer';
  END IF;
  INSERT INTO tenancy.jwt_subjects AS s (tenant_id, jwt_issuer_id, subject, principal_id)
  VALUES (p_tenant_id, p_jwt_issuer_id, p_subject, p_principal_id)
  ON CONFLICT (tenant_id, jwt_issuer_id, subject)
  DO UPDATE SET principal_id = EXCLUDED.principal_id
  WHERE s.principal_id IS DISTINCT FROM EXCLUDED.principal_id;
END
$fn$;

-- tenancy.link_jwt_subject: tokens of this issuer whose sub is p_subject act as principal
-- p_principal_id (of the issuer's tenant; a link to another principal is replaced).
-- Raises CL404 unknown issuer or principal, CL422 bad subject.
CREATE OR REPLACE FUNCTION tenancy.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text,
                                                    p_principal_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM tenancy.put_jwt_subject(tenancy.jwt_issuer_context(p_jwt_issuer_id), p_jwt_issuer_id,
                                  p_subject, p_principal_id);
END
$fn$;

COMMENT ON FUNCTION tenancy.link_jwt_subject(uuid, text, uuid) IS
  'Operator: tokens of an issuer with this sub act as this principal of its tenant.';

-- tenancy.configure_jwt_issuer: change an issuer's allowed clock skew (0-300 s) and, when
-- given, its JWKS URL (NULL keeps it). Raises CL404 unknown issuer, CL422 out of range.
CREATE OR REPLACE FUNCTION tenancy.configure_jwt_issuer(p_jwt_issuer_id uuid,
                                                        p_max_skew_seconds integer,
                                                        p_jwks_url text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
BEGIN
  IF p_max_skew_seconds IS NULL OR p_max_skew_seconds NOT BETWEEN 0 AND 300
     OR NOT tenancy.valid_jwks_url(p_jwks_url) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWT issuer',
      DETAIL = 'the skew is 0-300 seconds, the JWKS URL https (http only on this host: '
               '127.0.0.1, ::1 or localhost)',
      HINT = 'a small skew (60 s) tolerates clocks that drift; more only widens replay windows';
  END IF;
  UPDATE tenancy.jwt_issuers AS i
  SET max_skew_seconds = p_max_skew_seconds, jwks_url = coalesce(p_jwks_url, i.jwks_url)
  WHERE i.tenant_id = v_tenant AND i.jwt_issuer_id = p_jwt_issuer_id;
END
$fn$;

COMMENT ON FUNCTION tenancy.configure_jwt_issuer(uuid, integer, text) IS
  'Operator: set an issuer''s allowed clock skew on exp/nbf/iat (0-300 s) and its JWKS URL.';
