-- 35: relationship-based permissions in one session: the model (each rewrite kind, what a
-- model may not be), tuples (validation, idempotency, expiry, the cycle guard), check with
-- its explanation for each rewrite kind, the depth limit, list objects and subjects,
-- consistency tokens, who may call what, isolation between tenants, the audit of changes.
BEGIN;
SELECT plan(109);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('authz-a', 'A', 'alice', 'Alice')
  UNION ALL
  SELECT 'b', * FROM tenancy.create_tenant('authz-b', 'B', 'bob', 'Bob');
CREATE TEMP TABLE tok (name text PRIMARY KEY, token text);
GRANT SELECT, INSERT, UPDATE ON t, tok TO PUBLIC;

CREATE FUNCTION pg_temp.as_role(p_name text, p_roles text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, p_roles) FROM t WHERE t.name = p_name;
  SET LOCAL ROLE claw_runtime;
END $$;
CREATE FUNCTION pg_temp.move_clock(p_by interval) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_role text := current_user;
BEGIN
  RESET ROLE;
  UPDATE internal.clock SET offset_by = offset_by + p_by;
  EXECUTE format('SET LOCAL ROLE %I', v_role);
END $$;
CREATE FUNCTION pg_temp.allowed(p_object text, p_relation text, p_subject text)
RETURNS boolean LANGUAGE sql AS $$
  SELECT allowed FROM api.check_permission(p_object, p_relation, p_subject) $$;

-- ----------------------------------------------------------------------------- the model
SELECT pg_temp.as_role('a', '{owner}');
SELECT lives_ok($$
  SELECT api.define_authz_model('{"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "business": {"relations": {"admin": {"this": ["user", "team#member"]}}},
    "folder": {"relations": {"parent": {"this": ["folder"]},
                             "viewer": {"union": [{"this": ["user"]},
                                                  {"ttu": {"tupleset": "parent", "computed": "viewer"}}]}}},
    "invoice": {"relations": {
      "business": {"this": ["business"]},
      "owner": {"this": ["user"]},
      "blocked": {"this": ["user"]},
      "approver": {"union": [{"this": ["user"]}, {"computed": "owner"},
                             {"ttu": {"tupleset": "business", "computed": "admin"}}]},
      "viewer": {"exclusion": {"base": {"computed": "approver"}, "subtract": {"computed": "blocked"}}},
      "signer": {"intersection": [{"computed": "approver"}, {"computed": "owner"}]}}}}}')
$$, 'a model with this, usersets, computed, ttu, union, intersection and exclusion is accepted');
SELECT is((SELECT version FROM api.describe_authz_model()), 1, 'the model is version 1');
RESET ROLE;
SELECT ok((SELECT NOT exact FROM authz.relations WHERE object_type = 'invoice' AND relation = 'viewer')
          AND (SELECT exact FROM authz.relations WHERE object_type = 'folder' AND relation = 'viewer'),
          'relations with an exclusion are not exact; union-only ones are');
SELECT pg_temp.as_role('a', '{owner}');

SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"doc": {"relations": {"viewer": {"computed": "editor"}}}}}') $$,
  'CL422', 'invalid rewrite of doc.viewer: computed names no relation of doc',
  'computed must name a relation of the same type');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"doc": {"relations": {
    "a": {"computed": "b"}, "b": {"union": [{"computed": "a"}]}}}}}') $$,
  'CL422', 'invalid authorization model: doc.a includes itself',
  'a relation that includes itself through computed rewrites is refused');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"doc": {"relations": {
    "viewer": {"this": ["usr"]}}}}}') $$,
  'CL422', 'invalid rewrite of doc.viewer: unknown subject type "usr"',
  'this must name known subject types');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"user": {}, "doc": {"relations": {
    "parent": {"this": ["user"]}, "viewer": {"ttu": {"tupleset": "parent", "computed": "viewer"}}}}}}') $$,
  'CL422', 'invalid rewrite of doc.viewer: no type parent points at defines viewer',
  'ttu must reach a relation its tupleset''s types define');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"doc": {"relations": {"v": {"everyone": true}}}}}') $$,
  'CL422', 'invalid rewrite of doc.v: unknown rewrite everyone', 'unknown rewrites are refused');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"doc": {"relations": {"v": {"this": ["doc"], "computed": "v"}}}}}') $$,
  'CL422', 'invalid rewrite of doc.v', 'a rewrite has exactly one key');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"Doc": {}}}') $$,
  'CL422', NULL, 'type names are lower-case identifiers');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {}}', p_expected_version => 7) $$,
  'CL409', 'stale authorization model version', 'a stale expected version is CL409');
