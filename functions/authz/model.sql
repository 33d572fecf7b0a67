-- The authorization model: object types and their relations, each defined by a rewrite.
--
--   {"types": {
--      "user": {},
--      "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
--      "invoice": {"relations": {
--        "business": {"this": ["business"]},
--        "owner":    {"this": ["user"]},
--        "approver": {"union": [{"this": ["user"]}, {"computed": "owner"},
--                               {"ttu": {"tupleset": "business", "computed": "admin"}}]},
--        "viewer":   {"exclusion": {"base": {"computed": "approver"},
--                                   "subtract": {"this": ["user"]}}}}}}}
--
-- Rewrites: this (direct tuples; the list says which subject types, 'type' or a userset
-- 'type#relation', a tuple may name), computed (another relation of the same object), ttu
-- (tuple-to-userset: relation `computed` of every object the `tupleset` relation points at),
-- union, intersection (every child), exclusion (base and not subtract).

-- authz.rewrite_children: the direct sub-rewrites of a union, intersection or exclusion.
CREATE OR REPLACE FUNCTION authz.rewrite_children(p_node jsonb)
RETURNS SETOF jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c FROM pg_catalog.jsonb_array_elements(CASE
      WHEN p_node ? 'union' THEN p_node -> 'union'
      WHEN p_node ? 'intersection' THEN p_node -> 'intersection'
      WHEN p_node ? 'exclusion' THEN pg_catalog.jsonb_build_array(
        p_node -> 'exclusion' -> 'base', p_node -> 'exclusion' -> 'subtract')
      ELSE '[]'::jsonb END) AS c
$fn$;

-- authz.rewrite_leaves: every this, computed and ttu leaf of a rewrite tree.
CREATE OR REPLACE FUNCTION authz.rewrite_leaves(p_node jsonb)
RETURNS SETOF jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH RECURSIVE n (node) AS (
    SELECT p_node
    UNION ALL
    SELECT c.c FROM n CROSS JOIN LATERAL authz.rewrite_children(n.node) AS c (c)
  )
  SELECT n.node FROM n WHERE n.node ?| ARRAY['this', 'computed', 'ttu']
$fn$;

-- authz.direct_subjects_of: the subject types the `this` leaves of a rewrite allow.
CREATE OR REPLACE FUNCTION authz.direct_subjects_of(p_node jsonb)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(pg_catalog.array_agg(DISTINCT s.s ORDER BY s.s), '{}')
  FROM authz.rewrite_leaves(p_node) AS l (node)
  CROSS JOIN LATERAL pg_catalog.jsonb_array_elements_text(l.node -> 'this') AS s (s)
  WHERE l.node ? 'this'
$fn$;
-- authz.compile_model uses these three; claw_authz_reader compiles a model stored before its
-- compiled form had "x" (authz.decide_in_tenant)
GRANT EXECUTE ON FUNCTION authz.rewrite_children(jsonb), authz.rewrite_leaves(jsonb),
                          authz.direct_subjects_of(jsonb)
  TO claw_authz_reader;

