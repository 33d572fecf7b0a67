-- 0005: the job queue and the per-tenant scheduler (functions/queue/, policies/queue.sql).
--
-- Tables
--   queue.jobs            the hot table: jobs waiting ('scheduled' until run_at, then
--                         'available'), leased ('running') or dead-lettered ('dead'). One
--                         table for every queue (a queue column), small and vacuumed hard.
--   queue.job_history     finished jobs (completed, cancelled), partitioned by day on
--                         finished_at; queue.maintain creates partitions ahead and drops old
--                         ones (retention). A default partition means no row is ever refused.
--   queue.tenant_cursors  per (tenant, queue) fairness cursor: the last fair_key given out.
--   queue.schedules       cron expression + IANA zone per tenant; next_fire_at in UTC.
--   queue.schedule_fires  one row per (schedule, fire instant): the exactly-once record.
--   internal.queues       per-queue settings (global): paused, concurrency limit, backoff.
--   internal.rate_limits  token buckets shared by every worker, keyed by a job's rate_key.
--   internal.clock        the injectable clock offset behind internal.now().
--
-- The claim order is (priority DESC, fair_key): fair_key is a per-tenant virtual time, so a
-- tenant that enqueues 100,000 jobs is interleaved with, not ahead of, another tenant's job.
CREATE SCHEMA queue AUTHORIZATION claw_owner;
-- claw_dispatcher owns the cross-tenant queue functions (claim, complete, tick).
GRANT USAGE, CREATE ON SCHEMA queue TO claw_dispatcher;

CREATE TABLE internal.clock (
  clock_id   integer PRIMARY KEY CHECK (clock_id = 1),
  offset_by  interval NOT NULL DEFAULT interval '0'
);
INSERT INTO internal.clock (clock_id) VALUES (1);

CREATE TABLE internal.queues (
  queue              text PRIMARY KEY CHECK (queue ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  paused_at          timestamptz,
  concurrency_limit  integer CHECK (concurrency_limit > 0),
  backoff_base       interval NOT NULL DEFAULT interval '1 second'
                     CHECK (backoff_base > interval '0'),
  backoff_max        interval NOT NULL DEFAULT interval '1 hour'
                     CHECK (backoff_max >= backoff_base),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE internal.rate_limits (
  rate_key     text PRIMARY KEY CHECK (length(rate_key) BETWEEN 1 AND 200),
  per_second   numeric NOT NULL CHECK (per_second > 0),
  burst        integer NOT NULL CHECK (burst >= 1),
  tokens       numeric NOT NULL,
  refilled_at  timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE queue.jobs (
  tenant_id         uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  job_id            uuid NOT NULL DEFAULT uuidv7(),
  queue             text NOT NULL CHECK (queue ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  kind              text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.:-]{0,99}$'),
  payload           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  priority          smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
  fair_key          bigint NOT NULL,
  state             text NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'dead')),
  run_at            timestamptz NOT NULL,
  attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts      integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
  unique_key        text CHECK (length(unique_key) BETWEEN 1 AND 200),
  rate_key          text CHECK (length(rate_key) BETWEEN 1 AND 200),
  lease_token       uuid,
  lease_holder      text,
  lease_expires_at  timestamptz,
  errors            jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
  trace_id          text CHECK (length(trace_id) <= 64),
  enqueued_at       timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  PRIMARY KEY (tenant_id, job_id),
  CHECK ((state = 'running') = (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL
                                AND lease_holder IS NOT NULL))
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01,
        autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE queue.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE queue.jobs FORCE ROW LEVEL SECURITY;
-- The claim order, for available jobs only.
CREATE INDEX jobs_claim_idx ON queue.jobs (queue, priority DESC, fair_key)
  WHERE state = 'available';
-- Promotion of due scheduled jobs (future run_at, retry backoff).
CREATE INDEX jobs_scheduled_idx ON queue.jobs (queue, run_at) WHERE state = 'scheduled';
-- Leases: expiry sweep and the running count (concurrency limit).
CREATE INDEX jobs_lease_idx ON queue.jobs (queue, lease_expires_at) WHERE state = 'running';
-- Complete, fail, heartbeat by lease.
CREATE INDEX jobs_lease_token_idx ON queue.jobs (lease_token) WHERE state = 'running';
-- Dedupe while waiting or running; a dead or finished job frees its key.
CREATE UNIQUE INDEX jobs_unique_key_idx ON queue.jobs (tenant_id, queue, unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running');
CREATE INDEX jobs_tenant_state_idx ON queue.jobs (tenant_id, state, queue);

CREATE TABLE queue.job_history (
  tenant_id     uuid NOT NULL,
  job_id        uuid NOT NULL,
  queue         text NOT NULL,
  kind          text NOT NULL,
  payload       jsonb NOT NULL,
  priority      smallint NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('completed', 'cancelled')),
  attempts      integer NOT NULL,
  max_attempts  integer NOT NULL,
  unique_key    text,
  errors        jsonb NOT NULL,
  trace_id      text,
  lease_holder  text,
  enqueued_at   timestamptz NOT NULL,
  started_at    timestamptz,
  finished_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, job_id, finished_at)
) PARTITION BY RANGE (finished_at);
ALTER TABLE queue.job_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE queue.job_history FORCE ROW LEVEL SECURITY;
CREATE TABLE queue.job_history_default PARTITION OF queue.job_history DEFAULT;
ALTER TABLE queue.job_history_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE queue.job_history_default FORCE ROW LEVEL SECURITY;
CREATE INDEX job_history_tenant_finished_idx ON queue.job_history (tenant_id, finished_at);

CREATE TABLE queue.tenant_cursors (
  tenant_id  uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  queue      text NOT NULL,
  last_key   bigint NOT NULL,
  PRIMARY KEY (tenant_id, queue)
);
ALTER TABLE queue.tenant_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE queue.tenant_cursors FORCE ROW LEVEL SECURITY;
CREATE INDEX tenant_cursors_queue_key_idx ON queue.tenant_cursors (queue, last_key);

CREATE TABLE queue.schedules (
  tenant_id      uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  schedule_id    uuid NOT NULL DEFAULT uuidv7(),
  name           text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,99}$'),
  cron           text NOT NULL,
  time_zone      text NOT NULL,
  queue          text NOT NULL CHECK (queue ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  kind           text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.:-]{0,99}$'),
  payload        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  catch_up       boolean NOT NULL DEFAULT false,
  paused         boolean NOT NULL DEFAULT false,
  next_fire_at   timestamptz,
  last_fired_at  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, schedule_id),
  UNIQUE (tenant_id, name)
);
ALTER TABLE queue.schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE queue.schedules FORCE ROW LEVEL SECURITY;
-- The tick's scan across tenants.
CREATE INDEX schedules_due_idx ON queue.schedules (next_fire_at) WHERE NOT paused;

CREATE TABLE queue.schedule_fires (
  tenant_id    uuid NOT NULL,
  schedule_id  uuid NOT NULL,
  fire_at      timestamptz NOT NULL,
  job_id       uuid NOT NULL,
  missed       integer NOT NULL DEFAULT 0 CHECK (missed >= 0),
  fired_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, schedule_id, fire_at),
  FOREIGN KEY (tenant_id, schedule_id) REFERENCES queue.schedules (tenant_id, schedule_id)
    ON DELETE CASCADE
);
ALTER TABLE queue.schedule_fires ENABLE ROW LEVEL SECURITY;
ALTER TABLE queue.schedule_fires FORCE ROW LEVEL SECURITY;
