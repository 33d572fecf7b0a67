-- Relationship-based permissions (Zanzibar / OpenFGA style): how the pieces hand work on.
--
--   api.define_authz_model  -> authz.define_model      validate, store relations + edges
--   api.write_tuples        -> authz.write_tuples      validate, cycle guard, revision bump
--   api.check_permission    -> authz.check             token, authz.evaluate (recursive)
--   api.list_permitted_objects / _subjects -> authz.list_objects / list_subjects (graph walk
--                              over authz.rewrite_edges, then authz.check unless exact)
--
-- search_path: none of authz's functions is SECURITY DEFINER and none is granted to a login
-- role; they run inside api functions, which pin search_path = pg_catalog, pg_temp, and qualify
-- every name.
-- The evaluator's functions (this file, check, check_this, permitted, subject, tokens, walk)
-- carry no SET clause of their own: a SET clause saves and restores the configuration on
-- every call and keeps a SQL function from being inlined, and a check makes dozens of calls.
-- The model and tuple writers (model.sql, tuples.sql, explain.sql) keep theirs.
--
-- Names on the wire: an object is 'type:id' (invoice:42), a subject is an object or a
-- userset 'type:id#relation' (team:ops#member). This file parses them.

-- authz.parse_object: 'type:id' -> (object_type, object_id). CL422 when malformed.
CREATE OR REPLACE FUNCTION authz.parse_object(p_ref text, p_what text DEFAULT 'object',
                                              OUT object_type text, OUT object_id text)
LANGUAGE plpgsql
IMMUTABLE
AS $fn$
DECLARE
  v_colon integer := pg_catalog.strpos(p_ref, ':');
BEGIN
  -- unbounded patterns and explicit lengths: PostgreSQL's regex engine expands a bounded
  -- repeat ({1,200}) into states, and matching one costs about 60 times more; a match
  -- without captures (~) and the parts cut by position: regexp_match with captures cost
  -- about 45 us a call here, ~ under 1 us
  IF p_ref IS NULL OR NOT p_ref OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[A-Za-z0-9_.:/@|=+-]+$'
     OR v_colon > 64 OR pg_catalog.length(p_ref) - v_colon > 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format('invalid %s', p_what),
      DETAIL = pg_catalog.format('%s is not of the form type:id',
                                 coalesce(pg_catalog.quote_literal(pg_catalog.left(p_ref, 120)), 'NULL')),
      HINT = 'a type is lower-case ([a-z][a-z0-9_]*); an id is 1 to 200 of A-Z a-z 0-9 _ . : / @ | = + -, e.g. invoice:42';
  END IF;
  object_type := pg_catalog.left(p_ref, v_colon - 1);
  object_id := pg_catalog.substr(p_ref, v_colon + 1);
END
$fn$;

-- authz.parse_subject: 'type:id' or 'type:id#relation' -> (subject_type, subject_id,
-- subject_relation ('' for a plain object)). CL422 when malformed.
CREATE OR REPLACE FUNCTION authz.parse_subject(p_ref text, OUT subject_type text,
                                               OUT subject_id text, OUT subject_relation text)
LANGUAGE plpgsql
IMMUTABLE
AS $fn$
DECLARE
  -- as authz.parse_object: a match without captures, the parts cut by position (an id holds
  -- no '#', a type no ':')
  v_hash integer := pg_catalog.strpos(p_ref, '#');
  v_base text := CASE WHEN v_hash > 0 THEN pg_catalog.left(p_ref, v_hash - 1) ELSE p_ref END;
  v_colon integer := pg_catalog.strpos(v_base, ':');
BEGIN
  IF p_ref IS NULL
     OR NOT p_ref OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[A-Za-z0-9_.:/@|=+-]+(#[a-z][a-z0-9_]*)?$'
     OR v_colon > 64 OR pg_catalog.length(v_base) - v_colon > 200
     OR (v_hash > 0 AND pg_catalog.length(p_ref) - v_hash > 63) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid subject',
      DETAIL = pg_catalog.format('%s is not of the form type:id or type:id#relation',
                                 coalesce(pg_catalog.quote_literal(pg_catalog.left(p_ref, 120)), 'NULL')),
      HINT = 'e.g. user:alice, or team:ops#member for every member of team ops';
  END IF;
  subject_type := pg_catalog.left(v_base, v_colon - 1);
  subject_id := pg_catalog.substr(v_base, v_colon + 1);
  subject_relation := CASE WHEN v_hash > 0 THEN pg_catalog.substr(p_ref, v_hash + 1) ELSE '' END;
END
$fn$;

-- authz.format_tuple: the text form object#relation@subject of one tuple.
CREATE OR REPLACE FUNCTION authz.format_tuple(p_object_type text, p_object_id text,
                                              p_relation text, p_subject_type text,
                                              p_subject_id text, p_subject_relation text)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT p_object_type || ':' || p_object_id || '#' || p_relation || '@' || p_subject_type
         || ':' || p_subject_id
         || CASE WHEN p_subject_relation = '' THEN '' ELSE '#' || p_subject_relation END
$fn$;
GRANT EXECUTE ON FUNCTION authz.format_tuple(text, text, text, text, text, text)
  TO claw_authz_reader;