SELECT is((SELECT version FROM api.describe_authz_model()), 1, 'refused models change nothing');

-- ---------------------------------------------------------------------------- tuples
SELECT lives_ok($$
  INSERT INTO tok SELECT 'w1', consistency_token FROM api.write_tuples('[
    {"object": "team:ops", "relation": "member", "subject": "user:alice"},
    {"object": "team:all", "relation": "member", "subject": "team:ops#member"},
    {"object": "business:7", "relation": "admin", "subject": "team:all#member"},
    {"object": "invoice:42", "relation": "business", "subject": "business:7"},
    {"object": "invoice:42", "relation": "owner", "subject": "user:bob"},
    {"object": "invoice:42", "relation": "blocked", "subject": "user:carol"},
    {"object": "team:ops", "relation": "member", "subject": "user:carol"},
    {"object": "folder:root", "relation": "viewer", "subject": "user:dana"},
    {"object": "folder:a", "relation": "parent", "subject": "folder:root"},
    {"object": "folder:b", "relation": "parent", "subject": "folder:a"}]')
$$, 'tuples are written');
SELECT is((SELECT written FROM api.write_tuples('[{"object": "team:ops", "relation": "member", "subject": "user:alice"}]')),
          1, 'writing an existing tuple again is harmless');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM authz.tuples WHERE object_id = 'ops'), 2,
          'and does not duplicate it');
SELECT pg_temp.as_role('a', '{owner}');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:42", "relation": "viewer", "subject": "user:x"}]') $$,
  'CL422', 'relation takes no tuples', 'a relation without this takes no tuples');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:42", "relation": "owner", "subject": "team:ops#member"}]') $$,
  'CL422', 'subject type not allowed', 'a subject type the relation does not take is refused');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice 42", "relation": "owner", "subject": "user:x"}]') $$,
  'CL422', 'invalid object', 'a malformed object is refused');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:42", "relation": "owner", "subject": "user:x", "role": "y"}]') $$,
  'CL422', 'invalid tuple to write', 'unknown keys are refused');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:42", "relation": "owner", "subject": "user:x", "expires_at": "2001-01-01T00:00:00Z"}]') $$,
  'CL422', 'expires_at is not in the future', 'an expiry in the past is refused');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:42", "relation": "owner", "subject": "user:x", "expires_at": "soon"}]') $$,
  'CL422', 'invalid expires_at', 'a malformed expiry is refused');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:42", "relation": "owner", "subject": "user:x", "expires_at": "2999-01-01 00:00 America/Bogus"}]') $$,
  'CL422', 'invalid expires_at', 'an expiry in an unknown time zone is CL422, not 22023');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:42", "relation": "owner", "subject": "user:x", "expires_at": "2999-01-01T00:00:00+25:00"}]') $$,
  'CL422', 'invalid expires_at', 'an expiry with an offset out of range is CL422, not 22009');

-- --------------------------------------------------------------------------- cycles
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "team:ops", "relation": "member", "subject": "team:all#member"}]') $$,
  'CL409', 'the tuple would close a cycle', 'a userset tuple that closes a cycle is refused');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "team:ops", "relation": "member", "subject": "team:ops#member"}]') $$,
  'CL409', 'the tuple would close a cycle', 'a group cannot contain itself');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "folder:root", "relation": "parent", "subject": "folder:b"}]') $$,
  'CL409', 'the tuple would close a cycle', 'a tuple-to-userset cycle (folder parents) is refused');
