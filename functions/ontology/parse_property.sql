-- ontology.parse_property: one property spec of api.define_object_type, checked and turned
-- into an ontology.properties row of type p_type (position NULL when the spec has none).
--
-- Spec keys: kind (string, number, integer, boolean, timestamp, date, money, enum,
-- reference), required, unique (booleans), description, position (>= 0); by kind: values
-- (enum: distinct non-empty strings), min and max (number, integer, money: numbers, min <=
-- max), pattern (string: a regular expression that compiles), max_length (string: > 0),
-- type (reference: the name of an object type of this tenant, the type itself included).
-- Raises CL422 naming the property for anything else: an unknown key, a key of another
-- kind, an unknown kind, an enum without values, min > max, a reference to an unknown type.
CREATE OR REPLACE FUNCTION ontology.parse_property(p_type ontology.object_types, p_name text,
                                                   p_spec jsonb)
RETURNS ontology.properties
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v ontology.properties;
  v_problem text;
  v_key text;
  v_rules CONSTANT jsonb := '{"string": ["pattern", "max_length"], "number": ["min", "max"],
    "integer": ["min", "max"], "money": ["min", "max"], "enum": ["values"],
    "reference": ["type"], "boolean": [], "timestamp": [], "date": []}';
BEGIN
  v.tenant_id := p_type.tenant_id;
  v.type_id := p_type.type_id;
  v.name := p_name;
  IF p_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
    v_problem := 'invalid name (lower-case letters, digits and _, starting with a letter)';
  ELSIF pg_catalog.jsonb_typeof(p_spec) IS DISTINCT FROM 'object' THEN
    v_problem := 'the spec is not a JSON object';
  ELSIF pg_catalog.jsonb_typeof(p_spec -> 'kind') IS DISTINCT FROM 'string'
        OR NOT v_rules ? (p_spec ->> 'kind') THEN
    v_problem := pg_catalog.format('unknown kind %s', coalesce(p_spec -> 'kind', 'null'));
  END IF;
  IF v_problem IS NULL THEN
    v.kind := p_spec ->> 'kind';
    SELECT pg_catalog.format('unknown key "%s" for kind %s', k, v.kind) INTO v_problem
    FROM pg_catalog.jsonb_object_keys(p_spec) AS k
    WHERE k NOT IN ('kind', 'required', 'unique', 'description', 'position')
      AND NOT (v_rules -> v.kind) ? k
    ORDER BY k LIMIT 1;
  END IF;
  IF v_problem IS NULL THEN
    FOREACH v_key IN ARRAY ARRAY['required', 'unique'] LOOP
      IF p_spec ? v_key AND pg_catalog.jsonb_typeof(p_spec -> v_key) <> 'boolean' THEN
        v_problem := pg_catalog.format('"%s" must be true or false', v_key);
      END IF;
    END LOOP;
  END IF;
  IF v_problem IS NULL THEN
    v.required := coalesce((p_spec ->> 'required')::boolean, false);
    v.is_unique := coalesce((p_spec ->> 'unique')::boolean, false);
  END IF;
  IF v_problem IS NULL AND p_spec ? 'description' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'description') <> 'string'
       OR pg_catalog.length(p_spec ->> 'description') > 2000 THEN
      v_problem := '"description" must be a string of at most 2000 characters';
    END IF;
    v.description := p_spec ->> 'description';
  END IF;
  IF v_problem IS NULL AND p_spec ? 'position' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'position') <> 'number'
       OR (p_spec -> 'position')::numeric NOT BETWEEN 0 AND 100000
       OR (p_spec -> 'position')::numeric <> pg_catalog.trunc((p_spec -> 'position')::numeric) THEN
      v_problem := '"position" must be an integer from 0 to 100000';
    ELSE
      v.position := (p_spec -> 'position')::integer;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind = 'enum' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'values') IS DISTINCT FROM 'array'
       OR pg_catalog.jsonb_array_length(p_spec -> 'values') = 0 THEN
      v_problem := 'enum without values';
    ELSIF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(p_spec -> 'values') AS e
                  WHERE pg_catalog.jsonb_typeof(e) <> 'string' OR e = '""') THEN
      v_problem := 'enum values must be non-empty strings';
    ELSE
      v.enum_values := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(p_spec -> 'values'));
      IF pg_catalog.cardinality(v.enum_values) > 1000 THEN
        v_problem := 'more than 1000 enum values';
      ELSIF (SELECT pg_catalog.count(DISTINCT e) FROM pg_catalog.unnest(v.enum_values) AS e)
            <> pg_catalog.cardinality(v.enum_values) THEN
        v_problem := 'enum values must be distinct';
      END IF;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind IN ('number', 'integer', 'money') THEN
    IF (p_spec ? 'min' AND pg_catalog.jsonb_typeof(p_spec -> 'min') <> 'number')
       OR (p_spec ? 'max' AND pg_catalog.jsonb_typeof(p_spec -> 'max') <> 'number') THEN
      v_problem := '"min" and "max" must be numbers';
    ELSE
      v.min_value := (p_spec -> 'min')::numeric;
      v.max_value := (p_spec -> 'max')::numeric;
      IF v.min_value > v.max_value THEN
        v_problem := pg_catalog.format('min %s is greater than max %s', v.min_value, v.max_value);
      END IF;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind = 'string' THEN
    IF p_spec ? 'max_length' AND (pg_catalog.jsonb_typeof(p_spec -> 'max_length') <> 'number'
       OR (p_spec -> 'max_length')::numeric NOT BETWEEN 1 AND 1000000
       OR (p_spec -> 'max_length')::numeric <> pg_catalog.trunc((p_spec -> 'max_length')::numeric)) THEN
      v_problem := '"max_length" must be an integer from 1 to 1000000';
    ELSIF p_spec ? 'pattern' AND (pg_catalog.jsonb_typeof(p_spec -> 'pattern') <> 'string'
          OR pg_catalog.length(p_spec ->> 'pattern') NOT BETWEEN 1 AND 1000) THEN
      v_problem := '"pattern" must be a string of 1 to 1000 characters';
    ELSE
      v.max_length := (p_spec -> 'max_length')::integer;
      v.pattern := p_spec ->> 'pattern';
      IF v.pattern IS NOT NULL THEN
        BEGIN
          PERFORM '' ~ v.pattern;
        EXCEPTION WHEN invalid_regular_expression THEN
          v_problem := pg_catalog.format('pattern does not compile: %s', SQLERRM);
        END;
      END IF;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind = 'reference' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'type') IS DISTINCT FROM 'string' THEN
      v_problem := 'a reference needs "type": the name of the object type it points at';
    ELSE
      SELECT t.type_id INTO v.ref_type_id FROM ontology.object_types AS t
      WHERE t.tenant_id = p_type.tenant_id AND t.name = p_spec ->> 'type';
      IF NOT FOUND THEN
        v_problem := pg_catalog.format('references unknown type %s', p_spec ->> 'type');
      END IF;
    END IF;
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('property "%s" of %s: %s', p_name, p_type.name, v_problem),
      DETAIL = pg_catalog.format('spec: %s', pg_catalog.left(p_spec::text, 500)),
      HINT = 'a spec is {"kind": "string|number|integer|boolean|timestamp|date|money|enum|reference", '
             '"required": bool, "unique": bool, and the kind''s rules: values (enum), min/max '
             '(number, integer, money), pattern/max_length (string), type (reference)}';
  END IF;
  RETURN v;
END
$fn$;
