-- The ontology's type definitions, for applications and psql: define object types
-- declaratively (versioned, expand/contract enforced), describe them, list them and their
-- history. The engine is in functions/ontology/define_type.sql.
-- Who: defining needs owner or admin (scope ontology:admin); reading needs any tenant role or
-- a worker acting for a job (scope ontology:read).

-- api.define_object_type: create object type p_name (version 1) or bring it to the
-- definition p_properties, a JSON object {"<property>": <spec>}, e.g.
--   {"email": {"kind": "string", "required": true, "max_length": 200,
--              "pattern": "^[^@]+@[^@]+$", "unique": true},
--    "status": {"kind": "enum", "values": ["open", "paid"]},
--    "total": {"kind": "money", "min": 0}, "customer": {"kind": "reference", "type": "customer"}}
-- An existing type changes only with p_expected_version = its current version; p_description
-- NULL keeps the description. Returns the type id, its version and whether anything changed.
-- Raises CL401, CL403, CL404 (p_expected_version for a type that does not exist), CL409
-- (stale version; a change that live objects violate: expand/contract), CL422 (bad name or
-- spec, naming the property).
CREATE OR REPLACE FUNCTION api.define_object_type(p_name text, p_properties jsonb,
                                                  p_description text DEFAULT NULL,
                                                  p_expected_version integer DEFAULT NULL)
RETURNS TABLE (type_id uuid, version integer, changed boolean)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_properties', p_properties, 'json'),
          internal.require_size('p_description', p_description, 'text');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'defining object types');
  RETURN QUERY SELECT d.type_id, d.version, d.changed
               FROM ontology.define_type(p_name, p_properties, p_description,
                                         p_expected_version) AS d;
END
$fn$;
COMMENT ON FUNCTION api.define_object_type(text, jsonb, text, integer) IS
  'Create an object type or change its definition (p_properties: {"<property>": {"kind": '
  'string|number|integer|boolean|timestamp|date|money|enum|reference, "required", "unique", '
  '"values", "min", "max", "pattern", "max_length", "type", "position", "description"}}). '
  'Changing an existing type needs p_expected_version = its version (CL409 otherwise); a change '
  'that live objects would violate is CL409 (expand/contract). Every change bumps the version.';
GRANT EXECUTE ON FUNCTION api.define_object_type(text, jsonb, text, integer) TO claw_runtime;

-- api.describe_object_type: the current definition of a type, in the shape
-- api.define_object_type takes ({"name", "description", "version", "properties": {...}}).
-- Raises CL404.
CREATE OR REPLACE FUNCTION api.describe_object_type(p_name text)
RETURNS TABLE (type_id uuid, version integer, definition jsonb, updated_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.object_types;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'reading object types');
  v := ontology.find_type(p_name);
  RETURN QUERY SELECT v.type_id, v.version, ontology.type_definition(v.tenant_id, v.type_id),
                      v.updated_at;
END
$fn$;
COMMENT ON FUNCTION api.describe_object_type(text) IS
  'The current definition of an object type and its version: {"name", "description", '
  '"version", "properties": {"<property>": <spec>}}; its properties can be passed back to '
  'api.define_object_type unchanged.';
GRANT EXECUTE ON FUNCTION api.describe_object_type(text) TO claw_runtime, claw_worker;

-- api.list_object_types: this tenant's object types by name, with their property count and
-- live objects.
CREATE OR REPLACE FUNCTION api.list_object_types()
RETURNS TABLE (type_id uuid, name text, description text, version integer, properties integer,
               live_objects bigint, updated_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing object types');
  RETURN QUERY
  SELECT t.type_id, t.name, t.description, t.version,
         (SELECT pg_catalog.count(*)::integer FROM ontology.properties AS p
          WHERE p.tenant_id = t.tenant_id AND p.type_id = t.type_id),
         (SELECT pg_catalog.count(*) FROM ontology.objects AS o
          WHERE o.tenant_id = t.tenant_id AND o.type_id = t.type_id AND o.deleted_at IS NULL),
         t.updated_at
  FROM ontology.object_types AS t
  WHERE t.tenant_id = internal.current_tenant_id()
  ORDER BY t.name;
END
$fn$;
COMMENT ON FUNCTION api.list_object_types() IS
  'This tenant''s object types with version, number of properties and live objects.';
GRANT EXECUTE ON FUNCTION api.list_object_types() TO claw_runtime, claw_worker;

-- api.list_type_versions: every version of a type's definition, oldest first, with who
-- changed it and when. Raises CL404.
CREATE OR REPLACE FUNCTION api.list_type_versions(p_name text)
RETURNS TABLE (version integer, definition jsonb, changed_by uuid, changed_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.object_types;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'reading object type versions');
  v := ontology.find_type(p_name);
  RETURN QUERY
  SELECT h.version, h.definition, h.changed_by, h.changed_at
  FROM ontology.type_versions AS h
  WHERE h.tenant_id = v.tenant_id AND h.type_id = v.type_id
  ORDER BY h.version;
END
$fn$;
COMMENT ON FUNCTION api.list_type_versions(text) IS
  'The history of an object type''s definition: one row per version with the whole '
  'definition, who changed it and when.';
GRANT EXECUTE ON FUNCTION api.list_type_versions(text) TO claw_runtime, claw_worker;
