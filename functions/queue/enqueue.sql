-- Enqueue: validating a batch of job specs and inserting it, with per-tenant fair keys,
-- unique-key dedupe and one NOTIFY per statement and queue.
--
-- A job spec is a JSON object:
--   {"queue": "default", "kind": "sms.send", "payload": {...},        -- queue, kind required
--    "priority": 0, "run_at": "2026-11-22T06:00:00Z", "unique_key": "...",
--    "rate_key": "simpro:acme", "max_attempts": 5, "trace_id": "..."}
--
-- Fairness. Jobs are claimed in (priority DESC, fair_key) order, so keys compare only within
-- one priority. fair_key is a virtual time per (tenant, queue, priority): a statement that
-- enqueues n jobs ready now for a tenant at a priority reserves the keys
-- greatest(tenant's last key there, head) + 1 .. + n, where head is the key of the job of that
-- priority that would be claimed next (or the largest key given out at that priority, when
-- none waits). A tenant that enqueues 100,000 jobs gets 100,000 consecutive keys from the
-- head on; another tenant's job enqueued a moment later gets head + 1 and is claimed next,
-- not after the 100,000, whatever priorities the first tenant's other jobs have.
-- A job delayed to later (run_at in the future) has no key (NULL) until a claim finds it due
-- (queue.claim_jobs, step 2): it takes its key then, from its tenant's cursor with the head of
-- that moment, so delayed jobs of several tenants that come due together interleave. A
-- retried or rate-deferred job keeps its key, its place in line.
-- Locks: the (tenant, queue, priority) cursor row, until the caller commits, and at another
-- priority than 0 the tenant's priority-0 row of the queue first (a tenant's concurrent
-- enqueues into one queue take turns, never deadlock; other tenants do not wait).

-- queue.fair_head: the fair_key a new job of p_priority should start from in this queue.
-- Reads every tenant's jobs, so only claw_dispatcher's functions (BYPASSRLS) call it. Its
-- subqueries keep PostgreSQL from inlining it: each call is a statement of its own.
CREATE OR REPLACE FUNCTION queue.fair_head(p_queue text, p_priority smallint)
RETURNS bigint
LANGUAGE sql
STABLE
AS $fn$
  SELECT coalesce(
    (SELECT j.fair_key FROM queue.jobs AS j
     WHERE j.queue = p_queue AND j.state = 'available' AND j.priority = p_priority
     ORDER BY j.priority DESC, j.fair_key LIMIT 1),
    (SELECT pg_catalog.max(c.last_key) FROM queue.tenant_cursors AS c
     WHERE c.queue = p_queue AND c.priority = p_priority),
    0)
$fn$;
ALTER FUNCTION queue.fair_head(text, smallint) OWNER TO claw_dispatcher;

