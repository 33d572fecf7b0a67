-- Policies and grants for the outbox. Tenant members read their tenant's events through
-- api.read_events (owner, admin, operator, approver, viewer). Rows are written only by the
-- outbox triggers (functions/events/outbox.sql), which run as claw_dispatcher (BYPASSRLS:
-- job changes happen in cross-tenant functions); retention (events.purge) too. No login role
-- has any table privilege.

SELECT internal.ensure_tenant_policy('events.outbox');
DROP POLICY IF EXISTS outbox_select_member ON events.outbox;
CREATE POLICY outbox_select_member ON events.outbox FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer}')));

SELECT internal.ensure_tenant_policy('events.purges');
DROP POLICY IF EXISTS purges_select_member ON events.purges;
CREATE POLICY purges_select_member ON events.purges FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer}')));

SELECT internal.ensure_tenant_policy('events.watchers');
DROP POLICY IF EXISTS watchers_all_member ON events.watchers;
CREATE POLICY watchers_all_member ON events.watchers FOR ALL
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer}')))
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer}')));

GRANT SELECT, INSERT, DELETE ON events.outbox TO claw_dispatcher;
GRANT SELECT ON events.watchers TO claw_dispatcher;
GRANT SELECT, INSERT, UPDATE ON events.purges TO claw_dispatcher;
GRANT EXECUTE ON FUNCTION events.purge(interval) TO claw_owner;
GRANT EXECUTE ON FUNCTION events.watchers_with_events(uuid[], text[]) TO claw_owner;
GRANT EXECUTE ON FUNCTION events.parse_position(text) TO claw_dispatcher;
