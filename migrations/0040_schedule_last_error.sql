-- A schedule whose fire fails is paused by the tick with the error kept here (sqlstate,
-- message, detail, hint, the fire instant it failed on, and when), instead of the error
-- aborting the tick, which is one transaction for every tenant's due schedules
-- (functions/queue/schedules.sql). api.list_schedules returns it, so its result type
-- changes: the routine file creates it again.
ALTER TABLE queue.schedules
  ADD COLUMN last_error jsonb CHECK (jsonb_typeof(last_error) = 'object');
DROP FUNCTION IF EXISTS api.list_schedules(integer, text);
