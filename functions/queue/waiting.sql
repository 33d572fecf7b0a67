-- Waiting workers: an enqueue wakes one idle worker per job, not every worker.
--
-- Every idle worker LISTENs on claw_queue, and one NOTIFY there wakes all of them: with 8
-- worker processes every enqueue started 8 claims, 7 of them empty, which raced the one that
-- found the job for 2 cores (bench/queue_bench.py --workers 8: enqueue call 2.4 ms, against
-- 0.9 ms at 1 process). Now:
--   * a worker whose claim came up short while it still had a free runner is registered in
--     internal.waiting_workers for that queue (api.claim_jobs with p_idle_runners; a claim
--     that fills the worker's runners takes the registration away);
--   * each worker also LISTENs on its own channel, queue.worker_channel(its name);
--   * an enqueue notifies at most one registered, live worker per available job on that
--     channel (the longest registered first, so a quiet queue keeps going to the same warm
--     worker while it has room), and notifies claw_queue as before when none is registered
--     and alive. Old and custom workers that never register are woken by claw_queue only
--     then, and by their poll.
-- Liveness: a registered worker holds a session advisory lock on its name
-- (queue.worker_lock_key) from its first registration until its session ends; an enqueue
-- that can take that lock in share mode knows the worker is gone, skips it and drops its
-- entry. A worker must therefore claim over its own session, not through a transaction
-- pooler (a pooled session outlives the worker: its entry would look alive, the jobs it is
-- woken for would wait for another worker's poll).
-- Payloads are the queue's tag (queue.notify_tag), as on claw_queue: a channel tells no one
-- anything a tenant could not read there already.

-- queue.worker_channel: the LISTEN channel of a worker (claw.worker computes the same name).
-- This and queue.worker_lock_key pin no search_path (every name is qualified) so that the
-- planner inlines them into the wake-up's statements instead of calling them.
CREATE OR REPLACE FUNCTION queue.worker_channel(p_worker text)
RETURNS text
LANGUAGE sql
STABLE  -- not IMMUTABLE: convert_to is only stable, and a body more volatile than its
        -- function is not inlined
AS $fn$
  SELECT 'claw_w_' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
           pg_catalog.convert_to(p_worker, 'UTF8')), 'hex'), 32)
$fn$;
GRANT EXECUTE ON FUNCTION queue.worker_channel(text) TO claw_worker;

-- queue.worker_lock_key: the advisory lock a registered worker's session holds.
CREATE OR REPLACE FUNCTION queue.worker_lock_key(p_worker text)
RETURNS bigint
LANGUAGE sql
IMMUTABLE
AS $fn$ SELECT pg_catalog.hashtextextended('claw worker|' || p_worker, 0) $fn$;

-- queue.holds_liveness_lock: does this session hold p_worker's liveness lock (taken by
-- queue.note_waiting)? pg_locks shows a bigint advisory key as its two 32-bit halves. Not
-- inlined (its SET clause), so queue.wake_workers' test stays one expression and reads
-- pg_locks only for the worker its session names as its own (claw.waiting_as).
CREATE OR REPLACE FUNCTION queue.holds_liveness_lock(p_worker text)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_locks AS l
    CROSS JOIN (SELECT queue.worker_lock_key(p_worker) AS k) AS w
    WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid() AND l.granted
      AND l.mode = 'ExclusiveLock' AND l.objsubid = 1
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d
                        WHERE d.datname = pg_catalog.current_database())
      AND l.classid::bigint = (w.k >> 32) & 4294967295
      AND l.objid::bigint = w.k & 4294967295)
$fn$;
REVOKE ALL ON FUNCTION queue.holds_liveness_lock(text) FROM PUBLIC;

