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
-- Name: authz; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA authz;

ALTER SCHEMA authz OWNER TO claw_owner;

--
-- Name: claw_migrations; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA claw_migrations;

ALTER SCHEMA claw_migrations OWNER TO claw_owner;

--
-- Name: edge; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA edge;

ALTER SCHEMA edge OWNER TO claw_owner;

--
-- Name: events; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA events;

ALTER SCHEMA events OWNER TO claw_owner;

--
-- Name: extensions; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA extensions;

ALTER SCHEMA extensions OWNER TO postgres;

--
-- Name: flow; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA flow;

ALTER SCHEMA flow OWNER TO claw_owner;

--
-- Name: internal; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA internal;

ALTER SCHEMA internal OWNER TO claw_owner;

--
-- Name: llm; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA llm;

ALTER SCHEMA llm OWNER TO claw_owner;

--
-- Name: ontology; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA ontology;

ALTER SCHEMA ontology OWNER TO claw_owner;

--
-- Name: queue; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA queue;

ALTER SCHEMA queue OWNER TO claw_owner;

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
-- Name: job_enqueued; Type: TYPE; Schema: events; Owner: claw_owner
--

CREATE TYPE events.job_enqueued AS (
	job_id uuid,
	kind text,
	state text,
	run_at timestamp with time zone,
	trace_id text
);

ALTER TYPE events.job_enqueued OWNER TO claw_owner;

--
-- Name: TYPE job_enqueued; Type: COMMENT; Schema: events; Owner: claw_owner
--

COMMENT ON TYPE events.job_enqueued IS 'One job in a jobs.enqueued event''s data.jobs (functions/events/outbox.sql).';

--
-- Name: job_finished; Type: TYPE; Schema: events; Owner: claw_owner
--

CREATE TYPE events.job_finished AS (
	job_id uuid,
	kind text,
	attempts integer,
	finished_at timestamp with time zone,
	trace_id text
);

ALTER TYPE events.job_finished OWNER TO claw_owner;

--
-- Name: TYPE job_finished; Type: COMMENT; Schema: events; Owner: claw_owner
--

COMMENT ON TYPE events.job_finished IS 'One job in a jobs.completed or jobs.cancelled event''s data.jobs (functions/events/outbox.sql).';

--
-- Name: job_kind; Type: DOMAIN; Schema: queue; Owner: claw_owner
--

CREATE DOMAIN queue.job_kind AS text
	CONSTRAINT job_kind_check CHECK (((VALUE ~ '^[a-z][a-z0-9_.:-]*$'::text) AND (length(VALUE) <= 100)));

ALTER DOMAIN queue.job_kind OWNER TO claw_owner;

--
-- Name: DOMAIN job_kind; Type: COMMENT; Schema: queue; Owner: claw_owner
--

COMMENT ON DOMAIN queue.job_kind IS 'A job''s kind as queue.jobs holds it: checked once, when a job is written (migrations/0056).';

--
-- Name: json_array; Type: DOMAIN; Schema: queue; Owner: claw_owner
--

CREATE DOMAIN queue."json_array" AS jsonb
	CONSTRAINT json_array_check CHECK ((jsonb_typeof(VALUE) = 'array'::text));

ALTER DOMAIN queue."json_array" OWNER TO claw_owner;

--
-- Name: DOMAIN "json_array"; Type: COMMENT; Schema: queue; Owner: claw_owner
--

COMMENT ON DOMAIN queue."json_array" IS 'A job''s error list: a JSON array, checked when it is assigned (migrations/0056).';

--
-- Name: json_object; Type: DOMAIN; Schema: queue; Owner: claw_owner
--

CREATE DOMAIN queue."json_object" AS jsonb
	CONSTRAINT json_object_check CHECK ((jsonb_typeof(VALUE) = 'object'::text));

ALTER DOMAIN queue."json_object" OWNER TO claw_owner;

--
-- Name: DOMAIN "json_object"; Type: COMMENT; Schema: queue; Owner: claw_owner
--

COMMENT ON DOMAIN queue."json_object" IS 'A job''s payload: a JSON object, checked when it is written (migrations/0056).';

--
-- Name: queue_name; Type: DOMAIN; Schema: queue; Owner: claw_owner
--

CREATE DOMAIN queue.queue_name AS text
	CONSTRAINT queue_name_check CHECK (((VALUE ~ '^[a-z][a-z0-9_.-]*$'::text) AND (length(VALUE) <= 63)));

ALTER DOMAIN queue.queue_name OWNER TO claw_owner;

--
-- Name: DOMAIN queue_name; Type: COMMENT; Schema: queue; Owner: claw_owner
--

COMMENT ON DOMAIN queue.queue_name IS 'A queue''s name as queue.jobs holds it: checked once, when a job is written (migrations/0056).';

--
-- Name: chain_status(text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.chain_status(p_reason text) RETURNS TABLE(tenant_id uuid, slug text, events bigint, ok boolean, first_bad_seq bigint, problem text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM admin.require_reason('admin.chain_status', p_reason);
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
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;

ALTER FUNCTION admin.list_members(p_tenant_id uuid, p_reason text) OWNER TO claw_operator_reader;

--
-- Name: FUNCTION list_members(p_tenant_id uuid, p_reason text); Type: COMMENT; Schema: admin; Owner: claw_operator_reader
--

COMMENT ON FUNCTION admin.list_members(p_tenant_id uuid, p_reason text) IS 'Operators: a tenant''s principals, roles and key status (no secrets). Audited; needs a reason.';

--
-- Name: list_object_types(uuid, text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.list_object_types(p_tenant_id uuid, p_reason text) RETURNS TABLE(name text, version integer, properties bigint, live_objects bigint, deleted_objects bigint, updated_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM admin.require_reason('admin.list_object_types', p_reason);
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.tenant_id = p_tenant_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tenant not found',
      DETAIL = pg_catalog.format('no tenant %s', p_tenant_id),
      HINT = 'list tenants with admin.list_tenants(p_reason => ...)';
  END IF;
  PERFORM admin.record_read(p_tenant_id, 'admin.list_object_types', p_reason);
  RETURN QUERY
  SELECT ty.name, ty.version,
         (SELECT pg_catalog.count(*) FROM ontology.properties AS p
          WHERE p.tenant_id = ty.tenant_id AND p.type_id = ty.type_id),
         (SELECT pg_catalog.count(*) FROM ontology.objects AS o
          WHERE o.tenant_id = ty.tenant_id AND o.type_id = ty.type_id AND o.deleted_at IS NULL),
         (SELECT pg_catalog.count(*) FROM ontology.objects AS o
          WHERE o.tenant_id = ty.tenant_id AND o.type_id = ty.type_id AND o.deleted_at IS NOT NULL),
         ty.updated_at
  FROM ontology.object_types AS ty
  WHERE ty.tenant_id = p_tenant_id
  ORDER BY ty.name;
END
$$;

ALTER FUNCTION admin.list_object_types(p_tenant_id uuid, p_reason text) OWNER TO claw_operator_reader;

--
-- Name: FUNCTION list_object_types(p_tenant_id uuid, p_reason text); Type: COMMENT; Schema: admin; Owner: claw_operator_reader
--

COMMENT ON FUNCTION admin.list_object_types(p_tenant_id uuid, p_reason text) IS 'Operators: a tenant''s object types with version, properties and live/deleted object counts (no object data). Audited; needs a reason.';

--
-- Name: list_tenants(text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.list_tenants(p_reason text) RETURNS TABLE(tenant_id uuid, slug text, name text, principals bigint, active_keys bigint, audit_events bigint, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;

ALTER FUNCTION admin.record_read(p_tenant_id uuid, p_what text, p_reason text) OWNER TO claw_operator_reader;

--
-- Name: require_reason(text, text); Type: FUNCTION; Schema: admin; Owner: claw_operator_reader
--

CREATE FUNCTION admin.require_reason(p_what text, p_reason text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  -- three characters that are not white space or control characters (tabs, line breaks
  -- and no-break spaces passed a trim of spaces alone)
  IF p_reason IS NULL OR pg_catalog.length(pg_catalog.regexp_replace(
       p_reason, E'[[:space:][:cntrl:]\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]',
       '', 'g')) < 3 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'a reason is required',
      DETAIL = pg_catalog.format('%s reads tenant data and is audited', p_what),
      HINT = 'pass p_reason => ''ticket 123: customer asked why ...''';
  END IF;
END
$$;

ALTER FUNCTION admin.require_reason(p_what text, p_reason text) OWNER TO claw_operator_reader;

--
-- Name: accept_llm_eval_run(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.accept_llm_eval_run(p_eval_run_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'accepting an eval run');
  UPDATE llm.eval_runs AS e
  SET accepted_at = internal.now(), accepted_by = internal.current_principal_id()
  WHERE e.tenant_id = internal.current_tenant_id() AND e.eval_run_id = p_eval_run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'eval run not found',
      DETAIL = pg_catalog.format('eval run %s is not visible in this tenant', p_eval_run_id),
      HINT = 'pass an eval_run_id from api.list_llm_eval_runs';
  END IF;
END
$$;

ALTER FUNCTION api.accept_llm_eval_run(p_eval_run_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION accept_llm_eval_run(p_eval_run_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.accept_llm_eval_run(p_eval_run_id uuid) IS 'Accept an eval run as its suite''s baseline (owner/admin). CL404 unknown run.';

--
-- Name: act_as_job(uuid, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.act_as_job(p_job_id uuid, p_lease_token uuid) RETURNS uuid
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT queue.lease_context(p_job_id, p_lease_token) $$;

ALTER FUNCTION api.act_as_job(p_job_id uuid, p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION act_as_job(p_job_id uuid, p_lease_token uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.act_as_job(p_job_id uuid, p_lease_token uuid) IS 'Worker: set the tenant context of a job whose live lease this token is, for this transaction; returns the tenant id. The only way a worker acts inside a tenant.';

--
-- Name: authenticate(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.authenticate(p_api_key text) RETURNS TABLE(tenant_id uuid, principal_id uuid, roles text[], scopes text[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  -- no bounded repeats ({32}) in the pattern: PostgreSQL's regex engine expands them into
  -- states, which cost about 0.1 ms per call; the lengths are checked instead. A value
  -- longer than any key (111 characters) is malformed before the size guard (1 KiB, CL422)
  -- could name this parameter to a client holding a garbage credential.
  v_m text[] := CASE WHEN pg_catalog.octet_length(p_api_key) <= 111 THEN pg_catalog.regexp_match(
    internal.require_size('p_api_key', p_api_key, 'name'), '^ck_([0-9a-f]*)_([A-Za-z0-9_-]*)$')
    END;
  v_tenant uuid;
  v_key record;
  v_roles text[];
BEGIN
  IF v_m IS NULL OR pg_catalog.length(v_m[1]) <> 64 OR pg_catalog.length(v_m[2]) <> 43 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'invalid API key',
      DETAIL = 'the key is malformed',
      HINT = 'API keys look like ck_<64 hex>_<43 characters>; pass the whole key';
  END IF;
  v_tenant := pg_catalog.substr(v_m[1], 1, 32)::uuid;
  SELECT * INTO v_key
  FROM tenancy.api_key_credential(v_tenant, pg_catalog.substr(v_m[1], 33, 32)::uuid);
  IF NOT FOUND OR v_key.secret_hash <> pg_catalog.sha256(pg_catalog.convert_to(v_m[2], 'UTF8')) THEN
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
  -- the instant of this call, not the transaction's start (now()): a transaction opened
  -- before the key expired authenticated with it for as long as it stayed open
  IF v_key.expires_at IS NOT NULL AND v_key.expires_at <= pg_catalog.clock_timestamp() THEN
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
  v_roles := v_key.roles;
  IF v_key.last_used_at IS NULL OR v_key.last_used_at < pg_catalog.now() - interval '1 minute' THEN
    PERFORM internal.set_context(v_tenant, NULL, '{system}');
    UPDATE tenancy.api_keys AS k SET last_used_at = pg_catalog.now()
    WHERE k.tenant_id = v_tenant AND k.api_key_id = v_key.api_key_id;
  END IF;
  PERFORM internal.set_context(v_tenant, v_key.principal_id, coalesce(v_roles, '{}'),
                               v_key.scopes, 'key:' || v_key.api_key_id::text);
  RETURN QUERY SELECT v_tenant, v_key.principal_id, coalesce(v_roles, '{}'::text[]), v_key.scopes;
END
$_$;

ALTER FUNCTION api.authenticate(p_api_key text) OWNER TO claw_owner;

--
-- Name: FUNCTION authenticate(p_api_key text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.authenticate(p_api_key text) IS 'Verify an API key and set the tenant context for this transaction. Returns tenant, principal, roles, scopes. CL401 when the key is malformed, unknown, revoked or expired.';

--
-- Name: authenticate_jwt(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.authenticate_jwt(p_token text) RETURNS TABLE(tenant_id uuid, principal_id uuid, roles text[], scopes text[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_parts text[];
  v_header jsonb;
  v_claims jsonb;
  v_auds text[];
  v_tenant uuid;
  v_issuer uuid;
  v_routes integer;
  v_key record;
  v_skew integer;
  v_now numeric;
  v_subject record;
  v_roles text[];
  v_scopes text[];
BEGIN
  -- the shape first: a token over 16 KiB is malformed (CL401), before the size guard of
  -- every text input (64 KiB, CL422) could name this parameter to a client
  IF p_token IS NULL OR pg_catalog.octet_length(p_token) > 16384
     OR p_token !~ '^[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.][A-Za-z0-9_-]+$' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'a token is three base64url parts joined by dots, at most 16 KiB');
  END IF;
  PERFORM internal.require_size('p_token', p_token, 'text');
  v_parts := pg_catalog.string_to_array(p_token, '.');
  BEGIN
    v_header := pg_catalog.convert_from(internal.b64url_decode(v_parts[1]), 'UTF8')::jsonb;
    v_claims := pg_catalog.convert_from(internal.b64url_decode(v_parts[2]), 'UTF8')::jsonb;
  EXCEPTION WHEN character_not_in_repertoire OR invalid_text_representation
                 OR untranslatable_character OR null_value_not_allowed
                 OR numeric_value_out_of_range THEN  -- e.g. 1e1000000, which jsonb cannot hold
    v_header := NULL;
  END;
  IF pg_catalog.jsonb_typeof(v_header) IS DISTINCT FROM 'object'
     OR pg_catalog.jsonb_typeof(v_claims) IS DISTINCT FROM 'object' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'the header or the payload is not a base64url-encoded JSON object');
  END IF;
  IF (v_header -> 'alg') IS DISTINCT FROM '"RS256"'::jsonb THEN
    PERFORM internal.refuse_jwt('algorithm not allowed',
      'the token''s alg is not RS256, the only algorithm accepted (none and HS* never are)');
  END IF;
  IF v_header ? 'crit' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'the header names critical extensions (crit), which are not supported');
  END IF;
  IF pg_catalog.jsonb_typeof(v_header -> 'kid') IS DISTINCT FROM 'string' THEN
    PERFORM internal.refuse_jwt('unknown kid', 'the header carries no kid');
  END IF;
  IF pg_catalog.jsonb_typeof(v_claims -> 'iss') IS DISTINCT FROM 'string'
     OR pg_catalog.jsonb_typeof(v_claims -> 'sub') IS DISTINCT FROM 'string'
     OR pg_catalog.jsonb_typeof(v_claims -> 'exp') IS DISTINCT FROM 'number'
     OR pg_catalog.jsonb_typeof(v_claims -> 'aud') NOT IN ('string', 'array')
     OR v_claims -> 'aud' IS NULL
     OR pg_catalog.jsonb_typeof(coalesce(v_claims -> 'nbf', '0')) <> 'number'
     OR pg_catalog.jsonb_typeof(coalesce(v_claims -> 'iat', '0')) <> 'number' THEN
    PERFORM internal.refuse_jwt('malformed token',
      'iss, sub and aud (a string or an array of strings) and a numeric exp are required; '
      'nbf and iat, when present, are numbers');
  END IF;
  IF pg_catalog.jsonb_typeof(v_claims -> 'aud') = 'string' THEN
    v_auds := ARRAY[v_claims ->> 'aud'];
  ELSE
    SELECT pg_catalog.array_agg(a ->> 0) INTO v_auds
    FROM pg_catalog.jsonb_array_elements(v_claims -> 'aud') AS x(a)
    WHERE pg_catalog.jsonb_typeof(a) = 'string';
  END IF;

  -- Which tenant: the unique (iss, aud) route (internal.jwt_routes, owner-only).
  SELECT count(*)::integer, min(r.tenant_id::text)::uuid, min(r.jwt_issuer_id::text)::uuid
    INTO v_routes, v_tenant, v_issuer
  FROM internal.jwt_routes AS r
  WHERE r.issuer = v_claims ->> 'iss' AND r.audience = ANY (v_auds);
  IF v_routes = 0 THEN
    IF EXISTS (SELECT 1 FROM internal.jwt_routes AS r WHERE r.issuer = v_claims ->> 'iss') THEN
      PERFORM internal.refuse_jwt('wrong audience',
        'no audience of the token is registered for its issuer');
    END IF;
    PERFORM internal.refuse_jwt('unknown issuer', 'the token''s issuer is not registered');
  ELSIF v_routes > 1 THEN
    PERFORM internal.refuse_jwt('ambiguous audience',
      'the token names several registered audiences of its issuer');
  END IF;

  PERFORM internal.set_context(v_tenant, NULL, '{system}');
  SELECT k.n, k.e, k.modulus_bytes, k.em_prefix, i.max_skew_seconds INTO v_key
  FROM tenancy.jwt_keys AS k
  JOIN tenancy.jwt_issuers AS i ON i.tenant_id = k.tenant_id AND i.jwt_issuer_id = k.jwt_issuer_id
  WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = v_issuer
    AND k.kid = v_header ->> 'kid';
  IF NOT FOUND THEN
    PERFORM internal.refuse_jwt('unknown kid',
      'the issuer has no registered key with the token''s kid (rotated out or never added)');
  END IF;
  IF NOT internal.rsa_verify_sha256(
       pg_catalog.convert_to(v_parts[1] || '.' || v_parts[2], 'UTF8'),
       internal.b64url_decode(v_parts[3]), v_key.n, v_key.e, v_key.modulus_bytes,
       v_key.em_prefix) THEN
    PERFORM internal.refuse_jwt('bad signature',
      'the RS256 signature does not verify with the key the kid names');
  END IF;

  -- The claims are authentic from here on.
  v_skew := v_key.max_skew_seconds;
  -- the instant of this call, not of the transaction's start: a transaction opened before
  -- a token expired must not keep authenticating with it (internal.clock_now)
  v_now := extract(epoch FROM internal.clock_now());
  IF v_now >= (v_claims ->> 'exp')::numeric + v_skew THEN
    PERFORM internal.refuse_jwt('token expired',
      pg_catalog.format('exp has passed (allowed clock skew %s s)', v_skew));
  END IF;
  IF v_now + v_skew < (v_claims ->> 'nbf')::numeric THEN
    PERFORM internal.refuse_jwt('token not yet valid',
      pg_catalog.format('nbf is in the future (allowed clock skew %s s)', v_skew));
  END IF;
  IF v_now + v_skew < (v_claims ->> 'iat')::numeric THEN
    PERFORM internal.refuse_jwt('token issued in the future',
      pg_catalog.format('iat is in the future (allowed clock skew %s s)', v_skew));
  END IF;

  SELECT s.principal_id, p.disabled_at INTO v_subject
  FROM tenancy.jwt_subjects AS s
  JOIN tenancy.principals AS p ON p.tenant_id = s.tenant_id AND p.principal_id = s.principal_id
  WHERE s.tenant_id = v_tenant AND s.jwt_issuer_id = v_issuer
    AND s.subject = v_claims ->> 'sub';
  IF NOT FOUND THEN
    PERFORM internal.refuse_jwt('unknown subject',
      'the token''s subject is not linked to a principal of the tenant');
  END IF;
  IF v_subject.disabled_at IS NOT NULL THEN
    PERFORM internal.refuse_jwt('principal disabled',
      pg_catalog.format('principal %s was disabled at %s', v_subject.principal_id,
                        v_subject.disabled_at));
  END IF;
  SELECT pg_catalog.array_agg(m.role ORDER BY m.role) INTO v_roles
  FROM tenancy.memberships AS m
  WHERE m.tenant_id = v_tenant AND m.principal_id = v_subject.principal_id;
  -- only Claw scopes (as API keys carry them): others match nothing, and a ',' or '|' in
  -- one would be read back from the context as other scopes ('x,*' as '*'). Every scope
  -- only without the claim: one present in another shape (null, an object) is malformed,
  -- never every scope, as it once was for anything but a string
  IF NOT v_claims ? 'scope' THEN
    v_scopes := '{*}';
  ELSIF pg_catalog.jsonb_typeof(v_claims -> 'scope') = 'string' THEN
    SELECT coalesce(pg_catalog.array_agg(s ORDER BY s), '{}') INTO v_scopes
    FROM pg_catalog.regexp_split_to_table(v_claims ->> 'scope', ' +') AS s
    WHERE s = ANY (internal.scopes());
  ELSIF pg_catalog.jsonb_typeof(v_claims -> 'scope') = 'array'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_claims -> 'scope') AS e
                        WHERE pg_catalog.jsonb_typeof(e) <> 'string') THEN
    -- as some identity providers send it: each element one scope
    SELECT coalesce(pg_catalog.array_agg(DISTINCT s ORDER BY s), '{}') INTO v_scopes
    FROM pg_catalog.jsonb_array_elements_text(v_claims -> 'scope') AS s
    WHERE s = ANY (internal.scopes());
  ELSE
    PERFORM internal.refuse_jwt('malformed token',
      'the scope claim is neither a space-separated string nor an array of strings');
  END IF;
  -- the credential (request rate limits): the token's subject, a principal of the tenant
  PERFORM internal.set_context(v_tenant, v_subject.principal_id,
                               coalesce(v_roles, '{}'), v_scopes,
                               'jwt:' || v_subject.principal_id::text);
  RETURN QUERY SELECT v_tenant, v_subject.principal_id, coalesce(v_roles, '{}'::text[]),
                      v_scopes;
END
$_$;

ALTER FUNCTION api.authenticate_jwt(p_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION authenticate_jwt(p_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.authenticate_jwt(p_token text) IS 'Verify an RS256 JWT (iss+aud route to a tenant, kid among its registered keys, exp/nbf/iat with bounded skew, sub linked to a principal) and set the tenant context for this transaction. Returns tenant, principal, roles, scopes. CL401 naming the failed check.';

--
-- Name: begin_flow_effect(uuid, uuid, uuid, integer, text, text, text, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb DEFAULT '{}'::jsonb) RETURNS TABLE(idempotency_key text, status text, sends integer, response jsonb)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM flow.begin_effect(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_provider', p_provider, 'name'), internal.require_size('p_request', p_request, 'json')) $$;

ALTER FUNCTION api.begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb) IS 'Worker: record the intent and idempotency key of an external effect before calling the provider (returns the existing intent on a replay).';

--
-- Name: begin_idempotent_request(text, text, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.begin_idempotent_request(p_key text, p_method text, p_path text, p_request_sha256 text) RETURNS TABLE(replay boolean, status integer, headers jsonb, body text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_ctx record;
  v_row edge.idempotency_keys;
BEGIN
  PERFORM internal.require_size('p_key', p_key, 'name'),
          internal.require_size('p_method', p_method, 'name'),
          internal.require_size('p_path', p_path, 'text'),
          internal.require_size('p_request_sha256', p_request_sha256, 'name');
  SELECT * INTO v_ctx FROM edge.idempotency_principal();
  PERFORM edge.require_idempotency_key(p_key);
  IF p_request_sha256 IS NULL OR p_request_sha256 !~ '^[0-9a-f]+$'
     OR pg_catalog.length(p_request_sha256) <> 64
     OR p_method IS NULL OR pg_catalog.length(p_method) NOT BETWEEN 1 AND 16
     OR p_path IS NULL OR pg_catalog.length(p_path) NOT BETWEEN 1 AND 2048 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotent request',
      DETAIL = 'p_method (1-16 characters), p_path (1-2048) and p_request_sha256 (64 hex '
               'digits of the body''s SHA-256) are required',
      HINT = 'hash the exact request body bytes';
  END IF;
  IF NOT pg_catalog.pg_try_advisory_xact_lock(
           edge.idempotency_lock_key(v_ctx.tenant_id, v_ctx.principal_id, p_key)) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'request in flight',
      DETAIL = 'a request with this Idempotency-Key is being processed right now',
      HINT = 'wait for it to finish, then retry: the retry gets its response';
  END IF;
  SELECT * INTO v_row FROM edge.idempotency_keys AS k
  WHERE k.tenant_id = v_ctx.tenant_id AND k.principal_id = v_ctx.principal_id
    AND k.idempotency_key = p_key;
  IF FOUND AND v_row.expires_at <= internal.now() THEN
    DELETE FROM edge.idempotency_keys AS k
    WHERE k.tenant_id = v_row.tenant_id AND k.idempotency_key_id = v_row.idempotency_key_id;
  ELSIF FOUND THEN
    IF v_row.credential IS DISTINCT FROM internal.context_credential() THEN
      -- another credential of the principal (perhaps one with narrower scopes) must not get
      -- a response that its own scopes might refuse
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'idempotency key reused',
        DETAIL = pg_catalog.format(
          'this Idempotency-Key was first used with another credential of this principal at %s',
          v_row.created_at),
        HINT = 'retry with the credential that sent the first request, or use a new key';
    END IF;
    IF (v_row.request_method, v_row.request_path, v_row.request_sha256)
       IS DISTINCT FROM (p_method, p_path, p_request_sha256) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'idempotency key reused',
        DETAIL = pg_catalog.format(
          'this Idempotency-Key was first used for %s %s with another body at %s',
          v_row.request_method, v_row.request_path, v_row.created_at),
        HINT = 'use a new key for a new request; reuse a key only to retry the same request';
    END IF;
    RETURN QUERY SELECT true, v_row.response_status, v_row.response_headers, v_row.response_body;
    RETURN;
  END IF;
  -- what api.finish_idempotent_request will store (this transaction only)
  PERFORM pg_catalog.set_config('claw.idempotent_key', p_key, true),
          pg_catalog.set_config('claw.idempotent_method', p_method, true),
          pg_catalog.set_config('claw.idempotent_path', p_path, true),
          pg_catalog.set_config('claw.idempotent_sha256', p_request_sha256, true),
          pg_catalog.set_config('claw.idempotent_mac', edge.idempotency_mac(
            v_ctx.tenant_id, v_ctx.principal_id, p_key, p_method, p_path, p_request_sha256), true);
  RETURN QUERY SELECT false, NULL::integer, NULL::jsonb, NULL::text;
END
$_$;

ALTER FUNCTION api.begin_idempotent_request(p_key text, p_method text, p_path text, p_request_sha256 text) OWNER TO claw_owner;

--
-- Name: FUNCTION begin_idempotent_request(p_key text, p_method text, p_path text, p_request_sha256 text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.begin_idempotent_request(p_key text, p_method text, p_path text, p_request_sha256 text) IS 'Start a request with an Idempotency-Key (after authenticate, in the request''s transaction): replay = true returns the stored response of the same request; CL422 when the key was used for another request; CL409 when it is in flight. Then act and call api.finish_idempotent_request before COMMIT. Keys are kept 24 hours.';

--
-- Name: begin_llm_call(text, integer, integer, text, uuid, integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer DEFAULT NULL::integer, p_request_hash text DEFAULT NULL::text, p_flow_run_id uuid DEFAULT NULL::uuid, p_flow_step integer DEFAULT NULL::integer, p_trace_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $_$
DECLARE
  v_tenant uuid;
  v_principal uuid;
  v_roles text[];
  v_now timestamptz := internal.now();
  v_route record;  -- the route and the tenant's time zone
  v_out integer;
  v_chain jsonb;
  v_worst numeric;
  v_key bytea;
  v_hit llm.cache_entries;
  v_res llm.reservations;
  v_call uuid;
  v_zone text;
  v_provider text;
  v_breakers jsonb := '{}';
BEGIN
  PERFORM internal.require_size('p_task', p_task, 'name'),
          internal.require_size('p_request_hash', p_request_hash, 'name'),
          internal.require_size('p_trace_id', p_trace_id, 'name');
  SELECT c.tenant_id, c.principal_id, c.roles INTO v_tenant, v_principal, v_roles
  FROM internal.require_context('{owner,admin,operator,worker}', 'llm:call', 'calling a model') AS c;
  IF p_input_tokens IS NULL OR p_input_tokens NOT BETWEEN 0 AND 1000000000
     OR p_max_output_tokens NOT BETWEEN 1 AND 1000000000
     OR (p_request_hash IS NOT NULL AND (p_request_hash !~ '^[0-9a-f]*$'
                                        OR pg_catalog.length(p_request_hash) <> 64))
     OR p_flow_step < 0 OR (p_flow_step IS NOT NULL AND p_flow_run_id IS NULL) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM call',
      DETAIL = 'input tokens 0 to 10^9, max output tokens 1 to 10^9, request hash 64 hex '
               'digits (sha256), a flow step 0 or more and only with its flow run',
      HINT = 'count the assembled input with the model family''s tokenizer';
  END IF;
  -- the zone read here picks the budget windows this call is held in (llm.lock_zone)
  PERFORM llm.lock_zone(v_tenant, false);
  -- no price version commits while this call is being priced (llm.set_price waits for it,
  -- and it for a set_price under way: llm.lock_prices). Taken after the zone lock, so a
  -- begin that waits on its tenant's zone (a budget or zone change) holds up no set_price,
  -- and through it no other tenant's begin.
  PERFORM llm.lock_prices(false);
  SELECT r.*, coalesce(s.time_zone, 'UTC') AS time_zone INTO v_route
  FROM llm.routes AS r LEFT JOIN llm.settings AS s ON s.tenant_id = r.tenant_id
  WHERE r.tenant_id = v_tenant AND r.task = p_task;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'no LLM route for this task',
      DETAIL = pg_catalog.format('task %L has no route in this tenant', p_task),
      HINT = 'an admin sets one with api.set_llm_route';
  END IF;
  v_zone := v_route.time_zone;
  v_out := least(coalesce(p_max_output_tokens, v_route.max_output_tokens), v_route.max_output_tokens);

  -- the response cache: keyed by the chain and the caller's hash of parameters and context
  IF v_route.cache_ttl_seconds > 0 AND p_request_hash IS NOT NULL THEN
    v_key := llm.cache_key(p_task, v_route.version, v_route.models, p_request_hash);
    UPDATE llm.cache_entries AS c SET hits = c.hits + 1
    WHERE c.tenant_id = v_tenant AND c.cache_key = v_key AND c.expires_at > v_now
    RETURNING c.* INTO v_hit;
    IF FOUND THEN
      INSERT INTO llm.calls (tenant_id, attempt, occurred_at, principal_id, task, flow_run_id,
                             flow_step, provider, model, route_position, latency_ms, outcome,
                             trace_id)
      SELECT v_tenant, 1, v_now, v_principal, p_task, p_flow_run_id, p_flow_step, m.provider,
             v_hit.model, coalesce(pg_catalog.array_position(v_route.models, v_hit.model), 1), 0,
             'cache_hit', coalesce(p_trace_id, internal.trace_id())
      FROM internal.llm_models AS m WHERE m.model = v_hit.model
      RETURNING call_id INTO v_call;
      RETURN pg_catalog.jsonb_build_object('cached', v_hit.response, 'call_id', v_call,
                                           'model', v_hit.model);
    END IF;
  END IF;

  -- the breakers of the providers with a model the input fits, one statement each in provider
  -- order (claiming a probe locks the row): every begin and finish locks a tenant's breaker
  -- rows in that order, before its budget windows, so none waits on another in a cycle
  FOR v_provider IN
    SELECT DISTINCT m.provider
    FROM pg_catalog.unnest(v_route.models) AS o(model)
    JOIN internal.llm_models AS m ON m.model = o.model
    WHERE p_input_tokens + least(v_out, m.max_output_tokens) <= m.context_window
      AND EXISTS (SELECT 1 FROM llm.price_at(o.model, v_now))
    ORDER BY m.provider
  LOOP
    v_breakers := v_breakers || pg_catalog.jsonb_build_object(v_provider,
      llm.breaker_admit(v_tenant, v_provider, (v_route.timeout_ms * 2) * interval '1 millisecond'));
  END LOOP;
  -- a probe is one attempt: the provider's first model that fits holds it, its others skip
  SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'position', c.position, 'model', c.model, 'provider', c.provider,
           'tokenizer', c.tokenizer, 'context_window', c.context_window,
           'max_output_tokens', c.out_cap, 'fits', c.fits,
           'breaker', CASE WHEN NOT c.fits THEN 'closed'
                           WHEN v_breakers ->> c.provider = 'probe'
                                AND c.position <> c.first_fit THEN 'open'
                           ELSE coalesce(v_breakers ->> c.provider, 'closed') END,
           'worst_usd', c.worst) ORDER BY c.position),
         max(c.worst) FILTER (WHERE c.fits)
    INTO v_chain, v_worst
  FROM (SELECT f.*, min(f.position) FILTER (WHERE f.fits) OVER (PARTITION BY f.provider)
                      AS first_fit
        FROM (SELECT o.position, o.model, m.provider, m.tokenizer, m.context_window,
                     least(v_out, m.max_output_tokens) AS out_cap,
                     p_input_tokens + least(v_out, m.max_output_tokens) <= m.context_window
                       AS fits,
                     llm.cost_usd(p, p_input_tokens, 0, least(v_out, m.max_output_tokens))
                       AS worst
              FROM pg_catalog.unnest(v_route.models) WITH ORDINALITY AS o(model, position)
              JOIN internal.llm_models AS m ON m.model = o.model
              CROSS JOIN LATERAL llm.price_at(o.model, v_now) AS p) AS f) AS c;
  IF v_worst IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'the input fits no model of the route',
      DETAIL = pg_catalog.format('%s input tokens + the output cap exceed the context window of '
                                 'every priced model in %s', p_input_tokens, v_route.models),
      HINT = 'assemble a smaller context, or route the task to a model with a larger window';
  END IF;
  -- the reservation outlives the longest call the route allows, with a minute to spare
  v_res := llm.reserve(v_tenant, p_task, v_principal, v_worst,
                       ((v_route.timeout_ms + v_route.backoff_ms * 8) * v_route.max_attempts
                        * pg_catalog.cardinality(v_route.models) + 60000) * interval '1 millisecond',
                       v_zone, p_flow_run_id, p_flow_step, p_route_version => v_route.version,
                       -- what the call may do, which its finish is held to (migration 0059)
                       p_chain_models => v_route.models,
                       p_chain_output_caps => ARRAY(
                         SELECT least(v_out, m.max_output_tokens)
                         FROM pg_catalog.unnest(v_route.models) WITH ORDINALITY AS o(model, i)
                         JOIN internal.llm_models AS m ON m.model = o.model ORDER BY o.i),
                       p_max_attempts => v_route.max_attempts);
  -- the probes this begin claimed, so that its finish gives back those it does not use
  -- (migration 0060); the claimed rows are locked by this transaction since the claim
  IF v_breakers @? '$.* ? (@ == "probe")' THEN
    UPDATE llm.reservations AS r
    SET probe_claims = (SELECT pg_catalog.jsonb_object_agg(b.provider, b.probe_until)
                        FROM llm.breakers AS b
                        WHERE b.tenant_id = v_tenant AND b.state = 'half_open'
                          AND v_breakers ->> b.provider = 'probe')
    WHERE r.tenant_id = v_tenant AND r.reservation_id = v_res.reservation_id;
  END IF;
  RETURN pg_catalog.jsonb_build_object(
    'reservation_id', v_res.reservation_id, 'expires_at', v_res.expires_at,
    'reserved_usd', v_res.amount_usd,
    'call_token', llm.make_call_token(v_tenant, v_principal, v_roles, v_res.reservation_id,
                                      v_res.expires_at + interval '1 hour', p_request_hash),
    'route', pg_catalog.jsonb_build_object(
      'fallback_on', v_route.fallback_on, 'max_attempts', v_route.max_attempts,
      'backoff_ms', v_route.backoff_ms, 'timeout_ms', v_route.timeout_ms,
      'max_output_tokens', v_out, 'output_schema', v_route.output_schema,
      'max_repairs', v_route.max_repairs, 'version', v_route.version,
      'cache', v_route.cache_ttl_seconds > 0),
    'chain', v_chain);
END
$_$;

ALTER FUNCTION api.begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer, p_request_hash text, p_flow_run_id uuid, p_flow_step integer, p_trace_id text) OWNER TO claw_owner;

--
-- Name: FUNCTION begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer, p_request_hash text, p_flow_run_id uuid, p_flow_step integer, p_trace_id text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer, p_request_hash text, p_flow_run_id uuid, p_flow_step integer, p_trace_id text) IS 'Start a routed LLM call: the route''s chain with prices and breaker states, a cache lookup (a hit is ledgered at zero cost), else the worst-case cost reserved on every applicable budget. CL404 no route, CL422 bad input or fits no model, CL429 over budget (nothing sent).';

--
-- Name: cancel_flow_run(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.cancel_flow_run(p_run_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'flow:write', 'cancelling a flow');
  RETURN flow.cancel(p_run_id);
END
$$;

ALTER FUNCTION api.cancel_flow_run(p_run_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION cancel_flow_run(p_run_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.cancel_flow_run(p_run_id uuid) IS 'Cancel a flow run: at once if it is not running, else at its next checkpoint (returns cancelled or cancelling).';

--
-- Name: cancel_job(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.cancel_job(p_job_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_job queue.jobs;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'cancelling a job');
  v_job := queue.require_job(p_job_id, 'cancel');
  IF v_job.state = 'running' THEN
    UPDATE queue.jobs AS j SET cancel_requested_at = coalesce(j.cancel_requested_at, internal.now())
    WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id;
    RETURN 'cancelling';
  END IF;
  DELETE FROM queue.jobs AS j WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id;
  PERFORM queue.record_history(ARRAY[v_job], 'cancelled');
  RETURN 'cancelled';
END
$$;

ALTER FUNCTION api.cancel_job(p_job_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION cancel_job(p_job_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.cancel_job(p_job_id uuid) IS 'Cancel a job of this tenant: waiting or dead at once (''cancelled''); running at its worker''s next heartbeat (''cancelling''). CL409 when finished, CL404 unknown.';

--
-- Name: check_permission(text, text, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.check_permission(p_object text, p_relation text, p_subject text DEFAULT NULL::text, p_consistency_token text DEFAULT NULL::text) RETURNS TABLE(allowed boolean, explanation jsonb, consistency_token text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_q record;
  v_why jsonb;
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'checking a permission', false, NULL);
  v_why := authz.check(v_q.tenant_id, p_object, p_relation, v_q.subject, p_consistency_token);
  RETURN QUERY SELECT v_why IS NOT NULL, v_why, authz.snapshot_token(v_q.tenant_id);
END
$$;

ALTER FUNCTION api.check_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION check_permission(p_object text, p_relation text, p_subject text, p_consistency_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.check_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) IS 'Is the subject (default: the caller) in object#relation? Returns allowed, the explanation (the path of tuples and rewrites) and the snapshot''s consistency token.';

--
-- Name: claim_flow_run(uuid, uuid, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) RETURNS TABLE(action text, status text, flow_name text, flow_version integer, input jsonb, trace_id text, next_position integer, step_attempts integer, dispatches integer, steps jsonb)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM flow.claim(p_run_id, p_job_id, p_lease_token) $$;

ALTER FUNCTION api.claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) IS 'Worker: take the run a flow.run job dispatches (-> running) and get its recorded steps to replay; action skip for a stale job or finished run.';

--
-- Name: claim_jobs(text, text, integer, integer, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.claim_jobs(p_queue text, p_worker text, p_limit integer DEFAULT 100, p_lease_seconds integer DEFAULT 30, p_idle_runners integer DEFAULT NULL::integer) RETURNS TABLE(job_id uuid, tenant_id uuid, queue text, kind text, payload jsonb, priority smallint, attempt integer, max_attempts integer, lease_token uuid, lease_expires_at timestamp with time zone, trace_id text, enqueued_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_n integer;
BEGIN
  IF p_queue IS NULL OR pg_catalog.length(p_queue) > 63 OR p_queue !~ '^[a-z][a-z0-9_.-]*$' THEN
    -- no job can be in such a queue; with p_idle_runners a NULL one reached the waiting
    -- workers' table as a raw 23502, and a bad name was registered as waited on
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue',
      DETAIL = pg_catalog.format('%L is not a queue name', pg_catalog.left(p_queue, 100)),
      HINT = 'a queue is named like "default" (lower case, digits, _ . -; up to 63)';
  END IF;
  IF p_idle_runners < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idle runner count',
      DETAIL = pg_catalog.format('p_idle_runners must be 0 or more, not %s', p_idle_runners),
      HINT = 'pass how many of the worker''s runners have no job to run, or NULL';
  END IF;
  RETURN QUERY
  SELECT * FROM queue.claim_jobs(internal.require_size('p_queue', p_queue, 'name'),
                                 internal.require_size('p_worker', p_worker, 'name'),
                                 p_limit, p_lease_seconds);
  IF p_idle_runners IS NOT NULL THEN
    -- a worker left with a free runner by a short claim waits to be woken for this queue
    -- (functions/queue/waiting.sql); one this claim keeps busy does not
    GET DIAGNOSTICS v_n = ROW_COUNT;
    PERFORM queue.note_waiting(p_queue, p_worker, v_n < p_limit AND v_n < p_idle_runners);
  END IF;
END
$_$;

ALTER FUNCTION api.claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer, p_idle_runners integer) OWNER TO claw_owner;

--
-- Name: FUNCTION claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer, p_idle_runners integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer, p_idle_runners integer) IS 'Worker: lease up to p_limit jobs of a queue (FOR UPDATE SKIP LOCKED, tenant-fair order), reclaiming expired leases first. All returned jobs share one lease_token. With p_idle_runners (how many of the worker''s runners are free), a claim that leaves one free registers the worker to be woken alone by the next enqueue (its channel: queue.worker_channel(p_worker)).';

--
-- Name: complete_flow_run(uuid, uuid, uuid, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb DEFAULT NULL::jsonb) RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.complete(p_run_id, p_job_id, p_lease_token, internal.require_size('p_output', p_output, 'json')) $$;

ALTER FUNCTION api.complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb) IS 'Worker: the flow function returned; the run is completed with its output.';

--
-- Name: complete_jobs(uuid[], uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.complete_jobs(p_job_ids uuid[], p_lease_token uuid) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT queue.complete_jobs(p_job_ids, p_lease_token) $$;

ALTER FUNCTION api.complete_jobs(p_job_ids uuid[], p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION complete_jobs(p_job_ids uuid[], p_lease_token uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.complete_jobs(p_job_ids uuid[], p_lease_token uuid) IS 'Worker: mark held jobs completed (moved to history). CL409 and nothing written if any job is no longer held by this lease.';

--
-- Name: create_api_key(text, uuid, text[], timestamp with time zone); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.create_api_key(p_name text, p_principal_id uuid DEFAULT NULL::uuid, p_scopes text[] DEFAULT '{*}'::text[], p_expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone, OUT api_key_id uuid, OUT api_key text) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_principal uuid := coalesce(p_principal_id, internal.current_principal_id());
  v_mine text[];
  v_wider text[];
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_scopes', p_scopes, 'text');
  IF v_principal IS DISTINCT FROM internal.current_principal_id() THEN
    PERFORM internal.require_role('{owner,admin}', 'keys:write', 'creating a key for another principal');
    IF EXISTS (SELECT 1 FROM tenancy.memberships AS m
               WHERE m.tenant_id = internal.current_tenant_id() AND m.principal_id = v_principal
                 AND m.role = 'owner') THEN  -- only an owner grants owner, so only one acts as one
      PERFORM internal.require_role('{owner}', 'keys:write', 'creating a key for an owner');
    END IF;
  ELSE
    PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:write',
                                  'creating an API key');
  END IF;
  SELECT c.scopes INTO v_mine FROM internal.verified_context() AS c;
  IF NOT coalesce('*' = ANY (v_mine), false) THEN
    SELECT pg_catalog.array_agg(DISTINCT s ORDER BY s) INTO v_wider
    FROM pg_catalog.unnest(p_scopes) AS s
    WHERE s <> ALL (coalesce(v_mine, '{}'));  -- a NULL scope is CL422 below
    IF v_wider IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
        DETAIL = pg_catalog.format('a key cannot carry a scope its issuing credential lacks: '
                                   '%s (this credential has %s)', v_wider, v_mine),
        HINT = 'ask for scopes within your own, or issue the key with a credential that has them';
    END IF;
  END IF;
  SELECT k.api_key_id, k.api_key INTO api_key_id, api_key
  FROM tenancy.issue_api_key(v_principal, p_name, p_scopes, p_expires_at) AS k;
END
$$;

ALTER FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) OWNER TO claw_owner;

--
-- Name: FUNCTION create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) IS 'Issue an API key (returned once; only its hash is kept) for yourself, or as owner/admin for another principal. Scopes: ''*'' or those of internal.scopes() (CL422 names any other); optional expiry.';

--
-- Name: create_link(text, uuid, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_link_type', p_link_type, 'name');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'creating links');
  RETURN ontology.create_link(ontology.find_link_type(p_link_type), p_from_object_id,
                              p_to_object_id);
END
$$;

ALTER FUNCTION api.create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid) IS 'Link two live objects with a link type (ends checked, CL422; cardinality enforced by the database, CL409). Returns the link id.';

--
-- Name: create_object(text, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.create_object(p_type text, p_properties jsonb) RETURNS TABLE(object_id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_type ontology.object_types;
BEGIN
  PERFORM internal.require_size('p_type', p_type, 'name'),
          internal.require_size('p_properties', p_properties, 'json');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'creating objects');
  v_type := ontology.find_type(p_type);
  RETURN QUERY
  INSERT INTO ontology.objects AS o (tenant_id, type_id, properties)
  VALUES (v_type.tenant_id, v_type.type_id, coalesce(p_properties, '{}'))
  RETURNING o.object_id, o.version;
END
$$;

ALTER FUNCTION api.create_object(p_type text, p_properties jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION create_object(p_type text, p_properties jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.create_object(p_type text, p_properties jsonb) IS 'Create an object of a type; its properties are validated against the type''s definition (CL422 naming the property and the rule, CL409 for a unique value already used). Returns the object id and version 1.';

--
-- Name: create_principal(text, text, text, text[]); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[] DEFAULT '{}'::text[]) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_id uuid := pg_catalog.uuidv7();
  v_role text;
BEGIN
  PERFORM internal.require_size('p_kind', p_kind, 'name'),
          internal.require_size('p_handle', p_handle, 'name'),
          internal.require_size('p_display_name', p_display_name, 'name'),
          internal.require_size('p_roles', p_roles, 'text');
  PERFORM internal.require_role('{owner,admin}', 'members:write', 'creating a principal');
  BEGIN
    INSERT INTO tenancy.principals (tenant_id, principal_id, kind, handle, display_name)
    VALUES (internal.current_tenant_id(), v_id, p_kind, p_handle, p_display_name);
  EXCEPTION
    WHEN unique_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'handle taken',
        DETAIL = pg_catalog.format('the handle %L is taken in this tenant', p_handle),
        HINT = 'pick another handle (api.list_principals shows the ones in use)';
    WHEN check_violation OR not_null_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid principal',
        DETAIL = CASE
          WHEN p_kind IS NULL OR p_kind NOT IN ('person', 'service', 'agent') THEN
            pg_catalog.format('kind %L is not person, service or agent', p_kind)
          WHEN p_handle IS NULL OR p_handle !~ '^[a-z0-9][a-z0-9._@+-]{0,127}$' THEN
            pg_catalog.format('handle %L is not 1 to 128 of a-z 0-9 . _ @ + -, starting '
                              'with a letter or digit', p_handle)
          ELSE pg_catalog.format('display name %L is not 1 to 200 characters',
                                 p_display_name) END,
        HINT = 'e.g. p_kind => ''agent'', p_handle => ''dispatch-bot'', '
               'p_display_name => ''Dispatch bot''';
  END;
  FOREACH v_role IN ARRAY coalesce(p_roles, '{}') LOOP
    PERFORM api.grant_role(v_id, v_role);
  END LOOP;
  RETURN v_id;
END
$_$;

ALTER FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) OWNER TO claw_owner;

--
-- Name: FUNCTION create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) IS 'Create a principal (person, service, agent) in this tenant, optionally with roles; returns its id.';

--
-- Name: create_schedule(text, text, text, text, text, jsonb, boolean); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.create_schedule(p_name text, p_cron text, p_time_zone text, p_queue text, p_kind text, p_payload jsonb DEFAULT '{}'::jsonb, p_catch_up boolean DEFAULT false) RETURNS TABLE(schedule_id uuid, next_fire_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_next timestamptz;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_cron', p_cron, 'name'),
          internal.require_size('p_time_zone', p_time_zone, 'name'),
          internal.require_size('p_queue', p_queue, 'name'),
          internal.require_size('p_kind', p_kind, 'name'),
          internal.require_size('p_payload', p_payload, 'json');
  IF pg_catalog.pg_column_size(p_payload) > internal.input_limit('json') - 1024 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'schedule payload too large',
      DETAIL = pg_catalog.format(
        'p_payload is %s bytes; a schedule''s payload may be at most %s bytes (the json '
        'limit, %s, less 1024 for the schedule_id, fire_at and missed each fire adds)',
        pg_catalog.pg_column_size(p_payload), internal.input_limit('json') - 1024,
        internal.input_limit('json')),
      HINT = 'keep large data elsewhere (an object or a document) and put its id in the payload';
  END IF;
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'creating a schedule');
  PERFORM queue.parse_cron(p_cron);
  PERFORM queue.check_time_zone(p_time_zone);
  v_next := queue.next_fire(p_cron, p_time_zone, internal.now());
  IF v_next IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'cron expression never fires',
      DETAIL = pg_catalog.format('%L has no fire instant in the next five years', p_cron),
      HINT = 'check day-of-month against month (''0 0 30 2 *'' is February 30th)';
  END IF;
  RETURN QUERY
  INSERT INTO queue.schedules AS s (tenant_id, name, cron, time_zone, queue, kind, payload,
                                    catch_up, next_fire_at)
  VALUES (internal.current_tenant_id(), p_name, p_cron, p_time_zone, p_queue, p_kind,
          coalesce(p_payload, '{}'), coalesce(p_catch_up, false), v_next)
  RETURNING s.schedule_id, s.next_fire_at;
EXCEPTION
  WHEN unique_violation THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'schedule name taken',
      DETAIL = pg_catalog.format('this tenant already has a schedule named %L', p_name),
      HINT = 'pick another name or delete the old schedule';
  WHEN check_violation OR not_null_violation THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid schedule',
      DETAIL = SQLERRM,
      HINT = 'name: lower case, digits, _ . -; queue and kind like "default", "report.daily"; '
             'payload a JSON object';
END
$$;

ALTER FUNCTION api.create_schedule(p_name text, p_cron text, p_time_zone text, p_queue text, p_kind text, p_payload jsonb, p_catch_up boolean) OWNER TO claw_owner;

--
-- Name: FUNCTION create_schedule(p_name text, p_cron text, p_time_zone text, p_queue text, p_kind text, p_payload jsonb, p_catch_up boolean); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.create_schedule(p_name text, p_cron text, p_time_zone text, p_queue text, p_kind text, p_payload jsonb, p_catch_up boolean) IS 'Create a schedule: 5-field cron read in an IANA zone (DST-safe), enqueuing queue/kind/payload at each fire. Returns schedule_id and next_fire_at (UTC).';

--
-- Name: current_event_position(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.current_event_position() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'reading events');
  -- Every transaction below xmin has finished; (xmin, 0) is before anything at or above it.
  RETURN events.format_position(pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()), 0);
END
$$;

ALTER FUNCTION api.current_event_position() OWNER TO claw_owner;

--
-- Name: FUNCTION current_event_position(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.current_event_position() IS 'The event position of now: api.read_events(p_after => it) returns only events that become readable later. For a stream that starts live.';

--
-- Name: define_authz_model(jsonb, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.define_authz_model(p_model jsonb, p_expected_version integer DEFAULT NULL::integer) RETURNS TABLE(version integer, consistency_token text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_model', p_model, 'json');
  PERFORM internal.require_role('{owner,admin}', 'authz:admin', 'defining the authorization model');
  RETURN QUERY SELECT m.version, m.token
               FROM authz.define_model(internal.current_tenant_id(),
                                       internal.current_principal_id(), p_model,
                                       p_expected_version) AS m;
END
$$;

ALTER FUNCTION api.define_authz_model(p_model jsonb, p_expected_version integer) OWNER TO claw_owner;

--
-- Name: FUNCTION define_authz_model(p_model jsonb, p_expected_version integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.define_authz_model(p_model jsonb, p_expected_version integer) IS 'Replace the tenant''s authorization model: {"types": {"<type>": {"relations": {"<relation>": <rewrite>}}}} with rewrites this, computed, ttu, union, intersection, exclusion. Returns the new version and a consistency token.';

--
-- Name: define_link_type(text, text, text, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.define_link_type(p_name text, p_from_type text, p_to_type text, p_cardinality text, p_description text DEFAULT NULL::text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_from ontology.object_types;
  v_to ontology.object_types;
  v ontology.link_types;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_from_type', p_from_type, 'name'),
          internal.require_size('p_to_type', p_to_type, 'name'),
          internal.require_size('p_cardinality', p_cardinality, 'name'),
          internal.require_size('p_description', p_description, 'text');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'defining link types');
  PERFORM ontology.check_definition('link type', p_name, p_description);
  IF p_cardinality IS NULL
     OR p_cardinality NOT IN ('one_to_one', 'one_to_many', 'many_to_one', 'many_to_many') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cardinality',
      DETAIL = pg_catalog.format('%L is not a cardinality', p_cardinality),
      HINT = 'one_to_one, one_to_many, many_to_one or many_to_many';
  END IF;
  v_from := ontology.find_type(p_from_type);
  v_to := ontology.find_type(p_to_type);
  -- the name first (a new name has no row to lock: see ontology.define_type)
  PERFORM internal.lock_named(pg_catalog.format('ontology.link_type|%s|%s', v_from.tenant_id,
                                                p_name), true);
  SELECT lt.* INTO v FROM ontology.link_types AS lt
  WHERE lt.tenant_id = v_from.tenant_id AND lt.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    BEGIN
      INSERT INTO ontology.link_types AS lt (tenant_id, name, from_type_id, to_type_id,
                                             cardinality, one_from, one_to, description,
                                             created_by)
      VALUES (v_from.tenant_id, p_name, v_from.type_id, v_to.type_id, p_cardinality,
              p_cardinality IN ('one_to_one', 'one_to_many'),
              p_cardinality IN ('one_to_one', 'many_to_one'), p_description,
              internal.current_principal_id())
      RETURNING lt.* INTO v;
    EXCEPTION WHEN unique_violation THEN
      PERFORM ontology.raise_defined_concurrently('link type', p_name);
    END;
    RETURN v.link_type_id;
  END IF;
  IF (v.from_type_id, v.to_type_id, v.cardinality)
     IS DISTINCT FROM (v_from.type_id, v_to.type_id, p_cardinality) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'a link type''s ends and cardinality are fixed',
      DETAIL = pg_catalog.format('link type %s is %s from %s to %s', p_name, v.cardinality,
        (SELECT t.name FROM ontology.object_types AS t
         WHERE t.tenant_id = v.tenant_id AND t.type_id = v.from_type_id),
        (SELECT t.name FROM ontology.object_types AS t
         WHERE t.tenant_id = v.tenant_id AND t.type_id = v.to_type_id)),
      HINT = 'define a link type with another name';
  END IF;
  IF p_description IS NOT NULL AND p_description IS DISTINCT FROM v.description THEN
    UPDATE ontology.link_types AS lt SET description = p_description, updated_at = pg_catalog.now()
    WHERE lt.tenant_id = v.tenant_id AND lt.link_type_id = v.link_type_id;
  END IF;
  RETURN v.link_type_id;
END
$$;

ALTER FUNCTION api.define_link_type(p_name text, p_from_type text, p_to_type text, p_cardinality text, p_description text) OWNER TO claw_owner;

--
-- Name: FUNCTION define_link_type(p_name text, p_from_type text, p_to_type text, p_cardinality text, p_description text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.define_link_type(p_name text, p_from_type text, p_to_type text, p_cardinality text, p_description text) IS 'Create a link type between two object types with a cardinality (one_to_one, one_to_many, many_to_one, many_to_many, read from -> to). Ends and cardinality never change (CL409); calling again with the same ones updates the description. Returns its id.';

--
-- Name: define_object_type(text, jsonb, text, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.define_object_type(p_name text, p_properties jsonb, p_description text DEFAULT NULL::text, p_expected_version integer DEFAULT NULL::integer) RETURNS TABLE(type_id uuid, version integer, changed boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_properties', p_properties, 'json'),
          internal.require_size('p_description', p_description, 'text');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'defining object types');
  RETURN QUERY SELECT d.type_id, d.version, d.changed
               FROM ontology.define_type(p_name, p_properties, p_description,
                                         p_expected_version) AS d;
END
$$;

ALTER FUNCTION api.define_object_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer) OWNER TO claw_owner;

--
-- Name: FUNCTION define_object_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.define_object_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer) IS 'Create an object type or change its definition (p_properties: {"<property>": {"kind": string|number|integer|boolean|timestamp|date|money|enum|reference, "required", "unique", "values", "min", "max", "pattern", "max_length", "type", "position", "description"}}). Changing an existing type needs p_expected_version = its version (CL409 otherwise); a change that live objects would violate is CL409 (expand/contract). Every change bumps the version.';

--
-- Name: define_tool(text, text, jsonb, text, text, integer, boolean, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.define_tool(p_name text, p_description text, p_input_schema jsonb, p_side_effect text, p_blast_radius text DEFAULT 'single_object'::text, p_max_objects integer DEFAULT NULL::integer, p_reversible boolean DEFAULT true, p_expected_version integer DEFAULT NULL::integer) RETURNS TABLE(tool_id uuid, version integer, changed boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_tenant uuid;
  v ontology.tools;
  v_problem text;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_description', p_description, 'text'),
          internal.require_size('p_input_schema', p_input_schema, 'json'),
          internal.require_size('p_side_effect', p_side_effect, 'name'),
          internal.require_size('p_blast_radius', p_blast_radius, 'name');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'defining tools');
  v_tenant := internal.current_tenant_id();
  IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_.]{0,99}$' THEN
    v_problem := 'the name must be lower-case letters, digits, _ and ., starting with a letter, '
                 'at most 100 characters';
  ELSIF p_description IS NULL OR pg_catalog.length(p_description) NOT BETWEEN 1 AND 4000 THEN
    v_problem := 'the description must have 1 to 4000 characters';
  ELSIF p_side_effect IS NULL OR p_side_effect NOT IN ('read', 'write', 'external', 'financial') THEN
    v_problem := pg_catalog.format('side effect %L is not read, write, external or financial',
                                   p_side_effect);
  ELSIF p_blast_radius IS NULL OR p_blast_radius NOT IN ('none', 'single_object', 'many_objects',
                                                         'tenant', 'external_party') THEN
    v_problem := pg_catalog.format('blast radius %L is not none, single_object, many_objects, '
                                   'tenant or external_party', p_blast_radius);
  ELSIF p_max_objects <= 0 THEN
    v_problem := 'max_objects must be positive (or NULL: no cap)';
  ELSIF p_reversible IS NULL THEN
    v_problem := 'reversible must be true or false';
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format('invalid tool %s', p_name),
      DETAIL = v_problem, HINT = 'see COMMENT ON FUNCTION api.define_tool';
  END IF;
  PERFORM ontology.check_input_schema(p_name, p_input_schema);

  -- the name first (a new name has no row to lock: see ontology.define_type)
  PERFORM internal.lock_named(pg_catalog.format('ontology.tool|%s|%s', v_tenant, p_name), true);
  SELECT x.* INTO v FROM ontology.tools AS x
  WHERE x.tenant_id = v_tenant AND x.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    IF p_expected_version IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tool not found',
        DETAIL = pg_catalog.format('no tool %s in this tenant to be at version %s', p_name,
                                   p_expected_version),
        HINT = 'create it without p_expected_version';
    END IF;
    BEGIN
      RETURN QUERY
      INSERT INTO ontology.tools AS x (tenant_id, name, description, input_schema, side_effect,
                                       blast_radius, max_objects, reversible, created_by,
                                       updated_by)
      VALUES (v_tenant, p_name, p_description, p_input_schema, p_side_effect, p_blast_radius,
              p_max_objects, p_reversible, internal.current_principal_id(),
              internal.current_principal_id())
      RETURNING x.tool_id, x.version, true;
    EXCEPTION WHEN unique_violation THEN
      PERFORM ontology.raise_defined_concurrently('tool', p_name);
    END;
    RETURN;
  END IF;
  IF p_expected_version IS DISTINCT FROM v.version THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale tool version',
      DETAIL = pg_catalog.format('tool %s is at version %s, not %s', p_name, v.version,
                                 coalesce(p_expected_version::text, 'NULL')),
      HINT = 'read it again (api.list_tools) and pass its version as p_expected_version';
  END IF;
  IF (v.description, v.input_schema, v.side_effect, v.blast_radius, v.max_objects, v.reversible)
     IS NOT DISTINCT FROM (p_description, p_input_schema, p_side_effect, p_blast_radius,
                           p_max_objects, p_reversible) THEN
    RETURN QUERY SELECT v.tool_id, v.version, false;
    RETURN;
  END IF;
  RETURN QUERY
  UPDATE ontology.tools AS x
  SET description = p_description, input_schema = p_input_schema, side_effect = p_side_effect,
      blast_radius = p_blast_radius, max_objects = p_max_objects, reversible = p_reversible,
      version = x.version + 1, updated_at = pg_catalog.now(),
      updated_by = internal.current_principal_id()
  WHERE x.tenant_id = v.tenant_id AND x.tool_id = v.tool_id
  RETURNING x.tool_id, x.version, true;
END
$_$;

ALTER FUNCTION api.define_tool(p_name text, p_description text, p_input_schema jsonb, p_side_effect text, p_blast_radius text, p_max_objects integer, p_reversible boolean, p_expected_version integer) OWNER TO claw_owner;

--
-- Name: FUNCTION define_tool(p_name text, p_description text, p_input_schema jsonb, p_side_effect text, p_blast_radius text, p_max_objects integer, p_reversible boolean, p_expected_version integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.define_tool(p_name text, p_description text, p_input_schema jsonb, p_side_effect text, p_blast_radius text, p_max_objects integer, p_reversible boolean, p_expected_version integer) IS 'Create a tool in the catalog or change it at the expected version (CL409 when stale). p_input_schema: {"type": "object", "properties": {...}, "required": [...]}; p_side_effect: read, write, external or financial; p_blast_radius: none, single_object, many_objects, tenant or external_party; p_max_objects: the most objects one call may touch (NULL: no cap).';

--
-- Name: delete_document(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.delete_document(p_document_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'deleting a document');
  DELETE FROM ontology.documents AS d
  WHERE d.tenant_id = internal.current_tenant_id() AND d.document_id = p_document_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'document not found',
      DETAIL = pg_catalog.format('no document %s in this tenant', p_document_id);
  END IF;
END
$$;

ALTER FUNCTION api.delete_document(p_document_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION delete_document(p_document_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.delete_document(p_document_id uuid) IS 'Remove a searchable document.';

--
-- Name: delete_link(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.delete_link(p_link_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'deleting links');
  UPDATE ontology.links AS l
  SET deleted_at = pg_catalog.now(), deleted_by = internal.current_principal_id()
  WHERE l.tenant_id = internal.current_tenant_id() AND l.link_id = p_link_id
    AND l.deleted_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'link not found',
      DETAIL = pg_catalog.format('no live link %s in this tenant', p_link_id),
      HINT = 'api.list_links lists an object''s links';
  END IF;
END
$$;

ALTER FUNCTION api.delete_link(p_link_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION delete_link(p_link_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.delete_link(p_link_id uuid) IS 'Delete (soft) a live link.';

--
-- Name: delete_object(uuid, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.delete_object(p_object_id uuid, p_expected_version integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v ontology.objects;
  v_refs record;
  v_version integer;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'deleting objects');
  v := ontology.lock_object(p_object_id, p_expected_version);
  SELECT pg_catalog.count(*) AS n, (pg_catalog.array_agg(
           pg_catalog.format('%s (property "%s" of %s)', o.object_id, p.name, t.name)
           ORDER BY o.object_id))[1] AS example
  INTO v_refs
  FROM ontology.properties AS p
  JOIN ontology.object_types AS t ON t.tenant_id = p.tenant_id AND t.type_id = p.type_id
  JOIN ontology.objects AS o ON o.tenant_id = p.tenant_id AND o.type_id = p.type_id
   AND o.deleted_at IS NULL AND o.object_id <> v.object_id
   AND o.properties @> pg_catalog.jsonb_build_object(p.name, v.object_id::text)
  WHERE p.tenant_id = v.tenant_id AND p.ref_type_id = v.type_id;
  IF v_refs.n > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'object is referenced',
      DETAIL = pg_catalog.format('%s live object%s reference object %s, e.g. %s', v_refs.n,
                                 CASE WHEN v_refs.n = 1 THEN '' ELSE 's' END, v.object_id,
                                 v_refs.example),
      HINT = 'delete the referencing objects or remove their reference first';
  END IF;
  UPDATE ontology.links AS l
  SET deleted_at = pg_catalog.now(), deleted_by = internal.current_principal_id()
  WHERE l.tenant_id = v.tenant_id AND l.deleted_at IS NULL
    AND (l.from_object_id = v.object_id OR l.to_object_id = v.object_id);
  -- its documents go with it: no search finds a deleted object's text (an attach in flight
  -- holds the object FOR SHARE, so it committed before this statement or fails after it)
  DELETE FROM ontology.documents AS d
  WHERE d.tenant_id = v.tenant_id AND d.object_id = v.object_id;
  UPDATE ontology.objects AS o SET deleted_at = pg_catalog.now()
  WHERE o.tenant_id = v.tenant_id AND o.object_id = v.object_id
  RETURNING o.version INTO v_version;
  RETURN v_version;
END
$$;

ALTER FUNCTION api.delete_object(p_object_id uuid, p_expected_version integer) OWNER TO claw_owner;

--
-- Name: FUNCTION delete_object(p_object_id uuid, p_expected_version integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.delete_object(p_object_id uuid, p_expected_version integer) IS 'Soft-delete an object at the expected version (hidden from lists, unique values released, its links and documents deleted). CL409 while live objects reference it. Returns the new version.';

--
-- Name: delete_schedule(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.delete_schedule(p_schedule_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'deleting a schedule');
  DELETE FROM queue.schedules AS s
  WHERE s.tenant_id = internal.current_tenant_id() AND s.schedule_id = p_schedule_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'schedule not found',
      DETAIL = pg_catalog.format('no schedule %s in this tenant', p_schedule_id),
      HINT = 'api.list_schedules() lists them';
  END IF;
END
$$;

ALTER FUNCTION api.delete_schedule(p_schedule_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION delete_schedule(p_schedule_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.delete_schedule(p_schedule_id uuid) IS 'Delete a schedule of this tenant. CL404 unknown.';

--
-- Name: describe_authz_model(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.describe_authz_model() RETURNS TABLE(version integer, definition jsonb, sha256 text, created_by uuid, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'authz:read',
                                'reading the authorization model');
  RETURN QUERY
  SELECT m.version, m.definition, m.sha256, m.created_by, m.created_at
  FROM authz.models AS m
  WHERE m.tenant_id = internal.current_tenant_id()
  ORDER BY m.version DESC LIMIT 1;
END
$$;

ALTER FUNCTION api.describe_authz_model() OWNER TO claw_owner;

--
-- Name: FUNCTION describe_authz_model(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.describe_authz_model() IS 'The tenant''s current authorization model: version, definition, sha256, author, time.';

--
-- Name: describe_object_type(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.describe_object_type(p_name text) RETURNS TABLE(type_id uuid, version integer, definition jsonb, updated_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v ontology.object_types;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'reading object types');
  v := ontology.find_type(p_name);
  RETURN QUERY SELECT v.type_id, v.version, ontology.type_definition(v.tenant_id, v.type_id),
                      v.updated_at;
END
$$;

ALTER FUNCTION api.describe_object_type(p_name text) OWNER TO claw_owner;

--
-- Name: FUNCTION describe_object_type(p_name text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.describe_object_type(p_name text) IS 'The current definition of an object type and its version: {"name", "description", "version", "properties": {"<property>": <spec>}}; its properties can be passed back to api.define_object_type unchanged.';

--
-- Name: enqueue_job(text, text, jsonb, integer, timestamp with time zone, text, text, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.enqueue_job(p_queue text, p_kind text, p_payload jsonb DEFAULT '{}'::jsonb, p_priority integer DEFAULT 0, p_run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_unique_key text DEFAULT NULL::text, p_rate_key text DEFAULT NULL::text, p_max_attempts integer DEFAULT 5) RETURNS TABLE(job_id uuid, deduplicated boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid;
  v_spec jsonb;
  v_now timestamptz;
BEGIN
  PERFORM internal.require_size('p_queue', p_queue, 'name'),
          internal.require_size('p_kind', p_kind, 'name'),
          internal.require_size('p_payload', p_payload, 'json'),
          internal.require_size('p_unique_key', p_unique_key, 'name'),
          internal.require_size('p_rate_key', p_rate_key, 'name');
  v_tenant := internal.require_role('{owner,admin,operator,worker}', 'queue:write',
                                    'enqueueing jobs');
  -- A unique key (dedupe), or arguments the pre-check does not pass, go the batch's way
  -- with the spec api.enqueue_jobs would get: absent, not null, where an argument is NULL
  -- (a JSON null payload stays: job_spec_problem refuses it, as in a batch). Its CL422 names
  -- the problem.
  IF p_unique_key IS NOT NULL
     OR NOT coalesce(queue.job_args_plainly_valid(p_queue, p_kind, p_payload, p_priority,
                                                  p_rate_key, p_max_attempts), false) THEN
    v_spec := JSON_OBJECT('queue': p_queue, 'kind': p_kind, 'priority': p_priority,
                          'run_at': p_run_at, 'unique_key': p_unique_key,
                          'rate_key': p_rate_key, 'max_attempts': p_max_attempts
                          ABSENT ON NULL RETURNING jsonb);
    IF p_payload IS NOT NULL THEN
      v_spec := v_spec || pg_catalog.jsonb_build_object('payload', p_payload);
    END IF;
    RETURN QUERY SELECT i.job_id, i.deduplicated
                 FROM queue.insert_jobs(v_tenant, pg_catalog.jsonb_build_array(v_spec)) AS i;
    RETURN;
  END IF;
  v_now := internal.now();
  job_id := pg_catalog.uuidv7();
  deduplicated := false;
  INSERT INTO queue.jobs (tenant_id, job_id, queue, kind, payload, priority, fair_key, state,
                          run_at, max_attempts, rate_key, trace_id, enqueued_at)
  VALUES (v_tenant, job_id, p_queue, p_kind, coalesce(p_payload, '{}'), coalesce(p_priority, 0),
          -- a job delayed to later takes its key when it comes due (NULL; p_n = 0)
          queue.take_fair_keys(v_tenant, p_queue, coalesce(p_priority, 0)::smallint,
                               CASE WHEN p_run_at > v_now THEN 0 ELSE 1 END),
          CASE WHEN p_run_at > v_now THEN 'scheduled' ELSE 'available' END,
          coalesce(p_run_at, v_now), coalesce(p_max_attempts, 5), p_rate_key,
          internal.trace_id(), v_now);
  RETURN NEXT;
END
$$;

ALTER FUNCTION api.enqueue_job(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_run_at timestamp with time zone, p_unique_key text, p_rate_key text, p_max_attempts integer) OWNER TO claw_owner;

--
-- Name: FUNCTION enqueue_job(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_run_at timestamp with time zone, p_unique_key text, p_rate_key text, p_max_attempts integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.enqueue_job(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_run_at timestamp with time zone, p_unique_key text, p_rate_key text, p_max_attempts integer) IS 'Enqueue one job in this transaction. Returns job_id and whether an existing job with the same unique_key was returned instead.';

--
-- Name: enqueue_jobs(jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.enqueue_jobs(p_jobs jsonb) RETURNS TABLE(job_id uuid, deduplicated boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'queue:write', 'enqueueing jobs');
  RETURN QUERY SELECT i.job_id, i.deduplicated
               FROM queue.insert_jobs(internal.current_tenant_id(),
                                       internal.require_size('p_jobs', p_jobs, 'batch')) AS i;
END
$$;

ALTER FUNCTION api.enqueue_jobs(p_jobs jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION enqueue_jobs(p_jobs jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.enqueue_jobs(p_jobs jsonb) IS 'Enqueue a batch of jobs (JSON array of {queue, kind, payload, priority, run_at, unique_key, rate_key, max_attempts, trace_id}) in this transaction. Returns job_id, deduplicated per spec.';

--
-- Name: events_waiting(uuid[], text[]); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.events_waiting(p_watcher_ids uuid[], p_positions text[]) RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  -- the json limit (256 KiB), not text's 64 KiB: 2000 positions of up to 40 characters
  -- (20 digits, '-', 19 digits) take about 88 KB
  PERFORM internal.require_size('p_positions', p_positions, 'json');
  IF p_watcher_ids IS NULL OR p_positions IS NULL
     OR pg_catalog.cardinality(p_watcher_ids) <> pg_catalog.cardinality(p_positions)
     OR pg_catalog.cardinality(p_watcher_ids) > 2000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid streams',
      DETAIL = 'p_watcher_ids and p_positions are arrays of the same length, at most 2000',
      HINT = 'one position (or NULL) per watcher id, in the same order';
  END IF;
  PERFORM events.parse_position(x) FROM pg_catalog.unnest(p_positions) AS x;  -- CL422 if bad
  RETURN QUERY SELECT * FROM events.watchers_with_events(p_watcher_ids, p_positions);
END
$$;

ALTER FUNCTION api.events_waiting(p_watcher_ids uuid[], p_positions text[]) OWNER TO claw_owner;

--
-- Name: FUNCTION events_waiting(p_watcher_ids uuid[], p_positions text[]); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.events_waiting(p_watcher_ids uuid[], p_positions text[]) IS 'Of these registered streams (api.watch_events ids) and their positions, the ones with an event to read now; one question per NOTIFY for all of a process''s streams.';

--
-- Name: expire_llm_reservations(integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.expire_llm_reservations(p_limit integer DEFAULT 100) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT llm.expire_reservations(p_limit) $$;

ALTER FUNCTION api.expire_llm_reservations(p_limit integer) OWNER TO claw_owner;

--
-- Name: FUNCTION expire_llm_reservations(p_limit integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.expire_llm_reservations(p_limit integer) IS 'Worker: expire LLM budget reservations whose caller died (past their deadline), in up to p_limit tenants; returns how many were expired.';

--
-- Name: explain_permission(text, text, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.explain_permission(p_object text, p_relation text, p_subject text DEFAULT NULL::text, p_consistency_token text DEFAULT NULL::text) RETURNS TABLE(step integer, line text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_q record;
  v_why jsonb;
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'explaining a permission', false, NULL);
  v_why := authz.check(v_q.tenant_id, p_object, p_relation, v_q.subject, p_consistency_token);
  RETURN QUERY SELECT (n - 1)::integer, l FROM authz.explain_lines(v_why) WITH ORDINALITY AS e (l, n);
END
$$;

ALTER FUNCTION api.explain_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION explain_permission(p_object text, p_relation text, p_subject text, p_consistency_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.explain_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) IS 'Why the subject (default: the caller) is in object#relation, as indented lines; no rows if it is not.';

--
-- Name: fail_flow_run(uuid, uuid, uuid, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.fail(p_run_id, p_job_id, p_lease_token, internal.require_size('p_error', p_error, 'json')) $$;

ALTER FUNCTION api.fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) IS 'Worker: the flow failed outside a step (an exception, or code that no longer matches the recorded history); the run is failed.';

--
-- Name: fail_flow_step(uuid, uuid, uuid, integer, text, text, text, integer, double precision, double precision, boolean); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer DEFAULT 3, p_backoff_seconds double precision DEFAULT 1, p_backoff_max_seconds double precision DEFAULT 3600, p_retry boolean DEFAULT true) RETURNS TABLE(status text, retry_at timestamp with time zone, attempts integer)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM flow.fail_step(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_error', p_error, 'text'), p_max_attempts, p_backoff_seconds, p_backoff_max_seconds, p_retry) $$;

ALTER FUNCTION api.fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean) OWNER TO claw_owner;

--
-- Name: FUNCTION fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean) IS 'Worker: record a failed step attempt under the step''s retry policy (max attempts, exponential backoff): sleeping until the retry, or failed.';

--
-- Name: fail_job(uuid, uuid, text, boolean, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean DEFAULT true, p_retry_in_seconds integer DEFAULT NULL::integer) RETURNS TABLE(state text, run_at timestamp with time zone, attempts integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_length integer := pg_catalog.length(p_error);
  v_tail text;
BEGIN
  IF v_length > 4000 THEN
    v_tail := pg_catalog.format('... [truncated: %s characters in all]', v_length);
    p_error := pg_catalog.left(p_error, 4000 - pg_catalog.length(v_tail)) || v_tail;
  END IF;
  RETURN QUERY SELECT * FROM queue.fail_job(p_job_id, p_lease_token,
    internal.require_size('p_error', p_error, 'text'), p_retry, p_retry_in_seconds);
END
$$;

ALTER FUNCTION api.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer) OWNER TO claw_owner;

--
-- Name: FUNCTION fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer) IS 'Worker: record a failed attempt of a held job: scheduled for retry after exponential backoff with jitter, or dead after the last attempt (p_retry => false: dead now). CL409 if not held.';

--
-- Name: finish_idempotent_request(text, integer, jsonb, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.finish_idempotent_request(p_key text, p_status integer, p_headers jsonb, p_body text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_ctx record;
  v_method text;
  v_path text;
  v_hash text;
  v_now timestamptz := internal.now();
BEGIN
  PERFORM internal.require_size('p_key', p_key, 'name'),
          internal.require_size('p_headers', p_headers, 'json'),
          internal.require_size('p_body', p_body, 'document');
  SELECT * INTO v_ctx FROM edge.idempotency_principal();
  PERFORM edge.require_idempotency_key(p_key);
  IF p_status IS NULL OR p_status NOT BETWEEN 100 AND 599
     OR pg_catalog.jsonb_typeof(coalesce(p_headers, '{}')) <> 'object'
     OR p_body IS NULL OR pg_catalog.octet_length(p_body) > 1048576 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid stored response',
      DETAIL = 'p_status 100-599, p_headers a JSON object, p_body at most 1 MiB',
      HINT = 'responses larger than 1 MiB cannot be replayed; page them';
  END IF;
  v_method := pg_catalog.current_setting('claw.idempotent_method', true);
  v_path := pg_catalog.current_setting('claw.idempotent_path', true);
  v_hash := pg_catalog.current_setting('claw.idempotent_sha256', true);
  IF pg_catalog.current_setting('claw.idempotent_key', true) IS DISTINCT FROM p_key
     OR coalesce(v_method, '') = ''
     OR pg_catalog.current_setting('claw.idempotent_mac', true) IS DISTINCT FROM
        edge.idempotency_mac(v_ctx.tenant_id, v_ctx.principal_id, p_key, v_method, v_path, v_hash)
  THEN  -- begun by begin in this transaction for this principal, not set by the caller
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'idempotency key not begun',
      DETAIL = 'this transaction did not begin a new request with this Idempotency-Key',
      HINT = 'call api.begin_idempotent_request first; a replayed request stores nothing';
  END IF;
  IF edge.holds_api_key(p_body) THEN  -- only sha256 of a key's secret is ever kept
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'stored response holds an API key',
      DETAIL = 'the response to keep for replay contains a whole API key (its secret)',
      HINT = 'store the response without the secret: it is shown once, never replayed';
  END IF;
  BEGIN
    INSERT INTO edge.idempotency_keys (tenant_id, principal_id, idempotency_key, request_method,
                                       request_path, request_sha256, response_status,
                                       response_headers, response_body, created_at, expires_at,
                                       credential)
    VALUES (v_ctx.tenant_id, v_ctx.principal_id, p_key, v_method, v_path, v_hash, p_status,
            coalesce(p_headers, '{}'), p_body, v_now, v_now + edge.idempotency_window(),
            internal.context_credential());
  EXCEPTION WHEN unique_violation THEN
    -- a REPEATABLE READ or SERIALIZABLE transaction whose snapshot predates another's
    -- completed request with this key: begin could not see its response, so this one acted
    -- again; it must not commit (in READ COMMITTED begin's lock makes it see the response)
    RAISE EXCEPTION USING ERRCODE = '40001',
      MESSAGE = 'idempotent request completed by another transaction',
      DETAIL = 'a request with this Idempotency-Key completed after this transaction''s '
               'snapshot was taken; this transaction''s effects must roll back',
      HINT = 'roll back and retry: the retry replays the stored response';
  END;
  PERFORM pg_catalog.set_config('claw.idempotent_key', '', true);
END
$$;

ALTER FUNCTION api.finish_idempotent_request(p_key text, p_status integer, p_headers jsonb, p_body text) OWNER TO claw_owner;

--
-- Name: FUNCTION finish_idempotent_request(p_key text, p_status integer, p_headers jsonb, p_body text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.finish_idempotent_request(p_key text, p_status integer, p_headers jsonb, p_body text) IS 'Store the response of the request begun with api.begin_idempotent_request (same transaction); a later request with the same key and body replays it.';

--
-- Name: finish_llm_call(uuid, jsonb, jsonb, text, jsonb, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb DEFAULT NULL::jsonb, p_request_hash text DEFAULT NULL::text, p_context jsonb DEFAULT NULL::jsonb, p_trace_id text DEFAULT NULL::text, p_call_token text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_tenant uuid;
  v_caller uuid;
  v_roles text[];
  v_owner uuid;
  v_prev_ctx text;
  v_prev_mac text;
  v_begun_hash text;
  v_priced_at timestamptz;
  v_now timestamptz := internal.now();
  v_res llm.reservations;
  v_route llm.routes;
  v_total numeric;
  v_n integer;
  v_bad text;
  v_a record;
  v_ok_model text;
  v_begun_by text;
  v_chain text[];
  v_caps integer[];
  v_tries integer;
  v_claims jsonb;
BEGIN
  PERFORM internal.require_size('p_attempts', p_attempts, 'json'),
          internal.require_size('p_response', p_response, 'json'),
          internal.require_size('p_request_hash', p_request_hash, 'name'),
          internal.require_size('p_context', p_context, 'json'),
          internal.require_size('p_trace_id', p_trace_id, 'name'),
          internal.require_size('p_call_token', p_call_token, 'name');
  IF p_call_token IS NULL THEN
    SELECT c.tenant_id, c.principal_id, c.roles INTO v_tenant, v_caller, v_roles
    FROM internal.require_context('{owner,admin,operator,worker}', 'llm:call',
                                  'calling a model') AS c;
  ELSE
    v_prev_ctx := pg_catalog.current_setting('claw.ctx', true);
    v_prev_mac := pg_catalog.current_setting('claw.ctx_mac', true);
    SELECT t.tenant_id, t.request_hash INTO v_tenant, v_begun_hash
    FROM llm.use_call_token(p_call_token, p_reservation_id) AS t;
  END IF;
  -- attempts are priced at the versions in force when the call began (what its reservation
  -- admitted): a price raised while it ran must not charge more than was held
  SELECT r.created_at, r.principal_id, r.begun_by, r.chain_models, r.chain_output_caps,
         r.max_attempts, r.probe_claims
    INTO v_priced_at, v_owner, v_begun_by, v_chain, v_caps, v_tries, v_claims
  FROM llm.reservations AS r
  WHERE r.tenant_id = v_tenant AND r.reservation_id = p_reservation_id;
  v_priced_at := coalesce(v_priced_at, v_now);  -- unknown: close_reservation raises CL404
  -- without the token: the caller's own call (its principal's; a worker's, its job's), or an
  -- owner or admin closing any (another caller must not settle a call with usage it made up)
  IF p_call_token IS NULL AND FOUND AND NOT v_roles && '{owner,admin}'::text[]
     AND (v_owner IS DISTINCT FROM v_caller
          OR (v_owner IS NULL AND v_begun_by IS DISTINCT FROM internal.context_credential())) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'not your call',
      DETAIL = pg_catalog.format('reservation %s was begun by another %s', p_reservation_id,
                                 CASE WHEN v_owner IS NULL AND v_caller IS NULL THEN 'job'
                                      ELSE 'principal' END),
      HINT = 'finish with the call token api.begin_llm_call returned, or as owner or admin';
  END IF;
  IF p_attempts IS NULL OR pg_catalog.jsonb_typeof(p_attempts) <> 'array' THEN
    v_bad := 'attempts must be a JSON array';
  ELSIF pg_catalog.jsonb_array_length(p_attempts) > 80 THEN
    -- a route makes at most max_attempts (10) per model of at most 8 models
    v_bad := pg_catalog.format('%s attempts: a call makes at most 80 (10 per model, 8 models)',
                               pg_catalog.jsonb_array_length(p_attempts));
  END IF;
  IF v_bad IS NULL THEN  -- each an object, its counts whole numbers in integer range
    SELECT pg_catalog.format('attempt %s: %s', e.n,
             CASE WHEN pg_catalog.jsonb_typeof(e.j) <> 'object' THEN 'must be a JSON object'
                  ELSE pg_catalog.format('%s must be a whole number from 0 to 2147483647, not %s',
                                         f.k, e.j -> f.k) END)
      INTO v_bad
    FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
    LEFT JOIN LATERAL (
      SELECT k.k FROM pg_catalog.unnest(ARRAY['route_position', 'input_tokens', 'output_tokens',
                                              'cached_tokens', 'latency_ms', 'http_status']) AS k(k)
      WHERE pg_catalog.jsonb_typeof(e.j) = 'object'
        AND pg_catalog.jsonb_typeof(e.j -> k.k) IS DISTINCT FROM 'null'
        AND (pg_catalog.jsonb_typeof(e.j -> k.k) <> 'number'
             OR (e.j ->> k.k) !~ '^[0-9]{1,10}$'
             OR (e.j ->> k.k)::numeric > 2147483647)
      LIMIT 1) AS f ON true
    WHERE pg_catalog.jsonb_typeof(e.j) <> 'object' OR f.k IS NOT NULL
    ORDER BY e.n LIMIT 1;
  END IF;
  IF v_bad IS NULL THEN
    SELECT pg_catalog.format('attempt %s: %s', e.n,
             CASE WHEN m.model IS NULL THEN pg_catalog.format('model %L is not in the catalogue', a.model)
                  WHEN a.outcome IS NULL OR a.outcome NOT IN ('ok', 'invalid_output', 'rate_limited',
                       'server_error', 'timeout', 'context_overflow', 'client_error', 'breaker_open')
                    THEN pg_catalog.format('outcome %L is unknown', a.outcome)
                  WHEN coalesce(a.route_position, 0) < 1
                    THEN 'route position must be >= 1'
                  ELSE pg_catalog.format('model %L has no price in force at %s, when the call '
                                         'began, and the attempt used tokens', a.model,
                                         v_priced_at) END)
      INTO v_bad
    FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
    CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
           AS a(model text, route_position integer, input_tokens integer, output_tokens integer,
                cached_tokens integer, latency_ms integer, outcome text)
    LEFT JOIN internal.llm_models AS m ON m.model = a.model
    LEFT JOIN LATERAL llm.price_at(a.model, v_priced_at) AS p ON true
    WHERE m.model IS NULL
       OR a.outcome IS NULL OR a.outcome NOT IN ('ok', 'invalid_output', 'rate_limited',
            'server_error', 'timeout', 'context_overflow', 'client_error', 'breaker_open')
       OR coalesce(a.route_position, 0) < 1
       OR (p.model IS NULL AND coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0) > 0)
    ORDER BY e.n LIMIT 1;
  END IF;
  -- what the call could have done (the chain and attempts it was begun with): no model
  -- outside it, no more attempts of a model than the route allows (a skipped model's record
  -- counts as one). Usage beyond the output cap it was begun with, or beyond a model's
  -- context window, is charged at that bound (llm.charged_attempts), not refused.
  IF v_bad IS NULL AND v_chain IS NOT NULL THEN
    SELECT pg_catalog.format('attempt %s: %s', x.n, x.why) INTO v_bad
    FROM (SELECT e.n,
                 CASE WHEN v_chain[a.route_position] IS DISTINCT FROM a.model
                        THEN pg_catalog.format('model %L at route position %s is not in the '
                                               'route the call was begun with (%s)', a.model,
                                               a.route_position, v_chain)
                      WHEN pg_catalog.count(*) OVER (PARTITION BY a.route_position
                                                     ORDER BY e.n) > v_tries
                        THEN pg_catalog.format('more attempts of %L than the route allows (%s)',
                                               a.model, v_tries) END AS why
          FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
          CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
                 AS a(model text, route_position integer)) AS x
    WHERE x.why IS NOT NULL
    ORDER BY x.n LIMIT 1;
  END IF;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM call record', DETAIL = v_bad,
      HINT = 'see COMMENT ON FUNCTION api.finish_llm_call';
  END IF;
  -- the breakers first, a provider at a time in name order (each provider's attempts in the
  -- order they were sent): api.begin_llm_call locks breaker rows in that order before its
  -- budget windows, so the settlement's window locks come after them here too (windows
  -- then breakers deadlocked with a begin claiming a probe)
  -- only attempts that reached the provider move its breaker: a model skipped before
  -- sending (it did not fit, no client for its provider: no HTTP status) says nothing of the
  -- provider, and counted as a success it closed an open breaker
  -- A probe claim of begin's (probe_claims) that no attempt settled is given back in the
  -- same order (llm.breaker_release): an earlier model answered, or the probe met a 429, and
  -- the provider must not stay skipped by every other call until the lease runs out.
  FOR v_a IN
    WITH moved AS (
      SELECT m.provider, a.outcome, e.n
      FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
      CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
             AS a(model text, outcome text, http_status integer)
      JOIN internal.llm_models AS m ON m.model = a.model
      WHERE a.outcome <> 'rate_limited' AND a.outcome <> 'breaker_open'
        AND (a.outcome IN ('ok', 'invalid_output', 'server_error', 'timeout')
             OR a.http_status IS NOT NULL))
    SELECT x.provider, x.outcome, x.claim
    FROM (SELECT v.provider, v.outcome, v.n, NULL::timestamptz AS claim FROM moved AS v
          UNION ALL
          SELECT c.key, NULL, 0, c.value::timestamptz
          FROM pg_catalog.jsonb_each_text(coalesce(v_claims, '{}')) AS c
          WHERE NOT EXISTS (SELECT 1 FROM moved AS v WHERE v.provider = c.key)) AS x
    ORDER BY x.provider, x.n
  LOOP
    IF v_a.claim IS NULL THEN
      PERFORM llm.breaker_record(v_tenant, v_a.provider,
                                 v_a.outcome NOT IN ('server_error', 'timeout'));
    ELSE
      PERFORM llm.breaker_release(v_tenant, v_a.provider, v_a.claim);
    END IF;
  END LOOP;
  SELECT a.model INTO v_ok_model
  FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
  CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j) AS a(model text, outcome text)
  WHERE a.outcome = 'ok'
  ORDER BY e.n DESC LIMIT 1;
  -- the cost of every attempt at the price in force when the call began, then the
  -- settlement (which locks the reservation and its windows and raises CL404 / CL409), then
  -- the ledger rows
  SELECT coalesce(sum(c.cost_usd), 0) INTO v_total
  FROM llm.charged_attempts(p_attempts, v_priced_at, v_caps) AS c;
  v_res := llm.close_reservation(v_tenant, p_reservation_id, v_total);
  INSERT INTO llm.calls (tenant_id, reservation_id, attempt, occurred_at, principal_id, task,
                         flow_run_id, flow_step, provider, model, route_position, input_tokens,
                         output_tokens, cached_tokens, cost_usd, price_valid_from, latency_ms,
                         outcome, http_status, error, trace_id, context)
  -- dated at the call's beginning, the instant it is priced at and whose budget windows it
  -- is charged to: a call across local midnight is the earlier day's, in the usage and the
  -- windows alike
  SELECT v_tenant, v_res.reservation_id, c.n, v_priced_at, v_res.principal_id, v_res.task,
         v_res.flow_run_id, v_res.flow_step, c.provider, c.model, c.route_position,
         c.input_tokens, c.output_tokens, c.cached_tokens, c.cost_usd, c.price_valid_from,
         c.latency_ms, c.outcome, c.http_status, c.error,
         coalesce(p_trace_id, internal.trace_id()),
         p_context
  FROM llm.charged_attempts(p_attempts, v_priced_at, v_caps) AS c;
  GET DIAGNOSTICS v_n = ROW_COUNT;

  IF p_response IS NOT NULL AND p_request_hash IS NOT NULL AND v_ok_model IS NOT NULL
     AND (p_call_token IS NULL OR p_request_hash = v_begun_hash) THEN
    SELECT r.* INTO v_route FROM llm.routes AS r
    WHERE r.tenant_id = v_tenant AND r.task = v_res.task;
    -- (a route changed while the call ran: an answer made under its old version, another
    -- chain, schema or output cap, is not cached under the new one)
    IF FOUND AND v_route.cache_ttl_seconds > 0 AND p_request_hash ~ '^[0-9a-f]*$'
       AND pg_catalog.length(p_request_hash) = 64 AND v_ok_model = ANY (v_route.models)
       AND v_route.version = v_res.route_version THEN
      INSERT INTO llm.cache_entries AS c (tenant_id, cache_key, task, model, response,
                                          created_at, expires_at)
      VALUES (v_tenant, llm.cache_key(v_res.task, v_route.version, v_route.models,
                                      p_request_hash),
              v_res.task, v_ok_model, p_response, v_now,
              v_now + v_route.cache_ttl_seconds * interval '1 second')
      ON CONFLICT (tenant_id, cache_key) DO UPDATE
        SET model = EXCLUDED.model, response = EXCLUDED.response,
            created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, hits = 0;
    END IF;
  END IF;
  IF p_call_token IS NOT NULL THEN  -- the token's context was for this finish only
    PERFORM pg_catalog.set_config('claw.ctx', coalesce(v_prev_ctx, ''), true),
            pg_catalog.set_config('claw.ctx_mac', coalesce(v_prev_mac, ''), true);
  END IF;
  RETURN pg_catalog.jsonb_build_object('cost_usd', v_total, 'status', v_res.status,
                                       'late', v_res.late, 'calls', v_n);
END
$_$;

ALTER FUNCTION api.finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb, p_request_hash text, p_context jsonb, p_trace_id text, p_call_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb, p_request_hash text, p_context jsonb, p_trace_id text, p_call_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb, p_request_hash text, p_context jsonb, p_trace_id text, p_call_token text) IS 'Finish a routed LLM call: one ledger row per attempt with its cost computed from the price in force when it began, the reservation settled (or released), breakers moved, the cache filled. With p_call_token (from begin) no fresh credential is needed. CL401 no context or an invalid token, CL404 unknown call, CL409 already finished, CL422 bad attempts.';

--
-- Name: flow_cancel_requested(uuid, uuid, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.cancel_requested(p_run_id, p_job_id, p_lease_token) $$;

ALTER FUNCTION api.flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) IS 'Worker: whether a cancel was requested for this held run (asked while a long step runs).';

--
-- Name: fork_flow_run(uuid, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.fork_flow_run(p_run_id uuid, p_from_position integer) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'flow:write', 'forking a flow');
  RETURN flow.fork(p_run_id, p_from_position);
END
$$;

ALTER FUNCTION api.fork_flow_run(p_run_id uuid, p_from_position integer) OWNER TO claw_owner;

--
-- Name: FUNCTION fork_flow_run(p_run_id uuid, p_from_position integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.fork_flow_run(p_run_id uuid, p_from_position integer) IS 'Fork a finished (completed, failed or cancelled) run from step N: a new run that replays steps 0..N-1 from the copy and runs step N onwards again; it adopts the children those steps started and do not wait for.';

--
-- Name: get_flow_run(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.get_flow_run(p_run_id uuid) RETURNS TABLE(run_id uuid, flow_name text, flow_version integer, status text, input jsonb, output jsonb, error jsonb, idempotency_key text, parent_run_id uuid, forked_from_run_id uuid, trace_id text, next_position integer, wake_at timestamp with time zone, wait_signal text, wait_child_run_id uuid, cancel_requested_at timestamp with time zone, dispatches integer, created_at timestamp with time zone, started_at timestamp with time zone, finished_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'reading a flow run');
  RETURN QUERY
  SELECT r.run_id, r.flow_name, r.flow_version, r.status, r.input, r.output, r.error,
         r.idempotency_key, r.parent_run_id, r.forked_from_run_id, r.trace_id, r.next_position,
         r.wake_at, r.wait_signal, r.wait_child_run_id, r.cancel_requested_at, r.dispatches,
         r.created_at, r.started_at, r.finished_at
  FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'flow run not found',
      DETAIL = pg_catalog.format('no flow run %s in this tenant', p_run_id),
      HINT = 'finished runs are kept until api.purge_flow_runs removes them';
  END IF;
END
$$;

ALTER FUNCTION api.get_flow_run(p_run_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION get_flow_run(p_run_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.get_flow_run(p_run_id uuid) IS 'One flow run of this tenant: status (pending, running, sleeping, waiting, blocked, completed, failed, cancelled), input, output or error, what it waits for.';

--
-- Name: get_job(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.get_job(p_job_id uuid) RETURNS TABLE(job_id uuid, queue text, kind text, state text, payload jsonb, priority smallint, attempts integer, max_attempts integer, run_at timestamp with time zone, unique_key text, errors jsonb, trace_id text, enqueued_at timestamp with time zone, started_at timestamp with time zone, finished_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'queue:read',
                                'reading a job');
  RETURN QUERY
  SELECT j.job_id, j.queue, j.kind, j.state, j.payload, j.priority, j.attempts, j.max_attempts,
         j.run_at, j.unique_key, j.errors, j.trace_id, j.enqueued_at, j.started_at,
         NULL::timestamptz
  FROM queue.jobs AS j
  WHERE j.tenant_id = internal.current_tenant_id() AND j.job_id = p_job_id
  UNION ALL
  SELECT h.job_id, h.queue, h.kind, h.outcome, h.payload, h.priority, h.attempts, h.max_attempts,
         NULL, h.unique_key, h.errors, h.trace_id, h.enqueued_at, h.started_at, h.finished_at
  FROM queue.job_history AS h
  WHERE h.tenant_id = internal.current_tenant_id() AND h.job_id = p_job_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'job not found',
      DETAIL = pg_catalog.format('no job %s in this tenant', p_job_id),
      HINT = 'finished jobs are kept for the history retention (default 14 days)';
  END IF;
END
$$;

ALTER FUNCTION api.get_job(p_job_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION get_job(p_job_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.get_job(p_job_id uuid) IS 'One job of this tenant: state scheduled, available, running, dead, completed or cancelled, with every error of every attempt.';

--
-- Name: get_object(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.get_object(p_object_id uuid) RETURNS TABLE(object_id uuid, type text, version integer, properties jsonb, created_by uuid, updated_by uuid, created_at timestamp with time zone, updated_at timestamp with time zone, deleted_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'reading objects');
  RETURN QUERY
  SELECT o.object_id, t.name, o.version, o.properties, o.created_by, o.updated_by, o.created_at,
         o.updated_at, o.deleted_at
  FROM ontology.objects AS o
  JOIN ontology.object_types AS t ON t.tenant_id = o.tenant_id AND t.type_id = o.type_id
  WHERE o.tenant_id = internal.current_tenant_id() AND o.object_id = p_object_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
      DETAIL = pg_catalog.format('no object %s in this tenant', p_object_id),
      HINT = 'api.list_objects_by_type lists a type''s objects';
  END IF;
END
$$;

ALTER FUNCTION api.get_object(p_object_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION get_object(p_object_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.get_object(p_object_id uuid) IS 'One object: type, version, properties, who created and last changed it, and deleted_at when it was deleted.';

--
-- Name: get_schema_version(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.get_schema_version() RETURNS TABLE(migration_id text, applied_migrations integer, applied_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_role', p_role, 'name');
  PERFORM internal.require_role(CASE WHEN p_role = 'owner' THEN '{owner}'::text[]
                                     ELSE '{owner,admin}'::text[] END,
                                'members:write', 'granting role ' || p_role);
  IF p_role IS NULL OR p_role NOT IN ('owner', 'admin', 'operator', 'approver', 'viewer') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown role',
      DETAIL = pg_catalog.format('role %L is not owner, admin, operator, approver or viewer',
                                 p_role),
      HINT = 'grant one of the five tenant roles (README: roles)';
  END IF;
  PERFORM tenancy.require_principal(p_principal_id);
  -- an owner's keys are issued by an owner: a principal promoted with keys someone else
  -- issued it (an admin keeping a key's secret) would hand that one an owner's powers, so
  -- they are revoked first
  IF p_role = 'owner'
     AND NOT EXISTS (SELECT 1 FROM tenancy.memberships AS m
                     WHERE m.tenant_id = internal.current_tenant_id()
                       AND m.principal_id = p_principal_id AND m.role = 'owner')
     AND EXISTS (SELECT 1 FROM tenancy.api_keys AS k
                 WHERE k.tenant_id = internal.current_tenant_id()
                   AND k.principal_id = p_principal_id AND k.revoked_at IS NULL
                   AND (k.expires_at IS NULL OR k.expires_at > pg_catalog.now())) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'principal holds API keys',
      DETAIL = pg_catalog.format('principal %s has active API keys, which an owner did not '
                                 'necessarily issue', p_principal_id),
      HINT = 'revoke its keys first (api.revoke_api_key), then grant owner and issue its keys '
             'as an owner';
  END IF;
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
-- Name: heartbeat_jobs(uuid[], uuid, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer DEFAULT 30) RETURNS TABLE(job_id uuid, lease_expires_at timestamp with time zone)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM queue.heartbeat_jobs(p_job_ids, p_lease_token, p_lease_seconds) $$;

ALTER FUNCTION api.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer) OWNER TO claw_owner;

--
-- Name: FUNCTION heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer) IS 'Worker: extend the lease of jobs this token holds; a job missing from the result was lost.';

--
-- Name: is_permitted(text, text, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.is_permitted(p_object text, p_relation text, p_subject text DEFAULT NULL::text, p_consistency_token text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_q record;
  v_o record;
  v_s record;
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'checking a permission', false, NULL);
  v_o := authz.parse_object(p_object);
  v_s := authz.parse_subject(v_q.subject);
  PERFORM authz.require_fresh(v_q.tenant_id, p_consistency_token);
  RETURN authz.decide_in_tenant(v_q.tenant_id, v_o.object_type, v_o.object_id, p_relation,
                                v_s.subject_type, v_s.subject_id, v_s.subject_relation,
                                internal.now());
END
$$;

ALTER FUNCTION api.is_permitted(p_object text, p_relation text, p_subject text, p_consistency_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION is_permitted(p_object text, p_relation text, p_subject text, p_consistency_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.is_permitted(p_object text, p_relation text, p_subject text, p_consistency_token text) IS 'Is the subject (default: the caller) in object#relation? Yes or no, without the explanation.';

--
-- Name: link_jwt_subject(uuid, text, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_subject', p_subject, 'name');
  PERFORM internal.require_role('{owner,admin}', 'members:write', 'linking a token subject');
  IF NOT EXISTS (SELECT 1 FROM tenancy.jwt_issuers AS i
                 WHERE i.tenant_id = internal.current_tenant_id()
                   AND i.jwt_issuer_id = p_jwt_issuer_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'JWT issuer not found',
      DETAIL = pg_catalog.format('no issuer %s in this tenant', p_jwt_issuer_id),
      HINT = 'api.list_jwt_issuers() lists them; an operator registers new ones';
  END IF;
  -- only an owner makes (or moves) an owner's sign-in, as only an owner grants owner
  IF EXISTS (SELECT 1 FROM tenancy.memberships AS m
             WHERE m.tenant_id = internal.current_tenant_id() AND m.role = 'owner'
               AND (m.principal_id = p_principal_id
                    OR m.principal_id = (SELECT s.principal_id FROM tenancy.jwt_subjects AS s
                                         WHERE s.tenant_id = m.tenant_id
                                           AND s.jwt_issuer_id = p_jwt_issuer_id
                                           AND s.subject = p_subject))) THEN
    PERFORM internal.require_role('{owner}', 'members:write', 'linking an owner''s token subject');
  END IF;
  PERFORM tenancy.put_jwt_subject(internal.current_tenant_id(), p_jwt_issuer_id, p_subject,
                                  p_principal_id);
END
$$;

ALTER FUNCTION api.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) IS 'Owner/admin: tokens of this tenant''s issuer with this sub act as this principal.';

--
-- Name: list_api_keys(integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_api_keys(p_limit integer DEFAULT 100, p_cursor text DEFAULT NULL::text) RETURNS TABLE(api_key_id uuid, principal_id uuid, name text, prefix text, scopes text[], status text, expires_at timestamp with time zone, revoked_at timestamp with time zone, last_used_at timestamp with time zone, created_at timestamp with time zone, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_after jsonb;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:read',
                                'listing API keys');
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_api_keys', '{}', p_cursor);
  RETURN QUERY
  SELECT k.api_key_id, k.principal_id, k.name, k.prefix, k.scopes,
         CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
              WHEN k.expires_at <= pg_catalog.now() THEN 'expired' ELSE 'active' END,
         k.expires_at, k.revoked_at, k.last_used_at, k.created_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY k.created_at, k.api_key_id) = p_limit
              THEN internal.make_cursor('api.list_api_keys', '{}', pg_catalog.jsonb_build_object(
                     'at', k.created_at, 'id', k.api_key_id)) END
  FROM tenancy.api_keys AS k
  WHERE v_after IS NULL OR (k.created_at, k.api_key_id)
                           > ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid)
  ORDER BY k.created_at, k.api_key_id
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_api_keys(p_limit integer, p_cursor text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_api_keys(p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_api_keys(p_limit integer, p_cursor text) IS 'API keys visible to the caller with their status (active, revoked, expired); no secrets. Oldest first, p_limit (1..1000) at a time; the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';

--
-- Name: list_error_codes(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_error_codes() RETURNS TABLE(sqlstate text, name text, http_status integer, meaning text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
-- Name: list_flow_effects(uuid, text, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_flow_effects(p_run_id uuid DEFAULT NULL::uuid, p_status text DEFAULT NULL::text, p_limit integer DEFAULT 100) RETURNS TABLE(run_id uuid, "position" integer, provider text, idempotency_key text, status text, request jsonb, response jsonb, sends integer, note text, created_at timestamp with time zone, sent_at timestamp with time zone, settled_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_status', p_status, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'listing effects');
  IF p_status IS NOT NULL AND p_status NOT IN ('intended', 'sent', 'confirmed', 'unknown',
                                               'reconciled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid effect status',
      DETAIL = pg_catalog.format('%L is not an effect status', p_status),
      HINT = 'intended, sent, confirmed, unknown or reconciled';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid limit',
      DETAIL = pg_catalog.format('p_limit must be 1 to 1000, not %s', p_limit),
      HINT = 'page with smaller limits';
  END IF;
  RETURN QUERY
  SELECT e.run_id, e.position, e.provider, e.idempotency_key, e.status, e.request, e.response,
         e.sends, e.note, e.created_at, e.sent_at, e.settled_at
  FROM flow.effects AS e
  WHERE e.tenant_id = internal.current_tenant_id()
    AND (p_run_id IS NULL OR e.run_id = p_run_id) AND (p_status IS NULL OR e.status = p_status)
  ORDER BY e.created_at DESC, e.idempotency_key
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_flow_effects(p_run_id uuid, p_status text, p_limit integer) OWNER TO claw_owner;

--
-- Name: FUNCTION list_flow_effects(p_run_id uuid, p_status text, p_limit integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_flow_effects(p_run_id uuid, p_status text, p_limit integer) IS 'This tenant''s external effects with their idempotency keys (p_status => ''unknown'': the ones a person must resolve with api.resolve_flow_effect).';

--
-- Name: list_flow_runs(text, text, integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_flow_runs(p_status text DEFAULT NULL::text, p_flow_name text DEFAULT NULL::text, p_limit integer DEFAULT 100, p_cursor text DEFAULT NULL::text) RETURNS TABLE(run_id uuid, flow_name text, flow_version integer, status text, next_position integer, parent_run_id uuid, trace_id text, error jsonb, created_at timestamp with time zone, finished_at timestamp with time zone, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_filters jsonb := pg_catalog.jsonb_build_object('status', p_status, 'flow_name', p_flow_name);
  v_after jsonb;
BEGIN
  PERFORM internal.require_size('p_status', p_status, 'name'),
          internal.require_size('p_flow_name', p_flow_name, 'name'),
          internal.require_size('p_cursor', p_cursor, 'text');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'listing flow runs');
  IF p_status IS NOT NULL AND p_status NOT IN ('pending', 'running', 'sleeping', 'waiting',
                                               'blocked', 'completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow run status',
      DETAIL = pg_catalog.format('%L is not a run status', p_status),
      HINT = 'pending, running, sleeping, waiting, blocked, completed, failed or cancelled';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid limit',
      DETAIL = pg_catalog.format('p_limit must be 1 to 1000, not %s', p_limit),
      HINT = 'page with smaller limits';
  END IF;
  v_after := internal.read_cursor('api.list_flow_runs', v_filters, p_cursor);
  RETURN QUERY
  SELECT r.run_id, r.flow_name, r.flow_version, r.status, r.next_position, r.parent_run_id,
         r.trace_id, r.error, r.created_at, r.finished_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY r.created_at DESC, r.run_id DESC)
                   = p_limit  -- a full page: its last row carries the next page's cursor
              THEN internal.make_cursor('api.list_flow_runs', v_filters,
                     pg_catalog.jsonb_build_object('at', r.created_at, 'id', r.run_id)) END
  FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id()
    AND (p_status IS NULL OR r.status = p_status)
    AND (p_flow_name IS NULL OR r.flow_name = p_flow_name)
    AND (v_after IS NULL OR (r.created_at, r.run_id)
                            < ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid))
  ORDER BY r.created_at DESC, r.run_id DESC
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_flow_runs(p_status text, p_flow_name text, p_limit integer, p_cursor text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_flow_runs(p_status text, p_flow_name text, p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_flow_runs(p_status text, p_flow_name text, p_limit integer, p_cursor text) IS 'This tenant''s flow runs, newest first (p_status => ''blocked'' lists the runs a person must look at); the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';

--
-- Name: list_flow_steps(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_flow_steps(p_run_id uuid) RETURNS TABLE("position" integer, name text, kind text, status text, input_hash text, output jsonb, error text, attempts integer, started_at timestamp with time zone, finished_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'flow:read',
                                'reading flow steps');
  IF NOT EXISTS (SELECT 1 FROM flow.runs AS r
                 WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'flow run not found',
      DETAIL = pg_catalog.format('no flow run %s in this tenant', p_run_id),
      HINT = 'api.list_flow_runs lists this tenant''s runs';
  END IF;
  RETURN QUERY
  SELECT s.position, s.name, s.kind, s.status, s.input_hash, s.output, s.error, s.attempts,
         s.started_at, s.finished_at
  FROM flow.steps AS s
  WHERE s.tenant_id = internal.current_tenant_id() AND s.run_id = p_run_id
  ORDER BY s.position;
END
$$;

ALTER FUNCTION api.list_flow_steps(p_run_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION list_flow_steps(p_run_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_flow_steps(p_run_id uuid) IS 'The recorded steps (checkpoints) of a flow run, by position, with outputs and errors.';

--
-- Name: list_jobs(text, text, integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_jobs(p_state text DEFAULT NULL::text, p_queue text DEFAULT NULL::text, p_limit integer DEFAULT 100, p_cursor text DEFAULT NULL::text) RETURNS TABLE(job_id uuid, queue text, kind text, state text, attempts integer, max_attempts integer, run_at timestamp with time zone, last_error text, enqueued_at timestamp with time zone, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_filters jsonb := pg_catalog.jsonb_build_object('state', p_state, 'queue', p_queue);
  v_after jsonb;
BEGIN
  PERFORM internal.require_size('p_state', p_state, 'name'),
          internal.require_size('p_queue', p_queue, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'queue:read',
                                'listing jobs');
  IF p_state IS NOT NULL AND p_state NOT IN ('scheduled', 'available', 'running', 'dead') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job state',
      DETAIL = pg_catalog.format('%L is not a state of a waiting, running or dead job', p_state),
      HINT = 'scheduled, available, running or dead; finished jobs: api.get_job';
  END IF;
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_jobs', v_filters, p_cursor);
  RETURN QUERY
  SELECT j.job_id, j.queue::text, j.kind::text, j.state, j.attempts, j.max_attempts, j.run_at,
         j.errors -> -1 ->> 'error', j.enqueued_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY j.enqueued_at DESC, j.job_id DESC)
                   = p_limit  -- a full page: its last row carries the next page's cursor
              THEN internal.make_cursor('api.list_jobs', v_filters, pg_catalog.jsonb_build_object(
                     'at', j.enqueued_at, 'id', j.job_id)) END
  FROM queue.jobs AS j
  WHERE j.tenant_id = internal.current_tenant_id()
    AND (p_state IS NULL OR j.state = p_state) AND (p_queue IS NULL OR j.queue = p_queue)
    AND (v_after IS NULL OR (j.enqueued_at, j.job_id)
                            < ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid))
  ORDER BY j.enqueued_at DESC, j.job_id DESC
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_jobs(p_state text, p_queue text, p_limit integer, p_cursor text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_jobs(p_state text, p_queue text, p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_jobs(p_state text, p_queue text, p_limit integer, p_cursor text) IS 'This tenant''s waiting, running and dead jobs, newest first (p_state => ''dead'' lists the dead letters); the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';

--
-- Name: list_jwt_issuers(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_jwt_issuers() RETURNS TABLE(jwt_issuer_id uuid, issuer text, audience text, max_skew_seconds integer, jwks_url text, kids text[], subjects bigint, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'members:read', 'listing JWT issuers');
  RETURN QUERY
  SELECT i.jwt_issuer_id, i.issuer, i.audience, i.max_skew_seconds, i.jwks_url,
         coalesce((SELECT pg_catalog.array_agg(k.kid ORDER BY k.kid) FROM tenancy.jwt_keys AS k
                   WHERE k.tenant_id = i.tenant_id AND k.jwt_issuer_id = i.jwt_issuer_id), '{}'),
         (SELECT count(*) FROM tenancy.jwt_subjects AS s
          WHERE s.tenant_id = i.tenant_id AND s.jwt_issuer_id = i.jwt_issuer_id),
         i.created_at
  FROM tenancy.jwt_issuers AS i
  ORDER BY i.created_at, i.jwt_issuer_id;
END
$$;

ALTER FUNCTION api.list_jwt_issuers() OWNER TO claw_owner;

--
-- Name: FUNCTION list_jwt_issuers(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_jwt_issuers() IS 'Owner/admin: the identity providers this tenant accepts tokens of (issuer, audience, skew, kids, linked subjects).';

--
-- Name: list_link_types(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_link_types() RETURNS TABLE(link_type_id uuid, name text, from_type text, to_type text, cardinality text, description text, live_links bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing link types');
  RETURN QUERY
  SELECT lt.link_type_id, lt.name, f.name, t.name, lt.cardinality, lt.description,
         (SELECT pg_catalog.count(*) FROM ontology.links AS l
          WHERE l.tenant_id = lt.tenant_id AND l.link_type_id = lt.link_type_id
            AND l.deleted_at IS NULL)
  FROM ontology.link_types AS lt
  JOIN ontology.object_types AS f ON f.tenant_id = lt.tenant_id AND f.type_id = lt.from_type_id
  JOIN ontology.object_types AS t ON t.tenant_id = lt.tenant_id AND t.type_id = lt.to_type_id
  WHERE lt.tenant_id = internal.current_tenant_id()
  ORDER BY lt.name;
END
$$;

ALTER FUNCTION api.list_link_types() OWNER TO claw_owner;

--
-- Name: FUNCTION list_link_types(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_link_types() IS 'This tenant''s link types: ends, cardinality, description and number of live links.';

--
-- Name: list_links(uuid, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_links(p_object_id uuid, p_link_type text DEFAULT NULL::text) RETURNS TABLE(link_id uuid, link_type text, direction text, from_object_id uuid, to_object_id uuid, other_object_id uuid, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
BEGIN
  PERFORM internal.require_size('p_link_type', p_link_type, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing links');
  IF NOT EXISTS (SELECT FROM ontology.objects AS o
                 WHERE o.tenant_id = v_tenant AND o.object_id = p_object_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
      DETAIL = pg_catalog.format('no object %s in this tenant', p_object_id),
      HINT = 'api.list_objects_by_type lists a type''s objects';
  END IF;
  IF p_link_type IS NOT NULL THEN
    PERFORM ontology.find_link_type(p_link_type);
  END IF;
  RETURN QUERY
  SELECT l.link_id, lt.name, CASE WHEN l.from_object_id = p_object_id THEN 'out' ELSE 'in' END,
         l.from_object_id, l.to_object_id,
         CASE WHEN l.from_object_id = p_object_id THEN l.to_object_id ELSE l.from_object_id END,
         l.created_at
  FROM ontology.links AS l
  JOIN ontology.link_types AS lt ON lt.tenant_id = l.tenant_id AND lt.link_type_id = l.link_type_id
  WHERE l.tenant_id = v_tenant AND l.deleted_at IS NULL
    AND (l.from_object_id = p_object_id OR l.to_object_id = p_object_id)
    AND (p_link_type IS NULL OR lt.name = p_link_type)
  ORDER BY lt.name, l.link_id;
END
$$;

ALTER FUNCTION api.list_links(p_object_id uuid, p_link_type text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_links(p_object_id uuid, p_link_type text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_links(p_object_id uuid, p_link_type text) IS 'The live links of an object, both directions (out: from it, in: to it), optionally of one link type.';

--
-- Name: list_llm_budgets(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_llm_budgets() RETURNS TABLE(budget_id uuid, scope text, principal_id uuid, task text, period text, limit_usd numeric, window_start date, starts_at timestamp with time zone, ends_at timestamp with time zone, spent_usd numeric, reserved_usd numeric, remaining_usd numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing LLM budgets');
  v_tenant := internal.current_tenant_id();
  RETURN QUERY
  SELECT b.budget_id, b.scope, b.principal_id, b.task, b.period, b.limit_usd, w.window_start,
         w.starts_at, w.ends_at, coalesce(x.spent_usd, 0), coalesce(x.reserved_usd, 0),
         -- what other windows over the same hours hold (a time-zone change) counts too
         b.limit_usd - coalesce(x.spent_usd, 0) - coalesce(x.reserved_usd, 0) - o.other_usd
  FROM llm.budgets AS b
  CROSS JOIN LATERAL llm.window_for(b.period, internal.now(), llm.tenant_zone(v_tenant)) AS w
  CROSS JOIN LATERAL llm.overlapping(v_tenant, b.budget_id, w.window_start, w.starts_at,
                                     w.ends_at) AS o
  LEFT JOIN llm.budget_windows AS x
    ON x.tenant_id = b.tenant_id AND x.budget_id = b.budget_id AND x.window_start = w.window_start
  WHERE b.tenant_id = v_tenant
  ORDER BY b.scope, b.period, b.budget_id;
END
$$;

ALTER FUNCTION api.list_llm_budgets() OWNER TO claw_owner;

--
-- Name: FUNCTION list_llm_budgets(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_llm_budgets() IS 'The tenant''s LLM budgets with the current local window: spent, reserved, remaining (USD).';

--
-- Name: list_llm_calls(text, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_llm_calls(p_task text DEFAULT NULL::text, p_limit integer DEFAULT 100) RETURNS TABLE(call_id uuid, reservation_id uuid, attempt integer, occurred_at timestamp with time zone, principal_id uuid, task text, flow_run_id uuid, flow_step integer, provider text, model text, route_position integer, input_tokens integer, output_tokens integer, cached_tokens integer, cost_usd numeric, price_valid_from timestamp with time zone, latency_ms integer, outcome text, http_status integer, error text, trace_id text, context jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_task', p_task, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'reading the LLM ledger');
  PERFORM internal.require_limit(p_limit, 1000);
  RETURN QUERY
  SELECT c.call_id, c.reservation_id, c.attempt, c.occurred_at, c.principal_id, c.task,
         c.flow_run_id, c.flow_step, c.provider, c.model, c.route_position, c.input_tokens,
         c.output_tokens, c.cached_tokens, c.cost_usd, c.price_valid_from, c.latency_ms,
         c.outcome, c.http_status, c.error, c.trace_id, c.context
  FROM llm.calls AS c
  WHERE c.tenant_id = internal.current_tenant_id() AND (p_task IS NULL OR c.task = p_task)
  ORDER BY c.occurred_at DESC, c.call_id DESC
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_llm_calls(p_task text, p_limit integer) OWNER TO claw_owner;

--
-- Name: FUNCTION list_llm_calls(p_task text, p_limit integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_llm_calls(p_task text, p_limit integer) IS 'The tenant''s LLM usage ledger, newest first (optionally one task; at most 1000 rows).';

--
-- Name: list_llm_eval_runs(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_llm_eval_runs(p_suite text DEFAULT NULL::text) RETURNS TABLE(eval_run_id uuid, suite text, task text, cases integer, passed integer, score numeric, baseline_score numeric, regressed boolean, cost_usd numeric, accepted_at timestamp with time zone, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_suite', p_suite, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing eval runs');
  RETURN QUERY
  SELECT e.eval_run_id, e.suite, e.task, e.cases, e.passed, e.score, e.baseline_score,
         e.regressed, e.cost_usd, e.accepted_at, e.created_at
  FROM llm.eval_runs AS e
  WHERE e.tenant_id = internal.current_tenant_id() AND (p_suite IS NULL OR e.suite = p_suite)
  ORDER BY e.created_at DESC, e.eval_run_id DESC LIMIT 100;
END
$$;

ALTER FUNCTION api.list_llm_eval_runs(p_suite text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_llm_eval_runs(p_suite text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_llm_eval_runs(p_suite text) IS 'Eval runs of a suite (or all), newest first, with score, baseline score, regression flag.';

--
-- Name: list_llm_models(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_llm_models() RETURNS TABLE(model text, provider text, tokenizer text, context_window integer, max_output_tokens integer, input_usd_per_mtok numeric, cached_input_usd_per_mtok numeric, output_usd_per_mtok numeric, price_valid_from timestamp with time zone, breaker text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing LLM models');
  RETURN QUERY
  SELECT m.model, m.provider, m.tokenizer, m.context_window, m.max_output_tokens,
         p.input_usd_per_mtok, p.cached_input_usd_per_mtok, p.output_usd_per_mtok,
         p.valid_from, coalesce(b.state, 'closed')
  FROM internal.llm_models AS m
  LEFT JOIN LATERAL llm.price_at(m.model, internal.now()) AS p ON true
  LEFT JOIN llm.breakers AS b
    ON b.tenant_id = internal.current_tenant_id() AND b.provider = m.provider
  ORDER BY m.provider, m.model;
END
$$;

ALTER FUNCTION api.list_llm_models() OWNER TO claw_owner;

--
-- Name: FUNCTION list_llm_models(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_llm_models() IS 'The LLM model catalogue: provider, tokenizer, limits, the price in force, this tenant''s breaker state.';

--
-- Name: list_llm_routes(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_llm_routes() RETURNS TABLE(task text, models text[], fallback_on text[], max_attempts integer, backoff_ms integer, timeout_ms integer, max_output_tokens integer, cache_ttl_seconds integer, output_schema jsonb, max_repairs integer, version integer, updated_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'listing LLM routes');
  RETURN QUERY SELECT r.task, r.models, r.fallback_on, r.max_attempts, r.backoff_ms,
                      r.timeout_ms, r.max_output_tokens, r.cache_ttl_seconds, r.output_schema,
                      r.max_repairs, r.version, r.updated_at
  FROM llm.routes AS r WHERE r.tenant_id = internal.current_tenant_id() ORDER BY r.task;
END
$$;

ALTER FUNCTION api.list_llm_routes() OWNER TO claw_owner;

--
-- Name: FUNCTION list_llm_routes(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_llm_routes() IS 'The tenant''s LLM routes, one per task.';

--
-- Name: list_object_tuples(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_object_tuples(p_object text) RETURNS TABLE(tuple text, expires_at timestamp with time zone, expired boolean, revision bigint, created_by uuid, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_o record;
  v_now timestamptz := internal.now();
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name');
  PERFORM internal.require_role('{owner,admin,operator}', 'authz:read', 'listing tuples');
  v_o := authz.parse_object(p_object);
  RETURN QUERY
  SELECT authz.format_tuple(t.object_type, t.object_id, t.relation, t.subject_type,
                            t.subject_id, t.subject_relation),
         t.expires_at, t.expires_at IS NOT NULL AND t.expires_at <= v_now, t.revision,
         t.created_by, t.created_at
  FROM authz.tuples AS t
  WHERE t.tenant_id = internal.current_tenant_id()
    AND ((t.object_type = v_o.object_type AND t.object_id = v_o.object_id)
      OR (t.subject_type = v_o.object_type AND t.subject_id = v_o.object_id))
  ORDER BY 1;
END
$$;

ALTER FUNCTION api.list_object_tuples(p_object text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_object_tuples(p_object text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_object_tuples(p_object text) IS 'The relationship tuples that name an object (as object or as subject), expired ones flagged.';

--
-- Name: list_object_types(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_object_types() RETURNS TABLE(type_id uuid, name text, description text, version integer, properties integer, live_objects bigint, updated_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing object types');
  RETURN QUERY
  SELECT t.type_id, t.name, t.description, t.version,
         (SELECT pg_catalog.count(*)::integer FROM ontology.properties AS p
          WHERE p.tenant_id = t.tenant_id AND p.type_id = t.type_id),
         (SELECT pg_catalog.count(*) FROM ontology.objects AS o
          WHERE o.tenant_id = t.tenant_id AND o.type_id = t.type_id AND o.deleted_at IS NULL),
         t.updated_at
  FROM ontology.object_types AS t
  WHERE t.tenant_id = internal.current_tenant_id()
  ORDER BY t.name;
END
$$;

ALTER FUNCTION api.list_object_types() OWNER TO claw_owner;

--
-- Name: FUNCTION list_object_types(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_object_types() IS 'This tenant''s object types with version, number of properties and live objects.';

--
-- Name: list_objects_by_type(text, integer, uuid, boolean, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_objects_by_type(p_type text, p_limit integer DEFAULT 100, p_after uuid DEFAULT NULL::uuid, p_include_deleted boolean DEFAULT false, p_cursor text DEFAULT NULL::text) RETURNS TABLE(object_id uuid, version integer, properties jsonb, created_at timestamp with time zone, updated_at timestamp with time zone, deleted_at timestamp with time zone, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_type ontology.object_types;
  v_filters jsonb;
  v_after uuid := p_after;
BEGIN
  PERFORM internal.require_size('p_type', p_type, 'name'),
          internal.require_size('p_cursor', p_cursor, 'text');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing objects');
  PERFORM internal.require_limit(p_limit, 1000);
  IF p_after IS NOT NULL AND p_cursor IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'p_after and p_cursor both give a position',
      HINT = 'pass the cursor of the previous page, or the last object id, not both';
  END IF;
  v_type := ontology.find_type(p_type);
  v_filters := pg_catalog.jsonb_build_object('type_id', v_type.type_id,
                                             'include_deleted', coalesce(p_include_deleted, false));
  IF p_cursor IS NOT NULL THEN
    v_after := (internal.read_cursor('api.list_objects_by_type', v_filters, p_cursor) ->> 'id')::uuid;
  END IF;
  RETURN QUERY
  SELECT o.object_id, o.version, o.properties, o.created_at, o.updated_at, o.deleted_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY o.object_id) = p_limit
              -- a full page: its last row carries the next page's cursor
              THEN internal.make_cursor('api.list_objects_by_type', v_filters,
                                        pg_catalog.jsonb_build_object('id', o.object_id)) END
  FROM ontology.objects AS o
  WHERE o.tenant_id = v_type.tenant_id AND o.type_id = v_type.type_id
    AND (v_after IS NULL OR o.object_id > v_after)
    AND (p_include_deleted OR o.deleted_at IS NULL)
  ORDER BY o.object_id
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_objects_by_type(p_type text, p_limit integer, p_after uuid, p_include_deleted boolean, p_cursor text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_objects_by_type(p_type text, p_limit integer, p_after uuid, p_include_deleted boolean, p_cursor text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_objects_by_type(p_type text, p_limit integer, p_after uuid, p_include_deleted boolean, p_cursor text) IS 'A type''s objects in creation order, p_limit per page; the last row of a full page carries the cursor to pass as p_cursor for the next one (or pass p_after, the last id of the previous page); deleted objects only with p_include_deleted => true.';

--
-- Name: list_permitted_objects(text, text, text, integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_permitted_objects(p_object_type text, p_relation text, p_subject text DEFAULT NULL::text, p_limit integer DEFAULT 1000, p_consistency_token text DEFAULT NULL::text) RETURNS TABLE(object text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_q record;
BEGIN
  PERFORM internal.require_size('p_object_type', p_object_type, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_q FROM authz.asker(p_subject, 'listing permitted objects', true, p_limit);
  RETURN QUERY
  SELECT p_object_type || ':' || o
  FROM authz.list_objects(v_q.tenant_id, p_object_type, p_relation, v_q.subject,
                          p_limit, p_consistency_token) AS o;
END
$$;

ALTER FUNCTION api.list_permitted_objects(p_object_type text, p_relation text, p_subject text, p_limit integer, p_consistency_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_permitted_objects(p_object_type text, p_relation text, p_subject text, p_limit integer, p_consistency_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_permitted_objects(p_object_type text, p_relation text, p_subject text, p_limit integer, p_consistency_token text) IS 'The objects of a type whose relation includes the subject (default: the caller).';

--
-- Name: list_permitted_subjects(text, text, text, integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer DEFAULT 1000, p_consistency_token text DEFAULT NULL::text) RETURNS TABLE(subject text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_object', p_object, 'name'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject_type', p_subject_type, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'authz:read',
                                'listing permitted subjects');
  PERFORM internal.require_limit(p_limit, 10000);
  RETURN QUERY
  SELECT p_subject_type || ':' || s
  FROM authz.list_subjects(internal.current_tenant_id(), p_object, p_relation,
                           p_subject_type, p_limit, p_consistency_token) AS s;
END
$$;

ALTER FUNCTION api.list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer, p_consistency_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer, p_consistency_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer, p_consistency_token text) IS 'The subjects of a type that are in object#relation.';

--
-- Name: list_principals(integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_principals(p_limit integer DEFAULT 100, p_cursor text DEFAULT NULL::text) RETURNS TABLE(principal_id uuid, kind text, handle text, display_name text, roles text[], disabled_at timestamp with time zone, created_at timestamp with time zone, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_after jsonb;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'members:read',
                                'listing principals');
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_principals', '{}', p_cursor);
  RETURN QUERY
  SELECT p.principal_id, p.kind, p.handle, p.display_name,
         coalesce((SELECT pg_catalog.array_agg(m.role ORDER BY m.role) FROM tenancy.memberships AS m
                   WHERE m.tenant_id = p.tenant_id AND m.principal_id = p.principal_id),
                  '{}'::text[]),
         p.disabled_at, p.created_at,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY p.created_at, p.principal_id) = p_limit
              THEN internal.make_cursor('api.list_principals', '{}', pg_catalog.jsonb_build_object(
                     'at', p.created_at, 'id', p.principal_id)) END
  FROM tenancy.principals AS p
  WHERE v_after IS NULL OR (p.created_at, p.principal_id)
                           > ((v_after ->> 'at')::timestamptz, (v_after ->> 'id')::uuid)
  ORDER BY p.created_at, p.principal_id
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_principals(p_limit integer, p_cursor text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_principals(p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_principals(p_limit integer, p_cursor text) IS 'The principals of this tenant with their roles, oldest first, p_limit (1..1000) at a time; the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';

--
-- Name: list_schedules(integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_schedules(p_limit integer DEFAULT 100, p_cursor text DEFAULT NULL::text) RETURNS TABLE(schedule_id uuid, name text, cron text, time_zone text, queue text, kind text, catch_up boolean, paused boolean, next_fire_at timestamp with time zone, last_fired_at timestamp with time zone, last_error jsonb, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_after jsonb;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'queue:read',
                                'listing schedules');
  PERFORM internal.require_limit(p_limit, 1000);
  PERFORM internal.require_size('p_cursor', p_cursor, 'text');
  v_after := internal.read_cursor('api.list_schedules', '{}', p_cursor);
  RETURN QUERY
  SELECT s.schedule_id, s.name, s.cron, s.time_zone, s.queue, s.kind, s.catch_up, s.paused,
         s.next_fire_at, s.last_fired_at, s.last_error,
         CASE WHEN pg_catalog.row_number() OVER (ORDER BY s.name) = p_limit
              THEN internal.make_cursor('api.list_schedules', '{}',
                                        pg_catalog.jsonb_build_object('name', s.name)) END
  FROM queue.schedules AS s
  WHERE s.tenant_id = internal.current_tenant_id()
    AND (v_after IS NULL OR s.name > v_after ->> 'name')
  ORDER BY s.name
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.list_schedules(p_limit integer, p_cursor text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_schedules(p_limit integer, p_cursor text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_schedules(p_limit integer, p_cursor text) IS 'This tenant''s schedules by name, with next and last fire and the error that paused one (last_error: sqlstate, message, detail, hint, fire_at, at), p_limit (1..1000) at a time; the last row of a full page carries the cursor to pass as p_cursor for the next one (NULL on the other rows).';

--
-- Name: list_tools(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_tools(p_side_effect text DEFAULT NULL::text) RETURNS TABLE(tool_id uuid, name text, description text, input_schema jsonb, side_effect text, blast_radius text, max_objects integer, reversible boolean, enabled boolean, version integer, updated_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_side_effect', p_side_effect, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'listing tools');
  IF p_side_effect IS NOT NULL AND p_side_effect NOT IN ('read', 'write', 'external', 'financial') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid side effect',
      DETAIL = pg_catalog.format('%L is not a side effect', p_side_effect),
      HINT = 'read, write, external or financial';
  END IF;
  RETURN QUERY
  SELECT x.tool_id, x.name, x.description, x.input_schema, x.side_effect, x.blast_radius,
         x.max_objects, x.reversible, x.enabled, x.version, x.updated_at
  FROM ontology.tools AS x
  WHERE x.tenant_id = internal.current_tenant_id()
    AND (p_side_effect IS NULL OR x.side_effect = p_side_effect)
  ORDER BY x.name;
END
$$;

ALTER FUNCTION api.list_tools(p_side_effect text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_tools(p_side_effect text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_tools(p_side_effect text) IS 'This tenant''s tool catalog: input schema, side effect, blast radius, max objects, reversible, enabled, version; p_side_effect filters.';

--
-- Name: list_type_versions(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.list_type_versions(p_name text) RETURNS TABLE(version integer, definition jsonb, changed_by uuid, changed_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v ontology.object_types;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                'reading object type versions');
  v := ontology.find_type(p_name);
  RETURN QUERY
  SELECT h.version, h.definition, h.changed_by, h.changed_at
  FROM ontology.type_versions AS h
  WHERE h.tenant_id = v.tenant_id AND h.type_id = v.type_id
  ORDER BY h.version;
END
$$;

ALTER FUNCTION api.list_type_versions(p_name text) OWNER TO claw_owner;

--
-- Name: FUNCTION list_type_versions(p_name text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.list_type_versions(p_name text) IS 'The history of an object type''s definition: one row per version with the whole definition, who changed it and when.';

--
-- Name: llm_usage(date, date); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.llm_usage(p_from date, p_to date) RETURNS TABLE(day date, task text, model text, calls bigint, failed bigint, cache_hits bigint, input_tokens bigint, output_tokens bigint, cached_tokens bigint, cost_usd numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid;
  v_zone text;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer,worker}', 'llm:read',
                                'reading LLM usage');
  -- the bounds first: p_to - p_from raised 22008 for an infinite date, and the day after the
  -- last representable date is out of range (OR is evaluated left to right, stopping at true)
  IF p_from IS NULL OR p_to IS NULL
     OR NOT (p_from BETWEEN '0001-01-01'::date AND '9999-12-31'::date)
     OR NOT (p_to BETWEEN '0001-01-01'::date AND '9999-12-31'::date)
     OR p_to < p_from OR p_to - p_from > 366 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid date range',
      DETAIL = pg_catalog.format('%s to %s', p_from, p_to),
      HINT = 'from <= to, at most 366 days apart, years 1 to 9999';
  END IF;
  v_tenant := internal.current_tenant_id();
  v_zone := llm.tenant_zone(v_tenant);
  RETURN QUERY
  SELECT (c.occurred_at AT TIME ZONE v_zone)::date, c.task, c.model, count(*),
         count(*) FILTER (WHERE c.outcome NOT IN ('ok', 'cache_hit')),
         count(*) FILTER (WHERE c.outcome = 'cache_hit'),
         sum(c.input_tokens)::bigint, sum(c.output_tokens)::bigint, sum(c.cached_tokens)::bigint,
         sum(c.cost_usd)
  FROM llm.calls AS c
  WHERE c.tenant_id = v_tenant
    AND c.occurred_at >= p_from::timestamp AT TIME ZONE v_zone
    AND c.occurred_at < (p_to + 1)::timestamp AT TIME ZONE v_zone
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;
END
$$;

ALTER FUNCTION api.llm_usage(p_from date, p_to date) OWNER TO claw_owner;

--
-- Name: FUNCTION llm_usage(p_from date, p_to date); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.llm_usage(p_from date, p_to date) IS 'The tenant''s LLM usage by local day, task and model: calls, failures, cache hits, tokens, cost (USD). Dates are in the tenant''s time zone, inclusive, at most 366 days.';

--
-- Name: maintain_queue(integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.maintain_queue(p_retention_days integer DEFAULT 14) RETURNS text[]
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT queue.maintain_history(p_retention_days) $$;

ALTER FUNCTION api.maintain_queue(p_retention_days integer) OWNER TO claw_owner;

--
-- Name: FUNCTION maintain_queue(p_retention_days integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.maintain_queue(p_retention_days integer) IS 'Worker: create job history partitions ahead and drop those past retention (days).';

--
-- Name: mark_flow_effect_sent(uuid, uuid, uuid, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.mark_effect_sent(p_run_id, p_job_id, p_lease_token, p_position) $$;

ALTER FUNCTION api.mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) OWNER TO claw_owner;

--
-- Name: FUNCTION mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) IS 'Worker: mark an effect sent (commit this just before calling the provider); returns how many sends so far.';

--
-- Name: mark_flow_effect_unknown(uuid, uuid, uuid, integer, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.effect_unknown(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_note', p_note, 'text')) $$;

ALTER FUNCTION api.mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) OWNER TO claw_owner;

--
-- Name: FUNCTION mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) IS 'Worker: reconciliation could not tell whether a sent effect was delivered; the run is blocked until a person resolves it.';

--
-- Name: purge_events(integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.purge_events(p_retention_days integer DEFAULT 7) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT events.purge(pg_catalog.make_interval(days => p_retention_days)) $$;

ALTER FUNCTION api.purge_events(p_retention_days integer) OWNER TO claw_owner;

--
-- Name: FUNCTION purge_events(p_retention_days integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.purge_events(p_retention_days integer) IS 'Worker: delete outbox events older than the retention (days, default 7); readers further behind get CL409 and start again.';

--
-- Name: purge_flow_runs(integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.purge_flow_runs(p_days integer DEFAULT 30) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'flow:write', 'purging flow runs');
  RETURN flow.purge(p_days);
END
$$;

ALTER FUNCTION api.purge_flow_runs(p_days integer) OWNER TO claw_owner;

--
-- Name: FUNCTION purge_flow_runs(p_days integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.purge_flow_runs(p_days integer) IS 'Retention: delete this tenant''s flow runs finished more than p_days days ago (and their steps, timers, signals and effects); returns how many.';

--
-- Name: purge_idempotency_keys(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.purge_idempotency_keys() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT edge.purge_idempotency_keys() $$;

ALTER FUNCTION api.purge_idempotency_keys() OWNER TO claw_owner;

--
-- Name: FUNCTION purge_idempotency_keys(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.purge_idempotency_keys() IS 'Worker: delete expired idempotency keys (older than 24 hours) in every tenant.';

--
-- Name: read_events(text, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.read_events(p_after text DEFAULT NULL::text, p_limit integer DEFAULT 100) RETURNS TABLE(event_id text, event_type text, subject_id text, data jsonb, trace_id text, occurred_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid;
  v_after record;
  v_purged record;
BEGIN
  PERFORM internal.require_size('p_after', p_after, 'name');
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'reading events');
  PERFORM internal.require_limit(p_limit, 1000);
  v_tenant := internal.current_tenant_id();
  SELECT * INTO v_after FROM events.parse_position(p_after);
  SELECT p.purged_xact_id, p.purged_event_id INTO v_purged
  FROM events.purges AS p WHERE p.tenant_id = v_tenant;
  -- From NULL a reader gets everything still kept (retention deletes by age, so an event
  -- below the purge mark may survive it); resuming from below the mark is refused.
  IF FOUND AND p_after IS NOT NULL
     AND (v_after.xact_id, v_after.event_id)
         < (v_purged.purged_xact_id, v_purged.purged_event_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'events are gone',
      DETAIL = pg_catalog.format('events after %s were deleted by retention (up to %s)',
                                 p_after, events.format_position(v_purged.purged_xact_id,
                                                                 v_purged.purged_event_id)),
      HINT = 'start again from api.current_event_position() and reload current state';
  END IF;
  RETURN QUERY
  SELECT events.format_position(o.xact_id, o.event_id), o.event_type, o.subject_id, o.data,
         o.trace_id, o.occurred_at
  FROM events.outbox AS o
  WHERE o.tenant_id = v_tenant
    AND (v_after.xact_id IS NULL OR (o.xact_id, o.event_id) > (v_after.xact_id, v_after.event_id))
    AND o.xact_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
  ORDER BY o.xact_id, o.event_id
  LIMIT p_limit;
END
$$;

ALTER FUNCTION api.read_events(p_after text, p_limit integer) OWNER TO claw_owner;

--
-- Name: FUNCTION read_events(p_after text, p_limit integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.read_events(p_after text, p_limit integer) IS 'This tenant''s events after a position (the last event_id received; NULL: the oldest kept), in delivery order; resuming loses nothing and repeats nothing. CL409 when retention deleted events after the position. Wake on LISTEN claw_events.';

--
-- Name: record_flow_step(uuid, uuid, uuid, integer, text, text, jsonb, text, timestamp with time zone); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text DEFAULT 'step'::text, p_started_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.record_step(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_output', p_output, 'json'), internal.require_size('p_kind', p_kind, 'name'), p_started_at) $$;

ALTER FUNCTION api.record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: FUNCTION record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone) IS 'Worker: checkpoint a completed step, once (a second write is 23505); only while holding the run''s lease (CL409 otherwise). Returns running or cancelled.';

--
-- Name: record_llm_eval_run(text, text, numeric, jsonb, numeric); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric DEFAULT 0) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_tenant uuid;
  v_run llm.eval_runs;
  v_base llm.eval_runs;
  v_cases integer;
  v_passed integer;
  v_score numeric;
BEGIN
  PERFORM internal.require_size('p_suite', p_suite, 'name'),
          internal.require_size('p_task', p_task, 'name'),
          internal.require_size('p_results', p_results, 'batch');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'llm:call', 'recording an eval run');
  v_tenant := internal.current_tenant_id();
  IF p_suite IS NULL OR p_suite !~ '^[a-z][a-z0-9_.-]{0,62}$' OR p_task IS NULL
     OR p_threshold IS NULL OR p_threshold NOT BETWEEN 0 AND 1
     OR p_cost_usd < 0 OR p_cost_usd >= 1000000000  -- NaN sorts above every number
     OR p_results IS NULL OR pg_catalog.jsonb_typeof(p_results) <> 'array'
     OR pg_catalog.jsonb_array_length(p_results) = 0
     -- each result checked by its JSON types before any cast (a text score raised 22P02, a
     -- non-object 22023, an empty or long case_id the table's check, 23514)
     OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(p_results) AS e(j)
                WHERE pg_catalog.jsonb_typeof(e.j) <> 'object'
                   OR pg_catalog.jsonb_typeof(e.j -> 'case_id') NOT IN ('string', 'number')
                   OR pg_catalog.length(e.j ->> 'case_id') NOT BETWEEN 1 AND 200
                   OR pg_catalog.jsonb_typeof(e.j -> 'score') IS DISTINCT FROM 'number'
                   OR (e.j ->> 'score')::numeric NOT BETWEEN 0 AND 1
                   OR pg_catalog.jsonb_typeof(e.j -> 'passed') IS DISTINCT FROM 'boolean'
                   OR pg_catalog.jsonb_typeof(e.j -> 'scorer') IS DISTINCT FROM 'string'
                   OR (e.j ->> 'scorer') NOT IN ('exact', 'json_schema', 'contains', 'numeric',
                                                 'judge')) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid eval run',
      DETAIL = 'a suite name, a task, a threshold in 0..1, a cost from 0 below 10^9 USD and a '
               'non-empty array of result objects {case_id (1 to 200 characters), scorer '
               'exact|json_schema|contains|numeric|judge, score a number 0..1, passed a boolean}',
      HINT = 'see COMMENT ON FUNCTION api.record_llm_eval_run';
  END IF;
  SELECT count(*), count(*) FILTER (WHERE r.passed), avg(r.score)
    INTO v_cases, v_passed, v_score
  FROM pg_catalog.jsonb_to_recordset(p_results) AS r(score numeric, passed boolean);
  SELECT e.* INTO v_base FROM llm.eval_runs AS e
  WHERE e.tenant_id = v_tenant AND e.suite = p_suite AND e.accepted_at IS NOT NULL
  ORDER BY e.accepted_at DESC LIMIT 1;
  INSERT INTO llm.eval_runs (tenant_id, suite, task, cases, passed, score, threshold,
                             baseline_run_id, baseline_score, regressed, cost_usd, created_by,
                             created_at)
  VALUES (v_tenant, p_suite, p_task, v_cases, v_passed, round(v_score, 6), p_threshold,
          v_base.eval_run_id, v_base.score,
          coalesce(v_base.score - round(v_score, 6) > p_threshold, false),
          coalesce(p_cost_usd, 0), internal.current_principal_id(), internal.now())
  RETURNING * INTO v_run;
  INSERT INTO llm.eval_results (tenant_id, eval_run_id, case_id, scorer, score, passed, output,
                                detail)
  SELECT v_tenant, v_run.eval_run_id, r.case_id, r.scorer, round(r.score, 6), r.passed,
         pg_catalog.left(r.output, 10000), r.detail
  FROM pg_catalog.jsonb_to_recordset(p_results)
         AS r(case_id text, scorer text, score numeric, passed boolean, output text, detail jsonb);
  RETURN pg_catalog.jsonb_build_object(
    'eval_run_id', v_run.eval_run_id, 'score', v_run.score, 'passed', v_run.passed,
    'cases', v_run.cases, 'baseline_run_id', v_run.baseline_run_id,
    'baseline_score', v_run.baseline_score, 'regressed', v_run.regressed);
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid eval run',
    DETAIL = 'two results share a case_id', HINT = 'case ids are unique within a suite';
END
$_$;

ALTER FUNCTION api.record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric) OWNER TO claw_owner;

--
-- Name: FUNCTION record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric) IS 'Record an eval run of a suite: per-case results; returns its score, the last accepted baseline''s score and whether it regressed beyond the threshold. CL422 bad input.';

--
-- Name: release_jobs(uuid[], uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.release_jobs(p_job_ids uuid[], p_lease_token uuid) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT queue.release_jobs(p_job_ids, p_lease_token) $$;

ALTER FUNCTION api.release_jobs(p_job_ids uuid[], p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION release_jobs(p_job_ids uuid[], p_lease_token uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.release_jobs(p_job_ids uuid[], p_lease_token uuid) IS 'Worker: return held jobs to the queue untouched (graceful shutdown); returns how many.';

--
-- Name: resolve_flow_effect(uuid, integer, boolean, jsonb, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.resolve_flow_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb DEFAULT NULL::jsonb, p_note text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_response', p_response, 'json'),
          internal.require_size('p_note', p_note, 'text');
  PERFORM internal.require_role('{owner,admin,operator}', 'flow:write', 'resolving an effect');
  RETURN flow.resolve_effect(p_run_id, p_position, p_delivered, p_response, p_note);
END
$$;

ALTER FUNCTION api.resolve_flow_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text) OWNER TO claw_owner;

--
-- Name: FUNCTION resolve_flow_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.resolve_flow_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text) IS 'Resolve an effect whose outcome is unknown after reconciliation: delivered => reconciled, not delivered => sent again; the blocked run continues.';

--
-- Name: retry_job(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.retry_job(p_job_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_job queue.jobs;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'retrying a job');
  v_job := queue.require_job(p_job_id, 'retry');
  IF v_job.state <> 'dead' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'job is not dead',
      DETAIL = pg_catalog.format('job %s is %s; only dead jobs are retried', p_job_id, v_job.state),
      HINT = 'api.list_jobs(p_state => ''dead'') lists the dead letters';
  END IF;
  -- a new place in line, after the tenant's jobs waiting now: its old key would pull the
  -- head back, and every tenant's next key with it (queue.take_fair_keys)
  UPDATE queue.jobs AS j
  SET state = 'available', attempts = 0, run_at = internal.now(),
      fair_key = queue.take_fair_keys(v_job.tenant_id, v_job.queue, v_job.priority, 1)
  WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id;
  PERFORM pg_catalog.pg_notify('claw_queue', queue.notify_tag(v_job.queue));
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'a job with this unique key is waiting',
    DETAIL = pg_catalog.format('job %s has unique_key %L, which another waiting or running job '
                               'of this queue holds', p_job_id, v_job.unique_key),
    HINT = 'cancel the dead job instead';
END
$$;

ALTER FUNCTION api.retry_job(p_job_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION retry_job(p_job_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.retry_job(p_job_id uuid) IS 'Make a dead job available again (attempts reset, error history kept). CL409 unless dead.';

--
-- Name: revoke_api_key(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.revoke_api_key(p_api_key_id uuid) RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_revoked timestamptz;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'keys:write',
                                'revoking an API key');
  -- an owner's key is revoked by an owner or by its principal: an admin revoking every key
  -- of every owner locked all of them out (no one else could issue them a key)
  IF NOT internal.has_role('{owner}') AND EXISTS (
       SELECT 1 FROM tenancy.api_keys AS k
       JOIN tenancy.memberships AS m
         ON m.tenant_id = k.tenant_id AND m.principal_id = k.principal_id AND m.role = 'owner'
       WHERE k.tenant_id = internal.current_tenant_id() AND k.api_key_id = p_api_key_id
         AND k.principal_id IS DISTINCT FROM internal.current_principal_id()) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = 'revoking an owner''s API key needs an owner',
      HINT = 'ask an owner; an owner whose key leaked revokes it itself';
  END IF;
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
-- Name: role_safety_problems(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.role_safety_problems() RETURNS TABLE(role_name text, problem text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT p.role_name, p.problem FROM internal.role_safety_problems() AS p
$$;

ALTER FUNCTION api.role_safety_problems() OWNER TO claw_owner;

--
-- Name: FUNCTION role_safety_problems(); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.role_safety_problems() IS 'Why the runtime or worker role could escape Row-Level Security (superuser, BYPASSRLS, CREATEROLE, owner membership, owned objects); no rows means safe. For readiness probes.';

--
-- Name: search_documents(text, text, integer, text, text, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.search_documents(p_query text, p_embedding text DEFAULT NULL::text, p_limit integer DEFAULT 10, p_relation text DEFAULT 'viewer'::text, p_subject text DEFAULT NULL::text, p_mode text DEFAULT 'hybrid'::text, p_consistency_token text DEFAULT NULL::text) RETURNS TABLE(document_id uuid, object_id uuid, authz_object text, title text, body text, score double precision, vector_rank integer, text_rank integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "hnsw.iterative_scan" TO 'relaxed_order'
    SET "hnsw.ef_search" TO '100'
    SET "hnsw.max_scan_tuples" TO '5000'
    AS $$
DECLARE
  v_ctx record;
  v_s record;
  v_model jsonb;
  v_now timestamptz := internal.now();
  v_q extensions.vector;
  v_tsq tsquery;
  v_k integer;
  -- a reader who may read few objects: the objects a positive path from the subject reaches
  -- (NULL: too many to search exactly, the arms scan the tenant's indexes)
  v_few text[];
BEGIN
  PERFORM internal.require_size('p_query', p_query, 'text'),
          internal.require_size('p_embedding', p_embedding, 'text'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_mode', p_mode, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_ctx FROM internal.require_context('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                                'searching documents');
  PERFORM internal.require_limit(p_limit, 100);
  IF p_mode IS NULL OR p_mode NOT IN ('hybrid', 'vector', 'text') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid search mode',
      DETAIL = pg_catalog.format('mode %s', coalesce(p_mode, 'NULL')),
      HINT = 'hybrid, vector or text';
  END IF;
  IF p_relation IS NULL AND NOT coalesce(v_ctx.roles && '{owner,admin}'::text[], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = 'searching without a permission filter needs the role owner or admin',
      HINT = 'pass p_relation (default viewer)';
  END IF;
  -- which relation gates retrieval is the application's choice, not a reader's: an approver
  -- or viewer searching for itself is held to viewer (a looser relation would widen it)
  IF p_relation IS DISTINCT FROM 'viewer'
     AND NOT coalesce(v_ctx.roles && '{owner,admin,operator,worker}'::text[], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('searching by relation %s needs the role owner, admin or operator',
                                 coalesce(p_relation, 'NULL')),
      HINT = 'search by viewer';
  END IF;
  IF p_mode <> 'text' THEN
    v_q := ontology.parse_embedding(p_embedding);
  END IF;
  IF p_mode <> 'vector' THEN
    v_tsq := pg_catalog.websearch_to_tsquery('pg_catalog.english'::regconfig, coalesce(p_query, ''));
    -- A short query (up to three terms) matches any of its words, ranked by how many and how
    -- close, so the fusion gets partial matches; a longer one needs all of them (any of ten
    -- common words would match, and rank, most of the corpus; the vector arm carries recall
    -- there). A query with a negation keeps its meaning.
    IF pg_catalog.strpos(v_tsq::text, '!') = 0 AND coalesce(pg_catalog.array_length(
         pg_catalog.tsvector_to_array(pg_catalog.to_tsvector('pg_catalog.english'::regconfig,
                                                             coalesce(p_query, ''))), 1), 0) <= 3 THEN
      v_tsq := pg_catalog.replace(v_tsq::text, ' & ', ' | ')::tsquery;
    END IF;
  END IF;
  v_s := authz.parse_subject(authz.acting_subject(p_subject, 'searching documents',
                                                  v_ctx.principal_id, v_ctx.roles));
  v_model := authz.load_model(v_ctx.tenant_id);
  PERFORM authz.require_fresh(v_ctx.tenant_id, p_consistency_token);
  v_k := greatest(p_limit * 4, 40);  -- candidates per arm
  -- A reader who may read a small part of the tenant would make the HNSW scan decide
  -- candidate after candidate (up to hnsw.max_scan_tuples) and the text arm's bounded list
  -- miss them. Every object the subject holds p_relation on is among the nodes of that
  -- relation a positive path connects (authz.walk_up, as authz.list_objects), so when that
  -- walk is small (at most 4,000 nodes) and its objects hold at most 4,000 documents, both
  -- arms search exactly those documents. The walk only narrows the candidates: each is still
  -- decided by authz.permitted, as on the tenant-wide path. (Where the caps sit: with 100,000
  -- documents, a reader of 1,213 took 263 ms by the HNSW path and 21 ms by this one; one of
  -- 9,962 takes 110-135 ms by the HNSW path and 315 ms by this one. README, search bench.)
  IF p_relation IS NOT NULL THEN
    SELECT CASE WHEN count(*) <= 4000 THEN
             coalesce(pg_catalog.array_agg(DISTINCT w.node_type || ':' || w.node_id)
                        FILTER (WHERE w.node_relation = p_relation), '{}') END
      INTO v_few
    -- authz.walk_up is inlined here (a plain SQL function), so the LIMIT stops its
    -- recursion after 4,001 nodes (one node's tuples may still be read in one index scan);
    -- not inlined, it would walk everything first
    FROM (SELECT * FROM authz.walk_up(v_ctx.tenant_id, v_s.subject_type, v_s.subject_id,
                                      v_s.subject_relation, v_now)
          LIMIT 4001) AS w;
    IF (SELECT count(*) FROM (SELECT FROM ontology.documents AS d
                              WHERE d.tenant_id = v_ctx.tenant_id
                                AND d.authz_object = ANY (v_few)
                              LIMIT 4001) AS n) > 4000 THEN
      v_few := NULL;
    END IF;
  END IF;
  RETURN QUERY
  WITH few AS MATERIALIZED (  -- empty unless v_few; distance and text rank, not the vectors
    SELECT d.document_id, d.authz_object, d.embedding OPERATOR(extensions.<=>) v_q AS dist,
           CASE WHEN d.tsv @@ v_tsq THEN pg_catalog.ts_rank_cd(d.tsv, v_tsq) END AS r
    FROM pg_catalog.unnest(v_few) AS o (authz_object)
    JOIN ontology.documents AS d
      ON d.tenant_id = v_ctx.tenant_id AND d.authz_object = o.authz_object
  ), vec AS (
    SELECT c.document_id, row_number() OVER (ORDER BY c.dist, c.document_id)::integer AS rank
    FROM ((SELECT d.document_id, d.embedding OPERATOR(extensions.<=>) v_q AS dist
           FROM ontology.documents AS d
           WHERE p_mode <> 'text' AND v_few IS NULL AND d.tenant_id = v_ctx.tenant_id
             AND (p_relation IS NULL OR authz.permitted(
                    v_ctx.tenant_id, v_model, d.authz_object, p_relation, v_s.subject_type,
                    v_s.subject_id, v_s.subject_relation, v_now))
           ORDER BY d.embedding OPERATOR(extensions.<=>) v_q
           LIMIT v_k)
          UNION ALL
          -- nearest first, each decided only as it comes (OFFSET 0: the planner would
          -- otherwise decide every document of the set before sorting)
          (SELECT s.document_id, s.dist
           FROM (SELECT f.document_id, f.authz_object, f.dist
                 FROM few AS f
                 WHERE p_mode <> 'text'
                 ORDER BY 3, 1 OFFSET 0) AS s
           WHERE authz.permitted(
                   v_ctx.tenant_id, v_model, s.authz_object, p_relation, v_s.subject_type,
                   v_s.subject_id, v_s.subject_relation, v_now)
           LIMIT v_k)) AS c (document_id, dist)
  ), txt AS (
    SELECT c.document_id, row_number() OVER (ORDER BY c.r DESC, c.document_id)::integer AS rank
    FROM (SELECT m.document_id, m.r
          FROM ((SELECT d.document_id, d.authz_object, pg_catalog.ts_rank_cd(d.tsv, v_tsq) AS r
                 FROM ontology.documents AS d
                 WHERE p_mode <> 'vector' AND v_few IS NULL AND d.tenant_id = v_ctx.tenant_id
                   AND d.tsv @@ v_tsq
                 ORDER BY 3 DESC, d.document_id
                 LIMIT v_k * 10)
                UNION ALL
                -- the set's matches, every one of them (at most 4,000)
                (SELECT f.document_id, f.authz_object, f.r
                 FROM few AS f
                 WHERE p_mode <> 'vector' AND f.r IS NOT NULL
                 ORDER BY 3 DESC, 1 OFFSET 0)) AS m (document_id, authz_object, r)
                -- ranked first; checked lazily, best first, until v_k pass (across the
                -- tenant, the best 10 x v_k only: bounded work per search)
          WHERE p_relation IS NULL OR authz.permitted(
                  v_ctx.tenant_id, v_model, m.authz_object, p_relation, v_s.subject_type,
                  v_s.subject_id, v_s.subject_relation, v_now)
          LIMIT v_k) AS c
  ), fused AS (
    SELECT coalesce(v.document_id, t.document_id) AS document_id,
           coalesce(1.0 / (60 + v.rank), 0) + coalesce(1.0 / (60 + t.rank), 0) AS score,
           v.rank AS vrank, t.rank AS trank
    FROM vec AS v
    FULL JOIN txt AS t ON t.document_id = v.document_id
  )
  -- the best p_limit first, then their rows, one primary-key probe each (OFFSET 0: joined,
  -- the planner hashed the candidates and read every document of the tenant, 26 ms at
  -- 100,000); every candidate is a row of this snapshot, so each probe finds it
  SELECT f.document_id, d.object_id, d.authz_object, d.title, d.body, f.score::double precision,
         f.vrank, f.trank
  FROM (SELECT * FROM fused ORDER BY fused.score DESC, fused.document_id LIMIT p_limit) AS f
  CROSS JOIN LATERAL (
    SELECT d.object_id, d.authz_object, d.title, d.body FROM ontology.documents AS d
    WHERE d.tenant_id = v_ctx.tenant_id AND d.document_id = f.document_id OFFSET 0) AS d
  ORDER BY f.score DESC, f.document_id;
END
$$;

ALTER FUNCTION api.search_documents(p_query text, p_embedding text, p_limit integer, p_relation text, p_subject text, p_mode text, p_consistency_token text) OWNER TO claw_owner;

--
-- Name: FUNCTION search_documents(p_query text, p_embedding text, p_limit integer, p_relation text, p_subject text, p_mode text, p_consistency_token text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.search_documents(p_query text, p_embedding text, p_limit integer, p_relation text, p_subject text, p_mode text, p_consistency_token text) IS 'Hybrid search (embedding + full text, reciprocal rank fusion) over the documents the subject (default: the caller) holds p_relation on; the permission is checked inside retrieval.';

--
-- Name: send_flow_signal(uuid, text, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.send_flow_signal(p_run_id uuid, p_name text, p_payload jsonb DEFAULT '{}'::jsonb) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name'),
          internal.require_size('p_payload', p_payload, 'json');
  PERFORM internal.require_role('{owner,admin,operator,approver}', 'flow:write',
                                'signalling a flow');
  RETURN flow.send_signal(p_run_id, p_name, p_payload);
END
$$;

ALTER FUNCTION api.send_flow_signal(p_run_id uuid, p_name text, p_payload jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION send_flow_signal(p_run_id uuid, p_name text, p_payload jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.send_flow_signal(p_run_id uuid, p_name text, p_payload jsonb) IS 'Send a named signal to a flow run; the first signal of a name wins (later ones return false) and is delivered to one waiting step, once.';

--
-- Name: set_llm_budget(text, text, numeric, uuid, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.set_llm_budget(p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid DEFAULT NULL::uuid, p_task text DEFAULT NULL::text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_tenant uuid;
  v_id uuid;
  v_new boolean;
  v_problem text;
BEGIN
  PERFORM internal.require_size('p_scope', p_scope, 'name'),
          internal.require_size('p_period', p_period, 'name'),
          internal.require_size('p_task', p_task, 'name');
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'changing LLM budgets');
  v_tenant := internal.current_tenant_id();
  IF p_scope IS NULL OR p_scope NOT IN ('tenant', 'principal', 'task') THEN
    v_problem := 'scope is tenant, principal or task';
  ELSIF p_period IS NULL OR p_period NOT IN ('day', 'month') THEN
    v_problem := 'period is day or month';
  ELSIF p_limit_usd IS NULL OR p_limit_usd < 0 OR p_limit_usd > 99999999 THEN
    v_problem := 'the limit is between 0 and 99999999 USD';
  ELSIF (p_scope = 'principal') <> (p_principal_id IS NOT NULL) THEN
    v_problem := 'a principal budget names a principal (and only it does)';
  ELSIF (p_scope = 'task') <> (p_task IS NOT NULL) THEN
    v_problem := 'a task budget names a task (and only it does)';
  ELSIF p_task !~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
    v_problem := 'the task must be lower-case letters, digits, _ . -, starting with a letter';
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM budget', DETAIL = v_problem,
      HINT = 'see COMMENT ON FUNCTION api.set_llm_budget';
  END IF;
  IF p_principal_id IS NOT NULL THEN
    PERFORM tenancy.require_principal(p_principal_id);
  END IF;
  PERFORM llm.lock_zone(v_tenant, true);
  INSERT INTO llm.budgets AS b (tenant_id, scope, principal_id, task, period, limit_usd,
                                updated_by)
  VALUES (v_tenant, p_scope, p_principal_id, p_task, p_period, p_limit_usd,
          internal.current_principal_id())
  ON CONFLICT (tenant_id, scope, principal_id, task, period) DO UPDATE
    SET limit_usd = EXCLUDED.limit_usd, updated_by = EXCLUDED.updated_by,
        updated_at = internal.now()
    WHERE b.limit_usd IS DISTINCT FROM EXCLUDED.limit_usd
  RETURNING b.budget_id, b.xmax = 0 INTO v_id, v_new;  -- xmax 0: inserted, not updated
  IF v_new THEN
    -- the window of the moment the lock was granted, not of the transaction's start (an
    -- admin's transaction begun before midnight would seed yesterday's)
    PERFORM llm.seed_window(b, llm.tenant_zone(v_tenant),
                            internal.clock_now())
    FROM llm.budgets AS b WHERE b.tenant_id = v_tenant AND b.budget_id = v_id;
  END IF;
  IF v_id IS NULL THEN  -- unchanged
    SELECT b.budget_id INTO STRICT v_id FROM llm.budgets AS b
    WHERE b.tenant_id = v_tenant AND b.scope = p_scope AND b.period = p_period
      AND b.principal_id IS NOT DISTINCT FROM p_principal_id AND b.task IS NOT DISTINCT FROM p_task;
  END IF;
  RETURN v_id;
END
$_$;

ALTER FUNCTION api.set_llm_budget(p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid, p_task text) OWNER TO claw_owner;

--
-- Name: FUNCTION set_llm_budget(p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid, p_task text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.set_llm_budget(p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid, p_task text) IS 'Create or change an LLM budget: scope tenant|principal|task, period day|month (tenant-local), limit in USD. Owner/admin. Returns the budget id. CL404 unknown principal, CL422 bad input.';

--
-- Name: set_llm_route(text, text[], text[], integer, integer, integer, integer, integer, jsonb, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.set_llm_route(p_task text, p_models text[], p_fallback_on text[] DEFAULT NULL::text[], p_max_attempts integer DEFAULT NULL::integer, p_backoff_ms integer DEFAULT NULL::integer, p_timeout_ms integer DEFAULT NULL::integer, p_max_output_tokens integer DEFAULT NULL::integer, p_cache_ttl_seconds integer DEFAULT NULL::integer, p_output_schema jsonb DEFAULT NULL::jsonb, p_max_repairs integer DEFAULT NULL::integer) RETURNS TABLE(route_id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_tenant uuid;
  v_unknown text[];
  v_problem text;
BEGIN
  PERFORM internal.require_size('p_task', p_task, 'name'),
          internal.require_size('p_models', p_models, 'text'),
          internal.require_size('p_fallback_on', p_fallback_on, 'text'),
          internal.require_size('p_output_schema', p_output_schema, 'json');
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'changing LLM routes');
  v_tenant := internal.current_tenant_id();
  SELECT pg_catalog.array_agg(m.model) INTO v_unknown
  FROM pg_catalog.unnest(p_models) AS m(model)
  WHERE NOT EXISTS (SELECT 1 FROM internal.llm_models AS x WHERE x.model = m.model);
  IF p_task IS NULL OR p_task !~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
    v_problem := 'the task must be lower-case letters, digits, _ . -, starting with a letter';
  ELSIF p_models IS NULL OR pg_catalog.cardinality(p_models) NOT BETWEEN 1 AND 8 THEN
    v_problem := 'a route names 1 to 8 models';
  ELSIF v_unknown IS NOT NULL THEN
    v_problem := pg_catalog.format('models not in the catalogue: %s', v_unknown);
  ELSIF NOT coalesce(p_fallback_on, '{}') <@ '{rate_limited,server_error,timeout,context_overflow}'::text[] THEN
    v_problem := 'fallback_on takes rate_limited, server_error, timeout, context_overflow';
  ELSIF p_max_attempts NOT BETWEEN 1 AND 10 OR p_backoff_ms NOT BETWEEN 0 AND 60000
        OR p_timeout_ms NOT BETWEEN 10 AND 600000 OR p_max_output_tokens NOT BETWEEN 1 AND 200000
        OR p_cache_ttl_seconds NOT BETWEEN 0 AND 2592000 OR p_max_repairs NOT BETWEEN 0 AND 5 THEN
    v_problem := 'out of range: max_attempts 1-10, backoff_ms 0-60000, timeout_ms 10-600000, '
                 'max_output_tokens 1-200000, cache_ttl_seconds 0-2592000, max_repairs 0-5';
  ELSIF p_output_schema IS NOT NULL AND pg_catalog.jsonb_typeof(p_output_schema) <> 'object' THEN
    v_problem := 'the output schema must be a JSON object (a JSON schema)';
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid LLM route', DETAIL = v_problem,
      HINT = 'see COMMENT ON FUNCTION api.set_llm_route';
  END IF;
  INSERT INTO llm.routes AS r (tenant_id, task, models, fallback_on, max_attempts, backoff_ms,
                               timeout_ms, max_output_tokens, cache_ttl_seconds, output_schema,
                               max_repairs, updated_by)
  VALUES (v_tenant, p_task, p_models,
          coalesce(p_fallback_on, '{rate_limited,server_error,timeout,context_overflow}'),
          coalesce(p_max_attempts, 2), coalesce(p_backoff_ms, 200), coalesce(p_timeout_ms, 30000),
          coalesce(p_max_output_tokens, 1024), coalesce(p_cache_ttl_seconds, 0), p_output_schema,
          coalesce(p_max_repairs, 1), internal.current_principal_id())
  ON CONFLICT (tenant_id, task) DO UPDATE SET
    models = EXCLUDED.models,
    fallback_on = coalesce(p_fallback_on, r.fallback_on),
    max_attempts = coalesce(p_max_attempts, r.max_attempts),
    backoff_ms = coalesce(p_backoff_ms, r.backoff_ms),
    timeout_ms = coalesce(p_timeout_ms, r.timeout_ms),
    max_output_tokens = coalesce(p_max_output_tokens, r.max_output_tokens),
    cache_ttl_seconds = coalesce(p_cache_ttl_seconds, r.cache_ttl_seconds),
    output_schema = coalesce(p_output_schema, r.output_schema),
    max_repairs = coalesce(p_max_repairs, r.max_repairs),
    version = r.version + 1, updated_by = EXCLUDED.updated_by, updated_at = internal.now();
  RETURN QUERY SELECT r.route_id, r.version FROM llm.routes AS r
  WHERE r.tenant_id = v_tenant AND r.task = p_task;
END
$_$;

ALTER FUNCTION api.set_llm_route(p_task text, p_models text[], p_fallback_on text[], p_max_attempts integer, p_backoff_ms integer, p_timeout_ms integer, p_max_output_tokens integer, p_cache_ttl_seconds integer, p_output_schema jsonb, p_max_repairs integer) OWNER TO claw_owner;

--
-- Name: FUNCTION set_llm_route(p_task text, p_models text[], p_fallback_on text[], p_max_attempts integer, p_backoff_ms integer, p_timeout_ms integer, p_max_output_tokens integer, p_cache_ttl_seconds integer, p_output_schema jsonb, p_max_repairs integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.set_llm_route(p_task text, p_models text[], p_fallback_on text[], p_max_attempts integer, p_backoff_ms integer, p_timeout_ms integer, p_max_output_tokens integer, p_cache_ttl_seconds integer, p_output_schema jsonb, p_max_repairs integer) IS 'Create or change the LLM route of a task: ordered models, fallback rules, attempts, backoff, timeout per attempt, output cap, cache TTL, output schema, repairs. Owner/admin. Returns route id and version. CL422 for bad input.';

--
-- Name: set_llm_settings(text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.set_llm_settings(p_time_zone text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_time_zone', p_time_zone, 'name');
  PERFORM internal.require_role('{owner,admin}', 'llm:admin', 'changing LLM settings');
  PERFORM queue.check_time_zone(p_time_zone);
  -- waits for the begins that read the old zone (llm.lock_zone)
  PERFORM llm.lock_zone(internal.current_tenant_id(), true);
  INSERT INTO llm.settings (tenant_id, time_zone, updated_by, updated_at)
  VALUES (internal.current_tenant_id(), p_time_zone, internal.current_principal_id(),
          internal.now())
  ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone,
    updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
  WHERE llm.settings.time_zone IS DISTINCT FROM EXCLUDED.time_zone;
END
$$;

ALTER FUNCTION api.set_llm_settings(p_time_zone text) OWNER TO claw_owner;

--
-- Name: FUNCTION set_llm_settings(p_time_zone text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.set_llm_settings(p_time_zone text) IS 'Set the tenant''s time zone (IANA) for LLM budget windows and usage days. Owner/admin. CL422 for an unknown or ambiguous zone.';

--
-- Name: set_schedule_paused(uuid, boolean); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.set_schedule_paused(p_schedule_id uuid, p_paused boolean) RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_next timestamptz;
BEGIN
  PERFORM internal.require_role('{owner,admin,operator}', 'queue:write', 'pausing a schedule');
  IF p_paused IS NULL THEN  -- it paused the schedule before: neither was asked for
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid pause',
      DETAIL = 'p_paused is NULL', HINT = 'pass true to pause the schedule, false to resume it';
  END IF;
  UPDATE queue.schedules AS s
  SET paused = p_paused,
      next_fire_at = CASE WHEN s.paused AND NOT p_paused
                          THEN queue.next_fire(s.cron, s.time_zone, internal.now())
                          ELSE s.next_fire_at END
  WHERE s.tenant_id = internal.current_tenant_id() AND s.schedule_id = p_schedule_id
  RETURNING s.next_fire_at INTO v_next;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'schedule not found',
      DETAIL = pg_catalog.format('no schedule %s in this tenant', p_schedule_id),
      HINT = 'api.list_schedules() lists them';
  END IF;
  RETURN v_next;
END
$$;

ALTER FUNCTION api.set_schedule_paused(p_schedule_id uuid, p_paused boolean) OWNER TO claw_owner;

--
-- Name: FUNCTION set_schedule_paused(p_schedule_id uuid, p_paused boolean); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.set_schedule_paused(p_schedule_id uuid, p_paused boolean) IS 'Pause or resume a schedule; returns its next fire instant. CL404 unknown.';

--
-- Name: set_tool_enabled(text, boolean); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.set_tool_enabled(p_name text, p_enabled boolean) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v ontology.tools;
BEGIN
  PERFORM internal.require_size('p_name', p_name, 'name');
  PERFORM internal.require_role('{owner,admin}', 'ontology:admin', 'enabling tools');
  IF p_enabled IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid enabled',
      DETAIL = 'p_enabled must be true or false', HINT = 'p_enabled => false disables the tool';
  END IF;
  SELECT x.* INTO v FROM ontology.tools AS x
  WHERE x.tenant_id = internal.current_tenant_id() AND x.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tool not found',
      DETAIL = pg_catalog.format('no tool %L in this tenant', p_name),
      HINT = 'api.list_tools lists the tools';
  END IF;
  IF v.enabled = p_enabled THEN
    RETURN v.version;
  END IF;
  UPDATE ontology.tools AS x
  SET enabled = p_enabled, version = x.version + 1, updated_at = pg_catalog.now(),
      updated_by = internal.current_principal_id()
  WHERE x.tenant_id = v.tenant_id AND x.tool_id = v.tool_id
  RETURNING x.version INTO v.version;
  RETURN v.version;
END
$$;

ALTER FUNCTION api.set_tool_enabled(p_name text, p_enabled boolean) OWNER TO claw_owner;

--
-- Name: FUNCTION set_tool_enabled(p_name text, p_enabled boolean); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.set_tool_enabled(p_name text, p_enabled boolean) IS 'Enable or disable a tool; returns its version (bumped when the switch changed).';

--
-- Name: settle_flow_effect(uuid, uuid, uuid, integer, text, text, text, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.settle_effect(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_outcome', p_outcome, 'name'), internal.require_size('p_response', p_response, 'json')) $$;

ALTER FUNCTION api.settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) IS 'Worker: settle an effect as confirmed or reconciled with the provider''s response and checkpoint its step in the same transaction.';

--
-- Name: sleep_flow(uuid, uuid, uuid, integer, text, text, timestamp with time zone, double precision); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_seconds double precision DEFAULT NULL::double precision) RETURNS TABLE(status text, wake_at timestamp with time zone)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM flow.sleep(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), p_wake_at, p_seconds) $$;

ALTER FUNCTION api.sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision) OWNER TO claw_owner;

--
-- Name: FUNCTION sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision) IS 'Worker: durable sleep (timer fixed at first call, never moved by a replay); the worker is released until it is due.';

--
-- Name: start_child_flow(uuid, uuid, uuid, integer, text, text, text, jsonb, integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb DEFAULT '{}'::jsonb, p_flow_version integer DEFAULT 1) RETURNS TABLE(status text, child_run_id uuid)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM flow.start_child(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), internal.require_size('p_flow_name', p_flow_name, 'name'), internal.require_size('p_input', p_input, 'json'), p_flow_version) $$;

ALTER FUNCTION api.start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer) OWNER TO claw_owner;

--
-- Name: FUNCTION start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer) IS 'Worker: start a child flow run from step N of this run (recorded with the step, so a replay never starts it twice).';

--
-- Name: start_flow_run(text, jsonb, integer, text, text, text); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.start_flow_run(p_flow_name text, p_input jsonb DEFAULT '{}'::jsonb, p_flow_version integer DEFAULT 1, p_idempotency_key text DEFAULT NULL::text, p_trace_id text DEFAULT NULL::text, p_queue text DEFAULT 'flows'::text) RETURNS TABLE(run_id uuid, created boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_flow_name', p_flow_name, 'name'),
          internal.require_size('p_input', p_input, 'json'),
          internal.require_size('p_idempotency_key', p_idempotency_key, 'name'),
          internal.require_size('p_trace_id', p_trace_id, 'name'),
          internal.require_size('p_queue', p_queue, 'name');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'flow:write', 'starting a flow');
  IF p_idempotency_key LIKE 'child:%' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotency key',
      DETAIL = 'keys starting with child: are reserved for the child runs a flow starts',
      HINT = 'use a key per flow and business object, e.g. order.fulfil:4711';
  END IF;
  RETURN QUERY SELECT s.run_id, s.created
               FROM flow.start_run(p_flow_name, p_input, p_flow_version, p_idempotency_key,
                                   p_trace_id, p_queue, NULL, NULL) AS s;
END
$$;

ALTER FUNCTION api.start_flow_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text) OWNER TO claw_owner;

--
-- Name: FUNCTION start_flow_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.start_flow_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text) IS 'Start a durable flow run (dispatched through the queue). The same idempotency key returns the same run with created = false.';

--
-- Name: stop_cancelled_flow_run(uuid, uuid, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT flow.stop_cancelled(p_run_id, p_job_id, p_lease_token) $$;

ALTER FUNCTION api.stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) IS 'Worker: end a held run whose cancel was requested, abandoning the step in progress.';

--
-- Name: take_request_token(integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.take_request_token(p_cost integer DEFAULT 1) RETURNS TABLE(allowed boolean, scope text, limit_per_minute integer, remaining integer, reset_seconds integer, retry_after_seconds integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;

ALTER FUNCTION api.take_request_token(p_cost integer) OWNER TO claw_owner;

--
-- Name: FUNCTION take_request_token(p_cost integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.take_request_token(p_cost integer) IS 'Charge a request to the verified credential''s and the tenant''s rate limit (GCRA); allowed = false (nothing charged) with retry_after_seconds when either is exhausted. Call in its own short transaction before the request''s.';

--
-- Name: tick_schedules(integer); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.tick_schedules(p_limit integer DEFAULT 100) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT queue.tick_schedules(p_limit) $$;

ALTER FUNCTION api.tick_schedules(p_limit integer) OWNER TO claw_owner;

--
-- Name: FUNCTION tick_schedules(p_limit integer); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.tick_schedules(p_limit integer) IS 'Worker: enqueue the jobs of due schedules, once per schedule and fire instant.';

--
-- Name: unwatch_events(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.unwatch_events(p_watcher_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'watching events');
  DELETE FROM events.watchers AS w
  WHERE w.tenant_id = internal.current_tenant_id() AND w.watcher_id = p_watcher_id;
END
$$;

ALTER FUNCTION api.unwatch_events(p_watcher_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION unwatch_events(p_watcher_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.unwatch_events(p_watcher_id uuid) IS 'End an event stream''s registration (api.watch_events); idempotent.';

--
-- Name: update_object(uuid, integer, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb) RETURNS TABLE(object_id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v ontology.objects;
BEGIN
  PERFORM internal.require_size('p_patch', p_patch, 'json');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'updating objects');
  IF pg_catalog.jsonb_typeof(p_patch) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid patch',
      DETAIL = 'p_patch must be a JSON object (a merge patch)',
      HINT = '{"status": "paid", "note": null} sets status and removes note';
  END IF;
  -- no property value nests deeper than a money object ({"total": {"amount": 5}}); the merge
  -- recurses once per level, so a deeper patch is refused before it overflows the stack
  IF pg_catalog.jsonb_path_exists(p_patch, 'lax $.*.*.*.*') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid patch',
      DETAIL = 'p_patch nests objects more than three levels deep; no property value does',
      HINT = 'a property takes a scalar or a money object {"amount": ..., "currency": ...}';
  END IF;
  v := ontology.lock_object(p_object_id, p_expected_version);
  RETURN QUERY
  UPDATE ontology.objects AS o SET properties = ontology.merge_patch(o.properties, p_patch)
  WHERE o.tenant_id = v.tenant_id AND o.object_id = v.object_id
  RETURNING o.object_id, o.version;
END
$_$;

ALTER FUNCTION api.update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb) IS 'Apply a JSON merge patch (a key with null removes it) to an object at the expected version (CL409 when stale, CL404 when missing or deleted); validated like create. Returns the new version.';

--
-- Name: upsert_document(text, text, text, text, uuid, text, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text DEFAULT ''::text, p_object_id uuid DEFAULT NULL::uuid, p_authz_object text DEFAULT NULL::text, p_document_id uuid DEFAULT NULL::uuid) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_ctx record;
  v_id uuid := coalesce(p_document_id, uuidv7());
  v_authz text := p_authz_object;
  v_type text;
BEGIN
  PERFORM internal.require_size('p_body', p_body, 'document'),
          internal.require_size('p_embedding', p_embedding, 'text'),
          internal.require_size('p_embedding_model', p_embedding_model, 'name'),
          internal.require_size('p_title', p_title, 'text'),
          internal.require_size('p_authz_object', p_authz_object, 'name');
  SELECT * INTO v_ctx FROM internal.require_context('{owner,admin,operator,worker}', 'ontology:write',
                                                'storing a document');
  IF p_body IS NULL OR pg_catalog.length(p_body) NOT BETWEEN 1 AND 100000
     OR pg_catalog.length(coalesce(p_title, '')) > 500 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid document',
      DETAIL = 'the body is 1 to 100,000 characters, the title at most 500',
      HINT = 'split long texts into several documents';
  END IF;
  IF p_object_id IS NOT NULL THEN
    SELECT t.name INTO v_type
    FROM ontology.objects AS o
    JOIN ontology.object_types AS t ON t.tenant_id = o.tenant_id AND t.type_id = o.type_id
    WHERE o.tenant_id = v_ctx.tenant_id AND o.object_id = p_object_id AND o.deleted_at IS NULL
    FOR SHARE OF o;  -- a concurrent api.delete_object waits, then deletes this document too
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
        DETAIL = pg_catalog.format('no live object %s in this tenant', p_object_id),
        HINT = 'attach documents to live objects';
    END IF;
    v_authz := coalesce(v_authz, v_type || ':' || p_object_id);
  END IF;
  v_authz := coalesce(v_authz, 'document:' || v_id);
  PERFORM authz.parse_object(v_authz, 'authz object');
  IF p_embedding_model IS NULL OR pg_catalog.length(p_embedding_model) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid embedding model',
      DETAIL = 'name the model that made the embedding', HINT = 'e.g. wordllama/l2_supercat@256';
  END IF;
  INSERT INTO ontology.documents AS d (tenant_id, document_id, object_id, authz_object, title,
                                       body, embedding, embedding_model, created_by)
  VALUES (v_ctx.tenant_id, v_id, p_object_id, v_authz, coalesce(p_title, ''), p_body,
          ontology.parse_embedding(p_embedding), p_embedding_model, v_ctx.principal_id)
  ON CONFLICT (tenant_id, document_id) DO UPDATE
    SET object_id = EXCLUDED.object_id, authz_object = EXCLUDED.authz_object,
        title = EXCLUDED.title, body = EXCLUDED.body, embedding = EXCLUDED.embedding,
        embedding_model = EXCLUDED.embedding_model, updated_at = pg_catalog.now();
  RETURN v_id;
END
$$;

ALTER FUNCTION api.upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text, p_object_id uuid, p_authz_object text, p_document_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text, p_object_id uuid, p_authz_object text, p_document_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text, p_object_id uuid, p_authz_object text, p_document_id uuid) IS 'Store or replace a searchable document with its 256-dimension embedding; readers need a relation on its authz object (default: the attached object, or document:<id>).';

--
-- Name: wait_flow_child(uuid, uuid, uuid, integer, text, text, uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) RETURNS TABLE(status text, child_status text, child_output jsonb, child_error jsonb)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM flow.wait_child(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_name', p_name, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), p_child_run_id) $$;

ALTER FUNCTION api.wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) IS 'Worker: wait for a child run to finish; the parent waits without holding a worker and is woken when the child finishes.';

--
-- Name: wait_flow_signal(uuid, uuid, uuid, integer, text, text, timestamp with time zone, double precision); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_timeout_seconds double precision DEFAULT NULL::double precision) RETURNS TABLE(status text, received boolean, payload jsonb)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT * FROM flow.wait_signal(p_run_id, p_job_id, p_lease_token, p_position, internal.require_size('p_signal', p_signal, 'name'), internal.require_size('p_input_hash', p_input_hash, 'name'), p_timeout_at, p_timeout_seconds) $$;

ALTER FUNCTION api.wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision) OWNER TO claw_owner;

--
-- Name: FUNCTION wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision) IS 'Worker: wait for a named signal with an optional timeout; the signal is delivered to this step once, or the run waits without holding a worker.';

--
-- Name: watch_events(uuid); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.watch_events(p_watcher_id uuid DEFAULT NULL::uuid) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_id uuid := coalesce(p_watcher_id, pg_catalog.gen_random_uuid());
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,approver,viewer}', 'events:read',
                                'watching events');
  INSERT INTO events.watchers AS w (tenant_id, watcher_id, expires_at)
  VALUES (internal.current_tenant_id(), v_id, pg_catalog.now() + interval '90 seconds')
  ON CONFLICT (tenant_id, watcher_id) DO UPDATE SET expires_at = excluded.expires_at;
  DELETE FROM events.watchers AS w
  WHERE w.tenant_id = internal.current_tenant_id() AND w.expires_at < pg_catalog.now();
  RETURN v_id;
END
$$;

ALTER FUNCTION api.watch_events(p_watcher_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION watch_events(p_watcher_id uuid); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.watch_events(p_watcher_id uuid) IS 'Register or refresh an open event stream of this tenant (returns its id; call again within 60 s, it expires after 90 s): writes of this tenant''s events then NOTIFY claw_events. api.unwatch_events ends it.';

--
-- Name: whoami(); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.whoami() RETURNS TABLE(tenant_id uuid, principal_id uuid, roles text[], scopes text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
-- Name: write_tuples(jsonb, jsonb); Type: FUNCTION; Schema: api; Owner: claw_owner
--

CREATE FUNCTION api.write_tuples(p_writes jsonb DEFAULT '[]'::jsonb, p_deletes jsonb DEFAULT '[]'::jsonb) RETURNS TABLE(written integer, deleted integer, consistency_token text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.require_size('p_writes', p_writes, 'batch'),
          internal.require_size('p_deletes', p_deletes, 'batch');
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'authz:write',
                                'writing relationship tuples');
  RETURN QUERY SELECT w.written, w.deleted, w.token
               FROM authz.write_tuples(internal.current_tenant_id(),
                                       internal.current_principal_id(), p_writes,
                                       p_deletes) AS w;
END
$$;

ALTER FUNCTION api.write_tuples(p_writes jsonb, p_deletes jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION write_tuples(p_writes jsonb, p_deletes jsonb); Type: COMMENT; Schema: api; Owner: claw_owner
--

COMMENT ON FUNCTION api.write_tuples(p_writes jsonb, p_deletes jsonb) IS 'Write and delete relationship tuples [{"object": "invoice:42", "relation": "owner", "subject": "user:alice", "expires_at": null}] in one change; idempotent; refuses cycles (CL409). Returns a consistency token.';

--
-- Name: append(uuid, text, text, text, jsonb, jsonb); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.append(p_tenant_id uuid, p_action text, p_target_table text DEFAULT NULL::text, p_target_id text DEFAULT NULL::text, p_before jsonb DEFAULT NULL::jsonb, p_after jsonb DEFAULT NULL::jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;

ALTER FUNCTION audit.append(p_tenant_id uuid, p_action text, p_target_table text, p_target_id text, p_before jsonb, p_after jsonb) OWNER TO claw_owner;

--
-- Name: checkpoint(); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.checkpoint() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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
-- Name: digest_problem(jsonb); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.digest_problem(p_digest jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
  SELECT CASE
    WHEN pg_catalog.jsonb_typeof(p_digest) IS DISTINCT FROM 'object'
      THEN 'the digest must be a JSON object (audit.checkpoint''s output)'
    WHEN pg_catalog.jsonb_typeof(p_digest -> 'root') IS DISTINCT FROM 'string'
         OR (p_digest ->> 'root') !~ '^[0-9a-f]{64}$'
      THEN 'root must be 64 lower-case hex digits'
    WHEN pg_catalog.jsonb_typeof(p_digest -> 'heads') IS DISTINCT FROM 'array'
      THEN 'heads must be a JSON array'
    ELSE (
      SELECT pg_catalog.format('head %s: %s', x.n, x.why)
      FROM (SELECT e.n,
                   CASE WHEN pg_catalog.jsonb_typeof(e.h) <> 'object' THEN 'must be a JSON object'
                        WHEN pg_catalog.jsonb_typeof(e.h -> 'tenant_id') IS DISTINCT FROM 'string'
                             OR NOT pg_catalog.pg_input_is_valid(e.h ->> 'tenant_id', 'uuid')
                          THEN 'tenant_id must be a uuid'
                        WHEN pg_catalog.jsonb_typeof(e.h -> 'seq') IS DISTINCT FROM 'number'
                             OR (e.h ->> 'seq') !~ '^[0-9]{1,18}$'
                          THEN 'seq must be a whole number >= 0'
                        WHEN pg_catalog.jsonb_typeof(e.h -> 'head_hash') IS DISTINCT FROM 'string'
                             OR (e.h ->> 'head_hash') !~ '^[0-9a-f]{64}$'
                          THEN 'head_hash must be 64 lower-case hex digits'
                        WHEN pg_catalog.count(*) OVER (
                               PARTITION BY CASE WHEN pg_catalog.pg_input_is_valid(
                                 e.h ->> 'tenant_id', 'uuid') THEN (e.h ->> 'tenant_id')::uuid END
                               ORDER BY e.n) > 1
                          THEN 'its tenant_id is there twice'
                   END AS why
            FROM pg_catalog.jsonb_array_elements(p_digest -> 'heads') WITH ORDINALITY AS e(h, n)
           ) AS x
      WHERE x.why IS NOT NULL ORDER BY x.n LIMIT 1)
  END
$_$;

ALTER FUNCTION audit.digest_problem(p_digest jsonb) OWNER TO claw_owner;

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
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  n integer := coalesce(pg_catalog.cardinality(p_leaves), 0);
  k integer := 1;
BEGIN
  IF n = 0 THEN
    RETURN pg_catalog.sha256(''::bytea);
  ELSIF n = 1 THEN
    RETURN pg_catalog.sha256(pg_catalog.decode('00', 'hex') || p_leaves[1]);
  END IF;
  WHILE k * 2 < n LOOP
    k := k * 2;
  END LOOP;
  RETURN pg_catalog.sha256(pg_catalog.decode('01', 'hex') || audit.merkle_root(p_leaves[1:k])
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
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    SET search_path TO 'pg_catalog', 'pg_temp'
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
          pg_catalog.decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex')))
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
  -- every tenant with a chain head or with events: a head row deleted (to hide an edit)
  -- must not take its events out of the verdict
  SELECT coalesce(h.tenant_id, f.tenant_id), coalesce(f.events, 0), h.seq,
         h.tenant_id IS NOT NULL AND f.first_seq IS NULL AND h.seq = coalesce(f.last_seq, 0)
           AND h.head_hash = coalesce(f.last_hash,
               pg_catalog.decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex')),
         coalesce(f.first_seq,
                  CASE WHEN h.tenant_id IS NULL THEN f.last_seq
                       WHEN h.seq <> coalesce(f.last_seq, 0)
                         OR h.head_hash <> coalesce(f.last_hash, pg_catalog.decode('00', 'hex'))
                       THEN LEAST(h.seq, coalesce(f.last_seq, 0)) + 1 END),
         coalesce(f.first_problem,
                  CASE WHEN h.tenant_id IS NULL THEN 'head missing'
                       WHEN h.seq <> coalesce(f.last_seq, 0)
                         OR h.head_hash <> coalesce(f.last_hash, pg_catalog.decode('00', 'hex'))
                       THEN 'head mismatch' END)
  FROM (SELECT * FROM audit.chain_heads AS x
        WHERE p_tenant_id IS NULL OR x.tenant_id = p_tenant_id) AS h
  FULL JOIN findings AS f ON f.tenant_id = h.tenant_id
  ORDER BY 1;
END
$$;

ALTER FUNCTION audit.verify_chains(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: verify_digest(jsonb); Type: FUNCTION; Schema: audit; Owner: claw_owner
--

CREATE FUNCTION audit.verify_digest(p_digest jsonb) RETURNS TABLE(tenant_id uuid, seq bigint, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_bad text := audit.digest_problem(p_digest);
BEGIN
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'not an audit checkpoint',
      DETAIL = v_bad,
      HINT = 'pass the JSON audit.checkpoint wrote (claw audit checkpoint), unedited';
  END IF;
  RETURN QUERY
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
  WHERE h.seq > 0 AND (e.seq IS NULL OR e.row_hash IS DISTINCT FROM h.head_hash)
  UNION ALL
  SELECT v.tenant_id, v.first_bad_seq, v.problem
  FROM audit.verify_chains() AS v WHERE NOT v.ok;
END
$$;

ALTER FUNCTION audit.verify_digest(p_digest jsonb) OWNER TO claw_owner;

--
-- Name: acting_subject(text, text, uuid, text[]); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.acting_subject(p_subject text, p_action text, p_principal_id uuid, p_roles text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
  v_self text := 'principal:' || p_principal_id;
BEGIN
  IF p_subject IS NULL OR p_subject = v_self THEN
    IF v_self IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'no subject',
        DETAIL = pg_catalog.format('%s without a subject needs a principal in the context', p_action),
        HINT = 'pass p_subject, e.g. user:alice';
    END IF;
    RETURN v_self;
  END IF;
  IF NOT coalesce(p_roles && '{owner,admin,operator,worker}'::text[], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s about another subject needs the role owner, admin or operator',
                                 p_action),
      HINT = pg_catalog.format('omit p_subject to ask about yourself (%s)', v_self);
  END IF;
  RETURN p_subject;
END
$$;

ALTER FUNCTION authz.acting_subject(p_subject text, p_action text, p_principal_id uuid, p_roles text[]) OWNER TO claw_owner;

--
-- Name: ask(uuid, text, text, text, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.ask(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_o record := authz.parse_object(p_object);
  v_s record := authz.parse_subject(p_subject);
  v_model jsonb := authz.load_model(p_tenant_id);
BEGIN
  PERFORM authz.require_fresh(p_tenant_id, p_token);
  PERFORM authz.require_relation(v_model, v_o.object_type, p_relation);
  RETURN authz.evaluate_in_tenant(p_tenant_id, v_model, v_o.object_type, v_o.object_id,
                                  p_relation, v_s.subject_type, v_s.subject_id,
                                  v_s.subject_relation, internal.now());
END
$$;

ALTER FUNCTION authz.ask(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text) OWNER TO claw_owner;

--
-- Name: asker(text, text, boolean, integer); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.asker(p_subject text, p_action text, p_list boolean, p_limit integer, OUT tenant_id uuid, OUT subject text) RETURNS record
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_ctx record;
BEGIN
  SELECT * INTO v_ctx FROM internal.require_context('{owner,admin,operator,approver,viewer,worker}',
                                                    'authz:read', p_action);
  IF p_list THEN
    PERFORM internal.require_limit(p_limit, 10000);
  END IF;
  tenant_id := v_ctx.tenant_id;
  subject := authz.acting_subject(p_subject, p_action, v_ctx.principal_id, v_ctx.roles);
END
$$;

ALTER FUNCTION authz.asker(p_subject text, p_action text, p_list boolean, p_limit integer, OUT tenant_id uuid, OUT subject text) OWNER TO claw_owner;

--
-- Name: bump_revision(uuid); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.bump_revision(p_tenant_id uuid) RETURNS bigint
    LANGUAGE sql
    AS $$
  INSERT INTO authz.revisions AS r (tenant_id, revision, updated_at)
  VALUES (p_tenant_id, 1, pg_catalog.now())
  ON CONFLICT (tenant_id) DO UPDATE SET revision = r.revision + 1, updated_at = pg_catalog.now()
  RETURNING r.revision
$$;

ALTER FUNCTION authz.bump_revision(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: check(uuid, text, text, text, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz."check"(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT authz.ask(p_tenant_id, p_object, p_relation, p_subject, p_token)
$$;

ALTER FUNCTION authz."check"(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text) OWNER TO claw_owner;

--
-- Name: compile_model(jsonb); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.compile_model(p_types jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $_$
  WITH RECURSIVE rel (name, type, rewrite, simple, usersets) AS (
    SELECT t.key || '#' || r.key, t.key, r.value, r.value ? 'this',
           ARRAY(SELECT d FROM pg_catalog.unnest(authz.direct_subjects_of(r.value)) AS d
                 WHERE pg_catalog.strpos(d, '#') > 0)
    FROM pg_catalog.jsonb_each(p_types) AS t
    CROSS JOIN LATERAL pg_catalog.jsonb_each(coalesce(t.value -> 'relations', '{}')) AS r
  ), reach (root, userset) AS (
    SELECT rel.name, u.u FROM rel CROSS JOIN LATERAL pg_catalog.unnest(rel.usersets) AS u (u)
    UNION
    SELECT reach.root, u.u
    FROM reach JOIN rel ON rel.name = reach.userset AND rel.simple
    CROSS JOIN LATERAL pg_catalog.unnest(rel.usersets) AS u (u)
  ), closed AS (
    SELECT reach.root, pg_catalog.jsonb_agg(reach.userset ORDER BY reach.userset) AS usersets
    FROM reach LEFT JOIN rel ON rel.name = reach.userset
    GROUP BY reach.root
    HAVING bool_and(coalesce(rel.simple, false))
  ), mono AS (
    -- monotone relations and their edges
    SELECT rel.name, rel.type, rel.usersets,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
             'd', CASE WHEN EXISTS (SELECT 1 FROM authz.rewrite_leaves(rel.rewrite) AS l (l)
                                    WHERE l.l ? 'this') THEN true END,
             'c', (SELECT pg_catalog.jsonb_agg(DISTINCT l.l ->> 'computed')
                   FROM authz.rewrite_leaves(rel.rewrite) AS l (l) WHERE l.l ? 'computed'),
             't', (SELECT pg_catalog.jsonb_agg(DISTINCT pg_catalog.jsonb_build_array(
                            l.l -> 'ttu' ->> 'tupleset', l.l -> 'ttu' ->> 'computed'))
                   FROM authz.rewrite_leaves(rel.rewrite) AS l (l) WHERE l.l ? 'ttu'))) AS edges
    FROM rel
    -- the test authz.define_model uses for authz.relations.exact (there, with what a relation
    -- reaches); here the relation's own rewrite only
    WHERE NOT pg_catalog.jsonb_path_exists(rel.rewrite, 'lax $.**.intersection')
      AND NOT pg_catalog.jsonb_path_exists(rel.rewrite, 'lax $.**.exclusion')
  ), closure (root, name) AS (
    -- every relation a relation reaches through computed relations and tuple-to-usersets
    SELECT rel.name, rel.name FROM rel
    UNION
    SELECT c.root, nx.name
    FROM closure AS c
    JOIN mono AS m ON m.name = c.name
    CROSS JOIN LATERAL (
      SELECT m.type || '#' || cr.cr
      FROM pg_catalog.jsonb_array_elements_text(coalesce(m.edges -> 'c', '[]')) AS cr (cr)
      UNION ALL
      SELECT tt.tt || '#' || (x.x ->> 1)
      FROM pg_catalog.jsonb_array_elements(coalesce(m.edges -> 't', '[]')) AS x (x)
      CROSS JOIN LATERAL pg_catalog.unnest(authz.direct_subjects_of(
        p_types -> m.type -> 'relations' -> (x.x ->> 0))) AS tt (tt)
      WHERE coalesce(p_types -> tt.tt -> 'relations' ? (x.x ->> 1), false)
    ) AS nx (name)
  ), decidable AS (
    SELECT c.root,
           coalesce(pg_catalog.jsonb_agg(DISTINCT u.u) FILTER (WHERE u.u IS NOT NULL), '[]') AS usersets
    FROM closure AS c
    LEFT JOIN mono AS m ON m.name = c.name
    LEFT JOIN closed AS cl ON cl.root = c.name
    LEFT JOIN LATERAL pg_catalog.jsonb_array_elements_text(cl.usersets) AS u (u) ON true
    GROUP BY c.root
    HAVING bool_and(m.name IS NOT NULL
                    AND (pg_catalog.cardinality(m.usersets) = 0 OR cl.root IS NOT NULL))
  )
  SELECT pg_catalog.jsonb_build_object(
    'r', coalesce((SELECT pg_catalog.jsonb_object_agg(rel.name, rel.rewrite) FROM rel), '{}'),
    's', coalesce((SELECT pg_catalog.jsonb_agg(rel.name) FROM rel WHERE rel.simple), '[]'),
    'u', coalesce((SELECT pg_catalog.jsonb_object_agg(c.root, c.usersets) FROM closed AS c), '{}'),
    'e', coalesce((SELECT pg_catalog.jsonb_object_agg(m.name, m.edges) FROM mono AS m), '{}'),
    'x', coalesce((SELECT pg_catalog.jsonb_object_agg(d.root, d.usersets) FROM decidable AS d), '{}'))
$_$;

ALTER FUNCTION authz.compile_model(p_types jsonb) OWNER TO claw_owner;

--
-- Name: decide_in_tenant(uuid, text, text, text, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_authz_reader
--

CREATE FUNCTION authz.decide_in_tenant(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_model jsonb;
  v_yes boolean;
BEGIN
  PERFORM authz.require_verified_tenant(p_tenant_id);
  -- authz.load_model's query, written here: a function that reads an RLS table keeps one
  -- cached plan, which is planned again whenever the role running it changes (claw_owner
  -- under RLS for authz.check, this reader for api.is_permitted): alternating checks and
  -- decisions made each of them twice as slow
  v_model := coalesce((SELECT CASE WHEN m.compiled ? 'x' THEN m.compiled
                                   ELSE authz.compile_model(m.definition -> 'types') END
                       FROM authz.models AS m WHERE m.tenant_id = p_tenant_id
                       ORDER BY m.version DESC LIMIT 1),
                      '{"r": {}, "s": [], "u": {}, "e": {}, "x": {}}');
  PERFORM authz.require_relation(v_model, p_type, p_relation);
  IF p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation THEN
    RETURN true;  -- the userset itself
  END IF;
  v_yes := CASE WHEN v_model -> 'x' ? (p_type || '#' || p_relation)
                THEN authz.reaches(p_tenant_id, v_model, p_type, p_id, p_relation,
                                   p_subject_type, p_subject_id, p_subject_relation, p_now, 24)
                ELSE authz.decide_rewrite(p_tenant_id, v_model, p_type, p_id,
                                          v_model -> 'r' -> (p_type || '#' || p_relation),
                                          p_subject_type, p_subject_id, p_subject_relation,
                                          p_now) END;
  IF v_yes IS NOT NULL THEN
    RETURN v_yes;
  END IF;
  RETURN authz.evaluate_top(p_tenant_id, v_model || '{"decide": true}'::jsonb, p_type, p_id,
                            p_relation, p_subject_type, p_subject_id, p_subject_relation,
                            p_now) IS NOT NULL;
END
$$;

ALTER FUNCTION authz.decide_in_tenant(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) OWNER TO claw_authz_reader;

--
-- Name: decide_rewrite(uuid, jsonb, text, text, jsonb, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.decide_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_child jsonb;
  v_yes boolean;
BEGIN
  IF p_node ? 'computed' THEN
    IF NOT p_model -> 'x' ? (p_type || '#' || (p_node ->> 'computed')) THEN
      RETURN NULL;
    END IF;
    RETURN authz.reaches(p_tenant_id, p_model, p_type, p_id, p_node ->> 'computed',
                         p_subject_type, p_subject_id, p_subject_relation, p_now, 23);
  ELSIF p_node ? 'union' OR p_node ? 'intersection' THEN
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(
                     coalesce(p_node -> 'union', p_node -> 'intersection')) AS e LOOP
      v_yes := authz.decide_rewrite(p_tenant_id, p_model, p_type, p_id, v_child, p_subject_type,
                                    p_subject_id, p_subject_relation, p_now);
      IF v_yes IS NULL OR v_yes = (p_node ? 'union') THEN
        RETURN v_yes;
      END IF;
    END LOOP;
    RETURN NOT p_node ? 'union';
  ELSIF p_node ? 'exclusion' THEN
    v_yes := authz.decide_rewrite(p_tenant_id, p_model, p_type, p_id,
                                  p_node -> 'exclusion' -> 'base', p_subject_type,
                                  p_subject_id, p_subject_relation, p_now);
    IF v_yes IS NOT true THEN
      RETURN v_yes;
    END IF;
    RETURN NOT authz.decide_rewrite(p_tenant_id, p_model, p_type, p_id,
                                    p_node -> 'exclusion' -> 'subtract', p_subject_type,
                                    p_subject_id, p_subject_relation, p_now);
  END IF;
  RETURN NULL;
END
$$;

ALTER FUNCTION authz.decide_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: decided(jsonb); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.decided(p_why jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
  IF p_why ->> 'cut' = 'cycle' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship cycle',
      DETAIL = pg_catalog.format('a node repeats on a path of %s nodes', p_why ->> 'nodes'),
      HINT = 'an owner can find it with api.list_object_tuples; delete one tuple of the cycle';
  ELSIF p_why ->> 'cut' = 'deep' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too deep',
      DETAIL = 'a path of usersets goes deeper than 25 nodes',
      HINT = 'flatten nested groups';
  END IF;
  RETURN p_why;
END
$$;

ALTER FUNCTION authz.decided(p_why jsonb) OWNER TO claw_owner;

--
-- Name: define_model(uuid, uuid, jsonb, integer); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.define_model(p_tenant_id uuid, p_principal_id uuid, p_model jsonb, p_expected_version integer, OUT version integer, OUT token text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_revision bigint;
  v_current integer;
  v_types jsonb := p_model -> 'types';
  v_type text;
  v_def jsonb;
  v_rel text;
  v_node jsonb;
  v_bad record;
  v_old_edges text[];
  v_now timestamptz := internal.now();
BEGIN
  IF pg_catalog.jsonb_typeof(p_model) IS DISTINCT FROM 'object'
     OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(p_model) AS k WHERE k <> 'types')
     OR pg_catalog.jsonb_typeof(v_types) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid authorization model',
      DETAIL = 'the model must be an object with one key, types',
      HINT = '{"types": {"user": {}, "team": {"relations": {"member": {"this": ["user"]}}}}}';
  END IF;
  FOR v_type, v_def IN SELECT * FROM pg_catalog.jsonb_each(v_types) LOOP
    IF v_type !~ '^[a-z][a-z0-9_]{0,62}$' OR pg_catalog.jsonb_typeof(v_def) <> 'object'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(v_def) AS k WHERE k <> 'relations')
       OR (v_def ? 'relations' AND pg_catalog.jsonb_typeof(v_def -> 'relations') <> 'object') THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid authorization model: type %s', pg_catalog.left(pg_catalog.quote_ident(v_type), 80)),
        DETAIL = 'a type name is [a-z][a-z0-9_]*, its definition an object with an optional relations object',
        HINT = '"invoice": {"relations": {"owner": {"this": ["user"]}}}';
    END IF;
    FOR v_rel IN SELECT k FROM pg_catalog.jsonb_object_keys(coalesce(v_def -> 'relations', '{}')) AS k LOOP
      IF v_rel !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
            'invalid authorization model: relation %s.%s', v_type,
            pg_catalog.left(pg_catalog.quote_ident(v_rel), 80)),
          HINT = 'a relation name is [a-z][a-z0-9_]*';
      END IF;
      PERFORM authz.validate_rewrite(v_types, v_type, v_rel, v_def -> 'relations' -> v_rel);
    END LOOP;
  END LOOP;

  v_revision := authz.bump_revision(p_tenant_id);
  SELECT max(m.version) INTO v_current FROM authz.models AS m WHERE m.tenant_id = p_tenant_id;
  IF p_expected_version IS NOT NULL AND p_expected_version <> coalesce(v_current, 0) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale authorization model version',
      DETAIL = pg_catalog.format('expected version %s, the current version is %s',
                                 p_expected_version, coalesce(v_current, 0)),
      HINT = 'read the model again (api.describe_authz_model) and reapply your change';
  END IF;
  version := coalesce(v_current, 0) + 1;
  INSERT INTO authz.models (tenant_id, version, definition, sha256, compiled, created_by)
  VALUES (p_tenant_id, version, p_model,
          pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_model::text, 'UTF8')), 'hex'),
          authz.compile_model(v_types), p_principal_id);

  -- the old model's edges: only an edge the new model adds can close a cycle of the tuples
  -- (authz.write_tuples refused every tuple that closed one under the old edges)
  v_old_edges := ARRAY(SELECT e.src || '>' || e.dst || '>' || e.kind || '>' || e.tupleset
                       FROM authz.type_edges(p_tenant_id) AS e);
  DELETE FROM authz.relations AS r WHERE r.tenant_id = p_tenant_id;
  FOR v_type, v_def IN SELECT * FROM pg_catalog.jsonb_each(v_types) LOOP
    FOR v_rel, v_node IN SELECT * FROM pg_catalog.jsonb_each(coalesce(v_def -> 'relations', '{}')) LOOP
      INSERT INTO authz.relations (tenant_id, object_type, relation, rewrite, direct_subjects,
                                   exact, model_version)
      VALUES (p_tenant_id, v_type, v_rel, v_node, authz.direct_subjects_of(v_node),
              NOT pg_catalog.jsonb_path_exists(v_node, 'lax $.**.intersection')
              AND NOT pg_catalog.jsonb_path_exists(v_node, 'lax $.**.exclusion'),
              version);
      INSERT INTO authz.rewrite_edges (tenant_id, object_type, relation, kind, target_relation,
                                       tupleset)
      SELECT DISTINCT p_tenant_id, v_type, v_rel,
             CASE WHEN l.node ? 'this' THEN 'this' WHEN l.node ? 'computed' THEN 'computed'
                  ELSE 'ttu' END,
             coalesce(l.node ->> 'computed', l.node -> 'ttu' ->> 'computed', ''),
             coalesce(l.node -> 'ttu' ->> 'tupleset', '')
      FROM authz.rewrite_leaves(v_node) AS l (node);
    END LOOP;
  END LOOP;

  -- a relation that includes itself through computed rewrites alone never terminates
  WITH RECURSIVE walk (object_type, start_rel, rel, path) AS (
    SELECT e.object_type, e.relation, e.target_relation, ARRAY[e.relation, e.target_relation]
    FROM authz.rewrite_edges AS e
    WHERE e.tenant_id = p_tenant_id AND e.kind = 'computed'
    UNION ALL
    SELECT w.object_type, w.start_rel, e.target_relation, w.path || e.target_relation
    FROM walk AS w
    JOIN authz.rewrite_edges AS e
      ON e.tenant_id = p_tenant_id AND e.object_type = w.object_type AND e.relation = w.rel
     AND e.kind = 'computed'
    WHERE w.rel <> w.start_rel AND NOT e.target_relation = ANY (w.path[2:])
  )
  SELECT w.object_type, w.path INTO v_bad FROM walk AS w WHERE w.rel = w.start_rel
  ORDER BY w.object_type, w.start_rel LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid authorization model: %s.%s includes itself', v_bad.object_type, v_bad.path[1]),
      DETAIL = pg_catalog.format('computed cycle: %s', pg_catalog.array_to_string(
        ARRAY(SELECT v_bad.object_type || '.' || p FROM pg_catalog.unnest(v_bad.path) AS p), ' -> ')),
      HINT = 'a computed chain must end in this or ttu';
  END IF;

  -- Existing tuples the new edges would make a cycle (authz.evaluate would refuse every
  -- check that reaches it, CL508): two folders each the other's parent are harmless until a
  -- relation follows parent. The cycle guard of authz.write_tuples, over the live tuples:
  -- for each computed or tuple-to-userset edge the new model adds that lies on a cycle of
  -- relations (authz.type_edges: any cycle of nodes follows one), each node pair it joins
  -- (src includes dst: every object of the type that holds tuples for computed, every tuple
  -- of the tupleset for tuple-to-userset), walked down from dst with the new edges: if the
  -- walk reaches src, the edge closes a cycle. A model that adds no such edge walks nothing.
  WITH RECURSIVE te AS (
    SELECT * FROM authz.type_edges(p_tenant_id)
  ), added AS (
    SELECT te.* FROM te
    WHERE te.kind IN ('computed', 'ttu')
      AND NOT (te.src || '>' || te.dst || '>' || te.kind || '>' || te.tupleset) = ANY (v_old_edges)
  ), reach (start, node) AS (
    SELECT a.dst, a.dst FROM added AS a
    UNION
    SELECT r.start, te.dst FROM reach AS r JOIN te ON te.src = r.node
  ), pairs (src_t, src_id, src_r, dst_t, dst_id, dst_r, via) AS (
    SELECT o.object_type, o.object_id, pg_catalog.split_part(a.src, '#', 2),
           o.object_type, o.object_id, pg_catalog.split_part(a.dst, '#', 2),
           pg_catalog.format('the rewrite %s.%s computed %s', o.object_type,
                             pg_catalog.split_part(a.src, '#', 2), pg_catalog.split_part(a.dst, '#', 2))
    FROM added AS a
    CROSS JOIN LATERAL (SELECT DISTINCT tu.object_type, tu.object_id FROM authz.tuples AS tu
                        WHERE tu.tenant_id = p_tenant_id
                          AND tu.object_type = pg_catalog.split_part(a.src, '#', 1)) AS o
    WHERE a.kind = 'computed'
      AND EXISTS (SELECT 1 FROM reach AS r WHERE r.start = a.dst AND r.node = a.src)
    UNION ALL
    SELECT tu.object_type, tu.object_id, pg_catalog.split_part(a.src, '#', 2),
           tu.subject_type, tu.subject_id, pg_catalog.split_part(a.dst, '#', 2),
           'the tuple ' || authz.format_tuple(tu.object_type, tu.object_id, tu.relation,
                                              tu.subject_type, tu.subject_id, '')
    FROM added AS a
    JOIN authz.tuples AS tu
      ON tu.tenant_id = p_tenant_id AND tu.object_type = pg_catalog.split_part(a.src, '#', 1)
     AND tu.relation = a.tupleset AND tu.subject_type = pg_catalog.split_part(a.dst, '#', 1)
     AND tu.subject_relation = '' AND (tu.expires_at IS NULL OR tu.expires_at > v_now)
    WHERE a.kind = 'ttu'
      AND EXISTS (SELECT 1 FROM reach AS r WHERE r.start = a.dst AND r.node = a.src)
  )
  SELECT p.* INTO v_bad
  FROM pairs AS p
  WHERE EXISTS (
    SELECT 1 FROM authz.walk_down(p_tenant_id, ARRAY[p.dst_t], ARRAY[p.dst_id],
                                  ARRAY[p.dst_r], v_now, false) AS w
    WHERE w.node_type = p.src_t AND w.node_id = p.src_id AND w.node_relation = p.src_r)
  ORDER BY p.src_t, p.src_id, p.src_r, p.via
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409',
      MESSAGE = 'the new authorization model would make existing tuples a cycle',
      DETAIL = pg_catalog.format(
        'through %s, %s:%s#%s would include %s:%s#%s, which already includes it', v_bad.via,
        v_bad.src_t, v_bad.src_id, v_bad.src_r, v_bad.dst_t, v_bad.dst_id, v_bad.dst_r),
      HINT = 'delete one tuple of the cycle (api.list_object_tuples shows an object''s tuples), '
             'then define the model again';
  END IF;

  -- exact: no intersection or exclusion in the relation or in anything it reaches
  LOOP
    UPDATE authz.relations AS r SET exact = false
    WHERE r.tenant_id = p_tenant_id AND r.exact AND EXISTS (
      SELECT 1 FROM authz.rewrite_edges AS e
      JOIN authz.relations AS t ON t.tenant_id = e.tenant_id AND NOT t.exact AND (
           (e.kind = 'computed' AND t.object_type = e.object_type AND t.relation = e.target_relation)
        OR (e.kind = 'ttu' AND t.relation = e.target_relation AND EXISTS (
              SELECT 1 FROM authz.relations AS s
              WHERE s.tenant_id = e.tenant_id AND s.object_type = e.object_type
                AND s.relation = e.tupleset AND t.object_type = ANY (s.direct_subjects)))
        OR (e.kind = 'this' AND t.object_type || '#' || t.relation = ANY (r.direct_subjects)))
      WHERE e.tenant_id = r.tenant_id AND e.object_type = r.object_type AND e.relation = r.relation);
    EXIT WHEN NOT FOUND;
  END LOOP;

  -- contract only after the tuples the new model has no place for are gone
  SELECT t.*, count(*) OVER () AS n INTO v_bad
  FROM authz.tuples AS t
  LEFT JOIN authz.relations AS r
    ON r.tenant_id = t.tenant_id AND r.object_type = t.object_type AND r.relation = t.relation
  WHERE t.tenant_id = p_tenant_id
    AND (r.relation IS NULL OR NOT (t.subject_type
         || CASE WHEN t.subject_relation = '' THEN '' ELSE '#' || t.subject_relation END)
         = ANY (r.direct_subjects))
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409',
      MESSAGE = 'the new authorization model has no place for existing tuples',
      DETAIL = pg_catalog.format('%s tuple(s), e.g. %s', v_bad.n, authz.format_tuple(
        v_bad.object_type, v_bad.object_id, v_bad.relation, v_bad.subject_type,
        v_bad.subject_id, v_bad.subject_relation)),
      HINT = 'expand first (keep the relation and subject type), delete those tuples, then contract';
  END IF;
  token := authz.make_token(p_tenant_id, v_revision);
END
$_$;

ALTER FUNCTION authz.define_model(p_tenant_id uuid, p_principal_id uuid, p_model jsonb, p_expected_version integer, OUT version integer, OUT token text) OWNER TO claw_owner;

--
-- Name: direct_subjects_of(jsonb); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.direct_subjects_of(p_node jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT coalesce(pg_catalog.array_agg(DISTINCT s.s ORDER BY s.s), '{}')
  FROM authz.rewrite_leaves(p_node) AS l (node)
  CROSS JOIN LATERAL pg_catalog.jsonb_array_elements_text(l.node -> 'this') AS s (s)
  WHERE l.node ? 'this'
$$;

ALTER FUNCTION authz.direct_subjects_of(p_node jsonb) OWNER TO claw_owner;

--
-- Name: evaluate(uuid, jsonb, text, text, text, text, text, text, timestamp with time zone, text[]); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.evaluate(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_node text := p_type || ':' || p_id || '#' || p_relation;
  v_rewrite jsonb;
  v_why jsonb;
  v_work integer;
  v_yes boolean;
BEGIN
  -- a branch cut short: the rewrite above may still be decided by another branch
  IF v_node = ANY (p_path) THEN
    RETURN pg_catalog.jsonb_build_object('cut', 'cycle', 'nodes', pg_catalog.cardinality(p_path) + 1);
  END IF;
  IF pg_catalog.cardinality(p_path) >= 25 THEN
    RETURN '{"cut": "deep"}'::jsonb;
  END IF;
  -- a budget of evaluations per question (authz.evaluate_top resets it): shared structures
  -- (diamonds of computed relations and tuple-to-userset parents) could otherwise make a
  -- question revisit the same nodes exponentially often
  v_work := coalesce(NULLIF(pg_catalog.current_setting('claw.authz_work', true), ''), '0')::integer + 1;
  IF v_work > 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too complex',
      DETAIL = 'the question needed more than 10,000 evaluations',
      HINT = 'share fewer parents between the same objects, or flatten nested groups';
  END IF;
  PERFORM pg_catalog.set_config('claw.authz_work', v_work::text, true);
  IF p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation THEN
    RETURN pg_catalog.jsonb_build_object('node', v_node, 'because', '{"self": true}'::jsonb);
  END IF;
  v_rewrite := p_model -> 'r' -> (p_type || '#' || p_relation);
  IF v_rewrite IS NULL THEN
    RETURN NULL;  -- a relation the type does not define has no members
  END IF;
  -- a yes-or-no question (authz.decide_in_tenant) about a relation one statement can decide
  IF p_model ? 'decide' AND p_model -> 'x' ? (p_type || '#' || p_relation) THEN
    v_yes := authz.reaches(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                           p_subject_id, p_subject_relation, p_now,
                           24 - pg_catalog.cardinality(p_path));
    IF v_yes IS NOT NULL THEN
      RETURN CASE WHEN v_yes THEN pg_catalog.jsonb_build_object(
        'node', v_node, 'because', '{"reached": true}'::jsonb) END;
    END IF;
  END IF;
  v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation, v_rewrite,
                                  p_subject_type, p_subject_id, p_subject_relation, p_now,
                                  p_path || v_node);
  RETURN CASE WHEN v_why IS NULL OR v_why ? 'cut' THEN v_why
              ELSE pg_catalog.jsonb_build_object('node', v_node, 'because', v_why) END;
END
$$;

ALTER FUNCTION authz.evaluate(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) OWNER TO claw_owner;

--
-- Name: evaluate_in_tenant(uuid, jsonb, text, text, text, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_authz_reader
--

CREATE FUNCTION authz.evaluate_in_tenant(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_key text := p_type || '#' || p_relation;
  v_yes boolean;
BEGIN
  PERFORM authz.require_verified_tenant(p_tenant_id);
  IF p_model ? 'decide' AND p_model -> 'x' ? v_key AND p_model -> 'r' ? v_key
     AND NOT (p_type = p_subject_type AND p_id = p_subject_id
              AND p_relation = p_subject_relation) THEN
    v_yes := authz.reaches(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                           p_subject_id, p_subject_relation, p_now, 24);
    IF v_yes IS NOT NULL THEN
      RETURN CASE WHEN v_yes THEN pg_catalog.jsonb_build_object(
        'node', p_type || ':' || p_id || '#' || p_relation,
        'because', '{"reached": true}'::jsonb) END;
    END IF;
  END IF;
  RETURN authz.evaluate_top(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                            p_subject_id, p_subject_relation, p_now);
END
$$;

ALTER FUNCTION authz.evaluate_in_tenant(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) OWNER TO claw_authz_reader;

--
-- Name: evaluate_rewrite(uuid, jsonb, text, text, text, jsonb, text, text, text, timestamp with time zone, text[]); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.evaluate_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_t record;
  v_why jsonb;
  v_sub jsonb;
  v_cut jsonb;
  v_child jsonb;
  v_all jsonb := '[]';
BEGIN
  IF p_node ? 'this' THEN
    RETURN authz.evaluate_this(p_tenant_id, p_model, p_type, p_id, p_relation, p_subject_type,
                               p_subject_id, p_subject_relation, p_now, p_path);
  ELSIF p_node ? 'computed' THEN
    v_why := authz.evaluate(p_tenant_id, p_model, p_type, p_id, p_node ->> 'computed', p_subject_type,
                            p_subject_id, p_subject_relation, p_now, p_path);
    RETURN CASE WHEN v_why IS NULL OR v_why ? 'cut' THEN v_why ELSE pg_catalog.jsonb_build_object(
      'computed', p_node ->> 'computed', 'then', v_why) END;
  ELSIF p_node ? 'ttu' THEN
    FOR v_t IN
      SELECT t.subject_type, t.subject_id FROM authz.tuples AS t
      WHERE t.tenant_id = p_tenant_id AND t.object_type = p_type AND t.object_id = p_id
        AND t.relation = p_node -> 'ttu' ->> 'tupleset' AND t.subject_relation = ''
        AND (t.expires_at IS NULL OR t.expires_at > p_now)
      ORDER BY t.subject_type, t.subject_id
    LOOP
      v_why := authz.evaluate(p_tenant_id, p_model, v_t.subject_type, v_t.subject_id,
                              p_node -> 'ttu' ->> 'computed', p_subject_type, p_subject_id,
                              p_subject_relation, p_now, p_path);
      IF v_why ? 'cut' THEN
        v_cut := coalesce(v_cut, v_why);  -- another parent may still hold
      ELSIF v_why IS NOT NULL THEN
        RETURN pg_catalog.jsonb_build_object('tuple', authz.format_tuple(
          p_type, p_id, p_node -> 'ttu' ->> 'tupleset', v_t.subject_type, v_t.subject_id, ''),
          'then', v_why);
      END IF;
    END LOOP;
    RETURN v_cut;
  ELSIF p_node ? 'union' THEN
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'union') AS e LOOP
      v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation, v_child,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
      IF v_why ? 'cut' THEN
        v_cut := coalesce(v_cut, v_why);  -- a later branch may still hold
      ELSIF v_why IS NOT NULL THEN
        RETURN v_why;
      END IF;
    END LOOP;
    RETURN v_cut;
  ELSIF p_node ? 'intersection' THEN
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'intersection') AS e LOOP
      v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation, v_child,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
      IF v_why IS NULL THEN
        RETURN NULL;  -- whatever a cut child would have been
      ELSIF v_why ? 'cut' THEN
        v_cut := coalesce(v_cut, v_why);  -- a later child may still fail
      ELSE
        v_all := v_all || pg_catalog.jsonb_build_array(v_why);
      END IF;
    END LOOP;
    RETURN coalesce(v_cut, pg_catalog.jsonb_build_object('all', v_all));
  ELSIF p_node ? 'exclusion' THEN
    v_why := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation,
                                    p_node -> 'exclusion' -> 'base', p_subject_type,
                                    p_subject_id, p_subject_relation, p_now, p_path);
    IF v_why IS NULL THEN
      RETURN NULL;
    END IF;
    v_sub := authz.evaluate_rewrite(p_tenant_id, p_model, p_type, p_id, p_relation,
                                    p_node -> 'exclusion' -> 'subtract', p_subject_type,
                                    p_subject_id, p_subject_relation, p_now, p_path);
    IF v_sub IS NOT NULL AND NOT v_sub ? 'cut' THEN
      RETURN NULL;  -- the subtraction holds, whatever a cut base would have been
    ELSIF v_why ? 'cut' THEN
      RETURN v_why;
    ELSIF v_sub ? 'cut' THEN
      RETURN v_sub;
    END IF;
    RETURN pg_catalog.jsonb_build_object('then', v_why, 'but_not',
                                         (p_node -> 'exclusion' -> 'subtract')::text);
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rewrite in the stored model',
    DETAIL = pg_catalog.left(p_node::text, 200);
END
$$;

ALTER FUNCTION authz.evaluate_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) OWNER TO claw_owner;

--
-- Name: evaluate_rewrite_set(uuid, jsonb, jsonb, jsonb, text, text, jsonb, text[], text, text, text, timestamp with time zone, text[]); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.evaluate_rewrite_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_node jsonb, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_set text[];
  v_child jsonb;
  -- this and ttu: the relation whose tuples the leaf reads, and per relation its tuples
  -- name (a userset's, a parent's), the members among the ids they name
  v_tuples text := coalesce(p_node -> 'ttu' ->> 'tupleset', p_relation);
  v_from record;
  v_members text[];
BEGIN
  IF pg_catalog.cardinality(p_candidates) = 0 THEN
    RETURN '{}';
  END IF;
  IF p_node ? 'computed' THEN
    RETURN authz.evaluate_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                              p_node ->> 'computed', p_candidates, p_subject_type,
                              p_subject_id, p_subject_relation, p_now, p_path);
  ELSIF p_node ? 'union' THEN
    -- each child only about the candidates not found yet, so the parts are disjoint
    v_set := '{}';
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'union') AS e LOOP
      v_set := v_set || authz.evaluate_rewrite_set(
        p_tenant_id, p_model, p_walk, p_relations, p_type, p_relation, v_child,
        ARRAY(SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id)
              EXCEPT SELECT f.id FROM pg_catalog.unnest(v_set) AS f (id)),
        p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
    END LOOP;
    RETURN v_set;
  ELSIF p_node ? 'intersection' THEN
    -- each child only about what the previous ones kept
    v_set := p_candidates;
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_node -> 'intersection') AS e
    LOOP
      v_set := authz.evaluate_rewrite_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                                          p_relation, v_child, v_set, p_subject_type,
                                          p_subject_id, p_subject_relation, p_now, p_path);
    END LOOP;
    RETURN v_set;
  ELSIF p_node ? 'exclusion' THEN
    v_set := authz.evaluate_rewrite_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                                        p_relation, p_node -> 'exclusion' -> 'base',
                                        p_candidates, p_subject_type, p_subject_id,
                                        p_subject_relation, p_now, p_path);
    RETURN ARRAY(SELECT b.id FROM pg_catalog.unnest(v_set) AS b (id)
                 EXCEPT
                 SELECT s.id FROM pg_catalog.unnest(authz.evaluate_rewrite_set(
                   p_tenant_id, p_model, p_walk, p_relations, p_type, p_relation,
                   p_node -> 'exclusion' -> 'subtract', v_set, p_subject_type, p_subject_id,
                   p_subject_relation, p_now, p_path)) AS s (id));
  ELSIF NOT (p_node ? 'this' OR p_node ? 'ttu') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rewrite in the stored model',
      DETAIL = pg_catalog.left(p_node::text, 200);
  END IF;

  -- this: the tuples naming the subject itself
  v_set := '{}';
  IF p_node ? 'this' THEN
    v_set := ARRAY(SELECT tu.object_id FROM authz.tuples AS tu
                   WHERE tu.tenant_id = p_tenant_id AND tu.subject_type = p_subject_type
                     AND tu.subject_id = p_subject_id
                     AND tu.subject_relation = p_subject_relation
                     AND tu.object_type = p_type AND tu.relation = p_relation
                     AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
                   INTERSECT
                   SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id));
  END IF;
  -- this: the tuples naming a userset (U, u, r), u in S(U, r); ttu: the tuples of the
  -- tupleset naming a parent (P, p), p in S(P, computed). The subject types the tuples may
  -- name are the relation's direct subjects (authz.write_tuples refuses any other; a
  -- tupleset names plain objects only).
  FOR v_from IN
    SELECT m.t, m.r, m.sr,
           coalesce((p_relations -> (m.t || '#' || m.r) ->> 'exact')::boolean, true) AS exact
    FROM pg_catalog.jsonb_array_elements_text(
           p_relations -> (p_type || '#' || v_tuples) -> 'direct') AS s (s)
    CROSS JOIN LATERAL (
      SELECT pg_catalog.split_part(s.s, '#', 1),
             coalesce(p_node -> 'ttu' ->> 'computed', pg_catalog.split_part(s.s, '#', 2)),
             pg_catalog.split_part(s.s, '#', 2)) AS m (t, r, sr)
    WHERE (m.sr = '') = (p_node ? 'ttu')
  LOOP
    IF v_from.exact THEN
      v_members := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
                           coalesce(p_walk -> (v_from.t || '#' || v_from.r), '[]')));
    ELSE
      -- asked only about the usersets or parents the candidates' tuples name
      v_members := authz.evaluate_set(
        p_tenant_id, p_model, p_walk, p_relations, v_from.t, v_from.r,
        ARRAY(SELECT DISTINCT tu.subject_id
              FROM pg_catalog.unnest(p_candidates) AS c (id)
              JOIN authz.tuples AS tu
                ON tu.tenant_id = p_tenant_id AND tu.object_type = p_type
               AND tu.object_id = c.id AND tu.relation = v_tuples
               AND tu.subject_type = v_from.t AND tu.subject_relation = v_from.sr
               AND (tu.expires_at IS NULL OR tu.expires_at > p_now)),
        p_subject_type, p_subject_id, p_subject_relation, p_now, p_path);
    END IF;
    CONTINUE WHEN pg_catalog.cardinality(v_members) = 0;
    v_set := ARRAY(SELECT f.id FROM pg_catalog.unnest(v_set) AS f (id)
                   UNION
                   (SELECT tu.object_id
                    FROM pg_catalog.unnest(v_members) AS m (id)
                    JOIN authz.tuples AS tu
                      ON tu.tenant_id = p_tenant_id AND tu.subject_type = v_from.t
                     AND tu.subject_id = m.id AND tu.subject_relation = v_from.sr
                     AND tu.object_type = p_type AND tu.relation = v_tuples
                     AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
                    INTERSECT
                    SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id)));
  END LOOP;
  RETURN v_set;
END
$$;

ALTER FUNCTION authz.evaluate_rewrite_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_node jsonb, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) OWNER TO claw_owner;

--
-- Name: evaluate_set(uuid, jsonb, jsonb, jsonb, text, text, text[], text, text, text, timestamp with time zone, text[]); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.evaluate_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_key text := p_type || '#' || p_relation;
  v_exact boolean := (p_relations -> v_key ->> 'exact')::boolean;
  v_set text[];
  v_work integer;
BEGIN
  IF pg_catalog.cardinality(p_candidates) = 0 THEN
    RETURN '{}';
  END IF;
  -- a budget of set evaluations per list (authz.list_objects resets it), like authz.evaluate's
  -- per check: a model whose relations branch into the same non-exact relations at every
  -- level could otherwise multiply them
  v_work := coalesce(NULLIF(pg_catalog.current_setting('claw.authz_set_work', true), ''), '0')::integer + 1;
  IF v_work > 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL508', MESSAGE = 'relationship graph too complex',
      DETAIL = 'the list needed more than 10,000 set evaluations',
      HINT = 'reference fewer relations that use intersection or exclusion from each other';
  END IF;
  PERFORM pg_catalog.set_config('claw.authz_set_work', v_work::text, true);
  -- exact: the walk's candidates. A relation the type does not define (a ttu target some
  -- parent types lack) has no members but a userset subject itself, which the walk holds.
  IF coalesce(v_exact, true) THEN
    RETURN ARRAY(SELECT w.id FROM pg_catalog.jsonb_array_elements_text(
                   coalesce(p_walk -> v_key, '[]')) AS w (id)
                 INTERSECT
                 SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id));
  END IF;
  IF pg_catalog.cardinality(p_path) >= 8 THEN
    -- nested too deep for the set algebra: confirm each remaining candidate, all of them
    -- within one evaluation budget (authz.evaluate's, reset by authz.list_objects), so a
    -- list cannot be a check's worst case times its candidates
    RETURN ARRAY(SELECT x.id
                 FROM (SELECT w.id FROM pg_catalog.jsonb_array_elements_text(
                         coalesce(p_walk -> v_key, '[]')) AS w (id)
                       INTERSECT
                       SELECT c.id FROM pg_catalog.unnest(p_candidates) AS c (id)) AS x (id)
                 WHERE authz.decided(authz.evaluate(p_tenant_id, p_model, p_type, x.id,
                                                    p_relation, p_subject_type, p_subject_id,
                                                    p_subject_relation, p_now, '{}')) IS NOT NULL);
  END IF;
  v_set := authz.evaluate_rewrite_set(p_tenant_id, p_model, p_walk, p_relations, p_type,
                                      p_relation, p_model -> 'r' -> v_key, p_candidates,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now,
                                      p_path || v_key);
  -- a userset includes itself
  IF p_subject_type = p_type AND p_subject_relation = p_relation
     AND p_subject_id = ANY (p_candidates) AND NOT p_subject_id = ANY (v_set) THEN
    v_set := v_set || p_subject_id;
  END IF;
  RETURN v_set;
END
$$;

ALTER FUNCTION authz.evaluate_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) OWNER TO claw_owner;

--
-- Name: evaluate_this(uuid, jsonb, text, text, text, text, text, text, timestamp with time zone, text[]); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.evaluate_this(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET work_mem TO '64kB'
    AS $$
DECLARE
  -- a userset at depth d is evaluated with a path of cardinality(p_path) + d - 1 nodes
  v_budget integer := 25 - pg_catalog.cardinality(p_path);
  -- the usersets walked here: relations that are exactly {"this": [...]} (a JSON array of
  -- names: `?` asks whether it holds one)
  v_simple jsonb := p_model -> 's';
  v_root text := p_type || ':' || p_id || '#' || p_relation;
  v_subject_text text := p_subject_type || ':' || p_subject_id
                         || CASE WHEN p_subject_relation = '' THEN '' ELSE '#' || p_subject_relation END;
  v_direct boolean;
  v_nested boolean;
  v_key text;
  v_why jsonb;
  v_ancestors text[];
  v_found jsonb;
  v_reached jsonb;
  v_kind integer;
  v_i integer;
  v_up jsonb := p_model -> 'u' -> (p_type || '#' || p_relation);
  v_hit jsonb;
  v_cut boolean;
  v_undecided jsonb;  -- the first cut branch, the answer when nothing holds
BEGIN
  -- most objects hold no usersets: answer those with one probe
  SELECT EXISTS (SELECT 1 FROM authz.tuples AS d
                 WHERE d.tenant_id = p_tenant_id AND d.object_type = p_type AND d.object_id = p_id
                   AND d.relation = p_relation AND d.subject_type = p_subject_type
                   AND d.subject_id = p_subject_id AND d.subject_relation = p_subject_relation
                   AND (d.expires_at IS NULL OR d.expires_at > p_now)),
         EXISTS (SELECT 1 FROM authz.tuples AS u
                 WHERE u.tenant_id = p_tenant_id /* speed only */
                   AND u.object_type = p_type AND u.object_id = p_id
                   AND u.relation = p_relation AND u.subject_relation <> ''
                   AND (u.expires_at IS NULL OR u.expires_at > p_now))
    INTO v_direct, v_nested;
  IF v_direct THEN
    RETURN pg_catalog.jsonb_build_object('tuple', authz.format_tuple(
      p_type, p_id, p_relation, p_subject_type, p_subject_id, p_subject_relation));
  ELSIF NOT v_nested THEN
    RETURN NULL;
  END IF;

  IF v_up IS NOT NULL THEN
    -- Up from the subject through the plain relations this one can reach, each (group,
    -- depth) once; a hit is a group at depth d >= 1 that this relation's tuples name (the
    -- walk down would find the subject d levels below), nearest first.
    WITH up (t, id, r, depth) AS (
      SELECT * FROM authz.subject_groups(p_tenant_id, p_subject_type, p_subject_id,
                                         p_subject_relation, v_up, p_now, v_budget)
    ), hit AS (
      SELECT up.depth, up.t, up.id, up.r
      FROM up
      WHERE up.depth >= 1 AND EXISTS (
        SELECT 1 FROM authz.tuples AS h
        WHERE h.tenant_id = p_tenant_id AND h.object_type = p_type AND h.object_id = p_id
          AND h.relation = p_relation AND h.subject_type = up.t AND h.subject_id = up.id
          AND h.subject_relation = up.r AND (h.expires_at IS NULL OR h.expires_at > p_now))
      ORDER BY up.depth, up.t, up.id, up.r
      LIMIT 1
    )
    SELECT (SELECT pg_catalog.jsonb_build_array(h.depth, h.t, h.id, h.r) FROM hit AS h),
           (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(u.depth, u.t, u.id, u.r))
            FROM up AS u WHERE u.depth >= 1 AND EXISTS (SELECT 1 FROM hit)),
           EXISTS (SELECT 1 FROM up AS u
                   WHERE u.depth = v_budget AND EXISTS (
                     SELECT 1 FROM authz.tuples AS tu
                     WHERE tu.tenant_id = p_tenant_id /* speed only */ AND tu.subject_type = u.t
                       AND tu.subject_id = u.id AND tu.subject_relation = u.r
                       AND v_up ? (tu.object_type || '#' || tu.relation)
                       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)))
      INTO v_hit, v_reached, v_cut;
    IF v_hit IS NOT NULL THEN
      -- the groups from the hit down to the one that names the subject, then as below
      v_ancestors := authz.userset_chain(p_tenant_id, v_reached, v_hit, p_now);
      RETURN authz.wrap_userset_path(v_root || v_ancestors, pg_catalog.jsonb_build_object(
        'node', v_ancestors[pg_catalog.cardinality(v_ancestors)],
        'because', pg_catalog.jsonb_build_object(
          'tuple', v_ancestors[pg_catalog.cardinality(v_ancestors)] || '@' || v_subject_text)));
    ELSIF NOT v_cut THEN
      RETURN NULL;  -- nothing includes the subject within the depth limit
    END IF;
  END IF;

  -- One statement walks every plain-this group below, each (group, depth) once: UNION
  -- drops the second path to a group at the same depth, so a diamond costs its groups, not
  -- its paths. It returns what was found, nearest first, and the groups it reached (for the
  -- explanation of a hit, rebuilt below without walking again).
  WITH RECURSIVE us (t, id, r, depth, simple) AS (
    SELECT p_type, p_id, p_relation, 0, true
    UNION
    SELECT tu.subject_type, tu.subject_id, tu.subject_relation, us.depth + 1,
           v_simple ? (tu.subject_type || '#' || tu.subject_relation)
    FROM us
    JOIN authz.tuples AS tu
      ON tu.tenant_id = p_tenant_id AND tu.object_type = us.t AND tu.object_id = us.id
     AND tu.relation = us.r AND tu.subject_relation <> ''
     AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
    WHERE us.simple AND us.depth < v_budget
      AND NOT (us.depth > 0 AND us.t = p_subject_type AND us.id = p_subject_id
               AND us.r = p_subject_relation)
  ), found AS (
    -- 1: a plain-this group with a direct tuple naming the subject
    SELECT 1 AS kind, us.depth, us.t, us.id, us.r
    FROM us
    WHERE us.simple AND us.depth > 0 AND EXISTS (
      SELECT 1 FROM authz.tuples AS d
      WHERE d.tenant_id = p_tenant_id AND d.object_type = us.t AND d.object_id = us.id
        AND d.relation = us.r AND d.subject_type = p_subject_type
        AND d.subject_id = p_subject_id AND d.subject_relation = p_subject_relation
        AND (d.expires_at IS NULL OR d.expires_at > p_now))
    UNION ALL
    -- 2: the subject itself (a userset)
    SELECT 2, us.depth, us.t, us.id, us.r
    FROM us
    WHERE us.depth > 0 AND us.t = p_subject_type AND us.id = p_subject_id
      AND us.r = p_subject_relation
    UNION ALL
    -- 3: a userset whose relation is a richer rewrite
    SELECT 3, us.depth, us.t, us.id, us.r
    FROM us
    WHERE NOT us.simple
      AND NOT (us.t = p_subject_type AND us.id = p_subject_id AND us.r = p_subject_relation)
    UNION ALL
    -- 4: the walk stopped at the depth limit with more below
    SELECT 4, us.depth, us.t, us.id, us.r
    FROM us
    WHERE us.simple AND us.depth = v_budget AND EXISTS (
      SELECT 1 FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id /* speed only */
        AND tu.object_type = us.t AND tu.object_id = us.id
        AND tu.relation = us.r AND tu.subject_relation <> ''
        AND (tu.expires_at IS NULL OR tu.expires_at > p_now))
  )
  SELECT (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(f.kind, f.depth, f.t, f.id, f.r)
                                      ORDER BY f.kind, f.depth, f.t, f.id, f.r) FROM found AS f),
         (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(u.depth, u.t, u.id, u.r))
          FROM us AS u WHERE u.simple)
    INTO v_found, v_reached;

  FOR v_i IN 0 .. coalesce(pg_catalog.jsonb_array_length(v_found), 0) - 1 LOOP
    v_kind := (v_found -> v_i ->> 0)::integer;
    v_key := (v_found -> v_i ->> 2) || ':' || (v_found -> v_i ->> 3) || '#' || (v_found -> v_i ->> 4);
    v_ancestors := authz.userset_path(p_tenant_id, v_reached, v_root, v_key,
                                      (v_found -> v_i ->> 1)::integer, p_now);
    IF v_kind = 1 THEN
      v_why := pg_catalog.jsonb_build_object('node', v_key, 'because', pg_catalog.jsonb_build_object(
        'tuple', authz.format_tuple(v_found -> v_i ->> 2, v_found -> v_i ->> 3, v_found -> v_i ->> 4,
                                    p_subject_type, p_subject_id, p_subject_relation)));
    ELSIF v_kind = 2 THEN
      v_why := pg_catalog.jsonb_build_object('node', v_key, 'because', '{"self": true}'::jsonb);
    ELSIF v_kind = 3 THEN
      v_why := authz.evaluate(p_tenant_id, p_model, v_found -> v_i ->> 2, v_found -> v_i ->> 3,
                              v_found -> v_i ->> 4, p_subject_type, p_subject_id,
                              p_subject_relation, p_now,
                              p_path || v_ancestors[2:pg_catalog.cardinality(v_ancestors) - 1]);
      IF v_why ? 'cut' THEN
        v_undecided := coalesce(v_undecided, v_why);
      END IF;
      CONTINUE WHEN v_why IS NULL OR v_why ? 'cut';
    ELSE
      -- the walk stopped at the depth limit (these come last: nothing nearer held)
      RETURN coalesce(v_undecided, '{"cut": "deep"}'::jsonb);
    END IF;
    RETURN authz.wrap_userset_path(v_ancestors, v_why);
  END LOOP;
  RETURN v_undecided;
END
$$;

ALTER FUNCTION authz.evaluate_this(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) OWNER TO claw_owner;

--
-- Name: evaluate_top(uuid, jsonb, text, text, text, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.evaluate_top(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
  PERFORM pg_catalog.set_config('claw.authz_work', '0', true);
  RETURN authz.decided(authz.evaluate(p_tenant_id, p_model, p_type, p_id, p_relation,
                                      p_subject_type, p_subject_id, p_subject_relation, p_now,
                                      '{}'));
END
$$;

ALTER FUNCTION authz.evaluate_top(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: explain_lines(jsonb, integer); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.explain_lines(p_why jsonb, p_indent integer DEFAULT 0) RETURNS SETOF text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_pad text := pg_catalog.repeat(' ', p_indent);
  v_child jsonb;
BEGIN
  IF p_why IS NULL THEN
    RETURN;
  END IF;
  IF p_why ? 'node' THEN
    RETURN NEXT v_pad || (p_why ->> 'node');
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'because', p_indent + 2);
  ELSIF p_why ? 'self' THEN
    RETURN NEXT v_pad || 'is the subject itself';
  ELSIF p_why ? 'computed' THEN
    RETURN NEXT v_pad || 'computed from ' || (p_why ->> 'computed');
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'then', p_indent);
  ELSIF p_why ? 'tuple' AND p_why ? 'then' THEN
    RETURN NEXT v_pad || 'via tuple ' || (p_why ->> 'tuple');
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'then', p_indent);
  ELSIF p_why ? 'tuple' THEN
    RETURN NEXT v_pad || 'direct tuple ' || (p_why ->> 'tuple');
  ELSIF p_why ? 'all' THEN
    RETURN NEXT v_pad || 'all of:';
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(p_why -> 'all') AS e LOOP
      RETURN QUERY SELECT * FROM authz.explain_lines(v_child, p_indent + 2);
    END LOOP;
  ELSIF p_why ? 'but_not' THEN
    RETURN QUERY SELECT * FROM authz.explain_lines(p_why -> 'then', p_indent);
    RETURN NEXT v_pad || 'and not ' || (p_why ->> 'but_not');
  END IF;
END
$$;

ALTER FUNCTION authz.explain_lines(p_why jsonb, p_indent integer) OWNER TO claw_owner;

--
-- Name: format_tuple(text, text, text, text, text, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.format_tuple(p_object_type text, p_object_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT p_object_type || ':' || p_object_id || '#' || p_relation || '@' || p_subject_type
         || ':' || p_subject_id
         || CASE WHEN p_subject_relation = '' THEN '' ELSE '#' || p_subject_relation END
$$;

ALTER FUNCTION authz.format_tuple(p_object_type text, p_object_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text) OWNER TO claw_owner;

--
-- Name: list_objects(uuid, text, text, text, integer, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.list_objects(p_tenant_id uuid, p_object_type text, p_relation text, p_subject text, p_limit integer, p_token text DEFAULT NULL::text) RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_s record := authz.parse_subject(p_subject);
  v_now timestamptz := internal.now();
  v_exact boolean;
  v_model jsonb := authz.load_model(p_tenant_id);
  v_walk jsonb;
  v_relations jsonb;
BEGIN
  PERFORM authz.require_fresh(p_tenant_id, p_token);
  PERFORM authz.require_relation(v_model, p_object_type, p_relation);
  PERFORM pg_catalog.set_config('claw.authz_set_work', '0', true),
          pg_catalog.set_config('claw.authz_work', '0', true);
  SELECT r.exact INTO v_exact FROM authz.relations AS r
  WHERE r.tenant_id = p_tenant_id AND r.object_type = p_object_type AND r.relation = p_relation;
  IF v_exact THEN
    RETURN QUERY
    SELECT DISTINCT w.node_id
    FROM authz.walk_up(p_tenant_id, v_s.subject_type, v_s.subject_id, v_s.subject_relation, v_now) AS w
    WHERE w.node_type = p_object_type AND w.node_relation = p_relation
    ORDER BY w.node_id
    LIMIT p_limit;
    RETURN;
  END IF;
  -- the walk as {"type#relation": [id, ...]}: each relation's candidates
  SELECT coalesce(pg_catalog.jsonb_object_agg(g.k, g.ids), '{}') INTO v_walk
  FROM (SELECT w.node_type || '#' || w.node_relation, pg_catalog.jsonb_agg(w.node_id)
        FROM authz.walk_up(p_tenant_id, v_s.subject_type, v_s.subject_id, v_s.subject_relation,
                           v_now) AS w
        GROUP BY 1) AS g (k, ids);
  -- the model's relations as {"type#relation": {"exact": ..., "direct": [subject type, ...]}}
  SELECT pg_catalog.jsonb_object_agg(r.object_type || '#' || r.relation,
           pg_catalog.jsonb_build_object('exact', r.exact, 'direct', r.direct_subjects))
    INTO v_relations
  FROM authz.relations AS r WHERE r.tenant_id = p_tenant_id;
  RETURN QUERY
  SELECT o.id
  FROM pg_catalog.unnest(authz.evaluate_set(
         p_tenant_id, v_model, v_walk, v_relations, p_object_type, p_relation,
         ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
                 coalesce(v_walk -> (p_object_type || '#' || p_relation), '[]'))),
         v_s.subject_type, v_s.subject_id, v_s.subject_relation, v_now, '{}')) AS o (id)
  ORDER BY o.id
  LIMIT p_limit;
END
$$;

ALTER FUNCTION authz.list_objects(p_tenant_id uuid, p_object_type text, p_relation text, p_subject text, p_limit integer, p_token text) OWNER TO claw_owner;

--
-- Name: list_subjects(uuid, text, text, text, integer, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.list_subjects(p_tenant_id uuid, p_object text, p_relation text, p_subject_type text, p_limit integer, p_token text DEFAULT NULL::text) RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_o record := authz.parse_object(p_object);
  v_now timestamptz := internal.now();
  v_exact boolean;
  v_model jsonb := authz.load_model(p_tenant_id);
BEGIN
  PERFORM authz.require_fresh(p_tenant_id, p_token);
  PERFORM authz.require_relation(v_model, v_o.object_type, p_relation);
  SELECT r.exact INTO v_exact FROM authz.relations AS r
  WHERE r.tenant_id = p_tenant_id AND r.object_type = v_o.object_type AND r.relation = p_relation;
  RETURN QUERY
  SELECT DISTINCT w.node_id
  FROM authz.walk_down(p_tenant_id, ARRAY[v_o.object_type], ARRAY[v_o.object_id],
                       ARRAY[p_relation], v_now, true) AS w
  WHERE w.node_type = p_subject_type AND w.node_relation = ''
    AND (v_exact OR authz.evaluate_top(p_tenant_id, v_model, v_o.object_type, v_o.object_id, p_relation,
                                       p_subject_type, w.node_id, '', v_now) IS NOT NULL)
  ORDER BY w.node_id
  LIMIT p_limit;
END
$$;

ALTER FUNCTION authz.list_subjects(p_tenant_id uuid, p_object text, p_relation text, p_subject_type text, p_limit integer, p_token text) OWNER TO claw_owner;

--
-- Name: load_model(uuid); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.load_model(p_tenant_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce((SELECT CASE WHEN m.compiled ? 'x' THEN m.compiled
                               ELSE authz.compile_model(m.definition -> 'types') END
                   FROM authz.models AS m WHERE m.tenant_id = p_tenant_id
                   ORDER BY m.version DESC LIMIT 1), '{"r": {}, "s": [], "u": {}, "e": {}, "x": {}}')
$$;

ALTER FUNCTION authz.load_model(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: make_token(uuid, bigint); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.make_token(p_tenant_id uuid, p_revision bigint) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT 'zt1.' || p_revision || '.' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('authz|' || p_tenant_id || '|' || p_revision, 'UTF8')),
           'hex'), 32)
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$$;

ALTER FUNCTION authz.make_token(p_tenant_id uuid, p_revision bigint) OWNER TO claw_owner;

--
-- Name: memberships(uuid, text, text, text, jsonb, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.memberships(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone) RETURNS TABLE(object_type text, object_id text, relation text)
    LANGUAGE sql STABLE
    AS $$
  SELECT tu.object_type, tu.object_id, tu.relation
  FROM pg_catalog.jsonb_array_elements_text(p_groups) AS g (g)
  CROSS JOIN LATERAL (
    SELECT tu.object_type, tu.object_id, tu.relation FROM authz.tuples AS tu
    WHERE tu.tenant_id = p_tenant_id AND tu.subject_type = p_type AND tu.subject_id = p_id
      AND tu.subject_relation = p_relation
      AND tu.object_type = pg_catalog.split_part(g.g, '#', 1)
      AND tu.relation = pg_catalog.split_part(g.g, '#', 2)
      AND (tu.expires_at IS NULL OR tu.expires_at > p_now) OFFSET 0) AS tu
$$;

ALTER FUNCTION authz.memberships(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: parse_object(text, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.parse_object(p_ref text, p_what text DEFAULT 'object'::text, OUT object_type text, OUT object_id text) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
DECLARE
  v_colon integer := pg_catalog.strpos(p_ref, ':');
BEGIN
  -- unbounded patterns and explicit lengths: PostgreSQL's regex engine expands a bounded
  -- repeat ({1,200}) into states, and matching one costs about 60 times more; a match
  -- without captures (~) and the parts cut by position: regexp_match with captures cost
  -- about 45 us a call here, ~ under 1 us
  IF p_ref IS NULL OR NOT p_ref OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[A-Za-z0-9_.:/@|=+-]+$'
     OR v_colon > 64 OR pg_catalog.length(p_ref) - v_colon > 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format('invalid %s', p_what),
      DETAIL = pg_catalog.format('%s is not of the form type:id',
                                 coalesce(pg_catalog.quote_literal(pg_catalog.left(p_ref, 120)), 'NULL')),
      HINT = 'a type is lower-case ([a-z][a-z0-9_]*); an id is 1 to 200 of A-Z a-z 0-9 _ . : / @ | = + -, e.g. invoice:42';
  END IF;
  object_type := pg_catalog.left(p_ref, v_colon - 1);
  object_id := pg_catalog.substr(p_ref, v_colon + 1);
END
$_$;

ALTER FUNCTION authz.parse_object(p_ref text, p_what text, OUT object_type text, OUT object_id text) OWNER TO claw_owner;

--
-- Name: parse_subject(text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.parse_subject(p_ref text, OUT subject_type text, OUT subject_id text, OUT subject_relation text) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
DECLARE
  -- as authz.parse_object: a match without captures, the parts cut by position (an id holds
  -- no '#', a type no ':')
  v_hash integer := pg_catalog.strpos(p_ref, '#');
  v_base text := CASE WHEN v_hash > 0 THEN pg_catalog.left(p_ref, v_hash - 1) ELSE p_ref END;
  v_colon integer := pg_catalog.strpos(v_base, ':');
BEGIN
  IF p_ref IS NULL
     OR NOT p_ref OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[A-Za-z0-9_.:/@|=+-]+(#[a-z][a-z0-9_]*)?$'
     OR v_colon > 64 OR pg_catalog.length(v_base) - v_colon > 200
     OR (v_hash > 0 AND pg_catalog.length(p_ref) - v_hash > 63) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid subject',
      DETAIL = pg_catalog.format('%s is not of the form type:id or type:id#relation',
                                 coalesce(pg_catalog.quote_literal(pg_catalog.left(p_ref, 120)), 'NULL')),
      HINT = 'e.g. user:alice, or team:ops#member for every member of team ops';
  END IF;
  subject_type := pg_catalog.left(v_base, v_colon - 1);
  subject_id := pg_catalog.substr(v_base, v_colon + 1);
  subject_relation := CASE WHEN v_hash > 0 THEN pg_catalog.substr(p_ref, v_hash + 1) ELSE '' END;
END
$_$;

ALTER FUNCTION authz.parse_subject(p_ref text, OUT subject_type text, OUT subject_id text, OUT subject_relation text) OWNER TO claw_owner;

--
-- Name: permitted(uuid, jsonb, text, text, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.permitted(p_tenant_id uuid, p_model jsonb, p_object text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql STABLE COST 1000
    AS $$
DECLARE
  v_i integer := pg_catalog.strpos(p_object, ':');
  v_type text := pg_catalog.left(p_object, v_i - 1);
BEGIN
  IF v_i < 2 OR NOT coalesce(p_model -> 'r' ? (v_type || '#' || p_relation), false) THEN
    RETURN false;
  END IF;
  -- without the model's "u": nested groups walked down from each candidate, not up from
  -- the subject, which would walk the same subject's groups again for every candidate
  RETURN authz.evaluate_in_tenant(p_tenant_id, (p_model - 'u') || '{"decide": true}'::jsonb,
                                  v_type, pg_catalog.substr(p_object, v_i + 1), p_relation,
                                  p_subject_type, p_subject_id, p_subject_relation,
                                  p_now) IS NOT NULL;
EXCEPTION WHEN SQLSTATE 'CL508' THEN
  RETURN false;
END
$$;

ALTER FUNCTION authz.permitted(p_tenant_id uuid, p_model jsonb, p_object text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: reaches(uuid, jsonb, text, text, text, text, text, text, timestamp with time zone, integer); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.reaches(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_budget integer) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET work_mem TO '64kB'
    AS $$
DECLARE
  v_edges jsonb := p_model -> 'e';
  v_up jsonb := p_model -> 'x' -> (p_type || '#' || p_relation);
  v_answer boolean;
BEGIN
  IF v_up = '[]'::jsonb AND v_edges -> (p_type || '#' || p_relation) = '{"d": true}'::jsonb THEN
    RETURN (p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation)
      OR EXISTS (SELECT 1 FROM authz.tuples AS d
                 WHERE d.tenant_id = p_tenant_id AND d.object_type = p_type
                   AND d.object_id = p_id AND d.relation = p_relation
                   AND d.subject_type = p_subject_type AND d.subject_id = p_subject_id
                   AND d.subject_relation = p_subject_relation
                   AND (d.expires_at IS NULL OR d.expires_at > p_now));
  END IF;
  IF v_edges -> (p_type || '#' || p_relation) = '{"d": true}'::jsonb THEN
    -- Direct tuples only (no computed relation, no tupleset): the walk down would be the
    -- object alone, so this is the statement below without it (starting that statement's
    -- plan was a third of a check's time in a search). The walk up is read as the probes
    -- need it: a hit stops it (a member of 1,500 teams with a grant of its own is answered
    -- after one probe, not after reading all 1,500), and only a miss reads it to the end
    -- for its depth.
    WITH up (t, id, r, depth) AS (
      SELECT * FROM authz.subject_groups(p_tenant_id, p_subject_type, p_subject_id,
                                         p_subject_relation, v_up, p_now, p_budget)
    )
    SELECT CASE
      WHEN p_type = p_subject_type AND p_id = p_subject_id AND p_relation = p_subject_relation
        THEN true
      WHEN EXISTS (
        SELECT 1 FROM up AS u
        WHERE EXISTS (
          SELECT 1 FROM authz.tuples AS h
          WHERE h.tenant_id = p_tenant_id AND h.object_type = p_type AND h.object_id = p_id
            AND h.relation = p_relation AND h.subject_type = u.t AND h.subject_id = u.id
            AND h.subject_relation = u.r AND (h.expires_at IS NULL OR h.expires_at > p_now)
          OFFSET 0))
        THEN true
      WHEN (SELECT pg_catalog.max(u.depth) FROM up AS u) + 2 >= p_budget THEN NULL
      ELSE false
      END
      INTO v_answer;
    RETURN v_answer;
  END IF;
  WITH RECURSIVE down (t, id, r, depth) AS (
    SELECT p_type, p_id, p_relation, 0
    UNION
    SELECT n.t, n.id, n.r, d.depth + 1
    FROM down AS d
    CROSS JOIN LATERAL (
      SELECT d.t, d.id, c.c
      FROM pg_catalog.jsonb_array_elements_text(v_edges -> (d.t || '#' || d.r) -> 'c') AS c (c)
      UNION ALL
      SELECT tu.subject_type, tu.subject_id, x.x ->> 1
      FROM pg_catalog.jsonb_array_elements(v_edges -> (d.t || '#' || d.r) -> 't') AS x (x)
      -- OFFSET 0 keeps this a probe of the primary key with the tupleset relation in it;
      -- flattened, the planner hashed every tuple of the object for each node (a fifth of
      -- the walk's time)
      CROSS JOIN LATERAL (
        SELECT tu.subject_type, tu.subject_id FROM authz.tuples AS tu
        WHERE tu.tenant_id = p_tenant_id AND tu.object_type = d.t AND tu.object_id = d.id
          AND tu.relation = x.x ->> 0 AND tu.subject_relation = ''
          AND (tu.expires_at IS NULL OR tu.expires_at > p_now) OFFSET 0) AS tu
    ) AS n (t, id, r)
    WHERE d.depth < p_budget
  ), up (t, id, r, depth) AS (
    SELECT * FROM authz.subject_groups(p_tenant_id, p_subject_type, p_subject_id,
                                       p_subject_relation, v_up, p_now, p_budget)
  )
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM down AS d
                 WHERE d.t = p_subject_type AND d.id = p_subject_id AND d.r = p_subject_relation)
      THEN true
    WHEN EXISTS (
      SELECT 1
      FROM down AS d
      CROSS JOIN up AS u
      -- OFFSET 0: one probe of the primary key per pair (the walks are a handful of nodes),
      -- never a join that reads the tenant's tuples
      WHERE v_edges -> (d.t || '#' || d.r) ? 'd' AND EXISTS (
        SELECT 1 FROM authz.tuples AS h
        WHERE h.tenant_id = p_tenant_id AND h.object_type = d.t AND h.object_id = d.id
          AND h.relation = d.r AND h.subject_type = u.t AND h.subject_id = u.id
          AND h.subject_relation = u.r AND (h.expires_at IS NULL OR h.expires_at > p_now)
        OFFSET 0))
      THEN true
    -- no hit: "no" only if neither walk was cut near the depth limit
    WHEN (SELECT max(d.depth) FROM down AS d) + (SELECT max(u.depth) FROM up AS u) + 2 >= p_budget
      THEN NULL
    ELSE false
    END
    INTO v_answer;
  RETURN v_answer;
END
$$;

ALTER FUNCTION authz.reaches(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_budget integer) OWNER TO claw_owner;

--
-- Name: require_fresh(uuid, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.require_fresh(p_tenant_id uuid, p_token text) RETURNS void
    LANGUAGE plpgsql STABLE
    AS $_$
DECLARE
  v_m text[];
  v_seen bigint;
BEGIN
  IF p_token IS NULL THEN
    RETURN;
  END IF;
  -- lengths checked apart: bounded repeats ({32}) make PostgreSQL's regex engine slow
  v_m := pg_catalog.regexp_match(p_token, '^zt1[.]([0-9]+)[.]([0-9a-f]+)$');
  IF v_m IS NULL OR pg_catalog.length(v_m[1]) > 18 OR pg_catalog.length(v_m[2]) <> 32
     OR authz.make_token(p_tenant_id, v_m[1]::bigint) IS DISTINCT FROM p_token THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid consistency token',
      DETAIL = 'the token is malformed, altered, or from another tenant',
      HINT = 'pass the token a write of this tenant returned, unchanged, or none';
  END IF;
  SELECT r.revision INTO v_seen FROM authz.revisions AS r WHERE r.tenant_id = p_tenant_id;
  IF coalesce(v_seen, 0) < v_m[1]::bigint THEN
    RAISE EXCEPTION USING ERRCODE = '40001',
      MESSAGE = 'this snapshot is older than the consistency token',
      DETAIL = pg_catalog.format('the token needs revision %s; this transaction sees %s',
                                 v_m[1], coalesce(v_seen, 0)),
      HINT = 'retry in a new transaction (or on the primary); the write has not reached this snapshot';
  END IF;
END
$_$;

ALTER FUNCTION authz.require_fresh(p_tenant_id uuid, p_token text) OWNER TO claw_owner;

--
-- Name: require_relation(jsonb, text, text); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.require_relation(p_model jsonb, p_type text, p_relation text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
  IF NOT coalesce(p_model -> 'r' ? (p_type || '#' || p_relation), false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown relation',
      DETAIL = pg_catalog.format('the authorization model defines no relation %s on type %s',
                                 coalesce(p_relation, 'NULL'), p_type),
      HINT = 'see api.describe_authz_model()';
  END IF;
END
$$;

ALTER FUNCTION authz.require_relation(p_model jsonb, p_type text, p_relation text) OWNER TO claw_owner;

--
-- Name: require_verified_tenant(uuid); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.require_verified_tenant(p_tenant_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
  IF p_tenant_id IS NULL
     OR p_tenant_id IS DISTINCT FROM (SELECT c.tenant_id FROM internal.verified_context() AS c) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = 'a permission question about a tenant other than the verified context''s',
      HINT = 'authenticate as the tenant whose relationships you ask about';
  END IF;
END
$$;

ALTER FUNCTION authz.require_verified_tenant(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: rewrite_children(jsonb); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.rewrite_children(p_node jsonb) RETURNS SETOF jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT c FROM pg_catalog.jsonb_array_elements(CASE
      WHEN p_node ? 'union' THEN p_node -> 'union'
      WHEN p_node ? 'intersection' THEN p_node -> 'intersection'
      WHEN p_node ? 'exclusion' THEN pg_catalog.jsonb_build_array(
        p_node -> 'exclusion' -> 'base', p_node -> 'exclusion' -> 'subtract')
      ELSE '[]'::jsonb END) AS c
$$;

ALTER FUNCTION authz.rewrite_children(p_node jsonb) OWNER TO claw_owner;

--
-- Name: rewrite_leaves(jsonb); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.rewrite_leaves(p_node jsonb) RETURNS SETOF jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  WITH RECURSIVE n (node) AS (
    SELECT p_node
    UNION ALL
    SELECT c.c FROM n CROSS JOIN LATERAL authz.rewrite_children(n.node) AS c (c)
  )
  SELECT n.node FROM n WHERE n.node ?| ARRAY['this', 'computed', 'ttu']
$$;

ALTER FUNCTION authz.rewrite_leaves(p_node jsonb) OWNER TO claw_owner;

--
-- Name: snapshot_token(uuid); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.snapshot_token(p_tenant_id uuid) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT authz.make_token(p_tenant_id, coalesce(
    (SELECT r.revision FROM authz.revisions AS r WHERE r.tenant_id = p_tenant_id), 0))
$$;

ALTER FUNCTION authz.snapshot_token(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: subject_groups(uuid, text, text, text, jsonb, timestamp with time zone, integer); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.subject_groups(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone, p_depth integer) RETURNS TABLE(t text, id text, r text, depth integer)
    LANGUAGE sql STABLE
    AS $$
  WITH RECURSIVE up (t, id, r, depth) AS (
    SELECT p_type, p_id, p_relation, 0
    UNION
    SELECT m.object_type, m.object_id, m.relation, up.depth + 1
    FROM up
    CROSS JOIN LATERAL authz.memberships(p_tenant_id, up.t, up.id, up.r, p_groups, p_now) AS m
    WHERE up.depth < p_depth
  )
  SELECT up.t, up.id, up.r, up.depth FROM up
$$;

ALTER FUNCTION authz.subject_groups(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone, p_depth integer) OWNER TO claw_owner;

--
-- Name: type_edges(uuid); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.type_edges(p_tenant_id uuid) RETURNS TABLE(src text, dst text, kind text, tupleset text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT e.object_type || '#' || e.relation, e.object_type || '#' || e.target_relation,
         e.kind, ''
  FROM authz.rewrite_edges AS e
  WHERE e.tenant_id = p_tenant_id AND e.kind = 'computed'
  UNION
  SELECT e.object_type || '#' || e.relation, s.s || '#' || e.target_relation, e.kind, e.tupleset
  FROM authz.rewrite_edges AS e
  JOIN authz.relations AS r
    ON r.tenant_id = e.tenant_id AND r.object_type = e.object_type AND r.relation = e.tupleset
  CROSS JOIN LATERAL pg_catalog.unnest(r.direct_subjects) AS s (s)
  WHERE e.tenant_id = p_tenant_id AND e.kind = 'ttu' AND pg_catalog.strpos(s.s, '#') = 0
  UNION
  SELECT r.object_type || '#' || r.relation, s.s, 'this', ''
  FROM authz.relations AS r
  CROSS JOIN LATERAL pg_catalog.unnest(r.direct_subjects) AS s (s)
  WHERE r.tenant_id = p_tenant_id AND pg_catalog.strpos(s.s, '#') > 0
$$;

ALTER FUNCTION authz.type_edges(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: userset_chain(uuid, jsonb, jsonb, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.userset_chain(p_tenant_id uuid, p_reached jsonb, p_hit jsonb, p_now timestamp with time zone) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_cur jsonb := p_hit;
  v_chain text[] := ARRAY[(p_hit ->> 1) || ':' || (p_hit ->> 2) || '#' || (p_hit ->> 3)];
BEGIN
  FOR v_k IN REVERSE (p_hit ->> 0)::integer - 1 .. 1 LOOP
    SELECT e INTO v_cur
    FROM pg_catalog.jsonb_array_elements(p_reached) AS e
    WHERE (e ->> 0)::integer = v_k AND EXISTS (
      SELECT 1 FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.object_type = v_cur ->> 1
        AND tu.object_id = v_cur ->> 2 AND tu.relation = v_cur ->> 3
        AND tu.subject_type = e ->> 1 AND tu.subject_id = e ->> 2
        AND tu.subject_relation = e ->> 3
        AND (tu.expires_at IS NULL OR tu.expires_at > p_now))
    ORDER BY e ->> 1, e ->> 2, e ->> 3
    LIMIT 1;
    v_chain := v_chain || ((v_cur ->> 1) || ':' || (v_cur ->> 2) || '#' || (v_cur ->> 3));
  END LOOP;
  RETURN v_chain;
END
$$;

ALTER FUNCTION authz.userset_chain(p_tenant_id uuid, p_reached jsonb, p_hit jsonb, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: userset_path(uuid, jsonb, text, text, integer, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.userset_path(p_tenant_id uuid, p_reached jsonb, p_root text, p_node text, p_depth integer, p_now timestamp with time zone) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_path text[] := ARRAY[p_node];
  v_k integer;
  v_up text;
BEGIN
  FOR v_k IN REVERSE p_depth - 1 .. 0 LOOP
    SELECT x.t || ':' || x.id || '#' || x.r INTO v_up
    FROM pg_catalog.jsonb_array_elements(p_reached) AS e
    CROSS JOIN LATERAL (SELECT e ->> 1 AS t, e ->> 2 AS id, e ->> 3 AS r,
                               (e ->> 0)::integer AS depth) AS x
    WHERE x.depth = v_k AND EXISTS (
      SELECT 1 FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.object_type = x.t AND tu.object_id = x.id
        AND tu.relation = x.r
        AND tu.subject_type = pg_catalog.split_part(v_path[1], ':', 1)
        AND tu.subject_id = pg_catalog.substr(pg_catalog.split_part(v_path[1], '#', 1),
                                              pg_catalog.strpos(v_path[1], ':') + 1)
        AND tu.subject_relation = pg_catalog.split_part(v_path[1], '#', 2)
        AND (tu.expires_at IS NULL OR tu.expires_at > p_now))
    ORDER BY 1
    LIMIT 1;
    v_path := v_up || v_path;
  END LOOP;
  RETURN v_path;
END
$$;

ALTER FUNCTION authz.userset_path(p_tenant_id uuid, p_reached jsonb, p_root text, p_node text, p_depth integer, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: validate_rewrite(jsonb, text, text, jsonb, integer); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.validate_rewrite(p_types jsonb, p_type text, p_relation text, p_node jsonb, p_depth integer DEFAULT 0) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_where text := p_type || '.' || p_relation;
  v_key text;
  v_val jsonb;
  v_s text;
  v_m text[];
  v_targets text[];
  v_child jsonb;
BEGIN
  IF p_depth > 20 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid rewrite of %s: nested more than 20 deep', v_where),
      HINT = 'flatten nested unions';
  END IF;
  IF pg_catalog.jsonb_typeof(p_node) IS DISTINCT FROM 'object'
     OR (SELECT count(*) FROM pg_catalog.jsonb_object_keys(p_node)) <> 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid rewrite of %s', v_where),
      DETAIL = pg_catalog.format('%s is not an object with exactly one key',
                                 pg_catalog.left(coalesce(p_node::text, 'null'), 200)),
      HINT = 'a rewrite is one of {"this": [...]}, {"computed": "r"}, {"ttu": {"tupleset": "t", '
             '"computed": "r"}}, {"union": [...]}, {"intersection": [...]}, '
             '{"exclusion": {"base": ..., "subtract": ...}}';
  END IF;
  SELECT k INTO v_key FROM pg_catalog.jsonb_object_keys(p_node) AS k;
  v_val := p_node -> v_key;
  CASE v_key
  WHEN 'this' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'array'
       OR pg_catalog.jsonb_array_length(v_val) = 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: this needs a non-empty list of subject types', v_where),
        HINT = 'e.g. {"this": ["user", "team#member"]}';
    END IF;
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(v_val) AS e LOOP
      v_s := v_child #>> '{}';
      v_m := pg_catalog.regexp_match(v_s, '^([a-z][a-z0-9_]{0,62})(#([a-z][a-z0-9_]{0,62}))?$');
      IF pg_catalog.jsonb_typeof(v_child) <> 'string' OR v_m IS NULL
         OR NOT p_types ? v_m[1]
         OR (v_m[3] IS NOT NULL AND NOT coalesce(p_types -> v_m[1] -> 'relations' ? v_m[3], false)) THEN
        RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
            'invalid rewrite of %s: unknown subject type %s', v_where, pg_catalog.left(v_child::text, 100)),
          HINT = 'name a type of the model, or a userset type#relation whose relation the type defines';
      END IF;
    END LOOP;
  WHEN 'computed' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'string'
       OR NOT coalesce(p_types -> p_type -> 'relations' ? (v_val #>> '{}'), false) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: computed names no relation of %s', v_where, p_type),
        DETAIL = pg_catalog.format('computed: %s', pg_catalog.left(v_val::text, 100)),
        HINT = 'computed names another relation of the same type';
    END IF;
  WHEN 'ttu' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'object'
       OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(v_val) AS k)
          IS DISTINCT FROM ARRAY['computed', 'tupleset']
       OR pg_catalog.jsonb_typeof(v_val -> 'tupleset') <> 'string'
       OR pg_catalog.jsonb_typeof(v_val -> 'computed') <> 'string' THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: ttu needs exactly tupleset and computed', v_where),
        HINT = 'e.g. {"ttu": {"tupleset": "business", "computed": "admin"}}';
    END IF;
    IF NOT coalesce(p_types -> p_type -> 'relations' ? (v_val ->> 'tupleset'), false) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: tupleset %s is no relation of %s', v_where,
          v_val ->> 'tupleset', p_type),
        HINT = 'the tupleset is a relation of the same type whose tuples point at other objects';
    END IF;
    v_targets := authz.direct_subjects_of(p_types -> p_type -> 'relations' -> (v_val ->> 'tupleset'));
    IF pg_catalog.cardinality(v_targets) = 0
       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(v_targets) AS t WHERE pg_catalog.strpos(t, '#') > 0) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: tupleset %s must be a direct relation to plain object types',
          v_where, v_val ->> 'tupleset'),
        DETAIL = pg_catalog.format('%s.%s allows %s', p_type, v_val ->> 'tupleset', v_targets),
        HINT = 'define the tupleset as {"this": ["business"]}, without usersets';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_targets) AS t
                   WHERE coalesce(p_types -> t -> 'relations' ? (v_val ->> 'computed'), false)) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: no type %s points at defines %s', v_where,
          v_val ->> 'tupleset', v_val ->> 'computed'),
        DETAIL = pg_catalog.format('%s.%s allows %s', p_type, v_val ->> 'tupleset', v_targets),
        HINT = 'computed names a relation of the types the tupleset points at';
    END IF;
  WHEN 'union', 'intersection' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'array'
       OR pg_catalog.jsonb_array_length(v_val) = 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: %s needs a non-empty list of rewrites', v_where, v_key);
    END IF;
    FOR v_child IN SELECT e FROM pg_catalog.jsonb_array_elements(v_val) AS e LOOP
      PERFORM authz.validate_rewrite(p_types, p_type, p_relation, v_child, p_depth + 1);
    END LOOP;
  WHEN 'exclusion' THEN
    IF pg_catalog.jsonb_typeof(v_val) IS DISTINCT FROM 'object'
       OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(v_val) AS k)
          IS DISTINCT FROM ARRAY['base', 'subtract'] THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
          'invalid rewrite of %s: exclusion needs exactly base and subtract', v_where);
    END IF;
    PERFORM authz.validate_rewrite(p_types, p_type, p_relation, v_val -> 'base', p_depth + 1);
    PERFORM authz.validate_rewrite(p_types, p_type, p_relation, v_val -> 'subtract', p_depth + 1);
  ELSE
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format(
        'invalid rewrite of %s: unknown rewrite %s', v_where, v_key),
      HINT = 'use this, computed, ttu, union, intersection or exclusion';
  END CASE;
END
$_$;

ALTER FUNCTION authz.validate_rewrite(p_types jsonb, p_type text, p_relation text, p_node jsonb, p_depth integer) OWNER TO claw_owner;

--
-- Name: walk_down(uuid, text[], text[], text[], timestamp with time zone, boolean); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.walk_down(p_tenant_id uuid, p_types text[], p_ids text[], p_relations text[], p_now timestamp with time zone, p_leaves boolean) RETURNS TABLE(node_type text, node_id text, node_relation text)
    LANGUAGE sql STABLE
    AS $$
  WITH RECURSIVE walk (t, id, r) AS (
    SELECT s.t, s.id, s.r FROM ROWS FROM (pg_catalog.unnest(p_types), pg_catalog.unnest(p_ids),
                                      pg_catalog.unnest(p_relations)) AS s (t, id, r)
    UNION
    SELECT n.t, n.id, n.r
    FROM walk AS w
    CROSS JOIN LATERAL (
      SELECT tu.subject_type, tu.subject_id, tu.subject_relation
      FROM authz.rewrite_edges AS e
      JOIN authz.tuples AS tu
        ON tu.tenant_id = e.tenant_id AND tu.object_type = w.t AND tu.object_id = w.id
       AND tu.relation = w.r AND (p_leaves OR tu.subject_relation <> '')
       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      WHERE e.tenant_id = p_tenant_id AND e.object_type = w.t AND e.relation = w.r
        AND e.kind = 'this'
      UNION ALL
      SELECT w.t, w.id, e.target_relation
      FROM authz.rewrite_edges AS e
      WHERE e.tenant_id = p_tenant_id AND e.object_type = w.t AND e.relation = w.r
        AND e.kind = 'computed'
      UNION ALL
      SELECT tu.subject_type, tu.subject_id, e.target_relation
      FROM authz.rewrite_edges AS e
      JOIN authz.tuples AS tu
        ON tu.tenant_id = e.tenant_id AND tu.object_type = w.t AND tu.object_id = w.id
       AND tu.relation = e.tupleset AND tu.subject_relation = ''
       AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      WHERE e.tenant_id = p_tenant_id AND e.object_type = w.t AND e.relation = w.r
        AND e.kind = 'ttu'
    ) AS n (t, id, r)
    WHERE w.r <> ''
  )
  SELECT w.t, w.id, w.r FROM walk AS w
$$;

ALTER FUNCTION authz.walk_down(p_tenant_id uuid, p_types text[], p_ids text[], p_relations text[], p_now timestamp with time zone, p_leaves boolean) OWNER TO claw_owner;

--
-- Name: walk_up(uuid, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.walk_up(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_now timestamp with time zone) RETURNS TABLE(node_type text, node_id text, node_relation text)
    LANGUAGE sql STABLE
    AS $$
  WITH RECURSIVE walk (t, id, r) AS (
    SELECT p_type, p_id, p_relation
    UNION
    SELECT n.t, n.id, n.r
    FROM walk AS w
    CROSS JOIN LATERAL (
      -- tuples that name the node as their subject, in relations that take direct tuples
      SELECT tu.object_type, tu.object_id, tu.relation
      FROM authz.tuples AS tu
      WHERE tu.tenant_id = p_tenant_id AND tu.subject_type = w.t AND tu.subject_id = w.id
        AND tu.subject_relation = w.r AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
        AND EXISTS (SELECT 1 FROM authz.rewrite_edges AS e
                    WHERE e.tenant_id = p_tenant_id AND e.object_type = tu.object_type
                      AND e.relation = tu.relation AND e.kind = 'this')
      UNION ALL
      -- relations of the same object that include the node's relation
      SELECT w.t, w.id, e.relation
      FROM authz.rewrite_edges AS e
      WHERE e.tenant_id = p_tenant_id AND e.kind = 'computed' AND e.object_type = w.t
        AND e.target_relation = w.r AND w.r <> ''
      UNION ALL
      -- objects whose tupleset points at the node's object, in relations that take the
      -- node's relation from there
      SELECT tu.object_type, tu.object_id, e.relation
      FROM authz.rewrite_edges AS e
      JOIN authz.tuples AS tu
        ON tu.tenant_id = e.tenant_id AND tu.subject_type = w.t AND tu.subject_id = w.id
       AND tu.subject_relation = '' AND tu.object_type = e.object_type
       AND tu.relation = e.tupleset AND (tu.expires_at IS NULL OR tu.expires_at > p_now)
      WHERE e.tenant_id = p_tenant_id AND e.kind = 'ttu' AND e.target_relation = w.r
        AND w.r <> ''
    ) AS n (t, id, r)
  )
  SELECT w.t, w.id, w.r FROM walk AS w
$$;

ALTER FUNCTION authz.walk_up(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: wrap_userset_path(text[], jsonb); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.wrap_userset_path(p_path text[], p_why jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
  v_why jsonb := p_why;
BEGIN
  FOR v_j IN REVERSE pg_catalog.cardinality(p_path) .. 2 LOOP
    v_why := pg_catalog.jsonb_build_object('tuple', p_path[v_j - 1] || '@' || p_path[v_j],
                                           'then', v_why);
    IF v_j > 2 THEN
      v_why := pg_catalog.jsonb_build_object('node', p_path[v_j - 1], 'because', v_why);
    END IF;
  END LOOP;
  RETURN v_why;
END
$$;

ALTER FUNCTION authz.wrap_userset_path(p_path text[], p_why jsonb) OWNER TO claw_owner;

--
-- Name: write_tuples(uuid, uuid, jsonb, jsonb); Type: FUNCTION; Schema: authz; Owner: claw_owner
--

CREATE FUNCTION authz.write_tuples(p_tenant_id uuid, p_principal_id uuid, p_writes jsonb, p_deletes jsonb, OUT written integer, OUT deleted integer, OUT token text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_revision bigint;
  v_now timestamptz := internal.now();
  v_e jsonb;
  v_o record;
  v_s record;
  v_rel text;
  v_exp timestamptz;
  v_allowed text[];
  v_cycle record;
  v_n integer;
BEGIN
  IF pg_catalog.jsonb_typeof(coalesce(p_writes, '[]')) <> 'array'
     OR pg_catalog.jsonb_typeof(coalesce(p_deletes, '[]')) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tuple list',
      DETAIL = 'writes and deletes are JSON arrays of {"object", "relation", "subject"}',
      HINT = '[{"object": "invoice:42", "relation": "owner", "subject": "user:alice"}]';
  END IF;
  IF pg_catalog.jsonb_array_length(coalesce(p_writes, '[]'))
     + pg_catalog.jsonb_array_length(coalesce(p_deletes, '[]')) > 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'too many tuples in one write',
      DETAIL = 'at most 1,000 writes and deletes per call',
      HINT = 'split the change into several calls';
  END IF;
  v_revision := authz.bump_revision(p_tenant_id);
  written := 0;
  deleted := 0;

  FOR v_e IN SELECT e FROM pg_catalog.jsonb_array_elements(coalesce(p_deletes, '[]')) AS e LOOP
    IF pg_catalog.jsonb_typeof(v_e) <> 'object'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(v_e) AS k
                  WHERE k NOT IN ('object', 'relation', 'subject')) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tuple to delete',
        DETAIL = pg_catalog.left(v_e::text, 200),
        HINT = 'a delete is {"object": "type:id", "relation": "r", "subject": "type:id[#r]"}';
    END IF;
    v_o := authz.parse_object(v_e ->> 'object');
    v_s := authz.parse_subject(v_e ->> 'subject');
    DELETE FROM authz.tuples AS t
    WHERE t.tenant_id = p_tenant_id AND t.object_type = v_o.object_type
      AND t.object_id = v_o.object_id AND t.relation = (v_e ->> 'relation')
      AND t.subject_type = v_s.subject_type AND t.subject_id = v_s.subject_id
      AND t.subject_relation = v_s.subject_relation;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    deleted := deleted + v_n;
  END LOOP;

  FOR v_e IN SELECT e FROM pg_catalog.jsonb_array_elements(coalesce(p_writes, '[]')) AS e LOOP
    IF pg_catalog.jsonb_typeof(v_e) <> 'object'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(v_e) AS k
                  WHERE k NOT IN ('object', 'relation', 'subject', 'expires_at')) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tuple to write',
        DETAIL = pg_catalog.left(v_e::text, 200),
        HINT = 'a write is {"object": "type:id", "relation": "r", "subject": "type:id[#r]", '
               '"expires_at": "<ISO 8601>" (optional)}';
    END IF;
    v_o := authz.parse_object(v_e ->> 'object');
    v_s := authz.parse_subject(v_e ->> 'subject');
    v_rel := v_e ->> 'relation';
    SELECT r.direct_subjects INTO v_allowed FROM authz.relations AS r
    WHERE r.tenant_id = p_tenant_id AND r.object_type = v_o.object_type AND r.relation = v_rel;
    IF NOT FOUND OR pg_catalog.cardinality(v_allowed) = 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'relation takes no tuples',
        DETAIL = pg_catalog.format('the model defines no direct relation %s on type %s',
                                   coalesce(v_rel, 'NULL'), v_o.object_type),
        HINT = 'only relations with a this rewrite take tuples; see api.describe_authz_model()';
    END IF;
    IF NOT (v_s.subject_type || CASE WHEN v_s.subject_relation = '' THEN ''
                                     ELSE '#' || v_s.subject_relation END) = ANY (v_allowed) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'subject type not allowed',
        DETAIL = pg_catalog.format('%s#%s takes %s, not %s', v_o.object_type, v_rel, v_allowed,
                                   v_e ->> 'subject'),
        HINT = 'extend the relation''s this list in the model first';
    END IF;
    -- pg_input_is_valid, not a handler for the cast's codes: an unknown time zone (22023)
    -- and an offset out of range (22009) are malformed too, and escaped a list of codes
    IF NOT pg_catalog.pg_input_is_valid(v_e ->> 'expires_at', 'timestamptz') THEN  -- NULL: none
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid expires_at',
        DETAIL = pg_catalog.left(v_e ->> 'expires_at', 100),
        HINT = 'an ISO 8601 instant with its offset, e.g. 2027-01-01T00:00:00Z';
    END IF;
    v_exp := (v_e ->> 'expires_at')::timestamptz;
    IF v_exp IS NOT NULL AND v_exp <= v_now THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'expires_at is not in the future',
        DETAIL = pg_catalog.format('%s <= now (%s)', v_exp, v_now),
        HINT = 'delete the tuple instead';
    END IF;

    -- The cycle guard. The new tuple makes relation nodes of its object include a start
    -- node: a userset tuple makes object#relation include the userset; a plain tuple in a
    -- tupleset makes object#r include subject#c for every ttu (tupleset, c) of a relation r.
    -- If a start node already reaches one of those nodes, the tuple closes a cycle.
    WITH pairs (src_t, src_id, src_r, st, sid, sr) AS (
      SELECT v_o.object_type, v_o.object_id, v_rel, v_s.subject_type, v_s.subject_id,
             v_s.subject_relation
      WHERE v_s.subject_relation <> ''
      UNION ALL
      SELECT v_o.object_type, v_o.object_id, e.relation, v_s.subject_type, v_s.subject_id,
             e.target_relation
      FROM authz.rewrite_edges AS e
      WHERE v_s.subject_relation = '' AND e.tenant_id = p_tenant_id
        AND e.object_type = v_o.object_type AND e.kind = 'ttu' AND e.tupleset = v_rel
    )
    SELECT p.src_t || ':' || p.src_id || '#' || p.src_r AS node INTO v_cycle
    FROM pairs AS p
    WHERE EXISTS (
      SELECT 1 FROM authz.walk_down(
          p_tenant_id, ARRAY(SELECT q.st FROM pairs AS q), ARRAY(SELECT q.sid FROM pairs AS q),
          ARRAY(SELECT q.sr FROM pairs AS q), v_now, false) AS w
      WHERE w.node_type = p.src_t AND w.node_id = p.src_id AND w.node_relation = p.src_r)
    LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the tuple would close a cycle',
        DETAIL = pg_catalog.format('%s already includes %s, which the tuple %s would make include it again',
          v_e ->> 'subject', v_cycle.node, authz.format_tuple(v_o.object_type, v_o.object_id,
          v_rel, v_s.subject_type, v_s.subject_id, v_s.subject_relation)),
        HINT = 'a group cannot contain itself, directly or through others';
    END IF;

    INSERT INTO authz.tuples AS t (tenant_id, object_type, object_id, relation, subject_type,
                                   subject_id, subject_relation, expires_at, revision, created_by)
    VALUES (p_tenant_id, v_o.object_type, v_o.object_id, v_rel, v_s.subject_type,
            v_s.subject_id, v_s.subject_relation, v_exp, v_revision, p_principal_id)
    ON CONFLICT (tenant_id, object_type, object_id, relation, subject_type, subject_id,
                 subject_relation)
    DO UPDATE SET expires_at = EXCLUDED.expires_at, revision = EXCLUDED.revision,
                  created_by = EXCLUDED.created_by
    WHERE t.expires_at IS DISTINCT FROM EXCLUDED.expires_at;
    written := written + 1;
  END LOOP;
  token := authz.make_token(p_tenant_id, v_revision);
END
$$;

ALTER FUNCTION authz.write_tuples(p_tenant_id uuid, p_principal_id uuid, p_writes jsonb, p_deletes jsonb, OUT written integer, OUT deleted integer, OUT token text) OWNER TO claw_owner;

--
-- Name: default_request_limits(); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.default_request_limits(OUT tenant_per_minute integer, OUT tenant_burst integer, OUT credential_per_minute integer, OUT credential_burst integer) RETURNS record
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT 12000, 2000, 6000, 1000 $$;

ALTER FUNCTION edge.default_request_limits(OUT tenant_per_minute integer, OUT tenant_burst integer, OUT credential_per_minute integer, OUT credential_burst integer) OWNER TO claw_owner;

--
-- Name: holds_api_key(text); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.holds_api_key(p_text text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.strpos(p_text, 'ck_') > 0 AND EXISTS (
    SELECT 1 FROM pg_catalog.regexp_matches(p_text, 'ck_([0-9a-f]+)_([A-Za-z0-9_-]+)', 'g') AS m
    WHERE pg_catalog.length(m[1]) >= 64 AND pg_catalog.length(m[2]) >= 43)
$$;

ALTER FUNCTION edge.holds_api_key(p_text text) OWNER TO claw_owner;

--
-- Name: idempotency_lock_key(uuid, uuid, text); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.idempotency_lock_key(p_tenant_id uuid, p_principal_id uuid, p_key text) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.hashtextextended(
    'idempotency|' || p_tenant_id::text || '|' || p_principal_id::text || '|' || p_key, 0)
$$;

ALTER FUNCTION edge.idempotency_lock_key(p_tenant_id uuid, p_principal_id uuid, p_key text) OWNER TO claw_owner;

--
-- Name: idempotency_mac(uuid, uuid, text, text, text, text); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.idempotency_mac(p_tenant_id uuid, p_principal_id uuid, p_key text, p_method text, p_path text, p_request_sha256 text) RETURNS text
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.encode(pg_catalog.sha256(k.secret || pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('idempotency|' || pg_catalog.jsonb_build_array(
             p_tenant_id, p_principal_id, p_key, p_method, p_path, p_request_sha256,
             pg_catalog.pg_current_xact_id()::text)::text, 'UTF8'))), 'hex')
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$$;

ALTER FUNCTION edge.idempotency_mac(p_tenant_id uuid, p_principal_id uuid, p_key text, p_method text, p_path text, p_request_sha256 text) OWNER TO claw_owner;

--
-- Name: idempotency_principal(); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.idempotency_principal(OUT tenant_id uuid, OUT principal_id uuid) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  SELECT c.tenant_id, c.principal_id INTO tenant_id, principal_id
  FROM internal.verified_context() AS c;
  IF tenant_id IS NULL OR principal_id IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = 'an idempotent request needs an authenticated principal',
      HINT = 'call api.authenticate(p_api_key => ...) first, in the same transaction';
  END IF;
END
$$;

ALTER FUNCTION edge.idempotency_principal(OUT tenant_id uuid, OUT principal_id uuid) OWNER TO claw_owner;

--
-- Name: idempotency_window(); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.idempotency_window() RETURNS interval
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT interval '24 hours' $$;

ALTER FUNCTION edge.idempotency_window() OWNER TO claw_owner;

--
-- Name: purge_idempotency_keys(); Type: FUNCTION; Schema: edge; Owner: claw_dispatcher
--

CREATE FUNCTION edge.purge_idempotency_keys() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_n bigint;
BEGIN
  DELETE FROM edge.idempotency_keys AS k WHERE k.expires_at <= internal.now();
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

ALTER FUNCTION edge.purge_idempotency_keys() OWNER TO claw_dispatcher;

--
-- Name: require_idempotency_key(text); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.require_idempotency_key(p_key text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
  IF p_key IS NULL OR pg_catalog.length(p_key) NOT BETWEEN 1 AND 255
     OR p_key !~ '^[!-~]+$' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotency key',
      DETAIL = 'an Idempotency-Key is 1 to 255 visible ASCII characters (no spaces)',
      HINT = 'use a UUID per logical request, and the same one when retrying it';
  END IF;
END
$_$;

ALTER FUNCTION edge.require_idempotency_key(p_key text) OWNER TO claw_owner;

--
-- Name: request_limits; Type: TABLE; Schema: edge; Owner: claw_owner
--

CREATE TABLE edge.request_limits (
    tenant_id uuid NOT NULL,
    request_limit_id integer DEFAULT 1 NOT NULL,
    tenant_per_minute integer NOT NULL,
    tenant_burst integer NOT NULL,
    credential_per_minute integer NOT NULL,
    credential_burst integer NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT request_limits_credential_burst_check CHECK (((credential_burst >= 1) AND (credential_burst <= 10000000))),
    CONSTRAINT request_limits_credential_per_minute_check CHECK (((credential_per_minute >= 1) AND (credential_per_minute <= 10000000))),
    CONSTRAINT request_limits_request_limit_id_check CHECK ((request_limit_id = 1)),
    CONSTRAINT request_limits_tenant_burst_check CHECK (((tenant_burst >= 1) AND (tenant_burst <= 10000000))),
    CONSTRAINT request_limits_tenant_per_minute_check CHECK (((tenant_per_minute >= 1) AND (tenant_per_minute <= 10000000)))
);

ALTER TABLE ONLY edge.request_limits FORCE ROW LEVEL SECURITY;

ALTER TABLE edge.request_limits OWNER TO claw_owner;

--
-- Name: set_request_limits(uuid, integer, integer, integer, integer); Type: FUNCTION; Schema: edge; Owner: claw_owner
--

CREATE FUNCTION edge.set_request_limits(p_tenant_id uuid, p_tenant_per_minute integer DEFAULT NULL::integer, p_tenant_burst integer DEFAULT NULL::integer, p_credential_per_minute integer DEFAULT NULL::integer, p_credential_burst integer DEFAULT NULL::integer) RETURNS edge.request_limits
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_row edge.request_limits;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.tenant_id = p_tenant_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'unknown tenant',
      DETAIL = pg_catalog.format('no tenant %s', p_tenant_id), HINT = 'admin.list_tenants()';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY[p_tenant_per_minute, p_tenant_burst,
                                                   p_credential_per_minute, p_credential_burst]) AS v
             WHERE v IS NOT NULL AND v NOT BETWEEN 1 AND 10000000) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid request limit',
      DETAIL = 'limits per minute and bursts are 1 to 10,000,000',
      HINT = 'NULL keeps the current value';
  END IF;
  PERFORM internal.set_context(p_tenant_id, NULL, '{system}');
  INSERT INTO edge.request_limits AS l (tenant_id, tenant_per_minute, tenant_burst,
                                        credential_per_minute, credential_burst, updated_at)
  SELECT p_tenant_id, coalesce(p_tenant_per_minute, d.tenant_per_minute),
         coalesce(p_tenant_burst, d.tenant_burst),
         coalesce(p_credential_per_minute, d.credential_per_minute),
         coalesce(p_credential_burst, d.credential_burst), internal.now()
  FROM edge.default_request_limits() AS d
  ON CONFLICT (tenant_id, request_limit_id) DO UPDATE
    SET tenant_per_minute = coalesce(p_tenant_per_minute, l.tenant_per_minute),
        tenant_burst = coalesce(p_tenant_burst, l.tenant_burst),
        credential_per_minute = coalesce(p_credential_per_minute, l.credential_per_minute),
        credential_burst = coalesce(p_credential_burst, l.credential_burst),
        updated_at = excluded.updated_at
  RETURNING * INTO v_row;
  PERFORM internal.clear_context();
  RETURN v_row;
END
$$;

ALTER FUNCTION edge.set_request_limits(p_tenant_id uuid, p_tenant_per_minute integer, p_tenant_burst integer, p_credential_per_minute integer, p_credential_burst integer) OWNER TO claw_owner;

--
-- Name: FUNCTION set_request_limits(p_tenant_id uuid, p_tenant_per_minute integer, p_tenant_burst integer, p_credential_per_minute integer, p_credential_burst integer); Type: COMMENT; Schema: edge; Owner: claw_owner
--

COMMENT ON FUNCTION edge.set_request_limits(p_tenant_id uuid, p_tenant_per_minute integer, p_tenant_burst integer, p_credential_per_minute integer, p_credential_burst integer) IS 'Operator (psql as claw_owner): set a tenant''s HTTP request limits per minute and bursts, for the tenant and for each credential; NULL keeps a value. Audited.';

--
-- Name: format_position(xid8, bigint); Type: FUNCTION; Schema: events; Owner: claw_owner
--

CREATE FUNCTION events.format_position(p_xact_id xid8, p_event_id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT p_xact_id::text || '-' || p_event_id::text $$;

ALTER FUNCTION events.format_position(p_xact_id xid8, p_event_id bigint) OWNER TO claw_owner;

--
-- Name: parse_position(text); Type: FUNCTION; Schema: events; Owner: claw_owner
--

CREATE FUNCTION events.parse_position(p_position text, OUT xact_id xid8, OUT event_id bigint) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_m text[];
BEGIN
  IF p_position IS NULL THEN
    RETURN;
  END IF;
  v_m := pg_catalog.regexp_match(p_position, '^([0-9]+)-([0-9]+)$');
  IF v_m IS NULL OR pg_catalog.length(v_m[1]) > 20 OR pg_catalog.length(v_m[2]) > 19 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid event position',
      DETAIL = pg_catalog.format('%L is not an event position',
                                 pg_catalog.left(p_position, 64)),
      HINT = 'pass the id of the last event received (SSE Last-Event-ID), as given';
  END IF;
  BEGIN
    xact_id := v_m[1]::xid8;
    event_id := v_m[2]::bigint;
  EXCEPTION WHEN numeric_value_out_of_range OR invalid_text_representation THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid event position',
      DETAIL = pg_catalog.format('%L is out of range', p_position),
      HINT = 'pass the id of the last event received (SSE Last-Event-ID), as given';
  END;
END
$_$;

ALTER FUNCTION events.parse_position(p_position text, OUT xact_id xid8, OUT event_id bigint) OWNER TO claw_owner;

--
-- Name: purge(interval); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.purge(p_retention interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_n bigint;
BEGIN
  IF p_retention IS NULL OR p_retention < interval '1 hour'
     OR p_retention > interval '100 years' THEN  -- beyond that now() - it leaves the calendar
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid event retention',
      DETAIL = pg_catalog.format('the retention must be 1 hour to 100 years, not %s',
                                 coalesce(p_retention::text, 'NULL')),
      HINT = 'readers that fall further behind than the retention lose events';
  END IF;
  WITH gone AS (
    DELETE FROM events.outbox AS o
    WHERE o.occurred_at < internal.now() - p_retention
    RETURNING o.tenant_id, o.xact_id, o.event_id
  ), last AS (
    SELECT DISTINCT ON (g.tenant_id) g.tenant_id, g.xact_id, g.event_id, pg_catalog.count(*)
                                       OVER (PARTITION BY g.tenant_id) AS n
    FROM gone AS g
    ORDER BY g.tenant_id, g.xact_id DESC, g.event_id DESC
  ), saved AS (
    INSERT INTO events.purges AS p (tenant_id, purged_xact_id, purged_event_id, purged_at)
    SELECT l.tenant_id, l.xact_id, l.event_id, internal.now() FROM last AS l
    ON CONFLICT (tenant_id, purge_id) DO UPDATE
      SET purged_xact_id = greatest(p.purged_xact_id, excluded.purged_xact_id),
          purged_event_id = CASE WHEN (excluded.purged_xact_id, excluded.purged_event_id)
                                      > (p.purged_xact_id, p.purged_event_id)
                                 THEN excluded.purged_event_id ELSE p.purged_event_id END,
          purged_at = excluded.purged_at
    RETURNING 1
  )
  SELECT coalesce(sum(l.n), 0) INTO v_n FROM last AS l;
  RETURN v_n;
END
$$;

ALTER FUNCTION events.purge(p_retention interval) OWNER TO claw_dispatcher;

--
-- Name: tg_job_history__finished(); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.tg_job_history__finished() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_now timestamptz := internal.now();  -- once per statement, not per row
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  SELECT n.tenant_id, 'jobs.' || n.outcome, n.queue,
         pg_catalog.jsonb_build_object('queue', n.queue, 'jobs', pg_catalog.to_jsonb(
           pg_catalog.array_agg(ROW(n.job_id, n.kind, n.attempts, n.finished_at, n.trace_id)
                                  ::events.job_finished ORDER BY n.job_id))),
         coalesce(internal.trace_id(),
                  CASE WHEN min(n.trace_id) = max(n.trace_id) THEN min(n.trace_id) END),
         v_now
  FROM new_rows AS n
  GROUP BY n.tenant_id, n.queue, n.outcome;
  RETURN NULL;
END
$$;

ALTER FUNCTION events.tg_job_history__finished() OWNER TO claw_dispatcher;

--
-- Name: tg_jobs__enqueued(); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.tg_jobs__enqueued() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_now timestamptz := internal.now();  -- once per statement, not per row
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  SELECT n.tenant_id, 'jobs.enqueued', n.queue,
         pg_catalog.jsonb_build_object('queue', n.queue, 'jobs', pg_catalog.to_jsonb(
           pg_catalog.array_agg(ROW(n.job_id, n.kind, n.state, n.run_at, n.trace_id)
                                  ::events.job_enqueued ORDER BY n.job_id))),
         min(n.trace_id), v_now
  FROM new_rows AS n
  GROUP BY n.tenant_id, n.queue;
  RETURN NULL;
END
$$;

ALTER FUNCTION events.tg_jobs__enqueued() OWNER TO claw_dispatcher;

--
-- Name: tg_jobs__state(); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.tg_jobs__state() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  VALUES (NEW.tenant_id,
          CASE WHEN NEW.state = 'dead' THEN 'job.dead'
               WHEN OLD.state = 'dead' THEN 'job.retried'
               ELSE 'job.failed' END,
          NEW.job_id::text,
          pg_catalog.jsonb_build_object(
            'job_id', NEW.job_id, 'queue', NEW.queue, 'kind', NEW.kind, 'state', NEW.state,
            'attempts', NEW.attempts, 'run_at', NEW.run_at,
            'error', NEW.errors -> -1 ->> 'error', 'trace_id', NEW.trace_id),
          coalesce(internal.trace_id(), NEW.trace_id), internal.now());
  RETURN NULL;
END
$$;

ALTER FUNCTION events.tg_jobs__state() OWNER TO claw_dispatcher;

--
-- Name: tg_outbox__notify(); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.tg_outbox__notify() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM events.watchers AS w
             WHERE w.tenant_id IN (SELECT n.tenant_id FROM new_rows AS n)
               AND w.expires_at > pg_catalog.now()) THEN
    PERFORM pg_catalog.pg_notify('claw_events', '');
  END IF;
  RETURN NULL;
END
$$;

ALTER FUNCTION events.tg_outbox__notify() OWNER TO claw_dispatcher;

--
-- Name: tg_schedule_fires__fired(); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.tg_schedule_fires__fired() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_now timestamptz := internal.now();  -- once per statement, not per row
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  SELECT n.tenant_id, 'schedule.fired', n.schedule_id::text,
         pg_catalog.jsonb_build_object('schedule_id', n.schedule_id, 'fire_at', n.fire_at,
                                       'job_id', n.job_id, 'missed', n.missed),
         NULL, v_now
  FROM new_rows AS n;
  RETURN NULL;
END
$$;

ALTER FUNCTION events.tg_schedule_fires__fired() OWNER TO claw_dispatcher;

--
-- Name: tg_schedules__changed(); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.tg_schedules__changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_row queue.schedules := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  v_type text := CASE TG_OP WHEN 'INSERT' THEN 'schedule.created'
                            WHEN 'DELETE' THEN 'schedule.deleted'
                            ELSE CASE WHEN NEW.paused THEN 'schedule.paused'
                                      ELSE 'schedule.resumed' END END;
BEGIN
  INSERT INTO events.outbox (tenant_id, event_type, subject_id, data, trace_id, occurred_at)
  VALUES (v_row.tenant_id, v_type, v_row.schedule_id::text,
          pg_catalog.jsonb_build_object('schedule_id', v_row.schedule_id, 'name', v_row.name,
                                        'cron', v_row.cron, 'time_zone', v_row.time_zone,
                                        'paused', v_row.paused,
                                        'next_fire_at', v_row.next_fire_at)
          || CASE WHEN TG_OP = 'UPDATE' AND v_row.paused
                       AND v_row.last_error IS DISTINCT FROM OLD.last_error
                  THEN pg_catalog.jsonb_build_object('last_error', v_row.last_error)
                  ELSE '{}' END,
          internal.trace_id(), internal.now());
  RETURN NULL;
END
$$;

ALTER FUNCTION events.tg_schedules__changed() OWNER TO claw_dispatcher;

--
-- Name: watchers_with_events(uuid[], text[]); Type: FUNCTION; Schema: events; Owner: claw_dispatcher
--

CREATE FUNCTION events.watchers_with_events(p_watcher_ids uuid[], p_positions text[]) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT w.watcher_id
  FROM ROWS FROM (pg_catalog.unnest(p_watcher_ids), pg_catalog.unnest(p_positions))
         AS s(watcher_id, position)
  JOIN events.watchers AS w ON w.watcher_id = s.watcher_id AND w.expires_at > pg_catalog.now()
  CROSS JOIN LATERAL events.parse_position(s.position) AS p
  WHERE EXISTS (
    SELECT 1 FROM events.outbox AS o
    WHERE o.tenant_id = w.tenant_id
      AND (p.xact_id IS NULL OR (o.xact_id, o.event_id) > (p.xact_id, p.event_id))
      AND o.xact_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()))
$$;

ALTER FUNCTION events.watchers_with_events(p_watcher_ids uuid[], p_positions text[]) OWNER TO claw_dispatcher;

--
-- Name: begin_effect(uuid, uuid, uuid, integer, text, text, text, jsonb); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.begin_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb) RETURNS TABLE(idempotency_key text, status text, sends integer, response jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  IF p_provider IS NULL OR p_provider !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_provider) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid provider',
      DETAIL = pg_catalog.format('%L is not a provider name', p_provider), HINT = 'e.g. twilio.sms';
  END IF;
  IF v_run.cancel_requested_at IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM flow.effects AS e
       WHERE e.tenant_id = v_run.tenant_id AND e.run_id = v_run.run_id
         AND e.position = p_position AND e.status <> 'intended') THEN
    -- a cancel was requested and nothing was sent yet: nothing goes out (status 'cancelled')
    RETURN QUERY SELECT NULL::text, flow.finish(v_run, 'cancelled', NULL,
                          pg_catalog.jsonb_build_object('message', 'cancelled',
                                                        'during_position', p_position)),
                        0, NULL::jsonb;
    RETURN;
  END IF;
  INSERT INTO flow.effects (tenant_id, run_id, position, provider, idempotency_key, request)
  VALUES (v_run.tenant_id, v_run.run_id, p_position, p_provider,
          v_run.run_id::text || ':' || p_position, coalesce(p_request, '{}'))
  ON CONFLICT (tenant_id, run_id, position) DO NOTHING;
  v_eff := flow.require_effect(v_run, p_position);
  IF v_run.pending_step IS NULL THEN
    UPDATE flow.runs AS r SET pending_step = flow.pending('effect', p_name, p_input_hash)
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
  END IF;
  IF v_eff.provider <> p_provider OR v_eff.request <> coalesce(p_request, '{}') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect does not match its intent',
      DETAIL = pg_catalog.format('run %s position %s recorded an effect on %s with request %s; '
                                 'the code now asks %s with %s', p_run_id, p_position,
                                 v_eff.provider, v_eff.request, p_provider, p_request),
      HINT = 'the flow''s code no longer matches this run: deploy the old version or fork the run';
  END IF;
  RETURN QUERY SELECT v_eff.idempotency_key, v_eff.status, v_eff.sends, v_eff.response;
END
$_$;

ALTER FUNCTION flow.begin_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb) OWNER TO claw_owner;

--
-- Name: cancel(uuid); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.cancel(p_run_id uuid) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.require_run(p_run_id);
  v_status text;
  v_child flow.runs;
BEGIN
  IF v_run.status IN ('completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run already finished',
      DETAIL = pg_catalog.format('run %s is %s', p_run_id, v_run.status),
      HINT = 'api.fork_flow_run starts a new run from any of its steps';
  END IF;
  v_status := flow.cancel_one(v_run);
  BEGIN
    FOR v_child IN
      WITH RECURSIVE d (run_id, depth) AS (
        SELECT r.run_id, 1 FROM flow.runs AS r
        WHERE r.tenant_id = v_run.tenant_id AND r.parent_run_id = v_run.run_id
          AND r.status NOT IN ('completed', 'failed', 'cancelled')
        UNION
        SELECT r.run_id, d.depth + 1 FROM d
        JOIN flow.runs AS r ON r.tenant_id = v_run.tenant_id AND r.parent_run_id = d.run_id
        WHERE r.status NOT IN ('completed', 'failed', 'cancelled'))
      SELECT r.* FROM flow.runs AS r JOIN d ON d.run_id = r.run_id
      WHERE r.tenant_id = v_run.tenant_id
      ORDER BY d.depth, r.run_id
      FOR UPDATE OF r NOWAIT
    LOOP
      PERFORM flow.cancel_one(v_child);
    END LOOP;
  EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'a child run is busy',
      DETAIL = pg_catalog.format('a descendant of run %s is being updated by its worker; '
                                 'nothing was cancelled', p_run_id),
      HINT = 'retry the cancel in a moment';
  END;
  RETURN v_status;
END
$$;

ALTER FUNCTION flow.cancel(p_run_id uuid) OWNER TO claw_owner;

--
-- Name: runs; Type: TABLE; Schema: flow; Owner: claw_owner
--

CREATE TABLE flow.runs (
    tenant_id uuid NOT NULL,
    run_id uuid DEFAULT uuidv7() NOT NULL,
    flow_name text NOT NULL,
    flow_version integer DEFAULT 1 NOT NULL,
    input jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    idempotency_key text,
    parent_run_id uuid,
    parent_position integer,
    forked_from_run_id uuid,
    forked_from_position integer,
    trace_id text NOT NULL,
    queue text DEFAULT 'flows'::text NOT NULL,
    job_id uuid,
    next_position integer DEFAULT 0 NOT NULL,
    step_attempts integer DEFAULT 0 NOT NULL,
    pending_step jsonb,
    wake_at timestamp with time zone,
    wait_signal text,
    wait_child_run_id uuid,
    cancel_requested_at timestamp with time zone,
    dispatches integer DEFAULT 0 NOT NULL,
    output jsonb,
    error jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    fork_line uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    fork_line_upto integer[] DEFAULT '{}'::integer[] NOT NULL,
    CONSTRAINT runs_check CHECK (((status = ANY (ARRAY['completed'::text, 'failed'::text, 'cancelled'::text])) = (finished_at IS NOT NULL))),
    CONSTRAINT runs_check1 CHECK (((status <> 'sleeping'::text) OR (wake_at IS NOT NULL))),
    CONSTRAINT runs_check2 CHECK (((status <> 'waiting'::text) OR (wait_signal IS NOT NULL) OR (wait_child_run_id IS NOT NULL))),
    CONSTRAINT runs_dispatches_check CHECK ((dispatches >= 0)),
    CONSTRAINT runs_flow_name_check CHECK (((flow_name ~ '^[a-z][a-z0-9_.:-]*$'::text) AND (length(flow_name) <= 100))),
    CONSTRAINT runs_flow_version_check CHECK (((flow_version >= 1) AND (flow_version <= 1000000))),
    CONSTRAINT runs_fork_line_check CHECK (((cardinality(fork_line) = cardinality(fork_line_upto)) AND ((forked_from_run_id IS NULL) = (cardinality(fork_line) = 0)) AND ((forked_from_run_id IS NULL) OR (fork_line[1] = forked_from_run_id)))),
    CONSTRAINT runs_idempotency_key_check CHECK (((length(idempotency_key) >= 1) AND (length(idempotency_key) <= 200))),
    CONSTRAINT runs_next_position_check CHECK ((next_position >= 0)),
    CONSTRAINT runs_queue_check CHECK (((queue ~ '^[a-z][a-z0-9_.-]*$'::text) AND (length(queue) <= 63))),
    CONSTRAINT runs_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'running'::text, 'sleeping'::text, 'waiting'::text, 'blocked'::text, 'completed'::text, 'failed'::text, 'cancelled'::text]))),
    CONSTRAINT runs_step_attempts_check CHECK ((step_attempts >= 0)),
    CONSTRAINT runs_trace_id_check CHECK (((length(trace_id) >= 1) AND (length(trace_id) <= 64)))
);

ALTER TABLE ONLY flow.runs FORCE ROW LEVEL SECURITY;

ALTER TABLE flow.runs OWNER TO claw_owner;

--
-- Name: COLUMN runs.fork_line; Type: COMMENT; Schema: flow; Owner: claw_owner
--

COMMENT ON COLUMN flow.runs.fork_line IS 'A fork''s ancestors by forks, nearest first; written by flow.fork, never changed (migrations/0057).';

--
-- Name: COLUMN runs.fork_line_upto; Type: COMMENT; Schema: flow; Owner: claw_owner
--

COMMENT ON COLUMN flow.runs.fork_line_upto IS 'For each fork_line run, how many of its first steps were copied down to this run.';

--
-- Name: cancel_one(flow.runs); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.cancel_one(p_run flow.runs) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := p_run;
BEGIN
  IF v_run.status = 'running' THEN
    UPDATE flow.runs AS r SET cancel_requested_at = coalesce(r.cancel_requested_at, internal.now())
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
    PERFORM audit.append(v_run.tenant_id, 'flow.run.cancel_requested', 'flow.runs',
                         v_run.run_id::text, NULL,
                         pg_catalog.jsonb_build_object('status', v_run.status));
    RETURN 'cancelling';
  END IF;
  UPDATE flow.runs AS r SET cancel_requested_at = internal.now()
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  PERFORM flow.finish(v_run, 'cancelled', NULL,
                      pg_catalog.jsonb_build_object('message', 'cancelled'));
  RETURN 'cancelled';
END
$$;

ALTER FUNCTION flow.cancel_one(p_run flow.runs) OWNER TO claw_owner;

--
-- Name: cancel_requested(uuid, uuid, uuid); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  RETURN v_run.cancel_requested_at IS NOT NULL;
END
$$;

ALTER FUNCTION flow.cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: check_position(flow.runs, integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.check_position(p_run flow.runs, p_position integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM flow.require_position(p_position);
  IF p_position IS DISTINCT FROM p_run.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'step out of order',
      DETAIL = pg_catalog.format('run %s is at position %s, not %s', p_run.run_id,
                                 p_run.next_position, p_position),
      HINT = 'steps are recorded in order, each once';
  END IF;
END
$$;

ALTER FUNCTION flow.check_position(p_run flow.runs, p_position integer) OWNER TO claw_owner;

--
-- Name: check_start_args(text, integer, jsonb, text, text, text); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.check_start_args(p_flow_name text, p_flow_version integer, p_input jsonb, p_idempotency_key text, p_trace_id text, p_queue text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
  IF p_flow_name IS NULL OR p_flow_name !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_flow_name) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow name',
      DETAIL = pg_catalog.format('%L is not a flow name', p_flow_name),
      HINT = 'lowercase letters, digits and _.:- , starting with a letter, e.g. order.fulfil';
  END IF;
  IF p_flow_version IS NULL OR p_flow_version NOT BETWEEN 1 AND 1000000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow version',
      DETAIL = pg_catalog.format('p_flow_version must be 1 to 1000000, not %s', p_flow_version),
      HINT = 'versions count deploys that change a flow''s steps: 1, 2, ...';
  END IF;
  IF p_input IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid flow input',
      DETAIL = 'p_input must be a JSON value, not NULL', HINT = 'pass ''{}'' for no input';
  END IF;
  IF p_idempotency_key IS NOT NULL AND pg_catalog.length(p_idempotency_key) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid idempotency key',
      DETAIL = 'an idempotency key is 1 to 200 characters', HINT = 'e.g. order-4711';
  END IF;
  IF p_trace_id IS NOT NULL AND pg_catalog.length(p_trace_id) NOT BETWEEN 1 AND 64 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid trace id',
      DETAIL = 'a trace id is 1 to 64 characters', HINT = 'a W3C trace id is 32 hex digits';
  END IF;
  IF p_queue IS NULL OR p_queue !~ '^[a-z][a-z0-9_.-]*$'
     OR pg_catalog.length(p_queue) > 63 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue',
      DETAIL = pg_catalog.format('%L is not a queue name', p_queue), HINT = 'e.g. flows';
  END IF;
END
$_$;

ALTER FUNCTION flow.check_start_args(p_flow_name text, p_flow_version integer, p_input jsonb, p_idempotency_key text, p_trace_id text, p_queue text) OWNER TO claw_owner;

--
-- Name: check_wait(timestamp with time zone, double precision, boolean); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.check_wait(p_wake_at timestamp with time zone, p_seconds double precision, p_required boolean) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF (p_wake_at IS NOT NULL AND p_seconds IS NOT NULL)
     OR (p_required AND p_wake_at IS NULL AND p_seconds IS NULL)
     OR NOT pg_catalog.isfinite(p_wake_at)
     OR p_seconds < 0 OR p_seconds > 31536000 * 10 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid timer',
      DETAIL = pg_catalog.format('give a finite instant or 0 to 315360000 seconds (got %s, %s)',
                                 p_wake_at, p_seconds),
      HINT = 'p_wake_at => ''2026-12-01T06:00:00Z'' or p_seconds => 3600';
  END IF;
END
$$;

ALTER FUNCTION flow.check_wait(p_wake_at timestamp with time zone, p_seconds double precision, p_required boolean) OWNER TO claw_owner;

--
-- Name: claim(uuid, uuid, uuid); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.claim(p_run_id uuid, p_job_id uuid, p_lease_token uuid) RETURNS TABLE(action text, status text, flow_name text, flow_version integer, input jsonb, trace_id text, next_position integer, step_attempts integer, dispatches integer, steps jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs;
  v_lim record;
BEGIN
  PERFORM api.act_as_job(p_job_id, p_lease_token);
  SELECT r.* INTO v_run FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id
  FOR UPDATE;
  IF NOT FOUND OR v_run.job_id IS DISTINCT FROM p_job_id THEN
    -- not this job's run (a stale dispatch, or a job that was never it): nothing about it
    RETURN QUERY SELECT 'skip'::text, NULL::text, NULL::text, NULL::integer, NULL::jsonb,
                        NULL::text, NULL::integer, NULL::integer, NULL::integer, '[]'::jsonb;
    RETURN;
  END IF;
  PERFORM flow.trace(v_run.trace_id);
  IF v_run.status NOT IN ('pending', 'running', 'sleeping', 'waiting') THEN
    RETURN QUERY SELECT 'skip', v_run.status, v_run.flow_name, v_run.flow_version, v_run.input,
                        v_run.trace_id, v_run.next_position, v_run.step_attempts,
                        v_run.dispatches, '[]'::jsonb;
    RETURN;
  END IF;
  IF v_run.cancel_requested_at IS NOT NULL THEN
    -- requested while it ran, and it stopped since without finishing (a retry backoff, an
    -- effect blocked then resolved): cancelled now, with its error, and a waiting parent
    -- woken (it was not, and waited for ever)
    PERFORM flow.finish(v_run, 'cancelled', NULL,
                        pg_catalog.jsonb_build_object('message', 'cancelled'));
    RETURN QUERY SELECT 'skip', 'cancelled'::text, v_run.flow_name, v_run.flow_version,
                        v_run.input, v_run.trace_id, v_run.next_position, v_run.step_attempts,
                        v_run.dispatches, '[]'::jsonb;
    RETURN;
  END IF;
  UPDATE flow.runs AS r
  SET status = 'running', dispatches = r.dispatches + 1,
      started_at = coalesce(r.started_at, internal.now()),
      wake_at = NULL, wait_signal = NULL, wait_child_run_id = NULL
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  -- (running first: the state machine fails only a running run) the history it would
  -- hand over: the steps first (free), the bytes only where that
  -- many steps could hold more than the limit (a step holds at most 256 KiB of output
  -- and 64 KiB of error: 327,680 bytes), so an ordinary run pays nothing for the check
  SELECT * INTO v_lim FROM flow.history_limits();
  IF v_run.next_position > v_lim.steps
     OR (v_run.next_position::bigint * 327680 > v_lim.bytes
         AND (SELECT coalesce(pg_catalog.sum(pg_catalog.pg_column_size(s.output)), 0)
                     + coalesce(pg_catalog.sum(pg_catalog.octet_length(s.error)), 0)
              FROM flow.steps AS s
              WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id) > v_lim.bytes)
  THEN
    PERFORM flow.finish(v_run, 'failed', NULL, pg_catalog.jsonb_build_object(
      'kind', 'history_limit',
      'message', pg_catalog.format('the run''s history is too large to replay: %s steps '
                                   '(at most %s), or more than %s bytes of outputs and errors',
                                   v_run.next_position, v_lim.steps, v_lim.bytes),
      'hint', 'carry the state into a new run (api.start_flow_run) before the history grows '
              'this far, as a loop that runs for ever must'));
    RETURN QUERY SELECT 'skip', 'failed'::text, v_run.flow_name, v_run.flow_version,
                        v_run.input, v_run.trace_id, v_run.next_position, v_run.step_attempts,
                        v_run.dispatches, '[]'::jsonb;
    RETURN;
  END IF;
  RETURN QUERY
  SELECT 'run', v_run.status, v_run.flow_name, v_run.flow_version, v_run.input, v_run.trace_id,
         v_run.next_position, v_run.step_attempts, v_run.dispatches,
         coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                     'position', s.position, 'name', s.name, 'kind', s.kind,
                     'input_hash', s.input_hash, 'status', s.status, 'output', s.output,
                     'error', s.error) ORDER BY s.position)
                   FROM flow.steps AS s
                   WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id), '[]')
         || CASE WHEN v_run.pending_step IS NULL THEN '[]'::jsonb
                 ELSE pg_catalog.jsonb_build_array(v_run.pending_step || pg_catalog.jsonb_build_object(
                        'position', v_run.next_position, 'pending', true)) END;
END
$$;

ALTER FUNCTION flow.claim(p_run_id uuid, p_job_id uuid, p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: complete(uuid, uuid, uuid, jsonb); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.complete(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  RETURN flow.finish(v_run, 'completed', coalesce(p_output, 'null'::jsonb), NULL);
END
$$;

ALTER FUNCTION flow.complete(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb) OWNER TO claw_owner;

--
-- Name: dispatch_job(text, uuid, text, timestamp with time zone); Type: FUNCTION; Schema: flow; Owner: claw_dispatcher
--

CREATE FUNCTION flow.dispatch_job(p_queue text, p_run_id uuid, p_trace_id text, p_run_at timestamp with time zone) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
  v_job uuid;
BEGIN
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = 'dispatching a flow run needs a tenant context',
      HINT = 'call it from an api function after authentication';
  END IF;
  SELECT i.job_id INTO v_job FROM queue.insert_jobs(v_tenant, pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'queue', p_queue, 'kind', 'flow.run', 'payload', pg_catalog.jsonb_build_object('run_id', p_run_id),
      'max_attempts', 100, 'trace_id', p_trace_id, 'run_at', p_run_at)))) AS i;
  RETURN v_job;
END
$$;

ALTER FUNCTION flow.dispatch_job(p_queue text, p_run_id uuid, p_trace_id text, p_run_at timestamp with time zone) OWNER TO claw_dispatcher;

--
-- Name: effect_unknown(uuid, uuid, uuid, integer, text); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
BEGIN
  UPDATE flow.effects AS e SET status = 'unknown', note = pg_catalog.left(p_note, 4000)
  WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position;
  UPDATE flow.runs AS r
  SET status = 'blocked', job_id = NULL,
      error = pg_catalog.jsonb_build_object('position', p_position, 'effect', v_eff.idempotency_key,
                                            'message', 'effect outcome unknown: ' || coalesce(p_note, ''))
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
  RETURN 'blocked';
END
$$;

ALTER FUNCTION flow.effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) OWNER TO claw_owner;

--
-- Name: fail(uuid, uuid, uuid, jsonb); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.fail(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  IF p_error IS NULL OR pg_catalog.jsonb_typeof(p_error) <> 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid error',
      DETAIL = 'p_error must be a JSON object', HINT = '{"message": "..."}';
  END IF;
  RETURN flow.finish(v_run, 'failed', NULL, p_error);
END
$$;

ALTER FUNCTION flow.fail(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) OWNER TO claw_owner;

--
-- Name: fail_step(uuid, uuid, uuid, integer, text, text, text, integer, double precision, double precision, boolean); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.fail_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean) RETURNS TABLE(status text, retry_at timestamp with time zone, attempts integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_attempt integer := v_run.step_attempts + 1;
  v_at timestamptz;
  v_status text;
BEGIN
  IF p_max_attempts IS NULL OR p_max_attempts NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retry policy',
      DETAIL = pg_catalog.format('p_max_attempts must be 1 to 1000, not %s', p_max_attempts),
      HINT = 'max_attempts counts the first attempt too';
  END IF;
  IF p_backoff_seconds IS NULL OR p_backoff_seconds < 0 OR p_backoff_max_seconds IS NULL
     OR p_backoff_max_seconds < p_backoff_seconds OR p_backoff_max_seconds > 31536000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retry policy',
      DETAIL = pg_catalog.format('backoff %s s, at most %s s', p_backoff_seconds,
                                 p_backoff_max_seconds),
      HINT = '0 <= backoff <= backoff_max <= one year';
  END IF;
  IF p_error IS NULL OR pg_catalog.length(p_error) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'an error message is required',
      DETAIL = 'fail_flow_step records why the attempt failed', HINT = 'pass p_error => ''...''';
  END IF;
  PERFORM flow.require_position(p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  IF p_position IS DISTINCT FROM v_run.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'step out of order',
      DETAIL = pg_catalog.format('run %s is at position %s, not %s', p_run_id,
                                 v_run.next_position, p_position),
      HINT = 'only the step at the run''s position can fail';
  END IF;
  IF coalesce(p_retry, true) AND v_attempt < p_max_attempts AND v_run.cancel_requested_at IS NULL THEN
    v_at := internal.now() + pg_catalog.make_interval(secs => LEAST(
      p_backoff_seconds * pg_catalog.power(2::double precision, LEAST(v_attempt - 1, 40)),
      p_backoff_max_seconds));
    UPDATE flow.runs AS r
    SET status = 'sleeping', step_attempts = v_attempt, wake_at = v_at,
        pending_step = coalesce(r.pending_step, flow.pending('step', p_name, p_input_hash)),
        error = pg_catalog.jsonb_build_object('position', p_position, 'step', p_name,
                                              'attempt', v_attempt,
                                              'message', pg_catalog.left(p_error, 4000))
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
    RETURNING r.* INTO v_run;
    PERFORM flow.redispatch(v_run, v_at);
    RETURN QUERY SELECT 'sleeping'::text, v_at, v_attempt;
    RETURN;
  END IF;
  PERFORM flow.insert_step(v_run, p_position, p_name, 'step', p_input_hash, 'failed', NULL,
                           pg_catalog.left(p_error, 4000), NULL);
  -- attempts left, but a cancel was requested: the run ends as asked, cancelled
  v_status := CASE WHEN coalesce(p_retry, true) AND v_attempt < p_max_attempts
                        AND v_run.cancel_requested_at IS NOT NULL
                   THEN 'cancelled' ELSE 'failed' END;
  PERFORM flow.finish(v_run, v_status, NULL, pg_catalog.jsonb_build_object(
    'position', p_position, 'step', p_name, 'attempt', v_attempt,
    'message', CASE WHEN v_status = 'cancelled' THEN 'cancelled after a failed attempt: '
                    ELSE '' END || pg_catalog.left(p_error, 4000)));
  RETURN QUERY SELECT v_status, NULL::timestamptz, v_attempt;
END
$$;

ALTER FUNCTION flow.fail_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean) OWNER TO claw_owner;

--
-- Name: finish(flow.runs, text, jsonb, jsonb); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.finish(p_run flow.runs, p_status text, p_output jsonb, p_error jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs;
BEGIN
  UPDATE flow.runs AS r
  SET status = p_status, output = p_output, error = p_error, finished_at = internal.now(),
      wake_at = NULL, wait_signal = NULL, wait_child_run_id = NULL
  WHERE r.tenant_id = p_run.tenant_id AND r.run_id = p_run.run_id
  RETURNING r.* INTO v_run;
  IF p_status IN ('failed', 'cancelled') THEN
    PERFORM flow.flag_unsettled_effects(v_run, p_status);
  END IF;
  PERFORM flow.wake_parent(v_run);
  RETURN p_status;
END
$$;

ALTER FUNCTION flow.finish(p_run flow.runs, p_status text, p_output jsonb, p_error jsonb) OWNER TO claw_owner;

--
-- Name: fix_timer(flow.runs, integer, text, timestamp with time zone); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.fix_timer(p_run flow.runs, p_position integer, p_kind text, p_wake_at timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_at timestamptz;
BEGIN
  INSERT INTO flow.timers AS t (tenant_id, run_id, position, kind, wake_at)
  VALUES (p_run.tenant_id, p_run.run_id, p_position, p_kind, p_wake_at)
  ON CONFLICT (tenant_id, run_id, position) DO NOTHING;
  SELECT t.wake_at INTO STRICT v_at FROM flow.timers AS t
  WHERE t.tenant_id = p_run.tenant_id AND t.run_id = p_run.run_id AND t.position = p_position;
  RETURN v_at;
END
$$;

ALTER FUNCTION flow.fix_timer(p_run flow.runs, p_position integer, p_kind text, p_wake_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: flag_unsettled_effects(flow.runs, text); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.flag_unsettled_effects(p_run flow.runs, p_status text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  UPDATE flow.effects AS e
  SET status = 'unknown',
      note = pg_catalog.format('the run ended %s with this effect sent %s time(s) and never '
                               'settled: it may have been delivered; check the provider',
                               p_status, e.sends)
  WHERE e.tenant_id = p_run.tenant_id AND e.run_id = p_run.run_id AND e.status = 'sent'
$$;

ALTER FUNCTION flow.flag_unsettled_effects(p_run flow.runs, p_status text) OWNER TO claw_owner;

--
-- Name: fork(uuid, integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.fork(p_run_id uuid, p_from_position integer) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_src flow.runs := flow.require_run(p_run_id);
  v_run flow.runs;
  v_child flow.runs;
  v_step record;
BEGIN
  IF v_src.status NOT IN ('completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run still going',
      DETAIL = pg_catalog.format('run %s is %s; only a finished run is forked', p_run_id,
                                 v_src.status),
      HINT = 'cancel it first, or wait until it finishes';
  END IF;
  IF p_from_position IS NULL OR p_from_position NOT BETWEEN 0 AND v_src.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid fork position',
      DETAIL = pg_catalog.format('run %s has %s completed steps; fork from 0 to %s, not %s',
                                 p_run_id, v_src.next_position, v_src.next_position,
                                 p_from_position),
      HINT = 'api.list_flow_steps shows the positions';
  END IF;
  -- the fork line (migrations/0057): the source, then the source's own line, each with how
  -- many of its first steps reach the fork (never more than this fork copies)
  INSERT INTO flow.runs AS r (tenant_id, flow_name, flow_version, input, trace_id, queue,
                              forked_from_run_id, forked_from_position, next_position,
                              fork_line, fork_line_upto)
  VALUES (v_src.tenant_id, v_src.flow_name, v_src.flow_version, v_src.input,
          pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', ''), v_src.queue,
          v_src.run_id, p_from_position, p_from_position,
          ARRAY[v_src.run_id] || v_src.fork_line,
          ARRAY[p_from_position] || ARRAY(
            SELECT LEAST(u.upto, p_from_position)
            FROM pg_catalog.unnest(v_src.fork_line_upto) WITH ORDINALITY AS u(upto, i)
            ORDER BY u.i))
  RETURNING r.* INTO v_run;
  INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, input_hash, status, output,
                          error, attempts, started_at, finished_at)
  SELECT s.tenant_id, v_run.run_id, s.position, s.name, s.kind, s.input_hash, s.status, s.output,
         s.error, s.attempts, s.started_at, s.finished_at
  FROM flow.steps AS s
  WHERE s.tenant_id = v_src.tenant_id AND s.run_id = v_src.run_id AND s.position < p_from_position;
  -- The children the copied checkpoints name and do not wait for: the fork replays their
  -- start (it gets the same child ids) and may wait for them, so it adopts them (their
  -- parent becomes the fork, which they wake when they finish, and which cancels them when
  -- it is cancelled). The finished
  -- source never waits again. A child gone (purged) or followed by another run still going
  -- (an earlier fork of the same source) is CL409: nothing is written.
  -- Only a run that a start_child at that position started is adopted: its key is
  -- 'child:<starter>:<position>' (reserved, see api.start_flow_run), the starter being the
  -- source or a run the step was copied from (the source's fork line, kept on its row since
  -- migration 0057, so a run of the line that retention purged since does not break it); a
  -- step naming anything else (recorded before api.record_flow_step refused the 'child'
  -- kind) is CL409.
  FOR v_step IN
    SELECT s.position, s.output ->> 'run_id' AS named,
           CASE WHEN pg_catalog.pg_input_is_valid(s.output ->> 'run_id', 'uuid')
                THEN (s.output ->> 'run_id')::uuid END AS child_run_id
    FROM flow.steps AS s
    WHERE s.tenant_id = v_src.tenant_id AND s.run_id = v_src.run_id
      AND s.position < p_from_position AND s.kind = 'child'
      -- a child whose outcome a copied wait_child holds: the fork replays that from the copy
      -- and never needs the child (it may be purged, or another fork's meanwhile)
      AND NOT EXISTS (SELECT 1 FROM flow.steps AS w
                      WHERE w.tenant_id = s.tenant_id AND w.run_id = s.run_id
                        AND w.position > s.position AND w.position < p_from_position
                        AND w.kind = 'wait_child' AND w.output ->> 'run_id' = s.output ->> 'run_id')
    ORDER BY 3, 1
  LOOP
    IF v_step.child_run_id IS NOT NULL THEN
      BEGIN
        SELECT r.* INTO v_child FROM flow.runs AS r
        WHERE r.tenant_id = v_src.tenant_id AND r.run_id = v_step.child_run_id
        FOR UPDATE NOWAIT;
      EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child run is busy',
          DETAIL = pg_catalog.format('child %s (step %s of run %s) is being updated by its '
                                     'worker; nothing was forked', v_step.child_run_id,
                                     v_step.position, p_run_id),
          HINT = 'retry the fork in a moment';
      END;
      IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child run is gone',
          DETAIL = pg_catalog.format('step %s of run %s started child %s, which was purged',
                                     v_step.position, p_run_id, v_step.child_run_id),
          HINT = pg_catalog.format('fork from position %s or earlier: the fork starts a '
                                   'child of its own there', v_step.position);
      END IF;
    END IF;
    IF v_step.child_run_id IS NULL OR v_child.parent_position IS DISTINCT FROM v_step.position
       OR v_child.idempotency_key IS NULL OR v_child.idempotency_key NOT IN (
         SELECT 'child:' || c.starter::text || ':' || v_step.position::text
         FROM (SELECT v_src.run_id
               UNION ALL
               SELECT l.run_id
               FROM ROWS FROM (pg_catalog.unnest(v_src.fork_line),
                               pg_catalog.unnest(v_src.fork_line_upto)) AS l(run_id, upto)
               WHERE v_step.position < l.upto) AS c (starter)) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child step names another run',
        DETAIL = pg_catalog.format('step %s of run %s is a child step naming %L, which no '
                                   'start_child of this run at that position started',
                                   v_step.position, p_run_id, v_step.named),
        HINT = pg_catalog.format('fork from position %s or earlier: the fork starts a child '
                                 'of its own there', v_step.position);
    END IF;
    IF v_child.parent_run_id IS NOT NULL AND v_child.parent_run_id <> v_src.run_id
       AND EXISTS (SELECT 1 FROM flow.runs AS p
                   WHERE p.tenant_id = v_child.tenant_id AND p.run_id = v_child.parent_run_id
                     AND p.status NOT IN ('completed', 'failed', 'cancelled')) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'the fork''s child run is taken',
        DETAIL = pg_catalog.format('child %s (step %s of run %s) now belongs to run %s, which '
                                   'is still going', v_child.run_id, v_step.position, p_run_id,
                                   v_child.parent_run_id),
        HINT = pg_catalog.format('wait for run %s to finish (or cancel it), or fork from '
                                 'position %s or earlier', v_child.parent_run_id,
                                 v_step.position);
    END IF;
    UPDATE flow.runs AS r SET parent_run_id = v_run.run_id
    WHERE r.tenant_id = v_child.tenant_id AND r.run_id = v_child.run_id;
    PERFORM audit.append(v_child.tenant_id, 'flow.run.adopted', 'flow.runs',
                         v_child.run_id::text,
                         pg_catalog.jsonb_build_object('parent_run_id', v_child.parent_run_id),
                         pg_catalog.jsonb_build_object('parent_run_id', v_run.run_id,
                                                       'forked_from_run_id', v_src.run_id));
  END LOOP;
  PERFORM flow.redispatch(v_run, NULL);
  RETURN v_run.run_id;
END
$$;

ALTER FUNCTION flow.fork(p_run_id uuid, p_from_position integer) OWNER TO claw_owner;

--
-- Name: history_limits(); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.history_limits(OUT steps integer, OUT bytes bigint) RETURNS record
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 20000, 67108864::bigint $$;

ALTER FUNCTION flow.history_limits(OUT steps integer, OUT bytes bigint) OWNER TO claw_owner;

--
-- Name: hold(uuid, uuid, uuid, boolean); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.hold(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_any_status boolean DEFAULT false) RETURNS flow.runs
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs;
BEGIN
  PERFORM api.act_as_job(p_job_id, p_lease_token);
  v_run := flow.require_run(p_run_id);
  PERFORM flow.trace(v_run.trace_id);
  IF v_run.job_id IS DISTINCT FROM p_job_id THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run not held',
      DETAIL = pg_catalog.format('run %s is dispatched by job %s, not %s', p_run_id,
                                 v_run.job_id, p_job_id),
      HINT = 'a newer dispatch took the run over; drop this result';
  END IF;
  IF NOT p_any_status AND v_run.status <> 'running' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run not running',
      DETAIL = pg_catalog.format('run %s is %s', p_run_id, v_run.status),
      HINT = 'claim it first (api.claim_flow_run)';
  END IF;
  RETURN v_run;
END
$$;

ALTER FUNCTION flow.hold(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_any_status boolean) OWNER TO claw_owner;

--
-- Name: insert_step(flow.runs, integer, text, text, text, text, jsonb, text, timestamp with time zone); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.insert_step(p_run flow.runs, p_position integer, p_name text, p_kind text, p_input_hash text, p_status text, p_output jsonb, p_error text, p_started_at timestamp with time zone) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM flow.require_position(p_position);
  IF p_position > p_run.next_position THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'step out of order',
      DETAIL = pg_catalog.format('run %s is at position %s; step %s cannot be recorded',
                                 p_run.run_id, p_run.next_position, p_position),
      HINT = 'steps are recorded in order, each once';
  END IF;
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  -- an earlier position: this INSERT raises 23505 (written once)
  INSERT INTO flow.steps (tenant_id, run_id, position, name, kind, input_hash, status, output,
                          error, attempts, started_at, finished_at)
  VALUES (p_run.tenant_id, p_run.run_id, p_position, p_name, p_kind, p_input_hash, p_status,
          p_output, p_error, p_run.step_attempts + 1, p_started_at, internal.now());
  IF p_status = 'failed' THEN
    RETURN 'failed';
  END IF;
  UPDATE flow.runs AS r SET next_position = p_position + 1, step_attempts = 0, pending_step = NULL
  WHERE r.tenant_id = p_run.tenant_id AND r.run_id = p_run.run_id;
  IF p_run.cancel_requested_at IS NOT NULL THEN
    RETURN flow.finish(p_run, 'cancelled', NULL, pg_catalog.jsonb_build_object(
      'message', 'cancelled', 'after_position', p_position));
  END IF;
  RETURN 'running';
END
$$;

ALTER FUNCTION flow.insert_step(p_run flow.runs, p_position integer, p_name text, p_kind text, p_input_hash text, p_status text, p_output jsonb, p_error text, p_started_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: mark_effect_sent(uuid, uuid, uuid, integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.mark_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
BEGIN
  IF v_eff.status NOT IN ('intended', 'sent') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect cannot be sent',
      DETAIL = pg_catalog.format('effect %s is %s', v_eff.idempotency_key, v_eff.status),
      HINT = 'only an intended (or sent, unconfirmed) effect is sent';
  END IF;
  UPDATE flow.effects AS e SET status = 'sent', sends = e.sends + 1, sent_at = internal.now()
  WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position
  RETURNING e.sends INTO v_eff.sends;
  RETURN v_eff.sends;
END
$$;

ALTER FUNCTION flow.mark_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) OWNER TO claw_owner;

--
-- Name: pending(text, text, text); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.pending(p_kind text, p_name text, p_input_hash text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.jsonb_build_object('kind', p_kind, 'name', p_name, 'input_hash', p_input_hash)
$$;

ALTER FUNCTION flow.pending(p_kind text, p_name text, p_input_hash text) OWNER TO claw_owner;

--
-- Name: purge(integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.purge(p_days integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_n integer;
BEGIN
  IF p_days IS NULL OR p_days NOT BETWEEN 0 AND 36500 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retention',
      DETAIL = pg_catalog.format('p_days must be 0 to 36500, not %s', p_days),
      HINT = 'finished runs older than this many days are deleted';
  END IF;
  DELETE FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id()
    AND r.finished_at < internal.now() - pg_catalog.make_interval(days => p_days)
    AND r.status IN ('completed', 'failed', 'cancelled')
    -- a child is kept while its parent goes on: the parent may still ctx.wait_child it.
    -- Asked as "no parent, or one seen finished", not "no parent seen going": a fork that
    -- adopts the child (flow.fork) while this DELETE waits for its row gives it a parent
    -- this statement's snapshot cannot see, and the re-check must keep it.
    AND (r.parent_run_id IS NULL
         OR EXISTS (SELECT 1 FROM flow.runs AS p
                    WHERE p.tenant_id = r.tenant_id AND p.run_id = r.parent_run_id
                      AND p.status IN ('completed', 'failed', 'cancelled')));
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n > 0 THEN
    PERFORM audit.append(internal.current_tenant_id(), 'flow.runs.purged', 'flow.runs', NULL,
                         NULL, pg_catalog.jsonb_build_object('runs', v_n, 'older_than_days', p_days));
  END IF;
  RETURN v_n;
END
$$;

ALTER FUNCTION flow.purge(p_days integer) OWNER TO claw_owner;

--
-- Name: record_step(uuid, uuid, uuid, integer, text, text, jsonb, text, timestamp with time zone); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.record_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  IF p_kind IS NULL OR p_kind NOT IN ('step', 'transaction', 'patch') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid step kind',
      DETAIL = pg_catalog.format('%L cannot be recorded directly', p_kind),
      HINT = 'step, transaction or patch; sleeps, signals, children (api.start_child_flow) and '
             'effects have their own calls';
  END IF;
  RETURN flow.insert_step(v_run, p_position, p_name, p_kind, p_input_hash, 'completed', p_output,
                          NULL, p_started_at);
END
$$;

ALTER FUNCTION flow.record_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: redispatch(flow.runs, timestamp with time zone); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.redispatch(p_run flow.runs, p_run_at timestamp with time zone) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_job uuid := flow.dispatch_job(p_run.queue, p_run.run_id, p_run.trace_id, p_run_at);
BEGIN
  UPDATE flow.runs AS r SET job_id = v_job
  WHERE r.tenant_id = p_run.tenant_id AND r.run_id = p_run.run_id;
  RETURN v_job;
END
$$;

ALTER FUNCTION flow.redispatch(p_run flow.runs, p_run_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: effects; Type: TABLE; Schema: flow; Owner: claw_owner
--

CREATE TABLE flow.effects (
    tenant_id uuid NOT NULL,
    run_id uuid NOT NULL,
    "position" integer NOT NULL,
    provider text NOT NULL,
    idempotency_key text NOT NULL,
    status text DEFAULT 'intended'::text NOT NULL,
    request jsonb DEFAULT '{}'::jsonb NOT NULL,
    response jsonb,
    sends integer DEFAULT 0 NOT NULL,
    note text,
    resolved_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    settled_at timestamp with time zone,
    CONSTRAINT effects_idempotency_key_check CHECK (((length(idempotency_key) >= 1) AND (length(idempotency_key) <= 200))),
    CONSTRAINT effects_position_check CHECK (("position" >= 0)),
    CONSTRAINT effects_provider_check CHECK (((provider ~ '^[a-z][a-z0-9_.:-]*$'::text) AND (length(provider) <= 100))),
    CONSTRAINT effects_sends_check CHECK ((sends >= 0)),
    CONSTRAINT effects_status_check CHECK ((status = ANY (ARRAY['intended'::text, 'sent'::text, 'confirmed'::text, 'unknown'::text, 'reconciled'::text])))
);

ALTER TABLE ONLY flow.effects FORCE ROW LEVEL SECURITY;

ALTER TABLE flow.effects OWNER TO claw_owner;

--
-- Name: require_effect(flow.runs, integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.require_effect(p_run flow.runs, p_position integer) RETURNS flow.effects
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_eff flow.effects;
BEGIN
  SELECT e.* INTO v_eff FROM flow.effects AS e
  WHERE e.tenant_id = p_run.tenant_id AND e.run_id = p_run.run_id AND e.position = p_position
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'effect not found',
      DETAIL = pg_catalog.format('run %s has no effect at position %s', p_run.run_id, p_position),
      HINT = 'api.list_flow_effects lists a run''s effects';
  END IF;
  RETURN v_eff;
END
$$;

ALTER FUNCTION flow.require_effect(p_run flow.runs, p_position integer) OWNER TO claw_owner;

--
-- Name: require_position(integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.require_position(p_position integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF p_position IS NULL OR p_position < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid step position',
      DETAIL = pg_catalog.format('p_position must be 0 or more, not %s',
                                 coalesce(p_position::text, 'NULL')),
      HINT = 'positions count the run''s steps from 0';
  END IF;
END
$$;

ALTER FUNCTION flow.require_position(p_position integer) OWNER TO claw_owner;

--
-- Name: require_run(uuid); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.require_run(p_run_id uuid) RETURNS flow.runs
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs;
BEGIN
  SELECT r.* INTO v_run FROM flow.runs AS r
  WHERE r.tenant_id = internal.current_tenant_id() AND r.run_id = p_run_id
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'flow run not found',
      DETAIL = pg_catalog.format('no flow run %s in this tenant', p_run_id),
      HINT = 'api.list_flow_runs lists this tenant''s runs';
  END IF;
  RETURN v_run;
END
$$;

ALTER FUNCTION flow.require_run(p_run_id uuid) OWNER TO claw_owner;

--
-- Name: require_step_identity(text, text); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.require_step_identity(p_name text, p_input_hash text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
  IF p_name IS NULL OR pg_catalog.length(p_name) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid step name',
      DETAIL = 'a step name is 1 to 200 characters', HINT = 'e.g. fetch-schedule';
  END IF;
  IF p_input_hash IS NULL OR p_input_hash !~ '^[0-9a-f]+$'
     OR pg_catalog.length(p_input_hash) > 128 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid input hash',
      DETAIL = 'p_input_hash is the hex digest of the step''s input',
      HINT = 'sha256 of the canonical JSON of the arguments';
  END IF;
END
$_$;

ALTER FUNCTION flow.require_step_identity(p_name text, p_input_hash text) OWNER TO claw_owner;

--
-- Name: resolve_effect(uuid, integer, boolean, jsonb, text); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.resolve_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.require_run(p_run_id);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
  v_status text := CASE WHEN p_delivered THEN 'reconciled' ELSE 'intended' END;
BEGIN
  IF p_delivered IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'say whether it was delivered',
      DETAIL = 'p_delivered must be true or false',
      HINT = 'look the key up at the provider first';
  END IF;
  IF v_eff.status <> 'unknown' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect is not unknown',
      DETAIL = pg_catalog.format('effect %s is %s', v_eff.idempotency_key, v_eff.status),
      HINT = 'only effects whose outcome is unknown are resolved by a person';
  END IF;
  UPDATE flow.effects AS e
  SET status = v_status, response = CASE WHEN p_delivered THEN coalesce(p_response, 'null') END,
      settled_at = CASE WHEN p_delivered THEN internal.now() END,
      resolved_by = internal.current_principal_id(),
      note = pg_catalog.left(coalesce(p_note, e.note), 4000)
  WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position;
  IF v_run.status = 'blocked' THEN
    UPDATE flow.runs AS r SET status = 'pending', error = NULL
    WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
    RETURNING r.* INTO v_run;
    PERFORM flow.redispatch(v_run, NULL);
  END IF;
  RETURN v_status;
END
$$;

ALTER FUNCTION flow.resolve_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text) OWNER TO claw_owner;

--
-- Name: send_signal(uuid, text, jsonb); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.send_signal(p_run_id uuid, p_name text, p_payload jsonb) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_run flow.runs;
  v_ok boolean;
BEGIN
  IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_name) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid signal name',
      DETAIL = pg_catalog.format('%L is not a signal name', p_name), HINT = 'e.g. approval';
  END IF;
  IF p_payload IS NULL OR pg_catalog.jsonb_typeof(p_payload) = 'null' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid signal payload',
      DETAIL = 'a null payload: the waiting step could not tell it from a wait that timed out',
      HINT = 'send {} (the default) or any other JSON value';
  END IF;
  v_run := flow.require_run(p_run_id);
  IF v_run.status IN ('completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'flow run already finished',
      DETAIL = pg_catalog.format('run %s is %s; it takes no more signals', p_run_id, v_run.status),
      HINT = 'signal a run that is still going';
  END IF;
  -- Signals no wait has taken yet are bounded per run: each is a row and a ledger entry, and
  -- names are free, so a sender (or a loop gone wrong) could otherwise pile up any number on
  -- one run. A name already sent is not counted (it returns false below, writing nothing),
  -- and the signal the run waits for now is always taken: a flood of other names must not
  -- keep an approval from the run that waits for it.
  IF (v_run.status <> 'waiting' OR v_run.wait_signal IS DISTINCT FROM p_name)
     AND (SELECT pg_catalog.count(*) FROM (
        SELECT 1 FROM flow.signals AS s
        WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id
          AND s.delivered_at IS NULL
        LIMIT 1000) AS u) >= 1000
     AND NOT EXISTS (SELECT 1 FROM flow.signals AS s
                     WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id
                       AND s.name = p_name) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'too many undelivered signals',
      DETAIL = pg_catalog.format('run %s holds 1000 signals that no wait has taken', p_run_id),
      HINT = 'signal names a wait of the run uses (one per wait, e.g. approval:1); the run takes them as it reaches those waits';
  END IF;
  INSERT INTO flow.signals (tenant_id, run_id, name, payload, sent_by, sent_at)
  VALUES (v_run.tenant_id, v_run.run_id, p_name, coalesce(p_payload, '{}'),
          internal.current_principal_id(), internal.now())
  ON CONFLICT (tenant_id, run_id, name) DO NOTHING
  RETURNING true INTO v_ok;
  IF v_ok THEN  -- who sent it (an approval, say) is in the ledger, not only in the row
    PERFORM audit.append(v_run.tenant_id, 'flow.signal.sent', 'flow.signals',
                         v_run.run_id::text || ':' || p_name, NULL,
                         pg_catalog.jsonb_build_object('run_id', v_run.run_id, 'name', p_name,
                                                       'run_status', v_run.status));
  END IF;
  IF v_ok AND v_run.status = 'waiting' AND v_run.wait_signal = p_name THEN
    PERFORM flow.redispatch(v_run, NULL);
  END IF;
  RETURN coalesce(v_ok, false);
END
$_$;

ALTER FUNCTION flow.send_signal(p_run_id uuid, p_name text, p_payload jsonb) OWNER TO claw_owner;

--
-- Name: settle_effect(uuid, uuid, uuid, integer, text, text, text, jsonb); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.settle_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_eff flow.effects := flow.require_effect(v_run, p_position);
BEGIN
  IF p_outcome IS NULL OR p_outcome NOT IN ('confirmed', 'reconciled') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid effect outcome',
      DETAIL = pg_catalog.format('%L is not an outcome', p_outcome),
      HINT = 'confirmed (the call answered) or reconciled (the lookup found it)';
  END IF;
  IF v_eff.status = 'sent' THEN
    UPDATE flow.effects AS e
    SET status = p_outcome, response = coalesce(p_response, 'null'), settled_at = internal.now()
    WHERE e.tenant_id = v_eff.tenant_id AND e.run_id = v_eff.run_id AND e.position = p_position
    RETURNING e.* INTO v_eff;
  ELSIF v_eff.status <> 'reconciled' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'effect cannot be settled',
      DETAIL = pg_catalog.format('effect %s is %s', v_eff.idempotency_key, v_eff.status),
      HINT = 'mark it sent before the call (api.mark_flow_effect_sent)';
  END IF;
  RETURN flow.insert_step(v_run, p_position, p_name, 'effect', p_input_hash, 'completed',
                          pg_catalog.jsonb_build_object('key', v_eff.idempotency_key,
                                                        'outcome', v_eff.status,
                                                        'response', v_eff.response),
                          NULL, v_eff.created_at);
END
$$;

ALTER FUNCTION flow.settle_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) OWNER TO claw_owner;

--
-- Name: sleep(uuid, uuid, uuid, integer, text, text, timestamp with time zone, double precision); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.sleep(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision) RETURNS TABLE(status text, wake_at timestamp with time zone)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_at timestamptz;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  PERFORM flow.check_wait(p_wake_at, p_seconds, true);
  v_at := flow.fix_timer(v_run, p_position, 'sleep',
                         coalesce(p_wake_at, internal.now() + pg_catalog.make_interval(secs => p_seconds)));
  IF v_at <= internal.now() OR v_run.cancel_requested_at IS NOT NULL THEN
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'sleep', p_input_hash,
                                         'completed', pg_catalog.jsonb_build_object('wake_at', v_at),
                                         NULL, NULL), v_at;
    RETURN;
  END IF;
  UPDATE flow.runs AS r SET status = 'sleeping', wake_at = v_at,
                            pending_step = flow.pending('sleep', p_name, p_input_hash)
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  PERFORM flow.redispatch(v_run, v_at);
  RETURN QUERY SELECT 'sleeping'::text, v_at;
END
$$;

ALTER FUNCTION flow.sleep(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision) OWNER TO claw_owner;

--
-- Name: start_child(uuid, uuid, uuid, integer, text, text, text, jsonb, integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.start_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer) RETURNS TABLE(status text, child_run_id uuid)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_child uuid;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  IF v_run.cancel_requested_at IS NOT NULL THEN
    -- a cancel was requested: no child is started (nothing would ever cancel it)
    RETURN QUERY SELECT flow.finish(v_run, 'cancelled', NULL, pg_catalog.jsonb_build_object(
                          'message', 'cancelled', 'during_position', p_position)), NULL::uuid;
    RETURN;
  END IF;
  SELECT s.run_id INTO v_child
  FROM flow.start_run(p_flow_name, p_input, p_flow_version,
                      'child:' || v_run.run_id::text || ':' || p_position, v_run.trace_id,
                      v_run.queue, v_run.run_id, p_position) AS s;
  RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'child', p_input_hash,
                                       'completed', pg_catalog.jsonb_build_object('run_id', v_child),
                                       NULL, NULL), v_child;
END
$$;

ALTER FUNCTION flow.start_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer) OWNER TO claw_owner;

--
-- Name: start_run(text, jsonb, integer, text, text, text, uuid, integer); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.start_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text, p_parent_run_id uuid, p_parent_position integer) RETURNS TABLE(run_id uuid, created boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs;
  v_trace text := coalesce(p_trace_id,
                           internal.trace_id(),
                           pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', ''));
BEGIN
  PERFORM flow.check_start_args(p_flow_name, p_flow_version, p_input, p_idempotency_key,
                                p_trace_id, p_queue);
  PERFORM flow.trace(v_trace);
  INSERT INTO flow.runs AS r (tenant_id, flow_name, flow_version, input, idempotency_key,
                              parent_run_id, parent_position, trace_id, queue)
  VALUES (internal.current_tenant_id(), p_flow_name, p_flow_version, p_input, p_idempotency_key,
          p_parent_run_id, p_parent_position, v_trace, p_queue)
  ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING r.* INTO v_run;
  IF v_run.run_id IS NULL THEN
    SELECT r.* INTO STRICT v_run FROM flow.runs AS r
    WHERE r.tenant_id = internal.current_tenant_id() AND r.idempotency_key = p_idempotency_key;
    IF v_run.flow_name <> p_flow_name OR v_run.parent_run_id IS DISTINCT FROM p_parent_run_id
       OR v_run.parent_position IS DISTINCT FROM p_parent_position THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'idempotency key already used',
        DETAIL = pg_catalog.format('key %L names run %s of flow %s (parent %s), not %s '
                                   '(parent %s)', p_idempotency_key, v_run.run_id,
                                   v_run.flow_name, v_run.parent_run_id, p_flow_name,
                                   p_parent_run_id),
        HINT = 'use a key per flow and business object, e.g. order.fulfil:4711';
    END IF;
    -- the same key is the same request: other input, version or queue would be work the
    -- caller asked for and never got (the first run does not do it)
    IF v_run.input IS DISTINCT FROM p_input OR v_run.flow_version IS DISTINCT FROM p_flow_version
       OR v_run.queue IS DISTINCT FROM p_queue THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'idempotency key already used',
        DETAIL = pg_catalog.format('key %L names run %s, started with other %s',
                                   p_idempotency_key, v_run.run_id,
                                   pg_catalog.array_to_string(ARRAY[
                                     CASE WHEN v_run.input IS DISTINCT FROM p_input
                                          THEN 'input' END,
                                     CASE WHEN v_run.flow_version IS DISTINCT FROM p_flow_version
                                          THEN 'flow version ' || v_run.flow_version END,
                                     CASE WHEN v_run.queue IS DISTINCT FROM p_queue
                                          THEN 'queue ' || v_run.queue END], ', ')),
        HINT = 'send the same request again to get that run, or use a new key for new work';
    END IF;
    RETURN QUERY SELECT v_run.run_id, false;
    RETURN;
  END IF;
  PERFORM flow.redispatch(v_run, NULL);
  RETURN QUERY SELECT v_run.run_id, true;
END
$$;

ALTER FUNCTION flow.start_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text, p_parent_run_id uuid, p_parent_position integer) OWNER TO claw_owner;

--
-- Name: stop_cancelled(uuid, uuid, uuid); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.stop_cancelled(p_run_id uuid, p_job_id uuid, p_lease_token uuid) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
BEGIN
  IF v_run.cancel_requested_at IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'no cancel requested',
      DETAIL = pg_catalog.format('run %s was not asked to stop', p_run_id),
      HINT = 'api.cancel_flow_run requests it';
  END IF;
  RETURN flow.finish(v_run, 'cancelled', NULL, pg_catalog.jsonb_build_object(
    'message', 'cancelled', 'during_position', v_run.next_position));
END
$$;

ALTER FUNCTION flow.stop_cancelled(p_run_id uuid, p_job_id uuid, p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: tg_effects__audit(); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.tg_effects__audit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM audit.append(NEW.tenant_id, 'flow.effect.' || NEW.status, 'flow.effects',
      NEW.idempotency_key,
      CASE WHEN TG_OP = 'UPDATE' THEN pg_catalog.jsonb_build_object('status', OLD.status) END,
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'status', NEW.status, 'provider', NEW.provider, 'run_id', NEW.run_id,
        'position', NEW.position, 'sends', NEW.sends, 'note', NEW.note,
        'resolved_by', NEW.resolved_by)));
  END IF;
  RETURN NULL;
END
$$;

ALTER FUNCTION flow.tg_effects__audit() OWNER TO claw_owner;

--
-- Name: tg_effects__guard_transition(); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.tg_effects__guard_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
       SELECT 1 FROM internal.flow_effect_transitions AS t
       WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'invalid effect transition',
      DETAIL = pg_catalog.format('effect %s cannot go from %s to %s', OLD.idempotency_key,
                                 OLD.status, NEW.status),
      HINT = 'see internal.flow_effect_transitions for the allowed transitions';
  END IF;
  IF NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key
     OR NEW.provider IS DISTINCT FROM OLD.provider OR NEW.request IS DISTINCT FROM OLD.request
     OR NEW.position IS DISTINCT FROM OLD.position OR NEW.run_id IS DISTINCT FROM OLD.run_id
     OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'an effect''s identity is fixed',
      DETAIL = pg_catalog.format('effect %s: provider, key and request never change',
                                 OLD.idempotency_key),
      HINT = 'a different request is a different effect (a different step)';
  END IF;
  RETURN NEW;
END
$$;

ALTER FUNCTION flow.tg_effects__guard_transition() OWNER TO claw_owner;

--
-- Name: tg_runs__audit(); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.tg_runs__audit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM audit.append(NEW.tenant_id, 'flow.run.started', 'flow.runs', NEW.run_id::text, NULL,
      pg_catalog.jsonb_build_object('flow_name', NEW.flow_name, 'flow_version', NEW.flow_version,
        'status', NEW.status, 'trace_id', NEW.trace_id, 'parent_run_id', NEW.parent_run_id,
        'forked_from_run_id', NEW.forked_from_run_id));
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM audit.append(NEW.tenant_id, 'flow.run.' || NEW.status, 'flow.runs', NEW.run_id::text,
      pg_catalog.jsonb_build_object('status', OLD.status),
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'status', NEW.status, 'next_position', NEW.next_position, 'wake_at', NEW.wake_at,
        'wait_signal', NEW.wait_signal, 'wait_child_run_id', NEW.wait_child_run_id,
        'error', NEW.error, 'trace_id', NEW.trace_id)));
  END IF;
  RETURN NULL;
END
$$;

ALTER FUNCTION flow.tg_runs__audit() OWNER TO claw_owner;

--
-- Name: tg_runs__guard_transition(); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.tg_runs__guard_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
       SELECT 1 FROM internal.flow_run_transitions AS t
       WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'invalid flow run transition',
      DETAIL = pg_catalog.format('run %s cannot go from %s to %s', OLD.run_id, OLD.status,
                                 NEW.status),
      HINT = 'see internal.flow_run_transitions for the allowed transitions';
  END IF;
  IF NEW.run_id IS DISTINCT FROM OLD.run_id OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id
     OR NEW.flow_name IS DISTINCT FROM OLD.flow_name OR NEW.input IS DISTINCT FROM OLD.input
     OR NEW.flow_version IS DISTINCT FROM OLD.flow_version
     OR NEW.forked_from_run_id IS DISTINCT FROM OLD.forked_from_run_id
     OR NEW.forked_from_position IS DISTINCT FROM OLD.forked_from_position
     OR NEW.fork_line IS DISTINCT FROM OLD.fork_line
     OR NEW.fork_line_upto IS DISTINCT FROM OLD.fork_line_upto THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a run''s identity is fixed',
      DETAIL = pg_catalog.format('run %s: tenant, id, flow name, version, input and what it '
                                 'was forked from never change', OLD.run_id),
      HINT = 'fork the run (api.fork_flow_run) to run it again differently';
  END IF;
  IF NEW IS DISTINCT FROM OLD THEN
    NEW.updated_at := pg_catalog.now();
  END IF;
  RETURN NEW;
END
$$;

ALTER FUNCTION flow.tg_runs__guard_transition() OWNER TO claw_owner;

--
-- Name: tg_steps__written_once(); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.tg_steps__written_once() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a step checkpoint is written once',
    DETAIL = pg_catalog.format('step %s of run %s is recorded and cannot change', OLD.position,
                               OLD.run_id),
    HINT = 'fork the run from this position (api.fork_flow_run) to record it again';
END
$$;

ALTER FUNCTION flow.tg_steps__written_once() OWNER TO claw_owner;

--
-- Name: trace(text); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.trace(p_trace_id text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.set_config('claw.trace_id', p_trace_id, true)
  WHERE coalesce(pg_catalog.current_setting('claw.trace_id', true), '') = ''
$$;

ALTER FUNCTION flow.trace(p_trace_id text) OWNER TO claw_owner;

--
-- Name: wait_child(uuid, uuid, uuid, integer, text, text, uuid); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.wait_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) RETURNS TABLE(status text, child_status text, child_output jsonb, child_error jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_child flow.runs;
  v_held jsonb;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity(p_name, p_input_hash);
  SELECT r.* INTO v_child FROM flow.runs AS r
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = p_child_run_id
    AND r.parent_run_id = v_run.run_id;
  IF NOT FOUND THEN
    -- (forked_from_position is NULL for a run that is no fork: no step qualifies)
    SELECT s.output INTO v_held FROM flow.steps AS s
    WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id
      AND s.position < v_run.forked_from_position AND s.kind = 'wait_child'
      AND s.status = 'completed' AND s.output ->> 'run_id' = p_child_run_id::text
      -- a final outcome only: a wait recorded because its run was being cancelled holds
      -- the child's status at that moment, which may be 'running'
      AND s.output ->> 'status' IN ('completed', 'failed', 'cancelled')
    ORDER BY s.position
    LIMIT 1;
    IF FOUND THEN
      RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'wait_child', p_input_hash,
                                           'completed', v_held, NULL, NULL),
                          v_held ->> 'status', v_held -> 'output', v_held -> 'error';
      RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'not a child of this run',
      DETAIL = pg_catalog.format('run %s has no child %s', p_run_id, p_child_run_id),
      HINT = 'wait for a child this run started';
  END IF;
  IF v_child.status IN ('completed', 'failed', 'cancelled') OR v_run.cancel_requested_at IS NOT NULL THEN
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, p_name, 'wait_child', p_input_hash,
                                         'completed', pg_catalog.jsonb_build_object(
                                           'run_id', v_child.run_id, 'status', v_child.status,
                                           'output', v_child.output, 'error', v_child.error),
                                         NULL, NULL),
                        v_child.status, v_child.output, v_child.error;
    RETURN;
  END IF;
  UPDATE flow.runs AS r SET status = 'waiting', wait_child_run_id = p_child_run_id, job_id = NULL,
                            pending_step = flow.pending('wait_child', p_name, p_input_hash)
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id;
  RETURN QUERY SELECT 'waiting'::text, v_child.status, NULL::jsonb, NULL::jsonb;
END
$$;

ALTER FUNCTION flow.wait_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) OWNER TO claw_owner;

--
-- Name: wait_signal(uuid, uuid, uuid, integer, text, text, timestamp with time zone, double precision); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.wait_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision) RETURNS TABLE(status text, received boolean, payload jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_run flow.runs := flow.hold(p_run_id, p_job_id, p_lease_token);
  v_sig flow.signals;
  v_at timestamptz;
BEGIN
  PERFORM flow.check_position(v_run, p_position);
  PERFORM flow.require_step_identity('signal:' || coalesce(p_signal, ''), p_input_hash);
  PERFORM flow.check_wait(p_timeout_at, p_timeout_seconds, false);
  IF p_signal IS NULL OR p_signal !~ '^[a-z][a-z0-9_.:-]*$'
     OR pg_catalog.length(p_signal) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid signal name',
      DETAIL = pg_catalog.format('%L is not a signal name', p_signal), HINT = 'e.g. approval';
  END IF;
  SELECT s.* INTO v_sig FROM flow.signals AS s
  WHERE s.tenant_id = v_run.tenant_id AND s.run_id = v_run.run_id AND s.name = p_signal
  FOR UPDATE;
  IF FOUND AND v_sig.delivered_position IS DISTINCT FROM p_position
     AND v_sig.delivered_position IS NOT NULL
     AND p_timeout_at IS NULL AND p_timeout_seconds IS NULL THEN
    -- a run gets each signal name once (first write wins; a second send is refused): a
    -- second wait for a delivered name times out, and one without a timeout would wait for
    -- ever; the run fails, saying so, instead
    PERFORM flow.finish(v_run, 'failed', NULL, pg_catalog.jsonb_build_object(
      'message', pg_catalog.format('signal %L was already delivered to step %s and a run '
                                   'receives each signal name once: this wait, without a '
                                   'timeout, would wait for ever; wait for a new name (e.g. %L)',
                                   p_signal, v_sig.delivered_position, p_signal || ':2'),
      'position', p_position));
    RETURN QUERY SELECT 'failed'::text, false, NULL::jsonb;
    RETURN;
  END IF;
  IF FOUND AND v_sig.delivered_position IS NULL THEN
    UPDATE flow.signals AS s SET delivered_position = p_position, delivered_at = internal.now()
    WHERE s.tenant_id = v_sig.tenant_id AND s.run_id = v_sig.run_id AND s.name = v_sig.name;
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, 'signal:' || p_signal, 'signal',
                                         p_input_hash, 'completed', pg_catalog.jsonb_build_object(
                                           'received', true, 'payload', v_sig.payload), NULL, NULL),
                        true, v_sig.payload;
    RETURN;
  END IF;
  IF p_timeout_at IS NOT NULL OR p_timeout_seconds IS NOT NULL THEN
    v_at := flow.fix_timer(v_run, p_position, 'signal_timeout', coalesce(p_timeout_at,
              internal.now() + pg_catalog.make_interval(secs => p_timeout_seconds)));
  END IF;
  IF v_at <= internal.now() OR v_run.cancel_requested_at IS NOT NULL THEN
    RETURN QUERY SELECT flow.insert_step(v_run, p_position, 'signal:' || p_signal, 'signal',
                                         p_input_hash, 'completed', pg_catalog.jsonb_build_object(
                                           'received', false, 'payload', NULL), NULL, NULL),
                        false, NULL::jsonb;
    RETURN;
  END IF;
  UPDATE flow.runs AS r SET status = 'waiting', wait_signal = p_signal, wake_at = v_at,
                            job_id = NULL,
                            pending_step = flow.pending('signal', 'signal:' || p_signal, p_input_hash)
  WHERE r.tenant_id = v_run.tenant_id AND r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;
  IF v_at IS NOT NULL THEN
    PERFORM flow.redispatch(v_run, v_at);
  END IF;
  RETURN QUERY SELECT 'waiting'::text, false, NULL::jsonb;
END
$_$;

ALTER FUNCTION flow.wait_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision) OWNER TO claw_owner;

--
-- Name: wake_parent(flow.runs); Type: FUNCTION; Schema: flow; Owner: claw_owner
--

CREATE FUNCTION flow.wake_parent(p_child flow.runs) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_parent flow.runs;
BEGIN
  IF p_child.parent_run_id IS NULL THEN
    RETURN;
  END IF;
  SELECT r.* INTO v_parent FROM flow.runs AS r
  WHERE r.tenant_id = p_child.tenant_id AND r.run_id = p_child.parent_run_id
  FOR UPDATE;
  IF FOUND AND v_parent.status = 'waiting' AND v_parent.wait_child_run_id = p_child.run_id THEN
    PERFORM flow.redispatch(v_parent, NULL);
  END IF;
END
$$;

ALTER FUNCTION flow.wake_parent(p_child flow.runs) OWNER TO claw_owner;

--
-- Name: b64url_decode(text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.b64url_decode(p_text text) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_len integer := pg_catalog.length(p_text);
  v_bytes bytea;
BEGIN
  IF p_text IS NULL OR p_text !~ '^[A-Za-z0-9_-]*$' OR v_len % 4 = 1 THEN
    RETURN NULL;
  END IF;
  v_bytes := pg_catalog.decode(pg_catalog.translate(p_text, '-_', '+/')
                               || pg_catalog.repeat('=', (4 - v_len % 4) % 4), 'base64');
  IF pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(v_bytes, 'base64'), E'+/\n', '-_'),
                      '=') <> p_text THEN
    RETURN NULL;
  END IF;
  RETURN v_bytes;
END
$_$;

ALTER FUNCTION internal.b64url_decode(p_text text) OWNER TO claw_owner;

--
-- Name: bytes_to_numeric(bytea); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.bytes_to_numeric(p_bytes bytea) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_len integer := pg_catalog.length(p_bytes);
  v_head integer := v_len % 7;
  v_result numeric := 0;
  v_pos integer;
BEGIN
  IF v_head > 0 THEN
    v_result := ('x' || pg_catalog.lpad(pg_catalog.encode(pg_catalog.substr(p_bytes, 1, v_head),
                                                            'hex'), 16, '0'))::bit(64)::bigint;
  END IF;
  v_pos := v_head + 1;
  WHILE v_pos <= v_len LOOP
    v_result := v_result * 72057594037927936  -- 2^56
      + ('x' || '00' || pg_catalog.encode(pg_catalog.substr(p_bytes, v_pos, 7), 'hex'))::bit(64)::bigint;
    v_pos := v_pos + 7;
  END LOOP;
  RETURN v_result;
END
$$;

ALTER FUNCTION internal.bytes_to_numeric(p_bytes bytea) OWNER TO claw_owner;

--
-- Name: claims_role(text[]); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.claims_role(p_roles text[]) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce(pg_catalog.string_to_array(pg_catalog.split_part(
           pg_catalog.current_setting('claw.ctx', true), '|', 3), ',')
         OPERATOR(pg_catalog.&&) p_roles, false)
$$;

ALTER FUNCTION internal.claims_role(p_roles text[]) OWNER TO claw_owner;

--
-- Name: clear_context(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.clear_context() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM pg_catalog.set_config('claw.ctx', '', true);
  PERFORM pg_catalog.set_config('claw.ctx_mac', '', true);
END
$$;

ALTER FUNCTION internal.clear_context() OWNER TO claw_owner;

--
-- Name: clock_now(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.clock_now() RETURNS timestamp with time zone
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT internal.now() + (pg_catalog.clock_timestamp() - pg_catalog.now()) $$;

ALTER FUNCTION internal.clock_now() OWNER TO claw_owner;

--
-- Name: context_credential(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.context_credential() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT NULLIF(pg_catalog.split_part(pg_catalog.current_setting('claw.ctx', true), '|', 6), '')
  FROM internal.verified_context() AS c WHERE c.tenant_id IS NOT NULL
$$;

ALTER FUNCTION internal.context_credential() OWNER TO claw_owner;

--
-- Name: current_principal_id(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.current_principal_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT (internal.verified_context()).principal_id $$;

ALTER FUNCTION internal.current_principal_id() OWNER TO claw_owner;

--
-- Name: current_tenant_id(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT (internal.verified_context()).tenant_id $$;

ALTER FUNCTION internal.current_tenant_id() OWNER TO claw_owner;

--
-- Name: cursor_mac(text, jsonb, text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.cursor_mac(p_query text, p_filters jsonb, p_position text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(k.secret || pg_catalog.sha256(
           k.secret || pg_catalog.convert_to(
             'cursor|' || coalesce(internal.current_tenant_id()::text, '') || '|' || p_query
             || '|' || coalesce(p_filters, '{}')::text || '|' || p_position, 'UTF8'))), 'hex'), 32)
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$$;

ALTER FUNCTION internal.cursor_mac(p_query text, p_filters jsonb, p_position text) OWNER TO claw_owner;

--
-- Name: ensure_tenant_policy(regclass); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.ensure_tenant_policy(p_table regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    AS $$
  SELECT coalesce((internal.verified_context()).roles OPERATOR(pg_catalog.&&) p_roles, false)
$$;

ALTER FUNCTION internal.has_role(p_roles text[]) OWNER TO claw_owner;

--
-- Name: input_limit(text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.input_limit(p_kind text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT CASE p_kind WHEN 'name' THEN 1024 WHEN 'text' THEN 65536 WHEN 'json' THEN 262144
                     WHEN 'document' THEN 1048576 WHEN 'batch' THEN 8388608 END
$$;

ALTER FUNCTION internal.input_limit(p_kind text) OWNER TO claw_owner;

--
-- Name: lock_named(text, boolean); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.lock_named(p_name text, p_exclusive boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_key bigint := pg_catalog.hashtextextended(p_name, 0);
BEGIN
  IF p_exclusive THEN
    PERFORM pg_catalog.pg_advisory_xact_lock(v_key);
  ELSE
    PERFORM pg_catalog.pg_advisory_xact_lock_shared(v_key);
  END IF;
END
$$;

ALTER FUNCTION internal.lock_named(p_name text, p_exclusive boolean) OWNER TO claw_owner;

--
-- Name: make_cursor(text, jsonb, jsonb); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.make_cursor(p_query text, p_filters jsonb, p_position jsonb) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(
           pg_catalog.convert_to(p_position::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
         || '.' || internal.cursor_mac(p_query, p_filters, p_position::text)
$$;

ALTER FUNCTION internal.make_cursor(p_query text, p_filters jsonb, p_position jsonb) OWNER TO claw_owner;

--
-- Name: now(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.now() RETURNS timestamp with time zone
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.now() + coalesce(
    (SELECT c.offset_by FROM internal.clock AS c WHERE c.clock_id = 1), interval '0')
$$;

ALTER FUNCTION internal.now() OWNER TO claw_owner;

--
-- Name: read_cursor(text, jsonb, text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.read_cursor(p_query text, p_filters jsonb, p_cursor text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_parts text[];
  v_b64 text;
  v_text text;
  v_position jsonb;
BEGIN
  IF p_cursor IS NULL THEN
    RETURN NULL;
  END IF;
  v_parts := pg_catalog.string_to_array(p_cursor, '.');
  IF pg_catalog.length(p_cursor) > 2048 OR pg_catalog.cardinality(v_parts) <> 2 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'the cursor is malformed', HINT = 'pass a cursor exactly as a list returned it';
  END IF;
  v_b64 := pg_catalog.translate(v_parts[1], '-_', '+/');
  v_b64 := v_b64 || pg_catalog.repeat('=', (4 - pg_catalog.length(v_b64) % 4) % 4);
  BEGIN
    v_text := pg_catalog.convert_from(pg_catalog.decode(v_b64, 'base64'), 'UTF8');
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'the cursor is malformed', HINT = 'pass a cursor exactly as a list returned it';
  END;
  IF v_parts[2] IS DISTINCT FROM internal.cursor_mac(p_query, p_filters, v_text) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cursor',
      DETAIL = 'the cursor does not belong to this query (another tenant, list or filters)',
      HINT = 'start without a cursor, or pass the filters the cursor was made with';
  END IF;
  v_position := v_text::jsonb;
  RETURN v_position;
END
$$;

ALTER FUNCTION internal.read_cursor(p_query text, p_filters jsonb, p_cursor text) OWNER TO claw_owner;

--
-- Name: refuse_jwt(text, text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.refuse_jwt(p_message text, p_detail text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM internal.clear_context();
  RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = p_message, DETAIL = p_detail,
    HINT = 'obtain a fresh token from the tenant''s identity provider; an operator registers '
           'issuers, audiences and keys with `claw jwt`';
END
$$;

ALTER FUNCTION internal.refuse_jwt(p_message text, p_detail text) OWNER TO claw_owner;

--
-- Name: require_context(text[], text, text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.require_context(p_roles text[], p_scope text, p_action text, OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  SELECT c.tenant_id, c.principal_id, c.roles, c.scopes
    INTO tenant_id, principal_id, roles, scopes
  FROM internal.verified_context() AS c;
  IF tenant_id IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'not authenticated',
      DETAIL = pg_catalog.format('%s needs an authenticated tenant context', p_action),
      HINT = 'call api.authenticate(p_api_key => ...) first, in the same transaction';
  END IF;
  IF NOT coalesce(roles && p_roles, false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s needs one of the roles %s', p_action, p_roles),
      HINT = 'ask a tenant owner or admin to grant the role';
  END IF;
  IF NOT coalesce(scopes && ARRAY['*', p_scope], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s needs a credential with scope %s', p_action, p_scope),
      HINT = 'use an API key that carries this scope';
  END IF;
END
$$;

ALTER FUNCTION internal.require_context(p_roles text[], p_scope text, p_action text, OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) OWNER TO claw_owner;

--
-- Name: require_limit(integer, integer); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.require_limit(p_limit integer, p_max integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND p_max THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid limit',
      DETAIL = pg_catalog.format('p_limit must be 1 to %s, not %s', p_max, coalesce(p_limit::text, 'NULL')),
      HINT = 'page through larger results';
  END IF;
END
$$;

ALTER FUNCTION internal.require_limit(p_limit integer, p_max integer) OWNER TO claw_owner;

--
-- Name: require_role(text[], text, text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.require_role(p_roles text[], p_scope text, p_action text) RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT c.tenant_id FROM internal.require_context(p_roles, p_scope, p_action) AS c
$$;

ALTER FUNCTION internal.require_role(p_roles text[], p_scope text, p_action text) OWNER TO claw_owner;

--
-- Name: require_size(text, anyelement, text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.require_size(p_parameter text, p_value anyelement, p_kind text) RETURNS anyelement
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
  v_limit integer := internal.input_limit(p_kind);
  v_size integer;
BEGIN
  IF v_limit IS NULL THEN
    RAISE EXCEPTION 'internal.require_size: unknown kind %', p_kind;
  END IF;
  IF p_value IS NULL THEN
    RETURN NULL;
  END IF;
  IF pg_catalog.pg_typeof(p_value) = 'text'::pg_catalog.regtype THEN
    v_size := pg_catalog.octet_length(p_value::text);
  ELSE
    v_size := pg_catalog.pg_column_size(p_value);
  END IF;
  IF v_size > v_limit THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'input too large',
      DETAIL = pg_catalog.format('%s is %s bytes; the limit for %s inputs is %s bytes',
                                 p_parameter, v_size, p_kind, v_limit),
      HINT = 'keep large content outside Claw and pass a reference to it (README: Input limits)';
  END IF;
  RETURN p_value;
END
$$;

ALTER FUNCTION internal.require_size(p_parameter text, p_value anyelement, p_kind text) OWNER TO claw_owner;

--
-- Name: role_safety_problems(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.role_safety_problems() RETURNS TABLE(role_name text, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    UNION ALL
    -- role defaults other than the timeouts: any session of the role may write them on
    -- itself (ALTER ROLE <itself> SET ...; PostgreSQL cannot forbid it) and every later
    -- session of every application sharing the role starts with them
    SELECT g.role_name,
           pg_catalog.format('has the role default %s (ALTER ROLE %I%s RESET %s): a session '
                             'of the role may have planted it for every other session',
                             c.setting, g.role_name,
                             CASE WHEN s.setdatabase = 0 THEN ''
                                  ELSE ' IN DATABASE '
                                       || pg_catalog.quote_ident(pg_catalog.current_database())
                             END,
                             pg_catalog.split_part(c.setting, '=', 1))
    FROM guarded AS g
    JOIN pg_catalog.pg_db_role_setting AS s
      ON s.setrole = g.oid
     AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database AS d
                               WHERE d.datname = pg_catalog.current_database()))
    CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS c(setting)
    WHERE pg_catalog.lower(pg_catalog.split_part(c.setting, '=', 1)) NOT IN (
      'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout',
      'idle_session_timeout', 'transaction_timeout')
  ) AS problems
  ORDER BY role_name, problem
$$;

ALTER FUNCTION internal.role_safety_problems() OWNER TO claw_owner;

--
-- Name: FUNCTION role_safety_problems(); Type: COMMENT; Schema: internal; Owner: claw_owner
--

COMMENT ON FUNCTION internal.role_safety_problems() IS 'Why Claw must refuse to start: runtime or worker roles that are superuser, BYPASSRLS, CREATEROLE, members of claw_owner, owners of any object, or with role defaults other than the timeouts (which any session of the role could have planted). No rows means safe.';

--
-- Name: rsa_modexp(numeric, numeric, numeric); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.rsa_modexp(p_base numeric, p_exponent numeric, p_modulus numeric) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_result numeric := 1;
  v_base numeric := pg_catalog.mod(p_base, p_modulus);
  v_exp numeric := p_exponent;
BEGIN
  WHILE v_exp > 0 LOOP
    IF pg_catalog.mod(v_exp, 2) = 1 THEN
      v_result := pg_catalog.mod(v_result * v_base, p_modulus);
    END IF;
    v_exp := pg_catalog.div(v_exp, 2);
    IF v_exp > 0 THEN
      v_base := pg_catalog.mod(v_base * v_base, p_modulus);
    END IF;
  END LOOP;
  RETURN v_result;
END
$$;

ALTER FUNCTION internal.rsa_modexp(p_base numeric, p_exponent numeric, p_modulus numeric) OWNER TO claw_owner;

--
-- Name: rsa_pkcs1_prefix(integer); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.rsa_pkcs1_prefix(p_modulus_bytes integer) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT internal.bytes_to_numeric(
           pg_catalog.decode('0001', 'hex')
           || pg_catalog.decode(pg_catalog.repeat('ff', p_modulus_bytes - 3 - 51), 'hex')
           || pg_catalog.decode('00', 'hex')
           || pg_catalog.decode('3031300d060960864801650304020105000420', 'hex'))  -- DigestInfo, SHA-256
         * (2::numeric ^ 256)
$$;

ALTER FUNCTION internal.rsa_pkcs1_prefix(p_modulus_bytes integer) OWNER TO claw_owner;

--
-- Name: rsa_verify_sha256(bytea, bytea, numeric, numeric, integer, numeric); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.rsa_verify_sha256(p_message bytea, p_signature bytea, p_n numeric, p_e numeric, p_modulus_bytes integer, p_prefix numeric) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_s numeric;
BEGIN
  IF p_message IS NULL OR p_signature IS NULL OR p_n IS NULL OR p_e IS NULL
     OR p_prefix IS NULL OR pg_catalog.length(p_signature) <> p_modulus_bytes THEN
    RETURN false;
  END IF;
  v_s := internal.bytes_to_numeric(p_signature);
  IF v_s >= p_n THEN
    RETURN false;
  END IF;
  RETURN internal.rsa_modexp(v_s, p_e, p_n)
         = p_prefix + internal.bytes_to_numeric(pg_catalog.sha256(p_message));
END
$$;

ALTER FUNCTION internal.rsa_verify_sha256(p_message bytea, p_signature bytea, p_n numeric, p_e numeric, p_modulus_bytes integer, p_prefix numeric) OWNER TO claw_owner;

--
-- Name: scopes(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.scopes() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT '{*,authz:admin,authz:read,authz:write,events:read,flow:read,flow:write,keys:read,
           keys:write,llm:admin,llm:call,llm:read,members:read,members:write,ontology:admin,
           ontology:read,ontology:write,queue:read,queue:write}'::text[]
$$;

ALTER FUNCTION internal.scopes() OWNER TO claw_owner;

--
-- Name: set_context(uuid, uuid, text[], text[], text); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[] DEFAULT '{*}'::text[], p_credential text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
           || pg_catalog.pg_current_xact_id()::text || '|' || coalesce(p_credential, '');
  PERFORM pg_catalog.set_config('claw.ctx', v_ctx, true);
  PERFORM pg_catalog.set_config('claw.ctx_mac', pg_catalog.encode(pg_catalog.sha256(
    v_key || pg_catalog.sha256(v_key || pg_catalog.convert_to(v_ctx, 'UTF8'))), 'hex'), true);
END
$$;

ALTER FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[], p_credential text) OWNER TO claw_owner;

--
-- Name: tenant_schemas(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.tenant_schemas() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT ARRAY['tenancy', 'audit', 'authz', 'ontology', 'governance', 'queue', 'flow', 'events',
               'edge', 'llm',
               'connect', 'messaging']
$$;

ALTER FUNCTION internal.tenant_schemas() OWNER TO claw_owner;

--
-- Name: trace_id(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.trace_id() RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT CASE WHEN pg_catalog.octet_length(pg_catalog.current_setting('claw.trace_id', true))
                   BETWEEN 1 AND 64
              THEN pg_catalog.current_setting('claw.trace_id', true) END
$$;

ALTER FUNCTION internal.trace_id() OWNER TO claw_owner;

--
-- Name: verified_context(); Type: FUNCTION; Schema: internal; Owner: claw_owner
--

CREATE FUNCTION internal.verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
  IF pg_catalog.cardinality(v_parts) <> 6 THEN
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
-- Name: breaker_admit(uuid, text, interval); Type: FUNCTION; Schema: llm; Owner: claw_dispatcher
--

CREATE FUNCTION llm.breaker_admit(p_tenant_id uuid, p_provider text, p_probe_lease interval) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;

ALTER FUNCTION llm.breaker_admit(p_tenant_id uuid, p_provider text, p_probe_lease interval) OWNER TO claw_dispatcher;

--
-- Name: breaker_record(uuid, text, boolean); Type: FUNCTION; Schema: llm; Owner: claw_dispatcher
--

CREATE FUNCTION llm.breaker_record(p_tenant_id uuid, p_provider text, p_ok boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;

ALTER FUNCTION llm.breaker_record(p_tenant_id uuid, p_provider text, p_ok boolean) OWNER TO claw_dispatcher;

--
-- Name: breaker_release(uuid, text, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: claw_dispatcher
--

CREATE FUNCTION llm.breaker_release(p_tenant_id uuid, p_provider text, p_probe_until timestamp with time zone) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  UPDATE llm.breakers AS b SET probe_until = internal.now(), updated_at = internal.now()
  WHERE b.tenant_id = p_tenant_id AND b.provider = p_provider AND b.state = 'half_open'
    AND b.probe_until = p_probe_until
$$;

ALTER FUNCTION llm.breaker_release(p_tenant_id uuid, p_provider text, p_probe_until timestamp with time zone) OWNER TO claw_dispatcher;

--
-- Name: budget_covers(text, uuid, text, uuid, text); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.budget_covers(p_scope text, p_budget_principal uuid, p_budget_task text, p_principal_id uuid, p_task text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT p_scope = 'tenant' OR (p_scope = 'principal' AND p_budget_principal = p_principal_id)
         OR (p_scope = 'task' AND p_budget_task = p_task)
$$;

ALTER FUNCTION llm.budget_covers(p_scope text, p_budget_principal uuid, p_budget_task text, p_principal_id uuid, p_task text) OWNER TO claw_owner;

--
-- Name: cache_key(text, integer, text[], text); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.cache_key(p_task text, p_route_version integer, p_models text[], p_request_hash text) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT pg_catalog.sha256(pg_catalog.convert_to(
    p_task || '|' || p_route_version || '|' || pg_catalog.array_to_string(p_models, ',')
    || '|' || p_request_hash, 'UTF8'))
$$;

ALTER FUNCTION llm.cache_key(p_task text, p_route_version integer, p_models text[], p_request_hash text) OWNER TO claw_owner;

--
-- Name: call_token_mac(text); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.call_token_mac(p_body text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT pg_catalog.encode(pg_catalog.sha256(k.secret || pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('llm-call|' || p_body, 'UTF8'))), 'hex')
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$$;

ALTER FUNCTION llm.call_token_mac(p_body text) OWNER TO claw_owner;

--
-- Name: charged_attempts(jsonb, timestamp with time zone, integer[]); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.charged_attempts(p_attempts jsonb, p_priced_at timestamp with time zone, p_caps integer[]) RETURNS TABLE(n bigint, provider text, model text, route_position integer, input_tokens integer, output_tokens integer, cached_tokens integer, cost_usd numeric, price_valid_from timestamp with time zone, latency_ms integer, outcome text, http_status integer, error text)
    LANGUAGE sql STABLE
    AS $$
  SELECT e.n, m.provider, a.model, a.route_position, b.input_tokens, b.output_tokens,
         b.cached_tokens,
         coalesce(llm.cost_usd(p, b.input_tokens, b.cached_tokens, b.output_tokens), 0),
         p.valid_from, coalesce(a.latency_ms, 0), a.outcome, a.http_status,
         pg_catalog.left(NULLIF(pg_catalog.concat_ws('; ',
           CASE WHEN coalesce(a.input_tokens, 0) > b.input_tokens THEN pg_catalog.format(
             'the provider reported %s input tokens, above the context window of %s (%s): '
             'charged %s', a.input_tokens, a.model, m.context_window, b.input_tokens) END,
           CASE WHEN coalesce(a.output_tokens, 0) > b.output_tokens THEN pg_catalog.format(
             'the provider reported %s output tokens, above the output cap of this call (%s): '
             'charged %s', a.output_tokens, b.output_tokens, b.output_tokens) END,
           a.error), ''), 2000)
  FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
  CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
         AS a(model text, route_position integer, input_tokens integer, output_tokens integer,
              cached_tokens integer, latency_ms integer, outcome text, http_status integer,
              error text)
  JOIN internal.llm_models AS m ON m.model = a.model
  CROSS JOIN LATERAL (
    SELECT i.input_tokens, o.output_tokens,
           LEAST(coalesce(a.cached_tokens, 0),
                 i.input_tokens - LEAST(GREATEST(coalesce(a.input_tokens, 0)
                                                 - coalesce(a.cached_tokens, 0), 0),
                                        i.input_tokens)) AS cached_tokens
    FROM (SELECT LEAST(coalesce(a.input_tokens, 0), m.context_window) AS input_tokens) AS i,
         (SELECT LEAST(coalesce(a.output_tokens, 0), m.max_output_tokens,
                       coalesce(p_caps[a.route_position], m.max_output_tokens))
                   AS output_tokens) AS o) AS b
  LEFT JOIN LATERAL llm.price_at(a.model, p_priced_at) AS p ON true
$$;

ALTER FUNCTION llm.charged_attempts(p_attempts jsonb, p_priced_at timestamp with time zone, p_caps integer[]) OWNER TO claw_owner;

--
-- Name: reservations; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.reservations (
    tenant_id uuid NOT NULL,
    reservation_id uuid DEFAULT uuidv7() NOT NULL,
    task text NOT NULL,
    principal_id uuid,
    flow_run_id uuid,
    flow_step integer,
    amount_usd numeric(18,9) NOT NULL,
    budget_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    window_starts date[] DEFAULT '{}'::date[] NOT NULL,
    status text DEFAULT 'held'::text NOT NULL,
    actual_usd numeric(18,9),
    late boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    closed_at timestamp with time zone,
    route_version integer,
    begun_by text,
    chain_models text[],
    chain_output_caps integer[],
    max_attempts integer,
    probe_claims jsonb,
    CONSTRAINT reservations_actual_usd_check CHECK ((actual_usd >= (0)::numeric)),
    CONSTRAINT reservations_amount_usd_check CHECK ((amount_usd >= (0)::numeric)),
    CONSTRAINT reservations_begun_by_check CHECK ((length(begun_by) <= 200)),
    CONSTRAINT reservations_chain_check CHECK (((cardinality(chain_models) = cardinality(chain_output_caps)) AND ((max_attempts >= 1) AND (max_attempts <= 10)))),
    CONSTRAINT reservations_check CHECK ((cardinality(budget_ids) = cardinality(window_starts))),
    CONSTRAINT reservations_check1 CHECK (((status = 'held'::text) = (closed_at IS NULL))),
    CONSTRAINT reservations_probe_claims_check CHECK ((jsonb_typeof(probe_claims) = 'object'::text)),
    CONSTRAINT reservations_status_check CHECK ((status = ANY (ARRAY['held'::text, 'settled'::text, 'released'::text, 'expired'::text])))
);

ALTER TABLE ONLY llm.reservations FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.reservations OWNER TO claw_owner;

--
-- Name: close_reservation(uuid, uuid, numeric); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.close_reservation(p_tenant_id uuid, p_reservation_id uuid, p_actual_usd numeric) RETURNS llm.reservations
    LANGUAGE plpgsql
    AS $$
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
$$;

ALTER FUNCTION llm.close_reservation(p_tenant_id uuid, p_reservation_id uuid, p_actual_usd numeric) OWNER TO claw_owner;

--
-- Name: llm_prices; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.llm_prices (
    model text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    input_usd_per_mtok numeric(12,6) NOT NULL,
    cached_input_usd_per_mtok numeric(12,6) NOT NULL,
    output_usd_per_mtok numeric(12,6) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT llm_prices_cached_input_usd_per_mtok_check CHECK ((cached_input_usd_per_mtok >= (0)::numeric)),
    CONSTRAINT llm_prices_input_usd_per_mtok_check CHECK ((input_usd_per_mtok >= (0)::numeric)),
    CONSTRAINT llm_prices_output_usd_per_mtok_check CHECK ((output_usd_per_mtok >= (0)::numeric))
);

ALTER TABLE internal.llm_prices OWNER TO claw_owner;

--
-- Name: cost_usd(internal.llm_prices, integer, integer, integer); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.cost_usd(p_price internal.llm_prices, p_input_tokens integer, p_cached_tokens integer, p_output_tokens integer) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT round(((greatest(p_input_tokens - p_cached_tokens, 0) * p_price.input_usd_per_mtok
                 + least(p_cached_tokens, p_input_tokens) * p_price.cached_input_usd_per_mtok
                 + p_output_tokens * p_price.output_usd_per_mtok) / 1000000)::numeric, 9)
$$;

ALTER FUNCTION llm.cost_usd(p_price internal.llm_prices, p_input_tokens integer, p_cached_tokens integer, p_output_tokens integer) OWNER TO claw_owner;

--
-- Name: define_model(text, text, text, integer, integer); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.define_model(p_model text, p_provider text, p_tokenizer text, p_context_window integer, p_max_output_tokens integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  INSERT INTO internal.llm_models (model, provider, tokenizer, context_window, max_output_tokens)
  VALUES (p_model, p_provider, p_tokenizer, p_context_window, p_max_output_tokens)
  ON CONFLICT (model) DO UPDATE SET provider = EXCLUDED.provider,
    tokenizer = EXCLUDED.tokenizer, context_window = EXCLUDED.context_window,
    max_output_tokens = EXCLUDED.max_output_tokens;
EXCEPTION WHEN check_violation OR not_null_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid model definition',
    DETAIL = SQLERRM,
    HINT = 'provider anthropic|openai; tokenizer o200k_base|cl100k_base|anthropic_estimate';
END
$$;

ALTER FUNCTION llm.define_model(p_model text, p_provider text, p_tokenizer text, p_context_window integer, p_max_output_tokens integer) OWNER TO claw_owner;

--
-- Name: expire_held(uuid, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.expire_held(p_tenant_id uuid, p_now timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
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
$$;

ALTER FUNCTION llm.expire_held(p_tenant_id uuid, p_now timestamp with time zone) OWNER TO claw_owner;

--
-- Name: expire_reservations(integer); Type: FUNCTION; Schema: llm; Owner: claw_dispatcher
--

CREATE FUNCTION llm.expire_reservations(p_limit integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;

ALTER FUNCTION llm.expire_reservations(p_limit integer) OWNER TO claw_dispatcher;

--
-- Name: lock_prices(boolean); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.lock_prices(p_exclusive boolean) RETURNS void
    LANGUAGE sql
    AS $$
  SELECT internal.lock_named('llm.prices', p_exclusive)
$$;

ALTER FUNCTION llm.lock_prices(p_exclusive boolean) OWNER TO claw_owner;

--
-- Name: lock_zone(uuid, boolean); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.lock_zone(p_tenant_id uuid, p_exclusive boolean) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT internal.lock_named('llm.zone:' || p_tenant_id::text, p_exclusive)
$$;

ALTER FUNCTION llm.lock_zone(p_tenant_id uuid, p_exclusive boolean) OWNER TO claw_owner;

--
-- Name: make_call_token(uuid, uuid, text[], uuid, timestamp with time zone, text); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.make_call_token(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_reservation_id uuid, p_until timestamp with time zone, p_request_hash text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT b.body || '.' || llm.call_token_mac(b.body)
  FROM (SELECT 'lc1.' || p_tenant_id || '.' || coalesce(p_principal_id::text, '') || '.'
               || pg_catalog.array_to_string(ARRAY(
                    SELECT r FROM pg_catalog.unnest(p_roles) AS r
                    WHERE r = ANY ('{owner,admin,operator,worker}') ORDER BY r), ',')
               || '.' || p_reservation_id
               || '.' || pg_catalog.floor(EXTRACT(EPOCH FROM p_until))::bigint
               || '.' || coalesce(p_request_hash, '') AS body) AS b
$$;

ALTER FUNCTION llm.make_call_token(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_reservation_id uuid, p_until timestamp with time zone, p_request_hash text) OWNER TO claw_owner;

--
-- Name: overlapping(uuid, uuid, date, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.overlapping(p_tenant_id uuid, p_budget_id uuid, p_window_start date, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) RETURNS TABLE(other_usd numeric)
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce(pg_catalog.sum(x.spent_usd + x.reserved_usd), 0)
  FROM llm.budget_windows AS x
  WHERE x.tenant_id = p_tenant_id AND x.budget_id = p_budget_id
    AND x.window_start BETWEEN p_window_start - 32 AND p_window_start + 32
    AND x.window_start <> p_window_start
    AND x.starts_at < p_ends_at AND x.ends_at > p_starts_at
$$;

ALTER FUNCTION llm.overlapping(p_tenant_id uuid, p_budget_id uuid, p_window_start date, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: price_at(text, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.price_at(p_model text, p_at timestamp with time zone) RETURNS SETOF internal.llm_prices
    LANGUAGE sql STABLE
    AS $$
  SELECT p.* FROM internal.llm_prices AS p
  WHERE p.model = p_model AND p.valid_from <= p_at
  ORDER BY p.valid_from DESC LIMIT 1
$$;

ALTER FUNCTION llm.price_at(p_model text, p_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: reserve(uuid, text, uuid, numeric, interval, text, uuid, integer, integer, text[], integer[], integer); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.reserve(p_tenant_id uuid, p_task text, p_principal_id uuid, p_amount_usd numeric, p_ttl interval, p_zone text, p_flow_run_id uuid DEFAULT NULL::uuid, p_flow_step integer DEFAULT NULL::integer, p_route_version integer DEFAULT NULL::integer, p_chain_models text[] DEFAULT NULL::text[], p_chain_output_caps integer[] DEFAULT NULL::integer[], p_max_attempts integer DEFAULT NULL::integer) RETURNS llm.reservations
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_now timestamptz := internal.now();
  v_ids uuid[];
  v_starts date[];
  v_wanted integer;
  v_bad record;
  v_res llm.reservations;
BEGIN
  IF EXISTS (SELECT 1 FROM llm.reservations AS r
             WHERE r.tenant_id = p_tenant_id AND r.status = 'held' AND r.expires_at <= v_now) THEN
    PERFORM llm.expire_held(p_tenant_id, v_now);
  END IF;
  WITH b AS (
    SELECT b.budget_id, b.limit_usd, w.window_start, w.starts_at, w.ends_at, o.other_usd
    FROM llm.budgets AS b
    CROSS JOIN LATERAL llm.window_for(b.period, v_now, p_zone) AS w
    CROSS JOIN LATERAL llm.overlapping(p_tenant_id, b.budget_id, w.window_start, w.starts_at,
                                       w.ends_at) AS o
    WHERE b.tenant_id = p_tenant_id
      AND llm.budget_covers(b.scope, b.principal_id, b.task, p_principal_id, p_task)
    ORDER BY b.budget_id),
  held AS (
    INSERT INTO llm.budget_windows AS w (tenant_id, budget_id, window_start, starts_at, ends_at,
                                         reserved_usd)
    SELECT p_tenant_id, b.budget_id, b.window_start, b.starts_at, b.ends_at, p_amount_usd
    FROM b WHERE p_amount_usd + b.other_usd <= b.limit_usd
    ORDER BY b.budget_id
    ON CONFLICT (tenant_id, budget_id, window_start) DO UPDATE
      -- a row a zone change reuses (another zone's window of the same local date) covers
      -- the hours of both from now on, so llm.overlapping sees where its money was spent
      SET reserved_usd = w.reserved_usd + EXCLUDED.reserved_usd,
          starts_at = least(w.starts_at, EXCLUDED.starts_at),
          ends_at = greatest(w.ends_at, EXCLUDED.ends_at)
      WHERE w.spent_usd + w.reserved_usd + EXCLUDED.reserved_usd
            <= (SELECT b.limit_usd - b.other_usd FROM b WHERE b.budget_id = w.budget_id)
    RETURNING w.budget_id, w.window_start)
  SELECT (SELECT count(*) FROM b),
         (SELECT pg_catalog.array_agg(h.budget_id ORDER BY h.budget_id) FROM held AS h),
         (SELECT pg_catalog.array_agg(h.window_start ORDER BY h.budget_id) FROM held AS h)
    INTO v_wanted, v_ids, v_starts;
  IF v_wanted > coalesce(pg_catalog.cardinality(v_ids), 0) THEN
    SELECT b.budget_id, b.scope, b.period, b.limit_usd, b.principal_id, b.task, w.window_start,
           b.limit_usd - coalesce(x.spent_usd, 0) - coalesce(x.reserved_usd, 0) - o.other_usd
             AS left_usd
      INTO v_bad
    FROM llm.budgets AS b
    CROSS JOIN LATERAL llm.window_for(b.period, v_now, p_zone) AS w
    CROSS JOIN LATERAL llm.overlapping(p_tenant_id, b.budget_id, w.window_start, w.starts_at,
                                       w.ends_at) AS o
    LEFT JOIN llm.budget_windows AS x
      ON x.tenant_id = b.tenant_id AND x.budget_id = b.budget_id AND x.window_start = w.window_start
    WHERE b.tenant_id = p_tenant_id
      AND llm.budget_covers(b.scope, b.principal_id, b.task, p_principal_id, p_task)
      AND b.budget_id <> ALL (coalesce(v_ids, '{}'))
    ORDER BY b.budget_id LIMIT 1;
    RAISE EXCEPTION USING ERRCODE = 'CL429', MESSAGE = 'LLM budget exhausted',
      DETAIL = pg_catalog.format(
        'the %s %s budget%s (limit %s USD, window from %s) has %s USD left; this call may '
        'cost up to %s USD', v_bad.period,
        v_bad.scope, CASE v_bad.scope WHEN 'task' THEN ' of task ' || v_bad.task
                                      WHEN 'principal' THEN ' of principal '
                                        || v_bad.principal_id::text ELSE '' END,
        v_bad.limit_usd, v_bad.window_start, greatest(v_bad.left_usd, 0)::numeric(18, 6),
        p_amount_usd::numeric(18, 6)),
      HINT = 'nothing was sent; retry in the next window, lower max_output_tokens, or raise '
             'the budget (api.set_llm_budget)';
  END IF;
  -- without a principal (a worker acting for a job), the credential it was begun with: only
  -- that job's context finishes it without the call token (api.finish_llm_call)
  INSERT INTO llm.reservations (tenant_id, task, principal_id, flow_run_id, flow_step,
                                amount_usd, budget_ids, window_starts, created_at, expires_at,
                                route_version, begun_by, chain_models, chain_output_caps,
                                max_attempts)
  VALUES (p_tenant_id, p_task, p_principal_id, p_flow_run_id, p_flow_step, p_amount_usd,
          coalesce(v_ids, '{}'), coalesce(v_starts, '{}'), v_now, v_now + p_ttl,
          p_route_version,
          CASE WHEN p_principal_id IS NULL THEN internal.context_credential() END,
          p_chain_models, p_chain_output_caps, p_max_attempts)
  RETURNING * INTO v_res;
  RETURN v_res;
END
$$;

ALTER FUNCTION llm.reserve(p_tenant_id uuid, p_task text, p_principal_id uuid, p_amount_usd numeric, p_ttl interval, p_zone text, p_flow_run_id uuid, p_flow_step integer, p_route_version integer, p_chain_models text[], p_chain_output_caps integer[], p_max_attempts integer) OWNER TO claw_owner;

--
-- Name: budgets; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.budgets (
    tenant_id uuid NOT NULL,
    budget_id uuid DEFAULT uuidv7() NOT NULL,
    scope text NOT NULL,
    principal_id uuid,
    task text,
    period text NOT NULL,
    limit_usd numeric(14,6) NOT NULL,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT budgets_check CHECK (((scope = 'principal'::text) = (principal_id IS NOT NULL))),
    CONSTRAINT budgets_check1 CHECK (((scope = 'task'::text) = (task IS NOT NULL))),
    CONSTRAINT budgets_limit_usd_check CHECK ((limit_usd >= (0)::numeric)),
    CONSTRAINT budgets_period_check CHECK ((period = ANY (ARRAY['day'::text, 'month'::text]))),
    CONSTRAINT budgets_scope_check CHECK ((scope = ANY (ARRAY['tenant'::text, 'principal'::text, 'task'::text]))),
    CONSTRAINT budgets_task_check CHECK (((task ~ '^[a-z][a-z0-9_.-]*$'::text) AND (length(task) <= 63)))
);

ALTER TABLE ONLY llm.budgets FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.budgets OWNER TO claw_owner;

--
-- Name: seed_window(llm.budgets, text, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.seed_window(p_budget llm.budgets, p_zone text, p_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_w record;
  v_held numeric;
  v_spent numeric;
BEGIN
  SELECT * INTO v_w FROM llm.window_for(p_budget.period, p_at, p_zone);
  WITH attached AS (
    UPDATE llm.reservations AS r
    SET (budget_ids, window_starts) = (
          SELECT pg_catalog.array_agg(u.budget_id ORDER BY u.budget_id),
                 pg_catalog.array_agg(u.window_start ORDER BY u.budget_id)
          FROM ROWS FROM (pg_catalog.unnest(r.budget_ids || p_budget.budget_id),
                          pg_catalog.unnest(r.window_starts || v_w.window_start))
            AS u(budget_id, window_start))
    WHERE r.tenant_id = p_budget.tenant_id
      AND r.created_at >= v_w.starts_at AND r.created_at < v_w.ends_at
      AND (r.status = 'held' OR (r.status = 'expired' AND NOT r.late))
      AND llm.budget_covers(p_budget.scope, p_budget.principal_id, p_budget.task,
                            r.principal_id, r.task)
    RETURNING r.status, r.amount_usd)
  SELECT coalesce(sum(a.amount_usd) FILTER (WHERE a.status = 'held'), 0) INTO v_held
  FROM attached AS a;
  SELECT coalesce(sum(r.actual_usd), 0) INTO v_spent
  FROM llm.reservations AS r
  WHERE r.tenant_id = p_budget.tenant_id
    AND r.created_at >= v_w.starts_at AND r.created_at < v_w.ends_at
    AND (r.status IN ('settled', 'released') OR r.late)
    AND llm.budget_covers(p_budget.scope, p_budget.principal_id, p_budget.task,
                          r.principal_id, r.task);
  INSERT INTO llm.budget_windows (tenant_id, budget_id, window_start, starts_at, ends_at,
                                  spent_usd, reserved_usd)
  VALUES (p_budget.tenant_id, p_budget.budget_id, v_w.window_start, v_w.starts_at, v_w.ends_at,
          v_spent, v_held);
END
$$;

ALTER FUNCTION llm.seed_window(p_budget llm.budgets, p_zone text, p_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: set_price(text, numeric, numeric, numeric, timestamp with time zone); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.set_price(p_model text, p_input_usd_per_mtok numeric, p_cached_input_usd_per_mtok numeric, p_output_usd_per_mtok numeric, p_valid_from timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_granted timestamptz;
  v_from timestamptz;
  v_at timestamptz;
BEGIN
  PERFORM llm.lock_prices(true);
  -- internal.now() is the transaction's start (plus the test clock's offset); the lock may
  -- have been granted much later
  v_granted := internal.clock_now();
  v_from := coalesce(p_valid_from, v_granted);
  IF NOT EXISTS (SELECT 1 FROM internal.llm_models AS m WHERE m.model = p_model) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'unknown model',
      DETAIL = pg_catalog.format('model %L is not in the catalogue', p_model),
      HINT = 'define it first with llm.define_model';
  END IF;
  IF v_from < v_granted THEN
    SELECT c.occurred_at INTO v_at FROM llm.calls AS c
    WHERE c.model = p_model AND c.occurred_at >= v_from
    ORDER BY c.occurred_at DESC LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'that price version would reprice calls',
        DETAIL = pg_catalog.format('model %L has a call priced at %s, after %s', p_model, v_at,
                                   v_from),
        HINT = pg_catalog.format('start the version after %s, or leave p_valid_from out (now)',
                                 v_at);
    END IF;
    SELECT r.created_at INTO v_at FROM llm.reservations AS r
    WHERE r.status = 'held' AND r.created_at >= v_from
    ORDER BY r.created_at LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'that price version would reprice calls',
        DETAIL = pg_catalog.format('calls are in flight since %s, after %s: they are priced '
                                   'at settlement with the version in force when they began',
                                   v_at, v_from),
        HINT = 'wait until they settle or expire, or leave p_valid_from out (now)';
    END IF;
  END IF;
  IF p_input_usd_per_mtok < 0 OR p_cached_input_usd_per_mtok < 0 OR p_output_usd_per_mtok < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'a price cannot be negative',
      DETAIL = pg_catalog.format('%s / %s / %s USD per million tokens', p_input_usd_per_mtok,
                                 p_cached_input_usd_per_mtok, p_output_usd_per_mtok),
      HINT = 'pass input, cached input and output prices >= 0';
  END IF;
  INSERT INTO internal.llm_prices (model, valid_from, input_usd_per_mtok,
                                   cached_input_usd_per_mtok, output_usd_per_mtok)
  VALUES (p_model, v_from, p_input_usd_per_mtok, p_cached_input_usd_per_mtok,
          p_output_usd_per_mtok);
  RETURN v_from;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'that price version exists',
    DETAIL = pg_catalog.format('model %L already has a price from %s', p_model, v_from),
    HINT = 'price versions are never edited: add one with a later valid_from';
END
$$;

ALTER FUNCTION llm.set_price(p_model text, p_input_usd_per_mtok numeric, p_cached_input_usd_per_mtok numeric, p_output_usd_per_mtok numeric, p_valid_from timestamp with time zone) OWNER TO claw_owner;

--
-- Name: tenant_zone(uuid); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.tenant_zone(p_tenant_id uuid) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce((SELECT s.time_zone FROM llm.settings AS s WHERE s.tenant_id = p_tenant_id),
                  'UTC')
$$;

ALTER FUNCTION llm.tenant_zone(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: tg_append_only(); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.tg_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL403',
    MESSAGE = pg_catalog.format('%s.%s is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME),
    DETAIL = pg_catalog.format('%s on %s.%s is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
    HINT = 'append a correcting row (a price: a newer version) instead of changing history';
END
$$;

ALTER FUNCTION llm.tg_append_only() OWNER TO claw_owner;

--
-- Name: use_call_token(text, uuid); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.use_call_token(p_token text, p_reservation_id uuid, OUT tenant_id uuid, OUT request_hash text) RETURNS record
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_parts text[];
BEGIN
  IF pg_catalog.length(p_token) BETWEEN 100 AND 400 THEN
    v_parts := pg_catalog.string_to_array(p_token, '.');
  END IF;
  IF pg_catalog.cardinality(v_parts) IS DISTINCT FROM 8 OR v_parts[1] <> 'lc1'
     OR v_parts[5] IS DISTINCT FROM p_reservation_id::text
     OR v_parts[8] IS DISTINCT FROM
        llm.call_token_mac(pg_catalog.array_to_string(v_parts[1:7], '.')) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'invalid call token',
      DETAIL = 'the token is malformed, altered, or was issued for another call',
      HINT = 'pass the call_token api.begin_llm_call returned with this reservation_id';
  END IF;
  -- the MAC holds: the parts are the ones llm.make_call_token wrote
  IF internal.now() > pg_catalog.to_timestamp(v_parts[6]::bigint) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = 'call token expired',
      DETAIL = pg_catalog.format('the token of reservation %s was good until %s',
                                 p_reservation_id, pg_catalog.to_timestamp(v_parts[6]::bigint)),
      HINT = 'record a call this late in an authenticated context (api.authenticate), '
             'without the token';
  END IF;
  PERFORM internal.set_context(v_parts[2]::uuid, NULLIF(v_parts[3], '')::uuid,
                               pg_catalog.string_to_array(NULLIF(v_parts[4], ''), ','),
                               '{llm:call}', 'llm-call:' || v_parts[5]);
  tenant_id := v_parts[2]::uuid;
  request_hash := NULLIF(v_parts[7], '');
END
$$;

ALTER FUNCTION llm.use_call_token(p_token text, p_reservation_id uuid, OUT tenant_id uuid, OUT request_hash text) OWNER TO claw_owner;

--
-- Name: window_for(text, timestamp with time zone, text); Type: FUNCTION; Schema: llm; Owner: claw_owner
--

CREATE FUNCTION llm.window_for(p_period text, p_at timestamp with time zone, p_zone text, OUT window_start date, OUT starts_at timestamp with time zone, OUT ends_at timestamp with time zone) RETURNS record
    LANGUAGE sql STABLE
    AS $$
  SELECT s.w, s.w::timestamp AT TIME ZONE p_zone,
         (s.w + CASE p_period WHEN 'day' THEN interval '1 day' ELSE interval '1 month' END)
           AT TIME ZONE p_zone
  FROM (SELECT pg_catalog.date_trunc(CASE p_period WHEN 'day' THEN 'day' ELSE 'month' END,
                                     p_at AT TIME ZONE p_zone)::date AS w) AS s
$$;

ALTER FUNCTION llm.window_for(p_period text, p_at timestamp with time zone, p_zone text, OUT window_start date, OUT starts_at timestamp with time zone, OUT ends_at timestamp with time zone) OWNER TO claw_owner;

--
-- Name: check_definition(text, text, text); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.check_definition(p_what text, p_name text, p_description text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
  IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = pg_catalog.format('invalid %s name', p_what),
      DETAIL = pg_catalog.format('%L is not a %s name', p_name, p_what),
      HINT = 'lower-case letters, digits and _, starting with a letter, at most 63 characters';
  END IF;
  IF pg_catalog.length(p_description) > 2000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid description',
      DETAIL = pg_catalog.format('the description of %s %s has more than 2000 characters',
                                 p_what, p_name),
      HINT = 'shorten it';
  END IF;
END
$_$;

ALTER FUNCTION ontology.check_definition(p_what text, p_name text, p_description text) OWNER TO claw_owner;

--
-- Name: check_input_schema(text, jsonb); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.check_input_schema(p_tool text, p_schema jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_problem text;
BEGIN
  IF pg_catalog.jsonb_typeof(p_schema) IS DISTINCT FROM 'object' THEN
    v_problem := 'it is not a JSON object';
  ELSIF p_schema -> 'type' IS DISTINCT FROM '"object"' THEN
    v_problem := '"type" must be "object"';
  ELSIF pg_catalog.jsonb_typeof(p_schema -> 'properties') IS DISTINCT FROM 'object' THEN
    v_problem := '"properties" must be a JSON object';
  ELSIF p_schema ? 'required' THEN
    IF pg_catalog.jsonb_typeof(p_schema -> 'required') <> 'array' THEN
      v_problem := '"required" must be an array of property names';
    ELSE
      SELECT pg_catalog.format('"required" names %s, which is not a string key of "properties"', e)
      INTO v_problem
      FROM pg_catalog.jsonb_array_elements(p_schema -> 'required') AS e
      WHERE pg_catalog.jsonb_typeof(e) <> 'string' OR NOT (p_schema -> 'properties') ? (e #>> '{}')
      LIMIT 1;
      IF v_problem IS NULL AND (SELECT pg_catalog.count(DISTINCT e)
                                FROM pg_catalog.jsonb_array_elements(p_schema -> 'required') AS e)
                               <> pg_catalog.jsonb_array_length(p_schema -> 'required') THEN
        v_problem := '"required" names a property twice';
      END IF;
    END IF;
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('input schema of tool %s: %s', p_tool, v_problem),
      DETAIL = pg_catalog.format('schema: %s', pg_catalog.left(p_schema::text, 500)),
      HINT = '{"type": "object", "properties": {"<name>": {"type": "string"}, ...}, '
             '"required": ["<name>", ...]}';
  END IF;
END
$$;

ALTER FUNCTION ontology.check_input_schema(p_tool text, p_schema jsonb) OWNER TO claw_owner;

--
-- Name: properties; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.properties (
    tenant_id uuid NOT NULL,
    type_id uuid NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    description text,
    required boolean DEFAULT false NOT NULL,
    is_unique boolean DEFAULT false NOT NULL,
    enum_values text[],
    min_value numeric,
    max_value numeric,
    pattern text,
    max_length integer,
    ref_type_id uuid,
    "position" integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT properties_check CHECK (((kind = 'enum'::text) = (enum_values IS NOT NULL))),
    CONSTRAINT properties_check1 CHECK (((kind = 'reference'::text) = (ref_type_id IS NOT NULL))),
    CONSTRAINT properties_check2 CHECK (((kind = ANY (ARRAY['number'::text, 'integer'::text, 'money'::text])) OR ((min_value IS NULL) AND (max_value IS NULL)))),
    CONSTRAINT properties_check3 CHECK (((min_value IS NULL) OR (max_value IS NULL) OR (min_value <= max_value))),
    CONSTRAINT properties_check4 CHECK (((kind = 'string'::text) OR ((pattern IS NULL) AND (max_length IS NULL)))),
    CONSTRAINT properties_description_check CHECK ((length(description) <= 2000)),
    CONSTRAINT properties_enum_values_check CHECK (((cardinality(enum_values) >= 1) AND (cardinality(enum_values) <= 1000))),
    CONSTRAINT properties_kind_check CHECK ((kind = ANY (ARRAY['string'::text, 'number'::text, 'integer'::text, 'boolean'::text, 'timestamp'::text, 'date'::text, 'money'::text, 'enum'::text, 'reference'::text]))),
    CONSTRAINT properties_max_length_check CHECK (((max_length >= 1) AND (max_length <= 1000000))),
    CONSTRAINT properties_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT properties_pattern_check CHECK (((length(pattern) >= 1) AND (length(pattern) <= 1000))),
    CONSTRAINT properties_position_check CHECK (("position" >= 0))
);

ALTER TABLE ONLY ontology.properties FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.properties OWNER TO claw_owner;

--
-- Name: check_value(ontology.properties, jsonb, boolean); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.check_value(p_prop ontology.properties, p_value jsonb, p_lock boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_json text := pg_catalog.jsonb_typeof(p_value);
  v_text text;
  v_num numeric;
BEGIN
  IF v_json IS NULL OR v_json = 'null' THEN
    RETURN CASE WHEN p_prop.required THEN 'required' END;
  END IF;
  IF v_json = 'string' THEN
    v_text := p_value #>> '{}';
  END IF;
  CASE p_prop.kind
  WHEN 'string' THEN
    IF v_text IS NULL THEN
      RETURN 'not a string';
    ELSIF pg_catalog.length(v_text) > p_prop.max_length THEN
      RETURN pg_catalog.format('longer than max_length %s', p_prop.max_length);
    ELSIF v_text !~ p_prop.pattern THEN
      RETURN pg_catalog.format('does not match pattern %s', p_prop.pattern);
    END IF;
    RETURN NULL;
  WHEN 'number', 'integer' THEN
    IF v_json <> 'number' THEN
      RETURN 'not a number';
    END IF;
    v_num := p_value::numeric;
    IF p_prop.kind = 'integer' AND v_num <> pg_catalog.trunc(v_num) THEN
      RETURN 'not an integer';
    END IF;
  WHEN 'money' THEN
    IF v_json <> 'object' OR NOT p_value ?& '{amount,currency}'
       OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(p_value)) <> 2 THEN
      RETURN 'not a money value {"amount": ..., "currency": ...}';
    END IF;
    IF pg_catalog.jsonb_typeof(p_value -> 'currency') <> 'string'
       OR (p_value ->> 'currency') !~ '^[A-Z]{3}$' THEN
      RETURN 'currency is not 3 upper-case letters';
    END IF;
    IF pg_catalog.jsonb_typeof(p_value -> 'amount') = 'number' THEN
      v_num := (p_value -> 'amount')::numeric;
    ELSIF pg_catalog.jsonb_typeof(p_value -> 'amount') = 'string'
          AND (p_value ->> 'amount') ~ '^-?[0-9]{1,30}([.][0-9]{1,30})?$' THEN
      v_num := (p_value ->> 'amount')::numeric;
    ELSE
      RETURN 'amount is not a number';
    END IF;
  WHEN 'boolean' THEN
    RETURN CASE WHEN v_json <> 'boolean' THEN 'not a boolean' END;
  WHEN 'enum' THEN
    IF v_text IS NULL OR NOT v_text = ANY (p_prop.enum_values) THEN
      RETURN pg_catalog.format('not one of the enum values (%s)',
                               pg_catalog.left(pg_catalog.array_to_string(p_prop.enum_values, ', '), 200));
    END IF;
    RETURN NULL;
  WHEN 'timestamp' THEN
    IF v_text IS NULL
       OR v_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'
       OR NOT pg_catalog.pg_input_is_valid(v_text, 'timestamptz') THEN
      RETURN 'not an ISO 8601 timestamp with offset';
    END IF;
    RETURN NULL;
  WHEN 'date' THEN
    IF v_text IS NULL OR v_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
       OR NOT pg_catalog.pg_input_is_valid(v_text, 'date') THEN
      RETURN 'not an ISO date (YYYY-MM-DD)';
    END IF;
    RETURN NULL;
  WHEN 'reference' THEN
    IF v_text IS NULL OR NOT pg_catalog.pg_input_is_valid(v_text, 'uuid') THEN
      RETURN 'not an object id (uuid)';
    END IF;
    IF p_lock THEN
      PERFORM FROM ontology.objects AS o
      WHERE o.tenant_id = p_prop.tenant_id AND o.object_id = v_text::uuid
        AND o.type_id = p_prop.ref_type_id AND o.deleted_at IS NULL
      FOR SHARE;
    ELSE
      PERFORM FROM ontology.objects AS o
      WHERE o.tenant_id = p_prop.tenant_id AND o.object_id = v_text::uuid
        AND o.type_id = p_prop.ref_type_id AND o.deleted_at IS NULL;
    END IF;
    IF NOT FOUND THEN
      RETURN pg_catalog.format('not a live %s', (
        SELECT t.name FROM ontology.object_types AS t
        WHERE t.tenant_id = p_prop.tenant_id AND t.type_id = p_prop.ref_type_id));
    END IF;
    RETURN NULL;
  END CASE;
  -- number, integer, money: the range
  IF v_num < p_prop.min_value THEN
    RETURN pg_catalog.format('below min %s', p_prop.min_value);
  ELSIF v_num > p_prop.max_value THEN
    RETURN pg_catalog.format('above max %s', p_prop.max_value);
  END IF;
  RETURN NULL;
END
$_$;

ALTER FUNCTION ontology.check_value(p_prop ontology.properties, p_value jsonb, p_lock boolean) OWNER TO claw_owner;

--
-- Name: link_types; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.link_types (
    tenant_id uuid NOT NULL,
    link_type_id uuid DEFAULT uuidv7() NOT NULL,
    name text NOT NULL,
    from_type_id uuid NOT NULL,
    to_type_id uuid NOT NULL,
    cardinality text NOT NULL,
    one_from boolean NOT NULL,
    one_to boolean NOT NULL,
    description text,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT link_types_cardinality_check CHECK ((cardinality = ANY (ARRAY['one_to_one'::text, 'one_to_many'::text, 'many_to_one'::text, 'many_to_many'::text]))),
    CONSTRAINT link_types_check CHECK ((one_from = (cardinality = ANY (ARRAY['one_to_one'::text, 'one_to_many'::text])))),
    CONSTRAINT link_types_check1 CHECK ((one_to = (cardinality = ANY (ARRAY['one_to_one'::text, 'many_to_one'::text])))),
    CONSTRAINT link_types_description_check CHECK ((length(description) <= 2000)),
    CONSTRAINT link_types_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

ALTER TABLE ONLY ontology.link_types FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.link_types OWNER TO claw_owner;

--
-- Name: create_link(ontology.link_types, uuid, uuid); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.create_link(p_type ontology.link_types, p_from uuid, p_to uuid) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_link uuid;
  v_constraint text;
BEGIN
  INSERT INTO ontology.links (tenant_id, link_type_id, from_object_id, to_object_id, one_from, one_to)
  VALUES (p_type.tenant_id, p_type.link_type_id, p_from, p_to, p_type.one_from, p_type.one_to)
  RETURNING link_id INTO v_link;
  RETURN v_link;
EXCEPTION WHEN unique_violation THEN
  GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
  IF v_constraint NOT IN ('links_one_from_idx', 'links_one_to_idx', 'links_pair_idx') THEN
    RAISE;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL409',
    MESSAGE = pg_catalog.format('link type %s is %s: %s', p_type.name, p_type.cardinality,
      CASE v_constraint
        WHEN 'links_one_from_idx' THEN 'the to object already has a link of this type'
        WHEN 'links_one_to_idx' THEN 'the from object already has a link of this type'
        ELSE 'these objects are already linked' END),
    DETAIL = pg_catalog.format('from %s to %s', p_from, p_to),
    HINT = 'delete the existing link first (api.list_links shows it)';
END
$$;

ALTER FUNCTION ontology.create_link(p_type ontology.link_types, p_from uuid, p_to uuid) OWNER TO claw_owner;

--
-- Name: define_type(text, jsonb, text, integer); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.define_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer) RETURNS TABLE(type_id uuid, version integer, changed boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
  v_actor uuid := internal.current_principal_id();
  v_type ontology.object_types;
  v_created boolean := false;
  v_changed boolean := false;
  v_new ontology.properties;
  v_old ontology.properties;
  v_next integer;
  v_scan text[] := '{}';     -- properties whose live values are checked against the new rules
  v_unique text[] := '{}';   -- unique properties whose unique_values are rebuilt
  v_name text;
  v_bad record;
BEGIN
  PERFORM ontology.check_definition('object type', p_name, p_description);
  IF pg_catalog.jsonb_typeof(p_properties) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid property definitions',
      DETAIL = pg_catalog.format('p_properties of %s is not a JSON object', p_name),
      HINT = 'pass {"<property>": {"kind": "string", "required": true}, ...}';
  END IF;

  -- the name first: FOR UPDATE finds no row to lock while the type is new, and two
  -- definers of one new name both inserted (the second a raw 23505 at the first's commit)
  PERFORM internal.lock_named(pg_catalog.format('ontology.object_type|%s|%s', v_tenant, p_name),
                              true);
  SELECT t.* INTO v_type FROM ontology.object_types AS t
  WHERE t.tenant_id = v_tenant AND t.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    IF p_expected_version IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object type not found',
        DETAIL = pg_catalog.format('no object type %s in this tenant to be at version %s',
                                   p_name, p_expected_version),
        HINT = 'create it without p_expected_version';
    END IF;
    BEGIN
      INSERT INTO ontology.object_types AS t (tenant_id, name, description, created_by, updated_by)
      VALUES (v_tenant, p_name, p_description, v_actor, v_actor)
      RETURNING t.* INTO v_type;
    EXCEPTION WHEN unique_violation THEN
      PERFORM ontology.raise_defined_concurrently('object type', p_name);
    END;
    v_created := true;
  ELSE
    IF p_expected_version IS DISTINCT FROM v_type.version THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale object type version',
        DETAIL = pg_catalog.format('object type %s is at version %s, not %s', p_name,
                                   v_type.version, coalesce(p_expected_version::text, 'NULL')),
        HINT = 'read the definition again (api.describe_object_type) and pass its version as '
               'p_expected_version';
    END IF;
    PERFORM ontology.lock_type(v_type.type_id, true);
    IF p_description IS NOT NULL AND p_description IS DISTINCT FROM v_type.description THEN
      UPDATE ontology.object_types AS t SET description = p_description
      WHERE t.tenant_id = v_tenant AND t.type_id = v_type.type_id;
      v_changed := true;
    END IF;
  END IF;

  -- added and changed properties
  SELECT coalesce(max(p.position) + 1, 0) INTO v_next FROM ontology.properties AS p
  WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id;
  FOR v_name IN SELECT k FROM pg_catalog.jsonb_object_keys(p_properties) AS k LOOP
    v_new := ontology.parse_property(v_type, v_name, p_properties -> v_name);
    SELECT p.* INTO v_old FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
    IF NOT FOUND THEN
      v_new.position := coalesce(v_new.position, v_next);
      v_next := greatest(v_next, v_new.position + 1);
      v_new.created_at := pg_catalog.now();
      v_new.updated_at := pg_catalog.now();
      INSERT INTO ontology.properties SELECT v_new.*;
      v_changed := true;
      IF v_new.required THEN
        v_scan := v_scan || v_name;
      END IF;
    ELSE
      v_new.position := coalesce(v_new.position, v_old.position);
      IF ontology.property_spec(v_new) IS DISTINCT FROM ontology.property_spec(v_old) THEN
        UPDATE ontology.properties AS p
        SET (kind, description, required, is_unique, enum_values, min_value, max_value, pattern,
             max_length, ref_type_id, position, updated_at)
          = (v_new.kind, v_new.description, v_new.required, v_new.is_unique, v_new.enum_values,
             v_new.min_value, v_new.max_value, v_new.pattern, v_new.max_length,
             v_new.ref_type_id, v_new.position, pg_catalog.now())
        WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
        v_changed := true;
        IF ontology.tightens(v_old, v_new) THEN
          v_scan := v_scan || v_name;
        END IF;
        IF v_new.is_unique AND (NOT v_old.is_unique OR v_new.kind <> v_old.kind) THEN
          v_unique := v_unique || v_name;
        ELSIF v_old.is_unique AND NOT v_new.is_unique THEN
          DELETE FROM ontology.unique_values AS u
          WHERE u.tenant_id = v_tenant AND u.type_id = v_type.type_id AND u.property = v_name;
        END IF;
      END IF;
    END IF;
  END LOOP;

  -- removed properties: no live object may have a value for them
  FOR v_old IN SELECT p.* FROM ontology.properties AS p
               WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id
                 AND NOT p_properties ? p.name
               ORDER BY p.name LOOP
    SELECT pg_catalog.count(*) AS n, (pg_catalog.array_agg(o.object_id ORDER BY o.object_id))[1] AS example
    INTO v_bad FROM ontology.objects AS o
    WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
      AND o.properties ? v_old.name;
    IF v_bad.n > 0 THEN
      PERFORM ontology.raise_contract(p_name, v_old.name, 'removal (they have a value)',
                                      v_bad.n, v_bad.example);
    END IF;
    DELETE FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_old.name;
    v_changed := true;
  END LOOP;

  -- tighter rules: every live value must pass the new definition
  FOREACH v_name IN ARRAY v_scan LOOP
    SELECT p.* INTO STRICT v_new FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
    SELECT c.rule, pg_catalog.count(*) AS n,
           (pg_catalog.array_agg(c.object_id ORDER BY c.object_id))[1] AS example
    INTO v_bad
    FROM (SELECT o.object_id,
                 ontology.check_value(v_new, o.properties -> v_name, v_new.kind = 'reference')
                   AS rule
          FROM ontology.objects AS o
          WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id
            AND o.deleted_at IS NULL) AS c
    WHERE c.rule IS NOT NULL
    GROUP BY c.rule ORDER BY pg_catalog.count(*) DESC, c.rule LIMIT 1;
    IF FOUND THEN
      PERFORM ontology.raise_contract(p_name, v_name, v_bad.rule, v_bad.n, v_bad.example);
    END IF;
    IF v_new.kind = 'reference' THEN
      -- the values are now references: stored as canonical uuid text, as the write trigger
      -- stores them (what delete's referrer check matches), so '{A0EE...}' written as a
      -- string is found too (the update is an ordinary write: version + 1, audited)
      UPDATE ontology.objects AS o
      SET properties = o.properties || pg_catalog.jsonb_build_object(
            v_name, ((o.properties ->> v_name)::uuid)::text)
      WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
        AND CASE WHEN pg_catalog.jsonb_typeof(o.properties -> v_name) = 'string'
                   AND pg_catalog.pg_input_is_valid(o.properties ->> v_name, 'uuid')
                 THEN o.properties ->> v_name <> ((o.properties ->> v_name)::uuid)::text
                 ELSE false END;
    END IF;
  END LOOP;

  -- newly unique (or unique under another kind): no duplicates, then the keys
  FOREACH v_name IN ARRAY v_unique LOOP
    SELECT p.* INTO STRICT v_new FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
    DELETE FROM ontology.unique_values AS u
    WHERE u.tenant_id = v_tenant AND u.type_id = v_type.type_id AND u.property = v_name;
    SELECT pg_catalog.sum(d.n)::bigint AS n, (pg_catalog.array_agg(d.example ORDER BY d.example))[1] AS example
    INTO v_bad
    FROM (SELECT pg_catalog.count(*) AS n, (pg_catalog.array_agg(o.object_id ORDER BY o.object_id))[1] AS example
          FROM ontology.objects AS o
          WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
            AND o.properties -> v_name IS NOT NULL AND o.properties -> v_name <> 'null'
          GROUP BY ontology.value_key(v_new.kind, o.properties -> v_name)
          HAVING pg_catalog.count(*) > 1) AS d;
    IF v_bad.n > 0 THEN
      PERFORM ontology.raise_contract(p_name, v_name, 'unique (duplicate values)', v_bad.n,
                                      v_bad.example);
    END IF;
    INSERT INTO ontology.unique_values (tenant_id, type_id, property, value_key, object_id)
    SELECT v_tenant, v_type.type_id, v_name, ontology.value_key(v_new.kind, o.properties -> v_name),
           o.object_id
    FROM ontology.objects AS o
    WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
      AND o.properties -> v_name IS NOT NULL AND o.properties -> v_name <> 'null';
  END LOOP;

  IF v_changed AND NOT v_created THEN
    UPDATE ontology.object_types AS t
    SET version = t.version + 1, updated_at = pg_catalog.now(), updated_by = v_actor
    WHERE t.tenant_id = v_tenant AND t.type_id = v_type.type_id
    RETURNING t.* INTO v_type;
  END IF;
  IF v_changed OR v_created THEN
    INSERT INTO ontology.type_versions (tenant_id, type_id, version, definition, changed_by)
    VALUES (v_tenant, v_type.type_id, v_type.version,
            ontology.type_definition(v_tenant, v_type.type_id), v_actor);
  END IF;
  RETURN QUERY SELECT v_type.type_id, v_type.version, v_changed OR v_created;
END
$$;

ALTER FUNCTION ontology.define_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer) OWNER TO claw_owner;

--
-- Name: find_link_type(text); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.find_link_type(p_name text) RETURNS ontology.link_types
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v ontology.link_types;
BEGIN
  SELECT lt.* INTO v FROM ontology.link_types AS lt
  WHERE lt.tenant_id = internal.current_tenant_id() AND lt.name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'link type not found',
      DETAIL = pg_catalog.format('no link type %L in this tenant', p_name),
      HINT = 'api.list_link_types lists the link types';
  END IF;
  RETURN v;
END
$$;

ALTER FUNCTION ontology.find_link_type(p_name text) OWNER TO claw_owner;

--
-- Name: object_types; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.object_types (
    tenant_id uuid NOT NULL,
    type_id uuid DEFAULT uuidv7() NOT NULL,
    name text NOT NULL,
    description text,
    version integer DEFAULT 1 NOT NULL,
    created_by uuid,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT object_types_description_check CHECK ((length(description) <= 2000)),
    CONSTRAINT object_types_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT object_types_version_check CHECK ((version >= 1))
);

ALTER TABLE ONLY ontology.object_types FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.object_types OWNER TO claw_owner;

--
-- Name: find_type(text); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.find_type(p_name text) RETURNS ontology.object_types
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v ontology.object_types;
BEGIN
  SELECT t.* INTO v FROM ontology.object_types AS t
  WHERE t.tenant_id = internal.current_tenant_id() AND t.name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object type not found',
      DETAIL = pg_catalog.format('no object type %L in this tenant', p_name),
      HINT = 'api.list_object_types lists the types';
  END IF;
  RETURN v;
END
$$;

ALTER FUNCTION ontology.find_type(p_name text) OWNER TO claw_owner;

--
-- Name: objects; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.objects (
    tenant_id uuid NOT NULL,
    object_id uuid DEFAULT uuidv7() NOT NULL,
    type_id uuid NOT NULL,
    properties jsonb DEFAULT '{}'::jsonb NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    search_text text DEFAULT ''::text NOT NULL,
    created_by uuid,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT objects_properties_check CHECK ((jsonb_typeof(properties) = 'object'::text)),
    CONSTRAINT objects_version_check CHECK ((version >= 1))
);

ALTER TABLE ONLY ontology.objects FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.objects OWNER TO claw_owner;

--
-- Name: lock_object(uuid, integer); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.lock_object(p_object_id uuid, p_expected_version integer) RETURNS ontology.objects
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v ontology.objects;
BEGIN
  SELECT o.* INTO v FROM ontology.objects AS o
  WHERE o.tenant_id = internal.current_tenant_id() AND o.object_id = p_object_id
    AND o.deleted_at IS NULL
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
      DETAIL = pg_catalog.format('no live object %s in this tenant', p_object_id),
      HINT = 'api.list_objects_by_type lists a type''s objects';
  END IF;
  IF p_expected_version IS DISTINCT FROM v.version THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale object version',
      DETAIL = pg_catalog.format('object %s is at version %s, not %s', p_object_id, v.version,
                                 coalesce(p_expected_version::text, 'NULL')),
      HINT = 'read the object again (api.get_object) and apply the change to that version';
  END IF;
  RETURN v;
END
$$;

ALTER FUNCTION ontology.lock_object(p_object_id uuid, p_expected_version integer) OWNER TO claw_owner;

--
-- Name: lock_type(uuid, boolean); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.lock_type(p_type_id uuid, p_exclusive boolean) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT internal.lock_named('ontology.type:' || p_type_id::text, p_exclusive)
$$;

ALTER FUNCTION ontology.lock_type(p_type_id uuid, p_exclusive boolean) OWNER TO claw_owner;

--
-- Name: merge_patch(jsonb, jsonb); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.merge_patch(p_target jsonb, p_patch jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT CASE WHEN pg_catalog.jsonb_typeof(p_patch) IS DISTINCT FROM 'object' THEN p_patch ELSE (
    SELECT coalesce(pg_catalog.jsonb_object_agg(m.key, m.value), '{}')
    FROM (SELECT t.key, t.value FROM pg_catalog.jsonb_each(
            CASE WHEN pg_catalog.jsonb_typeof(p_target) = 'object' THEN p_target ELSE '{}' END) AS t
          WHERE NOT p_patch ? t.key
          UNION ALL
          SELECT p.key, ontology.merge_patch(
                   CASE WHEN pg_catalog.jsonb_typeof(p_target) = 'object' THEN p_target -> p.key END,
                   p.value)
          FROM pg_catalog.jsonb_each(p_patch) AS p
          WHERE p.value <> 'null') AS m) END
$$;

ALTER FUNCTION ontology.merge_patch(p_target jsonb, p_patch jsonb) OWNER TO claw_owner;

--
-- Name: parse_embedding(text); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.parse_embedding(p_embedding text) RETURNS extensions.vector
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v extensions.vector;
BEGIN
  BEGIN
    v := p_embedding::extensions.vector(256);
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid embedding',
      DETAIL = pg_catalog.format('%s (%s)', SQLERRM, pg_catalog.left(coalesce(p_embedding, 'NULL'), 80)),
      HINT = 'pass 256 numbers as ''[0.1,0.2,...]'' (claw.embeddings.to_pgvector)';
  END;
  IF v IS NULL OR extensions.vector_norm(v) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid embedding',
      DETAIL = 'the embedding is missing or all zeros', HINT = 'embed a non-empty text';
  END IF;
  RETURN v;
END
$$;

ALTER FUNCTION ontology.parse_embedding(p_embedding text) OWNER TO claw_owner;

--
-- Name: parse_property(ontology.object_types, text, jsonb); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.parse_property(p_type ontology.object_types, p_name text, p_spec jsonb) RETURNS ontology.properties
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v ontology.properties;
  v_problem text;
  v_key text;
  v_rules CONSTANT jsonb := '{"string": ["pattern", "max_length"], "number": ["min", "max"],
    "integer": ["min", "max"], "money": ["min", "max"], "enum": ["values"],
    "reference": ["type"], "boolean": [], "timestamp": [], "date": []}';
BEGIN
  v.tenant_id := p_type.tenant_id;
  v.type_id := p_type.type_id;
  v.name := p_name;
  IF p_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
    v_problem := 'invalid name (lower-case letters, digits and _, starting with a letter)';
  ELSIF pg_catalog.jsonb_typeof(p_spec) IS DISTINCT FROM 'object' THEN
    v_problem := 'the spec is not a JSON object';
  ELSIF pg_catalog.jsonb_typeof(p_spec -> 'kind') IS DISTINCT FROM 'string'
        OR NOT v_rules ? (p_spec ->> 'kind') THEN
    v_problem := pg_catalog.format('unknown kind %s', coalesce(p_spec -> 'kind', 'null'));
  END IF;
  IF v_problem IS NULL THEN
    v.kind := p_spec ->> 'kind';
    SELECT pg_catalog.format('unknown key "%s" for kind %s', k, v.kind) INTO v_problem
    FROM pg_catalog.jsonb_object_keys(p_spec) AS k
    WHERE k NOT IN ('kind', 'required', 'unique', 'description', 'position')
      AND NOT (v_rules -> v.kind) ? k
    ORDER BY k LIMIT 1;
  END IF;
  IF v_problem IS NULL THEN
    FOREACH v_key IN ARRAY ARRAY['required', 'unique'] LOOP
      IF p_spec ? v_key AND pg_catalog.jsonb_typeof(p_spec -> v_key) <> 'boolean' THEN
        v_problem := pg_catalog.format('"%s" must be true or false', v_key);
      END IF;
    END LOOP;
  END IF;
  IF v_problem IS NULL THEN
    v.required := coalesce((p_spec ->> 'required')::boolean, false);
    v.is_unique := coalesce((p_spec ->> 'unique')::boolean, false);
  END IF;
  IF v_problem IS NULL AND p_spec ? 'description' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'description') <> 'string'
       OR pg_catalog.length(p_spec ->> 'description') > 2000 THEN
      v_problem := '"description" must be a string of at most 2000 characters';
    END IF;
    v.description := p_spec ->> 'description';
  END IF;
  IF v_problem IS NULL AND p_spec ? 'position' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'position') <> 'number'
       OR (p_spec -> 'position')::numeric NOT BETWEEN 0 AND 100000
       OR (p_spec -> 'position')::numeric <> pg_catalog.trunc((p_spec -> 'position')::numeric) THEN
      v_problem := '"position" must be an integer from 0 to 100000';
    ELSE
      v.position := (p_spec -> 'position')::integer;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind = 'enum' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'values') IS DISTINCT FROM 'array'
       OR pg_catalog.jsonb_array_length(p_spec -> 'values') = 0 THEN
      v_problem := 'enum without values';
    ELSIF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(p_spec -> 'values') AS e
                  WHERE pg_catalog.jsonb_typeof(e) <> 'string' OR e = '""') THEN
      v_problem := 'enum values must be non-empty strings';
    ELSE
      v.enum_values := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(p_spec -> 'values'));
      IF pg_catalog.cardinality(v.enum_values) > 1000 THEN
        v_problem := 'more than 1000 enum values';
      ELSIF (SELECT pg_catalog.count(DISTINCT e) FROM pg_catalog.unnest(v.enum_values) AS e)
            <> pg_catalog.cardinality(v.enum_values) THEN
        v_problem := 'enum values must be distinct';
      END IF;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind IN ('number', 'integer', 'money') THEN
    IF (p_spec ? 'min' AND pg_catalog.jsonb_typeof(p_spec -> 'min') <> 'number')
       OR (p_spec ? 'max' AND pg_catalog.jsonb_typeof(p_spec -> 'max') <> 'number') THEN
      v_problem := '"min" and "max" must be numbers';
    ELSE
      v.min_value := (p_spec -> 'min')::numeric;
      v.max_value := (p_spec -> 'max')::numeric;
      IF v.min_value > v.max_value THEN
        v_problem := pg_catalog.format('min %s is greater than max %s', v.min_value, v.max_value);
      END IF;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind = 'string' THEN
    IF p_spec ? 'max_length' AND (pg_catalog.jsonb_typeof(p_spec -> 'max_length') <> 'number'
       OR (p_spec -> 'max_length')::numeric NOT BETWEEN 1 AND 1000000
       OR (p_spec -> 'max_length')::numeric <> pg_catalog.trunc((p_spec -> 'max_length')::numeric)) THEN
      v_problem := '"max_length" must be an integer from 1 to 1000000';
    ELSIF p_spec ? 'pattern' AND (pg_catalog.jsonb_typeof(p_spec -> 'pattern') <> 'string'
          OR pg_catalog.length(p_spec ->> 'pattern') NOT BETWEEN 1 AND 1000) THEN
      v_problem := '"pattern" must be a string of 1 to 1000 characters';
    ELSE
      v.max_length := (p_spec -> 'max_length')::integer;
      v.pattern := p_spec ->> 'pattern';
      IF v.pattern IS NOT NULL THEN
        BEGIN
          PERFORM '' ~ v.pattern;
        EXCEPTION WHEN invalid_regular_expression THEN
          v_problem := pg_catalog.format('pattern does not compile: %s', SQLERRM);
        END;
      END IF;
    END IF;
  END IF;
  IF v_problem IS NULL AND v.kind = 'reference' THEN
    IF pg_catalog.jsonb_typeof(p_spec -> 'type') IS DISTINCT FROM 'string' THEN
      v_problem := 'a reference needs "type": the name of the object type it points at';
    ELSE
      SELECT t.type_id INTO v.ref_type_id FROM ontology.object_types AS t
      WHERE t.tenant_id = p_type.tenant_id AND t.name = p_spec ->> 'type';
      IF NOT FOUND THEN
        v_problem := pg_catalog.format('references unknown type %s', p_spec ->> 'type');
      END IF;
    END IF;
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('property "%s" of %s: %s', p_name, p_type.name, v_problem),
      DETAIL = pg_catalog.format('spec: %s', pg_catalog.left(p_spec::text, 500)),
      HINT = 'a spec is {"kind": "string|number|integer|boolean|timestamp|date|money|enum|reference", '
             '"required": bool, "unique": bool, and the kind''s rules: values (enum), min/max '
             '(number, integer, money), pattern/max_length (string), type (reference)}';
  END IF;
  RETURN v;
END
$_$;

ALTER FUNCTION ontology.parse_property(p_type ontology.object_types, p_name text, p_spec jsonb) OWNER TO claw_owner;

--
-- Name: property_spec(ontology.properties); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.property_spec(p_prop ontology.properties) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'kind', p_prop.kind, 'required', p_prop.required, 'unique', p_prop.is_unique,
    'values', pg_catalog.to_jsonb(p_prop.enum_values), 'min', p_prop.min_value,
    'max', p_prop.max_value, 'pattern', p_prop.pattern, 'max_length', p_prop.max_length,
    'type', (SELECT t.name FROM ontology.object_types AS t
             WHERE t.tenant_id = p_prop.tenant_id AND t.type_id = p_prop.ref_type_id),
    'position', p_prop.position, 'description', p_prop.description))
$$;

ALTER FUNCTION ontology.property_spec(p_prop ontology.properties) OWNER TO claw_owner;

--
-- Name: raise_contract(text, text, text, bigint, uuid); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.raise_contract(p_type text, p_property text, p_rule text, p_count bigint, p_example uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL409',
    MESSAGE = pg_catalog.format('property "%s" of %s: %s live object%s would violate %s',
                                p_property, p_type, p_count,
                                CASE WHEN p_count = 1 THEN '' ELSE 's' END, p_rule),
    DETAIL = pg_catalog.format('rule: %s; %s live object%s, e.g. object %s', p_rule, p_count,
                               CASE WHEN p_count = 1 THEN '' ELSE 's' END, p_example),
    HINT = 'expand/contract: add a new optional property, backfill it on every live object '
           '(api.update_object), move readers and writers to it, then remove the old one; '
           'or fix or delete the objects that violate the rule first';
END
$$;

ALTER FUNCTION ontology.raise_contract(p_type text, p_property text, p_rule text, p_count bigint, p_example uuid) OWNER TO claw_owner;

--
-- Name: raise_defined_concurrently(text, text); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.raise_defined_concurrently(p_kind text, p_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = pg_catalog.format('%s defined concurrently',
                                                                     p_kind),
    DETAIL = pg_catalog.format('another transaction defined %s %s after this one''s snapshot',
                               p_kind, p_name),
    HINT = 'retry in a new transaction: it will see that definition';
END
$$;

ALTER FUNCTION ontology.raise_defined_concurrently(p_kind text, p_name text) OWNER TO claw_owner;

--
-- Name: require_own_tenant(uuid); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.require_own_tenant(p_tenant_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF p_tenant_id IS DISTINCT FROM internal.current_tenant_id() THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'not the verified tenant',
      DETAIL = pg_catalog.format('a row of tenant %s is written outside its tenant context',
                                 p_tenant_id),
      HINT = 'write through the api after api.authenticate (or api.act_as_job)';
  END IF;
END
$$;

ALTER FUNCTION ontology.require_own_tenant(p_tenant_id uuid) OWNER TO claw_owner;

--
-- Name: tg_link_types__fixed(); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.tg_link_types__fixed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF (NEW.tenant_id, NEW.link_type_id, NEW.name, NEW.from_type_id, NEW.to_type_id, NEW.cardinality,
      NEW.one_from, NEW.one_to)
     IS DISTINCT FROM (OLD.tenant_id, OLD.link_type_id, OLD.name, OLD.from_type_id, OLD.to_type_id,
                       OLD.cardinality, OLD.one_from, OLD.one_to) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a link type''s ends and cardinality are fixed',
      DETAIL = pg_catalog.format('link type %s: only its description may change', OLD.name),
      HINT = 'define a link type with another name';
  END IF;
  RETURN NEW;
END
$$;

ALTER FUNCTION ontology.tg_link_types__fixed() OWNER TO claw_owner;

--
-- Name: tg_links__check(); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.tg_links__check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_type ontology.link_types;
  v_end text;
  v_object uuid;
  v_object_type uuid;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.tenant_id, NEW.link_id, NEW.link_type_id, NEW.from_object_id, NEW.to_object_id,
        NEW.one_from, NEW.one_to, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM (OLD.tenant_id, OLD.link_id, OLD.link_type_id, OLD.from_object_id,
                         OLD.to_object_id, OLD.one_from, OLD.one_to, OLD.created_by, OLD.created_at) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a link is fixed',
        DETAIL = pg_catalog.format('link %s: only its deletion may change', OLD.link_id),
        HINT = 'delete the link (api.delete_link) and create another';
    END IF;
    IF OLD.deleted_at IS NOT NULL AND NEW IS DISTINCT FROM OLD THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'link is deleted',
        DETAIL = pg_catalog.format('link %s was deleted at %s', OLD.link_id, OLD.deleted_at),
        HINT = 'create a new link';
    END IF;
    RETURN NEW;
  END IF;

  PERFORM ontology.require_own_tenant(NEW.tenant_id);
  SELECT lt.* INTO v_type FROM ontology.link_types AS lt
  WHERE lt.tenant_id = NEW.tenant_id AND lt.link_type_id = NEW.link_type_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown link type',
      DETAIL = pg_catalog.format('no link type %s in this tenant', NEW.link_type_id),
      HINT = 'api.list_link_types lists the link types';
  END IF;
  NEW.one_from := v_type.one_from;
  NEW.one_to := v_type.one_to;
  NEW.created_by := internal.current_principal_id();
  NEW.deleted_at := NULL;
  NEW.deleted_by := NULL;
  FOREACH v_end IN ARRAY ARRAY['from', 'to'] LOOP
    IF v_end = 'from' THEN
      v_object := NEW.from_object_id;
      v_object_type := v_type.from_type_id;
    ELSE
      v_object := NEW.to_object_id;
      v_object_type := v_type.to_type_id;
    END IF;
    PERFORM FROM ontology.objects AS o
    WHERE o.tenant_id = NEW.tenant_id AND o.object_id = v_object AND o.type_id = v_object_type
      AND o.deleted_at IS NULL
    FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422',
        MESSAGE = pg_catalog.format('link %s: the %s object is not a live %s', v_type.name, v_end,
                                    (SELECT t.name FROM ontology.object_types AS t
                                     WHERE t.tenant_id = NEW.tenant_id AND t.type_id = v_object_type)),
        DETAIL = pg_catalog.format('object %s', v_object),
        HINT = 'api.list_link_types shows each link type''s ends';
    END IF;
  END LOOP;
  RETURN NEW;
END
$$;

ALTER FUNCTION ontology.tg_links__check() OWNER TO claw_owner;

--
-- Name: tg_objects__unique_values(); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.tg_objects__unique_values() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v record;
  v_other uuid;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.properties = OLD.properties
     AND NEW.deleted_at IS NOT DISTINCT FROM OLD.deleted_at THEN
    RETURN NULL;
  END IF;
  DELETE FROM ontology.unique_values AS u
  WHERE u.tenant_id = NEW.tenant_id AND u.object_id = NEW.object_id
    AND (NEW.deleted_at IS NOT NULL OR NOT EXISTS (
          SELECT FROM ontology.properties AS p
          WHERE p.tenant_id = u.tenant_id AND p.type_id = u.type_id AND p.name = u.property
            AND p.is_unique AND ontology.value_key(p.kind, NEW.properties -> p.name) = u.value_key));
  IF NEW.deleted_at IS NOT NULL THEN
    RETURN NULL;
  END IF;
  FOR v IN SELECT p.name, ontology.value_key(p.kind, NEW.properties -> p.name) AS value_key
           FROM ontology.properties AS p
           WHERE p.tenant_id = NEW.tenant_id AND p.type_id = NEW.type_id AND p.is_unique
             AND NEW.properties ? p.name
           ORDER BY p.name LOOP
    INSERT INTO ontology.unique_values (tenant_id, type_id, property, value_key, object_id)
    VALUES (NEW.tenant_id, NEW.type_id, v.name, v.value_key, NEW.object_id)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT u.object_id INTO v_other FROM ontology.unique_values AS u
      WHERE u.tenant_id = NEW.tenant_id AND u.type_id = NEW.type_id AND u.property = v.name
        AND u.value_key = v.value_key;
      IF v_other IS DISTINCT FROM NEW.object_id THEN
        RAISE EXCEPTION USING ERRCODE = 'CL409',
          MESSAGE = pg_catalog.format('property "%s" of %s: unique value already used', v.name,
                                      (SELECT t.name FROM ontology.object_types AS t
                                       WHERE t.tenant_id = NEW.tenant_id AND t.type_id = NEW.type_id)),
          DETAIL = pg_catalog.format('value %s is held by object %s',
                                     pg_catalog.left((NEW.properties -> v.name)::text, 200),
                                     coalesce(v_other::text, '(another transaction)')),
          HINT = 'choose another value, or change or delete the object that holds it';
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

ALTER FUNCTION ontology.tg_objects__unique_values() OWNER TO claw_owner;

--
-- Name: tg_objects__validate(); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.tg_objects__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_type text;
  v_prop ontology.properties;
  v_rule text;
  v_key text;
  v_search text[] := '{}';
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.tenant_id IS DISTINCT FROM OLD.tenant_id OR NEW.object_id IS DISTINCT FROM OLD.object_id
       OR NEW.type_id IS DISTINCT FROM OLD.type_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.created_by IS DISTINCT FROM OLD.created_by THEN
      RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'an object''s identity is fixed',
        DETAIL = pg_catalog.format('object %s: tenant, id, type and creation never change',
                                   OLD.object_id),
        HINT = 'create a new object of the other type';
    END IF;
    IF NEW IS NOT DISTINCT FROM OLD THEN
      RETURN NEW;
    END IF;
    IF OLD.deleted_at IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'object is deleted',
        DETAIL = pg_catalog.format('object %s was deleted at %s', OLD.object_id, OLD.deleted_at),
        HINT = 'a deleted object is kept for history and never changes again';
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := pg_catalog.now();
    NEW.updated_by := internal.current_principal_id();
    IF NEW.deleted_at IS NOT NULL THEN
      RETURN NEW;
    END IF;
  ELSE
    PERFORM ontology.require_own_tenant(NEW.tenant_id);
    NEW.version := 1;
    NEW.deleted_at := NULL;
    NEW.created_by := internal.current_principal_id();
    NEW.updated_by := NEW.created_by;
  END IF;

  PERFORM ontology.lock_type(NEW.type_id, false);
  SELECT t.name INTO v_type FROM ontology.object_types AS t
  WHERE t.tenant_id = NEW.tenant_id AND t.type_id = NEW.type_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown object type',
      DETAIL = pg_catalog.format('no object type %s in this tenant', NEW.type_id),
      HINT = 'api.list_object_types lists the types';
  END IF;
  IF pg_catalog.jsonb_typeof(NEW.properties) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('properties of %s: not a JSON object', v_type),
      DETAIL = pg_catalog.format('value: %s', pg_catalog.left(NEW.properties::text, 200)),
      HINT = 'pass {"<property>": <value>, ...}';
  END IF;
  NEW.properties := (SELECT coalesce(pg_catalog.jsonb_object_agg(e.key, e.value), '{}')
                     FROM pg_catalog.jsonb_each(NEW.properties) AS e WHERE e.value <> 'null');

  SELECT k INTO v_key FROM pg_catalog.jsonb_object_keys(NEW.properties) AS k
  WHERE NOT EXISTS (SELECT FROM ontology.properties AS p
                    WHERE p.tenant_id = NEW.tenant_id AND p.type_id = NEW.type_id AND p.name = k)
  ORDER BY k LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('property "%s" of %s: unknown property', v_key, v_type),
      DETAIL = pg_catalog.format('value: %s', pg_catalog.left((NEW.properties -> v_key)::text, 200)),
      HINT = pg_catalog.format('api.describe_object_type(%L) lists its properties; add one with '
                               'api.define_object_type', v_type);
  END IF;

  FOR v_prop IN SELECT p.* FROM ontology.properties AS p
                WHERE p.tenant_id = NEW.tenant_id AND p.type_id = NEW.type_id
                ORDER BY p.position, p.name LOOP
    v_rule := ontology.check_value(v_prop, NEW.properties -> v_prop.name, true);
    IF v_rule IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422',
        MESSAGE = pg_catalog.format('property "%s" of %s: %s', v_prop.name, v_type, v_rule),
        DETAIL = coalesce(pg_catalog.format('value: %s',
                            pg_catalog.left((NEW.properties -> v_prop.name)::text, 200)), 'no value'),
        HINT = pg_catalog.format('api.describe_object_type(%L) shows the definition', v_type);
    END IF;
    -- a reference is stored as the canonical uuid text (what delete's referrer check matches)
    IF v_prop.kind = 'reference' AND NEW.properties ? v_prop.name THEN
      NEW.properties := NEW.properties || pg_catalog.jsonb_build_object(
        v_prop.name, ((NEW.properties ->> v_prop.name)::uuid)::text);
    ELSIF v_prop.kind IN ('string', 'enum') AND NEW.properties ? v_prop.name THEN
      v_search := v_search || (NEW.properties ->> v_prop.name);
    END IF;
  END LOOP;
  NEW.search_text := pg_catalog.array_to_string(v_search, ' ');
  RETURN NEW;
END
$$;

ALTER FUNCTION ontology.tg_objects__validate() OWNER TO claw_owner;

--
-- Name: tightens(ontology.properties, ontology.properties); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.tightens(p_old ontology.properties, p_new ontology.properties) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT coalesce(p_new.required AND NOT p_old.required, false)
      OR p_new.kind <> p_old.kind
      OR p_new.ref_type_id IS DISTINCT FROM p_old.ref_type_id
      OR (p_new.pattern IS NOT NULL AND p_new.pattern IS DISTINCT FROM p_old.pattern)
      OR coalesce(p_new.max_length < coalesce(p_old.max_length, 2147483647), false)
      OR coalesce(p_new.min_value > coalesce(p_old.min_value, p_new.min_value - 1), false)
      OR coalesce(p_new.max_value < coalesce(p_old.max_value, p_new.max_value + 1), false)
      OR coalesce(NOT (p_old.enum_values <@ p_new.enum_values), false)
$$;

ALTER FUNCTION ontology.tightens(p_old ontology.properties, p_new ontology.properties) OWNER TO claw_owner;

--
-- Name: type_definition(uuid, uuid); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.type_definition(p_tenant_id uuid, p_type_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT pg_catalog.jsonb_build_object(
    'name', t.name, 'description', t.description, 'version', t.version,
    'properties', coalesce((SELECT pg_catalog.jsonb_object_agg(p.name, ontology.property_spec(p))
                            FROM ontology.properties AS p
                            WHERE p.tenant_id = t.tenant_id AND p.type_id = t.type_id), '{}'))
  FROM ontology.object_types AS t
  WHERE t.tenant_id = p_tenant_id AND t.type_id = p_type_id
$$;

ALTER FUNCTION ontology.type_definition(p_tenant_id uuid, p_type_id uuid) OWNER TO claw_owner;

--
-- Name: value_key(text, jsonb); Type: FUNCTION; Schema: ontology; Owner: claw_owner
--

CREATE FUNCTION ontology.value_key(p_kind text, p_value jsonb) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT CASE WHEN pg_catalog.length(k) > 256
              THEN 'sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(k, 'UTF8')), 'hex')
              ELSE k END
  FROM (SELECT CASE
    WHEN p_value IS NULL OR p_value = 'null' THEN NULL
    WHEN p_kind IN ('number', 'integer') THEN pg_catalog.trim_scale(p_value::numeric)::text
    WHEN p_kind = 'money' THEN pg_catalog.trim_scale((p_value ->> 'amount')::numeric)::text
                               || ' ' || (p_value ->> 'currency')
    WHEN p_kind = 'timestamp' THEN pg_catalog.to_char(
      ((p_value #>> '{}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    WHEN p_kind = 'date' THEN pg_catalog.to_char((p_value #>> '{}')::date, 'YYYY-MM-DD')
    WHEN p_kind = 'reference' THEN ((p_value #>> '{}')::uuid)::text
    WHEN p_kind = 'boolean' THEN p_value::text
    ELSE p_value #>> '{}'
  END AS k) AS c
$$;

ALTER FUNCTION ontology.value_key(p_kind text, p_value jsonb) OWNER TO claw_owner;

--
-- Name: backoff(text, integer); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.backoff(p_queue text, p_attempt integer) RETURNS interval
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT LEAST(s.base * pg_catalog.power(2, LEAST(GREATEST(p_attempt, 1) - 1, 30)), s.cap)
         * (0.75 + pg_catalog.random() * 0.5)
  FROM (SELECT coalesce(q.backoff_base, interval '1 second') AS base,
               coalesce(q.backoff_max, interval '1 hour') AS cap
        FROM (SELECT 1) AS one
        LEFT JOIN internal.queues AS q ON q.queue = p_queue) AS s
$$;

ALTER FUNCTION queue.backoff(p_queue text, p_attempt integer) OWNER TO claw_owner;

--
-- Name: check_lease_args(text, integer, integer); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.check_lease_args(p_worker text, p_limit integer, p_lease_seconds integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF p_worker IS NULL OR pg_catalog.length(p_worker) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid worker name',
      DETAIL = 'p_worker must be 1 to 200 characters', HINT = 'use host:pid, e.g. web-1:4242';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid batch size',
      DETAIL = pg_catalog.format('p_limit must be 1 to 1000, not %s', p_limit),
      HINT = 'claim at most 1000 jobs per call';
  END IF;
  IF p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 1 AND 3600 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid lease length',
      DETAIL = pg_catalog.format('p_lease_seconds must be 1 to 3600, not %s', p_lease_seconds),
      HINT = 'heartbeat long jobs instead of taking long leases';
  END IF;
END
$$;

ALTER FUNCTION queue.check_lease_args(p_worker text, p_limit integer, p_lease_seconds integer) OWNER TO claw_owner;

--
-- Name: check_time_zone(text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.check_time_zone(p_zone text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF p_zone IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names AS z
                                   WHERE z.name = p_zone) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown time zone',
      DETAIL = pg_catalog.format('%L is not an IANA time zone name', p_zone),
      HINT = 'e.g. Australia/Sydney, America/New_York, UTC (SELECT name FROM pg_timezone_names)';
  END IF;
  IF p_zone NOT IN ('UTC', 'GMT', 'UCT', 'EST', 'MST', 'HST')
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_abbrevs AS a WHERE a.abbrev = p_zone) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'ambiguous time zone',
      DETAIL = pg_catalog.format('PostgreSQL reads %L as a fixed-offset abbreviation, without '
                                 'the summer time of the IANA zone of that name', p_zone),
      HINT = 'use the geographic name of a place in the zone, e.g. Europe/Paris for CET';
  END IF;
END
$$;

ALTER FUNCTION queue.check_time_zone(p_zone text) OWNER TO claw_owner;

--
-- Name: claim_jobs(text, text, integer, integer); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer) RETURNS TABLE(job_id uuid, tenant_id uuid, queue text, kind text, payload jsonb, priority smallint, attempt integer, max_attempts integer, lease_token uuid, lease_expires_at timestamp with time zone, trace_id text, enqueued_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
DECLARE
  v_now timestamptz := internal.now();
  v_lease timestamptz;
  v_token uuid := pg_catalog.gen_random_uuid();
  v_cfg record;
  v_limit integer := p_limit;
  v_tenants uuid[];
  v_ids uuid[];
  v_keys text[];
  v_ctids tid[];
  v_rated boolean;
  v_bucket record;
  v_take integer;
  v_defer integer;
  v_cancelled integer;
  v_skip_t uuid[];
  v_skip_p smallint[];
  v_new_t uuid[];
  v_new_p smallint[];
  v_window integer;
BEGIN
  PERFORM queue.check_lease_args(p_worker, p_limit, p_lease_seconds);
  v_lease := v_now + pg_catalog.make_interval(secs => p_lease_seconds);
  SELECT q.paused_at, q.concurrency_limit INTO v_cfg FROM internal.queues AS q
  WHERE q.queue = p_queue;
  IF v_cfg.paused_at IS NOT NULL THEN
    RETURN;
  END IF;

  -- 1. Expired leases (the holder crashed or stalled): the attempt counts; back to
  --    'available' at the same place in line, or 'dead' after the last attempt. A job whose
  --    cancellation was requested goes to history as cancelled instead.
  --    One index probe decides; the common case (no expired lease) costs nothing more.
  IF EXISTS (SELECT 1 FROM queue.jobs AS x
             WHERE x.queue = p_queue AND x.state = 'running' AND x.lease_expires_at < v_now) THEN
    WITH c AS (
      DELETE FROM queue.jobs AS j
      USING (SELECT x.tenant_id, x.job_id FROM queue.jobs AS x
             WHERE x.queue = p_queue AND x.state = 'running' AND x.lease_expires_at < v_now
               AND x.cancel_requested_at IS NOT NULL
             LIMIT 1000 FOR UPDATE SKIP LOCKED) AS e
      WHERE j.tenant_id = e.tenant_id AND j.job_id = e.job_id
      RETURNING j.*
    )
    SELECT queue.record_history(pg_catalog.array_agg(ROW(c.*)::queue.jobs), 'cancelled')
      INTO v_cancelled FROM c;
    UPDATE queue.jobs AS j
    SET state = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'available' END,
        errors = j.errors || pg_catalog.jsonb_build_object(
          'attempt', j.attempts, 'at', v_now, 'worker', j.lease_holder,
          'error', 'lease expired: the worker stopped heartbeating (crashed or stalled)'),
        lease_token = NULL, lease_holder = NULL, lease_expires_at = NULL
    FROM (SELECT x.tenant_id, x.job_id FROM queue.jobs AS x
          WHERE x.queue = p_queue AND x.state = 'running' AND x.lease_expires_at < v_now
          ORDER BY x.lease_expires_at LIMIT 1000
          FOR UPDATE SKIP LOCKED) AS e
    WHERE j.tenant_id = e.tenant_id AND j.job_id = e.job_id;
  END IF;

  -- 2. Scheduled jobs that are due. A rate-deferred job keeps its fair key (its place in
  --    line). A job delayed at enqueue, or a retry (queue.fail_job), has none: it takes one now, from its
  --    tenant's cursor for its priority (which moves on past it), with that priority's head
  --    read once for them all, so delayed jobs of several tenants that come due together
  --    interleave (functions/queue/enqueue.sql). No claim waits on a tenant: a cursor row
  --    locked by the tenant's own open enqueue is skipped, and that tenant's delayed jobs
  --    come due on a later claim; when its jobs filled the whole window (10,000), the claim
  --    looks again past them, so they never hold back other tenants' due jobs. One statement
  --    (more only in that case); the common case (nothing due) is one probe.
  v_skip_t := '{}';
  v_skip_p := '{}';
  -- the common case, nothing due: one index probe instead of starting the statement below
  -- (its executor start-up, two UPDATEs included, cost more than the probe)
  IF EXISTS (SELECT 1 FROM queue.jobs AS x
             WHERE x.queue = p_queue AND x.state = 'scheduled' AND x.run_at <= v_now) THEN
    LOOP
      WITH due AS (
        SELECT x.tenant_id, x.job_id, x.priority, x.run_at, x.fair_key FROM queue.jobs AS x
        WHERE x.queue = p_queue AND x.state = 'scheduled' AND x.run_at <= v_now
          AND (x.fair_key IS NOT NULL
               OR NOT EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest(v_skip_t),
                                                       pg_catalog.unnest(v_skip_p)) AS s(t, p)
                              WHERE s.t = x.tenant_id AND s.p = x.priority))
        ORDER BY x.run_at LIMIT 10000
        FOR UPDATE SKIP LOCKED
      ), grp AS (
        SELECT d.tenant_id, d.priority, pg_catalog.count(*) AS n
        FROM due AS d WHERE d.fair_key IS NULL GROUP BY d.tenant_id, d.priority
      ), cur AS (
        SELECT c.tenant_id, c.priority, c.last_key FROM queue.tenant_cursors AS c
        WHERE c.queue = p_queue
          AND (c.tenant_id, c.priority) IN (SELECT g.tenant_id, g.priority FROM grp AS g)
        ORDER BY c.tenant_id, c.priority
        FOR UPDATE SKIP LOCKED
      ), base AS (
        SELECT g.tenant_id, g.priority, g.n,
               GREATEST(cur.last_key, queue.fair_head(p_queue, g.priority)) AS last_key
        FROM grp AS g
        LEFT JOIN cur ON cur.tenant_id = g.tenant_id AND cur.priority = g.priority
        WHERE cur.tenant_id IS NOT NULL
           OR NOT EXISTS (SELECT 1 FROM queue.tenant_cursors AS c  -- none yet (not just locked)
                          WHERE c.tenant_id = g.tenant_id AND c.queue = p_queue
                            AND c.priority = g.priority)
      ), moved AS (
        UPDATE queue.tenant_cursors AS c SET last_key = b.last_key + b.n
        FROM base AS b
        WHERE c.tenant_id = b.tenant_id AND c.queue = p_queue AND c.priority = b.priority
      ), promoted AS (
        UPDATE queue.jobs AS j
        SET state = 'available',
            fair_key = coalesce(d.fair_key, b.last_key + d.k)
        FROM (SELECT due.*, pg_catalog.row_number() OVER (
                              PARTITION BY due.tenant_id, due.priority, due.fair_key IS NULL
                              ORDER BY due.run_at, due.job_id) AS k
              FROM due) AS d
        LEFT JOIN base AS b ON b.tenant_id = d.tenant_id AND b.priority = d.priority
        WHERE j.tenant_id = d.tenant_id AND j.job_id = d.job_id
          AND (d.fair_key IS NOT NULL OR b.tenant_id IS NOT NULL)
      )
      -- the window's size, and the (tenant, priority) groups skipped for a locked cursor
      SELECT (SELECT pg_catalog.count(*)::integer FROM due),
             pg_catalog.array_agg(g.tenant_id), pg_catalog.array_agg(g.priority)
        INTO v_window, v_new_t, v_new_p
      FROM grp AS g
      WHERE NOT EXISTS (SELECT 1 FROM base AS b
                        WHERE b.tenant_id = g.tenant_id AND b.priority = g.priority);
      -- A full window with skipped groups: look again past them, so that a tenant with 10,000
      -- due jobs and an open enqueue does not keep every other tenant's due jobs scheduled.
      EXIT WHEN v_window < 10000 OR v_new_t IS NULL;
      v_skip_t := v_skip_t || v_new_t;
      v_skip_p := v_skip_p || v_new_p;
    END LOOP;
  END IF;

  -- 3. Concurrency limit: claims of a limited queue take turns on its settings row, so the
  --    running count they see is exact.
  IF v_cfg.concurrency_limit IS NOT NULL THEN
    PERFORM 1 FROM internal.queues AS q WHERE q.queue = p_queue FOR UPDATE;
    SELECT LEAST(p_limit, q.concurrency_limit - (
             SELECT pg_catalog.count(*)::integer FROM queue.jobs AS x
             WHERE x.queue = p_queue AND x.state = 'running'))
      INTO v_limit
    FROM internal.queues AS q WHERE q.queue = p_queue;
    IF v_limit IS NULL OR v_limit <= 0 THEN
      RETURN;
    END IF;
  END IF;

  -- 4. Pick in claim order, skipping rows other claimers hold. The row locks keep the picked
  --    versions current until this transaction ends, so step 6 finds them by ctid (a TID
  --    scan) instead of a second primary-key probe per job.
  SELECT pg_catalog.array_agg(p.tenant_id ORDER BY p.ord), pg_catalog.array_agg(p.job_id ORDER BY p.ord),
         pg_catalog.array_agg(p.rate_key ORDER BY p.ord), pg_catalog.array_agg(p.ctid ORDER BY p.ord),
         pg_catalog.bool_or(p.rate_key IS NOT NULL)
    INTO v_tenants, v_ids, v_keys, v_ctids, v_rated
  FROM (SELECT x.tenant_id, x.job_id, x.rate_key, x.ctid,
               pg_catalog.row_number() OVER (ORDER BY x.priority DESC, x.fair_key) AS ord
        FROM (SELECT y.tenant_id, y.job_id, y.rate_key, y.priority, y.fair_key, y.ctid
              FROM queue.jobs AS y
              WHERE y.queue = p_queue AND y.state = 'available'
              ORDER BY y.priority DESC, y.fair_key
              LIMIT v_limit
              FOR UPDATE SKIP LOCKED) AS x) AS p;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;

  -- 5. Rate limits: per rate_key token bucket shared by every worker. Jobs beyond the
  --    tokens are not started; they wait in 'scheduled' until a token will be there.
  IF v_rated THEN
    FOR v_bucket IN
      SELECT b.rate_key, b.per_second, b.burst,
             LEAST(b.burst::numeric, b.tokens + b.per_second
                   * GREATEST(EXTRACT(EPOCH FROM v_now - b.refilled_at), 0)) AS tokens
      FROM internal.rate_limits AS b
      WHERE b.rate_key IN (SELECT DISTINCT k FROM pg_catalog.unnest(v_keys) AS k)
      ORDER BY b.rate_key
      FOR UPDATE
    LOOP
      v_take := pg_catalog.floor(v_bucket.tokens)::integer;
      -- positions (in claim order) of this key's jobs beyond the tokens
      WITH mine AS (
        SELECT u.t, u.id, pg_catalog.row_number() OVER (ORDER BY u.ord) AS n
        FROM ROWS FROM (pg_catalog.unnest(v_tenants), pg_catalog.unnest(v_ids), pg_catalog.unnest(v_keys)) WITH ORDINALITY AS u(t, id, k, ord)
        WHERE u.k = v_bucket.rate_key
      ), deferred AS (
        UPDATE queue.jobs AS j
        SET state = 'scheduled',
            run_at = v_now + pg_catalog.make_interval(
              secs => ((mine.n - v_take) - (v_bucket.tokens - v_take)) / v_bucket.per_second)
        FROM mine
        WHERE mine.n > v_take AND j.tenant_id = mine.t AND j.job_id = mine.id
        RETURNING j.job_id
      )
      SELECT pg_catalog.count(*)::integer INTO v_defer FROM deferred;
      UPDATE internal.rate_limits AS b
      SET tokens = v_bucket.tokens - LEAST(v_take, (
                     SELECT pg_catalog.count(*) FROM pg_catalog.unnest(v_keys) AS k
                     WHERE k = v_bucket.rate_key)),
          -- never back: a claim whose transaction began before the last refill must not
          -- make the next claim refill for time already paid for
          refilled_at = GREATEST(b.refilled_at, v_now)
      WHERE b.rate_key = v_bucket.rate_key;
      IF v_defer > 0 THEN
        -- drop the deferred jobs from this claim
        SELECT pg_catalog.array_agg(u.t ORDER BY u.ord), pg_catalog.array_agg(u.id ORDER BY u.ord),
               pg_catalog.array_agg(u.k ORDER BY u.ord), pg_catalog.array_agg(u.c ORDER BY u.ord)
          INTO v_tenants, v_ids, v_keys, v_ctids
        FROM ROWS FROM (pg_catalog.unnest(v_tenants), pg_catalog.unnest(v_ids),
                        pg_catalog.unnest(v_keys), pg_catalog.unnest(v_ctids))
             WITH ORDINALITY AS u(t, id, k, c, ord)
        JOIN queue.jobs AS j ON j.tenant_id = u.t AND j.job_id = u.id
        WHERE j.state = 'available';
        IF v_ids IS NULL THEN
          RETURN;
        END IF;
      END IF;
    END LOOP;
  END IF;

  -- 6. Lease them.
  RETURN QUERY
  UPDATE queue.jobs AS j
  SET state = 'running', attempts = j.attempts + 1, lease_token = v_token,
      lease_holder = p_worker, lease_expires_at = v_lease,
      started_at = coalesce(j.started_at, v_now)
  WHERE j.ctid = ANY (v_ctids)
  -- (queue, kind and payload are domains, migrations/0056: RETURN QUERY wants the declared
  -- types)
  RETURNING j.job_id, j.tenant_id, j.queue::text, j.kind::text, j.payload::jsonb, j.priority,
            j.attempts, j.max_attempts, j.lease_token, j.lease_expires_at, j.trace_id,
            j.enqueued_at;
END
$$;

ALTER FUNCTION queue.claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer) OWNER TO claw_dispatcher;

--
-- Name: complete_jobs(uuid[], uuid); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.complete_jobs(p_job_ids uuid[], p_lease_token uuid) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
DECLARE
  v_now timestamptz := internal.now();
  v_n integer;
  v_want integer := pg_catalog.cardinality(p_job_ids);
BEGIN
  WITH done AS (
    DELETE FROM queue.jobs AS j
    WHERE j.lease_token = p_lease_token AND j.state = 'running' AND j.job_id = ANY (p_job_ids)
    RETURNING j.*
  )
  INSERT INTO queue.job_history (tenant_id, job_id, queue, kind, payload, priority, outcome,
                                 attempts, max_attempts, unique_key, errors, trace_id,
                                 lease_holder, enqueued_at, started_at, finished_at)
  SELECT d.tenant_id, d.job_id, d.queue, d.kind, d.payload, d.priority, 'completed',
         d.attempts, d.max_attempts, d.unique_key, d.errors, d.trace_id, d.lease_holder,
         d.enqueued_at, d.started_at, v_now
  FROM done AS d;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n <> v_want THEN
    -- (a repeated id counts once)
    IF v_n <> (SELECT pg_catalog.count(DISTINCT u) FROM pg_catalog.unnest(p_job_ids) AS u) THEN
      PERFORM queue.stale_lease('complete', ARRAY(
        SELECT u FROM pg_catalog.unnest(p_job_ids) AS u
        EXCEPT SELECT h.job_id FROM queue.job_history AS h
        WHERE h.job_id = ANY (p_job_ids) AND h.finished_at = v_now), p_lease_token);
    END IF;
  END IF;
  RETURN v_n;
END
$$;

ALTER FUNCTION queue.complete_jobs(p_job_ids uuid[], p_lease_token uuid) OWNER TO claw_dispatcher;

--
-- Name: queues; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.queues (
    queue text NOT NULL,
    paused_at timestamp with time zone,
    concurrency_limit integer,
    backoff_base interval DEFAULT '00:00:01'::interval NOT NULL,
    backoff_max interval DEFAULT '01:00:00'::interval NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT queues_backoff_base_check CHECK ((backoff_base > '00:00:00'::interval)),
    CONSTRAINT queues_check CHECK ((backoff_max >= backoff_base)),
    CONSTRAINT queues_concurrency_limit_check CHECK ((concurrency_limit > 0)),
    CONSTRAINT queues_queue_check CHECK ((queue ~ '^[a-z][a-z0-9_.-]{0,62}$'::text))
);

ALTER TABLE internal.queues OWNER TO claw_owner;

--
-- Name: configure_queue(text, boolean, integer, interval, interval); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.configure_queue(p_queue text, p_paused boolean DEFAULT NULL::boolean, p_concurrency_limit integer DEFAULT NULL::integer, p_backoff_base interval DEFAULT NULL::interval, p_backoff_max interval DEFAULT NULL::interval) RETURNS internal.queues
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_row internal.queues;
BEGIN
  IF p_queue IS NULL OR NOT p_queue ~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue name',
      DETAIL = pg_catalog.format('%L is not a queue name', p_queue),
      HINT = 'lower case letters, digits, _ . -; e.g. default';
  END IF;
  IF p_concurrency_limit < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid concurrency limit',
      DETAIL = pg_catalog.format('%s is negative', p_concurrency_limit),
      HINT = 'a positive number of running jobs, or 0 for no limit';
  END IF;
  INSERT INTO internal.queues AS q (queue) VALUES (p_queue) ON CONFLICT (queue) DO NOTHING;
  UPDATE internal.queues AS q
  SET paused_at = CASE WHEN p_paused IS NULL THEN q.paused_at
                       WHEN p_paused THEN coalesce(q.paused_at, internal.now()) END,
      concurrency_limit = CASE WHEN p_concurrency_limit IS NULL THEN q.concurrency_limit
                               ELSE NULLIF(p_concurrency_limit, 0) END,
      backoff_base = coalesce(p_backoff_base, q.backoff_base),
      backoff_max = coalesce(p_backoff_max, q.backoff_max),
      updated_at = internal.now()
  WHERE q.queue = p_queue
  RETURNING q.* INTO v_row;
  IF p_paused IS FALSE THEN
    PERFORM pg_catalog.pg_notify('claw_queue', queue.notify_tag(p_queue));
  END IF;
  RETURN v_row;
EXCEPTION WHEN check_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid queue settings',
    DETAIL = SQLERRM, HINT = 'backoff_base > 0 and backoff_max >= backoff_base';
END
$_$;

ALTER FUNCTION queue.configure_queue(p_queue text, p_paused boolean, p_concurrency_limit integer, p_backoff_base interval, p_backoff_max interval) OWNER TO claw_owner;

--
-- Name: cron_field(text, text, integer, integer, text[]); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.cron_field(p_field text, p_label text, p_min integer, p_max integer, p_names text[] DEFAULT NULL::text[]) RETURNS integer[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_item text;
  v_m text[];
  v_lo integer;
  v_hi integer;
  v_step integer;
  v_out integer[] := '{}';
BEGIN
  FOREACH v_item IN ARRAY pg_catalog.string_to_array(pg_catalog.lower(p_field), ',') LOOP
    v_m := pg_catalog.regexp_match(v_item, '^([*]|[a-z0-9]+)(?:-([a-z0-9]+))?(?:/([0-9]+))?$');
    IF v_m IS NULL OR (v_m[1] = '*' AND v_m[2] IS NOT NULL) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cron expression',
        DETAIL = pg_catalog.format('%s field: %L is not *, n, a-b or one of those with /step',
                                   p_label, v_item),
        HINT = '''0 6 * * *'' = 06:00 every day; ''*/15 8-18 * * mon-fri'' = every 15 minutes of office hours';
    END IF;
    IF v_m[1] = '*' THEN
      v_lo := p_min;
      v_hi := p_max;
    ELSE
      v_lo := coalesce(pg_catalog.array_position(p_names, v_m[1]) - 1 + p_min,
                       CASE WHEN v_m[1] ~ '^[0-9]{1,2}$' THEN v_m[1]::integer END);
      v_hi := CASE WHEN v_m[2] IS NOT NULL
                   THEN coalesce(pg_catalog.array_position(p_names, v_m[2]) - 1 + p_min,
                                 CASE WHEN v_m[2] ~ '^[0-9]{1,2}$' THEN v_m[2]::integer END)
                   WHEN v_m[3] IS NOT NULL THEN p_max  -- 'a/n' = a-max/n
                   ELSE v_lo END;
    END IF;
    -- (a step of more than four digits is out of range, not an integer overflow)
    v_step := CASE WHEN v_m[3] IS NULL THEN 1
                   WHEN v_m[3] ~ '^[0-9]{1,4}$' THEN v_m[3]::integer END;
    IF v_lo IS NULL OR v_hi IS NULL OR v_lo < p_min OR v_hi > p_max OR v_lo > v_hi
       OR v_step IS NULL OR v_step < 1 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cron expression',
        DETAIL = pg_catalog.format('%s field: %L is out of range (%s-%s)%s', p_label, v_item,
                                   p_min, p_max,
                                   CASE WHEN p_names IS NOT NULL
                                        THEN ' or not a name like ' || p_names[1] ELSE '' END),
        HINT = '''0 6 * * *'' = 06:00 every day';
    END IF;
    v_out := v_out || ARRAY(SELECT pg_catalog.generate_series(v_lo, v_hi, v_step));
  END LOOP;
  -- day-of-week 7 is Sunday, 0
  RETURN ARRAY(SELECT DISTINCT CASE WHEN p_label = 'day-of-week' AND x = 7 THEN 0 ELSE x END AS y
               FROM pg_catalog.unnest(v_out) AS x ORDER BY y);
END
$_$;

ALTER FUNCTION queue.cron_field(p_field text, p_label text, p_min integer, p_max integer, p_names text[]) OWNER TO claw_owner;

--
-- Name: drop_waiting(text, text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.drop_waiting(p_worker text, p_queue text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  DELETE FROM internal.waiting_workers AS w
  USING (SELECT x.queue, x.worker FROM internal.waiting_workers AS x
         WHERE x.worker = p_worker AND (p_queue IS NULL OR x.queue = p_queue)
         FOR UPDATE SKIP LOCKED) AS d
  WHERE w.queue = d.queue AND w.worker = d.worker
$$;

ALTER FUNCTION queue.drop_waiting(p_worker text, p_queue text) OWNER TO claw_owner;

--
-- Name: end_cancelled(uuid[], uuid); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.end_cancelled(p_job_ids uuid[], p_lease_token uuid) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  WITH c AS (
    DELETE FROM queue.jobs AS j
    WHERE j.lease_token = p_lease_token AND j.state = 'running' AND j.job_id = ANY (p_job_ids)
      AND j.cancel_requested_at IS NOT NULL
    RETURNING j.*
  )
  SELECT coalesce(queue.record_history(pg_catalog.array_agg(ROW(c.*)::queue.jobs), 'cancelled'), 0)
  FROM c
$$;

ALTER FUNCTION queue.end_cancelled(p_job_ids uuid[], p_lease_token uuid) OWNER TO claw_dispatcher;

--
-- Name: fail_job(uuid, uuid, text, boolean, integer); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer) RETURNS TABLE(state text, run_at timestamp with time zone, attempts integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_now timestamptz := internal.now();
  v_job record;
  v_row queue.jobs;
BEGIN
  IF p_error IS NULL OR pg_catalog.length(p_error) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'an error message is required',
      DETAIL = 'fail_job records why the attempt failed', HINT = 'pass p_error => ''...''';
  END IF;
  IF p_retry_in_seconds IS NOT NULL AND p_retry_in_seconds NOT BETWEEN 0 AND 31536000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retry delay',
      DETAIL = pg_catalog.format('p_retry_in_seconds must be 0 to 31536000, not %s',
                                 p_retry_in_seconds),
      HINT = 'leave it NULL for exponential backoff';
  END IF;
  SELECT j.tenant_id, j.queue, j.attempts, j.max_attempts, j.lease_holder,
         j.cancel_requested_at INTO v_job
  FROM queue.jobs AS j
  WHERE j.job_id = p_job_id AND j.lease_token = p_lease_token AND j.state = 'running'
  FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM queue.stale_lease('fail', ARRAY[p_job_id], p_lease_token);
  END IF;
  IF v_job.cancel_requested_at IS NOT NULL THEN
    DELETE FROM queue.jobs AS j WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id
    RETURNING j.* INTO v_row;
    v_row.errors := v_row.errors || pg_catalog.jsonb_build_object(
      'attempt', v_row.attempts, 'at', v_now, 'worker', v_row.lease_holder,
      'error', pg_catalog.left(p_error, 4000));
    PERFORM queue.record_history(ARRAY[v_row], 'cancelled');
    RETURN QUERY SELECT 'cancelled'::text, v_row.run_at, v_row.attempts;
    RETURN;
  END IF;
  RETURN QUERY
  UPDATE queue.jobs AS j
  SET state = CASE WHEN NOT coalesce(p_retry, true) OR j.attempts >= j.max_attempts
                   THEN 'dead' ELSE 'scheduled' END,
      run_at = CASE WHEN NOT coalesce(p_retry, true) OR j.attempts >= j.max_attempts THEN j.run_at
                    ELSE v_now + coalesce(pg_catalog.make_interval(secs => p_retry_in_seconds),
                                          queue.backoff(j.queue, j.attempts)) END,
      -- a retry takes a new place in line when it comes due (claim step 2), after its
      -- tenant's jobs waiting then: its old key would put it ahead of other tenants' jobs
      -- enqueued meanwhile, and pull the head back for every tenant's next key
      fair_key = CASE WHEN NOT coalesce(p_retry, true) OR j.attempts >= j.max_attempts
                      THEN j.fair_key END,
      errors = j.errors || pg_catalog.jsonb_build_object(
        'attempt', j.attempts, 'at', v_now, 'worker', j.lease_holder,
        'error', pg_catalog.left(p_error, 4000)),
      lease_token = NULL, lease_holder = NULL, lease_expires_at = NULL
  WHERE j.tenant_id = v_job.tenant_id AND j.job_id = p_job_id
  RETURNING j.state, j.run_at, j.attempts;
END
$$;

ALTER FUNCTION queue.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer) OWNER TO claw_dispatcher;

--
-- Name: fair_head(text, smallint); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.fair_head(p_queue text, p_priority smallint) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce(
    (SELECT j.fair_key FROM queue.jobs AS j
     WHERE j.queue = p_queue AND j.state = 'available' AND j.priority = p_priority
     ORDER BY j.priority DESC, j.fair_key LIMIT 1),
    (SELECT pg_catalog.max(c.last_key) FROM queue.tenant_cursors AS c
     WHERE c.queue = p_queue AND c.priority = p_priority),
    0)
$$;

ALTER FUNCTION queue.fair_head(p_queue text, p_priority smallint) OWNER TO claw_dispatcher;

--
-- Name: fire_times(text, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.fire_times(p_cron text, p_zone text, p_from timestamp with time zone, p_until timestamp with time zone) RETURNS SETOF timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_at timestamptz := queue.next_fire(p_cron, p_zone, p_from - interval '1 microsecond');
BEGIN
  WHILE v_at IS NOT NULL AND v_at < p_until LOOP
    RETURN NEXT v_at;
    v_at := queue.next_fire(p_cron, p_zone, v_at);
  END LOOP;
END
$$;

ALTER FUNCTION queue.fire_times(p_cron text, p_zone text, p_from timestamp with time zone, p_until timestamp with time zone) OWNER TO claw_owner;

--
-- Name: heartbeat_jobs(uuid[], uuid, integer); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer) RETURNS TABLE(job_id uuid, lease_expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_cancelled integer;
BEGIN
  PERFORM queue.check_lease_args('heartbeat', 1, p_lease_seconds);
  -- jobs whose cancellation was requested (api.cancel_job) end here, as cancelled
  v_cancelled := queue.end_cancelled(p_job_ids, p_lease_token);
  RETURN QUERY
  UPDATE queue.jobs AS j
  SET lease_expires_at = internal.now() + pg_catalog.make_interval(secs => p_lease_seconds)
  WHERE j.lease_token = p_lease_token AND j.state = 'running' AND j.job_id = ANY (p_job_ids)
    AND j.lease_expires_at >= internal.now()
  RETURNING j.job_id, j.lease_expires_at;
END
$$;

ALTER FUNCTION queue.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer) OWNER TO claw_dispatcher;

--
-- Name: holds_liveness_lock(text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.holds_liveness_lock(p_worker text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_locks AS l
    CROSS JOIN (SELECT queue.worker_lock_key(p_worker) AS k) AS w
    WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid() AND l.granted
      AND l.mode = 'ExclusiveLock' AND l.objsubid = 1
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d
                        WHERE d.datname = pg_catalog.current_database())
      AND l.classid::bigint = (w.k >> 32) & 4294967295
      AND l.objid::bigint = w.k & 4294967295)
$$;

ALTER FUNCTION queue.holds_liveness_lock(p_worker text) OWNER TO claw_owner;

--
-- Name: insert_jobs(uuid, jsonb); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.insert_jobs(p_tenant_id uuid, p_jobs jsonb) RETURNS TABLE(job_id uuid, deduplicated boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_now timestamptz := internal.now();
  v_n integer;
  v_bad record;
  v_res record;
  v_ids uuid[];
  v_queues text[];
  v_prios smallint[];
  v_last bigint[];
  v_count integer[];
  v_inserted uuid[];
  i integer;
BEGIN
  IF p_jobs IS NULL OR pg_catalog.jsonb_typeof(p_jobs) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job batch',
      DETAIL = 'p_jobs must be a JSON array of job objects',
      HINT = '[{"queue": "default", "kind": "report.daily", "payload": {}}]';
  END IF;
  v_n := pg_catalog.jsonb_array_length(p_jobs);
  IF v_n NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job batch',
      DETAIL = pg_catalog.format('a batch holds 1 to 10000 jobs, not %s', v_n),
      HINT = 'split the batch';
  END IF;

  SELECT t.ord, t.problem INTO v_bad
  FROM (SELECT s.ord, queue.job_spec_problem(s.e) AS problem
        FROM pg_catalog.jsonb_array_elements(p_jobs) WITH ORDINALITY AS s(e, ord)) AS t
  WHERE t.problem IS NOT NULL
  ORDER BY t.ord LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid job',
      DETAIL = pg_catalog.format('job %s of the batch %s', v_bad.ord, v_bad.problem),
      HINT = '{"queue": "default", "kind": "report.daily", "payload": {}} is the smallest job';
  END IF;

  -- Reserve fair keys per queue and priority of the batch (usually one), in that order, for
  -- the jobs ready now; a queue and priority with only delayed jobs makes sure its cursor row
  -- exists (p_n = 0). Locks each cursor row that gives out keys.
  SELECT pg_catalog.array_agg(q.queue ORDER BY q.queue, q.priority),
         pg_catalog.array_agg(q.priority ORDER BY q.queue, q.priority),
         pg_catalog.array_agg(q.n ORDER BY q.queue, q.priority)
    INTO v_queues, v_prios, v_count
  FROM (SELECT s.e ->> 'queue' AS queue, coalesce((s.e ->> 'priority')::smallint, 0) AS priority,
               (pg_catalog.count(*) FILTER (
                  WHERE coalesce((s.e ->> 'run_at')::timestamptz, v_now) <= v_now))::integer AS n
        FROM pg_catalog.jsonb_array_elements(p_jobs) AS s(e) GROUP BY 1, 2) AS q;
  v_last := '{}';
  FOR i IN 1 .. pg_catalog.cardinality(v_queues) LOOP
    v_last := v_last || queue.take_fair_keys(p_tenant_id, v_queues[i], v_prios[i], v_count[i]);
  END LOOP;

  v_ids := ARRAY(SELECT pg_catalog.uuidv7() FROM pg_catalog.generate_series(1, v_n));
  -- Jobs without a unique key are a plain INSERT; only those with one go through ON CONFLICT
  -- (a speculative insertion: one more WAL record and a confirmation per row).
  WITH spec0 AS (
    SELECT s.ord, s.e, v_ids[s.ord] AS new_id,
           coalesce((s.e ->> 'priority')::smallint, 0) AS priority,
           coalesce((s.e ->> 'run_at')::timestamptz, v_now) AS run_at
    FROM pg_catalog.jsonb_array_elements(p_jobs) WITH ORDINALITY AS s(e, ord)
  ), spec AS (
    SELECT spec0.*,
           pg_catalog.row_number() OVER (PARTITION BY spec0.e ->> 'queue', spec0.priority,
                                                      spec0.run_at <= v_now
                                         ORDER BY spec0.ord) AS k,
           pg_catalog.count(*) OVER (PARTITION BY spec0.e ->> 'queue', spec0.priority,
                                                  spec0.run_at <= v_now) AS n,
           (SELECT g.i FROM pg_catalog.generate_subscripts(v_queues, 1) AS g(i)
            WHERE v_queues[g.i] = spec0.e ->> 'queue' AND v_prios[g.i] = spec0.priority) AS g
    FROM spec0
  ), r AS (
    SELECT spec.ord, p_tenant_id AS tenant_id, spec.new_id AS job_id, spec.e ->> 'queue' AS queue,
           spec.e ->> 'kind' AS kind, coalesce(spec.e -> 'payload', '{}') AS payload,
           spec.priority,
           CASE WHEN spec.run_at <= v_now THEN v_last[spec.g] - spec.n + spec.k END AS fair_key,
           CASE WHEN spec.run_at > v_now THEN 'scheduled' ELSE 'available' END AS state,
           spec.run_at, coalesce((spec.e ->> 'max_attempts')::integer, 5) AS max_attempts,
           spec.e ->> 'unique_key' AS unique_key, spec.e ->> 'rate_key' AS rate_key,
           coalesce(spec.e ->> 'trace_id', internal.trace_id()) AS trace_id
    FROM spec
  ), plain AS (
    INSERT INTO queue.jobs AS j (tenant_id, job_id, queue, kind, payload, priority, fair_key,
                                 state, run_at, max_attempts, unique_key, rate_key, trace_id,
                                 enqueued_at)
    SELECT r.tenant_id, r.job_id, r.queue, r.kind, r.payload, r.priority, r.fair_key, r.state,
           r.run_at, r.max_attempts, r.unique_key, r.rate_key, r.trace_id, v_now
    FROM r WHERE r.unique_key IS NULL ORDER BY r.ord
    RETURNING j.job_id
  ), uniq AS (
    INSERT INTO queue.jobs AS j (tenant_id, job_id, queue, kind, payload, priority, fair_key,
                                 state, run_at, max_attempts, unique_key, rate_key, trace_id,
                                 enqueued_at)
    SELECT r.tenant_id, r.job_id, r.queue, r.kind, r.payload, r.priority, r.fair_key, r.state,
           r.run_at, r.max_attempts, r.unique_key, r.rate_key, r.trace_id, v_now
    FROM r WHERE r.unique_key IS NOT NULL ORDER BY r.ord
    ON CONFLICT (tenant_id, queue, unique_key)
      WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
      DO NOTHING
    RETURNING j.job_id
  )
  SELECT pg_catalog.array_agg(ins.job_id) INTO v_inserted
  FROM (SELECT plain.job_id FROM plain UNION ALL SELECT uniq.job_id FROM uniq) AS ins;

  IF pg_catalog.cardinality(v_inserted) = v_n THEN
    RETURN QUERY SELECT u.id, false FROM pg_catalog.unnest(v_ids) AS u(id);  -- nothing deduped
    RETURN;
  END IF;
  -- Deduplicated specs inserted nothing: give their keys back, so that asking again for a
  -- job that is already waiting does not move the tenant's cursor on (each cursor is still
  -- this transaction's: the value it had plus what was inserted at its end).
  UPDATE queue.tenant_cursors AS c
  SET last_key = GREATEST(b.last_before, coalesce(
        (SELECT pg_catalog.max(j.fair_key) FROM queue.jobs AS j
         WHERE j.tenant_id = p_tenant_id AND j.job_id = ANY (v_inserted)
           AND j.queue = g.queue AND j.priority = g.priority AND j.state = 'available'), 0))
  FROM ROWS FROM (pg_catalog.unnest(v_queues), pg_catalog.unnest(v_prios),
                  pg_catalog.unnest(v_last), pg_catalog.unnest(v_count))
       AS g(queue, priority, last_key, n)
  CROSS JOIN LATERAL (SELECT g.last_key - g.n AS last_before) AS b
  WHERE g.n > 0 AND c.tenant_id = p_tenant_id AND c.queue = g.queue AND c.priority = g.priority
    AND c.last_key = g.last_key;
  FOR v_res IN
    SELECT s.e, coalesce(ins.id, dup.job_id) AS id, ins.id IS NULL AS dedup
    FROM pg_catalog.jsonb_array_elements(p_jobs) WITH ORDINALITY AS s(e, ord)
    LEFT JOIN pg_catalog.unnest(v_inserted) AS ins(id) ON ins.id = v_ids[s.ord]
    LEFT JOIN LATERAL (
      SELECT j.job_id FROM queue.jobs AS j
      WHERE ins.id IS NULL AND j.tenant_id = p_tenant_id AND j.queue = s.e ->> 'queue'
        AND j.unique_key = s.e ->> 'unique_key'
        AND j.state IN ('scheduled', 'available', 'running')
    ) AS dup ON true
    ORDER BY s.ord
  LOOP
    IF v_res.id IS NULL THEN
      -- the job that held the key finished between the insert and this lookup (two
      -- statements, two snapshots): the key is free now, so insert this one again
      SELECT i.job_id, i.deduplicated INTO job_id, deduplicated
      FROM queue.insert_jobs(p_tenant_id, pg_catalog.jsonb_build_array(v_res.e)) AS i;
    ELSE
      job_id := v_res.id;
      deduplicated := v_res.dedup;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;

ALTER FUNCTION queue.insert_jobs(p_tenant_id uuid, p_jobs jsonb) OWNER TO claw_owner;

--
-- Name: job_args_plainly_valid(text, text, jsonb, integer, text, integer); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.job_args_plainly_valid(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_rate_key text, p_max_attempts integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $_$
  SELECT p_queue OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_.-]*$'
         AND pg_catalog.length(p_queue) OPERATOR(pg_catalog.<=) 63
         AND p_kind OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_.:-]*$'
         AND pg_catalog.length(p_kind) OPERATOR(pg_catalog.<=) 100
         AND (p_payload IS NULL
              OR pg_catalog.jsonb_typeof(p_payload) OPERATOR(pg_catalog.=) 'object')
         AND (p_priority IS NULL
              OR (p_priority OPERATOR(pg_catalog.>=) -100
                  AND p_priority OPERATOR(pg_catalog.<=) 100))
         AND (p_rate_key IS NULL
              OR (pg_catalog.length(p_rate_key) OPERATOR(pg_catalog.>=) 1
                  AND pg_catalog.length(p_rate_key) OPERATOR(pg_catalog.<=) 200))
         AND (p_max_attempts IS NULL
              OR (p_max_attempts OPERATOR(pg_catalog.>=) 1
                  AND p_max_attempts OPERATOR(pg_catalog.<=) 100))
$_$;

ALTER FUNCTION queue.job_args_plainly_valid(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_rate_key text, p_max_attempts integer) OWNER TO claw_owner;

--
-- Name: job_spec_problem(jsonb); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.job_spec_problem(p_spec jsonb) RETURNS text
    LANGUAGE sql STABLE
    AS $_$
  SELECT CASE
    WHEN pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN 'is not a JSON object'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(p_spec) AS k(key)
                 WHERE k.key NOT IN ('queue', 'kind', 'payload', 'priority', 'run_at',
                                     'unique_key', 'rate_key', 'max_attempts', 'trace_id'))
      THEN 'has an unknown field (allowed: queue, kind, payload, priority, run_at, '
           'unique_key, rate_key, max_attempts, trace_id)'
    WHEN pg_catalog.jsonb_typeof(p_spec -> 'queue') IS DISTINCT FROM 'string'
         OR NOT (p_spec ->> 'queue') ~ '^[a-z][a-z0-9_.-]*$' OR pg_catalog.length(p_spec ->> 'queue') > 63
      THEN 'queue must be a name like "default" (lower case, digits, _ . -; up to 63)'
    WHEN pg_catalog.jsonb_typeof(p_spec -> 'kind') IS DISTINCT FROM 'string'
         OR NOT (p_spec ->> 'kind') ~ '^[a-z][a-z0-9_.:-]*$' OR pg_catalog.length(p_spec ->> 'kind') > 100
      THEN 'kind must be a name like "sms.send" (lower case, digits, _ . : -; up to 100)'
    WHEN p_spec ? 'payload' AND pg_catalog.jsonb_typeof(p_spec -> 'payload') <> 'object'
      THEN 'payload must be a JSON object'
    WHEN pg_catalog.pg_column_size(p_spec -> 'payload') > internal.input_limit('json')
      THEN pg_catalog.format('payload is %s bytes; the limit for json inputs is %s bytes',
                             pg_catalog.pg_column_size(p_spec -> 'payload'),
                             internal.input_limit('json'))
    -- (the range compared as numeric, which a JSON number always is: the SQL function's
    -- custom plan folds a cast of its argument at plan time, whatever guards it, and an
    -- integer cast of 1.5 or 1e20 raised 22P02 / 22003 out of here instead of naming it)
    WHEN p_spec ? 'priority' AND CASE
           WHEN pg_catalog.jsonb_typeof(p_spec -> 'priority') <> 'number'
                OR NOT pg_catalog.pg_input_is_valid(p_spec ->> 'priority', 'smallint') THEN true
           ELSE (p_spec -> 'priority')::numeric NOT BETWEEN -100 AND 100 END
      THEN 'priority must be an integer from -100 to 100'
    WHEN p_spec ? 'run_at' AND (pg_catalog.jsonb_typeof(p_spec -> 'run_at') <> 'string'
         OR NOT pg_catalog.pg_input_is_valid(p_spec ->> 'run_at', 'timestamptz'))
      THEN 'run_at must be a timestamp with time zone, e.g. "2026-11-22T06:00:00Z"'
    WHEN p_spec ? 'max_attempts' AND CASE
           WHEN pg_catalog.jsonb_typeof(p_spec -> 'max_attempts') <> 'number'
                OR NOT pg_catalog.pg_input_is_valid(p_spec ->> 'max_attempts', 'integer') THEN true
           ELSE (p_spec -> 'max_attempts')::numeric NOT BETWEEN 1 AND 100 END
      THEN 'max_attempts must be an integer from 1 to 100'
    WHEN p_spec ? 'unique_key' AND (pg_catalog.jsonb_typeof(p_spec -> 'unique_key') <> 'string'
         OR pg_catalog.length(p_spec ->> 'unique_key') NOT BETWEEN 1 AND 200)
      THEN 'unique_key must be a string of 1 to 200 characters'
    WHEN p_spec ? 'rate_key' AND (pg_catalog.jsonb_typeof(p_spec -> 'rate_key') <> 'string'
         OR pg_catalog.length(p_spec ->> 'rate_key') NOT BETWEEN 1 AND 200)
      THEN 'rate_key must be a string of 1 to 200 characters'
    WHEN p_spec ? 'trace_id' AND (pg_catalog.jsonb_typeof(p_spec -> 'trace_id') <> 'string'
         OR pg_catalog.length(p_spec ->> 'trace_id') > 64)
      THEN 'trace_id must be a string of up to 64 characters'
    END
$_$;

ALTER FUNCTION queue.job_spec_problem(p_spec jsonb) OWNER TO claw_owner;

--
-- Name: lease_context(uuid, uuid); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.lease_context(p_job_id uuid, p_lease_token uuid) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid;
BEGIN
  SELECT j.tenant_id INTO v_tenant FROM queue.jobs AS j
  WHERE j.job_id = p_job_id AND j.lease_token = p_lease_token AND j.state = 'running'
    AND j.lease_expires_at >= internal.now();
  IF v_tenant IS NULL THEN
    PERFORM internal.clear_context();
    PERFORM queue.stale_lease('act_as_job', ARRAY[p_job_id], p_lease_token);
  END IF;
  PERFORM internal.set_context(v_tenant, NULL, '{worker}', '{*}', 'job:' || p_job_id::text);
  RETURN v_tenant;
END
$$;

ALTER FUNCTION queue.lease_context(p_job_id uuid, p_lease_token uuid) OWNER TO claw_dispatcher;

--
-- Name: local_to_utc(timestamp without time zone, text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.local_to_utc(p_local timestamp without time zone, p_zone text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_guess timestamptz;
  v_best timestamptz;
  v_cand timestamptz;
  v_off interval;
  v_offs interval[];
  v_lo bigint;
  v_hi bigint;
  v_mid bigint;
BEGIN
  BEGIN
    v_guess := p_local AT TIME ZONE p_zone;
  EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown time zone',
      DETAIL = pg_catalog.format('%L is not a time zone', p_zone),
      HINT = 'e.g. Australia/Sydney, America/New_York, UTC';
  END;
  -- the offsets in force around it (transitions are months apart)
  SELECT pg_catalog.array_agg(DISTINCT (u AT TIME ZONE p_zone) - (u AT TIME ZONE 'UTC'))
    INTO v_offs
  FROM pg_catalog.unnest(ARRAY[v_guess - interval '1 day', v_guess,
                               v_guess + interval '1 day']) AS u;
  FOREACH v_off IN ARRAY v_offs LOOP
    v_cand := (p_local - v_off) AT TIME ZONE 'UTC';
    IF (v_cand AT TIME ZONE p_zone) = p_local AND (v_best IS NULL OR v_cand < v_best) THEN
      v_best := v_cand;  -- a valid reading; the earliest is the first occurrence
    END IF;
  END LOOP;
  IF v_best IS NOT NULL THEN
    RETURN v_best;
  END IF;
  -- A gap: the first instant whose local time is past p_local is the transition. It lies
  -- between the readings with the largest and the smallest offset; binary search by second.
  v_lo := EXTRACT(EPOCH FROM (p_local - (SELECT max(o) FROM pg_catalog.unnest(v_offs) AS o))
                             AT TIME ZONE 'UTC')::bigint;
  v_hi := EXTRACT(EPOCH FROM (p_local - (SELECT min(o) FROM pg_catalog.unnest(v_offs) AS o))
                             AT TIME ZONE 'UTC')::bigint;
  WHILE v_lo < v_hi LOOP
    v_mid := (v_lo + v_hi) / 2;
    IF (pg_catalog.to_timestamp(v_mid) AT TIME ZONE p_zone) > p_local THEN
      v_hi := v_mid;
    ELSE
      v_lo := v_mid + 1;
    END IF;
  END LOOP;
  RETURN pg_catalog.to_timestamp(v_lo);
END
$$;

ALTER FUNCTION queue.local_to_utc(p_local timestamp without time zone, p_zone text) OWNER TO claw_owner;

--
-- Name: maintain_history(integer); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.maintain_history(p_retention_days integer) RETURNS text[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
  v_today date := (internal.now() AT TIME ZONE 'UTC')::date;
  v_day date;
  v_name text;
  v_from timestamptz;
  v_to timestamptz;
  v_moved bigint;
  v_part record;
  v_done text[] := '{}';
BEGIN
  IF p_retention_days IS NULL OR p_retention_days NOT BETWEEN 1 AND 3650 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid retention',
      DETAIL = pg_catalog.format('p_retention_days must be 1 to 3650, not %s', p_retention_days),
      HINT = 'finished jobs are kept this many days';
  END IF;
  FOR v_day IN SELECT d::date FROM pg_catalog.generate_series(
                 v_today - 1, v_today + 3, interval '1 day') AS d LOOP
    v_name := 'job_history_p' || pg_catalog.to_char(v_day, 'YYYYMMDD');
    CONTINUE WHEN pg_catalog.to_regclass('queue.' || v_name) IS NOT NULL;
    v_from := v_day::timestamp AT TIME ZONE 'UTC';
    v_to := (v_day + 1)::timestamp AT TIME ZONE 'UTC';
    EXECUTE pg_catalog.format('CREATE TABLE queue.%I (LIKE queue.job_history INCLUDING DEFAULTS '
                              'INCLUDING CONSTRAINTS)', v_name);
    EXECUTE pg_catalog.format('ALTER TABLE queue.%I ENABLE ROW LEVEL SECURITY', v_name);
    -- strays from the default partition, before FORCE (the owner still writes past RLS)
    EXECUTE pg_catalog.format(
      'INSERT INTO queue.%I SELECT * FROM queue.take_history_strays($1, $2)', v_name)
      USING v_from, v_to;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    EXECUTE pg_catalog.format('ALTER TABLE queue.%I FORCE ROW LEVEL SECURITY', v_name);
    PERFORM internal.ensure_tenant_policy(pg_catalog.format('queue.%I', v_name)::regclass);
    EXECUTE pg_catalog.format('ALTER TABLE queue.job_history ATTACH PARTITION queue.%I '
                              'FOR VALUES FROM (%L) TO (%L)', v_name, v_from, v_to);
    v_done := v_done || pg_catalog.format('created %s%s', v_name,
                CASE WHEN v_moved > 0 THEN pg_catalog.format(' (%s rows from default)', v_moved)
                     ELSE '' END);
  END LOOP;
  FOR v_part IN
    SELECT c.relname
    FROM pg_catalog.pg_inherits AS i
    JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'queue.job_history'::regclass
      AND c.relname ~ '^job_history_p[0-9]{8}$'
      AND pg_catalog.to_date(pg_catalog.right(c.relname, 8), 'YYYYMMDD') < v_today - p_retention_days
    ORDER BY c.relname
  LOOP
    EXECUTE pg_catalog.format('DROP TABLE queue.%I', v_part.relname);
    v_done := v_done || ('dropped ' || v_part.relname);
  END LOOP;
  RETURN v_done;
END
$_$;

ALTER FUNCTION queue.maintain_history(p_retention_days integer) OWNER TO claw_owner;

--
-- Name: next_fire(text, text, timestamp with time zone); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.next_fire(p_cron text, p_zone text, p_after timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_c jsonb := queue.parse_cron(p_cron);
  v_minutes integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'minutes')::integer);
  v_hours integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'hours')::integer);
  v_days integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'days')::integer);
  v_months integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'months')::integer);
  v_dows integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'dows')::integer);
  v_dom_star boolean := (v_c ->> 'dom_star')::boolean;
  v_dow_star boolean := (v_c ->> 'dow_star')::boolean;
  v_local timestamp;
  v_floor timestamp;
  v_day date;
  v_dom_ok boolean;
  v_dow_ok boolean;
  v_h integer;
  v_m integer;
  v_cand timestamp;
  v_at timestamptz;
BEGIN
  IF p_after IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'next_fire needs a start instant',
      DETAIL = 'p_after is NULL', HINT = 'pass now()';
  END IF;
  BEGIN
    v_local := p_after AT TIME ZONE p_zone;
  EXCEPTION WHEN invalid_parameter_value THEN
    PERFORM queue.check_time_zone(p_zone);
    RAISE;
  END;
  -- local slots more than 3 hours before p_after's local time cannot map after it (no zone
  -- shifts by more than 2 hours): skip them without converting. With the same offset 3 hours
  -- either side of p_after (no transition near it: nearly always), local time is UTC plus a
  -- fixed offset there, so no slot before p_after's local time maps after it either: start
  -- at that local time. An every-minute cron converted 180 candidates per call otherwise
  -- (1.5 ms a call; the tick counts a long outage's missed slots call by call).
  IF (p_after - interval '3 hours') AT TIME ZONE p_zone
       = (p_after - interval '3 hours') AT TIME ZONE 'UTC' + (v_local - (p_after AT TIME ZONE 'UTC'))
     AND (p_after + interval '3 hours') AT TIME ZONE p_zone
       = (p_after + interval '3 hours') AT TIME ZONE 'UTC' + (v_local - (p_after AT TIME ZONE 'UTC')) THEN
    v_floor := v_local;
  ELSE
    v_floor := v_local - interval '3 hours';
  END IF;
  v_day := v_floor::date;
  WHILE v_day <= v_local::date + 1830 LOOP
    IF EXTRACT(MONTH FROM v_day)::integer = ANY (v_months) THEN
      v_dom_ok := EXTRACT(DAY FROM v_day)::integer = ANY (v_days);
      v_dow_ok := EXTRACT(DOW FROM v_day)::integer = ANY (v_dows);
      -- Vixie: with both restricted, either matches; otherwise both (a * matches all)
      IF ((v_dom_star OR v_dow_star) AND v_dom_ok AND v_dow_ok)
         OR (NOT (v_dom_star OR v_dow_star) AND (v_dom_ok OR v_dow_ok)) THEN
        FOREACH v_h IN ARRAY v_hours LOOP
          CONTINUE WHEN v_day + pg_catalog.make_interval(hours => v_h, mins => 59) < v_floor;
          FOREACH v_m IN ARRAY v_minutes LOOP
            v_cand := v_day + pg_catalog.make_interval(hours => v_h, mins => v_m);
            CONTINUE WHEN v_cand < v_floor;
            v_at := queue.local_to_utc(v_cand, p_zone);
            IF v_at > p_after THEN
              RETURN v_at;
            END IF;
          END LOOP;
        END LOOP;
      END IF;
    END IF;
    v_day := v_day + 1;
  END LOOP;
  RETURN NULL;
END
$$;

ALTER FUNCTION queue.next_fire(p_cron text, p_zone text, p_after timestamp with time zone) OWNER TO claw_owner;

--
-- Name: note_waiting(text, text, boolean); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.note_waiting(p_queue text, p_worker text, p_waiting boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF NOT p_waiting THEN
    -- every queue's entry, not p_queue's alone: the worker's runners serve all its queues,
    -- so a claim of its next queue that fills them makes it busy for the queues it
    -- registered for earlier in the same round too (it would be woken alone for their jobs
    -- and take them into its buffer). The first runner to finish claims again and registers
    -- it where the queue is still empty (claw.worker: _rewait).
    -- Only when this session may have registered the worker since its last unregistration
    -- (claw.waiting_on, session-wide): a filter on the worker alone is a scan of every
    -- queue's waiting workers (the key is (queue, worker)), and at high throughput every
    -- claim is full. Entries of a predecessor under this name that this session never
    -- registered over are dropped by enqueues (nobody holds their liveness lock).
    IF pg_catalog.current_setting('claw.waiting_on', true) IS DISTINCT FROM p_worker THEN
      RETURN;
    END IF;
    PERFORM queue.drop_waiting(p_worker, NULL);
    PERFORM pg_catalog.set_config('claw.waiting_on', '', false);
    RETURN;
  END IF;
  IF pg_catalog.current_setting('claw.waiting_on', true) IS DISTINCT FROM p_worker THEN
    -- set before the registration, rolled back with it (a session setting is transactional)
    PERFORM pg_catalog.set_config('claw.waiting_on', p_worker, false);
  END IF;
  IF pg_catalog.current_setting('claw.waiting_as', true) IS DISTINCT FROM p_worker THEN
    IF NOT pg_catalog.pg_try_advisory_lock(queue.worker_lock_key(p_worker)) THEN
      RETURN;
    END IF;
    PERFORM pg_catalog.set_config('claw.waiting_as', p_worker, false);
  ELSIF EXISTS (SELECT 1 FROM internal.waiting_workers AS w
                WHERE w.queue = p_queue AND w.worker = p_worker) THEN
    RETURN;  -- registered already (the common case: one probe, no write)
  END IF;
  INSERT INTO internal.waiting_workers (queue, worker) VALUES (p_queue, p_worker)
  ON CONFLICT (queue, worker) DO NOTHING;
END
$$;

ALTER FUNCTION queue.note_waiting(p_queue text, p_worker text, p_waiting boolean) OWNER TO claw_owner;

--
-- Name: notify_tag(text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.notify_tag(p_queue text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT 'q' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('queue|' || p_queue, 'UTF8')), 'hex'), 24)
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$$;

ALTER FUNCTION queue.notify_tag(p_queue text) OWNER TO claw_owner;

--
-- Name: parse_cron(text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.parse_cron(p_expr text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_f text[] := pg_catalog.regexp_split_to_array(pg_catalog.btrim(coalesce(p_expr, '')), '[[:space:]]+');
BEGIN
  IF pg_catalog.cardinality(v_f) <> 5 OR v_f[1] = '' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cron expression',
      DETAIL = pg_catalog.format('%L has %s fields; a cron expression has 5: minute hour '
                                 'day-of-month month day-of-week', p_expr,
                                 CASE WHEN v_f[1] = '' THEN 0 ELSE pg_catalog.cardinality(v_f) END),
      HINT = '''0 6 * * *'' = 06:00 every day';
  END IF;
  RETURN pg_catalog.jsonb_build_object(
    'minutes', queue.cron_field(v_f[1], 'minute', 0, 59),
    'hours', queue.cron_field(v_f[2], 'hour', 0, 23),
    'days', queue.cron_field(v_f[3], 'day-of-month', 1, 31),
    'months', queue.cron_field(v_f[4], 'month', 1, 12,
                               '{jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec}'),
    'dows', queue.cron_field(v_f[5], 'day-of-week', 0, 7, '{sun,mon,tue,wed,thu,fri,sat}'),
    'dom_star', v_f[3] = '*' OR v_f[3] LIKE '*/%',
    'dow_star', v_f[5] = '*' OR v_f[5] LIKE '*/%');
END
$$;

ALTER FUNCTION queue.parse_cron(p_expr text) OWNER TO claw_owner;

--
-- Name: jobs; Type: TABLE; Schema: queue; Owner: claw_owner
--

CREATE TABLE queue.jobs (
    tenant_id uuid NOT NULL,
    job_id uuid DEFAULT uuidv7() NOT NULL,
    queue queue.queue_name NOT NULL,
    kind queue.job_kind NOT NULL,
    payload queue."json_object" DEFAULT '{}'::jsonb NOT NULL,
    priority smallint DEFAULT 0 NOT NULL,
    fair_key bigint,
    state text NOT NULL,
    run_at timestamp with time zone NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    unique_key text,
    rate_key text,
    lease_token uuid,
    lease_holder text,
    lease_expires_at timestamp with time zone,
    errors queue."json_array" DEFAULT '[]'::jsonb NOT NULL,
    trace_id text,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    cancel_requested_at timestamp with time zone,
    CONSTRAINT jobs_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT jobs_check CHECK (((state = 'running'::text) = ((lease_token IS NOT NULL) AND (lease_expires_at IS NOT NULL) AND (lease_holder IS NOT NULL)))),
    CONSTRAINT jobs_fair_key_when_due CHECK (((fair_key IS NOT NULL) OR (state = 'scheduled'::text))),
    CONSTRAINT jobs_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 100))),
    CONSTRAINT jobs_priority_check CHECK (((priority >= '-100'::integer) AND (priority <= 100))),
    CONSTRAINT jobs_rate_key_check CHECK (((length(rate_key) >= 1) AND (length(rate_key) <= 200))),
    CONSTRAINT jobs_state_check CHECK ((state = ANY (ARRAY['scheduled'::text, 'available'::text, 'running'::text, 'dead'::text]))),
    CONSTRAINT jobs_trace_id_check CHECK ((length(trace_id) <= 64)),
    CONSTRAINT jobs_unique_key_check CHECK (((length(unique_key) >= 1) AND (length(unique_key) <= 200)))
)
WITH (fillfactor='70', autovacuum_vacuum_scale_factor='0.01', autovacuum_vacuum_insert_scale_factor='0.01', autovacuum_analyze_scale_factor='0.02', autovacuum_vacuum_cost_delay='0', autovacuum_vacuum_threshold='1000');

ALTER TABLE ONLY queue.jobs FORCE ROW LEVEL SECURITY;

ALTER TABLE queue.jobs OWNER TO claw_owner;

--
-- Name: record_history(queue.jobs[], text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.record_history(p_jobs queue.jobs[], p_outcome text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_n integer;
BEGIN
  INSERT INTO queue.job_history (tenant_id, job_id, queue, kind, payload, priority, outcome,
                                 attempts, max_attempts, unique_key, errors, trace_id,
                                 lease_holder, enqueued_at, started_at, finished_at)
  SELECT d.tenant_id, d.job_id, d.queue, d.kind, d.payload, d.priority, p_outcome, d.attempts,
         d.max_attempts, d.unique_key, d.errors, d.trace_id, d.lease_holder, d.enqueued_at,
         d.started_at, internal.now()
  FROM pg_catalog.unnest(p_jobs) AS d;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

ALTER FUNCTION queue.record_history(p_jobs queue.jobs[], p_outcome text) OWNER TO claw_owner;

--
-- Name: release_jobs(uuid[], uuid); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.release_jobs(p_job_ids uuid[], p_lease_token uuid) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_n integer;
  v_cancelled integer;
BEGIN
  v_cancelled := queue.end_cancelled(p_job_ids, p_lease_token);
  UPDATE queue.jobs AS j
  SET state = 'available', attempts = j.attempts - 1,
      lease_token = NULL, lease_holder = NULL, lease_expires_at = NULL
  WHERE j.lease_token = p_lease_token AND j.state = 'running' AND j.job_id = ANY (p_job_ids);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  PERFORM pg_catalog.pg_notify('claw_queue', queue.notify_tag(q.queue))
  FROM (SELECT DISTINCT j.queue FROM queue.jobs AS j WHERE j.job_id = ANY (p_job_ids)) AS q
  WHERE v_n > 0;
  RETURN v_n + v_cancelled;
END
$$;

ALTER FUNCTION queue.release_jobs(p_job_ids uuid[], p_lease_token uuid) OWNER TO claw_dispatcher;

--
-- Name: require_job(uuid, text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.require_job(p_job_id uuid, p_action text) RETURNS queue.jobs
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_job queue.jobs;
BEGIN
  SELECT j.* INTO v_job FROM queue.jobs AS j
  WHERE j.tenant_id = internal.current_tenant_id() AND j.job_id = p_job_id
  FOR UPDATE;
  IF FOUND THEN
    RETURN v_job;
  END IF;
  IF EXISTS (SELECT 1 FROM queue.job_history AS h
             WHERE h.tenant_id = internal.current_tenant_id() AND h.job_id = p_job_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'job already finished',
      DETAIL = pg_catalog.format('job %s has finished; cannot %s it', p_job_id, p_action),
      HINT = 'api.get_job shows its outcome';
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'job not found',
    DETAIL = pg_catalog.format('no job %s in this tenant', p_job_id),
    HINT = 'check the job id';
END
$$;

ALTER FUNCTION queue.require_job(p_job_id uuid, p_action text) OWNER TO claw_owner;

--
-- Name: set_rate_limit(text, numeric, integer); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.set_rate_limit(p_rate_key text, p_per_second numeric, p_burst integer DEFAULT NULL::integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF p_rate_key IS NULL OR pg_catalog.length(p_rate_key) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rate key',
      DETAIL = 'a rate key is 1 to 200 characters', HINT = 'e.g. simpro:api.example.com';
  END IF;
  IF p_per_second IS NULL THEN
    DELETE FROM internal.rate_limits AS r WHERE r.rate_key = p_rate_key;
    RETURN;
  END IF;
  IF p_per_second <= 0 OR coalesce(p_burst, 1) < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid rate limit',
      DETAIL = pg_catalog.format('per_second %s, burst %s', p_per_second, p_burst),
      HINT = 'per_second > 0 and burst >= 1 (default: per_second rounded up)';
  END IF;
  INSERT INTO internal.rate_limits AS r (rate_key, per_second, burst, tokens, refilled_at)
  VALUES (p_rate_key, p_per_second, coalesce(p_burst, pg_catalog.ceil(p_per_second)::integer),
          coalesce(p_burst, pg_catalog.ceil(p_per_second)::integer), internal.now())
  ON CONFLICT (rate_key) DO UPDATE
    SET per_second = excluded.per_second, burst = excluded.burst,
        tokens = LEAST(r.tokens, excluded.burst), updated_at = internal.now();
END
$$;

ALTER FUNCTION queue.set_rate_limit(p_rate_key text, p_per_second numeric, p_burst integer) OWNER TO claw_owner;

--
-- Name: stale_lease(text, uuid[], uuid); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.stale_lease(p_what text, p_job_ids uuid[], p_lease_token uuid) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'lease not held',
    DETAIL = pg_catalog.format('%s: lease %s no longer holds job(s) %s (the lease expired and '
                               'another worker took over, or the job already finished)',
                               p_what, p_lease_token, p_job_ids),
    HINT = 'drop the result; heartbeat more often than the lease length for long jobs';
END
$$;

ALTER FUNCTION queue.stale_lease(p_what text, p_job_ids uuid[], p_lease_token uuid) OWNER TO claw_owner;

--
-- Name: stats(); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.stats() RETURNS TABLE(queue text, state text, jobs bigint, oldest_run_at timestamp with time zone, paused boolean, concurrency_limit integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT coalesce(q.queue, j.queue), j.state, coalesce(j.jobs, 0), j.oldest_run_at,
         q.paused_at IS NOT NULL, q.concurrency_limit
  FROM internal.queues AS q
  FULL JOIN (SELECT jq.queue, jq.state, pg_catalog.count(*) AS jobs,
                    pg_catalog.min(jq.run_at) AS oldest_run_at
             FROM queue.jobs AS jq GROUP BY jq.queue, jq.state) AS j ON j.queue = q.queue
  ORDER BY 1, 2
$$;

ALTER FUNCTION queue.stats() OWNER TO claw_dispatcher;

--
-- Name: take_fair_keys(uuid, text, smallint, integer); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.take_fair_keys(p_tenant_id uuid, p_queue text, p_priority smallint, p_n integer) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_key bigint;
  v_head bigint;
BEGIN
  -- One lock order for a tenant's enqueues into a queue, whatever the priorities: the
  -- (tenant, queue, priority 0) row first. Without it two transactions of one tenant that
  -- enqueue at priorities 0 and 1 in opposite orders each hold one cursor row and wait for
  -- the other's (a deadlock); with it they take turns, as with one cursor per queue.
  IF p_priority <> 0 THEN
    PERFORM 1 FROM queue.tenant_cursors AS c
    WHERE c.tenant_id = p_tenant_id AND c.queue = p_queue AND c.priority = 0
    FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO queue.tenant_cursors AS c (tenant_id, queue, priority, last_key)
      VALUES (p_tenant_id, p_queue, 0, 0)
      ON CONFLICT (tenant_id, queue, priority) DO UPDATE SET last_key = c.last_key;
    END IF;
  END IF;
  IF p_n = 0 THEN
    INSERT INTO queue.tenant_cursors AS c (tenant_id, queue, priority, last_key)
    VALUES (p_tenant_id, p_queue, p_priority, 0)
    ON CONFLICT (tenant_id, queue, priority) DO NOTHING;
    RETURN NULL;
  END IF;
  UPDATE queue.tenant_cursors AS c
  SET last_key = GREATEST(c.last_key, queue.fair_head(p_queue, p_priority)) + p_n
  WHERE c.tenant_id = p_tenant_id AND c.queue = p_queue AND c.priority = p_priority
  RETURNING c.last_key INTO v_key;
  IF FOUND THEN
    RETURN v_key;
  END IF;
  v_head := queue.fair_head(p_queue, p_priority);
  INSERT INTO queue.tenant_cursors AS c (tenant_id, queue, priority, last_key)
  VALUES (p_tenant_id, p_queue, p_priority, v_head + p_n)
  ON CONFLICT (tenant_id, queue, priority) DO UPDATE SET last_key = GREATEST(c.last_key, v_head) + p_n
  RETURNING c.last_key INTO STRICT v_key;
  RETURN v_key;
END
$$;

ALTER FUNCTION queue.take_fair_keys(p_tenant_id uuid, p_queue text, p_priority smallint, p_n integer) OWNER TO claw_dispatcher;

--
-- Name: job_history; Type: TABLE; Schema: queue; Owner: claw_owner
--

CREATE TABLE queue.job_history (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    queue text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    priority smallint NOT NULL,
    outcome text NOT NULL,
    attempts integer NOT NULL,
    max_attempts integer NOT NULL,
    unique_key text,
    errors jsonb NOT NULL,
    trace_id text,
    lease_holder text,
    enqueued_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone NOT NULL,
    CONSTRAINT job_history_outcome_check CHECK ((outcome = ANY (ARRAY['completed'::text, 'cancelled'::text])))
)
PARTITION BY RANGE (finished_at);

ALTER TABLE ONLY queue.job_history FORCE ROW LEVEL SECURITY;

ALTER TABLE queue.job_history OWNER TO claw_owner;

--
-- Name: job_history_default; Type: TABLE; Schema: queue; Owner: claw_owner
--

CREATE TABLE queue.job_history_default (
    tenant_id uuid CONSTRAINT job_history_tenant_id_not_null NOT NULL,
    job_id uuid CONSTRAINT job_history_job_id_not_null NOT NULL,
    queue text CONSTRAINT job_history_queue_not_null NOT NULL,
    kind text CONSTRAINT job_history_kind_not_null NOT NULL,
    payload jsonb CONSTRAINT job_history_payload_not_null NOT NULL,
    priority smallint CONSTRAINT job_history_priority_not_null NOT NULL,
    outcome text CONSTRAINT job_history_outcome_not_null NOT NULL,
    attempts integer CONSTRAINT job_history_attempts_not_null NOT NULL,
    max_attempts integer CONSTRAINT job_history_max_attempts_not_null NOT NULL,
    unique_key text,
    errors jsonb CONSTRAINT job_history_errors_not_null NOT NULL,
    trace_id text,
    lease_holder text,
    enqueued_at timestamp with time zone CONSTRAINT job_history_enqueued_at_not_null NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone CONSTRAINT job_history_finished_at_not_null NOT NULL,
    CONSTRAINT job_history_outcome_check CHECK ((outcome = ANY (ARRAY['completed'::text, 'cancelled'::text])))
);

ALTER TABLE ONLY queue.job_history_default FORCE ROW LEVEL SECURITY;

ALTER TABLE queue.job_history_default OWNER TO claw_owner;

--
-- Name: take_history_strays(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.take_history_strays(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF queue.job_history_default
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  DELETE FROM queue.job_history_default AS h
  WHERE h.finished_at >= p_from AND h.finished_at < p_to
  RETURNING h.*
$$;

ALTER FUNCTION queue.take_history_strays(p_from timestamp with time zone, p_to timestamp with time zone) OWNER TO claw_dispatcher;

--
-- Name: tg_jobs__notify(); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.tg_jobs__notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM queue.wake_workers(q.queue, q.n)
  FROM (SELECT n.queue, pg_catalog.count(*) AS n FROM new_rows AS n
        WHERE n.state = 'available' GROUP BY n.queue) AS q;
  RETURN NULL;
END
$$;

ALTER FUNCTION queue.tg_jobs__notify() OWNER TO claw_owner;

--
-- Name: tick_schedules(integer); Type: FUNCTION; Schema: queue; Owner: claw_dispatcher
--

CREATE FUNCTION queue.tick_schedules(p_limit integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_now timestamptz := internal.now();
  v_s record;
  v_fire timestamptz;
  v_next timestamptz;
  v_missed integer;
  v_more boolean;
  v_job uuid;
  v_fired integer := 0;
  v_this integer;
  v_batch integer;
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
  v_lock_timeout CONSTANT text := pg_catalog.current_setting('lock_timeout');
  v_busy_tenant uuid;
  v_busy_queue text;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid tick size',
      DETAIL = pg_catalog.format('p_limit must be 1 to 10000, not %s', p_limit),
      HINT = 'the default (100) suits a worker that ticks every second';
  END IF;
  FOR v_s IN
    WITH due AS MATERIALIZED (  -- which: the longest due, whatever their tenant
      SELECT s.tenant_id, s.schedule_id, s.cron, s.time_zone, s.queue, s.kind, s.payload,
             s.catch_up, s.next_fire_at
      FROM queue.schedules AS s
      WHERE NOT s.paused AND s.next_fire_at <= v_now
      ORDER BY s.next_fire_at
      LIMIT p_limit
      FOR UPDATE SKIP LOCKED
    )
    SELECT * FROM due
    ORDER BY due.tenant_id, due.queue, due.next_fire_at, due.schedule_id  -- the lock order
  LOOP
    CONTINUE WHEN v_s.tenant_id = v_busy_tenant AND v_s.queue = v_busy_queue;
    BEGIN  -- one subtransaction per schedule
      PERFORM pg_catalog.set_config('lock_timeout', '50ms', true);
      v_fire := v_s.next_fire_at;
      v_batch := 0;
      v_this := 0;
      LOOP
        -- the slots after v_fire that are also already due
        v_next := queue.next_fire(v_s.cron, v_s.time_zone, v_fire);
        v_missed := 0;
        v_more := false;
        IF NOT v_s.catch_up THEN
          WHILE v_next IS NOT NULL AND v_next <= v_now AND v_missed < 1000 LOOP
            v_missed := v_missed + 1;
            v_next := queue.next_fire(v_s.cron, v_s.time_zone, v_next);
          END LOOP;
          -- more than that are not counted: on to the first slot after now (the count used to
          -- stop at 100,000 with the slot it reached still due, which fired a second time)
          IF v_next IS NOT NULL AND v_next <= v_now THEN
            v_next := queue.next_fire(v_s.cron, v_s.time_zone, v_now);
            v_more := true;
          END IF;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM queue.schedule_fires AS f
                       WHERE f.tenant_id = v_s.tenant_id AND f.schedule_id = v_s.schedule_id
                         AND f.fire_at = v_fire) THEN
          SELECT i.job_id INTO STRICT v_job
          FROM queue.insert_jobs(v_s.tenant_id, pg_catalog.jsonb_build_array(
                 pg_catalog.jsonb_build_object(
                   'queue', v_s.queue, 'kind', v_s.kind,
                   'payload', v_s.payload || pg_catalog.jsonb_build_object(
                     'schedule_id', v_s.schedule_id, 'fire_at', v_fire, 'missed', v_missed)
                     || CASE WHEN v_more THEN '{"missed_more": true}'::jsonb
                             ELSE '{}'::jsonb END))) AS i;
          INSERT INTO queue.schedule_fires (tenant_id, schedule_id, fire_at, job_id, missed,
                                            fired_at)
          VALUES (v_s.tenant_id, v_s.schedule_id, v_fire, v_job, v_missed, v_now);
          v_this := v_this + 1;
        END IF;
        v_batch := v_batch + 1;
        v_fire := v_next;
        EXIT WHEN v_fire IS NULL OR v_fire > v_now OR v_batch >= 1000;
      END LOOP;
      UPDATE queue.schedules AS s SET next_fire_at = v_fire, last_fired_at = v_now
      WHERE s.tenant_id = v_s.tenant_id AND s.schedule_id = v_s.schedule_id;
      PERFORM pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
      v_fired := v_fired + v_this;  -- last: counted only when the block commits
    EXCEPTION
      WHEN lock_not_available THEN  -- the rollback restored lock_timeout
        -- busy (a tenant's open enqueue holds the cursor): due still, a later tick fires it
        v_busy_tenant := v_s.tenant_id;
        v_busy_queue := v_s.queue;
      WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        IF pg_catalog.left(v_state, 2) IN ('40', '53', '57', '58', 'XX') THEN
          RAISE;  -- not this schedule's fault: the whole tick fails, as before
        END IF;
        -- the block rolled back; the row is still locked by the tick's scan
        UPDATE queue.schedules AS s
        SET paused = true,
            last_error = pg_catalog.jsonb_build_object(
              'sqlstate', v_state, 'message', v_message, 'detail', NULLIF(v_detail, ''),
              'hint', NULLIF(v_hint, ''), 'fire_at', v_s.next_fire_at, 'at', v_now)
        WHERE s.tenant_id = v_s.tenant_id AND s.schedule_id = v_s.schedule_id;
    END;
  END LOOP;
  RETURN v_fired;
END
$$;

ALTER FUNCTION queue.tick_schedules(p_limit integer) OWNER TO claw_dispatcher;

--
-- Name: wake_workers(text, bigint); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.wake_workers(p_queue text, p_jobs bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tag text := queue.notify_tag(p_queue);
  v_woken bigint := 0;
  v_again bigint := 0;
  v_w record;
  -- the workers this transaction has woken for this queue already (',' || key || ',' ...),
  -- so that a transaction enqueueing job by job (one statement each: a producer's loop, a
  -- flow step's follow-ups) wakes one worker per job as one statement of those jobs does,
  -- not the first registered worker for every one (it would take them all, and the other
  -- waiting workers would sleep out their poll)
  v_seen text := coalesce(NULLIF(pg_catalog.current_setting('claw.woken', true), ''), ',');
  -- a (queue, worker) pair's key: its entry in claw.woken and its reservation lock (below)
  v_key bigint;
  -- the worker this session registered, if any (queue.note_waiting): a worker that enqueues
  -- over the session that claims holds its own liveness lock, and the try below would take
  -- that lock (a session never conflicts with itself) for a sign that it is gone. Anyone can
  -- set the name (SET claw.waiting_as), so it is believed only when this session holds that
  -- worker's liveness lock (pg_locks, below): a producer naming a gone worker would otherwise
  -- wake it alone and keep its entry, and the job would wait for another worker's poll.
  v_self text := pg_catalog.current_setting('claw.waiting_as', true);
  -- live workers that another open transaction has woken for this queue (see below)
  v_taken bigint[] := '{}';
  v_taken_worker text[] := '{}';
BEGIN
  FOR v_w IN
    SELECT w.worker FROM internal.waiting_workers AS w
    WHERE w.queue = p_queue
    ORDER BY w.since, w.worker
    -- a few gone workers ahead of the live ones are dropped; those woken already skipped
    LIMIT LEAST(p_jobs, 64) + 8
          + pg_catalog.length(v_seen) - pg_catalog.length(pg_catalog.replace(v_seen, ',', ''))
  LOOP
    v_key := pg_catalog.hashtextextended('claw wake|' || p_queue || '|' || v_w.worker, 0);
    IF pg_catalog.strpos(v_seen, ',' || v_key::text || ',') > 0 THEN
      v_again := v_again + 1;  -- woken by an earlier statement of this transaction
      CONTINUE;
    END IF;
    IF (v_w.worker IS DISTINCT FROM v_self OR NOT queue.holds_liveness_lock(v_w.worker))
       AND pg_catalog.pg_try_advisory_xact_lock_shared(queue.worker_lock_key(v_w.worker)) THEN
      -- nobody holds the worker's lock: its session has ended. Drop the entry, unless
      -- another enqueue is dropping it
      PERFORM queue.drop_waiting(v_w.worker, p_queue);
      CONTINUE;
    END IF;
    -- Taken for this transaction until it ends: two producers committing at once would
    -- otherwise both wake the longest registered worker, and the other waiting workers would
    -- sleep. One that another open transaction has taken is woken only when no other is
    -- free (that transaction may still roll back: its wake-up is not certain).
    IF NOT pg_catalog.pg_try_advisory_xact_lock(v_key) THEN
      v_taken := v_taken || v_key;
      v_taken_worker := v_taken_worker || v_w.worker;
      CONTINUE;
    END IF;
    PERFORM pg_catalog.pg_notify(queue.worker_channel(v_w.worker), v_tag);
    v_seen := v_seen || v_key::text || ',';
    v_woken := v_woken + 1;
    EXIT WHEN v_woken >= p_jobs;
  END LOOP;
  FOR i IN 1 .. LEAST(pg_catalog.cardinality(v_taken), p_jobs - v_woken) LOOP
    PERFORM pg_catalog.pg_notify(queue.worker_channel(v_taken_worker[i]), v_tag);
    v_seen := v_seen || v_taken[i]::text || ',';
    v_woken := v_woken + 1;
  END LOOP;
  IF v_woken > 0 THEN
    PERFORM pg_catalog.set_config('claw.woken', v_seen, true);  -- until the transaction ends
  ELSIF v_again = 0 THEN
    -- nobody waits (every live waiting worker woken by this transaction already counts:
    -- as a statement of more jobs than waiting workers, no broadcast to the busy ones)
    PERFORM pg_catalog.pg_notify('claw_queue', v_tag);
  END IF;
END
$$;

ALTER FUNCTION queue.wake_workers(p_queue text, p_jobs bigint) OWNER TO claw_owner;

--
-- Name: worker_channel(text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.worker_channel(p_worker text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT 'claw_w_' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
           pg_catalog.convert_to(p_worker, 'UTF8')), 'hex'), 32)
$$;

ALTER FUNCTION queue.worker_channel(p_worker text) OWNER TO claw_owner;

--
-- Name: worker_lock_key(text); Type: FUNCTION; Schema: queue; Owner: claw_owner
--

CREATE FUNCTION queue.worker_lock_key(p_worker text) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT pg_catalog.hashtextextended('claw worker|' || p_worker, 0) $$;

ALTER FUNCTION queue.worker_lock_key(p_worker text) OWNER TO claw_owner;

--
-- Name: add_jwt_issuer(uuid, text, text, integer, text); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.add_jwt_issuer(p_tenant_id uuid, p_issuer text, p_audience text, p_max_skew_seconds integer DEFAULT 60, p_jwks_url text DEFAULT NULL::text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_id uuid := pg_catalog.uuidv7();
BEGIN
  IF p_issuer IS NULL OR pg_catalog.length(p_issuer) NOT BETWEEN 1 AND 500
     OR p_audience IS NULL OR pg_catalog.length(p_audience) NOT BETWEEN 1 AND 500
     OR p_max_skew_seconds IS NULL OR p_max_skew_seconds NOT BETWEEN 0 AND 300
     OR NOT tenancy.valid_jwks_url(p_jwks_url) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWT issuer',
      DETAIL = 'issuer and audience are 1-500 characters, the skew 0-300 seconds, the JWKS '
               'URL https (http only on this host: 127.0.0.1, ::1 or localhost), at most '
               '2000 characters',
      HINT = 'the issuer is the iss claim exactly; the audience one value of aud';
  END IF;
  -- the pair first: two operators adding it at once both passed the check below and the
  -- second got the routes' raw 23505
  PERFORM internal.lock_named(pg_catalog.format('tenancy.jwt_route|%s|%s', p_issuer, p_audience),
                              true);
  IF EXISTS (SELECT 1 FROM internal.jwt_routes AS r
             WHERE r.issuer = p_issuer AND r.audience = p_audience) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'JWT issuer and audience already registered',
      DETAIL = 'this (iss, aud) pair already routes tokens to a tenant',
      HINT = 'each tenant needs its own audience (client id) at the identity provider';
  END IF;
  PERFORM internal.set_context(p_tenant_id, NULL, '{system}');
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.tenant_id = p_tenant_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'tenant not found',
      DETAIL = pg_catalog.format('no tenant %s', p_tenant_id), HINT = 'check the tenant id';
  END IF;
  INSERT INTO tenancy.jwt_issuers (tenant_id, jwt_issuer_id, issuer, audience, max_skew_seconds,
                                   jwks_url)
  VALUES (p_tenant_id, v_id, p_issuer, p_audience, p_max_skew_seconds, p_jwks_url);
  INSERT INTO internal.jwt_routes (issuer, audience, tenant_id, jwt_issuer_id)
  VALUES (p_issuer, p_audience, p_tenant_id, v_id);
  RETURN v_id;
END
$$;

ALTER FUNCTION tenancy.add_jwt_issuer(p_tenant_id uuid, p_issuer text, p_audience text, p_max_skew_seconds integer, p_jwks_url text) OWNER TO claw_owner;

--
-- Name: FUNCTION add_jwt_issuer(p_tenant_id uuid, p_issuer text, p_audience text, p_max_skew_seconds integer, p_jwks_url text); Type: COMMENT; Schema: tenancy; Owner: claw_owner
--

COMMENT ON FUNCTION tenancy.add_jwt_issuer(p_tenant_id uuid, p_issuer text, p_audience text, p_max_skew_seconds integer, p_jwks_url text) IS 'Operator: accept RS256 tokens of an issuer for an audience in a tenant (the pair unique across tenants); returns the issuer id.';

--
-- Name: api_key_credential(uuid, uuid); Type: FUNCTION; Schema: tenancy; Owner: claw_authenticator
--

CREATE FUNCTION tenancy.api_key_credential(p_tenant_id uuid, p_api_key_id uuid) RETURNS TABLE(api_key_id uuid, principal_id uuid, secret_hash bytea, scopes text[], expires_at timestamp with time zone, revoked_at timestamp with time zone, last_used_at timestamp with time zone, disabled_at timestamp with time zone, roles text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  SELECT k.api_key_id, k.principal_id, k.secret_hash, k.scopes, k.expires_at, k.revoked_at,
         k.last_used_at, p.disabled_at,
         coalesce((SELECT pg_catalog.array_agg(m.role ORDER BY m.role)
                   FROM tenancy.memberships AS m
                   WHERE m.tenant_id = k.tenant_id AND m.principal_id = k.principal_id),
                  '{}')
  FROM tenancy.api_keys AS k
  JOIN tenancy.principals AS p ON p.tenant_id = k.tenant_id AND p.principal_id = k.principal_id
  WHERE k.tenant_id = p_tenant_id AND k.api_key_id = p_api_key_id
$$;

ALTER FUNCTION tenancy.api_key_credential(p_tenant_id uuid, p_api_key_id uuid) OWNER TO claw_authenticator;

--
-- Name: configure_jwt_issuer(uuid, integer, text); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.configure_jwt_issuer(p_jwt_issuer_id uuid, p_max_skew_seconds integer, p_jwks_url text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
BEGIN
  IF p_max_skew_seconds IS NULL OR p_max_skew_seconds NOT BETWEEN 0 AND 300
     OR NOT tenancy.valid_jwks_url(p_jwks_url) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWT issuer',
      DETAIL = 'the skew is 0-300 seconds, the JWKS URL https (http only on this host: '
               '127.0.0.1, ::1 or localhost)',
      HINT = 'a small skew (60 s) tolerates clocks that drift; more only widens replay windows';
  END IF;
  UPDATE tenancy.jwt_issuers AS i
  SET max_skew_seconds = p_max_skew_seconds, jwks_url = coalesce(p_jwks_url, i.jwks_url)
  WHERE i.tenant_id = v_tenant AND i.jwt_issuer_id = p_jwt_issuer_id;
END
$$;

ALTER FUNCTION tenancy.configure_jwt_issuer(p_jwt_issuer_id uuid, p_max_skew_seconds integer, p_jwks_url text) OWNER TO claw_owner;

--
-- Name: FUNCTION configure_jwt_issuer(p_jwt_issuer_id uuid, p_max_skew_seconds integer, p_jwks_url text); Type: COMMENT; Schema: tenancy; Owner: claw_owner
--

COMMENT ON FUNCTION tenancy.configure_jwt_issuer(p_jwt_issuer_id uuid, p_max_skew_seconds integer, p_jwks_url text) IS 'Operator: set an issuer''s allowed clock skew on exp/nbf/iat (0-300 s) and its JWKS URL.';

--
-- Name: create_tenant(text, text, text, text); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
       SELECT 1 FROM pg_catalog.unnest(p_scopes) AS s
       WHERE s IS NULL OR NOT s = ANY (internal.scopes())) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid scopes',
      DETAIL = pg_catalog.format('scopes %s%s', p_scopes, (
        SELECT ': ' || pg_catalog.string_agg(coalesce(pg_catalog.quote_literal(s), 'NULL'), ', ')
                    || ' not known'
        FROM pg_catalog.unnest(p_scopes) AS s WHERE s IS NULL OR NOT s = ANY (internal.scopes()))),
      HINT = pg_catalog.format('a key needs at least one of %s', internal.scopes());
  END IF;
  api_key_id := pg_catalog.uuidv7();
  v_secret := pg_catalog.translate(pg_catalog.rtrim(pg_catalog.encode(
    pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
    || pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 'base64'), '='), '+/', '-_');
  BEGIN
    INSERT INTO tenancy.api_keys (tenant_id, api_key_id, principal_id, name, prefix,
                                  secret_hash, scopes, expires_at)
    VALUES (v_tenant, api_key_id, p_principal_id, p_name,
            'ck_' || pg_catalog.left(pg_catalog.replace(api_key_id::text, '-', ''), 12),
            pg_catalog.sha256(pg_catalog.convert_to(v_secret, 'UTF8')), p_scopes, p_expires_at);
  EXCEPTION
    WHEN unique_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'key name taken',
        DETAIL = pg_catalog.format('the name %L is taken by another key of this tenant', p_name),
        HINT = 'name keys by holder and purpose, e.g. ''dispatch-bot 2026-12'' (api.list_api_keys)';
    WHEN check_violation OR not_null_violation THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid key name',
        DETAIL = pg_catalog.format('the name %L is not 1 to 100 characters', p_name),
        HINT = 'pass p_name => a name for the key, e.g. ''dispatch-bot''';
  END;
  api_key := 'ck_' || pg_catalog.replace(v_tenant::text, '-', '')
             || pg_catalog.replace(api_key_id::text, '-', '') || '_' || v_secret;
END
$$;

ALTER FUNCTION tenancy.issue_api_key(p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) OWNER TO claw_owner;

--
-- Name: jwk_rsa(jsonb); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.jwk_rsa(p_jwk jsonb, OUT kid text, OUT n numeric, OUT e numeric, OUT modulus_bytes integer, OUT em_prefix numeric, OUT thumbprint text, OUT reason text) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_n bytea;
  v_e bytea;
BEGIN
  kid := p_jwk ->> 'kid';
  IF p_jwk ->> 'kty' IS DISTINCT FROM 'RSA' THEN
    reason := 'not an RSA key';
  ELSIF coalesce(p_jwk ->> 'use', 'sig') <> 'sig' THEN
    reason := 'not a signing key (use)';
  ELSIF coalesce(p_jwk ->> 'alg', 'RS256') <> 'RS256' THEN
    reason := 'not an RS256 key (alg)';
  END IF;
  IF reason IS NOT NULL THEN
    RETURN;
  END IF;
  v_n := internal.b64url_decode(p_jwk ->> 'n');
  v_e := internal.b64url_decode(p_jwk ->> 'e');
  IF pg_catalog.jsonb_typeof(p_jwk -> 'kid') IS DISTINCT FROM 'string'
     OR pg_catalog.length(kid) NOT BETWEEN 1 AND 200
     OR v_n IS NULL OR v_e IS NULL OR pg_catalog.length(v_e) NOT BETWEEN 1 AND 8 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWK',
      DETAIL = pg_catalog.format('key %s: kid (1-200 characters), n and e (base64url) are required',
                                 coalesce(pg_catalog.quote_literal(pg_catalog.left(kid, 200)), 'without kid')),
      HINT = 'pass the identity provider''s JWKS document unchanged';
  END IF;
  n := internal.bytes_to_numeric(v_n);
  e := internal.bytes_to_numeric(v_e);
  -- k, the length of n in bytes without leading zero bytes (RFC 8017: signatures are k bytes)
  modulus_bytes := pg_catalog.length(pg_catalog.regexp_replace(pg_catalog.encode(v_n, 'hex'),
                                                               '^(00)+', '')) / 2;
  IF modulus_bytes < 256 OR modulus_bytes > 1024 OR e < 3 OR pg_catalog.mod(e, 2) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWK',
      DETAIL = pg_catalog.format('key %L: the modulus must be 2048-8192 bits and e odd and >= 3',
                                 kid),
      HINT = 'RS256 keys shorter than 2048 bits are refused';
  END IF;
  em_prefix := internal.rsa_pkcs1_prefix(modulus_bytes);
  -- RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
  thumbprint := pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(pg_catalog.sha256(
    pg_catalog.convert_to(pg_catalog.format('{"e":"%s","kty":"RSA","n":"%s"}',
                                            p_jwk ->> 'e', p_jwk ->> 'n'), 'UTF8')), 'base64'),
    E'+/\n', '-_'), '=');
END
$$;

ALTER FUNCTION tenancy.jwk_rsa(p_jwk jsonb, OUT kid text, OUT n numeric, OUT e numeric, OUT modulus_bytes integer, OUT em_prefix numeric, OUT thumbprint text, OUT reason text) OWNER TO claw_owner;

--
-- Name: jwt_issuer_context(uuid); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.jwt_issuer_context(p_jwt_issuer_id uuid) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid;
BEGIN
  SELECT r.tenant_id INTO v_tenant FROM internal.jwt_routes AS r
  WHERE r.jwt_issuer_id = p_jwt_issuer_id;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'JWT issuer not found',
      DETAIL = pg_catalog.format('no issuer %s is registered', p_jwt_issuer_id),
      HINT = 'claw jwt list shows the registered issuers';
  END IF;
  PERFORM internal.set_context(v_tenant, NULL, '{system}');
  RETURN v_tenant;
END
$$;

ALTER FUNCTION tenancy.jwt_issuer_context(p_jwt_issuer_id uuid) OWNER TO claw_owner;

--
-- Name: link_jwt_subject(uuid, text, uuid); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  PERFORM tenancy.put_jwt_subject(tenancy.jwt_issuer_context(p_jwt_issuer_id), p_jwt_issuer_id,
                                  p_subject, p_principal_id);
END
$$;

ALTER FUNCTION tenancy.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid); Type: COMMENT; Schema: tenancy; Owner: claw_owner
--

COMMENT ON FUNCTION tenancy.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) IS 'Operator: tokens of an issuer with this sub act as this principal of its tenant.';

--
-- Name: put_jwt_subject(uuid, uuid, text, uuid); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.put_jwt_subject(p_tenant_id uuid, p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
  IF p_subject IS NULL OR pg_catalog.length(p_subject) NOT BETWEEN 1 AND 500 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid subject',
      DETAIL = 'the subject is the sub claim exactly, 1-500 characters',
      HINT = 'copy sub from a decoded token of the identity provider';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM tenancy.principals AS p
                 WHERE p.tenant_id = p_tenant_id AND p.principal_id = p_principal_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'principal not found',
      DETAIL = pg_catalog.format('no principal %s in the issuer''s tenant', p_principal_id),
      HINT = 'a subject links to a principal of the tenant that registered the issuer';
  END IF;
  INSERT INTO tenancy.jwt_subjects AS s (tenant_id, jwt_issuer_id, subject, principal_id)
  VALUES (p_tenant_id, p_jwt_issuer_id, p_subject, p_principal_id)
  ON CONFLICT (tenant_id, jwt_issuer_id, subject)
  DO UPDATE SET principal_id = EXCLUDED.principal_id
  WHERE s.principal_id IS DISTINCT FROM EXCLUDED.principal_id;
END
$$;

ALTER FUNCTION tenancy.put_jwt_subject(p_tenant_id uuid, p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) OWNER TO claw_owner;

--
-- Name: remove_jwt_issuer(uuid); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.remove_jwt_issuer(p_jwt_issuer_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
BEGIN
  DELETE FROM tenancy.jwt_subjects AS s
  WHERE s.tenant_id = v_tenant AND s.jwt_issuer_id = p_jwt_issuer_id;
  DELETE FROM tenancy.jwt_keys AS k
  WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = p_jwt_issuer_id;
  DELETE FROM internal.jwt_routes AS r WHERE r.jwt_issuer_id = p_jwt_issuer_id;
  DELETE FROM tenancy.jwt_issuers AS i
  WHERE i.tenant_id = v_tenant AND i.jwt_issuer_id = p_jwt_issuer_id;
END
$$;

ALTER FUNCTION tenancy.remove_jwt_issuer(p_jwt_issuer_id uuid) OWNER TO claw_owner;

--
-- Name: FUNCTION remove_jwt_issuer(p_jwt_issuer_id uuid); Type: COMMENT; Schema: tenancy; Owner: claw_owner
--

COMMENT ON FUNCTION tenancy.remove_jwt_issuer(p_jwt_issuer_id uuid) IS 'Operator: stop accepting an issuer; removes its route, keys and subject links.';

--
-- Name: remove_jwt_key(uuid, text); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.remove_jwt_key(p_jwt_issuer_id uuid, p_kid text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
BEGIN
  DELETE FROM tenancy.jwt_keys AS k
  WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = p_jwt_issuer_id AND k.kid = p_kid;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'JWT key not found',
      DETAIL = pg_catalog.format('issuer %s has no key %L', p_jwt_issuer_id, p_kid),
      HINT = 'claw jwt list shows the kids of each issuer';
  END IF;
END
$$;

ALTER FUNCTION tenancy.remove_jwt_key(p_jwt_issuer_id uuid, p_kid text) OWNER TO claw_owner;

--
-- Name: FUNCTION remove_jwt_key(p_jwt_issuer_id uuid, p_kid text); Type: COMMENT; Schema: tenancy; Owner: claw_owner
--

COMMENT ON FUNCTION tenancy.remove_jwt_key(p_jwt_issuer_id uuid, p_kid text) IS 'Operator: remove one key (kid) of an issuer; its tokens are refused at once.';

--
-- Name: require_principal(uuid); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.require_principal(p_principal_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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
-- Name: set_jwt_keys(uuid, jsonb); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.set_jwt_keys(p_jwt_issuer_id uuid, p_jwks jsonb) RETURNS TABLE(kid text, action text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  v_tenant uuid := tenancy.jwt_issuer_context(p_jwt_issuer_id);
  v_keys jsonb;
  v_removed text[];
BEGIN
  IF pg_catalog.jsonb_typeof(p_jwks -> 'keys') IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWKS',
      DETAIL = 'a JWKS is a JSON object with a "keys" array',
      HINT = 'pass the document the issuer publishes at its jwks_uri';
  END IF;
  PERFORM 1 FROM tenancy.jwt_issuers AS i
  WHERE i.tenant_id = v_tenant AND i.jwt_issuer_id = p_jwt_issuer_id FOR UPDATE;
  SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(k)), '[]') INTO v_keys
  FROM pg_catalog.jsonb_array_elements(p_jwks -> 'keys') AS j(jwk),
       LATERAL tenancy.jwk_rsa(j.jwk) AS k;
  IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_keys) AS x(k)
             WHERE x.k ->> 'reason' IS NULL GROUP BY x.k ->> 'kid' HAVING count(*) > 1) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWKS',
      DETAIL = 'two usable keys share a kid', HINT = 'every key needs its own kid';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_keys) AS x(k)
                 WHERE x.k ->> 'reason' IS NULL) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid JWKS',
      DETAIL = 'the document holds no usable RS256 signing key',
      HINT = 'use remove_jwt_issuer to stop accepting the issuer altogether';
  END IF;
  -- Keys whose kid left the set, or whose key material changed, go first (so a replaced
  -- kid is free for its new key); then the new ones are added.
  WITH removed AS (
    DELETE FROM tenancy.jwt_keys AS k
    WHERE k.tenant_id = v_tenant AND k.jwt_issuer_id = p_jwt_issuer_id
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(v_keys) AS x(j)
                      WHERE x.j ->> 'reason' IS NULL AND x.j ->> 'kid' = k.kid
                        AND x.j ->> 'thumbprint' = k.thumbprint)
    RETURNING k.kid
  )
  SELECT pg_catalog.array_agg(r.kid) INTO v_removed FROM removed AS r;
  RETURN QUERY
  WITH added AS (
    INSERT INTO tenancy.jwt_keys AS k (tenant_id, jwt_issuer_id, kid, n, e, modulus_bytes,
                                      em_prefix, thumbprint)
    SELECT v_tenant, p_jwt_issuer_id, x.kid, x.n, x.e, x.modulus_bytes, x.em_prefix,
           x.thumbprint
    FROM pg_catalog.jsonb_to_recordset(v_keys) AS x(kid text, n numeric, e numeric,
           modulus_bytes integer, em_prefix numeric, thumbprint text, reason text)
    WHERE x.reason IS NULL
      AND NOT EXISTS (SELECT 1 FROM tenancy.jwt_keys AS o
                      WHERE o.tenant_id = v_tenant AND o.jwt_issuer_id = p_jwt_issuer_id
                        AND o.kid = x.kid)
    RETURNING k.kid
  )
  SELECT a.kid, CASE WHEN a.kid = ANY (v_removed) THEN 'replaced' ELSE 'added' END
  FROM added AS a
  UNION ALL
  SELECT r.kid, 'removed' FROM pg_catalog.unnest(v_removed) AS r(kid)
  WHERE NOT EXISTS (SELECT 1 FROM added AS a WHERE a.kid = r.kid)
  UNION ALL
  SELECT x.j ->> 'kid', CASE WHEN x.j ->> 'reason' IS NULL THEN 'kept'
                             ELSE 'skipped: ' || (x.j ->> 'reason') END
  FROM pg_catalog.jsonb_array_elements(v_keys) AS x(j)
  WHERE x.j ->> 'reason' IS NOT NULL
     OR NOT (x.j ->> 'kid' = ANY (coalesce(v_removed, '{}'))
             OR EXISTS (SELECT 1 FROM added AS a WHERE a.kid = x.j ->> 'kid'));
END
$$;

ALTER FUNCTION tenancy.set_jwt_keys(p_jwt_issuer_id uuid, p_jwks jsonb) OWNER TO claw_owner;

--
-- Name: FUNCTION set_jwt_keys(p_jwt_issuer_id uuid, p_jwks jsonb); Type: COMMENT; Schema: tenancy; Owner: claw_owner
--

COMMENT ON FUNCTION tenancy.set_jwt_keys(p_jwt_issuer_id uuid, p_jwks jsonb) IS 'Operator: the issuer''s keys become exactly the usable RS256 keys of a JWKS document (added, replaced, kept, removed per kid).';

--
-- Name: valid_jwks_url(text); Type: FUNCTION; Schema: tenancy; Owner: claw_owner
--

CREATE FUNCTION tenancy.valid_jwks_url(p_url text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
  SELECT p_url IS NULL
      OR (pg_catalog.length(p_url) <= 2000  -- the column's limit (a raw 23514 beyond it)
          AND (p_url ~ '^https://[^/?#]+'
               OR p_url ~ '^http://(127[.]0[.]0[.]1|[[]::1[]]|localhost)(:[0-9]+)?(/|$)'))
$_$;

ALTER FUNCTION tenancy.valid_jwks_url(p_url text) OWNER TO claw_owner;

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
-- Name: models; Type: TABLE; Schema: authz; Owner: claw_owner
--

CREATE TABLE authz.models (
    tenant_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    sha256 text NOT NULL,
    compiled jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT models_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT models_version_check CHECK ((version >= 1))
);

ALTER TABLE ONLY authz.models FORCE ROW LEVEL SECURITY;

ALTER TABLE authz.models OWNER TO claw_owner;

--
-- Name: TABLE models; Type: COMMENT; Schema: authz; Owner: claw_owner
--

COMMENT ON TABLE authz.models IS 'Versions of a tenant''s authorization model (object types, relations, rewrites).';

--
-- Name: relations; Type: TABLE; Schema: authz; Owner: claw_owner
--

CREATE TABLE authz.relations (
    tenant_id uuid NOT NULL,
    object_type text NOT NULL,
    relation text NOT NULL,
    rewrite jsonb NOT NULL,
    direct_subjects text[] DEFAULT '{}'::text[] NOT NULL,
    exact boolean DEFAULT true NOT NULL,
    model_version integer NOT NULL,
    CONSTRAINT relations_object_type_check CHECK (((object_type ~ '^[a-z][a-z0-9_]*$'::text) AND (length(object_type) <= 63))),
    CONSTRAINT relations_relation_check CHECK (((relation ~ '^[a-z][a-z0-9_]*$'::text) AND (length(relation) <= 63)))
);

ALTER TABLE ONLY authz.relations FORCE ROW LEVEL SECURITY;

ALTER TABLE authz.relations OWNER TO claw_owner;

--
-- Name: TABLE relations; Type: COMMENT; Schema: authz; Owner: claw_owner
--

COMMENT ON TABLE authz.relations IS 'The current authorization model: one row per object type and relation, with its rewrite.';

--
-- Name: revisions; Type: TABLE; Schema: authz; Owner: claw_owner
--

CREATE TABLE authz.revisions (
    tenant_id uuid NOT NULL,
    revision bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT revisions_revision_check CHECK ((revision >= 0))
);

ALTER TABLE ONLY authz.revisions FORCE ROW LEVEL SECURITY;

ALTER TABLE authz.revisions OWNER TO claw_owner;

--
-- Name: TABLE revisions; Type: COMMENT; Schema: authz; Owner: claw_owner
--

COMMENT ON TABLE authz.revisions IS 'Each tenant''s authorization revision, carried by consistency tokens.';

--
-- Name: rewrite_edges; Type: TABLE; Schema: authz; Owner: claw_owner
--

CREATE TABLE authz.rewrite_edges (
    tenant_id uuid NOT NULL,
    object_type text NOT NULL,
    relation text NOT NULL,
    kind text NOT NULL,
    target_relation text DEFAULT ''::text NOT NULL,
    tupleset text DEFAULT ''::text NOT NULL,
    CONSTRAINT rewrite_edges_kind_check CHECK ((kind = ANY (ARRAY['this'::text, 'computed'::text, 'ttu'::text])))
);

ALTER TABLE ONLY authz.rewrite_edges FORCE ROW LEVEL SECURITY;

ALTER TABLE authz.rewrite_edges OWNER TO claw_owner;

--
-- Name: TABLE rewrite_edges; Type: COMMENT; Schema: authz; Owner: claw_owner
--

COMMENT ON TABLE authz.rewrite_edges IS 'The current model as edges (this, computed, tuple-to-userset) for graph walks.';

--
-- Name: tuples; Type: TABLE; Schema: authz; Owner: claw_owner
--

CREATE TABLE authz.tuples (
    tenant_id uuid NOT NULL,
    object_type text NOT NULL,
    object_id text NOT NULL,
    relation text NOT NULL,
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    subject_relation text DEFAULT ''::text NOT NULL,
    expires_at timestamp with time zone,
    revision bigint NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tuples_object_id_check CHECK (((object_id ~ '^[A-Za-z0-9_.:/@|=+-]+$'::text) AND (length(object_id) <= 200))),
    CONSTRAINT tuples_object_type_check CHECK (((object_type ~ '^[a-z][a-z0-9_]*$'::text) AND (length(object_type) <= 63))),
    CONSTRAINT tuples_relation_check CHECK (((relation ~ '^[a-z][a-z0-9_]*$'::text) AND (length(relation) <= 63))),
    CONSTRAINT tuples_subject_id_check CHECK (((subject_id ~ '^[A-Za-z0-9_.:/@|=+-]+$'::text) AND (length(subject_id) <= 200))),
    CONSTRAINT tuples_subject_relation_check CHECK (((subject_relation = ''::text) OR ((subject_relation ~ '^[a-z][a-z0-9_]*$'::text) AND (length(subject_relation) <= 63)))),
    CONSTRAINT tuples_subject_type_check CHECK (((subject_type ~ '^[a-z][a-z0-9_]*$'::text) AND (length(subject_type) <= 63)))
)
WITH (fillfactor='90');

ALTER TABLE ONLY authz.tuples FORCE ROW LEVEL SECURITY;

ALTER TABLE authz.tuples OWNER TO claw_owner;

--
-- Name: TABLE tuples; Type: COMMENT; Schema: authz; Owner: claw_owner
--

COMMENT ON TABLE authz.tuples IS 'Relationship tuples object#relation@subject (subject: an object or a userset), optional expiry.';

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
-- Name: idempotency_keys; Type: TABLE; Schema: edge; Owner: claw_owner
--

CREATE TABLE edge.idempotency_keys (
    tenant_id uuid NOT NULL,
    idempotency_key_id uuid DEFAULT uuidv7() NOT NULL,
    principal_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    request_method text NOT NULL,
    request_path text NOT NULL,
    request_sha256 text NOT NULL,
    response_status integer NOT NULL,
    response_headers jsonb DEFAULT '{}'::jsonb NOT NULL,
    response_body text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    credential text,
    CONSTRAINT idempotency_keys_credential_check CHECK (((length(credential) >= 1) AND (length(credential) <= 200))),
    CONSTRAINT idempotency_keys_idempotency_key_check CHECK (((length(idempotency_key) >= 1) AND (length(idempotency_key) <= 255))),
    CONSTRAINT idempotency_keys_request_method_check CHECK (((length(request_method) >= 1) AND (length(request_method) <= 16))),
    CONSTRAINT idempotency_keys_request_path_check CHECK (((length(request_path) >= 1) AND (length(request_path) <= 2048))),
    CONSTRAINT idempotency_keys_request_sha256_check CHECK ((length(request_sha256) = 64)),
    CONSTRAINT idempotency_keys_response_headers_check CHECK ((jsonb_typeof(response_headers) = 'object'::text)),
    CONSTRAINT idempotency_keys_response_status_check CHECK (((response_status >= 100) AND (response_status <= 599)))
);

ALTER TABLE ONLY edge.idempotency_keys FORCE ROW LEVEL SECURITY;

ALTER TABLE edge.idempotency_keys OWNER TO claw_owner;

--
-- Name: request_buckets; Type: TABLE; Schema: edge; Owner: claw_owner
--

CREATE UNLOGGED TABLE edge.request_buckets (
    tenant_id uuid NOT NULL,
    bucket text NOT NULL,
    tat timestamp with time zone NOT NULL,
    CONSTRAINT request_buckets_bucket_check CHECK (((length(bucket) >= 1) AND (length(bucket) <= 100)))
)
WITH (fillfactor='50');

ALTER TABLE ONLY edge.request_buckets FORCE ROW LEVEL SECURITY;

ALTER TABLE edge.request_buckets OWNER TO claw_owner;

--
-- Name: outbox; Type: TABLE; Schema: events; Owner: claw_owner
--

CREATE TABLE events.outbox (
    tenant_id uuid NOT NULL,
    event_id bigint NOT NULL,
    xact_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    event_type text NOT NULL,
    subject_id text,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    trace_id text,
    occurred_at timestamp with time zone NOT NULL,
    CONSTRAINT outbox_data_check CHECK ((jsonb_typeof(data) = 'object'::text)),
    CONSTRAINT outbox_event_type_check CHECK ((event_type ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'::text)),
    CONSTRAINT outbox_trace_id_check CHECK ((length(trace_id) <= 64))
)
WITH (autovacuum_vacuum_insert_scale_factor='0.02');

ALTER TABLE ONLY events.outbox FORCE ROW LEVEL SECURITY;

ALTER TABLE events.outbox OWNER TO claw_owner;

--
-- Name: outbox_event_id_seq; Type: SEQUENCE; Schema: events; Owner: claw_owner
--

ALTER TABLE events.outbox ALTER COLUMN event_id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME events.outbox_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: purges; Type: TABLE; Schema: events; Owner: claw_owner
--

CREATE TABLE events.purges (
    tenant_id uuid NOT NULL,
    purge_id integer DEFAULT 1 NOT NULL,
    purged_xact_id xid8 NOT NULL,
    purged_event_id bigint NOT NULL,
    purged_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT purges_purge_id_check CHECK ((purge_id = 1))
);

ALTER TABLE ONLY events.purges FORCE ROW LEVEL SECURITY;

ALTER TABLE events.purges OWNER TO claw_owner;

--
-- Name: watchers; Type: TABLE; Schema: events; Owner: claw_owner
--

CREATE UNLOGGED TABLE events.watchers (
    tenant_id uuid NOT NULL,
    watcher_id uuid NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

ALTER TABLE ONLY events.watchers FORCE ROW LEVEL SECURITY;

ALTER TABLE events.watchers OWNER TO claw_owner;

--
-- Name: signals; Type: TABLE; Schema: flow; Owner: claw_owner
--

CREATE TABLE flow.signals (
    tenant_id uuid NOT NULL,
    run_id uuid NOT NULL,
    name text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    sent_by uuid,
    sent_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_position integer,
    delivered_at timestamp with time zone,
    CONSTRAINT signals_check CHECK (((delivered_position IS NULL) = (delivered_at IS NULL))),
    CONSTRAINT signals_name_check CHECK (((name ~ '^[a-z][a-z0-9_.:-]*$'::text) AND (length(name) <= 100)))
);

ALTER TABLE ONLY flow.signals FORCE ROW LEVEL SECURITY;

ALTER TABLE flow.signals OWNER TO claw_owner;

--
-- Name: steps; Type: TABLE; Schema: flow; Owner: claw_owner
--

CREATE TABLE flow.steps (
    tenant_id uuid NOT NULL,
    run_id uuid NOT NULL,
    "position" integer NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    input_hash text NOT NULL,
    status text NOT NULL,
    output jsonb,
    error text,
    attempts integer DEFAULT 1 NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT steps_attempts_check CHECK ((attempts >= 1)),
    CONSTRAINT steps_input_hash_check CHECK (((input_hash ~ '^[0-9a-f]+$'::text) AND (length(input_hash) <= 128))),
    CONSTRAINT steps_kind_check CHECK ((kind = ANY (ARRAY['step'::text, 'transaction'::text, 'effect'::text, 'sleep'::text, 'signal'::text, 'child'::text, 'wait_child'::text, 'patch'::text]))),
    CONSTRAINT steps_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT steps_position_check CHECK (("position" >= 0)),
    CONSTRAINT steps_status_check CHECK ((status = ANY (ARRAY['completed'::text, 'failed'::text])))
);

ALTER TABLE ONLY flow.steps FORCE ROW LEVEL SECURITY;

ALTER TABLE flow.steps OWNER TO claw_owner;

--
-- Name: timers; Type: TABLE; Schema: flow; Owner: claw_owner
--

CREATE TABLE flow.timers (
    tenant_id uuid NOT NULL,
    run_id uuid NOT NULL,
    "position" integer NOT NULL,
    kind text NOT NULL,
    wake_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT timers_kind_check CHECK ((kind = ANY (ARRAY['sleep'::text, 'signal_timeout'::text]))),
    CONSTRAINT timers_position_check CHECK (("position" >= 0))
);

ALTER TABLE ONLY flow.timers FORCE ROW LEVEL SECURITY;

ALTER TABLE flow.timers OWNER TO claw_owner;

--
-- Name: clock; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.clock (
    clock_id integer NOT NULL,
    offset_by interval DEFAULT '00:00:00'::interval NOT NULL,
    CONSTRAINT clock_clock_id_check CHECK ((clock_id = 1))
);

ALTER TABLE internal.clock OWNER TO claw_owner;

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
-- Name: flow_effect_transitions; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.flow_effect_transitions (
    from_status text NOT NULL,
    to_status text NOT NULL
);

ALTER TABLE internal.flow_effect_transitions OWNER TO claw_owner;

--
-- Name: flow_run_transitions; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.flow_run_transitions (
    from_status text NOT NULL,
    to_status text NOT NULL
);

ALTER TABLE internal.flow_run_transitions OWNER TO claw_owner;

--
-- Name: jwt_routes; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.jwt_routes (
    issuer text NOT NULL,
    audience text NOT NULL,
    tenant_id uuid NOT NULL,
    jwt_issuer_id uuid NOT NULL
);

ALTER TABLE internal.jwt_routes OWNER TO claw_owner;

--
-- Name: llm_breakers; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.llm_breakers (
    provider text NOT NULL,
    failure_threshold integer DEFAULT 5 NOT NULL,
    cooldown interval DEFAULT '00:00:30'::interval NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT llm_breakers_cooldown_check CHECK ((cooldown > '00:00:00'::interval)),
    CONSTRAINT llm_breakers_failure_threshold_check CHECK ((failure_threshold >= 1)),
    CONSTRAINT llm_breakers_provider_check CHECK ((provider = ANY (ARRAY['anthropic'::text, 'openai'::text])))
);

ALTER TABLE internal.llm_breakers OWNER TO claw_owner;

--
-- Name: TABLE llm_breakers; Type: COMMENT; Schema: internal; Owner: claw_owner
--

COMMENT ON TABLE internal.llm_breakers IS 'Circuit breaker settings per provider; the state is per tenant in llm.breakers.';

--
-- Name: llm_models; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.llm_models (
    model text NOT NULL,
    provider text NOT NULL,
    tokenizer text NOT NULL,
    context_window integer NOT NULL,
    max_output_tokens integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT llm_models_context_window_check CHECK ((context_window > 0)),
    CONSTRAINT llm_models_max_output_tokens_check CHECK ((max_output_tokens > 0)),
    CONSTRAINT llm_models_model_check CHECK ((model ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$'::text)),
    CONSTRAINT llm_models_provider_check CHECK ((provider = ANY (ARRAY['anthropic'::text, 'openai'::text]))),
    CONSTRAINT llm_models_tokenizer_check CHECK ((tokenizer = ANY (ARRAY['o200k_base'::text, 'cl100k_base'::text, 'anthropic_estimate'::text])))
);

ALTER TABLE internal.llm_models OWNER TO claw_owner;

--
-- Name: rate_limits; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.rate_limits (
    rate_key text NOT NULL,
    per_second numeric NOT NULL,
    burst integer NOT NULL,
    tokens numeric NOT NULL,
    refilled_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT rate_limits_burst_check CHECK ((burst >= 1)),
    CONSTRAINT rate_limits_per_second_check CHECK ((per_second > (0)::numeric)),
    CONSTRAINT rate_limits_rate_key_check CHECK (((length(rate_key) >= 1) AND (length(rate_key) <= 200)))
);

ALTER TABLE internal.rate_limits OWNER TO claw_owner;

--
-- Name: waiting_workers; Type: TABLE; Schema: internal; Owner: claw_owner
--

CREATE TABLE internal.waiting_workers (
    queue text NOT NULL,
    worker text NOT NULL,
    since timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT waiting_workers_queue_check CHECK ((octet_length(queue) <= 1024)),
    CONSTRAINT waiting_workers_worker_check CHECK ((octet_length(worker) <= 1024))
);

ALTER TABLE internal.waiting_workers OWNER TO claw_owner;

--
-- Name: breakers; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.breakers (
    tenant_id uuid NOT NULL,
    provider text NOT NULL,
    state text DEFAULT 'closed'::text NOT NULL,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    opened_at timestamp with time zone,
    retry_at timestamp with time zone,
    probe_until timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT breakers_consecutive_failures_check CHECK ((consecutive_failures >= 0)),
    CONSTRAINT breakers_state_check CHECK ((state = ANY (ARRAY['closed'::text, 'open'::text, 'half_open'::text])))
);

ALTER TABLE ONLY llm.breakers FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.breakers OWNER TO claw_owner;

--
-- Name: budget_windows; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.budget_windows (
    tenant_id uuid NOT NULL,
    budget_id uuid NOT NULL,
    window_start date NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    spent_usd numeric(18,9) DEFAULT 0 NOT NULL,
    reserved_usd numeric(18,9) DEFAULT 0 NOT NULL,
    CONSTRAINT budget_windows_check CHECK ((starts_at < ends_at)),
    CONSTRAINT budget_windows_reserved_usd_check CHECK ((reserved_usd >= (0)::numeric)),
    CONSTRAINT budget_windows_spent_usd_check CHECK ((spent_usd >= (0)::numeric))
);

ALTER TABLE ONLY llm.budget_windows FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.budget_windows OWNER TO claw_owner;

--
-- Name: cache_entries; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.cache_entries (
    tenant_id uuid NOT NULL,
    cache_key bytea NOT NULL,
    task text NOT NULL,
    model text NOT NULL,
    response jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    hits integer DEFAULT 0 NOT NULL,
    CONSTRAINT cache_entries_cache_key_check CHECK ((length(cache_key) = 32))
);

ALTER TABLE ONLY llm.cache_entries FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.cache_entries OWNER TO claw_owner;

--
-- Name: calls; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.calls (
    tenant_id uuid NOT NULL,
    call_id uuid DEFAULT uuidv7() NOT NULL,
    reservation_id uuid,
    attempt integer NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    principal_id uuid,
    task text NOT NULL,
    flow_run_id uuid,
    flow_step integer,
    provider text NOT NULL,
    model text NOT NULL,
    route_position integer NOT NULL,
    input_tokens integer DEFAULT 0 NOT NULL,
    output_tokens integer DEFAULT 0 NOT NULL,
    cached_tokens integer DEFAULT 0 NOT NULL,
    cost_usd numeric(18,9) DEFAULT 0 NOT NULL,
    price_valid_from timestamp with time zone,
    latency_ms integer NOT NULL,
    outcome text NOT NULL,
    http_status integer,
    error text,
    trace_id text,
    context jsonb,
    CONSTRAINT calls_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT calls_cached_tokens_check CHECK ((cached_tokens >= 0)),
    CONSTRAINT calls_cost_usd_check CHECK ((cost_usd >= (0)::numeric)),
    CONSTRAINT calls_error_check CHECK ((length(error) <= 2000)),
    CONSTRAINT calls_input_tokens_check CHECK ((input_tokens >= 0)),
    CONSTRAINT calls_latency_ms_check CHECK ((latency_ms >= 0)),
    CONSTRAINT calls_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'cache_hit'::text, 'invalid_output'::text, 'rate_limited'::text, 'server_error'::text, 'timeout'::text, 'context_overflow'::text, 'client_error'::text, 'breaker_open'::text]))),
    CONSTRAINT calls_output_tokens_check CHECK ((output_tokens >= 0)),
    CONSTRAINT calls_route_position_check CHECK ((route_position >= 1))
);

ALTER TABLE ONLY llm.calls FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.calls OWNER TO claw_owner;

--
-- Name: settings; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.settings (
    tenant_id uuid NOT NULL,
    time_zone text DEFAULT 'UTC'::text NOT NULL,
    updated_by uuid,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT settings_time_zone_check CHECK (((length(time_zone) >= 1) AND (length(time_zone) <= 64)))
);

ALTER TABLE ONLY llm.settings FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.settings OWNER TO claw_owner;

--
-- Name: daily_usage; Type: VIEW; Schema: llm; Owner: claw_owner
--

CREATE VIEW llm.daily_usage WITH (security_invoker='true') AS
 SELECT c.tenant_id,
    ((c.occurred_at AT TIME ZONE COALESCE(s.time_zone, 'UTC'::text)))::date AS day,
    c.task,
    c.model,
    c.provider,
    count(*) AS calls,
    count(*) FILTER (WHERE (c.outcome <> ALL (ARRAY['ok'::text, 'cache_hit'::text]))) AS failed,
    count(*) FILTER (WHERE (c.outcome = 'cache_hit'::text)) AS cache_hits,
    sum(c.input_tokens) AS input_tokens,
    sum(c.output_tokens) AS output_tokens,
    sum(c.cached_tokens) AS cached_tokens,
    sum(c.cost_usd) AS cost_usd,
    percentile_disc((0.5)::double precision) WITHIN GROUP (ORDER BY c.latency_ms) AS p50_latency_ms
   FROM (llm.calls c
     LEFT JOIN llm.settings s ON ((s.tenant_id = c.tenant_id)))
  GROUP BY c.tenant_id, (((c.occurred_at AT TIME ZONE COALESCE(s.time_zone, 'UTC'::text)))::date), c.task, c.model, c.provider;

ALTER VIEW llm.daily_usage OWNER TO claw_owner;

--
-- Name: eval_results; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.eval_results (
    tenant_id uuid NOT NULL,
    eval_run_id uuid NOT NULL,
    case_id text NOT NULL,
    scorer text NOT NULL,
    score numeric(7,6) NOT NULL,
    passed boolean NOT NULL,
    output text,
    detail jsonb,
    CONSTRAINT eval_results_case_id_check CHECK (((length(case_id) >= 1) AND (length(case_id) <= 200))),
    CONSTRAINT eval_results_score_check CHECK (((score >= (0)::numeric) AND (score <= (1)::numeric))),
    CONSTRAINT eval_results_scorer_check CHECK ((scorer = ANY (ARRAY['exact'::text, 'json_schema'::text, 'contains'::text, 'numeric'::text, 'judge'::text])))
);

ALTER TABLE ONLY llm.eval_results FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.eval_results OWNER TO claw_owner;

--
-- Name: eval_runs; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.eval_runs (
    tenant_id uuid NOT NULL,
    eval_run_id uuid DEFAULT uuidv7() NOT NULL,
    suite text NOT NULL,
    task text NOT NULL,
    cases integer NOT NULL,
    passed integer NOT NULL,
    score numeric(7,6) NOT NULL,
    threshold numeric(7,6) NOT NULL,
    baseline_run_id uuid,
    baseline_score numeric(7,6),
    regressed boolean NOT NULL,
    cost_usd numeric(18,9) DEFAULT 0 NOT NULL,
    accepted_at timestamp with time zone,
    accepted_by uuid,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT eval_runs_cases_check CHECK ((cases >= 0)),
    CONSTRAINT eval_runs_check CHECK (((passed >= 0) AND (passed <= cases))),
    CONSTRAINT eval_runs_score_check CHECK (((score >= (0)::numeric) AND (score <= (1)::numeric))),
    CONSTRAINT eval_runs_suite_check CHECK ((suite ~ '^[a-z][a-z0-9_.-]{0,62}$'::text)),
    CONSTRAINT eval_runs_threshold_check CHECK (((threshold >= (0)::numeric) AND (threshold <= (1)::numeric)))
);

ALTER TABLE ONLY llm.eval_runs FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.eval_runs OWNER TO claw_owner;

--
-- Name: routes; Type: TABLE; Schema: llm; Owner: claw_owner
--

CREATE TABLE llm.routes (
    tenant_id uuid NOT NULL,
    route_id uuid DEFAULT uuidv7() NOT NULL,
    task text NOT NULL,
    models text[] NOT NULL,
    fallback_on text[] DEFAULT '{rate_limited,server_error,timeout,context_overflow}'::text[] NOT NULL,
    max_attempts integer DEFAULT 2 NOT NULL,
    backoff_ms integer DEFAULT 200 NOT NULL,
    timeout_ms integer DEFAULT 30000 NOT NULL,
    max_output_tokens integer DEFAULT 1024 NOT NULL,
    cache_ttl_seconds integer DEFAULT 0 NOT NULL,
    output_schema jsonb,
    max_repairs integer DEFAULT 1 NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT routes_backoff_ms_check CHECK (((backoff_ms >= 0) AND (backoff_ms <= 60000))),
    CONSTRAINT routes_cache_ttl_seconds_check CHECK (((cache_ttl_seconds >= 0) AND (cache_ttl_seconds <= 2592000))),
    CONSTRAINT routes_fallback_on_check CHECK ((fallback_on <@ '{rate_limited,server_error,timeout,context_overflow}'::text[])),
    CONSTRAINT routes_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 10))),
    CONSTRAINT routes_max_output_tokens_check CHECK (((max_output_tokens >= 1) AND (max_output_tokens <= 200000))),
    CONSTRAINT routes_max_repairs_check CHECK (((max_repairs >= 0) AND (max_repairs <= 5))),
    CONSTRAINT routes_models_check CHECK (((cardinality(models) >= 1) AND (cardinality(models) <= 8))),
    CONSTRAINT routes_output_schema_check CHECK (((output_schema IS NULL) OR (jsonb_typeof(output_schema) = 'object'::text))),
    CONSTRAINT routes_task_check CHECK ((task ~ '^[a-z][a-z0-9_.-]{0,62}$'::text)),
    CONSTRAINT routes_timeout_ms_check CHECK (((timeout_ms >= 10) AND (timeout_ms <= 600000))),
    CONSTRAINT routes_version_check CHECK ((version >= 1))
);

ALTER TABLE ONLY llm.routes FORCE ROW LEVEL SECURITY;

ALTER TABLE llm.routes OWNER TO claw_owner;

--
-- Name: documents; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.documents (
    tenant_id uuid NOT NULL,
    document_id uuid DEFAULT uuidv7() NOT NULL,
    object_id uuid,
    authz_object text NOT NULL,
    title text DEFAULT ''::text NOT NULL,
    body text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, ((title || ' '::text) || body))) STORED,
    embedding extensions.vector(256) NOT NULL,
    embedding_model text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT documents_authz_object_check CHECK (((authz_object ~ '^[a-z][a-z0-9_]*:[A-Za-z0-9_.:/@|=+-]+$'::text) AND (length(authz_object) <= 264))),
    CONSTRAINT documents_body_check CHECK (((length(body) >= 1) AND (length(body) <= 100000))),
    CONSTRAINT documents_embedding_model_check CHECK (((length(embedding_model) >= 1) AND (length(embedding_model) <= 200))),
    CONSTRAINT documents_title_check CHECK ((length(title) <= 500))
);

ALTER TABLE ONLY ontology.documents FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.documents OWNER TO claw_owner;

--
-- Name: TABLE documents; Type: COMMENT; Schema: ontology; Owner: claw_owner
--

COMMENT ON TABLE ontology.documents IS 'Searchable text with its embedding; readers need a relation on authz_object (permission before retrieval).';

--
-- Name: links; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.links (
    tenant_id uuid NOT NULL,
    link_id uuid DEFAULT uuidv7() NOT NULL,
    link_type_id uuid NOT NULL,
    from_object_id uuid NOT NULL,
    to_object_id uuid NOT NULL,
    one_from boolean NOT NULL,
    one_to boolean NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_by uuid,
    deleted_at timestamp with time zone
);

ALTER TABLE ONLY ontology.links FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.links OWNER TO claw_owner;

--
-- Name: tools; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.tools (
    tenant_id uuid NOT NULL,
    tool_id uuid DEFAULT uuidv7() NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    input_schema jsonb NOT NULL,
    side_effect text NOT NULL,
    blast_radius text DEFAULT 'single_object'::text NOT NULL,
    max_objects integer,
    reversible boolean DEFAULT true NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_by uuid,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tools_blast_radius_check CHECK ((blast_radius = ANY (ARRAY['none'::text, 'single_object'::text, 'many_objects'::text, 'tenant'::text, 'external_party'::text]))),
    CONSTRAINT tools_description_check CHECK (((length(description) >= 1) AND (length(description) <= 4000))),
    CONSTRAINT tools_input_schema_check CHECK ((jsonb_typeof(input_schema) = 'object'::text)),
    CONSTRAINT tools_max_objects_check CHECK ((max_objects > 0)),
    CONSTRAINT tools_name_check CHECK ((name ~ '^[a-z][a-z0-9_.]{0,99}$'::text)),
    CONSTRAINT tools_side_effect_check CHECK ((side_effect = ANY (ARRAY['read'::text, 'write'::text, 'external'::text, 'financial'::text]))),
    CONSTRAINT tools_version_check CHECK ((version >= 1))
);

ALTER TABLE ONLY ontology.tools FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.tools OWNER TO claw_owner;

--
-- Name: type_versions; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.type_versions (
    tenant_id uuid NOT NULL,
    type_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    changed_by uuid,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT type_versions_definition_check CHECK ((jsonb_typeof(definition) = 'object'::text)),
    CONSTRAINT type_versions_version_check CHECK ((version >= 1))
);

ALTER TABLE ONLY ontology.type_versions FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.type_versions OWNER TO claw_owner;

--
-- Name: unique_values; Type: TABLE; Schema: ontology; Owner: claw_owner
--

CREATE TABLE ontology.unique_values (
    tenant_id uuid NOT NULL,
    type_id uuid NOT NULL,
    property text NOT NULL,
    value_key text NOT NULL,
    object_id uuid NOT NULL,
    CONSTRAINT unique_values_value_key_check CHECK (((length(value_key) >= 1) AND (length(value_key) <= 300)))
);

ALTER TABLE ONLY ontology.unique_values FORCE ROW LEVEL SECURITY;

ALTER TABLE ontology.unique_values OWNER TO claw_owner;

--
-- Name: schedule_fires; Type: TABLE; Schema: queue; Owner: claw_owner
--

CREATE TABLE queue.schedule_fires (
    tenant_id uuid NOT NULL,
    schedule_id uuid NOT NULL,
    fire_at timestamp with time zone NOT NULL,
    job_id uuid NOT NULL,
    missed integer DEFAULT 0 NOT NULL,
    fired_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT schedule_fires_missed_check CHECK ((missed >= 0))
);

ALTER TABLE ONLY queue.schedule_fires FORCE ROW LEVEL SECURITY;

ALTER TABLE queue.schedule_fires OWNER TO claw_owner;

--
-- Name: schedules; Type: TABLE; Schema: queue; Owner: claw_owner
--

CREATE TABLE queue.schedules (
    tenant_id uuid NOT NULL,
    schedule_id uuid DEFAULT uuidv7() NOT NULL,
    name text NOT NULL,
    cron text NOT NULL,
    time_zone text NOT NULL,
    queue text NOT NULL,
    kind text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    catch_up boolean DEFAULT false NOT NULL,
    paused boolean DEFAULT false NOT NULL,
    next_fire_at timestamp with time zone,
    last_fired_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_error jsonb,
    CONSTRAINT schedules_kind_check CHECK (((kind ~ '^[a-z][a-z0-9_.:-]*$'::text) AND (length(kind) <= 100))),
    CONSTRAINT schedules_last_error_check CHECK ((jsonb_typeof(last_error) = 'object'::text)),
    CONSTRAINT schedules_name_check CHECK (((name ~ '^[a-z0-9][a-z0-9_.-]*$'::text) AND (length(name) <= 100))),
    CONSTRAINT schedules_payload_check CHECK ((jsonb_typeof(payload) = 'object'::text)),
    CONSTRAINT schedules_queue_check CHECK (((queue ~ '^[a-z][a-z0-9_.-]*$'::text) AND (length(queue) <= 63)))
);

ALTER TABLE ONLY queue.schedules FORCE ROW LEVEL SECURITY;

ALTER TABLE queue.schedules OWNER TO claw_owner;

--
-- Name: tenant_cursors; Type: TABLE; Schema: queue; Owner: claw_owner
--

CREATE TABLE queue.tenant_cursors (
    tenant_id uuid NOT NULL,
    queue text NOT NULL,
    last_key bigint NOT NULL,
    priority smallint DEFAULT 0 NOT NULL,
    CONSTRAINT tenant_cursors_priority_check CHECK (((priority >= '-100'::integer) AND (priority <= 100)))
);

ALTER TABLE ONLY queue.tenant_cursors FORCE ROW LEVEL SECURITY;

ALTER TABLE queue.tenant_cursors OWNER TO claw_owner;

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
-- Name: jwt_issuers; Type: TABLE; Schema: tenancy; Owner: claw_owner
--

CREATE TABLE tenancy.jwt_issuers (
    tenant_id uuid NOT NULL,
    jwt_issuer_id uuid DEFAULT uuidv7() NOT NULL,
    issuer text NOT NULL,
    audience text NOT NULL,
    max_skew_seconds integer DEFAULT 60 NOT NULL,
    jwks_url text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT jwt_issuers_audience_check CHECK (((length(audience) >= 1) AND (length(audience) <= 500))),
    CONSTRAINT jwt_issuers_issuer_check CHECK (((length(issuer) >= 1) AND (length(issuer) <= 500))),
    CONSTRAINT jwt_issuers_jwks_url_check CHECK (((jwks_url ~ '^https?://'::text) AND (length(jwks_url) <= 2000))),
    CONSTRAINT jwt_issuers_max_skew_seconds_check CHECK (((max_skew_seconds >= 0) AND (max_skew_seconds <= 300)))
);

ALTER TABLE ONLY tenancy.jwt_issuers FORCE ROW LEVEL SECURITY;

ALTER TABLE tenancy.jwt_issuers OWNER TO claw_owner;

--
-- Name: jwt_keys; Type: TABLE; Schema: tenancy; Owner: claw_owner
--

CREATE TABLE tenancy.jwt_keys (
    tenant_id uuid NOT NULL,
    jwt_key_id uuid DEFAULT uuidv7() NOT NULL,
    jwt_issuer_id uuid NOT NULL,
    kid text NOT NULL,
    n numeric NOT NULL,
    e numeric NOT NULL,
    modulus_bytes integer NOT NULL,
    em_prefix numeric NOT NULL,
    thumbprint text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT jwt_keys_e_check CHECK (((e >= (3)::numeric) AND (mod(e, (2)::numeric) = (1)::numeric))),
    CONSTRAINT jwt_keys_kid_check CHECK (((length(kid) >= 1) AND (length(kid) <= 200))),
    CONSTRAINT jwt_keys_modulus_bytes_check CHECK (((modulus_bytes >= 256) AND (modulus_bytes <= 1024))),
    CONSTRAINT jwt_keys_n_check CHECK ((n > (0)::numeric))
);

ALTER TABLE ONLY tenancy.jwt_keys FORCE ROW LEVEL SECURITY;

ALTER TABLE tenancy.jwt_keys OWNER TO claw_owner;

--
-- Name: jwt_subjects; Type: TABLE; Schema: tenancy; Owner: claw_owner
--

CREATE TABLE tenancy.jwt_subjects (
    tenant_id uuid NOT NULL,
    jwt_issuer_id uuid NOT NULL,
    subject text NOT NULL,
    principal_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT jwt_subjects_subject_check CHECK (((length(subject) >= 1) AND (length(subject) <= 500)))
);

ALTER TABLE ONLY tenancy.jwt_subjects FORCE ROW LEVEL SECURITY;

ALTER TABLE tenancy.jwt_subjects OWNER TO claw_owner;

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
-- Name: job_history_default; Type: TABLE ATTACH; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.job_history ATTACH PARTITION queue.job_history_default DEFAULT;

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
-- Name: models models_pkey; Type: CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.models
    ADD CONSTRAINT models_pkey PRIMARY KEY (tenant_id, version);

--
-- Name: relations relations_pkey; Type: CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.relations
    ADD CONSTRAINT relations_pkey PRIMARY KEY (tenant_id, object_type, relation);

--
-- Name: revisions revisions_pkey; Type: CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.revisions
    ADD CONSTRAINT revisions_pkey PRIMARY KEY (tenant_id);

--
-- Name: rewrite_edges rewrite_edges_pkey; Type: CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.rewrite_edges
    ADD CONSTRAINT rewrite_edges_pkey PRIMARY KEY (tenant_id, object_type, relation, kind, target_relation, tupleset);

--
-- Name: tuples tuples_pkey; Type: CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.tuples
    ADD CONSTRAINT tuples_pkey PRIMARY KEY (tenant_id, object_type, object_id, relation, subject_type, subject_id, subject_relation);

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
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tenant_id, idempotency_key_id);

--
-- Name: idempotency_keys idempotency_keys_tenant_id_principal_id_idempotency_key_key; Type: CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.idempotency_keys
    ADD CONSTRAINT idempotency_keys_tenant_id_principal_id_idempotency_key_key UNIQUE (tenant_id, principal_id, idempotency_key);

--
-- Name: request_buckets request_buckets_pkey; Type: CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.request_buckets
    ADD CONSTRAINT request_buckets_pkey PRIMARY KEY (tenant_id, bucket);

--
-- Name: request_limits request_limits_pkey; Type: CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.request_limits
    ADD CONSTRAINT request_limits_pkey PRIMARY KEY (tenant_id, request_limit_id);

--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: events; Owner: claw_owner
--

ALTER TABLE ONLY events.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (tenant_id, xact_id, event_id);

--
-- Name: purges purges_pkey; Type: CONSTRAINT; Schema: events; Owner: claw_owner
--

ALTER TABLE ONLY events.purges
    ADD CONSTRAINT purges_pkey PRIMARY KEY (tenant_id, purge_id);

--
-- Name: watchers watchers_pkey; Type: CONSTRAINT; Schema: events; Owner: claw_owner
--

ALTER TABLE ONLY events.watchers
    ADD CONSTRAINT watchers_pkey PRIMARY KEY (tenant_id, watcher_id);

--
-- Name: effects effects_pkey; Type: CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.effects
    ADD CONSTRAINT effects_pkey PRIMARY KEY (tenant_id, run_id, "position");

--
-- Name: runs runs_pkey; Type: CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (tenant_id, run_id);

--
-- Name: signals signals_pkey; Type: CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.signals
    ADD CONSTRAINT signals_pkey PRIMARY KEY (tenant_id, run_id, name);

--
-- Name: steps steps_pkey; Type: CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.steps
    ADD CONSTRAINT steps_pkey PRIMARY KEY (tenant_id, run_id, "position");

--
-- Name: timers timers_pkey; Type: CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.timers
    ADD CONSTRAINT timers_pkey PRIMARY KEY (tenant_id, run_id, "position");

--
-- Name: clock clock_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.clock
    ADD CONSTRAINT clock_pkey PRIMARY KEY (clock_id);

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
-- Name: flow_effect_transitions flow_effect_transitions_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.flow_effect_transitions
    ADD CONSTRAINT flow_effect_transitions_pkey PRIMARY KEY (from_status, to_status);

--
-- Name: flow_run_transitions flow_run_transitions_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.flow_run_transitions
    ADD CONSTRAINT flow_run_transitions_pkey PRIMARY KEY (from_status, to_status);

--
-- Name: jwt_routes jwt_routes_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.jwt_routes
    ADD CONSTRAINT jwt_routes_pkey PRIMARY KEY (issuer, audience);

--
-- Name: jwt_routes jwt_routes_tenant_id_jwt_issuer_id_key; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.jwt_routes
    ADD CONSTRAINT jwt_routes_tenant_id_jwt_issuer_id_key UNIQUE (tenant_id, jwt_issuer_id);

--
-- Name: llm_breakers llm_breakers_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.llm_breakers
    ADD CONSTRAINT llm_breakers_pkey PRIMARY KEY (provider);

--
-- Name: llm_models llm_models_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.llm_models
    ADD CONSTRAINT llm_models_pkey PRIMARY KEY (model);

--
-- Name: llm_prices llm_prices_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.llm_prices
    ADD CONSTRAINT llm_prices_pkey PRIMARY KEY (model, valid_from);

--
-- Name: queues queues_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.queues
    ADD CONSTRAINT queues_pkey PRIMARY KEY (queue);

--
-- Name: rate_limits rate_limits_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.rate_limits
    ADD CONSTRAINT rate_limits_pkey PRIMARY KEY (rate_key);

--
-- Name: waiting_workers waiting_workers_pkey; Type: CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.waiting_workers
    ADD CONSTRAINT waiting_workers_pkey PRIMARY KEY (queue, worker);

--
-- Name: breakers breakers_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.breakers
    ADD CONSTRAINT breakers_pkey PRIMARY KEY (tenant_id, provider);

--
-- Name: budget_windows budget_windows_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.budget_windows
    ADD CONSTRAINT budget_windows_pkey PRIMARY KEY (tenant_id, budget_id, window_start);

--
-- Name: budgets budgets_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.budgets
    ADD CONSTRAINT budgets_pkey PRIMARY KEY (tenant_id, budget_id);

--
-- Name: budgets budgets_tenant_id_scope_principal_id_task_period_key; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.budgets
    ADD CONSTRAINT budgets_tenant_id_scope_principal_id_task_period_key UNIQUE NULLS NOT DISTINCT (tenant_id, scope, principal_id, task, period);

--
-- Name: cache_entries cache_entries_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.cache_entries
    ADD CONSTRAINT cache_entries_pkey PRIMARY KEY (tenant_id, cache_key);

--
-- Name: calls calls_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.calls
    ADD CONSTRAINT calls_pkey PRIMARY KEY (tenant_id, call_id);

--
-- Name: eval_results eval_results_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.eval_results
    ADD CONSTRAINT eval_results_pkey PRIMARY KEY (tenant_id, eval_run_id, case_id);

--
-- Name: eval_runs eval_runs_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.eval_runs
    ADD CONSTRAINT eval_runs_pkey PRIMARY KEY (tenant_id, eval_run_id);

--
-- Name: reservations reservations_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.reservations
    ADD CONSTRAINT reservations_pkey PRIMARY KEY (tenant_id, reservation_id);

--
-- Name: routes routes_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.routes
    ADD CONSTRAINT routes_pkey PRIMARY KEY (tenant_id, route_id);

--
-- Name: routes routes_tenant_id_task_key; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.routes
    ADD CONSTRAINT routes_tenant_id_task_key UNIQUE (tenant_id, task);

--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (tenant_id);

--
-- Name: documents documents_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.documents
    ADD CONSTRAINT documents_pkey PRIMARY KEY (tenant_id, document_id);

--
-- Name: link_types link_types_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.link_types
    ADD CONSTRAINT link_types_pkey PRIMARY KEY (tenant_id, link_type_id);

--
-- Name: link_types link_types_tenant_id_link_type_id_one_from_one_to_key; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.link_types
    ADD CONSTRAINT link_types_tenant_id_link_type_id_one_from_one_to_key UNIQUE (tenant_id, link_type_id, one_from, one_to);

--
-- Name: link_types link_types_tenant_id_name_key; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.link_types
    ADD CONSTRAINT link_types_tenant_id_name_key UNIQUE (tenant_id, name);

--
-- Name: links links_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.links
    ADD CONSTRAINT links_pkey PRIMARY KEY (tenant_id, link_id);

--
-- Name: object_types object_types_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.object_types
    ADD CONSTRAINT object_types_pkey PRIMARY KEY (tenant_id, type_id);

--
-- Name: object_types object_types_tenant_id_name_key; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.object_types
    ADD CONSTRAINT object_types_tenant_id_name_key UNIQUE (tenant_id, name);

--
-- Name: objects objects_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.objects
    ADD CONSTRAINT objects_pkey PRIMARY KEY (tenant_id, object_id);

--
-- Name: properties properties_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.properties
    ADD CONSTRAINT properties_pkey PRIMARY KEY (tenant_id, type_id, name);

--
-- Name: tools tools_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.tools
    ADD CONSTRAINT tools_pkey PRIMARY KEY (tenant_id, tool_id);

--
-- Name: tools tools_tenant_id_name_key; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.tools
    ADD CONSTRAINT tools_tenant_id_name_key UNIQUE (tenant_id, name);

--
-- Name: type_versions type_versions_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.type_versions
    ADD CONSTRAINT type_versions_pkey PRIMARY KEY (tenant_id, type_id, version);

--
-- Name: unique_values unique_values_pkey; Type: CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.unique_values
    ADD CONSTRAINT unique_values_pkey PRIMARY KEY (tenant_id, type_id, property, value_key);

--
-- Name: job_history job_history_pkey; Type: CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.job_history
    ADD CONSTRAINT job_history_pkey PRIMARY KEY (tenant_id, job_id, finished_at);

--
-- Name: job_history_default job_history_default_pkey; Type: CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.job_history_default
    ADD CONSTRAINT job_history_default_pkey PRIMARY KEY (tenant_id, job_id, finished_at);

--
-- Name: jobs jobs_pkey; Type: CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (tenant_id, job_id);

--
-- Name: schedule_fires schedule_fires_pkey; Type: CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.schedule_fires
    ADD CONSTRAINT schedule_fires_pkey PRIMARY KEY (tenant_id, schedule_id, fire_at);

--
-- Name: schedules schedules_pkey; Type: CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.schedules
    ADD CONSTRAINT schedules_pkey PRIMARY KEY (tenant_id, schedule_id);

--
-- Name: schedules schedules_tenant_id_name_key; Type: CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.schedules
    ADD CONSTRAINT schedules_tenant_id_name_key UNIQUE (tenant_id, name);

--
-- Name: tenant_cursors tenant_cursors_pkey; Type: CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.tenant_cursors
    ADD CONSTRAINT tenant_cursors_pkey PRIMARY KEY (tenant_id, queue, priority);

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
-- Name: jwt_issuers jwt_issuers_pkey; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_issuers
    ADD CONSTRAINT jwt_issuers_pkey PRIMARY KEY (tenant_id, jwt_issuer_id);

--
-- Name: jwt_issuers jwt_issuers_tenant_id_issuer_audience_key; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_issuers
    ADD CONSTRAINT jwt_issuers_tenant_id_issuer_audience_key UNIQUE (tenant_id, issuer, audience);

--
-- Name: jwt_keys jwt_keys_pkey; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_keys
    ADD CONSTRAINT jwt_keys_pkey PRIMARY KEY (tenant_id, jwt_key_id);

--
-- Name: jwt_keys jwt_keys_tenant_id_jwt_issuer_id_kid_key; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_keys
    ADD CONSTRAINT jwt_keys_tenant_id_jwt_issuer_id_kid_key UNIQUE (tenant_id, jwt_issuer_id, kid);

--
-- Name: jwt_subjects jwt_subjects_pkey; Type: CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_subjects
    ADD CONSTRAINT jwt_subjects_pkey PRIMARY KEY (tenant_id, jwt_issuer_id, subject);

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
-- Name: rewrite_edges_by_target; Type: INDEX; Schema: authz; Owner: claw_owner
--

CREATE INDEX rewrite_edges_by_target ON authz.rewrite_edges USING btree (tenant_id, kind, target_relation, tupleset);

--
-- Name: tuples_by_subject; Type: INDEX; Schema: authz; Owner: claw_owner
--

CREATE INDEX tuples_by_subject ON authz.tuples USING btree (tenant_id, subject_type, subject_id, subject_relation, object_type, relation);

--
-- Name: tuples_usersets; Type: INDEX; Schema: authz; Owner: claw_owner
--

CREATE INDEX tuples_usersets ON authz.tuples USING btree (tenant_id, object_type, object_id, relation, subject_type, subject_id, subject_relation) WHERE (subject_relation <> ''::text);

--
-- Name: idempotency_keys_expires_idx; Type: INDEX; Schema: edge; Owner: claw_owner
--

CREATE INDEX idempotency_keys_expires_idx ON edge.idempotency_keys USING btree (expires_at);

--
-- Name: outbox_occurred_idx; Type: INDEX; Schema: events; Owner: claw_owner
--

CREATE INDEX outbox_occurred_idx ON events.outbox USING brin (occurred_at);

--
-- Name: effects_idempotency_key_idx; Type: INDEX; Schema: flow; Owner: claw_owner
--

CREATE UNIQUE INDEX effects_idempotency_key_idx ON flow.effects USING btree (tenant_id, idempotency_key);

--
-- Name: effects_tenant_status_idx; Type: INDEX; Schema: flow; Owner: claw_owner
--

CREATE INDEX effects_tenant_status_idx ON flow.effects USING btree (tenant_id, status) WHERE (status = 'unknown'::text);

--
-- Name: runs_idempotency_key_idx; Type: INDEX; Schema: flow; Owner: claw_owner
--

CREATE UNIQUE INDEX runs_idempotency_key_idx ON flow.runs USING btree (tenant_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);

--
-- Name: runs_tenant_finished_idx; Type: INDEX; Schema: flow; Owner: claw_owner
--

CREATE INDEX runs_tenant_finished_idx ON flow.runs USING btree (tenant_id, finished_at) WHERE (finished_at IS NOT NULL);

--
-- Name: runs_tenant_parent_idx; Type: INDEX; Schema: flow; Owner: claw_owner
--

CREATE INDEX runs_tenant_parent_idx ON flow.runs USING btree (tenant_id, parent_run_id) WHERE (parent_run_id IS NOT NULL);

--
-- Name: runs_tenant_status_idx; Type: INDEX; Schema: flow; Owner: claw_owner
--

CREATE INDEX runs_tenant_status_idx ON flow.runs USING btree (tenant_id, status, created_at);

--
-- Name: budgets_tenant_principal_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX budgets_tenant_principal_idx ON llm.budgets USING btree (tenant_id, principal_id) WHERE (principal_id IS NOT NULL);

--
-- Name: calls_tenant_model_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX calls_tenant_model_idx ON llm.calls USING btree (tenant_id, model, occurred_at);

--
-- Name: calls_tenant_reservation_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX calls_tenant_reservation_idx ON llm.calls USING btree (tenant_id, reservation_id);

--
-- Name: calls_tenant_task_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX calls_tenant_task_idx ON llm.calls USING btree (tenant_id, task, occurred_at);

--
-- Name: calls_tenant_time_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX calls_tenant_time_idx ON llm.calls USING btree (tenant_id, occurred_at);

--
-- Name: eval_runs_tenant_baseline_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX eval_runs_tenant_baseline_idx ON llm.eval_runs USING btree (tenant_id, baseline_run_id);

--
-- Name: eval_runs_tenant_suite_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX eval_runs_tenant_suite_idx ON llm.eval_runs USING btree (tenant_id, suite, accepted_at);

--
-- Name: reservations_tenant_created_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX reservations_tenant_created_idx ON llm.reservations USING btree (tenant_id, created_at);

--
-- Name: reservations_tenant_held_idx; Type: INDEX; Schema: llm; Owner: claw_owner
--

CREATE INDEX reservations_tenant_held_idx ON llm.reservations USING btree (tenant_id, expires_at) WHERE (status = 'held'::text);

--
-- Name: documents_authz_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX documents_authz_idx ON ontology.documents USING btree (tenant_id, authz_object);

--
-- Name: documents_embedding_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX documents_embedding_idx ON ontology.documents USING hnsw (embedding extensions.vector_cosine_ops);

--
-- Name: documents_object_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX documents_object_idx ON ontology.documents USING btree (tenant_id, object_id);

--
-- Name: documents_text_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX documents_text_idx ON ontology.documents USING btree (tenant_id) INCLUDE (document_id, authz_object, tsv);

--
-- Name: documents_tsv_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX documents_tsv_idx ON ontology.documents USING gin (tsv);

--
-- Name: links_one_from_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE UNIQUE INDEX links_one_from_idx ON ontology.links USING btree (tenant_id, link_type_id, to_object_id) WHERE (one_from AND (deleted_at IS NULL));

--
-- Name: links_one_to_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE UNIQUE INDEX links_one_to_idx ON ontology.links USING btree (tenant_id, link_type_id, from_object_id) WHERE (one_to AND (deleted_at IS NULL));

--
-- Name: links_pair_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE UNIQUE INDEX links_pair_idx ON ontology.links USING btree (tenant_id, link_type_id, from_object_id, to_object_id) WHERE (deleted_at IS NULL);

--
-- Name: links_tenant_from_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX links_tenant_from_idx ON ontology.links USING btree (tenant_id, from_object_id) WHERE (deleted_at IS NULL);

--
-- Name: links_tenant_to_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX links_tenant_to_idx ON ontology.links USING btree (tenant_id, to_object_id) WHERE (deleted_at IS NULL);

--
-- Name: objects_properties_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX objects_properties_idx ON ontology.objects USING gin (properties jsonb_path_ops);

--
-- Name: objects_tenant_type_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX objects_tenant_type_idx ON ontology.objects USING btree (tenant_id, type_id, object_id);

--
-- Name: properties_tenant_ref_type_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX properties_tenant_ref_type_idx ON ontology.properties USING btree (tenant_id, ref_type_id) WHERE (ref_type_id IS NOT NULL);

--
-- Name: unique_values_tenant_object_idx; Type: INDEX; Schema: ontology; Owner: claw_owner
--

CREATE INDEX unique_values_tenant_object_idx ON ontology.unique_values USING btree (tenant_id, object_id);

--
-- Name: jobs_claim_idx; Type: INDEX; Schema: queue; Owner: claw_owner
--

CREATE INDEX jobs_claim_idx ON queue.jobs USING btree (queue, priority DESC, fair_key) WHERE (state = 'available'::text);

--
-- Name: jobs_lease_idx; Type: INDEX; Schema: queue; Owner: claw_owner
--

CREATE INDEX jobs_lease_idx ON queue.jobs USING btree (queue, lease_expires_at) WHERE (state = 'running'::text);

--
-- Name: jobs_lease_token_idx; Type: INDEX; Schema: queue; Owner: claw_owner
--

CREATE INDEX jobs_lease_token_idx ON queue.jobs USING btree (lease_token) WHERE (state = 'running'::text);

--
-- Name: jobs_scheduled_idx; Type: INDEX; Schema: queue; Owner: claw_owner
--

CREATE INDEX jobs_scheduled_idx ON queue.jobs USING btree (queue, run_at) WHERE (state = 'scheduled'::text);

--
-- Name: jobs_unique_key_idx; Type: INDEX; Schema: queue; Owner: claw_owner
--

CREATE UNIQUE INDEX jobs_unique_key_idx ON queue.jobs USING btree (tenant_id, queue, unique_key) WHERE ((unique_key IS NOT NULL) AND (state = ANY (ARRAY['scheduled'::text, 'available'::text, 'running'::text])));

--
-- Name: schedules_due_idx; Type: INDEX; Schema: queue; Owner: claw_owner
--

CREATE INDEX schedules_due_idx ON queue.schedules USING btree (next_fire_at) WHERE (NOT paused);

--
-- Name: tenant_cursors_queue_priority_key_idx; Type: INDEX; Schema: queue; Owner: claw_owner
--

CREATE INDEX tenant_cursors_queue_priority_key_idx ON queue.tenant_cursors USING btree (queue, priority, last_key);

--
-- Name: api_keys_tenant_principal_idx; Type: INDEX; Schema: tenancy; Owner: claw_owner
--

CREATE INDEX api_keys_tenant_principal_idx ON tenancy.api_keys USING btree (tenant_id, principal_id);

--
-- Name: jwt_subjects_tenant_principal_idx; Type: INDEX; Schema: tenancy; Owner: claw_owner
--

CREATE INDEX jwt_subjects_tenant_principal_idx ON tenancy.jwt_subjects USING btree (tenant_id, principal_id);

--
-- Name: memberships_tenant_granted_by_idx; Type: INDEX; Schema: tenancy; Owner: claw_owner
--

CREATE INDEX memberships_tenant_granted_by_idx ON tenancy.memberships USING btree (tenant_id, granted_by);

--
-- Name: job_history_default_pkey; Type: INDEX ATTACH; Schema: queue; Owner: claw_owner
--

ALTER INDEX queue.job_history_pkey ATTACH PARTITION queue.job_history_default_pkey;

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
-- Name: models 500_audit_track; Type: TRIGGER; Schema: authz; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON authz.models FOR EACH ROW EXECUTE FUNCTION audit.tg_track('version', 'compiled');

--
-- Name: tuples 500_audit_track; Type: TRIGGER; Schema: authz; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON authz.tuples FOR EACH ROW EXECUTE FUNCTION audit.tg_track('object_type,object_id,relation,subject_type,subject_id,subject_relation');

--
-- Name: request_limits 500_audit_track; Type: TRIGGER; Schema: edge; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON edge.request_limits FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tenant_id', 'updated_at');

--
-- Name: outbox 900_notify; Type: TRIGGER; Schema: events; Owner: claw_owner
--

CREATE TRIGGER "900_notify" AFTER INSERT ON events.outbox REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events.tg_outbox__notify();

--
-- Name: effects 100_guard_transition; Type: TRIGGER; Schema: flow; Owner: claw_owner
--

CREATE TRIGGER "100_guard_transition" BEFORE UPDATE ON flow.effects FOR EACH ROW EXECUTE FUNCTION flow.tg_effects__guard_transition();

--
-- Name: runs 100_guard_transition; Type: TRIGGER; Schema: flow; Owner: claw_owner
--

CREATE TRIGGER "100_guard_transition" BEFORE UPDATE ON flow.runs FOR EACH ROW EXECUTE FUNCTION flow.tg_runs__guard_transition();

--
-- Name: steps 100_written_once; Type: TRIGGER; Schema: flow; Owner: claw_owner
--

CREATE TRIGGER "100_written_once" BEFORE UPDATE ON flow.steps FOR EACH ROW EXECUTE FUNCTION flow.tg_steps__written_once();

--
-- Name: effects 500_audit; Type: TRIGGER; Schema: flow; Owner: claw_owner
--

CREATE TRIGGER "500_audit" AFTER INSERT OR UPDATE OF status ON flow.effects FOR EACH ROW EXECUTE FUNCTION flow.tg_effects__audit();

--
-- Name: runs 500_audit; Type: TRIGGER; Schema: flow; Owner: claw_owner
--

CREATE TRIGGER "500_audit" AFTER INSERT OR UPDATE OF status ON flow.runs FOR EACH ROW EXECUTE FUNCTION flow.tg_runs__audit();

--
-- Name: llm_prices 100_append_only; Type: TRIGGER; Schema: internal; Owner: claw_owner
--

CREATE TRIGGER "100_append_only" BEFORE DELETE OR UPDATE ON internal.llm_prices FOR EACH ROW EXECUTE FUNCTION llm.tg_append_only();

ALTER TABLE internal.llm_prices ENABLE ALWAYS TRIGGER "100_append_only";

--
-- Name: llm_prices 100_no_truncate; Type: TRIGGER; Schema: internal; Owner: claw_owner
--

CREATE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON internal.llm_prices FOR EACH STATEMENT EXECUTE FUNCTION llm.tg_append_only();

ALTER TABLE internal.llm_prices ENABLE ALWAYS TRIGGER "100_no_truncate";

--
-- Name: calls 100_append_only; Type: TRIGGER; Schema: llm; Owner: claw_owner
--

CREATE TRIGGER "100_append_only" BEFORE DELETE OR UPDATE ON llm.calls FOR EACH ROW EXECUTE FUNCTION llm.tg_append_only();

ALTER TABLE llm.calls ENABLE ALWAYS TRIGGER "100_append_only";

--
-- Name: calls 100_no_truncate; Type: TRIGGER; Schema: llm; Owner: claw_owner
--

CREATE TRIGGER "100_no_truncate" BEFORE TRUNCATE ON llm.calls FOR EACH STATEMENT EXECUTE FUNCTION llm.tg_append_only();

ALTER TABLE llm.calls ENABLE ALWAYS TRIGGER "100_no_truncate";

--
-- Name: budgets 500_audit_track; Type: TRIGGER; Schema: llm; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON llm.budgets FOR EACH ROW EXECUTE FUNCTION audit.tg_track('budget_id');

--
-- Name: eval_runs 500_audit_track; Type: TRIGGER; Schema: llm; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER UPDATE ON llm.eval_runs FOR EACH ROW EXECUTE FUNCTION audit.tg_track('eval_run_id');

--
-- Name: routes 500_audit_track; Type: TRIGGER; Schema: llm; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON llm.routes FOR EACH ROW EXECUTE FUNCTION audit.tg_track('task');

--
-- Name: settings 500_audit_track; Type: TRIGGER; Schema: llm; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON llm.settings FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tenant_id');

--
-- Name: links 100_check; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "100_check" BEFORE INSERT OR UPDATE ON ontology.links FOR EACH ROW EXECUTE FUNCTION ontology.tg_links__check();

--
-- Name: link_types 100_fixed; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "100_fixed" BEFORE UPDATE ON ontology.link_types FOR EACH ROW EXECUTE FUNCTION ontology.tg_link_types__fixed();

--
-- Name: objects 100_validate; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "100_validate" BEFORE INSERT OR UPDATE ON ontology.objects FOR EACH ROW EXECUTE FUNCTION ontology.tg_objects__validate();

--
-- Name: objects 200_unique_values; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "200_unique_values" AFTER INSERT OR UPDATE ON ontology.objects FOR EACH ROW EXECUTE FUNCTION ontology.tg_objects__unique_values();

--
-- Name: documents 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.documents FOR EACH ROW EXECUTE FUNCTION audit.tg_track('document_id', 'embedding', 'tsv');

--
-- Name: link_types 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.link_types FOR EACH ROW EXECUTE FUNCTION audit.tg_track('link_type_id');

--
-- Name: links 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.links FOR EACH ROW EXECUTE FUNCTION audit.tg_track('link_id');

--
-- Name: object_types 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.object_types FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id');

--
-- Name: objects 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.objects FOR EACH ROW EXECUTE FUNCTION audit.tg_track('object_id', 'search_text');

--
-- Name: properties 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.properties FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id,name');

--
-- Name: tools 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.tools FOR EACH ROW EXECUTE FUNCTION audit.tg_track('tool_id');

--
-- Name: type_versions 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.type_versions FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id,version');

--
-- Name: unique_values 500_audit_track; Type: TRIGGER; Schema: ontology; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON ontology.unique_values FOR EACH ROW EXECUTE FUNCTION audit.tg_track('type_id,property,value_key');

--
-- Name: schedules 800_events_created; Type: TRIGGER; Schema: queue; Owner: claw_owner
--

CREATE TRIGGER "800_events_created" AFTER INSERT OR DELETE ON queue.schedules FOR EACH ROW EXECUTE FUNCTION events.tg_schedules__changed();

--
-- Name: jobs 800_events_enqueued; Type: TRIGGER; Schema: queue; Owner: claw_owner
--

CREATE TRIGGER "800_events_enqueued" AFTER INSERT ON queue.jobs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events.tg_jobs__enqueued();

--
-- Name: job_history 800_events_finished; Type: TRIGGER; Schema: queue; Owner: claw_owner
--

CREATE TRIGGER "800_events_finished" AFTER INSERT ON queue.job_history REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events.tg_job_history__finished();

--
-- Name: schedule_fires 800_events_fired; Type: TRIGGER; Schema: queue; Owner: claw_owner
--

CREATE TRIGGER "800_events_fired" AFTER INSERT ON queue.schedule_fires REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events.tg_schedule_fires__fired();

--
-- Name: schedules 800_events_paused; Type: TRIGGER; Schema: queue; Owner: claw_owner
--

CREATE TRIGGER "800_events_paused" AFTER UPDATE OF paused ON queue.schedules FOR EACH ROW WHEN ((old.paused IS DISTINCT FROM new.paused)) EXECUTE FUNCTION events.tg_schedules__changed();

--
-- Name: jobs 800_events_state; Type: TRIGGER; Schema: queue; Owner: claw_owner
--

CREATE TRIGGER "800_events_state" AFTER UPDATE OF state ON queue.jobs FOR EACH ROW WHEN (((old.state IS DISTINCT FROM new.state) AND ((new.state = 'dead'::text) OR (old.state = 'dead'::text) OR ((old.state = 'running'::text) AND (new.state = 'scheduled'::text))))) EXECUTE FUNCTION events.tg_jobs__state();

--
-- Name: jobs 900_notify; Type: TRIGGER; Schema: queue; Owner: claw_owner
--

CREATE TRIGGER "900_notify" AFTER INSERT ON queue.jobs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue.tg_jobs__notify();

--
-- Name: api_keys 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.api_keys FOR EACH ROW EXECUTE FUNCTION audit.tg_track('api_key_id', 'secret_hash', 'last_used_at');

--
-- Name: jwt_issuers 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.jwt_issuers FOR EACH ROW EXECUTE FUNCTION audit.tg_track('jwt_issuer_id');

--
-- Name: jwt_keys 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.jwt_keys FOR EACH ROW EXECUTE FUNCTION audit.tg_track('jwt_issuer_id,kid', 'n', 'em_prefix');

--
-- Name: jwt_subjects 500_audit_track; Type: TRIGGER; Schema: tenancy; Owner: claw_owner
--

CREATE TRIGGER "500_audit_track" AFTER INSERT OR DELETE OR UPDATE ON tenancy.jwt_subjects FOR EACH ROW EXECUTE FUNCTION audit.tg_track('jwt_issuer_id,subject');

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
-- Name: models models_tenant_id_created_by_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.models
    ADD CONSTRAINT models_tenant_id_created_by_fkey FOREIGN KEY (tenant_id, created_by) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: models models_tenant_id_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.models
    ADD CONSTRAINT models_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: relations relations_tenant_id_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.relations
    ADD CONSTRAINT relations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: relations relations_tenant_id_model_version_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.relations
    ADD CONSTRAINT relations_tenant_id_model_version_fkey FOREIGN KEY (tenant_id, model_version) REFERENCES authz.models(tenant_id, version);

--
-- Name: revisions revisions_tenant_id_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.revisions
    ADD CONSTRAINT revisions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: rewrite_edges rewrite_edges_tenant_id_object_type_relation_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.rewrite_edges
    ADD CONSTRAINT rewrite_edges_tenant_id_object_type_relation_fkey FOREIGN KEY (tenant_id, object_type, relation) REFERENCES authz.relations(tenant_id, object_type, relation) ON DELETE CASCADE;

--
-- Name: tuples tuples_tenant_id_created_by_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.tuples
    ADD CONSTRAINT tuples_tenant_id_created_by_fkey FOREIGN KEY (tenant_id, created_by) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: tuples tuples_tenant_id_fkey; Type: FK CONSTRAINT; Schema: authz; Owner: claw_owner
--

ALTER TABLE ONLY authz.tuples
    ADD CONSTRAINT tuples_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: idempotency_keys idempotency_keys_tenant_id_fkey; Type: FK CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.idempotency_keys
    ADD CONSTRAINT idempotency_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: idempotency_keys idempotency_keys_tenant_id_principal_id_fkey; Type: FK CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.idempotency_keys
    ADD CONSTRAINT idempotency_keys_tenant_id_principal_id_fkey FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: request_buckets request_buckets_tenant_id_fkey; Type: FK CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.request_buckets
    ADD CONSTRAINT request_buckets_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: request_limits request_limits_tenant_id_fkey; Type: FK CONSTRAINT; Schema: edge; Owner: claw_owner
--

ALTER TABLE ONLY edge.request_limits
    ADD CONSTRAINT request_limits_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: purges purges_tenant_id_fkey; Type: FK CONSTRAINT; Schema: events; Owner: claw_owner
--

ALTER TABLE ONLY events.purges
    ADD CONSTRAINT purges_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: watchers watchers_tenant_id_fkey; Type: FK CONSTRAINT; Schema: events; Owner: claw_owner
--

ALTER TABLE ONLY events.watchers
    ADD CONSTRAINT watchers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: effects effects_tenant_id_run_id_fkey; Type: FK CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.effects
    ADD CONSTRAINT effects_tenant_id_run_id_fkey FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs(tenant_id, run_id) ON DELETE CASCADE;

--
-- Name: runs runs_tenant_id_fkey; Type: FK CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.runs
    ADD CONSTRAINT runs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: runs runs_tenant_id_parent_run_id_fkey; Type: FK CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.runs
    ADD CONSTRAINT runs_tenant_id_parent_run_id_fkey FOREIGN KEY (tenant_id, parent_run_id) REFERENCES flow.runs(tenant_id, run_id) ON DELETE SET NULL (parent_run_id);

--
-- Name: signals signals_tenant_id_run_id_fkey; Type: FK CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.signals
    ADD CONSTRAINT signals_tenant_id_run_id_fkey FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs(tenant_id, run_id) ON DELETE CASCADE;

--
-- Name: steps steps_tenant_id_run_id_fkey; Type: FK CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.steps
    ADD CONSTRAINT steps_tenant_id_run_id_fkey FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs(tenant_id, run_id) ON DELETE CASCADE;

--
-- Name: timers timers_tenant_id_run_id_fkey; Type: FK CONSTRAINT; Schema: flow; Owner: claw_owner
--

ALTER TABLE ONLY flow.timers
    ADD CONSTRAINT timers_tenant_id_run_id_fkey FOREIGN KEY (tenant_id, run_id) REFERENCES flow.runs(tenant_id, run_id) ON DELETE CASCADE;

--
-- Name: jwt_routes jwt_routes_tenant_id_jwt_issuer_id_fkey; Type: FK CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.jwt_routes
    ADD CONSTRAINT jwt_routes_tenant_id_jwt_issuer_id_fkey FOREIGN KEY (tenant_id, jwt_issuer_id) REFERENCES tenancy.jwt_issuers(tenant_id, jwt_issuer_id) ON DELETE CASCADE;

--
-- Name: llm_prices llm_prices_model_fkey; Type: FK CONSTRAINT; Schema: internal; Owner: claw_owner
--

ALTER TABLE ONLY internal.llm_prices
    ADD CONSTRAINT llm_prices_model_fkey FOREIGN KEY (model) REFERENCES internal.llm_models(model);

--
-- Name: breakers breakers_provider_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.breakers
    ADD CONSTRAINT breakers_provider_fkey FOREIGN KEY (provider) REFERENCES internal.llm_breakers(provider);

--
-- Name: breakers breakers_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.breakers
    ADD CONSTRAINT breakers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: budget_windows budget_windows_tenant_id_budget_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.budget_windows
    ADD CONSTRAINT budget_windows_tenant_id_budget_id_fkey FOREIGN KEY (tenant_id, budget_id) REFERENCES llm.budgets(tenant_id, budget_id);

--
-- Name: budgets budgets_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.budgets
    ADD CONSTRAINT budgets_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: budgets budgets_tenant_id_principal_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.budgets
    ADD CONSTRAINT budgets_tenant_id_principal_id_fkey FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: cache_entries cache_entries_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.cache_entries
    ADD CONSTRAINT cache_entries_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: calls calls_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.calls
    ADD CONSTRAINT calls_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: calls calls_tenant_id_reservation_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.calls
    ADD CONSTRAINT calls_tenant_id_reservation_id_fkey FOREIGN KEY (tenant_id, reservation_id) REFERENCES llm.reservations(tenant_id, reservation_id);

--
-- Name: eval_results eval_results_tenant_id_eval_run_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.eval_results
    ADD CONSTRAINT eval_results_tenant_id_eval_run_id_fkey FOREIGN KEY (tenant_id, eval_run_id) REFERENCES llm.eval_runs(tenant_id, eval_run_id);

--
-- Name: eval_runs eval_runs_tenant_id_baseline_run_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.eval_runs
    ADD CONSTRAINT eval_runs_tenant_id_baseline_run_id_fkey FOREIGN KEY (tenant_id, baseline_run_id) REFERENCES llm.eval_runs(tenant_id, eval_run_id);

--
-- Name: eval_runs eval_runs_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.eval_runs
    ADD CONSTRAINT eval_runs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: reservations reservations_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.reservations
    ADD CONSTRAINT reservations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: routes routes_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.routes
    ADD CONSTRAINT routes_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: settings settings_tenant_id_fkey; Type: FK CONSTRAINT; Schema: llm; Owner: claw_owner
--

ALTER TABLE ONLY llm.settings
    ADD CONSTRAINT settings_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: documents documents_tenant_id_created_by_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.documents
    ADD CONSTRAINT documents_tenant_id_created_by_fkey FOREIGN KEY (tenant_id, created_by) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: documents documents_tenant_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.documents
    ADD CONSTRAINT documents_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: documents documents_tenant_id_object_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.documents
    ADD CONSTRAINT documents_tenant_id_object_id_fkey FOREIGN KEY (tenant_id, object_id) REFERENCES ontology.objects(tenant_id, object_id) ON DELETE CASCADE;

--
-- Name: link_types link_types_tenant_id_from_type_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.link_types
    ADD CONSTRAINT link_types_tenant_id_from_type_id_fkey FOREIGN KEY (tenant_id, from_type_id) REFERENCES ontology.object_types(tenant_id, type_id);

--
-- Name: link_types link_types_tenant_id_to_type_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.link_types
    ADD CONSTRAINT link_types_tenant_id_to_type_id_fkey FOREIGN KEY (tenant_id, to_type_id) REFERENCES ontology.object_types(tenant_id, type_id);

--
-- Name: links links_tenant_id_from_object_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.links
    ADD CONSTRAINT links_tenant_id_from_object_id_fkey FOREIGN KEY (tenant_id, from_object_id) REFERENCES ontology.objects(tenant_id, object_id);

--
-- Name: links links_tenant_id_link_type_id_one_from_one_to_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.links
    ADD CONSTRAINT links_tenant_id_link_type_id_one_from_one_to_fkey FOREIGN KEY (tenant_id, link_type_id, one_from, one_to) REFERENCES ontology.link_types(tenant_id, link_type_id, one_from, one_to);

--
-- Name: links links_tenant_id_to_object_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.links
    ADD CONSTRAINT links_tenant_id_to_object_id_fkey FOREIGN KEY (tenant_id, to_object_id) REFERENCES ontology.objects(tenant_id, object_id);

--
-- Name: object_types object_types_tenant_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.object_types
    ADD CONSTRAINT object_types_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: objects objects_tenant_id_type_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.objects
    ADD CONSTRAINT objects_tenant_id_type_id_fkey FOREIGN KEY (tenant_id, type_id) REFERENCES ontology.object_types(tenant_id, type_id);

--
-- Name: properties properties_tenant_id_ref_type_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.properties
    ADD CONSTRAINT properties_tenant_id_ref_type_id_fkey FOREIGN KEY (tenant_id, ref_type_id) REFERENCES ontology.object_types(tenant_id, type_id);

--
-- Name: properties properties_tenant_id_type_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.properties
    ADD CONSTRAINT properties_tenant_id_type_id_fkey FOREIGN KEY (tenant_id, type_id) REFERENCES ontology.object_types(tenant_id, type_id);

--
-- Name: tools tools_tenant_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.tools
    ADD CONSTRAINT tools_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: type_versions type_versions_tenant_id_type_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.type_versions
    ADD CONSTRAINT type_versions_tenant_id_type_id_fkey FOREIGN KEY (tenant_id, type_id) REFERENCES ontology.object_types(tenant_id, type_id);

--
-- Name: unique_values unique_values_tenant_id_object_id_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.unique_values
    ADD CONSTRAINT unique_values_tenant_id_object_id_fkey FOREIGN KEY (tenant_id, object_id) REFERENCES ontology.objects(tenant_id, object_id) ON DELETE CASCADE;

--
-- Name: unique_values unique_values_tenant_id_type_id_property_fkey; Type: FK CONSTRAINT; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ONLY ontology.unique_values
    ADD CONSTRAINT unique_values_tenant_id_type_id_property_fkey FOREIGN KEY (tenant_id, type_id, property) REFERENCES ontology.properties(tenant_id, type_id, name) ON DELETE CASCADE;

--
-- Name: jobs jobs_tenant_id_fkey; Type: FK CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.jobs
    ADD CONSTRAINT jobs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: schedule_fires schedule_fires_tenant_id_schedule_id_fkey; Type: FK CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.schedule_fires
    ADD CONSTRAINT schedule_fires_tenant_id_schedule_id_fkey FOREIGN KEY (tenant_id, schedule_id) REFERENCES queue.schedules(tenant_id, schedule_id) ON DELETE CASCADE;

--
-- Name: schedules schedules_tenant_id_fkey; Type: FK CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.schedules
    ADD CONSTRAINT schedules_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: tenant_cursors tenant_cursors_tenant_id_fkey; Type: FK CONSTRAINT; Schema: queue; Owner: claw_owner
--

ALTER TABLE ONLY queue.tenant_cursors
    ADD CONSTRAINT tenant_cursors_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: api_keys api_keys_tenant_id_principal_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.api_keys
    ADD CONSTRAINT api_keys_tenant_id_principal_id_fkey FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals(tenant_id, principal_id);

--
-- Name: jwt_issuers jwt_issuers_tenant_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_issuers
    ADD CONSTRAINT jwt_issuers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenancy.tenants(tenant_id);

--
-- Name: jwt_keys jwt_keys_tenant_id_jwt_issuer_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_keys
    ADD CONSTRAINT jwt_keys_tenant_id_jwt_issuer_id_fkey FOREIGN KEY (tenant_id, jwt_issuer_id) REFERENCES tenancy.jwt_issuers(tenant_id, jwt_issuer_id) ON DELETE CASCADE;

--
-- Name: jwt_subjects jwt_subjects_tenant_id_jwt_issuer_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_subjects
    ADD CONSTRAINT jwt_subjects_tenant_id_jwt_issuer_id_fkey FOREIGN KEY (tenant_id, jwt_issuer_id) REFERENCES tenancy.jwt_issuers(tenant_id, jwt_issuer_id) ON DELETE CASCADE;

--
-- Name: jwt_subjects jwt_subjects_tenant_id_principal_id_fkey; Type: FK CONSTRAINT; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE ONLY tenancy.jwt_subjects
    ADD CONSTRAINT jwt_subjects_tenant_id_principal_id_fkey FOREIGN KEY (tenant_id, principal_id) REFERENCES tenancy.principals(tenant_id, principal_id);

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

CREATE POLICY events_select_admin ON audit.events FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

--
-- Name: events events_tenant_isolation; Type: POLICY; Schema: audit; Owner: claw_owner
--

CREATE POLICY events_tenant_isolation ON audit.events AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: models; Type: ROW SECURITY; Schema: authz; Owner: claw_owner
--

ALTER TABLE authz.models ENABLE ROW LEVEL SECURITY;

--
-- Name: models models_insert_admin; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY models_insert_admin ON authz.models FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: models models_select_tenant; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY models_select_tenant ON authz.models FOR SELECT USING (true);

--
-- Name: models models_tenant_isolation; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY models_tenant_isolation ON authz.models AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: relations; Type: ROW SECURITY; Schema: authz; Owner: claw_owner
--

ALTER TABLE authz.relations ENABLE ROW LEVEL SECURITY;

--
-- Name: relations relations_delete_admin; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY relations_delete_admin ON authz.relations FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: relations relations_insert_admin; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY relations_insert_admin ON authz.relations FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: relations relations_select_tenant; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY relations_select_tenant ON authz.relations FOR SELECT USING (true);

--
-- Name: relations relations_tenant_isolation; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY relations_tenant_isolation ON authz.relations AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: relations relations_update_admin; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY relations_update_admin ON authz.relations FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: revisions; Type: ROW SECURITY; Schema: authz; Owner: claw_owner
--

ALTER TABLE authz.revisions ENABLE ROW LEVEL SECURITY;

--
-- Name: revisions revisions_insert_operator; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY revisions_insert_operator ON authz.revisions FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: revisions revisions_select_tenant; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY revisions_select_tenant ON authz.revisions FOR SELECT USING (true);

--
-- Name: revisions revisions_tenant_isolation; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY revisions_tenant_isolation ON authz.revisions AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: revisions revisions_update_operator; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY revisions_update_operator ON authz.revisions FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: rewrite_edges; Type: ROW SECURITY; Schema: authz; Owner: claw_owner
--

ALTER TABLE authz.rewrite_edges ENABLE ROW LEVEL SECURITY;

--
-- Name: rewrite_edges rewrite_edges_delete_admin; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY rewrite_edges_delete_admin ON authz.rewrite_edges FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: rewrite_edges rewrite_edges_insert_admin; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY rewrite_edges_insert_admin ON authz.rewrite_edges FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: rewrite_edges rewrite_edges_select_tenant; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY rewrite_edges_select_tenant ON authz.rewrite_edges FOR SELECT USING (true);

--
-- Name: rewrite_edges rewrite_edges_tenant_isolation; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY rewrite_edges_tenant_isolation ON authz.rewrite_edges AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: rewrite_edges rewrite_edges_update_admin; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY rewrite_edges_update_admin ON authz.rewrite_edges FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: tuples; Type: ROW SECURITY; Schema: authz; Owner: claw_owner
--

ALTER TABLE authz.tuples ENABLE ROW LEVEL SECURITY;

--
-- Name: tuples tuples_delete_operator; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY tuples_delete_operator ON authz.tuples FOR DELETE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: tuples tuples_insert_operator; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY tuples_insert_operator ON authz.tuples FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: tuples tuples_select_tenant; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY tuples_select_tenant ON authz.tuples FOR SELECT USING (true);

--
-- Name: tuples tuples_tenant_isolation; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY tuples_tenant_isolation ON authz.tuples AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: tuples tuples_update_operator; Type: POLICY; Schema: authz; Owner: claw_owner
--

CREATE POLICY tuples_update_operator ON authz.tuples FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: idempotency_keys; Type: ROW SECURITY; Schema: edge; Owner: claw_owner
--

ALTER TABLE edge.idempotency_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: idempotency_keys idempotency_keys_all_principal; Type: POLICY; Schema: edge; Owner: claw_owner
--

CREATE POLICY idempotency_keys_all_principal ON edge.idempotency_keys USING ((principal_id = ( SELECT internal.current_principal_id() AS current_principal_id))) WITH CHECK ((principal_id = ( SELECT internal.current_principal_id() AS current_principal_id)));

--
-- Name: idempotency_keys idempotency_keys_tenant_isolation; Type: POLICY; Schema: edge; Owner: claw_owner
--

CREATE POLICY idempotency_keys_tenant_isolation ON edge.idempotency_keys AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: request_buckets; Type: ROW SECURITY; Schema: edge; Owner: claw_owner
--

ALTER TABLE edge.request_buckets ENABLE ROW LEVEL SECURITY;

--
-- Name: request_buckets request_buckets_all_member; Type: POLICY; Schema: edge; Owner: claw_owner
--

CREATE POLICY request_buckets_all_member ON edge.request_buckets USING (true) WITH CHECK (true);

--
-- Name: request_buckets request_buckets_tenant_isolation; Type: POLICY; Schema: edge; Owner: claw_owner
--

CREATE POLICY request_buckets_tenant_isolation ON edge.request_buckets AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: request_limits; Type: ROW SECURITY; Schema: edge; Owner: claw_owner
--

ALTER TABLE edge.request_limits ENABLE ROW LEVEL SECURITY;

--
-- Name: request_limits request_limits_select_member; Type: POLICY; Schema: edge; Owner: claw_owner
--

CREATE POLICY request_limits_select_member ON edge.request_limits FOR SELECT USING (true);

--
-- Name: request_limits request_limits_tenant_isolation; Type: POLICY; Schema: edge; Owner: claw_owner
--

CREATE POLICY request_limits_tenant_isolation ON edge.request_limits AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: request_limits request_limits_write_system; Type: POLICY; Schema: edge; Owner: claw_owner
--

CREATE POLICY request_limits_write_system ON edge.request_limits USING (( SELECT internal.claims_role('{system}'::text[]) AS claims_role)) WITH CHECK (( SELECT internal.claims_role('{system}'::text[]) AS claims_role));

--
-- Name: outbox; Type: ROW SECURITY; Schema: events; Owner: claw_owner
--

ALTER TABLE events.outbox ENABLE ROW LEVEL SECURITY;

--
-- Name: outbox outbox_select_member; Type: POLICY; Schema: events; Owner: claw_owner
--

CREATE POLICY outbox_select_member ON events.outbox FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer}'::text[]) AS claims_role));

--
-- Name: outbox outbox_tenant_isolation; Type: POLICY; Schema: events; Owner: claw_owner
--

CREATE POLICY outbox_tenant_isolation ON events.outbox AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: purges; Type: ROW SECURITY; Schema: events; Owner: claw_owner
--

ALTER TABLE events.purges ENABLE ROW LEVEL SECURITY;

--
-- Name: purges purges_select_member; Type: POLICY; Schema: events; Owner: claw_owner
--

CREATE POLICY purges_select_member ON events.purges FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer}'::text[]) AS claims_role));

--
-- Name: purges purges_tenant_isolation; Type: POLICY; Schema: events; Owner: claw_owner
--

CREATE POLICY purges_tenant_isolation ON events.purges AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: watchers; Type: ROW SECURITY; Schema: events; Owner: claw_owner
--

ALTER TABLE events.watchers ENABLE ROW LEVEL SECURITY;

--
-- Name: watchers watchers_all_member; Type: POLICY; Schema: events; Owner: claw_owner
--

CREATE POLICY watchers_all_member ON events.watchers USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer}'::text[]) AS claims_role)) WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer}'::text[]) AS claims_role));

--
-- Name: watchers watchers_tenant_isolation; Type: POLICY; Schema: events; Owner: claw_owner
--

CREATE POLICY watchers_tenant_isolation ON events.watchers AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: effects; Type: ROW SECURITY; Schema: flow; Owner: claw_owner
--

ALTER TABLE flow.effects ENABLE ROW LEVEL SECURITY;

--
-- Name: effects effects_delete_admin; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY effects_delete_admin ON flow.effects FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: effects effects_insert_worker; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY effects_insert_worker ON flow.effects FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: effects effects_select_member; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY effects_select_member ON flow.effects FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: effects effects_tenant_isolation; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY effects_tenant_isolation ON flow.effects AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: effects effects_update_driver; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY effects_update_driver ON flow.effects FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: runs; Type: ROW SECURITY; Schema: flow; Owner: claw_owner
--

ALTER TABLE flow.runs ENABLE ROW LEVEL SECURITY;

--
-- Name: runs runs_delete_admin; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY runs_delete_admin ON flow.runs FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: runs runs_insert_starter; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY runs_insert_starter ON flow.runs FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: runs runs_select_member; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY runs_select_member ON flow.runs FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: runs runs_tenant_isolation; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY runs_tenant_isolation ON flow.runs AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: runs runs_update_driver; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY runs_update_driver ON flow.runs FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,approver,worker}'::text[]) AS claims_role));

--
-- Name: signals; Type: ROW SECURITY; Schema: flow; Owner: claw_owner
--

ALTER TABLE flow.signals ENABLE ROW LEVEL SECURITY;

--
-- Name: signals signals_delete_admin; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY signals_delete_admin ON flow.signals FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: signals signals_insert_sender; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY signals_insert_sender ON flow.signals FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,approver,worker}'::text[]) AS claims_role));

--
-- Name: signals signals_select_member; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY signals_select_member ON flow.signals FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: signals signals_tenant_isolation; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY signals_tenant_isolation ON flow.signals AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: signals signals_update_worker; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY signals_update_worker ON flow.signals FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: steps; Type: ROW SECURITY; Schema: flow; Owner: claw_owner
--

ALTER TABLE flow.steps ENABLE ROW LEVEL SECURITY;

--
-- Name: steps steps_delete_admin; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY steps_delete_admin ON flow.steps FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: steps steps_insert_driver; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY steps_insert_driver ON flow.steps FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: steps steps_select_member; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY steps_select_member ON flow.steps FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: steps steps_tenant_isolation; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY steps_tenant_isolation ON flow.steps AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: timers; Type: ROW SECURITY; Schema: flow; Owner: claw_owner
--

ALTER TABLE flow.timers ENABLE ROW LEVEL SECURITY;

--
-- Name: timers timers_delete_admin; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY timers_delete_admin ON flow.timers FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: timers timers_insert_worker; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY timers_insert_worker ON flow.timers FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: timers timers_select_member; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY timers_select_member ON flow.timers FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: timers timers_tenant_isolation; Type: POLICY; Schema: flow; Owner: claw_owner
--

CREATE POLICY timers_tenant_isolation ON flow.timers AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: breakers; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.breakers ENABLE ROW LEVEL SECURITY;

--
-- Name: breakers breakers_insert_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY breakers_insert_caller ON llm.breakers FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: breakers breakers_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY breakers_select_member ON llm.breakers FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: breakers breakers_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY breakers_tenant_isolation ON llm.breakers AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: breakers breakers_update_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY breakers_update_caller ON llm.breakers FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: budget_windows; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.budget_windows ENABLE ROW LEVEL SECURITY;

--
-- Name: budget_windows budget_windows_insert_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budget_windows_insert_caller ON llm.budget_windows FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: budget_windows budget_windows_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budget_windows_select_member ON llm.budget_windows FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: budget_windows budget_windows_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budget_windows_tenant_isolation ON llm.budget_windows AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: budget_windows budget_windows_update_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budget_windows_update_caller ON llm.budget_windows FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: budgets; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.budgets ENABLE ROW LEVEL SECURITY;

--
-- Name: budgets budgets_insert_admin; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budgets_insert_admin ON llm.budgets FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: budgets budgets_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budgets_select_member ON llm.budgets FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: budgets budgets_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budgets_tenant_isolation ON llm.budgets AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: budgets budgets_update_admin; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY budgets_update_admin ON llm.budgets FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: cache_entries; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.cache_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: cache_entries cache_entries_insert_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY cache_entries_insert_caller ON llm.cache_entries FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: cache_entries cache_entries_select_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY cache_entries_select_caller ON llm.cache_entries FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: cache_entries cache_entries_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY cache_entries_tenant_isolation ON llm.cache_entries AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: cache_entries cache_entries_update_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY cache_entries_update_caller ON llm.cache_entries FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: calls; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.calls ENABLE ROW LEVEL SECURITY;

--
-- Name: calls calls_insert_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY calls_insert_caller ON llm.calls FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: calls calls_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY calls_select_member ON llm.calls FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: calls calls_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY calls_tenant_isolation ON llm.calls AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: eval_results; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.eval_results ENABLE ROW LEVEL SECURITY;

--
-- Name: eval_results eval_results_insert_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY eval_results_insert_caller ON llm.eval_results FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: eval_results eval_results_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY eval_results_select_member ON llm.eval_results FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: eval_results eval_results_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY eval_results_tenant_isolation ON llm.eval_results AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: eval_runs; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.eval_runs ENABLE ROW LEVEL SECURITY;

--
-- Name: eval_runs eval_runs_insert_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY eval_runs_insert_caller ON llm.eval_runs FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: eval_runs eval_runs_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY eval_runs_select_member ON llm.eval_runs FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: eval_runs eval_runs_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY eval_runs_tenant_isolation ON llm.eval_runs AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: eval_runs eval_runs_update_admin; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY eval_runs_update_admin ON llm.eval_runs FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: reservations; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.reservations ENABLE ROW LEVEL SECURITY;

--
-- Name: reservations reservations_insert_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY reservations_insert_caller ON llm.reservations FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: reservations reservations_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY reservations_select_member ON llm.reservations FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: reservations reservations_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY reservations_tenant_isolation ON llm.reservations AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: reservations reservations_update_caller; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY reservations_update_caller ON llm.reservations FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: routes; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.routes ENABLE ROW LEVEL SECURITY;

--
-- Name: routes routes_insert_admin; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY routes_insert_admin ON llm.routes FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: routes routes_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY routes_select_member ON llm.routes FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: routes routes_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY routes_tenant_isolation ON llm.routes AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: routes routes_update_admin; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY routes_update_admin ON llm.routes FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: settings; Type: ROW SECURITY; Schema: llm; Owner: claw_owner
--

ALTER TABLE llm.settings ENABLE ROW LEVEL SECURITY;

--
-- Name: settings settings_insert_admin; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY settings_insert_admin ON llm.settings FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: settings settings_select_member; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY settings_select_member ON llm.settings FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: settings settings_tenant_isolation; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY settings_tenant_isolation ON llm.settings AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: settings settings_update_admin; Type: POLICY; Schema: llm; Owner: claw_owner
--

CREATE POLICY settings_update_admin ON llm.settings FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: documents; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.documents ENABLE ROW LEVEL SECURITY;

--
-- Name: documents documents_delete_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY documents_delete_writer ON ontology.documents FOR DELETE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: documents documents_insert_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY documents_insert_writer ON ontology.documents FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: documents documents_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY documents_select_member ON ontology.documents FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: documents documents_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY documents_tenant_isolation ON ontology.documents AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: documents documents_update_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY documents_update_writer ON ontology.documents FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: link_types; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.link_types ENABLE ROW LEVEL SECURITY;

--
-- Name: link_types link_types_insert_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY link_types_insert_admin ON ontology.link_types FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: link_types link_types_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY link_types_select_member ON ontology.link_types FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: link_types link_types_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY link_types_tenant_isolation ON ontology.link_types AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: link_types link_types_update_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY link_types_update_admin ON ontology.link_types FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: links; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.links ENABLE ROW LEVEL SECURITY;

--
-- Name: links links_insert_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY links_insert_writer ON ontology.links FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: links links_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY links_select_member ON ontology.links FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: links links_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY links_tenant_isolation ON ontology.links AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: links links_update_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY links_update_writer ON ontology.links FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: object_types; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.object_types ENABLE ROW LEVEL SECURITY;

--
-- Name: object_types object_types_insert_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY object_types_insert_admin ON ontology.object_types FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: object_types object_types_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY object_types_select_member ON ontology.object_types FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: object_types object_types_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY object_types_tenant_isolation ON ontology.object_types AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: object_types object_types_update_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY object_types_update_admin ON ontology.object_types FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: objects; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.objects ENABLE ROW LEVEL SECURITY;

--
-- Name: objects objects_insert_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY objects_insert_writer ON ontology.objects FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: objects objects_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY objects_select_member ON ontology.objects FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: objects objects_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY objects_tenant_isolation ON ontology.objects AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: objects objects_update_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY objects_update_writer ON ontology.objects FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: properties; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.properties ENABLE ROW LEVEL SECURITY;

--
-- Name: properties properties_delete_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY properties_delete_admin ON ontology.properties FOR DELETE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: properties properties_insert_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY properties_insert_admin ON ontology.properties FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: properties properties_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY properties_select_member ON ontology.properties FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: properties properties_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY properties_tenant_isolation ON ontology.properties AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: properties properties_update_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY properties_update_admin ON ontology.properties FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: tools; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.tools ENABLE ROW LEVEL SECURITY;

--
-- Name: tools tools_insert_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY tools_insert_admin ON ontology.tools FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: tools tools_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY tools_select_member ON ontology.tools FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: tools tools_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY tools_tenant_isolation ON ontology.tools AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: tools tools_update_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY tools_update_admin ON ontology.tools FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: type_versions; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.type_versions ENABLE ROW LEVEL SECURITY;

--
-- Name: type_versions type_versions_insert_admin; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY type_versions_insert_admin ON ontology.type_versions FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin}'::text[]) AS claims_role));

--
-- Name: type_versions type_versions_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY type_versions_select_member ON ontology.type_versions FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: type_versions type_versions_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY type_versions_tenant_isolation ON ontology.type_versions AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: unique_values; Type: ROW SECURITY; Schema: ontology; Owner: claw_owner
--

ALTER TABLE ontology.unique_values ENABLE ROW LEVEL SECURITY;

--
-- Name: unique_values unique_values_delete_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY unique_values_delete_writer ON ontology.unique_values FOR DELETE USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: unique_values unique_values_insert_writer; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY unique_values_insert_writer ON ontology.unique_values FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: unique_values unique_values_select_member; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY unique_values_select_member ON ontology.unique_values FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: unique_values unique_values_tenant_isolation; Type: POLICY; Schema: ontology; Owner: claw_owner
--

CREATE POLICY unique_values_tenant_isolation ON ontology.unique_values AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: job_history; Type: ROW SECURITY; Schema: queue; Owner: claw_owner
--

ALTER TABLE queue.job_history ENABLE ROW LEVEL SECURITY;

--
-- Name: job_history_default; Type: ROW SECURITY; Schema: queue; Owner: claw_owner
--

ALTER TABLE queue.job_history_default ENABLE ROW LEVEL SECURITY;

--
-- Name: job_history_default job_history_default_insert_operator; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY job_history_default_insert_operator ON queue.job_history_default FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator}'::text[]) AS claims_role));

--
-- Name: job_history_default job_history_default_select_member; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY job_history_default_select_member ON queue.job_history_default FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: job_history_default job_history_default_tenant_isolation; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY job_history_default_tenant_isolation ON queue.job_history_default AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: job_history job_history_insert_operator; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY job_history_insert_operator ON queue.job_history FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator}'::text[]) AS claims_role));

--
-- Name: job_history job_history_select_member; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY job_history_select_member ON queue.job_history FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: job_history job_history_tenant_isolation; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY job_history_tenant_isolation ON queue.job_history AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: jobs; Type: ROW SECURITY; Schema: queue; Owner: claw_owner
--

ALTER TABLE queue.jobs ENABLE ROW LEVEL SECURITY;

--
-- Name: jobs jobs_delete_operator; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY jobs_delete_operator ON queue.jobs FOR DELETE USING (( SELECT internal.claims_role('{owner,admin,operator}'::text[]) AS claims_role));

--
-- Name: jobs jobs_insert_enqueuer; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY jobs_insert_enqueuer ON queue.jobs FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: jobs jobs_select_member; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY jobs_select_member ON queue.jobs FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}'::text[]) AS claims_role));

--
-- Name: jobs jobs_tenant_isolation; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY jobs_tenant_isolation ON queue.jobs AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: jobs jobs_update_operator; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY jobs_update_operator ON queue.jobs FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,operator}'::text[]) AS claims_role));

--
-- Name: schedule_fires; Type: ROW SECURITY; Schema: queue; Owner: claw_owner
--

ALTER TABLE queue.schedule_fires ENABLE ROW LEVEL SECURITY;

--
-- Name: schedule_fires schedule_fires_delete_operator; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY schedule_fires_delete_operator ON queue.schedule_fires FOR DELETE USING (( SELECT internal.claims_role('{owner,admin,operator}'::text[]) AS claims_role));

--
-- Name: schedule_fires schedule_fires_select_member; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY schedule_fires_select_member ON queue.schedule_fires FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer}'::text[]) AS claims_role));

--
-- Name: schedule_fires schedule_fires_tenant_isolation; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY schedule_fires_tenant_isolation ON queue.schedule_fires AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: schedules; Type: ROW SECURITY; Schema: queue; Owner: claw_owner
--

ALTER TABLE queue.schedules ENABLE ROW LEVEL SECURITY;

--
-- Name: schedules schedules_select_member; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY schedules_select_member ON queue.schedules FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,operator,approver,viewer}'::text[]) AS claims_role));

--
-- Name: schedules schedules_tenant_isolation; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY schedules_tenant_isolation ON queue.schedules AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: schedules schedules_write_operator; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY schedules_write_operator ON queue.schedules USING (( SELECT internal.claims_role('{owner,admin,operator}'::text[]) AS claims_role)) WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator}'::text[]) AS claims_role));

--
-- Name: tenant_cursors; Type: ROW SECURITY; Schema: queue; Owner: claw_owner
--

ALTER TABLE queue.tenant_cursors ENABLE ROW LEVEL SECURITY;

--
-- Name: tenant_cursors tenant_cursors_all_enqueuer; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY tenant_cursors_all_enqueuer ON queue.tenant_cursors USING (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role)) WITH CHECK (( SELECT internal.claims_role('{owner,admin,operator,worker}'::text[]) AS claims_role));

--
-- Name: tenant_cursors tenant_cursors_tenant_isolation; Type: POLICY; Schema: queue; Owner: claw_owner
--

CREATE POLICY tenant_cursors_tenant_isolation ON queue.tenant_cursors AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: api_keys; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.api_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: api_keys api_keys_insert_own_or_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_insert_own_or_admin ON tenancy.api_keys FOR INSERT WITH CHECK (((principal_id = ( SELECT internal.current_principal_id() AS current_principal_id)) OR ( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role)));

--
-- Name: api_keys api_keys_select_own_or_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_select_own_or_admin ON tenancy.api_keys FOR SELECT USING (((principal_id = ( SELECT internal.current_principal_id() AS current_principal_id)) OR ( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role)));

--
-- Name: api_keys api_keys_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_tenant_isolation ON tenancy.api_keys AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: api_keys api_keys_update_own_or_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY api_keys_update_own_or_admin ON tenancy.api_keys FOR UPDATE USING (((principal_id = ( SELECT internal.current_principal_id() AS current_principal_id)) OR ( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role)));

--
-- Name: jwt_issuers; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.jwt_issuers ENABLE ROW LEVEL SECURITY;

--
-- Name: jwt_issuers jwt_issuers_delete_system; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_issuers_delete_system ON tenancy.jwt_issuers FOR DELETE USING (( SELECT internal.claims_role('{system}'::text[]) AS claims_role));

--
-- Name: jwt_issuers jwt_issuers_insert_system; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_issuers_insert_system ON tenancy.jwt_issuers FOR INSERT WITH CHECK (( SELECT internal.claims_role('{system}'::text[]) AS claims_role));

--
-- Name: jwt_issuers jwt_issuers_select_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_issuers_select_admin ON tenancy.jwt_issuers FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

--
-- Name: jwt_issuers jwt_issuers_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_issuers_tenant_isolation ON tenancy.jwt_issuers AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: jwt_issuers jwt_issuers_update_system; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_issuers_update_system ON tenancy.jwt_issuers FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role)) WITH CHECK (( SELECT internal.claims_role('{system}'::text[]) AS claims_role));

--
-- Name: jwt_keys; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.jwt_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: jwt_keys jwt_keys_delete_system; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_keys_delete_system ON tenancy.jwt_keys FOR DELETE USING (( SELECT internal.claims_role('{system}'::text[]) AS claims_role));

--
-- Name: jwt_keys jwt_keys_insert_system; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_keys_insert_system ON tenancy.jwt_keys FOR INSERT WITH CHECK (( SELECT internal.claims_role('{system}'::text[]) AS claims_role));

--
-- Name: jwt_keys jwt_keys_select_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_keys_select_admin ON tenancy.jwt_keys FOR SELECT USING (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

--
-- Name: jwt_keys jwt_keys_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_keys_tenant_isolation ON tenancy.jwt_keys AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: jwt_subjects; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.jwt_subjects ENABLE ROW LEVEL SECURITY;

--
-- Name: jwt_subjects jwt_subjects_all_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_subjects_all_admin ON tenancy.jwt_subjects USING (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role)) WITH CHECK (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

--
-- Name: jwt_subjects jwt_subjects_tenant_isolation; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY jwt_subjects_tenant_isolation ON tenancy.jwt_subjects AS RESTRICTIVE USING ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT internal.current_tenant_id() AS current_tenant_id)));

--
-- Name: memberships; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.memberships ENABLE ROW LEVEL SECURITY;

--
-- Name: memberships memberships_delete_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY memberships_delete_admin ON tenancy.memberships FOR DELETE USING (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

--
-- Name: memberships memberships_insert_admin; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY memberships_insert_admin ON tenancy.memberships FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

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

CREATE POLICY principals_insert_admin ON tenancy.principals FOR INSERT WITH CHECK (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

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

CREATE POLICY principals_update_admin ON tenancy.principals FOR UPDATE USING (( SELECT internal.claims_role('{owner,admin,system}'::text[]) AS claims_role));

--
-- Name: tenants; Type: ROW SECURITY; Schema: tenancy; Owner: claw_owner
--

ALTER TABLE tenancy.tenants ENABLE ROW LEVEL SECURITY;

--
-- Name: tenants tenants_insert_system; Type: POLICY; Schema: tenancy; Owner: claw_owner
--

CREATE POLICY tenants_insert_system ON tenancy.tenants FOR INSERT WITH CHECK (( SELECT internal.claims_role('{system}'::text[]) AS claims_role));

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

CREATE POLICY tenants_update_owner ON tenancy.tenants FOR UPDATE USING (( SELECT internal.claims_role('{owner,system}'::text[]) AS claims_role));

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
-- Name: SCHEMA authz; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA authz TO claw_authz_reader;

--
-- Name: SCHEMA edge; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA edge TO claw_dispatcher;

--
-- Name: SCHEMA events; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA events TO claw_dispatcher;

--
-- Name: SCHEMA extensions; Type: ACL; Schema: -; Owner: postgres
--

GRANT USAGE ON SCHEMA extensions TO claw_owner;

--
-- Name: SCHEMA flow; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA flow TO claw_dispatcher;

--
-- Name: SCHEMA internal; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT USAGE ON SCHEMA internal TO claw_authz_reader;
GRANT USAGE ON SCHEMA internal TO claw_dispatcher;
GRANT USAGE ON SCHEMA internal TO claw_operator_reader;

--
-- Name: SCHEMA llm; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA llm TO claw_dispatcher;

--
-- Name: SCHEMA ontology; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT USAGE ON SCHEMA ontology TO claw_operator_reader;

--
-- Name: SCHEMA queue; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA queue TO claw_dispatcher;
GRANT USAGE ON SCHEMA queue TO claw_admin;
GRANT USAGE ON SCHEMA queue TO claw_worker;

--
-- Name: SCHEMA tenancy; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT ALL ON SCHEMA tenancy TO claw_authenticator;
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
-- Name: FUNCTION list_object_types(p_tenant_id uuid, p_reason text); Type: ACL; Schema: admin; Owner: claw_operator_reader
--

REVOKE ALL ON FUNCTION admin.list_object_types(p_tenant_id uuid, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION admin.list_object_types(p_tenant_id uuid, p_reason text) TO claw_admin;

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
-- Name: FUNCTION require_reason(p_what text, p_reason text); Type: ACL; Schema: admin; Owner: claw_operator_reader
--

REVOKE ALL ON FUNCTION admin.require_reason(p_what text, p_reason text) FROM PUBLIC;

--
-- Name: FUNCTION accept_llm_eval_run(p_eval_run_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.accept_llm_eval_run(p_eval_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.accept_llm_eval_run(p_eval_run_id uuid) TO claw_runtime;

--
-- Name: FUNCTION act_as_job(p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.act_as_job(p_job_id uuid, p_lease_token uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.act_as_job(p_job_id uuid, p_lease_token uuid) TO claw_worker;

--
-- Name: FUNCTION authenticate(p_api_key text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.authenticate(p_api_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.authenticate(p_api_key text) TO claw_runtime;

--
-- Name: FUNCTION authenticate_jwt(p_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.authenticate_jwt(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.authenticate_jwt(p_token text) TO claw_runtime;

--
-- Name: FUNCTION begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.begin_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb) TO claw_worker;

--
-- Name: FUNCTION begin_idempotent_request(p_key text, p_method text, p_path text, p_request_sha256 text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.begin_idempotent_request(p_key text, p_method text, p_path text, p_request_sha256 text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.begin_idempotent_request(p_key text, p_method text, p_path text, p_request_sha256 text) TO claw_runtime;

--
-- Name: FUNCTION begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer, p_request_hash text, p_flow_run_id uuid, p_flow_step integer, p_trace_id text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer, p_request_hash text, p_flow_run_id uuid, p_flow_step integer, p_trace_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer, p_request_hash text, p_flow_run_id uuid, p_flow_step integer, p_trace_id text) TO claw_runtime;
GRANT ALL ON FUNCTION api.begin_llm_call(p_task text, p_input_tokens integer, p_max_output_tokens integer, p_request_hash text, p_flow_run_id uuid, p_flow_step integer, p_trace_id text) TO claw_worker;

--
-- Name: FUNCTION cancel_flow_run(p_run_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.cancel_flow_run(p_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.cancel_flow_run(p_run_id uuid) TO claw_runtime;

--
-- Name: FUNCTION cancel_job(p_job_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.cancel_job(p_job_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.cancel_job(p_job_id uuid) TO claw_runtime;

--
-- Name: FUNCTION check_permission(p_object text, p_relation text, p_subject text, p_consistency_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.check_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.check_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) TO claw_runtime;
GRANT ALL ON FUNCTION api.check_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) TO claw_worker;

--
-- Name: FUNCTION claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.claim_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) TO claw_worker;

--
-- Name: FUNCTION claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer, p_idle_runners integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer, p_idle_runners integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer, p_idle_runners integer) TO claw_worker;

--
-- Name: FUNCTION complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.complete_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb) TO claw_worker;

--
-- Name: FUNCTION complete_jobs(p_job_ids uuid[], p_lease_token uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.complete_jobs(p_job_ids uuid[], p_lease_token uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.complete_jobs(p_job_ids uuid[], p_lease_token uuid) TO claw_worker;

--
-- Name: FUNCTION create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_api_key(p_name text, p_principal_id uuid, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) TO claw_runtime;

--
-- Name: FUNCTION create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid) TO claw_runtime;
GRANT ALL ON FUNCTION api.create_link(p_link_type text, p_from_object_id uuid, p_to_object_id uuid) TO claw_worker;

--
-- Name: FUNCTION create_object(p_type text, p_properties jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.create_object(p_type text, p_properties jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_object(p_type text, p_properties jsonb) TO claw_runtime;
GRANT ALL ON FUNCTION api.create_object(p_type text, p_properties jsonb) TO claw_worker;

--
-- Name: FUNCTION create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_principal(p_kind text, p_handle text, p_display_name text, p_roles text[]) TO claw_runtime;

--
-- Name: FUNCTION create_schedule(p_name text, p_cron text, p_time_zone text, p_queue text, p_kind text, p_payload jsonb, p_catch_up boolean); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.create_schedule(p_name text, p_cron text, p_time_zone text, p_queue text, p_kind text, p_payload jsonb, p_catch_up boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_schedule(p_name text, p_cron text, p_time_zone text, p_queue text, p_kind text, p_payload jsonb, p_catch_up boolean) TO claw_runtime;

--
-- Name: FUNCTION current_event_position(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.current_event_position() FROM PUBLIC;
GRANT ALL ON FUNCTION api.current_event_position() TO claw_runtime;

--
-- Name: FUNCTION define_authz_model(p_model jsonb, p_expected_version integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.define_authz_model(p_model jsonb, p_expected_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.define_authz_model(p_model jsonb, p_expected_version integer) TO claw_runtime;

--
-- Name: FUNCTION define_link_type(p_name text, p_from_type text, p_to_type text, p_cardinality text, p_description text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.define_link_type(p_name text, p_from_type text, p_to_type text, p_cardinality text, p_description text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.define_link_type(p_name text, p_from_type text, p_to_type text, p_cardinality text, p_description text) TO claw_runtime;

--
-- Name: FUNCTION define_object_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.define_object_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.define_object_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer) TO claw_runtime;

--
-- Name: FUNCTION define_tool(p_name text, p_description text, p_input_schema jsonb, p_side_effect text, p_blast_radius text, p_max_objects integer, p_reversible boolean, p_expected_version integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.define_tool(p_name text, p_description text, p_input_schema jsonb, p_side_effect text, p_blast_radius text, p_max_objects integer, p_reversible boolean, p_expected_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.define_tool(p_name text, p_description text, p_input_schema jsonb, p_side_effect text, p_blast_radius text, p_max_objects integer, p_reversible boolean, p_expected_version integer) TO claw_runtime;

--
-- Name: FUNCTION delete_document(p_document_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.delete_document(p_document_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.delete_document(p_document_id uuid) TO claw_runtime;
GRANT ALL ON FUNCTION api.delete_document(p_document_id uuid) TO claw_worker;

--
-- Name: FUNCTION delete_link(p_link_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.delete_link(p_link_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.delete_link(p_link_id uuid) TO claw_runtime;
GRANT ALL ON FUNCTION api.delete_link(p_link_id uuid) TO claw_worker;

--
-- Name: FUNCTION delete_object(p_object_id uuid, p_expected_version integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.delete_object(p_object_id uuid, p_expected_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.delete_object(p_object_id uuid, p_expected_version integer) TO claw_runtime;
GRANT ALL ON FUNCTION api.delete_object(p_object_id uuid, p_expected_version integer) TO claw_worker;

--
-- Name: FUNCTION delete_schedule(p_schedule_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.delete_schedule(p_schedule_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.delete_schedule(p_schedule_id uuid) TO claw_runtime;

--
-- Name: FUNCTION describe_authz_model(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.describe_authz_model() FROM PUBLIC;
GRANT ALL ON FUNCTION api.describe_authz_model() TO claw_runtime;
GRANT ALL ON FUNCTION api.describe_authz_model() TO claw_worker;

--
-- Name: FUNCTION describe_object_type(p_name text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.describe_object_type(p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.describe_object_type(p_name text) TO claw_runtime;
GRANT ALL ON FUNCTION api.describe_object_type(p_name text) TO claw_worker;

--
-- Name: FUNCTION enqueue_job(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_run_at timestamp with time zone, p_unique_key text, p_rate_key text, p_max_attempts integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.enqueue_job(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_run_at timestamp with time zone, p_unique_key text, p_rate_key text, p_max_attempts integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.enqueue_job(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_run_at timestamp with time zone, p_unique_key text, p_rate_key text, p_max_attempts integer) TO claw_runtime;
GRANT ALL ON FUNCTION api.enqueue_job(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_run_at timestamp with time zone, p_unique_key text, p_rate_key text, p_max_attempts integer) TO claw_worker;

--
-- Name: FUNCTION enqueue_jobs(p_jobs jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.enqueue_jobs(p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.enqueue_jobs(p_jobs jsonb) TO claw_runtime;
GRANT ALL ON FUNCTION api.enqueue_jobs(p_jobs jsonb) TO claw_worker;

--
-- Name: FUNCTION events_waiting(p_watcher_ids uuid[], p_positions text[]); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.events_waiting(p_watcher_ids uuid[], p_positions text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION api.events_waiting(p_watcher_ids uuid[], p_positions text[]) TO claw_runtime;

--
-- Name: FUNCTION expire_llm_reservations(p_limit integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.expire_llm_reservations(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.expire_llm_reservations(p_limit integer) TO claw_worker;

--
-- Name: FUNCTION explain_permission(p_object text, p_relation text, p_subject text, p_consistency_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.explain_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.explain_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) TO claw_runtime;
GRANT ALL ON FUNCTION api.explain_permission(p_object text, p_relation text, p_subject text, p_consistency_token text) TO claw_worker;

--
-- Name: FUNCTION fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.fail_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) TO claw_worker;

--
-- Name: FUNCTION fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION api.fail_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean) TO claw_worker;

--
-- Name: FUNCTION fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer) TO claw_worker;

--
-- Name: FUNCTION finish_idempotent_request(p_key text, p_status integer, p_headers jsonb, p_body text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.finish_idempotent_request(p_key text, p_status integer, p_headers jsonb, p_body text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.finish_idempotent_request(p_key text, p_status integer, p_headers jsonb, p_body text) TO claw_runtime;

--
-- Name: FUNCTION finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb, p_request_hash text, p_context jsonb, p_trace_id text, p_call_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb, p_request_hash text, p_context jsonb, p_trace_id text, p_call_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb, p_request_hash text, p_context jsonb, p_trace_id text, p_call_token text) TO claw_runtime;
GRANT ALL ON FUNCTION api.finish_llm_call(p_reservation_id uuid, p_attempts jsonb, p_response jsonb, p_request_hash text, p_context jsonb, p_trace_id text, p_call_token text) TO claw_worker;

--
-- Name: FUNCTION flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.flow_cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) TO claw_worker;

--
-- Name: FUNCTION fork_flow_run(p_run_id uuid, p_from_position integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.fork_flow_run(p_run_id uuid, p_from_position integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.fork_flow_run(p_run_id uuid, p_from_position integer) TO claw_runtime;

--
-- Name: FUNCTION get_flow_run(p_run_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.get_flow_run(p_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_flow_run(p_run_id uuid) TO claw_runtime;

--
-- Name: FUNCTION get_job(p_job_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.get_job(p_job_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_job(p_job_id uuid) TO claw_runtime;
GRANT ALL ON FUNCTION api.get_job(p_job_id uuid) TO claw_worker;

--
-- Name: FUNCTION get_object(p_object_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.get_object(p_object_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_object(p_object_id uuid) TO claw_runtime;
GRANT ALL ON FUNCTION api.get_object(p_object_id uuid) TO claw_worker;

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
-- Name: FUNCTION heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer) TO claw_worker;

--
-- Name: FUNCTION is_permitted(p_object text, p_relation text, p_subject text, p_consistency_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.is_permitted(p_object text, p_relation text, p_subject text, p_consistency_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.is_permitted(p_object text, p_relation text, p_subject text, p_consistency_token text) TO claw_runtime;
GRANT ALL ON FUNCTION api.is_permitted(p_object text, p_relation text, p_subject text, p_consistency_token text) TO claw_worker;

--
-- Name: FUNCTION link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) TO claw_runtime;

--
-- Name: FUNCTION list_api_keys(p_limit integer, p_cursor text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_api_keys(p_limit integer, p_cursor text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_api_keys(p_limit integer, p_cursor text) TO claw_runtime;

--
-- Name: FUNCTION list_error_codes(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_error_codes() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_worker;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_admin;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_auditor;

--
-- Name: FUNCTION list_flow_effects(p_run_id uuid, p_status text, p_limit integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_flow_effects(p_run_id uuid, p_status text, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_flow_effects(p_run_id uuid, p_status text, p_limit integer) TO claw_runtime;

--
-- Name: FUNCTION list_flow_runs(p_status text, p_flow_name text, p_limit integer, p_cursor text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_flow_runs(p_status text, p_flow_name text, p_limit integer, p_cursor text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_flow_runs(p_status text, p_flow_name text, p_limit integer, p_cursor text) TO claw_runtime;

--
-- Name: FUNCTION list_flow_steps(p_run_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_flow_steps(p_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_flow_steps(p_run_id uuid) TO claw_runtime;

--
-- Name: FUNCTION list_jobs(p_state text, p_queue text, p_limit integer, p_cursor text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_jobs(p_state text, p_queue text, p_limit integer, p_cursor text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_jobs(p_state text, p_queue text, p_limit integer, p_cursor text) TO claw_runtime;

--
-- Name: FUNCTION list_jwt_issuers(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_jwt_issuers() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_jwt_issuers() TO claw_runtime;

--
-- Name: FUNCTION list_link_types(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_link_types() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_link_types() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_link_types() TO claw_worker;

--
-- Name: FUNCTION list_links(p_object_id uuid, p_link_type text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_links(p_object_id uuid, p_link_type text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_links(p_object_id uuid, p_link_type text) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_links(p_object_id uuid, p_link_type text) TO claw_worker;

--
-- Name: FUNCTION list_llm_budgets(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_llm_budgets() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_llm_budgets() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_llm_budgets() TO claw_worker;

--
-- Name: FUNCTION list_llm_calls(p_task text, p_limit integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_llm_calls(p_task text, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_llm_calls(p_task text, p_limit integer) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_llm_calls(p_task text, p_limit integer) TO claw_worker;

--
-- Name: FUNCTION list_llm_eval_runs(p_suite text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_llm_eval_runs(p_suite text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_llm_eval_runs(p_suite text) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_llm_eval_runs(p_suite text) TO claw_worker;

--
-- Name: FUNCTION list_llm_models(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_llm_models() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_llm_models() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_llm_models() TO claw_worker;

--
-- Name: FUNCTION list_llm_routes(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_llm_routes() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_llm_routes() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_llm_routes() TO claw_worker;

--
-- Name: FUNCTION list_object_tuples(p_object text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_object_tuples(p_object text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_object_tuples(p_object text) TO claw_runtime;

--
-- Name: FUNCTION list_object_types(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_object_types() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_object_types() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_object_types() TO claw_worker;

--
-- Name: FUNCTION list_objects_by_type(p_type text, p_limit integer, p_after uuid, p_include_deleted boolean, p_cursor text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_objects_by_type(p_type text, p_limit integer, p_after uuid, p_include_deleted boolean, p_cursor text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_objects_by_type(p_type text, p_limit integer, p_after uuid, p_include_deleted boolean, p_cursor text) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_objects_by_type(p_type text, p_limit integer, p_after uuid, p_include_deleted boolean, p_cursor text) TO claw_worker;

--
-- Name: FUNCTION list_permitted_objects(p_object_type text, p_relation text, p_subject text, p_limit integer, p_consistency_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_permitted_objects(p_object_type text, p_relation text, p_subject text, p_limit integer, p_consistency_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_permitted_objects(p_object_type text, p_relation text, p_subject text, p_limit integer, p_consistency_token text) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_permitted_objects(p_object_type text, p_relation text, p_subject text, p_limit integer, p_consistency_token text) TO claw_worker;

--
-- Name: FUNCTION list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer, p_consistency_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer, p_consistency_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer, p_consistency_token text) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_permitted_subjects(p_object text, p_relation text, p_subject_type text, p_limit integer, p_consistency_token text) TO claw_worker;

--
-- Name: FUNCTION list_principals(p_limit integer, p_cursor text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_principals(p_limit integer, p_cursor text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_principals(p_limit integer, p_cursor text) TO claw_runtime;

--
-- Name: FUNCTION list_schedules(p_limit integer, p_cursor text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_schedules(p_limit integer, p_cursor text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_schedules(p_limit integer, p_cursor text) TO claw_runtime;

--
-- Name: FUNCTION list_tools(p_side_effect text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_tools(p_side_effect text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_tools(p_side_effect text) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_tools(p_side_effect text) TO claw_worker;

--
-- Name: FUNCTION list_type_versions(p_name text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_type_versions(p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_type_versions(p_name text) TO claw_runtime;
GRANT ALL ON FUNCTION api.list_type_versions(p_name text) TO claw_worker;

--
-- Name: FUNCTION llm_usage(p_from date, p_to date); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.llm_usage(p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION api.llm_usage(p_from date, p_to date) TO claw_runtime;
GRANT ALL ON FUNCTION api.llm_usage(p_from date, p_to date) TO claw_worker;

--
-- Name: FUNCTION maintain_queue(p_retention_days integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.maintain_queue(p_retention_days integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.maintain_queue(p_retention_days integer) TO claw_worker;

--
-- Name: FUNCTION mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.mark_flow_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) TO claw_worker;

--
-- Name: FUNCTION mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.mark_flow_effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) TO claw_worker;

--
-- Name: FUNCTION purge_events(p_retention_days integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.purge_events(p_retention_days integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.purge_events(p_retention_days integer) TO claw_worker;

--
-- Name: FUNCTION purge_flow_runs(p_days integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.purge_flow_runs(p_days integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.purge_flow_runs(p_days integer) TO claw_runtime;

--
-- Name: FUNCTION purge_idempotency_keys(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.purge_idempotency_keys() FROM PUBLIC;
GRANT ALL ON FUNCTION api.purge_idempotency_keys() TO claw_worker;

--
-- Name: FUNCTION read_events(p_after text, p_limit integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.read_events(p_after text, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.read_events(p_after text, p_limit integer) TO claw_runtime;

--
-- Name: FUNCTION record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION api.record_flow_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone) TO claw_worker;

--
-- Name: FUNCTION record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION api.record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric) TO claw_runtime;
GRANT ALL ON FUNCTION api.record_llm_eval_run(p_suite text, p_task text, p_threshold numeric, p_results jsonb, p_cost_usd numeric) TO claw_worker;

--
-- Name: FUNCTION release_jobs(p_job_ids uuid[], p_lease_token uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.release_jobs(p_job_ids uuid[], p_lease_token uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.release_jobs(p_job_ids uuid[], p_lease_token uuid) TO claw_worker;

--
-- Name: FUNCTION resolve_flow_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.resolve_flow_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.resolve_flow_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text) TO claw_runtime;

--
-- Name: FUNCTION retry_job(p_job_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.retry_job(p_job_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.retry_job(p_job_id uuid) TO claw_runtime;

--
-- Name: FUNCTION revoke_api_key(p_api_key_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.revoke_api_key(p_api_key_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.revoke_api_key(p_api_key_id uuid) TO claw_runtime;

--
-- Name: FUNCTION role_safety_problems(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.role_safety_problems() FROM PUBLIC;
GRANT ALL ON FUNCTION api.role_safety_problems() TO claw_runtime;
GRANT ALL ON FUNCTION api.role_safety_problems() TO claw_worker;

--
-- Name: FUNCTION search_documents(p_query text, p_embedding text, p_limit integer, p_relation text, p_subject text, p_mode text, p_consistency_token text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.search_documents(p_query text, p_embedding text, p_limit integer, p_relation text, p_subject text, p_mode text, p_consistency_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.search_documents(p_query text, p_embedding text, p_limit integer, p_relation text, p_subject text, p_mode text, p_consistency_token text) TO claw_runtime;
GRANT ALL ON FUNCTION api.search_documents(p_query text, p_embedding text, p_limit integer, p_relation text, p_subject text, p_mode text, p_consistency_token text) TO claw_worker;

--
-- Name: FUNCTION send_flow_signal(p_run_id uuid, p_name text, p_payload jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.send_flow_signal(p_run_id uuid, p_name text, p_payload jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.send_flow_signal(p_run_id uuid, p_name text, p_payload jsonb) TO claw_runtime;

--
-- Name: FUNCTION set_llm_budget(p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid, p_task text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.set_llm_budget(p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid, p_task text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_llm_budget(p_scope text, p_period text, p_limit_usd numeric, p_principal_id uuid, p_task text) TO claw_runtime;

--
-- Name: FUNCTION set_llm_route(p_task text, p_models text[], p_fallback_on text[], p_max_attempts integer, p_backoff_ms integer, p_timeout_ms integer, p_max_output_tokens integer, p_cache_ttl_seconds integer, p_output_schema jsonb, p_max_repairs integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.set_llm_route(p_task text, p_models text[], p_fallback_on text[], p_max_attempts integer, p_backoff_ms integer, p_timeout_ms integer, p_max_output_tokens integer, p_cache_ttl_seconds integer, p_output_schema jsonb, p_max_repairs integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_llm_route(p_task text, p_models text[], p_fallback_on text[], p_max_attempts integer, p_backoff_ms integer, p_timeout_ms integer, p_max_output_tokens integer, p_cache_ttl_seconds integer, p_output_schema jsonb, p_max_repairs integer) TO claw_runtime;

--
-- Name: FUNCTION set_llm_settings(p_time_zone text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.set_llm_settings(p_time_zone text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_llm_settings(p_time_zone text) TO claw_runtime;

--
-- Name: FUNCTION set_schedule_paused(p_schedule_id uuid, p_paused boolean); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.set_schedule_paused(p_schedule_id uuid, p_paused boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_schedule_paused(p_schedule_id uuid, p_paused boolean) TO claw_runtime;

--
-- Name: FUNCTION set_tool_enabled(p_name text, p_enabled boolean); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.set_tool_enabled(p_name text, p_enabled boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_tool_enabled(p_name text, p_enabled boolean) TO claw_runtime;

--
-- Name: FUNCTION settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.settle_flow_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) TO claw_worker;

--
-- Name: FUNCTION sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION api.sleep_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision) TO claw_worker;

--
-- Name: FUNCTION start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.start_child_flow(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer) TO claw_worker;

--
-- Name: FUNCTION start_flow_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.start_flow_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.start_flow_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text) TO claw_runtime;
GRANT ALL ON FUNCTION api.start_flow_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text) TO claw_worker;

--
-- Name: FUNCTION stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.stop_cancelled_flow_run(p_run_id uuid, p_job_id uuid, p_lease_token uuid) TO claw_worker;

--
-- Name: FUNCTION take_request_token(p_cost integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.take_request_token(p_cost integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.take_request_token(p_cost integer) TO claw_runtime;

--
-- Name: FUNCTION tick_schedules(p_limit integer); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.tick_schedules(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.tick_schedules(p_limit integer) TO claw_worker;

--
-- Name: FUNCTION unwatch_events(p_watcher_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.unwatch_events(p_watcher_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.unwatch_events(p_watcher_id uuid) TO claw_runtime;

--
-- Name: FUNCTION update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb) TO claw_runtime;
GRANT ALL ON FUNCTION api.update_object(p_object_id uuid, p_expected_version integer, p_patch jsonb) TO claw_worker;

--
-- Name: FUNCTION upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text, p_object_id uuid, p_authz_object text, p_document_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text, p_object_id uuid, p_authz_object text, p_document_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text, p_object_id uuid, p_authz_object text, p_document_id uuid) TO claw_runtime;
GRANT ALL ON FUNCTION api.upsert_document(p_body text, p_embedding text, p_embedding_model text, p_title text, p_object_id uuid, p_authz_object text, p_document_id uuid) TO claw_worker;

--
-- Name: FUNCTION wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.wait_flow_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) TO claw_worker;

--
-- Name: FUNCTION wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION api.wait_flow_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision) TO claw_worker;

--
-- Name: FUNCTION watch_events(p_watcher_id uuid); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.watch_events(p_watcher_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.watch_events(p_watcher_id uuid) TO claw_runtime;

--
-- Name: FUNCTION whoami(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.whoami() FROM PUBLIC;
GRANT ALL ON FUNCTION api.whoami() TO claw_runtime;
GRANT ALL ON FUNCTION api.whoami() TO claw_worker;

--
-- Name: FUNCTION write_tuples(p_writes jsonb, p_deletes jsonb); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.write_tuples(p_writes jsonb, p_deletes jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.write_tuples(p_writes jsonb, p_deletes jsonb) TO claw_runtime;
GRANT ALL ON FUNCTION api.write_tuples(p_writes jsonb, p_deletes jsonb) TO claw_worker;

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
-- Name: FUNCTION digest_problem(p_digest jsonb); Type: ACL; Schema: audit; Owner: claw_owner
--

REVOKE ALL ON FUNCTION audit.digest_problem(p_digest jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION audit.digest_problem(p_digest jsonb) TO claw_auditor;

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
-- Name: FUNCTION acting_subject(p_subject text, p_action text, p_principal_id uuid, p_roles text[]); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.acting_subject(p_subject text, p_action text, p_principal_id uuid, p_roles text[]) FROM PUBLIC;

--
-- Name: FUNCTION ask(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.ask(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text) FROM PUBLIC;

--
-- Name: FUNCTION asker(p_subject text, p_action text, p_list boolean, p_limit integer, OUT tenant_id uuid, OUT subject text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.asker(p_subject text, p_action text, p_list boolean, p_limit integer, OUT tenant_id uuid, OUT subject text) FROM PUBLIC;

--
-- Name: FUNCTION bump_revision(p_tenant_id uuid); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.bump_revision(p_tenant_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION "check"(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz."check"(p_tenant_id uuid, p_object text, p_relation text, p_subject text, p_token text) FROM PUBLIC;

--
-- Name: FUNCTION compile_model(p_types jsonb); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.compile_model(p_types jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.compile_model(p_types jsonb) TO claw_authz_reader;

--
-- Name: FUNCTION decide_in_tenant(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_authz_reader
--

REVOKE ALL ON FUNCTION authz.decide_in_tenant(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.decide_in_tenant(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) TO claw_owner;

--
-- Name: FUNCTION decide_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.decide_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.decide_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) TO claw_authz_reader;

--
-- Name: FUNCTION decided(p_why jsonb); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.decided(p_why jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.decided(p_why jsonb) TO claw_authz_reader;

--
-- Name: FUNCTION define_model(p_tenant_id uuid, p_principal_id uuid, p_model jsonb, p_expected_version integer, OUT version integer, OUT token text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.define_model(p_tenant_id uuid, p_principal_id uuid, p_model jsonb, p_expected_version integer, OUT version integer, OUT token text) FROM PUBLIC;

--
-- Name: FUNCTION direct_subjects_of(p_node jsonb); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.direct_subjects_of(p_node jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.direct_subjects_of(p_node jsonb) TO claw_authz_reader;

--
-- Name: FUNCTION evaluate(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.evaluate(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.evaluate(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) TO claw_authz_reader;

--
-- Name: FUNCTION evaluate_in_tenant(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_authz_reader
--

REVOKE ALL ON FUNCTION authz.evaluate_in_tenant(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.evaluate_in_tenant(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) TO claw_owner;

--
-- Name: FUNCTION evaluate_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.evaluate_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.evaluate_rewrite(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_node jsonb, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) TO claw_authz_reader;

--
-- Name: FUNCTION evaluate_rewrite_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_node jsonb, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.evaluate_rewrite_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_node jsonb, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) FROM PUBLIC;

--
-- Name: FUNCTION evaluate_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.evaluate_set(p_tenant_id uuid, p_model jsonb, p_walk jsonb, p_relations jsonb, p_type text, p_relation text, p_candidates text[], p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) FROM PUBLIC;

--
-- Name: FUNCTION evaluate_this(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.evaluate_this(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.evaluate_this(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_path text[]) TO claw_authz_reader;

--
-- Name: FUNCTION evaluate_top(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.evaluate_top(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.evaluate_top(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) TO claw_authz_reader;

--
-- Name: FUNCTION explain_lines(p_why jsonb, p_indent integer); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.explain_lines(p_why jsonb, p_indent integer) FROM PUBLIC;

--
-- Name: FUNCTION format_tuple(p_object_type text, p_object_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.format_tuple(p_object_type text, p_object_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.format_tuple(p_object_type text, p_object_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text) TO claw_authz_reader;

--
-- Name: FUNCTION list_objects(p_tenant_id uuid, p_object_type text, p_relation text, p_subject text, p_limit integer, p_token text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.list_objects(p_tenant_id uuid, p_object_type text, p_relation text, p_subject text, p_limit integer, p_token text) FROM PUBLIC;

--
-- Name: FUNCTION list_subjects(p_tenant_id uuid, p_object text, p_relation text, p_subject_type text, p_limit integer, p_token text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.list_subjects(p_tenant_id uuid, p_object text, p_relation text, p_subject_type text, p_limit integer, p_token text) FROM PUBLIC;

--
-- Name: FUNCTION load_model(p_tenant_id uuid); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.load_model(p_tenant_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION make_token(p_tenant_id uuid, p_revision bigint); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.make_token(p_tenant_id uuid, p_revision bigint) FROM PUBLIC;

--
-- Name: FUNCTION memberships(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.memberships(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.memberships(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone) TO claw_authz_reader;

--
-- Name: FUNCTION parse_object(p_ref text, p_what text, OUT object_type text, OUT object_id text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.parse_object(p_ref text, p_what text, OUT object_type text, OUT object_id text) FROM PUBLIC;

--
-- Name: FUNCTION parse_subject(p_ref text, OUT subject_type text, OUT subject_id text, OUT subject_relation text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.parse_subject(p_ref text, OUT subject_type text, OUT subject_id text, OUT subject_relation text) FROM PUBLIC;

--
-- Name: FUNCTION permitted(p_tenant_id uuid, p_model jsonb, p_object text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.permitted(p_tenant_id uuid, p_model jsonb, p_object text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION reaches(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_budget integer); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.reaches(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_budget integer) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.reaches(p_tenant_id uuid, p_model jsonb, p_type text, p_id text, p_relation text, p_subject_type text, p_subject_id text, p_subject_relation text, p_now timestamp with time zone, p_budget integer) TO claw_authz_reader;

--
-- Name: FUNCTION require_fresh(p_tenant_id uuid, p_token text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.require_fresh(p_tenant_id uuid, p_token text) FROM PUBLIC;

--
-- Name: FUNCTION require_relation(p_model jsonb, p_type text, p_relation text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.require_relation(p_model jsonb, p_type text, p_relation text) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.require_relation(p_model jsonb, p_type text, p_relation text) TO claw_authz_reader;

--
-- Name: FUNCTION require_verified_tenant(p_tenant_id uuid); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.require_verified_tenant(p_tenant_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.require_verified_tenant(p_tenant_id uuid) TO claw_authz_reader;

--
-- Name: FUNCTION rewrite_children(p_node jsonb); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.rewrite_children(p_node jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.rewrite_children(p_node jsonb) TO claw_authz_reader;

--
-- Name: FUNCTION rewrite_leaves(p_node jsonb); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.rewrite_leaves(p_node jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.rewrite_leaves(p_node jsonb) TO claw_authz_reader;

--
-- Name: FUNCTION snapshot_token(p_tenant_id uuid); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.snapshot_token(p_tenant_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION subject_groups(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone, p_depth integer); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.subject_groups(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone, p_depth integer) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.subject_groups(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_groups jsonb, p_now timestamp with time zone, p_depth integer) TO claw_authz_reader;

--
-- Name: FUNCTION type_edges(p_tenant_id uuid); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.type_edges(p_tenant_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION userset_chain(p_tenant_id uuid, p_reached jsonb, p_hit jsonb, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.userset_chain(p_tenant_id uuid, p_reached jsonb, p_hit jsonb, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.userset_chain(p_tenant_id uuid, p_reached jsonb, p_hit jsonb, p_now timestamp with time zone) TO claw_authz_reader;

--
-- Name: FUNCTION userset_path(p_tenant_id uuid, p_reached jsonb, p_root text, p_node text, p_depth integer, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.userset_path(p_tenant_id uuid, p_reached jsonb, p_root text, p_node text, p_depth integer, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.userset_path(p_tenant_id uuid, p_reached jsonb, p_root text, p_node text, p_depth integer, p_now timestamp with time zone) TO claw_authz_reader;

--
-- Name: FUNCTION validate_rewrite(p_types jsonb, p_type text, p_relation text, p_node jsonb, p_depth integer); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.validate_rewrite(p_types jsonb, p_type text, p_relation text, p_node jsonb, p_depth integer) FROM PUBLIC;

--
-- Name: FUNCTION walk_down(p_tenant_id uuid, p_types text[], p_ids text[], p_relations text[], p_now timestamp with time zone, p_leaves boolean); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.walk_down(p_tenant_id uuid, p_types text[], p_ids text[], p_relations text[], p_now timestamp with time zone, p_leaves boolean) FROM PUBLIC;

--
-- Name: FUNCTION walk_up(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_now timestamp with time zone); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.walk_up(p_tenant_id uuid, p_type text, p_id text, p_relation text, p_now timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION wrap_userset_path(p_path text[], p_why jsonb); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.wrap_userset_path(p_path text[], p_why jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION authz.wrap_userset_path(p_path text[], p_why jsonb) TO claw_authz_reader;

--
-- Name: FUNCTION write_tuples(p_tenant_id uuid, p_principal_id uuid, p_writes jsonb, p_deletes jsonb, OUT written integer, OUT deleted integer, OUT token text); Type: ACL; Schema: authz; Owner: claw_owner
--

REVOKE ALL ON FUNCTION authz.write_tuples(p_tenant_id uuid, p_principal_id uuid, p_writes jsonb, p_deletes jsonb, OUT written integer, OUT deleted integer, OUT token text) FROM PUBLIC;

--
-- Name: FUNCTION default_request_limits(OUT tenant_per_minute integer, OUT tenant_burst integer, OUT credential_per_minute integer, OUT credential_burst integer); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.default_request_limits(OUT tenant_per_minute integer, OUT tenant_burst integer, OUT credential_per_minute integer, OUT credential_burst integer) FROM PUBLIC;

--
-- Name: FUNCTION holds_api_key(p_text text); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.holds_api_key(p_text text) FROM PUBLIC;

--
-- Name: FUNCTION idempotency_lock_key(p_tenant_id uuid, p_principal_id uuid, p_key text); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.idempotency_lock_key(p_tenant_id uuid, p_principal_id uuid, p_key text) FROM PUBLIC;

--
-- Name: FUNCTION idempotency_mac(p_tenant_id uuid, p_principal_id uuid, p_key text, p_method text, p_path text, p_request_sha256 text); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.idempotency_mac(p_tenant_id uuid, p_principal_id uuid, p_key text, p_method text, p_path text, p_request_sha256 text) FROM PUBLIC;

--
-- Name: FUNCTION idempotency_principal(OUT tenant_id uuid, OUT principal_id uuid); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.idempotency_principal(OUT tenant_id uuid, OUT principal_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION idempotency_window(); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.idempotency_window() FROM PUBLIC;

--
-- Name: FUNCTION purge_idempotency_keys(); Type: ACL; Schema: edge; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION edge.purge_idempotency_keys() FROM PUBLIC;
GRANT ALL ON FUNCTION edge.purge_idempotency_keys() TO claw_owner;

--
-- Name: FUNCTION require_idempotency_key(p_key text); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.require_idempotency_key(p_key text) FROM PUBLIC;

--
-- Name: FUNCTION set_request_limits(p_tenant_id uuid, p_tenant_per_minute integer, p_tenant_burst integer, p_credential_per_minute integer, p_credential_burst integer); Type: ACL; Schema: edge; Owner: claw_owner
--

REVOKE ALL ON FUNCTION edge.set_request_limits(p_tenant_id uuid, p_tenant_per_minute integer, p_tenant_burst integer, p_credential_per_minute integer, p_credential_burst integer) FROM PUBLIC;

--
-- Name: FUNCTION format_position(p_xact_id xid8, p_event_id bigint); Type: ACL; Schema: events; Owner: claw_owner
--

REVOKE ALL ON FUNCTION events.format_position(p_xact_id xid8, p_event_id bigint) FROM PUBLIC;

--
-- Name: FUNCTION parse_position(p_position text, OUT xact_id xid8, OUT event_id bigint); Type: ACL; Schema: events; Owner: claw_owner
--

REVOKE ALL ON FUNCTION events.parse_position(p_position text, OUT xact_id xid8, OUT event_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION events.parse_position(p_position text, OUT xact_id xid8, OUT event_id bigint) TO claw_dispatcher;

--
-- Name: FUNCTION purge(p_retention interval); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.purge(p_retention interval) FROM PUBLIC;
GRANT ALL ON FUNCTION events.purge(p_retention interval) TO claw_owner;

--
-- Name: FUNCTION tg_job_history__finished(); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.tg_job_history__finished() FROM PUBLIC;

--
-- Name: FUNCTION tg_jobs__enqueued(); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.tg_jobs__enqueued() FROM PUBLIC;

--
-- Name: FUNCTION tg_jobs__state(); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.tg_jobs__state() FROM PUBLIC;

--
-- Name: FUNCTION tg_outbox__notify(); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.tg_outbox__notify() FROM PUBLIC;

--
-- Name: FUNCTION tg_schedule_fires__fired(); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.tg_schedule_fires__fired() FROM PUBLIC;

--
-- Name: FUNCTION tg_schedules__changed(); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.tg_schedules__changed() FROM PUBLIC;

--
-- Name: FUNCTION watchers_with_events(p_watcher_ids uuid[], p_positions text[]); Type: ACL; Schema: events; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION events.watchers_with_events(p_watcher_ids uuid[], p_positions text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION events.watchers_with_events(p_watcher_ids uuid[], p_positions text[]) TO claw_owner;

--
-- Name: FUNCTION begin_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.begin_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_provider text, p_request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION cancel(p_run_id uuid); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.cancel(p_run_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION cancel_one(p_run flow.runs); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.cancel_one(p_run flow.runs) FROM PUBLIC;

--
-- Name: FUNCTION cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.cancel_requested(p_run_id uuid, p_job_id uuid, p_lease_token uuid) FROM PUBLIC;

--
-- Name: FUNCTION check_position(p_run flow.runs, p_position integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.check_position(p_run flow.runs, p_position integer) FROM PUBLIC;

--
-- Name: FUNCTION check_start_args(p_flow_name text, p_flow_version integer, p_input jsonb, p_idempotency_key text, p_trace_id text, p_queue text); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.check_start_args(p_flow_name text, p_flow_version integer, p_input jsonb, p_idempotency_key text, p_trace_id text, p_queue text) FROM PUBLIC;

--
-- Name: FUNCTION check_wait(p_wake_at timestamp with time zone, p_seconds double precision, p_required boolean); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.check_wait(p_wake_at timestamp with time zone, p_seconds double precision, p_required boolean) FROM PUBLIC;

--
-- Name: FUNCTION claim(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.claim(p_run_id uuid, p_job_id uuid, p_lease_token uuid) FROM PUBLIC;

--
-- Name: FUNCTION complete(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.complete(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_output jsonb) FROM PUBLIC;

--
-- Name: FUNCTION dispatch_job(p_queue text, p_run_id uuid, p_trace_id text, p_run_at timestamp with time zone); Type: ACL; Schema: flow; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION flow.dispatch_job(p_queue text, p_run_id uuid, p_trace_id text, p_run_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.effect_unknown(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_note text) FROM PUBLIC;

--
-- Name: FUNCTION fail(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.fail(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_error jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fail_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.fail_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_error text, p_max_attempts integer, p_backoff_seconds double precision, p_backoff_max_seconds double precision, p_retry boolean) FROM PUBLIC;

--
-- Name: FUNCTION finish(p_run flow.runs, p_status text, p_output jsonb, p_error jsonb); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.finish(p_run flow.runs, p_status text, p_output jsonb, p_error jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_timer(p_run flow.runs, p_position integer, p_kind text, p_wake_at timestamp with time zone); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.fix_timer(p_run flow.runs, p_position integer, p_kind text, p_wake_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION flag_unsettled_effects(p_run flow.runs, p_status text); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.flag_unsettled_effects(p_run flow.runs, p_status text) FROM PUBLIC;

--
-- Name: FUNCTION fork(p_run_id uuid, p_from_position integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.fork(p_run_id uuid, p_from_position integer) FROM PUBLIC;

--
-- Name: FUNCTION history_limits(OUT steps integer, OUT bytes bigint); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.history_limits(OUT steps integer, OUT bytes bigint) FROM PUBLIC;

--
-- Name: FUNCTION hold(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_any_status boolean); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.hold(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_any_status boolean) FROM PUBLIC;

--
-- Name: FUNCTION insert_step(p_run flow.runs, p_position integer, p_name text, p_kind text, p_input_hash text, p_status text, p_output jsonb, p_error text, p_started_at timestamp with time zone); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.insert_step(p_run flow.runs, p_position integer, p_name text, p_kind text, p_input_hash text, p_status text, p_output jsonb, p_error text, p_started_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION mark_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.mark_effect_sent(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer) FROM PUBLIC;

--
-- Name: FUNCTION pending(p_kind text, p_name text, p_input_hash text); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.pending(p_kind text, p_name text, p_input_hash text) FROM PUBLIC;

--
-- Name: FUNCTION purge(p_days integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.purge(p_days integer) FROM PUBLIC;

--
-- Name: FUNCTION record_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.record_step(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_output jsonb, p_kind text, p_started_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION redispatch(p_run flow.runs, p_run_at timestamp with time zone); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.redispatch(p_run flow.runs, p_run_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION require_effect(p_run flow.runs, p_position integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.require_effect(p_run flow.runs, p_position integer) FROM PUBLIC;

--
-- Name: FUNCTION require_position(p_position integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.require_position(p_position integer) FROM PUBLIC;

--
-- Name: FUNCTION require_run(p_run_id uuid); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.require_run(p_run_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION require_step_identity(p_name text, p_input_hash text); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.require_step_identity(p_name text, p_input_hash text) FROM PUBLIC;

--
-- Name: FUNCTION resolve_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.resolve_effect(p_run_id uuid, p_position integer, p_delivered boolean, p_response jsonb, p_note text) FROM PUBLIC;

--
-- Name: FUNCTION send_signal(p_run_id uuid, p_name text, p_payload jsonb); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.send_signal(p_run_id uuid, p_name text, p_payload jsonb) FROM PUBLIC;

--
-- Name: FUNCTION settle_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.settle_effect(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_outcome text, p_response jsonb) FROM PUBLIC;

--
-- Name: FUNCTION sleep(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.sleep(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_wake_at timestamp with time zone, p_seconds double precision) FROM PUBLIC;

--
-- Name: FUNCTION start_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.start_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_flow_name text, p_input jsonb, p_flow_version integer) FROM PUBLIC;

--
-- Name: FUNCTION start_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text, p_parent_run_id uuid, p_parent_position integer); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.start_run(p_flow_name text, p_input jsonb, p_flow_version integer, p_idempotency_key text, p_trace_id text, p_queue text, p_parent_run_id uuid, p_parent_position integer) FROM PUBLIC;

--
-- Name: FUNCTION stop_cancelled(p_run_id uuid, p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.stop_cancelled(p_run_id uuid, p_job_id uuid, p_lease_token uuid) FROM PUBLIC;

--
-- Name: FUNCTION tg_effects__audit(); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.tg_effects__audit() FROM PUBLIC;

--
-- Name: FUNCTION tg_effects__guard_transition(); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.tg_effects__guard_transition() FROM PUBLIC;

--
-- Name: FUNCTION tg_runs__audit(); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.tg_runs__audit() FROM PUBLIC;

--
-- Name: FUNCTION tg_runs__guard_transition(); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.tg_runs__guard_transition() FROM PUBLIC;

--
-- Name: FUNCTION tg_steps__written_once(); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.tg_steps__written_once() FROM PUBLIC;

--
-- Name: FUNCTION trace(p_trace_id text); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.trace(p_trace_id text) FROM PUBLIC;

--
-- Name: FUNCTION wait_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.wait_child(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_name text, p_input_hash text, p_child_run_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION wait_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.wait_signal(p_run_id uuid, p_job_id uuid, p_lease_token uuid, p_position integer, p_signal text, p_input_hash text, p_timeout_at timestamp with time zone, p_timeout_seconds double precision) FROM PUBLIC;

--
-- Name: FUNCTION wake_parent(p_child flow.runs); Type: ACL; Schema: flow; Owner: claw_owner
--

REVOKE ALL ON FUNCTION flow.wake_parent(p_child flow.runs) FROM PUBLIC;

--
-- Name: FUNCTION b64url_decode(p_text text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.b64url_decode(p_text text) FROM PUBLIC;

--
-- Name: FUNCTION bytes_to_numeric(p_bytes bytea); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.bytes_to_numeric(p_bytes bytea) FROM PUBLIC;

--
-- Name: FUNCTION claims_role(p_roles text[]); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.claims_role(p_roles text[]) FROM PUBLIC;

--
-- Name: FUNCTION clear_context(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.clear_context() FROM PUBLIC;
GRANT ALL ON FUNCTION internal.clear_context() TO claw_dispatcher;
GRANT ALL ON FUNCTION internal.clear_context() TO claw_operator_reader;

--
-- Name: FUNCTION clock_now(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.clock_now() FROM PUBLIC;

--
-- Name: FUNCTION context_credential(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.context_credential() FROM PUBLIC;

--
-- Name: FUNCTION current_principal_id(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.current_principal_id() FROM PUBLIC;

--
-- Name: FUNCTION current_tenant_id(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.current_tenant_id() FROM PUBLIC;
GRANT ALL ON FUNCTION internal.current_tenant_id() TO claw_dispatcher;

--
-- Name: FUNCTION cursor_mac(p_query text, p_filters jsonb, p_position text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.cursor_mac(p_query text, p_filters jsonb, p_position text) FROM PUBLIC;

--
-- Name: FUNCTION ensure_tenant_policy(p_table regclass); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.ensure_tenant_policy(p_table regclass) FROM PUBLIC;

--
-- Name: FUNCTION has_role(p_roles text[]); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.has_role(p_roles text[]) FROM PUBLIC;

--
-- Name: FUNCTION input_limit(p_kind text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.input_limit(p_kind text) FROM PUBLIC;
GRANT ALL ON FUNCTION internal.input_limit(p_kind text) TO claw_dispatcher;

--
-- Name: FUNCTION lock_named(p_name text, p_exclusive boolean); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.lock_named(p_name text, p_exclusive boolean) FROM PUBLIC;

--
-- Name: FUNCTION make_cursor(p_query text, p_filters jsonb, p_position jsonb); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.make_cursor(p_query text, p_filters jsonb, p_position jsonb) FROM PUBLIC;

--
-- Name: FUNCTION now(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.now() FROM PUBLIC;
GRANT ALL ON FUNCTION internal.now() TO claw_dispatcher;

--
-- Name: FUNCTION read_cursor(p_query text, p_filters jsonb, p_cursor text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.read_cursor(p_query text, p_filters jsonb, p_cursor text) FROM PUBLIC;

--
-- Name: FUNCTION refuse_jwt(p_message text, p_detail text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.refuse_jwt(p_message text, p_detail text) FROM PUBLIC;

--
-- Name: FUNCTION require_context(p_roles text[], p_scope text, p_action text, OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.require_context(p_roles text[], p_scope text, p_action text, OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) FROM PUBLIC;

--
-- Name: FUNCTION require_limit(p_limit integer, p_max integer); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.require_limit(p_limit integer, p_max integer) FROM PUBLIC;

--
-- Name: FUNCTION require_role(p_roles text[], p_scope text, p_action text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.require_role(p_roles text[], p_scope text, p_action text) FROM PUBLIC;

--
-- Name: FUNCTION require_size(p_parameter text, p_value anyelement, p_kind text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.require_size(p_parameter text, p_value anyelement, p_kind text) FROM PUBLIC;

--
-- Name: FUNCTION role_safety_problems(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.role_safety_problems() FROM PUBLIC;

--
-- Name: FUNCTION rsa_modexp(p_base numeric, p_exponent numeric, p_modulus numeric); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.rsa_modexp(p_base numeric, p_exponent numeric, p_modulus numeric) FROM PUBLIC;

--
-- Name: FUNCTION rsa_pkcs1_prefix(p_modulus_bytes integer); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.rsa_pkcs1_prefix(p_modulus_bytes integer) FROM PUBLIC;

--
-- Name: FUNCTION rsa_verify_sha256(p_message bytea, p_signature bytea, p_n numeric, p_e numeric, p_modulus_bytes integer, p_prefix numeric); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.rsa_verify_sha256(p_message bytea, p_signature bytea, p_n numeric, p_e numeric, p_modulus_bytes integer, p_prefix numeric) FROM PUBLIC;

--
-- Name: FUNCTION scopes(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.scopes() FROM PUBLIC;

--
-- Name: FUNCTION set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[], p_credential text); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[], p_credential text) FROM PUBLIC;
GRANT ALL ON FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[], p_credential text) TO claw_dispatcher;
GRANT ALL ON FUNCTION internal.set_context(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_scopes text[], p_credential text) TO claw_operator_reader;

--
-- Name: FUNCTION tenant_schemas(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.tenant_schemas() FROM PUBLIC;

--
-- Name: FUNCTION trace_id(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.trace_id() FROM PUBLIC;
GRANT ALL ON FUNCTION internal.trace_id() TO claw_dispatcher;

--
-- Name: FUNCTION verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION internal.verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) TO claw_authz_reader;
GRANT ALL ON FUNCTION internal.verified_context(OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[]) TO claw_dispatcher;

--
-- Name: FUNCTION breaker_admit(p_tenant_id uuid, p_provider text, p_probe_lease interval); Type: ACL; Schema: llm; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION llm.breaker_admit(p_tenant_id uuid, p_provider text, p_probe_lease interval) FROM PUBLIC;

--
-- Name: FUNCTION breaker_record(p_tenant_id uuid, p_provider text, p_ok boolean); Type: ACL; Schema: llm; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION llm.breaker_record(p_tenant_id uuid, p_provider text, p_ok boolean) FROM PUBLIC;

--
-- Name: FUNCTION breaker_release(p_tenant_id uuid, p_provider text, p_probe_until timestamp with time zone); Type: ACL; Schema: llm; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION llm.breaker_release(p_tenant_id uuid, p_provider text, p_probe_until timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION budget_covers(p_scope text, p_budget_principal uuid, p_budget_task text, p_principal_id uuid, p_task text); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.budget_covers(p_scope text, p_budget_principal uuid, p_budget_task text, p_principal_id uuid, p_task text) FROM PUBLIC;

--
-- Name: FUNCTION cache_key(p_task text, p_route_version integer, p_models text[], p_request_hash text); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.cache_key(p_task text, p_route_version integer, p_models text[], p_request_hash text) FROM PUBLIC;

--
-- Name: FUNCTION call_token_mac(p_body text); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.call_token_mac(p_body text) FROM PUBLIC;

--
-- Name: FUNCTION charged_attempts(p_attempts jsonb, p_priced_at timestamp with time zone, p_caps integer[]); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.charged_attempts(p_attempts jsonb, p_priced_at timestamp with time zone, p_caps integer[]) FROM PUBLIC;

--
-- Name: TABLE reservations; Type: ACL; Schema: llm; Owner: claw_owner
--

GRANT SELECT,UPDATE ON TABLE llm.reservations TO claw_dispatcher;

--
-- Name: FUNCTION close_reservation(p_tenant_id uuid, p_reservation_id uuid, p_actual_usd numeric); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.close_reservation(p_tenant_id uuid, p_reservation_id uuid, p_actual_usd numeric) FROM PUBLIC;

--
-- Name: FUNCTION cost_usd(p_price internal.llm_prices, p_input_tokens integer, p_cached_tokens integer, p_output_tokens integer); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.cost_usd(p_price internal.llm_prices, p_input_tokens integer, p_cached_tokens integer, p_output_tokens integer) FROM PUBLIC;

--
-- Name: FUNCTION define_model(p_model text, p_provider text, p_tokenizer text, p_context_window integer, p_max_output_tokens integer); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.define_model(p_model text, p_provider text, p_tokenizer text, p_context_window integer, p_max_output_tokens integer) FROM PUBLIC;

--
-- Name: FUNCTION expire_held(p_tenant_id uuid, p_now timestamp with time zone); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.expire_held(p_tenant_id uuid, p_now timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.expire_held(p_tenant_id uuid, p_now timestamp with time zone) TO claw_dispatcher;

--
-- Name: FUNCTION expire_reservations(p_limit integer); Type: ACL; Schema: llm; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION llm.expire_reservations(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION llm.expire_reservations(p_limit integer) TO claw_owner;

--
-- Name: FUNCTION lock_prices(p_exclusive boolean); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.lock_prices(p_exclusive boolean) FROM PUBLIC;

--
-- Name: FUNCTION lock_zone(p_tenant_id uuid, p_exclusive boolean); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.lock_zone(p_tenant_id uuid, p_exclusive boolean) FROM PUBLIC;

--
-- Name: FUNCTION make_call_token(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_reservation_id uuid, p_until timestamp with time zone, p_request_hash text); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.make_call_token(p_tenant_id uuid, p_principal_id uuid, p_roles text[], p_reservation_id uuid, p_until timestamp with time zone, p_request_hash text) FROM PUBLIC;

--
-- Name: FUNCTION overlapping(p_tenant_id uuid, p_budget_id uuid, p_window_start date, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.overlapping(p_tenant_id uuid, p_budget_id uuid, p_window_start date, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION price_at(p_model text, p_at timestamp with time zone); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.price_at(p_model text, p_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION reserve(p_tenant_id uuid, p_task text, p_principal_id uuid, p_amount_usd numeric, p_ttl interval, p_zone text, p_flow_run_id uuid, p_flow_step integer, p_route_version integer, p_chain_models text[], p_chain_output_caps integer[], p_max_attempts integer); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.reserve(p_tenant_id uuid, p_task text, p_principal_id uuid, p_amount_usd numeric, p_ttl interval, p_zone text, p_flow_run_id uuid, p_flow_step integer, p_route_version integer, p_chain_models text[], p_chain_output_caps integer[], p_max_attempts integer) FROM PUBLIC;

--
-- Name: FUNCTION seed_window(p_budget llm.budgets, p_zone text, p_at timestamp with time zone); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.seed_window(p_budget llm.budgets, p_zone text, p_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION set_price(p_model text, p_input_usd_per_mtok numeric, p_cached_input_usd_per_mtok numeric, p_output_usd_per_mtok numeric, p_valid_from timestamp with time zone); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.set_price(p_model text, p_input_usd_per_mtok numeric, p_cached_input_usd_per_mtok numeric, p_output_usd_per_mtok numeric, p_valid_from timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION tenant_zone(p_tenant_id uuid); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.tenant_zone(p_tenant_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION tg_append_only(); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.tg_append_only() FROM PUBLIC;

--
-- Name: FUNCTION use_call_token(p_token text, p_reservation_id uuid, OUT tenant_id uuid, OUT request_hash text); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.use_call_token(p_token text, p_reservation_id uuid, OUT tenant_id uuid, OUT request_hash text) FROM PUBLIC;

--
-- Name: FUNCTION window_for(p_period text, p_at timestamp with time zone, p_zone text, OUT window_start date, OUT starts_at timestamp with time zone, OUT ends_at timestamp with time zone); Type: ACL; Schema: llm; Owner: claw_owner
--

REVOKE ALL ON FUNCTION llm.window_for(p_period text, p_at timestamp with time zone, p_zone text, OUT window_start date, OUT starts_at timestamp with time zone, OUT ends_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION check_definition(p_what text, p_name text, p_description text); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.check_definition(p_what text, p_name text, p_description text) FROM PUBLIC;

--
-- Name: FUNCTION check_input_schema(p_tool text, p_schema jsonb); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.check_input_schema(p_tool text, p_schema jsonb) FROM PUBLIC;

--
-- Name: TABLE properties; Type: ACL; Schema: ontology; Owner: claw_owner
--

GRANT SELECT ON TABLE ontology.properties TO claw_operator_reader;

--
-- Name: FUNCTION check_value(p_prop ontology.properties, p_value jsonb, p_lock boolean); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.check_value(p_prop ontology.properties, p_value jsonb, p_lock boolean) FROM PUBLIC;

--
-- Name: FUNCTION create_link(p_type ontology.link_types, p_from uuid, p_to uuid); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.create_link(p_type ontology.link_types, p_from uuid, p_to uuid) FROM PUBLIC;

--
-- Name: FUNCTION define_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.define_type(p_name text, p_properties jsonb, p_description text, p_expected_version integer) FROM PUBLIC;

--
-- Name: FUNCTION find_link_type(p_name text); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.find_link_type(p_name text) FROM PUBLIC;

--
-- Name: TABLE object_types; Type: ACL; Schema: ontology; Owner: claw_owner
--

GRANT SELECT ON TABLE ontology.object_types TO claw_operator_reader;

--
-- Name: FUNCTION find_type(p_name text); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.find_type(p_name text) FROM PUBLIC;

--
-- Name: COLUMN objects.tenant_id; Type: ACL; Schema: ontology; Owner: claw_owner
--

GRANT SELECT(tenant_id) ON TABLE ontology.objects TO claw_operator_reader;

--
-- Name: COLUMN objects.type_id; Type: ACL; Schema: ontology; Owner: claw_owner
--

GRANT SELECT(type_id) ON TABLE ontology.objects TO claw_operator_reader;

--
-- Name: COLUMN objects.deleted_at; Type: ACL; Schema: ontology; Owner: claw_owner
--

GRANT SELECT(deleted_at) ON TABLE ontology.objects TO claw_operator_reader;

--
-- Name: FUNCTION lock_object(p_object_id uuid, p_expected_version integer); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.lock_object(p_object_id uuid, p_expected_version integer) FROM PUBLIC;

--
-- Name: FUNCTION lock_type(p_type_id uuid, p_exclusive boolean); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.lock_type(p_type_id uuid, p_exclusive boolean) FROM PUBLIC;

--
-- Name: FUNCTION merge_patch(p_target jsonb, p_patch jsonb); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.merge_patch(p_target jsonb, p_patch jsonb) FROM PUBLIC;

--
-- Name: FUNCTION parse_embedding(p_embedding text); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.parse_embedding(p_embedding text) FROM PUBLIC;

--
-- Name: FUNCTION parse_property(p_type ontology.object_types, p_name text, p_spec jsonb); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.parse_property(p_type ontology.object_types, p_name text, p_spec jsonb) FROM PUBLIC;

--
-- Name: FUNCTION property_spec(p_prop ontology.properties); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.property_spec(p_prop ontology.properties) FROM PUBLIC;

--
-- Name: FUNCTION raise_contract(p_type text, p_property text, p_rule text, p_count bigint, p_example uuid); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.raise_contract(p_type text, p_property text, p_rule text, p_count bigint, p_example uuid) FROM PUBLIC;

--
-- Name: FUNCTION raise_defined_concurrently(p_kind text, p_name text); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.raise_defined_concurrently(p_kind text, p_name text) FROM PUBLIC;

--
-- Name: FUNCTION require_own_tenant(p_tenant_id uuid); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.require_own_tenant(p_tenant_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION tg_link_types__fixed(); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.tg_link_types__fixed() FROM PUBLIC;

--
-- Name: FUNCTION tg_links__check(); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.tg_links__check() FROM PUBLIC;

--
-- Name: FUNCTION tg_objects__unique_values(); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.tg_objects__unique_values() FROM PUBLIC;

--
-- Name: FUNCTION tg_objects__validate(); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.tg_objects__validate() FROM PUBLIC;

--
-- Name: FUNCTION tightens(p_old ontology.properties, p_new ontology.properties); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.tightens(p_old ontology.properties, p_new ontology.properties) FROM PUBLIC;

--
-- Name: FUNCTION type_definition(p_tenant_id uuid, p_type_id uuid); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.type_definition(p_tenant_id uuid, p_type_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION value_key(p_kind text, p_value jsonb); Type: ACL; Schema: ontology; Owner: claw_owner
--

REVOKE ALL ON FUNCTION ontology.value_key(p_kind text, p_value jsonb) FROM PUBLIC;

--
-- Name: FUNCTION pg_advisory_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_unlock(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_unlock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_unlock_all(); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock_all() FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock_all() TO claw_owner;

--
-- Name: FUNCTION pg_advisory_unlock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_unlock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_cancel_backend(integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_cancel_backend(integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_cancel_backend(integer) TO claw_admin;

--
-- Name: FUNCTION pg_lock_status(OUT locktype text, OUT database oid, OUT relation oid, OUT page integer, OUT tuple smallint, OUT virtualxid text, OUT transactionid xid, OUT classid oid, OUT objid oid, OUT objsubid smallint, OUT virtualtransaction text, OUT pid integer, OUT mode text, OUT granted boolean, OUT fastpath boolean, OUT waitstart timestamp with time zone); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_lock_status(OUT locktype text, OUT database oid, OUT relation oid, OUT page integer, OUT tuple smallint, OUT virtualxid text, OUT transactionid xid, OUT classid oid, OUT objid oid, OUT objsubid smallint, OUT virtualtransaction text, OUT pid integer, OUT mode text, OUT granted boolean, OUT fastpath boolean, OUT waitstart timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_lock_status(OUT locktype text, OUT database oid, OUT relation oid, OUT page integer, OUT tuple smallint, OUT virtualxid text, OUT transactionid xid, OUT classid oid, OUT objid oid, OUT objsubid smallint, OUT virtualtransaction text, OUT pid integer, OUT mode text, OUT granted boolean, OUT fastpath boolean, OUT waitstart timestamp with time zone) TO claw_admin;
GRANT ALL ON FUNCTION pg_catalog.pg_lock_status(OUT locktype text, OUT database oid, OUT relation oid, OUT page integer, OUT tuple smallint, OUT virtualxid text, OUT transactionid xid, OUT classid oid, OUT objid oid, OUT objsubid smallint, OUT virtualtransaction text, OUT pid integer, OUT mode text, OUT granted boolean, OUT fastpath boolean, OUT waitstart timestamp with time zone) TO pg_read_all_stats;
GRANT ALL ON FUNCTION pg_catalog.pg_lock_status(OUT locktype text, OUT database oid, OUT relation oid, OUT page integer, OUT tuple smallint, OUT virtualxid text, OUT transactionid xid, OUT classid oid, OUT objid oid, OUT objsubid smallint, OUT virtualtransaction text, OUT pid integer, OUT mode text, OUT granted boolean, OUT fastpath boolean, OUT waitstart timestamp with time zone) TO claw_owner;

--
-- Name: FUNCTION pg_stat_get_activity(pid integer, OUT datid oid, OUT pid integer, OUT usesysid oid, OUT application_name text, OUT state text, OUT query text, OUT wait_event_type text, OUT wait_event text, OUT xact_start timestamp with time zone, OUT query_start timestamp with time zone, OUT backend_start timestamp with time zone, OUT state_change timestamp with time zone, OUT client_addr inet, OUT client_hostname text, OUT client_port integer, OUT backend_xid xid, OUT backend_xmin xid, OUT backend_type text, OUT ssl boolean, OUT sslversion text, OUT sslcipher text, OUT sslbits integer, OUT ssl_client_dn text, OUT ssl_client_serial numeric, OUT ssl_issuer_dn text, OUT gss_auth boolean, OUT gss_princ text, OUT gss_enc boolean, OUT gss_delegation boolean, OUT leader_pid integer, OUT query_id bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_stat_get_activity(pid integer, OUT datid oid, OUT pid integer, OUT usesysid oid, OUT application_name text, OUT state text, OUT query text, OUT wait_event_type text, OUT wait_event text, OUT xact_start timestamp with time zone, OUT query_start timestamp with time zone, OUT backend_start timestamp with time zone, OUT state_change timestamp with time zone, OUT client_addr inet, OUT client_hostname text, OUT client_port integer, OUT backend_xid xid, OUT backend_xmin xid, OUT backend_type text, OUT ssl boolean, OUT sslversion text, OUT sslcipher text, OUT sslbits integer, OUT ssl_client_dn text, OUT ssl_client_serial numeric, OUT ssl_issuer_dn text, OUT gss_auth boolean, OUT gss_princ text, OUT gss_enc boolean, OUT gss_delegation boolean, OUT leader_pid integer, OUT query_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_stat_get_activity(pid integer, OUT datid oid, OUT pid integer, OUT usesysid oid, OUT application_name text, OUT state text, OUT query text, OUT wait_event_type text, OUT wait_event text, OUT xact_start timestamp with time zone, OUT query_start timestamp with time zone, OUT backend_start timestamp with time zone, OUT state_change timestamp with time zone, OUT client_addr inet, OUT client_hostname text, OUT client_port integer, OUT backend_xid xid, OUT backend_xmin xid, OUT backend_type text, OUT ssl boolean, OUT sslversion text, OUT sslcipher text, OUT sslbits integer, OUT ssl_client_dn text, OUT ssl_client_serial numeric, OUT ssl_issuer_dn text, OUT gss_auth boolean, OUT gss_princ text, OUT gss_enc boolean, OUT gss_delegation boolean, OUT leader_pid integer, OUT query_id bigint) TO claw_admin;
GRANT ALL ON FUNCTION pg_catalog.pg_stat_get_activity(pid integer, OUT datid oid, OUT pid integer, OUT usesysid oid, OUT application_name text, OUT state text, OUT query text, OUT wait_event_type text, OUT wait_event text, OUT xact_start timestamp with time zone, OUT query_start timestamp with time zone, OUT backend_start timestamp with time zone, OUT state_change timestamp with time zone, OUT client_addr inet, OUT client_hostname text, OUT client_port integer, OUT backend_xid xid, OUT backend_xmin xid, OUT backend_type text, OUT ssl boolean, OUT sslversion text, OUT sslcipher text, OUT sslbits integer, OUT ssl_client_dn text, OUT ssl_client_serial numeric, OUT ssl_issuer_dn text, OUT gss_auth boolean, OUT gss_princ text, OUT gss_enc boolean, OUT gss_delegation boolean, OUT leader_pid integer, OUT query_id bigint) TO pg_read_all_stats;

--
-- Name: FUNCTION pg_stat_get_backend_activity(integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_stat_get_backend_activity(integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_stat_get_backend_activity(integer) TO claw_admin;
GRANT ALL ON FUNCTION pg_catalog.pg_stat_get_backend_activity(integer) TO pg_read_all_stats;

--
-- Name: FUNCTION pg_terminate_backend(pid integer, timeout bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_terminate_backend(pid integer, timeout bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_terminate_backend(pid integer, timeout bigint) TO claw_admin;

--
-- Name: FUNCTION pg_try_advisory_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_try_advisory_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_try_advisory_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_try_advisory_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(integer, integer) TO claw_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(bigint) TO claw_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(integer, integer) TO claw_owner;

--
-- Name: FUNCTION backoff(p_queue text, p_attempt integer); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.backoff(p_queue text, p_attempt integer) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.backoff(p_queue text, p_attempt integer) TO claw_dispatcher;

--
-- Name: FUNCTION check_lease_args(p_worker text, p_limit integer, p_lease_seconds integer); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.check_lease_args(p_worker text, p_limit integer, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.check_lease_args(p_worker text, p_limit integer, p_lease_seconds integer) TO claw_dispatcher;

--
-- Name: FUNCTION check_time_zone(p_zone text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.check_time_zone(p_zone text) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.check_time_zone(p_zone text) TO claw_dispatcher;

--
-- Name: FUNCTION claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.claim_jobs(p_queue text, p_worker text, p_limit integer, p_lease_seconds integer) FROM PUBLIC;

--
-- Name: FUNCTION complete_jobs(p_job_ids uuid[], p_lease_token uuid); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.complete_jobs(p_job_ids uuid[], p_lease_token uuid) FROM PUBLIC;

--
-- Name: TABLE queues; Type: ACL; Schema: internal; Owner: claw_owner
--

GRANT SELECT,UPDATE ON TABLE internal.queues TO claw_dispatcher;

--
-- Name: FUNCTION configure_queue(p_queue text, p_paused boolean, p_concurrency_limit integer, p_backoff_base interval, p_backoff_max interval); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.configure_queue(p_queue text, p_paused boolean, p_concurrency_limit integer, p_backoff_base interval, p_backoff_max interval) FROM PUBLIC;

--
-- Name: FUNCTION cron_field(p_field text, p_label text, p_min integer, p_max integer, p_names text[]); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.cron_field(p_field text, p_label text, p_min integer, p_max integer, p_names text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.cron_field(p_field text, p_label text, p_min integer, p_max integer, p_names text[]) TO claw_dispatcher;

--
-- Name: FUNCTION drop_waiting(p_worker text, p_queue text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.drop_waiting(p_worker text, p_queue text) FROM PUBLIC;

--
-- Name: FUNCTION end_cancelled(p_job_ids uuid[], p_lease_token uuid); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.end_cancelled(p_job_ids uuid[], p_lease_token uuid) FROM PUBLIC;

--
-- Name: FUNCTION fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.fail_job(p_job_id uuid, p_lease_token uuid, p_error text, p_retry boolean, p_retry_in_seconds integer) FROM PUBLIC;

--
-- Name: FUNCTION fair_head(p_queue text, p_priority smallint); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.fair_head(p_queue text, p_priority smallint) FROM PUBLIC;

--
-- Name: FUNCTION fire_times(p_cron text, p_zone text, p_from timestamp with time zone, p_until timestamp with time zone); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.fire_times(p_cron text, p_zone text, p_from timestamp with time zone, p_until timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.heartbeat_jobs(p_job_ids uuid[], p_lease_token uuid, p_lease_seconds integer) FROM PUBLIC;

--
-- Name: FUNCTION holds_liveness_lock(p_worker text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.holds_liveness_lock(p_worker text) FROM PUBLIC;

--
-- Name: FUNCTION insert_jobs(p_tenant_id uuid, p_jobs jsonb); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.insert_jobs(p_tenant_id uuid, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.insert_jobs(p_tenant_id uuid, p_jobs jsonb) TO claw_dispatcher;

--
-- Name: FUNCTION job_args_plainly_valid(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_rate_key text, p_max_attempts integer); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.job_args_plainly_valid(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_rate_key text, p_max_attempts integer) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.job_args_plainly_valid(p_queue text, p_kind text, p_payload jsonb, p_priority integer, p_rate_key text, p_max_attempts integer) TO claw_dispatcher;

--
-- Name: FUNCTION job_spec_problem(p_spec jsonb); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.job_spec_problem(p_spec jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.job_spec_problem(p_spec jsonb) TO claw_dispatcher;

--
-- Name: FUNCTION lease_context(p_job_id uuid, p_lease_token uuid); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.lease_context(p_job_id uuid, p_lease_token uuid) FROM PUBLIC;

--
-- Name: FUNCTION local_to_utc(p_local timestamp without time zone, p_zone text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.local_to_utc(p_local timestamp without time zone, p_zone text) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.local_to_utc(p_local timestamp without time zone, p_zone text) TO claw_dispatcher;

--
-- Name: FUNCTION maintain_history(p_retention_days integer); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.maintain_history(p_retention_days integer) FROM PUBLIC;

--
-- Name: FUNCTION next_fire(p_cron text, p_zone text, p_after timestamp with time zone); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.next_fire(p_cron text, p_zone text, p_after timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.next_fire(p_cron text, p_zone text, p_after timestamp with time zone) TO claw_dispatcher;

--
-- Name: FUNCTION note_waiting(p_queue text, p_worker text, p_waiting boolean); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.note_waiting(p_queue text, p_worker text, p_waiting boolean) FROM PUBLIC;

--
-- Name: FUNCTION notify_tag(p_queue text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.notify_tag(p_queue text) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.notify_tag(p_queue text) TO claw_dispatcher;

--
-- Name: FUNCTION parse_cron(p_expr text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.parse_cron(p_expr text) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.parse_cron(p_expr text) TO claw_dispatcher;

--
-- Name: TABLE jobs; Type: ACL; Schema: queue; Owner: claw_owner
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE queue.jobs TO claw_dispatcher;

--
-- Name: FUNCTION record_history(p_jobs queue.jobs[], p_outcome text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.record_history(p_jobs queue.jobs[], p_outcome text) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.record_history(p_jobs queue.jobs[], p_outcome text) TO claw_dispatcher;

--
-- Name: FUNCTION release_jobs(p_job_ids uuid[], p_lease_token uuid); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.release_jobs(p_job_ids uuid[], p_lease_token uuid) FROM PUBLIC;

--
-- Name: FUNCTION require_job(p_job_id uuid, p_action text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.require_job(p_job_id uuid, p_action text) FROM PUBLIC;

--
-- Name: FUNCTION set_rate_limit(p_rate_key text, p_per_second numeric, p_burst integer); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.set_rate_limit(p_rate_key text, p_per_second numeric, p_burst integer) FROM PUBLIC;

--
-- Name: FUNCTION stale_lease(p_what text, p_job_ids uuid[], p_lease_token uuid); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.stale_lease(p_what text, p_job_ids uuid[], p_lease_token uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.stale_lease(p_what text, p_job_ids uuid[], p_lease_token uuid) TO claw_dispatcher;

--
-- Name: FUNCTION stats(); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.stats() FROM PUBLIC;
GRANT ALL ON FUNCTION queue.stats() TO claw_admin;
GRANT ALL ON FUNCTION queue.stats() TO claw_worker;

--
-- Name: FUNCTION take_fair_keys(p_tenant_id uuid, p_queue text, p_priority smallint, p_n integer); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.take_fair_keys(p_tenant_id uuid, p_queue text, p_priority smallint, p_n integer) FROM PUBLIC;

--
-- Name: TABLE job_history; Type: ACL; Schema: queue; Owner: claw_owner
--

GRANT SELECT,INSERT ON TABLE queue.job_history TO claw_dispatcher;

--
-- Name: TABLE job_history_default; Type: ACL; Schema: queue; Owner: claw_owner
--

GRANT SELECT,DELETE ON TABLE queue.job_history_default TO claw_dispatcher;

--
-- Name: FUNCTION take_history_strays(p_from timestamp with time zone, p_to timestamp with time zone); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.take_history_strays(p_from timestamp with time zone, p_to timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION tg_jobs__notify(); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.tg_jobs__notify() FROM PUBLIC;

--
-- Name: FUNCTION tick_schedules(p_limit integer); Type: ACL; Schema: queue; Owner: claw_dispatcher
--

REVOKE ALL ON FUNCTION queue.tick_schedules(p_limit integer) FROM PUBLIC;

--
-- Name: FUNCTION wake_workers(p_queue text, p_jobs bigint); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.wake_workers(p_queue text, p_jobs bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.wake_workers(p_queue text, p_jobs bigint) TO claw_dispatcher;

--
-- Name: FUNCTION worker_channel(p_worker text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.worker_channel(p_worker text) FROM PUBLIC;
GRANT ALL ON FUNCTION queue.worker_channel(p_worker text) TO claw_worker;

--
-- Name: FUNCTION worker_lock_key(p_worker text); Type: ACL; Schema: queue; Owner: claw_owner
--

REVOKE ALL ON FUNCTION queue.worker_lock_key(p_worker text) FROM PUBLIC;

--
-- Name: FUNCTION add_jwt_issuer(p_tenant_id uuid, p_issuer text, p_audience text, p_max_skew_seconds integer, p_jwks_url text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.add_jwt_issuer(p_tenant_id uuid, p_issuer text, p_audience text, p_max_skew_seconds integer, p_jwks_url text) FROM PUBLIC;

--
-- Name: FUNCTION api_key_credential(p_tenant_id uuid, p_api_key_id uuid); Type: ACL; Schema: tenancy; Owner: claw_authenticator
--

REVOKE ALL ON FUNCTION tenancy.api_key_credential(p_tenant_id uuid, p_api_key_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION tenancy.api_key_credential(p_tenant_id uuid, p_api_key_id uuid) TO claw_owner;

--
-- Name: FUNCTION configure_jwt_issuer(p_jwt_issuer_id uuid, p_max_skew_seconds integer, p_jwks_url text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.configure_jwt_issuer(p_jwt_issuer_id uuid, p_max_skew_seconds integer, p_jwks_url text) FROM PUBLIC;

--
-- Name: FUNCTION create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.create_tenant(p_slug text, p_name text, p_owner_handle text, p_owner_name text, OUT tenant_id uuid, OUT principal_id uuid, OUT api_key text) FROM PUBLIC;

--
-- Name: FUNCTION issue_api_key(p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.issue_api_key(p_principal_id uuid, p_name text, p_scopes text[], p_expires_at timestamp with time zone, OUT api_key_id uuid, OUT api_key text) FROM PUBLIC;

--
-- Name: FUNCTION jwk_rsa(p_jwk jsonb, OUT kid text, OUT n numeric, OUT e numeric, OUT modulus_bytes integer, OUT em_prefix numeric, OUT thumbprint text, OUT reason text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.jwk_rsa(p_jwk jsonb, OUT kid text, OUT n numeric, OUT e numeric, OUT modulus_bytes integer, OUT em_prefix numeric, OUT thumbprint text, OUT reason text) FROM PUBLIC;

--
-- Name: FUNCTION jwt_issuer_context(p_jwt_issuer_id uuid); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.jwt_issuer_context(p_jwt_issuer_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION put_jwt_subject(p_tenant_id uuid, p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.put_jwt_subject(p_tenant_id uuid, p_jwt_issuer_id uuid, p_subject text, p_principal_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION remove_jwt_issuer(p_jwt_issuer_id uuid); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.remove_jwt_issuer(p_jwt_issuer_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION remove_jwt_key(p_jwt_issuer_id uuid, p_kid text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.remove_jwt_key(p_jwt_issuer_id uuid, p_kid text) FROM PUBLIC;

--
-- Name: FUNCTION require_principal(p_principal_id uuid); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.require_principal(p_principal_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION set_jwt_keys(p_jwt_issuer_id uuid, p_jwks jsonb); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.set_jwt_keys(p_jwt_issuer_id uuid, p_jwks jsonb) FROM PUBLIC;

--
-- Name: FUNCTION valid_jwks_url(p_url text); Type: ACL; Schema: tenancy; Owner: claw_owner
--

REVOKE ALL ON FUNCTION tenancy.valid_jwks_url(p_url text) FROM PUBLIC;

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
-- Name: TABLE models; Type: ACL; Schema: authz; Owner: claw_owner
--

GRANT SELECT ON TABLE authz.models TO claw_authz_reader;

--
-- Name: TABLE tuples; Type: ACL; Schema: authz; Owner: claw_owner
--

GRANT SELECT ON TABLE authz.tuples TO claw_authz_reader;

--
-- Name: TABLE idempotency_keys; Type: ACL; Schema: edge; Owner: claw_owner
--

GRANT SELECT,DELETE ON TABLE edge.idempotency_keys TO claw_dispatcher;

--
-- Name: TABLE outbox; Type: ACL; Schema: events; Owner: claw_owner
--

GRANT SELECT,INSERT,DELETE ON TABLE events.outbox TO claw_dispatcher;

--
-- Name: TABLE purges; Type: ACL; Schema: events; Owner: claw_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE events.purges TO claw_dispatcher;

--
-- Name: TABLE watchers; Type: ACL; Schema: events; Owner: claw_owner
--

GRANT SELECT ON TABLE events.watchers TO claw_dispatcher;

--
-- Name: TABLE llm_breakers; Type: ACL; Schema: internal; Owner: claw_owner
--

GRANT SELECT ON TABLE internal.llm_breakers TO claw_dispatcher;

--
-- Name: TABLE rate_limits; Type: ACL; Schema: internal; Owner: claw_owner
--

GRANT SELECT,UPDATE ON TABLE internal.rate_limits TO claw_dispatcher;

--
-- Name: TABLE breakers; Type: ACL; Schema: llm; Owner: claw_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE llm.breakers TO claw_dispatcher;

--
-- Name: TABLE budget_windows; Type: ACL; Schema: llm; Owner: claw_owner
--

GRANT SELECT,UPDATE ON TABLE llm.budget_windows TO claw_dispatcher;

--
-- Name: TABLE pg_locks; Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE SELECT ON TABLE pg_catalog.pg_locks FROM PUBLIC;
GRANT SELECT ON TABLE pg_catalog.pg_locks TO claw_admin;
GRANT SELECT ON TABLE pg_catalog.pg_locks TO pg_read_all_stats;
GRANT SELECT ON TABLE pg_catalog.pg_locks TO claw_owner;

--
-- Name: TABLE pg_stat_activity; Type: ACL; Schema: pg_catalog; Owner: postgres
--

REVOKE SELECT ON TABLE pg_catalog.pg_stat_activity FROM PUBLIC;
GRANT SELECT ON TABLE pg_catalog.pg_stat_activity TO claw_admin;
GRANT SELECT ON TABLE pg_catalog.pg_stat_activity TO pg_read_all_stats;

--
-- Name: TABLE schedule_fires; Type: ACL; Schema: queue; Owner: claw_owner
--

GRANT SELECT,INSERT ON TABLE queue.schedule_fires TO claw_dispatcher;

--
-- Name: TABLE schedules; Type: ACL; Schema: queue; Owner: claw_owner
--

GRANT SELECT,UPDATE ON TABLE queue.schedules TO claw_dispatcher;

--
-- Name: TABLE tenant_cursors; Type: ACL; Schema: queue; Owner: claw_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE queue.tenant_cursors TO claw_dispatcher;

--
-- Name: COLUMN api_keys.tenant_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(tenant_id) ON TABLE tenancy.api_keys TO claw_authenticator;
GRANT SELECT(tenant_id) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.api_key_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(api_key_id) ON TABLE tenancy.api_keys TO claw_authenticator;
GRANT SELECT(api_key_id) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.principal_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(principal_id) ON TABLE tenancy.api_keys TO claw_authenticator;
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
-- Name: COLUMN api_keys.secret_hash; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(secret_hash) ON TABLE tenancy.api_keys TO claw_authenticator;

--
-- Name: COLUMN api_keys.scopes; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(scopes) ON TABLE tenancy.api_keys TO claw_authenticator;
GRANT SELECT(scopes) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.expires_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(expires_at) ON TABLE tenancy.api_keys TO claw_authenticator;
GRANT SELECT(expires_at) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.revoked_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(revoked_at) ON TABLE tenancy.api_keys TO claw_authenticator;
GRANT SELECT(revoked_at) ON TABLE tenancy.api_keys TO claw_operator_reader;

--
-- Name: COLUMN api_keys.last_used_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(last_used_at) ON TABLE tenancy.api_keys TO claw_authenticator;
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
-- Name: COLUMN memberships.tenant_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(tenant_id) ON TABLE tenancy.memberships TO claw_authenticator;

--
-- Name: COLUMN memberships.principal_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(principal_id) ON TABLE tenancy.memberships TO claw_authenticator;

--
-- Name: COLUMN memberships.role; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(role) ON TABLE tenancy.memberships TO claw_authenticator;

--
-- Name: TABLE principals; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT ON TABLE tenancy.principals TO claw_operator_reader;

--
-- Name: COLUMN principals.tenant_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(tenant_id) ON TABLE tenancy.principals TO claw_authenticator;

--
-- Name: COLUMN principals.principal_id; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(principal_id) ON TABLE tenancy.principals TO claw_authenticator;

--
-- Name: COLUMN principals.disabled_at; Type: ACL; Schema: tenancy; Owner: claw_owner
--

GRANT SELECT(disabled_at) ON TABLE tenancy.principals TO claw_authenticator;

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
