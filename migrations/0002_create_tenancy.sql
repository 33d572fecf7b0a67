-- 0002: tenancy. Tenants, the principals that act in them (people, service accounts,
-- agents), memberships (a principal's roles in its tenant) and API keys; and the secret that
-- signs the per-transaction tenant context (see functions/internal/tenant_context.sql).
--
-- Every tenant table: tenant_id NOT NULL first, primary key (tenant_id, <id>), composite
-- foreign keys (a row can only point inside its own tenant), tenant-scoped unique
-- constraints, indexes that lead with tenant_id, RLS enabled and forced (policies in
-- policies/tenancy.sql).
CREATE SCHEMA tenancy AUTHORIZATION claw_owner;

CREATE TABLE tenancy.tenants (
  tenant_id   uuid NOT NULL DEFAULT uuidv7(),
  slug        text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (slug)
);
ALTER TABLE tenancy.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.tenants FORCE ROW LEVEL SECURITY;

CREATE TABLE tenancy.principals (
  tenant_id     uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  principal_id  uuid NOT NULL DEFAULT uuidv7(),
  kind          text NOT NULL CHECK (kind IN ('person', 'service', 'agent')),
  handle        text NOT NULL CHECK (handle ~ '^[a-z0-9][a-z0-9._@+-]{0,127}$'),
  display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, principal_id),
  UNIQUE (tenant_id, handle)
);
ALTER TABLE tenancy.principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.principals FORCE ROW LEVEL SECURITY;

CREATE TABLE tenancy.memberships (
  tenant_id     uuid NOT NULL,
  principal_id  uuid NOT NULL,
  role          text NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'approver', 'viewer')),
  granted_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, principal_id, role),
  FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals (tenant_id, principal_id),
  FOREIGN KEY (tenant_id, granted_by) REFERENCES tenancy.principals (tenant_id, principal_id)
);
ALTER TABLE tenancy.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.memberships FORCE ROW LEVEL SECURITY;
CREATE INDEX memberships_tenant_granted_by_idx ON tenancy.memberships (tenant_id, granted_by);

-- The key a client holds is 'ck_' || tenant hex || api_key_id hex || '_' || secret. The
-- public part (tenant and key id) finds the row under RLS; only sha256(secret) is stored.
CREATE TABLE tenancy.api_keys (
  tenant_id     uuid NOT NULL,
  api_key_id    uuid NOT NULL DEFAULT uuidv7(),
  principal_id  uuid NOT NULL,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix        text NOT NULL,
  secret_hash   bytea NOT NULL CHECK (length(secret_hash) = 32),
  scopes        text[] NOT NULL DEFAULT '{*}' CHECK (cardinality(scopes) > 0),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, api_key_id),
  UNIQUE (tenant_id, name),
  FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals (tenant_id, principal_id)
);
ALTER TABLE tenancy.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.api_keys FORCE ROW LEVEL SECURITY;
CREATE INDEX api_keys_tenant_principal_idx ON tenancy.api_keys (tenant_id, principal_id);

-- The secret that signs tenant contexts. Only claw_owner can read it; SECURITY DEFINER
-- functions use it. 48 bytes from three v4 UUIDs (pg_strong_random; no pgcrypto needed).
CREATE TABLE internal.context_keys (
  context_key_id  integer PRIMARY KEY CHECK (context_key_id = 1),
  secret          bytea NOT NULL CHECK (length(secret) >= 32),
  created_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO internal.context_keys (context_key_id, secret)
VALUES (1, uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
           || uuid_send(gen_random_uuid()));
