-- 0017: the LLM layer (functions/llm/, functions/api/llm_*.sql, policies/llm.sql,
-- app/claw/llm/). 0015 and 0016 are taken by work going on in parallel.
--
-- The rules live here; Python only talks to providers. One model call goes:
--   api.begin_llm_call    route of the task -> the ordered chain with prices and each
--                         provider's breaker state; a cache lookup (a hit is a ledger row at
--                         zero cost, and nothing else); else the worst-case cost reserved on
--                         every budget that applies (CL429 before anything is sent)
--   (Python)              the chain in order, retries honouring retry-after, a timeout per
--                         attempt, fallback on the route's rules
--   api.finish_llm_call   one ledger row per attempt with its cost computed here from the
--                         price in force; the reservation settled with the actual cost (or
--                         released when nothing was spent); breakers moved; the cache filled
--   api.expire_llm_reservations  a worker sweeps reservations whose caller died
--
-- Platform catalogue (internal: not tenant data)
--   internal.llm_models    model -> provider, tokenizer family, context window, output cap.
--   internal.llm_prices    versioned prices (USD per million tokens), append-only: a cost on
--                          the ledger names the version it was computed with.
--   internal.llm_breakers  one circuit breaker per provider, shared by every worker:
--                          closed -> open (after N consecutive failures) -> half_open (after
--                          the cooldown one caller holds the probe) -> closed or open again.
-- Tenant tables
--   llm.settings           the tenant's time zone (budget windows and usage days are local).
--   llm.routes             per task: the ordered model chain, fallback rules, attempts per
--                          model, backoff, timeout per attempt, output cap, cache TTL, the
--                          structured-output schema and its repair bound.
--   llm.budgets            limits per tenant, principal or task, per local day or month.
--   llm.budget_windows     one row per budget and window: spent and reserved. Created on
--                          first use for the window the call falls in, so no reset job can
--                          race (the window is the key). starts_at/ends_at are the window in
--                          absolute time: 23 or 25 hours across a DST change.
--   llm.reservations       one per routed call: the worst case held on each window, then
--                          settled / released / expired. Also the call's handle.
--   llm.calls              the usage ledger: one row per provider attempt or cache hit.
--                          Append-only (ALWAYS triggers refuse UPDATE, DELETE, TRUNCATE).
--   llm.cache_entries      per-tenant response cache, keyed by sha256(chain, request hash).
--   llm.eval_runs, llm.eval_results  eval suites' runs and per-case scores; an accepted
--                          run is the baseline the next is compared with.
CREATE SCHEMA llm AUTHORIZATION claw_owner;
-- claw_dispatcher owns llm.expire_reservations (it sweeps reservations of every tenant).
GRANT USAGE, CREATE ON SCHEMA llm TO claw_dispatcher;

CREATE TABLE internal.llm_models (
  model              text NOT NULL CHECK (model ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$'),
  provider           text NOT NULL CHECK (provider IN ('anthropic', 'openai')),
  tokenizer          text NOT NULL CHECK (tokenizer IN ('o200k_base', 'cl100k_base',
                                                        'anthropic_estimate')),
  context_window     integer NOT NULL CHECK (context_window > 0),
  max_output_tokens  integer NOT NULL CHECK (max_output_tokens > 0),
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model)
);

CREATE TABLE internal.llm_prices (
  model                       text NOT NULL REFERENCES internal.llm_models (model),
  valid_from                  timestamptz NOT NULL,
  input_usd_per_mtok          numeric(12, 6) NOT NULL CHECK (input_usd_per_mtok >= 0),
  cached_input_usd_per_mtok   numeric(12, 6) NOT NULL CHECK (cached_input_usd_per_mtok >= 0),
  output_usd_per_mtok         numeric(12, 6) NOT NULL CHECK (output_usd_per_mtok >= 0),
  created_at                  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, valid_from)
);

