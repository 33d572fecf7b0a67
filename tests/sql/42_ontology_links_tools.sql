-- 42: ontology links (the four cardinalities, each with the second link refused CL409;
-- ends of the wrong type or deleted; soft delete; listing both directions), link types
-- fixed after creation, the tool catalog (schema validation, versions, enabling), who may
-- call what, isolation between tenants, and the audit of every ontology table.
BEGIN;
SELECT plan(110);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice')
  UNION ALL
  SELECT 'b', * FROM tenancy.create_tenant('tenant-b', 'B', 'bob', 'Bob');
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid);
GRANT SELECT, INSERT, UPDATE ON t, ids TO PUBLIC;
CREATE FUNCTION pg_temp.as_role(p_name text, p_roles text[], p_scopes text[] DEFAULT '{*}') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, p_roles, p_scopes) FROM t WHERE t.name = p_name;
  SET LOCAL ROLE claw_runtime;
END $$;
CREATE FUNCTION pg_temp.id(p_name text) RETURNS uuid LANGUAGE sql AS $$
  SELECT id FROM ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.obj(p_name text, p_type text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO ids SELECT p_name, object_id FROM api.create_object(p_type, '{}') $$;
CREATE FUNCTION pg_temp.link(p_type text, p_from text, p_to text) RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT api.create_link(%L, %L, %L)', p_type, pg_temp.id(p_from), pg_temp.id(p_to)) $$;

SELECT pg_temp.as_role('a', '{owner}');
SELECT * FROM api.define_object_type('person', '{"name": {"kind": "string"}}');
SELECT * FROM api.define_object_type('desk', '{}');
SELECT pg_temp.obj(n, 'person') FROM unnest('{p1,p2,p3,p4}'::text[]) n;
SELECT pg_temp.obj(n, 'desk') FROM unnest('{d1,d2,d3}'::text[]) n;

-- link types ----------------------------------------------------------------------------------
SELECT isnt(api.define_link_type('sits_at', 'person', 'desk', 'one_to_one', 'a person''s desk'), NULL,
            'define a one_to_one link type');
SELECT isnt(api.define_link_type('owns', 'person', 'desk', 'one_to_many'), NULL, 'one_to_many');
SELECT isnt(api.define_link_type('assigned', 'person', 'desk', 'many_to_one'), NULL, 'many_to_one');
SELECT isnt(api.define_link_type('visits', 'person', 'desk', 'many_to_many'), NULL, 'many_to_many');
SELECT is(api.define_link_type('sits_at', 'person', 'desk', 'one_to_one', 'changed'),
          (SELECT link_type_id FROM api.list_link_types() WHERE name = 'sits_at'),
          'defining it again with the same ends returns it');
SELECT is((SELECT description FROM api.list_link_types() WHERE name = 'sits_at'), 'changed', 'and updates the description');
SELECT throws_ok($$SELECT api.define_link_type('sits_at', 'person', 'desk', 'many_to_many')$$, 'CL409',
                 'a link type''s ends and cardinality are fixed', 'the cardinality never changes');
SELECT throws_ok($$SELECT api.define_link_type('sits_at', 'desk', 'person', 'one_to_one')$$, 'CL409',
                 'a link type''s ends and cardinality are fixed', 'nor the ends');
SELECT throws_ok($$SELECT api.define_link_type('x', 'person', 'desk', 'some')$$, 'CL422', 'invalid cardinality',
                 'an unknown cardinality is CL422');
SELECT throws_ok($$SELECT api.define_link_type('x', 'person', 'ghost', 'one_to_one')$$, 'CL404', 'object type not found',
                 'an unknown end type is CL404');
SELECT throws_ok($$SELECT api.define_link_type('X y', 'person', 'desk', 'one_to_one')$$, 'CL422', 'invalid link type name',
                 'a link type name is lower-case');

-- cardinality: the first link passes, the second is CL409 naming the link type and the rule -----
SELECT lives_ok(pg_temp.link('sits_at', 'p1', 'd1'), 'one_to_one: p1 sits at d1');
SELECT throws_ok(pg_temp.link('sits_at', 'p1', 'd2'), 'CL409',
                 'link type sits_at is one_to_one: the from object already has a link of this type',
                 'one_to_one: not at a second desk');
SELECT throws_ok(pg_temp.link('sits_at', 'p2', 'd1'), 'CL409',
                 'link type sits_at is one_to_one: the to object already has a link of this type',
                 'one_to_one: nobody else at that desk');
SELECT lives_ok(pg_temp.link('owns', 'p1', 'd1'), 'one_to_many: p1 owns d1');
SELECT lives_ok(pg_temp.link('owns', 'p1', 'd2'), 'one_to_many: and d2');
SELECT throws_ok(pg_temp.link('owns', 'p2', 'd1'), 'CL409',
                 'link type owns is one_to_many: the to object already has a link of this type',
                 'one_to_many: a desk has one owner');
SELECT lives_ok(pg_temp.link('assigned', 'p1', 'd1'), 'many_to_one: p1 assigned to d1');
SELECT lives_ok(pg_temp.link('assigned', 'p2', 'd1'), 'many_to_one: p2 too');
SELECT throws_ok(pg_temp.link('assigned', 'p1', 'd2'), 'CL409',
                 'link type assigned is many_to_one: the from object already has a link of this type',
                 'many_to_one: a person is assigned one desk');
SELECT lives_ok(pg_temp.link('visits', 'p1', 'd1'), 'many_to_many: p1 visits d1');
SELECT lives_ok(pg_temp.link('visits', 'p1', 'd2'), 'many_to_many: and d2');
SELECT lives_ok(pg_temp.link('visits', 'p2', 'd1'), 'many_to_many: p2 visits d1');
SELECT throws_ok(pg_temp.link('visits', 'p1', 'd1'), 'CL409',
                 'link type visits is many_to_many: these objects are already linked',
                 'many_to_many: the same pair once');
SELECT throws_ok(pg_temp.link('visits', 'd1', 'p1'), 'CL422', 'link visits: the from object is not a live person',
                 'an end of the wrong type is CL422 naming the end');
SELECT throws_ok(pg_temp.link('visits', 'p1', 'p2'), 'CL422', 'link visits: the to object is not a live desk',
                 'the to end too');
SELECT throws_ok(format('SELECT api.create_link(''visits'', %L, %L)', gen_random_uuid(), pg_temp.id('d3')), 'CL422',
                 'link visits: the from object is not a live person', 'a missing end is CL422');
SELECT throws_ok(pg_temp.link('ghost', 'p1', 'd1'), 'CL404', 'link type not found', 'an unknown link type is CL404');
RESET ROLE;
SELECT is((SELECT l.one_from AND l.one_to FROM ontology.links l JOIN ontology.link_types USING (tenant_id, link_type_id)
           WHERE name = 'sits_at'), true, 'a link carries its type''s cardinality flags');
SELECT throws_ok(format($$UPDATE ontology.links SET one_to = false WHERE from_object_id = %L$$, pg_temp.id('p1')),
                 'CL403', 'a link is fixed', 'a link''s flags (or ends) never change');
SELECT throws_ok($$UPDATE ontology.link_types SET cardinality = 'one_to_one' WHERE name = 'visits'$$,
                 'CL403', 'a link type''s ends and cardinality are fixed', 'even the owner cannot change a cardinality');
ALTER TABLE ontology.link_types DISABLE TRIGGER "100_fixed";
SELECT throws_ok($$UPDATE ontology.link_types SET cardinality = 'one_to_one' WHERE name = 'visits'$$,
                 '23514', NULL, 'without the guard, checks tie the flags to the cardinality');
SELECT throws_ok($$UPDATE ontology.link_types SET cardinality = 'one_to_one', one_from = true, one_to = true WHERE name = 'visits'$$,
                 '23503', NULL, 'and the links'' foreign key to the flags holds them');
ALTER TABLE ontology.link_types ENABLE TRIGGER "100_fixed";
SELECT pg_temp.as_role('a', '{owner}');

-- listing, deleting ----------------------------------------------------------------------------
SELECT is((SELECT array_agg(link_type || ':' || direction ORDER BY link_type, direction) FROM api.list_links(pg_temp.id('d1'))),
          '{assigned:in,assigned:in,owns:in,sits_at:in,visits:in,visits:in}', 'list_links: the to side');
SELECT is((SELECT array_agg(other_object_id ORDER BY other_object_id) FROM api.list_links(pg_temp.id('p1'), 'visits')),
          (SELECT array_agg(id ORDER BY id) FROM ids WHERE name IN ('d1', 'd2')), 'list_links of one type, from side');
SELECT lives_ok(format('SELECT api.delete_link(%L)', (SELECT link_id FROM api.list_links(pg_temp.id('p1'), 'sits_at'))),
                'delete a link');
SELECT is((SELECT count(*)::int FROM api.list_links(pg_temp.id('p1'), 'sits_at')), 0, 'a deleted link is not listed');
SELECT lives_ok(pg_temp.link('sits_at', 'p2', 'd1'), 'and frees the desk for another person');
SELECT throws_ok(format('SELECT api.delete_link(%L)', gen_random_uuid()), 'CL404', 'link not found',
                 'deleting an unknown link is CL404');
SELECT throws_ok(format('SELECT * FROM api.list_links(%L)', gen_random_uuid()), 'CL404', 'object not found',
                 'listing the links of an unknown object is CL404');
SELECT throws_ok(format('SELECT * FROM api.list_links(%L, ''ghost'')', pg_temp.id('p1')), 'CL404',
                 'link type not found', 'listing by an unknown link type is CL404');
SELECT is(api.delete_object(pg_temp.id('d2'), 1), 2, 'deleting an object');
SELECT is((SELECT count(*)::int FROM api.list_links(pg_temp.id('p1'))), 3, 'deletes its links (p1 keeps owns d1, assigned d1, visits d1)');
SELECT throws_ok(pg_temp.link('visits', 'p3', 'd2'), 'CL422', 'link visits: the to object is not a live desk',
                 'a deleted object cannot be linked');

-- tools ------------------------------------------------------------------------------------------
SELECT is((SELECT row(version, changed)::text FROM api.define_tool('invoice.send', 'Send an invoice by email',
             '{"type": "object", "properties": {"invoice_id": {"type": "string"}}, "required": ["invoice_id"]}',
             'external', 'external_party', p_reversible => false)), '(1,t)', 'define a tool');
SELECT is((SELECT row(version, changed)::text FROM api.define_tool('invoice.send', 'Send an invoice by email',
             '{"type": "object", "properties": {"invoice_id": {"type": "string"}}, "required": ["invoice_id"]}',
             'external', 'external_party', p_reversible => false, p_expected_version => 1)), '(1,f)',
          'the same definition changes nothing');
SELECT throws_ok($$SELECT * FROM api.define_tool('invoice.send', 'x', '{"type": "object", "properties": {}}', 'read')$$,
                 'CL409', 'stale tool version', 'changing a tool needs its version');
SELECT throws_ok($$SELECT * FROM api.define_tool('invoice.send', 'x', '{"type": "object", "properties": {}}', 'read', p_expected_version => 3)$$,
                 'CL409', 'stale tool version', 'a stale tool version is CL409');
SELECT is((SELECT row(version, changed)::text FROM api.define_tool('invoice.send', 'Send an invoice',
             '{"type": "object", "properties": {"invoice_id": {"type": "string"}}}', 'external', 'external_party',
             p_max_objects => 1, p_reversible => false, p_expected_version => 1)), '(2,t)', 'a change bumps the version');
SELECT is(api.set_tool_enabled('invoice.send', false), 3, 'disabling bumps the version');
SELECT is(api.set_tool_enabled('invoice.send', false), 3, 'disabling again changes nothing');
SELECT is((SELECT row(enabled, max_objects, reversible, side_effect, blast_radius)::text FROM api.list_tools()),
          '(f,1,f,external,external_party)', 'list_tools shows the catalog');
SELECT is((SELECT count(*)::int FROM api.list_tools('read')), 0, 'filtered by side effect');
SELECT throws_ok($$SELECT api.set_tool_enabled('ghost', true)$$, 'CL404', 'tool not found', 'an unknown tool is CL404');
SELECT throws_ok($$SELECT * FROM api.list_tools('dangerous')$$, 'CL422', 'invalid side effect', 'an unknown side effect is CL422');
CREATE TEMP TABLE schemas (ord serial, schema jsonb, problem text);
GRANT SELECT ON schemas TO PUBLIC;
INSERT INTO schemas (schema, problem) VALUES
  ('[]', 'it is not a JSON object'),
  ('{"properties": {}}', '"type" must be "object"'),
  ('{"type": "array", "properties": {}}', '"type" must be "object"'),
  ('{"type": "object"}', '"properties" must be a JSON object'),
  ('{"type": "object", "properties": []}', '"properties" must be a JSON object'),
  ('{"type": "object", "properties": {}, "required": "a"}', '"required" must be an array of property names'),
  ('{"type": "object", "properties": {"a": {}}, "required": ["b"]}', '"required" names "b", which is not a string key of "properties"'),
  ('{"type": "object", "properties": {"a": {}}, "required": [1]}', '"required" names 1, which is not a string key of "properties"'),
  ('{"type": "object", "properties": {"a": {}}, "required": ["a", "a"]}', '"required" names a property twice');
SELECT throws_ok(format($$SELECT * FROM api.define_tool('t.x', 'x', %L, 'read')$$, s.schema), 'CL422',
                 format('input schema of tool t.x: %s', s.problem), format('input schema %s is CL422', s.schema))
FROM schemas s ORDER BY s.ord;
SELECT throws_ok($$SELECT * FROM api.define_tool('t.x', 'x', '{"type": "object", "properties": {}}', 'delete')$$, 'CL422',
                 'invalid tool t.x', 'an unknown side effect is CL422');
SELECT throws_ok($$SELECT * FROM api.define_tool('t.x', 'x', '{"type": "object", "properties": {}}', 'read', 'galaxy')$$, 'CL422',
                 'invalid tool t.x', 'an unknown blast radius is CL422');
SELECT throws_ok($$SELECT * FROM api.define_tool('t.x', 'x', '{"type": "object", "properties": {}}', 'read', p_max_objects => 0)$$, 'CL422',
                 'invalid tool t.x', 'max_objects is positive');
SELECT throws_ok($$SELECT * FROM api.define_tool('T', 'x', '{"type": "object", "properties": {}}', 'read')$$, 'CL422',
                 'invalid tool T', 'a tool name is lower-case');
SELECT is((SELECT count(*)::int FROM api.list_tools()), 1, 'no invalid tool was written');

-- who may call what ---------------------------------------------------------------------------
SELECT pg_temp.as_role('a', '{viewer}');
SELECT throws_ok($$SELECT * FROM api.create_object('person', '{}')$$, 'CL403', 'forbidden', 'a viewer cannot create objects');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 1, '{}')$$, pg_temp.id('p3')), 'CL403', 'forbidden',
                 'nor update them');
