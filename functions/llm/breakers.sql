-- Circuit breakers, one per provider (internal.llm_breakers), shared by every worker through
-- this row. closed: calls go. After failure_threshold consecutive failures (5xx, timeouts) it
-- opens: callers skip the provider until retry_at. Then the first caller to ask claims the
-- probe (half_open, leased until probe_until); everyone else still skips it. The probe's
-- success closes the breaker; its failure opens it again for another cooldown. A 429 is not a
-- failure here (the provider is up and says when to come back).

-- llm.breaker_admit: may this call use the provider? 'closed' (yes), 'probe' (yes, as the
-- one probe), 'open' (no). Reads the row without locking when closed (the hot path).
CREATE OR REPLACE FUNCTION llm.breaker_admit(p_provider text, p_probe_lease interval)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_state text;
BEGIN
  SELECT b.state INTO v_state FROM internal.llm_breakers AS b WHERE b.provider = p_provider;
  IF v_state IS NULL OR v_state = 'closed' THEN
    RETURN 'closed';
  END IF;
  UPDATE internal.llm_breakers AS b
  SET state = 'half_open', probe_until = v_now + p_probe_lease, updated_at = v_now
  WHERE b.provider = p_provider
    AND ((b.state = 'open' AND b.retry_at <= v_now)
         OR (b.state = 'half_open' AND b.probe_until <= v_now));
  RETURN CASE WHEN FOUND THEN 'probe' ELSE 'open' END;
END
$fn$;

-- llm.breaker_record: one attempt's outcome for the provider's breaker. Success closes it
-- (writing only when there is something to reset); a failure counts, and opens the breaker
-- at the threshold or when the probe failed.
CREATE OR REPLACE FUNCTION llm.breaker_record(p_provider text, p_ok boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
BEGIN
  IF p_ok THEN
    UPDATE internal.llm_breakers AS b
    SET state = 'closed', consecutive_failures = 0, opened_at = NULL, retry_at = NULL,
        probe_until = NULL, updated_at = v_now
    WHERE b.provider = p_provider AND (b.state <> 'closed' OR b.consecutive_failures > 0);
  ELSE
    UPDATE internal.llm_breakers AS b
    SET consecutive_failures = b.consecutive_failures + 1,
        state = CASE WHEN b.state = 'half_open'
                       OR b.consecutive_failures + 1 >= b.failure_threshold THEN 'open'
                     ELSE b.state END,
        opened_at = CASE WHEN b.state = 'half_open'
                           OR (b.state = 'closed'
                               AND b.consecutive_failures + 1 >= b.failure_threshold)
                         THEN v_now ELSE b.opened_at END,
        retry_at = CASE WHEN b.state = 'half_open'
                          OR (b.state = 'closed'
                              AND b.consecutive_failures + 1 >= b.failure_threshold)
                        THEN v_now + b.cooldown ELSE b.retry_at END,
        probe_until = NULL, updated_at = v_now
    WHERE b.provider = p_provider;
  END IF;
END
$fn$;
