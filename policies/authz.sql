-- Policies for relationship-based permissions. Every authz table: the restrictive tenant
-- policy, members read (checks run as the caller's context: owner, admin, operator,
-- approver, viewer, and a worker acting for a job), the model is written by owners and
-- admins, tuples by the roles that run the business (owner, admin, operator, worker).
-- No login role has any table privilege: everything goes through api functions.

SELECT internal.ensure_tenant_policy('authz.models');
DROP POLICY IF EXISTS models_select_member ON authz.models;
CREATE POLICY models_select_member ON authz.models FOR SELECT
  USING ((SELECT internal.has_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS models_insert_admin ON authz.models;
CREATE POLICY models_insert_admin ON authz.models FOR INSERT
  WITH CHECK ((SELECT internal.has_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('authz.relations');
DROP POLICY IF EXISTS relations_select_member ON authz.relations;
CREATE POLICY relations_select_member ON authz.relations FOR SELECT
  USING ((SELECT internal.has_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS relations_write_admin ON authz.relations;
CREATE POLICY relations_write_admin ON authz.relations FOR ALL
  USING ((SELECT internal.has_role('{owner,admin}')))
  WITH CHECK ((SELECT internal.has_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('authz.rewrite_edges');
DROP POLICY IF EXISTS rewrite_edges_select_member ON authz.rewrite_edges;
CREATE POLICY rewrite_edges_select_member ON authz.rewrite_edges FOR SELECT
  USING ((SELECT internal.has_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS rewrite_edges_write_admin ON authz.rewrite_edges;
CREATE POLICY rewrite_edges_write_admin ON authz.rewrite_edges FOR ALL
  USING ((SELECT internal.has_role('{owner,admin}')))
  WITH CHECK ((SELECT internal.has_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('authz.tuples');
DROP POLICY IF EXISTS tuples_select_member ON authz.tuples;
CREATE POLICY tuples_select_member ON authz.tuples FOR SELECT
  USING ((SELECT internal.has_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS tuples_write_operator ON authz.tuples;
CREATE POLICY tuples_write_operator ON authz.tuples FOR ALL
  USING ((SELECT internal.has_role('{owner,admin,operator,worker}')))
  WITH CHECK ((SELECT internal.has_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('authz.revisions');
DROP POLICY IF EXISTS revisions_select_member ON authz.revisions;
CREATE POLICY revisions_select_member ON authz.revisions FOR SELECT
  USING ((SELECT internal.has_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS revisions_write_operator ON authz.revisions;
CREATE POLICY revisions_write_operator ON authz.revisions FOR ALL
  USING ((SELECT internal.has_role('{owner,admin,operator,worker}')))
  WITH CHECK ((SELECT internal.has_role('{owner,admin,operator,worker}')));
