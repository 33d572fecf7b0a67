"""`claw migrate`: bootstrap + pending migrations + routines re-applied in one transaction;
idempotent; a failing migration or routine leaves nothing half-written."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import time
from pathlib import Path

import psycopg
import pytest

from claw.errors import ClawSetupError
from claw.migrate import migrate
from conftest import ROOT, Database, copy_project, migration_ids, run_cli, seed_tenants


def comment_of(db: Database, fn: str) -> str | None:
    with db.connect() as conn:
        row = conn.execute("SELECT obj_description(%s::regprocedure, 'pg_proc')", (fn,)).fetchone()
    return row[0] if row else None


def test_migrate_twice(empty_db: Database) -> None:
    env = {"DATABASE_URL": empty_db.url()}
    first = run_cli("migrate", env=env)
    assert first.returncode == 0, first.stderr
    ids = migration_ids()
    version = f"schema version: {ids[-1]} ({len(ids)} migrations)"
    assert f"applied {len(ids)} migration(s): {', '.join(ids)}" in first.stdout
    assert version in first.stdout

    # A routine changed behind Claw's back is restored by the re-apply.
    with empty_db.connect() as conn:
        conn.execute("SET ROLE claw_owner")
        conn.execute("COMMENT ON FUNCTION api.list_error_codes() IS 'tampered'")
    second = run_cli("migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert "no pending migrations" in second.stdout
    assert "re-applied" in second.stdout
    assert version in second.stdout
    assert comment_of(empty_db, "api.list_error_codes()") != "tampered"


def test_failing_routine_rolls_back_every_routine(db: Database, tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    fn = root / "functions" / "api" / "list_error_codes.sql"
    fn.write_text(fn.read_text().replace(
        "'The CL error registry", "'CHANGED: The CL error registry"))
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "zz_broken.sql").write_text("SELECT * FROM no_such_table;\n")
    proc = run_cli("migrate", env={"DATABASE_URL": db.url(), "CLAW_ROOT": str(root)})
    assert proc.returncode == 1
    assert "no_such_table" in proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr[-600:]
    assert "while applying policies/zz_broken.sql" in proc.stderr, proc.stderr
    assert not (comment_of(db, "api.list_error_codes()") or "").startswith("CHANGED")


def test_failing_migration_leaves_nothing(db: Database, tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "migrations" / "0900_create_half.sql").write_text(
        "CREATE TABLE internal.half_written (id bigint PRIMARY KEY);\n"
        "INSERT INTO internal.half_written VALUES (1), (1);\n")
    proc = run_cli("migrate", env={"DATABASE_URL": db.url(), "CLAW_ROOT": str(root)})
    assert proc.returncode == 1
    assert "23505" in proc.stderr or "duplicate key" in proc.stderr
    with db.connect() as conn:
        assert conn.execute("SELECT to_regclass('internal.half_written')").fetchone() == (None,)
        assert conn.execute(
            "SELECT count(*) FROM claw_migrations._yoyo_migration "
            "WHERE migration_id = '0900_create_half'").fetchone() == (0,)


def test_migrate_refuses_a_database_newer_than_the_checkout(db: Database) -> None:
    """An older checkout (or a stale image) must not re-apply its older routines over a
    database that a newer release migrated: it refuses, naming the unknown migrations, and
    changes nothing."""
    with db.connect() as conn:
        conn.execute("INSERT INTO claw_migrations._yoyo_migration VALUES "
                     "(repeat('f', 64), '9999_from_a_newer_release', now())")
        conn.execute("SET ROLE claw_owner")
        conn.execute("COMMENT ON FUNCTION api.list_error_codes() IS 'from the newer release'")
    with pytest.raises(ClawSetupError, match="newer than this checkout.*9999_from_a_newer"):
        migrate(db.url(), ROOT)
    proc = run_cli("migrate", env={"DATABASE_URL": db.url()})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith("claw: database is newer than this checkout"), proc.stderr
    assert "9999_from_a_newer_release" in proc.stderr
    assert comment_of(db, "api.list_error_codes()") == "from the newer release"


def test_a_renamed_migration_of_an_earlier_release_is_not_a_newer_database(
        db: Database) -> None:
    """A database migrated by an earlier release lists ids this checkout renamed (before
    its newest id): not a newer release's, so migrate goes on."""
    with db.connect() as conn:
        conn.execute("INSERT INTO claw_migrations._yoyo_migration VALUES "
                     "(repeat('e', 64), '0028_time_zone_abbreviations', now())")
    assert run_cli("migrate", env={"DATABASE_URL": db.url()}).returncode == 0


