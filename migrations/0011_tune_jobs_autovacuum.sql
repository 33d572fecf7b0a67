-- 0011: queue.jobs is vacuumed without the cost-based throttle. A busy queue leaves two dead
-- row versions per job (the claim's update, the completion's delete) and a dead entry at the
-- front of the claim index for each; until vacuum removes them every claim walks past them.
-- Measured with bench/queue_profile.py --jobs 100000: without a timely vacuum the drain's
-- PostgreSQL CPU per job grew about 4x. Autovacuum must also visit the database often
-- (autovacuum_naptime, a server setting: the embedded cluster uses 1s; see the README).
ALTER TABLE queue.jobs SET (autovacuum_vacuum_cost_delay = 0, autovacuum_vacuum_threshold = 1000);
