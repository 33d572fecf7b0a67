-- 20: the queue's SQL API in one session: enqueue (validation, dedupe), who may call what,
-- claim / complete / fail by lease token, backoff, dead letters, retry, cancel, pause,
-- concurrency and rate limits, lease expiry (moving internal.clock), the lease-bound tenant
-- context, isolation between tenants, history partitions.
BEGIN;
SELECT plan(92);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice')
  UNION ALL
  SELECT 'b', * FROM tenancy.create_tenant('tenant-b', 'B', 'bob', 'Bob');
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid, token uuid);
GRANT SELECT, INSERT, UPDATE ON t, ids TO PUBLIC;

-- act as a tenant's owner (verified context), then as the runtime role
CREATE FUNCTION pg_temp.as_owner(p_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, '{owner}') FROM t WHERE t.name = p_name;
  SET LOCAL ROLE claw_runtime;
END $$;
CREATE FUNCTION pg_temp.as_worker() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.clear_context();
  SET LOCAL ROLE claw_worker;
END $$;
CREATE FUNCTION pg_temp.move_clock(p_by interval) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_role text := current_user;
BEGIN
  RESET ROLE;
  UPDATE internal.clock SET offset_by = offset_by + p_by;
  EXECUTE format('SET LOCAL ROLE %I', v_role);
END $$;

-- enqueue -------------------------------------------------------------------------------
SELECT pg_temp.as_owner('a');
INSERT INTO ids (name, id) SELECT 'first', job_id FROM api.enqueue_job(p_queue => 'q1', p_kind => 'noop');
SELECT is((SELECT state FROM api.get_job((SELECT id FROM ids WHERE name = 'first'))), 'available',
          'an enqueued job is available');
INSERT INTO ids (name, id)
  SELECT 'uniq', job_id FROM api.enqueue_job(p_queue => 'q1', p_kind => 'noop', p_unique_key => 'k1');
SELECT is((SELECT row(job_id, deduplicated)::text FROM api.enqueue_job(p_queue => 'q1', p_kind => 'noop',
                                                                       p_unique_key => 'k1')),
          (SELECT row(id, true)::text FROM ids WHERE name = 'uniq'),
          'the same unique key while waiting returns the waiting job, deduplicated');
