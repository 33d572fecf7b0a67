-- internal.tenant_schemas: the schemas whose tables hold tenant rows. Every table in them
-- has tenant_id, RLS enabled and forced, and the restrictive tenant policy; the catalog
-- suite (tests/sql/10_tenant_catalog.sql) and `claw lint` (rule L004, which keeps the same
-- list, checked by a test) hold every table to that.
CREATE OR REPLACE FUNCTION internal.tenant_schemas()
RETURNS text[]
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT ARRAY['tenancy', 'audit', 'authz', 'ontology', 'governance', 'queue', 'flow', 'events',
               'edge', 'llm',
               'connect', 'messaging']
$fn$;
