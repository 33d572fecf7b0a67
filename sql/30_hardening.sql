-- Bootstrap 30: what login roles may see of other sessions, and how long they may hold
-- anything. Re-run by every `claw migrate` (idempotent; run as the administrator).
--
-- 1. Query texts. pg_stat_activity shows every session's current query to any session of
--    the same role, so one application connected as claw_runtime could read another's API
--    key, had it been written as a literal (psql, or a client that interpolates). PUBLIC
--    loses SELECT on the view and EXECUTE on the functions behind it that return query text
--    (pg_stat_get_activity, pg_stat_get_backend_activity), here and in pg_stat_statements
--    when that extension is installed (re-run `claw migrate` after installing it). Kept for
--    claw_admin (operators in psql) and pg_read_all_stats (monitoring). Superusers are not
--    affected. Views that call these functions internally (pg_stat_ssl, ...) run as their
--    owner and hold no query text. pg_stat_activity is cluster-wide, so the same view in
--    another database would show Claw's sessions: PUBLIC also loses CONNECT on the
--    maintenance databases postgres and template1 (superusers still connect).
-- 1b. Locks. PUBLIC also loses SELECT on pg_locks (and pg_lock_status()) and EXECUTE on the
--    advisory lock functions, which only claw_owner's functions use (see below).
-- 1c. Signals. PUBLIC loses pg_cancel_backend and pg_terminate_backend: a role may signal
--    every backend of its own role, and all applications share claw_runtime.
-- 1d. Temporary objects. Every login role could create tables, types and functions in its
--    own pg_temp schema, which PostgreSQL searches before the search_path for relation and
--    type names: the way in of tests/test_temp_schema_attacks.py (a temporary domain named
--    uuid whose CHECK ran the attacker's function as claw_owner). Every definer function now
--    searches pg_temp last; in addition PUBLIC loses TEMPORARY on Claw's database, so
--    claw_runtime, claw_worker and claw_auditor cannot create temporary objects at all (nor
--    claw_owner: no routine uses them). claw_admin (operators in psql) keeps it. Database
--    privileges are not copied by CREATE DATABASE ... TEMPLATE: run `claw migrate` on a copy.
-- 2. Timeouts. Per-role defaults (ALTER ROLE ... SET), written only when the role has no
--    value of its own yet, so an operator's adjustment survives every migrate:
--      role          statement_timeout  lock_timeout  idle_in_transaction_session_timeout
--      claw_runtime  30s                5s            60s
--      claw_worker   5min               30s           10min   (handlers may hold a job's
--                                                              transaction while they work)
--      claw_admin    5min               5s            10min
--      claw_auditor  30min              5s            10min   (verifying a large ledger)
--    A session can still lower or raise its own values (SET is always allowed); these bound
--    careless clients, and `idle_in_transaction_session_timeout` is what keeps one client
--    from holding locks and the vacuum horizon forever.
DO $bootstrap$
DECLARE
  v_grantees text := 'claw_admin, pg_read_all_stats';
  v_ext record;
  v_fn record;
BEGIN
  EXECUTE 'REVOKE SELECT ON pg_catalog.pg_stat_activity FROM PUBLIC';
  EXECUTE 'GRANT SELECT ON pg_catalog.pg_stat_activity TO ' || v_grantees;
  EXECUTE 'REVOKE EXECUTE ON FUNCTION pg_catalog.pg_stat_get_activity(integer) FROM PUBLIC';
  EXECUTE 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_get_activity(integer) TO ' || v_grantees;
  EXECUTE 'REVOKE EXECUTE ON FUNCTION pg_catalog.pg_stat_get_backend_activity(integer) FROM PUBLIC';
  EXECUTE 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_get_backend_activity(integer) TO '
          || v_grantees;
  FOR v_ext IN
    SELECT e.extnamespace::regnamespace::text AS schema FROM pg_catalog.pg_extension AS e
    WHERE e.extname = 'pg_stat_statements'
  LOOP
    EXECUTE format('REVOKE SELECT ON %1$s.pg_stat_statements, %1$s.pg_stat_statements_info '
                   'FROM PUBLIC', v_ext.schema);
    EXECUTE format('GRANT SELECT ON %1$s.pg_stat_statements, %1$s.pg_stat_statements_info TO %2$s',
                   v_ext.schema, v_grantees);
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %1$s.pg_stat_statements(boolean) FROM PUBLIC',
                   v_ext.schema);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %1$s.pg_stat_statements(boolean) TO %2$s',
                   v_ext.schema, v_grantees);
  END LOOP;
  -- Advisory locks: one namespace for the whole database, open to PUBLIC. Claw keys
  -- locks by tenant objects (ontology.lock_type: an object type; the edge's idempotency
  -- keys), so a login role that read pg_locks learnt the keys of other tenants' writes in
  -- flight and could hold them in a session-level lock (no timeout ends it): every later
  -- write of that type in that tenant waited out its lock_timeout. Only claw_owner, whose
  -- definer functions take them, keeps the lock functions; pg_locks and the function
  -- behind it go the way of pg_stat_activity (claw_admin and pg_read_all_stats keep them).
  FOR v_fn IN
    SELECT p.oid::pg_catalog.regprocedure::text AS sig FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace
      AND p.proname ~ '^pg_(try_)?advisory_'
  LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', v_fn.sig);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO claw_owner', v_fn.sig);
  END LOOP;
  EXECUTE 'REVOKE SELECT ON pg_catalog.pg_locks FROM PUBLIC';
  EXECUTE 'GRANT SELECT ON pg_catalog.pg_locks TO ' || v_grantees;
  EXECUTE 'REVOKE EXECUTE ON FUNCTION pg_catalog.pg_lock_status() FROM PUBLIC';
  EXECUTE 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_lock_status() TO ' || v_grantees;
  -- and claw_owner (no login role; its definer functions): queue.holds_liveness_lock asks
  -- whether the calling session holds one advisory lock of its own
  EXECUTE 'GRANT SELECT ON pg_catalog.pg_locks TO claw_owner';
  EXECUTE 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_lock_status() TO claw_owner';
  -- Other sessions of the same role. PostgreSQL lets a role cancel and terminate every
  -- backend of its own role, and every tenant's applications (and the HTTP edge's pool)
  -- share claw_runtime, workers claw_worker: one session could end all the others (their
  -- pids are public: pg_stat_get_backend_idset()). Operators (claw_admin) keep both; a
  -- client's own cancel request (the protocol's cancel key) does not need them.
  EXECUTE 'REVOKE EXECUTE ON FUNCTION pg_catalog.pg_cancel_backend(integer) FROM PUBLIC';
  EXECUTE 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_cancel_backend(integer) TO claw_admin';
  EXECUTE 'REVOKE EXECUTE ON FUNCTION pg_catalog.pg_terminate_backend(integer, bigint) FROM PUBLIC';
  EXECUTE 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_terminate_backend(integer, bigint) TO claw_admin';
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC, claw_owner',
                 pg_catalog.current_database());
  EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO claw_admin', pg_catalog.current_database());
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = 'postgres') THEN
    REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = 'template1') THEN
    REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
  END IF;
