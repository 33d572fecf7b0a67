-- authz.explain_lines: an explanation from authz.check as indented lines, for psql.
--   invoice:42#approver
--     via tuple invoice:42#business@business:7
--     business:7#admin
--       via tuple business:7#admin@team:ops#member
--       team:ops#member
--         direct tuple team:ops#member@user:alice
CREATE OR REPLACE FUNCTION authz.explain_lines(p_why jsonb, p_indent integer DEFAULT 0)
RETURNS SETOF text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_pad text := pg_catalog.repeat(' ', p_indent);
  v_child jsonb;
BEGIN
  IF p_why IS NULL THEN
    RETURN;
  END IF;
  IF p_why ? 'node' THEN
    RETURN NEXT v_pad || (p_why ->> 'node');
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'because', p_indent + 2);
  ELSIF p_why ? 'self' THEN
    RETURN NEXT v_pad || 'is the subject itself';
  ELSIF p_why ? 'computed' THEN
    RETURN NEXT v_pad || 'computed from ' || (p_why ->> 'computed');
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'then', p_indent);
  ELSIF p_why ? 'tuple' AND p_why ? 'then' THEN
    RETURN NEXT v_pad || 'via tuple ' || (p_why ->> 'tuple');
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'then', p_indent);
  ELSIF p_why ? 'tuple' THEN
    RETURN NEXT v_pad || 'direct tuple ' || (p_why ->> 'tuple');
  ELSIF p_why ? 'all' THEN
    RETURN NEXT v_pad || 'all of:';
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_why -> 'all') AS e LOOP
      RETURN QUERY SELECT * FROM authz.explain_lines(v_child, p_indent + 2);
    END LOOP;
  ELSIF p_why ? 'but_not' THEN
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'then', p_indent);
    RETURN NEXT v_pad || 'and not ' || (p_why ->> 'but_not');
  END IF;
END
$fn$;
