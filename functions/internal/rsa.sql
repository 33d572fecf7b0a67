-- RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 section 8.2) verification in PL/pgSQL,
-- for api.authenticate_jwt: the database itself checks the signature of a JWT, so an
-- application with a SQL injection cannot establish a principal without a validly signed
-- token. No pgcrypto: SHA-256 is PostgreSQL's built-in sha256(), the RSA public operation
-- s^e mod n is square-and-multiply over numeric (exact arbitrary-precision integers).
--
-- Verification is "encode and compare" (RFC 8017 8.2.2 step 3-4): the expected encoded
-- message EM = 0x00 01 FF..FF 00 || DigestInfo(SHA-256) || SHA-256(message) is built from
-- the message and compared, as a number, with s^e mod n. Nothing of the decrypted block is
-- parsed, so padding-parsing forgeries (Bleichenbacher 2006, BERserk) have nothing to hit.
-- Only public data is handled; nothing is cached.

-- internal.b64url_decode: strict base64url without padding (RFC 7515 section 2); NULL for
-- anything else (padding, whitespace, '+', '/', an impossible length, or spare bits of the
-- last character that are not zero: every byte string has exactly one accepted encoding,
-- so a signature cannot be re-encoded into a second token).
CREATE OR REPLACE FUNCTION internal.b64url_decode(p_text text)
RETURNS bytea
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_len integer := pg_catalog.length(p_text);
  v_bytes bytea;
BEGIN
  IF p_text IS NULL OR p_text !~ '^[A-Za-z0-9_-]*$' OR v_len % 4 = 1 THEN
    RETURN NULL;
  END IF;
  v_bytes := pg_catalog.decode(pg_catalog.translate(p_text, '-_', '+/')
                               || pg_catalog.repeat('=', (4 - v_len % 4) % 4), 'base64');
  IF pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(v_bytes, 'base64'), E'+/\n', '-_'),
                      '=') <> p_text THEN
    RETURN NULL;
  END IF;
  RETURN v_bytes;
END
$fn$;

-- internal.bytes_to_numeric: a big-endian unsigned integer (RSA n, e, signatures) as numeric,
-- seven bytes at a time.
CREATE OR REPLACE FUNCTION internal.bytes_to_numeric(p_bytes bytea)
RETURNS numeric
LANGUAGE plpgsql
IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_len integer := pg_catalog.length(p_bytes);
  v_head integer := v_len % 7;
  v_result numeric := 0;
  v_pos integer;
BEGIN
  IF v_head > 0 THEN
    v_result := ('x' || pg_catalog.lpad(pg_catalog.encode(pg_catalog.substr(p_bytes, 1, v_head),
                                                            'hex'), 16, '0'))::bit(64)::bigint;
  END IF;
  v_pos := v_head + 1;
  WHILE v_pos <= v_len LOOP
    v_result := v_result * 72057594037927936  -- 2^56
      + ('x' || '00' || pg_catalog.encode(pg_catalog.substr(p_bytes, v_pos, 7), 'hex'))::bit(64)::bigint;
    v_pos := v_pos + 7;
  END LOOP;
  RETURN v_result;
END
$fn$;

-- internal.rsa_modexp: p_base ^ p_exponent mod p_modulus by right-to-left square-and-multiply
-- (e = 65537: 17 squarings, 2 multiplications). Public-key operation only: timing depends on
-- public values (e, n) and the signature, never on a secret.
CREATE OR REPLACE FUNCTION internal.rsa_modexp(p_base numeric, p_exponent numeric,
                                               p_modulus numeric)
RETURNS numeric
LANGUAGE plpgsql
IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_result numeric := 1;
  v_base numeric := pg_catalog.mod(p_base, p_modulus);
  v_exp numeric := p_exponent;
BEGIN
  WHILE v_exp > 0 LOOP
    IF pg_catalog.mod(v_exp, 2) = 1 THEN
      v_result := pg_catalog.mod(v_result * v_base, p_modulus);
    END IF;
    v_exp := pg_catalog.div(v_exp, 2);
    IF v_exp > 0 THEN
      v_base := pg_catalog.mod(v_base * v_base, p_modulus);
    END IF;
  END LOOP;
  RETURN v_result;
END
$fn$;

-- internal.rsa_pkcs1_prefix: the part of EM that does not depend on the message, as a number
-- already shifted past the 32-byte hash: (0x00 01 FF..FF 00 || DigestInfo(SHA-256)) * 2^256,
-- for a modulus of p_modulus_bytes bytes (stored with each key; at least 62 bytes, so PS
-- holds at least 8 bytes of 0xFF as RFC 8017 requires).
CREATE OR REPLACE FUNCTION internal.rsa_pkcs1_prefix(p_modulus_bytes integer)
RETURNS numeric
LANGUAGE sql
IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT internal.bytes_to_numeric(
           pg_catalog.decode('0001', 'hex')
           || pg_catalog.decode(pg_catalog.repeat('ff', p_modulus_bytes - 3 - 51), 'hex')
           || pg_catalog.decode('00', 'hex')
           || pg_catalog.decode('3031300d060960864801650304020105000420', 'hex'))  -- DigestInfo, SHA-256
         * (2::numeric ^ 256)
$fn$;

-- internal.rsa_verify_sha256: does p_signature verify p_message under the RSA public key
-- (n, e, k = length of n in bytes, p_prefix = internal.rsa_pkcs1_prefix(k), kept with the
-- key)? RSASSA-PKCS1-v1_5 with SHA-256: the signature must be exactly k bytes and below n,
-- and s^e mod n must equal EM exactly.
CREATE OR REPLACE FUNCTION internal.rsa_verify_sha256(p_message bytea, p_signature bytea,
                                                      p_n numeric, p_e numeric,
                                                      p_modulus_bytes integer, p_prefix numeric)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_s numeric;
BEGIN
  IF p_message IS NULL OR p_signature IS NULL OR p_n IS NULL OR p_e IS NULL
     OR p_prefix IS NULL OR pg_catalog.length(p_signature) <> p_modulus_bytes THEN
    RETURN false;
  END IF;
  v_s := internal.bytes_to_numeric(p_signature);
  IF v_s >= p_n THEN
    RETURN false;
  END IF;
  RETURN internal.rsa_modexp(v_s, p_e, p_n)
         = p_prefix + internal.bytes_to_numeric(pg_catalog.sha256(p_message));
END
$fn$;