SELECT is((SELECT array_agg(deduplicated ORDER BY ord)
           FROM api.enqueue_jobs('[{"queue":"q9","kind":"noop","unique_key":"x"},
                                   {"queue":"q9","kind":"noop","unique_key":"x"},
                                   {"queue":"q9","kind":"noop"}]') WITH ORDINALITY AS e(job_id, deduplicated, ord)),
          '{f,t,f}', 'a batch dedupes within itself and answers per spec, in order');
SELECT throws_ok($$SELECT * FROM api.enqueue_jobs('[{"queue":"q1","kind":"noop"},{"queue":"Q!","kind":"noop"}]')$$,
                 'CL422', 'invalid job', 'a bad queue name is CL422');
SELECT throws_like($$SELECT * FROM api.enqueue_jobs('[{"queue":"q1","kind":"noop","colour":"red"}]')$$,
                   '%invalid job%', 'an unknown field is refused');
SELECT throws_ok($$SELECT * FROM api.enqueue_jobs('{"queue":"q1"}')$$, 'CL422', 'invalid job batch',
                 'a batch must be an array');
SELECT throws_ok($$SELECT * FROM api.enqueue_jobs('[{"queue":"q1","kind":"noop","priority":1000}]')$$,
                 'CL422', 'invalid job', 'priority is bounded');
SELECT throws_ok($$SELECT * FROM api.enqueue_jobs('[{"queue":"q1","kind":"noop","run_at":"soon"}]')$$,
                 'CL422', 'invalid job', 'run_at must be a timestamp');
INSERT INTO ids (name, id) SELECT 'later', job_id
  FROM api.enqueue_job(p_queue => 'q1', p_kind => 'noop', p_run_at => now() + interval '1 hour');
SELECT is((SELECT state FROM api.get_job((SELECT id FROM ids WHERE name = 'later'))), 'scheduled',
          'a future run_at is scheduled');

-- api.enqueue_job's short path (no unique key) keeps the batch path's rules and fair keys
SELECT throws_like($$SELECT * FROM api.enqueue_job(p_queue => 'q1', p_kind => 'noop', p_priority => 1000)$$,
                   '%invalid job%', 'enqueue_job: priority is bounded, as in a batch');
SELECT throws_ok($$SELECT * FROM api.enqueue_job(p_queue => 'Q!', p_kind => 'noop')$$,
                 'CL422', 'invalid job', 'enqueue_job: a bad queue name is CL422');
SELECT throws_ok($$SELECT * FROM api.enqueue_job(p_queue => 'q1', p_kind => NULL)$$,
                 'CL422', 'invalid job', 'enqueue_job: a job needs a kind');
SELECT throws_ok($$SELECT * FROM api.enqueue_job(p_queue => 'q1', p_kind => 'noop', p_payload => 'null')$$,
                 'CL422', 'invalid job', 'enqueue_job: a JSON null payload is CL422, as in a batch');
SET LOCAL claw.trace_id = 'trace-short-path';
INSERT INTO ids (name, id) SELECT 'fair1', job_id
  FROM api.enqueue_job(p_queue => 'qfair', p_kind => 'noop', p_payload => '{"a": null, "b": [null]}');
INSERT INTO ids (name, id) SELECT 'fair2', max(job_id::text)::uuid
  FROM api.enqueue_jobs('[{"queue":"qfair","kind":"noop"},{"queue":"qfair","kind":"noop"}]');
INSERT INTO ids (name, id) SELECT 'fair3', job_id FROM api.enqueue_job(p_queue => 'qfair', p_kind => 'noop');
SET LOCAL claw.trace_id = '';
SELECT is((SELECT payload FROM api.get_job((SELECT id FROM ids WHERE name = 'fair1'))),
          '{"a": null, "b": [null]}'::jsonb, 'enqueue_job stores the payload as given, nulls kept');
SELECT is((SELECT trace_id FROM api.get_job((SELECT id FROM ids WHERE name = 'fair1'))),
          'trace-short-path', 'enqueue_job takes the trace id of the transaction');
RESET ROLE;
SELECT ok(queue.job_args_plainly_valid('q1', 'noop', '{}', 0, NULL, 5),
          'the pre-check passes the everyday job (it takes the short path)');
SELECT ok(NOT queue.job_args_plainly_valid('q1', 'noop', '[]', 0, NULL, 5)
          AND NOT queue.job_args_plainly_valid('q1', 'noop', '{}', 101, NULL, 5)
          AND queue.job_args_plainly_valid(NULL, 'noop', '{}', 0, NULL, 5) IS NOT TRUE,
          'the pre-check sends a bad payload, priority or a missing queue the batch''s way');
SELECT is((SELECT array_agg(j.fair_key - f.fair_key ORDER BY j.fair_key)
           FROM queue.jobs AS j, queue.jobs AS f
           WHERE j.queue = 'qfair' AND f.job_id = (SELECT id FROM ids WHERE name = 'fair1')),
          '{0,1,2,3}'::bigint[], 'single and batch enqueues of a tenant take consecutive fair keys');
SELECT is((SELECT count(*)::int FROM events.outbox AS o
           WHERE o.event_type = 'jobs.enqueued'
             AND o.data -> 'jobs' -> 0 ->> 'job_id' = (SELECT id::text FROM ids WHERE name = 'fair3')),
          1, 'the short path writes its jobs.enqueued event');
-- fair keys are per priority; a delayed job has none until it comes due
SELECT is((SELECT fair_key FROM queue.jobs WHERE job_id = (SELECT id FROM ids WHERE name = 'later')),
          NULL, 'a job delayed to later has no fair key yet');
SELECT is((SELECT array_agg(c.priority ORDER BY c.priority) FROM queue.tenant_cursors AS c
           WHERE c.queue = 'q1' AND c.tenant_id = (SELECT tenant_id FROM t WHERE name = 'a')),
          '{0}'::smallint[], 'its tenant''s cursor row exists for when it comes due');
SELECT is(queue.take_fair_keys((SELECT tenant_id FROM t WHERE name = 'a'), 'qprio', 5::smallint, 0),
          NULL, 'take_fair_keys(0) only makes sure the cursor row exists');
SELECT is(queue.take_fair_keys((SELECT tenant_id FROM t WHERE name = 'a'), 'qprio', 5::smallint, 3),
          3::bigint, 'a cursor at a new priority starts from that priority''s head');
SELECT is(queue.take_fair_keys((SELECT tenant_id FROM t WHERE name = 'b'), 'qprio', 0::smallint, 1),
          1::bigint, 'another priority''s keys do not move this one''s head');
SELECT throws_ok($$INSERT INTO queue.jobs (tenant_id, queue, kind, state, run_at)
                   SELECT tenant_id, 'qprio', 'noop', 'available', now() FROM t WHERE name = 'a'$$,
                 '23514', NULL, 'a job that is due always has a fair key');
SELECT pg_temp.as_owner('a');

-- who may call what -----------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM api.claim_jobs(p_queue => 'q1', p_worker => 'w')$$, '42501', NULL,
                 'the runtime role cannot claim jobs');
