"""API keys a principal issues itself, and the scopes a new key may carry.

api.create_api_key documents "any principal for itself", but the table's insert policy let
only owners and admins insert: an operator, approver or viewer got a raw row-level security
error (42501). And a key never carried less than it was asked for: a credential scoped to
keys:write alone (given to a tool that only rotates keys) could issue a key with '*' for its
principal, and so act with every permission of the principal's roles. A new key's scopes must
be within its issuing credential's."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seeded  # noqa: F401 (seeded: fixture)


def act(db: Database, key: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def principal_key(db: Database, owner_key: str, role: str,
                  scopes: list[str] | None = None) -> tuple[str, str]:
    """A new principal with one role and a key for it (issued by the owner): (id, key)."""
    [(pid,)] = act(db, owner_key, "SELECT api.create_principal(p_kind => 'agent', "
                   "p_handle => %s, p_display_name => %s, p_roles => %s)",
                   (f"k-{role}", role, [role]))
    [(key,)] = act(db, owner_key, "SELECT api_key FROM api.create_api_key(p_name => %s, "
                   "p_principal_id => %s, p_scopes => %s)", (f"k-{role}", pid, scopes or ["*"]))
    return str(pid), key


def keys(db: Database) -> int:
    with db.connect() as su:
        return int(su.execute("SELECT count(*) FROM tenancy.api_keys").fetchone()[0])


@pytest.mark.parametrize("role", ["operator", "approver", "viewer"])
def test_a_principal_of_any_role_issues_a_key_for_itself(
        seeded: tuple[Database, dict[str, Tenant]], role: str) -> None:
    db, tenants = seeded
    pid, key = principal_key(db, tenants["a"].api_key, role)
    [(new,)] = act(db, key, "SELECT api_key FROM api.create_api_key(p_name => 'mine')")
    [(who, roles)] = act(db, new, "SELECT principal_id::text, roles FROM api.whoami()")
    assert (who, roles) == (pid, [role])
    # and not for another principal
    before = keys(db)
    with pytest.raises(psycopg.Error) as err:
        act(db, key, "SELECT api_key FROM api.create_api_key(p_name => 'theirs', "
            "p_principal_id => %s)", (tenants["a"].owner_id,))
    assert err.value.sqlstate == "CL403", err.value
    assert keys(db) == before


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_a_key_issues_no_key_with_a_scope_it_lacks(
        seeded: tuple[Database, dict[str, Tenant]], role: str) -> None:
    db, tenants = seeded
    owner = tenants["a"]
    if role == "owner":
        [(rotator,)] = act(db, owner.api_key, "SELECT api_key FROM api.create_api_key("
                           "p_name => 'rotator', p_scopes => '{keys:write}')")
    else:
        _, rotator = principal_key(db, owner.api_key, role, ["keys:write"])
    before = keys(db)
    for scopes in (["*"], ["queue:write"], ["keys:write", "llm:call"]):
        with pytest.raises(psycopg.Error) as err:
            act(db, rotator, "SELECT api_key FROM api.create_api_key(p_name => 'wider', "
                "p_scopes => %s)", (scopes,))
        assert err.value.sqlstate == "CL403", (scopes, err.value)
        assert "scope" in (err.value.diag.message_detail or ""), err.value.diag.message_detail
    assert keys(db) == before
    # within its own scopes: fine
    [(narrow,)] = act(db, rotator, "SELECT api_key FROM api.create_api_key(p_name => 'same', "
                      "p_scopes => '{keys:write}')")
    assert act(db, narrow, "SELECT scopes FROM api.whoami()") == [(["keys:write"],)]


@pytest.mark.parametrize("sql,params,state,field", [
    ("SELECT api.create_principal(p_kind => 'agent', p_handle => 'Bad Handle', "
     "p_display_name => 'x')", (), "CL422", "handle"),
    ("SELECT api.create_principal(p_kind => 'robot', p_handle => 'r2', "
     "p_display_name => 'x')", (), "CL422", "kind"),
    ("SELECT api.create_principal(p_kind => 'agent', p_handle => 'a1', "
     "p_display_name => '')", (), "CL422", "display name"),
    ("SELECT api.create_principal(p_kind => 'agent', p_handle => 'owner', "
     "p_display_name => 'dup')", (), "CL409", "handle"),
    ("SELECT api.create_principal(p_kind => 'agent', p_handle => 'a2', "
     "p_display_name => 'x', p_roles => '{superuser}')", (), "CL422", "role"),
    ("SELECT api.grant_role(%s, 'superuser')", ("OWNER",), "CL422", "role"),
    ("SELECT api_key FROM api.create_api_key(p_name => 'key-0')", (), "CL409", "name"),
    ("SELECT api_key FROM api.create_api_key(p_name => '')", (), "CL422", "name"),
], ids=["bad-handle", "bad-kind", "empty-display-name", "taken-handle", "unknown-role-at-create",
        "unknown-role", "taken-key-name", "empty-key-name"])
def test_bad_principal_and_key_input_is_our_error_not_a_constraints(
        seeded: tuple[Database, dict[str, Tenant]], sql: str, params: tuple[Any, ...],
        state: str, field: str) -> None:
    """These reached the client as PostgreSQL's own 23505/23514 ('new row for relation
    "principals" violates check constraint "principals_handle_check"'), naming tables and
    constraints, with no hint. Each is now our SQLSTATE with a detail that names the field
    and a hint, and nothing is written."""
    db, tenants = seeded
    a = tenants["a"]
    params = tuple(a.owner_id if p == "OWNER" else p for p in params)
    with db.connect() as su:
        counts = "SELECT (SELECT count(*) FROM tenancy.principals), " \
                 "(SELECT count(*) FROM tenancy.memberships), (SELECT count(*) FROM tenancy.api_keys)"
        before = su.execute(counts).fetchone()
    with pytest.raises(psycopg.Error) as err:
        act(db, a.api_key, sql, params)
    assert err.value.sqlstate == state, err.value
    detail = err.value.diag.message_detail or ""
    assert field in detail and "constraint" not in detail and "relation" not in detail, detail
    assert err.value.diag.message_hint
    with db.connect() as su:
        assert su.execute(counts).fetchone() == before


@pytest.mark.parametrize("sql, params", [
    ("SELECT api_key FROM api.create_api_key(p_name => %s)", ("\t\n\u00a0",)),
    ("SELECT api.create_principal('agent', 'blank', %s)", ("   ",)),
], ids=["key name", "display name"])
def test_a_name_with_no_visible_character_is_cl422(
        seeded: tuple[Database, dict[str, Tenant]], sql: str, params: tuple[str, ...]) -> None:
    """Names of white space or control characters only were accepted (an outside-in probe)."""
    db, tenants = seeded
    with pytest.raises(psycopg.Error) as err:
        act(db, tenants["a"].api_key, sql, params)
    assert err.value.sqlstate == "CL422", err.value
    assert "no visible character" in (err.value.diag.message_detail or "")