SELECT throws_ok(format($$SELECT api.delete_object(%L, 1)$$, pg_temp.id('p3')), 'CL403', 'forbidden', 'nor delete them');
SELECT throws_ok(pg_temp.link('visits', 'p3', 'd1'), 'CL403', 'forbidden', 'nor link them');
SELECT is((SELECT count(*)::int FROM api.list_objects_by_type('person')), 4, 'a viewer reads objects');
SELECT is((SELECT count(*)::int FROM api.list_tools()), 1, 'and tools');
SELECT pg_temp.as_role('a', '{operator}');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{}')$$, 'CL403', 'forbidden', 'an operator cannot define types');
SELECT throws_ok($$SELECT api.define_link_type('x', 'person', 'desk', 'one_to_one')$$, 'CL403', 'forbidden',
                 'nor link types');
SELECT throws_ok($$SELECT * FROM api.define_tool('x', 'x', '{"type": "object", "properties": {}}', 'read')$$, 'CL403',
                 'forbidden', 'nor tools');
SELECT throws_ok($$SELECT api.set_tool_enabled('invoice.send', true)$$, 'CL403', 'forbidden', 'nor enable them');
SELECT lives_ok($$SELECT * FROM api.create_object('person', '{"name": "Op"}')$$, 'an operator writes objects');
SELECT lives_ok(pg_temp.link('visits', 'p3', 'd1'), 'and links');
SELECT pg_temp.as_role('a', '{worker}');
SELECT lives_ok($$SELECT * FROM api.create_object('person', '{"name": "W"}')$$, 'a worker acting for a job writes objects');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{}')$$, 'CL403', 'forbidden', 'but defines nothing');
SELECT pg_temp.as_role('a', '{admin}', '{ontology:read}');
SELECT throws_ok($$SELECT * FROM api.create_object('person', '{}')$$, 'CL403', 'forbidden',
                 'a credential with scope ontology:read cannot write');