SELECT lives_ok($$ SELECT api.write_tuples('[{"object": "folder:c", "relation": "parent", "subject": "folder:b"}]') $$,
  'a longer chain without a cycle is fine');

-- ------------------------------------------------------------------ check, each rewrite
SELECT ok(pg_temp.allowed('team:ops', 'member', 'user:alice'), 'this: a direct tuple');
SELECT ok(pg_temp.allowed('team:all', 'member', 'user:alice'), 'this: through a userset');
SELECT ok(NOT pg_temp.allowed('team:all', 'member', 'user:zed'), 'this: nobody else');
SELECT ok(pg_temp.allowed('team:all', 'member', 'team:ops#member'), 'a userset as the subject');
SELECT ok(pg_temp.allowed('team:ops', 'member', 'team:ops#member'), 'a userset includes itself');
SELECT ok(pg_temp.allowed('invoice:42', 'approver', 'user:bob'), 'computed: the owner approves');
SELECT ok(pg_temp.allowed('invoice:42', 'approver', 'user:alice'),
          'ttu: an admin of the invoice''s business approves, through two nested teams');
SELECT ok(pg_temp.allowed('folder:c', 'viewer', 'user:dana'), 'ttu recursion: a viewer of the root sees a grandchild''s child');
SELECT ok(NOT pg_temp.allowed('folder:c', 'viewer', 'user:alice'), 'ttu recursion: nobody else');
SELECT ok(pg_temp.allowed('invoice:42', 'viewer', 'user:alice'), 'exclusion: approver and not blocked');
SELECT ok(NOT pg_temp.allowed('invoice:42', 'viewer', 'user:carol'), 'exclusion: blocked carol is excluded');
SELECT ok(pg_temp.allowed('invoice:42', 'signer', 'user:bob'), 'intersection: owner and approver');
SELECT ok(NOT pg_temp.allowed('invoice:42', 'signer', 'user:alice'), 'intersection: approver only is not enough');
SELECT is((SELECT explanation -> 'because' ->> 'tuple' FROM api.check_permission('invoice:42', 'approver', 'user:alice')),
          'invoice:42#business@business:7', 'the explanation starts at the tuple-to-userset tuple');
SELECT is((SELECT array_agg(line ORDER BY step) FROM api.explain_permission('invoice:42', 'approver', 'user:alice')),
          ARRAY['invoice:42#approver', '  via tuple invoice:42#business@business:7', '  business:7#admin',
                '    via tuple business:7#admin@team:all#member', '    team:all#member',
                '      via tuple team:all#member@team:ops#member', '      team:ops#member',
                '        direct tuple team:ops#member@user:alice'],
          'explain_permission gives the whole path, tuple by tuple');
SELECT is((SELECT count(*)::int FROM api.explain_permission('invoice:42', 'viewer', 'user:carol')), 0,
          'no explanation when the check fails');
SELECT is(ARRAY(SELECT api.is_permitted(q.o, q.r, q.s) FROM (VALUES
            (1, 'team:ops', 'member', 'user:alice'), (2, 'team:all', 'member', 'user:alice'),
            (3, 'team:all', 'member', 'user:zed'), (4, 'team:all', 'member', 'team:ops#member'),
            (5, 'team:ops', 'member', 'team:ops#member'), (6, 'invoice:42', 'approver', 'user:bob'),
            (7, 'invoice:42', 'approver', 'user:alice'), (8, 'folder:c', 'viewer', 'user:dana'),
            (9, 'folder:c', 'viewer', 'user:alice'), (10, 'invoice:42', 'viewer', 'user:alice'),
            (11, 'invoice:42', 'viewer', 'user:carol'), (12, 'invoice:42', 'signer', 'user:bob'),
            (13, 'invoice:42', 'signer', 'user:alice')) AS q (i, o, r, s) ORDER BY q.i),
          ARRAY[true, true, false, true, true, true, true, true, false, true, false, true, false],
          'is_permitted answers each of these questions as check_permission does');
