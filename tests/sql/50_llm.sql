-- 50: the LLM layer's rules in one session: routes (validation, versions, the audit chain),
-- prices (the version in force, append-only), budget windows in the tenant's zone across a
-- DST change, admission and refusal, settlement, and the ledger's append-only guard.
BEGIN;
SELECT plan(67);

CREATE TEMP TABLE t AS SELECT * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice');
GRANT SELECT ON t TO PUBLIC;
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;

-- routes --------------------------------------------------------------------------------
SET LOCAL ROLE claw_runtime;
SELECT is((SELECT version FROM api.set_llm_route(p_task => 'summarise',
             p_models => '{gpt-4o-mini,claude-haiku-4-5}')), 1, 'a new route is version 1');
SELECT is((SELECT version FROM api.set_llm_route(p_task => 'summarise',
             p_models => '{claude-haiku-4-5}', p_timeout_ms => 5000)), 2, 'a change bumps the version');
SELECT is((SELECT (models, timeout_ms, max_attempts, fallback_on)::text FROM api.list_llm_routes()),
          '({claude-haiku-4-5},5000,2,"{rate_limited,server_error,timeout,context_overflow}")',
          'the route keeps what was not changed and the defaults');
SELECT throws_ok($$SELECT * FROM api.set_llm_route(p_task => 'x', p_models => '{gpt-9-ultra}')$$,
                 'CL422', 'invalid LLM route', 'a model outside the catalogue is refused');
SELECT throws_ok($$SELECT * FROM api.set_llm_route(p_task => 'x', p_models => '{gpt-4o}',
                    p_fallback_on => '{always}')$$, 'CL422', 'invalid LLM route',
                 'an unknown fallback rule is refused');
SELECT throws_ok($$SELECT * FROM api.set_llm_route(p_task => 'Bad Task', p_models => '{gpt-4o}')$$,
                 'CL422', 'invalid LLM route', 'a bad task name is refused');
SELECT throws_ok($$SELECT * FROM api.set_llm_route(p_task => 'x', p_models => '{}')$$,
                 'CL422', 'invalid LLM route', 'an empty chain is refused');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM audit.events WHERE tenant_id = (SELECT tenant_id FROM t)
           AND action LIKE 'llm.routes.%'), 2, 'each route change is in the audit chain');
SELECT is((SELECT count(*)::int FROM llm.routes), 1, 'refused routes left nothing behind');

-- prices --------------------------------------------------------------------------------
SELECT llm.define_model('test-model', 'openai', 'o200k_base', 1000, 100);
SELECT llm.set_price('test-model', 1, 0.5, 2, '2026-01-01 00:00Z');
SELECT llm.set_price('test-model', 3, 1.5, 6, '2026-06-01 00:00Z');
SELECT is((SELECT input_usd_per_mtok FROM llm.price_at('test-model', '2026-05-31 23:59Z')), 1.000000::numeric,
          'the version in force before a change');
SELECT is((SELECT input_usd_per_mtok FROM llm.price_at('test-model', '2026-06-01 00:00Z')), 3.000000::numeric,
          'the new version from its valid_from');
SELECT is((SELECT count(*)::int FROM llm.price_at('test-model', '2025-12-31 00:00Z')), 0,
          'no price before the first version');
SELECT is((SELECT llm.cost_usd(p, 1000000, 250000, 100000) FROM llm.price_at('test-model', '2026-03-01') AS p),
          1.075000000::numeric, 'cost = 750k x 1 + 250k x 0.5 + 100k x 2 per million = 1.075 USD');
SELECT throws_ok($$SELECT llm.set_price('test-model', 9, 9, 9, '2026-06-01 00:00Z')$$, 'CL409',
                 'that price version exists', 'a version is never replaced');
SELECT throws_ok($$UPDATE internal.llm_prices SET output_usd_per_mtok = 0$$, 'CL403',
                 'internal.llm_prices is append-only', 'prices cannot be edited, even by a superuser');
SELECT throws_ok($$SELECT llm.set_price('no-such-model', 1, 1, 1)$$, 'CL404', 'unknown model',
                 'a price needs a model');

-- budget windows across DST in Australia/Sydney ----------------------------------------------
-- DST ends on Sunday 2026-04-05 (03:00 AEDT -> 02:00 AEST): that local day has 25 hours;
-- it starts on Sunday 2026-10-04 (02:00 AEST -> 03:00 AEDT): 23 hours.
SELECT is((SELECT ends_at - starts_at FROM llm.window_for('day', '2026-04-05 12:00+10', 'Australia/Sydney')),
          interval '25 hours', 'the local day DST ends is 25 hours long');