SELECT is((SELECT count(*)::int FROM api.list_object_types()), 2, 'but reads');
SELECT pg_temp.as_role('a', '{admin}', '{ontology:write}');
SELECT throws_ok($$SELECT * FROM api.define_object_type('x', '{}')$$, 'CL403', 'forbidden',
                 'defining needs scope ontology:admin');
SELECT pg_temp.as_role('a', '{admin}', '{ontology:admin}');
SELECT lives_ok($$SELECT * FROM api.define_object_type('x', '{}')$$, 'an admin with scope ontology:admin defines types');
SELECT throws_ok($$SELECT 1 FROM ontology.objects$$, '42501', NULL, 'the runtime role cannot read ontology tables');
RESET ROLE;
SELECT internal.clear_context();
SET LOCAL ROLE claw_runtime;
SELECT throws_ok($$SELECT * FROM api.list_object_types()$$, 'CL401', 'not authenticated', 'no context, no ontology');

-- tenant isolation ----------------------------------------------------------------------------
SELECT pg_temp.as_role('b', '{owner}');
SELECT is((SELECT count(*)::int FROM api.list_object_types()), 0, 'tenant B sees none of A''s types');
SELECT throws_ok($$SELECT * FROM api.describe_object_type('person')$$, 'CL404', 'object type not found',
                 'nor describes them');
