-- Circuit breakers, one per tenant and provider (llm.breakers, under the tenant policy),
-- shared by every worker of the tenant through that row; each provider's settings
-- (failure_threshold, cooldown) are in internal.llm_breakers. Per tenant because callers
-- report their own attempts' outcomes: one tenant's failures, real or merely reported, never
-- move another tenant's breaker. closed (or no row): calls go. After failure_threshold
-- consecutive failures (5xx, timeouts) it opens: callers skip the provider until retry_at.
-- Then the first caller to ask claims the probe (half_open, leased until probe_until);
-- everyone else still skips it. The probe's success closes the breaker; its failure opens it
-- again for another cooldown. A 429 is not a failure here (the provider is up and says when
-- to come back).

-- Both functions are owned by claw_dispatcher (BYPASSRLS): they run on every call, and the
-- tenant policy would verify the context twice per statement; their callers
-- (api.begin_llm_call, api.finish_llm_call) pass the verified tenant.

-- llm.breaker_admit: may this call of the tenant use the provider? 'closed' (yes), 'probe'
-- (yes, as the one probe), 'open' (no). Reads the row without locking when closed (the hot
-- path).
CREATE OR REPLACE FUNCTION llm.breaker_admit(p_tenant_id uuid, p_provider text,
                                             p_probe_lease interval)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_state text;
BEGIN
  SELECT b.state INTO v_state FROM llm.breakers AS b
  WHERE b.tenant_id = p_tenant_id AND b.provider = p_provider;
  IF v_state IS NULL OR v_state = 'closed' THEN
    RETURN 'closed';
  END IF;
  UPDATE llm.breakers AS b
  SET state = 'half_open', probe_until = v_now + p_probe_lease, updated_at = v_now
  WHERE b.tenant_id = p_tenant_id AND b.provider = p_provider
    AND ((b.state = 'open' AND b.retry_at <= v_now)
         OR (b.state = 'half_open' AND b.probe_until <= v_now));
  RETURN CASE WHEN FOUND THEN 'probe' ELSE 'open' END;
END
$fn$;
ALTER FUNCTION llm.breaker_admit(uuid, text, interval) OWNER TO claw_dispatcher;

-- llm.breaker_record: one attempt's outcome for the tenant's breaker of the provider. Success
-- closes it (writing only when there is something to reset); a failure counts (the first
-- one creates the row), and opens the breaker at the threshold or when the probe failed.
CREATE OR REPLACE FUNCTION llm.breaker_record(p_tenant_id uuid, p_provider text, p_ok boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_cfg internal.llm_breakers;
BEGIN
  IF p_ok THEN
    UPDATE llm.breakers AS b
    SET state = 'closed', consecutive_failures = 0, opened_at = NULL, retry_at = NULL,
        probe_until = NULL, updated_at = v_now
    WHERE b.tenant_id = p_tenant_id AND b.provider = p_provider
      AND (b.state <> 'closed' OR b.consecutive_failures > 0);
    RETURN;
  END IF;
  SELECT * INTO STRICT v_cfg FROM internal.llm_breakers AS s WHERE s.provider = p_provider;
  INSERT INTO llm.breakers AS b (tenant_id, provider, state, consecutive_failures, opened_at,
                                 retry_at, updated_at)
  VALUES (p_tenant_id, p_provider,
          CASE WHEN v_cfg.failure_threshold <= 1 THEN 'open' ELSE 'closed' END, 1,
          CASE WHEN v_cfg.failure_threshold <= 1 THEN v_now END,
          CASE WHEN v_cfg.failure_threshold <= 1 THEN v_now + v_cfg.cooldown END, v_now)
  ON CONFLICT (tenant_id, provider) DO UPDATE
  SET consecutive_failures = b.consecutive_failures + 1,
      state = CASE WHEN b.state = 'half_open'
                     OR b.consecutive_failures + 1 >= v_cfg.failure_threshold THEN 'open'
                   ELSE b.state END,
      opened_at = CASE WHEN b.state = 'half_open'
                         OR (b.state = 'closed'
                             AND b.consecutive_failures + 1 >= v_cfg.failure_threshold)
                       THEN v_now ELSE b.opened_at END,
      retry_at = CASE WHEN b.state = 'half_open'
                        OR (b.state = 'closed'
                            AND b.consecutive_failures + 1 >= v_cfg.failure_threshold)
                      THEN v_now + v_cfg.cooldown ELSE b.retry_at END,
      probe_until = NULL, updated_at = v_now;
END
$fn$;
ALTER FUNCTION llm.breaker_record(uuid, text, boolean) OWNER TO claw_dispatcher;

-- llm.breaker_release: give back a probe claim a call did not use (api.finish_llm_call: the
-- call's begin claimed it, no attempt reached the provider), so the next caller probes at
-- once instead of skipping the provider until the lease runs out. Only the claim the call
-- took: the breaker must still be half_open with the probe_until that begin set (a lease
-- that ran out and was claimed again has a later one, which is left alone).
CREATE OR REPLACE FUNCTION llm.breaker_release(p_tenant_id uuid, p_provider text,
                                               p_probe_until timestamptz)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  UPDATE llm.breakers AS b SET probe_until = internal.now(), updated_at = internal.now()
  WHERE b.tenant_id = p_tenant_id AND b.provider = p_provider AND b.state = 'half_open'
    AND b.probe_until = p_probe_until
$fn$;
ALTER FUNCTION llm.breaker_release(uuid, text, timestamptz) OWNER TO claw_dispatcher;
