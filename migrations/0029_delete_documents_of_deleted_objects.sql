-- api.delete_object soft-deleted an object and its links but left its documents, which
-- api.search_documents kept returning (migration 0014 says a document is deleted with its
-- object). It deletes them now; this deletes those left behind. Migrations run as
-- claw_owner, which forced RLS holds to a tenant context: each tenant's rows are deleted in
-- its own context (the table's audit trigger, if any, writes under RLS).
DO $migrate$
DECLARE
  v_tenant uuid;
BEGIN
  ALTER TABLE ontology.documents NO FORCE ROW LEVEL SECURITY;
  ALTER TABLE ontology.objects NO FORCE ROW LEVEL SECURITY;
  FOR v_tenant IN
    SELECT DISTINCT d.tenant_id FROM ontology.documents AS d
    JOIN ontology.objects AS o ON o.tenant_id = d.tenant_id AND o.object_id = d.object_id
    WHERE o.deleted_at IS NOT NULL
  LOOP
    PERFORM internal.set_context(v_tenant, NULL, '{owner}');
    DELETE FROM ontology.documents AS d
    USING ontology.objects AS o
    WHERE d.tenant_id = v_tenant AND o.tenant_id = v_tenant AND o.object_id = d.object_id
      AND o.deleted_at IS NOT NULL;
    PERFORM internal.clear_context();
  END LOOP;
  ALTER TABLE ontology.documents FORCE ROW LEVEL SECURITY;
  ALTER TABLE ontology.objects FORCE ROW LEVEL SECURITY;
END
$migrate$;
