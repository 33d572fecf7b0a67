-- 0019: who is watching a tenant's events (functions/events/, functions/api/events.sql).
--
--   events.watchers  one row per open event stream (an SSE client, a relay), refreshed by
--                    the stream while it lives (api.watch_events) and gone when it closes or
--                    expires. The outbox's NOTIFY claw_events is sent only for tenants that
--                    someone watches: a NOTIFY makes every committing transaction queue on
--                    the server's notify lock, which cost the job queue 16% of its throughput
--                    and a millisecond per enqueue when every batch sent one
--                    (bench/queue_bench.py: 35,614 vs 42,311 jobs/s). UNLOGGED: after a
--                    crash streams reconnect and register again.
CREATE UNLOGGED TABLE events.watchers (
  tenant_id   uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  watcher_id  uuid NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, watcher_id)
);
ALTER TABLE events.watchers ENABLE ROW LEVEL SECURITY;
ALTER TABLE events.watchers FORCE ROW LEVEL SECURITY;
