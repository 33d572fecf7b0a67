-- internal.require_size: bound the size of an api function's input; returns the value. Every
-- text, JSON and text[] parameter of every api function goes through it on entry, before
-- anything is read or written (tests/test_hardening.py holds every api function to that):
--   PERFORM internal.require_size('p_payload', p_payload, 'json');          -- PL/pgSQL
--   SELECT queue.fail_job(p_job_id, internal.require_size('p_error', p_error, 'text'))
-- (inline in an existing statement on hot paths: no statement of its own).
-- Kinds and their limits in bytes (README, "Input limits"):
--   name      1 KiB   identifiers, names, keys, handles, cron, zones, statuses, references
--   text     64 KiB   descriptions, error texts, notes, search queries, embeddings as text,
--                     text arrays (scopes, roles), tokens
--   json    256 KiB   one JSON document: a job payload, a flow input or output, properties
--   document  1 MiB   a searchable document's body
--   batch     8 MiB   a JSON array of many items (api.enqueue_jobs, api.write_tuples); each
--                     job payload inside a batch is still bounded as json (queue.insert_jobs)
-- Size: text in bytes as UTF-8 (octet_length); anything else its datum size (pg_column_size:
-- a jsonb parameter's binary size, close to its text length).
-- Raises CL422 naming the parameter, its size and the limit. IMMUTABLE, no SET clause: it
-- runs inside SECURITY DEFINER api functions that pin search_path, and names are qualified.
-- internal.input_limit: the limit in bytes of a kind of input (NULL for an unknown kind).
CREATE OR REPLACE FUNCTION internal.input_limit(p_kind text)
RETURNS integer
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT CASE p_kind WHEN 'name' THEN 1024 WHEN 'text' THEN 65536 WHEN 'json' THEN 262144
                     WHEN 'document' THEN 1048576 WHEN 'batch' THEN 8388608 END
$fn$;
-- queue.insert_jobs bounds each job's payload with it, also when the scheduler (owned by
-- claw_dispatcher) enqueues.
GRANT EXECUTE ON FUNCTION internal.input_limit(text) TO claw_dispatcher;

CREATE OR REPLACE FUNCTION internal.require_size(p_parameter text, p_value anyelement,
                                                 p_kind text)
RETURNS anyelement
LANGUAGE plpgsql
IMMUTABLE
AS $fn$
DECLARE
  v_limit integer := internal.input_limit(p_kind);
  v_size integer;
BEGIN
  IF v_limit IS NULL THEN
    RAISE EXCEPTION 'internal.require_size: unknown kind %', p_kind;
  END IF;
  IF p_value IS NULL THEN
    RETURN NULL;
  END IF;
  IF pg_catalog.pg_typeof(p_value) = 'text'::pg_catalog.regtype THEN
    v_size := pg_catalog.octet_length(p_value::text);
  ELSE
    v_size := pg_catalog.pg_column_size(p_value);
  END IF;
  IF v_size > v_limit THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'input too large',
      DETAIL = pg_catalog.format('%s is %s bytes; the limit for %s inputs is %s bytes',
                                 p_parameter, v_size, p_kind, v_limit),
      HINT = 'keep large content outside Claw and pass a reference to it (README: Input limits)';
  END IF;
  RETURN p_value;
END
$fn$;
