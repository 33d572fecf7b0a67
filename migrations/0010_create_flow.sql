-- 0010: durable flows (functions/flow/, functions/api/flow_*.sql, policies/flow.sql).
-- (Numbered 0010, not 0008, to leave 0008-0009 to the queue work going on in parallel.)
--
-- Tables
--   flow.runs     one row per run: flow name and version, input, status (a state machine,
--                 internal.flow_run_transitions), idempotency key, parent run, trace id, the
--                 queue job that currently dispatches it (job_id), the next step position
--                 and the step begun there (pending_step), what it sleeps or waits for,
--                 output or error.
--   flow.steps    the checkpoints: (run, position) written once, never updated (a second
--                 write of a position is a primary key violation; a guard refuses UPDATE).
--   flow.timers   the wake-up instant of a sleep or a signal timeout, fixed when the flow
--                 first reaches it, so a replay never moves it.
--   flow.signals  named messages to a run: first write wins, delivered to one step once.
--   flow.effects  external effect intents: idempotency key recorded before the call,
--                 intended -> sent -> confirmed | unknown -> reconciled.
--   internal.flow_run_transitions, internal.flow_effect_transitions  the allowed status
--                 pairs (reference data, global).
CREATE SCHEMA flow AUTHORIZATION claw_owner;
-- claw_dispatcher owns flow.dispatch_job (it enqueues the run's queue job in any tenant).
GRANT USAGE, CREATE ON SCHEMA flow TO claw_dispatcher;

CREATE TABLE internal.flow_run_transitions (
  from_status  text NOT NULL,
  to_status    text NOT NULL,
  PRIMARY KEY (from_status, to_status)
);
INSERT INTO internal.flow_run_transitions (from_status, to_status) VALUES
  ('pending', 'running'), ('pending', 'cancelled'),
  ('running', 'sleeping'), ('running', 'waiting'), ('running', 'blocked'),
  ('running', 'completed'), ('running', 'failed'), ('running', 'cancelled'),
  ('sleeping', 'running'), ('sleeping', 'cancelled'),
  ('waiting', 'running'), ('waiting', 'cancelled'),
  ('blocked', 'pending'), ('blocked', 'cancelled');

CREATE TABLE internal.flow_effect_transitions (
  from_status  text NOT NULL,
  to_status    text NOT NULL,
  PRIMARY KEY (from_status, to_status)
);
INSERT INTO internal.flow_effect_transitions (from_status, to_status) VALUES
  ('intended', 'sent'), ('sent', 'confirmed'), ('sent', 'reconciled'), ('sent', 'unknown'),
  ('unknown', 'reconciled'), ('unknown', 'intended');

CREATE TABLE flow.runs (
  tenant_id            uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  run_id               uuid NOT NULL DEFAULT uuidv7(),
  flow_name            text NOT NULL CHECK (flow_name ~ '^[a-z][a-z0-9_.:-]{0,99}$'),
  flow_version         integer NOT NULL DEFAULT 1 CHECK (flow_version BETWEEN 1 AND 1000000),
  input                jsonb NOT NULL DEFAULT '{}',
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN (
                         'pending', 'running', 'sleeping', 'waiting', 'blocked',
                         'completed', 'failed', 'cancelled')),
  idempotency_key      text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  parent_run_id        uuid,
  parent_position      integer,
  forked_from_run_id   uuid,
  forked_from_position integer,
  trace_id             text NOT NULL CHECK (length(trace_id) BETWEEN 1 AND 64),
  queue                text NOT NULL DEFAULT 'flows' CHECK (queue ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  job_id               uuid,
  next_position        integer NOT NULL DEFAULT 0 CHECK (next_position >= 0),
  step_attempts        integer NOT NULL DEFAULT 0 CHECK (step_attempts >= 0),
  -- the step at next_position that began but is not recorded yet (a sleep, a signal or
  -- child wait, a retried step, an effect): {kind, name, input_hash}; replays check it
  pending_step         jsonb,
  wake_at              timestamptz,
  wait_signal          text,
  wait_child_run_id    uuid,
  cancel_requested_at  timestamptz,
  dispatches           integer NOT NULL DEFAULT 0 CHECK (dispatches >= 0),
  output               jsonb,
  error                jsonb,
  created_at           timestamptz NOT NULL DEFAULT now(),
  started_at           timestamptz,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  finished_at          timestamptz,
  PRIMARY KEY (tenant_id, run_id),
  FOREIGN KEY (tenant_id, parent_run_id) REFERENCES flow.runs (tenant_id, run_id)
    ON DELETE SET NULL (parent_run_id),
  CHECK ((status IN ('completed', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
  CHECK (status <> 'sleeping' OR wake_at IS NOT NULL),
  CHECK (status <> 'waiting' OR wait_signal IS NOT NULL OR wait_child_run_id IS NOT NULL)
);
ALTER TABLE flow.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow.runs FORCE ROW LEVEL SECURITY;
-- The same idempotency key returns the same run.
CREATE UNIQUE INDEX runs_idempotency_key_idx ON flow.runs (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- Listing by status (and the operator's "what needs a person": status = 'blocked').
CREATE INDEX runs_tenant_status_idx ON flow.runs (tenant_id, status, created_at);
-- Children of a run; retention by finish time.
CREATE INDEX runs_tenant_parent_idx ON flow.runs (tenant_id, parent_run_id)
  WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_tenant_finished_idx ON flow.runs (tenant_id, finished_at)
  WHERE finished_at IS NOT NULL;

CREATE TABLE flow.steps (
  tenant_id    uuid NOT NULL,
  run_id       uuid NOT NULL,
  position     integer NOT NULL CHECK (position >= 0),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind         text NOT NULL CHECK (kind IN ('step', 'transaction', 'effect', 'sleep', 'signal',
                                             'child', 'wait_child', 'patch')),
  input_hash   text NOT NULL CHECK (input_hash ~ '^[0-9a-f]{1,128}$'),
  status       text NOT NULL CHECK (status IN ('completed', 'failed')),
  output       jsonb,
  error        text,
  attempts     integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  started_at   timestamptz,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, run_id, position),
  FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs (tenant_id, run_id) ON DELETE CASCADE
);
ALTER TABLE flow.steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow.steps FORCE ROW LEVEL SECURITY;

CREATE TABLE flow.timers (
  tenant_id   uuid NOT NULL,
  run_id      uuid NOT NULL,
  position    integer NOT NULL CHECK (position >= 0),
  kind        text NOT NULL CHECK (kind IN ('sleep', 'signal_timeout')),
  wake_at     timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, run_id, position),
  FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs (tenant_id, run_id) ON DELETE CASCADE
);
ALTER TABLE flow.timers ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow.timers FORCE ROW LEVEL SECURITY;

CREATE TABLE flow.signals (
  tenant_id           uuid NOT NULL,
  run_id              uuid NOT NULL,
  name                text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.:-]{0,99}$'),
  payload             jsonb NOT NULL DEFAULT '{}',
  sent_by             uuid,
  sent_at             timestamptz NOT NULL DEFAULT now(),
  delivered_position  integer,
  delivered_at        timestamptz,
  PRIMARY KEY (tenant_id, run_id, name),
  FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs (tenant_id, run_id) ON DELETE CASCADE,
  CHECK ((delivered_position IS NULL) = (delivered_at IS NULL))
);
ALTER TABLE flow.signals ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow.signals FORCE ROW LEVEL SECURITY;

CREATE TABLE flow.effects (
  tenant_id        uuid NOT NULL,
  run_id           uuid NOT NULL,
  position         integer NOT NULL CHECK (position >= 0),
  provider         text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_.:-]{0,99}$'),
  idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  status           text NOT NULL DEFAULT 'intended' CHECK (status IN (
                     'intended', 'sent', 'confirmed', 'unknown', 'reconciled')),
  request          jsonb NOT NULL DEFAULT '{}',
  response         jsonb,
  sends            integer NOT NULL DEFAULT 0 CHECK (sends >= 0),
  note             text,
  resolved_by      uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  settled_at       timestamptz,
  PRIMARY KEY (tenant_id, run_id, position),
  FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs (tenant_id, run_id) ON DELETE CASCADE
);
ALTER TABLE flow.effects ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow.effects FORCE ROW LEVEL SECURITY;
CREATE UNIQUE INDEX effects_idempotency_key_idx ON flow.effects (tenant_id, idempotency_key);
-- What a person must resolve.
CREATE INDEX effects_tenant_status_idx ON flow.effects (tenant_id, status)
  WHERE status = 'unknown';
