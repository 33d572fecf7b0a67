"""`claw migrate`: bootstrap + pending migrations + routines re-applied in one transaction;
idempotent; a failing migration or routine leaves nothing half-written."""

from __future__ import annotations

from pathlib import Path

from conftest import Database, copy_project, migration_ids, run_cli


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