SELECT throws_ok($$ SELECT * FROM api.check_permission('invoice:42', 'payer', 'user:bob') $$,
  'CL422', 'unknown relation', 'a relation the type does not define is CL422');
SELECT throws_ok($$ SELECT api.is_permitted('invoice:42', 'payer', 'user:bob') $$,
  'CL422', 'unknown relation', 'is_permitted too');
SELECT throws_ok($$ SELECT * FROM api.check_permission('invoice:42', 'owner', 'user') $$,
  'CL422', 'invalid subject', 'a malformed subject is CL422');

-- ----------------------------------------------------------------------------- expiry
SELECT lives_ok($$ SELECT api.write_tuples(jsonb_build_array(jsonb_build_object(
                     'object', 'invoice:43', 'relation', 'owner', 'subject', 'user:eve',
                     'expires_at', now() + interval '1 hour'))) $$,
  'a tuple with an expiry is written');
SELECT ok(pg_temp.allowed('invoice:43', 'approver', 'user:eve'), 'it grants before its expiry');
SELECT pg_temp.move_clock(interval '61 minutes');
SELECT ok(NOT pg_temp.allowed('invoice:43', 'approver', 'user:eve'), 'an expired tuple never grants');
SELECT ok(NOT api.is_permitted('invoice:43', 'approver', 'user:eve'), 'nor is it permitted');
SELECT is((SELECT count(*)::int FROM api.list_permitted_objects('invoice', 'owner', 'user:eve')), 0,
          'nor lists');
SELECT is((SELECT expired FROM api.list_object_tuples('invoice:43')), true, 'list_object_tuples flags it expired');
SELECT pg_temp.move_clock(interval '-61 minutes');

-- --------------------------------------------------------------------------- depth
SELECT lives_ok($$
  SELECT api.write_tuples(jsonb_agg(jsonb_build_object('object', 'team:d' || i, 'relation', 'member',
                                                       'subject', 'team:d' || (i + 1) || '#member')))
  FROM generate_series(0, 29) AS i
$$, 'a chain of 30 nested teams can be written');
SELECT lives_ok($$ SELECT api.write_tuples('[{"object": "team:d30", "relation": "member", "subject": "user:deep"}]') $$,
  'with a member at the bottom');
SELECT ok(pg_temp.allowed('team:d10', 'member', 'user:deep'), '20 levels deep is answered');
SELECT throws_ok($$ SELECT * FROM api.check_permission('team:d0', 'member', 'user:deep') $$,
  'CL508', 'relationship graph too deep', 'beyond 25 nodes the check is CL508, not a hang');
SELECT ok(api.is_permitted('team:d10', 'member', 'user:deep'), 'is_permitted 20 levels deep');
SELECT throws_ok($$ SELECT api.is_permitted('team:d0', 'member', 'user:deep') $$,
  'CL508', 'relationship graph too deep', 'is_permitted beyond 25 nodes is CL508 too');
SELECT ok(NOT api.is_permitted('team:d0', 'member', 'user:stranger'),
  'is_permitted: nothing includes a stranger, at any depth');
-- a diamond of folders, 15 levels of two, each folder a child of both folders below it:
-- 2^14 paths from the top, which the explaining evaluator refuses (more than 10,000
-- evaluations); is_permitted walks each (folder, level) once and answers
SELECT lives_ok($$
  SELECT api.write_tuples(jsonb_agg(jsonb_build_object('object', 'folder:x' || l || '-' || a,
                                                       'relation', 'parent',
                                                       'subject', 'folder:x' || (l + 1) || '-' || b)))
  FROM generate_series(0, 13) AS l, generate_series(0, 1) AS a, generate_series(0, 1) AS b
$$, 'a diamond of folders 15 levels deep can be written');
SELECT throws_ok($$ SELECT * FROM api.check_permission('folder:x0-0', 'viewer', 'user:nobody') $$,
  'CL508', 'relationship graph too complex', 'check_permission refuses the diamond (2^14 paths)');
