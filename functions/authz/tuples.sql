-- Writing relationship tuples: validated against the model, refused when they would close a
-- cycle, one revision per call (the consistency token it returns).

-- authz.write_tuples: apply p_deletes, then p_writes, as one change of the tenant.
--   p_writes  [{"object": "invoice:42", "relation": "owner", "subject": "user:alice",
--               "expires_at": "2027-01-01T00:00:00Z" (optional)}, ...]
--   p_deletes [{"object": ..., "relation": ..., "subject": ...}, ...]
-- Writing a tuple that exists replaces its expiry; deleting one that does not exist does
-- nothing (both idempotent, so a retried call is harmless).
-- Returns: how many were written and deleted, and the consistency token of the change.
-- Raises CL422 (malformed entry, unknown relation, a subject type the relation does not
-- take, an expiry not in the future, more than 1,000 entries), CL409 (the tuple would close
-- a cycle). Locks: the tenant's revisions row first (one writer per tenant at a time, so
-- two writers cannot each add half of a cycle), then the tuples written.
CREATE OR REPLACE FUNCTION authz.write_tuples(p_tenant_id uuid, p_principal_id uuid,
                                              p_writes jsonb, p_deletes jsonb,
                                              OUT written integer, OUT deleted integer,
                                              OUT token text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_revision bigint;
  v_now timestamptz := internal.now();
  v_e jsonb;
  v_o record;
  v_s record;
  v_rel text;
  v_exp timestamptz;
  v_allowed text[];
  v_cycle record;
  v_n integer;
BEGIN
  IF pg_catalog.jsonb_typeof(coalesce(p_writes, '[]')) <> 'array'
     OR pg_catalog.jsonb_typeof(coalesce(p_deletes, '[]')) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tuple list',
      DETAIL = 'writes and deletes are JSON arrays of {"object", "relation", "subject"}',
      HINT = '[{"object": "invoice:42", "relation": "owner", "subject": "user:alice"}]';
  END IF;
  IF pg_catalog.jsonb_array_length(coalesce(p_writes, '[]'))
     + pg_catalog.jsonb_array_length(coalesce(p_deletes, '[]')) > 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'too many tuples in one write',
      DETAIL = 'at most 1,000 writes and deletes per call',
      HINT = 'split the change into several calls';
  END IF;
  v_revision := authz.bump_revision(p_tenant_id);
  written := 0;
  deleted := 0;

  FOR v_e IN SELECT e FROM pg_catalog.jsonb_array_elements(coalesce(p_deletes, '[]')) AS e LOOP
    IF pg_catalog.jsonb_typeof(v_e) <> 'object'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(v_e) AS k
                  WHERE k NOT IN ('object', 'relation', 'subject')) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tuple to delete',
        DETAIL = pg_catalog.left(v_e::text, 200),
        HINT = 'a delete is {"object": "type:id", "relation": "r", "subject": "type:id[#r]"}';
    END IF;
    v_o := authz.parse_object(v_e ->> 'object');
    v_s := authz.parse_subject(v_e ->> 'subject');
    DELETE FROM authz.tuples AS t
    WHERE t.tenant_id = p_tenant_id AND t.object_type = v_o.object_type
      AND t.object_id = v_o.object_id AND t.relation = (v_e ->> 'relation')
      AND t.subject_type = v_s.subject_type AND t.subject_id = v_s.subject_id
      AND t.subject_relation = v_s.subject_relation;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    deleted := deleted + v_n;
  END LOOP;

  FOR v_e IN SELECT e FROM pg_catalog.jsonb_array_elements(coalesce(p_writes, '[]')) AS e LOOP
    IF pg_catalog.jsonb_typeof(v_e) <> 'object'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(v_e) AS k
                  WHERE k NOT IN ('object', 'relation', 'subject', 'expires_at')) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tuple to write',
        DETAIL = pg_catalog.left(v_e::text, 200),
        HINT = 'a write is {"object": "type:id", "relation": "r", "subject": "type:id[#r]", '
               '"expires_at": "<ISO 8601>" (optional)}';
    END IF;
    v_o := authz.parse_object(v_e ->> 'object');
    v_s := authz.parse_subject(v_e ->> 'subject');
    v_rel := v_e ->> 'relation';
    SELECT r.direct_subjects INTO v_allowed FROM authz.relations AS r
    WHERE r.tenant_id = p_tenant_id AND r.object_type = v_o.object_type AND r.relation = v_rel;
    IF NOT FOUND OR pg_catalog.cardinality(v_allowed) = 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'relation takes no tuples',
        DETAIL = pg_catalog.format('the model defines no direct relation %s on type %s',
                                   coalesce(v_rel, 'NULL'), v_o.object_type),
        HINT = 'only relations with a this rewrite take tuples; see api.describe_authz_model()';
    END IF;
    IF NOT (v_s.subject_type || CASE WHEN v_s.subject_relation = '' THEN ''
                                     ELSE '#' || v_s.subject_relation END) = ANY (v_allowed) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'subject type not allowed',
        DETAIL = pg_catalog.format('%s#%s takes %s, not %s', v_o.object_type, v_rel, v_allowed,
                                   v_e ->> 'subject'),
        HINT = 'extend the relation''s this list in the model first';
    END IF;
    -- pg_input_is_valid, not a handler for the cast's codes: an unknown time zone (22023)
    -- and an offset out of range (22009) are malformed too, and escaped a list of codes
    IF NOT pg_catalog.pg_input_is_valid(v_e ->> 'expires_at', 'timestamptz') THEN  -- NULL: none
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid expires_at',
        DETAIL = pg_catalog.left(v_e ->> 'expires_at', 100),
        HINT = 'an ISO 8601 instant with its offset, e.g. 2027-01-01T00:00:00Z';
    END IF;
    v_exp := (v_e ->> 'expires_at')::timestamptz;
    IF v_exp IS NOT NULL AND v_exp <= v_now THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'expires_at is not in the future',
        DETAIL = pg_catalog.format('%s <= now (%s)', v_exp, v_now),
        HINT = 'delete the tuple instead';
    END IF;

    -- The cycle guard. The new tuple makes relation nodes of its object include a start
    -- node: a userset tuple makes object#relation include the userset; a plain tuple in a
    -- tupleset makes object#r include subject#c for every ttu (tupleset, c) of a relation r.
    -- If a start node already reaches one of those nodes, the tuple closes a cycle.
    WITH pairs (src_t, src_id, src_r, st, sid, sr) AS (
      SELECT v_o.object_type, v_o.object_id, v_rel, v_s.subject_type, v_s.subject_id,
             v_s.subject_relation
      WHERE v_s.subject_relation <> ''
      UNION ALL
      SELECT v_o.object_type, v_o.object_id, e.relation, v_s.subject_type, v_s.subject_id,
             e.target_relation
      FROM authz.rewrite_edges AS e
      WHERE v_s.subject_relation = '' AND e.tenant_id = p_tenant_id
        AND e.object_type = v_o.object_type AND e.kind = 'ttu' AND e.tupleset = v_rel
    )
    SELECT p.src_t || ':' || p.src_id || '#' || p.src_r AS node INTO v_cycle
    FROM pairs AS p
    WHERE EXISTS (
      SELECT 1 FROM authz.walk_down(
          p_tenant_id, ARRAY(SELECT q.st FROM pairs AS q), ARRAY(SELECT q.sid FROM pairs AS q),
          ARRAY(SELECT q.sr FROM pairs AS q), v_now, false) AS w
      WHERE w.node_type = p.src_t AND w.node_id = p.src_id AND w.node_relation = p.src_r)
    LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the tuple would close a cycle',
        DETAIL = pg_catalog.format('%s already includes %s, which the tuple %s would make include it again',
          v_e ->> 'subject', v_cycle.node, authz.format_tuple(v_o.object_type, v_o.object_id,
          v_rel, v_s.subject_type, v_s.subject_id, v_s.subject_relation)),
        HINT = 'a group cannot contain itself, directly or through others';
    END IF;

    INSERT INTO authz.tuples AS t (tenant_id, object_type, object_id, relation, subject_type,
                                   subject_id, subject_relation, expires_at, revision, created_by)
    VALUES (p_tenant_id, v_o.object_type, v_o.object_id, v_rel, v_s.subject_type,
            v_s.subject_id, v_s.subject_relation, v_exp, v_revision, p_principal_id)
    ON CONFLICT (tenant_id, object_type, object_id, relation, subject_type, subject_id,
                 subject_relation)
    DO UPDATE SET expires_at = EXCLUDED.expires_at, revision = EXCLUDED.revision,
                  created_by = EXCLUDED.created_by
    WHERE t.expires_at IS DISTINCT FROM EXCLUDED.expires_at;
    written := written + 1;
  END LOOP;
  token := authz.make_token(p_tenant_id, v_revision);
END
$fn$;
