-- Call tokens: what lets api.finish_llm_call record a call without a fresh credential.
-- api.begin_llm_call returns one with each reservation; the caller hands it back with the
-- outcome. Once the provider has answered it has charged for the call, so the cost must reach
-- the ledger and the budget even if the credential that began the call stopped
-- authenticating in between (an API key revoked or expired, a job lease taken over by
-- another worker); authenticating again in the finish would refuse it and lose the spend.
-- It also spares the finish a second API key verification.
--
--   'lc1.<tenant>.<principal, or empty>.<roles>.<reservation>.<until>.<request hash>.<mac>'
--
-- roles: the begin context's roles among those that may call (owner, admin, operator,
-- worker), comma-separated. until: the last second the token is good for (epoch seconds),
-- the reservation's deadline plus an hour; later, a call is recorded only in an
-- authenticated context (a late finish). request hash: the one begin was given (the cache
-- key's source), or empty; a finish with the token fills the cache only under that hash.
-- mac: SHA-256 keyed twice with the context secret (like the tenant context's MAC), over
-- 'llm-call|' and the rest of the token: it cannot be forged, altered (another tenant,
-- principal, role, call, lifetime or hash) or taken from another kind of MAC. A token is a
-- bearer credential for one thing, recording its own call: whoever holds it (claw_runtime or
-- claw_worker) can finish that reservation once (llm.close_reservation refuses a second
-- finish, CL409), until its lifetime ends. The context it sets lasts for that finish only
-- (api.finish_llm_call restores the one before).

-- llm.call_token_mac: the MAC of a token's body.
CREATE OR REPLACE FUNCTION llm.call_token_mac(p_body text)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT pg_catalog.encode(pg_catalog.sha256(k.secret || pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('llm-call|' || p_body, 'UTF8'))), 'hex')
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$fn$;

-- llm.make_call_token: the token of reservation p_reservation_id, begun in p_tenant_id by
-- p_principal_id holding p_roles, good until p_until, for request hash p_request_hash.
CREATE OR REPLACE FUNCTION llm.make_call_token(p_tenant_id uuid, p_principal_id uuid,
                                               p_roles text[], p_reservation_id uuid,
                                               p_until timestamptz, p_request_hash text)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT b.body || '.' || llm.call_token_mac(b.body)
  FROM (SELECT 'lc1.' || p_tenant_id || '.' || coalesce(p_principal_id::text, '') || '.'
               || pg_catalog.array_to_string(ARRAY(
                    SELECT r FROM pg_catalog.unnest(p_roles) AS r
                    WHERE r = ANY ('{owner,admin,operator,worker}') ORDER BY r), ',')
               || '.' || p_reservation_id
               || '.' || pg_catalog.floor(EXTRACT(EPOCH FROM p_until))::bigint
               || '.' || coalesce(p_request_hash, '') AS body) AS b
$fn$;
-- the version without a lifetime and a request hash
DROP FUNCTION IF EXISTS llm.make_call_token(uuid, uuid, text[], uuid);

-- llm.use_call_token: verify p_token for p_reservation_id and set the tenant context it
-- carries (scope llm:call, credential 'llm-call:<reservation>') for this transaction; returns
-- the tenant and the request hash begun with (NULL if none). Raises CL401 for a malformed or
-- altered token, one made for another call, or one past its lifetime.
CREATE OR REPLACE FUNCTION llm.use_call_token(p_token text, p_reservation_id uuid,
                                              OUT tenant_id uuid, OUT request_hash text)
LANGUAGE plpgsql
VOLATILE
AS $fn$
DECLARE
  v_parts text[];
BEGIN
  IF pg_catalog.length(p_token) BETWEEN 100 AND 400 THEN
    v_parts := pg_catalog.string_to_array(p_token, '.');
  END IF;
  IF pg_catalog.cardinality(v_parts) IS DISTINCT FROM 8 OR v_parts[1] <> 'lc1'
     OR v_parts[5] IS DISTINCT FROM p_reservation_id::text
     OR v_parts[8] IS DISTINCT FROM
        llm.call_token_mac(pg_catalog.array_to_string(v_parts[1:7], '.')) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'invalid call token',
      DETAIL = 'the token is malformed, altered, or was issued for another call',
      HINT = 'pass the call_token api.begin_llm_call returned with this reservation_id';
  END IF;
  -- the MAC holds: the parts are the ones llm.make_call_token wrote
  IF internal.now() > pg_catalog.to_timestamp(v_parts[6]::bigint) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'call token expired',
      DETAIL = pg_catalog.format('the token of reservation %s was good until %s',
                                 p_reservation_id, pg_catalog.to_timestamp(v_parts[6]::bigint)),
      HINT = 'record a call this late in an authenticated context (api.authenticate), '
             'without the token';
  END IF;
  PERFORM internal.set_context(v_parts[2]::uuid, NULLIF(v_parts[3], '')::uuid,
                               pg_catalog.string_to_array(NULLIF(v_parts[4], ''), ','),
                               '{llm:call}', 'llm-call:' || v_parts[5]);
  tenant_id := v_parts[2]::uuid;
  request_hash := NULLIF(v_parts[7], '');
END
$fn$;
-- its first version, which returned the tenant only
DROP FUNCTION IF EXISTS llm.open_call_token(text, uuid);
