-- Routed model calls, as the application (api.authenticate) or a worker holding a job
-- (api.act_as_job) makes them. Two round trips frame the provider requests Python sends:
--   api.begin_llm_call   route, cache, breakers, budget reservation (CL429 before anything
--                        is sent)
--   api.finish_llm_call  the ledger rows, their cost (SQL, from the price in force when the
--                        call began), the settlement, the breakers, the cache
-- and the ledger is read back with api.list_llm_calls / api.llm_usage (or, for an operator in
-- psql, the llm.daily_usage view).
-- Who: calls need owner, admin, operator or worker (scope llm:call); reads any tenant role.

-- api.begin_llm_call: start a call of task p_task whose assembled input counts
-- p_input_tokens (the model family's tokenizer, counted by the caller).
-- Returns jsonb:
--   cached       the cached response when the route caches and p_request_hash (the caller's
--                sha256 of parameters and assembled context) hits an entry within its TTL;
--                a cache_hit row is on the ledger at zero cost and nothing is reserved.
--   reservation_id, expires_at, reserved_usd   otherwise: the worst case held on every budget
--                that applies (the most expensive model of the chain at p_input_tokens in and
--                the output cap out); the caller must finish before expires_at.
--   call_token   what api.finish_llm_call takes instead of a fresh credential
--                (functions/llm/call_tokens.sql): the call is recorded even if the credential
--                that began it stops authenticating meanwhile; good until an hour after
--                expires_at.
--   route        fallback_on, max_attempts, backoff_ms, timeout_ms, max_output_tokens,
--                output_schema, max_repairs, version
--   chain        [{position, model, provider, tokenizer, context_window, max_output_tokens,
--                  fits, breaker: closed|probe|open, worst_usd}] in route order.
-- p_trace_id (else the claw.trace_id setting) goes on the ledger rows.
-- Raises CL401, CL403, CL404 (no route for the task), CL422 (bad counts; the input does not
-- fit any model of the chain), CL429 (a budget cannot hold the worst case).
-- Locks: the tenant's zone lock, then the prices lock, shared (llm.lock_zone, llm.lock_prices);
-- the tenant's breaker row of a provider only when it is open (providers in name order),
-- then the budget windows (llm.reserve): the order api.finish_llm_call takes them in.
-- plan_cache_mode: the chain's query (inlined price and cost functions over the route's
-- models) looked cheaper with its parameters' values, so PostgreSQL planned it again on every
-- call: 0.53 ms of planning per call against 0.16 ms to run its generic plan
-- (pg_stat_statements, track_planning).
CREATE OR REPLACE FUNCTION api.begin_llm_call(
  p_task text, p_input_tokens integer, p_max_output_tokens integer DEFAULT NULL,
  p_request_hash text DEFAULT NULL, p_flow_run_id uuid DEFAULT NULL,
  p_flow_step integer DEFAULT NULL, p_trace_id text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  v_tenant uuid;
  v_principal uuid;
  v_roles text[];
  v_now timestamptz := internal.now();
  v_route record;  -- the route and the tenant's time zone
  v_out integer;
  v_chain jsonb;
  v_worst numeric;
  v_key bytea;
  v_hit llm.cache_entries;
  v_res llm.reservations;
  v_call uuid;
  v_zone text;
  v_provider text;
  v_breakers jsonb := '{}';
BEGIN
  PERFORM internal.require_size('p_task', p_task, 'name'),
          internal.require_size('p_request_hash', p_request_hash, 'name'),
          internal.require_size('p_trace_id', p_trace_id, 'name');
  SELECT c.tenant_id, c.principal_id, c.roles INTO v_tenant, v_principal, v_roles
  FROM internal.require_context('{owner,admin,operator,worker}', 'llm:call', 'calling a model') AS c;
  IF p_input_tokens IS NULL OR p_input_tokens NOT BETWEEN 0 AND 1000000000
     OR p_max_output_tokens NOT BETWEEN 1 AND 1000000000
     OR (p_request_hash IS NOT NULL AND (p_request_hash !~ '^[0-9a-f]*$'
                                        OR pg_catalog.length(p_request_hash) <> 64))
     OR p_flow_step < 0 OR (p_flow_step IS NOT NULL AND p_flow_run_id IS NULL) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM call',
      DETAIL = 'input tokens 0 to 10^9, max output tokens 1 to 10^9, request hash 64 hex '
               'digits (sha256), a flow step 0 or more and only with its flow run',
      HINT = 'count the assembled input with the model family''s tokenizer';
  END IF;
  -- the zone read here picks the budget windows this call is held in (llm.lock_zone)
  PERFORM llm.lock_zone(v_tenant, false);
  -- no price version commits while this call is being priced (llm.set_price waits for it,
  -- and it for a set_price under way: llm.lock_prices). Taken after the zone lock, so a
  -- begin that waits on its tenant's zone (a budget or zone change) holds up no set_price,
  -- and through it no other tenant's begin.
  PERFORM llm.lock_prices(false);
  SELECT r.*, coalesce(s.time_zone, 'UTC') AS time_zone INTO v_route
  FROM llm.routes AS r LEFT JOIN llm.settings AS s ON s.tenant_id = r.tenant_id
  WHERE r.tenant_id = v_tenant AND r.task = p_task;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'no LLM route for this task',
      DETAIL = pg_catalog.format('task %L has no route in this tenant', p_task),
      HINT = 'an admin sets one with api.set_llm_route';
  END IF;
  v_zone := v_route.time_zone;
  v_out := least(coalesce(p_max_output_tokens, v_route.max_output_tokens), v_route.max_output_tokens);

  -- the response cache: keyed by the chain and the caller's hash of parameters and context
  IF v_route.cache_ttl_seconds > 0 AND p_request_hash IS NOT NULL THEN
    v_key := llm.cache_key(p_task, v_route.version, v_route.models, p_request_hash);
    UPDATE llm.cache_entries AS c SET hits = c.hits + 1
    WHERE c.tenant_id = v_tenant AND c.cache_key = v_key AND c.expires_at > v_now
    RETURNING c.* INTO v_hit;
    IF FOUND THEN
      INSERT INTO llm.calls (tenant_id, attempt, occurred_at, principal_id, task, flow_run_id,
                             flow_step, provider, model, route_position, latency_ms, outcome,
                             trace_id)
      SELECT v_tenant, 1, v_now, v_principal, p_task, p_flow_run_id, p_flow_step, m.provider,
             v_hit.model, coalesce(pg_catalog.array_position(v_route.models, v_hit.model), 1), 0,
             'cache_hit', coalesce(p_trace_id, internal.trace_id())
      FROM internal.llm_models AS m WHERE m.model = v_hit.model
      RETURNING call_id INTO v_call;
      RETURN pg_catalog.jsonb_build_object('cached', v_hit.response, 'call_id', v_call,
                                           'model', v_hit.model);
    END IF;
  END IF;

  -- the breakers of the providers with a model the input fits, one statement each in provider
  -- order (claiming a probe locks the row): every begin and finish locks a tenant's breaker
  -- rows in that order, before its budget windows, so none waits on another in a cycle
  FOR v_provider IN
    SELECT DISTINCT m.provider
    FROM pg_catalog.unnest(v_route.models) AS o(model)
    JOIN internal.llm_models AS m ON m.model = o.model
    WHERE p_input_tokens + least(v_out, m.max_output_tokens) <= m.context_window
      AND EXISTS (SELECT 1 FROM llm.price_at(o.model, v_now))
    ORDER BY m.provider
  LOOP
    v_breakers := v_breakers || pg_catalog.jsonb_build_object(v_provider,
      llm.breaker_admit(v_tenant, v_provider, (v_route.timeout_ms * 2) * interval '1 millisecond'));
  END LOOP;
  -- a probe is one attempt: the provider's first model that fits holds it, its others skip
  SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'position', c.position, 'model', c.model, 'provider', c.provider,
           'tokenizer', c.tokenizer, 'context_window', c.context_window,
           'max_output_tokens', c.out_cap, 'fits', c.fits,
           'breaker', CASE WHEN NOT c.fits THEN 'closed'
                           WHEN v_breakers ->> c.provider = 'probe'
                                AND c.position <> c.first_fit THEN 'open'
                           ELSE coalesce(v_breakers ->> c.provider, 'closed') END,
           'worst_usd', c.worst) ORDER BY c.position),
         max(c.worst) FILTER (WHERE c.fits)
    INTO v_chain, v_worst
  FROM (SELECT f.*, min(f.position) FILTER (WHERE f.fits) OVER (PARTITION BY f.provider)
                      AS first_fit
        FROM (SELECT o.position, o.model, m.provider, m.tokenizer, m.context_window,
                     least(v_out, m.max_output_tokens) AS out_cap,
                     p_input_tokens + least(v_out, m.max_output_tokens) <= m.context_window
                       AS fits,
                     llm.cost_usd(p, p_input_tokens, 0, least(v_out, m.max_output_tokens))
                       AS worst
              FROM pg_catalog.unnest(v_route.models) WITH ORDINALITY AS o(model, position)
              JOIN internal.llm_models AS m ON m.model = o.model
              CROSS JOIN LATERAL llm.price_at(o.model, v_now) AS p) AS f) AS c;
  IF v_worst IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'the input fits no model of the route',
      DETAIL = pg_catalog.format('%s input tokens + the output cap exceed the context window of '
                                 'every priced model in %s', p_input_tokens, v_route.models),
      HINT = 'assemble a smaller context, or route the task to a model with a larger window';
  END IF;
  -- the reservation outlives the longest call the route allows, with a minute to spare
  v_res := llm.reserve(v_tenant, p_task, v_principal, v_worst,
                       ((v_route.timeout_ms + v_route.backoff_ms * 8) * v_route.max_attempts
                        * pg_catalog.cardinality(v_route.models) + 60000) * interval '1 millisecond',
                       v_zone, p_flow_run_id, p_flow_step, p_route_version => v_route.version,
                       -- what the call may do, which its finish is held to (migration 0059)
                       p_chain_models => v_route.models,
                       p_chain_output_caps => ARRAY(
                         SELECT least(v_out, m.max_output_tokens)
                         FROM pg_catalog.unnest(v_route.models) WITH ORDINALITY AS o(model, i)
                         JOIN internal.llm_models AS m ON m.model = o.model ORDER BY o.i),
                       p_max_attempts => v_route.max_attempts);
  -- the probes this begin claimed, so that its finish gives back those it does not use
  -- (migration 0060); the claimed rows are locked by this transaction since the claim
  IF v_breakers @? '$.* ? (@ == "probe")' THEN
    UPDATE llm.reservations AS r
    SET probe_claims = (SELECT pg_catalog.jsonb_object_agg(b.provider, b.probe_until)
                        FROM llm.breakers AS b
                        WHERE b.tenant_id = v_tenant AND b.state = 'half_open'
                          AND v_breakers ->> b.provider = 'probe')
    WHERE r.tenant_id = v_tenant AND r.reservation_id = v_res.reservation_id;
  END IF;
  RETURN pg_catalog.jsonb_build_object(
    'reservation_id', v_res.reservation_id, 'expires_at', v_res.expires_at,
    'reserved_usd', v_res.amount_usd,
    'call_token', llm.make_call_token(v_tenant, v_principal, v_roles, v_res.reservation_id,
                                      v_res.expires_at + interval '1 hour', p_request_hash),
    'route', pg_catalog.jsonb_build_object(
      'fallback_on', v_route.fallback_on, 'max_attempts', v_route.max_attempts,
      'backoff_ms', v_route.backoff_ms, 'timeout_ms', v_route.timeout_ms,
      'max_output_tokens', v_out, 'output_schema', v_route.output_schema,
      'max_repairs', v_route.max_repairs, 'version', v_route.version,
      'cache', v_route.cache_ttl_seconds > 0),
    'chain', v_chain);
