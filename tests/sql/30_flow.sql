-- 30: durable flows' SQL API in one session: start (validation, idempotency key), dispatch
-- through the queue, claim, steps written once and in order, stale leases and stale
-- dispatches, every allowed and forbidden run and effect transition, retries, timers with
-- the injectable clock, signals (first write wins, delivered once), cancel, child flows,
-- fork, effects (intent before the call, settle with the checkpoint, unknown -> blocked ->
-- resolved), who may call what, isolation between tenants, the audit of transitions,
-- retention.
BEGIN;
SELECT plan(101);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice')
  UNION ALL
  SELECT 'b', * FROM tenancy.create_tenant('tenant-b', 'B', 'bob', 'Bob');
-- runs by name; job and token: the run's current dispatch as claimed by the test's worker
CREATE TEMP TABLE r (name text PRIMARY KEY, id uuid, job uuid, token uuid);
GRANT SELECT, INSERT, UPDATE ON t, r TO PUBLIC;

CREATE FUNCTION pg_temp.as_role(p_name text, p_roles text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, p_roles) FROM t WHERE t.name = p_name;
  SET LOCAL ROLE claw_runtime;
END $$;
CREATE FUNCTION pg_temp.as_owner(p_name text) RETURNS void LANGUAGE sql AS $$
  SELECT pg_temp.as_role(p_name, '{owner}') $$;
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
-- the worker claims every due flow.run job; each run remembers the job and token it got
-- like a worker: the jobs it held finish (their handlers returned), then it claims every due
-- flow.run job; each run remembers the job and token it got
CREATE FUNCTION pg_temp.claim() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE v_n integer; v record;
BEGIN
  PERFORM pg_temp.as_worker();
  FOR v IN SELECT * FROM r WHERE job IS NOT NULL LOOP
    BEGIN
      PERFORM api.complete_jobs(ARRAY[v.job], v.token);
    EXCEPTION WHEN SQLSTATE 'CL409' THEN NULL;
    END;
  END LOOP;
  UPDATE r SET job = NULL, token = NULL;
  WITH c AS (SELECT * FROM api.claim_jobs(p_queue => 'flows', p_worker => 'w', p_limit => 100,
                                          p_lease_seconds => 3600))
  UPDATE r SET job = c.job_id, token = c.lease_token
  FROM c WHERE r.id = (c.payload ->> 'run_id')::uuid;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END $$;
CREATE FUNCTION pg_temp.h(p_name text) RETURNS text LANGUAGE sql AS $$
  SELECT encode(sha256(convert_to(p_name, 'UTF8')), 'hex') $$;
CREATE FUNCTION pg_temp.status(p_name text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_role text := current_user; v text;
BEGIN
  RESET ROLE;
  SELECT x.status INTO v FROM flow.runs x JOIN r ON r.id = x.run_id WHERE r.name = p_name;
  EXECUTE format('SET LOCAL ROLE %I', v_role);
  RETURN v;
END $$;

-- start -----------------------------------------------------------------------------------
SELECT pg_temp.as_owner('a');
INSERT INTO r (name, id) SELECT 'one', run_id
  FROM api.start_flow_run(p_flow_name => 'order.fulfil', p_input => '{"order": 1}',
                          p_idempotency_key => 'order-1');
SELECT is((SELECT status FROM api.get_flow_run((SELECT id FROM r WHERE name = 'one'))), 'pending',
          'a started run is pending');
SELECT is((SELECT row(run_id, created)::text FROM api.start_flow_run(
             p_flow_name => 'order.fulfil', p_input => '{"order": 1}', p_idempotency_key => 'order-1')),
          (SELECT row(id, false)::text FROM r WHERE name = 'one'),
          'the same idempotency key returns the same run, created = false');
SELECT throws_ok($$SELECT * FROM api.start_flow_run(p_flow_name => 'other.flow', p_idempotency_key => 'order-1')$$,
                 'CL409', 'idempotency key already used', 'the key of another flow is CL409');
SELECT throws_ok($$SELECT * FROM api.start_flow_run(p_flow_name => 'Bad Name')$$, 'CL422',
                 'invalid flow name', 'a bad flow name is CL422');
SELECT throws_ok($$SELECT * FROM api.start_flow_run(p_flow_name => 'x', p_flow_version => 0)$$, 'CL422',
                 'invalid flow version', 'versions start at 1');
SELECT throws_ok($$SELECT * FROM api.start_flow_run(p_flow_name => 'x', p_queue => 'Q!')$$, 'CL422',
                 'invalid queue', 'a bad queue is CL422');
SELECT is((SELECT count(*)::int FROM api.list_flow_runs()), 1, 'bad input wrote nothing');
SELECT is((SELECT count(*)::int FROM api.list_jobs(p_queue => 'flows')), 1,
          'the run is dispatched through the queue: one flow.run job');
SELECT is((SELECT kind FROM api.list_jobs(p_queue => 'flows')), 'flow.run', 'of kind flow.run');

-- who may call what -----------------------------------------------------------------------
SELECT pg_temp.as_role('a', '{viewer}');
SELECT throws_ok($$SELECT * FROM api.start_flow_run(p_flow_name => 'x')$$, 'CL403', NULL,
                 'a viewer cannot start flows');
SELECT is((SELECT count(*)::int FROM api.list_flow_runs()), 1, 'but can list them');
SELECT throws_ok($$SELECT api.cancel_flow_run((SELECT id FROM r WHERE name = 'one'))$$, 'CL403', NULL,
                 'a viewer cannot cancel');
SELECT throws_ok($$SELECT * FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'one'), gen_random_uuid(), gen_random_uuid())$$,
                 '42501', NULL, 'the runtime role cannot call worker functions');
