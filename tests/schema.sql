--
-- PostgreSQL database dump
--

--
-- Name: admin; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA admin;

ALTER SCHEMA admin OWNER TO claw_owner;

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA api;

ALTER SCHEMA api OWNER TO claw_owner;

--
-- Name: audit; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA audit;

ALTER SCHEMA audit OWNER TO claw_owner;

--
-- Name: claw_migrations; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA claw_migrations;

ALTER SCHEMA claw_migrations OWNER TO claw_owner;

--
-- Name: extensions; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA extensions;

ALTER SCHEMA extensions OWNER TO postgres;

--
-- Name: internal; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA internal;

ALTER SCHEMA internal OWNER TO claw_owner;

--
-- Name: tenancy; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA tenancy;

ALTER SCHEMA tenancy OWNER TO claw_owner;

--
-- Name: vector; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;

--
-- Name: EXTENSION vector; Type: COMMENT; Schema: -; Owner:
--

COMMENT ON EXTENSION vector IS 'vector data type and ivfflat and hnsw access methods';

--
-- Name: chain_status(text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.chain_status(p_reason text) RETURNS TABLE(tenant_id uuid, slug text, events bigint, ok boolean, first_bad_seq bigint, problem text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
  -- verify first, so the operator.read events appended below are not part of the verdict
  RETURN QUERY
  WITH v AS MATERIALIZED (SELECT * FROM audit.verify_chains())
  SELECT v.tenant_id, t.slug, v.events, v.ok, v.first_bad_seq, v.problem
  FROM v JOIN tenancy.tenants AS t ON t.tenant_id = v.tenant_id ORDER BY t.slug;
  PERFORM admin.record_read(t.tenant_id, 'admin.chain_status', p_reason) FROM tenancy.tenants AS t;
END
$$;

ALTER FUNCTION admin.chain_status(p_reason text) OWNER TO claw_operator_reader;

--
-- Name: FUNCTION chain_status(p_reason text); Type: COMMENT; Schema: admin; Owner: claw_operator_reader
--

COMMENT ON FUNCTION admin.chain_status(p_reason text) IS 'Operators: every tenant''s audit chain verified now (first broken link, if any). Audited; needs a reason.';

--
-- Name: list_members(uuid, text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.list_members(p_tenant_id uuid, p_reason text) RETURNS TABLE(principal_id uuid, kind text, handle text, display_name text, roles text[], active_keys bigint, revoked_keys bigint, expired_keys bigint, last_key_use timestamp with time zone, disabled_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
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
$$;

ALTER FUNCTION admin.list_members(p_tenant_id uuid, p_reason text) OWNER TO claw_operator_reader;

--
-- Name: FUNCTION list_members(p_tenant_id uuid, p_reason text); Type: COMMENT; Schema: admin; Owner: claw_operator_reader
--

COMMENT ON FUNCTION admin.list_members(p_tenant_id uuid, p_reason text) IS 'Operators: a tenant''s principals, roles and key status (no secrets). Audited; needs a reason.';

--
-- Name: list_tenants(text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.list_tenants(p_reason text) RETURNS TABLE(tenant_id uuid, slug text, name text, principals bigint, active_keys bigint, audit_events bigint, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
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
$$;

ALTER FUNCTION admin.list_tenants(p_reason text) OWNER TO claw_operator_reader;

--
-- Name: FUNCTION list_tenants(p_reason text); Type: COMMENT; Schema: admin; Owner: claw_operator_reader
--

COMMENT ON FUNCTION admin.list_tenants(p_reason text) IS 'Operators: every tenant with principals, active keys and audit events. Audited per tenant; needs a reason.';

--
-- Name: record_read(uuid, text, text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.record_read(p_tenant_id uuid, p_what text, p_reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
  IF p_reason IS NULL OR length(btrim(p_reason)) < 3 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'a reason is required',
      DETAIL = pg_catalog.format('%s reads tenant data and is audited', p_what),
      HINT = 'pass p_reason => ''ticket 123: customer asked why ...''';
  END IF;
  PERFORM internal.set_context(p_tenant_id, NULL, '{system}');
  PERFORM audit.append(p_tenant_id, 'operator.read', p_what, NULL, NULL,
                       pg_catalog.jsonb_build_object('reason', p_reason, 'by', session_user));
  PERFORM internal.clear_context();
END
$$;

ALTER FUNCTION admin.record_read(p_tenant_id uuid, p_what text, p_reason text) OWNER TO claw_operator_reader;

--
-- Name: authenticate(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.authenticate(p_api_key text) RETURNS TABLE(tenant_id uuid, principal_id uuid, roles text[], scopes text[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
DECLARE
  v_m text[] := pg_catalog.regexp_match(
    p_api_key, '^ck_([0-9a-f]{32})([0-9a-f]{32})_([A-Za-z0-9_-]{43})$');
  v_tenant uuid;
  v_key record;
  v_roles text[];
BEGIN
  IF v_m IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'invalid API key',
      DETAIL = 'the key is malformed',
      HINT = 'API keys look like ck_<64 hex>_<43 characters>; pass the whole key';
  END IF;
  v_tenant := v_m[1]::uuid;
  PERFORM internal.set_context(v_tenant, NULL, '{system}');
  SELECT k.api_key_id, k.principal_id, k.secret_hash, k.scopes, k.expires_at, k.revoked_at,
         k.last_used_at, p.disabled_at
    INTO v_key
  FROM tenancy.api_keys AS k
  JOIN tenancy.principals AS p ON p.tenant_id = k.tenant_id AND p.principal_id = k.principal_id
  WHERE k.tenant_id = v_tenant AND k.api_key_id = v_m[2]::uuid;
  IF NOT FOUND OR v_key.secret_hash <> pg_catalog.sha256(pg_catalog.convert_to(v_m[3], 'UTF8')) THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'invalid API key',
      DETAIL = 'no such key, or the secret does not match',
      HINT = 'check the key; a lost key cannot be recovered, issue a new one';
  END IF;
  IF v_key.revoked_at IS NOT NULL THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'API key revoked',
      DETAIL = pg_catalog.format('key %s was revoked at %s', v_key.api_key_id, v_key.revoked_at),
      HINT = 'issue a new key';
  END IF;
  IF v_key.expires_at IS NOT NULL AND v_key.expires_at <= pg_catalog.now() THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'API key expired',
      DETAIL = pg_catalog.format('key %s expired at %s', v_key.api_key_id, v_key.expires_at),
      HINT = 'issue a new key';
  END IF;
  IF v_key.disabled_at IS NOT NULL THEN
    PERFORM internal.clear_context();
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'principal disabled',
      DETAIL = pg_catalog.format('principal %s was disabled at %s', v_key.principal_id,
                                 v_key.disabled_at),
      HINT = 'ask a tenant admin to enable the principal';
  END IF;
  SELECT pg_catalog.array_agg(m.role ORDER BY m.role) INTO v_roles
  FROM tenancy.memberships AS m
  WHERE m.tenant_id = v_tenant AND m.principal_id = v_key.principal_id;
  IF v_key.last_used_at IS NULL OR v_key.last_used_at < pg_catalog.now() - interval '1 minute' THEN
    UPDATE tenancy.api_keys AS k SET last_used_at = pg_catalog.now()
    WHERE k.tenant_id = v_tenant AND k.api_key_id = v_key.api_key_id;
  END IF;
  PERFORM internal.set_context(v_tenant, v_key.principal_id, coalesce(v_roles, '{}'),
                               v_key.scopes);
  RETURN QUERY SELECT v_tenant, v_key.principal_id, coalesce(v_roles, '{}'::text[]), v_key.scopes;
END
$_$;

ALTER FUNCTION api.authenticate(p_api_key text) OWNER TO claw_owner;

--
-- Name: FUNCTION authenticate(p_api_key text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.authenticate(p_api_key text) IS 'Verify an API key and set the tenant context for this transaction. Returns tenant, principal, roles, scopes. CL401 when the key is malformed, unknown, revoked or expired.';

--
-- Name: create_api_key(text, uuid, text[], timestamp with time zone); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.create_api_key(p_name text, p_principal_id uuid DEFAULT NULL::uuid, p_scopes text[] DEFAULT '{*}'::text[], p_expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone, OUT api_key_id uuid, OUT api_key text) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
DECLARE
  v_principal uuid := coalesce(p_principal_id, internal.current_principal_id());
BEGIN
  IF v_principal IS DISTINCT FROM internal.current_principal_id() THEN
    PERFORM internal.require_role('{owner,admin}', 'keys:write', 'creating a key for another principal');
  ELSE
    PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:write',
                                  'creating an API key');
  END IF;
  SELECT k.api_key_id, k.api_key INTO api_key_id, api_key
  FROM tenancy.issue_api_key(v_principal, p_name, p_scopes, p_expires_at) AS k;
END
$$;

ALTER FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) OWNER TO claw_owner;

--
-- Name: FUNCTION create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) IS 'Issue an API key (returned once; only its hash is kept) for yourself, or as owner/admin for another principal. Scopes ''*'' or ''area:read|write''; optional expiry.';

--
-- Name: create_principal(text, text, text, text[]); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[] DEFAULT '{}'::text[]) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
DECLARE
  v_id uuid := pg_catalog.uuidv7();
  v_role text;
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'members:write', 'creating a principal');
  INSERT INTO tenancy.principals (tenant_id, principal_id, kind, handle, display_name)
  VALUES (internal.current_tenant_id(), v_id, p_kind, p_handle, p_display_name);
  FOREACH v_role IN ARRAY coalesce(p_roles, '{}') LOOP
    PERFORM api.grant_role(v_id, v_role);
  END LOOP;
  RETURN v_id;
END
$$;

ALTER FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) OWNER TO claw_owner;

--
-- Name: FUNCTION create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) IS 'Create a principal (person, service, agent) in this tenant, optionally with roles; returns its id.';

--
-- Name: get_schema_version(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.get_schema_version() RETURNS TABLE(migration_id text, applied_migrations integer, applied_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  SELECT (SELECT m.migration_id FROM claw_migrations._yoyo_migration AS m
          ORDER BY m.migration_id DESC LIMIT 1),
         (SELECT count(*)::integer FROM claw_migrations._yoyo_migration),
         (SELECT max(m.applied_at_utc) AT TIME ZONE 'UTC' FROM claw_migrations._yoyo_migration AS m)
$$;

ALTER FUNCTION api.get_schema_version() OWNER TO claw_owner;

--
-- Name: FUNCTION get_schema_version(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.get_schema_version() IS 'The newest applied migration id, the number of applied migrations and when the newest was applied.';

--
-- Name: grant_role(uuid, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.grant_role(p_principal_id uuid, p_role text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
  PERFORM internal.require_role(CASE WHEN p_role = 'owner' THEN '{owner}'::text[]
                                     ELSE '{owner,admin}'::text[] END,
                                'members:write', 'granting role ' || p_role);
  PERFORM tenancy.require_principal(p_principal_id);
  INSERT INTO tenancy.memberships (tenant_id, principal_id, role, granted_by)
  VALUES (internal.current_tenant_id(), p_principal_id, p_role, internal.current_principal_id())
  ON CONFLICT DO NOTHING;
END
$$;

ALTER FUNCTION api.grant_role(p_principal_id uuid, p_role text) OWNER TO claw_owner;

--
-- Name: FUNCTION grant_role(p_principal_id uuid, p_role text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.grant_role(p_principal_id uuid, p_role text) IS 'Grant a role (owner, admin, operator, approver, viewer) to a principal; owner needs an owner. Idempotent.';

--
-- Name: list_api_keys(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_api_keys() RETURNS TABLE(api_key_id uuid, principal_id uuid, name text, prefix text, scopes text[], status text, expires_at timestamp with time zone, revoked_at timestamp with time zone, last_used_at timestamp with time zone, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:read',
                                'listing API keys');
  RETURN QUERY
  SELECT k.api_key_id, k.principal_id, k.name, k.prefix, k.scopes,
         CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
              WHEN k.expires_at <= pg_catalog.now() THEN 'expired' ELSE 'active' END,
         k.expires_at, k.revoked_at, k.last_used_at, k.created_at
  FROM tenancy.api_keys AS k
  ORDER BY k.created_at, k.api_key_id;
END
$$;

ALTER FUNCTION api.list_api_keys() OWNER TO claw_owner;

--
-- Name: FUNCTION list_api_keys(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_api_keys() IS 'API keys visible to the caller with their status (active, revoked, expired); no secrets.';

--
-- Name: list_error_codes(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_error_codes() RETURNS TABLE(sqlstate text, name text, http_status integer, meaning text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  SELECT e.sqlstate, e.name, e.http_status, e.meaning
  FROM internal.error_codes AS e
  ORDER BY e.sqlstate
$$;

ALTER FUNCTION api.list_error_codes() OWNER TO claw_owner;

--
-- Name: FUNCTION list_error_codes(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_error_codes() IS 'The CL error registry: sqlstate, name, HTTP status and meaning of every Claw error.';

--
-- Name: list_principals(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_principals() RETURNS TABLE(principal_id uuid, kind text, handle text, display_name text, roles text[], disabled_at timestamp with time zone, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'members:read',
                                'listing principals');
  RETURN QUERY
  SELECT p.principal_id, p.kind, p.handle, p.display_name,
         coalesce((SELECT pg_catalog.array_agg(m.role ORDER BY m.role) FROM tenancy.memberships AS m
                   WHERE m.tenant_id = p.tenant_id AND m.principal_id = p.principal_id),
                  '{}'::text[]),
         p.disabled_at, p.created_at
  FROM tenancy.principals AS p
  ORDER BY p.created_at, p.principal_id;
END
$$;

ALTER FUNCTION api.list_principals() OWNER TO claw_owner;

--
-- Name: FUNCTION list_principals(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_principals() IS 'The principals of this tenant with their roles.';

--
-- Name: revoke_api_key(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.revoke_api_key(p_api_key_id uuid) RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
DECLARE
  v_revoked timestamptz;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:write',
                                'revoking an API key');
  UPDATE tenancy.api_keys AS k SET revoked_at = coalesce(k.revoked_at, pg_catalog.now())
  WHERE k.tenant_id = internal.current_tenant_id() AND k.api_key_id = p_api_key_id
  RETURNING k.revoked_at INTO v_revoked;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'API key not found',
      DETAIL = pg_catalog.format('no key %s visible to this principal', p_api_key_id),
      HINT = 'list keys with api.list_api_keys()';
  END IF;
  RETURN v_revoked;
END
$$;

ALTER FUNCTION api.revoke_api_key(p_api_key_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION revoke_api_key(p_api_key_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.revoke_api_key(p_api_key_id uuid) IS 'Revoke an API key immediately; returns when it was revoked. Idempotent.';

--
-- Name: whoami(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.whoami() RETURNS TABLE(tenant_id uuid, principal_id uuid, roles text[], scopes text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  SELECT c.tenant_id, c.principal_id, c.roles, c.scopes
  FROM internal.verified_context() AS c WHERE c.tenant_id IS NOT NULL
$$;

ALTER FUNCTION api.whoami() OWNER TO claw_owner;

--
-- Name: FUNCTION whoami(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.whoami() IS 'The tenant, principal, roles and scopes this transaction acts as; no rows when unauthenticated.';

--
-- Name: append(uuid, text, text, text, jsonb, jsonb); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.append(p_tenant_id uuid, p_action text, p_target_table text DEFAULT NULL::text, p_target_id text DEFAULT NULL::text, p_before jsonb DEFAULT NULL::jsonb, p_after jsonb DEFAULT NULL::jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
DECLARE
  v_seq bigint;
  v_prev bytea;
  v_hash bytea;
  v_at timestamptz := pg_catalog.clock_timestamp();
  v_actor uuid := internal.current_principal_id();
  v_trace text := NULLIF(pg_catalog.current_setting('claw.trace_id', true), '');
BEGIN
  SELECT h.seq, h.head_hash INTO v_seq, v_prev
  FROM audit.chain_heads AS h WHERE h.tenant_id = p_tenant_id FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit.chain_heads (tenant_id, seq, head_hash)
    VALUES (p_tenant_id, 0, '\x0000000000000000000000000000000000000000000000000000000000000000')
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
$$;

ALTER FUNCTION audit.append(p_tenant_id uuid, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb) OWNER TO claw_owner;

--
-- Name: checkpoint(); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.checkpoint() RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  WITH heads AS (
    SELECT h.tenant_id, h.seq, h.head_hash FROM audit.chain_heads AS h ORDER BY h.tenant_id
  )
  SELECT pg_catalog.jsonb_build_object(
    'format', 'claw-audit-checkpoint-v1',
    'created_at', pg_catalog.now(),
    'schema_hash', audit.schema_hash(),
    'root', pg_catalog.encode(audit.merkle_root(coalesce(
       (SELECT pg_catalog.array_agg(audit.head_leaf(h.tenant_id, h.seq, h.head_hash)
                                    ORDER BY h.tenant_id) FROM heads AS h), '{}')), 'hex'),
    'heads', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
       'tenant_id', h.tenant_id, 'seq', h.seq, 'head_hash', pg_catalog.encode(h.head_hash, 'hex'))
       ORDER BY h.tenant_id) FROM heads AS h), '[]'::jsonb))
$$;

ALTER FUNCTION audit.checkpoint() OWNER TO claw_owner;

--
-- Name: encode_event(uuid, bigint, timestamp with time zone, uuid, text, text, text, text, jsonb, jsonb, text, bytea); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.encode_event(p_tenant_id uuid, p_seq bigint, p_occurred_at timestamp with time zone, p_actor uuid, p_db_user text, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb, p_trace_id text, p_prev_hash bytea) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  SELECT 'claw-audit-v1' || ROW(
    p_tenant_id, p_seq,
    (EXTRACT(epoch FROM p_occurred_at - pg_catalog.to_timestamp(0)) * 1000000)::bigint,
    p_actor, p_db_user, p_action, p_target_table, p_target_id, p_before, p_after, p_trace_id,
    pg_catalog.encode(p_prev_hash, 'hex'))::text
$$;

ALTER FUNCTION audit.encode_event(p_tenant_id uuid, p_seq bigint, p_occurred_at timestamp with time zone, p_actor uuid, p_db_user text, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb, p_trace_id text, p_prev_hash bytea) OWNER TO claw_owner;

--
-- Name: head_leaf(uuid, bigint, bytea); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.head_leaf(p_tenant_id uuid, p_seq bigint, p_hash bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT pg_catalog.uuid_send(p_tenant_id) || pg_catalog.int8send(p_seq) || p_hash
$$;

ALTER FUNCTION audit.head_leaf(p_tenant_id uuid, p_seq bigint, p_hash bytea) OWNER TO claw_owner;

--
-- Name: merkle_root(bytea[]); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.merkle_root(p_leaves bytea[]) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
  n integer := coalesce(pg_catalog.cardinality(p_leaves), 0);
  k integer := 1;
BEGIN
  IF n = 0 THEN
    RETURN pg_catalog.sha256(''::bytea);
  ELSIF n = 1 THEN
    RETURN pg_catalog.sha256('\x00'::bytea || p_leaves[1]);
  END IF;
  WHILE k * 2 < n LOOP
    k := k * 2;
  END LOOP;
  RETURN pg_catalog.sha256('\x01'::bytea || audit.merkle_root(p_leaves[1:k])
                           || audit.merkle_root(p_leaves[k + 1:n]));
END
$$;

ALTER FUNCTION audit.merkle_root(p_leaves bytea[]) OWNER TO claw_owner;

--
-- Name: schema_hash(); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.schema_hash() RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
    pg_catalog.pg_get_functiondef('audit.encode_event(uuid,bigint,timestamptz,uuid,text,text,text,text,jsonb,jsonb,text,bytea)'::pg_catalog.regprocedure)
    || (SELECT pg_catalog.string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = 'audit.events'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped),
    'UTF8')), 'hex')
$$;

ALTER FUNCTION audit.schema_hash() OWNER TO claw_owner;

--
-- Name: tg_chain_heads__forward_only(); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.tg_chain_heads__forward_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.tenant_id = OLD.tenant_id AND NEW.seq = OLD.seq + 1 THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'audit chain heads only move forward',
    DETAIL = pg_catalog.format('%s on audit.chain_heads is not allowed', TG_OP),
    HINT = 'chain heads change only through audit.append';
END
$$;

ALTER FUNCTION audit.tg_chain_heads__forward_only() OWNER TO claw_owner;

--
-- Name: tg_events__append_only(); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.tg_events__append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'the audit ledger is append-only',
    DETAIL = pg_catalog.format('%s on %s.%s is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
    HINT = 'record a correcting event instead of changing history';
END
$$;

ALTER FUNCTION audit.tg_events__append_only() OWNER TO claw_owner;

--
-- Name: tg_track(); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.tg_track() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
DECLARE
  v_omit text[] := TG_ARGV[1:];
  v_before jsonb;
  v_after jsonb;
  v_row jsonb;
  v_target text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    v_before := pg_catalog.to_jsonb(OLD) - v_omit;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    v_after := pg_catalog.to_jsonb(NEW) - v_omit;
  END IF;
  IF TG_OP = 'UPDATE' AND v_before = v_after THEN
    RETURN NULL;
  END IF;
  v_row := coalesce(v_after, v_before);
  SELECT pg_catalog.string_agg(v_row ->> k, '/' ORDER BY o) INTO v_target
  FROM pg_catalog.unnest(pg_catalog.string_to_array(TG_ARGV[0], ',')) WITH ORDINALITY AS c(k, o);
  PERFORM audit.append((v_row ->> 'tenant_id')::uuid,
                       TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || '.' || pg_catalog.lower(TG_OP),
                       TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, v_target, v_before, v_after);
  RETURN NULL;
END
$$;

ALTER FUNCTION audit.tg_track() OWNER TO claw_owner;

--
-- Name: verify_chains(uuid); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.verify_chains(p_tenant_id uuid DEFAULT NULL::uuid) RETURNS TABLE(tenant_id uuid, events bigint, head_seq bigint, ok boolean, first_bad_seq bigint, problem text)
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
  -- One pass, as a grouped aggregate so it runs in parallel workers (PL/pgSQL's RETURN
  -- QUERY may use parallel plans): each event is joined to its predecessor (tenant, seq-1)
  -- and checked for its own hash, a missing predecessor (gap) and a wrong prev_hash.
  RETURN QUERY
  WITH per_tenant AS (
    SELECT e.tenant_id, pg_catalog.count(*) AS events, pg_catalog.max(e.seq) AS last_seq,
      pg_catalog.min(e.seq) FILTER (WHERE pg_catalog.sha256(pg_catalog.convert_to(
        audit.encode_event(e.tenant_id, e.seq, e.occurred_at, e.actor_principal_id,
          e.db_user, e.action, e.target_table, e.target_id, e.before, e.after, e.trace_id,
          e.prev_hash), 'UTF8')) <> e.row_hash) AS bad_hash,
      pg_catalog.min(e.seq) FILTER (WHERE e.seq > 1 AND p.seq IS NULL) AS gap,
      pg_catalog.min(e.seq) FILTER (WHERE (e.seq = 1 OR p.seq IS NOT NULL)
        AND e.prev_hash <> coalesce(p.row_hash,
          '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea))
        AS broken_link
    FROM audit.events AS e
    LEFT JOIN audit.events AS p ON p.tenant_id = e.tenant_id AND p.seq = e.seq - 1
    WHERE p_tenant_id IS NULL OR e.tenant_id = p_tenant_id
    GROUP BY e.tenant_id
  ),
  findings AS (
    SELECT t.*, last.row_hash AS last_hash,
      -- the earliest finding; at one seq a content change outranks a gap outranks a link
      (SELECT f.seq FROM (VALUES (t.bad_hash, 0), (t.gap, 1), (t.broken_link, 2)) AS f(seq, prio)
       WHERE f.seq IS NOT NULL ORDER BY f.seq, f.prio LIMIT 1) AS first_seq,
      (SELECT f.problem FROM (VALUES (t.bad_hash, 0, 'row hash mismatch'), (t.gap, 1, 'gap'),
                                     (t.broken_link, 2, 'broken link')) AS f(seq, prio, problem)
       WHERE f.seq IS NOT NULL ORDER BY f.seq, f.prio LIMIT 1) AS first_problem
    FROM per_tenant AS t
    JOIN audit.events AS last ON last.tenant_id = t.tenant_id AND last.seq = t.last_seq
  )
  SELECT h.tenant_id, coalesce(f.events, 0), h.seq,
         f.first_seq IS NULL AND h.seq = coalesce(f.last_seq, 0)
           AND h.head_hash = coalesce(f.last_hash,
               '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea),
         coalesce(f.first_seq,
                  CASE WHEN h.seq <> coalesce(f.last_seq, 0)
                         OR h.head_hash <> coalesce(f.last_hash, '\x00'::bytea)
                       THEN LEAST(h.seq, coalesce(f.last_seq, 0)) + 1 END),
         coalesce(f.first_problem,
                  CASE WHEN h.seq <> coalesce(f.last_seq, 0)
                         OR h.head_hash <> coalesce(f.last_hash, '\x00'::bytea)
                       THEN 'head mismatch' END)
  FROM audit.chain_heads AS h
  LEFT JOIN findings AS f ON f.tenant_id = h.tenant_id
  WHERE p_tenant_id IS NULL OR h.tenant_id = p_tenant_id
  ORDER BY h.tenant_id;
END
$$;

ALTER FUNCTION audit.verify_chains(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: verify_digest(jsonb); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.verify_digest(p_digest jsonb) RETURNS TABLE(tenant_id uuid, seq bigint, problem text)
    LANGUAGE sql STABLE
    AS $$
  WITH heads AS (
    SELECT (h ->> 'tenant_id')::uuid AS tenant_id, (h ->> 'seq')::bigint AS seq,
           pg_catalog.decode(h ->> 'head_hash', 'hex') AS head_hash
    FROM pg_catalog.jsonb_array_elements(p_digest -> 'heads') AS h
  )
  SELECT NULL::uuid, NULL::bigint, 'digest root mismatch'
  WHERE pg_catalog.encode(audit.merkle_root(coalesce(
          (SELECT pg_catalog.array_agg(audit.head_leaf(h.tenant_id, h.seq, h.head_hash)
                                       ORDER BY h.tenant_id) FROM heads AS h), '{}')), 'hex')
        IS DISTINCT FROM p_digest ->> 'root'
  UNION ALL
  SELECT h.tenant_id, h.seq,
         CASE WHEN e.seq IS NULL THEN 'event missing' ELSE 'history rewritten' END
  FROM heads AS h
  LEFT JOIN audit.events AS e ON e.tenant_id = h.tenant_id AND e.seq = h.seq
  WHERE h.seq > 0 AND (e.seq IS NULL OR e.row_hash <> h.head_hash)
  UNION ALL
  SELECT v.tenant_id, v.first_bad_seq, v.problem
  FROM audit.verify_chains() AS v WHERE NOT v.ok
$$;

ALTER FUNCTION audit.verify_digest(p_digest jsonb) OWNER TO claw_owner;

--
-- Name: clear_context(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.clear_context() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
BEGIN
  PERFORM pg_catalog.set_config('claw.ctx', '', true);
  PERFORM pg_catalog.set_config('claw.ctx_mac', '', true);
END
$$;

ALTER FUNCTION internal.clear_context() OWNER TO claw_owner;

--
-- Name: current_principal_id(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.current_principal_id() RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$ SELECT (internal.verified_context()).principal_id $$;

ALTER FUNCTION internal.current_principal_id() OWNER TO claw_owner;

--
-- Name: current_tenant_id(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$ SELECT (internal.verified_context()).tenant_id $$;

ALTER FUNCTION internal.current_tenant_id() OWNER TO claw_owner;

--
-- Name: ensure_tenant_policy(regclass); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.ensure_tenant_policy(p_table regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
DECLARE
  v_name text := (SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = p_table)
                 || '_tenant_isolation';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c
                 WHERE c.oid = p_table AND c.relrowsecurity AND c.relforcerowsecurity) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('%s is not a tenant table', p_table),
      DETAIL = 'row level security must be enabled and forced',
      HINT = 'ALTER TABLE ... ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY in its migration';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                 WHERE a.attrelid = p_table AND a.attname = 'tenant_id' AND a.attnotnull) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('%s is not a tenant table', p_table),
      DETAIL = 'it has no tenant_id NOT NULL column', HINT = 'add tenant_id uuid NOT NULL';
  END IF;
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS %I ON %s', v_name, p_table);
  EXECUTE pg_catalog.format(
    'CREATE POLICY %I ON %s AS RESTRICTIVE FOR ALL '
    'USING (tenant_id = (SELECT internal.current_tenant_id())) '
    'WITH CHECK (tenant_id = (SELECT internal.current_tenant_id()))', v_name, p_table);
END
$$;

ALTER FUNCTION internal.ensure_tenant_policy(p_table regclass) OWNER TO claw_owner;

--
-- Name: has_role(text[]); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.has_role(p_roles text[]) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$ SELECT coalesce((internal.verified_context()).roles && p_roles, false) $$;

ALTER FUNCTION internal.has_role(p_roles text[]) OWNER TO claw_owner;

--
-- Name: require_role(text[], text, text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.require_role(p_roles text[], p_scope text, p_action text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
BEGIN
  IF internal.current_tenant_id() IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = pg_catalog.format('%s needs an authenticated tenant context', p_action),
      HINT = 'call api.authenticate(p_api_key => ...) first, in the same transaction';
  END IF;
  IF NOT internal.has_role(p_roles) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s needs one of the roles %s', p_action, p_roles),
      HINT = 'ask a tenant owner or admin to grant the role';
  END IF;
  IF NOT coalesce((internal.verified_context()).scopes && ARRAY['*', p_scope], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s needs a credential with scope %s', p_action, p_scope),
      HINT = 'use an API key that carries this scope';
  END IF;
END
$$;

ALTER FUNCTION internal.require_role(p_roles text[], p_scope text, p_action text) OWNER TO claw_owner;

--
-- Name: role_safety_problems(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.role_safety_problems() RETURNS TABLE(role_name text, problem text)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  WITH guarded AS (
    SELECT r.oid, r.rolname::text AS role_name, r.rolsuper, r.rolbypassrls, r.rolcreaterole
    FROM pg_catalog.pg_roles AS r
    WHERE r.rolname IN ('claw_runtime', 'claw_worker')
  ),
  -- every role a guarded role can act as (itself and its memberships, transitively)
  reachable AS (
    SELECT g.role_name, m.oid, m.rolname::text AS reach_name, m.rolsuper, m.rolbypassrls,
           m.rolcreaterole
    FROM guarded AS g
    JOIN pg_catalog.pg_roles AS m ON pg_catalog.pg_has_role(g.oid, m.oid, 'MEMBER')
  )
  SELECT role_name, problem FROM (
    SELECT role_name, 'is missing' AS problem
    FROM (VALUES ('claw_runtime'), ('claw_worker')) AS want(role_name)
    WHERE NOT EXISTS (SELECT 1 FROM guarded AS g WHERE g.role_name = want.role_name)
    UNION ALL
    SELECT role_name,
           CASE WHEN reach_name = role_name THEN 'is a superuser'
                ELSE 'is a member of superuser ' || reach_name END
    FROM reachable WHERE rolsuper
    UNION ALL
    SELECT role_name,
           CASE WHEN reach_name = role_name THEN 'has BYPASSRLS'
                ELSE 'is a member of ' || reach_name || ', which has BYPASSRLS' END
    FROM reachable WHERE rolbypassrls
    UNION ALL
    SELECT role_name,
           CASE WHEN reach_name = role_name THEN 'has CREATEROLE'
                ELSE 'is a member of ' || reach_name || ', which has CREATEROLE' END
    FROM reachable WHERE rolcreaterole
    UNION ALL
    SELECT role_name, 'can act as the owner role ' || reach_name
    FROM reachable WHERE reach_name = 'claw_owner'
    UNION ALL
    SELECT r.role_name, 'owns ' || CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
                                   WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                   WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
                                   ELSE 'relation' END
                        || ' ' || c.oid::pg_catalog.regclass::text
    FROM reachable AS r
    JOIN pg_catalog.pg_class AS c ON c.relowner = r.oid
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    UNION ALL
    SELECT r.role_name, 'owns function ' || p.oid::pg_catalog.regprocedure::text
    FROM reachable AS r
    JOIN pg_catalog.pg_proc AS p ON p.proowner = r.oid
    UNION ALL
    SELECT r.role_name, 'owns schema ' || n.nspname
    FROM reachable AS r
    JOIN pg_catalog.pg_namespace AS n ON n.nspowner = r.oid
  ) AS problems
  ORDER BY role_name, problem
$$;

ALTER FUNCTION internal.role_safety_problems() OWNER TO claw_owner;

--
-- Name: FUNCTION role_safety_problems(); Type: COMMENT; Schema: internal; Owner: claw_owner
--

COMMENT ON FUNCTION internal.role_safety_problems() IS 'Why Claw must refuse to start: runtime or worker roles that are superuser, BYPASSRLS, CREATEROLE, members of claw_owner, or owners of any object. No rows means safe.';

--
-- Name: set_context(uuid, uuid, text[], text[]); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[] DEFAULT '{*}'::text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
DECLARE
  v_ctx text;
  v_key bytea;
BEGIN
  IF p_tenant_id IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'a tenant context needs a tenant',
      DETAIL = 'internal.set_context was called with a NULL tenant id',
      HINT = 'pass the tenant the verified credential belongs to';
  END IF;
  SELECT k.secret INTO STRICT v_key FROM internal.context_keys AS k WHERE k.context_key_id = 1;
  v_ctx := p_tenant_id::text || '|' || coalesce(p_principal_id::text, '') || '|'
           || array_to_string(coalesce(p_roles, '{}'), ',') || '|'
           || array_to_string(coalesce(p_scopes, '{}'), ',') || '|'
           || pg_catalog.pg_current_xact_id()::text;
  PERFORM pg_catalog.set_config('claw.ctx', v_ctx, true);
  PERFORM pg_catalog.set_config('claw.ctx_mac', pg_catalog.encode(pg_catalog.sha256(
    v_key || pg_catalog.sha256(v_key || pg_catalog.convert_to(v_ctx, 'UTF8'))), 'hex'), true);
END
$$;

ALTER FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[]) OWNER TO claw_owner;

--
-- Name: tenant_schemas(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.tenant_schemas() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT ARRAY['tenancy', 'audit', 'authz', 'ontology', 'governance', 'queue', 'flow', 'llm',
               'connect', 'messaging']
$$;

ALTER FUNCTION internal.tenant_schemas() OWNER TO claw_owner;

--
-- Name: verified_context(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
DECLARE
  v_ctx text := pg_catalog.current_setting('claw.ctx', true);
  v_mac text := pg_catalog.current_setting('claw.ctx_mac', true);
  v_key bytea;
  v_parts text[];
BEGIN
  IF v_ctx IS NULL OR v_ctx = '' OR v_mac IS NULL OR v_mac = '' THEN
    RETURN;
  END IF;
  v_parts := pg_catalog.string_to_array(v_ctx, '|');
  IF pg_catalog.cardinality(v_parts) <> 5 THEN
    RETURN;
  END IF;
  -- Cheap check first: bound to this transaction. pg_current_xact_id_if_assigned() is NULL
  -- when no xid exists, which never matches.
  IF v_parts[5] IS DISTINCT FROM pg_catalog.pg_current_xact_id_if_assigned()::text THEN
    RETURN;
  END IF;
  SELECT k.secret INTO v_key FROM internal.context_keys AS k WHERE k.context_key_id = 1;
  IF v_mac IS DISTINCT FROM pg_catalog.encode(pg_catalog.sha256(
       v_key || pg_catalog.sha256(v_key || pg_catalog.convert_to(v_ctx, 'UTF8'))), 'hex') THEN
    RETURN;
  END IF;
  tenant_id := v_parts[1]::uuid;
  principal_id := NULLIF(v_parts[2], '')::uuid;
  roles := pg_catalog.string_to_array(NULLIF(v_parts[3], ''), ',');
  scopes := pg_catalog.string_to_array(NULLIF(v_parts[4], ''), ',');
END
$$;

ALTER FUNCTION internal.verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) OWNER TO claw_owner;

--
-- Name: create_tenant(text, text, text, text); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
BEGIN
  tenant_id := pg_catalog.uuidv7();
  principal_id := pg_catalog.uuidv7();
  PERFORM internal.set_context(tenant_id, NULL, '{system}');
  INSERT INTO tenancy.tenants (tenant_id, slug, name) VALUES (tenant_id, p_slug, p_name);
  INSERT INTO tenancy.principals (tenant_id, principal_id, kind, handle, display_name)
  VALUES (tenant_id, principal_id, 'person', p_owner_handle, p_owner_name);
  INSERT INTO tenancy.memberships (tenant_id, principal_id, role)
  VALUES (tenant_id, principal_id, 'owner');
  SELECT k.api_key INTO api_key
  FROM tenancy.issue_api_key(principal_id, 'initial owner key', '{*}', NULL) AS k;
END
$$;

ALTER FUNCTION tenancy.create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text) OWNER TO claw_owner;

--
-- Name: FUNCTION create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text); Type: COMMENT; Schema: tenancy; Owner: claw_owner
--

COMMENT ON FUNCTION tenancy.create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text) IS 'Provision a tenant, its owner principal and the owner''s first API key (shown once).';

--
-- Name: issue_api_key(uuid, text, text[], timestamp with time zone); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.issue_api_key(p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $_$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
  v_secret text;
BEGIN
  PERFORM tenancy.require_principal(p_principal_id);
  IF p_expires_at IS NOT NULL AND p_expires_at <= pg_catalog.now() THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'expiry is in the past',
      DETAIL = pg_catalog.format('expires_at %s is not after now', p_expires_at),
      HINT = 'pass a future time, or NULL for a key that does not expire';
  END IF;
  IF p_scopes IS NULL OR pg_catalog.cardinality(p_scopes) = 0 OR EXISTS (
       SELECT 1 FROM pg_catalog.unnest(p_scopes) AS s WHERE s !~ '^(\*|[a-z_]+:(read|write))$') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid scopes',
      DETAIL = pg_catalog.format('scopes %s', p_scopes),
      HINT = 'scopes are ''*'' or ''<area>:read'' / ''<area>:write'', e.g. keys:write';
  END IF;
  api_key_id := pg_catalog.uuidv7();
  v_secret := pg_catalog.translate(pg_catalog.rtrim(pg_catalog.encode(
    pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
    || pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 'base64'), '='), '+/', '-_');
  INSERT INTO tenancy.api_keys (tenant_id, api_key_id, principal_id, name, prefix,
                                secret_hash, scopes, expires_at)
  VALUES (v_tenant, api_key_id, p_principal_id, p_name,
          'ck_' || pg_catalog.left(pg_catalog.replace(api_key_id::text, '-', ''), 12),
          pg_catalog.sha256(pg_catalog.convert_to(v_secret, 'UTF8')), p_scopes, p_expires_at);
  api_key := 'ck_' || pg_catalog.replace(v_tenant::text, '-', '')
             || pg_catalog.replace(api_key_id::text, '-', '') || '_' || v_secret;
END
$_$;

ALTER FUNCTION tenancy.issue_api_key(p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) OWNER TO claw_owner;

--
-- Name: require_principal(uuid); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.require_principal(p_principal_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenancy.principals AS p
                 WHERE p.tenant_id = internal.current_tenant_id()
                   AND p.principal_id = p_principal_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'principal not found',
      DETAIL = pg_catalog.format('no principal %s in this tenant', p_principal_id),
      HINT = 'list principals with api.list_principals(); create one with api.create_principal';
  END IF;
END
$$;

ALTER FUNCTION tenancy.require_principal(p_principal_id uuid) OWNER TO claw_owner;

--
-- Name: chain_heads; Type: TABLE; Schema: audit; Owner: claw_owner
--

CREATE TABLE audit.chain_heads (
    tenant_id uuid NOT NULL,
    seq bigint NOT NULL,
    head_hash bytea NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chain_heads_head_hash_check CHECK ((length(head_hash) = 32)),
    CONSTRAINT chain_heads_seq_check CHECK ((seq >= 0))
);

ALTER TABLE ONLY audit.chain_heads FORCE ROW LEVEL SECURITY;

ALTER TABLE audit.chain_heads OWNER TO claw_owner;

--
-- Name: events; Type: TABLE; Schema: audit; Owner: claw_owner
--

CREATE TABLE audit.events (
    tenant_id uuid NOT NULL,
    seq bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    actor_principal_id uuid,
    db_user text NOT NULL,
    action text NOT NULL,
    target_table text,
    target_id text,
    before jsonb,
    after jsonb,
    trace_id text,
    encoding_version smallint NOT NULL,
    prev_hash bytea NOT NULL,
    row_hash bytea NOT NULL,
    CONSTRAINT events_action_check CHECK (((length(action) >= 1) AND (length(action) <= 200))),
    CONSTRAINT events_encoding_version_check CHECK ((encoding_version = 1)),
    CONSTRAINT events_prev_hash_check CHECK ((length(prev_hash) = 32)),
    CONSTRAINT events_row_hash_check CHECK ((length(row_hash) = 32)),
    CONSTRAINT events_seq_check CHECK ((seq >= 1))
);

ALTER TABLE ONLY audit.events FORCE ROW LEVEL SECURITY;

ALTER TABLE audit.events OWNER TO claw_owner;

--
-- Name: _yoyo_log; Type: TABLE; Schema: claw_migrations; Owner: claw_owner
--

CREATE TABLE claw_migrations._yoyo_log (
    id character varying(36) NOT NULL,
    migration_hash character varying(64),
    migration_id character varying(255),
    operation character varying(10),
    username character varying(255),
    hostname character varying(255),
    comment character varying(255),
    created_at_utc timestamp without time zone
);

ALTER TABLE claw_migrations._yoyo_log OWNER TO claw_owner;

--
-- Name: _yoyo_migration; Type: TABLE; Schema: claw_migrations; Owner: claw_owner
--

CREATE TABLE claw_migrations._yoyo_migration (
    migration_hash character varying(64) NOT NULL,
    migration_id character varying(255),
    applied_at_utc timestamp without time zone
);

ALTER TABLE claw_migrations._yoyo_migration OWNER TO claw_owner;

--
-- Name: _yoyo_version; Type: TABLE; Schema: claw_migrations; Owner: claw_owner
--

CREATE TABLE claw_migrations._yoyo_version (
    version integer NOT NULL,
    installed_at_utc timestamp without time zone
);

ALTER TABLE claw_migrations._yoyo_version OWNER TO claw_owner;

--
-- Name: yoyo_lock; Type: TABLE; Schema: claw_migrations; Owner: claw_owner
--

CREATE TABLE claw_migrations.yoyo_lock (
    locked integer DEFAULT 1 NOT NULL,
    ctime timestamp without time zone,
    pid integer NOT NULL
);

ALTER TABLE claw_migrations.yoyo_lock OWNER TO claw_owner;

--
-- Name: context_keys; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.context_keys (
    context_key_id integer NOT NULL,
    secret bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT context_keys_context_key_id_check CHECK ((context_key_id = 1)),
    CONSTRAINT context_keys_secret_check CHECK ((length(secret) >= 32))
);

ALTER TABLE internal.context_keys OWNER TO claw_owner;

--
-- Name: error_codes; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.error_codes (
    sqlstate text NOT NULL,
    name text NOT NULL,
    http_status integer NOT NULL,
    meaning text NOT NULL,
    CONSTRAINT error_codes_http_status_check CHECK (((http_status >= 400) AND (http_status <= 599))),
    CONSTRAINT error_codes_name_check CHECK ((name ~ '^[a-z_]+$'::text)),
    CONSTRAINT error_codes_sqlstate_check CHECK ((sqlstate ~ '^CL[0-9A-Z]{3}$'::text))
);

ALTER TABLE internal.error_codes OWNER TO claw_owner;

--
-- Name: TABLE error_codes; Type: COMMENT; Schema: internal; Owner: claw_owner
--

COMMENT ON TABLE internal.error_codes IS 'Claw''s SQLSTATE class CL: each code, its HTTP status and meaning.';

--
-- Name: api_keys; Type: TABLE; Schema: tenancy; Owner: claw_owner
--

CREATE TABLE tenancy.api_keys (
    tenant_id uuid NOT NULL,
    api_key_id uuid DEFAULT uuidv7() NOT NULL,
    principal_id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    secret_hash bytea NOT NULL,
    scopes text[] DEFAULT '{*}'::text[] NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT api_keys_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100))),
    CONSTRAINT api_keys_scopes_check CHECK ((cardinality(scopes) > 0)),
    CONSTRAINT api_keys_secret_hash_check CHECK ((length(secret_hash) = 32))
);

ALTER TABLE ONLY tenancy.api_keys FORCE ROW LEVEL SECURITY;

ALTER TABLE tenancy.api_keys OWNER TO claw_owner;

--
-- Name: memberships; Type: TABLE; Schema: tenancy; Owner: claw_owner
--

CREATE TABLE tenancy.memberships (
    tenant_id uuid NOT NULL,
    principal_id uuid NOT NULL,
    role text NOT NULL,
    granted_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memberships_role_check CHECK ((role = ANY (ARRAY['owner'::text, 'admin'::text, 'operator'::text, 'approver'::text, 'viewer'::text])))
);

ALTER TABLE ONLY tenancy.memberships FORCE ROW LEVEL SECURITY;

ALTER TABLE tenancy.memberships OWNER TO claw_owner;

--
-- Name: principals; Type: TABLE; Schema: tenancy; Owner: claw_owner
--

CREATE TABLE tenancy.principals (
    tenant_id uuid NOT NULL,
    principal_id uuid DEFAULT uuidv7() NOT NULL,
    kind text NOT NULL,
    handle text NOT NULL,
    display_name text NOT NULL,
    disabled_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT principals_display_name_check CHECK (((length(display_name) >= 1) AND (length(display_name) <= 200))),
    CONSTRAINT principals_handle_check CHECK ((handle ~ '^[a-z0-9][a-z0-9._@+-]{0,127}$'::text)),
    CONSTRAINT principals_kind_check CHECK ((kind = ANY (ARRAY['person'::text, 'service'::text, 'agent'::text])))
);

ALTER TABLE ONLY tenancy.principals FORCE ROW LEVEL SECURITY;

ALTER TABLE tenancy.principals OWNER TO claw_owner;

--
-- Name: tenants; Type: TABLE; Schema: tenancy; Owner: claw_owner
--

CREATE TABLE tenancy.tenants (
    tenant_id uuid DEFAULT uuidv7() NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tenants_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT tenants_slug_check CHECK ((slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'::text))
);

ALTER TABLE ONLY tenancy.tenants FORCE ROW LEVEL SECURITY;

ALTER TABLE tenancy.tenants OWNER TO claw_owner;

--
-- Name: chain_heads chain_heads_pkey; Type: CONSTRAINT; Schema: audit; Owner: claw_owner
--

ALTER TABLE ONLY audit.chain_heads
    ADD CONSTRAINT chain_heads_pkey PRIMARY KEY (tenant_id);

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: audit; Owner: claw_owner
--

ALTER TABLE ONLY audit.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, seq);

--
-- Name: _yoyo_log _yoyo_log_pkey; Type: CONSTRAINT; Schema: claw_migrations; Owner: claw_owner
--

ALTER TABLE ONLY claw_migrations._yoyo_log
    ADD CONSTRAINT _yoyo_log_pkey PRIMARY KEY (id);

--
-- Name: _yoyo_migration _yoyo_migration_pkey; Type: CONSTRAINT; Schema: claw_migrations; Owner: claw_owner
--

ALTER TABLE ONLY claw_migrations._yoyo_migration
    ADD CONSTRAINT _yoyo_migration_pkey PRIMARY KEY (migration_hash);

--
-- Name: _yoyo_version _yoyo_version_pkey; Type: CONSTRAINT; Schema: claw_migrations; Owner: claw_owner
--

ALTER TABLE ONLY claw_migrations._yoyo_version
    ADD CONSTRAINT _yoyo_version_pkey PRIMARY KEY (version);

--
-- Name: yoyo_lock yoyo_lock_pkey; Type: CONSTRAINT; Schema: claw_migrations; Owner: claw_owner
--

ALTER TABLE ONLY claw_migrations.yoyo_lock
    ADD CONSTRAINT yoyo_lock_pkey PRIMARY KEY (locked);

--
-- Name: context_keys context_keys_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.context_keys
    ADD CONSTRAINT context_keys_pkey PRIMARY KEY (context_key_id);

--
-- Name: error_codes error_codes_name_key; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.error_codes
    ADD CONSTRAINT error_codes_name_key UNIQUE (name);

--
-- Name: error_codes error_codes_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.error_codes
    ADD CONSTRAINT error_codes_pkey PRIMARY KEY (sqlstate);

--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (tenant_id, api_key_id);

--
-- Name: api_keys api_keys_tenant_id_name_key; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.api_keys
    ADD CONSTRAINT api_keys_tenant_id_name_key UNIQUE (tenant_id, name);

--
-- Name: memberships memberships_pkey; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.memberships
    ADD CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, principal_id, role);

--
-- Name: principals principals_pkey; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.principals
    ADD CONSTRAINT principals_pkey PRIMARY KEY (tenant_id, principal_id);

--
-- Name: principals principals_tenant_id_handle_key; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.principals
    ADD CONSTRAINT principals_tenant_id_handle_key UNIQUE (tenant_id, handle);

--
-- Name: tenants tenants_pkey; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.tenants
    ADD CONSTRAINT tenants_pkey PRIMARY KEY (tenant_id);

--
-- Name: tenants tenants_slug_key; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.tenants
    ADD CONSTRAINT tenants_slug_key UNIQUE (slug);

--
-- Name: events_tenant_target_idx; Type: INDEX; Schema: audit; Owner: claw_owner
--

CREATE INDEX events_tenant_target_idx ON audit.events USING btree (tenant_id, target_table, target_id);

--
-- Name: api_keys_tenant_principal_idx; Type: INDEX; Schema: tenancy; Owner: claw_owner
--

CREATE INDEX api_keys_tenant_principal_idx ON tenancy.api_keys USING btree (tenant_id, principal_id);

--
-- Name: memberships_tenant_granted_by_idx; Type: INDEX; Schema: tenancy; Owner: claw_owner
--

CREATE INDEX memberships_tenant_granted_by_idx ON tenancy.memberships USING btree (tenant_id, granted_by);

--
-- Name: events 100_append_only; Type: TRIGGER; Schema: audit; Owner: claw_owner
--

CREATE TRIGGER "100_append_only" BEFORE DELETE OR UPDATE ON audit.events FOR EACH ROW EXECUTE FUNCTION audit.tg_events__append_only();

ALTER TABLE audit.events ENABLE ALWAYS TRIGGER "100_append_only";

--
-- Name: chain_heads 100_forward_only; Type: TRIGGER; Schema: audit; Owner: claw_owner
--

CREATE TRIGGER "100_forward_only" BEFORE DELETE OR UPDATE ON audit.chain_heads FOR EACH ROW EXECUTE FUNCTION audit.tg_chain_heads__forward_only();

ALTER TABLE audit.chain_heads ENABLE ALWAYS TRIGGER "100_forward_only";

--
-- Name: chain_heads 100_no_truncate; Type: TRIGGER; Schema: audit; Owner: claw_owner
--

CREATE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON audit.chain_heads FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_chain_heads__forward_only();

ALTER TABLE audit.chain_heads ENABLE ALWAYS TRIGGER "100_no_truncate";

--
-- Name: events 100_no_truncate; Type: TRIGGER; Schema: audit; Owner: claw_owner
--

CREATE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON audit.events FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_events__append_only();

ALTER TABLE audit.events ENABLE ALWAYS TRIGGER "100_no_truncate";

--
-- Name: api_keys 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.api_keys FOR EACH ROW EXECUTE FUNCTION audit.tg_track('api_key_id', 'secret_hash', 'last_used_at');

--
-- Name: memberships 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.memberships FOR EACH ROW EXECUTE FUNCTION audit.tg_track('principal_id,role');

--
-- Name: principals 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.principals FOR EACH ROW EXECUTE FUNCTION audit.tg_track('principal_id');

--
-- Name: tenants 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.tenants FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tenant_id');

--
-- Name: chain_heads chain_heads_tenant_id_fkey; Type: FK CONSTRAINT; Schema: audit; Owner: claw_owner
--

ALTER TABLE ONLY audit.chain_heads
    ADD CONSTRAINT chain_heads_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: events events_tenant_id_fkey; Type: FK CONSTRAINT; Schema: audit; Owner: claw_owner
--

ALTER TABLE ONLY audit.events
    ADD CONSTRAINT events_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES audit.chain_heads(tenant_id);

--
-- Name: api_keys api_keys_tenant_id_principal_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.api_keys
    ADD CONSTRAINT api_keys_tenant_id_principal_id_fkey FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: memberships memberships_tenant_id_granted_by_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.memberships
    ADD CONSTRAINT memberships_tenant_id_granted_by_fkey FOREIGN KEY (tenant_id, granted_by) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: memberships memberships_tenant_id_principal_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.memberships
    ADD CONSTRAINT memberships_tenant_id_principal_id_fkey FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: principals principals_tenant_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.principals
    ADD CONSTRAINT principals_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: chain_heads; Type: ROW SECURITY; Schema: audit; Owner: claw_owner
--

ALTER TABLE audit.chain_heads ENABLE ROW LEVEL SECURITY;

--
-- Name: chain_heads chain_heads_all_append; Type: POLICY; Schema: audit; Owner: claw_owner
--

CREATE POLICY chain_heads_all_append ON audit.chain_heads USING (true) WITH CHECK (true);

--
-- Name: chain_heads chain_heads_tenant_isolation; Type: POLICY; Schema: audit; Owner: claw_owner
--

CREATE POLICY chain_heads_tenant_isolation ON audit.chain_heads AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: events; Type: ROW SECURITY; Schema: audit; Owner: claw_owner
--

ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;

--
-- Name: events events_insert_append; Type: POLICY; Schema: audit; Owner: claw_owner
--

CREATE POLICY events_insert_append ON audit.events FOR INSERT WITH CHECK (true);

--
-- Name: events events_select_admin; Type: POLICY; Schema: audit; Owner: claw_owner
--

CREATE POLICY events_select_admin ON audit.events FOR SELECT USING (( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role));

--
-- Name: events events_tenant_isolation; Type: POLICY; Schema: audit; Owner: claw_owner
--

CREATE POLICY events_tenant_isolation ON audit.events AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: api_keys; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.api_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: api_keys api_keys_insert_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_insert_admin ON tenancy.api_keys FOR INSERT WITH CHECK (( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role));

--
-- Name: api_keys api_keys_select_own_or_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_select_own_or_admin ON tenancy.api_keys FOR SELECT USING (((principal_id = ( SELECT internal.current_principal_id() AS current_principal_id)) OR ( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role)));

--
-- Name: api_keys api_keys_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_tenant_isolation ON tenancy.api_keys AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: api_keys api_keys_update_own_or_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_update_own_or_admin ON tenancy.api_keys FOR UPDATE USING (((principal_id = ( SELECT internal.current_principal_id() AS current_principal_id)) OR ( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role)));

--
-- Name: memberships; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.memberships ENABLE ROW LEVEL SECURITY;

--
-- Name: memberships memberships_delete_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY memberships_delete_admin ON tenancy.memberships FOR DELETE USING (( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role));

--
-- Name: memberships memberships_insert_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY memberships_insert_admin ON tenancy.memberships FOR INSERT WITH CHECK (( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role));

--
-- Name: memberships memberships_select_member; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY memberships_select_member ON tenancy.memberships FOR SELECT USING (true);

--
-- Name: memberships memberships_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY memberships_tenant_isolation ON tenancy.memberships AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: principals; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.principals ENABLE ROW LEVEL SECURITY;

--
-- Name: principals principals_insert_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY principals_insert_admin ON tenancy.principals FOR INSERT WITH CHECK (( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role));

--
-- Name: principals principals_select_member; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY principals_select_member ON tenancy.principals FOR SELECT USING (true);

--
-- Name: principals principals_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY principals_tenant_isolation ON tenancy.principals AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: principals principals_update_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY principals_update_admin ON tenancy.principals FOR UPDATE USING (( SELECT internal.has_role('{owner,admin,system}'::text[]) AS has_role));

--
-- Name: tenants; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.tenants ENABLE ROW LEVEL SECURITY;

--
-- Name: tenants tenants_insert_system; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY tenants_insert_system ON tenancy.tenants FOR INSERT WITH CHECK (( SELECT internal.has_role('{system}'::text[]) AS has_role));

--
-- Name: tenants tenants_select_member; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY tenants_select_member ON tenancy.tenants FOR SELECT USING (true);

--
-- Name: tenants tenants_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY tenants_tenant_isolation ON tenancy.tenants AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: tenants tenants_update_owner; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY tenants_update_owner ON tenancy.tenants FOR UPDATE USING (( SELECT internal.has_role('{owner,system}'::text[]) AS has_role));

--
-- Name: SCHEMA admin; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA admin TO claw_operator_reader;
GRANT USAGE ON SCHEMA admin TO claw_admin;

--
-- Name: SCHEMA api; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT USAGE ON SCHEMA api TO claw_runtime;
GRANT USAGE ON SCHEMA api TO claw_worker;
GRANT USAGE ON SCHEMA api TO claw_admin;
GRANT USAGE ON SCHEMA api TO claw_auditor;

--
-- Name: SCHEMA audit; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT USAGE ON SCHEMA audit TO claw_auditor;
GRANT USAGE ON SCHEMA audit TO claw_operator_reader;

--
-- Name: SCHEMA extensions; Type: ACL; Schema: -; Owner: postgres
--

GRANT USAGE ON SCHEMA extensions TO claw_owner;

--
-- Name: SCHEMA internal; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT USAGE ON SCHEMA internal TO claw_operator_reader;

--
-- Name: SCHEMA tenancy; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT USAGE ON SCHEMA tenancy TO claw_operator_reader;

--
-- Name: FUNCTION chain_status(p_reason text); Type: ACL; Schema: admin; Owner: claw_operator_reader
--

REVOKE ALL ON FUNCTION admin.chain_status(p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION admin.chain_status(p_reason text) TO claw_admin;

--
-- Name: FUNCTION list_members(p_tenant_id uuid, p_reason text); Type: ACL; Schema: admin; Owner: claw_operator_reader
--

REVOKE ALL ON FUNCTION admin.list_members(p_tenant_id uuid, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION admin.list_members(p_tenant_id uuid, p_reason text) TO claw_admin;

--
-- Name: FUNCTION list_tenants(p_reason text); Type: ACL; Schema: admin; Owner: claw_operator_reader
--

REVOKE ALL ON FUNCTION admin.list_tenants(p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION admin.list_tenants(p_reason text) TO claw_admin;

--
-- Name: FUNCTION record_read(p_tenant_id uuid, p_what text, p_reason text); Type: ACL; Schema: admin; Owner: claw_operator_reader
--

REVOKE ALL ON FUNCTION admin.record_read(p_tenant_id uuid, p_what text, p_reason text) FROM PUBLIC;

--
-- Name: FUNCTION authenticate(p_api_key text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.authenticate(p_api_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.authenticate(p_api_key text) TO claw_runtime;

--
-- Name: FUNCTION create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) TO claw_runtime;

--
-- Name: FUNCTION create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) TO claw_runtime;

--
-- Name: FUNCTION get_schema_version(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.get_schema_version() FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_runtime;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_worker;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_admin;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_auditor;

--
-- Name: FUNCTION grant_role(p_principal_id uuid, p_role text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.grant_role(p_principal_id uuid, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.grant_role(p_principal_id uuid, p_role text) TO claw_runtime;

--
-- Name: FUNCTION list_api_keys(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_api_keys() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_api_keys() TO claw_runtime;

--
-- Name: FUNCTION list_error_codes(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_error_codes() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_worker;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_admin;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_auditor;

--
-- Name: FUNCTION list_principals(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_principals() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_principals() TO claw_runtime;

--
-- Name: FUNCTION revoke_api_key(p_api_key_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.revoke_api_key(p_api_key_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.revoke_api_key(p_api_key_id uuid) TO claw_runtime;

--
-- Name: FUNCTION whoami(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.whoami() FROM PUBLIC;
GRANT ALL ON FUNCTION api.whoami() TO claw_runtime;
GRANT ALL ON FUNCTION api.whoami() TO claw_worker;

--
-- Name: FUNCTION append(p_tenant_id uuid, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.append(p_tenant_id uuid, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION audit.append(p_tenant_id uuid, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb) TO claw_operator_reader;

--
-- Name: FUNCTION checkpoint(); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.checkpoint() FROM PUBLIC;
GRANT ALL ON FUNCTION audit.checkpoint() TO claw_auditor;

--
-- Name: FUNCTION encode_event(p_tenant_id uuid, p_seq bigint, p_occurred_at timestamp with time zone, p_actor uuid, p_db_user text, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb, p_trace_id text, p_prev_hash bytea); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.encode_event(p_tenant_id uuid, p_seq bigint, p_occurred_at timestamp with time zone, p_actor uuid, p_db_user text, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb, p_trace_id text, p_prev_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION audit.encode_event(p_tenant_id uuid, p_seq bigint, p_occurred_at timestamp with time zone, p_actor uuid, p_db_user text, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb, p_trace_id text, p_prev_hash bytea) TO claw_auditor;
GRANT ALL ON FUNCTION audit.encode_event(p_tenant_id uuid, p_seq bigint, p_occurred_at timestamp with time zone, p_actor uuid, p_db_user text, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb, p_trace_id text, p_prev_hash bytea) TO claw_operator_reader;

--
-- Name: FUNCTION head_leaf(p_tenant_id uuid, p_seq bigint, p_hash bytea); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.head_leaf(p_tenant_id uuid, p_seq bigint, p_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION audit.head_leaf(p_tenant_id uuid, p_seq bigint, p_hash bytea) TO claw_auditor;

--
-- Name: FUNCTION merkle_root(p_leaves bytea[]); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.merkle_root(p_leaves bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION audit.merkle_root(p_leaves bytea[]) TO claw_auditor;

--
-- Name: FUNCTION schema_hash(); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.schema_hash() FROM PUBLIC;
GRANT ALL ON FUNCTION audit.schema_hash() TO claw_auditor;

--
-- Name: FUNCTION tg_chain_heads__forward_only(); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.tg_chain_heads__forward_only() FROM PUBLIC;

--
-- Name: FUNCTION tg_events__append_only(); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.tg_events__append_only() FROM PUBLIC;

--
-- Name: FUNCTION tg_track(); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.tg_track() FROM PUBLIC;

--
-- Name: FUNCTION verify_chains(p_tenant_id uuid); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.verify_chains(p_tenant_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION audit.verify_chains(p_tenant_id uuid) TO claw_auditor;
GRANT ALL ON FUNCTION audit.verify_chains(p_tenant_id uuid) TO claw_operator_reader;

--
-- Name: FUNCTION verify_digest(p_digest jsonb); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.verify_digest(p_digest jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION audit.verify_digest(p_digest jsonb) TO claw_auditor;

--
-- Name: FUNCTION clear_context(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.clear_context() FROM PUBLIC;
GRANT ALL ON FUNCTION internal.clear_context() TO claw_operator_reader;

--
-- Name: FUNCTION current_principal_id(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.current_principal_id() FROM PUBLIC;

--
-- Name: FUNCTION current_tenant_id(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.current_tenant_id() FROM PUBLIC;

--
-- Name: FUNCTION ensure_tenant_policy(p_table regclass); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.ensure_tenant_policy(p_table regclass) FROM PUBLIC;

--
-- Name: FUNCTION has_role(p_roles text[]); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.has_role(p_roles text[]) FROM PUBLIC;

--
-- Name: FUNCTION require_role(p_roles text[], p_scope text, p_action text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.require_role(p_roles text[], p_scope text, p_action text) FROM PUBLIC;

--
-- Name: FUNCTION role_safety_problems(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.role_safety_problems() FROM PUBLIC;

--
-- Name: FUNCTION set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[]); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[]) TO claw_operator_reader;

--
-- Name: FUNCTION tenant_schemas(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.tenant_schemas() FROM PUBLIC;

--
-- Name: FUNCTION verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) FROM PUBLIC;

--
-- Name: FUNCTION create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text) FROM PUBLIC;

--
-- Name: FUNCTION issue_api_key(p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.issue_api_key(p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) FROM PUBLIC;

--
-- Name: FUNCTION require_principal(p_principal_id uuid); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.require_principal(p_principal_id uuid) FROM PUBLIC;

--
-- Name: TABLE chain_heads; Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON TABLE audit.chain_heads FROM claw_owner;
GRANT SELECT,INSERT,REFERENCES,TRIGGER,MAINTAIN,UPDATE ON TABLE audit.chain_heads TO claw_owner;
GRANT SELECT ON TABLE audit.chain_heads TO claw_auditor;
GRANT SELECT ON TABLE audit.chain_heads TO claw_operator_reader;

--
-- Name: TABLE events; Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON TABLE audit.events FROM claw_owner;
GRANT SELECT,INSERT,REFERENCES,TRIGGER,MAINTAIN ON TABLE audit.events TO claw_owner;
GRANT SELECT ON TABLE audit.events TO claw_auditor;
GRANT SELECT ON TABLE audit.events TO claw_operator_reader;

--
-- Name: COLUMN api_keys.tenant_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(tenant_id) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.api_key_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(api_key_id) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.principal_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(principal_id) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.name; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(name) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.prefix; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(prefix) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.scopes; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(scopes) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.expires_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(expires_at) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.revoked_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(revoked_at) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.last_used_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(last_used_at) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.created_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(created_at) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: TABLE memberships; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT ON TABLE tenancy.memberships TO claw_operator_reader;

--
-- Name: TABLE principals; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT ON TABLE tenancy.principals TO claw_operator_reader;

--
-- Name: TABLE tenants; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT ON TABLE tenancy.tenants TO claw_operator_reader;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: -; Owner: claw_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE claw_owner REVOKE ALL ON FUNCTIONS FROM PUBLIC;

--
-- PostgreSQL database dump complete
--
