-- 0018: what the HTTP edge keeps in PostgreSQL (functions/edge/, functions/api/edge_*.sql,
-- policies/edge.sql), and list functions that page with cursors.
--
-- Tables
--   edge.idempotency_keys  per tenant and principal, an Idempotency-Key with the request it
--                          was first used for (method, path, SHA-256 of the body) and the
--                          response that request got. Written in the request's own
--                          transaction, so the stored response commits with the effect or
--                          not at all. Kept 24 hours (edge.idempotency_window()).
--   edge.request_limits    per tenant: requests per minute and burst, for the tenant as a
--                          whole and for each credential (API key, or a JWT's principal).
--                          No row: the defaults in edge.default_request_limits().
--   edge.request_buckets   GCRA state per (tenant, bucket): the theoretical arrival time.
--                          UNLOGGED: a crash forgets recent usage (everyone starts with a
--                          full burst), which costs nothing a limit protects, and every
--                          request saves a WAL write.
CREATE SCHEMA edge AUTHORIZATION claw_owner;
-- claw_dispatcher owns the cross-tenant retention (edge.purge_idempotency_keys).
GRANT USAGE, CREATE ON SCHEMA edge TO claw_dispatcher;

-- The context now carries the verified credential (a sixth, MAC-bound field): the old
-- signature of internal.set_context goes, the routine file creates the new one.
DROP FUNCTION IF EXISTS internal.set_context(uuid, uuid, text[], text[]);
-- Cursor pagination: the list functions gain p_cursor and return each row's cursor.
DROP FUNCTION IF EXISTS api.list_jobs(text, text, integer);
DROP FUNCTION IF EXISTS api.list_principals();
DROP FUNCTION IF EXISTS api.list_api_keys();
DROP FUNCTION IF EXISTS api.list_schedules();

CREATE TABLE edge.idempotency_keys (
  tenant_id           uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  idempotency_key_id  uuid NOT NULL DEFAULT uuidv7(),
  principal_id        uuid NOT NULL,
  idempotency_key     text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  request_method      text NOT NULL CHECK (length(request_method) BETWEEN 1 AND 16),
  request_path        text NOT NULL CHECK (length(request_path) BETWEEN 1 AND 2048),
  request_sha256      text NOT NULL CHECK (length(request_sha256) = 64),
  response_status     integer NOT NULL CHECK (response_status BETWEEN 100 AND 599),
  response_headers    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(response_headers) = 'object'),
  response_body       text NOT NULL,
  created_at          timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key_id),
  UNIQUE (tenant_id, principal_id, idempotency_key),
  FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals (tenant_id, principal_id)
);
ALTER TABLE edge.idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE edge.idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE INDEX idempotency_keys_expires_idx ON edge.idempotency_keys (expires_at);

CREATE TABLE edge.request_limits (
  tenant_id              uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  request_limit_id       integer NOT NULL DEFAULT 1 CHECK (request_limit_id = 1),
  tenant_per_minute      integer NOT NULL CHECK (tenant_per_minute BETWEEN 1 AND 10000000),
  tenant_burst           integer NOT NULL CHECK (tenant_burst BETWEEN 1 AND 10000000),
  credential_per_minute  integer NOT NULL CHECK (credential_per_minute BETWEEN 1 AND 10000000),
  credential_burst       integer NOT NULL CHECK (credential_burst BETWEEN 1 AND 10000000),
  updated_at             timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, request_limit_id)
);
ALTER TABLE edge.request_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE edge.request_limits FORCE ROW LEVEL SECURITY;

CREATE UNLOGGED TABLE edge.request_buckets (
  tenant_id  uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  bucket     text NOT NULL CHECK (length(bucket) BETWEEN 1 AND 100),
  tat        timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, bucket)
) WITH (fillfactor = 50);
ALTER TABLE edge.request_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE edge.request_buckets FORCE ROW LEVEL SECURITY;