SELECT throws_ok($$SELECT 1 FROM flow.runs$$, '42501', NULL, 'the runtime role cannot read flow tables');
SELECT pg_temp.as_worker();
SELECT throws_ok($$SELECT * FROM api.start_flow_run(p_flow_name => 'x')$$, 'CL401', NULL,
                 'a worker without a job''s context cannot start flows');

-- claim, steps written once, in order ---------------------------------------------------------
SELECT is(pg_temp.claim(), 1, 'the worker claims the run''s job');
SELECT is((SELECT row(action, status, flow_name, next_position, steps)::text
           FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                                   (SELECT token FROM r WHERE name = 'one'))),
          '(run,running,order.fulfil,0,[])', 'claim_flow_run: pending -> running, no steps yet');
SELECT is(api.record_flow_step((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                               (SELECT token FROM r WHERE name = 'one'), 0, 'fetch', pg_temp.h('fetch'), '{"rows": 3}'),
          'running', 'step 0 is recorded');
SELECT throws_ok($$SELECT api.record_flow_step((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                               (SELECT token FROM r WHERE name = 'one'), 0, 'fetch', pg_temp.h('fetch'), '{"rows": 4}')$$,
                 '23505', NULL, 'a second write of step 0 is a key violation, never an overwrite');
SELECT throws_ok($$SELECT api.record_flow_step((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                               (SELECT token FROM r WHERE name = 'one'), 5, 'later', pg_temp.h('x'), '{}')$$,
                 'CL409', 'step out of order', 'a gap is CL409');
SELECT throws_ok($$SELECT api.record_flow_step((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                               gen_random_uuid(), 1, 'next', pg_temp.h('x'), '{}')$$,
                 'CL409', 'lease not held', 'a stale lease token is CL409');
SELECT throws_ok($$SELECT api.record_flow_step((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                               (SELECT token FROM r WHERE name = 'one'), 1, 'next', 'not hex', '{}')$$,
                 'CL422', 'invalid input hash', 'the input hash is hex');
RESET ROLE;
SELECT throws_ok($$UPDATE flow.steps SET output = '{"rows": 5}' WHERE run_id = (SELECT id FROM r WHERE name = 'one')$$,
                 'CL403', 'a step checkpoint is written once', 'even the owner cannot update a checkpoint');
SELECT is((SELECT output FROM flow.steps WHERE run_id = (SELECT id FROM r WHERE name = 'one') AND position = 0),
          '{"rows": 3}'::jsonb, 'the first write stands');

-- every run transition: allowed pairs pass the guard, every other pair is CL409 --------------
CREATE TEMP TABLE pairs AS
  SELECT f.s AS from_status, x.s AS to_status,
         EXISTS (SELECT 1 FROM internal.flow_run_transitions tr WHERE tr.from_status = f.s AND tr.to_status = x.s) AS allowed,
         NULL::text AS outcome
  FROM unnest('{pending,running,sleeping,waiting,blocked,completed,failed,cancelled}'::text[]) f(s),
       unnest('{pending,running,sleeping,waiting,blocked,completed,failed,cancelled}'::text[]) x(s)
  WHERE f.s <> x.s;
DO $$
DECLARE v record; v_run uuid; v_tenant uuid := (SELECT tenant_id FROM t WHERE name = 'a');
BEGIN
  FOR v IN SELECT * FROM pairs LOOP
    BEGIN
      -- a run placed in from_status directly (superuser, triggers off), then moved
      SET LOCAL session_replication_role = replica;
      INSERT INTO flow.runs (tenant_id, flow_name, status, trace_id, finished_at, wake_at, wait_signal)
      VALUES (v_tenant, 'pairs', v.from_status, 't',
              CASE WHEN v.from_status IN ('completed', 'failed', 'cancelled') THEN now() END,
              now(), 'sig')
      RETURNING run_id INTO v_run;
      SET LOCAL session_replication_role = origin;
      UPDATE flow.runs SET status = v.to_status,
        finished_at = CASE WHEN v.to_status IN ('completed', 'failed', 'cancelled') THEN now() END
      WHERE tenant_id = v_tenant AND run_id = v_run;
      RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';  -- roll the run back
    EXCEPTION WHEN OTHERS THEN
      SET LOCAL session_replication_role = origin;
      UPDATE pairs SET outcome = CASE WHEN SQLERRM = 'undo' THEN 'ok' ELSE SQLSTATE END
      WHERE from_status = v.from_status AND to_status = v.to_status;
    END;
  END LOOP;
END $$;
SELECT is((SELECT count(*)::int FROM pairs WHERE allowed), 14, 'the state machine allows 14 transitions');
SELECT is_empty($$SELECT from_status, to_status, outcome FROM pairs WHERE allowed AND outcome IS DISTINCT FROM 'ok'$$,
                'every allowed run transition passes the guard');
SELECT is_empty($$SELECT from_status, to_status, outcome FROM pairs WHERE NOT allowed AND outcome IS DISTINCT FROM 'CL409'$$,
                'every other run transition is refused with CL409');
-- every effect transition, the same way
CREATE TEMP TABLE effect_pairs AS
  SELECT f.s AS from_status, x.s AS to_status,
         EXISTS (SELECT 1 FROM internal.flow_effect_transitions tr WHERE tr.from_status = f.s AND tr.to_status = x.s) AS allowed,
         NULL::text AS outcome
  FROM unnest('{intended,sent,confirmed,unknown,reconciled}'::text[]) f(s),
       unnest('{intended,sent,confirmed,unknown,reconciled}'::text[]) x(s)
  WHERE f.s <> x.s;
DO $$
DECLARE v record; v_tenant uuid := (SELECT tenant_id FROM t WHERE name = 'a');
        v_run uuid := (SELECT id FROM r WHERE name = 'one');
BEGIN
  FOR v IN SELECT * FROM effect_pairs LOOP
    BEGIN
      SET LOCAL session_replication_role = replica;
      INSERT INTO flow.effects (tenant_id, run_id, position, provider, idempotency_key, status)
      VALUES (v_tenant, v_run, 99, 'sms', 'pairs', v.from_status);
      SET LOCAL session_replication_role = origin;
      UPDATE flow.effects SET status = v.to_status WHERE tenant_id = v_tenant AND idempotency_key = 'pairs';
      RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';
    EXCEPTION WHEN OTHERS THEN
      SET LOCAL session_replication_role = origin;
      UPDATE effect_pairs SET outcome = CASE WHEN SQLERRM = 'undo' THEN 'ok' ELSE SQLSTATE END
      WHERE from_status = v.from_status AND to_status = v.to_status;
    END;
  END LOOP;
END $$;
SELECT is((SELECT count(*)::int FROM effect_pairs WHERE allowed), 6, 'effects allow 6 transitions');
SELECT is_empty($$SELECT from_status, to_status, outcome FROM effect_pairs WHERE allowed AND outcome IS DISTINCT FROM 'ok'$$,
                'every allowed effect transition passes the guard');
SELECT is_empty($$SELECT from_status, to_status, outcome FROM effect_pairs WHERE NOT allowed AND outcome IS DISTINCT FROM 'CL409'$$,
                'every other effect transition (confirmed -> sent: a second send) is refused with CL409');
SELECT throws_ok($$UPDATE flow.runs SET input = '{"order": 2}' WHERE run_id = (SELECT id FROM r WHERE name = 'one')$$,
                 'CL403', 'a run''s identity is fixed', 'a run''s input never changes');

-- retries of a failing step -------------------------------------------------------------------
SELECT pg_temp.as_worker();
SELECT is((SELECT row(status, attempts)::text FROM api.fail_flow_step(
             (SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'), (SELECT token FROM r WHERE name = 'one'),
             1, 'charge', pg_temp.h('charge'), 'timeout', p_max_attempts => 2, p_backoff_seconds => 10)),
          '(sleeping,1)', 'a failed attempt with attempts left: the run sleeps until the retry');
SELECT throws_ok($$SELECT api.record_flow_step((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                               (SELECT token FROM r WHERE name = 'one'), 1, 'charge', pg_temp.h('charge'), '{}')$$,
                 'CL409', 'flow run not held', 'the old dispatch can no longer write');
SELECT is(pg_temp.claim(), 0, 'the retry is not due yet');
SELECT pg_temp.move_clock(interval '11 seconds');
SELECT is(pg_temp.claim(), 1, 'after the backoff the retry job is claimed');
SELECT is((SELECT row(action, next_position, step_attempts, steps -> 0 ->> 'name', steps -> 1 ->> 'name',
                      steps -> 1 ->> 'pending')::text
           FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'),
                                   (SELECT token FROM r WHERE name = 'one'))),
          '(run,1,1,fetch,charge,true)',
          'sleeping -> running, with the step recorded so far, the retried step as pending, its attempts');
SELECT is((SELECT row(status, attempts)::text FROM api.fail_flow_step(
             (SELECT id FROM r WHERE name = 'one'), (SELECT job FROM r WHERE name = 'one'), (SELECT token FROM r WHERE name = 'one'),
             1, 'charge', pg_temp.h('charge'), 'timeout again', p_max_attempts => 2, p_backoff_seconds => 10)),
          '(failed,2)', 'the last attempt fails the run');
SELECT pg_temp.as_owner('a');
SELECT is((SELECT row(status, error ->> 'message')::text FROM api.get_flow_run((SELECT id FROM r WHERE name = 'one'))),
          '(failed,"timeout again")', 'the run failed with the step''s error');
SELECT is((SELECT row(status, attempts, error)::text FROM api.list_flow_steps((SELECT id FROM r WHERE name = 'one')) WHERE position = 1),
          '(failed,2,"timeout again")', 'the failed step is recorded with its attempts');

-- fork ----------------------------------------------------------------------------------------
INSERT INTO r (name, id) SELECT 'fork', api.fork_flow_run((SELECT id FROM r WHERE name = 'one'), 1);
SELECT is((SELECT row(status, next_position, forked_from_run_id = (SELECT id FROM r WHERE name = 'one'))::text
           FROM api.get_flow_run((SELECT id FROM r WHERE name = 'fork'))),
          '(pending,1,t)', 'a fork from step 1 is a pending run at position 1');
SELECT is((SELECT array_agg(name ORDER BY position) FROM api.list_flow_steps((SELECT id FROM r WHERE name = 'fork'))),
          '{fetch}', 'with the checkpoints before step 1');
RESET ROLE;
SELECT is((SELECT (fork_line, fork_line_upto)::text FROM flow.runs
           WHERE run_id = (SELECT id FROM r WHERE name = 'fork')),
          (SELECT (ARRAY[id], '{1}'::integer[])::text FROM r WHERE name = 'one'),
          'the fork keeps its line on its row (migrations/0057): the source, 1 step copied');
SELECT is((SELECT (fork_line, fork_line_upto)::text FROM flow.runs
           WHERE run_id = (SELECT id FROM r WHERE name = 'one')), '({},{})',
          'a run that is not a fork has an empty line');
SELECT throws_ok($$UPDATE flow.runs SET fork_line = '{}', fork_line_upto = '{}'
                   WHERE run_id = (SELECT id FROM r WHERE name = 'fork')$$,
                 'CL403', 'a run''s identity is fixed', 'even the owner cannot rewrite a fork line');
SELECT throws_ok($$INSERT INTO flow.runs (tenant_id, flow_name, trace_id, fork_line, fork_line_upto)
                   SELECT tenant_id, 'x', 't', ARRAY[gen_random_uuid()], '{1}' FROM t LIMIT 1$$,
                 '23514', NULL, 'a fork line without forked_from_run_id is refused');
SELECT pg_temp.as_owner('a');
SELECT throws_ok($$SELECT api.fork_flow_run((SELECT id FROM r WHERE name = 'one'), 3)$$, 'CL422',
                 'invalid fork position', 'not beyond the completed steps');
SELECT throws_ok($$SELECT api.fork_flow_run((SELECT id FROM r WHERE name = 'fork'), 0)$$, 'CL409',
                 'flow run still going', 'only a finished run is forked');

-- timers with the injectable clock -------------------------------------------------------------
SELECT is(pg_temp.claim(), 1, 'the fork is dispatched');
SELECT is((SELECT action FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                                 (SELECT token FROM r WHERE name = 'fork'))), 'run', 'and runs');
SELECT is((SELECT status FROM api.sleep_flow((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                             (SELECT token FROM r WHERE name = 'fork'), 1, 'nap', pg_temp.h('nap'),
                                             p_seconds => 3600)),
          'sleeping', 'a sleep of an hour suspends the run');
SELECT is(pg_temp.claim(), 0, 'nothing to run before the hour');
SELECT pg_temp.move_clock(interval '30 minutes');
SELECT is(pg_temp.claim(), 0, 'nor after half of it');
SELECT pg_temp.move_clock(interval '31 minutes');
SELECT is(pg_temp.claim(), 1, 'the timer''s job is due after the hour');
SELECT is((SELECT action FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                                 (SELECT token FROM r WHERE name = 'fork'))), 'run', 'sleeping -> running');
SELECT is((SELECT status FROM api.sleep_flow((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                             (SELECT token FROM r WHERE name = 'fork'), 1, 'nap', pg_temp.h('nap'),
                                             p_seconds => 3600)),
          'running', 'the replayed sleep keeps its first wake-up instant: it is over and recorded');

-- signals: first write wins, delivered once ------------------------------------------------------
SELECT is((SELECT row(status, received)::text FROM api.wait_flow_signal(
             (SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'), (SELECT token FROM r WHERE name = 'fork'),
             2, 'approval', pg_temp.h('approval'), p_timeout_seconds => 600)),
          '(waiting,f)', 'waiting for a signal suspends the run');
SELECT pg_temp.as_role('a', '{approver}');
SELECT throws_ok($$SELECT api.send_flow_signal((SELECT id FROM r WHERE name = 'fork'), 'approval', 'null')$$,
                 'CL422', 'invalid signal payload',
                 'a null payload is refused: the waiting step could not tell it from a timeout');
SELECT throws_ok($$SELECT api.send_flow_signal((SELECT id FROM r WHERE name = 'fork'), 'approval', NULL)$$,
                 'CL422', 'invalid signal payload', 'so is an SQL NULL one');
SELECT is(api.send_flow_signal((SELECT id FROM r WHERE name = 'fork'), 'approval', '{"ok": true}'), true,
          'an approver sends the signal');
SELECT is(api.send_flow_signal((SELECT id FROM r WHERE name = 'fork'), 'approval', '{"ok": false}'), false,
          'a second signal of the same name is refused: first write wins');
SELECT is(pg_temp.claim(), 1, 'the signal dispatched the run now (before its timeout)');
SELECT is((SELECT action FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                                 (SELECT token FROM r WHERE name = 'fork'))), 'run', 'waiting -> running');
SELECT is((SELECT row(status, received, payload)::text FROM api.wait_flow_signal(
             (SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'), (SELECT token FROM r WHERE name = 'fork'),
             2, 'approval', pg_temp.h('approval'), p_timeout_seconds => 600)),
          '(running,t,"{""ok"": true}")', 'the wait receives the first signal''s payload');
SELECT is((SELECT row(status, received)::text FROM api.wait_flow_signal(
             (SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'), (SELECT token FROM r WHERE name = 'fork'),
             3, 'approval', pg_temp.h('approval'), p_timeout_seconds => 0)),
          '(running,f)', 'a delivered signal is not delivered again (a second wait times out)');

-- effects ----------------------------------------------------------------------------------------
SELECT is((SELECT row(idempotency_key = (SELECT id FROM r WHERE name = 'fork')::text || ':4', status, sends)::text
           FROM api.begin_flow_effect((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                      (SELECT token FROM r WHERE name = 'fork'), 4, 'sms', pg_temp.h('sms'), 'twilio.sms', '{"to": "+61400000000"}')),
          '(t,intended,0)', 'an effect''s intent is recorded first, with a key from run and position');
SELECT is((SELECT status FROM api.begin_flow_effect((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                      (SELECT token FROM r WHERE name = 'fork'), 4, 'sms', pg_temp.h('sms'), 'twilio.sms', '{"to": "+61400000000"}')),
          'intended', 'beginning it again returns the same intent');
SELECT throws_ok($$SELECT * FROM api.begin_flow_effect((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                      (SELECT token FROM r WHERE name = 'fork'), 4, 'sms', pg_temp.h('sms'), 'twilio.sms', '{"to": "+61499999999"}')$$,
                 'CL409', 'effect does not match its intent', 'another request at the same position is CL409');
SELECT throws_ok($$SELECT api.settle_flow_effect((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                      (SELECT token FROM r WHERE name = 'fork'), 4, 'sms', pg_temp.h('sms'), 'confirmed', '{}')$$,
                 'CL409', 'effect cannot be settled', 'an effect not marked sent cannot be confirmed');
SELECT is(api.mark_flow_effect_sent((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                    (SELECT token FROM r WHERE name = 'fork'), 4), 1, 'intended -> sent');
SELECT is(api.mark_flow_effect_unknown((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                       (SELECT token FROM r WHERE name = 'fork'), 4, 'lookup failed'), 'blocked',
          'an outcome reconciliation cannot tell blocks the run');
SELECT pg_temp.as_owner('a');
SELECT is((SELECT count(*)::int FROM api.list_flow_effects(p_status => 'unknown')), 1,
          'the unknown effect shows in the operator''s list');
SELECT is((SELECT count(*)::int FROM api.list_flow_runs(p_status => 'blocked')), 1, 'and so does the blocked run');
SELECT is(api.resolve_flow_effect((SELECT id FROM r WHERE name = 'fork'), 4, true, '{"sid": "SM1"}', 'seen in the console'),
          'reconciled', 'a person resolves it as delivered');
SELECT throws_ok($$SELECT api.resolve_flow_effect((SELECT id FROM r WHERE name = 'fork'), 4, true)$$, 'CL409',
                 'effect is not unknown', 'only once');
SELECT is(pg_temp.claim(), 1, 'the run is dispatched again');
SELECT is((SELECT action FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                                 (SELECT token FROM r WHERE name = 'fork'))), 'run', 'blocked -> pending -> running');
SELECT is(api.settle_flow_effect((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                 (SELECT token FROM r WHERE name = 'fork'), 4, 'sms', pg_temp.h('sms'), 'reconciled', NULL),
          'running', 'the reconciled effect is checkpointed, never sent again');
RESET ROLE;
SELECT is((SELECT output -> 'response' FROM flow.steps WHERE run_id = (SELECT id FROM r WHERE name = 'fork') AND position = 4),
          '{"sid": "SM1"}'::jsonb, 'the step records the response the person gave');

-- child flows --------------------------------------------------------------------------------------
SELECT pg_temp.as_worker();
INSERT INTO r (name, id) SELECT 'child', child_run_id FROM api.start_child_flow(
  (SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'), (SELECT token FROM r WHERE name = 'fork'),
  5, 'start-child', pg_temp.h('c'), 'order.notify', '{"n": 1}');
SELECT is((SELECT status FROM api.wait_flow_child(
             (SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'), (SELECT token FROM r WHERE name = 'fork'),
             6, 'wait-child', pg_temp.h('w'), (SELECT id FROM r WHERE name = 'child'))),
          'waiting', 'the parent waits for its child');
SELECT is(pg_temp.claim(), 1, 'the child is dispatched');
SELECT is((SELECT action FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'child'), (SELECT job FROM r WHERE name = 'child'),
                                                 (SELECT token FROM r WHERE name = 'child'))), 'run', 'the child runs');
SELECT is(api.complete_flow_run((SELECT id FROM r WHERE name = 'child'), (SELECT job FROM r WHERE name = 'child'),
                                (SELECT token FROM r WHERE name = 'child'), '{"sent": 1}'), 'completed', 'and completes');
SELECT is(pg_temp.claim(), 1, 'which wakes the parent');
SELECT is((SELECT action FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                                 (SELECT token FROM r WHERE name = 'fork'))), 'run', 'waiting -> running');
SELECT is((SELECT row(status, child_status, child_output)::text FROM api.wait_flow_child(
             (SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'), (SELECT token FROM r WHERE name = 'fork'),
             6, 'wait-child', pg_temp.h('w'), (SELECT id FROM r WHERE name = 'child'))),
          '(running,completed,"{""sent"": 1}")', 'the parent records the child''s output');

-- cancel: a running run sees it at its next checkpoint ---------------------------------------------
SELECT pg_temp.as_owner('a');
SELECT is(api.cancel_flow_run((SELECT id FROM r WHERE name = 'fork')), 'cancelling', 'a running run is marked');
SELECT pg_temp.as_worker();
SELECT is(api.record_flow_step((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                               (SELECT token FROM r WHERE name = 'fork'), 7, 'last', pg_temp.h('l'), '{}'),
          'cancelled', 'its next checkpoint is recorded and the run ends as cancelled');
SELECT pg_temp.as_owner('a');
SELECT throws_ok($$SELECT api.cancel_flow_run((SELECT id FROM r WHERE name = 'fork'))$$, 'CL409',
                 'flow run already finished', 'a finished run cannot be cancelled');
SELECT throws_ok($$SELECT api.send_flow_signal((SELECT id FROM r WHERE name = 'fork'), 'late')$$, 'CL409',
                 'flow run already finished', 'nor signalled');

SELECT pg_temp.move_clock(interval '11 minutes');
SELECT is(pg_temp.claim(), 1, 'the timeout job of the signal wait comes due');
SELECT is((SELECT action FROM api.claim_flow_run((SELECT id FROM r WHERE name = 'fork'), (SELECT job FROM r WHERE name = 'fork'),
                                                 (SELECT token FROM r WHERE name = 'fork'))), 'skip',
          'and finds the run no longer dispatched by it (finished, too): skip');

-- isolation -----------------------------------------------------------------------------------------
SELECT pg_temp.as_owner('b');
SELECT is((SELECT count(*)::int FROM api.list_flow_runs()), 0, 'another tenant sees no runs');
SELECT throws_ok($$SELECT * FROM api.get_flow_run((SELECT id FROM r WHERE name = 'one'))$$, 'CL404', NULL,
                 'nor one by id');
SELECT throws_ok($$SELECT api.send_flow_signal((SELECT id FROM r WHERE name = 'child'), 'x')$$, 'CL404', NULL,
                 'nor signal it');

-- audit and retention --------------------------------------------------------------------------------
RESET ROLE;
SELECT is((SELECT array_agg(action ORDER BY seq) FROM audit.events
           WHERE target_id = (SELECT id FROM r WHERE name = 'child')::text),
          '{flow.run.started,flow.run.running,flow.run.completed}', 'every run transition is in the tenant''s chain');
SELECT pg_temp.as_owner('a');
SELECT pg_temp.move_clock(interval '40 days');
SELECT is(api.purge_flow_runs(p_days => 30), 3, 'retention deletes the finished runs older than 30 days');

-- timers take a finite instant or a bounded duration
RESET ROLE;
SELECT throws_ok($$SELECT flow.check_wait('infinity', NULL, true)$$, 'CL422', 'invalid timer',
                 'a sleep until infinity is refused');
SELECT throws_ok($$SELECT flow.check_wait('-infinity', NULL, false)$$, 'CL422', 'invalid timer',
                 'a wait timeout at -infinity is refused');
SELECT throws_ok($$SELECT flow.check_wait(NULL, 'NaN', true)$$, 'CL422', 'invalid timer',
                 'a NaN duration is refused');
SELECT lives_ok($$SELECT flow.check_wait('2030-01-01Z', NULL, true)$$, 'a finite instant is taken');

SELECT is((SELECT (l.steps, l.bytes)::text FROM flow.history_limits() AS l), '(20000,67108864)',
          'a run replays at most 20,000 steps and 64 MiB of outputs and errors');

SELECT * FROM finish();
ROLLBACK;
