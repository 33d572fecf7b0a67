-- Verification of the ledger: audit.verify_chains (every link and hash, set-based) and the
-- checkpoint pair audit.checkpoint / audit.verify_digest (Merkle root over all chain heads,
-- RFC 6962 hashing, kept by the operator outside the database).
-- SECURITY INVOKER: run by a superuser or claw_auditor (BYPASSRLS, SELECT on the ledger);
-- under anyone else's RLS they see only their tenant. The search_path is pinned all the same:
-- the verifier's own path (a schema listed before pg_catalog) must not pick the operators
-- that compare the hashes.

-- audit.verify_chains: one row per tenant chain: how many events, the head, whether it is
-- intact, and the first broken link with the reason:
--   'row hash mismatch'  the event's content no longer matches its row_hash
--   'gap'                seq does not follow the previous seq (an event was removed)
--   'broken link'        prev_hash is not the previous event's row_hash
--   'head mismatch'      the chain head does not match the last event (tail removed or head moved)
--   'head missing'       the tenant has events but no chain head row (deleted to hide an edit)
-- Read-only: one parallel pass over audit.events.
CREATE OR REPLACE FUNCTION audit.verify_chains(p_tenant_id uuid DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, events bigint, head_seq bigint, ok boolean,
               first_bad_seq bigint, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- One pass, as a grouped aggregate so it runs in parallel workers (PL/pgSQL's RETURN
  -- QUERY may use parallel plans): each event is joined to its predecessor (tenant, seq-1)
  -- and checked for its own hash, a missing predecessor (gap) and a wrong prev_hash.
  RETURN QUERY
  WITH per_tenant AS (
    SELECT e.tenant_id, pg_catalog.count(*) AS events, pg_catalog.max(e.seq) AS last_seq,
      pg_catalog.min(e.seq) FILTER (WHERE pg_catalog.sha256(pg_catalog.convert_to(
        audit.encode_event(e.tenant_id, e.seq, e.occurred_at, e.actor_principal_id,
          e.db_user, e.action, e.target_table, e.target_id, e.before, e.after, e.trace_id,
          e.prev_hash), 'UTF8')) <> e.row_hash) AS bad_hash,
      pg_catalog.min(e.seq) FILTER (WHERE e.seq > 1 AND p.seq IS NULL) AS gap,
      pg_catalog.min(e.seq) FILTER (WHERE (e.seq = 1 OR p.seq IS NOT NULL)
        AND e.prev_hash <> coalesce(p.row_hash,
          pg_catalog.decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex')))
        AS broken_link
    FROM audit.events AS e
    LEFT JOIN audit.events AS p ON p.tenant_id = e.tenant_id AND p.seq = e.seq - 1
    WHERE p_tenant_id IS NULL OR e.tenant_id = p_tenant_id
    GROUP BY e.tenant_id
  ),
  findings AS (
    SELECT t.*, last.row_hash AS last_hash,
      -- the earliest finding; at one seq a content change outranks a gap outranks a link
      (SELECT f.seq FROM (VALUES (t.bad_hash, 0), (t.gap, 1), (t.broken_link, 2)) AS f(seq, prio)
       WHERE f.seq IS NOT NULL ORDER BY f.seq, f.prio LIMIT 1) AS first_seq,
      (SELECT f.problem FROM (VALUES (t.bad_hash, 0, 'row hash mismatch'), (t.gap, 1, 'gap'),
                                     (t.broken_link, 2, 'broken link')) AS f(seq, prio, problem)
       WHERE f.seq IS NOT NULL ORDER BY f.seq, f.prio LIMIT 1) AS first_problem
    FROM per_tenant AS t
    JOIN audit.events AS last ON last.tenant_id = t.tenant_id AND last.seq = t.last_seq
  )
  -- every tenant with a chain head or with events: a head row deleted (to hide an edit)
  -- must not take its events out of the verdict
  SELECT coalesce(h.tenant_id, f.tenant_id), coalesce(f.events, 0), h.seq,
         h.tenant_id IS NOT NULL AND f.first_seq IS NULL AND h.seq = coalesce(f.last_seq, 0)
           AND h.head_hash = coalesce(f.last_hash,
               pg_catalog.decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex')),
         coalesce(f.first_seq,
                  CASE WHEN h.tenant_id IS NULL THEN f.last_seq
                       WHEN h.seq <> coalesce(f.last_seq, 0)
                         OR h.head_hash <> coalesce(f.last_hash, pg_catalog.decode('00', 'hex'))
                       THEN LEAST(h.seq, coalesce(f.last_seq, 0)) + 1 END),
         coalesce(f.first_problem,
                  CASE WHEN h.tenant_id IS NULL THEN 'head missing'
                       WHEN h.seq <> coalesce(f.last_seq, 0)
                         OR h.head_hash <> coalesce(f.last_hash, pg_catalog.decode('00', 'hex'))
                       THEN 'head mismatch' END)
  FROM (SELECT * FROM audit.chain_heads AS x
        WHERE p_tenant_id IS NULL OR x.tenant_id = p_tenant_id) AS h
  FULL JOIN findings AS f ON f.tenant_id = h.tenant_id
  ORDER BY 1;
END
$fn$;

-- audit.merkle_root: RFC 6962 Merkle tree hash over leaf data (in order):
--   MTH({}) = sha256(''), leaf = sha256(0x00 || d), node = sha256(0x01 || left || right),
--   split at the largest power of two smaller than n.
CREATE OR REPLACE FUNCTION audit.merkle_root(p_leaves bytea[])
RETURNS bytea
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n integer := coalesce(pg_catalog.cardinality(p_leaves), 0);
  k integer := 1;
BEGIN
  IF n = 0 THEN
    RETURN pg_catalog.sha256(''::bytea);
  ELSIF n = 1 THEN
    RETURN pg_catalog.sha256(pg_catalog.decode('00', 'hex') || p_leaves[1]);
  END IF;
  WHILE k * 2 < n LOOP
    k := k * 2;
  END LOOP;
  RETURN pg_catalog.sha256(pg_catalog.decode('01', 'hex') || audit.merkle_root(p_leaves[1:k])
                           || audit.merkle_root(p_leaves[k + 1:n]));
END
$fn$;

-- audit.head_leaf: the leaf data of one chain head: tenant id (16 bytes) || seq (8 bytes,
-- big-endian) || head hash (32 bytes).
CREATE OR REPLACE FUNCTION audit.head_leaf(p_tenant_id uuid, p_seq bigint, p_hash bytea)
RETURNS bytea
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $fn$
  SELECT pg_catalog.uuid_send(p_tenant_id) || pg_catalog.int8send(p_seq) || p_hash
$fn$;

-- audit.schema_hash: identifies the ledger's encoding and shape (the encode function and
-- the events columns), so a digest says which rules it was made under.
CREATE OR REPLACE FUNCTION audit.schema_hash()
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
    pg_catalog.pg_get_functiondef('audit.encode_event(uuid,bigint,timestamptz,uuid,text,text,text,text,jsonb,jsonb,text,bytea)'::pg_catalog.regprocedure)
    || (SELECT pg_catalog.string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = 'audit.events'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped),
    'UTF8')), 'hex')