CREATE TABLE internal.llm_breakers (
  provider              text NOT NULL CHECK (provider IN ('anthropic', 'openai')),
  state                 text NOT NULL DEFAULT 'closed'
                        CHECK (state IN ('closed', 'open', 'half_open')),
  consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  failure_threshold     integer NOT NULL DEFAULT 5 CHECK (failure_threshold >= 1),
  cooldown              interval NOT NULL DEFAULT '30 seconds' CHECK (cooldown > interval '0'),
  opened_at             timestamptz,
  retry_at              timestamptz,   -- open: no call before this; then one probe
  probe_until           timestamptz,   -- half_open: the probe's lease
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider)
);
INSERT INTO internal.llm_breakers (provider) VALUES ('anthropic'), ('openai');

CREATE TABLE llm.settings (
  tenant_id   uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  time_zone   text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64),
  updated_by  uuid,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE llm.settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.settings FORCE ROW LEVEL SECURITY;

CREATE TABLE llm.routes (
  tenant_id          uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  route_id           uuid NOT NULL DEFAULT uuidv7(),
  task               text NOT NULL CHECK (task ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  models             text[] NOT NULL CHECK (cardinality(models) BETWEEN 1 AND 8),
  fallback_on        text[] NOT NULL
                     DEFAULT '{rate_limited,server_error,timeout,context_overflow}'
                     CHECK (fallback_on <@ '{rate_limited,server_error,timeout,context_overflow}'),
  max_attempts       integer NOT NULL DEFAULT 2 CHECK (max_attempts BETWEEN 1 AND 10),
  backoff_ms         integer NOT NULL DEFAULT 200 CHECK (backoff_ms BETWEEN 0 AND 60000),
  timeout_ms         integer NOT NULL DEFAULT 30000 CHECK (timeout_ms BETWEEN 10 AND 600000),
  max_output_tokens  integer NOT NULL DEFAULT 1024 CHECK (max_output_tokens BETWEEN 1 AND 200000),
  cache_ttl_seconds  integer NOT NULL DEFAULT 0 CHECK (cache_ttl_seconds BETWEEN 0 AND 2592000),
  output_schema      jsonb CHECK (output_schema IS NULL OR jsonb_typeof(output_schema) = 'object'),
  max_repairs        integer NOT NULL DEFAULT 1 CHECK (max_repairs BETWEEN 0 AND 5),
  version            integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  updated_by         uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, route_id),
  UNIQUE (tenant_id, task)
);
ALTER TABLE llm.routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.routes FORCE ROW LEVEL SECURITY;

CREATE TABLE llm.budgets (
  tenant_id     uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  budget_id     uuid NOT NULL DEFAULT uuidv7(),
  scope         text NOT NULL CHECK (scope IN ('tenant', 'principal', 'task')),
  principal_id  uuid,
  task          text CHECK (task ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  period        text NOT NULL CHECK (period IN ('day', 'month')),
  limit_usd     numeric(14, 6) NOT NULL CHECK (limit_usd >= 0),
  updated_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, budget_id),
  UNIQUE NULLS NOT DISTINCT (tenant_id, scope, principal_id, task, period),
  FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals (tenant_id, principal_id),
  CHECK ((scope = 'principal') = (principal_id IS NOT NULL)),
  CHECK ((scope = 'task') = (task IS NOT NULL))
);
ALTER TABLE llm.budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.budgets FORCE ROW LEVEL SECURITY;
CREATE INDEX budgets_tenant_principal_idx ON llm.budgets (tenant_id, principal_id)
  WHERE principal_id IS NOT NULL;

