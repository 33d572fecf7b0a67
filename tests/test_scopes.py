"""Scopes a credential can carry (found by an outside-in probe). tenancy.issue_api_key took
only '*' and '<area>:read|write', while the functions check ontology:admin, authz:admin,
llm:admin and llm:call too: no key could carry them (CL422 "invalid scopes"), a JWT's were
dropped, and defining the ontology, the permission model or LLM routes needed a '*' key. And a
misspelt scope ('ontolgy:read') was accepted, giving a key that could do nothing. Now the
scopes are one list, internal.scopes(), equal to what the functions check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seeded  # noqa: F401 (seeded: fixture)
from test_api_keys import act

ROOT = Path(__file__).resolve().parent.parent
CHECKED = re.compile(r"require_(?:role|context)\(\s*'[^']*'\s*,\s*'([^']*)'")
LITERAL = re.compile(r"'([a-z_]+:(?:read|write|admin|call))'")


def test_the_scope_list_is_what_the_functions_check(db: Database) -> None:
    sql = [p.read_text() for p in (ROOT / "functions").rglob("*.sql")
           if p.name != "scopes.sql"]
    checked = {m.group(1) for text in sql for m in CHECKED.finditer(text)}
    # and any scope-like literal at all (a check whose roles are not a literal, a scope in
    # a variable): none may be outside the list
    mentioned = {m.group(1) for text in sql for m in LITERAL.finditer(text)}
    with db.connect() as su:
        [(known,)] = su.execute("SELECT internal.scopes()").fetchall()
    assert known[0] == "*" and set(known[1:]) == checked, (set(known) ^ checked) - {"*"}
    assert mentioned <= set(known), mentioned - set(known)


def key_with(db: Database, owner: Tenant, scopes: list[Any]) -> str:
    [(key,)] = act(db, owner.api_key, "SELECT api_key FROM api.create_api_key(p_name => %s, "
                   "p_scopes => %s)", ("narrow " + " ".join(map(str, scopes)), scopes))
    return str(key)


def test_a_key_carries_an_admin_scope_and_defines_with_it_alone(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    owner = tenants["a"]
    admin = key_with(db, owner, ["ontology:admin", "llm:admin", "llm:call"])
    [(version,)] = act(db, admin, "SELECT version FROM api.define_object_type("
                       "'vendor', '{\"name\": {\"kind\": \"string\"}}')")
    assert version == 1
    act(db, admin, "SELECT * FROM api.set_llm_route(p_task => 'summarise', "
                   "p_models => '{gpt-4o-mini}')")
    reader = key_with(db, owner, ["ontology:read"])
    with pytest.raises(psycopg.Error) as err:
        act(db, reader, "SELECT version FROM api.define_object_type("
                        "'other', '{\"name\": {\"kind\": \"string\"}}')")
    assert err.value.sqlstate == "CL403"


@pytest.mark.parametrize("scopes, named", [
    (["ontolgy:read"], "'ontolgy:read'"),
    (["queue:read", "queue:admin"], "'queue:admin'"),
    (["queue:read", None], "NULL"),
    (["Queue:read"], "'Queue:read'"),
], ids=["misspelt area", "unknown level", "null", "upper case"])
def test_an_unknown_scope_is_cl422_naming_it(seeded: tuple[Database, dict[str, Tenant]],
                                            scopes: list[Any], named: str) -> None:
    db, tenants = seeded
    with pytest.raises(psycopg.Error) as err:
        key_with(db, tenants["a"], scopes)
    assert err.value.sqlstate == "CL422", err.value
    detail = err.value.diag.message_detail or ""
    assert named in detail and "not known" in detail, detail
    assert "ontology:admin" in (err.value.diag.message_hint or "")
