-- ontology.find_type: the type named p_name in this tenant, or CL404.
CREATE OR REPLACE FUNCTION ontology.find_type(p_name text)
RETURNS ontology.object_types
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.object_types;
BEGIN
  SELECT t.* INTO v FROM ontology.object_types AS t
  WHERE t.tenant_id = internal.current_tenant_id() AND t.name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object type not found',
      DETAIL = pg_catalog.format('no object type %L in this tenant', p_name),
      HINT = 'api.list_object_types lists the types';
  END IF;
  RETURN v;
END
$fn$;
