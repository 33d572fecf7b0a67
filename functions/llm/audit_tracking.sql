-- What a person wants in the tenant's audit chain (audit.tg_track): route changes, budget
-- changes, the tenant's LLM settings and accepted eval baselines. Per-call rows live in the
-- usage ledger (llm.calls), not in the chain.
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON llm.routes
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('task');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON llm.budgets
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('budget_id');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON llm.settings
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tenant_id');
-- Accepting an eval run as its suite's baseline changes what later runs are judged against:
-- who accepted which run is in the chain (recording runs is not: they are rows of their own).
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER UPDATE ON llm.eval_runs
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('eval_run_id');
