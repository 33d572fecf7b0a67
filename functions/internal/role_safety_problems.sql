-- internal.role_safety_problems: why Claw must refuse to start, if anything.
--
-- The login roles that act for applications and workers (claw_runtime, claw_worker) are
-- safe only if RLS binds them: not superuser, no BYPASSRLS, no CREATEROLE, owner of
-- nothing (an owner can disable or rewrite the policies of what it owns), not able to
-- become claw_owner or any role that could, and without role defaults (ALTER ROLE ... SET)
-- other than the timeouts: every session may write its own role's defaults, so one
-- application sharing claw_runtime could otherwise plant settings (standard_conforming_strings,
-- search_path, synchronous_commit, default_transaction_read_only, ...) in the sessions of
-- every other tenant's applications. The CLI (and later the HTTP server and the
-- worker) call this as the administrator before doing anything and stop on any row.
--
-- Returns: one row per problem (role name, problem); no rows when everything is safe.
-- Raises: nothing. Locks: none. Idempotent, read-only.
CREATE OR REPLACE FUNCTION internal.role_safety_problems()
RETURNS TABLE (role_name text, problem text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
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
$fn$;

COMMENT ON FUNCTION internal.role_safety_problems() IS
  'Why Claw must refuse to start: runtime or worker roles that are superuser, BYPASSRLS, '
  'CREATEROLE, members of claw_owner, owners of any object, or with role defaults other '
  'than the timeouts (which any session of the role could have planted). No rows means safe.';
