"""Test harness: one disposable PostgreSQL cluster per test run (testing.postgresql on the
embedded binaries), migrated once into a template database; every test gets a fresh copy via
CREATE DATABASE ... TEMPLATE. Every tests/sql/*.sql file is a pytest item that runs through
psql and fails with its failing TAP lines.

As root (CI), the cluster's files go to an unprivileged user and initdb/postgres run through
`setpriv`, which execs in place so that testing.postgresql's stop signal reaches postgres.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import testing.postgresql

from claw.cluster import SHARE_DIR, as_cluster_user, bin_path, chown_tree, sync_tzdata
from claw.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
# Python's zoneinfo, the tests' reference for local times, reads the same IANA release as the
# server (the pinned tzdata package, installed into PostgreSQL by claw.cluster.sync_tzdata),
# not the system's copy, which may be older.
zoneinfo.reset_tzpath(to=[])
TEMPLATE = "claw_template"
TAP_TEMPLATE = "claw_tap_template"
PGTAP_SOURCES = (Path("/usr/share/postgresql/15/extension"),)


class ClawPostgresql(testing.postgresql.Postgresql):  # type: ignore[misc]
    """testing.postgresql on the embedded PostgreSQL 18 binaries, root-safe."""

    def initialize(self) -> None:
        self.initdb = bin_path("initdb")
        self.postgres = bin_path("postgres")

    def initialize_database(self) -> None:
        chown_tree(Path(self.base_dir))
        data = os.path.join(self.base_dir, "data")
        proc = subprocess.run(
            as_cluster_user([self.initdb, "-D", data, "-U", "postgres", "-A", "trust",
                             "--encoding=UTF8", "--locale=C.UTF-8", "--lc-messages=C"]),
            capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed: {proc.stderr}")

    def get_server_commandline(self) -> list[str]:
        cmd: list[str] = super().get_server_commandline()
        return as_cluster_user(cmd)

    def poststart(self) -> None:
        pass

    def is_server_available(self) -> bool:
        try:
            dsn = self.dsn(database="postgres")
            with psycopg.connect(host=dsn["host"], port=dsn["port"], user=dsn["user"],
                                 dbname="postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False


@contextlib.contextmanager
def setup_lock() -> Iterator[None]:
    """One test process at a time through the first-run setup shared by every process of
    the run (pytest -n): the time zone files and pgTAP's files in the embedded PostgreSQL's
    share directory. Without it the second process read a file the first was writing."""
    path = Path(tempfile.gettempdir()) / f"claw-tests-setup-{os.getuid()}.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install_pgtap() -> str | None:
    """Make pgTAP's extension files (Debian package postgresql-15-pgtap: plain SQL, loads into
    PostgreSQL 18) visible to the embedded server. Returns a reason when it cannot."""
    target = SHARE_DIR / "extension"
    if (target / "pgtap.control").exists():
        return None
    for source in PGTAP_SOURCES:
        if (source / "pgtap.control").exists():
            for path in source.glob("pgtap*"):
                shutil.copy(path, target / path.name)
            return None
    return ("pgTAP is not installed: install the Debian package postgresql-15-pgtap "
            "(setup.sh does this when run as root)")


@dataclass
class Cluster:
    server: ClawPostgresql
    port: int

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url("postgres"), autocommit=True)


_db_counter = itertools.count()


@dataclass
class Database:
    """A fresh, migrated database for one test."""

    cluster: Cluster
    name: str

    def url(self, role: str = "postgres") -> str:
        return self.cluster.url(self.name, role)

    def connect(self, role: str = "postgres", **kwargs: Any) -> psycopg.Connection[Any]:
        kwargs.setdefault("autocommit", True)
        return psycopg.connect(self.url(role), **kwargs)


_cluster: Cluster | None = None


def get_cluster() -> Cluster:
    """The run's cluster, started (and the template migrated) on first use; stopped by
    pytest_sessionfinish. A plain singleton so that pgTAP items, which are not functions and
    take no fixtures, share it with the tests."""
    global _cluster
    if _cluster is None:
        with setup_lock():  # the server's tz rules: the tzdata package's, as in `claw db up`
            sync_tzdata()
        server = ClawPostgresql(postgres_args=(
            "-h 127.0.0.1 -F -c logging_collector=off -c max_connections=200 "
            "-c shared_buffers=256MB -c synchronous_commit=off -c full_page_writes=off "
            "-c timezone=UTC -c shared_preload_libraries=pg_stat_statements "
            "-c pg_stat_statements.track=all"))
        c = Cluster(server=server, port=server.settings["port"])
        try:
            with c.admin() as conn:
                conn.execute(f"CREATE DATABASE {TEMPLATE}")
            migrate(c.url(TEMPLATE), ROOT)
        except BaseException:
            server.stop()
            raise
        _cluster = c
    return _cluster


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _cluster is not None:
        _cluster.server.stop()


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    return get_cluster()


def create_database(cluster: Cluster, template: str = TEMPLATE) -> Database:
    name = f"t{os.getpid()}_{next(_db_counter)}"
    # FILE_COPY: with fsync off its checkpoints are cheap, and it copies the 12 MB template
    # in half the time of the default WAL_LOG (38 against 76 ms; drops 15 against 31 ms)
    with cluster.admin() as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        # the database privileges `claw migrate` sets (sql/30_hardening.sql), which a copy
        # does not inherit: the pytest tests run without TEMPORARY for the login roles, as
        # deployed. pgTAP files keep it: as the superuser they build temporary helpers and
        # then SET ROLE to use them
        if template != _tap_template_ready:
            conn.execute(f"REVOKE TEMPORARY ON DATABASE {name} FROM PUBLIC, claw_owner")
            conn.execute(f"GRANT TEMPORARY ON DATABASE {name} TO claw_admin")
    return Database(cluster=cluster, name=name)


def drop_database(db: Database) -> None:
    with db.cluster.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db.name} WITH (FORCE)")


@pytest.fixture
def db(cluster: Cluster) -> Iterator[Database]:
    """A fresh copy of the migrated template database."""
    database = create_database(cluster)
    try:
        yield database
    finally:
        drop_database(database)


@pytest.fixture
def empty_db(cluster: Cluster) -> Iterator[Database]:
    """An empty database (template0): nothing bootstrapped or migrated."""
    database = create_database(cluster, "template0")
    try:
        yield database
    finally:
        drop_database(database)


_tap_template_ready: str | None = None


def tap_template(cluster: Cluster) -> str:
    """The migrated template plus pgTAP in schema `tap` (created once per run)."""
    global _tap_template_ready
    if _tap_template_ready is None:
        with setup_lock():
            reason = install_pgtap()
        if reason:
            raise RuntimeError(reason)
        with cluster.admin() as conn:
            conn.execute(f"CREATE DATABASE {TAP_TEMPLATE} TEMPLATE {TEMPLATE}")
        with psycopg.connect(cluster.url(TAP_TEMPLATE), autocommit=True) as conn:
            conn.execute("CREATE SCHEMA tap")
            conn.execute("CREATE EXTENSION pgtap SCHEMA tap")
            conn.execute("GRANT USAGE ON SCHEMA tap TO PUBLIC")
        _tap_template_ready = TAP_TEMPLATE
    return _tap_template_ready


def run_cli(*args: str, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `claw ...` in a subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "claw.cli", *args], capture_output=True,
                          text=True, env=full_env, cwd=ROOT, timeout=timeout)


# --- pgTAP files as pytest items ------------------------------------------------------------

def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.suffix == ".sql" and file_path.parent == ROOT / "tests" / "sql":
        return PgTapFile.from_parent(parent, path=file_path)
    return None


class PgTapFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield PgTapItem.from_parent(self, name=self.path.name)


class PgTapFailure(Exception):
    pass


class PgTapItem(pytest.Item):
    def runtest(self) -> None:
        cluster_ = get_cluster()
        database = create_database(cluster_, tap_template(cluster_))
        try:
            env = {**os.environ, "PGOPTIONS": "-c search_path=public,tap",
                   "PGCONNECT_TIMEOUT": "10"}
            proc = subprocess.run(
                [bin_path("psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                 "-d", database.url(), "-f", str(self.path)],
                capture_output=True, text=True, env=env, timeout=600)
        finally:
            drop_database(database)
        out = proc.stdout
        bad = [line for line in out.splitlines()
               if line.startswith("not ok") or line.startswith("# Looks like")
               or line.startswith("# Failed") or line.startswith("#     ")]
        if proc.returncode != 0 or bad or "ok " not in out:
            raise PgTapFailure("\n".join(bad) + f"\n--- TAP output ---\n{out}\n"
                               f"--- psql stderr (exit {proc.returncode}) ---\n{proc.stderr}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, PgTapFailure):
            return f"pgTAP failures in {self.path.name}:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"pgTAP: {self.name}"


def copy_project(dest: Path) -> Path:
    """A copy of the project's SQL tree (and the committed snapshot) to change in a test;
    point the CLI at it with CLAW_ROOT."""
    for part in ("sql", "migrations", "functions", "policies"):
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, dest / part,
                            ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "schema.sql", dest / "tests" / "schema.sql")
    return dest


def migration_ids() -> list[str]:
    """The ids of the repo's migrations, in order."""
    return sorted(p.stem for p in (ROOT / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql"))


@dataclass
class Tenant:
    name: str
    tenant_id: str
    owner_id: str
    api_key: str


def count_as_session_user(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...] = (),
                          role: str = "claw_runtime") -> int:
    """One count asked as the session user (statistics of this transaction, catalogs the
    acting role may not read), then back to `role`."""
    conn.execute("RESET ROLE")
    row = conn.execute(sql, params).fetchone()
    conn.execute(f"SET LOCAL ROLE {role}")
    return int(row[0]) if row else 0


def rows_read(conn: psycopg.Connection[Any], table: str, role: str = "claw_runtime") -> int:
    """Rows this transaction has read from a table so far: its sequential scans' rows and its
    indexes' entries (pg_stat_get_xact_*). A cost measure for tests that is not a timing."""
    return count_as_session_user(
        conn, "SELECT pg_stat_get_xact_tuples_returned(%s::regclass) + coalesce(sum("
              "pg_stat_get_xact_tuples_returned(i.indexrelid)), 0) FROM pg_index AS i "
              "WHERE i.indrelid = %s::regclass", (table, table), role)


def seed_tenants(db: Database, names: tuple[str, ...] = ("a", "b", "c"),
                 extra_principals: int = 3) -> dict[str, Tenant]:
    """Tenants provisioned as an operator would, then filled through the api as the runtime
    role with each owner's key: principals with roles and API keys, so every tenant table
    holds rows of every tenant."""
    tenants: dict[str, Tenant] = {}
    with db.connect() as conn:
        for name in names:
            row = conn.execute(
                "SELECT tenant_id::text, principal_id::text, api_key FROM tenancy.create_tenant("
                "p_slug => %s, p_name => %s, p_owner_handle => 'owner', p_owner_name => %s)",
                (f"tenant-{name}", f"Tenant {name.upper()}", f"Owner {name.upper()}")).fetchone()
            assert row is not None
            tenants[name] = Tenant(name, row[0], row[1], row[2])
    with db.connect("claw_runtime") as conn:
        for t in tenants.values():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                for i in range(extra_principals):
                    kind = ("agent", "service", "person")[i % 3]
                    role = ("operator", "approver", "viewer")[i % 3]
                    pid = conn.execute(
                        "SELECT api.create_principal(p_kind => %s, p_handle => %s, "
                        "p_display_name => %s, p_roles => %s)",
                        (kind, f"p{i}", f"Principal {i}", [role])).fetchone()
                    assert pid is not None
                    conn.execute("SELECT * FROM api.create_api_key(p_name => %s, "
                                 "p_principal_id => %s)", (f"key-{i}", pid[0]))
    return tenants


def seed_jwt(db: Database, tenants: dict[str, Tenant]) -> None:
    """JWT rows of every tenant, registered as an operator would: an issuer (audience
    claw-<name>), its key (the fixed public key of tests/sql/12_jwt.sql) and the owner's
    subject link."""
    jwks = (ROOT / "tests" / "sql" / "12_jwt.sql").read_text().split("('jwks_k1', '", 1)[1]
    jwks = jwks.split("'", 1)[0]
    with db.connect() as conn:
        for t in tenants.values():
            issuer = conn.execute("SELECT tenancy.add_jwt_issuer(%s, 'https://idp.example.test/', %s)",
                                  (t.tenant_id, f"claw-{t.name}")).fetchone()
            assert issuer is not None
            conn.execute("SELECT * FROM tenancy.set_jwt_keys(%s, %s::jsonb)", (issuer[0], jwks))
            conn.execute("SELECT tenancy.link_jwt_subject(%s, %s, %s)",
                         (issuer[0], f"sub-{t.name}", t.owner_id))


def seed_queue(db: Database, tenants: dict[str, Tenant], jobs_per_tenant: int = 5) -> None:
    """Queue rows of every tenant: waiting jobs and fairness cursors (through the api, as the
    runtime role), finished jobs in the history (claimed and completed as the worker), and a
    schedule with one recorded fire."""
    with db.connect("claw_runtime") as conn:
        for t in tenants.values():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                specs = [{"queue": "seed", "kind": "noop", "payload": {"n": i}}
                         for i in range(jobs_per_tenant)]
                specs += [{"queue": "seed.done", "kind": "noop"}, {
                    "queue": "seed", "kind": "noop", "unique_key": "once"}]
                conn.execute("SELECT * FROM api.enqueue_jobs(p_jobs => %s)", (json.dumps(specs),))
    with db.connect("claw_worker") as conn:
        rows = conn.execute("SELECT job_id, lease_token FROM api.claim_jobs("
                            "p_queue => 'seed.done', p_worker => 'seed', p_limit => 1000)").fetchall()
        if rows:
            conn.execute("SELECT api.complete_jobs(%s, %s)", ([r[0] for r in rows], rows[0][1]))
    with db.connect() as conn:
        for t in tenants.values():
            conn.execute("""
                WITH s AS (
                  INSERT INTO queue.schedules (tenant_id, name, cron, time_zone, queue, kind,
                                               next_fire_at)
                  VALUES (%s, 'daily-summary', '0 6 * * *', 'Australia/Sydney', 'seed', 'noop',
                          now() + interval '1 day')
                  RETURNING tenant_id, schedule_id)
                INSERT INTO queue.schedule_fires (tenant_id, schedule_id, fire_at, job_id)
                SELECT tenant_id, schedule_id, now() - interval '1 day', gen_random_uuid() FROM s""",
                         (t.tenant_id,))
            # the outbox holds the jobs' and schedules' events; a retention watermark too
            conn.execute("INSERT INTO events.purges (tenant_id, purged_xact_id, purged_event_id) "
                         "VALUES (%s, '1', 0)", (t.tenant_id,))
            conn.execute("INSERT INTO events.watchers (tenant_id, watcher_id, expires_at) "
                         "VALUES (%s, gen_random_uuid(), now() + interval '90 seconds')",
                         (t.tenant_id,))
            # the edge: an idempotency key, request limits, a rate bucket
            ids = {"t": t.tenant_id, "p": t.owner_id}
            conn.execute("""
                INSERT INTO edge.idempotency_keys (tenant_id, principal_id, idempotency_key,
                  request_method, request_path, request_sha256, response_status, response_body,
                  created_at, expires_at)
                VALUES (%(t)s, %(p)s, 'seed', 'POST', '/v1/jobs', repeat('a', 64), 201, '{}',
                        now(), now() + interval '1 day')""", ids)
            conn.execute("SELECT edge.set_request_limits(%(t)s, 100, 10, 50, 5)", ids)
            conn.execute("INSERT INTO edge.request_buckets (tenant_id, bucket, tat) "
                         "VALUES (%(t)s, 'tenant', now())", ids)


AUTHZ_SEED_MODEL = {"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "doc": {"relations": {"team": {"this": ["team"]}, "owner": {"this": ["user"]},
                          "viewer": {"union": [{"this": ["user", "team#member"]},
                                               {"computed": "owner"},
                                               {"ttu": {"tupleset": "team", "computed": "member"}}]}}},
}}


