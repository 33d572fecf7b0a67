-- Policies and grants for the audit ledger.
-- Tenant isolation as everywhere; members with owner or admin role read their tenant's
-- events (api.list_audit_events); inserts happen only inside audit.append (as claw_owner,
-- under the verified context). Nobody may UPDATE, DELETE or TRUNCATE events, not even the
-- owner: the privileges are revoked here and the guard triggers refuse superusers too.
SELECT internal.ensure_tenant_policy('audit.events');
DROP POLICY IF EXISTS events_select_admin ON audit.events;
CREATE POLICY events_select_admin ON audit.events FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,system}')));
DROP POLICY IF EXISTS events_insert_append ON audit.events;
CREATE POLICY events_insert_append ON audit.events FOR INSERT WITH CHECK (true);

SELECT internal.ensure_tenant_policy('audit.chain_heads');
DROP POLICY IF EXISTS chain_heads_all_append ON audit.chain_heads;
CREATE POLICY chain_heads_all_append ON audit.chain_heads FOR ALL USING (true) WITH CHECK (true);

REVOKE UPDATE, DELETE, TRUNCATE ON audit.events FROM PUBLIC, claw_owner;
REVOKE DELETE, TRUNCATE ON audit.chain_heads FROM PUBLIC, claw_owner;

-- The auditor (BYPASSRLS, see sql/00_roles.sql) reads every tenant's chain to verify it.
GRANT USAGE ON SCHEMA audit TO claw_auditor;
GRANT SELECT ON audit.events, audit.chain_heads TO claw_auditor;
