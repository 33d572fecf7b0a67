-- internal.visible_length: how many characters of p_text are neither white space nor control
-- characters (Unicode's spaces included: no-break, ideographic, zero-width), so that a name
-- or a reason of tabs, line breaks or no-break spaces counts as empty. NULL for NULL.
CREATE OR REPLACE FUNCTION internal.visible_length(p_text text)
RETURNS integer
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT pg_catalog.length(pg_catalog.regexp_replace(
    p_text, E'[[:space:][:cntrl:]\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]',
    '', 'g'))
$fn$;
GRANT EXECUTE ON FUNCTION internal.visible_length(text) TO claw_operator_reader;