SELECT throws_ok($$SELECT * FROM api.create_object('person', '{}')$$, 'CL404', 'object type not found',
                 'nor creates objects of them');
SELECT throws_ok(format('SELECT * FROM api.get_object(%L)', pg_temp.id('p1')), 'CL404', 'object not found',
                 'nor reads A''s objects');
SELECT throws_ok(format($$SELECT * FROM api.update_object(%L, 1, '{}')$$, pg_temp.id('p3')), 'CL404', 'object not found',
                 'nor updates them');
SELECT throws_ok(format($$SELECT api.delete_object(%L, 1)$$, pg_temp.id('p3')), 'CL404', 'object not found',
                 'nor deletes them');
SELECT throws_ok(format('SELECT * FROM api.list_links(%L)', pg_temp.id('p1')), 'CL404', 'object not found',
                 'nor lists their links');
SELECT is((SELECT count(*)::int FROM api.list_link_types()), 0, 'nor sees A''s link types');
SELECT throws_ok(pg_temp.link('visits', 'p3', 'd1'), 'CL404', 'link type not found', 'nor links with them');
SELECT is((SELECT count(*)::int FROM api.list_tools()), 0, 'nor sees A''s tools');
SELECT throws_ok($$SELECT api.set_tool_enabled('invoice.send', true)$$, 'CL404', 'tool not found', 'nor enables them');
SELECT * FROM api.define_object_type('person', '{"friend": {"kind": "reference", "type": "person"}}');
SELECT is((SELECT version FROM api.describe_object_type('person')), 1, 'B has its own type of the same name');
SELECT throws_ok(format($$SELECT * FROM api.create_object('person', '{"friend": "%s"}')$$, pg_temp.id('p1')), 'CL422',
                 'property "friend" of person: not a live person', 'a reference to A''s object is not a live object in B');
