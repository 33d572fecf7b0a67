-- Graph walks over the tuples, guided by the model's edges (authz.rewrite_edges). They do
-- not evaluate intersections or exclusions: they find candidates (every node a positive
-- path connects), which are the answer when the relation is exact; otherwise list_objects
-- evaluates the rewrite as set algebra over them (authz.evaluate_set) and list_subjects
-- confirms each with authz.evaluate. A node is (type, id, relation); relation '' is a plain
-- subject. UNION (not UNION ALL) makes each walk visit a node once, so a cycle cannot make
-- it run forever. Expired tuples are skipped.

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
-- list_objects, and by api.search_documents with a LIMIT that stops the walk early: that
-- needs the planner to inline it, so no SET clause, no SECURITY DEFINER, one statement
-- (tests/test_search.py checks that it stays so).
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
-- One authz.walk_up from the subject finds every node a positive path connects. An exact
-- relation is answered by the walk alone. Any other is evaluated as set algebra over the
-- walk (authz.evaluate_set below), starting from the walk's candidates of that relation;
-- only the parts that algebra cannot do (relations nested deeper than its limit) are
-- confirmed candidate by candidate with authz.evaluate, within one budget per list.
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
  v_walk jsonb;
  v_relations jsonb;
BEGIN
  PERFORM authz.require_fresh(p_tenant_id, p_token);
  PERFORM authz.require_relation(v_model, p_object_type, p_relation);
  PERFORM pg_catalog.set_config('claw.authz_set_work', '0', true),
          pg_catalog.set_config('claw.authz_work', '0', true);
  SELECT r.exact INTO v_exact FROM authz.relations AS r
  WHERE r.tenant_id = p_tenant_id AND r.object_type = p_object_type AND r.relation = p_relation;
  IF v_exact THEN
    RETURN QUERY
    SELECT DISTINCT w.node_id
    FROM authz.walk_up(p_tenant_id, v_s.subject_type, v_s.subject_id, v_s.subject_relation, v_now) AS w
    WHERE w.node_type = p_object_type AND w.node_relation = p_relation
    ORDER BY w.node_id
    LIMIT p_limit;
    RETURN;
  END IF;
  -- the walk as {"type#relation": [id, ...]}: each relation's candidates
  SELECT coalesce(pg_catalog.jsonb_object_agg(g.k, g.ids), '{}') INTO v_walk
  FROM (SELECT w.node_type || '#' || w.node_relation, pg_catalog.jsonb_agg(w.node_id)
        FROM authz.walk_up(p_tenant_id, v_s.subject_type, v_s.subject_id, v_s.subject_relation,
                           v_now) AS w
        GROUP BY 1) AS g (k, ids);
  -- the model's relations as {"type#relation": {"exact": ..., "direct": [subject type, ...]}}
  SELECT pg_catalog.jsonb_object_agg(r.object_type || '#' || r.relation,
           pg_catalog.jsonb_build_object('exact', r.exact, 'direct', r.direct_subjects))
    INTO v_relations
  FROM authz.relations AS r WHERE r.tenant_id = p_tenant_id;
  RETURN QUERY
  SELECT o.id
  FROM pg_catalog.unnest(authz.evaluate_set(
         p_tenant_id, v_model, v_walk, v_relations, p_object_type, p_relation,
         ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
                 coalesce(v_walk -> (p_object_type || '#' || p_relation), '[]'))),
         v_s.subject_type, v_s.subject_id, v_s.subject_relation, v_now, '{}')) AS o (id)
  ORDER BY o.id
  LIMIT p_limit;
END
$fn$;

-- Set evaluation, for list_objects: the same rewrite as authz.evaluate, over sets of object
-- ids of one type instead of one object. S(T, R), the ids of type T whose R includes the
-- subject, is always within the walk's candidates W(T, R) (every member has a positive
-- path), and equals them when R is exact. Otherwise, by the rewrite:
--   union          the union of the children
--   intersection   the children in turn, each asked only about what the previous kept
--   exclusion      the base, less the subtraction (asked only about the base)
--   computed r     S(T, r)
--   this           ids with a live tuple naming the subject, or a userset (U, u, r) with
--                  u in S(U, r)
--   ttu (ts, c)    ids with a live tuple of ts naming a parent (P, p) with p in S(P, c)
--   and a userset subject T:x#R includes itself (x in S(T, R)), as in authz.evaluate.
-- Every call carries the candidates that matter (p_candidates, distinct) and returns the
-- members among them, so a nested relation that is not exact (a userset folder#viewer, a
-- ttu target) is evaluated only for the usersets or parents the outer candidates name. That
-- recursion follows the tuples (acyclic: authz.write_tuples refuses cycles), so a relation
-- may reach itself again through parents; p_path holds the relations being evaluated, and
-- from 8 deep the remaining candidates are confirmed one by one by authz.evaluate (which
-- raises CL508 as check does). tests/test_authz_reference.py and
-- tests/test_authz_list_sets.py compare the answers with a plain evaluator.