def seed_authz(db: Database, tenants: dict[str, Tenant]) -> None:
    """Authorization rows of every tenant, through the api: a model, and tuples (direct,
    userset, tuple-to-userset, one expiring) naming the same object ids in every tenant."""
    with db.connect("claw_runtime") as conn:
        for t in tenants.values():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                conn.execute("SELECT * FROM api.define_authz_model(%s)",
                             (json.dumps(AUTHZ_SEED_MODEL),))
                conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps([
                    {"object": "team:ops", "relation": "member", "subject": f"user:{t.name}"},
                    {"object": "team:all", "relation": "member", "subject": "team:ops#member"},
                    {"object": "doc:1", "relation": "team", "subject": "team:all"},
                    {"object": "doc:1", "relation": "owner", "subject": f"user:{t.name}-owner"},
                    {"object": "doc:2", "relation": "viewer", "subject": "user:shared",
                     "expires_at": "2999-01-01T00:00:00Z"},
                ]),))


def seed_flows(db: Database, tenants: dict[str, Tenant]) -> None:
    """Flow rows of every tenant, made through the api: runs (started as the runtime role),
    steps, an effect, a timer (a signal wait with a timeout) and signals (as the worker holding
    each run's flow.run job, and the runtime role sending)."""
    h = "0" * 64
    runs: dict[str, list[str]] = {}
    with db.connect("claw_runtime") as conn:
        for t in tenants.values():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                runs[t.name] = [str(conn.execute(
                    "SELECT run_id FROM api.start_flow_run(p_flow_name => 'seed.flow', "
                    "p_input => %s, p_idempotency_key => %s, p_queue => 'seed.flows')",
                    (json.dumps({"n": i}), f"seed-{i}")).fetchone()[0]) for i in range(2)]
    with db.connect("claw_worker") as conn:
        jobs = conn.execute("SELECT job_id, lease_token, payload ->> 'run_id' FROM api.claim_jobs("
                            "p_queue => 'seed.flows', p_worker => 'seed', p_limit => 1000)").fetchall()
        for job_id, token, run_id in jobs:
            held = (run_id, job_id, token)
            conn.execute("SELECT * FROM api.claim_flow_run(%s, %s, %s)", held)
            conn.execute("SELECT api.record_flow_step(%s, %s, %s, 0, 'fetch', %s, %s)",
                         (*held, h, json.dumps({"rows": 1})))
            if any(run_id == ids[0] for ids in runs.values()):
                conn.execute("SELECT * FROM api.begin_flow_effect(%s, %s, %s, 1, 'sms', %s, 'sms', %s)",
                             (*held, h, json.dumps({"to": "+61400000000"})))
                conn.execute("SELECT api.mark_flow_effect_sent(%s, %s, %s, 1)", held)
                conn.execute("SELECT api.settle_flow_effect(%s, %s, %s, 1, 'sms', %s, "
                             "'confirmed', %s)", (*held, h, json.dumps({"sid": "SM1"})))
                conn.execute("SELECT * FROM api.wait_flow_signal(%s, %s, %s, 2, 'approval', %s, "
                             "p_timeout_seconds => 3600)", (*held, h))
            else:
                conn.execute("SELECT api.complete_flow_run(%s, %s, %s, '{}')", held)
        conn.execute("SELECT api.complete_jobs(%s, %s)", ([j[0] for j in jobs], jobs[0][1]))
    with db.connect("claw_runtime") as conn:
        for t in tenants.values():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                conn.execute("SELECT api.send_flow_signal(%s, 'approval', '{\"ok\": true}')",
                             (runs[t.name][0],))


