-- Operator reads of a tenant's ontology, for psql (claw_admin), owned by claw_operator_reader
-- like functions/admin/operator_reads.sql: each needs a reason and appends an 'operator.read'
-- event to the tenant's chain. They show the shape of the ontology (types, versions, counts),
-- never object properties: claw_operator_reader may read only the objects' tenant, type and
-- deleted_at columns.

-- admin.list_object_types: one tenant's object types with their version, number of
-- properties and live and deleted objects. Raises CL404 (unknown tenant), CL422 (no reason).
CREATE OR REPLACE FUNCTION admin.list_object_types(p_tenant_id uuid, p_reason text)
RETURNS TABLE (name text, version integer, properties bigint, live_objects bigint,
               deleted_objects bigint, updated_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM admin.require_reason('admin.list_object_types', p_reason);
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.tenant_id = p_tenant_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tenant not found',
      DETAIL = pg_catalog.format('no tenant %s', p_tenant_id),
      HINT = 'list tenants with admin.list_tenants(p_reason => ...)';
  END IF;
  PERFORM admin.record_read(p_tenant_id, 'admin.list_object_types', p_reason);
  RETURN QUERY
  SELECT ty.name, ty.version,
         (SELECT pg_catalog.count(*) FROM ontology.properties AS p
          WHERE p.tenant_id = ty.tenant_id AND p.type_id = ty.type_id),
         (SELECT pg_catalog.count(*) FROM ontology.objects AS o
          WHERE o.tenant_id = ty.tenant_id AND o.type_id = ty.type_id AND o.deleted_at IS NULL),
         (SELECT pg_catalog.count(*) FROM ontology.objects AS o
          WHERE o.tenant_id = ty.tenant_id AND o.type_id = ty.type_id AND o.deleted_at IS NOT NULL),
         ty.updated_at
  FROM ontology.object_types AS ty
  WHERE ty.tenant_id = p_tenant_id
  ORDER BY ty.name;
END
$fn$;
ALTER FUNCTION admin.list_object_types(uuid, text) OWNER TO claw_operator_reader;
COMMENT ON FUNCTION admin.list_object_types(uuid, text) IS
  'Operators: a tenant''s object types with version, properties and live/deleted object counts '
  '(no object data). Audited; needs a reason.';
GRANT EXECUTE ON FUNCTION admin.list_object_types(uuid, text) TO claw_admin;
