-- 40: ontology objects in one session: every property rule with a valid and an invalid
-- value (CL422 naming the property and the rule, DETAIL the value, nothing written), unique
-- values through ontology.unique_values (taken, released by update and delete, canonical),
-- references (missing, deleted, wrong type, deleting a referenced object), optimistic
-- versions, merge patches, soft delete.
BEGIN;
SELECT plan(93);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice');
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid);
GRANT SELECT, INSERT, UPDATE ON t, ids TO PUBLIC;

CREATE FUNCTION pg_temp.as_role(p_name text, p_roles text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, p_roles) FROM t WHERE t.name = p_name;
  SET LOCAL ROLE claw_runtime;
END $$;
CREATE FUNCTION pg_temp.id(p_name text) RETURNS uuid LANGUAGE sql AS $$
  SELECT id FROM ids WHERE name = p_name $$;
-- the SQLSTATE, message and detail of the error p_sql raises
CREATE FUNCTION pg_temp.err(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_state text; v_msg text; v_detail text;
BEGIN
  EXECUTE p_sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
  RETURN v_state || ': ' || v_msg || ' / ' || v_detail;
END $$;

SELECT pg_temp.as_role('a', '{owner}');
SELECT * FROM api.define_object_type('customer', '{
  "email": {"kind": "string", "required": true, "max_length": 200, "pattern": "^[^@]+@[^@]+$", "unique": true},
  "code": {"kind": "integer", "unique": true},
  "name": {"kind": "string"}}');
SELECT * FROM api.define_object_type('thing', '{
  "s": {"kind": "string"}, "s_len": {"kind": "string", "max_length": 5},
  "s_pat": {"kind": "string", "pattern": "^[A-Z]{2}[0-9]+$"},
  "num": {"kind": "number", "min": 0, "max": 100}, "int": {"kind": "integer", "min": 1, "max": 10},
  "flag": {"kind": "boolean"}, "at": {"kind": "timestamp"}, "day": {"kind": "date"},
  "price": {"kind": "money", "min": 0, "max": 1000}, "status": {"kind": "enum", "values": ["open", "paid"]},
  "owner": {"kind": "reference", "type": "customer"}}');
SELECT * FROM api.define_object_type('person', '{"name": {"kind": "string", "required": true}}');
INSERT INTO ids SELECT 'c1', object_id FROM api.create_object('customer', '{"email": "ann@example.com", "code": 1}');
INSERT INTO ids SELECT 'c2', object_id FROM api.create_object('customer', '{"email": "bob@example.com"}');
INSERT INTO ids SELECT 'p1', object_id FROM api.create_object('person', '{"name": "Pat"}');

-- every rule: valid values pass, invalid ones are CL422 'property "<p>" of thing: <rule>' --------
CREATE TEMP TABLE cases (ord serial, prop text, value jsonb, rule text);
GRANT SELECT ON cases TO PUBLIC;
INSERT INTO cases (prop, value, rule) VALUES
  ('s', '"hello"', NULL), ('s', '5', 'not a string'),
  ('s_len', '"abcde"', NULL), ('s_len', '"abcdef"', 'longer than max_length 5'),
  ('s_pat', '"AB12"', NULL), ('s_pat', '"ab12"', 'does not match pattern ^[A-Z]{2}[0-9]+$'),
  ('num', '99.5', NULL), ('num', '0', NULL), ('num', '-0.5', 'below min 0'),
  ('num', '100.01', 'above max 100'), ('num', '"5"', 'not a number'),
  ('int', '3', NULL), ('int', '3.0', NULL), ('int', '3.5', 'not an integer'),
  ('int', '0', 'below min 1'), ('int', '11', 'above max 10'), ('int', 'true', 'not a number'),
  ('flag', 'false', NULL), ('flag', '"true"', 'not a boolean'),
  ('at', '"2026-03-08T06:00:00+11:00"', NULL), ('at', '"2026-03-08T06:00:00.123Z"', NULL),
  ('at', '"2026-03-08 06:00"', 'not an ISO 8601 timestamp with offset'),
  ('at', '"2026-13-08T06:00:00Z"', 'not an ISO 8601 timestamp with offset'),
  ('at', '"now"', 'not an ISO 8601 timestamp with offset'),
  ('day', '"2028-02-29"', NULL), ('day', '"2026-02-30"', 'not an ISO date (YYYY-MM-DD)'),
  ('day', '"28/02/2026"', 'not an ISO date (YYYY-MM-DD)'), ('day', '20260228', 'not an ISO date (YYYY-MM-DD)'),
  ('price', '{"amount": "12.50", "currency": "AUD"}', NULL), ('price', '{"amount": 3, "currency": "USD"}', NULL),
  ('price', '{"amount": 5}', 'not a money value {"amount": ..., "currency": ...}'),
  ('price', '{"amount": 5, "currency": "AUD", "tax": 1}', 'not a money value {"amount": ..., "currency": ...}'),
  ('price', '5', 'not a money value {"amount": ..., "currency": ...}'),
  ('price', '{"amount": 5, "currency": "aud"}', 'currency is not 3 upper-case letters'),
  ('price', '{"amount": "1e3", "currency": "AUD"}', 'amount is not a number'),
  ('price', '{"amount": -1, "currency": "AUD"}', 'below min 0'),
  ('price', '{"amount": "1000.01", "currency": "AUD"}', 'above max 1000'),
  ('status', '"paid"', NULL), ('status', '"void"', 'not one of the enum values (open, paid)'),
  ('status', '1', 'not one of the enum values (open, paid)'),
  ('owner', to_jsonb(pg_temp.id('c1')), NULL), ('owner', '"not-a-uuid"', 'not an object id (uuid)'),
  ('owner', to_jsonb(gen_random_uuid()), 'not a live customer'),
  ('owner', to_jsonb(pg_temp.id('p1')), 'not a live customer');
SELECT CASE WHEN c.rule IS NULL
  THEN lives_ok(format($q$SELECT * FROM api.create_object('thing', %L)$q$, jsonb_build_object(c.prop, c.value)),
                format('%s: %s is valid', c.prop, c.value))
  ELSE throws_ok(format($q$SELECT * FROM api.create_object('thing', %L)$q$, jsonb_build_object(c.prop, c.value)),
                 'CL422', format('property "%s" of thing: %s', c.prop, c.rule),
                 format('%s: %s is CL422 %s', c.prop, c.value, c.rule)) END
FROM cases c ORDER BY c.ord;
SELECT is((SELECT count(*)::int FROM api.list_objects_by_type('thing')),
          (SELECT count(*)::int FROM cases WHERE rule IS NULL), 'only the valid values were written');

SELECT throws_ok($$SELECT * FROM api.create_object('thing', '{"nope": 1}')$$, 'CL422',
                 'property "nope" of thing: unknown property', 'an unknown property is CL422');
SELECT throws_ok($$SELECT * FROM api.create_object('person', '{}')$$, 'CL422',
                 'property "name" of person: required', 'a required property missing is CL422');
SELECT throws_ok($$SELECT * FROM api.create_object('person', '{"name": null}')$$, 'CL422',
                 'property "name" of person: required', 'JSON null is missing');
SELECT lives_ok($$SELECT * FROM api.create_object('thing', '{"s": null}')$$, 'null for an optional property is no value');
SELECT is((SELECT properties FROM api.list_objects_by_type('thing') ORDER BY object_id DESC LIMIT 1), '{}'::jsonb,
          'and is not stored');
SELECT throws_ok($$SELECT * FROM api.create_object('thing', '[1]')$$, 'CL422',
                 'properties of thing: not a JSON object', 'properties must be an object');
SELECT throws_ok($$SELECT * FROM api.create_object('nothing', '{}')$$, 'CL404',
                 'object type not found', 'an unknown type is CL404');
SELECT is(pg_temp.err($$SELECT * FROM api.create_object('thing', '{"s_len": "abcdefgh"}')$$),
          'CL422: property "s_len" of thing: longer than max_length 5 / value: "abcdefgh"',
          'DETAIL carries the offending value');
SELECT is(pg_temp.err(format($$SELECT * FROM api.create_object('thing', '{"s_pat": "%s"}')$$, repeat('x', 500))),
          format('CL422: property "s_pat" of thing: does not match pattern ^[A-Z]{2}[0-9]+$ / value: "%s', repeat('x', 199)),
          'a long offending value is truncated');
RESET ROLE;
SELECT is((SELECT search_text FROM ontology.objects WHERE properties @> '{"s": "hello"}'), 'hello',
          'search_text holds the string and enum values');
SELECT pg_temp.as_role('a', '{owner}');
INSERT INTO ids SELECT 'ref', object_id FROM api.create_object('thing', jsonb_build_object('owner', upper(pg_temp.id('c2')::text)));
SELECT is((SELECT properties ->> 'owner' FROM api.get_object(pg_temp.id('ref'))), pg_temp.id('c2')::text,
          'a reference is stored as canonical uuid text');

-- unique values ------------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM api.create_object('customer', '{"email": "ann@example.com"}')$$, 'CL409',
                 'property "email" of customer: unique value already used', 'a used unique value is CL409');
