-- 0016: JWT authentication (api.authenticate_jwt): the identity providers a tenant trusts,
-- their signing keys (a JWKS, rotated by kid) and which principal a token's subject is.
-- Routines: functions/internal/rsa.sql (RS256 verification), functions/tenancy/jwt_issuers.sql
-- (operator registration), functions/api/authenticate_jwt.sql; policies/tenancy.sql.
--
-- Tables
--   tenancy.jwt_issuers   an (iss, aud) pair a tenant accepts tokens for, with the clock skew
--                         allowed on exp/nbf/iat and where its JWKS comes from
--   tenancy.jwt_keys      the issuer's RS256 public keys by kid: n and e as numeric, the
--                         modulus length in bytes, the EMSA-PKCS1-v1_5 prefix for that length
--                         (internal.rsa_pkcs1_prefix, precomputed from public data) and the
--                         RFC 7638 thumbprint (what the audit ledger records of a key)
--   tenancy.jwt_subjects  token subject (sub) of an issuer -> a principal of the tenant
--   internal.jwt_routes   (iss, aud) -> tenant and issuer, unique across all tenants: which
--                         tenant a token belongs to is decided here, before any tenant
--                         context exists, so the pair can never be ambiguous. Owner-only,
--                         written only by the operator functions with the issuer row.
CREATE TABLE tenancy.jwt_issuers (
  tenant_id         uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  jwt_issuer_id     uuid NOT NULL DEFAULT uuidv7(),
  issuer            text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
  audience          text NOT NULL CHECK (length(audience) BETWEEN 1 AND 500),
  max_skew_seconds  integer NOT NULL DEFAULT 60 CHECK (max_skew_seconds BETWEEN 0 AND 300),
  jwks_url          text CHECK (jwks_url ~ '^https?://' AND length(jwks_url) <= 2000),
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, jwt_issuer_id),
  UNIQUE (tenant_id, issuer, audience)
);
ALTER TABLE tenancy.jwt_issuers ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.jwt_issuers FORCE ROW LEVEL SECURITY;

CREATE TABLE tenancy.jwt_keys (
  tenant_id      uuid NOT NULL,
  jwt_key_id     uuid NOT NULL DEFAULT uuidv7(),
  jwt_issuer_id  uuid NOT NULL,
  kid            text NOT NULL CHECK (length(kid) BETWEEN 1 AND 200),
  n              numeric NOT NULL CHECK (n > 0),
  e              numeric NOT NULL CHECK (e >= 3 AND mod(e, 2) = 1),
  modulus_bytes  integer NOT NULL CHECK (modulus_bytes BETWEEN 256 AND 1024),
  em_prefix      numeric NOT NULL,
  thumbprint     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, jwt_key_id),
  UNIQUE (tenant_id, jwt_issuer_id, kid),
  FOREIGN KEY (tenant_id, jwt_issuer_id)
    REFERENCES tenancy.jwt_issuers (tenant_id, jwt_issuer_id) ON DELETE CASCADE
);
ALTER TABLE tenancy.jwt_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.jwt_keys FORCE ROW LEVEL SECURITY;

CREATE TABLE tenancy.jwt_subjects (
  tenant_id      uuid NOT NULL,
  jwt_issuer_id  uuid NOT NULL,
  subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
  principal_id   uuid NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, jwt_issuer_id, subject),
  FOREIGN KEY (tenant_id, jwt_issuer_id)
    REFERENCES tenancy.jwt_issuers (tenant_id, jwt_issuer_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals (tenant_id, principal_id)
);
ALTER TABLE tenancy.jwt_subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.jwt_subjects FORCE ROW LEVEL SECURITY;
CREATE INDEX jwt_subjects_tenant_principal_idx ON tenancy.jwt_subjects (tenant_id, principal_id);

CREATE TABLE internal.jwt_routes (
  issuer         text NOT NULL,
  audience       text NOT NULL,
  tenant_id      uuid NOT NULL,
  jwt_issuer_id  uuid NOT NULL,
  PRIMARY KEY (issuer, audience),
  UNIQUE (tenant_id, jwt_issuer_id),
  FOREIGN KEY (tenant_id, jwt_issuer_id)
    REFERENCES tenancy.jwt_issuers (tenant_id, jwt_issuer_id) ON DELETE CASCADE
);
