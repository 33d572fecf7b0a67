"""The runtime and worker roles cannot read or write any table directly, nor TRUNCATE one:
every table Claw has (found in the catalog, so new tables are covered without editing this
file) is attacked with each statement kind, and each attempt must fail with 42501."""

from __future__ import annotations

import psycopg
import pytest

from conftest import Database

ATTACKS = {
    "SELECT": "SELECT * FROM {t} LIMIT 1",
    "INSERT": "INSERT INTO {t} DEFAULT VALUES",
    "UPDATE": "UPDATE {t} SET {c} = {c}",
    "DELETE": "DELETE FROM {t}",
    "TRUNCATE": "TRUNCATE {t}",
    "LOCK": "LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE",
}


def all_tables(db: Database) -> list[tuple[str, str]]:
    """(qualified table, one column) for every table outside the system schemas."""
    with db.connect() as conn:
        rows = conn.execute("""
            SELECT format('%I.%I', n.nspname, c.relname),
                   (SELECT quote_ident(a.attname) FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    ORDER BY a.attnum LIMIT 1)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_'
              AND n.nspname NOT IN ('information_schema')
            ORDER BY 1""").fetchall()
    return [(r[0], r[1]) for r in rows]


def successful_attacks(db: Database, role: str) -> list[str]:
    """Every (table, statement) that the role managed to run; each attempt is rolled back."""
    succeeded = []
    with db.connect(role) as conn:
        for table, column in all_tables(db):
            for kind, template in ATTACKS.items():
                try:
                    with conn.transaction(force_rollback=True):
                        conn.execute(template.format(t=table, c=column))
                    succeeded.append(f"{kind} {table}")
                except psycopg.errors.InsufficientPrivilege:
                    pass
    return succeeded


# The auditor reads the ledger to verify it; nothing else is reachable by any login role.
ALLOWED = {"claw_auditor": ["SELECT audit.chain_heads", "SELECT audit.events"]}


@pytest.mark.parametrize("role", ["claw_runtime", "claw_worker", "claw_admin", "claw_auditor"])
def test_login_roles_cannot_touch_any_table(db: Database, role: str) -> None:
    tables = all_tables(db)
    assert len(tables) >= 10, tables  # yoyo's, internal, tenancy and audit tables
    assert successful_attacks(db, role) == ALLOWED.get(role, [])


def test_the_check_catches_a_grant(db: Database) -> None:
    """The attack loop is not vacuous: grant one privilege by mistake and it is found."""
    with db.connect() as conn:
        conn.execute("GRANT USAGE ON SCHEMA internal TO claw_runtime")
        conn.execute("GRANT SELECT, TRUNCATE ON internal.error_codes TO claw_runtime")
    assert successful_attacks(db, "claw_runtime") == [
        "SELECT internal.error_codes", "TRUNCATE internal.error_codes",
        "LOCK internal.error_codes"]