-- authz.type_edges: the tenant's current model (authz.relations, authz.rewrite_edges) as a
-- graph of relations, "type#relation" -> "type#relation", the edges a walk follows from a
-- relation node of one object to another node: computed (the same object's relation),
-- tuple-to-userset (relation `computed` of each type the tupleset's tuples may name; the
-- tupleset is part of the edge) and this (a userset type#relation its tuples may name).
-- Every cycle of nodes (type, id, relation) follows a cycle of this graph.
CREATE OR REPLACE FUNCTION authz.type_edges(p_tenant_id uuid)
RETURNS TABLE (src text, dst text, kind text, tupleset text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT e.object_type || '#' || e.relation, e.object_type || '#' || e.target_relation,
         e.kind, ''
  FROM authz.rewrite_edges AS e
  WHERE e.tenant_id = p_tenant_id AND e.kind = 'computed'
  UNION
  SELECT e.object_type || '#' || e.relation, s.s || '#' || e.target_relation, e.kind, e.tupleset
  FROM authz.rewrite_edges AS e
  JOIN authz.relations AS r
    ON r.tenant_id = e.tenant_id AND r.object_type = e.object_type AND r.relation = e.tupleset
  CROSS JOIN LATERAL pg_catalog.unnest(r.direct_subjects) AS s (s)
  WHERE e.tenant_id = p_tenant_id AND e.kind = 'ttu' AND pg_catalog.strpos(s.s, '#') = 0
  UNION
  SELECT r.object_type || '#' || r.relation, s.s, 'this', ''
  FROM authz.relations AS r
  CROSS JOIN LATERAL pg_catalog.unnest(r.direct_subjects) AS s (s)
  WHERE r.tenant_id = p_tenant_id AND pg_catalog.strpos(s.s, '#') > 0
$fn$;

-- authz.validate_rewrite: raise CL422 naming type.relation unless p_node is a well-formed
-- rewrite whose references resolve in the model p_types.
CREATE OR REPLACE FUNCTION authz.validate_rewrite(p_types jsonb, p_type text, p_relation text,
                                                  p_node jsonb, p_depth integer DEFAULT 0)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_where text := p_type || '.' || p_relation;
  v_key text;
  v_val jsonb;
  v_s text;
  v_m text[];
  v_targets text[];
  v_child jsonb;
BEGIN
  IF p_depth > 20 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid rewrite of %s: nested more than 20 deep', v_where),
      HINT = 'flatten nested unions';
  END IF;
  IF pg_catalog.jsonb_typeof(p_node) IS DISTINCT FROM 'object'
     OR (SELECT count(*) FROM pg_catalog.jsonb_object_keys(p_node)) <> 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid rewrite of %s', v_where),
      DETAIL = pg_catalog.format('%s is not an object with exactly one key',
                                 pg_catalog.left(coalesce(p_node::text, 'null'), 200)),
      HINT = 'a rewrite is one of {"this": [...]}, {"computed": "r"}, {"ttu": {"tupleset": "t", '
             '"computed": "r"}}, {"union": [...]}, {"intersection": [...]}, '
             '{"exclusion": {"base": ..., "subtract": ...}}';
  END IF;
  SELECT k INTO v_key FROM pg_catalog.jsonb_object_keys(p_node) AS k;
  v_val := p_node -> v_key;
  CASE v_key
  WHEN 'this' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'array'
       OR pg_catalog.jsonb_array_length(v_val) = 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: this needs a non-empty list of subject types', v_where),
        HINT = 'e.g. {"this": ["user", "team#member"]}';
    END IF;
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(v_val) AS e LOOP
      v_s := v_child #>> '{}';
      v_m := pg_catalog.regexp_match(v_s, '^([a-z][a-z0-9_]{0,62})(#([a-z][a-z0-9_]{0,62}))?$');
      IF pg_catalog.jsonb_typeof(v_child) <> 'string' OR v_m IS NULL
         OR NOT p_types ? v_m[1]
         OR (v_m[3] IS NOT NULL AND NOT coalesce(p_types -> v_m[1] -> 'relations' ? v_m[3], false)) THEN
        RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
            'invalid rewrite of %s: unknown subject type %s', v_where, pg_catalog.left(v_child::text, 100)),
          HINT = 'name a type of the model, or a userset type#relation whose relation the type defines';
      END IF;
    END LOOP;
  WHEN 'computed' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'string'
       OR NOT coalesce(p_types -> p_type -> 'relations' ? (v_val #>> '{}'), false) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: computed names no relation of %s', v_where, p_type),
        DETAIL = pg_catalog.format('computed: %s', pg_catalog.left(v_val::text, 100)),
        HINT = 'computed names another relation of the same type';
    END IF;
  WHEN 'ttu' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'object'
       OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(v_val) AS k)
          IS DISTINCT FROM ARRAY['computed', 'tupleset']
       OR pg_catalog.jsonb_typeof(v_val -> 'tupleset') <> 'string'
       OR pg_catalog.jsonb_typeof(v_val -> 'computed') <> 'string' THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: ttu needs exactly tupleset and computed', v_where),
        HINT = 'e.g. {"ttu": {"tupleset": "business", "computed": "admin"}}';
    END IF;
    IF NOT coalesce(p_types -> p_type -> 'relations' ? (v_val ->> 'tupleset'), false) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: tupleset %s is no relation of %s', v_where,
          v_val ->> 'tupleset', p_type),
        HINT = 'the tupleset is a relation of the same type whose tuples point at other objects';
    END IF;
    v_targets := authz.direct_subjects_of(p_types -> p_type -> 'relations' -> (v_val ->> 'tupleset'));
    IF pg_catalog.cardinality(v_targets) = 0
       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(v_targets) AS t WHERE pg_catalog.strpos(t, '#') > 0) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: tupleset %s must be a direct relation to plain object types',
          v_where, v_val ->> 'tupleset'),
        DETAIL = pg_catalog.format('%s.%s allows %s', p_type, v_val ->> 'tupleset', v_targets),
        HINT = 'define the tupleset as {"this": ["business"]}, without usersets';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_targets) AS t
                   WHERE coalesce(p_types -> t -> 'relations' ? (v_val ->> 'computed'), false)) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: no type %s points at defines %s', v_where,
          v_val ->> 'tupleset', v_val ->> 'computed'),
        DETAIL = pg_catalog.format('%s.%s allows %s', p_type, v_val ->> 'tupleset', v_targets),
        HINT = 'computed names a relation of the types the tupleset points at';
    END IF;
  WHEN 'union', 'intersection' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'array'
       OR pg_catalog.jsonb_array_length(v_val) = 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: %s needs a non-empty list of rewrites', v_where, v_key);
    END IF;
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(v_val) AS e LOOP
      PERFORM authz.validate_rewrite(p_types, p_type, p_relation, v_child, p_depth + 1);
    END LOOP;
  WHEN 'exclusion' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'object'
       OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(v_val) AS k)
          IS DISTINCT FROM ARRAY['base', 'subtract'] THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: exclusion needs exactly base and subtract', v_where);
    END IF;
    PERFORM authz.validate_rewrite(p_types, p_type, p_relation, v_val -> 'base', p_depth + 1);
    PERFORM authz.validate_rewrite(p_types, p_type, p_relation, v_val -> 'subtract', p_depth + 1);
  ELSE
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid rewrite of %s: unknown rewrite %s', v_where, v_key),
      HINT = 'use this, computed, ttu, union, intersection or exclusion';
  END CASE;
