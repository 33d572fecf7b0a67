-- llm.expire_held: expire the tenant's held reservations whose deadline has passed (their
-- callers died, or hung past every timeout the route allows): each window gives back what
-- they held. Returns how many were expired.
-- Locks: the reservations (FOR UPDATE SKIP LOCKED: one being settled right now is left to
-- its settler), then the windows in (budget_id, window_start) order, the order llm.reserve
-- and llm.close_reservation use.
CREATE OR REPLACE FUNCTION llm.expire_held(p_tenant_id uuid, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
AS $fn$
DECLARE
  v_ids uuid[];
  v_w record;
BEGIN
  SELECT pg_catalog.array_agg(r.reservation_id) INTO v_ids
  FROM (SELECT r.reservation_id FROM llm.reservations AS r
        WHERE r.tenant_id = p_tenant_id AND r.status = 'held' AND r.expires_at <= p_now
        ORDER BY r.reservation_id LIMIT 1000
        FOR UPDATE SKIP LOCKED) AS r;
  IF v_ids IS NULL THEN
    RETURN 0;
  END IF;
  FOR v_w IN
    SELECT u.budget_id, u.window_start, sum(r.amount_usd) AS amount
    FROM llm.reservations AS r
    CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(r.budget_ids), pg_catalog.unnest(r.window_starts))
      AS u(budget_id, window_start)
    WHERE r.tenant_id = p_tenant_id AND r.reservation_id = ANY (v_ids)
    GROUP BY u.budget_id, u.window_start
    ORDER BY u.budget_id, u.window_start
  LOOP
    UPDATE llm.budget_windows AS w SET reserved_usd = w.reserved_usd - v_w.amount
    WHERE w.tenant_id = p_tenant_id AND w.budget_id = v_w.budget_id
      AND w.window_start = v_w.window_start;
  END LOOP;
  UPDATE llm.reservations AS r SET status = 'expired', closed_at = p_now
  WHERE r.tenant_id = p_tenant_id AND r.reservation_id = ANY (v_ids);
  RETURN pg_catalog.cardinality(v_ids);
END
$fn$;

-- llm.expire_reservations: the sweeper, across tenants (owned by claw_dispatcher, which
-- bypasses RLS; reached through api.expire_llm_reservations by workers). Returns how many
-- reservations it expired.
CREATE OR REPLACE FUNCTION llm.expire_reservations(p_limit integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := internal.now();
  v_tenant uuid;
  v_n integer := 0;
BEGIN
  FOR v_tenant IN
    SELECT DISTINCT r.tenant_id FROM llm.reservations AS r
    WHERE r.status = 'held' AND r.expires_at <= v_now LIMIT p_limit
  LOOP
    v_n := v_n + llm.expire_held(v_tenant, v_now);
  END LOOP;
  RETURN v_n;
END
$fn$;
ALTER FUNCTION llm.expire_reservations(integer) OWNER TO claw_dispatcher;
