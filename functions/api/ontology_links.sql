-- Ontology links, for applications, workers and psql: define link types (owner, admin; scope
-- ontology:admin), create and delete links (owner, admin, operator, a worker acting for a
-- job; scope ontology:write), list them (any tenant role; scope ontology:read). The checks
-- are in functions/ontology/links.sql; the cardinality in the partial unique indexes of
-- ontology.links.

-- api.define_link_type: create link type p_name from objects of p_from_type to objects of
-- p_to_type with p_cardinality (one_to_one, one_to_many, many_to_one, many_to_many; read
-- from -> to: one_to_many = a from object may have many to objects, a to object one from
-- object). Ends and cardinality are fixed: calling it again with the same ones only updates
-- the description (when given); other ones are CL409. Returns the link type id.
-- Raises CL401, CL403, CL404 (unknown object type), CL409, CL422.
CREATE OR REPLACE FUNCTION api.define_link_type(p_name text, p_from_type text, p_to_type text,
                                                p_cardinality text,
                                                p_description text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_from ontology.object_types;
  v_to ontology.object_types;
  v ontology.link_types;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_from_type', p_from_type, 'name'),
          internal.require_size('p_to_type', p_to_type, 'name'),
          internal.require_size('p_cardinality', p_cardinality, 'name'),
          internal.require_size('p_description', p_description, 'text');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'defining link types');
  PERFORM ontology.check_definition('link type', p_name, p_description);
  IF p_cardinality IS NULL
     OR p_cardinality NOT IN ('one_to_one', 'one_to_many', 'many_to_one', 'many_to_many') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cardinality',
      DETAIL = pg_catalog.format('%L is not a cardinality', p_cardinality),
      HINT = 'one_to_one, one_to_many, many_to_one or many_to_many';
  END IF;
  v_from := ontology.find_type(p_from_type);
  v_to := ontology.find_type(p_to_type);
  -- the name first (a new name has no row to lock: see ontology.define_type)
  PERFORM internal.lock_named(pg_catalog.format('ontology.link_type|%s|%s', v_from.tenant_id,
                                                p_name), true);
  SELECT lt.* INTO v FROM ontology.link_types AS lt
  WHERE lt.tenant_id = v_from.tenant_id AND lt.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    BEGIN
      INSERT INTO ontology.link_types AS lt (tenant_id, name, from_type_id, to_type_id,
                                             cardinality, one_from, one_to, description,
                                             created_by)
      VALUES (v_from.tenant_id, p_name, v_from.type_id, v_to.type_id, p_cardinality,
              p_cardinality IN ('one_to_one', 'one_to_many'),
              p_cardinality IN ('one_to_one', 'many_to_one'), p_description,
              internal.current_principal_id())
      RETURNING lt.* INTO v;
    EXCEPTION WHEN unique_violation THEN
      PERFORM ontology.raise_defined_concurrently('link type', p_name);
    END;
    RETURN v.link_type_id;
  END IF;
  IF (v.from_type_id, v.to_type_id, v.cardinality)
     IS DISTINCT FROM (v_from.type_id, v_to.type_id, p_cardinality) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'a link type''s ends and cardinality are fixed',
      DETAIL = pg_catalog.format('link type %s is %s from %s to %s', p_name, v.cardinality,
        (SELECT t.name FROM ontology.object_types AS t
         WHERE t.tenant_id = v.tenant_id AND t.type_id = v.from_type_id),
        (SELECT t.name FROM ontology.object_types AS t
         WHERE t.tenant_id = v.tenant_id AND t.type_id = v.to_type_id)),
      HINT = 'define a link type with another name';
  END IF;
  IF p_description IS NOT NULL AND p_description IS DISTINCT FROM v.description THEN
    UPDATE ontology.link_types AS lt SET description = p_description, updated_at = pg_catalog.now()
    WHERE lt.tenant_id = v.tenant_id AND lt.link_type_id = v.link_type_id;
  END IF;
  RETURN v.link_type_id;
END
$fn$;
COMMENT ON FUNCTION api.define_link_type(text, text, text, text, text) IS
  'Create a link type between two object types with a cardinality (one_to_one, one_to_many, '
  'many_to_one, many_to_many, read from -> to). Ends and cardinality never change (CL409); '
  'calling again with the same ones updates the description. Returns its id.';
GRANT EXECUTE ON FUNCTION api.define_link_type(text, text, text, text, text) TO claw_runtime;

