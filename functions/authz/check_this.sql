-- authz.memberships: the groups that subject p_type:p_id#p_relation is a live member of,
-- among the relations p_groups names (a JSON array of "type#relation"): one probe of
-- tuples_by_subject per relation (OFFSET 0 keeps each a probe), never every tuple that names
-- the subject. The step of every walk up from a subject (authz.evaluate_this,
-- authz.reaches). A plain SQL function, so that the planner inlines it into those walks;
-- every query names the tenant.
CREATE OR REPLACE FUNCTION authz.memberships(p_tenant_id uuid, p_type text, p_id text,
                                             p_relation text, p_groups jsonb,
                                             p_now timestamptz)
RETURNS TABLE (object_type text, object_id text, relation text)
LANGUAGE sql
STABLE
AS $fn$
  SELECT tu.object_type, tu.object_id, tu.relation
  FROM pg_catalog.jsonb_array_elements_text(p_groups) AS g (g)
  CROSS JOIN LATERAL (
    SELECT tu.object_type, tu.object_id, tu.relation FROM authz.tuples AS tu
    WHERE tu.tenant_id = p_tenant_id AND tu.subject_type = p_type AND tu.subject_id = p_id
      AND tu.subject_relation = p_relation
      AND tu.object_type = pg_catalog.split_part(g.g, '#', 1)
      AND tu.relation = pg_catalog.split_part(g.g, '#', 2)
      AND (tu.expires_at IS NULL OR tu.expires_at > p_now) OFFSET 0) AS tu
$fn$;
GRANT EXECUTE ON FUNCTION authz.memberships(uuid, text, text, text, jsonb, timestamptz)
  TO claw_authz_reader;

-- authz.subject_groups: the walk up from subject p_type:p_id#p_relation through the groups
-- it is a live member of, among the relations p_groups names, each (group, depth) once
-- (UNION: a diamond costs its groups, not its paths), to depth p_depth; the subject itself
-- at depth 0. One authz.memberships step per node: joined on the subject alone, the planner
-- read every tuple of the tenant (or of the team) and kept the groups (with a team that may
-- view 10,000 documents, 1.5 ms per check instead of 0.26). The walk up of authz.reaches and
-- of authz.evaluate_this; a plain SQL function, inlined into both.
CREATE OR REPLACE FUNCTION authz.subject_groups(p_tenant_id uuid, p_type text, p_id text,
                                                p_relation text, p_groups jsonb,
                                                p_now timestamptz, p_depth integer)
RETURNS TABLE (t text, id text, r text, depth integer)
LANGUAGE sql
STABLE
AS $fn$
  WITH RECURSIVE up (t, id, r, depth) AS (
    SELECT p_type, p_id, p_relation, 0
    UNION
    SELECT m.object_type, m.object_id, m.relation, up.depth + 1
    FROM up
    CROSS JOIN LATERAL authz.memberships(p_tenant_id, up.t, up.id, up.r, p_groups, p_now) AS m
    WHERE up.depth < p_depth
  )
  SELECT up.t, up.id, up.r, up.depth FROM up
