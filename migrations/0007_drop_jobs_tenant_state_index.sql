-- 0007: queue.jobs loses jobs_tenant_state_idx. Every state change (claim, fail, retry)
-- rewrote an entry in it, and only api.list_jobs read it, which the primary key
-- (tenant_id, job_id) serves: a tenant's hot rows are few. Measured with bench/queue_bench.py.
DROP INDEX queue.jobs_tenant_state_idx;
