-- 0057: every fork keeps its fork line, the runs it descends from by forks, on its own row.
--
-- flow.fork adopts a child that a copied 'child' step names only when the child's key,
-- 'child:<starter>:<position>', names a run of the fork line that executed that position:
-- the source itself, or an ancestor whose steps up to that position were copied down. It
-- found those ancestors by walking forked_from_run_id back through flow.runs, and retention
-- (flow.purge) deletes finished runs: with a middle run of the line purged, the walk stopped
-- there and a fork of a fork was refused CL409 ('the fork's child step names another run')
-- for a genuine child. The line is now written when the fork is made and never changes:
--   fork_line        the ancestors, nearest first (the source, the source's source, ...)
--   fork_line_upto   for each, how many of its first steps reached this run through every
--                    fork between (the least forked_from_position on the way down)
-- so a step at position p of this run may have been started by fork_line[i] when
-- p < fork_line_upto[i]. Runs that are not forks have two empty arrays.
--
-- The backfill walks what is left of each existing fork's line (a line already broken by a
-- purge stays as short as the walk finds it, as before). It rewrites only forked runs, with
-- the guard trigger off so that their updated_at stays what it was, and with the table's
-- row security not forced on its owner (migrations run as claw_owner, with no tenant
-- context, so every tenant's runs are written at once): both are back on before this
-- transaction commits, and nothing else can see the table in between (ACCESS EXCLUSIVE).
ALTER TABLE flow.runs
  ADD COLUMN fork_line uuid[] NOT NULL DEFAULT '{}',
  ADD COLUMN fork_line_upto integer[] NOT NULL DEFAULT '{}';

ALTER TABLE flow.runs NO FORCE ROW LEVEL SECURITY;
DO $do$
DECLARE
  -- the trigger exists on an upgrade; on a new database functions/ creates it after this
  v_guard boolean := EXISTS (SELECT 1 FROM pg_trigger
                             WHERE tgrelid = 'flow.runs'::regclass
                               AND tgname = '100_guard_transition');
BEGIN
  IF v_guard THEN
    ALTER TABLE flow.runs DISABLE TRIGGER "100_guard_transition";
  END IF;
  WITH RECURSIVE line (tenant_id, run_id, depth, ancestor, upto) AS (
    SELECT r.tenant_id, r.run_id, 1, r.forked_from_run_id, r.forked_from_position
    FROM flow.runs AS r
    WHERE r.forked_from_run_id IS NOT NULL
    UNION ALL
    SELECT l.tenant_id, l.run_id, l.depth + 1, a.forked_from_run_id,
           least(l.upto, a.forked_from_position)
    FROM line AS l
    JOIN flow.runs AS a ON a.tenant_id = l.tenant_id AND a.run_id = l.ancestor
    WHERE a.forked_from_run_id IS NOT NULL
  )
  UPDATE flow.runs AS r
  SET fork_line = x.ancestors, fork_line_upto = x.uptos
  FROM (SELECT l.tenant_id, l.run_id, array_agg(l.ancestor ORDER BY l.depth) AS ancestors,
               array_agg(l.upto ORDER BY l.depth) AS uptos
        FROM line AS l GROUP BY l.tenant_id, l.run_id) AS x
  WHERE r.tenant_id = x.tenant_id AND r.run_id = x.run_id;
  IF v_guard THEN
    ALTER TABLE flow.runs ENABLE TRIGGER "100_guard_transition";
  END IF;
END
$do$;
ALTER TABLE flow.runs FORCE ROW LEVEL SECURITY;

-- every fork has a line that starts with its source (checked once the backfill wrote them)
ALTER TABLE flow.runs ADD CONSTRAINT runs_fork_line_check
  CHECK (cardinality(fork_line) = cardinality(fork_line_upto)
         AND (forked_from_run_id IS NULL) = (cardinality(fork_line) = 0)
         AND (forked_from_run_id IS NULL OR fork_line[1] = forked_from_run_id));

-- Upgrade window: `claw migrate` commits this migration, then re-applies functions/ (the
-- flow.fork that writes lines) in its next transaction; a fork made between the two fails
-- 23514 on this check, writing nothing, and succeeds when retried.

COMMENT ON COLUMN flow.runs.fork_line IS
  'A fork''s ancestors by forks, nearest first; written by flow.fork, never changed '
  '(migrations/0057).';
COMMENT ON COLUMN flow.runs.fork_line_upto IS
  'For each fork_line run, how many of its first steps were copied down to this run.';
