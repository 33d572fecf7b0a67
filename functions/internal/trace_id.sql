-- internal.trace_id: the claw.trace_id setting as a trace id for the rows a write stores, or
-- NULL when it is unset, empty or longer than 64 bytes. The setting is informational and
-- any session may write it, of any length: the audit ledger (append-only) and the LLM
-- ledger take it only through here, so a session cannot grow them past the input limits.
-- (queue, flow and event rows hold the same bound as a CHECK.) No SET clause, so it inlines;
-- every name is qualified.
CREATE OR REPLACE FUNCTION internal.trace_id()
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT CASE WHEN pg_catalog.octet_length(s.v) BETWEEN 1 AND 64 THEN s.v END
  FROM (SELECT pg_catalog.current_setting('claw.trace_id', true) AS v) AS s
$fn$;
