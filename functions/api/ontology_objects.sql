-- Ontology objects, for applications, workers and psql: create, patch, soft-delete, read and
-- list. Every write is validated against the object's type by the trigger in
-- functions/ontology/objects.sql (CL422 naming the property and the rule; CL409 for a unique
-- value already used), whoever calls.
-- Who: writing needs owner, admin, operator, or a worker acting for a job (scope
-- ontology:write); reading any tenant role or such a worker (scope ontology:read).

-- api.create_object: a new object of type p_type with p_properties ({"<property>": value}).
-- Returns its id and version 1. Raises CL401, CL403, CL404 (unknown type), CL409 (unique
-- value used), CL422 (a property breaks its definition).
CREATE OR REPLACE FUNCTION api.create_object(p_type text, p_properties jsonb)
RETURNS TABLE (object_id uuid, version integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_type ontology.object_types;
BEGIN
  PERFORM internal.require_size('p_type', p_type, 'name'),
          internal.require_size('p_properties', p_properties, 'json');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'creating objects');
  v_type := ontology.find_type(p_type);
  RETURN QUERY
  INSERT INTO ontology.objects AS o (tenant_id, type_id, properties)
  VALUES (v_type.tenant_id, v_type.type_id, coalesce(p_properties, '{}'))
  RETURNING o.object_id, o.version;
END
$fn$;
COMMENT ON FUNCTION api.create_object(text, jsonb) IS
  'Create an object of a type; its properties are validated against the type''s definition '
  '(CL422 naming the property and the rule, CL409 for a unique value already used). Returns '
  'the object id and version 1.';
GRANT EXECUTE ON FUNCTION api.create_object(text, jsonb) TO claw_runtime, claw_worker;

-- api.update_object: apply the JSON merge patch p_patch (RFC 7396: a key with null removes
-- the property) to a live object at version p_expected_version. Returns the new version
-- (unchanged when the patch changes nothing). Raises CL404 (missing or deleted), CL409
-- (stale version, unique value used), CL422. Locks the object FOR UPDATE.
CREATE OR REPLACE FUNCTION api.update_object(p_object_id uuid, p_expected_version integer,
                                             p_patch jsonb)
RETURNS TABLE (object_id uuid, version integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.objects;
BEGIN
  PERFORM internal.require_size('p_patch', p_patch, 'json');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'updating objects');
  IF pg_catalog.jsonb_typeof(p_patch) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid patch',
      DETAIL = 'p_patch must be a JSON object (a merge patch)',
      HINT = '{"status": "paid", "note": null} sets status and removes note';
  END IF;
  -- no property value nests deeper than a money object ({"total": {"amount": 5}}); the merge
  -- recurses once per level, so a deeper patch is refused before it overflows the stack
  IF pg_catalog.jsonb_path_exists(p_patch, 'lax $.*.*.*.*') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid patch',
      DETAIL = 'p_patch nests objects more than three levels deep; no property value does',
      HINT = 'a property takes a scalar or a money object {"amount": ..., "currency": ...}';
  END IF;
  v := ontology.lock_object(p_object_id, p_expected_version);
  RETURN QUERY
  UPDATE ontology.objects AS o SET properties = ontology.merge_patch(o.properties, p_patch)
  WHERE o.tenant_id = v.tenant_id AND o.object_id = v.object_id
  RETURNING o.object_id, o.version;
END
$fn$;
COMMENT ON FUNCTION api.update_object(uuid, integer, jsonb) IS
  'Apply a JSON merge patch (a key with null removes it) to an object at the expected version '
  '(CL409 when stale, CL404 when missing or deleted); validated like create. Returns the new '
  'version.';
GRANT EXECUTE ON FUNCTION api.update_object(uuid, integer, jsonb) TO claw_runtime, claw_worker;

-- api.delete_object: soft-delete a live object at version p_expected_version: deleted_at is
-- set, the version bumped, its unique values released and its links and documents deleted with it.
-- Refused with CL409 while live objects reference it through a reference property (their
-- number and one of them named). Returns the new version. Raises CL404, CL409.
-- Locks: the object FOR UPDATE (a write that references it holds it FOR SHARE, so a
-- concurrent reference either commits first and is counted here, or sees it deleted), then
-- its links.
CREATE OR REPLACE FUNCTION api.delete_object(p_object_id uuid, p_expected_version integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.objects;
  v_refs record;
  v_version integer;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'deleting objects');
  v := ontology.lock_object(p_object_id, p_expected_version);
  SELECT pg_catalog.count(*) AS n, (pg_catalog.array_agg(
           pg_catalog.format('%s (property "%s" of %s)', o.object_id, p.name, t.name)
           ORDER BY o.object_id))[1] AS example
  INTO v_refs
  FROM ontology.properties AS p
  JOIN ontology.object_types AS t ON t.tenant_id = p.tenant_id AND t.type_id = p.type_id
  JOIN ontology.objects AS o ON o.tenant_id = p.tenant_id AND o.type_id = p.type_id
   AND o.deleted_at IS NULL AND o.object_id <> v.object_id
   AND o.properties @> pg_catalog.jsonb_build_object(p.name, v.object_id::text)
  WHERE p.tenant_id = v.tenant_id AND p.ref_type_id = v.type_id;
  IF v_refs.n > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'object is referenced',
      DETAIL = pg_catalog.format('%s live object%s reference object %s, e.g. %s', v_refs.n,
                                 CASE WHEN v_refs.n = 1 THEN '' ELSE 's' END, v.object_id,
                                 v_refs.example),
      HINT = 'delete the referencing objects or remove their reference first';
  END IF;
  UPDATE ontology.links AS l
  SET deleted_at = pg_catalog.now(), deleted_by = internal.current_principal_id()
  WHERE l.tenant_id = v.tenant_id AND l.deleted_at IS NULL
    AND (l.from_object_id = v.object_id OR l.to_object_id = v.object_id);
  -- its documents go with it: no search finds a deleted object's text (an attach in flight
  -- holds the object FOR SHARE, so it committed before this statement or fails after it)
  DELETE FROM ontology.documents AS d
  WHERE d.tenant_id = v.tenant_id AND d.object_id = v.object_id;
  UPDATE ontology.objects AS o SET deleted_at = pg_catalog.now()
  WHERE o.tenant_id = v.tenant_id AND o.object_id = v.object_id
  RETURNING o.version INTO v_version;
  RETURN v_version;