SELECT ok(NOT api.is_permitted('folder:x0-0', 'viewer', 'user:nobody'),
  'is_permitted answers it (each folder once per level): no');

-- ----------------------------------------------------------------------------- lists
SELECT is(ARRAY(SELECT object FROM api.list_permitted_objects('invoice', 'viewer', 'user:alice')),
          ARRAY['invoice:42'], 'list_objects through ttu and nested teams');
SELECT is(ARRAY(SELECT object FROM api.list_permitted_objects('invoice', 'viewer', 'user:carol')),
          '{}'::text[], 'list_objects confirms exclusions');
SELECT is(ARRAY(SELECT object FROM api.list_permitted_objects('folder', 'viewer', 'user:dana')),
          ARRAY['folder:a', 'folder:b', 'folder:c', 'folder:root'], 'list_objects through ttu recursion');
SELECT is(ARRAY(SELECT subject FROM api.list_permitted_subjects('invoice:42', 'viewer', 'user')),
          ARRAY['user:alice', 'user:bob'], 'list_subjects, excluded carol left out');
SELECT throws_ok($$ SELECT * FROM api.list_permitted_subjects('invoice:42', 'viewer', 'usr') $$,
                 'CL422', 'unknown subject type',
                 'an unknown subject type is refused, as an unknown object type is');
SELECT throws_ok($$ SELECT * FROM api.list_permitted_subjects('invoice:42', 'viewer',
                                                             'team#member') $$,
                 'CL422', 'unknown subject type', 'a userset is no subject type');

-- ----------------------------------------------------------------- consistency tokens
SELECT throws_ok($$ SELECT * FROM api.check_permission('invoice:42', 'owner', 'user:bob',
                                                       'zt1.999999.0123456789abcdef0123456789abcdef') $$,
  'CL422', 'invalid consistency token', 'a forged token is refused');
SELECT lives_ok($$ SELECT * FROM api.check_permission('invoice:42', 'owner', 'user:bob',
                                                      (SELECT token FROM tok WHERE name = 'w1')) $$,
  'the token of a write this snapshot has seen is accepted');
SELECT pg_temp.as_role('b', '{owner}');
SELECT lives_ok($$ SELECT api.define_authz_model('{"types": {"user": {}, "org": {},
    "team": {"relations": {"lead": {"this": ["user"]}}},
    "invoice": {"relations": {"owner": {"this": ["user"]}, "holder": {"this": ["team", "org"]},
                              "approver": {"union": [{"computed": "owner"},
                                                     {"ttu": {"tupleset": "holder", "computed": "lead"}}]}}}}}') $$,
  'tenant B defines its own model');
SELECT lives_ok($$ SELECT api.write_tuples('[
    {"object": "invoice:1", "relation": "holder", "subject": "org:o"},
    {"object": "invoice:1", "relation": "holder", "subject": "team:t"},
    {"object": "team:t", "relation": "lead", "subject": "user:lee"}]') $$,
  'an invoice held by an org (no lead relation) and a team');
SELECT is(ARRAY(SELECT api.is_permitted('invoice:1', 'approver', s) FROM unnest(ARRAY['user:lee', 'user:bob']) AS s)
          || ARRAY(SELECT (SELECT allowed FROM api.check_permission('invoice:1', 'approver', s))
                   FROM unnest(ARRAY['user:lee', 'user:bob']) AS s),
          ARRAY[true, false, true, false],
          'a tupleset to a type without the relation: is_permitted answers as check_permission');
