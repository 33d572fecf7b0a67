-- One job's entry in the data of a batch job event (functions/events/outbox.sql): the
-- triggers build the "jobs" array as to_jsonb(array_agg(ROW(...)::events.job_*)) instead of
-- jsonb_agg(jsonb_build_object(...)) per job. The JSON is the same (jsonb orders keys
-- itself; tests/test_events.py compares the two), and it is cheaper: 96,000 completions in
-- batches of 480 spent 3.4-4.1 us per job in the jobs.completed trigger built the old way,
-- 2.7-3.3 us this way (a loop of INSERTs into a copy of job_history, session 25).
CREATE TYPE events.job_enqueued AS (
  job_id   uuid,
  kind     text,
  state    text,
  run_at   timestamptz,
  trace_id text
);
CREATE TYPE events.job_finished AS (
  job_id      uuid,
  kind        text,
  attempts    integer,
  finished_at timestamptz,
  trace_id    text
);
COMMENT ON TYPE events.job_enqueued IS
  'One job in a jobs.enqueued event''s data.jobs (functions/events/outbox.sql).';
COMMENT ON TYPE events.job_finished IS
  'One job in a jobs.completed or jobs.cancelled event''s data.jobs (functions/events/outbox.sql).';
