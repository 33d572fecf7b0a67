"""Two sessions defining the same new name at once (found by an outside-in probe). The
definers looked the name up FOR UPDATE, found no row to lock, and both inserted: the second
got a raw 23505 from the unique index when the first committed. Now a definer takes a lock on
the name first, so the second waits and then sees the first's row (READ COMMITTED): a second
object type or tool definition is CL409 (stale version, as when it comes after the commit),
and a link type with the same ends returns the same id (its documented repeat). In a
REPEATABLE READ transaction whose snapshot predates the first commit, the row cannot be seen:
the unique violation is CL409, with a hint to retry."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants

OBJECT_TYPE = ("SELECT type_id::text FROM api.define_object_type('vendor', %s)",
               (json.dumps({"name": {"kind": "string"}}),))
LINK_TYPE = ("SELECT api.define_link_type('knows', 'customer', 'customer', 'many_to_many')::text",
             ())
TOOL = ("SELECT tool_id::text FROM api.define_tool('crm.lookup', 'look a customer up', "
        "'{\"type\": \"object\", \"properties\": {}}', 'read')", ())


@pytest.fixture
def tenant(db: Database) -> Tenant:
    t = seed_tenants(db, names=("a",), extra_principals=0)["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
        conn.execute("SELECT * FROM api.define_object_type('customer', %s)",
                     (json.dumps({"name": {"kind": "string"}}),))
    return t


def race(db: Database, tenant: Tenant, sql: tuple[str, tuple[Any, ...]],
         repeatable: bool) -> tuple[str, tuple[str | None, str, str]]:
    """The first session defines and holds its transaction open; the second defines the
    same (its REPEATABLE READ snapshot, if asked, taken before the first commits); the first
    commits. Returns (the first's result, the second's (sqlstate, message, result))."""
    out: dict[str, tuple[str | None, str, str]] = {}
    started = threading.Event()
    with db.connect("claw_runtime", autocommit=False) as c1:
        c1.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        [(first,)] = c1.execute(*sql).fetchall()

        def second() -> None:
            with db.connect("claw_runtime", autocommit=False) as c2:
                try:
                    if repeatable:
                        c2.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    c2.execute("SELECT * FROM api.authenticate(p_api_key => %s)",
                               (tenant.api_key,))
                    started.set()
                    if repeatable:
                        time.sleep(0.6)  # the first commits meanwhile
                    [(mine,)] = c2.execute(*sql).fetchall()
                    c2.commit()
                    out["r"] = (None, "", str(mine))
                except psycopg.Error as exc:
                    out["r"] = (exc.sqlstate, exc.diag.message_primary or "", "")
                finally:
                    started.set()

        thread = threading.Thread(target=second)
        thread.start()
        started.wait(5)
        time.sleep(0.3)  # READ COMMITTED: the second is waiting by now
        c1.commit()
        thread.join(15)
    assert "r" in out
    return str(first), out["r"]


@pytest.mark.parametrize("repeatable", [False, True], ids=["read committed", "repeatable read"])
@pytest.mark.parametrize("sql, message", [
    (OBJECT_TYPE, "stale object type version"),
    (TOOL, "stale tool version"),
], ids=["object type", "tool"])
def test_the_second_of_two_concurrent_definitions_is_cl409(
        db: Database, tenant: Tenant, sql: tuple[str, tuple[Any, ...]], message: str,
        repeatable: bool) -> None:
    _, (state, said, _) = race(db, tenant, sql, repeatable)
    assert state == "CL409", (state, said)
    if not repeatable:
        assert said == message, said


def test_a_concurrent_repeat_of_a_link_type_returns_the_same_id(db: Database,
                                                               tenant: Tenant) -> None:
    first, (state, said, second) = race(db, tenant, LINK_TYPE, repeatable=False)
    assert (state, second) == (None, first), (state, said)
    _, (state, said, _) = race(db, tenant, (LINK_TYPE[0].replace("knows", "likes"), ()),
                               repeatable=True)
    assert state == "CL409", (state, said)
