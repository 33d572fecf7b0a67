-- Graph walks over the tuples, guided by the model's edges (authz.rewrite_edges). They do
-- not evaluate intersections or exclusions: they find candidates (every node a positive
-- path connects), which authz.evaluate confirms unless the relation is exact. A node is
-- (type, id, relation); relation '' is a plain subject. UNION (not UNION ALL) makes each
-- walk visit a node once, so a cycle cannot make it run forever. Expired tuples are skipped.

-- authz.walk_down: every node reachable from the start nodes by following what a relation
-- includes (usersets, computed relations, tuple-to-userset), and with p_leaves the plain
-- subjects of direct tuples too. Used by list_subjects and the cycle guard.
CREATE OR REPLACE FUNCTION authz.walk_down(p_tenant_id uuid, p_types text[], p_ids text[],
                                           p_relations text[], p_now timestamptz,
                                           p_leaves boolean)
RETURNS TABLE (node_type text, node_id text, node_relation text)
LANGUAGE sql
STABLE
AS $fn$
  WITH RECURSIVE walk (t, id, r) AS (
    SELECT s.t, s.id, s.r FROM ROWS FROM (pg_catalog.unnest(p_types), pg_catalog.unnest(p_ids),
                                      pg_catalog.unnest(p_relations)) AS s (t, id, r)
    UNION
    SELECT n.t, n.id, n.r
    FROM walk AS w
    CROSS JOIN LATERAL (
      SELECT tu.subject_type, tu.subject_id, tu.subject_relation
      FROM authz.rewrite_edges AS e
      JOIN authz.tuples AS tu
        ON tu.tenant_id = e.tenant_id AND tu.object_type = w.t AND tu.object_id = w.id
       AND tu.relation = w.r AND (p_leaves OR tu.subject_relation <> '')
       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      WHERE e.tenant_id = p_tenant_id AND e.object_type = w.t AND e.relation = w.r
        AND e.kind = 'this'
      UNION ALL
      SELECT w.t, w.id, e.target_relation
      FROM authz.rewrite_edges AS e
      WHERE e.tenant_id = p_tenant_id AND e.object_type = w.t AND e.relation = w.r
        AND e.kind = 'computed'
      UNION ALL
      SELECT tu.subject_type, tu.subject_id, e.target_relation
      FROM authz.rewrite_edges AS e
      JOIN authz.tuples AS tu
        ON tu.tenant_id = e.tenant_id AND tu.object_type = w.t AND tu.object_id = w.id
       AND tu.relation = e.tupleset AND tu.subject_relation = ''
       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      WHERE e.tenant_id = p_tenant_id AND e.object_type = w.t AND e.relation = w.r
        AND e.kind = 'ttu'
    ) AS n (t, id, r)
    WHERE w.r <> ''
  )
  SELECT w.t, w.id, w.r FROM walk AS w
$fn$;

-- authz.walk_up: every node that includes the start node, by following tuples and edges
-- backwards (who names this subject; which relations include this one). Used by
-- list_objects.
CREATE OR REPLACE FUNCTION authz.walk_up(p_tenant_id uuid, p_type text, p_id text,
                                         p_relation text, p_now timestamptz)
