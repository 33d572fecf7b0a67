-- 0008: queue.job_history loses job_history_tenant_finished_idx. Every completed job wrote an
-- entry into it and nothing read it: api.get_job and the finished-job checks look history up
-- by (tenant_id, job_id), which the primary key serves. One index write less per job
-- (bench/queue_profile.py: 2 -> 1 per completion).
DROP INDEX queue.job_history_tenant_finished_idx;