SELECT pg_temp.as_worker();
SELECT throws_ok($$SELECT * FROM api.enqueue_job(p_queue => 'q1', p_kind => 'noop')$$, 'CL401', NULL,
                 'a worker without a job''s context cannot enqueue');
SELECT throws_ok($$SELECT * FROM api.claim_jobs(p_queue => 'q1', p_worker => 'w', p_limit => 0)$$,
                 'CL422', 'invalid batch size', 'claim sizes are bounded');

-- claim, complete, stale tokens -------------------------------------------------------------
INSERT INTO ids (name, id, token)
  SELECT 'c' || row_number() OVER (), job_id, lease_token
  FROM api.claim_jobs(p_queue => 'q1', p_worker => 'w1', p_limit => 2);
SELECT is((SELECT count(*)::int FROM ids WHERE name LIKE 'c%'), 2, 'claim takes up to p_limit jobs');
SELECT is((SELECT count(DISTINCT token)::int FROM ids WHERE name LIKE 'c%'), 1, 'one lease token per claim');
SELECT throws_ok($$SELECT api.complete_jobs(ARRAY(SELECT id FROM ids WHERE name LIKE 'c%'), gen_random_uuid())$$,
                 'CL409', 'lease not held', 'completing with another token is CL409');
SELECT is(api.complete_jobs(ARRAY(SELECT id FROM ids WHERE name LIKE 'c%'),
                            (SELECT token FROM ids WHERE name = 'c1')), 2, 'the holder completes its jobs');
SELECT throws_ok($$SELECT api.complete_jobs(ARRAY(SELECT id FROM ids WHERE name = 'c1'),
                                             (SELECT token FROM ids WHERE name = 'c1'))$$,
                 'CL409', 'lease not held', 'completing twice is CL409');
SELECT pg_temp.as_owner('a');
SELECT is((SELECT state FROM api.get_job((SELECT id FROM ids WHERE name = 'c1'))), 'completed',
          'a completed job is in the history');
SELECT pg_temp.as_owner('b');
SELECT throws_ok($$SELECT * FROM api.get_job((SELECT id FROM ids WHERE name = 'c1'))$$, 'CL404', NULL,
                 'another tenant cannot see the job');

-- fail, backoff, dead letters, retry --------------------------------------------------------
SELECT pg_temp.as_owner('a');
INSERT INTO ids (name, id) SELECT 'f', job_id
  FROM api.enqueue_job(p_queue => 'qf', p_kind => 'noop', p_max_attempts => 2);
