-- authz.evaluate_this: the `this` leaf of object p_type:p_id's relation p_relation, for
-- authz.evaluate_rewrite. Nested groups are where checks spend their time (a business admin
-- that is a team of teams of teams), so this leaf walks them in one statement instead of one
-- evaluate call per group: a recursive query follows userset tuples down through every
-- relation that is exactly {"this": [...]} (team#member), and answers from the nodes it
-- reaches:
--   1. a node with a direct tuple naming the subject        -> allowed
--   2. a node that is the subject itself (a userset)        -> allowed
--   3. a userset whose relation is a richer rewrite          -> authz.evaluate it, in order
-- The answer equals evaluating node by node (tests/test_authz_reference.py compares it with a
-- plain recursive evaluator); the explanation names the same tuples. A node deeper than the
-- 25-node path limit is not expanded; if nothing was found and the walk was cut there, CL508.
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
  v_hit record;
  v_why jsonb;
  v_i integer;
  v_direct boolean;
  v_nested boolean;
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
  FOR v_hit IN
    WITH RECURSIVE us (t, id, r, depth, nodes, tuples, simple) AS (
      SELECT p_type, p_id, p_relation, 0, ARRAY[]::text[], ARRAY[]::text[], true
      UNION ALL
      SELECT tu.subject_type, tu.subject_id, tu.subject_relation, us.depth + 1,
             us.nodes || (tu.subject_type || ':' || tu.subject_id || '#' || tu.subject_relation),
             us.tuples || authz.format_tuple(us.t, us.id, us.r, tu.subject_type, tu.subject_id,
                                             tu.subject_relation),
             (tu.subject_type || '#' || tu.subject_relation) = ANY (v_simple)
      FROM us
      JOIN authz.tuples AS tu
        ON tu.tenant_id = p_tenant_id AND tu.object_type = us.t AND tu.object_id = us.id
       AND tu.relation = us.r AND tu.subject_relation <> ''
       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      -- walk on from plain-this usersets only, and not past the subject itself
      WHERE us.simple AND us.depth < v_budget
        AND NOT (us.depth > 0 AND us.t = p_subject_type AND us.id = p_subject_id
                 AND us.r = p_subject_relation)
    )
    -- 1: a plain-this node with a direct tuple naming the subject
    SELECT 1 AS kind, us.depth, us.nodes, us.tuples,
           authz.format_tuple(us.t, us.id, us.r, p_subject_type, p_subject_id,
                              p_subject_relation) AS last, us.t, us.id, us.r
    FROM us
    WHERE us.simple AND EXISTS (
      SELECT 1 FROM authz.tuples AS d
      WHERE d.tenant_id = p_tenant_id AND d.object_type = us.t AND d.object_id = us.id
        AND d.relation = us.r AND d.subject_type = p_subject_type
        AND d.subject_id = p_subject_id AND d.subject_relation = p_subject_relation
        AND (d.expires_at IS NULL OR d.expires_at > p_now))
    UNION ALL
    -- 2: the subject itself (a userset)
    SELECT 2, us.depth, us.nodes, us.tuples, NULL, us.t, us.id, us.r
    FROM us
    WHERE us.depth > 0 AND us.t = p_subject_type AND us.id = p_subject_id
      AND us.r = p_subject_relation
    UNION ALL
    -- 3: a userset whose relation is a richer rewrite: authz.evaluate decides
    SELECT 3, us.depth, us.nodes, us.tuples, NULL, us.t, us.id, us.r
    FROM us
    WHERE NOT us.simple
      AND NOT (us.t = p_subject_type AND us.id = p_subject_id AND us.r = p_subject_relation)
    UNION ALL
    -- 4: the walk stopped at the depth limit with more below
    SELECT 4, us.depth, us.nodes, us.tuples, NULL, us.t, us.id, us.r
    FROM us
    WHERE us.simple AND us.depth = v_budget AND EXISTS (
      SELECT 1 FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.object_type = us.t AND tu.object_id = us.id
        AND tu.relation = us.r AND tu.subject_relation <> ''
        AND (tu.expires_at IS NULL OR tu.expires_at > p_now))
    ORDER BY 1, 2, 3
  LOOP
    IF v_hit.kind = 1 THEN
      v_why := pg_catalog.jsonb_build_object('tuple', v_hit.last);
    ELSIF v_hit.kind = 2 THEN
      v_why := NULL;  -- the last node is the subject: its 'self' explanation is added below
    ELSIF v_hit.kind = 3 THEN
      -- evaluate the last node with its ancestors on the path; it is wrapped below
      v_why := authz.evaluate(p_tenant_id, p_model, v_hit.t, v_hit.id, v_hit.r, p_subject_type,
                              p_subject_id, p_subject_relation, p_now,
                              p_path || v_hit.nodes[1:v_hit.depth - 1]);
      IF v_why IS NULL THEN
        CONTINUE;
      END IF;
    ELSE
      RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too deep',
        DETAIL = pg_catalog.format('more than 25 nodes: %s -> %s',
                                   pg_catalog.array_to_string(p_path || v_hit.nodes, ' -> '), '...'),
        HINT = 'flatten nested groups';
    END IF;
    -- wrap the hit in the usersets that led to it, innermost first
    FOR v_i IN REVERSE pg_catalog.cardinality(v_hit.nodes) .. 1 LOOP
      v_why := pg_catalog.jsonb_build_object('tuple', v_hit.tuples[v_i], 'then',
        CASE WHEN v_hit.kind = 3 AND v_i = v_hit.depth THEN v_why
             ELSE pg_catalog.jsonb_build_object('node', v_hit.nodes[v_i], 'because',
                    coalesce(v_why, '{"self": true}'::jsonb)) END);
    END LOOP;
    RETURN v_why;
  END LOOP;
  RETURN NULL;
END
$fn$;
