"""`claw lint`: each rule finds its bad example at the right file:line and is silent on the
good one (tests/lint_examples/<rule>/{bad,good}/ are tiny project trees); suppressions need
a reason; unparsable SQL is a finding; cross-file context holds when linting one file; the
repository itself lints clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from claw import lint
from conftest import ROOT, run_cli

EXAMPLES = ROOT / "tests" / "lint_examples"
EXPECTED = {
    "L001": [("functions/api/f.sql", 2), ("functions/api/f.sql", 4), ("functions/api/f.sql", 7)],
    "L002": [("functions/api/v.sql", 1)],
    "L003": [("policies/api.sql", 2)],
    "L004": [("migrations/0001_create_things.sql", 2)],
    "L005": [("migrations/0002_index_things.sql", 1)],
    "L006": [("migrations/0002_add_columns.sql", 1), ("migrations/0002_add_columns.sql", 2)],
    "L007": [("migrations/0002_widen.sql", 1)],
}


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_bad_example(rule: str) -> None:
    found = lint.lint_paths(EXAMPLES / rule / "bad")
    assert [(f.path, f.line, f.rule) for f in found] == [(p, n, rule) for p, n in EXPECTED[rule]]
    proc = run_cli("lint", "--root", str(EXAMPLES / rule / "bad"))
    assert proc.returncode == 1
    path, line = EXPECTED[rule][0]
    assert proc.stdout.startswith(f"{path}:{line} {rule} ")


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_good_example(rule: str) -> None:
    assert lint.lint_paths(EXAMPLES / rule / "good") == []
    assert run_cli("lint", "--root", str(EXAMPLES / rule / "good")).returncode == 0


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_suppression_needs_a_reason(tmp_path: Path) -> None:
    write(tmp_path, "functions/api/v.sql",
          "-- claw-lint: allow L002 reads only «public» constants, no rows\n"
          "CREATE VIEW api.v AS SELECT 1;\n"
          "-- claw-lint: allow L002\n"
          "CREATE VIEW api.w AS SELECT 2;\n")
    found = lint.lint_paths(tmp_path)
    assert [(f.line, f.rule) for f in found] == [(3, "L000"), (4, "L002")]
    assert "needs a reason" in found[0].message


def test_parse_error_is_a_finding(tmp_path: Path) -> None:
    write(tmp_path, "sql/00_x.sql", "SELECT 'é€';\nSELEC 2;\n")  # offsets are characters
    found = lint.lint_paths(tmp_path)
    assert [(f.path, f.line, f.rule) for f in found] == [("sql/00_x.sql", 2, "L000")]


def test_one_file_keeps_the_tree_context(tmp_path: Path) -> None:
    write(tmp_path, "migrations/0001_a.sql", "CREATE TABLE tenancy.t (tenant_id uuid NOT NULL);\n")
    write(tmp_path, "migrations/0002_b.sql", "CREATE INDEX t_idx ON tenancy.t (tenant_id);\n")
    write(tmp_path, "migrations/0003_c.sql",
          "ALTER TABLE tenancy.t ENABLE ROW LEVEL SECURITY;\n"
          "ALTER TABLE tenancy.t FORCE ROW LEVEL SECURITY;\n")
    only_b = lint.lint_paths(tmp_path, [tmp_path / "migrations/0002_b.sql"])
    assert [(f.path, f.rule) for f in only_b] == [("migrations/0002_b.sql", "L005")]
    assert lint.lint_paths(tmp_path, [tmp_path / "migrations/0001_a.sql"]) == []


def test_tenant_schemas_match_the_database(db) -> None:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        assert set(conn.execute("SELECT unnest(internal.tenant_schemas())").fetchall()) == {
            (s,) for s in lint.TENANT_SCHEMAS}


def test_repository_lints_clean() -> None:
    proc = run_cli("lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 finding(s)" in proc.stderr
