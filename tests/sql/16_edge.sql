-- 16: the edge's SQL in one session: idempotency keys (begin, finish, replay, mismatch, bad
-- input), request tokens (cost bounds, the GCRA arithmetic of one bucket, defaults), cursors
-- (round trip, tampering), who may call what. Concurrency (duplicates in flight, buckets
-- under load, pages under inserts) is in tests/test_edge.py.
BEGIN;
SELECT plan(20);

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice');
GRANT SELECT ON t TO PUBLIC;
CREATE FUNCTION pg_temp.as_owner() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RESET ROLE;
  PERFORM internal.set_context(t.tenant_id, t.principal_id, '{owner}', '{*}', 'key:test') FROM t;
  SET LOCAL ROLE claw_runtime;
END $$;

SELECT pg_temp.as_owner();
SELECT is((SELECT replay FROM api.begin_idempotent_request('k1', 'POST', '/v1/jobs', repeat('a', 64))),
          false, 'a new key: go on');
SELECT lives_ok($$SELECT api.finish_idempotent_request('k1', 201, '{"location": "/v1/jobs/1"}', '{"ok": true}')$$,
                'the response is stored');
SELECT is((SELECT row(replay, status, headers, body)::text
           FROM api.begin_idempotent_request('k1', 'POST', '/v1/jobs', repeat('a', 64))),
          row(true, 201, '{"location": "/v1/jobs/1"}'::jsonb, '{"ok": true}')::text,
          'the same request replays status, headers and body');
SELECT throws_ok($$SELECT * FROM api.begin_idempotent_request('k1', 'POST', '/v1/jobs', repeat('b', 64))$$,
                 'CL422', 'idempotency key reused', 'another body under the same key: CL422');
SELECT throws_ok($$SELECT * FROM api.begin_idempotent_request('k1', 'PUT', '/v1/jobs', repeat('a', 64))$$,
                 'CL422', 'idempotency key reused', 'another method under the same key: CL422');
SELECT throws_ok($$SELECT api.finish_idempotent_request('k1', 200, '{}', 'again')$$,
                 'CL409', 'idempotency key not begun', 'a replayed request stores nothing');
SELECT throws_ok($$SELECT * FROM api.begin_idempotent_request('', 'POST', '/v1/jobs', repeat('a', 64))$$,
                 'CL422', 'invalid idempotency key', 'an empty key is refused');
SELECT throws_ok($$SELECT * FROM api.begin_idempotent_request('k2', 'POST', '/v1/jobs', 'abc')$$,
                 'CL422', 'invalid idempotent request', 'a body hash must be 64 hex digits');
SELECT throws_ok($$SELECT api.finish_idempotent_request('k1', 99, '{}', 'x')$$,
                 'CL422', 'invalid stored response', 'a status outside 100-599 is refused');

-- request tokens: default limits, one bucket's arithmetic
SELECT is((SELECT row(allowed, scope, limit_per_minute, remaining, retry_after_seconds)::text
           FROM api.take_request_token()),
          '(t,credential,6000,999,0)', 'the first request: allowed, the credential has 999 left');
SELECT is((SELECT remaining FROM api.take_request_token(p_cost => 10)), 989,
          'a request of cost 10 takes ten');
SELECT throws_ok($$SELECT * FROM api.take_request_token(p_cost => 0)$$, 'CL422', 'invalid request cost',
                 'a cost is 1 to 1000');

-- cursors
SELECT is((SELECT count(*)::int FROM api.list_principals(p_limit => 1,
             p_cursor => (SELECT cursor FROM api.list_principals(p_limit => 1)))), 0,
          'the cursor of the only principal has nothing after it');
SELECT throws_ok($$SELECT * FROM api.list_principals(p_cursor => 'eyJ4IjogMX0.00000000000000000000000000000000')$$,
                 'CL422', 'invalid cursor', 'a forged cursor is refused');
SELECT throws_ok($$SELECT * FROM api.list_jobs(p_limit => 1001)$$, 'CL422', 'invalid limit',
                 'a page is at most 1000 rows');

-- who may call what
RESET ROLE;
SELECT internal.clear_context();
SET LOCAL ROLE claw_runtime;
SELECT throws_ok($$SELECT * FROM api.take_request_token()$$, 'CL401', 'not authenticated',
                 'no context, no token');
SELECT throws_ok($$SELECT edge.set_request_limits((SELECT tenant_id FROM t), 1)$$, '42501', NULL,
                 'the runtime role cannot change limits');
RESET ROLE;

-- edge.holds_api_key: what finish refuses to keep (a whole key, its secret included)
SELECT ok(edge.holds_api_key('{"api_key": "ck_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_ccccccccccccccccccccccccccccccccccccccccccc"}'), 'a response holding a whole API key is found');
SELECT ok(NOT edge.holds_api_key('{"prefix": "ck_aaaaaaaaaaaa", "note": "truck_ck_ids"}'),
          'a key prefix or ck_ in other text is not a key');
SELECT ok(NOT edge.holds_api_key('{"api_key": null}'), 'the kept response without the secret');

SELECT * FROM finish();
ROLLBACK;