SELECT is((SELECT ends_at - starts_at FROM llm.window_for('day', '2026-10-04 12:00+11', 'Australia/Sydney')),
          interval '23 hours', 'the local day DST starts is 23 hours long');
SELECT is((SELECT (window_start, starts_at, ends_at)::text
           FROM llm.window_for('day', '2026-04-05 13:30Z', 'Australia/Sydney')),
          '(2026-04-05,"2026-04-04 13:00:00+00","2026-04-05 14:00:00+00")',
          'the window runs from local midnight (+11) to local midnight (+10)');
SELECT is((SELECT window_start FROM llm.window_for('day', '2026-04-05 14:00Z', 'Australia/Sydney')),
          '2026-04-06'::date, 'the next local day starts at 14:00 UTC after the change');
SELECT is((SELECT (window_start, ends_at - starts_at)::text
           FROM llm.window_for('month', '2026-04-05 12:00Z', 'Australia/Sydney')),
          '(2026-04-01,"30 days 01:00:00")', 'April in Sydney is 30 days and an hour');

-- admission in windows: spend late on the long day lands in that day's window
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SET LOCAL ROLE claw_runtime;
SELECT api.set_llm_settings(p_time_zone => 'Australia/Sydney');
SELECT throws_ok($$SELECT api.set_llm_settings(p_time_zone => 'Mars/Olympus_Mons')$$, 'CL422',
                 'unknown time zone', 'an unknown zone is refused');
SELECT throws_ok($$SELECT api.set_llm_settings(p_time_zone => 'WET')$$, 'CL422',
                 'ambiguous time zone', 'a zone PostgreSQL reads as a fixed abbreviation is refused');
SELECT * FROM api.set_llm_route(p_task => 'tiny', p_models => '{test-model}', p_max_output_tokens => 100);
SELECT ok(api.set_llm_budget(p_scope => 'tenant', p_period => 'day', p_limit_usd => 0.0005) IS NOT NULL,
          'a daily tenant budget');
SELECT throws_ok($$SELECT api.set_llm_budget(p_scope => 'principal', p_period => 'day', p_limit_usd => 1)$$,
                 'CL422', 'invalid LLM budget', 'a principal budget names a principal');
SELECT throws_ok($$SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'week', p_limit_usd => 1)$$,
                 'CL422', 'invalid LLM budget', 'periods are day or month');
RESET ROLE;
-- 2026-04-05 23:30 AEST = 13:30Z, in the 25-hour day
UPDATE internal.clock SET offset_by = '2026-04-05 13:30Z'::timestamptz - now();
SELECT ok(internal.clock_now() BETWEEN internal.now() + (clock_timestamp() - now()) - interval '1 second'
                                   AND internal.now() + (clock_timestamp() - now()) + interval '1 second',
          'internal.clock_now is this moment (not the transaction''s start) with internal.now''s offset');
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SET LOCAL ROLE claw_runtime;
-- worst case with 100 tokens in and 100 out at the April prices (1 / 2 per million): 0.0003
-- USD; the 0.0005 budget holds one, not two
CREATE TEMP TABLE r1 AS SELECT api.begin_llm_call(p_task => 'tiny', p_input_tokens => 100) AS b;
SELECT is((SELECT (b ->> 'reserved_usd')::numeric FROM r1), 0.0003::numeric, 'the worst case is reserved');
SELECT throws_ok($$SELECT api.begin_llm_call(p_task => 'tiny', p_input_tokens => 100)$$, 'CL429',
                 'LLM budget exhausted', 'a second worst case does not fit: refused before sending');
SELECT is((SELECT (b -> 'chain' -> 0 ->> 'fits')::boolean FROM
             (SELECT api.begin_llm_call(p_task => 'tiny', p_input_tokens => 1, p_max_output_tokens => 1) AS b) x),
          true, 'a smaller call still fits beside it');
SELECT throws_ok($$SELECT api.begin_llm_call(p_task => 'tiny', p_input_tokens => 950)$$, 'CL422',
                 'the input fits no model of the route', 'an input over every window is refused');
SELECT is((SELECT (api.finish_llm_call((b ->> 'reservation_id')::uuid,
             '[{"model": "test-model", "route_position": 1, "outcome": "ok", "input_tokens": 80, "output_tokens": 20}]')
           ->> 'cost_usd')::numeric FROM r1), 0.00012::numeric,
          'settled with the actual cost: 80 x 1 + 20 x 2 per million');
