-- Policies and grants for the LLM layer. Every tenant table: the restrictive tenant policy,
-- and permissive policies for the tenant roles the api functions act with:
--   read: owner, admin, operator, approver, viewer, and 'worker' (a worker acting for a job);
--   configuration (settings, routes, budgets), accepting evals: owner, admin;
--   calls (windows, reservations, breakers, ledger, cache, eval runs): owner, admin, operator,
--   worker.
-- The ledger (llm.calls) has no UPDATE or DELETE policy at all, and its ALWAYS triggers
-- refuse both anyway (functions/llm/guards.sql).
-- claw_dispatcher (BYPASSRLS, NOLOGIN) owns the reservation sweeper; its grants are below.
-- No login role has any table privilege: everything goes through api functions.

SELECT internal.ensure_tenant_policy('llm.settings');
DROP POLICY IF EXISTS settings_select_member ON llm.settings;
CREATE POLICY settings_select_member ON llm.settings FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS settings_insert_admin ON llm.settings;
CREATE POLICY settings_insert_admin ON llm.settings FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS settings_update_admin ON llm.settings;
CREATE POLICY settings_update_admin ON llm.settings FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('llm.routes');
DROP POLICY IF EXISTS routes_select_member ON llm.routes;
CREATE POLICY routes_select_member ON llm.routes FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS routes_insert_admin ON llm.routes;
CREATE POLICY routes_insert_admin ON llm.routes FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS routes_update_admin ON llm.routes;
CREATE POLICY routes_update_admin ON llm.routes FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('llm.budgets');
DROP POLICY IF EXISTS budgets_select_member ON llm.budgets;
CREATE POLICY budgets_select_member ON llm.budgets FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS budgets_insert_admin ON llm.budgets;
CREATE POLICY budgets_insert_admin ON llm.budgets FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS budgets_update_admin ON llm.budgets;
CREATE POLICY budgets_update_admin ON llm.budgets FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('llm.budget_windows');
DROP POLICY IF EXISTS budget_windows_select_member ON llm.budget_windows;
CREATE POLICY budget_windows_select_member ON llm.budget_windows FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS budget_windows_insert_caller ON llm.budget_windows;
CREATE POLICY budget_windows_insert_caller ON llm.budget_windows FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS budget_windows_update_caller ON llm.budget_windows;
CREATE POLICY budget_windows_update_caller ON llm.budget_windows FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('llm.breakers');
DROP POLICY IF EXISTS breakers_select_member ON llm.breakers;
CREATE POLICY breakers_select_member ON llm.breakers FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS breakers_insert_caller ON llm.breakers;
CREATE POLICY breakers_insert_caller ON llm.breakers FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS breakers_update_caller ON llm.breakers;
CREATE POLICY breakers_update_caller ON llm.breakers FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('llm.reservations');
DROP POLICY IF EXISTS reservations_select_member ON llm.reservations;
CREATE POLICY reservations_select_member ON llm.reservations FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS reservations_insert_caller ON llm.reservations;
CREATE POLICY reservations_insert_caller ON llm.reservations FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS reservations_update_caller ON llm.reservations;
CREATE POLICY reservations_update_caller ON llm.reservations FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('llm.calls');
DROP POLICY IF EXISTS calls_select_member ON llm.calls;
CREATE POLICY calls_select_member ON llm.calls FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS calls_insert_caller ON llm.calls;
CREATE POLICY calls_insert_caller ON llm.calls FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('llm.cache_entries');
DROP POLICY IF EXISTS cache_entries_select_caller ON llm.cache_entries;
CREATE POLICY cache_entries_select_caller ON llm.cache_entries FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS cache_entries_insert_caller ON llm.cache_entries;
CREATE POLICY cache_entries_insert_caller ON llm.cache_entries FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS cache_entries_update_caller ON llm.cache_entries;
CREATE POLICY cache_entries_update_caller ON llm.cache_entries FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('llm.eval_runs');
DROP POLICY IF EXISTS eval_runs_select_member ON llm.eval_runs;
CREATE POLICY eval_runs_select_member ON llm.eval_runs FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS eval_runs_insert_caller ON llm.eval_runs;
CREATE POLICY eval_runs_insert_caller ON llm.eval_runs FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS eval_runs_update_admin ON llm.eval_runs;
CREATE POLICY eval_runs_update_admin ON llm.eval_runs FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('llm.eval_results');
DROP POLICY IF EXISTS eval_results_select_member ON llm.eval_results;
CREATE POLICY eval_results_select_member ON llm.eval_results FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS eval_results_insert_caller ON llm.eval_results;
CREATE POLICY eval_results_insert_caller ON llm.eval_results FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

-- claw_dispatcher: exactly what the reservation sweeper (llm.expire_reservations) touches.
GRANT SELECT, UPDATE ON llm.reservations, llm.budget_windows TO claw_dispatcher;
GRANT SELECT, INSERT, UPDATE ON llm.breakers TO claw_dispatcher;
GRANT SELECT ON internal.llm_breakers TO claw_dispatcher;
GRANT EXECUTE ON FUNCTION llm.expire_held(uuid, timestamptz) TO claw_dispatcher;
GRANT EXECUTE ON FUNCTION llm.expire_reservations(integer) TO claw_owner;
