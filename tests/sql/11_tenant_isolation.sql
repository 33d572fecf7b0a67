-- 11: isolation behaviour, for every tenant table, acting as claw_owner (whom FORCE ROW
-- LEVEL SECURITY binds; api functions run as it) inside tenant A's verified context, with
-- data of tenants A and B present: own rows visible; B's rows invisible to SELECT and to
-- UPDATE/DELETE ... RETURNING; inserting a copy of B's row and moving an own row into B both
-- fail with 42501. Then: no cross-tenant foreign key; tenant-scoped unique values.
BEGIN;
SELECT plan(8 * (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = ANY (internal.tenant_schemas()) AND c.relkind IN ('r','p')) + 4);

-- two tenants with a row in every tenant table (provisioning writes tenants, principals,
-- memberships, api_keys, and their audit events and chain heads)
CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice')
  UNION ALL
  SELECT 'b', * FROM tenancy.create_tenant('tenant-b', 'B', 'alice', 'Alice B');
-- queue rows of both tenants: jobs and fairness cursors through the api, a finished job
-- through a worker's claim and completion, a schedule and one of its fires; flow rows;
-- ontology rows; LLM rows
DO $$
DECLARE r record; v_token uuid; v_ids uuid[]; v_sched uuid; v_run uuid; v_obj uuid; v_llm jsonb;
BEGIN
  FOR r IN SELECT * FROM t LOOP
    PERFORM internal.set_context(r.tenant_id, r.principal_id, '{owner}');
    -- a flow run with a checkpoint, a timer, a signal and an effect intent
    SELECT run_id INTO v_run FROM api.start_flow_run(p_flow_name => 'seed.flow');
    INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, input_hash, status, output)
    VALUES (r.tenant_id, v_run, 0, 'fetch', 'step', '00', 'completed', '{}');
    INSERT INTO flow.timers (tenant_id, run_id, position, kind, wake_at)
    VALUES (r.tenant_id, v_run, 1, 'sleep', now());
    PERFORM api.send_flow_signal(v_run, 'approval', '{}');
    INSERT INTO flow.effects (tenant_id, run_id, position, provider, idempotency_key)
    VALUES (r.tenant_id, v_run, 2, 'sms', v_run::text || ':2');
    PERFORM api.enqueue_jobs('[{"queue":"seed","kind":"noop"},{"queue":"seed.done","kind":"noop","unique_key":"u1"}]');
    -- an authorization model (models, relations, rewrite edges) and a tuple (tuples, revisions)
    PERFORM api.define_authz_model('{"types": {"user": {}, "team": {"relations": {"member": {"this": ["user"]}}}}}');
    PERFORM api.write_tuples('[{"object": "team:ops", "relation": "member", "subject": "user:x"}]');
    -- a searchable document
    PERFORM api.upsert_document('hello', '[' || array_to_string(array_fill(0.0625::float8, ARRAY[256]), ',') || ']', 'test');
    INSERT INTO queue.schedules (tenant_id, name, cron, time_zone, queue, kind, next_fire_at)
    VALUES (r.tenant_id, 'daily', '0 6 * * *', 'Australia/Sydney', 'seed', 'noop', now())
    RETURNING schedule_id INTO v_sched;
    INSERT INTO queue.schedule_fires (tenant_id, schedule_id, fire_at, job_id)
    VALUES (r.tenant_id, v_sched, now() - interval '1 day', gen_random_uuid());
    -- ontology rows: a type (properties, history), an object with a unique value, a link
    -- type and a link, a tool
    PERFORM api.define_object_type('customer', '{"email": {"kind": "string", "unique": true}}');
    SELECT object_id INTO v_obj FROM api.create_object('customer', '{"email": "a@example.com"}');
    PERFORM api.define_link_type('knows', 'customer', 'customer', 'many_to_many');
    PERFORM api.create_link('knows', v_obj, v_obj);
    PERFORM api.define_tool('customer.read', 'Read a customer', '{"type": "object", "properties": {}}', 'read');
    -- the outbox has the events of the writes above; a retention watermark
    INSERT INTO events.purges (tenant_id, purged_xact_id, purged_event_id) VALUES (r.tenant_id, '1', 0);
    PERFORM api.watch_events();
    -- the edge: an idempotency key, request limits, the rate buckets
    PERFORM api.begin_idempotent_request('idem-1', 'POST', '/v1/jobs', repeat('a', 64));
    PERFORM api.finish_idempotent_request('idem-1', 201, '{}', '{}');
    PERFORM api.take_request_token();
    INSERT INTO edge.request_limits (tenant_id, tenant_per_minute, tenant_burst,
                                     credential_per_minute, credential_burst, updated_at)
    VALUES (r.tenant_id, 100, 10, 50, 5, now());
    -- LLM rows: settings, a caching route, a budget and its window, a settled reservation
    -- with its ledger row, a cache entry, a breaker, an eval run with a result
    PERFORM api.set_llm_settings('Australia/Sydney');
    PERFORM api.set_llm_route('summarise', '{gpt-4o-mini}', p_cache_ttl_seconds => 60);
    PERFORM api.set_llm_budget('tenant', 'day', 5);
    v_llm := api.begin_llm_call('summarise', 10, p_request_hash => repeat('ab', 32));
    PERFORM api.finish_llm_call((v_llm ->> 'reservation_id')::uuid,
      '[{"model": "gpt-4o-mini", "route_position": 1, "outcome": "ok", "input_tokens": 10, "output_tokens": 5}]',
      '{"text": "x"}', repeat('ab', 32));
    -- a failed attempt: the tenant's breaker row of the provider
    v_llm := api.begin_llm_call('summarise', 10);
    PERFORM api.finish_llm_call((v_llm ->> 'reservation_id')::uuid,
      '[{"model": "gpt-4o-mini", "route_position": 1, "outcome": "server_error"}]');
    PERFORM api.record_llm_eval_run('seed', 'summarise', 0.05,
      '[{"case_id": "c1", "scorer": "exact", "score": 1, "passed": true}]');
  END LOOP;
  PERFORM internal.clear_context();
  SELECT array_agg(job_id), min(lease_token::text)::uuid INTO v_ids, v_token
  FROM api.claim_jobs(p_queue => 'seed.done', p_worker => 'seed');
  PERFORM api.complete_jobs(v_ids, v_token);