END
$fn$;
COMMENT ON FUNCTION api.begin_llm_call(text, integer, integer, text, uuid, integer, text) IS
  'Start a routed LLM call: the route''s chain with prices and breaker states, a cache lookup '
  '(a hit is ledgered at zero cost), else the worst-case cost reserved on every applicable '
  'budget. CL404 no route, CL422 bad input or fits no model, CL429 over budget (nothing sent).';
GRANT EXECUTE ON FUNCTION api.begin_llm_call(text, integer, integer, text, uuid, integer, text)
  TO claw_runtime, claw_worker;

-- api.finish_llm_call: record what happened to a call begun with api.begin_llm_call.
-- p_attempts: [{model, route_position, input_tokens, output_tokens, cached_tokens,
-- latency_ms, outcome, http_status, error}] in the order they were sent (input_tokens counts
-- every input token, cached_tokens the part read from the provider's prompt cache). Each
-- becomes a ledger row whose cost is computed here from the price version in force when the
-- call began.
-- The reservation is settled with their total (released when it is zero); each attempt that
-- reached its provider moves the provider's breaker (5xx and timeouts count as failures, any
-- answer as a success, a 429 as neither; a model skipped before sending as nothing); p_response (the final answer) fills the cache when the route caches and
-- p_request_hash is given. p_context (what the context assembly included and dropped) is
-- stored with every row; p_trace_id (else the claw.trace_id setting) too.
-- p_call_token (the one begin returned): the call's own tenant context for this finish, in
-- place of a credential; the transaction's context before it is restored on return. With it
-- the cache is filled only under the request hash begin was given. Without it the caller
-- needs a verified context (api.authenticate, api.act_as_job) as for begin, and finishes
-- only its own principal's call unless it is owner or admin (CL403).
-- Each attempt is priced at the version in force when the call began (the reservation's
-- instant): a price changed while it ran neither raises nor lowers what it costs. Its ledger
-- rows are dated at that instant too (occurred_at: when the call began; latency_ms says how
-- long each attempt took), so usage by day matches the budget windows charged.
-- Returns jsonb {cost_usd, status, late, calls}.
-- Raises CL401 (no context, or an invalid call token), CL403, CL404 (unknown reservation),
-- CL409 (already finished), CL422 (bad attempts: malformed, a model outside the catalogue or
-- the call's chain, more attempts than the route allows). Usage beyond the model's context
-- window or the call's output cap is charged at that bound (llm.charged_attempts).
-- Locks: breaker rows that change (provider order), the reservation, its windows (budget_id
-- order): breakers before windows, as api.begin_llm_call.
CREATE OR REPLACE FUNCTION api.finish_llm_call(
  p_reservation_id uuid, p_attempts jsonb, p_response jsonb DEFAULT NULL,
  p_request_hash text DEFAULT NULL, p_context jsonb DEFAULT NULL, p_trace_id text DEFAULT NULL,
  p_call_token text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
  v_caller uuid;
  v_roles text[];
  v_owner uuid;
  v_prev_ctx text;
  v_prev_mac text;
  v_begun_hash text;
  v_priced_at timestamptz;
  v_now timestamptz := internal.now();
  v_res llm.reservations;
  v_route llm.routes;
  v_total numeric;
  v_n integer;
  v_bad text;
  v_a record;
  v_ok_model text;
  v_begun_by text;
  v_chain text[];
  v_caps integer[];
  v_tries integer;
  v_claims jsonb;
BEGIN
  PERFORM internal.require_size('p_attempts', p_attempts, 'json'),
          internal.require_size('p_response', p_response, 'json'),
          internal.require_size('p_request_hash', p_request_hash, 'name'),
          internal.require_size('p_context', p_context, 'json'),
          internal.require_size('p_trace_id', p_trace_id, 'name'),
          internal.require_size('p_call_token', p_call_token, 'name');
  IF p_call_token IS NULL THEN
    SELECT c.tenant_id, c.principal_id, c.roles INTO v_tenant, v_caller, v_roles
    FROM internal.require_context('{owner,admin,operator,worker}', 'llm:call',
                                  'calling a model') AS c;
  ELSE
    v_prev_ctx := pg_catalog.current_setting('claw.ctx', true);
    v_prev_mac := pg_catalog.current_setting('claw.ctx_mac', true);
    SELECT t.tenant_id, t.request_hash INTO v_tenant, v_begun_hash
    FROM llm.use_call_token(p_call_token, p_reservation_id) AS t;
  END IF;
  -- attempts are priced at the versions in force when the call began (what its reservation
  -- admitted): a price raised while it ran must not charge more than was held
  SELECT r.created_at, r.principal_id, r.begun_by, r.chain_models, r.chain_output_caps,
         r.max_attempts, r.probe_claims
    INTO v_priced_at, v_owner, v_begun_by, v_chain, v_caps, v_tries, v_claims
  FROM llm.reservations AS r
  WHERE r.tenant_id = v_tenant AND r.reservation_id = p_reservation_id;
  v_priced_at := coalesce(v_priced_at, v_now);  -- unknown: close_reservation raises CL404
  -- without the token: the caller's own call (its principal's; a worker's, its job's), or an
  -- owner or admin closing any (another caller must not settle a call with usage it made up)
  IF p_call_token IS NULL AND FOUND AND NOT v_roles && '{owner,admin}'::text[]
     AND (v_owner IS DISTINCT FROM v_caller
          OR (v_owner IS NULL AND v_begun_by IS DISTINCT FROM internal.context_credential())) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'not your call',
      DETAIL = pg_catalog.format('reservation %s was begun by another %s', p_reservation_id,
                                 CASE WHEN v_owner IS NULL AND v_caller IS NULL THEN 'job'
                                      ELSE 'principal' END),
      HINT = 'finish with the call token api.begin_llm_call returned, or as owner or admin';
  END IF;
  IF p_attempts IS NULL OR pg_catalog.jsonb_typeof(p_attempts) <> 'array' THEN
    v_bad := 'attempts must be a JSON array';
  ELSIF pg_catalog.jsonb_array_length(p_attempts) > 80 THEN
    -- a route makes at most max_attempts (10) per model of at most 8 models
    v_bad := pg_catalog.format('%s attempts: a call makes at most 80 (10 per model, 8 models)',
                               pg_catalog.jsonb_array_length(p_attempts));
  END IF;
  IF v_bad IS NULL THEN  -- each an object, its counts whole numbers in integer range
    SELECT pg_catalog.format('attempt %s: %s', e.n,
             CASE WHEN pg_catalog.jsonb_typeof(e.j) <> 'object' THEN 'must be a JSON object'
                  ELSE pg_catalog.format('%s must be a whole number from 0 to 2147483647, not %s',
                                         f.k, e.j -> f.k) END)
      INTO v_bad
    FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
    LEFT JOIN LATERAL (
      SELECT k.k FROM pg_catalog.unnest(ARRAY['route_position', 'input_tokens', 'output_tokens',
                                              'cached_tokens', 'latency_ms', 'http_status']) AS k(k)
      WHERE pg_catalog.jsonb_typeof(e.j) = 'object'
        AND pg_catalog.jsonb_typeof(e.j -> k.k) IS DISTINCT FROM 'null'
        AND (pg_catalog.jsonb_typeof(e.j -> k.k) <> 'number'
             OR (e.j ->> k.k) !~ '^[0-9]{1,10}$'
             OR (e.j ->> k.k)::numeric > 2147483647)
      LIMIT 1) AS f ON true
    WHERE pg_catalog.jsonb_typeof(e.j) <> 'object' OR f.k IS NOT NULL
    ORDER BY e.n LIMIT 1;
  END IF;
  IF v_bad IS NULL THEN
    SELECT pg_catalog.format('attempt %s: %s', e.n,
             CASE WHEN m.model IS NULL THEN pg_catalog.format('model %L is not in the catalogue', a.model)
                  WHEN a.outcome IS NULL OR a.outcome NOT IN ('ok', 'invalid_output', 'rate_limited',
                       'server_error', 'timeout', 'context_overflow', 'client_error', 'breaker_open')
                    THEN pg_catalog.format('outcome %L is unknown', a.outcome)
                  WHEN coalesce(a.route_position, 0) < 1
                    THEN 'route position must be >= 1'
                  ELSE pg_catalog.format('model %L has no price in force at %s, when the call '
                                         'began, and the attempt used tokens', a.model,
                                         v_priced_at) END)
      INTO v_bad
    FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
    CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
           AS a(model text, route_position integer, input_tokens integer, output_tokens integer,
                cached_tokens integer, latency_ms integer, outcome text)
    LEFT JOIN internal.llm_models AS m ON m.model = a.model
    LEFT JOIN LATERAL llm.price_at(a.model, v_priced_at) AS p ON true
    WHERE m.model IS NULL
       OR a.outcome IS NULL OR a.outcome NOT IN ('ok', 'invalid_output', 'rate_limited',
            'server_error', 'timeout', 'context_overflow', 'client_error', 'breaker_open')
       OR coalesce(a.route_position, 0) < 1
       OR (p.model IS NULL AND coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0) > 0)
    ORDER BY e.n LIMIT 1;
  END IF;
  -- what the call could have done (the chain and attempts it was begun with): no model
  -- outside it, no more attempts of a model than the route allows (a skipped model's record
  -- counts as one). Usage beyond the output cap it was begun with, or beyond a model's
  -- context window, is charged at that bound (llm.charged_attempts), not refused.
  IF v_bad IS NULL AND v_chain IS NOT NULL THEN
    SELECT pg_catalog.format('attempt %s: %s', x.n, x.why) INTO v_bad
    FROM (SELECT e.n,
                 CASE WHEN v_chain[a.route_position] IS DISTINCT FROM a.model
                        THEN pg_catalog.format('model %L at route position %s is not in the '
                                               'route the call was begun with (%s)', a.model,
                                               a.route_position, v_chain)
                      WHEN pg_catalog.count(*) OVER (PARTITION BY a.route_position
                                                     ORDER BY e.n) > v_tries
                        THEN pg_catalog.format('more attempts of %L than the route allows (%s)',
                                               a.model, v_tries) END AS why
          FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
          CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
                 AS a(model text, route_position integer)) AS x
    WHERE x.why IS NOT NULL
    ORDER BY x.n LIMIT 1;
  END IF;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM call record', DETAIL = v_bad,
      HINT = 'see COMMENT ON FUNCTION api.finish_llm_call';
  END IF;
  -- the breakers first, a provider at a time in name order (each provider's attempts in the
  -- order they were sent): api.begin_llm_call locks breaker rows in that order before its
  -- budget windows, so the settlement's window locks come after them here too (windows
  -- then breakers deadlocked with a begin claiming a probe)
  -- only attempts that reached the provider move its breaker: a model skipped before
  -- sending (it did not fit, no client for its provider: no HTTP status) says nothing of the
  -- provider, and counted as a success it closed an open breaker
  -- A probe claim of begin's (probe_claims) that no attempt settled is given back in the
  -- same order (llm.breaker_release): an earlier model answered, or the probe met a 429, and
  -- the provider must not stay skipped by every other call until the lease runs out.
  FOR v_a IN
    WITH moved AS (
      SELECT m.provider, a.outcome, e.n
      FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
      CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
             AS a(model text, outcome text, http_status integer)
      JOIN internal.llm_models AS m ON m.model = a.model
      WHERE a.outcome <> 'rate_limited' AND a.outcome <> 'breaker_open'
        AND (a.outcome IN ('ok', 'invalid_output', 'server_error', 'timeout')
             OR a.http_status IS NOT NULL))
    SELECT x.provider, x.outcome, x.claim
    FROM (SELECT v.provider, v.outcome, v.n, NULL::timestamptz AS claim FROM moved AS v
          UNION ALL
          SELECT c.key, NULL, 0, c.value::timestamptz
          FROM pg_catalog.jsonb_each_text(coalesce(v_claims, '{}')) AS c
          WHERE NOT EXISTS (SELECT 1 FROM moved AS v WHERE v.provider = c.key)) AS x
    ORDER BY x.provider, x.n
  LOOP
    IF v_a.claim IS NULL THEN
      PERFORM llm.breaker_record(v_tenant, v_a.provider,
                                 v_a.outcome NOT IN ('server_error', 'timeout'));
    ELSE
      PERFORM llm.breaker_release(v_tenant, v_a.provider, v_a.claim);
    END IF;
  END LOOP;
  SELECT a.model INTO v_ok_model
  FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
  CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j) AS a(model text, outcome text)
  WHERE a.outcome = 'ok'
  ORDER BY e.n DESC LIMIT 1;
  -- the cost of every attempt at the price in force when the call began, then the
  -- settlement (which locks the reservation and its windows and raises CL404 / CL409), then
  -- the ledger rows
  SELECT coalesce(sum(c.cost_usd), 0) INTO v_total
  FROM llm.charged_attempts(p_attempts, v_priced_at, v_caps) AS c;
  v_res := llm.close_reservation(v_tenant, p_reservation_id, v_total);
  INSERT INTO llm.calls (tenant_id, reservation_id, attempt, occurred_at, principal_id, task,
                         flow_run_id, flow_step, provider, model, route_position, input_tokens,
                         output_tokens, cached_tokens, cost_usd, price_valid_from, latency_ms,
                         outcome, http_status, error, trace_id, context)
  -- dated at the call's beginning, the instant it is priced at and whose budget windows it
  -- is charged to: a call across local midnight is the earlier day's, in the usage and the
  -- windows alike
  SELECT v_tenant, v_res.reservation_id, c.n, v_priced_at, v_res.principal_id, v_res.task,
         v_res.flow_run_id, v_res.flow_step, c.provider, c.model, c.route_position,
         c.input_tokens, c.output_tokens, c.cached_tokens, c.cost_usd, c.price_valid_from,
         c.latency_ms, c.outcome, c.http_status, c.error,
         coalesce(p_trace_id, internal.trace_id()),
         p_context
  FROM llm.charged_attempts(p_attempts, v_priced_at, v_caps) AS c;
  GET DIAGNOSTICS v_n = ROW_COUNT;


  IF p_response IS NOT NULL AND p_request_hash IS NOT NULL AND v_ok_model IS NOT NULL
     AND (p_call_token IS NULL OR p_request_hash = v_begun_hash) THEN
    SELECT r.* INTO v_route FROM llm.routes AS r
    WHERE r.tenant_id = v_tenant AND r.task = v_res.task;
    -- (a route changed while the call ran: an answer made under its old version, another
    -- chain, schema or output cap, is not cached under the new one)
    IF FOUND AND v_route.cache_ttl_seconds > 0 AND p_request_hash ~ '^[0-9a-f]*$'
       AND pg_catalog.length(p_request_hash) = 64 AND v_ok_model = ANY (v_route.models)
       AND v_route.version = v_res.route_version THEN
      INSERT INTO llm.cache_entries AS c (tenant_id, cache_key, task, model, response,
                                          created_at, expires_at)
      VALUES (v_tenant, llm.cache_key(v_res.task, v_route.version, v_route.models,
                                      p_request_hash),
              v_res.task, v_ok_model, p_response, v_now,
              v_now + v_route.cache_ttl_seconds * interval '1 second')
      ON CONFLICT (tenant_id, cache_key) DO UPDATE
        SET model = EXCLUDED.model, response = EXCLUDED.response,
            created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, hits = 0;
    END IF;
  END IF;
  IF p_call_token IS NOT NULL THEN  -- the token's context was for this finish only
    PERFORM pg_catalog.set_config('claw.ctx', coalesce(v_prev_ctx, ''), true),
            pg_catalog.set_config('claw.ctx_mac', coalesce(v_prev_mac, ''), true);
  END IF;
  RETURN pg_catalog.jsonb_build_object('cost_usd', v_total, 'status', v_res.status,
                                       'late', v_res.late, 'calls', v_n);
