"""Claw refuses to start when the runtime or worker role could escape RLS: superuser,
BYPASSRLS, CREATEROLE, membership of claw_owner, or ownership of any object. Roles are
cluster-wide, so every test restores what it changed."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from conftest import Database, run_cli

UNSAFE = {
    "bypassrls": ("ALTER ROLE claw_runtime BYPASSRLS", "ALTER ROLE claw_runtime NOBYPASSRLS",
                  "claw_runtime has BYPASSRLS"),
    "superuser": ("ALTER ROLE claw_worker SUPERUSER", "ALTER ROLE claw_worker NOSUPERUSER",
                  "claw_worker is a superuser"),
    "createrole": ("ALTER ROLE claw_runtime CREATEROLE", "ALTER ROLE claw_runtime NOCREATEROLE",
                   "claw_runtime has CREATEROLE"),
    "owns_table": ("ALTER TABLE internal.error_codes OWNER TO claw_runtime",
                   "ALTER TABLE internal.error_codes OWNER TO claw_owner",
                   "claw_runtime owns table internal.error_codes"),
    "member_of_owner": ("GRANT claw_owner TO claw_worker", "REVOKE claw_owner FROM claw_worker",
                        "claw_worker can act as the owner role claw_owner"),
    "owns_function": ("ALTER FUNCTION api.list_error_codes() OWNER TO claw_runtime",
                      "ALTER FUNCTION api.list_error_codes() OWNER TO claw_owner",
                      "claw_runtime owns function api.list_error_codes()"),
}


@pytest.fixture
def unsafe(db: Database, request: pytest.FixtureRequest) -> Iterator[tuple[Database, str]]:
    break_sql, restore_sql, problem = UNSAFE[request.param]
    with db.connect() as conn:
        conn.execute(break_sql)
    try:
        yield db, problem
    finally:
        with db.connect() as conn:
            conn.execute(restore_sql)


@pytest.mark.parametrize("unsafe", list(UNSAFE), indirect=True)
def test_claw_refuses_to_start(unsafe: tuple[Database, str]) -> None:
    db, problem = unsafe
    with db.connect() as conn:
        found = conn.execute("SELECT role_name || ' ' || problem "
                             "FROM internal.role_safety_problems()").fetchall()
    assert (problem,) in found
    proc = run_cli("demo", env={"DATABASE_URL": db.url()})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Claw refuses to start" in proc.stderr
    assert problem in proc.stderr
    assert "== the runtime role" not in proc.stdout  # it stopped before doing anything


def test_safe_roles_start(db: Database) -> None:
    proc = run_cli("migrate", env={"DATABASE_URL": db.url()})
    assert proc.returncode == 0, proc.stderr
    assert "Claw refuses" not in proc.stderr


def test_the_demo_does_not_seed_an_external_server_by_accident(db: Database) -> None:
    """`claw demo` seeds demo tenants and moves the database-wide clock: with DATABASE_URL set
    it migrates, then stops unless told CLAW_DEMO_EXTERNAL=yes."""
    proc = run_cli("demo", env={"DATABASE_URL": db.url()})
    assert proc.returncode == 2 and "CLAW_DEMO_EXTERNAL=yes" in proc.stderr, proc.stderr
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM tenancy.tenants").fetchone() == (0,)
        assert conn.execute("SELECT offset_by FROM internal.clock").fetchone() == (
            datetime.timedelta(0),)

