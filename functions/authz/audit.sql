-- Every change to the authorization model and to relationship tuples is in the tenant's
-- audit chain (audit.tg_track). The relations and edges are derived from the model row;
-- the revisions row is bookkeeping.
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON authz.models
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('version', 'compiled');
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON authz.tuples
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track(
    'object_type,object_id,relation,subject_type,subject_id,subject_relation');