CREATE TABLE llm.budget_windows (
  tenant_id     uuid NOT NULL,
  budget_id     uuid NOT NULL,
  window_start  date NOT NULL,            -- local: the day, or the first of the month
  starts_at     timestamptz NOT NULL,
  ends_at       timestamptz NOT NULL,
  spent_usd     numeric(18, 9) NOT NULL DEFAULT 0 CHECK (spent_usd >= 0),
  reserved_usd  numeric(18, 9) NOT NULL DEFAULT 0 CHECK (reserved_usd >= 0),
  PRIMARY KEY (tenant_id, budget_id, window_start),
  FOREIGN KEY (tenant_id, budget_id) REFERENCES llm.budgets (tenant_id, budget_id),
  CHECK (starts_at < ends_at)
);
ALTER TABLE llm.budget_windows ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.budget_windows FORCE ROW LEVEL SECURITY;

CREATE TABLE llm.reservations (
  tenant_id       uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  reservation_id  uuid NOT NULL DEFAULT uuidv7(),
  task            text NOT NULL,
  principal_id    uuid,
  flow_run_id     uuid,
  flow_step       integer,
  amount_usd      numeric(18, 9) NOT NULL CHECK (amount_usd >= 0),
  budget_ids      uuid[] NOT NULL DEFAULT '{}',
  window_starts   date[] NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'held'
                  CHECK (status IN ('held', 'settled', 'released', 'expired')),
  actual_usd      numeric(18, 9) CHECK (actual_usd >= 0),
  late            boolean NOT NULL DEFAULT false,  -- settled after it had expired
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  closed_at       timestamptz,
  PRIMARY KEY (tenant_id, reservation_id),
  CHECK (cardinality(budget_ids) = cardinality(window_starts)),
  CHECK ((status = 'held') = (closed_at IS NULL))
);
ALTER TABLE llm.reservations ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.reservations FORCE ROW LEVEL SECURITY;
-- the sweeper's and the lazy expiry's probe: held reservations by deadline
CREATE INDEX reservations_tenant_held_idx ON llm.reservations (tenant_id, expires_at)
  WHERE status = 'held';

CREATE TABLE llm.calls (
  tenant_id         uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  call_id           uuid NOT NULL DEFAULT uuidv7(),
  reservation_id    uuid,                  -- NULL for a cache hit (nothing reserved)
  attempt           integer NOT NULL CHECK (attempt >= 1),
  occurred_at       timestamptz NOT NULL DEFAULT now(),
  principal_id      uuid,
  task              text NOT NULL,
  flow_run_id       uuid,
  flow_step         integer,
  provider          text NOT NULL,
  model             text NOT NULL,
  route_position    integer NOT NULL CHECK (route_position >= 1),
  input_tokens      integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  output_tokens     integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  cached_tokens     integer NOT NULL DEFAULT 0 CHECK (cached_tokens >= 0),
  cost_usd          numeric(18, 9) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
  price_valid_from  timestamptz,
  latency_ms        integer NOT NULL CHECK (latency_ms >= 0),
  outcome           text NOT NULL CHECK (outcome IN (
                      'ok', 'cache_hit', 'invalid_output', 'rate_limited', 'server_error',
                      'timeout', 'context_overflow', 'client_error', 'breaker_open')),
  http_status       integer,
  error             text CHECK (length(error) <= 2000),
  trace_id          text,
  context           jsonb,
  PRIMARY KEY (tenant_id, call_id),
  FOREIGN KEY (tenant_id, reservation_id) REFERENCES llm.reservations (tenant_id, reservation_id)
);
ALTER TABLE llm.calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.calls FORCE ROW LEVEL SECURITY;
CREATE INDEX calls_tenant_time_idx ON llm.calls (tenant_id, occurred_at);
CREATE INDEX calls_tenant_task_idx ON llm.calls (tenant_id, task, occurred_at);
CREATE INDEX calls_tenant_model_idx ON llm.calls (tenant_id, model, occurred_at);
CREATE INDEX calls_tenant_reservation_idx ON llm.calls (tenant_id, reservation_id);

