"""The runtime role, hardened (issue 10, item 10; sql/30_hardening.sql,
functions/internal/require_size.sql). Each attack is shown working against the unhardened
state (the grant or setting put back inside the test, or the check replaced by a no-op) and
failing against the real one.

(a) another session's query text (an API key written as a literal) is unreadable to the
    runtime role: pg_stat_activity, the functions behind it, pg_stat_statements, and the
    same view in another database;
(b) login roles carry statement, lock and idle-in-transaction timeouts;
(c) every text and JSON input of every api function is bounded (CL422, nothing written)."""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, Database, Tenant, seed_tenants

HARDENING = ROOT / "sql" / "30_hardening.sql"
LITERAL_KEY = "ck_" + "ab" * 32 + "_" + "S" * 43  # what a careless client puts in its SQL


def rerun_hardening(db: Database) -> None:
    with db.connect() as conn:
        conn.execute(HARDENING.read_text())


@pytest.fixture
def victim(db: Database) -> Iterator[psycopg.Connection]:
    """A runtime session whose last query holds a key as a literal (it stays visible in
    pg_stat_activity while the session is idle)."""
    with db.connect("claw_runtime") as conn:
        conn.execute(f"SELECT '{LITERAL_KEY}' AS api_key")
        yield conn


def read_query_texts(conn: psycopg.Connection) -> list[str]:
    return [r[0] or "" for r in conn.execute(
        "SELECT query FROM pg_stat_activity WHERE usename = 'claw_runtime'")]


# --- (a) query texts -------------------------------------------------------------------------

@pytest.mark.parametrize("probe", [
    "SELECT query FROM pg_stat_activity",
    "SELECT query FROM pg_stat_get_activity(NULL)",
    "SELECT pg_stat_get_backend_activity(b) FROM pg_stat_get_backend_idset() AS b",
])
def test_runtime_cannot_read_another_sessions_query_text(db: Database, victim: psycopg.Connection,
                                                         probe: str) -> None:
    with db.connect() as admin:  # the unhardened state: PostgreSQL's default grants
        admin.execute("GRANT SELECT ON pg_stat_activity TO PUBLIC")
        admin.execute("GRANT EXECUTE ON FUNCTION pg_stat_get_activity(integer) TO PUBLIC")
        admin.execute("GRANT EXECUTE ON FUNCTION pg_stat_get_backend_activity(integer) TO PUBLIC")
    with db.connect("claw_runtime") as attacker:
        texts = [r[0] or "" for r in attacker.execute(probe)]
        assert any(LITERAL_KEY in t for t in texts), "before: the key leaks"
    rerun_hardening(db)
    with db.connect("claw_runtime") as attacker:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            attacker.execute(probe).fetchall()
    with db.connect("claw_admin") as operator:  # operators keep the view (their own sessions)
        operator.execute("SELECT count(*) FROM pg_stat_activity").fetchone()


def test_pg_stat_statements_is_closed_too(db: Database) -> None:
    with db.connect() as admin:
        admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    with db.connect("claw_runtime") as attacker:  # installed after the bootstrap: open
        attacker.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
    rerun_hardening(db)  # what `claw migrate` does after the extension is installed
    with db.connect("claw_runtime") as attacker:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            attacker.execute("SELECT count(*) FROM pg_stat_statements").fetchone()


def test_runtime_cannot_read_claw_sessions_from_another_database(db: Database,
                                                                 victim: psycopg.Connection) -> None:
    """pg_stat_activity is cluster-wide: the same view in the maintenance database would
    show the Claw database's sessions. The runtime role may not connect there."""
    other = db.cluster.url("postgres", "claw_runtime")
    with db.cluster.admin() as admin:
        admin.execute("GRANT CONNECT ON DATABASE postgres TO PUBLIC")
        try:
            with psycopg.connect(other, autocommit=True) as attacker:
                assert any(LITERAL_KEY in t for t in read_query_texts(attacker)), "before"
        finally:
            admin.execute("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC")
    rerun_hardening(db)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(other).close()


