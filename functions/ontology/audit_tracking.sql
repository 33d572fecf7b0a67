-- Every change to an ontology table is recorded in the tenant's audit chain (audit.tg_track):
-- definitions, their history, objects, unique keys, link types, links and tools.
-- Objects: search_text is bookkeeping (derived from the properties), left out.
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.object_types
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.properties
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id,name');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.type_versions
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id,version');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.objects
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('object_id', 'search_text');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.unique_values
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id,property,value_key');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.link_types
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('link_type_id');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.links
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('link_id');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.tools
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tool_id');
