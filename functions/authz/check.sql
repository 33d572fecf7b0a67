-- check: is the subject in object#relation? A depth-first evaluation of the relation's
-- rewrite, Zanzibar's algorithm without the distribution: a direct tuple, then usersets
-- (recursively), computed relations, tuple-to-userset; union stops at the first branch that
-- holds, intersection at the first that fails, exclusion evaluates the subtraction only when
-- the base holds. An expired tuple (expires_at <= internal.now(), the database clock at
-- decision time) is no tuple.
--
-- The result is NULL (no) or the explanation of why (yes), a tree:
--   {"node": "invoice:42#approver", "because": R}
--   R: {"tuple": "invoice:42#approver@user:alice"}                      a direct tuple
--      {"tuple": "invoice:42#approver@team:ops#member", "then": node}   a userset tuple
--      {"computed": "owner", "then": node}                              a computed relation
--      {"tuple": "invoice:42#business@business:7", "then": node}        tuple-to-userset
--      {"all": [R, ...]}                                                intersection
--      {"then": R, "but_not": "invoice:42#blocked"}                     exclusion
--      {"self": true}                                                   the userset itself
-- Loops: tuple writes refuse cycles (authz.write_tuples), so a node seen twice on one path,
-- or a path longer than 25 nodes, is CL508, never a hang. Such a branch is cut short, not
-- raised at once: authz.evaluate returns {"cut": "deep"} or {"cut": "cycle", "nodes": n}
-- for it, and the rewrite above goes on with the other branches. A union (and a
-- tuple-to-userset's parents, and the usersets below a `this`) holds as soon as any branch
-- holds, an intersection fails as soon as any child fails, an exclusion fails when its
-- subtraction holds; only when no branch decides is the cut the answer, and
-- authz.evaluate_top raises it (CL508, authz.decided). A question that needs more than
-- 10,000 evaluations is CL508 at once: nothing more can be evaluated. Nested usersets under
-- a `this` leaf are walked in one statement (functions/authz/check_this.sql).

-- authz.decided: p_why, an answer of authz.evaluate, unless it is a cut branch that no other
-- branch decided: then CL508, with the details of the cut (which name no node: the caller
-- may not be related to the nodes on the path).
CREATE OR REPLACE FUNCTION authz.decided(p_why jsonb)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
AS $fn$
BEGIN
  IF p_why ->> 'cut' = 'cycle' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship cycle',
      DETAIL = pg_catalog.format('a node repeats on a path of %s nodes', p_why ->> 'nodes'),
      HINT = 'an owner can find it with api.list_object_tuples; delete one tuple of the cycle';
  ELSIF p_why ->> 'cut' = 'deep' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too deep',
      DETAIL = 'a path of usersets goes deeper than 25 nodes',
      HINT = 'flatten nested groups';
  END IF;
  RETURN p_why;
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.decided(jsonb) TO claw_authz_reader;

-- authz.evaluate: the explanation, NULL, or a cut ({"cut": ...}: undecided, see above).
-- Recursive through authz.evaluate_rewrite.
CREATE OR REPLACE FUNCTION authz.evaluate(p_tenant_id uuid, p_model jsonb, p_type text,
                                          p_id text,
                                          p_relation text, p_subject_type text,
                                          p_subject_id text, p_subject_relation text,
                                          p_now timestamptz, p_path text[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_node text := p_type || ':' || p_id || '#' || p_relation;
  v_rewrite jsonb;
  v_why jsonb;
  v_work integer;
  v_yes boolean;
BEGIN
  -- a branch cut short: the rewrite above may still be decided by another branch
  IF v_node = ANY (p_path) THEN
    RETURN pg_catalog.jsonb_build_object('cut', 'cycle', 'nodes', pg_catalog.cardinality(p_path) + 1);
  END IF;
  IF pg_catalog.cardinality(p_path) >= 25 THEN
    RETURN '{"cut": "deep"}'::jsonb;
  END IF;
  -- a budget of evaluations per question (authz.evaluate_top resets it): shared structures
  -- (diamonds of computed relations and tuple-to-userset parents) could otherwise make a
  -- question revisit the same nodes exponentially often
  v_work := coalesce(NULLIF(pg_catalog.current_setting('claw.authz_work', true), ''), '0')::integer + 1;
  IF v_work > 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too complex',
      DETAIL = 'the question needed more than 10,000 evaluations',
      HINT = 'share fewer parents between the same objects, or flatten nested groups';
  END IF;
  PERFORM pg_catalog.set_config('claw.authz_work', v_work::text, true);
  IF p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation THEN
    RETURN pg_catalog.jsonb_build_object('node', v_node, 'because', '{"self": true}'::jsonb);
  END IF;
  v_rewrite := p_model -> 'r' -> (p_type || '#' || p_relation);
  IF v_rewrite IS NULL THEN
    RETURN NULL;  -- a relation the type does not define has no members
  END IF;
  -- a yes-or-no question (authz.decide_in_tenant) about a relation one statement can decide
  IF p_model ? 'decide' AND p_model -> 'x' ? (p_type || '#' || p_relation) THEN
    v_yes := authz.reaches(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                           p_subject_id, p_subject_relation, p_now,
                           24 - pg_catalog.cardinality(p_path));
    IF v_yes IS NOT NULL THEN
      RETURN CASE WHEN v_yes THEN pg_catalog.jsonb_build_object(
        'node', v_node, 'because', '{"reached": true}'::jsonb) END;
    END IF;
  END IF;
  v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation, v_rewrite,
                                  p_subject_type, p_subject_id, p_subject_relation, p_now,
                                  p_path || v_node);
  RETURN CASE WHEN v_why IS NULL OR v_why ? 'cut' THEN v_why
              ELSE pg_catalog.jsonb_build_object('node', v_node, 'because', v_why) END;
END
$fn$;

-- authz.evaluate_top: authz.evaluate for one question, with a fresh evaluation budget: the
-- explanation or NULL; CL508 when only a cut branch could have decided (authz.decided). The
-- budget lives in a transaction-local setting; it is reset here, at the start of every
-- question, so nothing a caller set before the call counts.
CREATE OR REPLACE FUNCTION authz.evaluate_top(p_tenant_id uuid, p_model jsonb, p_type text,
                                              p_id text, p_relation text, p_subject_type text,
                                              p_subject_id text, p_subject_relation text,
                                              p_now timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $fn$
BEGIN
  PERFORM pg_catalog.set_config('claw.authz_work', '0', true);
  RETURN authz.decided(authz.evaluate(p_tenant_id, p_model, p_type, p_id, p_relation,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now,
                                      '{}'));
END
$fn$;

-- authz.require_verified_tenant: CL403 unless p_tenant_id is the verified context's tenant
-- (a NULL tenant, with or without a context, is refused too).
-- The reader's functions (authz.evaluate_in_tenant, authz.decide_in_tenant) call it first.
CREATE OR REPLACE FUNCTION authz.require_verified_tenant(p_tenant_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $fn$
BEGIN
  IF p_tenant_id IS NULL
     OR p_tenant_id IS DISTINCT FROM (SELECT c.tenant_id FROM internal.verified_context() AS c) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = 'a permission question about a tenant other than the verified context''s',
      HINT = 'authenticate as the tenant whose relationships you ask about';
  END IF;
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.require_verified_tenant(uuid) TO claw_authz_reader;

-- authz.evaluate_in_tenant: authz.evaluate_top as claw_authz_reader, which bypasses RLS. The
-- evaluator runs a dozen queries per question, each filtered by p_tenant_id; under RLS each
-- also verified the context's MAC again (a third of a check's time). The caller, authz.check
-- as claw_owner inside an api function, passes the tenant of the verified context, the model
-- it read under RLS and the clock; the tenant is compared with the verified context once more
-- here (one verification per question, not one per query), so no caller, whatever its bug,
-- can ask about another tenant's tuples. No login role may call it
-- (tests/test_authz_reader.py: the grants, and answers across two tenants with the same ids,
-- also with each of the evaluator's tenant filters removed).
-- A yes-or-no question (the model's "decide" flag: authz.permitted, once per search
-- candidate) about a relation one statement can decide takes authz.evaluate's first step
-- here, authz.reaches with the whole depth, and answers as authz.evaluate would (the same
-- explanation, or NULL) without starting the evaluator: 2,000 checks of a search's
-- candidates, 73-77 -> 65-70 ms. Anything else, or a walk reaches cannot finish (NULL), goes
-- to authz.evaluate_top as before.
CREATE OR REPLACE FUNCTION authz.evaluate_in_tenant(p_tenant_id uuid, p_model jsonb,
                                                    p_type text, p_id text, p_relation text,
                                                    p_subject_type text, p_subject_id text,
                                                    p_subject_relation text,
                                                    p_now timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_key text := p_type || '#' || p_relation;
  v_yes boolean;
BEGIN
  PERFORM authz.require_verified_tenant(p_tenant_id);
  IF p_model ? 'decide' AND p_model -> 'x' ? v_key AND p_model -> 'r' ? v_key
     AND NOT (p_type = p_subject_type AND p_id = p_subject_id
              AND p_relation = p_subject_relation) THEN
    v_yes := authz.reaches(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                           p_subject_id, p_subject_relation, p_now, 24);
    IF v_yes IS NOT NULL THEN
      RETURN CASE WHEN v_yes THEN pg_catalog.jsonb_build_object(
        'node', p_type || ':' || p_id || '#' || p_relation,
        'because', '{"reached": true}'::jsonb) END;
    END IF;
  END IF;
  RETURN authz.evaluate_top(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                            p_subject_id, p_subject_relation, p_now);
END
$fn$;
ALTER FUNCTION authz.evaluate_in_tenant(uuid, jsonb, text, text, text, text, text, text,
                                        timestamptz) OWNER TO claw_authz_reader;
REVOKE ALL ON FUNCTION authz.evaluate_in_tenant(uuid, jsonb, text, text, text, text, text,
                                                text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.evaluate_in_tenant(uuid, jsonb, text, text, text, text, text,
                                                   text, timestamptz) TO claw_owner;
GRANT EXECUTE ON FUNCTION authz.evaluate_top(uuid, jsonb, text, text, text, text, text, text,
                                             timestamptz),
                          authz.evaluate(uuid, jsonb, text, text, text, text, text, text,
                                         timestamptz, text[])
  TO claw_authz_reader;

-- authz.decide_in_tenant: api.is_permitted's question, yes or no, as claw_authz_reader (RLS
-- bypassed, every query filtered by p_tenant_id, the tenant compared with the verified
-- context once, as in authz.evaluate_in_tenant). The caller has parsed the references and
-- checked the consistency token; this reads the tenant's model (CL422 for a relation it does
-- not define) and decides with authz.reaches alone where it can: a relation the compiled
-- model's "x" names, or a union, intersection or exclusion of such relations of the same
-- object (authz.decide_rewrite). Anything else, or a walk near the depth limit, goes to
-- authz.evaluate, which gives the same answer node by node and raises CL508 where it must.
-- One function where the general path runs five (authz.ask, load_model under RLS with a
-- second MAC verification, evaluate_in_tenant, evaluate_top, evaluate).
CREATE OR REPLACE FUNCTION authz.decide_in_tenant(p_tenant_id uuid, p_type text, p_id text,
                                                  p_relation text, p_subject_type text,
                                                  p_subject_id text, p_subject_relation text,
                                                  p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_model jsonb;
  v_yes boolean;
BEGIN
  PERFORM authz.require_verified_tenant(p_tenant_id);
  -- authz.load_model's query, written here: a function that reads an RLS table keeps one
  -- cached plan, which is planned again whenever the role running it changes (claw_owner
  -- under RLS for authz.check, this reader for api.is_permitted): alternating checks and
  -- decisions made each of them twice as slow
  v_model := coalesce((SELECT CASE WHEN m.compiled ? 'x' THEN m.compiled
                                   ELSE authz.compile_model(m.definition -> 'types') END
                       FROM authz.models AS m WHERE m.tenant_id = p_tenant_id
                       ORDER BY m.version DESC LIMIT 1),
                      '{"r": {}, "s": [], "u": {}, "e": {}, "x": {}}');
  PERFORM authz.require_relation(v_model, p_type, p_relation);
  IF p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation THEN
    RETURN true;  -- the userset itself
  END IF;
  v_yes := CASE WHEN v_model -> 'x' ? (p_type || '#' || p_relation)
                THEN authz.reaches(p_tenant_id, v_model, p_type, p_id, p_relation,
                                   p_subject_type, p_subject_id, p_subject_relation, p_now, 24)
                ELSE authz.decide_rewrite(p_tenant_id, v_model, p_type, p_id,
                                          v_model -> 'r' -> (p_type || '#' || p_relation),
                                          p_subject_type, p_subject_id, p_subject_relation,
                                          p_now) END;
  IF v_yes IS NOT NULL THEN
    RETURN v_yes;
  END IF;
  RETURN authz.evaluate_top(p_tenant_id, v_model || '{"decide": true}'::jsonb, p_type, p_id,
                            p_relation, p_subject_type, p_subject_id, p_subject_relation,
                            p_now) IS NOT NULL;
END
$fn$;
ALTER FUNCTION authz.decide_in_tenant(uuid, text, text, text, text, text, text, timestamptz)
  OWNER TO claw_authz_reader;
REVOKE ALL ON FUNCTION authz.decide_in_tenant(uuid, text, text, text, text, text, text,
                                              timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.decide_in_tenant(uuid, text, text, text, text, text, text,
                                                 timestamptz) TO claw_owner;

-- authz.decide_rewrite: rewrite p_node of object p_type:p_id decided by authz.reaches alone,
-- in authz.evaluate's order (a union stops at its first member that holds, an intersection
-- at the first that fails, an exclusion asks the subtraction only when the base holds):
-- each leaf a computed relation of the same object that the compiled model's "x" names. NULL
-- as soon as a part cannot be decided that way (another leaf, a walk near the depth limit):
-- authz.evaluate then answers the whole question, so an error it would raise on that part
-- is raised, never skipped. The leaves are one node below the question (budget 23).
CREATE OR REPLACE FUNCTION authz.decide_rewrite(p_tenant_id uuid, p_model jsonb, p_type text,
                                                p_id text, p_node jsonb, p_subject_type text,
                                                p_subject_id text, p_subject_relation text,
                                                p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_child jsonb;
  v_yes boolean;
BEGIN
  IF p_node ? 'computed' THEN
    IF NOT p_model -> 'x' ? (p_type || '#' || (p_node ->> 'computed')) THEN
      RETURN NULL;
    END IF;
    RETURN authz.reaches(p_tenant_id, p_model, p_type, p_id, p_node ->> 'computed',
                         p_subject_type, p_subject_id, p_subject_relation, p_now, 23);
  ELSIF p_node ? 'union' OR p_node ? 'intersection' THEN
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(
                     coalesce(p_node -> 'union', p_node -> 'intersection')) AS e LOOP
      v_yes := authz.decide_rewrite(p_tenant_id, p_model, p_type, p_id, v_child, p_subject_type,
                                    p_subject_id, p_subject_relation, p_now);
      IF v_yes IS NULL OR v_yes = (p_node ? 'union') THEN
        RETURN v_yes;
      END IF;
    END LOOP;
    RETURN NOT p_node ? 'union';
  ELSIF p_node ? 'exclusion' THEN
    v_yes := authz.decide_rewrite(p_tenant_id, p_model, p_type, p_id,
                                  p_node -> 'exclusion' -> 'base', p_subject_type,
                                  p_subject_id, p_subject_relation, p_now);
    IF v_yes IS NOT true THEN
      RETURN v_yes;
    END IF;
    RETURN NOT authz.decide_rewrite(p_tenant_id, p_model, p_type, p_id,
                                    p_node -> 'exclusion' -> 'subtract', p_subject_type,
                                    p_subject_id, p_subject_relation, p_now);
  END IF;
  RETURN NULL;
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.decide_rewrite(uuid, jsonb, text, text, jsonb, text, text,
                                               text, timestamptz)
  TO claw_authz_reader;

-- authz.evaluate_rewrite: one rewrite node of object p_type:p_id's relation p_relation: the
-- explanation, NULL, or a cut branch that decided nothing (authz.evaluate). A cut is kept
-- (the first one) while the other branches are evaluated, and returned only when none of
-- them decides the node.
CREATE OR REPLACE FUNCTION authz.evaluate_rewrite(p_tenant_id uuid, p_model jsonb,
                                                  p_type text, p_id text,
                                                  p_relation text, p_node jsonb,
                                                  p_subject_type text, p_subject_id text,
                                                  p_subject_relation text, p_now timestamptz,
                                                  p_path text[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_t record;
  v_why jsonb;
  v_sub jsonb;
  v_cut jsonb;
  v_child jsonb;
  v_all jsonb := '[]';
BEGIN
  IF p_node ? 'this' THEN
    RETURN authz.evaluate_this(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                               p_subject_id, p_subject_relation, p_now, p_path);
  ELSIF p_node ? 'computed' THEN
    v_why := authz.evaluate(p_tenant_id, p_model, p_type, p_id, p_node ->> 'computed', p_subject_type,
                            p_subject_id, p_subject_relation, p_now, p_path);
    RETURN CASE WHEN v_why IS NULL OR v_why ? 'cut' THEN v_why ELSE pg_catalog.jsonb_build_object(
      'computed', p_node ->> 'computed', 'then', v_why) END;
  ELSIF p_node ? 'ttu' THEN
    FOR v_t IN
      SELECT t.subject_type, t.subject_id FROM authz.tuples AS t
      WHERE t.tenant_id = p_tenant_id AND t.object_type = p_type AND t.object_id = p_id
        AND t.relation = p_node -> 'ttu' ->> 'tupleset' AND t.subject_relation = ''
        AND (t.expires_at IS NULL OR t.expires_at > p_now)
      ORDER BY t.subject_type, t.subject_id
    LOOP
      v_why := authz.evaluate(p_tenant_id, p_model, v_t.subject_type, v_t.subject_id,
                              p_node -> 'ttu' ->> 'computed', p_subject_type, p_subject_id,
                              p_subject_relation, p_now, p_path);
      IF v_why ? 'cut' THEN
        v_cut := coalesce(v_cut, v_why);  -- another parent may still hold
      ELSIF v_why IS NOT NULL THEN
        RETURN pg_catalog.jsonb_build_object('tuple', authz.format_tuple(
          p_type, p_id, p_node -> 'ttu' ->> 'tupleset', v_t.subject_type, v_t.subject_id, ''),
          'then', v_why);
      END IF;
    END LOOP;
    RETURN v_cut;
  ELSIF p_node ? 'union' THEN
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'union') AS e LOOP
      v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation, v_child,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
      IF v_why ? 'cut' THEN
        v_cut := coalesce(v_cut, v_why);  -- a later branch may still hold
      ELSIF v_why IS NOT NULL THEN
        RETURN v_why;
      END IF;
    END LOOP;
    RETURN v_cut;
  ELSIF p_node ? 'intersection' THEN
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'intersection') AS e LOOP
      v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation, v_child,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
      IF v_why IS NULL THEN
        RETURN NULL;  -- whatever a cut child would have been
      ELSIF v_why ? 'cut' THEN
        v_cut := coalesce(v_cut, v_why);  -- a later child may still fail
      ELSE
        v_all := v_all || pg_catalog.jsonb_build_array(v_why);
      END IF;
    END LOOP;
    RETURN coalesce(v_cut, pg_catalog.jsonb_build_object('all', v_all));
  ELSIF p_node ? 'exclusion' THEN
    v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation,
                                    p_node -> 'exclusion' -> 'base', p_subject_type,
                                    p_subject_id, p_subject_relation, p_now, p_path);
    IF v_why IS NULL THEN
      RETURN NULL;
    END IF;
    v_sub := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation,
                                    p_node -> 'exclusion' -> 'subtract', p_subject_type,
                                    p_subject_id, p_subject_relation, p_now, p_path);
    IF v_sub IS NOT NULL AND NOT v_sub ? 'cut' THEN
      RETURN NULL;  -- the subtraction holds, whatever a cut base would have been
    ELSIF v_why ? 'cut' THEN
      RETURN v_why;
    ELSIF v_sub ? 'cut' THEN
      RETURN v_sub;
    END IF;
    RETURN pg_catalog.jsonb_build_object('then', v_why, 'but_not',
                                         (p_node -> 'exclusion' -> 'subtract')::text);
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rewrite in the stored model',
    DETAIL = pg_catalog.left(p_node::text, 200);
END
$fn$;
GRANT EXECUTE ON FUNCTION authz.evaluate_rewrite(uuid, jsonb, text, text, text, jsonb, text,
                                                 text, text, timestamptz, text[])
  TO claw_authz_reader;

-- authz.ask: one question about p_subject in p_object#p_relation: the explanation if it
-- holds, NULL otherwise. Raises CL422 (malformed reference, a relation the object's type
-- does not define, bad token), 40001 (snapshot older than p_token), CL508 (cycle, depth).
CREATE OR REPLACE FUNCTION authz.ask(p_tenant_id uuid, p_object text, p_relation text,
                                     p_subject text, p_token text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_o record := authz.parse_object(p_object);
  v_s record := authz.parse_subject(p_subject);
  v_model jsonb := authz.load_model(p_tenant_id);
BEGIN
  PERFORM authz.require_fresh(p_tenant_id, p_token);
  PERFORM authz.require_relation(v_model, v_o.object_type, p_relation);
  RETURN authz.evaluate_in_tenant(p_tenant_id, v_model, v_o.object_type, v_o.object_id,
                                  p_relation, v_s.subject_type, v_s.subject_id,
                                  v_s.subject_relation, internal.now());
END
$fn$;

-- authz.check: the explanation if p_subject is in p_object#p_relation, NULL otherwise.
-- Raises as authz.ask.
CREATE OR REPLACE FUNCTION authz.check(p_tenant_id uuid, p_object text, p_relation text,
                                       p_subject text, p_token text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $fn$
  SELECT authz.ask(p_tenant_id, p_object, p_relation, p_subject, p_token)
$fn$;

-- authz.compile_model: a model's relations as the evaluator reads them,
--   {"r": {"<type>#<relation>": <rewrite>, ...}, "s": ["<type>#<relation>", ...],
--    "u": {"<type>#<relation>": ["<type>#<relation>", ...], ...},
--    "e": {"<type>#<relation>": {"d": true, "c": [relation, ...], "t": [[tupleset, relation], ...]}, ...},
--    "x": {"<type>#<relation>": ["<type>#<relation>", ...], ...}}
-- where "s" lists the relations that are exactly {"this": [...]} (walked in one statement by
-- authz.evaluate_this), and "u" maps each relation whose direct tuples may name usersets, and
-- every userset they can reach through nested groups is such a plain relation, to those
-- userset relations (authz.evaluate_this answers those from the subject upwards). "e" holds
-- the edges of every monotone relation (a rewrite of this, computed, ttu and union only):
-- whether it takes direct tuples ("d"), the relations of the same object it includes ("c"),
-- its tuple-to-usersets ("t"). "x" maps each relation that authz.reaches can decide in one
-- statement to the userset relations its walk up may follow: every relation it reaches
-- through computed relations and tuple-to-usersets is monotone, and each of those that takes
-- usersets has a "u" entry (their union is the value). Tuples always fit the current model
-- (authz.define_model refuses a version with no place for existing ones), so "u" bounds what
-- the tuples can hold. authz.define_model stores it with the model version.
CREATE OR REPLACE FUNCTION authz.compile_model(p_types jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
AS $fn$
  WITH RECURSIVE rel (name, type, rewrite, simple, usersets) AS (
    SELECT t.key || '#' || r.key, t.key, r.value, r.value ? 'this',
           ARRAY(SELECT d FROM pg_catalog.unnest(authz.direct_subjects_of(r.value)) AS d
                 WHERE pg_catalog.strpos(d, '#') > 0)
    FROM pg_catalog.jsonb_each(p_types) AS t
    CROSS JOIN LATERAL pg_catalog.jsonb_each(coalesce(t.value -> 'relations', '{}')) AS r
  ), reach (root, userset) AS (
    SELECT rel.name, u.u FROM rel CROSS JOIN LATERAL pg_catalog.unnest(rel.usersets) AS u (u)
    UNION
    SELECT reach.root, u.u
    FROM reach JOIN rel ON rel.name = reach.userset AND rel.simple
    CROSS JOIN LATERAL pg_catalog.unnest(rel.usersets) AS u (u)
  ), closed AS (
    SELECT reach.root, pg_catalog.jsonb_agg(reach.userset ORDER BY reach.userset) AS usersets
    FROM reach LEFT JOIN rel ON rel.name = reach.userset
    GROUP BY reach.root
    HAVING bool_and(coalesce(rel.simple, false))
  ), mono AS (
    -- monotone relations and their edges
    SELECT rel.name, rel.type, rel.usersets,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
             'd', CASE WHEN EXISTS (SELECT 1 FROM authz.rewrite_leaves(rel.rewrite) AS l (l)
                                    WHERE l.l ? 'this') THEN true END,
             'c', (SELECT pg_catalog.jsonb_agg(DISTINCT l.l ->> 'computed')
                   FROM authz.rewrite_leaves(rel.rewrite) AS l (l) WHERE l.l ? 'computed'),
             't', (SELECT pg_catalog.jsonb_agg(DISTINCT pg_catalog.jsonb_build_array(
                            l.l -> 'ttu' ->> 'tupleset', l.l -> 'ttu' ->> 'computed'))
                   FROM authz.rewrite_leaves(rel.rewrite) AS l (l) WHERE l.l ? 'ttu'))) AS edges
    FROM rel
    -- the test authz.define_model uses for authz.relations.exact (there, with what a relation
    -- reaches); here the relation's own rewrite only
    WHERE NOT pg_catalog.jsonb_path_exists(rel.rewrite, 'lax $.**.intersection')
      AND NOT pg_catalog.jsonb_path_exists(rel.rewrite, 'lax $.**.exclusion')
  ), closure (root, name) AS (
    -- every relation a relation reaches through computed relations and tuple-to-usersets
    SELECT rel.name, rel.name FROM rel
    UNION
    SELECT c.root, nx.name
    FROM closure AS c
    JOIN mono AS m ON m.name = c.name
    CROSS JOIN LATERAL (
      SELECT m.type || '#' || cr.cr
      FROM pg_catalog.jsonb_array_elements_text(coalesce(m.edges -> 'c', '[]')) AS cr (cr)
      UNION ALL
      SELECT tt.tt || '#' || (x.x ->> 1)
      FROM pg_catalog.jsonb_array_elements(coalesce(m.edges -> 't', '[]')) AS x (x)
      CROSS JOIN LATERAL pg_catalog.unnest(authz.direct_subjects_of(
        p_types -> m.type -> 'relations' -> (x.x ->> 0))) AS tt (tt)
      WHERE coalesce(p_types -> tt.tt -> 'relations' ? (x.x ->> 1), false)
    ) AS nx (name)
  ), decidable AS (
    SELECT c.root,
           coalesce(pg_catalog.jsonb_agg(DISTINCT u.u) FILTER (WHERE u.u IS NOT NULL), '[]') AS usersets
    FROM closure AS c
    LEFT JOIN mono AS m ON m.name = c.name
    LEFT JOIN closed AS cl ON cl.root = c.name
    LEFT JOIN LATERAL pg_catalog.jsonb_array_elements_text(cl.usersets) AS u (u) ON true
    GROUP BY c.root
    HAVING bool_and(m.name IS NOT NULL
                    AND (pg_catalog.cardinality(m.usersets) = 0 OR cl.root IS NOT NULL))
  )
  SELECT pg_catalog.jsonb_build_object(
    'r', coalesce((SELECT pg_catalog.jsonb_object_agg(rel.name, rel.rewrite) FROM rel), '{}'),
    's', coalesce((SELECT pg_catalog.jsonb_agg(rel.name) FROM rel WHERE rel.simple), '[]'),
    'u', coalesce((SELECT pg_catalog.jsonb_object_agg(c.root, c.usersets) FROM closed AS c), '{}'),
    'e', coalesce((SELECT pg_catalog.jsonb_object_agg(m.name, m.edges) FROM mono AS m), '{}'),
    'x', coalesce((SELECT pg_catalog.jsonb_object_agg(d.root, d.usersets) FROM decidable AS d), '{}'))
$fn$;

-- authz.load_model: the compiled current model (one index probe per check). A model stored
-- before the compiled form had "u" is compiled again here (until its next version).
CREATE OR REPLACE FUNCTION authz.load_model(p_tenant_id uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $fn$
  SELECT coalesce((SELECT CASE WHEN m.compiled ? 'x' THEN m.compiled
                               ELSE authz.compile_model(m.definition -> 'types') END
                   FROM authz.models AS m WHERE m.tenant_id = p_tenant_id
                   ORDER BY m.version DESC LIMIT 1), '{"r": {}, "s": [], "u": {}, "e": {}, "x": {}}')
$fn$;

-- authz.require_relation: CL422 unless the model defines p_relation on p_type.
CREATE OR REPLACE FUNCTION authz.require_relation(p_model jsonb, p_type text, p_relation text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $fn$
BEGIN
  IF NOT coalesce(p_model -> 'r' ? (p_type || '#' || p_relation), false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown relation',
      DETAIL = pg_catalog.format('the authorization model defines no relation %s on type %s',
                                 coalesce(p_relation, 'NULL'), p_type),
      HINT = 'see api.describe_authz_model()';
  END IF;
END
$fn$;

-- authz.decide_in_tenant reads the model as claw_authz_reader (filtered by its tenant), and
-- compiles a model stored before its compiled form had "x" (pure functions of the model;
-- the helpers compile_model calls are granted in functions/authz/model.sql)
GRANT EXECUTE ON FUNCTION authz.compile_model(jsonb), authz.require_relation(jsonb, text, text)
  TO claw_authz_reader;

-- Versions replaced by authz.decide_in_tenant: dropped here, not in a migration, so that they
-- go in the same transaction as the routines that called them are replaced.
DROP FUNCTION IF EXISTS authz.ask(uuid, text, text, text, text, boolean);
DROP FUNCTION IF EXISTS authz.decide(uuid, text, text, text, text);
