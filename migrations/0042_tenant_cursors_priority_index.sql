-- transactional: false
-- The largest fair key given out in a queue at a priority (queue.fair_head, when nothing is
-- available at that priority): the cursor index gains the priority (migration 0041).
CREATE INDEX CONCURRENTLY IF NOT EXISTS tenant_cursors_queue_priority_key_idx
  ON queue.tenant_cursors (queue, priority, last_key);
DROP INDEX CONCURRENTLY IF EXISTS queue.tenant_cursors_queue_key_idx;