SELECT pg_temp.as_worker();
UPDATE ids SET token = c.lease_token FROM api.claim_jobs(p_queue => 'qf', p_worker => 'w1') c WHERE name = 'f';
SELECT is((SELECT row(state, attempts)::text FROM api.fail_job((SELECT id FROM ids WHERE name = 'f'),
                                                           (SELECT token FROM ids WHERE name = 'f'), 'boom 1')),
          '(scheduled,1)', 'a failed attempt is retried later');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qf', p_worker => 'w1')), 0,
          'not before its backoff');
SELECT pg_temp.move_clock(interval '2 seconds');
UPDATE ids SET token = c.lease_token FROM api.claim_jobs(p_queue => 'qf', p_worker => 'w1') c WHERE name = 'f';
SELECT is((SELECT row(state, attempts)::text FROM api.fail_job((SELECT id FROM ids WHERE name = 'f'),
                                                           (SELECT token FROM ids WHERE name = 'f'), 'boom 2')),
          '(dead,2)', 'after the last attempt the job is dead');
SELECT pg_temp.as_owner('a');
SELECT is((SELECT array_agg(e ->> 'error') FROM api.get_job((SELECT id FROM ids WHERE name = 'f')) g,
           jsonb_array_elements(g.errors) e), '{"boom 1","boom 2"}', 'a dead job keeps every error');
SELECT is((SELECT count(*)::int FROM api.list_jobs(p_state => 'dead')), 1, 'dead letters are listed');
SELECT lives_ok($$SELECT api.retry_job((SELECT id FROM ids WHERE name = 'f'))$$, 'a dead job can be retried');
SELECT is((SELECT row(state, attempts)::text FROM api.get_job((SELECT id FROM ids WHERE name = 'f'))),
          '(available,0)', 'retried: available, attempts start over');
SELECT throws_ok($$SELECT api.retry_job((SELECT id FROM ids WHERE name = 'f'))$$, 'CL409', 'job is not dead',
                 'only dead jobs are retried');

-- cancel ----------------------------------------------------------------------------------
SELECT lives_ok($$SELECT api.cancel_job((SELECT id FROM ids WHERE name = 'f'))$$, 'a waiting job can be cancelled');
SELECT is((SELECT state FROM api.get_job((SELECT id FROM ids WHERE name = 'f'))), 'cancelled', 'cancelled');
SELECT throws_ok($$SELECT api.cancel_job((SELECT id FROM ids WHERE name = 'f'))$$, 'CL409', 'job already finished',
                 'a finished job cannot be cancelled');
SELECT throws_ok($$SELECT api.cancel_job(gen_random_uuid())$$, 'CL404', 'job not found', 'unknown job');
-- a running job: marked, then cancelled at its holder's next heartbeat
INSERT INTO ids (name, id) SELECT 'run', job_id FROM api.enqueue_job(p_queue => 'qc', p_kind => 'noop');
SELECT pg_temp.as_worker();
UPDATE ids SET token = c.lease_token FROM api.claim_jobs(p_queue => 'qc', p_worker => 'w1') c WHERE name = 'run';
SELECT pg_temp.as_owner('a');
SELECT is(api.cancel_job((SELECT id FROM ids WHERE name = 'run')), 'cancelling',
          'a running job is marked for cancellation');
SELECT is((SELECT state FROM api.get_job((SELECT id FROM ids WHERE name = 'run'))), 'running',
          'it runs until its worker hears of it');
SELECT pg_temp.as_worker();
SELECT is((SELECT count(*)::int FROM api.heartbeat_jobs(ARRAY(SELECT id FROM ids WHERE name = 'run'),
                                                       (SELECT token FROM ids WHERE name = 'run'))), 0,
          'the heartbeat no longer holds it (the worker cancels its handler)');
SELECT throws_ok($$SELECT api.complete_jobs(ARRAY(SELECT id FROM ids WHERE name = 'run'),
                                             (SELECT token FROM ids WHERE name = 'run'))$$,
                 'CL409', 'lease not held', 'a late completion of a cancelled job is refused');