-- authz.evaluate_set: the members of p_type#p_relation among p_candidates, as an array.
-- p_walk: authz.walk_up's nodes as {"type#relation": [id, ...]}; p_relations: the tenant's
-- authz.relations as {"type#relation": {"exact": boolean, "direct": [subject type, ...]}}.
CREATE OR REPLACE FUNCTION authz.evaluate_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb,
                                              p_relations jsonb, p_type text, p_relation text,
                                              p_candidates text[], p_subject_type text,
                                              p_subject_id text, p_subject_relation text,
                                              p_now timestamptz, p_path text[])
RETURNS text[]
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_key text := p_type || '#' || p_relation;
  v_exact boolean := (p_relations -> v_key ->> 'exact')::boolean;
  v_set text[];
  v_work integer;
BEGIN
  IF pg_catalog.cardinality(p_candidates) = 0 THEN
    RETURN '{}';
  END IF;
  -- a budget of set evaluations per list (authz.list_objects resets it), like authz.evaluate's
  -- per check: a model whose relations branch into the same non-exact relations at every
  -- level could otherwise multiply them
  v_work := coalesce(NULLIF(pg_catalog.current_setting('claw.authz_set_work', true), ''), '0')::integer + 1;
  IF v_work > 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too complex',
      DETAIL = 'the list needed more than 10,000 set evaluations',
      HINT = 'reference fewer relations that use intersection or exclusion from each other';
  END IF;
  PERFORM pg_catalog.set_config('claw.authz_set_work', v_work::text, true);
  -- exact: the walk's candidates. A relation the type does not define (a ttu target some
  -- parent types lack) has no members but a userset subject itself, which the walk holds.
  IF coalesce(v_exact, true) THEN
    RETURN ARRAY(SELECT w.id FROM pg_catalog.jsonb_array_elements_text(
                   coalesce(p_walk -> v_key, '[]')) AS w (id)
                 INTERSECT
                 SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id));
  END IF;
  IF pg_catalog.cardinality(p_path) >= 8 THEN
    -- nested too deep for the set algebra: confirm each remaining candidate, all of them
    -- within one evaluation budget (authz.evaluate's, reset by authz.list_objects), so a
    -- list cannot be a check's worst case times its candidates
    RETURN ARRAY(SELECT x.id
                 FROM (SELECT w.id FROM pg_catalog.jsonb_array_elements_text(
                         coalesce(p_walk -> v_key, '[]')) AS w (id)
                       INTERSECT
                       SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id)) AS x (id)
                 WHERE authz.decided(authz.evaluate(p_tenant_id, p_model, p_type, x.id,
                                                    p_relation, p_subject_type, p_subject_id,
                                                    p_subject_relation, p_now, '{}')) IS NOT NULL);
  END IF;
  v_set := authz.evaluate_rewrite_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                                      p_relation, p_model -> 'r' -> v_key, p_candidates,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now,
                                      p_path || v_key);
  -- a userset includes itself
  IF p_subject_type = p_type AND p_subject_relation = p_relation
     AND p_subject_id = ANY (p_candidates) AND NOT p_subject_id = ANY (v_set) THEN
    v_set := v_set || p_subject_id;
  END IF;
  RETURN v_set;
END
$fn$;

-- authz.evaluate_rewrite_set: the members among p_candidates of one rewrite node of
-- p_type#p_relation (see above), as an array.
CREATE OR REPLACE FUNCTION authz.evaluate_rewrite_set(p_tenant_id uuid, p_model jsonb,
                                                      p_walk jsonb, p_relations jsonb,
                                                      p_type text, p_relation text,
                                                      p_node jsonb,
                                                      p_candidates text[],
                                                      p_subject_type text, p_subject_id text,
                                                      p_subject_relation text,
                                                      p_now timestamptz, p_path text[])
RETURNS text[]
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_set text[];
  v_child jsonb;
  -- this and ttu: the relation whose tuples the leaf reads, and per relation its tuples
  -- name (a userset's, a parent's), the members among the ids they name
  v_tuples text := coalesce(p_node -> 'ttu' ->> 'tupleset', p_relation);
  v_from record;
  v_members text[];
