-- ontology.merge_patch: RFC 7396 JSON merge patch: a key with null removes it, an object
-- merges into an object recursively, anything else replaces. api.update_object applies its
-- patch with it.
CREATE OR REPLACE FUNCTION ontology.merge_patch(p_target jsonb, p_patch jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE WHEN pg_catalog.jsonb_typeof(p_patch) IS DISTINCT FROM 'object' THEN p_patch ELSE (
    SELECT coalesce(pg_catalog.jsonb_object_agg(m.key, m.value), '{}')
    FROM (SELECT t.key, t.value FROM pg_catalog.jsonb_each(
            CASE WHEN pg_catalog.jsonb_typeof(p_target) = 'object' THEN p_target ELSE '{}' END) AS t
          WHERE NOT p_patch ? t.key
          UNION ALL
          SELECT p.key, ontology.merge_patch(
                   CASE WHEN pg_catalog.jsonb_typeof(p_target) = 'object' THEN p_target -> p.key END,
                   p.value)
          FROM pg_catalog.jsonb_each(p_patch) AS p
          WHERE p.value <> 'null') AS m) END
$fn$;
