-- 41: defining object types: spec validation (CL422 naming the property), versions (bumped
-- by every change, stale CL409, history in type_versions, describe round trip), and
-- expand/contract with live objects: every loosening passes; every tightening passes when
-- the live objects satisfy it and is CL409 (property, rule, count, example, hint) otherwise,
-- writing nothing.
BEGIN;
SELECT plan(86);

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
CREATE FUNCTION pg_temp.err(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
  EXECUTE p_sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
                          v_hint = PG_EXCEPTION_HINT;
  RETURN v_state || ': ' || v_msg || ' / ' || v_detail || ' / ' || v_hint;
END $$;
-- the current version of a type
CREATE FUNCTION pg_temp.v(p_type text) RETURNS integer LANGUAGE sql AS $$
  SELECT version FROM api.describe_object_type(p_type) $$;
-- define p_type with its current properties changed by p_change (a merge patch of specs)
CREATE FUNCTION pg_temp.merge(p_base jsonb, p_change jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM (
    SELECT key AS k, value AS v FROM jsonb_each(p_base) WHERE NOT p_change ? key
    UNION ALL
    SELECT key, jsonb_strip_nulls(coalesce(p_base -> key, '{}') || value) FROM jsonb_each(p_change)
    WHERE value <> 'null') s $$;
CREATE FUNCTION pg_temp.redefine(p_type text, p_change jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT * FROM api.define_object_type(%L, %L, p_expected_version => %s)', p_type,
                pg_temp.merge((SELECT definition -> 'properties' FROM api.describe_object_type(p_type)), p_change),
                pg_temp.v(p_type)) $$;

SELECT pg_temp.as_role('a', '{owner}');

-- spec validation -----------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM api.define_object_type('Bad Name', '{}')$$, 'CL422', 'invalid object type name',
                 'a type name is lower-case');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '[]')$$, 'CL422', 'invalid property definitions',
                 'p_properties is a JSON object');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "string", "colour": "red"}}')$$, 'CL422',
                 'property "a" of x: unknown key "colour" for kind string', 'an unknown key in a spec is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "integer", "pattern": "x"}}')$$, 'CL422',
                 'property "a" of x: unknown key "pattern" for kind integer', 'a rule of another kind is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "colour"}}')$$, 'CL422',
                 'property "a" of x: unknown kind "colour"', 'an unknown kind is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"required": true}}')$$, 'CL422',
                 'property "a" of x: unknown kind null', 'a spec without a kind is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "enum"}}')$$, 'CL422',
                 'property "a" of x: enum without values', 'an enum without values is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "enum", "values": []}}')$$, 'CL422',
                 'property "a" of x: enum without values', 'an enum with no values is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "enum", "values": ["a", "a"]}}')$$, 'CL422',
                 'property "a" of x: enum values must be distinct', 'enum values are distinct');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "number", "min": 5, "max": 1}}')$$, 'CL422',
                 'property "a" of x: min 5 is greater than max 1', 'min > max is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "money", "min": "0"}}')$$, 'CL422',
                 'property "a" of x: "min" and "max" must be numbers', 'min is a number');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "reference", "type": "ghost"}}')$$, 'CL422',
                 'property "a" of x: references unknown type ghost', 'a reference to an unknown type is CL422');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "reference"}}')$$, 'CL422',
                 'property "a" of x: a reference needs "type": the name of the object type it points at',
                 'a reference names its type');
SELECT throws_like($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "string", "pattern": "(unclosed"}}')$$,
                   'property "a" of x: pattern does not compile: %', 'a pattern that does not compile is CL422');
SELECT is(pg_temp.err($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "string", "pattern": "[z-a]"}}')$$) LIKE 'CL422: %',
          true, '(with SQLSTATE CL422)');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "string", "max_length": 0}}')$$, 'CL422',
                 'property "a" of x: "max_length" must be an integer from 1 to 1000000', 'max_length is positive');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"a": {"kind": "string", "required": "yes"}}')$$, 'CL422',
                 'property "a" of x: "required" must be true or false', 'required is a boolean');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{"Bad": {"kind": "string"}}')$$, 'CL422',
                 'property "Bad" of x: invalid name (lower-case letters, digits and _, starting with a letter)',
                 'a property name is lower-case');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{}', repeat('d', 2001))$$, 'CL422',
                 'invalid description', 'a description has at most 2000 characters');
SELECT is((SELECT count(*)::int FROM api.list_object_types()), 0, 'no failed definition wrote anything');

-- versions ----------------------------------------------------------------------------------
SELECT is((SELECT row(version, changed)::text FROM api.define_object_type('node',
             '{"label": {"kind": "string"}, "parent": {"kind": "reference", "type": "node"}}', 'a tree node')),
          '(1,t)', 'a new type is version 1 (and may reference itself)');
SELECT throws_ok($$SELECT * FROM api.define_object_type('node', '{}')$$, 'CL409', 'stale object type version',
                 'changing an existing type needs its version');