END $$;
-- JWT issuer, key and subject link of both tenants (operator functions)
DO $$
DECLARE r record; v_issuer uuid;
BEGIN
  FOR r IN SELECT * FROM t LOOP
    v_issuer := tenancy.add_jwt_issuer(r.tenant_id, 'https://idp.example.test/', 'aud-' || r.name);
    PERFORM tenancy.set_jwt_keys(v_issuer, '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":"8LkghiopDFy0bkFGr9anr6OOSgzWyNWP6cOupN21hE-BFGOBvujQAf9-vOwWVw5D7SNNSS7khAkVlO6twofUzX6nAP8724qm2zj0MWfEhNf6Q88RH51DNXhZ1AagwCky-gnrxHDmFPLjv3VhCyGQoPNnu3oP3o8dwAGPZO7rIRs4fng_ADOPgtMVTgFSBDNULiRUP361paSt78_MQYxyFjLMENQYCmrwYshJxKvwANh4Ci_l4p3GVT_VbLL9_5mEbIP6Yl5OFiDgf9Ub2RRV14pzdusIUiJWko7Z1pPlEDPBs3uCZdYuurFn34qXFlKCigk_rtQ5mI_7xJanbCgU9w","e":"AQAB"}]}');
    PERFORM tenancy.link_jwt_subject(v_issuer, 'sub-' || r.name, r.principal_id);
  END LOOP;
  PERFORM internal.clear_context();
END $$;
-- a sample row of B from every tenant table, read before RLS applies (we are superuser)
CREATE TEMP TABLE samples (tbl regclass, b_row jsonb);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS tbl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY (internal.tenant_schemas()) AND c.relkind IN ('r','p') LOOP
    EXECUTE format('INSERT INTO samples SELECT %L, to_jsonb(x) FROM %s x WHERE tenant_id = %L LIMIT 1',
                   r.tbl, r.tbl, (SELECT tenant_id FROM t WHERE name = 'b'));
  END LOOP;
END $$;
GRANT SELECT ON t, samples TO PUBLIC;

