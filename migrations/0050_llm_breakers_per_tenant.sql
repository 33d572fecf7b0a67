-- Circuit breakers per (tenant, provider). Callers report their attempts' outcomes
-- (api.finish_llm_call), so one breaker per provider for every tenant let a tenant open it for
-- all of them with failures it merely reported (a denial of service across tenants). Each
-- tenant's breaker is shared by all of that tenant's workers; internal.llm_breakers keeps each
-- provider's settings (failure_threshold, cooldown), and its state columns go.
CREATE TABLE llm.breakers (
  tenant_id             uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  provider              text NOT NULL REFERENCES internal.llm_breakers (provider),
  state                 text NOT NULL DEFAULT 'closed'
                        CHECK (state IN ('closed', 'open', 'half_open')),
  consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  opened_at             timestamptz,
  retry_at              timestamptz,   -- open: no call before this; then one probe
  probe_until           timestamptz,   -- half_open: the probe's lease
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider)
);
ALTER TABLE llm.breakers ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm.breakers FORCE ROW LEVEL SECURITY;

ALTER TABLE internal.llm_breakers
  DROP COLUMN state, DROP COLUMN consecutive_failures, DROP COLUMN opened_at,
  DROP COLUMN retry_at, DROP COLUMN probe_until;
COMMENT ON TABLE internal.llm_breakers IS
  'Circuit breaker settings per provider; the state is per tenant in llm.breakers.';

-- The routine files create the new signatures (they take the tenant).
DROP FUNCTION IF EXISTS llm.breaker_admit(text, interval);
DROP FUNCTION IF EXISTS llm.breaker_record(text, boolean);