def test_a_killed_migrate_leaves_no_lock_behind(db: Database) -> None:
    """A `claw migrate` killed while holding yoyo's lock leaves its row in yoyo_lock; the
    next run holds Claw's advisory lock, so that row is stale and is broken (not a 10 s
    LockTimeout)."""
    with db.connect() as conn:
        conn.execute("INSERT INTO claw_migrations.yoyo_lock (locked, ctime, pid) "
                     "VALUES (1, now(), 999999)")
    started = time.monotonic()
    proc = run_cli("migrate", env={"DATABASE_URL": db.url()})
    assert proc.returncode == 0, proc.stderr[-600:]
    assert time.monotonic() - started < 9
    assert "stale" in proc.stderr
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM claw_migrations.yoyo_lock").fetchone() == (0,)


def test_cli_errors_are_one_line_not_a_traceback(db: Database, tmp_path: Path) -> None:
    """A server that is not there: 'cannot connect', not 'database error None'. A migration
    that yoyo cannot load: one line naming it, not Claw's traceback."""
    proc = run_cli("migrate", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/claw"})
    assert proc.returncode == 1
    assert proc.stderr.startswith("claw: cannot connect: "), proc.stderr[-600:]
    assert "None" not in proc.stderr
    root = copy_project(tmp_path)
    (root / "migrations" / "0900_broken.py").write_text("this is not python\n")
    proc = run_cli("migrate", env={"DATABASE_URL": db.url(), "CLAW_ROOT": str(root)})
    assert proc.returncode == 1
    # (yoyo logs the import error's traceback itself; Claw's own report is the last line)
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("claw: cannot load migration ") and "0900_broken" in last, last


def test_a_role_url_never_carries_the_administrators_credentials(db: Database) -> None:
    """`claw db url --role runtime` is what applications get: built from a key=value
    DATABASE_URL it carried the superuser's password; from a URL with ?password= too."""
    kv = run_cli("db", "url", "--role", "runtime",
                 env={"DATABASE_URL": "host=127.0.0.1 port=5432 user=postgres password=s3cret "
                                      "dbname=claw"})
    assert kv.returncode != 0 and "must be a URL" in kv.stderr and "s3cret" not in kv.stdout
    url = run_cli("db", "url", "--role", "runtime",
                  env={"DATABASE_URL": "postgresql://postgres:s3cret@db.example:5432/claw"
                                       "?password=s3cret&sslmode=require"})
    assert url.returncode == 0, url.stderr
    assert url.stdout.strip() == "postgresql://claw_runtime@db.example:5432/claw?sslmode=require"


# main before fair keys per priority and delayed jobs keyed when due (migrations 0041, 0042)
BEFORE_PRIORITY_CURSORS = "d60fbe1"


def migrate_release(db: Database, tmp_path: Path, commit: str) -> None:
    """Migrate `db` to the schema of an earlier commit (skipped in a clone without it)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit,
                              "sql", "migrations", "functions", "policies", "tests/schema.sql"],
                             capture_output=True)
    if archive.returncode != 0:
        pytest.skip(f"this clone lacks commit {commit} (shallow?)")
    old = tmp_path / "old"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(old, filter="data")
    first = run_cli("migrate", env={"DATABASE_URL": db.url(), "CLAW_ROOT": str(old)})
    assert first.returncode == 0, first.stderr


def test_an_upgrade_keeps_each_tenants_place_in_line_at_every_priority(
        empty_db: Database, tmp_path: Path) -> None:
    """A database of the release before migration 0041, with waiting jobs at two priorities
    and a delayed one, is upgraded: each tenant's one cursor becomes one per priority it has
    jobs at (same last key), waiting jobs keep their keys, and fairness holds on it after."""
    migrate_release(empty_db, tmp_path, BEFORE_PRIORITY_CURSORS)
    tenants = seed_tenants(empty_db, names=("a", "b"), extra_principals=0)
    a, b = tenants["a"], tenants["b"]
    jobs = ([{"queue": "uq", "kind": "noop"}] * 5 + [{"queue": "uq", "kind": "hi", "priority": 10}] * 2
            + [{"queue": "uq", "kind": "later", "run_at": "2999-01-01T00:00:00Z"}])
    with empty_db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)", (json.dumps(jobs),))
    with empty_db.connect() as conn:
        before = conn.execute("SELECT kind, fair_key FROM queue.jobs ORDER BY fair_key").fetchall()
        [(last_key,)] = conn.execute("SELECT last_key FROM queue.tenant_cursors").fetchall()

    second = run_cli("migrate", env={"DATABASE_URL": empty_db.url()})
    assert second.returncode == 0, second.stderr
    assert "0041_fair_keys_per_priority" in second.stdout
    with empty_db.connect() as conn:
        assert conn.execute("SELECT kind, fair_key FROM queue.jobs ORDER BY fair_key"
                            ).fetchall() == before, "waiting jobs keep their keys"
        assert conn.execute("SELECT priority, last_key FROM queue.tenant_cursors "
                            "ORDER BY priority").fetchall() == [(0, last_key), (10, last_key)]
    with empty_db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (b.api_key,))
        conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'uq', p_kind => 'b')")
    with empty_db.connect("claw_worker") as w:
        kinds = [w.execute("SELECT kind FROM api.claim_jobs(p_queue => 'uq', p_worker => 'w', "
                           "p_limit => 1, p_lease_seconds => 30)").fetchone()[0] for _ in range(5)]
    assert kinds[:3] == ["hi", "hi", "noop"] and "b" in kinds[3:5], kinds


BEFORE_JOB_DOMAINS = "2c78076"  # the last commit before migrations/0056


def test_the_job_domains_upgrade_keeps_the_table_and_still_checks_every_write(
        empty_db: Database, tmp_path: Path) -> None:
    """Migration 0056 moves four checks of queue.jobs into domains. On a database with jobs in
    every state it does not rewrite the table (same file; only the partial indexes on the
    queue column are rebuilt), keeps every row, and leaves the checks validated: a bad
    queue, kind, payload or error list is still refused on INSERT and on an UPDATE that
    assigns it (23514), while claims go on as before."""
    migrate_release(empty_db, tmp_path, BEFORE_JOB_DOMAINS)
    a = seed_tenants(empty_db, names=("a",), extra_principals=0)["a"]
    jobs = [{"queue": "dq", "kind": "k.one", "payload": {"n": i}} for i in range(4)]
    jobs.append({"queue": "dq", "kind": "later", "run_at": "2999-01-01T00:00:00Z"})
    with empty_db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)", (json.dumps(jobs),))
    with empty_db.connect("claw_worker") as w:
        held = w.execute("SELECT job_id, lease_token FROM api.claim_jobs(p_queue => 'dq', "
                         "p_worker => 'w', p_limit => 2, p_lease_seconds => 30)").fetchall()
        w.execute("SELECT * FROM api.fail_job(p_job_id => %s, p_lease_token => %s, "
                  "p_error => 'boom')", held[0])
    files = ("SELECT c.relname, c.relfilenode FROM pg_class c WHERE c.oid = 'queue.jobs'::regclass "
             "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'queue.jobs'::regclass) "
             "ORDER BY 1")
    rows = "SELECT to_jsonb(j) FROM queue.jobs j ORDER BY j.job_id"
    with empty_db.connect() as conn:
        files_before, rows_before = conn.execute(files).fetchall(), conn.execute(rows).fetchall()
    assert len(files_before) >= 6 and len(rows_before) == 5

    upgrade = run_cli("migrate", env={"DATABASE_URL": empty_db.url()})
    assert upgrade.returncode == 0, upgrade.stderr
    assert "0056_queue_jobs_lifelong_checks_as_domains" in upgrade.stdout
    with empty_db.connect() as conn:
        files_after = dict(conn.execute(files).fetchall())
        rebuilt = {name for name, node in files_before if files_after[name] != node}
        assert rebuilt == {"jobs_claim_idx", "jobs_lease_idx", "jobs_scheduled_idx",
                           "jobs_unique_key_idx"}, "the table or a full index was rewritten"
        assert conn.execute(rows).fetchall() == rows_before
        assert conn.execute(
            "SELECT c.conname, c.convalidated FROM pg_constraint c "
            "WHERE c.contypid IN ('queue.queue_name'::regtype, 'queue.job_kind'::regtype, "
            "'queue.json_object'::regtype, 'queue.json_array'::regtype) ORDER BY 1"
        ).fetchall() == [("job_kind_check", True), ("json_array_check", True),
                         ("json_object_check", True), ("queue_name_check", True)]
        insert = ("INSERT INTO queue.jobs (tenant_id, queue, kind, payload, state, run_at, "
                  "fair_key) VALUES (%s, %s, %s, %s, 'available', now(), 1)")
        good = [a.tenant_id, "dq", "k.one", "{}"]
        for i, bad in ((1, "Bad Queue"), (1, "q" * 64), (2, "9kind"), (2, "k" * 101), (3, "[]")):
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute(insert, good[:i] + [bad] + good[i + 1:])
        with conn.transaction(force_rollback=True):
            conn.execute(insert, good)
        for assign in ("kind = 'UPPER'", "queue = 'x y'", "payload = '1'", "errors = '{}'"):
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute(f"UPDATE queue.jobs SET {assign} WHERE state = 'available'")
    with empty_db.connect("claw_worker") as w:
        claimed = w.execute("SELECT kind, payload FROM api.claim_jobs(p_queue => 'dq', "
                            "p_worker => 'w', p_limit => 10, p_lease_seconds => 30)").fetchall()
    # the first two were claimed before: one failed (its retry waits), one is still held
    assert sorted(c[1]["n"] for c in claimed) == [2, 3] and {c[0] for c in claimed} == {"k.one"}


BEFORE_FORK_LINE = "0cefda5"  # the last commit before migrations/0057


def test_the_fork_line_upgrade_writes_each_forks_line_from_what_is_left(
        empty_db: Database, tmp_path: Path) -> None:
    """Migration 0057 writes each existing fork's line (its ancestors by forks, nearest first,
    with how many of each one's first steps reached it) by walking forked_from_run_id: a
    chain of three forks gets the whole line with the least position on the way down, a
    fork whose source was purged before the upgrade keeps at least that source, runs that
    are not forks get empty lines, and no run's updated_at moves."""
    migrate_release(empty_db, tmp_path, BEFORE_FORK_LINE)
    a = seed_tenants(empty_db, names=("a",), extra_principals=0)["a"]
    ids = {name: f"00000000-0000-7000-8000-00000000000{i}"
           for i, name in enumerate(("r0", "f1", "f2", "f3", "g1", "g2"))}
    chain = (("r0", None, None), ("f1", "r0", 3), ("f2", "f1", 2), ("f3", "f2", 5),
             ("g2", "g1", 4))  # g1 itself is gone (purged before the upgrade)
    with empty_db.connect() as conn, conn.transaction():
        conn.execute("SELECT internal.set_context(%s, NULL, '{system}')", (a.tenant_id,))
        for name, source, position in chain:
            conn.execute("INSERT INTO flow.runs (tenant_id, run_id, flow_name, trace_id, "
                         "forked_from_run_id, forked_from_position) VALUES (%s, %s, 'f', 't', "
                         "%s, %s)", (a.tenant_id, ids[name], source and ids[source], position))
        touched = conn.execute("SELECT run_id, updated_at FROM flow.runs ORDER BY 1").fetchall()

    upgrade = run_cli("migrate", env={"DATABASE_URL": empty_db.url()})
    assert upgrade.returncode == 0, upgrade.stderr
    assert "0057_flow_runs_fork_line" in upgrade.stdout
    with empty_db.connect() as conn:
        lines = {str(run): ([str(x) for x in line], upto) for run, line, upto in conn.execute(
            "SELECT run_id, fork_line, fork_line_upto FROM flow.runs").fetchall()}
        assert conn.execute("SELECT run_id, updated_at FROM flow.runs ORDER BY 1"
                            ).fetchall() == touched
    assert lines[ids["r0"]] == ([], [])
    assert lines[ids["f1"]] == ([ids["r0"]], [3])
    assert lines[ids["f2"]] == ([ids["f1"], ids["r0"]], [2, 2])
    assert lines[ids["f3"]] == ([ids["f2"], ids["f1"], ids["r0"]], [5, 2, 2])
    assert lines[ids["g2"]] == ([ids["g1"]], [4])