SELECT pg_temp.as_owner('a');
SELECT is((SELECT state FROM api.get_job((SELECT id FROM ids WHERE name = 'run'))), 'cancelled',
          'and it is in the history as cancelled');
-- released at shutdown, or failing, before that heartbeat: cancelled too, never back in line
INSERT INTO ids (name, id) SELECT 'rel', job_id FROM api.enqueue_job(p_queue => 'qr', p_kind => 'noop');
INSERT INTO ids (name, id) SELECT 'fl', job_id FROM api.enqueue_job(p_queue => 'qx', p_kind => 'noop');
SELECT pg_temp.as_worker();
UPDATE ids SET token = c.lease_token FROM api.claim_jobs(p_queue => 'qr', p_worker => 'w1') c WHERE name = 'rel';
UPDATE ids SET token = c.lease_token FROM api.claim_jobs(p_queue => 'qx', p_worker => 'w1') c WHERE name = 'fl';
SELECT pg_temp.as_owner('a');
SELECT api.cancel_job(id) FROM ids WHERE name IN ('rel', 'fl');
SELECT pg_temp.as_worker();
SELECT is(api.release_jobs(ARRAY(SELECT id FROM ids WHERE name = 'rel'), (SELECT token FROM ids WHERE name = 'rel')),
          1, 'a release lets the cancelled job go');
SELECT is((SELECT state FROM api.fail_job((SELECT id FROM ids WHERE name = 'fl'), (SELECT token FROM ids WHERE name = 'fl'),
                                          'boom')), 'cancelled', 'a failing cancelled job is cancelled, not retried');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qr', p_worker => 'w2'))
          + (SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qx', p_worker => 'w2')), 0,
          'neither is claimed again');
SELECT pg_temp.as_owner('a');
SELECT is((SELECT array_agg(g.state ORDER BY i.name) FROM ids AS i CROSS JOIN LATERAL api.get_job(i.id) AS g
           WHERE i.name IN ('rel', 'fl')), '{cancelled,cancelled}', 'both are in the history as cancelled');

-- pause, concurrency limit, rate limit ------------------------------------------------------
SELECT pg_temp.as_owner('a');
SELECT count(*) FROM api.enqueue_jobs((SELECT jsonb_agg(jsonb_build_object('queue', 'ql', 'kind', 'noop'))
                                       FROM generate_series(1, 5)));
SELECT count(*) FROM api.enqueue_jobs((SELECT jsonb_agg(jsonb_build_object('queue', 'qr', 'kind', 'noop',
                                                                           'rate_key', 'api.example'))
                                       FROM generate_series(1, 30)));
RESET ROLE;
SELECT queue.configure_queue(p_queue => 'ql', p_paused => true);
SELECT pg_temp.as_worker();
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'ql', p_worker => 'w1')), 0,
          'a paused queue gives no jobs');
RESET ROLE;
SELECT queue.configure_queue(p_queue => 'ql', p_paused => false, p_concurrency_limit => 2);
SELECT queue.set_rate_limit(p_rate_key => 'api.example', p_per_second => 10, p_burst => 10);
SELECT pg_temp.as_worker();
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'ql', p_worker => 'w1', p_limit => 10)), 2,
          'a concurrency limit of 2 gives 2 of 5');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'ql', p_worker => 'w2', p_limit => 10)), 0,
          'and none while 2 run');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qr', p_worker => 'w1', p_limit => 100)), 10,
          'a rate limit of 10/s with burst 10 starts 10 of 30');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qr', p_worker => 'w1', p_limit => 100)), 0,
          'and no more in the same instant');
SELECT pg_temp.move_clock(interval '1 second');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qr', p_worker => 'w2', p_limit => 100)), 10,
          'one second later, 10 more');

