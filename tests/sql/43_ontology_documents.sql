-- 43: searchable documents in one session: storing (validation, the authz object a reader
-- needs, replacing by id, documents of objects), deleting, the text arm of the search with
-- its permission filter, who may call what, isolation between tenants, the audit of changes.
-- (Embedding-based search with a real model: tests/test_search.py.)
BEGIN;
SELECT plan(22);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('docs-a', 'A', 'alice', 'Alice')
  UNION ALL
  SELECT 'b', * FROM tenancy.create_tenant('docs-b', 'B', 'bob', 'Bob');
CREATE TEMP TABLE d (name text PRIMARY KEY, id uuid);
GRANT SELECT, INSERT, UPDATE ON t, d TO PUBLIC;

CREATE FUNCTION pg_temp.as_role(p_name text, p_roles text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, p_roles) FROM t WHERE t.name = p_name;
  SET LOCAL ROLE claw_runtime;
END $$;
-- a unit vector along axis i (of 256)
CREATE FUNCTION pg_temp.axis(i integer) RETURNS text LANGUAGE sql AS $$
  SELECT '[' || string_agg(CASE WHEN g = i THEN '1' ELSE '0' END, ',' ORDER BY g) || ']'
  FROM generate_series(1, 256) AS g $$;

SELECT pg_temp.as_role('a', '{owner}');
SELECT lives_ok($$ SELECT api.define_authz_model('{"types": {"user": {}, "document": {"relations": {"viewer": {"this": ["user"]}}}, "customer": {"relations": {"viewer": {"this": ["user"]}}}}}') $$,
  'a model with document and customer viewers');
SELECT lives_ok($$ INSERT INTO d SELECT 'leak', api.upsert_document('The boiler in Bondi leaks again', pg_temp.axis(1), 'test', 'Leak') $$,
  'a document is stored');
SELECT lives_ok($$ INSERT INTO d SELECT 'roof', api.upsert_document('Roof tiles replaced in Manly', pg_temp.axis(2), 'test', 'Roof') $$,
  'another');
SELECT is((SELECT authz_object FROM api.search_documents(p_query => 'boiler', p_relation => NULL, p_mode => 'text')),
          'document:' || (SELECT id FROM d WHERE name = 'leak'), 'a standalone document is its own authz object');

SELECT throws_ok($$ SELECT api.upsert_document('x', '[1,2,3]', 'test') $$, 'CL422', 'invalid embedding',
  'an embedding of another dimension is refused');
SELECT throws_ok($$ SELECT api.upsert_document('x', pg_temp.axis(0), 'test') $$, 'CL422', 'invalid embedding',
  'an all-zero embedding is refused');
SELECT throws_ok($$ SELECT api.upsert_document('', pg_temp.axis(1), 'test') $$, 'CL422', 'invalid document',
  'an empty body is refused');
SELECT throws_ok($$ SELECT api.upsert_document('x', pg_temp.axis(1), '') $$, 'CL422', 'invalid embedding model',
  'the embedding model is named');
SELECT throws_ok($$ SELECT api.upsert_document('x', pg_temp.axis(1), 'test', p_authz_object => 'not an object') $$,
  'CL422', 'invalid authz object', 'a malformed authz object is refused');
SELECT throws_ok($$ SELECT api.upsert_document('x', pg_temp.axis(1), 'test', p_object_id => gen_random_uuid()) $$,
  'CL404', 'object not found', 'a document of a missing object is refused');
SELECT is((SELECT count(*)::int FROM api.search_documents(p_query => 'x', p_relation => NULL, p_mode => 'text')), 0,
          'refused documents left nothing behind');

SELECT lives_ok($$ SELECT api.upsert_document('The boiler in Bondi was fixed', pg_temp.axis(1), 'test', 'Leak',
                                              p_document_id => (SELECT id FROM d WHERE name = 'leak')) $$,
  'a document is replaced by its id');
SELECT is((SELECT body FROM api.search_documents(p_query => 'fixed', p_relation => NULL, p_mode => 'text')),
          'The boiler in Bondi was fixed', 'the replacement is what is found');

-- the permission filter: user:carol may view the roof document only
SELECT lives_ok($$ SELECT api.write_tuples(jsonb_build_array(jsonb_build_object(
  'object', 'document:' || (SELECT id FROM d WHERE name = 'roof'), 'relation', 'viewer', 'subject', 'user:carol'))) $$,
  'carol may view the roof note');
SELECT is(ARRAY(SELECT title FROM api.search_documents(p_query => 'boiler roof', p_subject => 'user:carol', p_mode => 'text')),
          ARRAY['Roof'], 'carol finds only what she may view');
SELECT is(ARRAY(SELECT title FROM api.search_documents(p_query => 'boiler', p_subject => 'user:carol',
                                                        p_embedding => pg_temp.axis(1))),
          ARRAY['Roof'], 'the vector arm finds the nearest she may view, not the nearest');

SELECT pg_temp.as_role('a', '{viewer}');
SELECT throws_ok($$ SELECT * FROM api.search_documents(p_query => 'boiler', p_relation => NULL, p_mode => 'text') $$,
  'CL403', 'forbidden', 'a viewer cannot search without the permission filter');
SELECT throws_ok($$ SELECT api.delete_document((SELECT id FROM d WHERE name = 'roof')) $$,
  'CL403', 'forbidden', 'a viewer cannot delete documents');

SELECT pg_temp.as_role('b', '{owner}');
SELECT is((SELECT count(*)::int FROM api.search_documents(p_query => 'boiler roof', p_relation => NULL, p_mode => 'text')), 0,
          'tenant B finds none of tenant A''s documents');
SELECT throws_ok($$ SELECT api.delete_document((SELECT id FROM d WHERE name = 'roof')) $$,
  'CL404', 'document not found', 'nor deletes them');

SELECT pg_temp.as_role('a', '{owner}');
SELECT lives_ok($$ SELECT api.delete_document((SELECT id FROM d WHERE name = 'roof')) $$, 'the owner deletes one');
RESET ROLE;
SELECT ok((SELECT count(*) FROM audit.events AS e JOIN t ON t.tenant_id = e.tenant_id AND t.name = 'a'
           WHERE e.action IN ('ontology.documents.insert', 'ontology.documents.update',
                              'ontology.documents.delete')) = 4
          AND NOT EXISTS (SELECT 1 FROM audit.events AS e JOIN t ON t.tenant_id = e.tenant_id AND t.name = 'a'
                          WHERE e.action LIKE 'ontology.documents.%' AND e.after ? 'embedding'),
          'two inserts, a replacement and a delete are audited, without the embedding');

SELECT * FROM finish();
ROLLBACK;
