-- One job's entry in the data of a batch job event (functions/events/outbox.sql): the
-- triggers build the "jobs" array as to_jsonb(array_agg(ROW(...)::events.job_*)) instead of
-- jsonb_agg(jsonb_build_object(...)) per job. The JSON is the same (jsonb orders keys
-- itself; tests/test_events.py compares the two), and it is cheaper: building the data of
-- 96,000 completions in batches of 480 (INSERTs into a copy of job_history) took 3.3-5.1 us
-- per job the old way and 3.1-3.3 us this way; bench/queue_profile.py --batch 250 read the
-- whole completion at 10.0-11.2 us per job before, 8.4-9.2 after (session 25).
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