-- One statement under A's context as claw_owner; returns the row count, or the SQLSTATE.
CREATE FUNCTION pg_temp.as_a(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE 'WITH r AS (' || p_sql || ') SELECT count(*) FROM r' INTO n;
  RETURN n::text;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

-- A's owner, with Claw's own system role too: the widest context a tenant can have, so every
-- permissive policy applies and only the tenant policy stands between A and B.
SELECT internal.set_context((SELECT tenant_id FROM t WHERE name = 'a'),
                            (SELECT principal_id FROM t WHERE name = 'a'), '{owner,system}');
SET LOCAL ROLE claw_owner;

SELECT ok(pg_temp.as_a(format('SELECT 1 FROM %s WHERE tenant_id = %L', s.tbl, a.tenant_id))::int > 0,
          s.tbl || ': own rows are visible')
FROM samples s, t a WHERE a.name = 'a' ORDER BY s.tbl::text;
SELECT is(pg_temp.as_a(format('SELECT 1 FROM %s WHERE tenant_id <> %L', s.tbl, a.tenant_id)), '0',
          s.tbl || ': no row of another tenant is visible')
FROM samples s, t a WHERE a.name = 'a' ORDER BY s.tbl::text;
SELECT is(pg_temp.as_a(format('SELECT 1 FROM %s WHERE tenant_id = %L', s.tbl, s.b_row ->> 'tenant_id')), '0',
          s.tbl || ': B''s rows are invisible even when asked for by tenant_id')
FROM samples s ORDER BY s.tbl::text;
SELECT ok(pg_temp.as_a(format('UPDATE %s SET tenant_id = tenant_id WHERE tenant_id = %L RETURNING 1',
                              s.tbl, s.b_row ->> 'tenant_id')) IN ('0', '42501'),
          s.tbl || ': UPDATE ... RETURNING reaches no row of B')
FROM samples s ORDER BY s.tbl::text;
SELECT ok(pg_temp.as_a(format('DELETE FROM %s WHERE tenant_id = %L RETURNING 1',
                              s.tbl, s.b_row ->> 'tenant_id')) IN ('0', '42501'),
          s.tbl || ': DELETE ... RETURNING reaches no row of B')
FROM samples s ORDER BY s.tbl::text;
SELECT is(pg_temp.as_a(format('INSERT INTO %s (%s) SELECT %2$s FROM jsonb_populate_record(NULL::%1$s, %3$L) RETURNING 1',
                              s.tbl, (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                                      FROM pg_attribute AS a
                                      WHERE a.attrelid = s.tbl AND a.attnum > 0 AND NOT a.attisdropped
                                        AND a.attgenerated = ''), s.b_row)), '42501',
          s.tbl || ': inserting a row into B is refused (42501)')
FROM samples s ORDER BY s.tbl::text;
-- Refused by RLS (42501), or earlier by a guard trigger (CL403, the ledger), or, where no
-- policy permits UPDATE at all, by reaching no row.
SELECT ok(pg_temp.as_a(format('UPDATE %s SET tenant_id = %L WHERE tenant_id = %L RETURNING 1',
                              s.tbl, s.b_row ->> 'tenant_id', a.tenant_id))
          = ANY (CASE WHEN EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = s.tbl
                                   AND p.polpermissive AND p.polcmd IN ('w', '*'))
                      THEN ARRAY['42501', 'CL403'] ELSE ARRAY['42501', 'CL403', '0'] END),
          s.tbl || ': moving an own row into B is refused')
FROM samples s, t a WHERE a.name = 'a' ORDER BY s.tbl::text;
SELECT ok(s.b_row IS NOT NULL, s.tbl || ': the test had a row of B to attack')
FROM samples s ORDER BY s.tbl::text;

-- composite foreign keys: A's membership cannot point at B's principal
SELECT is(pg_temp.as_a(format(
  'INSERT INTO tenancy.memberships (tenant_id, principal_id, role) VALUES (%L, %L, ''viewer'') RETURNING 1',
  a.tenant_id, b.principal_id)), '23503', 'a cross-tenant foreign key is impossible (23503)')
FROM t a, t b WHERE a.name = 'a' AND b.name = 'b';
SELECT is(pg_temp.as_a(format(
  'INSERT INTO tenancy.api_keys (tenant_id, principal_id, name, prefix, secret_hash) VALUES (%L, %L, ''x'', ''x'', sha256(''x'')) RETURNING 1',
  a.tenant_id, b.principal_id)), '23503', 'an API key cannot belong to another tenant''s principal')
FROM t a, t b WHERE a.name = 'a' AND b.name = 'b';

RESET ROLE;
-- tenant-scoped uniqueness: both tenants have a principal 'alice' and a key 'initial owner key'
SELECT is((SELECT count(DISTINCT tenant_id)::int FROM tenancy.principals WHERE handle = 'alice'), 2,
          'two tenants hold the same principal handle');
SELECT is((SELECT count(DISTINCT tenant_id)::int FROM tenancy.api_keys WHERE name = 'initial owner key'), 2,
          'two tenants hold the same API key name');

SELECT * FROM finish();
ROLLBACK;