$fn$;

-- audit.checkpoint: a digest of the whole ledger now: every chain head (tenant, seq, hash),
-- their Merkle root, the time and the schema hash. The operator stores it outside the
-- database (`claw audit checkpoint` writes it to a file); audit.verify_digest later proves
-- the ledger still extends it. Read-only.
CREATE OR REPLACE FUNCTION audit.checkpoint()
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH heads AS (
    SELECT h.tenant_id, h.seq, h.head_hash FROM audit.chain_heads AS h ORDER BY h.tenant_id
  )
  SELECT pg_catalog.jsonb_build_object(
    'format', 'claw-audit-checkpoint-v1',
    'created_at', pg_catalog.now(),
    'schema_hash', audit.schema_hash(),
    'root', pg_catalog.encode(audit.merkle_root(coalesce(
       (SELECT pg_catalog.array_agg(audit.head_leaf(h.tenant_id, h.seq, h.head_hash)
                                    ORDER BY h.tenant_id) FROM heads AS h), '{}')), 'hex'),
    'heads', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
       'tenant_id', h.tenant_id, 'seq', h.seq, 'head_hash', pg_catalog.encode(h.head_hash, 'hex'))
       ORDER BY h.tenant_id) FROM heads AS h), '[]'::jsonb))
$fn$;