SELECT throws_ok($$SELECT * FROM api.define_object_type('node', '{}', p_expected_version => 2)$$, 'CL409',
                 'stale object type version', 'a stale version is CL409');
SELECT throws_ok($$SELECT * FROM api.define_object_type('ghost', '{}', p_expected_version => 1)$$, 'CL404',
                 'object type not found', 'a version of a type that does not exist is CL404');
SELECT is((SELECT row(version, changed)::text FROM api.define_object_type('node',
             (SELECT definition -> 'properties' FROM api.describe_object_type('node')), p_expected_version => 1)),
          '(1,f)', 'the described definition defined again changes nothing');
SELECT is((SELECT row(version, changed)::text FROM api.define_object_type('node',
             '{"label": {"kind": "string", "max_length": 50}, "parent": {"kind": "reference", "type": "node"}}',
             p_expected_version => 1)),
          '(2,t)', 'a change bumps the version');
SELECT is((SELECT row(version, changed)::text FROM api.define_object_type('node',
             (SELECT definition -> 'properties' FROM api.describe_object_type('node')), 'a node of a tree', 2)),
          '(3,t)', 'so does a new description');
SELECT is((SELECT array_agg(version || ':' || coalesce(definition -> 'properties' -> 'label' ->> 'max_length', '') ORDER BY version)
           FROM api.list_type_versions('node')), '{1:,2:50,3:50}'::text[] , 'every version is in the history');
SELECT is((SELECT definition FROM api.list_type_versions('node') WHERE version = 3),
          (SELECT definition FROM api.describe_object_type('node')), 'the last history row is the current definition');
SELECT is((SELECT definition -> 'properties' -> 'parent' FROM api.describe_object_type('node')),
          '{"kind": "reference", "type": "node", "unique": false, "position": 1, "required": false}'::jsonb,
          'describe shows a property''s spec');
SELECT throws_ok($$SELECT * FROM api.describe_object_type('ghost')$$, 'CL404', 'object type not found',
                 'describing an unknown type is CL404');

-- expand/contract -------------------------------------------------------------------------
SELECT * FROM api.define_object_type('target', '{"n": {"kind": "integer"}}');
SELECT * FROM api.define_object_type('other', '{}');
SELECT * FROM api.define_object_type('item', '{
  "name": {"kind": "string", "required": true, "max_length": 20, "pattern": "^[a-z ]+$"},
  "qty": {"kind": "integer", "min": 0, "max": 100},
  "state": {"kind": "enum", "values": ["new", "used", "broken"]},
  "sku": {"kind": "string", "unique": true},
  "note": {"kind": "string"},
  "ref": {"kind": "reference", "type": "target"}}');
INSERT INTO ids SELECT 'target', object_id FROM api.create_object('target', '{}');
INSERT INTO ids SELECT 'i1', object_id FROM api.create_object('item', jsonb_build_object(
  'name', 'spoon', 'qty', 5, 'state', 'used', 'sku', 'S1', 'note', 'n1', 'ref', pg_temp.id('target')));
INSERT INTO ids SELECT 'i2', object_id FROM api.create_object('item', '{"name": "big fork", "qty": 50, "state": "new", "sku": "S2"}');
INSERT INTO ids SELECT 'i3', object_id FROM api.create_object('item', '{"name": "knife", "state": "new"}');
-- a deleted object never blocks a change
INSERT INTO ids SELECT 'i4', object_id FROM api.create_object('item', '{"name": "old", "qty": 99, "state": "broken", "note": "n4"}');
SELECT api.delete_object(pg_temp.id('i4'), 1);

