-- Workers waiting for jobs, so that an enqueue wakes one of them instead of all
-- (functions/queue/waiting.sql). Every idle worker LISTENs on claw_queue, and each NOTIFY
-- there woke all of them: with 8 worker processes, 8 claims (7 of them empty) raced for one
-- job on every enqueue. A worker whose claim came up short while it had a free runner is
-- registered here (api.claim_jobs, p_idle_runners); an enqueue notifies up to one registered
-- worker per job on that worker's own channel, and falls back to claw_queue when none is
-- registered and alive.
--
-- Not tenant data: a queue name and a worker name (what api.claim_jobs is called with), like
-- internal.queues. Read and written only by claw_owner's definer functions.
CREATE TABLE internal.waiting_workers (
  -- any name api.claim_jobs accepts (internal.require_size: 1,024 bytes), as claimed
  queue   text NOT NULL CHECK (pg_catalog.octet_length(queue) <= 1024),
  worker  text NOT NULL CHECK (pg_catalog.octet_length(worker) <= 1024),
  since   timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (queue, worker)
);

-- api.claim_jobs gains p_idle_runners (the routine file creates the new signature).
DROP FUNCTION IF EXISTS api.claim_jobs(text, text, integer, integer);
