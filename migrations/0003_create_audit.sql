-- 0003: the audit ledger. Append-only events, hash-chained per tenant: each event stores the
-- previous event's hash and its own hash over a canonical, versioned encoding
-- (audit.encode_event). The chain head row per tenant holds the last seq and hash and is
-- locked FOR UPDATE by every append, so seqs are gapless and links never fork.
-- UPDATE/DELETE/TRUNCATE are revoked from every role and refused by guard triggers that also
-- fire under session_replication_role = replica (functions/audit/guards.sql).
CREATE SCHEMA audit AUTHORIZATION claw_owner;

CREATE TABLE audit.chain_heads (
  tenant_id   uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  seq         bigint NOT NULL CHECK (seq >= 0),
  head_hash   bytea NOT NULL CHECK (length(head_hash) = 32),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE audit.chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.chain_heads FORCE ROW LEVEL SECURITY;

CREATE TABLE audit.events (
  tenant_id           uuid NOT NULL,
  seq                 bigint NOT NULL CHECK (seq >= 1),
  occurred_at         timestamptz NOT NULL,
  actor_principal_id  uuid,
  db_user             text NOT NULL,
  action              text NOT NULL CHECK (length(action) BETWEEN 1 AND 200),
  target_table        text,
  target_id           text,
  before              jsonb,
  after               jsonb,
  trace_id            text,
  encoding_version    smallint NOT NULL CHECK (encoding_version = 1),
  prev_hash           bytea NOT NULL CHECK (length(prev_hash) = 32),
  row_hash            bytea NOT NULL CHECK (length(row_hash) = 32),
  PRIMARY KEY (tenant_id, seq),
  FOREIGN KEY (tenant_id) REFERENCES audit.chain_heads (tenant_id)
);
ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.events FORCE ROW LEVEL SECURITY;
CREATE INDEX events_tenant_target_idx ON audit.events (tenant_id, target_table, target_id);
