-- audit.tg_track: the generic trigger that records row changes of a governed table in the
-- tenant's chain. Attach it (idempotently, CREATE OR REPLACE TRIGGER) as
--   CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON <table>
--     FOR EACH ROW EXECUTE FUNCTION audit.tg_track('<key col>[,<key col>]', '<omit col>', ...);
-- Argument 0 names the key columns (target_id is their values joined by '/'); further
-- arguments name columns left out of before/after (secrets, hashes, bookkeeping such as
-- last_used_at). An UPDATE that changes only left-out columns records nothing.
-- Action: '<schema>.<table>.insert|update|delete'.
CREATE OR REPLACE FUNCTION audit.tg_track()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
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
$fn$;