-- queue.take_fair_keys: reserve p_n consecutive fair keys for a tenant in a queue at a
-- priority; returns the last one (the batch's keys are the result - p_n + 1 .. the result).
-- One UPDATE of the tenant's cursor row with the head read in the same statement; the first
-- enqueue of a tenant into a queue at a priority inserts the row. p_n = 0 (jobs delayed to
-- later, which take their keys when they come due) only makes sure the row exists, so the
-- claim that makes them due finds it, and returns NULL. Owned by claw_dispatcher (BYPASSRLS:
-- the head is read across tenants, and the cursor row is written without the two context
-- verifications its policies would cost per statement); callers pass the verified tenant
-- (api.enqueue_job, queue.insert_jobs) or the schedule's (queue.tick). Locks: the cursor
-- row, until commit (p_n > 0), and at a priority other than 0 first the tenant's priority-0
-- row of the queue (the one lock order of a tenant's enqueues into a queue).
CREATE OR REPLACE FUNCTION queue.take_fair_keys(p_tenant_id uuid, p_queue text,
                                                p_priority smallint, p_n integer)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_key bigint;
  v_head bigint;
BEGIN
  -- One lock order for a tenant's enqueues into a queue, whatever the priorities: the
  -- (tenant, queue, priority 0) row first. Without it two transactions of one tenant that
  -- enqueue at priorities 0 and 1 in opposite orders each hold one cursor row and wait for
  -- the other's (a deadlock); with it they take turns, as with one cursor per queue.
  IF p_priority <> 0 THEN
    PERFORM 1 FROM queue.tenant_cursors AS c
    WHERE c.tenant_id = p_tenant_id AND c.queue = p_queue AND c.priority = 0
    FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO queue.tenant_cursors AS c (tenant_id, queue, priority, last_key)
      VALUES (p_tenant_id, p_queue, 0, 0)
      ON CONFLICT (tenant_id, queue, priority) DO UPDATE SET last_key = c.last_key;
    END IF;
  END IF;
  IF p_n = 0 THEN
    INSERT INTO queue.tenant_cursors AS c (tenant_id, queue, priority, last_key)
    VALUES (p_tenant_id, p_queue, p_priority, 0)
    ON CONFLICT (tenant_id, queue, priority) DO NOTHING;
    RETURN NULL;
  END IF;
  UPDATE queue.tenant_cursors AS c
  SET last_key = GREATEST(c.last_key, queue.fair_head(p_queue, p_priority)) + p_n
  WHERE c.tenant_id = p_tenant_id AND c.queue = p_queue AND c.priority = p_priority
  RETURNING c.last_key INTO v_key;
  IF FOUND THEN
    RETURN v_key;
  END IF;
  v_head := queue.fair_head(p_queue, p_priority);
  INSERT INTO queue.tenant_cursors AS c (tenant_id, queue, priority, last_key)
  VALUES (p_tenant_id, p_queue, p_priority, v_head + p_n)
  ON CONFLICT (tenant_id, queue, priority) DO UPDATE SET last_key = GREATEST(c.last_key, v_head) + p_n
  RETURNING c.last_key INTO STRICT v_key;
  RETURN v_key;
END
$fn$;
ALTER FUNCTION queue.take_fair_keys(uuid, text, smallint, integer) OWNER TO claw_dispatcher;

-- queue.job_spec_problem: what is wrong with one job spec (see the top of this file), or NULL
-- when nothing is. The one place the rules live: queue.insert_jobs asks it of every spec of
-- a batch (inlined into its query: a SQL function without a SET clause), api.enqueue_job of
-- a single job that queue.job_args_plainly_valid (below) does not pass.
CREATE OR REPLACE FUNCTION queue.job_spec_problem(p_spec jsonb)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT CASE
    WHEN pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN 'is not a JSON object'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(p_spec) AS k(key)
                 WHERE k.key NOT IN ('queue', 'kind', 'payload', 'priority', 'run_at',
                                     'unique_key', 'rate_key', 'max_attempts', 'trace_id'))
      THEN 'has an unknown field (allowed: queue, kind, payload, priority, run_at, '
           'unique_key, rate_key, max_attempts, trace_id)'
    WHEN pg_catalog.jsonb_typeof(p_spec -> 'queue') IS DISTINCT FROM 'string'
         OR NOT (p_spec ->> 'queue') ~ '^[a-z][a-z0-9_.-]*$' OR pg_catalog.length(p_spec ->> 'queue') > 63
      THEN 'queue must be a name like "default" (lower case, digits, _ . -; up to 63)'
    WHEN pg_catalog.jsonb_typeof(p_spec -> 'kind') IS DISTINCT FROM 'string'
         OR NOT (p_spec ->> 'kind') ~ '^[a-z][a-z0-9_.:-]*$' OR pg_catalog.length(p_spec ->> 'kind') > 100
      THEN 'kind must be a name like "sms.send" (lower case, digits, _ . : -; up to 100)'
    WHEN p_spec ? 'payload' AND pg_catalog.jsonb_typeof(p_spec -> 'payload') <> 'object'
      THEN 'payload must be a JSON object'
    WHEN pg_catalog.pg_column_size(p_spec -> 'payload') > internal.input_limit('json')
      THEN pg_catalog.format('payload is %s bytes; the limit for json inputs is %s bytes',
                             pg_catalog.pg_column_size(p_spec -> 'payload'),
                             internal.input_limit('json'))
    -- (the range compared as numeric, which a JSON number always is: the SQL function's
    -- custom plan folds a cast of its argument at plan time, whatever guards it, and an
    -- integer cast of 1.5 or 1e20 raised 22P02 / 22003 out of here instead of naming it)
    WHEN p_spec ? 'priority' AND CASE
           WHEN pg_catalog.jsonb_typeof(p_spec -> 'priority') <> 'number'
                OR NOT pg_catalog.pg_input_is_valid(p_spec ->> 'priority', 'smallint') THEN true
           ELSE (p_spec -> 'priority')::numeric NOT BETWEEN -100 AND 100 END
      THEN 'priority must be an integer from -100 to 100'
    WHEN p_spec ? 'run_at' AND (pg_catalog.jsonb_typeof(p_spec -> 'run_at') <> 'string'
         OR NOT pg_catalog.pg_input_is_valid(p_spec ->> 'run_at', 'timestamptz'))
      THEN 'run_at must be a timestamp with time zone, e.g. "2026-11-22T06:00:00Z"'
    WHEN p_spec ? 'max_attempts' AND CASE
           WHEN pg_catalog.jsonb_typeof(p_spec -> 'max_attempts') <> 'number'
                OR NOT pg_catalog.pg_input_is_valid(p_spec ->> 'max_attempts', 'integer') THEN true
           ELSE (p_spec -> 'max_attempts')::numeric NOT BETWEEN 1 AND 100 END
      THEN 'max_attempts must be an integer from 1 to 100'
    WHEN p_spec ? 'unique_key' AND (pg_catalog.jsonb_typeof(p_spec -> 'unique_key') <> 'string'
         OR pg_catalog.length(p_spec ->> 'unique_key') NOT BETWEEN 1 AND 200)
      THEN 'unique_key must be a string of 1 to 200 characters'
    WHEN p_spec ? 'rate_key' AND (pg_catalog.jsonb_typeof(p_spec -> 'rate_key') <> 'string'
         OR pg_catalog.length(p_spec ->> 'rate_key') NOT BETWEEN 1 AND 200)
      THEN 'rate_key must be a string of 1 to 200 characters'
    WHEN p_spec ? 'trace_id' AND (pg_catalog.jsonb_typeof(p_spec -> 'trace_id') <> 'string'
         OR pg_catalog.length(p_spec ->> 'trace_id') > 64)
      THEN 'trace_id must be a string of up to 64 characters'
    END
$fn$;
GRANT EXECUTE ON FUNCTION queue.job_spec_problem(jsonb) TO claw_dispatcher;

-- queue.job_args_plainly_valid: api.enqueue_job's pre-check of its arguments, without
-- building a spec: true only for arguments of which job_spec_problem would find nothing
-- wrong (the everyday job); false (or NULL) sends the job the batch's way, where
-- job_spec_problem names the problem. Stricter is safe, looser is not:
-- tests/test_queue.py holds it to job_spec_problem over every combination of edge values,
-- and the table's CHECK constraints refuse what both might miss. Building the spec and
-- asking job_spec_problem cost api.enqueue_job about 30 us of its 250 (measured in
-- session 21). Inlined (a SQL function without a SET clause); operators qualified.
CREATE OR REPLACE FUNCTION queue.job_args_plainly_valid(p_queue text, p_kind text,
                                                        p_payload jsonb, p_priority integer,
                                                        p_rate_key text,
                                                        p_max_attempts integer)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT p_queue OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_.-]*$'
         AND pg_catalog.length(p_queue) OPERATOR(pg_catalog.<=) 63
         AND p_kind OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_.:-]*$'
         AND pg_catalog.length(p_kind) OPERATOR(pg_catalog.<=) 100
         AND (p_payload IS NULL
              OR pg_catalog.jsonb_typeof(p_payload) OPERATOR(pg_catalog.=) 'object')
         AND (p_priority IS NULL
              OR (p_priority OPERATOR(pg_catalog.>=) -100
                  AND p_priority OPERATOR(pg_catalog.<=) 100))
         AND (p_rate_key IS NULL
              OR (pg_catalog.length(p_rate_key) OPERATOR(pg_catalog.>=) 1
                  AND pg_catalog.length(p_rate_key) OPERATOR(pg_catalog.<=) 200))
         AND (p_max_attempts IS NULL
              OR (p_max_attempts OPERATOR(pg_catalog.>=) 1
                  AND p_max_attempts OPERATOR(pg_catalog.<=) 100))