def test_our_code_never_puts_a_key_into_query_text() -> None:
    """Keys and tokens reach the database only as parameters: no f-string, % or .format in
    app/ or bench/ builds SQL that calls an authenticate function."""
    offenders = []
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("bench/*.py")]:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            text = None
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values
                               if isinstance(v, ast.Constant) and isinstance(v.value, str))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) \
                    and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                text = node.left.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "format" and isinstance(node.func.value, ast.Constant):
                text = str(node.func.value.value)
            if text and "authenticate" in text and "(" in text:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# --- (b) timeouts ----------------------------------------------------------------------------

EXPECTED = {
    "claw_runtime": ("30s", "5s", "1min"),
    "claw_worker": ("5min", "30s", "10min"),
    "claw_admin": ("5min", "5s", "10min"),
    "claw_auditor": ("30min", "5s", "10min"),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_login_roles_get_timeouts(db: Database, role: str) -> None:
    with db.connect(role) as conn:
        got = tuple(conn.execute(f"SHOW {name}").fetchone()[0] for name in (
            "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"))
    assert got == EXPECTED[role]


def test_an_operators_adjustment_survives_migrate(db: Database) -> None:
    with db.connect() as admin:
        admin.execute("ALTER ROLE claw_auditor SET statement_timeout = '2h'")
        try:
            rerun_hardening(db)
            with db.connect("claw_auditor") as conn:
                assert conn.execute("SHOW statement_timeout").fetchone() == ("2h",)
        finally:
            admin.execute("ALTER ROLE claw_auditor SET statement_timeout = '30min'")


def test_an_idle_in_transaction_runtime_session_is_ended(db: Database) -> None:
    """The role's default ends a session that holds a transaction open. Shown with a 1 s
    value for this database only (the default is 60 s); with no timeout (the unhardened
    state) the same session survives."""
    def hold_open(seconds: float) -> psycopg.Connection:
        conn = db.connect("claw_runtime", autocommit=False)
        conn.execute("SELECT 1")  # BEGIN ... and then nothing
        time.sleep(seconds)
        return conn

    with db.connect() as admin:
        admin.execute(f"ALTER ROLE claw_runtime IN DATABASE {db.name} "
                      "SET idle_in_transaction_session_timeout = 0")
        conn = hold_open(2.0)
        assert conn.execute("SELECT 2").fetchone() == (2,), "before: the transaction stays open"
        conn.close()
        admin.execute(f"ALTER ROLE claw_runtime IN DATABASE {db.name} "
                      "SET idle_in_transaction_session_timeout = '1s'")
        conn = hold_open(2.5)
        with pytest.raises((psycopg.errors.IdleInTransactionSessionTimeout,
                            psycopg.OperationalError)):  # or the connection is already gone
            conn.execute("SELECT 2")
        conn.close()


# --- (c) input sizes -------------------------------------------------------------------------

MIB = 1 << 20


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return seed_tenants(db, ("a",), extra_principals=0)["a"]


def call_as(db: Database, tenant: Tenant, sql: str, params: tuple[object, ...]) -> psycopg.Error | None:
    with db.connect("claw_runtime") as conn:
        try:
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
                conn.execute(sql, params)
        except psycopg.Error as exc:
            return exc
    return None


def count(db: Database, table: str) -> int:
    with db.connect() as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_20_mib_job_payload_was_accepted_and_is_refused_now(db: Database, tenant: Tenant) -> None:
    payload = json.dumps({"blob": "x" * (20 * MIB)})
    sql = "SELECT * FROM api.enqueue_job(p_queue => 'q', p_kind => 'k', p_payload => %s)"
    source = (ROOT / "functions" / "internal" / "require_size.sql").read_text()
    unbounded = source.replace("WHEN 'json' THEN 262144", "WHEN 'json' THEN 2147483647") \
        .replace("WHEN 'batch' THEN 8388608", "WHEN 'batch' THEN 2147483647")
    with db.connect() as admin:  # the unhardened state: no limit on JSON
        admin.execute("SET ROLE claw_owner")
        admin.execute(unbounded)
    assert call_as(db, tenant, sql, (payload,)) is None
    assert count(db, "queue.jobs") == 1, "before: a 20 MiB payload in the hot table"
    with db.connect() as admin:
        admin.execute("SET ROLE claw_owner")
        admin.execute(source)
    err = call_as(db, tenant, sql, (payload,))
    assert err is not None and err.sqlstate == "CL422"
    assert err.diag.message_primary == "input too large"
    assert "p_payload is" in err.diag.message_detail and "262144 bytes" in err.diag.message_detail
    assert err.diag.message_hint
    assert count(db, "queue.jobs") == 1


@pytest.mark.parametrize("kind,sql,value,parameter,limit,table", [
    ("name", "SELECT api.create_principal(p_kind => 'agent', p_handle => %s, p_display_name => 'X')",
     "h" * 2000, "p_handle", 1024, "tenancy.principals"),
    ("text", "SELECT * FROM api.create_api_key(p_name => 'k', p_scopes => %s)",
     ["queue:read" * 100] * 100, "p_scopes", 65536, "tenancy.api_keys"),
    ("json", "SELECT * FROM api.start_flow_run(p_flow_name => 'f', p_input => %s)",
     json.dumps({"x": "y" * 300_000}), "p_input", 262144, "flow.runs"),
    ("document", "SELECT * FROM api.upsert_document(p_body => %s, p_embedding => '[0]', "
                 "p_embedding_model => 'm')",
     "word " * 300_000, "p_body", 1048576, "ontology.documents"),
    ("batch", "SELECT * FROM api.enqueue_jobs(p_jobs => %s)",
     json.dumps([{"queue": "q", "kind": "k", "payload": {"x": "y" * 100_000}}] * 90),
     "p_jobs", 8388608, "queue.jobs"),
])
def test_oversized_input_of_each_kind_is_refused(db: Database, tenant: Tenant, kind: str, sql: str,
                                                 value: object, parameter: str, limit: int,
                                                 table: str) -> None:
    before = count(db, table)
    err = call_as(db, tenant, sql, (value,))
    assert err is not None and err.sqlstate == "CL422", err
    assert err.diag.message_primary == "input too large"
    assert f"{parameter} is" in err.diag.message_detail
    assert f"the limit for {kind} inputs is {limit} bytes" in err.diag.message_detail
    assert count(db, table) == before, "nothing written"


def test_each_payload_inside_a_batch_is_bounded(db: Database, tenant: Tenant) -> None:
    jobs = [{"queue": "q", "kind": "k"}, {"queue": "q", "kind": "k", "payload": {"x": "y" * 300_000}}]
    err = call_as(db, tenant, "SELECT * FROM api.enqueue_jobs(p_jobs => %s)", (json.dumps(jobs),))
    assert err is not None and err.sqlstate == "CL422"
    assert "job 2 of the batch payload is" in err.diag.message_detail
    assert count(db, "queue.jobs") == 0


def test_every_api_function_bounds_every_text_and_json_input(db: Database) -> None:
    with db.connect() as conn:
        rows = conn.execute("""
            SELECT p.oid::regprocedure::text, a.name, p.prosrc
            FROM pg_proc p
            CROSS JOIN LATERAL unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) AS a(name, typ)
            WHERE p.pronamespace = 'api'::regnamespace
              AND a.typ IN ('text'::regtype, 'jsonb'::regtype, 'json'::regtype, 'text[]'::regtype,
                            'character varying'::regtype, 'bytea'::regtype)""").fetchall()
    assert len(rows) > 100
    missing = [f"{fn} {name}" for fn, name, src in rows
               if f"internal.require_size('{name}', {name}, '" not in src]
    assert missing == []


def test_readme_documents_the_limits() -> None:
    readme = (ROOT / "README.md").read_text()
    for kind, limit in (("name", "1 KiB"), ("text", "64 KiB"), ("json", "256 KiB"),
                        ("document", "1 MiB"), ("batch", "8 MiB")):
        assert f"| `{kind}` | {limit} |" in readme
    assert Path(HARDENING).exists()
