-- The usage ledger (llm.calls) and the price history (internal.llm_prices) are append-only,
-- guarded like the audit ledger (functions/audit/guards.sql): privileges deny UPDATE, DELETE
-- and TRUNCATE to every login role, and these ALWAYS triggers also stop the owner and
-- superusers, even under session_replication_role = replica. A wrong row is corrected by a
-- new one (a price by a newer version), never rewritten.
CREATE OR REPLACE FUNCTION llm.tg_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL403',
    MESSAGE = pg_catalog.format('%s.%s is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME),
    DETAIL = pg_catalog.format('%s on %s.%s is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
    HINT = 'append a correcting row (a price: a newer version) instead of changing history';
END
$fn$;

CREATE OR REPLACE TRIGGER "100_append_only" BEFORE UPDATE OR DELETE ON llm.calls
  FOR EACH ROW EXECUTE FUNCTION llm.tg_append_only();
CREATE OR REPLACE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON llm.calls
  FOR EACH STATEMENT EXECUTE FUNCTION llm.tg_append_only();
ALTER TABLE llm.calls ENABLE ALWAYS TRIGGER "100_append_only";
ALTER TABLE llm.calls ENABLE ALWAYS TRIGGER "100_no_truncate";

CREATE OR REPLACE TRIGGER "100_append_only" BEFORE UPDATE OR DELETE ON internal.llm_prices
  FOR EACH ROW EXECUTE FUNCTION llm.tg_append_only();
CREATE OR REPLACE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON internal.llm_prices
  FOR EACH STATEMENT EXECUTE FUNCTION llm.tg_append_only();
ALTER TABLE internal.llm_prices ENABLE ALWAYS TRIGGER "100_append_only";
ALTER TABLE internal.llm_prices ENABLE ALWAYS TRIGGER "100_no_truncate";