SELECT * FROM api.define_object_type('desk', '{}');
SELECT isnt(api.define_link_type('visits', 'person', 'desk', 'many_to_many'), NULL, 'B defines a link type of the same name');
SELECT throws_ok(pg_temp.link('visits', 'p3', 'd1'), 'CL422', 'link visits: the from object is not a live person',
                 'and cannot link A''s objects with it');
SELECT pg_temp.as_role('a', '{owner}');
SELECT is((SELECT version FROM api.describe_object_type('person')), 1, 'A''s type is untouched');

-- audit ---------------------------------------------------------------------------------------
RESET ROLE;
SELECT is((SELECT array_agg(DISTINCT target_table ORDER BY target_table) FROM audit.events
           WHERE tenant_id = (SELECT tenant_id FROM t WHERE name = 'a') AND target_table LIKE 'ontology.%'),
          '{ontology.link_types,ontology.links,ontology.object_types,ontology.objects,ontology.properties,ontology.tools,ontology.type_versions}',
          'every ontology table A wrote is in A''s audit chain (A has no unique property)');
SELECT is((SELECT count(*)::int FROM audit.events WHERE target_table = 'ontology.objects' AND action = 'ontology.objects.update'
           AND target_id = pg_temp.id('d2')::text AND after ? 'deleted_at' AND after ->> 'deleted_at' IS NOT NULL), 1,
          'a soft delete is an audited update');
SELECT is((SELECT count(*)::int FROM audit.events WHERE target_table = 'ontology.objects' AND (after ? 'search_text' OR before ? 'search_text')), 0,
          'search_text (bookkeeping) is left out');
SELECT is((SELECT count(*)::int FROM audit.events e JOIN t ON t.tenant_id = e.tenant_id
           WHERE t.name = 'b' AND e.target_table LIKE 'ontology.%'
             AND e.target_id IN (SELECT id::text FROM ids)), 0, 'B''s chain holds nothing of A''s objects');
SELECT is((SELECT actor_principal_id FROM audit.events WHERE action = 'ontology.tools.insert'), (SELECT principal_id FROM t WHERE name = 'a'),
          'the actor is the verified principal');

SELECT * FROM finish();
ROLLBACK;
