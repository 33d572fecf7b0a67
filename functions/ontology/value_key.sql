-- ontology.value_key: the canonical text of a valid value of a property of kind p_kind, the
-- key of ontology.unique_values: equal values have equal keys whatever their spelling (1 and
-- 1.0; an instant in any offset; a money amount as number or string). Keys longer than 256
-- characters are stored as 'sha256:<hex>' (an index entry has a size limit). NULL for a
-- missing value.
CREATE OR REPLACE FUNCTION ontology.value_key(p_kind text, p_value jsonb)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE WHEN pg_catalog.length(k) > 256
              THEN 'sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(k, 'UTF8')), 'hex')
              ELSE k END
  FROM (SELECT CASE
    WHEN p_value IS NULL OR p_value = 'null' THEN NULL
    WHEN p_kind IN ('number', 'integer') THEN pg_catalog.trim_scale(p_value::numeric)::text
    WHEN p_kind = 'money' THEN pg_catalog.trim_scale((p_value ->> 'amount')::numeric)::text
                               || ' ' || (p_value ->> 'currency')
    WHEN p_kind = 'timestamp' THEN pg_catalog.to_char(
      ((p_value #>> '{}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    WHEN p_kind = 'date' THEN pg_catalog.to_char((p_value #>> '{}')::date, 'YYYY-MM-DD')
    WHEN p_kind = 'reference' THEN ((p_value #>> '{}')::uuid)::text
    WHEN p_kind = 'boolean' THEN p_value::text
    ELSE p_value #>> '{}'
  END AS k) AS c
$fn$;