END
$fn$;

-- authz.define_model: replace the tenant's model with p_model as version n + 1.
-- Raises CL422 (malformed model, unresolved reference, a relation that includes itself
-- through computed rewrites alone), CL409 (p_expected_version is not the current version;
-- existing tuples the new model would make a cycle; existing tuples the new model has no
-- place for: contract only after deleting them).
-- Locks: the tenant's revisions row (authz.bump_revision), so tuple writers wait.
CREATE OR REPLACE FUNCTION authz.define_model(p_tenant_id uuid, p_principal_id uuid,
                                              p_model jsonb, p_expected_version integer,
                                              OUT version integer, OUT token text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_revision bigint;
  v_current integer;
  v_types jsonb := p_model -> 'types';
  v_type text;
  v_def jsonb;
  v_rel text;
  v_node jsonb;
  v_bad record;
  v_old_edges text[];
  v_now timestamptz := internal.now();
BEGIN
  IF pg_catalog.jsonb_typeof(p_model) IS DISTINCT FROM 'object'
     OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(p_model) AS k WHERE k <> 'types')
     OR pg_catalog.jsonb_typeof(v_types) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid authorization model',
      DETAIL = 'the model must be an object with one key, types',
      HINT = '{"types": {"user": {}, "team": {"relations": {"member": {"this": ["user"]}}}}}';
  END IF;
  FOR v_type, v_def IN SELECT * FROM pg_catalog.jsonb_each(v_types) LOOP
    IF v_type !~ '^[a-z][a-z0-9_]{0,62}$' OR pg_catalog.jsonb_typeof(v_def) <> 'object'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(v_def) AS k WHERE k <> 'relations')
       OR (v_def ? 'relations' AND pg_catalog.jsonb_typeof(v_def -> 'relations') <> 'object') THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid authorization model: type %s', pg_catalog.left(pg_catalog.quote_ident(v_type), 80)),
        DETAIL = 'a type name is [a-z][a-z0-9_]*, its definition an object with an optional relations object',
        HINT = '"invoice": {"relations": {"owner": {"this": ["user"]}}}';
    END IF;
    FOR v_rel IN SELECT k FROM pg_catalog.jsonb_object_keys(coalesce(v_def -> 'relations', '{}')) AS k LOOP
      IF v_rel !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
            'invalid authorization model: relation %s.%s', v_type,
            pg_catalog.left(pg_catalog.quote_ident(v_rel), 80)),
          HINT = 'a relation name is [a-z][a-z0-9_]*';
      END IF;
      PERFORM authz.validate_rewrite(v_types, v_type, v_rel, v_def -> 'relations' -> v_rel);
    END LOOP;
  END LOOP;

  v_revision := authz.bump_revision(p_tenant_id);
  SELECT max(m.version) INTO v_current FROM authz.models AS m WHERE m.tenant_id = p_tenant_id;
  IF p_expected_version IS NOT NULL AND p_expected_version <> coalesce(v_current, 0) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale authorization model version',
      DETAIL = pg_catalog.format('expected version %s, the current version is %s',
                                 p_expected_version, coalesce(v_current, 0)),
      HINT = 'read the model again (api.describe_authz_model) and reapply your change';
  END IF;
  version := coalesce(v_current, 0) + 1;
  INSERT INTO authz.models (tenant_id, version, definition, sha256, compiled, created_by)
  VALUES (p_tenant_id, version, p_model,
          pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_model::text, 'UTF8')), 'hex'),
          authz.compile_model(v_types), p_principal_id);

  -- the old model's edges: only an edge the new model adds can close a cycle of the tuples
  -- (authz.write_tuples refused every tuple that closed one under the old edges)
  v_old_edges := ARRAY(SELECT e.src || '>' || e.dst || '>' || e.kind || '>' || e.tupleset
                       FROM authz.type_edges(p_tenant_id) AS e);
  DELETE FROM authz.relations AS r WHERE r.tenant_id = p_tenant_id;
  FOR v_type, v_def IN SELECT * FROM pg_catalog.jsonb_each(v_types) LOOP
    FOR v_rel, v_node IN SELECT * FROM pg_catalog.jsonb_each(coalesce(v_def -> 'relations', '{}')) LOOP
      INSERT INTO authz.relations (tenant_id, object_type, relation, rewrite, direct_subjects,
                                   exact, model_version)
      VALUES (p_tenant_id, v_type, v_rel, v_node, authz.direct_subjects_of(v_node),
              NOT pg_catalog.jsonb_path_exists(v_node, 'lax $.**.intersection')
              AND NOT pg_catalog.jsonb_path_exists(v_node, 'lax $.**.exclusion'),
              version);
      INSERT INTO authz.rewrite_edges (tenant_id, object_type, relation, kind, target_relation,
                                       tupleset)
      SELECT DISTINCT p_tenant_id, v_type, v_rel,
             CASE WHEN l.node ? 'this' THEN 'this' WHEN l.node ? 'computed' THEN 'computed'
                  ELSE 'ttu' END,
             coalesce(l.node ->> 'computed', l.node -> 'ttu' ->> 'computed', ''),
             coalesce(l.node -> 'ttu' ->> 'tupleset', '')
      FROM authz.rewrite_leaves(v_node) AS l (node);
    END LOOP;
  END LOOP;

  -- a relation that includes itself through computed rewrites alone never terminates
  WITH RECURSIVE walk (object_type, start_rel, rel, path) AS (
    SELECT e.object_type, e.relation, e.target_relation, ARRAY[e.relation, e.target_relation]
    FROM authz.rewrite_edges AS e
    WHERE e.tenant_id = p_tenant_id AND e.kind = 'computed'
    UNION ALL
    SELECT w.object_type, w.start_rel, e.target_relation, w.path || e.target_relation
    FROM walk AS w
    JOIN authz.rewrite_edges AS e
      ON e.tenant_id = p_tenant_id AND e.object_type = w.object_type AND e.relation = w.rel
     AND e.kind = 'computed'
    WHERE w.rel <> w.start_rel AND NOT e.target_relation = ANY (w.path[2:])
  )
  SELECT w.object_type, w.path INTO v_bad FROM walk AS w WHERE w.rel = w.start_rel
  ORDER BY w.object_type, w.start_rel LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid authorization model: %s.%s includes itself', v_bad.object_type, v_bad.path[1]),
      DETAIL = pg_catalog.format('computed cycle: %s', pg_catalog.array_to_string(
        ARRAY(SELECT v_bad.object_type || '.' || p FROM pg_catalog.unnest(v_bad.path) AS p), ' -> ')),
      HINT = 'a computed chain must end in this or ttu';
  END IF;

  -- Existing tuples the new edges would make a cycle (authz.evaluate would refuse every
  -- check that reaches it, CL508): two folders each the other's parent are harmless until a
  -- relation follows parent. The cycle guard of authz.write_tuples, over the live tuples:
  -- for each computed or tuple-to-userset edge the new model adds that lies on a cycle of
  -- relations (authz.type_edges: any cycle of nodes follows one), each node pair it joins
  -- (src includes dst: every object of the type that holds tuples for computed, every tuple
  -- of the tupleset for tuple-to-userset), walked down from dst with the new edges: if the
  -- walk reaches src, the edge closes a cycle. A model that adds no such edge walks nothing.
  WITH RECURSIVE te AS (
    SELECT * FROM authz.type_edges(p_tenant_id)
  ), added AS (
    SELECT te.* FROM te
    WHERE te.kind IN ('computed', 'ttu')
      AND NOT (te.src || '>' || te.dst || '>' || te.kind || '>' || te.tupleset) = ANY (v_old_edges)
  ), reach (start, node) AS (
    SELECT a.dst, a.dst FROM added AS a
    UNION
    SELECT r.start, te.dst FROM reach AS r JOIN te ON te.src = r.node
  ), pairs (src_t, src_id, src_r, dst_t, dst_id, dst_r, via) AS (
    SELECT o.object_type, o.object_id, pg_catalog.split_part(a.src, '#', 2),
           o.object_type, o.object_id, pg_catalog.split_part(a.dst, '#', 2),
           pg_catalog.format('the rewrite %s.%s computed %s', o.object_type,
                             pg_catalog.split_part(a.src, '#', 2), pg_catalog.split_part(a.dst, '#', 2))
    FROM added AS a
    CROSS JOIN LATERAL (SELECT DISTINCT tu.object_type, tu.object_id FROM authz.tuples AS tu
                        WHERE tu.tenant_id = p_tenant_id
                          AND tu.object_type = pg_catalog.split_part(a.src, '#', 1)) AS o
    WHERE a.kind = 'computed'
      AND EXISTS (SELECT 1 FROM reach AS r WHERE r.start = a.dst AND r.node = a.src)
    UNION ALL
    SELECT tu.object_type, tu.object_id, pg_catalog.split_part(a.src, '#', 2),
           tu.subject_type, tu.subject_id, pg_catalog.split_part(a.dst, '#', 2),
           'the tuple ' || authz.format_tuple(tu.object_type, tu.object_id, tu.relation,
                                              tu.subject_type, tu.subject_id, '')
    FROM added AS a
    JOIN authz.tuples AS tu
      ON tu.tenant_id = p_tenant_id AND tu.object_type = pg_catalog.split_part(a.src, '#', 1)
     AND tu.relation = a.tupleset AND tu.subject_type = pg_catalog.split_part(a.dst, '#', 1)
     AND tu.subject_relation = '' AND (tu.expires_at IS NULL OR tu.expires_at > v_now)
    WHERE a.kind = 'ttu'
      AND EXISTS (SELECT 1 FROM reach AS r WHERE r.start = a.dst AND r.node = a.src)
  )
  SELECT p.* INTO v_bad
  FROM pairs AS p
  WHERE EXISTS (
    SELECT 1 FROM authz.walk_down(p_tenant_id, ARRAY[p.dst_t], ARRAY[p.dst_id],
                                  ARRAY[p.dst_r], v_now, false) AS w
    WHERE w.node_type = p.src_t AND w.node_id = p.src_id AND w.node_relation = p.src_r)
  ORDER BY p.src_t, p.src_id, p.src_r, p.via
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409',
      MESSAGE = 'the new authorization model would make existing tuples a cycle',
      DETAIL = pg_catalog.format(
        'through %s, %s:%s#%s would include %s:%s#%s, which already includes it', v_bad.via,
        v_bad.src_t, v_bad.src_id, v_bad.src_r, v_bad.dst_t, v_bad.dst_id, v_bad.dst_r),
      HINT = 'delete one tuple of the cycle (api.list_object_tuples shows an object''s tuples), '
             'then define the model again';
  END IF;

  -- exact: no intersection or exclusion in the relation or in anything it reaches
  LOOP
    UPDATE authz.relations AS r SET exact = false
    WHERE r.tenant_id = p_tenant_id AND r.exact AND EXISTS (
      SELECT 1 FROM authz.rewrite_edges AS e
      JOIN authz.relations AS t ON t.tenant_id = e.tenant_id AND NOT t.exact AND (
           (e.kind = 'computed' AND t.object_type = e.object_type AND t.relation = e.target_relation)
        OR (e.kind = 'ttu' AND t.relation = e.target_relation AND EXISTS (
              SELECT 1 FROM authz.relations AS s
              WHERE s.tenant_id = e.tenant_id AND s.object_type = e.object_type
                AND s.relation = e.tupleset AND t.object_type = ANY (s.direct_subjects)))
        OR (e.kind = 'this' AND t.object_type || '#' || t.relation = ANY (r.direct_subjects)))
      WHERE e.tenant_id = r.tenant_id AND e.object_type = r.object_type AND e.relation = r.relation);
    EXIT WHEN NOT FOUND;
  END LOOP;

  -- contract only after the tuples the new model has no place for are gone
  SELECT t.*, count(*) OVER () AS n INTO v_bad
  FROM authz.tuples AS t
  LEFT JOIN authz.relations AS r
    ON r.tenant_id = t.tenant_id AND r.object_type = t.object_type AND r.relation = t.relation
  WHERE t.tenant_id = p_tenant_id
    AND (r.relation IS NULL OR NOT (t.subject_type
         || CASE WHEN t.subject_relation = '' THEN '' ELSE '#' || t.subject_relation END)
         = ANY (r.direct_subjects))
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409',
      MESSAGE = 'the new authorization model has no place for existing tuples',
      DETAIL = pg_catalog.format('%s tuple(s), e.g. %s', v_bad.n, authz.format_tuple(
        v_bad.object_type, v_bad.object_id, v_bad.relation, v_bad.subject_type,
        v_bad.subject_id, v_bad.subject_relation)),
      HINT = 'expand first (keep the relation and subject type), delete those tuples, then contract';
  END IF;
  token := authz.make_token(p_tenant_id, v_revision);
END
$fn$;