$fn$;
GRANT EXECUTE ON FUNCTION queue.job_args_plainly_valid(text, text, jsonb, integer, text, integer)
  TO claw_dispatcher;

-- queue.insert_jobs: validate and insert a batch of job specs for one tenant.
-- Callers: api.enqueue_jobs / api.enqueue_job (as claw_owner, under the tenant policy) and
-- queue.tick (as claw_dispatcher). Returns one row per spec, in order: the job id and
-- whether it was deduplicated (an existing waiting or running job with the same unique key
-- in the same queue; its id is returned and nothing is inserted).
-- Raises CL422 naming the first bad spec (nothing is inserted).
CREATE OR REPLACE FUNCTION queue.insert_jobs(p_tenant_id uuid, p_jobs jsonb)
RETURNS TABLE (job_id uuid, deduplicated boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_n integer;
  v_bad record;
  v_res record;
  v_ids uuid[];
  v_queues text[];
  v_prios smallint[];
  v_last bigint[];
  v_count integer[];
  v_inserted uuid[];
  i integer;
BEGIN
  IF p_jobs IS NULL OR pg_catalog.jsonb_typeof(p_jobs) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job batch',
      DETAIL = 'p_jobs must be a JSON array of job objects',
      HINT = '[{"queue": "default", "kind": "report.daily", "payload": {}}]';
  END IF;
  v_n := pg_catalog.jsonb_array_length(p_jobs);
  IF v_n NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job batch',
      DETAIL = pg_catalog.format('a batch holds 1 to 10000 jobs, not %s', v_n),
      HINT = 'split the batch';
  END IF;

  SELECT t.ord, t.problem INTO v_bad
  FROM (SELECT s.ord, queue.job_spec_problem(s.e) AS problem
        FROM pg_catalog.jsonb_array_elements(p_jobs) WITH ORDINALITY AS s(e, ord)) AS t
  WHERE t.problem IS NOT NULL
  ORDER BY t.ord LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job',
      DETAIL = pg_catalog.format('job %s of the batch %s', v_bad.ord, v_bad.problem),
      HINT = '{"queue": "default", "kind": "report.daily", "payload": {}} is the smallest job';
  END IF;

  -- Reserve fair keys per queue and priority of the batch (usually one), in that order, for
  -- the jobs ready now; a queue and priority with only delayed jobs makes sure its cursor row
  -- exists (p_n = 0). Locks each cursor row that gives out keys.
  SELECT pg_catalog.array_agg(q.queue ORDER BY q.queue, q.priority),
         pg_catalog.array_agg(q.priority ORDER BY q.queue, q.priority),
         pg_catalog.array_agg(q.n ORDER BY q.queue, q.priority)
    INTO v_queues, v_prios, v_count
  FROM (SELECT s.e ->> 'queue' AS queue, coalesce((s.e ->> 'priority')::smallint, 0) AS priority,
               (pg_catalog.count(*) FILTER (
                  WHERE coalesce((s.e ->> 'run_at')::timestamptz, v_now) <= v_now))::integer AS n
        FROM pg_catalog.jsonb_array_elements(p_jobs) AS s(e) GROUP BY 1, 2) AS q;
  v_last := '{}';
  FOR i IN 1 .. pg_catalog.cardinality(v_queues) LOOP
    v_last := v_last || queue.take_fair_keys(p_tenant_id, v_queues[i], v_prios[i], v_count[i]);
  END LOOP;

  v_ids := ARRAY(SELECT pg_catalog.uuidv7() FROM pg_catalog.generate_series(1, v_n));
  -- Jobs without a unique key are a plain INSERT; only those with one go through ON CONFLICT
  -- (a speculative insertion: one more WAL record and a confirmation per row).
  WITH spec0 AS (
    SELECT s.ord, s.e, v_ids[s.ord] AS new_id,
           coalesce((s.e ->> 'priority')::smallint, 0) AS priority,
           coalesce((s.e ->> 'run_at')::timestamptz, v_now) AS run_at
    FROM pg_catalog.jsonb_array_elements(p_jobs) WITH ORDINALITY AS s(e, ord)
  ), spec AS (
    SELECT spec0.*,
           pg_catalog.row_number() OVER (PARTITION BY spec0.e ->> 'queue', spec0.priority,
                                                      spec0.run_at <= v_now
                                         ORDER BY spec0.ord) AS k,
           pg_catalog.count(*) OVER (PARTITION BY spec0.e ->> 'queue', spec0.priority,
                                                  spec0.run_at <= v_now) AS n,
           (SELECT g.i FROM pg_catalog.generate_subscripts(v_queues, 1) AS g(i)
            WHERE v_queues[g.i] = spec0.e ->> 'queue' AND v_prios[g.i] = spec0.priority) AS g
    FROM spec0
  ), r AS (
    SELECT spec.ord, p_tenant_id AS tenant_id, spec.new_id AS job_id, spec.e ->> 'queue' AS queue,
           spec.e ->> 'kind' AS kind, coalesce(spec.e -> 'payload', '{}') AS payload,
           spec.priority,
           CASE WHEN spec.run_at <= v_now THEN v_last[spec.g] - spec.n + spec.k END AS fair_key,
           CASE WHEN spec.run_at > v_now THEN 'scheduled' ELSE 'available' END AS state,
           spec.run_at, coalesce((spec.e ->> 'max_attempts')::integer, 5) AS max_attempts,
           spec.e ->> 'unique_key' AS unique_key, spec.e ->> 'rate_key' AS rate_key,
           coalesce(spec.e ->> 'trace_id', internal.trace_id()) AS trace_id
    FROM spec
  ), plain AS (
    INSERT INTO queue.jobs AS j (tenant_id, job_id, queue, kind, payload, priority, fair_key,
                                 state, run_at, max_attempts, unique_key, rate_key, trace_id,
                                 enqueued_at)
    SELECT r.tenant_id, r.job_id, r.queue, r.kind, r.payload, r.priority, r.fair_key, r.state,
           r.run_at, r.max_attempts, r.unique_key, r.rate_key, r.trace_id, v_now
    FROM r WHERE r.unique_key IS NULL ORDER BY r.ord
    RETURNING j.job_id
  ), uniq AS (
    INSERT INTO queue.jobs AS j (tenant_id, job_id, queue, kind, payload, priority, fair_key,
                                 state, run_at, max_attempts, unique_key, rate_key, trace_id,
                                 enqueued_at)
    SELECT r.tenant_id, r.job_id, r.queue, r.kind, r.payload, r.priority, r.fair_key, r.state,
           r.run_at, r.max_attempts, r.unique_key, r.rate_key, r.trace_id, v_now
    FROM r WHERE r.unique_key IS NOT NULL ORDER BY r.ord
    ON CONFLICT (tenant_id, queue, unique_key)
      WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
      DO NOTHING
    RETURNING j.job_id
  )
  SELECT pg_catalog.array_agg(ins.job_id) INTO v_inserted
  FROM (SELECT plain.job_id FROM plain UNION ALL SELECT uniq.job_id FROM uniq) AS ins;

  IF pg_catalog.cardinality(v_inserted) = v_n THEN
    RETURN QUERY SELECT u.id, false FROM pg_catalog.unnest(v_ids) AS u(id);  -- nothing deduped
    RETURN;
  END IF;
  -- Deduplicated specs inserted nothing: give their keys back, so that asking again for a
  -- job that is already waiting does not move the tenant's cursor on (each cursor is still
  -- this transaction's: the value it had plus what was inserted at its end).
  UPDATE queue.tenant_cursors AS c
  SET last_key = GREATEST(b.last_before, coalesce(
        (SELECT pg_catalog.max(j.fair_key) FROM queue.jobs AS j
         WHERE j.tenant_id = p_tenant_id AND j.job_id = ANY (v_inserted)
           AND j.queue = g.queue AND j.priority = g.priority AND j.state = 'available'), 0))
  FROM ROWS FROM (pg_catalog.unnest(v_queues), pg_catalog.unnest(v_prios),
                  pg_catalog.unnest(v_last), pg_catalog.unnest(v_count))
       AS g(queue, priority, last_key, n)
  CROSS JOIN LATERAL (SELECT g.last_key - g.n AS last_before) AS b
  WHERE g.n > 0 AND c.tenant_id = p_tenant_id AND c.queue = g.queue AND c.priority = g.priority
    AND c.last_key = g.last_key;
  FOR v_res IN
    SELECT s.e, coalesce(ins.id, dup.job_id) AS id, ins.id IS NULL AS dedup
    FROM pg_catalog.jsonb_array_elements(p_jobs) WITH ORDINALITY AS s(e, ord)
    LEFT JOIN pg_catalog.unnest(v_inserted) AS ins(id) ON ins.id = v_ids[s.ord]
    LEFT JOIN LATERAL (
      SELECT j.job_id FROM queue.jobs AS j
      WHERE ins.id IS NULL AND j.tenant_id = p_tenant_id AND j.queue = s.e ->> 'queue'
        AND j.unique_key = s.e ->> 'unique_key'
        AND j.state IN ('scheduled', 'available', 'running')
    ) AS dup ON true
    ORDER BY s.ord
  LOOP
    IF v_res.id IS NULL THEN
      -- the job that held the key finished between the insert and this lookup (two
      -- statements, two snapshots): the key is free now, so insert this one again
      SELECT i.job_id, i.deduplicated INTO job_id, deduplicated
      FROM queue.insert_jobs(p_tenant_id, pg_catalog.jsonb_build_array(v_res.e)) AS i;
    ELSE
      job_id := v_res.id;
      deduplicated := v_res.dedup;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$fn$;
GRANT EXECUTE ON FUNCTION queue.insert_jobs(uuid, jsonb) TO claw_dispatcher;

-- queue.notify_tag: the payload of a claw_queue NOTIFY for p_queue: a keyed hash of the
-- name ('q' and 24 hex digits of sha256 with the context key), never the name itself. Any
-- role may LISTEN on any channel, so a tenant's application connection could otherwise read
-- the queue names (and the activity) of every other tenant; the tag says which queue woke
-- without naming it, and only the roles that send notifications may compute one (a tenant
-- cannot confirm a guessed name). SECURITY DEFINER: the key is the owner's alone.
CREATE OR REPLACE FUNCTION queue.notify_tag(p_queue text)
RETURNS text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 'q' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('queue|' || p_queue, 'UTF8')), 'hex'), 24)
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$fn$;
REVOKE ALL ON FUNCTION queue.notify_tag(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue.notify_tag(text) TO claw_dispatcher;

-- queue.tg_jobs__notify: for jobs that are ready now, wake idle workers without polling:
-- once per statement and queue, up to one waiting worker per job on its own channel, or
-- every worker on 'claw_queue' when none waits (queue.wake_workers, functions/queue/waiting.sql;
-- payload = the queue's queue.notify_tag). Never per row.
CREATE OR REPLACE FUNCTION queue.tg_jobs__notify()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM queue.wake_workers(q.queue, q.n)
  FROM (SELECT n.queue, pg_catalog.count(*) AS n FROM new_rows AS n
        WHERE n.state = 'available' GROUP BY n.queue) AS q;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER "900_notify" AFTER INSERT ON queue.jobs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue.tg_jobs__notify();
