--
-- PostgreSQL database dump
--

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: claw_owner
--

CREATE SCHEMA api;

ALTER SCHEMA api OWNER TO claw_owner;

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
-- Name: vector; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;

--
-- Name: EXTENSION vector; Type: COMMENT; Schema: -; Owner:
--

COMMENT ON EXTENSION vector IS 'vector data type and ivfflat and hnsw access methods';

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
-- Name: SCHEMA api; Type: ACL; Schema: -; Owner: claw_owner
--

GRANT USAGE ON SCHEMA api TO claw_runtime;
GRANT USAGE ON SCHEMA api TO claw_worker;
GRANT USAGE ON SCHEMA api TO claw_admin;
GRANT USAGE ON SCHEMA api TO claw_auditor;

--
-- Name: SCHEMA extensions; Type: ACL; Schema: -; Owner: postgres
--

GRANT USAGE ON SCHEMA extensions TO claw_owner;

--
-- Name: FUNCTION get_schema_version(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.get_schema_version() FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_runtime;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_worker;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_admin;
GRANT ALL ON FUNCTION api.get_schema_version() TO claw_auditor;

--
-- Name: FUNCTION list_error_codes(); Type: ACL; Schema: api; Owner: claw_owner
--

REVOKE ALL ON FUNCTION api.list_error_codes() FROM PUBLIC;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_runtime;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_worker;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_admin;
GRANT ALL ON FUNCTION api.list_error_codes() TO claw_auditor;

--
-- Name: FUNCTION role_safety_problems(); Type: ACL; Schema: internal; Owner: claw_owner
--

REVOKE ALL ON FUNCTION internal.role_safety_problems() FROM PUBLIC;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: -; Owner: claw_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE claw_owner REVOKE ALL ON FUNCTIONS FROM PUBLIC;

--
-- PostgreSQL database dump complete
--