END
$fn$;
-- the version without p_call_token (replaced in the same transaction as its callers)
DROP FUNCTION IF EXISTS api.finish_llm_call(uuid, jsonb, jsonb, text, jsonb, text);
COMMENT ON FUNCTION api.finish_llm_call(uuid, jsonb, jsonb, text, jsonb, text, text) IS
  'Finish a routed LLM call: one ledger row per attempt with its cost computed from the price '
  'in force when it began, the reservation settled (or released), breakers moved, the cache filled. '
  'With p_call_token (from begin) no fresh credential is needed. CL401 no context or an '
  'invalid token, CL404 unknown call, CL409 already finished, CL422 bad attempts.';
GRANT EXECUTE ON FUNCTION api.finish_llm_call(uuid, jsonb, jsonb, text, jsonb, text, text)
  TO claw_runtime, claw_worker;

-- api.list_llm_calls: the tenant's ledger rows, newest first, optionally of one task.
CREATE OR REPLACE FUNCTION api.list_llm_calls(p_task text DEFAULT NULL, p_limit integer DEFAULT 100)
RETURNS TABLE (call_id uuid, reservation_id uuid, attempt integer, occurred_at timestamptz,
               principal_id uuid, task text, flow_run_id uuid, flow_step integer,
               provider text, model text, route_position integer, input_tokens integer,
               output_tokens integer, cached_tokens integer, cost_usd numeric,
               price_valid_from timestamptz, latency_ms integer, outcome text,
               http_status integer, error text, trace_id text, context jsonb)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_task', p_task, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'reading the LLM ledger');
  PERFORM internal.require_limit(p_limit, 1000);
  RETURN QUERY
  SELECT c.call_id, c.reservation_id, c.attempt, c.occurred_at, c.principal_id, c.task,
         c.flow_run_id, c.flow_step, c.provider, c.model, c.route_position, c.input_tokens,
         c.output_tokens, c.cached_tokens, c.cost_usd, c.price_valid_from, c.latency_ms,
         c.outcome, c.http_status, c.error, c.trace_id, c.context
  FROM llm.calls AS c
  WHERE c.tenant_id = internal.current_tenant_id() AND (p_task IS NULL OR c.task = p_task)
  ORDER BY c.occurred_at DESC, c.call_id DESC
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION api.list_llm_calls(text, integer) IS
  'The tenant''s LLM usage ledger, newest first (optionally one task; at most 1000 rows).';