SELECT is(pg_temp.err($$SELECT * FROM api.create_object('customer', '{"email": "x@example.com", "code": 1.0}')$$),
          format('CL409: property "code" of customer: unique value already used / value 1.0 is held by object %s', pg_temp.id('c1')),
          'unique compares canonical values (1.0 = 1) and names the holder');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 1, '{"email": "ann@example.com"}')$$, pg_temp.id('c2')), 'CL409',
                 'property "email" of customer: unique value already used', 'an update to a used value is CL409');
RESET ROLE;
SELECT is((SELECT array_agg(property || '=' || value_key ORDER BY property) FROM ontology.unique_values WHERE object_id = pg_temp.id('c1')),
          '{code=1,email=ann@example.com}', 'ontology.unique_values holds the live object''s unique values');
SELECT pg_temp.as_role('a', '{owner}');
SELECT is((SELECT version FROM api.update_object(pg_temp.id('c1'), 1, '{"email": "ann@new.example.com"}')), 2,
          'changing a unique value bumps the version');
SELECT lives_ok($$SELECT * FROM api.create_object('customer', '{"email": "ann@example.com"}')$$,
                'the old value is free again');
RESET ROLE;
SELECT is((SELECT array_agg(value_key ORDER BY value_key) FROM ontology.unique_values WHERE property = 'email'),
          '{ann@example.com,ann@new.example.com,bob@example.com}', 'one key per live value');
