-- authz.evaluate_this: the `this` leaf of object p_type:p_id's relation p_relation, for
-- authz.evaluate_rewrite. Nested groups are where checks spend their time (a business admin
-- that is a team of teams of teams), so this leaf walks them level by level, one statement
-- per level, through every relation that is exactly {"this": [...]} (team#member), visiting
-- each group once however many paths lead to it (two paths per level must not double the
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
  -- every group reached: key -> {"p": the group it was reached from, "tu": that tuple}
  v_seen jsonb;
  v_front_t text[] := ARRAY[p_type];
  v_front_id text[] := ARRAY[p_id];
  v_front_r text[] := ARRAY[p_relation];
  v_next_t text[];
  v_next_id text[];
  v_next_r text[];
  v_complex text[] := '{}';  -- keys of richer usersets, in the order they were reached
  v_depth integer := 0;
  v_too_deep boolean := false;
  v_rec record;
  v_key text;
  v_hit text;
  v_hit_tuple text;
  v_why jsonb;
  v_ancestors text[];
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

  v_seen := pg_catalog.jsonb_build_object(v_root, '{}'::jsonb);
  <<walk>>
  WHILE pg_catalog.cardinality(v_front_t) > 0 LOOP
    IF v_depth >= v_budget THEN
      v_too_deep := EXISTS (
        SELECT 1 FROM ROWS FROM (pg_catalog.unnest(v_front_t), pg_catalog.unnest(v_front_id),
                                 pg_catalog.unnest(v_front_r)) AS f (t, id, r)
        JOIN authz.tuples AS tu
          ON tu.tenant_id = p_tenant_id AND tu.object_type = f.t AND tu.object_id = f.id
         AND tu.relation = f.r AND tu.subject_relation <> ''
         AND (tu.expires_at IS NULL OR tu.expires_at > p_now));
      EXIT walk;
    END IF;
    v_next_t := '{}';
    v_next_id := '{}';
    v_next_r := '{}';
    FOR v_rec IN
      SELECT f.t, f.id, f.r, tu.subject_type AS st, tu.subject_id AS sid, tu.subject_relation AS sr
      FROM ROWS FROM (pg_catalog.unnest(v_front_t), pg_catalog.unnest(v_front_id),
                      pg_catalog.unnest(v_front_r)) WITH ORDINALITY AS f (t, id, r, o)
      JOIN authz.tuples AS tu
        ON tu.tenant_id = p_tenant_id AND tu.object_type = f.t AND tu.object_id = f.id
       AND tu.relation = f.r AND tu.subject_relation <> ''
       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      ORDER BY f.o, tu.subject_type, tu.subject_id, tu.subject_relation
    LOOP
      v_key := v_rec.st || ':' || v_rec.sid || '#' || v_rec.sr;
      CONTINUE WHEN v_seen ? v_key;
      v_seen := v_seen || pg_catalog.jsonb_build_object(v_key, pg_catalog.jsonb_build_object(
        'p', v_rec.t || ':' || v_rec.id || '#' || v_rec.r,
        'tu', authz.format_tuple(v_rec.t, v_rec.id, v_rec.r, v_rec.st, v_rec.sid, v_rec.sr)));
      IF v_key = v_subject THEN
        v_hit := v_key;  -- 2: the subject itself
        EXIT walk;
      ELSIF (v_rec.st || '#' || v_rec.sr) = ANY (v_simple) THEN
        v_next_t := v_next_t || v_rec.st;
        v_next_id := v_next_id || v_rec.sid;
        v_next_r := v_next_r || v_rec.sr;
      ELSE
        v_complex := v_complex || v_key;
      END IF;
    END LOOP;
    -- 1: a group of this level with a direct tuple naming the subject
    SELECT n.t || ':' || n.id || '#' || n.r,
           authz.format_tuple(n.t, n.id, n.r, p_subject_type, p_subject_id, p_subject_relation)
      INTO v_hit, v_hit_tuple
    FROM ROWS FROM (pg_catalog.unnest(v_next_t), pg_catalog.unnest(v_next_id),
                    pg_catalog.unnest(v_next_r)) WITH ORDINALITY AS n (t, id, r, o)
    WHERE EXISTS (SELECT 1 FROM authz.tuples AS d
                  WHERE d.tenant_id = p_tenant_id AND d.object_type = n.t AND d.object_id = n.id
                    AND d.relation = n.r AND d.subject_type = p_subject_type
                    AND d.subject_id = p_subject_id AND d.subject_relation = p_subject_relation
                    AND (d.expires_at IS NULL OR d.expires_at > p_now))
    ORDER BY n.o
    LIMIT 1;
    EXIT walk WHEN v_hit IS NOT NULL;
    v_front_t := v_next_t;
    v_front_id := v_next_id;
    v_front_r := v_next_r;
    v_depth := v_depth + 1;
  END LOOP;

  IF v_hit IS NULL THEN
    -- 3: the richer usersets, each evaluated with its ancestors on the path
    FOREACH v_key IN ARRAY v_complex LOOP
      v_ancestors := '{}';
      v_hit := v_seen -> v_key ->> 'p';
      WHILE v_hit <> v_root LOOP
        v_ancestors := v_hit || v_ancestors;
        v_hit := v_seen -> v_hit ->> 'p';
      END LOOP;
      v_hit := NULL;
      v_why := authz.evaluate(p_tenant_id, p_model, pg_catalog.split_part(v_key, ':', 1),
                              pg_catalog.substr(pg_catalog.split_part(v_key, '#', 1),
                                                pg_catalog.strpos(v_key, ':') + 1),
                              pg_catalog.split_part(v_key, '#', 2), p_subject_type,
                              p_subject_id, p_subject_relation, p_now, p_path || v_ancestors);
      IF v_why IS NOT NULL THEN
        v_why := pg_catalog.jsonb_build_object('tuple', v_seen -> v_key ->> 'tu', 'then', v_why);
        v_hit := v_seen -> v_key ->> 'p';
        EXIT;
      END IF;
    END LOOP;
    IF v_why IS NULL THEN
      IF v_too_deep THEN
        RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too deep',
          DETAIL = 'a path of usersets goes deeper than 25 nodes',
          HINT = 'flatten nested groups';
      END IF;
      RETURN NULL;
    END IF;
  ELSE
    v_why := CASE WHEN v_hit_tuple IS NULL THEN NULL
                  ELSE pg_catalog.jsonb_build_object('tuple', v_hit_tuple) END;
    -- the hit group itself: {"node": .., "because": direct tuple | self}, then its parents
    v_why := pg_catalog.jsonb_build_object('tuple', v_seen -> v_hit ->> 'tu', 'then',
      pg_catalog.jsonb_build_object('node', v_hit, 'because',
                                    coalesce(v_why, '{"self": true}'::jsonb)));
    v_hit := v_seen -> v_hit ->> 'p';
  END IF;
  -- wrap in the groups that led here, innermost first
  WHILE v_hit <> v_root LOOP
    v_why := pg_catalog.jsonb_build_object('tuple', v_seen -> v_hit ->> 'tu', 'then',
      pg_catalog.jsonb_build_object('node', v_hit, 'because', v_why));
    v_hit := v_seen -> v_hit ->> 'p';
  END LOOP;
  RETURN v_why;
END
$fn$;
