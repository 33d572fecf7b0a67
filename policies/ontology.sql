-- Policies for the ontology. Every table: the restrictive tenant policy, and permissive
-- policies for the tenant roles the api functions act with:
--   read: owner, admin, operator, approver, viewer, and 'worker' (a worker acting for a job);
--   definitions (object types, properties, type versions, link types, tools): owner, admin;
--   objects, their unique values and links: owner, admin, operator, worker.
-- Writers lock the objects they reference FOR SHARE, which needs the objects' UPDATE policy
-- (writers have it). Rows are soft-deleted, never deleted, except a property removed from
-- its type (and the unique values that go with it), by owner and admin.
-- No login role has any table privilege: everything goes through api functions.

SELECT internal.ensure_tenant_policy('ontology.object_types');
DROP POLICY IF EXISTS object_types_select_member ON ontology.object_types;
CREATE POLICY object_types_select_member ON ontology.object_types FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS object_types_insert_admin ON ontology.object_types;
CREATE POLICY object_types_insert_admin ON ontology.object_types FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS object_types_update_admin ON ontology.object_types;
CREATE POLICY object_types_update_admin ON ontology.object_types FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('ontology.properties');
DROP POLICY IF EXISTS properties_select_member ON ontology.properties;
CREATE POLICY properties_select_member ON ontology.properties FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS properties_insert_admin ON ontology.properties;
CREATE POLICY properties_insert_admin ON ontology.properties FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS properties_update_admin ON ontology.properties;
CREATE POLICY properties_update_admin ON ontology.properties FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS properties_delete_admin ON ontology.properties;
CREATE POLICY properties_delete_admin ON ontology.properties FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('ontology.type_versions');
DROP POLICY IF EXISTS type_versions_select_member ON ontology.type_versions;
CREATE POLICY type_versions_select_member ON ontology.type_versions FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS type_versions_insert_admin ON ontology.type_versions;
CREATE POLICY type_versions_insert_admin ON ontology.type_versions FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('ontology.objects');
DROP POLICY IF EXISTS objects_select_member ON ontology.objects;
CREATE POLICY objects_select_member ON ontology.objects FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS objects_insert_writer ON ontology.objects;
CREATE POLICY objects_insert_writer ON ontology.objects FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS objects_update_writer ON ontology.objects;
CREATE POLICY objects_update_writer ON ontology.objects FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('ontology.unique_values');
DROP POLICY IF EXISTS unique_values_select_member ON ontology.unique_values;
CREATE POLICY unique_values_select_member ON ontology.unique_values FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS unique_values_insert_writer ON ontology.unique_values;
CREATE POLICY unique_values_insert_writer ON ontology.unique_values FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS unique_values_delete_writer ON ontology.unique_values;
CREATE POLICY unique_values_delete_writer ON ontology.unique_values FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('ontology.link_types');
DROP POLICY IF EXISTS link_types_select_member ON ontology.link_types;
CREATE POLICY link_types_select_member ON ontology.link_types FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS link_types_insert_admin ON ontology.link_types;
CREATE POLICY link_types_insert_admin ON ontology.link_types FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS link_types_update_admin ON ontology.link_types;
CREATE POLICY link_types_update_admin ON ontology.link_types FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('ontology.links');
DROP POLICY IF EXISTS links_select_member ON ontology.links;
CREATE POLICY links_select_member ON ontology.links FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS links_insert_writer ON ontology.links;
CREATE POLICY links_insert_writer ON ontology.links FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS links_update_writer ON ontology.links;
CREATE POLICY links_update_writer ON ontology.links FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('ontology.tools');
DROP POLICY IF EXISTS tools_select_member ON ontology.tools;
CREATE POLICY tools_select_member ON ontology.tools FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS tools_insert_admin ON ontology.tools;
CREATE POLICY tools_insert_admin ON ontology.tools FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin}')));
DROP POLICY IF EXISTS tools_update_admin ON ontology.tools;
CREATE POLICY tools_update_admin ON ontology.tools FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin}')));

SELECT internal.ensure_tenant_policy('ontology.documents');
DROP POLICY IF EXISTS documents_select_member ON ontology.documents;
CREATE POLICY documents_select_member ON ontology.documents FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS documents_insert_writer ON ontology.documents;
CREATE POLICY documents_insert_writer ON ontology.documents FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS documents_update_writer ON ontology.documents;
CREATE POLICY documents_update_writer ON ontology.documents FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS documents_delete_writer ON ontology.documents;
CREATE POLICY documents_delete_writer ON ontology.documents FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
