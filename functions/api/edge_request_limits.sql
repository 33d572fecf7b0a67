-- Request rate limits for the HTTP edge: see functions/edge/request_limits.sql.

-- api.take_request_token: charge one request (p_cost, default 1) to the verified
-- credential's bucket and the tenant's. Call it in its own short transaction before the
-- request's (BEGIN; authenticate; take_request_token; COMMIT): a failing request is still
-- charged, and the bucket rows stay locked for microseconds, not for the whole request.
-- Returns allowed, the bucket that decided (scope 'credential' or 'tenant': the one with
-- fewer requests left when allowed, the refusing one when not), its limit per minute, the
-- requests left in its burst, the seconds until it is full again, and when refused the
-- seconds to wait (Retry-After). Refusal is a row, not an error: nothing is charged.
-- Raises: CL401 without a context; CL422 p_cost outside 1..1000, or above a bucket's burst
-- (it could never be allowed: a retry_after would promise what never comes).
-- Locks: the credential's bucket row, then the tenant's (always in that order).
CREATE OR REPLACE FUNCTION api.take_request_token(p_cost integer DEFAULT 1)
RETURNS TABLE (allowed boolean, scope text, limit_per_minute integer, remaining integer,
               reset_seconds integer, retry_after_seconds integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_ctx record;
  v_tenant uuid;
  v_cred text;
  v_now timestamptz := internal.now();
  v_dec record;
  v_try integer;
BEGIN
  SELECT * INTO v_ctx FROM internal.verified_context();
  v_tenant := v_ctx.tenant_id;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = 'a request token is charged to an authenticated credential',
      HINT = 'call api.authenticate(p_api_key => ...) first, in the same transaction';
  END IF;
  IF p_cost IS NULL OR p_cost NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid request cost',
      DETAIL = pg_catalog.format('p_cost must be 1 to 1000, not %s', coalesce(p_cost::text, 'NULL')),
      HINT = 'an ordinary request costs 1';
  END IF;
  v_cred := coalesce(internal.context_credential(), 'principal:' || v_ctx.principal_id::text,
                     'system');
  -- One statement in the common case: lock both buckets (credential first), decide, and
  -- charge both only when neither refuses. Seconds: T the emission interval, tau the
  -- tolerance, wait = new tat - now. The deciding bucket: a refusing one (the longest wait)
  -- if any, else the one with fewer requests left. A first request finds no bucket rows:
  -- they are made (ON CONFLICT DO NOTHING: a concurrent first request made them) and the
  -- statement runs again.
  FOR v_try IN 1 .. 2 LOOP
    WITH lim AS (
      SELECT coalesce(l.tenant_per_minute, d.tenant_per_minute) AS tenant_per_minute,
             coalesce(l.tenant_burst, d.tenant_burst) AS tenant_burst,
             coalesce(l.credential_per_minute, d.credential_per_minute) AS credential_per_minute,
             coalesce(l.credential_burst, d.credential_burst) AS credential_burst
      FROM edge.default_request_limits() AS d
      LEFT JOIN edge.request_limits AS l ON l.tenant_id = v_tenant
    ), locked AS (
      SELECT b.bucket, b.tat FROM edge.request_buckets AS b
      WHERE b.tenant_id = v_tenant AND b.bucket IN ('credential:' || v_cred, 'tenant')
      ORDER BY b.bucket  -- 'credential:...' < 'tenant'
      FOR UPDATE
    ), calc AS (
      SELECT CASE WHEN k.bucket = 'tenant' THEN 'tenant' ELSE 'credential' END AS scope,
             k.per_minute, k.burst, 60.0 / k.per_minute AS t, 60.0 / k.per_minute * k.burst AS tau,
             extract(epoch FROM greatest(k.tat, v_now) - v_now) + 60.0 / k.per_minute * p_cost
               AS wait
      FROM (SELECT l.bucket, l.tat,
                   CASE WHEN l.bucket = 'tenant' THEN m.tenant_per_minute
                        ELSE m.credential_per_minute END AS per_minute,
                   CASE WHEN l.bucket = 'tenant' THEN m.tenant_burst
                        ELSE m.credential_burst END AS burst
            FROM locked AS l CROSS JOIN lim AS m) AS k
    ), decision AS (
      SELECT c.scope, c.per_minute, c.t, c.tau, c.wait, c.wait > c.tau AS refused,
             floor((c.tau - c.wait) / c.t)::integer AS remaining,
             -- a cost above a bucket's burst is refused however long one waits
             (SELECT pg_catalog.format('the %s bucket''s burst is %s', n.scope, n.burst)
              FROM calc AS n WHERE p_cost > n.burst ORDER BY n.burst LIMIT 1) AS never
      FROM calc AS c
      ORDER BY c.wait > c.tau DESC,
               CASE WHEN c.wait > c.tau THEN c.tau - c.wait ELSE floor((c.tau - c.wait) / c.t) END,
               c.scope
      LIMIT 1
    ), charged AS (
      UPDATE edge.request_buckets AS b
      SET tat = greatest(b.tat, v_now) + pg_catalog.make_interval(secs => 60.0 / (
                  CASE WHEN b.bucket = 'tenant' THEN m.tenant_per_minute
                       ELSE m.credential_per_minute END) * p_cost)
      FROM lim AS m, decision AS x
      WHERE NOT x.refused AND (SELECT pg_catalog.count(*) FROM locked) = 2
        AND b.tenant_id = v_tenant AND b.bucket IN ('credential:' || v_cred, 'tenant')
      RETURNING b.bucket
    )
    SELECT x.*, (SELECT pg_catalog.count(*) FROM locked) AS buckets,
           (SELECT pg_catalog.count(*) FROM charged) AS charged
      INTO v_dec
    FROM decision AS x;
    EXIT WHEN v_dec.buckets = 2;
    INSERT INTO edge.request_buckets AS b (tenant_id, bucket, tat)
    VALUES (v_tenant, 'credential:' || v_cred, v_now), (v_tenant, 'tenant', v_now)
    ON CONFLICT (tenant_id, bucket) DO NOTHING;
  END LOOP;
  IF v_dec.buckets IS DISTINCT FROM 2 THEN  -- the buckets vanished twice (a purge raced us)
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'rate limit buckets changed',
      DETAIL = 'the request''s rate limit buckets were removed while it was charged',
      HINT = 'retry the request';
  END IF;
  IF v_dec.never IS NOT NULL THEN  -- nothing was charged (refused)
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'request cost above the burst',
      DETAIL = pg_catalog.format('p_cost %s can never be allowed: %s', p_cost, v_dec.never),
      HINT = 'charge at most the burst per request, or ask an operator to raise it '
             '(edge.set_request_limits)';
  END IF;
  IF v_dec.refused THEN
    RETURN QUERY SELECT false, v_dec.scope, v_dec.per_minute, 0,
      pg_catalog.ceil(v_dec.wait - v_dec.t * p_cost)::integer,
      greatest(pg_catalog.ceil(v_dec.wait - v_dec.tau)::integer, 1);
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_dec.scope, v_dec.per_minute, v_dec.remaining,
    pg_catalog.ceil(v_dec.wait)::integer, 0;
END
$fn$;
COMMENT ON FUNCTION api.take_request_token(integer) IS
  'Charge a request to the verified credential''s and the tenant''s rate limit (GCRA); '
  'allowed = false (nothing charged) with retry_after_seconds when either is exhausted. '
  'Call in its own short transaction before the request''s.';
GRANT EXECUTE ON FUNCTION api.take_request_token(integer) TO claw_runtime;