-- audit.digest_problem: what makes p_digest not a checkpoint audit.checkpoint could have
-- written (NULL when nothing does): a JSON object whose root is 64 hex digits and whose heads
-- are an array of {tenant_id: uuid, seq: whole number >= 0, head_hash: 64 hex digits}, each
-- tenant once. A missing field used to make the computed root, or a head's check, NULL, and
-- NULL compared as no problem: a digest edited to drop its root and a head's hash verified
-- as intact over rewritten history.
CREATE OR REPLACE FUNCTION audit.digest_problem(p_digest jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE
    WHEN pg_catalog.jsonb_typeof(p_digest) IS DISTINCT FROM 'object'
      THEN 'the digest must be a JSON object (audit.checkpoint''s output)'
    WHEN pg_catalog.jsonb_typeof(p_digest -> 'root') IS DISTINCT FROM 'string'
         OR (p_digest ->> 'root') !~ '^[0-9a-f]{64}$'
      THEN 'root must be 64 lower-case hex digits'
    WHEN pg_catalog.jsonb_typeof(p_digest -> 'heads') IS DISTINCT FROM 'array'
      THEN 'heads must be a JSON array'
    ELSE (
      SELECT pg_catalog.format('head %s: %s', x.n, x.why)
      FROM (SELECT e.n,
                   CASE WHEN pg_catalog.jsonb_typeof(e.h) <> 'object' THEN 'must be a JSON object'
                        WHEN pg_catalog.jsonb_typeof(e.h -> 'tenant_id') IS DISTINCT FROM 'string'
                             OR NOT pg_catalog.pg_input_is_valid(e.h ->> 'tenant_id', 'uuid')
                          THEN 'tenant_id must be a uuid'
                        WHEN pg_catalog.jsonb_typeof(e.h -> 'seq') IS DISTINCT FROM 'number'
                             OR (e.h ->> 'seq') !~ '^[0-9]{1,18}$'
                          THEN 'seq must be a whole number >= 0'
                        WHEN pg_catalog.jsonb_typeof(e.h -> 'head_hash') IS DISTINCT FROM 'string'
                             OR (e.h ->> 'head_hash') !~ '^[0-9a-f]{64}$'
                          THEN 'head_hash must be 64 lower-case hex digits'
                        WHEN pg_catalog.count(*) OVER (
                               PARTITION BY CASE WHEN pg_catalog.pg_input_is_valid(
                                 e.h ->> 'tenant_id', 'uuid') THEN (e.h ->> 'tenant_id')::uuid END
                               ORDER BY e.n) > 1
                          THEN 'its tenant_id is there twice'
                   END AS why
            FROM pg_catalog.jsonb_array_elements(p_digest -> 'heads') WITH ORDINALITY AS e(h, n)
           ) AS x
      WHERE x.why IS NOT NULL ORDER BY x.n LIMIT 1)
  END
$fn$;

-- audit.verify_digest: does the ledger still extend an earlier checkpoint? Rows of problems
-- (none means yes):
--   'digest root mismatch'  the digest's heads do not hash to its root (the file was edited)
--   'event missing'         the event at a digest head's seq is gone
--   'history rewritten'     that event's row_hash differs from the digest: history up to it
--                           was changed, even if the chain was re-hashed to look intact
--   '<chain problem>'       audit.verify_chains finds the chain broken now
-- A rewrite by a superuser who disables the guards and recomputes every hash passes
-- verify_chains but not this. Raises CL422 for a digest that is not a complete checkpoint
-- (audit.digest_problem names what is wrong).
CREATE OR REPLACE FUNCTION audit.verify_digest(p_digest jsonb)
RETURNS TABLE (tenant_id uuid, seq bigint, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_bad text := audit.digest_problem(p_digest);
BEGIN
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'not an audit checkpoint',
      DETAIL = v_bad,
      HINT = 'pass the JSON audit.checkpoint wrote (claw audit checkpoint), unedited';
  END IF;
  RETURN QUERY
  WITH heads AS (
    SELECT (h ->> 'tenant_id')::uuid AS tenant_id, (h ->> 'seq')::bigint AS seq,
           pg_catalog.decode(h ->> 'head_hash', 'hex') AS head_hash
    FROM pg_catalog.jsonb_array_elements(p_digest -> 'heads') AS h
  )
  SELECT NULL::uuid, NULL::bigint, 'digest root mismatch'
  WHERE pg_catalog.encode(audit.merkle_root(coalesce(
          (SELECT pg_catalog.array_agg(audit.head_leaf(h.tenant_id, h.seq, h.head_hash)
                                       ORDER BY h.tenant_id) FROM heads AS h), '{}')), 'hex')
        IS DISTINCT FROM p_digest ->> 'root'
  UNION ALL
  SELECT h.tenant_id, h.seq,
         CASE WHEN e.seq IS NULL THEN 'event missing' ELSE 'history rewritten' END
  FROM heads AS h
  LEFT JOIN audit.events AS e ON e.tenant_id = h.tenant_id AND e.seq = h.seq
  WHERE h.seq > 0 AND (e.seq IS NULL OR e.row_hash IS DISTINCT FROM h.head_hash)
  UNION ALL
  SELECT v.tenant_id, v.first_bad_seq, v.problem
  FROM audit.verify_chains() AS v WHERE NOT v.ok;
END
$fn$;

GRANT USAGE ON SCHEMA audit TO claw_auditor;
GRANT EXECUTE ON FUNCTION audit.encode_event(uuid, bigint, timestamptz, uuid, text, text, text, text, jsonb, jsonb, text, bytea),
  audit.verify_chains(uuid), audit.merkle_root(bytea[]), audit.head_leaf(uuid, bigint, bytea),
  audit.schema_hash(), audit.checkpoint(), audit.verify_digest(jsonb),
  audit.digest_problem(jsonb)
  TO claw_auditor;
