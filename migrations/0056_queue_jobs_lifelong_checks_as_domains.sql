-- 0056: the checks on queue.jobs's columns that a claim never changes (queue, kind, payload)
-- and on its error list become domains.
--
-- PostgreSQL evaluates every CHECK constraint of a table on every UPDATE of a row, whatever
-- the UPDATE assigned: each claim (available -> running), heartbeat, release and retry ran
-- the queue's and the kind's regular expressions and two jsonb_typeof calls again on values
-- it had not touched. A domain's check runs where a value becomes the domain's: an INSERT,
-- or an UPDATE that assigns that column. Every stored value was still checked when it was
-- written (the same expressions as before; the error is the same SQLSTATE, 23514), and a
-- claim checks nothing it does not change. Measured in a copy of queue.jobs (100,000 rows
-- claimed in one UPDATE, two sets of three alternations): 5.0-5.7 us per claimed job with
-- the four checks, 4.4-4.9 without them (session 25).
--
-- The switch rewrites no table: the columns change to domains that have no constraint yet
-- (binary-coercible, so PostgreSQL keeps the table's file), the domains then get the checks
-- the table had, and VALIDATE reads the table once to prove the rows hold them, all under
-- the one ACCESS EXCLUSIVE lock of this transaction. The four partial indexes on `queue`
-- are rebuilt (PostgreSQL never reuses a partial index across a column type change): one
-- scan of the unfinished jobs each. tests/test_migrate.py upgrades a database with jobs in
-- every state and checks both.
CREATE DOMAIN queue.queue_name AS text;
CREATE DOMAIN queue.job_kind AS text;
CREATE DOMAIN queue.json_object AS jsonb;
CREATE DOMAIN queue.json_array AS jsonb;
COMMENT ON DOMAIN queue.queue_name IS
  'A queue''s name as queue.jobs holds it: checked once, when a job is written (migrations/0056).';
COMMENT ON DOMAIN queue.job_kind IS
  'A job''s kind as queue.jobs holds it: checked once, when a job is written (migrations/0056).';
COMMENT ON DOMAIN queue.json_object IS
  'A job''s payload: a JSON object, checked when it is written (migrations/0056).';
COMMENT ON DOMAIN queue.json_array IS
  'A job''s error list: a JSON array, checked when it is assigned (migrations/0056).';
-- claw-lint: allow L007 binary-coercible, to domains without constraints: the table is not rewritten
ALTER TABLE queue.jobs
  DROP CONSTRAINT jobs_queue_check,
  DROP CONSTRAINT jobs_kind_check,
  DROP CONSTRAINT jobs_payload_check,
  DROP CONSTRAINT jobs_errors_check,
  ALTER COLUMN queue TYPE queue.queue_name,
  ALTER COLUMN kind TYPE queue.job_kind,
  ALTER COLUMN payload TYPE queue.json_object,
  ALTER COLUMN errors TYPE queue.json_array;
ALTER DOMAIN queue.queue_name ADD CONSTRAINT queue_name_check
  CHECK (VALUE ~ '^[a-z][a-z0-9_.-]*$' AND length(VALUE) <= 63) NOT VALID;
ALTER DOMAIN queue.job_kind ADD CONSTRAINT job_kind_check
  CHECK (VALUE ~ '^[a-z][a-z0-9_.:-]*$' AND length(VALUE) <= 100) NOT VALID;
ALTER DOMAIN queue.json_object ADD CONSTRAINT json_object_check
  CHECK (jsonb_typeof(VALUE) = 'object') NOT VALID;
ALTER DOMAIN queue.json_array ADD CONSTRAINT json_array_check
  CHECK (jsonb_typeof(VALUE) = 'array') NOT VALID;
ALTER DOMAIN queue.queue_name VALIDATE CONSTRAINT queue_name_check;
ALTER DOMAIN queue.job_kind VALIDATE CONSTRAINT job_kind_check;
ALTER DOMAIN queue.json_object VALIDATE CONSTRAINT json_object_check;
ALTER DOMAIN queue.json_array VALIDATE CONSTRAINT json_array_check;
