-- internal.require_role now returns the verified tenant (functions/internal/tenant_context.sql);
-- CREATE OR REPLACE cannot change a return type, so the old one goes first. Every caller uses
-- PERFORM (no dependency records: PL/pgSQL bodies), and the routines are re-applied after
-- this migration in the same run.
DROP FUNCTION IF EXISTS internal.require_role(text[], text, text);
