-- Finished jobs leave the hot table for queue.job_history, partitioned by day (UTC) on
-- finished_at. queue.maintain_history creates the partitions for yesterday .. three days
-- ahead and drops those that ended more than p_retention_days ago (retention is a DROP, not
-- a DELETE: no bloat). Rows that landed in the default partition (no worker ran maintenance
-- for days) are moved into the new day's partition before it is attached, so nothing is
-- lost and the default stays empty. Every partition gets RLS enabled, forced, and the tenant
-- policy. Runs as claw_owner (DDL); called by workers (api.maintain_queue) about hourly.
-- Locks: ACCESS EXCLUSIVE on job_history briefly for each attach or drop.
-- queue.take_history_strays: delete and return the default partition's rows of a range
-- (claw_dispatcher reads past RLS; only queue.maintain_history calls it).
CREATE OR REPLACE FUNCTION queue.take_history_strays(p_from timestamptz, p_to timestamptz)
RETURNS SETOF queue.job_history_default
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  DELETE FROM queue.job_history_default AS h
  WHERE h.finished_at >= p_from AND h.finished_at < p_to
  RETURNING h.*
$fn$;
ALTER FUNCTION queue.take_history_strays(timestamptz, timestamptz) OWNER TO claw_dispatcher;

CREATE OR REPLACE FUNCTION queue.maintain_history(p_retention_days integer)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
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
$fn$;