-- queue.drop_waiting: delete the worker's entry for p_queue (NULL: for every queue), but
-- never wait for one that is locked: an enqueue dropping it (its worker found gone; here a
-- predecessor under the same name) may stay open long, and the entry goes when it commits.
CREATE OR REPLACE FUNCTION queue.drop_waiting(p_worker text, p_queue text)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  DELETE FROM internal.waiting_workers AS w
  USING (SELECT x.queue, x.worker FROM internal.waiting_workers AS x
         WHERE x.worker = p_worker AND (p_queue IS NULL OR x.queue = p_queue)
         FOR UPDATE SKIP LOCKED) AS d
  WHERE w.queue = d.queue AND w.worker = d.worker
$fn$;

-- queue.note_waiting: register this session's worker for p_queue (p_waiting), or unregister
-- it from every queue (its runners are busy).
-- Registering takes the worker's liveness lock for the rest of the session once; when
-- another session holds it (a second live session with the same worker name, or an enqueue
-- checking on it this instant) the worker stays unregistered this time: it is still woken
-- by claw_queue and by its poll.
CREATE OR REPLACE FUNCTION queue.note_waiting(p_queue text, p_worker text, p_waiting boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT p_waiting THEN
    -- every queue's entry, not p_queue's alone: the worker's runners serve all its queues,
    -- so a claim of its next queue that fills them makes it busy for the queues it
    -- registered for earlier in the same round too (it would be woken alone for their jobs
    -- and take them into its buffer). The first runner to finish claims again and registers
    -- it where the queue is still empty (claw.worker: _rewait).
    -- Only when this session may have registered the worker since its last unregistration
    -- (claw.waiting_on, session-wide): a filter on the worker alone is a scan of every
    -- queue's waiting workers (the key is (queue, worker)), and at high throughput every
    -- claim is full. Entries of a predecessor under this name that this session never
    -- registered over are dropped by enqueues (nobody holds their liveness lock).
    IF pg_catalog.current_setting('claw.waiting_on', true) IS DISTINCT FROM p_worker THEN
      RETURN;
    END IF;
    PERFORM queue.drop_waiting(p_worker, NULL);
    PERFORM pg_catalog.set_config('claw.waiting_on', '', false);
    RETURN;
  END IF;
  IF pg_catalog.current_setting('claw.waiting_on', true) IS DISTINCT FROM p_worker THEN
    -- set before the registration, rolled back with it (a session setting is transactional)
    PERFORM pg_catalog.set_config('claw.waiting_on', p_worker, false);
  END IF;
  IF pg_catalog.current_setting('claw.waiting_as', true) IS DISTINCT FROM p_worker THEN
    IF NOT pg_catalog.pg_try_advisory_lock(queue.worker_lock_key(p_worker)) THEN
      RETURN;
    END IF;
    PERFORM pg_catalog.set_config('claw.waiting_as', p_worker, false);
  ELSIF EXISTS (SELECT 1 FROM internal.waiting_workers AS w
                WHERE w.queue = p_queue AND w.worker = p_worker) THEN
    RETURN;  -- registered already (the common case: one probe, no write)
  END IF;
  INSERT INTO internal.waiting_workers (queue, worker) VALUES (p_queue, p_worker)
  ON CONFLICT (queue, worker) DO NOTHING;
END
$fn$;

-- queue.wake_workers: after p_jobs jobs of p_queue became available in this transaction,
-- notify up to p_jobs live waiting workers (at most 64) that no earlier statement of this
-- transaction has woken (claw.woken, transaction-local), or claw_queue when there is none.
-- Delivered at commit, like every NOTIFY. SECURITY DEFINER (claw_owner): the enqueue
-- trigger runs as whichever function inserted the jobs.
CREATE OR REPLACE FUNCTION queue.wake_workers(p_queue text, p_jobs bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tag text := queue.notify_tag(p_queue);
  v_woken bigint := 0;
  v_again bigint := 0;
  v_w record;
  -- the workers this transaction has woken for this queue already (',' || key || ',' ...),
  -- so that a transaction enqueueing job by job (one statement each: a producer's loop, a
  -- flow step's follow-ups) wakes one worker per job as one statement of those jobs does,
  -- not the first registered worker for every one (it would take them all, and the other
  -- waiting workers would sleep out their poll)
  v_seen text := coalesce(NULLIF(pg_catalog.current_setting('claw.woken', true), ''), ',');
  -- a (queue, worker) pair's key: its entry in claw.woken and its reservation lock (below)
  v_key bigint;
  -- the worker this session registered, if any (queue.note_waiting): a worker that enqueues
  -- over the session that claims holds its own liveness lock, and the try below would take
  -- that lock (a session never conflicts with itself) for a sign that it is gone. Anyone can
  -- set the name (SET claw.waiting_as), so it is believed only when this session holds that
  -- worker's liveness lock (pg_locks, below): a producer naming a gone worker would otherwise
  -- wake it alone and keep its entry, and the job would wait for another worker's poll.
  v_self text := pg_catalog.current_setting('claw.waiting_as', true);
  -- live workers that another open transaction has woken for this queue (see below)
  v_taken bigint[] := '{}';
  v_taken_worker text[] := '{}';
BEGIN
  FOR v_w IN
    SELECT w.worker FROM internal.waiting_workers AS w
    WHERE w.queue = p_queue
    ORDER BY w.since, w.worker
    -- a few gone workers ahead of the live ones are dropped; those woken already skipped
    LIMIT LEAST(p_jobs, 64) + 8
          + pg_catalog.length(v_seen) - pg_catalog.length(pg_catalog.replace(v_seen, ',', ''))
  LOOP
    v_key := pg_catalog.hashtextextended('claw wake|' || p_queue || '|' || v_w.worker, 0);
    IF pg_catalog.strpos(v_seen, ',' || v_key::text || ',') > 0 THEN
      v_again := v_again + 1;  -- woken by an earlier statement of this transaction
      CONTINUE;
    END IF;
    IF (v_w.worker IS DISTINCT FROM v_self OR NOT queue.holds_liveness_lock(v_w.worker))
       AND pg_catalog.pg_try_advisory_xact_lock_shared(queue.worker_lock_key(v_w.worker)) THEN
      -- nobody holds the worker's lock: its session has ended. Drop the entry, unless
      -- another enqueue is dropping it
      PERFORM queue.drop_waiting(v_w.worker, p_queue);
      CONTINUE;
    END IF;
    -- Taken for this transaction until it ends: two producers committing at once would
    -- otherwise both wake the longest registered worker, and the other waiting workers would
    -- sleep. One that another open transaction has taken is woken only when no other is
    -- free (that transaction may still roll back: its wake-up is not certain).
    IF NOT pg_catalog.pg_try_advisory_xact_lock(v_key) THEN
      v_taken := v_taken || v_key;
      v_taken_worker := v_taken_worker || v_w.worker;
      CONTINUE;
    END IF;
    PERFORM pg_catalog.pg_notify(queue.worker_channel(v_w.worker), v_tag);
    v_seen := v_seen || v_key::text || ',';
    v_woken := v_woken + 1;
    EXIT WHEN v_woken >= p_jobs;
  END LOOP;
  FOR i IN 1 .. LEAST(pg_catalog.cardinality(v_taken), p_jobs - v_woken) LOOP
    PERFORM pg_catalog.pg_notify(queue.worker_channel(v_taken_worker[i]), v_tag);
    v_seen := v_seen || v_taken[i]::text || ',';
    v_woken := v_woken + 1;
  END LOOP;
  IF v_woken > 0 THEN
    PERFORM pg_catalog.set_config('claw.woken', v_seen, true);  -- until the transaction ends
  ELSIF v_again = 0 THEN
    -- nobody waits (every live waiting worker woken by this transaction already counts:
    -- as a statement of more jobs than waiting workers, no broadcast to the busy ones)
    PERFORM pg_catalog.pg_notify('claw_queue', v_tag);
  END IF;
END
$fn$;
REVOKE ALL ON FUNCTION queue.wake_workers(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue.wake_workers(text, bigint) TO claw_dispatcher;
