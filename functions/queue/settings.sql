-- Queue settings and rate limits: global (shared by every tenant), so changed only by the
-- owner (`claw queue pause|resume|limit|rate`, or psql as the administrator), never by a
-- tenant's credential. Not granted to any login role.

-- queue.configure_queue: create or change a queue's settings; NULL leaves a value as is
-- (p_concurrency_limit => 0 removes the limit). Returns the settings row.
CREATE OR REPLACE FUNCTION queue.configure_queue(p_queue text, p_paused boolean DEFAULT NULL,
                                                 p_concurrency_limit integer DEFAULT NULL,
                                                 p_backoff_base interval DEFAULT NULL,
                                                 p_backoff_max interval DEFAULT NULL)
RETURNS internal.queues
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_row internal.queues;
BEGIN
  IF p_queue IS NULL OR NOT p_queue ~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue name',
      DETAIL = pg_catalog.format('%L is not a queue name', p_queue),
      HINT = 'lower case letters, digits, _ . -; e.g. default';
  END IF;
  IF p_concurrency_limit < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid concurrency limit',
      DETAIL = pg_catalog.format('%s is negative', p_concurrency_limit),
      HINT = 'a positive number of running jobs, or 0 for no limit';
  END IF;
  INSERT INTO internal.queues AS q (queue) VALUES (p_queue) ON CONFLICT (queue) DO NOTHING;
  UPDATE internal.queues AS q
  SET paused_at = CASE WHEN p_paused IS NULL THEN q.paused_at
                       WHEN p_paused THEN coalesce(q.paused_at, internal.now()) END,
      concurrency_limit = CASE WHEN p_concurrency_limit IS NULL THEN q.concurrency_limit
                               ELSE NULLIF(p_concurrency_limit, 0) END,
      backoff_base = coalesce(p_backoff_base, q.backoff_base),
      backoff_max = coalesce(p_backoff_max, q.backoff_max),
      updated_at = internal.now()
  WHERE q.queue = p_queue
  RETURNING q.* INTO v_row;
  IF p_paused IS FALSE THEN
    PERFORM pg_catalog.pg_notify('claw_queue', queue.notify_tag(p_queue));
  END IF;
  RETURN v_row;
EXCEPTION WHEN check_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue settings',
    DETAIL = SQLERRM, HINT = 'backoff_base > 0 and backoff_max >= backoff_base';
END
$fn$;

-- queue.set_rate_limit: at most p_per_second job starts per second for jobs with this
-- rate_key, across all workers, with bursts up to p_burst. p_per_second NULL removes it.
CREATE OR REPLACE FUNCTION queue.set_rate_limit(p_rate_key text, p_per_second numeric,
                                                p_burst integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_rate_key IS NULL OR pg_catalog.length(p_rate_key) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rate key',
      DETAIL = 'a rate key is 1 to 200 characters', HINT = 'e.g. simpro:api.example.com';
  END IF;
  IF p_per_second IS NULL THEN
    DELETE FROM internal.rate_limits AS r WHERE r.rate_key = p_rate_key;
    RETURN;
  END IF;
  IF p_per_second <= 0 OR coalesce(p_burst, 1) < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rate limit',
      DETAIL = pg_catalog.format('per_second %s, burst %s', p_per_second, p_burst),
      HINT = 'per_second > 0 and burst >= 1 (default: per_second rounded up)';
  END IF;
  INSERT INTO internal.rate_limits AS r (rate_key, per_second, burst, tokens, refilled_at)
  VALUES (p_rate_key, p_per_second, coalesce(p_burst, pg_catalog.ceil(p_per_second)::integer),
          coalesce(p_burst, pg_catalog.ceil(p_per_second)::integer), internal.now())
  ON CONFLICT (rate_key) DO UPDATE
    SET per_second = excluded.per_second, burst = excluded.burst,
        tokens = LEAST(r.tokens, excluded.burst), updated_at = internal.now();
END
$fn$;

-- queue.stats: per queue and state, the number of jobs and the oldest run_at (psql, CLI);
-- every configured queue (internal.queues) too, with state NULL and 0 jobs when it has none,
-- so a paused or limited empty queue still shows its settings.
CREATE OR REPLACE FUNCTION queue.stats()
RETURNS TABLE (queue text, state text, jobs bigint, oldest_run_at timestamptz, paused boolean,
               concurrency_limit integer)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(q.queue, j.queue), j.state, coalesce(j.jobs, 0), j.oldest_run_at,
         q.paused_at IS NOT NULL, q.concurrency_limit
  FROM internal.queues AS q
  FULL JOIN (SELECT jq.queue, jq.state, pg_catalog.count(*) AS jobs,
                    pg_catalog.min(jq.run_at) AS oldest_run_at
             FROM queue.jobs AS jq GROUP BY jq.queue, jq.state) AS j ON j.queue = q.queue
  ORDER BY 1, 2
$fn$;
ALTER FUNCTION queue.stats() OWNER TO claw_dispatcher;
