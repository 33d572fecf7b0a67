"""Code injection through the session's temporary schema.

Any login role may create objects in its own pg_temp schema, and PostgreSQL searches pg_temp
FIRST for relation and type names unless the search_path lists it explicitly (it never
searches it for functions or operators). Our SECURITY DEFINER functions pinned
`search_path = ''`, which leaves pg_temp implicitly first: a domain `pg_temp.uuid` with a CHECK
that calls a temporary function made every `::uuid` inside api.authenticate (and every other
unqualified type name) run the attacker's code as claw_owner, who can set any tenant's
context. The fix pins `search_path = pg_catalog, pg_temp` (pg_temp searched last) on every
function that pins one; claw lint (L001) and the catalog test below hold it."""

from __future__ import annotations

import psycopg
import pytest

from conftest import Database, Tenant

# type names our functions use unqualified (the grammar maps integer, bigint, boolean,
# numeric and friends to pg_catalog itself; these it looks up on the search_path)
SHADOWED = ("uuid", "text", "bytea", "jsonb", "json", "timestamptz", "date", "interval",
            "xid8", "tsvector", "name")

CALLS = [
    "SELECT * FROM api.whoami()",
    "SELECT * FROM api.enqueue_job(p_queue => 'q', p_kind => 'k', p_payload => '{}')",
    "SELECT * FROM api.list_jobs(p_limit => 5)",
    "SELECT * FROM api.list_principals()",
    "SELECT * FROM api.list_schedules()",
    "SELECT * FROM api.current_event_position()",
    "SELECT * FROM api.check_permission('doc:1', 'viewer', 'user:x')",
]


def arm(conn: psycopg.Connection) -> None:
    """The attacker's temporary objects: a function that refuses to run as anyone but the
    session's own user, and domains that call it, named like the built-in types."""
    conn.execute("""
        CREATE FUNCTION pg_temp.evil(anyelement) RETURNS pg_catalog.bool LANGUAGE plpgsql AS $$
        BEGIN
          IF current_user <> session_user THEN
            RAISE EXCEPTION 'escalated: the attacker''s code ran as %', current_user;
          END IF;
          RETURN true;
        END $$""")
    for name in SHADOWED:
        conn.execute(f"CREATE DOMAIN pg_temp.{name} AS pg_catalog.{name} "
                     f"CHECK (pg_temp.evil(VALUE))")


def test_temporary_types_never_run_as_the_owner(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    # the attack needs TEMPORARY, which `claw migrate` takes from the login roles (the test
    # below): given back here, as an operator might, so the second defence is tried alone
    with db.connect() as conn:
        conn.execute(f"GRANT TEMPORARY ON DATABASE {db.name} TO claw_runtime")
    with db.connect("claw_runtime") as conn:
        arm(conn)
        conn.autocommit = False
        try:
            row = conn.execute("SELECT tenant_id::pg_catalog.text FROM api.authenticate(%s)",
                               (tenants["a"].api_key,)).fetchone()
        except psycopg.Error as exc:
            pytest.fail(f"authenticate: {exc.diag.message_primary}")
        assert row == (tenants["a"].tenant_id,)
        for sql in CALLS:
            try:
                with conn.transaction():
                    conn.execute(sql).fetchall()
            except psycopg.Error as exc:
                assert "escalated" not in str(exc), f"{sql}: {exc}"
        conn.rollback()


def test_every_pinned_search_path_lists_pg_temp_last(db: Database) -> None:
    """Catalog check: every function of Claw's schemas that is SECURITY DEFINER pins
    search_path, and every pinned search_path is `pg_catalog, pg_temp`."""
    with db.connect() as conn:
        rows = conn.execute("""
            SELECT p.oid::regprocedure::text, p.prosecdef,
                   (SELECT c FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%') AS sp
            FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
            JOIN pg_roles AS r ON r.oid = p.proowner
            WHERE r.rolname LIKE 'claw\\_%'""").fetchall()
    assert rows
    bad = [(name, sp) for name, definer, sp in rows
           if (definer and sp is None)
           or (sp is not None and sp != "search_path=pg_catalog, pg_temp")]
    assert not bad, bad


def test_login_roles_cannot_create_temporary_objects(db: Database) -> None:
    """Bootstrap 30 (sql/30_hardening.sql, re-run by every `claw migrate`) takes TEMPORARY on
    the database from PUBLIC: the attack above cannot even arm itself. Operators keep it."""
    from conftest import ROOT
    with db.connect() as conn:
        conn.execute(f"GRANT TEMPORARY ON DATABASE {db.name} TO PUBLIC, claw_owner")
        conn.execute((ROOT / "sql" / "30_hardening.sql").read_text())
    for role in ("claw_runtime", "claw_worker", "claw_auditor"):
        with db.connect(role) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("CREATE TEMP TABLE t (i integer)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("CREATE FUNCTION pg_temp.f() RETURNS integer LANGUAGE sql "
                             "AS 'SELECT 1'")
    with db.connect() as conn:
        assert conn.execute(
            "SELECT r FROM unnest(ARRAY['claw_owner', 'claw_runtime', 'claw_worker', 'claw_auditor', "
            "'claw_authz_reader']) AS r WHERE has_database_privilege(r, current_database(), "
            "'TEMPORARY')").fetchall() == []
    with db.connect("claw_admin") as conn:
        conn.execute("CREATE TEMP TABLE t (i integer)")