def seed_ontology(db: Database, tenants: dict[str, Tenant]) -> None:
    """Ontology rows of every tenant, made through the api as each owner: object types (with
    their properties and history), objects (one with a unique value, one soft-deleted), a link
    type and a link, and a tool."""
    with db.connect("claw_runtime") as conn:
        for t in tenants.values():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                conn.execute("SELECT * FROM api.define_object_type(p_name => 'customer', p_properties => %s)",
                             (json.dumps({"email": {"kind": "string", "required": True, "unique": True},
                                          "name": {"kind": "string"}}),))
                conn.execute("SELECT * FROM api.define_object_type(p_name => 'invoice', p_properties => %s)",
                             (json.dumps({"total": {"kind": "money", "min": 0},
                                          "customer": {"kind": "reference", "type": "customer"}}),))
                customers = [str(conn.execute(
                    "SELECT object_id FROM api.create_object(p_type => 'customer', p_properties => %s)",
                    (json.dumps({"email": f"c{i}@{t.name}.example", "name": f"C{i}"}),)).fetchone()[0])
                    for i in range(2)]
                invoice = str(conn.execute(
                    "SELECT object_id FROM api.create_object(p_type => 'invoice', p_properties => %s)",
                    (json.dumps({"total": {"amount": "12.50", "currency": "AUD"},
                                 "customer": customers[0]}),)).fetchone()[0])
                conn.execute("SELECT api.delete_object(%s, 1)", (customers[1],))
                conn.execute("SELECT api.define_link_type(p_name => 'billed_to', p_from_type => 'invoice', "
                             "p_to_type => 'customer', p_cardinality => 'many_to_one')")
                conn.execute("SELECT api.create_link(p_link_type => 'billed_to', p_from_object_id => %s, "
                             "p_to_object_id => %s)", (invoice, customers[0]))
                conn.execute("SELECT api.upsert_document(p_body => %s, p_embedding => %s, "
                             "p_embedding_model => 'seed', p_title => 'invoice note', "
                             "p_object_id => %s)",
                             (f"invoice note of {t.name}", "[" + ",".join(["0.0625"] * 256) + "]",
                              customers[0]))
                conn.execute("SELECT * FROM api.define_tool(p_name => 'invoice.send', p_description => 'Send', "
                             "p_input_schema => %s, p_side_effect => 'external')",
                             (json.dumps({"type": "object", "properties": {"invoice_id": {"type": "string"}},
                                          "required": ["invoice_id"]}),))


