-- llm.close_reservation: settle a reservation with the call's actual cost: on every window it
-- held, reserved -= the held amount and spent += the actual cost. Status: settled (something
-- was spent) or released (nothing was: every attempt failed). A reservation that already
-- expired (its caller was presumed dead) still gets its actual cost charged, marked late:
-- the ledger and the counters stay equal, and the overshoot is visible.
-- Locks: the reservation row, then its windows in budget_id order (as llm.reserve).
-- Raises CL404 for an unknown reservation, CL409 when it was already settled or released.
CREATE OR REPLACE FUNCTION llm.close_reservation(
  p_tenant_id uuid, p_reservation_id uuid, p_actual_usd numeric)
RETURNS llm.reservations
LANGUAGE plpgsql
VOLATILE
AS $fn$
DECLARE
  v_res llm.reservations;
  v_held numeric;
BEGIN
  SELECT * INTO v_res FROM llm.reservations AS r
  WHERE r.tenant_id = p_tenant_id AND r.reservation_id = p_reservation_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'no such LLM call',
      DETAIL = pg_catalog.format('reservation %s is not visible in this tenant', p_reservation_id),
      HINT = 'pass the reservation_id api.begin_llm_call returned';
  END IF;
  IF v_res.status IN ('settled', 'released') OR v_res.late THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'LLM call already finished',
      DETAIL = pg_catalog.format('reservation %s is %s', p_reservation_id, v_res.status),
      HINT = 'finish a call exactly once';
  END IF;
  v_held := CASE WHEN v_res.status = 'held' THEN v_res.amount_usd ELSE 0 END;
  FOR i IN 1 .. pg_catalog.cardinality(v_res.budget_ids) LOOP
    UPDATE llm.budget_windows AS w
    SET reserved_usd = w.reserved_usd - v_held, spent_usd = w.spent_usd + p_actual_usd
    WHERE w.tenant_id = p_tenant_id AND w.budget_id = v_res.budget_ids[i]
      AND w.window_start = v_res.window_starts[i];
  END LOOP;
  UPDATE llm.reservations AS r
  SET status = CASE WHEN r.status = 'expired' THEN 'expired'
                    WHEN p_actual_usd > 0 THEN 'settled' ELSE 'released' END,
      late = (r.status = 'expired'),
      actual_usd = p_actual_usd,
      closed_at = coalesce(r.closed_at, internal.now())
  WHERE r.tenant_id = p_tenant_id AND r.reservation_id = p_reservation_id
  RETURNING * INTO v_res;
  RETURN v_res;
END
$fn$;
