-- ontology.check_definition: the name and description of an object type or link type
-- (p_what: 'object type', 'link type'): a name of lower-case letters, digits and _,
-- starting with a letter, at most 63 characters; a description of at most 2000 characters.
-- Raises CL422 ('invalid <p_what> name', 'invalid description').
CREATE OR REPLACE FUNCTION ontology.check_definition(p_what text, p_name text, p_description text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format('invalid %s name', p_what),
      DETAIL = pg_catalog.format('%L is not a %s name', p_name, p_what),
      HINT = 'lower-case letters, digits and _, starting with a letter, at most 63 characters';
  END IF;
  IF pg_catalog.length(p_description) > 2000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid description',
      DETAIL = pg_catalog.format('the description of %s %s has more than 2000 characters',
                                 p_what, p_name),
      HINT = 'shorten it';
  END IF;
END
$fn$;
