"""The tenant context cannot be forged and does not outlive its transaction.

Attacks run as claw_runtime (what an application, or a SQL injection in it, holds) and as
claw_owner (whom every api function runs as, bound by FORCE ROW LEVEL SECURITY)."""

from __future__ import annotations

import psycopg
import pytest

from conftest import Database, Tenant

ATTACK_READS = ["SELECT * FROM api.list_principals()", "SELECT * FROM api.list_api_keys()",
                "SELECT * FROM api.whoami()"]


def authenticate(conn: psycopg.Connection, key: str) -> tuple[str, ...]:
    row = conn.execute("SELECT tenant_id::text, principal_id::text, roles, scopes "
                       "FROM api.authenticate(p_api_key => %s)", (key,)).fetchone()
    assert row is not None
    return row


def captured_context(db: Database, tenant: Tenant) -> tuple[str, str]:
    """The raw settings of a real, authenticated transaction of `tenant` (an attacker could
    read its own)."""
    with db.connect("claw_runtime") as conn, conn.transaction():
        authenticate(conn, tenant.api_key)
        row = conn.execute("SELECT current_setting('claw.ctx'), "
                           "current_setting('claw.ctx_mac')").fetchone()
    assert row is not None
    return row[0], row[1]


def test_authenticate_sets_context_for_one_transaction(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    a = tenants["a"]
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            tenant_id, principal_id, roles, scopes = authenticate(conn, a.api_key)
            assert (tenant_id, principal_id, roles) == (a.tenant_id, a.owner_id, ["owner"])
            handles = {r[0] for r in conn.execute("SELECT handle FROM api.list_principals()")}
            assert handles == {"owner", "p0", "p1", "p2"}
        # after COMMIT no context remains
        assert conn.execute("SELECT * FROM api.whoami()").fetchall() == []
        assert conn.execute("SELECT current_setting('claw.ctx', true)").fetchone() == ("",)
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT * FROM api.list_principals()")
        assert info.value.sqlstate == "CL401"


@pytest.mark.parametrize("forge", ["copy_of_b", "tampered_tenant", "garbage", "session_level"])
def test_forged_context_sees_nothing(seeded: tuple[Database, dict[str, Tenant]], forge: str) -> None:
    """The runtime role writes the raw context settings itself: 0 rows, and api functions
    treat it as unauthenticated."""
    db, tenants = seeded
    ctx_b, mac_b = captured_context(db, tenants["b"])
    ctx_a, mac_a = captured_context(db, tenants["a"])
    forged = {
        "copy_of_b": (ctx_b, mac_b),  # a valid pair from another (finished) transaction
        "tampered_tenant": (ctx_a.replace(tenants["a"].tenant_id, tenants["b"].tenant_id), mac_a),
        "garbage": (f"{tenants['b'].tenant_id}|||*|1", "00" * 32),
        "session_level": (ctx_b, mac_b),
    }[forge]
    with db.connect("claw_runtime") as conn:
        if forge == "session_level":
            conn.execute("SELECT set_config('claw.ctx', %s, false), set_config('claw.ctx_mac', %s, false)",
                         forged)
        with conn.transaction():
            conn.execute("SELECT pg_current_xact_id()")  # even with an xid assigned
            conn.execute("SELECT set_config('claw.ctx', %s, true), set_config('claw.ctx_mac', %s, true)",
                         forged)
            assert conn.execute("SELECT * FROM api.whoami()").fetchall() == []
            for sql in ATTACK_READS[:2]:
                with pytest.raises(psycopg.Error) as info, conn.transaction():
                    conn.execute(sql)
                assert info.value.sqlstate == "CL401"
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT * FROM api.create_principal('agent', 'intruder', 'X')")
            assert info.value.sqlstate == "CL401"


def test_forged_context_as_owner_reads_and_writes_nothing(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """Even as claw_owner (what api functions run as), with a forged context for B: 0 rows
    read in every tenant table, every write refused."""
    db, tenants = seeded
    ctx_b, mac_b = captured_context(db, tenants["b"])
    b = tenants["b"]
    with db.connect() as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY (internal.tenant_schemas()) AND c.relkind IN ('r','p')")]
        with conn.transaction():
            conn.execute("SET LOCAL ROLE claw_owner")
            conn.execute("SELECT pg_current_xact_id()")
            conn.execute("SELECT set_config('claw.ctx', %s, true), set_config('claw.ctx_mac', %s, true)",
                         (ctx_b, mac_b))
            for table in tables:
                assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
            for sql in [
                f"INSERT INTO tenancy.principals (tenant_id, kind, handle, display_name) "
                f"VALUES ('{b.tenant_id}', 'agent', 'intruder', 'X')",
                f"INSERT INTO tenancy.memberships (tenant_id, principal_id, role) "
                f"VALUES ('{b.tenant_id}', '{b.owner_id}', 'admin')",
                "SELECT audit.append(%s, 'forged.event')",
            ]:
                with pytest.raises(psycopg.Error) as info, conn.transaction():
                    conn.execute(sql, (b.tenant_id,) if "%s" in sql else None)
                assert info.value.sqlstate == "42501", sql
            for table in tables:
                cur = conn.execute(f"UPDATE {table} SET tenant_id = tenant_id") \
                    if not table.startswith("audit.") else None
                assert cur is None or cur.rowcount == 0, table


@pytest.mark.parametrize("bad_key,message", [
    ("not-a-key", "invalid API key"),
    ("ck_" + "0" * 64 + "_" + "A" * 43, "invalid API key"),
    # the shape is checked by lengths, not bounded repeats: every near miss is malformed
    ("ck_" + "a" * 63 + "_" + "A" * 44, "invalid API key"),
    ("ck_" + "a" * 65 + "_" + "A" * 42, "invalid API key"),
    ("ck_" + "a" * 64 + "_" + "A" * 42, "invalid API key"),
    ("ck_" + "a" * 64 + "_" + "A" * 44, "invalid API key"),
    ("ck_" + "A" * 64 + "_" + "A" * 43, "invalid API key"),
    ("ck_" + "a" * 64 + "_" + "A" * 42 + "\n", "invalid API key"),
    ("ck_" + "a" * 64 + "__" + "A" * 42, "invalid API key"),
    # longer than any key (and than the size guard's 1 KiB): malformed, not 'input too large'
    # (CL422, which named our parameter to a client holding a garbage credential)
    ("ck_" + "x" * 2000, "invalid API key"),
    ("x" * 70000, "invalid API key"),
])
def test_bad_keys_are_refused(seeded: tuple[Database, dict[str, Tenant]], bad_key: str,
                              message: str) -> None:
    db, _ = seeded
    with db.connect("claw_runtime") as conn, pytest.raises(psycopg.Error) as info:
        authenticate(conn, bad_key)
    assert info.value.sqlstate == "CL401"
    assert info.value.diag.message_primary == message
    assert info.value.diag.message_hint


def test_wrong_secret_revocation_and_expiry(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    a = tenants["a"]
    wrong = a.api_key[:-1] + ("A" if a.api_key[-1] != "A" else "B")
    with db.connect("claw_runtime") as conn:
        with pytest.raises(psycopg.Error) as info:
            authenticate(conn, wrong)
        assert info.value.sqlstate == "CL401"
        with conn.transaction():
            authenticate(conn, a.api_key)
            new_id, new_key = conn.execute(
                "SELECT api_key_id, api_key FROM api.create_api_key(p_name => 'short')").fetchone()
        with conn.transaction():
            authenticate(conn, new_key)
            conn.execute("SELECT api.revoke_api_key(p_api_key_id => %s)", (new_id,))
        with pytest.raises(psycopg.Error) as info:
            authenticate(conn, new_key)
        assert info.value.diag.message_primary == "API key revoked"
        with conn.transaction():
            authenticate(conn, a.api_key)
            status = dict(conn.execute("SELECT name, status FROM api.list_api_keys()").fetchall())
            assert status["short"] == "revoked" and status["initial owner key"] == "active"
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT * FROM api.create_api_key(p_name => 'past', "
                             "p_expires_at => now() - interval '1 second')")
            assert info.value.sqlstate == "CL422"


def test_roles_within_a_tenant(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """A viewer's key can list but not create principals (CL403), and sees only its own keys."""
    db, tenants = seeded
    a = tenants["a"]
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            authenticate(conn, a.api_key)
            vid = conn.execute("SELECT api.create_principal('person', 'vera', 'Vera', '{viewer}')").fetchone()[0]
            vkey = conn.execute("SELECT api_key FROM api.create_api_key('vera-key', %s)", (vid,)).fetchone()[0]
        with conn.transaction():
            _, _, roles, _ = authenticate(conn, vkey)
            assert roles == ["viewer"]
            assert len(conn.execute("SELECT * FROM api.list_principals()").fetchall()) == 5
            assert [r[0] for r in conn.execute("SELECT name FROM api.list_api_keys()")] == ["vera-key"]
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT api.create_principal('agent', 'x', 'X')")
            assert info.value.sqlstate == "CL403"
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT api.grant_role(%s, 'owner')", (vid,))
            assert info.value.sqlstate == "CL403"


NAIVE_CONTEXT = """
CREATE OR REPLACE FUNCTION internal.verified_context(
  OUT tenant_id uuid, OUT principal_id uuid, OUT roles text[], OUT scopes text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $fn$
DECLARE v_parts text[] := pg_catalog.string_to_array(pg_catalog.current_setting('claw.ctx', true), '|');
BEGIN  -- trusts the raw setting: no MAC, no transaction binding
  IF pg_catalog.cardinality(v_parts) = 6 THEN
    tenant_id := v_parts[1]::uuid; principal_id := NULLIF(v_parts[2], '')::uuid;
    roles := pg_catalog.string_to_array(v_parts[3], ','); scopes := pg_catalog.string_to_array(v_parts[4], ',');
  END IF;
END $fn$;
"""


def test_the_forgery_attack_works_against_a_naive_context(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """The attack above is real: against a context that trusts the raw setting (what a plain
    SET-based design does), the same forged value reads tenant B's principals."""
    db, tenants = seeded
    ctx_a, _ = captured_context(db, tenants["a"])
    forged = ctx_a.replace(tenants["a"].tenant_id, tenants["b"].tenant_id)
    with db.connect() as conn:
        conn.execute("SET ROLE claw_owner")
        conn.execute(NAIVE_CONTEXT)
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT set_config('claw.ctx', %s, true)", (forged,))
        handles = {r[0] for r in conn.execute("SELECT handle FROM api.list_principals()")}
        assert handles == {"owner", "p0", "p1", "p2"}  # B's principals: the leak
        assert conn.execute("SELECT tenant_id::text FROM api.whoami()").fetchone() == (
            tenants["b"].tenant_id,)


def test_another_tenants_principal_is_not_found(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """A's owner cannot issue a key for, or grant a role to, B's principal: CL404."""
    db, tenants = seeded
    with db.connect("claw_runtime") as conn, conn.transaction():
        authenticate(conn, tenants["a"].api_key)
        for sql in ("SELECT * FROM api.create_api_key(p_name => 'x', p_principal_id => %s)",
                    "SELECT api.grant_role(%s, 'admin')"):
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute(sql, (tenants["b"].owner_id,))
            assert info.value.sqlstate == "CL404"
            assert info.value.diag.message_detail and info.value.diag.message_hint


def test_the_key_lookup_is_only_for_api_authenticate(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """tenancy.api_key_credential bypasses RLS (it runs before any context exists) and returns
    a key's secret hash: no login role may call it, or read its owner's tables."""
    db, tenants = seeded
    a = tenants["a"]
    tenant_hex, key_hex = a.api_key[3:35], a.api_key[35:67]
    for role in ("claw_runtime", "claw_worker", "claw_admin", "claw_auditor"):
        with db.connect(role) as conn:
            with pytest.raises(psycopg.Error) as info:
                conn.execute("SELECT * FROM tenancy.api_key_credential(%s::uuid, %s::uuid)",
                             (tenant_hex, key_hex))
            assert info.value.sqlstate == "42501", role
    with db.connect() as conn:
        row = conn.execute("SELECT r.rolbypassrls, r.rolcanlogin, "
                           "has_function_privilege('claw_runtime', p.oid, 'EXECUTE') "
                           "FROM pg_proc AS p JOIN pg_roles AS r ON r.oid = p.proowner "
                           "WHERE p.oid = 'tenancy.api_key_credential(uuid,uuid)'::regprocedure"
                           ).fetchone()
    assert row == (True, False, False)


def test_a_role_claimed_without_its_mac_opens_nothing(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """The permissive (role) policies read the roles of claw.ctx without checking its MAC
    (internal.claims_role: one verification per statement instead of two); the restrictive
    tenant policy beside each of them verifies the same setting in the same statement. A
    viewer who rewrites its own roles to owner keeps its MAC, so the tenant policy fails and
    the claimed role opens nothing: no row read, no row written. Without the tenant policy
    (dropped here, in the transaction) the same claim would write: it is that policy, not the
    role check, that stops it."""
    db, tenants = seeded
    a = tenants["a"]
    insert = ("INSERT INTO queue.tenant_cursors (tenant_id, queue, last_key) "
              "VALUES (%s, %s, 1)")

    def attempt(conn: psycopg.Connection, queue: str) -> str | None:
        try:
            with conn.transaction():
                conn.execute(insert, (a.tenant_id, queue))
            return None
        except psycopg.Error as exc:
            return exc.sqlstate

    class Undo(Exception):
        pass

    with db.connect() as conn, pytest.raises(Undo), conn.transaction():
        conn.execute(insert, (a.tenant_id, "seen-by-owners"))
        conn.execute("SELECT internal.set_context(%s, %s, '{viewer}')", (a.tenant_id, a.owner_id))
        conn.execute("SET LOCAL ROLE claw_owner")
        assert attempt(conn, "as-viewer") == "42501"  # the viewer may not write cursors
        ctx = conn.execute("SELECT current_setting('claw.ctx')").fetchone()[0]  # type: ignore[index]
        assert "|viewer|" in ctx
        conn.execute("SELECT set_config('claw.ctx', %s, true)", (ctx.replace("|viewer|", "|owner|"),))
        assert conn.execute("SELECT internal.claims_role('{owner}')").fetchone() == (True,)
        assert conn.execute("SELECT internal.current_tenant_id()").fetchone() == (None,)
        assert attempt(conn, "as-claimed-owner") == "42501"
        assert conn.execute("SELECT count(*) FROM queue.tenant_cursors").fetchone() == (0,)
        # the deliberately broken policy set: without the tenant policy the claim writes
        conn.execute("RESET ROLE")
        conn.execute("DROP POLICY tenant_cursors_tenant_isolation ON queue.tenant_cursors")
        conn.execute("SET LOCAL ROLE claw_owner")
        assert attempt(conn, "as-claimed-owner") is None
        raise Undo  # roll it all back
    with db.connect() as conn:  # the rollback kept the policy
        assert conn.execute("SELECT count(*) FROM pg_policy WHERE polname = "
                            "'tenant_cursors_tenant_isolation'").fetchone() == (1,)