SELECT pg_temp.as_role('a', '{owner}');
INSERT INTO ids SELECT 'c3', object_id FROM api.create_object('customer', '{"email": "cy@example.com", "code": 3}');
SELECT is(api.delete_object(pg_temp.id('c3'), 1), 2, 'delete bumps the version');
SELECT lives_ok($$SELECT * FROM api.create_object('customer', '{"email": "cy@example.com", "code": 3}')$$,
                'a deleted object releases its unique values');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM ontology.unique_values WHERE object_id = pg_temp.id('c3')), 0,
          'the deleted object holds no unique value');
SELECT pg_temp.as_role('a', '{owner}');

-- references -----------------------------------------------------------------------------
INSERT INTO ids SELECT 'c4', object_id FROM api.create_object('customer', '{"email": "dee@example.com"}');
INSERT INTO ids SELECT 't4', object_id FROM api.create_object('thing', jsonb_build_object('owner', pg_temp.id('c4')));
SELECT throws_ok(format($$SELECT api.delete_object(%L, 1)$$, pg_temp.id('c4')), 'CL409', 'object is referenced',
                 'a referenced object cannot be deleted');
SELECT is(pg_temp.err(format($$SELECT api.delete_object(%L, 1)$$, pg_temp.id('c4'))),
          format('CL409: object is referenced / 1 live object reference object %s, e.g. %s (property "owner" of thing)',
                 pg_temp.id('c4'), pg_temp.id('t4')), 'the refusal names how many and one of them');
SELECT is((SELECT version FROM api.update_object(pg_temp.id('t4'), 1, '{"owner": null}')), 2,
          'a merge patch with null removes the reference');
SELECT is((SELECT properties FROM api.get_object(pg_temp.id('t4'))), '{}'::jsonb, 'the key is gone');
SELECT is(api.delete_object(pg_temp.id('c4'), 1), 2, 'now it can be deleted');
SELECT throws_ok(format($$SELECT * FROM api.create_object('thing', '{"owner": "%s"}')$$, pg_temp.id('c4')), 'CL422',
                 'property "owner" of thing: not a live customer', 'a reference to a deleted object is CL422');
