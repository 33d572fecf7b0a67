-- transactional: false
-- 0058: a tenant's reservations by the instant they were begun at.
--
-- api.set_llm_budget seeds a new budget's current window with the calls its scope began in
-- that window (llm.seed_window), while it holds the tenant's zone lock exclusively, so every
-- begin of the tenant waits for it. Reservations are kept (their status says how each call
-- ended), so without this index that seeding read the tenant's whole history of calls under
-- the lock; with it, the window's calls only.
CREATE INDEX CONCURRENTLY IF NOT EXISTS reservations_tenant_created_idx
  ON llm.reservations (tenant_id, created_at);
