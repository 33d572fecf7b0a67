-- Operator reads across tenants, for psql. claw_admin holds no table privilege; it calls
-- these functions, which run as claw_operator_reader (BYPASSRLS, SELECT on the tenancy and
-- audit tables only) and append an 'operator.read' event, with the stated reason and the
-- connected user, to the chain of every tenant whose rows they return. So an operator's
-- cross-tenant read is itself in the tenant's tamper-evident history.
-- Raises CL422 without a reason. Locks: each read tenant's chain head (audit.append).

-- admin.require_reason: CL422 unless a reason (3 characters or more) is given. Every read
-- checks it first, before anything it could reveal (whether a tenant exists included).
CREATE OR REPLACE FUNCTION admin.require_reason(p_what text, p_reason text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- three characters that are not white space or control characters (tabs, line breaks
  -- and no-break spaces passed a trim of spaces alone)
  IF p_reason IS NULL OR internal.visible_length(p_reason) < 3 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'a reason is required',
      DETAIL = pg_catalog.format('%s reads tenant data and is audited', p_what),
      HINT = 'pass p_reason => ''ticket 123: customer asked why ...''';
  END IF;
END
$fn$;
ALTER FUNCTION admin.require_reason(text, text) OWNER TO claw_operator_reader;

-- admin.record_read: append the operator.read event to one tenant's chain.
CREATE OR REPLACE FUNCTION admin.record_read(p_tenant_id uuid, p_what text, p_reason text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM admin.require_reason(p_what, p_reason);
  -- the ledger event commits with the caller's transaction; an operator who rolls it back
  -- after seeing the rows leaves it out, so the server log gets the read first (a log line
  -- outlives the rollback; LOG reaches the server log at the default log_min_messages)
  RAISE LOG 'claw operator read: % of tenant % by % (reason: %)', p_what, p_tenant_id,
    session_user, pg_catalog.left(p_reason, 500);
  PERFORM internal.set_context(p_tenant_id, NULL, '{system}');
  PERFORM audit.append(p_tenant_id, 'operator.read', p_what, NULL, NULL,
                       pg_catalog.jsonb_build_object('reason', p_reason, 'by', session_user));
  PERFORM internal.clear_context();
END
$fn$;
ALTER FUNCTION admin.record_read(uuid, text, text) OWNER TO claw_operator_reader;

-- admin.list_tenants: every tenant with its size, key status and audit chain head.
CREATE OR REPLACE FUNCTION admin.list_tenants(p_reason text)
RETURNS TABLE (tenant_id uuid, slug text, name text, principals bigint, active_keys bigint,
               audit_events bigint, created_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM admin.require_reason('admin.list_tenants', p_reason);
  PERFORM admin.record_read(t.tenant_id, 'admin.list_tenants', p_reason)
  FROM tenancy.tenants AS t;
  RETURN QUERY
  SELECT t.tenant_id, t.slug, t.name,
         (SELECT pg_catalog.count(*) FROM tenancy.principals AS p WHERE p.tenant_id = t.tenant_id),
         (SELECT pg_catalog.count(*) FROM tenancy.api_keys AS k WHERE k.tenant_id = t.tenant_id
            AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > pg_catalog.now())),
         (SELECT h.seq FROM audit.chain_heads AS h WHERE h.tenant_id = t.tenant_id),
         t.created_at
  FROM tenancy.tenants AS t ORDER BY t.slug;
END
$fn$;
ALTER FUNCTION admin.list_tenants(text) OWNER TO claw_operator_reader;
COMMENT ON FUNCTION admin.list_tenants(text) IS
  'Operators: every tenant with principals, active keys and audit events. Audited per tenant; needs a reason.';

-- admin.list_members: one tenant's principals, roles and API key status.
CREATE OR REPLACE FUNCTION admin.list_members(p_tenant_id uuid, p_reason text)
RETURNS TABLE (principal_id uuid, kind text, handle text, display_name text, roles text[],
               active_keys bigint, revoked_keys bigint, expired_keys bigint,
               last_key_use timestamptz, disabled_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM admin.require_reason('admin.list_members', p_reason);
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.tenant_id = p_tenant_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tenant not found',
      DETAIL = pg_catalog.format('no tenant %s', p_tenant_id),
      HINT = 'list tenants with admin.list_tenants(p_reason => ...)';
  END IF;
  PERFORM admin.record_read(p_tenant_id, 'admin.list_members', p_reason);
  RETURN QUERY
  SELECT p.principal_id, p.kind, p.handle, p.display_name,
         coalesce((SELECT pg_catalog.array_agg(m.role ORDER BY m.role) FROM tenancy.memberships AS m
                   WHERE m.tenant_id = p.tenant_id AND m.principal_id = p.principal_id), '{}'),
         pg_catalog.count(k.api_key_id) FILTER (WHERE k.revoked_at IS NULL
           AND (k.expires_at IS NULL OR k.expires_at > pg_catalog.now())),
         pg_catalog.count(k.api_key_id) FILTER (WHERE k.revoked_at IS NOT NULL),
         pg_catalog.count(k.api_key_id) FILTER (WHERE k.revoked_at IS NULL
           AND k.expires_at <= pg_catalog.now()),
         pg_catalog.max(k.last_used_at), p.disabled_at
  FROM tenancy.principals AS p
  LEFT JOIN tenancy.api_keys AS k ON k.tenant_id = p.tenant_id AND k.principal_id = p.principal_id
  WHERE p.tenant_id = p_tenant_id
  GROUP BY p.tenant_id, p.principal_id
  ORDER BY p.handle;
END
$fn$;
ALTER FUNCTION admin.list_members(uuid, text) OWNER TO claw_operator_reader;
COMMENT ON FUNCTION admin.list_members(uuid, text) IS
  'Operators: a tenant''s principals, roles and key status (no secrets). Audited; needs a reason.';

-- admin.chain_status: every tenant's audit chain, verified now (audit.verify_chains).
CREATE OR REPLACE FUNCTION admin.chain_status(p_reason text)
RETURNS TABLE (tenant_id uuid, slug text, events bigint, ok boolean, first_bad_seq bigint,
               problem text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM admin.require_reason('admin.chain_status', p_reason);
  -- verify first, so the operator.read events appended below are not part of the verdict
  RETURN QUERY
  WITH v AS MATERIALIZED (SELECT * FROM audit.verify_chains())
  SELECT v.tenant_id, t.slug, v.events, v.ok, v.first_bad_seq, v.problem
  FROM v JOIN tenancy.tenants AS t ON t.tenant_id = v.tenant_id ORDER BY t.slug;
  PERFORM admin.record_read(t.tenant_id, 'admin.chain_status', p_reason) FROM tenancy.tenants AS t;
END
$fn$;
ALTER FUNCTION admin.chain_status(text) OWNER TO claw_operator_reader;
COMMENT ON FUNCTION admin.chain_status(text) IS
  'Operators: every tenant''s audit chain verified now (first broken link, if any). Audited; needs a reason.';

GRANT USAGE ON SCHEMA admin TO claw_admin;
GRANT EXECUTE ON FUNCTION admin.list_tenants(text), admin.list_members(uuid, text),
  admin.chain_status(text) TO claw_admin;
