-- audit.encode_event: the canonical encoding (version 1) that an event's row_hash covers:
--   row_hash = sha256(convert_to(audit.encode_event(...), 'UTF8'))
-- Every field is length-prefixed ('<chars>:<value>', audit.lp), NULL is '~', so no two
-- different events encode alike. Time is microseconds since the epoch (no time zone or
-- locale dependence); jsonb is its canonical text form; hashes are hex. Changing this is a
-- new encoding_version, never an edit: old events must keep verifying.
-- Both functions are plain IMMUTABLE SQL without SET clauses so the planner inlines them
-- into the verification scan (every name is still schema-qualified).

CREATE OR REPLACE FUNCTION audit.lp(p_value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $fn$
  SELECT CASE WHEN p_value IS NULL THEN '~'
              ELSE pg_catalog.length(p_value)::text || ':' || p_value END
$fn$;

CREATE OR REPLACE FUNCTION audit.encode_event(
  p_tenant_id uuid, p_seq bigint, p_occurred_at timestamptz, p_actor uuid, p_db_user text,
  p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb,
  p_trace_id text, p_prev_hash bytea)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $fn$
  SELECT 'claw-audit-v1'
    || '|' || audit.lp(p_tenant_id::text)
    || '|' || audit.lp(p_seq::text)
    || '|' || audit.lp(((EXTRACT(epoch FROM p_occurred_at) * 1000000)::bigint)::text)
    || '|' || audit.lp(p_actor::text)
    || '|' || audit.lp(p_db_user)
    || '|' || audit.lp(p_action)
    || '|' || audit.lp(p_target_table)
    || '|' || audit.lp(p_target_id)
    || '|' || audit.lp(p_before::text)
    || '|' || audit.lp(p_after::text)
    || '|' || audit.lp(p_trace_id)
    || '|' || audit.lp(pg_catalog.encode(p_prev_hash, 'hex'))
$fn$;
