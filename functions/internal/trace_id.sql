-- internal.trace_id: the claw.trace_id setting as a trace id for the rows a write stores, or
-- NULL when it is unset, empty or longer than 64 bytes. The setting is informational and
-- any session may write it, of any length: the audit ledger (append-only) and the LLM
-- ledger take it only through here, so a session cannot grow them past the input limits.
-- (queue, flow and event rows hold the same bound as a CHECK, and their writers take the
-- setting through here too.) One expression without FROM and no SET clause, so it inlines
-- into the calling statement (no statement of its own on the enqueue and completion paths,
-- which tests/test_queue_costs.py counts); every name is qualified. Inlining needs EXECUTE
-- for the role the statement runs as: claw_dispatcher's outbox triggers and queue paths.
CREATE OR REPLACE FUNCTION internal.trace_id()
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT CASE WHEN pg_catalog.octet_length(pg_catalog.current_setting('claw.trace_id', true))
                   BETWEEN 1 AND 64
              THEN pg_catalog.current_setting('claw.trace_id', true) END
$fn$;
GRANT EXECUTE ON FUNCTION internal.trace_id() TO claw_dispatcher;
