-- Policies and grants for the queue. Every queue table: the restrictive tenant policy, and
-- permissive policies for the tenant roles that the api functions act with (owner, admin,
-- operator; viewer and approver read; 'worker' is a worker acting for a job it leases).
-- claw_dispatcher (BYPASSRLS, NOLOGIN) owns the cross-tenant functions; its grants below are
-- the queue tables only. No login role has any table privilege.

SELECT internal.ensure_tenant_policy('queue.jobs');
DROP POLICY IF EXISTS jobs_select_member ON queue.jobs;
CREATE POLICY jobs_select_member ON queue.jobs FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer,worker}')));
DROP POLICY IF EXISTS jobs_insert_enqueuer ON queue.jobs;
CREATE POLICY jobs_insert_enqueuer ON queue.jobs FOR INSERT
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));
DROP POLICY IF EXISTS jobs_update_operator ON queue.jobs;
CREATE POLICY jobs_update_operator ON queue.jobs FOR UPDATE
  USING ((SELECT internal.claims_role('{owner,admin,operator}')));
DROP POLICY IF EXISTS jobs_delete_operator ON queue.jobs;
CREATE POLICY jobs_delete_operator ON queue.jobs FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin,operator}')));

-- job_history and its partitions (queue.maintain_history applies the tenant policy to each
-- new day; the permissive ones are re-applied here to every existing partition).
DO $policies$
DECLARE
  v_rel regclass;
  v_name text;
BEGIN
  FOR v_rel IN
    SELECT 'queue.job_history'::regclass
    UNION ALL
    SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits AS i
    WHERE i.inhparent = 'queue.job_history'::regclass
  LOOP
    v_name := (SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = v_rel);
    PERFORM internal.ensure_tenant_policy(v_rel);
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS %I ON %s', v_name || '_select_member', v_rel);
    EXECUTE pg_catalog.format(
      'CREATE POLICY %I ON %s FOR SELECT USING ((SELECT internal.claims_role(%L)))',
      v_name || '_select_member', v_rel, '{owner,admin,operator,approver,viewer,worker}');
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS %I ON %s', v_name || '_insert_operator', v_rel);
    EXECUTE pg_catalog.format(
      'CREATE POLICY %I ON %s FOR INSERT WITH CHECK ((SELECT internal.claims_role(%L)))',
      v_name || '_insert_operator', v_rel, '{owner,admin,operator}');
  END LOOP;
END
$policies$;

SELECT internal.ensure_tenant_policy('queue.tenant_cursors');
DROP POLICY IF EXISTS tenant_cursors_all_enqueuer ON queue.tenant_cursors;
CREATE POLICY tenant_cursors_all_enqueuer ON queue.tenant_cursors FOR ALL
  USING ((SELECT internal.claims_role('{owner,admin,operator,worker}')))
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator,worker}')));

SELECT internal.ensure_tenant_policy('queue.schedules');
DROP POLICY IF EXISTS schedules_select_member ON queue.schedules;
CREATE POLICY schedules_select_member ON queue.schedules FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer}')));
DROP POLICY IF EXISTS schedules_write_operator ON queue.schedules;
CREATE POLICY schedules_write_operator ON queue.schedules FOR ALL
  USING ((SELECT internal.claims_role('{owner,admin,operator}')))
  WITH CHECK ((SELECT internal.claims_role('{owner,admin,operator}')));

SELECT internal.ensure_tenant_policy('queue.schedule_fires');
DROP POLICY IF EXISTS schedule_fires_select_member ON queue.schedule_fires;
CREATE POLICY schedule_fires_select_member ON queue.schedule_fires FOR SELECT
  USING ((SELECT internal.claims_role('{owner,admin,operator,approver,viewer}')));
DROP POLICY IF EXISTS schedule_fires_delete_operator ON queue.schedule_fires;
CREATE POLICY schedule_fires_delete_operator ON queue.schedule_fires FOR DELETE
  USING ((SELECT internal.claims_role('{owner,admin,operator}')));

-- claw_dispatcher: exactly what the lease, tick and fairness functions touch.
GRANT USAGE ON SCHEMA queue, internal TO claw_dispatcher;
GRANT SELECT, INSERT, UPDATE, DELETE ON queue.jobs TO claw_dispatcher;
GRANT SELECT, INSERT ON queue.job_history TO claw_dispatcher;
GRANT SELECT, DELETE ON queue.job_history_default TO claw_dispatcher;
GRANT SELECT, INSERT, UPDATE ON queue.tenant_cursors TO claw_dispatcher;
GRANT SELECT, UPDATE ON queue.schedules TO claw_dispatcher;
GRANT SELECT, INSERT ON queue.schedule_fires TO claw_dispatcher;
GRANT SELECT, UPDATE ON internal.queues, internal.rate_limits TO claw_dispatcher;
GRANT EXECUTE ON FUNCTION internal.set_context(uuid, uuid, text[], text[], text),
  internal.clear_context(), queue.insert_jobs(uuid, jsonb), queue.backoff(text, integer),
  queue.check_lease_args(text, integer, integer), queue.stale_lease(text, uuid[], uuid),
  queue.next_fire(text, text, timestamptz), queue.parse_cron(text),
  queue.cron_field(text, text, integer, integer, text[]), queue.local_to_utc(timestamp, text),
  queue.check_time_zone(text)
  TO claw_dispatcher;
-- Aggregate counts per queue and state (no tenant data) for operators and workers.
GRANT USAGE ON SCHEMA queue TO claw_admin, claw_worker;
GRANT EXECUTE ON FUNCTION queue.stats() TO claw_admin, claw_worker;
