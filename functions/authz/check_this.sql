-- authz.evaluate_this: the `this` leaf of object p_type:p_id's relation p_relation, for
-- authz.evaluate_rewrite. Nested groups are where checks spend their time (a business admin
-- that is a team of teams of teams), so this leaf walks them in one recursive statement
-- through every relation that is exactly {"this": [...]} (team#member), visiting each group
-- once per depth however many paths lead to it (two paths per level must not double the
-- work at every level: a diamond of 16 levels would be 65,536 paths), and answers from the
-- groups it reaches, nearest first:
--   1. a group with a direct tuple naming the subject        -> allowed
--   2. a group that is the subject itself (a userset)        -> allowed
--   3. a userset whose relation is a richer rewrite           -> authz.evaluate it, in order
-- The answer equals evaluating node by node (tests/test_authz_reference.py compares it with a
-- plain recursive evaluator); the explanation names the tuples of one shortest path. A group
-- deeper than the 25-node path limit is not expanded; if nothing was found and the walk was
-- cut there, CL508.
CREATE OR REPLACE FUNCTION authz.evaluate_this(p_tenant_id uuid, p_model jsonb, p_type text,
                                               p_id text,
                                               p_relation text, p_subject_type text,
                                               p_subject_id text, p_subject_relation text,
                                               p_now timestamptz, p_path text[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  -- a userset at depth d is evaluated with a path of cardinality(p_path) + d - 1 nodes
  v_budget integer := 25 - pg_catalog.cardinality(p_path);
  -- the usersets walked here: relations that are exactly {"this": [...]}
  v_simple text[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(p_model -> 's'));
  v_root text := p_type || ':' || p_id || '#' || p_relation;
  v_subject text := p_subject_type || ':' || p_subject_id || '#' || p_subject_relation;
  v_direct boolean;
  v_nested boolean;
  v_key text;
  v_why jsonb;
  v_ancestors text[];
  v_found jsonb;
  v_reached jsonb;
  v_kind integer;
  v_i integer;
  v_j integer;
BEGIN
  -- most objects hold no usersets: answer those with one probe
  SELECT EXISTS (SELECT 1 FROM authz.tuples AS d
                 WHERE d.tenant_id = p_tenant_id AND d.object_type = p_type AND d.object_id = p_id
                   AND d.relation = p_relation AND d.subject_type = p_subject_type
                   AND d.subject_id = p_subject_id AND d.subject_relation = p_subject_relation
                   AND (d.expires_at IS NULL OR d.expires_at > p_now)),
         EXISTS (SELECT 1 FROM authz.tuples AS u
                 WHERE u.tenant_id = p_tenant_id AND u.object_type = p_type AND u.object_id = p_id
                   AND u.relation = p_relation AND u.subject_relation <> ''
                   AND (u.expires_at IS NULL OR u.expires_at > p_now))
    INTO v_direct, v_nested;
  IF v_direct THEN
    RETURN pg_catalog.jsonb_build_object('tuple', authz.format_tuple(
      p_type, p_id, p_relation, p_subject_type, p_subject_id, p_subject_relation));
  ELSIF NOT v_nested THEN
    RETURN NULL;
  END IF;

  -- One statement walks every plain-this group below, each (group, depth) once: UNION
  -- drops the second path to a group at the same depth, so a diamond costs its groups, not
  -- its paths. It returns what was found, nearest first, and the groups it reached (for the
  -- explanation of a hit, rebuilt below without walking again).
  WITH RECURSIVE us (t, id, r, depth, simple) AS (
    SELECT p_type, p_id, p_relation, 0, true
    UNION
    SELECT tu.subject_type, tu.subject_id, tu.subject_relation, us.depth + 1,
           (tu.subject_type || '#' || tu.subject_relation) = ANY (v_simple)
    FROM us
    JOIN authz.tuples AS tu
      ON tu.tenant_id = p_tenant_id AND tu.object_type = us.t AND tu.object_id = us.id
     AND tu.relation = us.r AND tu.subject_relation <> ''
     AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
    WHERE us.simple AND us.depth < v_budget
      AND NOT (us.depth > 0 AND us.t = p_subject_type AND us.id = p_subject_id
               AND us.r = p_subject_relation)
  ), found AS (
    -- 1: a plain-this group with a direct tuple naming the subject
    SELECT 1 AS kind, us.depth, us.t, us.id, us.r
    FROM us
    WHERE us.simple AND us.depth > 0 AND EXISTS (
      SELECT 1 FROM authz.tuples AS d
      WHERE d.tenant_id = p_tenant_id AND d.object_type = us.t AND d.object_id = us.id
        AND d.relation = us.r AND d.subject_type = p_subject_type
        AND d.subject_id = p_subject_id AND d.subject_relation = p_subject_relation
        AND (d.expires_at IS NULL OR d.expires_at > p_now))
    UNION ALL
    -- 2: the subject itself (a userset)
    SELECT 2, us.depth, us.t, us.id, us.r
    FROM us
    WHERE us.depth > 0 AND us.t = p_subject_type AND us.id = p_subject_id
      AND us.r = p_subject_relation
    UNION ALL
    -- 3: a userset whose relation is a richer rewrite
    SELECT 3, us.depth, us.t, us.id, us.r
    FROM us
    WHERE NOT us.simple
      AND NOT (us.t = p_subject_type AND us.id = p_subject_id AND us.r = p_subject_relation)
    UNION ALL
    -- 4: the walk stopped at the depth limit with more below
    SELECT 4, us.depth, us.t, us.id, us.r
    FROM us
    WHERE us.simple AND us.depth = v_budget AND EXISTS (
      SELECT 1 FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.object_type = us.t AND tu.object_id = us.id
        AND tu.relation = us.r AND tu.subject_relation <> ''
        AND (tu.expires_at IS NULL OR tu.expires_at > p_now))
  )
  SELECT (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(f.kind, f.depth, f.t, f.id, f.r)
                                      ORDER BY f.kind, f.depth, f.t, f.id, f.r) FROM found AS f),
         (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(u.depth, u.t, u.id, u.r))
          FROM us AS u WHERE u.simple)
    INTO v_found, v_reached;

  FOR v_i IN 0 .. coalesce(pg_catalog.jsonb_array_length(v_found), 0) - 1 LOOP
    v_kind := (v_found -> v_i ->> 0)::integer;
    v_key := (v_found -> v_i ->> 2) || ':' || (v_found -> v_i ->> 3) || '#' || (v_found -> v_i ->> 4);
    v_ancestors := authz.userset_path(p_tenant_id, v_reached, v_root, v_key,
                                      (v_found -> v_i ->> 1)::integer, p_now);
    IF v_kind = 1 THEN
      v_why := pg_catalog.jsonb_build_object('node', v_key, 'because', pg_catalog.jsonb_build_object(
        'tuple', authz.format_tuple(v_found -> v_i ->> 2, v_found -> v_i ->> 3, v_found -> v_i ->> 4,
                                    p_subject_type, p_subject_id, p_subject_relation)));
    ELSIF v_kind = 2 THEN
      v_why := pg_catalog.jsonb_build_object('node', v_key, 'because', '{"self": true}'::jsonb);
    ELSIF v_kind = 3 THEN
      v_why := authz.evaluate(p_tenant_id, p_model, v_found -> v_i ->> 2, v_found -> v_i ->> 3,
                              v_found -> v_i ->> 4, p_subject_type, p_subject_id,
                              p_subject_relation, p_now,
                              p_path || v_ancestors[2:pg_catalog.cardinality(v_ancestors) - 1]);
      CONTINUE WHEN v_why IS NULL;
    ELSE
      RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too deep',
        DETAIL = 'a path of usersets goes deeper than 25 nodes',
        HINT = 'flatten nested groups';
    END IF;
    -- v_ancestors: root, ..., the hit group; wrap the hit in the tuples that led to it
    FOR v_j IN REVERSE pg_catalog.cardinality(v_ancestors) .. 2 LOOP
      v_why := pg_catalog.jsonb_build_object(
        'tuple', v_ancestors[v_j - 1] || '@' || v_ancestors[v_j],
        'then', v_why);
      IF v_j > 2 THEN
        v_why := pg_catalog.jsonb_build_object('node', v_ancestors[v_j - 1], 'because', v_why);
      END IF;
    END LOOP;
    RETURN v_why;
  END LOOP;
  RETURN NULL;
END
$fn$;

-- authz.userset_path: the groups from p_root down to p_node (found at p_depth by
-- authz.evaluate_this, whose walk reached the groups in p_reached: [[depth, type, id,
-- relation], ...]), one per level, each holding a live userset tuple naming the next:
-- {p_root, group at depth 1, ..., p_node}. One query per level, only for an answer.
CREATE OR REPLACE FUNCTION authz.userset_path(p_tenant_id uuid, p_reached jsonb, p_root text,
                                              p_node text, p_depth integer, p_now timestamptz)
RETURNS text[]
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_path text[] := ARRAY[p_node];
  v_k integer;
  v_up text;
BEGIN
  FOR v_k IN REVERSE p_depth - 1 .. 0 LOOP
    SELECT x.t || ':' || x.id || '#' || x.r INTO v_up
    FROM pg_catalog.jsonb_array_elements(p_reached) AS e
    CROSS JOIN LATERAL (SELECT e ->> 1 AS t, e ->> 2 AS id, e ->> 3 AS r,
                               (e ->> 0)::integer AS depth) AS x
    WHERE x.depth = v_k AND EXISTS (
      SELECT 1 FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.object_type = x.t AND tu.object_id = x.id
        AND tu.relation = x.r
        AND tu.subject_type = pg_catalog.split_part(v_path[1], ':', 1)
        AND tu.subject_id = pg_catalog.substr(pg_catalog.split_part(v_path[1], '#', 1),
                                              pg_catalog.strpos(v_path[1], ':') + 1)
        AND tu.subject_relation = pg_catalog.split_part(v_path[1], '#', 2)
        AND (tu.expires_at IS NULL OR tu.expires_at > p_now))
    ORDER BY 1
    LIMIT 1;
    v_path := v_up || v_path;
  END LOOP;
  RETURN v_path;
END
$fn$;
