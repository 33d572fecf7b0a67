-- Outbox positions: 'xact_id-event_id', the delivery order of events.outbox (see
-- migrations/0015_create_events.sql). A position is not secret: it only orders a tenant's
-- own events, and reading still goes through the tenant policy.

-- events.parse_position: the (xact_id, event_id) pair of a position text; CL422 when
-- malformed. NULL in, NULL out.
CREATE OR REPLACE FUNCTION events.parse_position(p_position text,
                                                 OUT xact_id xid8, OUT event_id bigint)
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_m text[];
BEGIN
  IF p_position IS NULL THEN
    RETURN;
  END IF;
  v_m := pg_catalog.regexp_match(p_position, '^([0-9]+)-([0-9]+)$');
  IF v_m IS NULL OR pg_catalog.length(v_m[1]) > 20 OR pg_catalog.length(v_m[2]) > 19 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid event position',
      DETAIL = pg_catalog.format('%L is not an event position',
                                 pg_catalog.left(p_position, 64)),
      HINT = 'pass the id of the last event received (SSE Last-Event-ID), as given';
  END IF;
  BEGIN
    xact_id := v_m[1]::xid8;
    event_id := v_m[2]::bigint;
  EXCEPTION WHEN numeric_value_out_of_range OR invalid_text_representation THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid event position',
      DETAIL = pg_catalog.format('%L is out of range', p_position),
      HINT = 'pass the id of the last event received (SSE Last-Event-ID), as given';
  END;
END
$fn$;

-- events.format_position: the text form of a position.
CREATE OR REPLACE FUNCTION events.format_position(p_xact_id xid8, p_event_id bigint)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT p_xact_id::text || '-' || p_event_id::text $fn$;
