-- ontology.check_input_schema: a tool's input schema is a JSON Schema object description:
-- a JSON object with "type": "object", "properties" a JSON object, and "required" (when
-- present) an array of distinct strings, each a key of "properties". Raises CL422 naming the
-- tool and what is wrong; returns nothing.
CREATE OR REPLACE FUNCTION ontology.check_input_schema(p_tool text, p_schema jsonb)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_problem text;
BEGIN
  IF pg_catalog.jsonb_typeof(p_schema) IS DISTINCT FROM 'object' THEN
    v_problem := 'it is not a JSON object';
  ELSIF p_schema -> 'type' IS DISTINCT FROM '"object"' THEN
    v_problem := '"type" must be "object"';
  ELSIF pg_catalog.jsonb_typeof(p_schema -> 'properties') IS DISTINCT FROM 'object' THEN
    v_problem := '"properties" must be a JSON object';
  ELSIF p_schema ? 'required' THEN
    IF pg_catalog.jsonb_typeof(p_schema -> 'required') <> 'array' THEN
      v_problem := '"required" must be an array of property names';
    ELSE
      SELECT pg_catalog.format('"required" names %s, which is not a string key of "properties"', e)
      INTO v_problem
      FROM pg_catalog.jsonb_array_elements(p_schema -> 'required') AS e
      WHERE pg_catalog.jsonb_typeof(e) <> 'string' OR NOT (p_schema -> 'properties') ? (e #>> '{}')
      LIMIT 1;
      IF v_problem IS NULL AND (SELECT pg_catalog.count(DISTINCT e)
                                FROM pg_catalog.jsonb_array_elements(p_schema -> 'required') AS e)
                               <> pg_catalog.jsonb_array_length(p_schema -> 'required') THEN
        v_problem := '"required" names a property twice';
      END IF;
    END IF;
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('input schema of tool %s: %s', p_tool, v_problem),
      DETAIL = pg_catalog.format('schema: %s', pg_catalog.left(p_schema::text, 500)),
      HINT = '{"type": "object", "properties": {"<name>": {"type": "string"}, ...}, '
             '"required": ["<name>", ...]}';
  END IF;
END
$fn$;
