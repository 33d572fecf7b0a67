-- ontology.type_definition: the whole current definition of a type as one JSON document
-- {"name", "description", "version", "properties": {"<name>": <spec>, ...}}: what
-- api.describe_object_type returns and what ontology.type_versions keeps per version.
CREATE OR REPLACE FUNCTION ontology.type_definition(p_tenant_id uuid, p_type_id uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_build_object(
    'name', t.name, 'description', t.description, 'version', t.version,
    'properties', coalesce((SELECT pg_catalog.jsonb_object_agg(p.name, ontology.property_spec(p))
                            FROM ontology.properties AS p
                            WHERE p.tenant_id = t.tenant_id AND p.type_id = t.type_id), '{}'))
  FROM ontology.object_types AS t
  WHERE t.tenant_id = p_tenant_id AND t.type_id = p_type_id
$fn$;
