"""The committed schema snapshot (tests/schema.sql) is the migrated schema; a migration that
changes the schema without refreshing it fails here. Refresh: `claw schema snapshot`
(against a freshly migrated database)."""

from __future__ import annotations

import difflib
from pathlib import Path

from claw.snapshot import SNAPSHOT_PATH, dump_schema
from conftest import ROOT, Database, copy_project, run_cli


def test_snapshot_matches_migrated_schema(db: Database) -> None:
    committed = (ROOT / SNAPSHOT_PATH).read_text()
    current = dump_schema(db.url())
    diff = "".join(difflib.unified_diff(
        committed.splitlines(True), current.splitlines(True),
        f"{SNAPSHOT_PATH} (committed)", "migrated schema"))
    assert not diff, ("the migrated schema differs from the committed snapshot; review and "
                      "refresh with `claw schema snapshot`:\n" + diff)


def test_snapshot_check_fails_on_unrefreshed_migration(empty_db: Database,
                                                        tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "migrations" / "0999_add_column.sql").write_text(
        "ALTER TABLE internal.error_codes ADD COLUMN retryable boolean;\n")
    env = {"DATABASE_URL": empty_db.url(), "CLAW_ROOT": str(root)}
    assert run_cli("migrate", env=env).returncode == 0
    check = run_cli("schema", "snapshot", "--check", env=env)
    assert check.returncode == 1
    assert "differs" in check.stderr
    # refreshing makes it pass again, and the new column is in the file
    assert run_cli("schema", "snapshot", env=env).returncode == 0
    assert "retryable boolean" in (root / SNAPSHOT_PATH).read_text()
    assert run_cli("schema", "snapshot", "--check", env=env).returncode == 0
