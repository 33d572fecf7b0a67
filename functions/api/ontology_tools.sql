-- The tool catalog, for applications and psql: the tools agents act through, each with an
-- input JSON schema (checked by ontology.check_input_schema), its side effect (read, write,
-- external, financial), blast radius (a hint: none, single_object, many_objects, tenant,
-- external_party), an optional cap on the objects one call may touch, reversibility, an
-- enabled switch and a version bumped by every change.
-- Who: defining and enabling need owner or admin (scope ontology:admin); listing any tenant
-- role or a worker acting for a job (scope ontology:read).

-- api.define_tool: create tool p_name (version 1) or, at p_expected_version = its version,
-- change it. Returns its id, version and whether anything changed (an identical definition
-- changes nothing). Raises CL401, CL403, CL404 (p_expected_version for a tool that does not
-- exist), CL409 (stale version), CL422 (name, description, schema, side effect, blast
-- radius, max_objects).
CREATE OR REPLACE FUNCTION api.define_tool(p_name text, p_description text, p_input_schema jsonb,
                                           p_side_effect text,
                                           p_blast_radius text DEFAULT 'single_object',
                                           p_max_objects integer DEFAULT NULL,
                                           p_reversible boolean DEFAULT true,
                                           p_expected_version integer DEFAULT NULL)
RETURNS TABLE (tool_id uuid, version integer, changed boolean)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
  v ontology.tools;
  v_problem text;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_description', p_description, 'text'),
          internal.require_size('p_input_schema', p_input_schema, 'json'),
          internal.require_size('p_side_effect', p_side_effect, 'name'),
          internal.require_size('p_blast_radius', p_blast_radius, 'name');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'defining tools');
  v_tenant := internal.current_tenant_id();
  IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_.]{0,99}$' THEN
    v_problem := 'the name must be lower-case letters, digits, _ and ., starting with a letter, '
                 'at most 100 characters';
  ELSIF p_description IS NULL OR pg_catalog.length(p_description) NOT BETWEEN 1 AND 4000 THEN
    v_problem := 'the description must have 1 to 4000 characters';
  ELSIF p_side_effect IS NULL OR p_side_effect NOT IN ('read', 'write', 'external', 'financial') THEN
    v_problem := pg_catalog.format('side effect %L is not read, write, external or financial',
                                   p_side_effect);
  ELSIF p_blast_radius IS NULL OR p_blast_radius NOT IN ('none', 'single_object', 'many_objects',
                                                         'tenant', 'external_party') THEN
    v_problem := pg_catalog.format('blast radius %L is not none, single_object, many_objects, '
                                   'tenant or external_party', p_blast_radius);
  ELSIF p_max_objects <= 0 THEN
    v_problem := 'max_objects must be positive (or NULL: no cap)';
  ELSIF p_reversible IS NULL THEN
    v_problem := 'reversible must be true or false';
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format('invalid tool %s', p_name),
      DETAIL = v_problem, HINT = 'see COMMENT ON FUNCTION api.define_tool';
  END IF;
  PERFORM ontology.check_input_schema(p_name, p_input_schema);

  -- the name first (a new name has no row to lock: see ontology.define_type)
  PERFORM internal.lock_named(pg_catalog.format('ontology.tool|%s|%s', v_tenant, p_name), true);
  SELECT x.* INTO v FROM ontology.tools AS x
  WHERE x.tenant_id = v_tenant AND x.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    IF p_expected_version IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tool not found',
        DETAIL = pg_catalog.format('no tool %s in this tenant to be at version %s', p_name,
                                   p_expected_version),
        HINT = 'create it without p_expected_version';
    END IF;
    BEGIN
      RETURN QUERY
      INSERT INTO ontology.tools AS x (tenant_id, name, description, input_schema, side_effect,
                                       blast_radius, max_objects, reversible, created_by,
                                       updated_by)
      VALUES (v_tenant, p_name, p_description, p_input_schema, p_side_effect, p_blast_radius,
              p_max_objects, p_reversible, internal.current_principal_id(),
              internal.current_principal_id())
      RETURNING x.tool_id, x.version, true;
    EXCEPTION WHEN unique_violation THEN
      PERFORM ontology.raise_defined_concurrently('tool', p_name);
    END;
    RETURN;
  END IF;
  IF p_expected_version IS DISTINCT FROM v.version THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale tool version',
      DETAIL = pg_catalog.format('tool %s is at version %s, not %s', p_name, v.version,
                                 coalesce(p_expected_version::text, 'NULL')),
      HINT = 'read it again (api.list_tools) and pass its version as p_expected_version';
  END IF;
  IF (v.description, v.input_schema, v.side_effect, v.blast_radius, v.max_objects, v.reversible)
     IS NOT DISTINCT FROM (p_description, p_input_schema, p_side_effect, p_blast_radius,
                           p_max_objects, p_reversible) THEN
    RETURN QUERY SELECT v.tool_id, v.version, false;
    RETURN;
  END IF;
  RETURN QUERY
  UPDATE ontology.tools AS x
  SET description = p_description, input_schema = p_input_schema, side_effect = p_side_effect,
      blast_radius = p_blast_radius, max_objects = p_max_objects, reversible = p_reversible,
      version = x.version + 1, updated_at = pg_catalog.now(),
      updated_by = internal.current_principal_id()
  WHERE x.tenant_id = v.tenant_id AND x.tool_id = v.tool_id
  RETURNING x.tool_id, x.version, true;