SELECT is((SELECT (window_start, spent_usd, reserved_usd, ends_at - starts_at = interval '25 hours')::text
           FROM api.list_llm_budgets()),
          '(2026-04-05,0.000120000,0.000003000,t)',
          'the window is the long local day; spent is the actual cost; the small call still holds its reservation');
SELECT throws_ok($$SELECT api.finish_llm_call((SELECT (b ->> 'reservation_id')::uuid FROM r1), '[]')$$,
                 'CL409', 'LLM call already finished', 'a call is finished once');
RESET ROLE;
-- 31 minutes later it is the next local day: a fresh window
UPDATE internal.clock SET offset_by = '2026-04-05 14:01Z'::timestamptz - now();
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SET LOCAL ROLE claw_runtime;
SELECT is((SELECT (window_start, spent_usd)::text FROM api.list_llm_budgets()), '(2026-04-06,0)',
          'after local midnight the day''s budget starts again');
SELECT lives_ok($$SELECT api.begin_llm_call(p_task => 'tiny', p_input_tokens => 100)$$,
                'the new window admits a worst case again');
RESET ROLE;
-- windows that overlap (llm.overlapping): none in one zone, across DST included; a Los Angeles
-- day (left by a zone change) overlaps the Sydney day after its own date
SELECT is((SELECT o.other_usd FROM llm.budgets AS b
           CROSS JOIN LATERAL llm.window_for('day', internal.now(), 'Australia/Sydney') AS w
           CROSS JOIN LATERAL llm.overlapping(b.tenant_id, b.budget_id, w.window_start,
                                              w.starts_at, w.ends_at) AS o
           WHERE b.tenant_id = (SELECT tenant_id FROM t)), 0::numeric,
          'in one zone the day after the 25-hour day overlaps no other window');
SELECT is((SELECT o.other_usd FROM llm.budgets AS b
           CROSS JOIN LATERAL llm.window_for('day', internal.now(), 'America/Los_Angeles') AS w
           CROSS JOIN LATERAL llm.overlapping(b.tenant_id, b.budget_id, w.window_start,
                                              w.starts_at, w.ends_at) AS o
           WHERE b.tenant_id = (SELECT tenant_id FROM t)), 0.0003::numeric,
          'Los Angeles'' April 5 overlaps Sydney''s April 6 and counts what it holds');
-- llm.lock_zone: this transaction changed the zone (exclusive) and began calls (shared)
SELECT is((SELECT string_agg(DISTINCT mode, ',' ORDER BY mode) FROM pg_locks
           WHERE locktype = 'advisory' AND pid = pg_backend_pid()
           AND ((classid::bigint << 32) | objid::bigint)
               = hashtextextended('llm.zone:' || (SELECT tenant_id FROM t)::text, 0)),
          'ExclusiveLock,ShareLock',
          'the zone change held the tenant''s zone lock exclusive, the begins shared, until commit');
-- llm.lock_prices: llm.set_price above held the prices lock exclusive, the begins shared
-- (tests/test_llm_price_race.py has the two sides race)
SELECT is((SELECT string_agg(DISTINCT mode, ',' ORDER BY mode) FROM pg_locks
           WHERE locktype = 'advisory' AND pid = pg_backend_pid()
           AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('llm.prices', 0)),
          'ExclusiveLock,ShareLock',
          'set_price held the prices lock exclusive, the begins shared, until commit');
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SET LOCAL ROLE claw_runtime;
-- call tokens: the finish needs no credential, only its own call's token
CREATE TEMP TABLE r2 AS
  SELECT api.begin_llm_call(p_task => 'tiny', p_input_tokens => 10, p_max_output_tokens => 1) AS b;
SELECT is((SELECT split_part(b ->> 'call_token', '.', 1) || '.' || split_part(b ->> 'call_token', '.', 5)
           FROM r2), (SELECT 'lc1.' || (b ->> 'reservation_id') FROM r2),
          'begin returns a call token for its reservation');
RESET ROLE;
SELECT internal.clear_context();
SET LOCAL ROLE claw_runtime;
SELECT throws_ok($$SELECT api.finish_llm_call((SELECT (b ->> 'reservation_id')::uuid FROM r2), '[]',
                   p_call_token => (SELECT left(b ->> 'call_token', -1) || 'x' FROM r2))$$,
                 'CL401', 'invalid call token', 'an altered call token is refused');
