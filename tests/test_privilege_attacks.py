"""Attacks by a session logged in as a login role (claw_runtime, ...) on other roles, other
tenants and other sessions, beyond the temporary-schema injection (test_temp_schema_attacks).

1. Session settings that change how definer code parses. PL/pgSQL and SQL function bodies
   are parsed in the calling session, with its settings: `SET standard_conforming_strings =
   off` makes every backslash in a plain '...' literal an escape, so a regex like
   '^(\\*|...)$' became '^(*|...)$' (an error) and '\\.' became '.' (any character), and
   '\\x00...'::bytea literals changed bytes or failed. Claw's functions now hold no backslash
   in a plain literal (bracket expressions, decode(..., 'hex')); the catalog test keeps it so.
2. Role defaults a login role writes on itself. PostgreSQL lets every role run `ALTER ROLE
   <itself> SET <any user-settable parameter>`, and nothing (no grant, no event trigger) can
   forbid it. Every application of every tenant shares claw_runtime, so one application
   (or an SQL injection in it) can change the settings every other tenant's sessions start
   with. Claw now reports any role default of a login role outside the timeouts in
   internal.role_safety_problems(), so the CLI, the worker and the HTTP server refuse to
   start (and /readyz reports it) instead of running with the planted setting.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant


def plain_literals(src: str) -> list[str]:
    """The plain '...' string literals of SQL or PL/pgSQL source (not E'...', not in
    comments, quoted identifiers or dollar quotes)."""
    out: list[str] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("--", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == '"':
            j = src.find('"', i + 1)
            i = n if j < 0 else j + 1
        elif c == "$" and (m := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", src[i:])) \
                and not (i > 0 and (src[i - 1].isalnum() or src[i - 1] == "_")):
            j = src.find(m.group(0), i + len(m.group(0)))
            i = n if j < 0 else j + len(m.group(0))
        elif c == "'":
            escape = i > 0 and src[i - 1] in "Ee" and not (i > 1 and (src[i - 2].isalnum()
                                                                        or src[i - 2] == "_"))
            j = i + 1
            while j < n:
                if escape and src[j] == "\\":
                    j += 2
                    continue
                if src[j] == "'":
                    if j + 1 < n and src[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            if not escape:
                out.append(src[i:j + 1])
            i = j + 1
        else:
            i += 1
    return out


def _calls_under(conn: psycopg.Connection[Any], tenant: Tenant) -> None:
    """Definer code paths whose literals held backslashes: API key scopes, cron parsing,
    consistency tokens. Each must behave as with the standard setting."""
    with conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        row = conn.execute("SELECT api_key FROM api.create_api_key(p_name => 'scs', "
                           "p_scopes => ARRAY['queue:read', 'keys:write'])").fetchone()
        assert row is not None and row[0].startswith("ck_")
        with pytest.raises(psycopg.Error) as bad_scope:
            with conn.transaction():
                conn.execute("SELECT * FROM api.create_api_key(p_name => 'bad', "
                             "p_scopes => ARRAY['**'])")
        assert bad_scope.value.sqlstate == "CL422", bad_scope.value
        row = conn.execute(
            "SELECT schedule_id FROM api.create_schedule(p_name => 'scs', "
            "p_cron => '*/15  8-18 * * mon-fri', p_time_zone => 'UTC', p_queue => 'q', "
            "p_kind => 'k')").fetchone()
        assert row is not None
        # a malformed consistency token: 'x' where the format says '.'
        with pytest.raises(psycopg.Error) as bad_token:
            with conn.transaction():
                conn.execute("SELECT api.check_permission('doc:1', 'viewer', 'user:x', "
                             "p_consistency_token => 'zt1x1x' || repeat('0', 32))")
        assert bad_token.value.sqlstate == "CL422", bad_token.value


def test_session_string_syntax_does_not_change_definer_code(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    with db.connect("claw_runtime") as conn:
        conn.execute("SET standard_conforming_strings = off")
        _calls_under(conn, tenants["a"])


def test_a_role_default_planted_by_one_application_is_refused(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """Tenant a's application plants a default on the shared runtime role; tenant b's next
    session starts with it. Its code paths still behave, and Claw reports the planted
    default as a reason to refuse to start."""
    db, tenants = seeded
    with db.connect() as admin:
        assert admin.execute("SELECT * FROM internal.role_safety_problems()").fetchall() == []
    with db.connect("claw_runtime") as attacker:
        # IN DATABASE keeps the planted default inside this test's database; a plain
        # ALTER ROLE claw_runtime SET (every database) is allowed just the same
        attacker.execute(f"ALTER ROLE claw_runtime IN DATABASE {db.name} "
                         "SET standard_conforming_strings = off")
    with db.connect("claw_runtime") as victim:
        assert victim.execute("SHOW standard_conforming_strings").fetchone() == ("off",)
        _calls_under(victim, tenants["b"])
    with db.connect() as admin:
        problems = admin.execute("SELECT role_name, problem "
                                 "FROM internal.role_safety_problems()").fetchall()
        assert any(r == "claw_runtime" and "standard_conforming_strings" in p
                   for r, p in problems), problems
        admin.execute(f"ALTER ROLE claw_runtime IN DATABASE {db.name} RESET ALL")
        assert admin.execute("SELECT * FROM internal.role_safety_problems()").fetchall() == []


def test_timeouts_are_the_role_defaults_claw_accepts(db: Database) -> None:
    """An operator's adjustment of the timeouts (README) is no problem."""
    with db.connect() as admin:
        admin.execute(f"ALTER ROLE claw_runtime IN DATABASE {db.name} "
                      "SET statement_timeout = '60s'")
        try:
            assert admin.execute("SELECT * FROM internal.role_safety_problems()").fetchall() == []
        finally:
            admin.execute(f"ALTER ROLE claw_runtime IN DATABASE {db.name} RESET ALL")