$fn$;
GRANT EXECUTE ON FUNCTION authz.subject_groups(uuid, text, text, text, jsonb, timestamptz,
                                               integer)
  TO claw_authz_reader;

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
-- When the model says every userset this relation can reach is such a plain relation (the
-- compiled model's "u": then no richer userset can hide below), it walks the other way first,
-- as Zanzibar's Leopard index does: from the subject up to the groups that include it (a
-- member of three nested teams: three probes, where the walk down from a business visits
-- every team below it), and looks for a tuple of this relation naming one of them. Only a
-- walk cut at the depth limit sends the question down the other way.
-- The answer equals evaluating node by node (tests/test_authz_reference.py compares it with a
-- plain recursive evaluator); the explanation names the tuples of one shortest path. A group
-- deeper than the 25-node path limit is not expanded; if nothing was found and the walk was
-- cut there (or a richer userset's evaluation was cut short), the leaf is a cut branch
-- ({"cut": ...}, see authz.evaluate), which a sibling may still decide. The walk up answers "no" without CL508 when nothing includes the subject
-- within the limit and nothing above it is cut: then no path of any length leads to it, where
-- the walk down, cut in a deep tree of other members, could only refuse.
-- This runs as claw_authz_reader (authz.evaluate_in_tenant), without RLS: every query names
-- the tenant. tests/test_authz_reader.py removes each of those filters in turn and needs a
-- wrong answer for each, except the three marked `speed only` (probes that only decide
-- whether to look further, or whether a walk was cut: without the filter a question only
-- does more work).
CREATE OR REPLACE FUNCTION authz.evaluate_this(p_tenant_id uuid, p_model jsonb, p_type text,
                                               p_id text,
                                               p_relation text, p_subject_type text,
                                               p_subject_id text, p_subject_relation text,
                                               p_now timestamptz, p_path text[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
-- the walks' hash tables sized for a handful of nodes, not for the planner's estimate
-- (see authz.reaches)
SET work_mem = '64kB'
AS $fn$
DECLARE
  -- a userset at depth d is evaluated with a path of cardinality(p_path) + d - 1 nodes
  v_budget integer := 25 - pg_catalog.cardinality(p_path);
  -- the usersets walked here: relations that are exactly {"this": [...]} (a JSON array of
  -- names: `?` asks whether it holds one)
  v_simple jsonb := p_model -> 's';
  v_root text := p_type || ':' || p_id || '#' || p_relation;
  v_subject_text text := p_subject_type || ':' || p_subject_id
                         || CASE WHEN p_subject_relation = '' THEN '' ELSE '#' || p_subject_relation END;
  v_direct boolean;
  v_nested boolean;
  v_key text;
  v_why jsonb;
  v_ancestors text[];
  v_found jsonb;
  v_reached jsonb;
  v_kind integer;
  v_i integer;
  v_up jsonb := p_model -> 'u' -> (p_type || '#' || p_relation);
  v_hit jsonb;
  v_cut boolean;
  v_undecided jsonb;  -- the first cut branch, the answer when nothing holds
BEGIN
  -- most objects hold no usersets: answer those with one probe
  SELECT EXISTS (SELECT 1 FROM authz.tuples AS d
                 WHERE d.tenant_id = p_tenant_id AND d.object_type = p_type AND d.object_id = p_id
                   AND d.relation = p_relation AND d.subject_type = p_subject_type
                   AND d.subject_id = p_subject_id AND d.subject_relation = p_subject_relation
                   AND (d.expires_at IS NULL OR d.expires_at > p_now)),
         EXISTS (SELECT 1 FROM authz.tuples AS u
                 WHERE u.tenant_id = p_tenant_id /* speed only */
                   AND u.object_type = p_type AND u.object_id = p_id
                   AND u.relation = p_relation AND u.subject_relation <> ''
                   AND (u.expires_at IS NULL OR u.expires_at > p_now))
    INTO v_direct, v_nested;
  IF v_direct THEN
    RETURN pg_catalog.jsonb_build_object('tuple', authz.format_tuple(
      p_type, p_id, p_relation, p_subject_type, p_subject_id, p_subject_relation));
  ELSIF NOT v_nested THEN
    RETURN NULL;
  END IF;

  IF v_up IS NOT NULL THEN
    -- Up from the subject through the plain relations this one can reach, each (group,
    -- depth) once; a hit is a group at depth d >= 1 that this relation's tuples name (the
    -- walk down would find the subject d levels below), nearest first.
    WITH up (t, id, r, depth) AS (
      SELECT * FROM authz.subject_groups(p_tenant_id, p_subject_type, p_subject_id,
                                         p_subject_relation, v_up, p_now, v_budget)
    ), hit AS (
      SELECT up.depth, up.t, up.id, up.r
      FROM up
      WHERE up.depth >= 1 AND EXISTS (
        SELECT 1 FROM authz.tuples AS h
        WHERE h.tenant_id = p_tenant_id AND h.object_type = p_type AND h.object_id = p_id
          AND h.relation = p_relation AND h.subject_type = up.t AND h.subject_id = up.id
          AND h.subject_relation = up.r AND (h.expires_at IS NULL OR h.expires_at > p_now))
      ORDER BY up.depth, up.t, up.id, up.r
      LIMIT 1
    )
    SELECT (SELECT pg_catalog.jsonb_build_array(h.depth, h.t, h.id, h.r) FROM hit AS h),
           (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(u.depth, u.t, u.id, u.r))
            FROM up AS u WHERE u.depth >= 1 AND EXISTS (SELECT 1 FROM hit)),
           EXISTS (SELECT 1 FROM up AS u
                   WHERE u.depth = v_budget AND EXISTS (
                     SELECT 1 FROM authz.tuples AS tu
                     WHERE tu.tenant_id = p_tenant_id /* speed only */ AND tu.subject_type = u.t
                       AND tu.subject_id = u.id AND tu.subject_relation = u.r
                       AND v_up ? (tu.object_type || '#' || tu.relation)
                       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)))
      INTO v_hit, v_reached, v_cut;
    IF v_hit IS NOT NULL THEN
      -- the groups from the hit down to the one that names the subject, then as below
      v_ancestors := authz.userset_chain(p_tenant_id, v_reached, v_hit, p_now);
      RETURN authz.wrap_userset_path(v_root || v_ancestors, pg_catalog.jsonb_build_object(
        'node', v_ancestors[pg_catalog.cardinality(v_ancestors)],
        'because', pg_catalog.jsonb_build_object(
          'tuple', v_ancestors[pg_catalog.cardinality(v_ancestors)] || '@' || v_subject_text)));
    ELSIF NOT v_cut THEN
      RETURN NULL;  -- nothing includes the subject within the depth limit
    END IF;
  END IF;

  -- One statement walks every plain-this group below, each (group, depth) once: UNION
  -- drops the second path to a group at the same depth, so a diamond costs its groups, not
  -- its paths. It returns what was found, nearest first, and the groups it reached (for the
  -- explanation of a hit, rebuilt below without walking again).
  WITH RECURSIVE us (t, id, r, depth, simple) AS (
    SELECT p_type, p_id, p_relation, 0, true
    UNION
    SELECT tu.subject_type, tu.subject_id, tu.subject_relation, us.depth + 1,
           v_simple ? (tu.subject_type || '#' || tu.subject_relation)
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
      WHERE tu.tenant_id = p_tenant_id /* speed only */
        AND tu.object_type = us.t AND tu.object_id = us.id
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
      IF v_why ? 'cut' THEN
        v_undecided := coalesce(v_undecided, v_why);
      END IF;
      CONTINUE WHEN v_why IS NULL OR v_why ? 'cut';
    ELSE
      -- the walk stopped at the depth limit (these come last: nothing nearer held)
      RETURN coalesce(v_undecided, '{"cut": "deep"}'::jsonb);
    END IF;
    RETURN authz.wrap_userset_path(v_ancestors, v_why);
  END LOOP;
  RETURN v_undecided;
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.evaluate_this(uuid, jsonb, text, text, text, text, text, text,
                                              timestamptz, text[])
  TO claw_authz_reader;

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
GRANT EXECUTE ON FUNCTION authz.userset_path(uuid, jsonb, text, text, integer, timestamptz)
  TO claw_authz_reader;

-- authz.userset_chain: the groups from p_hit ([depth, type, id, relation], found by
-- authz.evaluate_this's walk up from the subject at that depth) down to the group at depth
-- 1, which names the subject: {hit, ..., group at depth 1}, each holding a live userset
-- tuple naming the next. p_reached: the walk's nodes, [[depth, type, id, relation], ...].
-- One query per level, only for an answer.
CREATE OR REPLACE FUNCTION authz.userset_chain(p_tenant_id uuid, p_reached jsonb, p_hit jsonb,
                                               p_now timestamptz)
RETURNS text[]
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_cur jsonb := p_hit;
  v_chain text[] := ARRAY[(p_hit ->> 1) || ':' || (p_hit ->> 2) || '#' || (p_hit ->> 3)];
BEGIN
  FOR v_k IN REVERSE (p_hit ->> 0)::integer - 1 .. 1 LOOP
    SELECT e INTO v_cur
    FROM pg_catalog.jsonb_array_elements(p_reached) AS e
    WHERE (e ->> 0)::integer = v_k AND EXISTS (
      SELECT 1 FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.object_type = v_cur ->> 1
        AND tu.object_id = v_cur ->> 2 AND tu.relation = v_cur ->> 3
        AND tu.subject_type = e ->> 1 AND tu.subject_id = e ->> 2
        AND tu.subject_relation = e ->> 3
        AND (tu.expires_at IS NULL OR tu.expires_at > p_now))
    ORDER BY e ->> 1, e ->> 2, e ->> 3
    LIMIT 1;
    v_chain := v_chain || ((v_cur ->> 1) || ':' || (v_cur ->> 2) || '#' || (v_cur ->> 3));
  END LOOP;
  RETURN v_chain;
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.userset_chain(uuid, jsonb, jsonb, timestamptz)
  TO claw_authz_reader;

-- authz.wrap_userset_path: p_why (why the last group of p_path includes the subject) inside
-- the userset tuples that lead to it from p_path[1]: p_path = {root, group at depth 1, ...,
-- that group}.
CREATE OR REPLACE FUNCTION authz.wrap_userset_path(p_path text[], p_why jsonb)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
AS $fn$
DECLARE
  v_why jsonb := p_why;
BEGIN
  FOR v_j IN REVERSE pg_catalog.cardinality(p_path) .. 2 LOOP
    v_why := pg_catalog.jsonb_build_object('tuple', p_path[v_j - 1] || '@' || p_path[v_j],
                                           'then', v_why);
    IF v_j > 2 THEN
      v_why := pg_catalog.jsonb_build_object('node', p_path[v_j - 1], 'because', v_why);
    END IF;
  END LOOP;
  RETURN v_why;
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.wrap_userset_path(text[], jsonb) TO claw_authz_reader;

-- authz.reaches: does object p_type:p_id's relation p_relation include the subject, decided
-- in one statement? For the relations the compiled model's "x" names (monotone all the way
-- down, every userset they can reach a plain group): the walk down follows only computed
-- relations and tuple-to-usersets from the object (a handful of nodes: the invoice's
-- approver, its owner, its business's admin), the walk up follows only the subject's groups
-- (Zanzibar's Leopard index, walked: a member of three nested teams is three probes), and
-- one join asks whether a live tuple of a node that takes direct tuples names the subject or
-- one of its groups. Every tuple on such a path proves membership (the relations walked up
-- are exactly {"this": [...]}), and every path of the general evaluator is one of these, so
-- the answer is authz.evaluate's (tests/test_authz_reference.py compares both with a plain
-- recursive evaluator). A relation with no edges and no usersets (a list of direct tuples)
-- is one probe. A hit is true however far the walks went (every tuple on it proves
-- membership); otherwise NULL when the walks came within two nodes of p_budget (the path
-- nodes left before the 25-node limit): then authz.evaluate decides, and raises CL508 where
-- it must.
-- Its walks visit each (node, depth) once, so it needs no evaluation budget: a diamond
-- whose 2^14 paths authz.evaluate refuses (CL508, more than 10,000 evaluations) is answered
-- here (tests/sql/35_authz.sql). No explanation: api.is_permitted answers yes or no.
-- Runs as claw_authz_reader (authz.evaluate_in_tenant); every query names the tenant.
-- work_mem: each walk's UNION keeps a hash table that the executor sizes, at every call,
-- from the planner's estimate of the walk's rows, up to twice work_mem, and zeroes. The
-- estimate multiplies the groups per node (100 for a JSON array) by the tuples per subject
-- in the statistics, so one team granted 10,000 documents made every check allocate and
-- clear megabytes: 180 us of a check's 210 (bench/search_bench.py's reader: 2,000 checks
-- 438 ms with the default 4 MB, 105 ms with 64 kB). The tables still grow as a walk needs;
-- a walk of more than several hundred nodes spills its work tables to a temporary file.
CREATE OR REPLACE FUNCTION authz.reaches(p_tenant_id uuid, p_model jsonb, p_type text,
                                         p_id text, p_relation text, p_subject_type text,
                                         p_subject_id text, p_subject_relation text,
                                         p_now timestamptz, p_budget integer)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET work_mem = '64kB'
AS $fn$
DECLARE
  v_edges jsonb := p_model -> 'e';
  v_up jsonb := p_model -> 'x' -> (p_type || '#' || p_relation);
  v_answer boolean;
BEGIN
  IF v_up = '[]'::jsonb AND v_edges -> (p_type || '#' || p_relation) = '{"d": true}'::jsonb THEN
    RETURN (p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation)
      OR EXISTS (SELECT 1 FROM authz.tuples AS d
                 WHERE d.tenant_id = p_tenant_id AND d.object_type = p_type
                   AND d.object_id = p_id AND d.relation = p_relation
                   AND d.subject_type = p_subject_type AND d.subject_id = p_subject_id
                   AND d.subject_relation = p_subject_relation
                   AND (d.expires_at IS NULL OR d.expires_at > p_now));
  END IF;
  IF v_edges -> (p_type || '#' || p_relation) = '{"d": true}'::jsonb THEN
    -- Direct tuples only (no computed relation, no tupleset): the walk down would be the
    -- object alone, so this is the statement below without it (starting that statement's
    -- plan was a third of a check's time in a search). The walk up is read as the probes
    -- need it: a hit stops it (a member of 1,500 teams with a grant of its own is answered
    -- after one probe, not after reading all 1,500), and only a miss reads it to the end
    -- for its depth.
    WITH up (t, id, r, depth) AS (
      SELECT * FROM authz.subject_groups(p_tenant_id, p_subject_type, p_subject_id,
                                         p_subject_relation, v_up, p_now, p_budget)
    )
    SELECT CASE
      WHEN p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation
        THEN true
      WHEN EXISTS (
        SELECT 1 FROM up AS u
        WHERE EXISTS (
          SELECT 1 FROM authz.tuples AS h
          WHERE h.tenant_id = p_tenant_id AND h.object_type = p_type AND h.object_id = p_id
            AND h.relation = p_relation AND h.subject_type = u.t AND h.subject_id = u.id
            AND h.subject_relation = u.r AND (h.expires_at IS NULL OR h.expires_at > p_now)
          OFFSET 0))
        THEN true
      WHEN (SELECT pg_catalog.max(u.depth) FROM up AS u) + 2 >= p_budget THEN NULL
      ELSE false
      END
      INTO v_answer;
    RETURN v_answer;
  END IF;
  WITH RECURSIVE down (t, id, r, depth) AS (
    SELECT p_type, p_id, p_relation, 0
    UNION
    SELECT n.t, n.id, n.r, d.depth + 1
    FROM down AS d
    CROSS JOIN LATERAL (
      SELECT d.t, d.id, c.c
      FROM pg_catalog.jsonb_array_elements_text(v_edges -> (d.t || '#' || d.r) -> 'c') AS c (c)
      UNION ALL
      SELECT tu.subject_type, tu.subject_id, x.x ->> 1
      FROM pg_catalog.jsonb_array_elements(v_edges -> (d.t || '#' || d.r) -> 't') AS x (x)
      -- OFFSET 0 keeps this a probe of the primary key with the tupleset relation in it;
      -- flattened, the planner hashed every tuple of the object for each node (a fifth of
      -- the walk's time)
      CROSS JOIN LATERAL (
        SELECT tu.subject_type, tu.subject_id FROM authz.tuples AS tu
        WHERE tu.tenant_id = p_tenant_id AND tu.object_type = d.t AND tu.object_id = d.id
          AND tu.relation = x.x ->> 0 AND tu.subject_relation = ''
          AND (tu.expires_at IS NULL OR tu.expires_at > p_now) OFFSET 0) AS tu
    ) AS n (t, id, r)
    WHERE d.depth < p_budget
  ), up (t, id, r, depth) AS (
    SELECT * FROM authz.subject_groups(p_tenant_id, p_subject_type, p_subject_id,
                                       p_subject_relation, v_up, p_now, p_budget)
  )
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM down AS d
                 WHERE d.t = p_subject_type AND d.id = p_subject_id AND d.r = p_subject_relation)
      THEN true
    WHEN EXISTS (
      SELECT 1
      FROM down AS d
      CROSS JOIN up AS u
      -- OFFSET 0: one probe of the primary key per pair (the walks are a handful of nodes),
      -- never a join that reads the tenant's tuples
      WHERE v_edges -> (d.t || '#' || d.r) ? 'd' AND EXISTS (
        SELECT 1 FROM authz.tuples AS h
        WHERE h.tenant_id = p_tenant_id AND h.object_type = d.t AND h.object_id = d.id
          AND h.relation = d.r AND h.subject_type = u.t AND h.subject_id = u.id
          AND h.subject_relation = u.r AND (h.expires_at IS NULL OR h.expires_at > p_now)
        OFFSET 0))
      THEN true
    -- no hit: "no" only if neither walk was cut near the depth limit
    WHEN (SELECT max(d.depth) FROM down AS d) + (SELECT max(u.depth) FROM up AS u) + 2 >= p_budget
      THEN NULL
    ELSE false
    END
    INTO v_answer;
  RETURN v_answer;
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.reaches(uuid, jsonb, text, text, text, text, text, text,
                                        timestamptz, integer)
  TO claw_authz_reader;