SELECT throws_ok($$ SELECT * FROM api.check_permission('invoice:42', 'owner', 'user:bob',
                                                       (SELECT token FROM tok WHERE name = 'w1')) $$,
  'CL422', 'invalid consistency token', 'tenant A''s token is refused in tenant B');

-- ------------------------------------------------------------------------- isolation
SELECT ok(NOT pg_temp.allowed('invoice:42', 'owner', 'user:bob'), 'tenant B does not see tenant A''s tuples');
SELECT is((SELECT count(*)::int FROM api.list_object_tuples('invoice:42')), 0, 'nor list them');

-- ---------------------------------------------------------------------------- who
SELECT pg_temp.as_role('a', '{viewer}');
SELECT throws_ok($$ SELECT api.write_tuples('[{"object": "invoice:9", "relation": "owner", "subject": "user:v"}]') $$,
  'CL403', 'forbidden', 'a viewer cannot write tuples');
SELECT throws_ok($$ SELECT * FROM api.check_permission('invoice:42', 'owner', 'user:bob') $$,
  'CL403', 'forbidden', 'a viewer cannot ask about others');
SELECT lives_ok($$ SELECT * FROM api.check_permission('invoice:42', 'owner') $$,
  'a viewer may ask about itself');
SELECT pg_temp.as_role('a', '{viewer}');
SELECT throws_ok($$ SELECT * FROM api.list_permitted_objects('invoice', 'viewer', 'user:bob', 0) $$,
  'CL422', 'invalid limit', 'a list checks its limit before who may ask about whom');
SELECT throws_ok($$ SELECT * FROM api.list_permitted_objects('invoice', 'viewer', p_limit => NULL) $$,
  'CL422', 'invalid limit', 'a NULL limit is refused, not a list without a bound');
SELECT pg_temp.as_role('a', '{operator}');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {}}') $$,
  'CL403', 'forbidden', 'an operator cannot change the model');

-- ---------------------------------------------------------------- contract, audit
SELECT pg_temp.as_role('a', '{owner}');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"user": {}}}') $$,
  'CL409', 'the new authorization model has no place for existing tuples',
  'a model that drops relations with tuples is refused (expand/contract)');
RESET ROLE;
SELECT ok((SELECT count(*) FROM audit.events AS e JOIN t ON t.tenant_id = e.tenant_id AND t.name = 'a'
           WHERE e.action = 'authz.tuples.insert') >= 10
          AND EXISTS (SELECT 1 FROM audit.events AS e JOIN t ON t.tenant_id = e.tenant_id AND t.name = 'a'
                      WHERE e.action = 'authz.models.insert'),
          'tuple and model changes are in the tenant''s audit chain');

-- ------------------------- the walk up from a subject (authz.subject_groups, authz.memberships)
SELECT results_eq(format($$ SELECT t || ':' || id || '#' || r, depth FROM authz.subject_groups(%L,
                          'user', 'alice', '', '["team#member"]', now(), 24) ORDER BY depth $$,
                         (SELECT tenant_id FROM t WHERE name = 'a')),
  $$ VALUES ('user:alice#', 0), ('team:ops#member', 1), ('team:all#member', 2) $$,
  'the walk up: the subject, then each group it is a member of, nested, at its depth');
SELECT results_eq(format($$ SELECT t || ':' || id || '#' || r FROM authz.subject_groups(%L,
                          'user', 'alice', '', '["team#member", "business#admin"]', now(), 24)
                          WHERE depth = 3 $$, (SELECT tenant_id FROM t WHERE name = 'a')),
  $$ VALUES ('business:7#admin') $$,
  'it follows every relation it is given (a business whose admins are a team)');
SELECT is((SELECT max(depth) FROM authz.subject_groups((SELECT tenant_id FROM t WHERE name = 'a'),
             'user', 'alice', '', '["team#member"]', now(), 1)), 1,
          'and stops at the depth it is given');