SELECT is((SELECT api.finish_llm_call((b ->> 'reservation_id')::uuid, '[]',
                                      p_call_token => b ->> 'call_token') ->> 'status' FROM r2),
          'released', 'its own token finishes the call without a tenant context');
SELECT throws_ok($$SELECT * FROM api.list_llm_calls()$$, 'CL401', NULL,
                 'the token''s context ended with the finish');
RESET ROLE;

-- breakers: per tenant and provider ------------------------------------------------------
CREATE TEMP TABLE t2 AS SELECT * FROM tenancy.create_tenant('tenant-b', 'B', 'bob', 'Bob');
UPDATE internal.llm_breakers SET failure_threshold = 2 WHERE provider = 'openai';
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SELECT is(llm.breaker_admit((SELECT tenant_id FROM t), 'openai', interval '1 minute'), 'closed',
          'no breaker row: closed');
SELECT llm.breaker_record((SELECT tenant_id FROM t), 'openai', false);
SELECT is((SELECT (state, consecutive_failures)::text FROM llm.breakers), '(closed,1)',
          'the first failure creates the tenant''s row, still closed');
SELECT llm.breaker_record((SELECT tenant_id FROM t), 'openai', false);
SELECT is(llm.breaker_admit((SELECT tenant_id FROM t), 'openai', interval '1 minute'), 'open',
          'the threshold opens it');
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t2;
SELECT is(llm.breaker_admit((SELECT tenant_id FROM t2), 'openai', interval '1 minute'), 'closed',
          'another tenant''s breaker of the provider is untouched');
SET LOCAL ROLE claw_owner;  -- the table's owner, held to the tenant policy (forced)
SELECT is((SELECT count(*)::int FROM llm.breakers), 0, 'and it cannot see the first one''s row');
RESET ROLE;
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
UPDATE internal.clock SET offset_by = offset_by + interval '31 seconds';
SELECT is(llm.breaker_admit((SELECT tenant_id FROM t), 'openai', interval '1 minute'), 'probe',
          'after the cooldown, one caller gets the probe');
SELECT llm.breaker_record((SELECT tenant_id FROM t), 'openai', true);
SELECT is((SELECT (state, consecutive_failures)::text FROM llm.breakers), '(closed,0)',
          'the probe''s success closes it');
UPDATE internal.clock SET offset_by = offset_by - interval '31 seconds';
SELECT internal.clear_context();

-- the ledger ------------------------------------------------------------------------------
SELECT throws_ok($$UPDATE llm.calls SET cost_usd = 0$$, 'CL403', 'llm.calls is append-only',
                 'no UPDATE of the ledger, even by a superuser');
SELECT throws_ok($$DELETE FROM llm.calls$$, 'CL403', 'llm.calls is append-only',
                 'no DELETE from the ledger, even by a superuser');
-- llm.seed_window: a budget created after its scope's calls starts with what they spent and
-- hold (tests/test_llm_budget_new.py: in flight, racing a begin, settling late)
RESET ROLE;
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SET LOCAL ROLE claw_runtime;
SELECT ok(api.set_llm_budget(p_scope => 'task', p_period => 'month', p_limit_usd => 5,
                             p_task => 'tiny') IS NOT NULL, 'a task budget is created');
RESET ROLE;
SELECT is((SELECT (b.spent_usd, b.reserved_usd)::text FROM api.list_llm_budgets() AS b
           WHERE b.scope = 'task'),
          (SELECT (coalesce(sum(r.actual_usd) FILTER (WHERE r.status <> 'held'), 0)::numeric(18, 9),
                   coalesce(sum(r.amount_usd) FILTER (WHERE r.status = 'held'), 0)::numeric(18, 9))::text
           FROM llm.reservations AS r, api.list_llm_budgets() AS b
           WHERE b.scope = 'task' AND r.task = 'tiny' AND r.tenant_id = (SELECT tenant_id FROM t)
             AND r.created_at >= b.starts_at AND r.created_at < b.ends_at),
          'its window holds the month''s spend and holds of task tiny so far');
SELECT is((SELECT (r.chain_models, r.chain_output_caps, r.max_attempts)::text
           FROM llm.reservations AS r
           WHERE r.reservation_id = (SELECT (b ->> 'reservation_id')::uuid FROM r1)),
          '({test-model},{100},2)',
          'a reservation keeps the chain, output caps and attempts its finish is held to (0059)');
