-- Policies for relationship-based permissions. Every authz table: the restrictive tenant
-- policy; reads open to the tenant (USING (true): every tenant role may run a check, and the
-- api functions check roles and scopes before they read, so a role policy on SELECT would
-- only add a second context verification to every query a check runs: checks are the hot
-- path); the model is written by owners and admins, tuples (and the revision they bump) by
-- the roles that run the business (owner, admin, operator, a worker acting for a job).
-- No login role has any table privilege: everything goes through api functions.

SELECT internal.ensure_tenant_policy('authz.models');
DROP POLICY IF EXISTS models_select_tenant ON authz.models;
CREATE POLICY models_select_tenant ON authz.models FOR SELECT USING (true);
DROP POLICY IF EXISTS models_insert_admin ON authz.models;
CREATE POLICY models_insert_admin ON authz.models FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('authz.relations');
DROP POLICY IF EXISTS relations_select_tenant ON authz.relations;
CREATE POLICY relations_select_tenant ON authz.relations FOR SELECT USING (true);
DROP POLICY IF EXISTS relations_insert_admin ON authz.relations;
CREATE POLICY relations_insert_admin ON authz.relations FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS relations_update_admin ON authz.relations;
CREATE POLICY relations_update_admin ON authz.relations FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS relations_delete_admin ON authz.relations;
CREATE POLICY relations_delete_admin ON authz.relations FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('authz.rewrite_edges');
DROP POLICY IF EXISTS rewrite_edges_select_tenant ON authz.rewrite_edges;
CREATE POLICY rewrite_edges_select_tenant ON authz.rewrite_edges FOR SELECT USING (true);
DROP POLICY IF EXISTS rewrite_edges_insert_admin ON authz.rewrite_edges;
CREATE POLICY rewrite_edges_insert_admin ON authz.rewrite_edges FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS rewrite_edges_update_admin ON authz.rewrite_edges;
CREATE POLICY rewrite_edges_update_admin ON authz.rewrite_edges FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS rewrite_edges_delete_admin ON authz.rewrite_edges;
CREATE POLICY rewrite_edges_delete_admin ON authz.rewrite_edges FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('authz.tuples');
DROP POLICY IF EXISTS tuples_select_tenant ON authz.tuples;
CREATE POLICY tuples_select_tenant ON authz.tuples FOR SELECT USING (true);
DROP POLICY IF EXISTS tuples_insert_operator ON authz.tuples;
CREATE POLICY tuples_insert_operator ON authz.tuples FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS tuples_update_operator ON authz.tuples;
CREATE POLICY tuples_update_operator ON authz.tuples FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS tuples_delete_operator ON authz.tuples;
CREATE POLICY tuples_delete_operator ON authz.tuples FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('authz.revisions');
DROP POLICY IF EXISTS revisions_select_tenant ON authz.revisions;
CREATE POLICY revisions_select_tenant ON authz.revisions FOR SELECT USING (true);
DROP POLICY IF EXISTS revisions_insert_operator ON authz.revisions;
CREATE POLICY revisions_insert_operator ON authz.revisions FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS revisions_update_operator ON authz.revisions;
CREATE POLICY revisions_update_operator ON authz.revisions FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

-- claw_authz_reader (BYPASSRLS, NOLOGIN) owns authz.evaluate_in_tenant and
-- authz.decide_in_tenant, which evaluate one question inside the tenant their caller
-- verified: they read tuples, and decide_in_tenant the tenant's model.
GRANT USAGE ON SCHEMA authz TO claw_authz_reader;
GRANT SELECT ON authz.tuples, authz.models TO claw_authz_reader;
-- and compares the tenant it is given with the verified context (internal.verified_context,
-- which runs as its owner: the reader never reads the context key)
GRANT USAGE ON SCHEMA internal TO claw_authz_reader;
