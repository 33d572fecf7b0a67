-- ontology.check_value: does one property value satisfy its definition? NULL when it does,
-- otherwise the rule it breaks, as words that complete 'property "total" of invoice: ...'
-- ('below min 0', 'not an integer', ...). Used by the objects' validation trigger on every
-- write and by ontology.define_type to count the live objects a tighter definition would
-- break, so both judge a value the same way.
--
-- A missing value and JSON null are the same: they break only 'required'.
-- Kinds: string (max_length in characters, pattern: a POSIX regular expression), number,
-- integer (a JSON number without a fraction), min/max inclusive, boolean, timestamp (ISO
-- 8601 with a UTC offset or Z: '2026-03-08T06:00:00+11:00'), date ('YYYY-MM-DD', a real
-- day), money ({"amount": <number or numeric string>, "currency": "<ISO 4217 code>"}, min/max
-- on the amount), enum (one of the values), reference (the uuid of a live object of the
-- referenced type in this tenant).
-- p_lock: lock the referenced object FOR SHARE, so that a concurrent delete (an UPDATE of
-- deleted_at) waits for this transaction, or this one sees it deleted (the locking read
-- re-checks deleted_at on the newest row version) and fails. Raises nothing itself.
CREATE OR REPLACE FUNCTION ontology.check_value(p_prop ontology.properties, p_value jsonb,
                                                p_lock boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_json text := pg_catalog.jsonb_typeof(p_value);
  v_text text;
  v_num numeric;
BEGIN
  IF v_json IS NULL OR v_json = 'null' THEN
    RETURN CASE WHEN p_prop.required THEN 'required' END;
  END IF;
  IF v_json = 'string' THEN
    v_text := p_value #>> '{}';
  END IF;
  CASE p_prop.kind
  WHEN 'string' THEN
    IF v_text IS NULL THEN
      RETURN 'not a string';
    ELSIF pg_catalog.length(v_text) > p_prop.max_length THEN
      RETURN pg_catalog.format('longer than max_length %s', p_prop.max_length);
    ELSIF v_text !~ p_prop.pattern THEN
      RETURN pg_catalog.format('does not match pattern %s', p_prop.pattern);
    END IF;
    RETURN NULL;
  WHEN 'number', 'integer' THEN
    IF v_json <> 'number' THEN
      RETURN 'not a number';
    END IF;
    v_num := p_value::numeric;
    IF p_prop.kind = 'integer' AND v_num <> pg_catalog.trunc(v_num) THEN
      RETURN 'not an integer';
    END IF;
  WHEN 'money' THEN
    IF v_json <> 'object' OR NOT p_value ?& '{amount,currency}'
       OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(p_value)) <> 2 THEN
      RETURN 'not a money value {"amount": ..., "currency": ...}';
    END IF;
    IF pg_catalog.jsonb_typeof(p_value -> 'currency') <> 'string'
       OR (p_value ->> 'currency') !~ '^[A-Z]{3}$' THEN
      RETURN 'currency is not 3 upper-case letters';
    END IF;
    IF pg_catalog.jsonb_typeof(p_value -> 'amount') = 'number' THEN
      v_num := (p_value -> 'amount')::numeric;
    ELSIF pg_catalog.jsonb_typeof(p_value -> 'amount') = 'string'
          AND (p_value ->> 'amount') ~ '^-?[0-9]{1,30}([.][0-9]{1,30})?$' THEN
      v_num := (p_value ->> 'amount')::numeric;
    ELSE
      RETURN 'amount is not a number';
    END IF;
  WHEN 'boolean' THEN
    RETURN CASE WHEN v_json <> 'boolean' THEN 'not a boolean' END;
  WHEN 'enum' THEN
    IF v_text IS NULL OR NOT v_text = ANY (p_prop.enum_values) THEN
      RETURN pg_catalog.format('not one of the enum values (%s)',
                               pg_catalog.left(pg_catalog.array_to_string(p_prop.enum_values, ', '), 200));
    END IF;
    RETURN NULL;
  WHEN 'timestamp' THEN
    IF v_text IS NULL
       OR v_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'
       OR NOT pg_catalog.pg_input_is_valid(v_text, 'timestamptz') THEN
      RETURN 'not an ISO 8601 timestamp with offset';
    END IF;
    RETURN NULL;
  WHEN 'date' THEN
    IF v_text IS NULL OR v_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
       OR NOT pg_catalog.pg_input_is_valid(v_text, 'date') THEN
      RETURN 'not an ISO date (YYYY-MM-DD)';
    END IF;
    RETURN NULL;
  WHEN 'reference' THEN
    IF v_text IS NULL OR NOT pg_catalog.pg_input_is_valid(v_text, 'uuid') THEN
      RETURN 'not an object id (uuid)';
    END IF;
    IF p_lock THEN
      PERFORM FROM ontology.objects AS o
      WHERE o.tenant_id = p_prop.tenant_id AND o.object_id = v_text::uuid
        AND o.type_id = p_prop.ref_type_id AND o.deleted_at IS NULL
      FOR SHARE;
    ELSE
      PERFORM FROM ontology.objects AS o
      WHERE o.tenant_id = p_prop.tenant_id AND o.object_id = v_text::uuid
        AND o.type_id = p_prop.ref_type_id AND o.deleted_at IS NULL;
    END IF;
    IF NOT FOUND THEN
      RETURN pg_catalog.format('not a live %s', (
        SELECT t.name FROM ontology.object_types AS t
        WHERE t.tenant_id = p_prop.tenant_id AND t.type_id = p_prop.ref_type_id));
    END IF;
    RETURN NULL;
  END CASE;
  -- number, integer, money: the range
  IF v_num < p_prop.min_value THEN
    RETURN pg_catalog.format('below min %s', p_prop.min_value);
  ELSIF v_num > p_prop.max_value THEN
    RETURN pg_catalog.format('above max %s', p_prop.max_value);
  END IF;
  RETURN NULL;
END
$fn$;