SELECT has_index('llm', 'reservations', 'reservations_tenant_created_idx',
                 ARRAY['tenant_id', 'created_at'],
                 'a new budget reads its window''s reservations by index (migrations/0058)');
SELECT ok((SELECT b.spent_usd > 0 FROM api.list_llm_budgets() AS b WHERE b.scope = 'task'),
          'the month''s calls of task tiny had spent something before the budget existed');
-- llm.budget_covers: which budgets a call is admitted on (and a new budget is seeded from)
SELECT ok(llm.budget_covers('tenant', NULL, NULL, gen_random_uuid(), 'any')
          AND llm.budget_covers('task', NULL, 'summarise', NULL, 'summarise')
          AND llm.budget_covers('principal', '00000000-0000-4000-8000-000000000001', NULL,
                                '00000000-0000-4000-8000-000000000001', 'any'),
          'a tenant budget covers every call, a task''s and a principal''s their own');
SELECT ok(NOT coalesce(llm.budget_covers('task', NULL, 'summarise', NULL, 'other'), false)
          AND NOT coalesce(llm.budget_covers('principal', gen_random_uuid(), NULL, NULL, 'x'),
                           false),
          'another task''s budget, or a principal''s for a call without that principal, does not');
-- llm.breaker_release: a probe claim given back only while it is the one taken
INSERT INTO llm.breakers (tenant_id, provider, state, probe_until)
SELECT tenant_id, 'anthropic', 'half_open', '2030-01-01 00:00:00+00' FROM t;
SELECT llm.breaker_release(tenant_id, 'anthropic', '2030-01-01 00:00:01+00') FROM t;
SELECT is((SELECT probe_until FROM llm.breakers WHERE provider = 'anthropic'
           AND tenant_id = (SELECT tenant_id FROM t)), '2030-01-01 00:00:00+00'::timestamptz,
          'another claim (another probe_until) is left alone');
SELECT llm.breaker_release(tenant_id, 'anthropic', '2030-01-01 00:00:00+00') FROM t;
SELECT ok((SELECT probe_until <= internal.now() FROM llm.breakers WHERE provider = 'anthropic'
           AND tenant_id = (SELECT tenant_id FROM t)),
          'the claim taken is given back: the next caller may probe at once');
DELETE FROM llm.breakers WHERE tenant_id = (SELECT tenant_id FROM t) AND provider = 'anthropic';
-- llm.charged_attempts: usage beyond a bound is charged at the bound, with a note
SELECT is((SELECT (c.input_tokens, c.output_tokens, c.cached_tokens, c.error)::text
           FROM llm.charged_attempts('[{"model": "gpt-4o-mini", "route_position": 1,
             "outcome": "ok", "input_tokens": 100, "output_tokens": 10, "cached_tokens": 5}]',
             now(), '{100}') AS c),
          '(100,10,5,)', 'usage within the bounds is charged as reported, without a note');
SELECT is((SELECT (c.output_tokens, c.error)::text
           FROM llm.charged_attempts('[{"model": "gpt-4o-mini", "route_position": 1,
             "outcome": "ok", "input_tokens": 100, "output_tokens": 500, "error": "x"}]',
             now(), '{100}') AS c),
          '(100,"the provider reported 500 output tokens, above the output cap of this call (100): charged 100; x")',
          'output beyond the cap the call was begun with is charged at it, the note first');
SELECT is((SELECT (c.input_tokens, c.cached_tokens, c.output_tokens)::text
           FROM llm.charged_attempts('[{"model": "gpt-4o-mini", "route_position": 1,
             "outcome": "ok", "input_tokens": 200000, "cached_tokens": 150000,
             "output_tokens": 20000}]', now(), NULL) AS c),
          '(128000,78000,16384)',
          'input beyond the window is charged at it, uncached first, and without caps the model''s cap holds');
SELECT is((SELECT c.cost_usd FROM llm.charged_attempts('[{"model": "gpt-4o-mini",
             "route_position": 1, "outcome": "ok", "input_tokens": 1000,
             "output_tokens": 900}]', now(), '{100}') AS c),
          llm.cost_usd((SELECT p FROM llm.price_at('gpt-4o-mini', now()) AS p), 1000, 0, 100),
          'the cost is the charged counts at the price in force');
SELECT internal.clear_context();
SELECT ok((SELECT tgenabled = 'A' FROM pg_trigger WHERE tgrelid = 'llm.calls'::regclass
           AND tgname = '100_append_only'), 'the guard fires ALWAYS (even as a replica)');

SELECT * FROM finish();
ROLLBACK;