def seed_llm(db: Database, tenants: dict[str, Tenant]) -> None:
    """LLM rows of every tenant, through the api as each owner: settings, a route that
    caches, a budget with its window, a settled reservation with two ledger rows (a failed
    attempt, which also makes the tenant's openai breaker row, and an answer), a cache entry,
    and an eval run with a result."""
    h = "ab" * 32
    with db.connect("claw_runtime") as conn:
        for t in tenants.values():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                conn.execute("SELECT api.set_llm_settings(p_time_zone => 'Australia/Sydney')")
                conn.execute("SELECT * FROM api.set_llm_route(p_task => 'summarise', p_models => "
                             "'{gpt-4o-mini,claude-haiku-4-5}', p_cache_ttl_seconds => 3600)")
                conn.execute("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
                             "p_limit_usd => 5)")
                begun = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                                     "p_input_tokens => 100, p_request_hash => %s)", (h,)).fetchone()
                assert begun is not None
                conn.execute("SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
                             "p_response => %s, p_request_hash => %s)", (
                                 begun[0]["reservation_id"], json.dumps([
                                     {"model": "gpt-4o-mini", "route_position": 1,
                                      "outcome": "server_error", "http_status": 500, "latency_ms": 3},
                                     {"model": "claude-haiku-4-5", "route_position": 2, "outcome": "ok",
                                      "input_tokens": 100, "output_tokens": 20, "latency_ms": 9}]),
                                 json.dumps({"text": f"summary of {t.name}", "model": "claude-haiku-4-5",
                                             "input_tokens": 100, "output_tokens": 20}), h))
                conn.execute("SELECT api.record_llm_eval_run(p_suite => 'seed', p_task => 'summarise', "
                             "p_threshold => 0.05, p_results => %s)",
                             (json.dumps([{"case_id": "c1", "scorer": "exact", "score": 1,
                                           "passed": True, "output": "x"}]),))


@pytest.fixture
def seeded(db: Database) -> tuple[Database, dict[str, Tenant]]:
    return db, seed_tenants(db)


_fuzz_totals: dict[str, int] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Sum the isolation fuzz's counts from the reports of its tests (wherever they ran):
    the fixture that records them does so at teardown."""
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name == "fuzz_stats":
                for k, v in dict(value).items():
                    _fuzz_totals[k] = _fuzz_totals.get(k, 0) + v


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the isolation fuzz's counts (statements run, leaks found, mutations caught)."""
    s = _fuzz_totals
    if s.get("statements"):
        terminalreporter.write_line(
            f"isolation fuzz: {s['statements']} statements, {s['leaks']} leaks "
            f"({s['errors_compared']} compared as errors); mutation check: "
            f"{s['mutations_caught']}/{s['mutations']} broken tenant policies caught")