SELECT lives_ok(format($$SELECT * FROM api.update_object(%L, 1, '{"s": "x"}')$$, pg_temp.id('ref')),
                'an object whose reference is live updates');

-- versions, patches, soft delete ----------------------------------------------------------
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 7, '{"name": "B"}')$$, pg_temp.id('c2')), 'CL409',
                 'stale object version', 'a stale version is CL409');
SELECT is((SELECT version FROM api.get_object(pg_temp.id('c2'))), 1, 'c2 is at version 1');
SELECT is((SELECT version FROM api.update_object(pg_temp.id('c2'), 1, '{"name": "Bob"}')), 2, 'update at the current version');
SELECT is((SELECT version FROM api.update_object(pg_temp.id('c2'), 2, '{"name": "Bob"}')), 2,
          'a patch that changes nothing keeps the version');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 2, %L)$$, pg_temp.id('c2'),
                        '{"name": ' || repeat('{"a":', 2000) || '1' || repeat('}', 2000) || '}'),
                 'CL422', 'invalid patch', 'a patch nested 2,000 deep is CL422, not a stack overflow');
SELECT is((SELECT properties FROM api.get_object(pg_temp.id('c2'))), '{"name": "Bob", "email": "bob@example.com"}'::jsonb,
          'the patch merged');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 2, '{"email": null}')$$, pg_temp.id('c2')), 'CL422',
                 'property "email" of customer: required', 'a patch cannot remove a required property');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 2, '[]')$$, pg_temp.id('c2')), 'CL422',
                 'invalid patch', 'a patch is a JSON object');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 1, '{}')$$, gen_random_uuid()), 'CL404',
                 'object not found', 'updating a missing object is CL404');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 2, '{}')$$, pg_temp.id('c3')), 'CL404',
                 'object not found', 'updating a deleted object is CL404');
SELECT throws_ok(format($$SELECT api.delete_object(%L, 2)$$, pg_temp.id('c3')), 'CL404',
                 'object not found', 'deleting it again is CL404');
SELECT throws_ok(format($$SELECT api.delete_object(%L, 5)$$, pg_temp.id('c2')), 'CL409',
                 'stale object version', 'a delete at a stale version is CL409');
SELECT ok(pg_temp.id('c3') NOT IN (SELECT object_id FROM api.list_objects_by_type('customer')),
          'a deleted object is hidden from the list');
SELECT ok(pg_temp.id('c3') IN (SELECT object_id FROM api.list_objects_by_type('customer', p_include_deleted => true)),
          'unless deleted ones are asked for');
SELECT isnt((SELECT deleted_at FROM api.get_object(pg_temp.id('c3'))), NULL, 'get_object shows when it was deleted');
SELECT is((SELECT array_agg(object_id ORDER BY object_id) FROM api.list_objects_by_type('customer', p_limit => 2,
             p_after => (SELECT object_id FROM api.list_objects_by_type('customer') ORDER BY object_id LIMIT 1))),
          (SELECT (array_agg(object_id ORDER BY object_id))[2:3] FROM api.list_objects_by_type('customer')),
          'pages by p_after and p_limit');
SELECT throws_ok($$SELECT * FROM api.list_objects_by_type('customer', p_limit => 0)$$, 'CL422', 'invalid limit',
                 'the limit is 1 to 1000');
RESET ROLE;
SELECT throws_ok(format($$UPDATE ontology.objects SET properties = '{"email": "z@example.com"}' WHERE object_id = %L$$, pg_temp.id('c3')),
                 'CL409', 'object is deleted', 'even the owner cannot change a deleted object');
SELECT throws_ok(format($$UPDATE ontology.objects SET type_id = (SELECT type_id FROM ontology.object_types WHERE name = 'thing') WHERE object_id = %L$$, pg_temp.id('c2')),
                 'CL403', 'an object''s identity is fixed', 'an object''s type never changes');
SELECT throws_ok(format($$UPDATE ontology.objects SET properties = '{"email": "no-at-sign"}' WHERE object_id = %L$$, pg_temp.id('c2')),
                 'CL422', 'property "email" of customer: does not match pattern ^[^@]+@[^@]+$',
                 'the trigger validates writes that bypass the api');

SELECT * FROM finish();
ROLLBACK;
