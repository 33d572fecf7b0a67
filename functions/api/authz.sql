-- Relationship-based permissions, for applications and psql: the model, tuples, check with
-- its explanation, list objects and subjects. The engine is in functions/authz/. Objects
-- are 'type:id', subjects 'type:id' or usersets 'type:id#relation'; a call without a
-- subject asks about the caller (principal:<principal id>). Every call that reads takes an
-- optional consistency token (from a write) and refuses to answer from an older snapshot.

-- api.define_authz_model: replace this tenant's model (see functions/authz/model.sql for
-- the format). Who: owner, admin; scope authz:admin. Raises CL401, CL403, CL409 (stale
-- p_expected_version; tuples the new model has no place for), CL422 (malformed model).
CREATE OR REPLACE FUNCTION api.define_authz_model(p_model jsonb,
                                                  p_expected_version integer DEFAULT NULL)
RETURNS TABLE (version integer, consistency_token text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_model', p_model, 'json');
  PERFORM internal.require_role('{owner,admin}', 'authz:admin', 'defining the authorization model');
  RETURN QUERY SELECT m.version, m.token
               FROM authz.define_model(internal.current_tenant_id(),
                                       internal.current_principal_id(), p_model,
                                       p_expected_version) AS m;
END
$fn$;
COMMENT ON FUNCTION api.define_authz_model(jsonb, integer) IS
  'Replace the tenant''s authorization model: {"types": {"<type>": {"relations": {"<relation>": '
  '<rewrite>}}}} with rewrites this, computed, ttu, union, intersection, exclusion. Returns the '
  'new version and a consistency token.';
GRANT EXECUTE ON FUNCTION api.define_authz_model(jsonb, integer) TO claw_runtime;

-- api.describe_authz_model: the current model (NULL version 0 when none). Members.
CREATE OR REPLACE FUNCTION api.describe_authz_model()
RETURNS TABLE (version integer, definition jsonb, sha256 text, created_by uuid,
               created_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'authz:read',
                                'reading the authorization model');
  RETURN QUERY
  SELECT m.version, m.definition, m.sha256, m.created_by, m.created_at
  FROM authz.models AS m
  WHERE m.tenant_id = internal.current_tenant_id()
  ORDER BY m.version DESC LIMIT 1;
END
$fn$;
COMMENT ON FUNCTION api.describe_authz_model() IS
  'The tenant''s current authorization model: version, definition, sha256, author, time.';
GRANT EXECUTE ON FUNCTION api.describe_authz_model() TO claw_runtime, claw_worker;

-- api.write_tuples: delete p_deletes, then write p_writes, as one change (see
-- authz.write_tuples). Who: owner, admin, operator, a worker acting for a job; scope
-- authz:write. Returns the counts and the consistency token of the change.
CREATE OR REPLACE FUNCTION api.write_tuples(p_writes jsonb DEFAULT '[]',
                                            p_deletes jsonb DEFAULT '[]')
RETURNS TABLE (written integer, deleted integer, consistency_token text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_writes', p_writes, 'batch'),
          internal.require_size('p_deletes', p_deletes, 'batch');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'authz:write',
                                'writing relationship tuples');
  RETURN QUERY SELECT w.written, w.deleted, w.token
               FROM authz.write_tuples(internal.current_tenant_id(),
                                       internal.current_principal_id(), p_writes,
                                       p_deletes) AS w;
END
$fn$;
COMMENT ON FUNCTION api.write_tuples(jsonb, jsonb) IS
  'Write and delete relationship tuples [{"object": "invoice:42", "relation": "owner", '
  '"subject": "user:alice", "expires_at": null}] in one change; idempotent; refuses cycles '
  '(CL409). Returns a consistency token.';
GRANT EXECUTE ON FUNCTION api.write_tuples(jsonb, jsonb) TO claw_runtime, claw_worker;

-- api.check_permission: is p_subject (default: the caller) in p_object#p_relation? With the
-- explanation when it is, and the token of the snapshot the answer comes from. Who:
-- members; about another subject owner, admin, operator or a worker. Raises CL401, CL403,
-- CL422 (malformed reference, unknown relation, bad token), 40001 (snapshot older than
-- p_consistency_token: retry), CL508 (cycle or depth limit).
CREATE OR REPLACE FUNCTION api.check_permission(p_object text, p_relation text,
                                                p_subject text DEFAULT NULL,
                                                p_consistency_token text DEFAULT NULL)
RETURNS TABLE (allowed boolean, explanation jsonb, consistency_token text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_q record;
  v_why jsonb;
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'checking a permission', false, NULL);
  v_why := authz.check(v_q.tenant_id, p_object, p_relation, v_q.subject, p_consistency_token);
  RETURN QUERY SELECT v_why IS NOT NULL, v_why, authz.snapshot_token(v_q.tenant_id);
END
$fn$;
COMMENT ON FUNCTION api.check_permission(text, text, text, text) IS
  'Is the subject (default: the caller) in object#relation? Returns allowed, the explanation '
  '(the path of tuples and rewrites) and the snapshot''s consistency token.';
GRANT EXECUTE ON FUNCTION api.check_permission(text, text, text, text) TO claw_runtime, claw_worker;

-- api.is_permitted: is p_subject (default: the caller) in p_object#p_relation? Yes or no,
-- the check an application makes before every action (Zanzibar's Check): no explanation
-- (api.check_permission has it), no token (pass the last write's token to read your
-- writes). Decided by authz.decide_in_tenant: one walk per relation where the model allows
-- it (authz.reaches). Who and raises: as api.check_permission.
CREATE OR REPLACE FUNCTION api.is_permitted(p_object text, p_relation text,
                                            p_subject text DEFAULT NULL,
                                            p_consistency_token text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_q record;
  v_o record;
  v_s record;
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'checking a permission', false, NULL);
  v_o := authz.parse_object(p_object);
  v_s := authz.parse_subject(v_q.subject);
  PERFORM authz.require_fresh(v_q.tenant_id, p_consistency_token);
  RETURN authz.decide_in_tenant(v_q.tenant_id, v_o.object_type, v_o.object_id, p_relation,
                                v_s.subject_type, v_s.subject_id, v_s.subject_relation,
                                internal.now());
END
$fn$;
COMMENT ON FUNCTION api.is_permitted(text, text, text, text) IS
  'Is the subject (default: the caller) in object#relation? Yes or no, without the explanation.';
GRANT EXECUTE ON FUNCTION api.is_permitted(text, text, text, text) TO claw_runtime, claw_worker;

-- api.explain_permission: the explanation of a check as readable lines (psql). No rows
-- when the check fails. Who and raises: as api.check_permission.
CREATE OR REPLACE FUNCTION api.explain_permission(p_object text, p_relation text,
                                                  p_subject text DEFAULT NULL,
                                                  p_consistency_token text DEFAULT NULL)
RETURNS TABLE (step integer, line text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_q record;
  v_why jsonb;
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'explaining a permission', false, NULL);
  v_why := authz.check(v_q.tenant_id, p_object, p_relation, v_q.subject, p_consistency_token);
  RETURN QUERY SELECT (n - 1)::integer, l FROM authz.explain_lines(v_why) WITH ORDINALITY AS e (l, n);
END
$fn$;
COMMENT ON FUNCTION api.explain_permission(text, text, text, text) IS
  'Why the subject (default: the caller) is in object#relation, as indented lines; no rows if it is not.';
GRANT EXECUTE ON FUNCTION api.explain_permission(text, text, text, text) TO claw_runtime, claw_worker;

-- api.list_permitted_objects: the objects of p_object_type whose p_relation includes the
-- subject (default: the caller), as 'type:id', in id order, at most p_limit (1..10,000).
-- Who and raises: as api.check_permission.
CREATE OR REPLACE FUNCTION api.list_permitted_objects(p_object_type text, p_relation text,
                                                      p_subject text DEFAULT NULL,
                                                      p_limit integer DEFAULT 1000,
                                                      p_consistency_token text DEFAULT NULL)
RETURNS TABLE (object text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_q record;
BEGIN
  PERFORM internal.require_size('p_object_type', p_object_type, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'listing permitted objects', true, p_limit);
  RETURN QUERY
  SELECT p_object_type || ':' || o
  FROM authz.list_objects(v_q.tenant_id, p_object_type, p_relation, v_q.subject,
                          p_limit, p_consistency_token) AS o;
END
$fn$;
COMMENT ON FUNCTION api.list_permitted_objects(text, text, text, integer, text) IS
  'The objects of a type whose relation includes the subject (default: the caller).';
GRANT EXECUTE ON FUNCTION api.list_permitted_objects(text, text, text, integer, text)
  TO claw_runtime, claw_worker;

-- api.list_permitted_subjects: the subjects of p_subject_type in p_object#p_relation, as
-- 'type:id', in id order, at most p_limit (1..10,000). Who: owner, admin, operator, worker
-- (it maps other people's access). Raises as api.check_permission.
CREATE OR REPLACE FUNCTION api.list_permitted_subjects(p_object text, p_relation text,
                                                       p_subject_type text,
                                                       p_limit integer DEFAULT 1000,
                                                       p_consistency_token text DEFAULT NULL)
RETURNS TABLE (subject text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject_type', p_subject_type, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'authz:read',
                                'listing permitted subjects');
  PERFORM internal.require_limit(p_limit, 10000);
  -- a type of the model, as api.list_permitted_objects requires of its object type (an
  -- unknown one, a userset like team#member included, listed nothing, silently)
  IF NOT coalesce((SELECT m.definition -> 'types' ? p_subject_type FROM authz.models AS m
                   WHERE m.tenant_id = internal.current_tenant_id()
                   ORDER BY m.version DESC LIMIT 1), false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown subject type',
      DETAIL = pg_catalog.format('the authorization model defines no type %L',
                                 pg_catalog.left(p_subject_type, 100)),
      HINT = 'a type of the model (api.describe_authz_model()), without #relation';
  END IF;
  RETURN QUERY
  SELECT p_subject_type || ':' || s
  FROM authz.list_subjects(internal.current_tenant_id(), p_object, p_relation,
                           p_subject_type, p_limit, p_consistency_token) AS s;
END
$fn$;
COMMENT ON FUNCTION api.list_permitted_subjects(text, text, text, integer, text) IS
  'The subjects of a type that are in object#relation.';
GRANT EXECUTE ON FUNCTION api.list_permitted_subjects(text, text, text, integer, text)
  TO claw_runtime, claw_worker;

-- api.list_object_tuples: the tuples naming p_object as object or subject (psql
-- administration), expired ones flagged. Who: owner, admin, operator.
CREATE OR REPLACE FUNCTION api.list_object_tuples(p_object text)
RETURNS TABLE (tuple text, expires_at timestamptz, expired boolean, revision bigint,
               created_by uuid, created_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_o record;
  v_now timestamptz := internal.now();
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name');
  PERFORM internal.require_role('{owner,admin,operator}', 'authz:read', 'listing tuples');
  v_o := authz.parse_object(p_object);
  RETURN QUERY
  SELECT authz.format_tuple(t.object_type, t.object_id, t.relation, t.subject_type,
                            t.subject_id, t.subject_relation),
         t.expires_at, t.expires_at IS NOT NULL AND t.expires_at <= v_now, t.revision,
         t.created_by, t.created_at
  FROM authz.tuples AS t
  WHERE t.tenant_id = internal.current_tenant_id()
    AND ((t.object_type = v_o.object_type AND t.object_id = v_o.object_id)
      OR (t.subject_type = v_o.object_type AND t.subject_id = v_o.object_id))
  ORDER BY 1;
END
$fn$;
COMMENT ON FUNCTION api.list_object_tuples(text) IS
  'The relationship tuples that name an object (as object or as subject), expired ones flagged.';
GRANT EXECUTE ON FUNCTION api.list_object_tuples(text) TO claw_runtime;