SELECT is((SELECT count(*) FROM authz.memberships((SELECT tenant_id FROM t WHERE name = 'b'),
             'user', 'alice', '', '["team#member"]', now())), 0::bigint,
          'another tenant''s walk does not follow tenant a''s tuples');

-- --------------------------------------------- the reader's decision (authz.decide_in_tenant)
SELECT pg_temp.as_role('a', '{owner}');
RESET ROLE;
SET LOCAL ROLE claw_owner;
SELECT throws_ok(format($$ SELECT authz.decide_in_tenant(%L, 'invoice', '42', 'approver', 'user', 'alice', '', now()) $$,
                        (SELECT tenant_id FROM t WHERE name = 'b')),
  'CL403', 'forbidden', 'the reader decides only about the verified context''s tenant');
RESET ROLE;
SELECT internal.clear_context();
SET LOCAL ROLE claw_owner;
SELECT throws_ok($$ SELECT authz.decide_in_tenant(NULL, 'invoice', '42', 'approver', 'user', 'alice', '', now()) $$,
  'CL403', 'forbidden', 'nor, without a context, about a NULL tenant');
RESET ROLE;
SELECT is(authz.decide_rewrite((SELECT tenant_id FROM t WHERE name = 'a'),
                               authz.load_model((SELECT tenant_id FROM t WHERE name = 'a')),
                               'invoice', '42', '{"union": [{"computed": "viewer"}, {"computed": "owner"}]}',
                               'user', 'alice', '', now()),
          NULL::boolean, 'a leaf reaches cannot decide (an exclusion) hands the question to the evaluator');
SELECT is(authz.decide_rewrite((SELECT tenant_id FROM t WHERE name = 'a'),
                               authz.load_model((SELECT tenant_id FROM t WHERE name = 'a')),
                               'invoice', '42', '{"exclusion": {"base": {"computed": "approver"}, "subtract": {"computed": "blocked"}}}',
                               'user', 'alice', '', now()),
          true, 'an exclusion of two relations reaches decides is answered by two walks');

-- ---------------------------------------- a model change cannot make existing tuples a cycle
RESET ROLE;
INSERT INTO t SELECT 'c', * FROM tenancy.create_tenant('authz-c', 'C', 'carl', 'Carl');
SELECT pg_temp.as_role('c', '{owner}');
SELECT lives_ok($$ SELECT api.define_authz_model('{"types": {"user": {}, "folder": {"relations": {
    "parent": {"this": ["folder"]}, "owner": {"this": ["user"]}, "blocked": {"this": ["user"]},
    "lead": {"this": ["folder#owner"]}, "viewer": {"this": ["user"]}}}}}') $$,
  'tenant C: a model in which no relation follows parent');
SELECT lives_ok($$ SELECT api.write_tuples('[
    {"object": "folder:ca", "relation": "parent", "subject": "folder:cb"},
    {"object": "folder:cb", "relation": "parent", "subject": "folder:ca"},
    {"object": "folder:cc", "relation": "lead", "subject": "folder:cc#owner"}]') $$,
  'two folders each the other''s parent, and a folder whose lead is its owner: no cycle yet');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"user": {}, "folder": {"relations": {
    "parent": {"this": ["folder"]}, "owner": {"this": ["user"]}, "blocked": {"this": ["user"]},
    "lead": {"this": ["folder#owner"]},
    "viewer": {"union": [{"ttu": {"tupleset": "parent", "computed": "viewer"}}, {"this": ["user"]}]}}}}}') $$,
  'CL409', 'the new authorization model would make existing tuples a cycle',
  'a model whose tuple-to-userset follows the parents that point at each other is refused');
SELECT throws_ok($$ SELECT api.define_authz_model('{"types": {"user": {}, "folder": {"relations": {
    "parent": {"this": ["folder"]}, "blocked": {"this": ["user"]},
    "owner": {"union": [{"this": ["user"]}, {"computed": "lead"}]},
    "lead": {"this": ["folder#owner"]}, "viewer": {"this": ["user"]}}}}}') $$,
  'CL409', 'the new authorization model would make existing tuples a cycle',
  'a model whose computed relation closes a cycle through a userset tuple is refused');
