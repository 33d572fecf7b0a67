-- audit.append: append one event to the current tenant's chain and return its seq.
--
-- Flow: lock the tenant's chain head FOR UPDATE (creating it at seq 0 with a zero hash on
-- the first event), take seq = head.seq + 1 and prev_hash = head.head_hash, hash the
-- canonical encoding, insert the event, move the head. The lock serialises appends per
-- tenant only; tenants never wait for each other. Reading the head from a snapshot instead
-- would fork the chain under concurrency.
-- Locks: audit.chain_heads row of p_tenant_id (the only lock; no lock-order concerns).
-- Actor: the verified principal; db_user: session_user (who was connected); trace id from
-- the claw.trace_id setting (informational, set by the application; internal.trace_id:
-- at most 64 bytes, else none).
-- Raises: 42501 (RLS) when p_tenant_id is not the verified tenant (superusers excepted).
-- Private: called by audit.tg_track and by domain functions; not granted.
CREATE OR REPLACE FUNCTION audit.append(
  p_tenant_id uuid, p_action text, p_target_table text DEFAULT NULL,
  p_target_id text DEFAULT NULL, p_before jsonb DEFAULT NULL, p_after jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_seq bigint;
  v_prev bytea;
  v_hash bytea;
  v_at timestamptz := pg_catalog.clock_timestamp();
  v_actor uuid := internal.current_principal_id();
  v_trace text := internal.trace_id();
BEGIN
  SELECT h.seq, h.head_hash INTO v_seq, v_prev
  FROM audit.chain_heads AS h WHERE h.tenant_id = p_tenant_id FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit.chain_heads (tenant_id, seq, head_hash)
    VALUES (p_tenant_id, 0, pg_catalog.decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex'))
    ON CONFLICT (tenant_id) DO NOTHING;
    SELECT h.seq, h.head_hash INTO STRICT v_seq, v_prev
    FROM audit.chain_heads AS h WHERE h.tenant_id = p_tenant_id FOR UPDATE;
  END IF;
  v_seq := v_seq + 1;
  v_hash := pg_catalog.sha256(pg_catalog.convert_to(audit.encode_event(
    p_tenant_id, v_seq, v_at, v_actor, session_user, p_action, p_target_table, p_target_id,
    p_before, p_after, v_trace, v_prev), 'UTF8'));
  INSERT INTO audit.events (tenant_id, seq, occurred_at, actor_principal_id, db_user, action,
                            target_table, target_id, before, after, trace_id,
                            encoding_version, prev_hash, row_hash)
  VALUES (p_tenant_id, v_seq, v_at, v_actor, session_user, p_action, p_target_table,
          p_target_id, p_before, p_after, v_trace, 1, v_prev, v_hash);
  UPDATE audit.chain_heads AS h SET seq = v_seq, head_hash = v_hash, updated_at = v_at
  WHERE h.tenant_id = p_tenant_id;
  RETURN v_seq;
END
$fn$;