RETURNS TABLE (node_type text, node_id text, node_relation text)
LANGUAGE sql
STABLE
AS $fn$
  WITH RECURSIVE walk (t, id, r) AS (
    SELECT p_type, p_id, p_relation
    UNION
    SELECT n.t, n.id, n.r
    FROM walk AS w
    CROSS JOIN LATERAL (
      -- tuples that name the node as their subject, in relations that take direct tuples
      SELECT tu.object_type, tu.object_id, tu.relation
      FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.subject_type = w.t AND tu.subject_id = w.id
        AND tu.subject_relation = w.r AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
        AND EXISTS (SELECT 1 FROM authz.rewrite_edges AS e
                    WHERE e.tenant_id = p_tenant_id AND e.object_type = tu.object_type
                      AND e.relation = tu.relation AND e.kind = 'this')
      UNION ALL
      -- relations of the same object that include the node's relation
      SELECT w.t, w.id, e.relation
      FROM authz.rewrite_edges AS e
      WHERE e.tenant_id = p_tenant_id AND e.kind = 'computed' AND e.object_type = w.t
        AND e.target_relation = w.r AND w.r <> ''
      UNION ALL
      -- objects whose tupleset points at the node's object, in relations that take the
      -- node's relation from there
      SELECT tu.object_type, tu.object_id, e.relation
      FROM authz.rewrite_edges AS e
      JOIN authz.tuples AS tu
        ON tu.tenant_id = e.tenant_id AND tu.subject_type = w.t AND tu.subject_id = w.id
       AND tu.subject_relation = '' AND tu.object_type = e.object_type
       AND tu.relation = e.tupleset AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      WHERE e.tenant_id = p_tenant_id AND e.kind = 'ttu' AND e.target_relation = w.r
        AND w.r <> ''
    ) AS n (t, id, r)
  )
  SELECT w.t, w.id, w.r FROM walk AS w
$fn$;

-- authz.list_objects: ids of the objects of p_object_type whose p_relation includes the
-- subject, in id order, at most p_limit. Raises like authz.check.
CREATE OR REPLACE FUNCTION authz.list_objects(p_tenant_id uuid, p_object_type text,
                                              p_relation text, p_subject text,
                                              p_limit integer, p_token text DEFAULT NULL)
RETURNS SETOF text
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_s record := authz.parse_subject(p_subject);
  v_now timestamptz := internal.now();
  v_exact boolean;
  v_model jsonb := authz.load_model(p_tenant_id);
BEGIN
  PERFORM authz.require_fresh(p_tenant_id, p_token);
  PERFORM authz.require_relation(v_model, p_object_type, p_relation);
  SELECT r.exact INTO v_exact FROM authz.relations AS r
  WHERE r.tenant_id = p_tenant_id AND r.object_type = p_object_type AND r.relation = p_relation;
  RETURN QUERY
  SELECT DISTINCT w.node_id
  FROM authz.walk_up(p_tenant_id, v_s.subject_type, v_s.subject_id, v_s.subject_relation, v_now) AS w
  WHERE w.node_type = p_object_type AND w.node_relation = p_relation
    AND (v_exact OR authz.evaluate_top(p_tenant_id, v_model, p_object_type, w.node_id, p_relation,
                                       v_s.subject_type, v_s.subject_id, v_s.subject_relation,
                                       v_now) IS NOT NULL)
  ORDER BY w.node_id
  LIMIT p_limit;
END
$fn$;

-- authz.list_subjects: ids of the plain subjects of p_subject_type in p_object#p_relation,
-- in id order, at most p_limit. Raises like authz.check.
CREATE OR REPLACE FUNCTION authz.list_subjects(p_tenant_id uuid, p_object text,
                                               p_relation text, p_subject_type text,
                                               p_limit integer, p_token text DEFAULT NULL)
RETURNS SETOF text
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_o record := authz.parse_object(p_object);
  v_now timestamptz := internal.now();
  v_exact boolean;
  v_model jsonb := authz.load_model(p_tenant_id);
BEGIN
  PERFORM authz.require_fresh(p_tenant_id, p_token);
  PERFORM authz.require_relation(v_model, v_o.object_type, p_relation);
  SELECT r.exact INTO v_exact FROM authz.relations AS r
  WHERE r.tenant_id = p_tenant_id AND r.object_type = v_o.object_type AND r.relation = p_relation;
  RETURN QUERY
  SELECT DISTINCT w.node_id
  FROM authz.walk_down(p_tenant_id, ARRAY[v_o.object_type], ARRAY[v_o.object_id],
                       ARRAY[p_relation], v_now, true) AS w
  WHERE w.node_type = p_subject_type AND w.node_relation = ''
    AND (v_exact OR authz.evaluate_top(p_tenant_id, v_model, v_o.object_type, v_o.object_id, p_relation,
                                       p_subject_type, w.node_id, '', v_now) IS NOT NULL)
  ORDER BY w.node_id
  LIMIT p_limit;
END
$fn$;
