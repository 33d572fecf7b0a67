-- 0060: a call's reservation keeps the breaker probes its begin claimed.
--
-- api.begin_llm_call claims the due probe of every provider of its chain (llm.breaker_admit:
-- half_open, leased until probe_until, twice the route's timeout). A call that an earlier
-- model answered never used the claims of the providers after it, and each such provider
-- stayed skipped by every other call of the tenant until the lease ran out, though it might
-- have recovered. Begin now records its claims, {provider: the probe_until it set}, and the
-- finish gives back those its attempts did not use (llm.breaker_release), when the breaker
-- still holds that very claim. NULL: no claim (and every reservation begun before this).
ALTER TABLE llm.reservations
  ADD COLUMN probe_claims jsonb,
  ADD CONSTRAINT reservations_probe_claims_check
    CHECK (jsonb_typeof(probe_claims) = 'object');
