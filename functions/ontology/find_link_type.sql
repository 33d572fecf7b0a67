-- ontology.find_link_type: the link type named p_name in this tenant, or CL404.
CREATE OR REPLACE FUNCTION ontology.find_link_type(p_name text)
RETURNS ontology.link_types
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.link_types;
BEGIN
  SELECT lt.* INTO v FROM ontology.link_types AS lt
  WHERE lt.tenant_id = internal.current_tenant_id() AND lt.name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'link type not found',
      DETAIL = pg_catalog.format('no link type %L in this tenant', p_name),
      HINT = 'api.list_link_types lists the link types';
  END IF;
  RETURN v;
END
$fn$;
