-- internal.require_limit: CL422 unless 1 <= p_limit <= p_max (page sizes of list functions).
CREATE OR REPLACE FUNCTION internal.require_limit(p_limit integer, p_max integer)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND p_max THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid limit',
      DETAIL = pg_catalog.format('p_limit must be 1 to %s, not %s', p_max, coalesce(p_limit::text, 'NULL')),
      HINT = 'page through larger results';
  END IF;
END
$fn$;
