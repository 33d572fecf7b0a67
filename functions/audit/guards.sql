-- Guards that keep the ledger append-only. Privileges already deny UPDATE, DELETE and
-- TRUNCATE to every role (policies/audit.sql); these triggers also stop superusers and the
-- owner, and they are ENABLE ALWAYS so they fire under session_replication_role = replica.
-- Only a superuser who explicitly disables them can rewrite rows, and audit.verify_chains /
-- audit.verify_digest expose that.

CREATE OR REPLACE FUNCTION audit.tg_events__append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'the audit ledger is append-only',
    DETAIL = pg_catalog.format('%s on %s.%s is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
    HINT = 'record a correcting event instead of changing history';
END
$fn$;

CREATE OR REPLACE TRIGGER "100_append_only" BEFORE UPDATE OR DELETE ON audit.events
  FOR EACH ROW EXECUTE FUNCTION audit.tg_events__append_only();
CREATE OR REPLACE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON audit.events
  FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_events__append_only();
ALTER TABLE audit.events ENABLE ALWAYS TRIGGER "100_append_only";
ALTER TABLE audit.events ENABLE ALWAYS TRIGGER "100_no_truncate";

-- Chain heads move forward by exactly one seq per append and are never deleted.
CREATE OR REPLACE FUNCTION audit.tg_chain_heads__forward_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.tenant_id = OLD.tenant_id AND NEW.seq = OLD.seq + 1 THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'audit chain heads only move forward',
    DETAIL = pg_catalog.format('%s on audit.chain_heads is not allowed', TG_OP),
    HINT = 'chain heads change only through audit.append';
END
$fn$;

CREATE OR REPLACE TRIGGER "100_forward_only" BEFORE UPDATE OR DELETE ON audit.chain_heads
  FOR EACH ROW EXECUTE FUNCTION audit.tg_chain_heads__forward_only();
CREATE OR REPLACE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON audit.chain_heads
  FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_chain_heads__forward_only();
ALTER TABLE audit.chain_heads ENABLE ALWAYS TRIGGER "100_forward_only";
ALTER TABLE audit.chain_heads ENABLE ALWAYS TRIGGER "100_no_truncate";
