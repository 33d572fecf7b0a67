-- 0006: cancelling a running job. api.cancel_job marks it; the holder's next heartbeat (or the
-- lease expiry) moves it to the history as cancelled, and the worker cancels its handler.
ALTER TABLE queue.jobs ADD COLUMN cancel_requested_at timestamptz;
-- api.cancel_job now returns the state it left the job in (routine re-created after this).
DROP FUNCTION IF EXISTS api.cancel_job(uuid);
