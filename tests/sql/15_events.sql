-- 15: the outbox in one session: the triggers write an event in the transaction of the
-- change (visible to nobody until that transaction is over, this one included), positions
-- are validated, who may read, the tables are closed to login roles, api.events_waiting's
-- input and privileges. Reading across transactions (resume, out-of-order commits,
-- retention, NOTIFY, which streams have events waiting) is in tests/test_events.py.
BEGIN;
SELECT plan(26);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice')
  UNION ALL
  SELECT 'b', * FROM tenancy.create_tenant('tenant-b', 'B', 'bob', 'Bob');
GRANT SELECT ON t TO PUBLIC;
CREATE FUNCTION pg_temp.as_role(p_name text, p_roles text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, p_roles) FROM t WHERE t.name = p_name;
  SET LOCAL ROLE claw_runtime;
END $$;

SELECT pg_temp.as_role('a', '{owner}');
SELECT lives_ok($$SELECT * FROM api.enqueue_job(p_queue => 'ev', p_kind => 'noop')$$, 'enqueue');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM events.outbox o JOIN t ON t.tenant_id = o.tenant_id
           WHERE t.name = 'a' AND o.event_type = 'jobs.enqueued'), 1,
          'the enqueue wrote its event in the same transaction');
SELECT is((SELECT xact_id FROM events.outbox LIMIT 1), pg_current_xact_id(),
          'stamped with the writing transaction');
SELECT is((SELECT o.data -> 'jobs' -> 0 FROM events.outbox o JOIN t ON t.tenant_id = o.tenant_id
           WHERE t.name = 'a' AND o.event_type = 'jobs.enqueued'),
          (SELECT pg_catalog.jsonb_build_object('job_id', j.job_id, 'kind', j.kind, 'state', j.state,
                                                'run_at', j.run_at, 'trace_id', j.trace_id)
           FROM queue.jobs j JOIN t ON t.tenant_id = j.tenant_id WHERE t.name = 'a'),
          'the event''s job entry (a row of events.job_enqueued) is the job''s fields');
SELECT is((SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attname)
           FROM pg_catalog.pg_attribute a
           WHERE a.attrelid = (SELECT ty.typrelid FROM pg_catalog.pg_type ty
                               WHERE ty.oid = 'events.job_finished'::regtype) AND a.attnum > 0),
          '{attempts,finished_at,job_id,kind,trace_id}'::text[],
          'a finished job''s entry in jobs.completed / jobs.cancelled has exactly these keys');
SELECT pg_temp.as_role('a', '{owner}');
SELECT is((SELECT count(*)::int FROM api.read_events()), 0,
          'an event is not readable while its transaction runs (not even by it)');
SELECT ok(api.current_event_position() ~ '^[0-9]+-0$', 'the current position has the position form');

-- positions and limits
SELECT throws_ok($$SELECT * FROM api.read_events(p_after => 'yesterday')$$, 'CL422',
                 'invalid event position', 'a malformed position is CL422');
SELECT throws_ok($$SELECT * FROM api.read_events(p_after => '99999999999999999999999-1')$$, 'CL422',
                 'invalid event position', 'an out-of-range position is CL422');
SELECT throws_ok($$SELECT * FROM api.read_events(p_limit => 0)$$, 'CL422', 'invalid limit',
                 'the page size is bounded');
SELECT lives_ok($$SELECT * FROM api.read_events(p_after => '12-34')$$, 'a well-formed position is read');

-- stream registrations (the outbox NOTIFYs only for watched tenants)
SELECT pg_temp.as_role('a', '{viewer}');
CREATE TEMP TABLE w AS SELECT api.watch_events() AS id;
SELECT isnt((SELECT id FROM w), NULL, 'a stream registers and gets an id');
SELECT is(api.watch_events((SELECT id FROM w)), (SELECT id FROM w), 'refreshing keeps the id');
SELECT lives_ok($$SELECT api.unwatch_events((SELECT id FROM w))$$, 'a stream unregisters');
SELECT pg_temp.as_role('a', '{}');
SELECT throws_ok($$SELECT api.watch_events()$$, 'CL403', 'forbidden',
                 'a member without a role cannot watch');

-- who may read
SELECT pg_temp.as_role('a', '{viewer}');
SELECT lives_ok($$SELECT * FROM api.read_events()$$, 'a viewer reads events');
SELECT pg_temp.as_role('a', '{}');
SELECT throws_ok($$SELECT * FROM api.read_events()$$, 'CL403', 'forbidden',
                 'a member without a role does not');
RESET ROLE;
SELECT internal.clear_context();
SET LOCAL ROLE claw_runtime;
SELECT throws_ok($$SELECT * FROM api.read_events()$$, 'CL401', 'not authenticated',
                 'without a context: CL401');
SELECT throws_ok($$SELECT * FROM events.outbox$$, '42501', NULL, 'the outbox is closed to login roles');
RESET ROLE;
SET LOCAL ROLE claw_worker;
SELECT throws_ok($$SELECT * FROM events.purge(interval '1 day')$$, '42501', NULL,
                 'retention only through api.purge_events');
RESET ROLE;

-- api.events_waiting: the per-NOTIFY question of a process holding streams (no context)
SELECT pg_temp.as_role('a', '{owner}');
CREATE TEMP TABLE watched AS SELECT api.watch_events() AS id;
RESET ROLE;
GRANT SELECT ON watched TO PUBLIC;
SET LOCAL ROLE claw_runtime;
SELECT is((SELECT count(*)::int FROM api.events_waiting((SELECT array_agg(id) FROM watched), '{NULL}')),
          0, 'an event of a transaction still running is not waiting (as api.read_events)');
SELECT is((SELECT count(*)::int FROM api.events_waiting('{00000000-0000-4000-8000-000000000000}',
                                                         '{NULL}')),
          0, 'an unknown watcher is never named');
SELECT throws_ok($$SELECT * FROM api.events_waiting((SELECT array_agg(id) FROM watched), '{}')$$,
                 'CL422', 'invalid streams', 'one position per watcher');
SELECT throws_ok($$SELECT * FROM api.events_waiting(
                     ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 2001)),
                     ARRAY(SELECT NULL::text FROM generate_series(1, 2001)))$$,
                 'CL422', 'invalid streams', 'at most 2000 streams a call');
SELECT throws_ok($$SELECT * FROM api.events_waiting((SELECT array_agg(id) FROM watched), '{x-1}')$$,
                 'CL422', 'invalid event position', 'a malformed position');
SELECT throws_ok($$SELECT * FROM events.watchers_with_events('{}', '{}')$$, '42501', NULL,
                 'the cross-tenant helper is not for login roles');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
