-- Opaque page cursors for the api list functions: '<base64url(position)>.<mac>', where the
-- position is the keyset of the last row returned (a JSON object) and the MAC (HMAC-style,
-- SHA-256 with the context key) binds it to the tenant, the list function and its filters.
-- A cursor from another tenant, another function or other filters is refused (CL422), so a
-- client can neither read another query's position nor forge one; the keyset itself never
-- reaches past the tenant policy anyway. Called inside SECURITY DEFINER api functions (as
-- claw_owner, which may read the key).

-- internal.cursor_mac: the MAC of a position for this tenant, query and filters.
CREATE OR REPLACE FUNCTION internal.cursor_mac(p_query text, p_filters jsonb, p_position text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(k.secret || pg_catalog.sha256(
           k.secret || pg_catalog.convert_to(
             'cursor|' || coalesce(internal.current_tenant_id()::text, '') || '|' || p_query
             || '|' || coalesce(p_filters, '{}')::text || '|' || p_position, 'UTF8'))), 'hex'), 32)
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$fn$;

-- internal.make_cursor: the cursor that continues after p_position.
CREATE OR REPLACE FUNCTION internal.make_cursor(p_query text, p_filters jsonb, p_position jsonb)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(
           pg_catalog.convert_to(p_position::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
         || '.' || internal.cursor_mac(p_query, p_filters, p_position::text)
$fn$;

-- internal.read_cursor: the position a cursor carries (NULL for a NULL cursor: the first
-- page). Raises CL422 for a malformed cursor or one made for another tenant, query or
-- filters.
CREATE OR REPLACE FUNCTION internal.read_cursor(p_query text, p_filters jsonb, p_cursor text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_parts text[];
  v_b64 text;
  v_text text;
  v_position jsonb;
BEGIN
  IF p_cursor IS NULL THEN
    RETURN NULL;
  END IF;
  v_parts := pg_catalog.string_to_array(p_cursor, '.');
  IF pg_catalog.length(p_cursor) > 2048 OR pg_catalog.cardinality(v_parts) <> 2 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'the cursor is malformed', HINT = 'pass a cursor exactly as a list returned it';
  END IF;
  v_b64 := pg_catalog.translate(v_parts[1], '-_', '+/');
  v_b64 := v_b64 || pg_catalog.repeat('=', (4 - pg_catalog.length(v_b64) % 4) % 4);
  BEGIN
    v_text := pg_catalog.convert_from(pg_catalog.decode(v_b64, 'base64'), 'UTF8');
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'the cursor is malformed', HINT = 'pass a cursor exactly as a list returned it';
  END;
  IF v_parts[2] IS DISTINCT FROM internal.cursor_mac(p_query, p_filters, v_text) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'the cursor does not belong to this query (another tenant, list or filters)',
      HINT = 'start without a cursor, or pass the filters the cursor was made with';
  END IF;
  v_position := v_text::jsonb;
  RETURN v_position;
END
$fn$;
