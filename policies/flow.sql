-- Policies and grants for flows. Every flow table: the restrictive tenant policy, and
-- permissive policies for the tenant roles the api functions act with: members read
-- (owner, admin, operator, approver, viewer; 'worker' is a worker acting for a flow.run job
-- it leases), the roles that start and drive runs write. Checkpoints (flow.steps) are
-- inserted, never updated (a trigger refuses it); deletes are retention (owner, admin).
-- No login role has any table privilege: everything goes through api functions.

SELECT internal.ensure_tenant_policy('flow.runs');
DROP POLICY IF EXISTS runs_select_member ON flow.runs;
CREATE POLICY runs_select_member ON flow.runs FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS runs_insert_starter ON flow.runs;
CREATE POLICY runs_insert_starter ON flow.runs FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
-- approvers update a run only by signalling it (flow.send_signal locks it FOR UPDATE)
DROP POLICY IF EXISTS runs_update_driver ON flow.runs;
CREATE POLICY runs_update_driver ON flow.runs FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,worker}')));
DROP POLICY IF EXISTS runs_delete_admin ON flow.runs;
CREATE POLICY runs_delete_admin ON flow.runs FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('flow.steps');
DROP POLICY IF EXISTS steps_select_member ON flow.steps;
CREATE POLICY steps_select_member ON flow.steps FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS steps_insert_driver ON flow.steps;
CREATE POLICY steps_insert_driver ON flow.steps FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS steps_delete_admin ON flow.steps;
CREATE POLICY steps_delete_admin ON flow.steps FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('flow.timers');
DROP POLICY IF EXISTS timers_select_member ON flow.timers;
CREATE POLICY timers_select_member ON flow.timers FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS timers_insert_worker ON flow.timers;
CREATE POLICY timers_insert_worker ON flow.timers FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS timers_delete_admin ON flow.timers;
CREATE POLICY timers_delete_admin ON flow.timers FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('flow.signals');
DROP POLICY IF EXISTS signals_select_member ON flow.signals;
CREATE POLICY signals_select_member ON flow.signals FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS signals_insert_sender ON flow.signals;
CREATE POLICY signals_insert_sender ON flow.signals FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,approver,worker}')));
-- delivery marks the signal (the worker holding the run)
DROP POLICY IF EXISTS signals_update_worker ON flow.signals;
CREATE POLICY signals_update_worker ON flow.signals FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS signals_delete_admin ON flow.signals;
CREATE POLICY signals_delete_admin ON flow.signals FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('flow.effects');
DROP POLICY IF EXISTS effects_select_member ON flow.effects;
CREATE POLICY effects_select_member ON flow.effects FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS effects_insert_worker ON flow.effects;
CREATE POLICY effects_insert_worker ON flow.effects FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
-- the worker moves effects along; a person (owner, admin, operator) resolves unknown ones
DROP POLICY IF EXISTS effects_update_driver ON flow.effects;
CREATE POLICY effects_update_driver ON flow.effects FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS effects_delete_admin ON flow.effects;
CREATE POLICY effects_delete_admin ON flow.effects FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

-- flow.dispatch_job runs as claw_dispatcher (it enqueues through queue.insert_jobs, whose
-- grants are in policies/queue.sql) and reads the verified tenant itself.
GRANT USAGE ON SCHEMA flow TO claw_dispatcher;
GRANT EXECUTE ON FUNCTION internal.current_tenant_id(), internal.verified_context()
  TO claw_dispatcher;