SELECT is((SELECT version FROM api.describe_authz_model()), 1, 'the old model stays in force');
SELECT lives_ok($$ SELECT api.write_tuples(p_deletes => '[
    {"object": "folder:cb", "relation": "parent", "subject": "folder:ca"}]') $$,
  'one tuple of the cycle is deleted');
SELECT lives_ok($$ SELECT api.define_authz_model('{"types": {"user": {}, "folder": {"relations": {
    "parent": {"this": ["folder"]}, "owner": {"this": ["user"]}, "blocked": {"this": ["user"]},
    "lead": {"this": ["folder#owner"]},
    "viewer": {"union": [{"ttu": {"tupleset": "parent", "computed": "viewer"}}, {"this": ["user"]}]},
    "editor": {"union": [{"ttu": {"tupleset": "parent", "computed": "viewer"}}, {"computed": "owner"}]},
    "signer": {"intersection": [{"ttu": {"tupleset": "parent", "computed": "viewer"}}, {"computed": "owner"}]},
    "reader": {"exclusion": {"base": {"ttu": {"tupleset": "parent", "computed": "viewer"}},
                             "subtract": {"computed": "blocked"}}}}}}}') $$,
  'then the model is accepted');

-- ------------------------------------- a branch cut at the depth limit does not hide a decision
SELECT lives_ok($$
  SELECT api.write_tuples(jsonb_agg(jsonb_build_object('object', 'folder:L' || i, 'relation', 'parent',
                                                       'subject', 'folder:L' || (i + 1))))
  FROM generate_series(0, 29) AS i
$$, 'a chain of 30 parent folders');
SELECT lives_ok($$ SELECT api.write_tuples('[
    {"object": "folder:L0", "relation": "viewer", "subject": "user:alice"},
    {"object": "folder:L0", "relation": "owner", "subject": "user:bob"},
    {"object": "folder:L0", "relation": "blocked", "subject": "user:carol"}]') $$,
  'alice views the bottom folder directly, bob owns it, carol is blocked');
SELECT is((SELECT explanation FROM api.check_permission('folder:L0', 'viewer', 'user:alice')),
          '{"node": "folder:L0#viewer", "because": {"tuple": "folder:L0#viewer@user:alice"}}'::jsonb,
          'union: its first branch is cut at the depth limit, its direct tuple still holds');
SELECT ok(api.is_permitted('folder:L0', 'viewer', 'user:alice'),
          'is_permitted: a hit wins over a walk cut at the depth limit');
SELECT is(ARRAY[pg_temp.allowed('folder:L0', 'editor', 'user:bob'),
                api.is_permitted('folder:L0', 'editor', 'user:bob')],
          ARRAY[true, true], 'union: a computed branch after the cut one holds');
SELECT is(ARRAY[pg_temp.allowed('folder:L0', 'signer', 'user:alice'),
                api.is_permitted('folder:L0', 'signer', 'user:alice')],
          ARRAY[false, false], 'intersection: a false child decides it, whatever the cut one');
SELECT is(ARRAY[pg_temp.allowed('folder:L0', 'reader', 'user:carol'),
                api.is_permitted('folder:L0', 'reader', 'user:carol')],
          ARRAY[false, false], 'exclusion: a subtraction that holds decides it, whatever the cut base');
SELECT throws_ok($$ SELECT * FROM api.check_permission('folder:L0', 'viewer', 'user:zed') $$,
  'CL508', 'relationship graph too deep', 'undecided when only the cut branch could grant: CL508');
SELECT throws_ok($$ SELECT api.is_permitted('folder:L0', 'signer', 'user:bob') $$,
  'CL508', 'relationship graph too deep', 'is_permitted too (an intersection whose other child holds)');

SELECT * FROM finish();
ROLLBACK;
