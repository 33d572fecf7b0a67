"""The error registry is one set of facts in three places that must agree: the Python
mapping (claw.errors), the database (internal.error_codes via api.list_error_codes) and the
README table. Every CL code raised by SQL in the repo is registered."""

from __future__ import annotations

import re

import pytest

from claw import errors
from conftest import ROOT, Database

README_ROW = re.compile(r"^\| `(CL[0-9A-Z]{3})` \| (\w+) \| (\d{3}) \| (.+?) \|$", re.M)


def registry_rows() -> list[tuple[str, str, int, str]]:
    return [(c.sqlstate, c.name, c.http_status, c.meaning) for c in errors.REGISTRY]


def test_database_matches_python(db: Database) -> None:
    with db.connect("claw_runtime") as conn:
        rows = conn.execute("SELECT sqlstate, name, http_status, meaning "
                            "FROM api.list_error_codes()").fetchall()
    assert rows == registry_rows()


def test_readme_matches_python() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = [(s, n, int(h), m) for s, n, h, m in README_ROW.findall(readme)]
    assert rows == registry_rows()


def test_every_raised_cl_code_is_registered() -> None:
    used: set[str] = set()
    for part in ("sql", "migrations", "functions", "policies"):
        for path in (ROOT / part).rglob("*.sql"):
            used |= set(re.findall(r"ERRCODE\s*=\s*'(CL[0-9A-Z]{3})'", path.read_text()))
    assert used <= set(errors.BY_SQLSTATE), used - set(errors.BY_SQLSTATE)


@pytest.mark.parametrize(("sqlstate", "cls", "status"), [
    ("CL401", errors.Unauthenticated, 401), ("CL403", errors.Forbidden, 403),
    ("CL404", errors.NotFound, 404), ("CL409", errors.Conflict, 409),
    ("CL422", errors.InvalidInput, 422), ("CL429", errors.Limited, 429),
    ("42501", errors.Forbidden, 403), ("23505", errors.Conflict, 409),
    ("40001", errors.Retryable, 503), ("XX000", errors.ClawError, 500),
])
def test_sqlstate_mapping(sqlstate: str, cls: type[errors.ClawError], status: int) -> None:
    err = errors.from_sqlstate(sqlstate, "msg", "det", "hint")
    assert type(err) is cls
    assert err.http_status == status
    doc = err.problem()
    assert doc["status"] == status and doc["sqlstate"] == sqlstate
    assert doc["detail"] == "msg" and doc["hint"] == "hint"


def test_raised_sql_error_keeps_its_diagnostics(db: Database) -> None:
    """A CL error raised in PL/pgSQL arrives in Python with code, message, detail and hint."""
    import psycopg

    with db.connect() as conn, pytest.raises(psycopg.Error) as info:
        conn.execute("""DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'CL409',
            MESSAGE = 'job 7 is leased by another worker', DETAIL = 'lease 3 expired',
            HINT = 'claim the job again' ; END $$""")
    err = errors.from_psycopg(info.value)
    assert isinstance(err, errors.Conflict)
    assert (err.sqlstate, err.message, err.detail, err.hint) == (
        "CL409", "job 7 is leased by another worker", "lease 3 expired", "claim the job again")
