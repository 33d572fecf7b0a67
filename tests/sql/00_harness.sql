-- 00: the harness itself: pgTAP is loaded, the database is the migrated template.
BEGIN;
SELECT plan(3);
SELECT has_extension('pgtap', 'pgTAP is installed in this test database');
SELECT has_schema('api', 'the api schema exists');
SELECT ok((SELECT applied_migrations FROM api.get_schema_version()) >= 1,
          'at least one migration is applied');
SELECT * FROM finish();
ROLLBACK;