CREATE TEMP TABLE changes (ord serial, change jsonb, rule text, n int, what text);
GRANT SELECT ON changes TO PUBLIC;
-- rule NULL: allowed. Otherwise CL409 with the rule and how many live objects break it.
INSERT INTO changes (change, rule, n, what) VALUES
  ('{"added": {"kind": "string", "required": true}}', 'required', 3, 'adding a required property'),
  ('{"note": {"required": true}}', 'required', 2, 'making a property required'),
  ('{"name": {"max_length": 5}}', 'longer than max_length 5', 1, 'a shorter max_length'),
  ('{"name": {"pattern": "^[a-z]+$"}}', 'does not match pattern ^[a-z]+$', 1, 'a narrower pattern'),
  ('{"qty": {"min": 10}}', 'below min 10', 1, 'a higher min'),
  ('{"qty": {"max": 40}}', 'above max 40', 1, 'a lower max'),
  ('{"state": {"values": ["new", "broken"]}}', 'not one of the enum values (new, broken)', 1, 'fewer enum values'),
  ('{"qty": {"kind": "enum", "values": ["5"], "min": null, "max": null}}', 'not one of the enum values (5)', 2, 'another kind'),
  ('{"ref": {"type": "other"}}', 'not a live other', 1, 'another referenced type'),
  ('{"note": null}', 'removal (they have a value)', 1, 'removing a property with values'),
  ('{"state": {"unique": true}}', 'unique (duplicate values)', 2, 'making a property with duplicates unique'),
  ('{"optional": {"kind": "date"}}', NULL, NULL, 'adding an optional property'),
  ('{"name": {"max_length": 8}}', NULL, NULL, 'a shorter max_length every live value meets'),
  ('{"name": {"pattern": "^[a-z ]{1,8}$"}}', NULL, NULL, 'a pattern every live value meets'),
  ('{"qty": {"min": 5, "max": 50}}', NULL, NULL, 'a range every live value meets'),
  ('{"state": {"values": ["new", "used"]}}', NULL, NULL, 'dropping an enum value no live object uses'),
  ('{"name": {"unique": true}}', NULL, NULL, 'unique when the live values are distinct'),
  ('{"note": {"kind": "enum", "values": ["n1"]}}', NULL, NULL, 'another kind every live value meets'),
  ('{"optional": null}', NULL, NULL, 'removing a property no live object has'),
  ('{"name": {"required": false, "unique": false, "pattern": null, "max_length": null}}', NULL, NULL,
   'dropping required, unique, pattern and max_length'),
  ('{"qty": {"min": null, "max": null}, "state": {"values": ["new", "used", "broken", "lost"]}}', NULL, NULL,
   'dropping min and max, widening enum values'),
  ('{"sku": {"unique": false}, "ref": {"required": false}}', NULL, NULL, 'dropping unique'),
  ('{"qty": {"required": true}, "state": {"required": true}}', 'required', 1, 'required once more, one object lacks qty');
-- each change starts from the definition its predecessors left
CREATE FUNCTION pg_temp.apply_changes() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE c record; v_before integer; v_sql text;
BEGIN
  FOR c IN SELECT * FROM changes ORDER BY ord LOOP
    v_before := pg_temp.v('item');
    v_sql := pg_temp.redefine('item', c.change);
    IF c.rule IS NULL THEN
      RETURN NEXT lives_ok(v_sql, c.what || ' is allowed');
      RETURN NEXT is(pg_temp.v('item'), v_before + 1, c.what || ': a new version');
    ELSE
      RETURN NEXT throws_ok(v_sql, 'CL409',
        format('property "%s" of item: %s live object%s would violate %s',
               (SELECT k FROM jsonb_object_keys(c.change) k ORDER BY k = 'qty' DESC LIMIT 1),
               c.n, CASE WHEN c.n = 1 THEN '' ELSE 's' END, c.rule),
        c.what || ' is refused while live objects break it');
      RETURN NEXT is(pg_temp.v('item'), v_before, c.what || ': nothing written');
    END IF;
  END LOOP;
END $$;
SELECT * FROM pg_temp.apply_changes();

SELECT is(pg_temp.err(pg_temp.redefine('item', '{"qty": {"required": true}}')),
          format('CL409: property "qty" of item: 1 live object would violate required / rule: required; 1 live object, e.g. object %s / '
                 'expand/contract: add a new optional property, backfill it on every live object (api.update_object), '
                 'move readers and writers to it, then remove the old one; or fix or delete the objects that violate the rule first',
                 pg_temp.id('i3')),
          'the refusal names the property, the rule, the count, an example and the expand/contract path');
SELECT lives_ok(format($$SELECT * FROM api.update_object(%L, 1, '{"qty": 1}')$$, pg_temp.id('i3')), 'backfill');
SELECT lives_ok(pg_temp.redefine('item', '{"qty": {"required": true}}'), 'then the contract passes');
SELECT throws_ok($$SELECT * FROM api.create_object('item', '{"name": "cup", "state": "new"}')$$, 'CL422',
                 'property "qty" of item: required', 'and new objects must follow it');
SELECT is((SELECT count(*)::int FROM api.list_type_versions('item')), pg_temp.v('item'), 'one history row per version');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM ontology.unique_values u
           JOIN ontology.object_types ty USING (tenant_id, type_id) WHERE ty.name = 'item'), 0,
          'no property of item is unique any more: its unique values are gone');
SELECT pg_temp.as_role('a', '{owner}');
SELECT lives_ok(pg_temp.redefine('item', '{"name": {"unique": true}}'), 'making name unique again');
RESET ROLE;
SELECT is((SELECT array_agg(value_key ORDER BY value_key) FROM ontology.unique_values u
           JOIN ontology.object_types ty USING (tenant_id, type_id) WHERE ty.name = 'item'),
          '{"big fork",knife,spoon}'::text[], 'rebuilds the unique values from the live objects');

SELECT throws_ok($$ SELECT ontology.raise_defined_concurrently('tool', 'crm.lookup') $$, 'CL409',
                 'tool defined concurrently',
                 'a definition committed after a definer''s snapshot is CL409, not 23505');

SELECT * FROM finish();
ROLLBACK;