BEGIN
  IF pg_catalog.cardinality(p_candidates) = 0 THEN
    RETURN '{}';
  END IF;
  IF p_node ? 'computed' THEN
    RETURN authz.evaluate_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                              p_node ->> 'computed', p_candidates, p_subject_type,
                              p_subject_id, p_subject_relation, p_now, p_path);
  ELSIF p_node ? 'union' THEN
    -- each child only about the candidates not found yet, so the parts are disjoint
    v_set := '{}';
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'union') AS e LOOP
      v_set := v_set || authz.evaluate_rewrite_set(
        p_tenant_id, p_model, p_walk, p_relations, p_type, p_relation, v_child,
        ARRAY(SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id)
              EXCEPT SELECT f.id FROM pg_catalog.unnest(v_set) AS f (id)),
        p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
    END LOOP;
    RETURN v_set;
  ELSIF p_node ? 'intersection' THEN
    -- each child only about what the previous ones kept
    v_set := p_candidates;
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'intersection') AS e
    LOOP
      v_set := authz.evaluate_rewrite_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                                          p_relation, v_child, v_set, p_subject_type,
                                          p_subject_id, p_subject_relation, p_now, p_path);
    END LOOP;
    RETURN v_set;
  ELSIF p_node ? 'exclusion' THEN
    v_set := authz.evaluate_rewrite_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                                        p_relation, p_node -> 'exclusion' -> 'base',
                                        p_candidates, p_subject_type, p_subject_id,
                                        p_subject_relation, p_now, p_path);
    RETURN ARRAY(SELECT b.id FROM pg_catalog.unnest(v_set) AS b (id)
                 EXCEPT
                 SELECT s.id FROM pg_catalog.unnest(authz.evaluate_rewrite_set(
                   p_tenant_id, p_model, p_walk, p_relations, p_type, p_relation,
                   p_node -> 'exclusion' -> 'subtract', v_set, p_subject_type, p_subject_id,
                   p_subject_relation, p_now, p_path)) AS s (id));
  ELSIF NOT (p_node ? 'this' OR p_node ? 'ttu') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rewrite in the stored model',
      DETAIL = pg_catalog.left(p_node::text, 200);
  END IF;

  -- this: the tuples naming the subject itself
  v_set := '{}';
  IF p_node ? 'this' THEN
    v_set := ARRAY(SELECT tu.object_id FROM authz.tuples AS tu
                   WHERE tu.tenant_id = p_tenant_id AND tu.subject_type = p_subject_type
                     AND tu.subject_id = p_subject_id
                     AND tu.subject_relation = p_subject_relation
                     AND tu.object_type = p_type AND tu.relation = p_relation
                     AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
                   INTERSECT
                   SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id));
  END IF;
  -- this: the tuples naming a userset (U, u, r), u in S(U, r); ttu: the tuples of the
  -- tupleset naming a parent (P, p), p in S(P, computed). The subject types the tuples may
  -- name are the relation's direct subjects (authz.write_tuples refuses any other; a
  -- tupleset names plain objects only).
  FOR v_from IN
    SELECT m.t, m.r, m.sr,
           coalesce((p_relations -> (m.t || '#' || m.r) ->> 'exact')::boolean, true) AS exact
    FROM pg_catalog.jsonb_array_elements_text(
           p_relations -> (p_type || '#' || v_tuples) -> 'direct') AS s (s)
    CROSS JOIN LATERAL (
      SELECT pg_catalog.split_part(s.s, '#', 1),
             coalesce(p_node -> 'ttu' ->> 'computed', pg_catalog.split_part(s.s, '#', 2)),
             pg_catalog.split_part(s.s, '#', 2)) AS m (t, r, sr)
    WHERE (m.sr = '') = (p_node ? 'ttu')
  LOOP
    IF v_from.exact THEN
      v_members := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
                           coalesce(p_walk -> (v_from.t || '#' || v_from.r), '[]')));
    ELSE
      -- asked only about the usersets or parents the candidates' tuples name
      v_members := authz.evaluate_set(
        p_tenant_id, p_model, p_walk, p_relations, v_from.t, v_from.r,
        ARRAY(SELECT DISTINCT tu.subject_id
              FROM pg_catalog.unnest(p_candidates) AS c (id)
              JOIN authz.tuples AS tu
                ON tu.tenant_id = p_tenant_id AND tu.object_type = p_type
               AND tu.object_id = c.id AND tu.relation = v_tuples
               AND tu.subject_type = v_from.t AND tu.subject_relation = v_from.sr
               AND (tu.expires_at IS NULL OR tu.expires_at > p_now)),
        p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
    END IF;
    CONTINUE WHEN pg_catalog.cardinality(v_members) = 0;
    v_set := ARRAY(SELECT f.id FROM pg_catalog.unnest(v_set) AS f (id)
                   UNION
                   (SELECT tu.object_id
                    FROM pg_catalog.unnest(v_members) AS m (id)
                    JOIN authz.tuples AS tu
                      ON tu.tenant_id = p_tenant_id AND tu.subject_type = v_from.t
                     AND tu.subject_id = m.id AND tu.subject_relation = v_from.sr
                     AND tu.object_type = p_type AND tu.relation = v_tuples
                     AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
                    INTERSECT
                    SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id)));
  END LOOP;
  RETURN v_set;
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