-- lease expiry, act_as_job ------------------------------------------------------------------
SELECT pg_temp.as_owner('b');
INSERT INTO ids (name, id) SELECT 'l', job_id
  FROM api.enqueue_job(p_queue => 'qe', p_kind => 'noop', p_max_attempts => 2);
SELECT pg_temp.as_worker();
UPDATE ids SET token = c.lease_token
  FROM api.claim_jobs(p_queue => 'qe', p_worker => 'w1', p_lease_seconds => 5) c WHERE name = 'l';
SELECT is(api.act_as_job((SELECT id FROM ids WHERE name = 'l'), (SELECT token FROM ids WHERE name = 'l')),
          (SELECT tenant_id FROM t WHERE name = 'b'), 'act_as_job: the context of the job''s tenant');
SELECT is((SELECT count(*)::int FROM api.enqueue_job(p_queue => 'qe2', p_kind => 'noop')), 1,
          'inside it the worker can enqueue for that tenant');
SELECT is((SELECT tenant_id FROM api.whoami()), (SELECT tenant_id FROM t WHERE name = 'b'),
          'and acts as that tenant only');
SELECT pg_temp.move_clock(interval '10 seconds');
SELECT throws_ok($$SELECT api.act_as_job((SELECT id FROM ids WHERE name = 'l'), (SELECT token FROM ids WHERE name = 'l'))$$,
                 'CL409', 'lease not held', 'an expired lease gives no context');
UPDATE ids SET token = c.lease_token
  FROM api.claim_jobs(p_queue => 'qe', p_worker => 'w2', p_lease_seconds => 5) c WHERE name = 'l';
SELECT throws_ok($$SELECT 1 FROM queue.jobs$$, '42501', NULL, 'the worker role cannot read the jobs table');
SELECT pg_temp.move_clock(interval '10 seconds');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qe', p_worker => 'w3')), 0,
          'an expired lease on the last attempt is not handed out again');
RESET ROLE;
SELECT is((SELECT row(state, attempts, jsonb_array_length(errors))::text FROM queue.jobs
           WHERE job_id = (SELECT id FROM ids WHERE name = 'l')), '(dead,2,2)',
          'it is dead, with both expiries in its errors');
SELECT ok((SELECT errors -> 0 ->> 'error' LIKE 'lease expired%' FROM queue.jobs
           WHERE job_id = (SELECT id FROM ids WHERE name = 'l')), 'recorded as lease expired');

-- backoff, notify, history partitions -------------------------------------------------------
SELECT ok((SELECT bool_and(queue.backoff('zz', 1) BETWEEN interval '0.75 s' AND interval '1.25 s')
           FROM generate_series(1, 50)), 'first retry after about a second (jitter 0.75-1.25)');
SELECT ok((SELECT bool_and(queue.backoff('zz', 5) BETWEEN interval '12 s' AND interval '20 s')
           FROM generate_series(1, 50)), 'fifth retry after about 16 seconds');
SELECT is((SELECT tgtype & 1 FROM pg_trigger WHERE tgrelid = 'queue.jobs'::regclass AND tgname = '900_notify')::int,
          0, 'the NOTIFY trigger is per statement, not per row');
SELECT ok(queue.notify_tag('payroll') ~ '^q[0-9a-f]{24}$' AND queue.notify_tag('payroll') = queue.notify_tag('payroll')
          AND queue.notify_tag('payroll') <> queue.notify_tag('payrolm'),
          'a NOTIFY payload is a stable keyed tag per queue, not the queue name');
SELECT ok(NOT has_function_privilege('claw_runtime', 'queue.notify_tag(text)', 'EXECUTE')
          AND has_function_privilege('claw_dispatcher', 'queue.notify_tag(text)', 'EXECUTE'),
          'applications cannot compute a tag to confirm a guessed queue name; the dispatcher can');
SELECT ok(cardinality(queue.maintain_history(14)) >= 5, 'maintenance creates day partitions');
SELECT is((SELECT count(*)::int FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'queue.job_history'::regclass
             AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                      AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive))),
          0, 'every history partition has RLS forced and the restrictive tenant policy');

