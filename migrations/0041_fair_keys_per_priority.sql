-- Fairness, per priority and at the moment a job comes due (functions/queue/enqueue.sql).
--
-- Jobs are claimed in (priority DESC, fair_key) order, so fair keys only ever compare within
-- one priority; the head a new key started from was the next job to claim, which is the
-- highest priority's. One high-priority job of tenant A put tenant B's next normal job after
-- A's whole normal backlog. The cursor and the head are now per (queue, priority).
--
-- A delayed job took its key at enqueue, and with nothing available the head is the largest
-- key given out: B's job delayed to the same instant as A's 1,000 came due behind them. A
-- job delayed at enqueue now has no key (NULL) until a claim makes it available; it then
-- takes one from its tenant's cursor, with the head of that moment.

ALTER TABLE queue.tenant_cursors ADD COLUMN priority smallint NOT NULL DEFAULT 0
  CHECK (priority BETWEEN -100 AND 100);
ALTER TABLE queue.tenant_cursors DROP CONSTRAINT tenant_cursors_pkey;
ALTER TABLE queue.tenant_cursors ADD PRIMARY KEY (tenant_id, queue, priority);
-- (its index for queue.fair_head: migration 0042)

-- Each existing cursor carries on at every other priority its tenant has jobs at in that
-- queue. Migrations run as claw_owner, which forced RLS holds to a tenant context: the rows
-- are copied with the policies lifted for this transaction only.
ALTER TABLE queue.tenant_cursors NO FORCE ROW LEVEL SECURITY;
ALTER TABLE queue.jobs NO FORCE ROW LEVEL SECURITY;
INSERT INTO queue.tenant_cursors (tenant_id, queue, priority, last_key)
SELECT DISTINCT c.tenant_id, c.queue, j.priority, c.last_key
FROM queue.tenant_cursors AS c
JOIN queue.jobs AS j ON j.tenant_id = c.tenant_id AND j.queue = c.queue
WHERE j.priority <> 0
ON CONFLICT DO NOTHING;
ALTER TABLE queue.tenant_cursors FORCE ROW LEVEL SECURITY;
ALTER TABLE queue.jobs FORCE ROW LEVEL SECURITY;

-- Only a job that has not come due yet may be without a key. Jobs waiting from before this
-- migration keep theirs.
ALTER TABLE queue.jobs ALTER COLUMN fair_key DROP NOT NULL;
ALTER TABLE queue.jobs ADD CONSTRAINT jobs_fair_key_when_due
  CHECK (fair_key IS NOT NULL OR state = 'scheduled');

-- The routine files create the new signatures.
DROP FUNCTION IF EXISTS queue.take_fair_keys(uuid, text, integer);
DROP FUNCTION IF EXISTS queue.fair_head(text);
