-- Every change to a tenancy table is recorded in the tenant's audit chain (audit.tg_track).
-- API keys: the secret hash never enters the ledger; last_used_at is bookkeeping.
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON tenancy.tenants
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tenant_id');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON tenancy.principals
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('principal_id');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON tenancy.memberships
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('principal_id,role');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON tenancy.api_keys
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('api_key_id', 'secret_hash', 'last_used_at');
-- JWT issuers, keys and subject links (migration 0016): a key is recorded by kid, size and
-- RFC 7638 thumbprint; its modulus and the derived padding prefix are left out.
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON tenancy.jwt_issuers
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('jwt_issuer_id');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON tenancy.jwt_keys
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('jwt_issuer_id,kid', 'n', 'em_prefix');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON tenancy.jwt_subjects
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('jwt_issuer_id,subject');