END
$fn$;
COMMENT ON FUNCTION api.delete_object(uuid, integer) IS
  'Soft-delete an object at the expected version (hidden from lists, unique values released, '
  'its links and documents deleted). CL409 while live objects reference it. Returns the new version.';
GRANT EXECUTE ON FUNCTION api.delete_object(uuid, integer) TO claw_runtime, claw_worker;

-- api.get_object: one object of this tenant, deleted ones included (deleted_at set).
-- Raises CL404.
CREATE OR REPLACE FUNCTION api.get_object(p_object_id uuid)
RETURNS TABLE (object_id uuid, type text, version integer, properties jsonb, created_by uuid,
               updated_by uuid, created_at timestamptz, updated_at timestamptz,
               deleted_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'reading objects');
  RETURN QUERY
  SELECT o.object_id, t.name, o.version, o.properties, o.created_by, o.updated_by, o.created_at,
         o.updated_at, o.deleted_at
  FROM ontology.objects AS o
  JOIN ontology.object_types AS t ON t.tenant_id = o.tenant_id AND t.type_id = o.type_id
  WHERE o.tenant_id = internal.current_tenant_id() AND o.object_id = p_object_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
      DETAIL = pg_catalog.format('no object %s in this tenant', p_object_id),
      HINT = 'api.list_objects_by_type lists a type''s objects';
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.get_object(uuid) IS
  'One object: type, version, properties, who created and last changed it, and deleted_at '
  'when it was deleted.';
GRANT EXECUTE ON FUNCTION api.get_object(uuid) TO claw_runtime, claw_worker;

-- api.list_objects_by_type: a type's objects in creation (id) order, a page of p_limit
-- (1-1000) at a time; deleted ones only with p_include_deleted. Two ways to page: the last
-- row of a full page carries the cursor to pass as p_cursor (opaque, bound to the tenant,
-- the type and p_include_deleted, as the other lists' cursors are: what the HTTP edge
-- uses), or p_after => the last object id (a plain keyset for SQL callers; it selects
-- nothing the tenant policy would not). Raises CL404 (unknown type), CL422 (limit, a cursor
-- of another tenant, list, type or filter, or both p_after and p_cursor).
-- The version without p_cursor (and without the cursor column): dropped here, in the same
-- transaction as its replacement is created, so callers by name never see two versions.
DROP FUNCTION IF EXISTS api.list_objects_by_type(text, integer, uuid, boolean);
CREATE OR REPLACE FUNCTION api.list_objects_by_type(p_type text, p_limit integer DEFAULT 100,
                                                    p_after uuid DEFAULT NULL,
                                                    p_include_deleted boolean DEFAULT false,
                                                    p_cursor text DEFAULT NULL)
RETURNS TABLE (object_id uuid, version integer, properties jsonb, created_at timestamptz,
               updated_at timestamptz, deleted_at timestamptz, cursor text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_type ontology.object_types;
  v_filters jsonb;
  v_after uuid := p_after;
BEGIN
  PERFORM internal.require_size('p_type', p_type, 'name'),
          internal.require_size('p_cursor', p_cursor, 'text');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing objects');
  PERFORM internal.require_limit(p_limit, 1000);
  IF p_after IS NOT NULL AND p_cursor IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'p_after and p_cursor both give a position',
      HINT = 'pass the cursor of the previous page, or the last object id, not both';
  END IF;
  v_type := ontology.find_type(p_type);
  v_filters := pg_catalog.jsonb_build_object('type_id', v_type.type_id,
                                             'include_deleted', coalesce(p_include_deleted, false));
  IF p_cursor IS NOT NULL THEN
    v_after := (internal.read_cursor('api.list_objects_by_type', v_filters, p_cursor) ->> 'id')::uuid;
  END IF;
  RETURN QUERY
  SELECT o.object_id, o.version, o.properties, o.created_at, o.updated_at, o.deleted_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY o.object_id) = p_limit
              -- a full page: its last row carries the next page's cursor
              THEN internal.make_cursor('api.list_objects_by_type', v_filters,
                                        pg_catalog.jsonb_build_object('id', o.object_id)) END
  FROM ontology.objects AS o
  WHERE o.tenant_id = v_type.tenant_id AND o.type_id = v_type.type_id
    AND (v_after IS NULL OR o.object_id > v_after)
    AND (p_include_deleted OR o.deleted_at IS NULL)
  ORDER BY o.object_id
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION api.list_objects_by_type(text, integer, uuid, boolean, text) IS
  'A type''s objects in creation order, p_limit per page; the last row of a full page carries '
  'the cursor to pass as p_cursor for the next one (or pass p_after, the last id of the '
  'previous page); deleted objects only with p_include_deleted => true.';
GRANT EXECUTE ON FUNCTION api.list_objects_by_type(text, integer, uuid, boolean, text)
  TO claw_runtime, claw_worker;