END
$fn$;
COMMENT ON FUNCTION api.define_tool(text, text, jsonb, text, text, integer, boolean, integer) IS
  'Create a tool in the catalog or change it at the expected version (CL409 when stale). '
  'p_input_schema: {"type": "object", "properties": {...}, "required": [...]}; p_side_effect: '
  'read, write, external or financial; p_blast_radius: none, single_object, many_objects, '
  'tenant or external_party; p_max_objects: the most objects one call may touch (NULL: no cap).';
GRANT EXECUTE ON FUNCTION api.define_tool(text, text, jsonb, text, text, integer, boolean, integer)
  TO claw_runtime;

-- api.set_tool_enabled: enable or disable a tool. Returns its version (bumped when the switch
-- changed). Raises CL404.
CREATE OR REPLACE FUNCTION api.set_tool_enabled(p_name text, p_enabled boolean)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.tools;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'enabling tools');
  IF p_enabled IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid enabled',
      DETAIL = 'p_enabled must be true or false', HINT = 'p_enabled => false disables the tool';
  END IF;
  SELECT x.* INTO v FROM ontology.tools AS x
  WHERE x.tenant_id = internal.current_tenant_id() AND x.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tool not found',
      DETAIL = pg_catalog.format('no tool %L in this tenant', p_name),
      HINT = 'api.list_tools lists the tools';
  END IF;
  IF v.enabled = p_enabled THEN
    RETURN v.version;
  END IF;
  UPDATE ontology.tools AS x
  SET enabled = p_enabled, version = x.version + 1, updated_at = pg_catalog.now(),
      updated_by = internal.current_principal_id()
  WHERE x.tenant_id = v.tenant_id AND x.tool_id = v.tool_id
  RETURNING x.version INTO v.version;
  RETURN v.version;
END
$fn$;
COMMENT ON FUNCTION api.set_tool_enabled(text, boolean) IS
  'Enable or disable a tool; returns its version (bumped when the switch changed).';
GRANT EXECUTE ON FUNCTION api.set_tool_enabled(text, boolean) TO claw_runtime;

-- api.list_tools: this tenant's tools by name, optionally of one side effect. Raises CL422
-- (unknown side effect).
CREATE OR REPLACE FUNCTION api.list_tools(p_side_effect text DEFAULT NULL)
RETURNS TABLE (tool_id uuid, name text, description text, input_schema jsonb, side_effect text,
               blast_radius text, max_objects integer, reversible boolean, enabled boolean,
               version integer, updated_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_side_effect', p_side_effect, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing tools');
  IF p_side_effect IS NOT NULL AND p_side_effect NOT IN ('read', 'write', 'external', 'financial') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid side effect',
      DETAIL = pg_catalog.format('%L is not a side effect', p_side_effect),
      HINT = 'read, write, external or financial';
  END IF;
  RETURN QUERY
  SELECT x.tool_id, x.name, x.description, x.input_schema, x.side_effect, x.blast_radius,
         x.max_objects, x.reversible, x.enabled, x.version, x.updated_at
  FROM ontology.tools AS x
  WHERE x.tenant_id = internal.current_tenant_id()
    AND (p_side_effect IS NULL OR x.side_effect = p_side_effect)
  ORDER BY x.name;
END
$fn$;
COMMENT ON FUNCTION api.list_tools(text) IS
  'This tenant''s tool catalog: input schema, side effect, blast radius, max objects, '
  'reversible, enabled, version; p_side_effect filters.';
GRANT EXECUTE ON FUNCTION api.list_tools(text) TO claw_runtime, claw_worker;