-- waiting workers (functions/queue/waiting.sql) ---------------------------------------------
SELECT pg_temp.as_worker();
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qw', p_worker => 'ww1',
                                                     p_idle_runners => 3)), 0, 'nothing to claim in qw');
SELECT throws_ok($$SELECT * FROM api.claim_jobs(p_queue => 'qw', p_worker => 'ww1', p_idle_runners => -1)$$,
                 'CL422', 'invalid idle runner count', 'a negative idle runner count is refused');
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qw', p_worker => 'ww2')), 0,
          'a claim without p_idle_runners (a custom worker)');
RESET ROLE;
SELECT is(ARRAY(SELECT worker FROM internal.waiting_workers WHERE queue = 'qw'), ARRAY['ww1'],
          'a short claim with a free runner registers its worker; one without p_idle_runners does not');
SELECT pg_temp.as_owner('a');
SELECT is((SELECT count(*)::int FROM api.enqueue_jobs(p_jobs => '[{"queue": "qw", "kind": "noop"},
                                                               {"queue": "qw", "kind": "noop"}]')),
          2, 'two jobs for qw');
SELECT pg_temp.as_worker();
SELECT is((SELECT count(*)::int FROM api.claim_jobs(p_queue => 'qw', p_worker => 'ww1', p_limit => 2,
                                                     p_idle_runners => 5)), 2, 'a full claim');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM internal.waiting_workers WHERE worker = 'ww1'), 0,
          'a claim that fills its limit takes the registration away');
-- the liveness lock the registration took stays with the session (queue.note_waiting), and
-- the session can tell it holds it: what makes claw.waiting_as believed
SELECT ok(queue.holds_liveness_lock('ww1'),
          'the session holds the liveness lock of the worker it registered');
SELECT ok(NOT queue.holds_liveness_lock('ww2'), 'and not that of a worker it never registered');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['claw_runtime', 'claw_worker', 'claw_admin', 'claw_auditor']) AS r
           WHERE has_function_privilege(r, 'queue.holds_liveness_lock(text)', 'EXECUTE')),
          0, 'no login role may call queue.holds_liveness_lock');
SELECT is(queue.worker_channel('web-1:4242'),
          'claw_w_' || left(encode(sha256(convert_to('web-1:4242', 'UTF8')), 'hex'), 32),
          'a worker''s channel is claw_w_ and 32 hex digits of the sha256 of its name');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['claw_runtime', 'claw_worker', 'claw_admin', 'claw_auditor']) AS r
           WHERE has_function_privilege(r, 'queue.wake_workers(text, bigint)', 'EXECUTE')
              OR has_table_privilege(r, 'internal.waiting_workers', 'SELECT, INSERT, UPDATE, DELETE')),
          0, 'no login role may wake workers or touch the registry itself');

-- the lifelong checks as domains (migrations/0056): checked on a write, not on a claim
RESET ROLE;
SELECT is((SELECT pg_catalog.array_agg(n.nspname || '.' || ty.typname ORDER BY a.attname)
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
           JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace
           WHERE a.attrelid = 'queue.jobs'::regclass
             AND a.attname IN ('queue', 'kind', 'payload', 'errors')),
          '{queue.json_array,queue.job_kind,queue.json_object,queue.queue_name}'::text[],
          'queue.jobs holds its queue, kind, payload and errors as the checked domains');
SELECT throws_ok(format($$INSERT INTO queue.jobs (tenant_id, queue, kind, state, run_at, fair_key)
                          VALUES (%L, 'q1', 'Bad Kind', 'available', now(), 1)$$,
                        (SELECT tenant_id FROM t WHERE name = 'a')),
                 '23514', NULL, 'a bad kind is refused on insert');
SELECT throws_ok($$UPDATE queue.jobs SET payload = '[]' WHERE queue = 'q1'$$, '23514', NULL,
                 'a payload that is no object is refused on update');

SELECT * FROM finish();
ROLLBACK;