GRANT EXECUTE ON FUNCTION api.list_llm_calls(text, integer) TO claw_runtime, claw_worker;

-- api.llm_usage: the tenant's usage by local day (its time zone), task and model between two
-- local dates (inclusive).
CREATE OR REPLACE FUNCTION api.llm_usage(p_from date, p_to date)
RETURNS TABLE (day date, task text, model text, calls bigint, failed bigint, cache_hits bigint,
               input_tokens bigint, output_tokens bigint, cached_tokens bigint,
               cost_usd numeric)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid;
  v_zone text;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'reading LLM usage');
  -- the bounds first: p_to - p_from raised 22008 for an infinite date, and the day after the
  -- last representable date is out of range (OR is evaluated left to right, stopping at true)
  IF p_from IS NULL OR p_to IS NULL
     OR NOT (p_from BETWEEN '0001-01-01'::date AND '9999-12-31'::date)
     OR NOT (p_to BETWEEN '0001-01-01'::date AND '9999-12-31'::date)
     OR p_to < p_from OR p_to - p_from > 366 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid date range',
      DETAIL = pg_catalog.format('%s to %s', p_from, p_to),
      HINT = 'from <= to, at most 366 days apart, years 1 to 9999';
  END IF;
  v_tenant := internal.current_tenant_id();
  v_zone := llm.tenant_zone(v_tenant);
  RETURN QUERY
  SELECT (c.occurred_at AT TIME ZONE v_zone)::date, c.task, c.model, count(*),
         count(*) FILTER (WHERE c.outcome NOT IN ('ok', 'cache_hit')),
         count(*) FILTER (WHERE c.outcome = 'cache_hit'),
         sum(c.input_tokens)::bigint, sum(c.output_tokens)::bigint, sum(c.cached_tokens)::bigint,
         sum(c.cost_usd)
  FROM llm.calls AS c
  WHERE c.tenant_id = v_tenant
    AND c.occurred_at >= p_from::timestamp AT TIME ZONE v_zone
    AND c.occurred_at < (p_to + 1)::timestamp AT TIME ZONE v_zone
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;
END
$fn$;
COMMENT ON FUNCTION api.llm_usage(date, date) IS
  'The tenant''s LLM usage by local day, task and model: calls, failures, cache hits, tokens, '
  'cost (USD). Dates are in the tenant''s time zone, inclusive, at most 366 days.';
GRANT EXECUTE ON FUNCTION api.llm_usage(date, date) TO claw_runtime, claw_worker;

-- api.expire_llm_reservations: worker maintenance: expire held reservations past their
-- deadline in every tenant (their callers died); returns how many.
CREATE OR REPLACE FUNCTION api.expire_llm_reservations(p_limit integer DEFAULT 100)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT llm.expire_reservations(p_limit) $fn$;
COMMENT ON FUNCTION api.expire_llm_reservations(integer) IS
  'Worker: expire LLM budget reservations whose caller died (past their deadline), in up to '
  'p_limit tenants; returns how many were expired.';
GRANT EXECUTE ON FUNCTION api.expire_llm_reservations(integer) TO claw_worker;
