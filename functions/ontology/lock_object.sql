-- ontology.lock_object: the live object p_object_id of this tenant, locked FOR UPDATE, at
-- version p_expected_version. CL404 when it does not exist or is deleted, CL409 when its
-- version is another (a stale read).
CREATE OR REPLACE FUNCTION ontology.lock_object(p_object_id uuid, p_expected_version integer)
RETURNS ontology.objects
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.objects;
BEGIN
  SELECT o.* INTO v FROM ontology.objects AS o
  WHERE o.tenant_id = internal.current_tenant_id() AND o.object_id = p_object_id
    AND o.deleted_at IS NULL
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
      DETAIL = pg_catalog.format('no live object %s in this tenant', p_object_id),
      HINT = 'api.list_objects_by_type lists a type''s objects';
  END IF;
  IF p_expected_version IS DISTINCT FROM v.version THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale object version',
      DETAIL = pg_catalog.format('object %s is at version %s, not %s', p_object_id, v.version,
                                 coalesce(p_expected_version::text, 'NULL')),
      HINT = 'read the object again (api.get_object) and apply the change to that version';
  END IF;
  RETURN v;
END
$fn$;