-- api.list_link_types: this tenant's link types by name, with their ends and live links.
CREATE OR REPLACE FUNCTION api.list_link_types()
RETURNS TABLE (link_type_id uuid, name text, from_type text, to_type text, cardinality text,
               description text, live_links bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing link types');
  RETURN QUERY
  SELECT lt.link_type_id, lt.name, f.name, t.name, lt.cardinality, lt.description,
         (SELECT pg_catalog.count(*) FROM ontology.links AS l
          WHERE l.tenant_id = lt.tenant_id AND l.link_type_id = lt.link_type_id
            AND l.deleted_at IS NULL)
  FROM ontology.link_types AS lt
  JOIN ontology.object_types AS f ON f.tenant_id = lt.tenant_id AND f.type_id = lt.from_type_id
  JOIN ontology.object_types AS t ON t.tenant_id = lt.tenant_id AND t.type_id = lt.to_type_id
  WHERE lt.tenant_id = internal.current_tenant_id()
  ORDER BY lt.name;
END
$fn$;
COMMENT ON FUNCTION api.list_link_types() IS
  'This tenant''s link types: ends, cardinality, description and number of live links.';
GRANT EXECUTE ON FUNCTION api.list_link_types() TO claw_runtime, claw_worker;

-- api.create_link: link two live objects with link type p_link_type. Returns the link id.
-- Raises CL404 (unknown link type), CL409 (the cardinality: the link type and the rule it
-- breaks), CL422 (an end that is not a live object of the link type's end type).
-- Locks: the from object, then the to object, FOR SHARE.
CREATE OR REPLACE FUNCTION api.create_link(p_link_type text, p_from_object_id uuid,
                                           p_to_object_id uuid)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_link_type', p_link_type, 'name');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'creating links');
  RETURN ontology.create_link(ontology.find_link_type(p_link_type), p_from_object_id,
                              p_to_object_id);
END
$fn$;
COMMENT ON FUNCTION api.create_link(text, uuid, uuid) IS
  'Link two live objects with a link type (ends checked, CL422; cardinality enforced by the '
  'database, CL409). Returns the link id.';
GRANT EXECUTE ON FUNCTION api.create_link(text, uuid, uuid) TO claw_runtime, claw_worker;

-- api.delete_link: soft-delete a live link. Raises CL404 (no live link with that id).
CREATE OR REPLACE FUNCTION api.delete_link(p_link_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'deleting links');
  UPDATE ontology.links AS l
  SET deleted_at = pg_catalog.now(), deleted_by = internal.current_principal_id()
  WHERE l.tenant_id = internal.current_tenant_id() AND l.link_id = p_link_id
    AND l.deleted_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'link not found',
      DETAIL = pg_catalog.format('no live link %s in this tenant', p_link_id),
      HINT = 'api.list_links lists an object''s links';
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.delete_link(uuid) IS 'Delete (soft) a live link.';
GRANT EXECUTE ON FUNCTION api.delete_link(uuid) TO claw_runtime, claw_worker;

-- api.list_links: the live links of an object in both directions (direction 'out': it is
-- the from object; 'in': the to object), optionally of one link type. Raises CL404 (unknown
-- object or link type).
CREATE OR REPLACE FUNCTION api.list_links(p_object_id uuid, p_link_type text DEFAULT NULL)
RETURNS TABLE (link_id uuid, link_type text, direction text, from_object_id uuid,
               to_object_id uuid, other_object_id uuid, created_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
BEGIN
  PERFORM internal.require_size('p_link_type', p_link_type, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing links');
  IF NOT EXISTS (SELECT FROM ontology.objects AS o
                 WHERE o.tenant_id = v_tenant AND o.object_id = p_object_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
      DETAIL = pg_catalog.format('no object %s in this tenant', p_object_id),
      HINT = 'api.list_objects_by_type lists a type''s objects';
  END IF;
  IF p_link_type IS NOT NULL THEN
    PERFORM ontology.find_link_type(p_link_type);
  END IF;
  RETURN QUERY
  SELECT l.link_id, lt.name, CASE WHEN l.from_object_id = p_object_id THEN 'out' ELSE 'in' END,
         l.from_object_id, l.to_object_id,
         CASE WHEN l.from_object_id = p_object_id THEN l.to_object_id ELSE l.from_object_id END,
         l.created_at
  FROM ontology.links AS l
  JOIN ontology.link_types AS lt ON lt.tenant_id = l.tenant_id AND lt.link_type_id = l.link_type_id
  WHERE l.tenant_id = v_tenant AND l.deleted_at IS NULL
    AND (l.from_object_id = p_object_id OR l.to_object_id = p_object_id)
    AND (p_link_type IS NULL OR lt.name = p_link_type)
  ORDER BY lt.name, l.link_id;
END
$fn$;
COMMENT ON FUNCTION api.list_links(uuid, text) IS
  'The live links of an object, both directions (out: from it, in: to it), optionally of one '
  'link type.';
GRANT EXECUTE ON FUNCTION api.list_links(uuid, text) TO claw_runtime, claw_worker;