def test_no_function_body_holds_a_backslash_in_a_plain_literal(db: Database) -> None:
    """Catalog check: a plain '...' literal with a backslash means something else under
    standard_conforming_strings = off, which any session may set (or plant as a role
    default). Write E'...' or avoid the backslash ([.], [*], [0-9], decode(..., 'hex'))."""
    with db.connect() as conn:
        rows = conn.execute("""
            SELECT p.oid::regprocedure::text, p.prosrc
            FROM pg_proc AS p JOIN pg_roles AS r ON r.oid = p.proowner
            WHERE r.rolname LIKE 'claw\\_%' AND p.prolang IN (
              SELECT l.oid FROM pg_language AS l WHERE l.lanname IN ('sql', 'plpgsql'))
            """).fetchall()
    assert rows
    bad = [(name, lit) for name, src in rows for lit in plain_literals(src) if "\\" in lit]
    assert not bad, bad


def _create_customer(conn: psycopg.Connection[Any], email: str) -> None:
    conn.execute("SELECT object_id FROM api.create_object(p_type => 'customer', "
                 "p_properties => %s)", (json.dumps({"email": email}),))


def test_another_tenants_writes_cannot_be_blocked_through_advisory_locks(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """Advisory locks are one namespace for the whole database, and PUBLIC could take any of
    them and read pg_locks. Claw serialises object writes against type changes with an
    advisory lock keyed by the type (ontology.lock_type): another tenant's application read
    the keys of tenant a's writes in flight from pg_locks, then held them (a session-level
    lock outlives every transaction and timeout), and every write of that type in tenant a
    waited out its lock_timeout. Login roles now hold neither."""
    db, tenants = seeded
    a = tenants["a"]
    with db.connect("claw_runtime") as victim, db.connect("claw_runtime") as attacker:
        with victim.transaction():
            victim.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
            victim.execute("SELECT * FROM api.define_object_type(p_name => 'customer', "
                           "p_properties => %s)",
                           (json.dumps({"email": {"kind": "string"}}),))
        victim.autocommit = False
        victim.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        _create_customer(victim, "first@a.example")  # its transaction holds the type's lock
        try:
            keys = attacker.execute(
                "SELECT (classid::bigint << 32) | objid::bigint FROM pg_catalog.pg_locks "
                "WHERE locktype = 'advisory' AND pid <> pg_catalog.pg_backend_pid()").fetchall()
            observed = True
        except psycopg.errors.InsufficientPrivilege:
            keys, observed = [], False
        victim.commit()
        held = []
        for (key,) in keys:
            try:
                attacker.execute("SELECT pg_catalog.pg_advisory_lock(%s)", (key,))
                held.append(key)
            except psycopg.errors.InsufficientPrivilege:
                pass
        try:
            victim.execute("SET lock_timeout = '1s'")
            victim.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
            _create_customer(victim, "second@a.example")
            victim.commit()
        except psycopg.errors.LockNotAvailable:
            pytest.fail(f"tenant a's write waited on a lock another session took "
                        f"(observed {len(keys)} keys in pg_locks: {observed}; held {held})")
    assert not observed and not held
    with db.connect("claw_runtime") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pg_catalog.pg_try_advisory_lock(1)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM pg_catalog.pg_locks")


@pytest.mark.parametrize("signal", ["pg_cancel_backend(%s)", "pg_terminate_backend(%s)"])
def test_a_session_cannot_cancel_or_end_another_applications_session(
        seeded: tuple[Database, dict[str, Tenant]], signal: str) -> None:
    """PostgreSQL lets a role cancel and terminate every backend of its own role. Every
    tenant's applications (and the HTTP edge's pool) share claw_runtime, so one of them could
    end all the others' sessions: the pids come from pg_stat_get_backend_idset(), which
    stays public. Login roles now hold neither function (claw_admin keeps them)."""
    db, _ = seeded
    with db.connect("claw_runtime") as victim, db.connect("claw_runtime") as attacker:
        pid = victim.info.backend_pid
        seen = attacker.execute(
            "SELECT pg_stat_get_backend_pid(b) FROM pg_stat_get_backend_idset() AS b").fetchall()
        assert (pid,) in seen  # the pid itself is no secret
        failure: list[BaseException] = []

        def work() -> None:
            try:
                victim.execute("SELECT pg_sleep(1.5)")
                victim.execute("SELECT * FROM api.whoami()")
            except psycopg.Error as exc:
                failure.append(exc)

        t = threading.Thread(target=work)
        t.start()
        time.sleep(0.5)
        try:
            attacker.execute(f"SELECT {signal}", (pid,))
        except psycopg.errors.InsufficientPrivilege:
            pass
        t.join(10)
        assert not failure, f"another session of the role interrupted this one: {failure[0]}"


def test_the_trace_id_setting_cannot_grow_the_append_only_ledger(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """claw.trace_id is a plain setting any session may write, of any length, and every
    audited write copied it into audit.events, which nothing may delete: a session could
    grow the ledger by megabytes per write, past the documented input limits. A trace id
    longer than 64 bytes (what the other tables' CHECKs allow) is now not taken."""
    db, tenants = seeded
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            conn.execute("SELECT pg_catalog.set_config('claw.trace_id', repeat('t', 100000), true)")
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenants["a"].api_key,))
            conn.execute("SELECT api.create_principal(p_kind => 'agent', p_handle => 'big', "
                         "p_display_name => 'Big', p_roles => '{viewer}')")
        with conn.transaction():
            conn.execute("SELECT pg_catalog.set_config('claw.trace_id', 'abc123', true)")
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenants["a"].api_key,))
            conn.execute("SELECT api.create_principal(p_kind => 'agent', p_handle => 'small', "
                         "p_display_name => 'Small', p_roles => '{viewer}')")
    with db.connect() as admin:
        longest, normal = admin.execute(
            "SELECT max(octet_length(trace_id)), count(*) FILTER (WHERE trace_id = 'abc123') "
            "FROM audit.events WHERE tenant_id = %s", (tenants["a"].tenant_id,)).fetchone()
        assert longest is None or longest <= 64, longest
        assert normal >= 1
        assert admin.execute("SELECT count(*) FROM audit.verify_chains() "
                             "WHERE NOT ok").fetchone() == (0,)