END
$bootstrap$;

DO $bootstrap$
DECLARE
  v_default record;
BEGIN
  FOR v_default IN
    SELECT * FROM (VALUES
      ('claw_runtime', 'statement_timeout', '30s'),
      ('claw_runtime', 'lock_timeout', '5s'),
      ('claw_runtime', 'idle_in_transaction_session_timeout', '60s'),
      ('claw_worker', 'statement_timeout', '5min'),
      ('claw_worker', 'lock_timeout', '30s'),
      ('claw_worker', 'idle_in_transaction_session_timeout', '10min'),
      ('claw_admin', 'statement_timeout', '5min'),
      ('claw_admin', 'lock_timeout', '5s'),
      ('claw_admin', 'idle_in_transaction_session_timeout', '10min'),
      ('claw_auditor', 'statement_timeout', '30min'),
      ('claw_auditor', 'lock_timeout', '5s'),
      ('claw_auditor', 'idle_in_transaction_session_timeout', '10min')
    ) AS d(role, setting, value)
  LOOP
    IF NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_db_role_setting AS s
      JOIN pg_catalog.pg_roles AS r ON r.oid = s.setrole
      WHERE r.rolname = v_default.role AND s.setdatabase = 0
        AND EXISTS (SELECT 1 FROM pg_catalog.unnest(s.setconfig) AS c
                    WHERE c LIKE v_default.setting || '=%')) THEN
      EXECUTE format('ALTER ROLE %I SET %I = %L', v_default.role, v_default.setting,
                     v_default.value);
    END IF;
  END LOOP;
END
$bootstrap$;
