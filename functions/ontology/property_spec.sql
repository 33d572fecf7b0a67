-- ontology.property_spec: a property definition as the JSON spec api.define_object_type takes
-- (and api.describe_object_type shows): {"kind", "required", "unique", "values", "min", "max",
-- "pattern", "max_length", "type", "position", "description"}, absent rules left out. Feeding
-- a described definition back to api.define_object_type changes nothing.
CREATE OR REPLACE FUNCTION ontology.property_spec(p_prop ontology.properties)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'kind', p_prop.kind, 'required', p_prop.required, 'unique', p_prop.is_unique,
    'values', pg_catalog.to_jsonb(p_prop.enum_values), 'min', p_prop.min_value,
    'max', p_prop.max_value, 'pattern', p_prop.pattern, 'max_length', p_prop.max_length,
    'type', (SELECT t.name FROM ontology.object_types AS t
             WHERE t.tenant_id = p_prop.tenant_id AND t.type_id = p_prop.ref_type_id),
    'position', p_prop.position, 'description', p_prop.description))
$fn$;