CREATE TABLE llm.cache_entries (
  tenant_id   uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  cache_key   bytea NOT NULL CHECK (length(cache_key) = 32),
  task        text NOT NULL,
  model       text NOT NULL,
  response    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  hits        integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, cache_key)
);
ALTER TABLE llm.cache_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.cache_entries FORCE ROW LEVEL SECURITY;

CREATE TABLE llm.eval_runs (
  tenant_id        uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  eval_run_id      uuid NOT NULL DEFAULT uuidv7(),
  suite            text NOT NULL CHECK (suite ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  task             text NOT NULL,
  cases            integer NOT NULL CHECK (cases >= 0),
  passed           integer NOT NULL CHECK (passed >= 0 AND passed <= cases),
  score            numeric(7, 6) NOT NULL CHECK (score BETWEEN 0 AND 1),
  threshold        numeric(7, 6) NOT NULL CHECK (threshold BETWEEN 0 AND 1),
  baseline_run_id  uuid,
  baseline_score   numeric(7, 6),
  regressed        boolean NOT NULL,
  cost_usd         numeric(18, 9) NOT NULL DEFAULT 0,
  accepted_at      timestamptz,
  accepted_by      uuid,
  created_by       uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, eval_run_id),
  FOREIGN KEY (tenant_id, baseline_run_id) REFERENCES llm.eval_runs (tenant_id, eval_run_id)
);
ALTER TABLE llm.eval_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.eval_runs FORCE ROW LEVEL SECURITY;
CREATE INDEX eval_runs_tenant_suite_idx ON llm.eval_runs (tenant_id, suite, accepted_at);
CREATE INDEX eval_runs_tenant_baseline_idx ON llm.eval_runs (tenant_id, baseline_run_id);

CREATE TABLE llm.eval_results (
  tenant_id    uuid NOT NULL,
  eval_run_id  uuid NOT NULL,
  case_id      text NOT NULL CHECK (length(case_id) BETWEEN 1 AND 200),
  scorer       text NOT NULL CHECK (scorer IN ('exact', 'json_schema', 'contains', 'numeric',
                                               'judge')),
  score        numeric(7, 6) NOT NULL CHECK (score BETWEEN 0 AND 1),
  passed       boolean NOT NULL,
  output       text,
  detail       jsonb,
  PRIMARY KEY (tenant_id, eval_run_id, case_id),
  FOREIGN KEY (tenant_id, eval_run_id) REFERENCES llm.eval_runs (tenant_id, eval_run_id)
);
ALTER TABLE llm.eval_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.eval_results FORCE ROW LEVEL SECURITY;

-- The starting catalogue: list prices in USD per million tokens as published when this was
-- written. Prices change: operators add a version with llm.set_price (never edit one).
INSERT INTO internal.llm_models (model, provider, tokenizer, context_window, max_output_tokens)
VALUES ('claude-sonnet-4-5', 'anthropic', 'anthropic_estimate', 200000, 64000),
       ('claude-haiku-4-5', 'anthropic', 'anthropic_estimate', 200000, 64000),
       ('gpt-4o', 'openai', 'o200k_base', 128000, 16384),
       ('gpt-4o-mini', 'openai', 'o200k_base', 128000, 16384),
       ('gpt-4-turbo', 'openai', 'cl100k_base', 128000, 4096);
INSERT INTO internal.llm_prices (model, valid_from, input_usd_per_mtok,
                                 cached_input_usd_per_mtok, output_usd_per_mtok)
VALUES ('claude-sonnet-4-5', '2025-01-01 00:00+00', 3, 0.30, 15),
       ('claude-haiku-4-5', '2025-01-01 00:00+00', 1, 0.10, 5),
       ('gpt-4o', '2025-01-01 00:00+00', 2.50, 1.25, 10),
       ('gpt-4o-mini', '2025-01-01 00:00+00', 0.15, 0.075, 0.60),
       ('gpt-4-turbo', '2025-01-01 00:00+00', 10, 10, 30);
