"""Isolation fuzz: tens of thousands of generated statements, and zero leaks.

Oracle (differential). Two copies of one database: FULL holds tenants A, B and C; AONLY is
the same database with every row of B and C deleted. Each generated statement runs in both,
as claw_owner (whom FORCE ROW LEVEL SECURITY binds, and as whom every api function runs)
inside tenant A's verified context, in a transaction that is rolled back. Under perfect
isolation the other tenants' rows make no difference, so the two outcomes (the sorted result
rows, or the SQLSTATE of the error) must be identical; any difference is a leak: a row,
count, aggregate, join partner or write of another tenant showing through.

Statements: SELECT with joins, CTEs, subqueries (IN, EXISTS, scalar, derived tables),
aggregates with GROUP BY, window functions, UNION; INSERT ... SELECT, INSERT of another
tenant's values, UPDATE and DELETE ... RETURNING; and reads through the api functions. They
target every tenant table, with predicates that name other tenants' ids.

Mutation check: with the tenant policy of one table dropped, or weakened to USING (true),
the same generator must find a difference (hypothesis.find), for every tenant table, in the
same run, so we know the fuzz can fail.

CLAW_FUZZ_STATEMENTS sets the number of statements (default 10,000).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from conftest import (Cluster, Database, Tenant, create_database, drop_database,
                      seed_authz, seed_flows, seed_jwt, seed_llm, seed_ontology, seed_queue,
                      seed_tenants)

STATEMENTS = int(os.environ.get("CLAW_FUZZ_STATEMENTS", "10000"))
FUZZ_STATS: dict[str, int] = {"statements": 0, "leaks": 0, "errors_compared": 0,
                              "mutations_caught": 0, "mutations": 0}
API_SOURCES = {
    "api.list_principals()": ["principal_id", "kind", "handle", "display_name", "roles"],
    "api.list_api_keys()": ["api_key_id", "principal_id", "name", "prefix", "status"],
    "api.whoami()": ["tenant_id", "principal_id", "roles", "scopes"],
    "api.list_jwt_issuers()": ["jwt_issuer_id", "issuer", "audience", "kids", "subjects"],
    "api.list_jobs()": ["job_id", "queue", "kind", "state", "attempts"],
    "api.list_schedules()": ["schedule_id", "name", "cron", "time_zone", "next_fire_at"],
    "api.list_flow_runs()": ["run_id", "flow_name", "status", "parent_run_id", "trace_id"],
    "api.list_flow_effects()": ["run_id", "provider", "idempotency_key", "status", "sends"],
    "api.describe_authz_model()": ["version", "definition", "sha256"],
    "api.list_object_tuples('doc:1')": ["tuple", "expires_at", "expired", "revision"],
    "api.list_object_tuples('team:ops')": ["tuple", "expires_at", "revision"],
    "api.list_permitted_objects('doc', 'viewer', 'user:shared')": ["object"],
    "api.list_permitted_subjects('doc:1', 'viewer', 'user')": ["subject"],
    "api.list_object_types()": ["type_id", "name", "version", "properties", "live_objects"],
    "api.list_type_versions('customer')": ["version", "definition", "changed_by", "changed_at"],
    "api.list_objects_by_type('customer', p_include_deleted => true)": [
        "object_id", "version", "properties", "deleted_at"],
    "api.list_link_types()": ["link_type_id", "name", "from_type", "cardinality", "live_links"],
    "api.list_tools()": ["tool_id", "name", "side_effect", "version", "enabled"],
    "api.search_documents(p_query => 'invoice note', p_relation => NULL, p_mode => 'text')": [
        "document_id", "object_id", "authz_object", "title", "score"],
    "api.list_llm_routes()": ["task", "models", "version"],
    "api.list_llm_budgets()": ["budget_id", "scope", "limit_usd", "spent_usd", "reserved_usd"],
    "api.list_llm_calls()": ["call_id", "reservation_id", "model", "outcome", "cost_usd"],
    "api.llm_usage(current_date - 2, current_date + 2)": ["day", "task", "model", "calls", "cost_usd"],
    "api.list_llm_eval_runs()": ["eval_run_id", "suite", "score", "regressed"],
}


@dataclass
class Schema:
    tables: dict[str, list[tuple[str, str]]]  # table -> [(column, type)]
    ids: list[str]  # uuids of every tenant (tenant, principal, key ids)
    tenants: dict[str, Tenant] = field(default_factory=dict)


@dataclass
class World:
    full: Database
    aonly: Database
    schema: Schema
    setup_sql: str


def tenant_tables(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[str, str]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, typ in conn.execute("""
            SELECT c.oid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ANY (internal.tenant_schemas()) AND c.relkind IN ('r', 'p')
            ORDER BY 1, a.attnum"""):
        tables.setdefault(table, []).append((column, typ))
    return tables


def delete_other_tenants(db: Database, keep: str) -> None:
    """Superuser surgery on a copy: remove every row that is not tenant `keep`."""
    with db.connect() as conn:
        tables = tenant_tables(conn)
        conn.execute("SET session_replication_role = replica")  # no FK checks, no triggers...
        for table in tables:  # ... but the ledger's ALWAYS guards still fire: disable them
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            conn.execute(f"DELETE FROM {table} WHERE tenant_id <> %s", (keep,))
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> Iterator[World]:
    full = create_database(cluster)
    tenants = seed_tenants(full, extra_principals=5)
    seed_queue(full, tenants)
    seed_flows(full, tenants)
    seed_authz(full, tenants)
    seed_ontology(full, tenants)
    seed_jwt(full, tenants)
    seed_llm(full, tenants)
    with full.connect() as conn:
        tables = tenant_tables(conn)
        ids = sorted({str(r[0]) for r in conn.execute(
            "SELECT tenant_id FROM tenancy.tenants UNION SELECT principal_id FROM tenancy.principals "
            "UNION SELECT api_key_id FROM tenancy.api_keys UNION SELECT job_id FROM queue.jobs "
            "UNION SELECT job_id FROM queue.job_history UNION SELECT schedule_id FROM queue.schedules "
            "UNION SELECT run_id FROM flow.runs UNION SELECT type_id FROM ontology.object_types "
            "UNION SELECT object_id FROM ontology.objects UNION SELECT link_id FROM ontology.links "
            "UNION SELECT tool_id FROM ontology.tools UNION SELECT jwt_issuer_id FROM tenancy.jwt_issuers "
            "UNION SELECT jwt_key_id FROM tenancy.jwt_keys UNION SELECT route_id FROM llm.routes "
            "UNION SELECT budget_id FROM llm.budgets UNION SELECT reservation_id FROM llm.reservations "
            "UNION SELECT call_id FROM llm.calls UNION SELECT eval_run_id FROM llm.eval_runs")})
    aonly = create_database(cluster, full.name)
    delete_other_tenants(aonly, tenants["a"].tenant_id)
    a = tenants["a"]
    setup = (f"SELECT internal.set_context('{a.tenant_id}', '{a.owner_id}', '{{owner}}', '{{*}}');"
             "SET LOCAL ROLE claw_owner; SET LOCAL statement_timeout = '5s'")
    try:
        yield World(full, aonly, Schema(tables, ids, tenants), setup)
    finally:
        drop_database(aonly)
        drop_database(full)


@pytest.fixture(autouse=True)
def report_fuzz_stats(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test's share of FUZZ_STATS travels with its report (conftest sums them), so the
    counts reach the summary when the tests run in other processes (pytest -n)."""
    before = dict(FUZZ_STATS)
    yield
    request.node.user_properties.append(
        ("fuzz_stats", {k: FUZZ_STATS[k] - before[k] for k in FUZZ_STATS}))


# --- statement generator -----------------------------------------------------------------

def q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@st.composite
def predicate(draw: st.DrawFn, schema: Schema, table: str, alias: str) -> str:
    cols = schema.tables[table]
    uuid_cols = [c for c, t in cols if t == "uuid"]
    other = draw(st.sampled_from(sorted(schema.tables)))
    kind = draw(st.sampled_from(["none", "tenant_eq", "tenant_ne", "id_eq", "id_in", "in_sub",
                                 "exists", "or", "not"]))
    tenant = draw(st.sampled_from(sorted(schema.tenants.values(), key=lambda t: t.name)))
    if kind == "none":
        return "true"
    if kind == "tenant_eq":
        return f"{alias}.tenant_id = {q(tenant.tenant_id)}"
    if kind == "tenant_ne":
        return f"{alias}.tenant_id <> {q(tenant.tenant_id)}"
    col = draw(st.sampled_from(uuid_cols))
    if kind == "id_eq":
        return f"{alias}.{col} = {q(draw(st.sampled_from(schema.ids)))}"
    if kind == "id_in":
        picks = draw(st.lists(st.sampled_from(schema.ids), min_size=1, max_size=4))
        return f"{alias}.{col} IN ({', '.join(q(p) for p in picks)})"
    if kind == "in_sub":
        return f"{alias}.tenant_id IN (SELECT s.tenant_id FROM {other} s)"
    if kind == "exists":
        return (f"EXISTS (SELECT 1 FROM {other} s WHERE s.tenant_id = {alias}.tenant_id "
                f"AND s.tenant_id = {q(tenant.tenant_id)})")
    if kind == "or":
        return (f"({alias}.tenant_id = {q(tenant.tenant_id)} OR "
                f"{alias}.{col} = {q(draw(st.sampled_from(schema.ids)))})")
    return f"NOT ({alias}.tenant_id = {q(tenant.tenant_id)})"


@st.composite
def select(draw: st.DrawFn, schema: Schema, table: str | None = None) -> str:
    """A read of a tenant table (`table` when given, else any) in one of many forms."""
    tables = sorted(schema.tables)
    t1 = table or draw(st.sampled_from(tables))
    t2 = draw(st.sampled_from(tables))
    cols1 = [c for c, _ in schema.tables[t1]]
    cols2 = [c for c, _ in schema.tables[t2]]
    where = draw(predicate(schema, t1, "a"))
    col = draw(st.sampled_from(cols1))
    form = draw(st.sampled_from(["plain", "join", "left_join", "cte", "derived", "agg",
                                 "group", "window", "union", "scalar", "lateral"]))
    if form == "plain":
        return f"SELECT a.* FROM {t1} a WHERE {where}"
    if form in ("join", "left_join"):
        shared = sorted((set(cols1) & set(cols2)) - {"created_at", "updated_at"})
        on = draw(st.sampled_from(shared or ["tenant_id"]))
        join = "JOIN" if form == "join" else "LEFT JOIN"
        return (f"SELECT a.{col}, b.{draw(st.sampled_from(cols2))} FROM {t1} a {join} {t2} b "
                f"ON a.{on} = b.{on} WHERE {where}")
    if form == "cte":
        return f"WITH x AS (SELECT a.* FROM {t1} a WHERE {where}) SELECT x.{col} FROM x"
    if form == "derived":
        return f"SELECT d.{col} FROM (SELECT a.* FROM {t1} a WHERE {where}) d"
    if form == "agg":
        return (f"SELECT count(*), count(DISTINCT a.tenant_id), min(a.{col}::text), "
                f"max(a.{col}::text), string_agg(a.tenant_id::text, ',' ORDER BY a::text) "
                f"FROM {t1} a WHERE {where}")
    if form == "group":
        return (f"SELECT a.tenant_id, count(*), array_agg(a.{col}::text ORDER BY a.{col}::text) "
                f"FROM {t1} a WHERE {where} GROUP BY a.tenant_id HAVING count(*) > 0")
    if form == "window":
        return (f"SELECT a.{col}, count(*) OVER (), row_number() OVER "
                f"(PARTITION BY a.tenant_id ORDER BY a::text), "
                f"lag(a.{col}::text) OVER (ORDER BY a::text) FROM {t1} a WHERE {where}")
    if form == "union":
        where2 = draw(predicate(schema, t2, "b"))
        return (f"SELECT a.tenant_id, a.{col}::text FROM {t1} a WHERE {where} UNION ALL "
                f"SELECT b.tenant_id, b.{draw(st.sampled_from(cols2))}::text FROM {t2} b "
                f"WHERE {where2}")
    if form == "scalar":
        return (f"SELECT (SELECT count(*) FROM {t1} a WHERE {where}), "
                f"(SELECT max(b.tenant_id::text) FROM {t2} b)")
    return (f"SELECT a.{col}, l.n FROM {t1} a CROSS JOIN LATERAL "
            f"(SELECT count(*) AS n FROM {t2} b WHERE b.tenant_id = a.tenant_id) l WHERE {where}")


@st.composite
def write(draw: st.DrawFn, schema: Schema, table: str | None = None) -> str:
    """A write to a tenant table (`table` when given, else any)."""
    table = table or draw(st.sampled_from(sorted(schema.tables)))
    where = draw(predicate(schema, table, "a"))
    tenant = draw(st.sampled_from(sorted(schema.tenants.values(), key=lambda t: t.name)))
    form = draw(st.sampled_from(["update", "delete", "insert_select", "insert_other"]))
    if form == "update":
        col = draw(st.sampled_from([c for c, _ in schema.tables[table]]))
        return f"UPDATE {table} a SET {col} = a.{col} WHERE {where} RETURNING a.*"
    if form == "delete":
        return f"DELETE FROM {table} a WHERE {where} RETURNING a.*"
    if form == "insert_select":
        return f"INSERT INTO {table} SELECT a.* FROM {table} a WHERE {where} RETURNING *"
    # a copy of one visible-or-not row, re-labelled to a chosen tenant
    return (f"INSERT INTO {table} SELECT (jsonb_populate_record(a, jsonb_build_object("
            f"'tenant_id', {q(tenant.tenant_id)}))).* FROM {table} a WHERE {where} RETURNING *")


@st.composite
def api_read(draw: st.DrawFn, schema: Schema) -> str:
    source = draw(st.sampled_from(sorted(API_SOURCES)))
    col = draw(st.sampled_from(API_SOURCES[source]))
    ident = draw(st.sampled_from(schema.ids))
    form = draw(st.sampled_from(["all", "filter", "join"]))
    if form == "all":
        return f"SELECT f.* FROM {source} f"
    if form == "filter":
        return f"SELECT f.* FROM {source} f WHERE f.{col}::text <> {q(ident)}"
    return (f"SELECT f.{col}, p.handle FROM {source} f JOIN tenancy.principals p "
            f"ON p.principal_id::text = f.principal_id::text")


def statements(schema: Schema) -> st.SearchStrategy[str]:
    return st.one_of(select(schema), select(schema), write(schema), api_read(schema))


def statements_on(schema: Schema, table: str) -> st.SearchStrategy[str]:
    """The same forms with `table` as the table read or written (the other table of a join,
    union or subquery still drawn from all): what the hunt for one table's broken policy
    generates, instead of filtering every statement for a mention of the table."""
    return st.one_of(select(schema, table), select(schema, table), write(schema, table))


# --- the oracle ----------------------------------------------------------------------------

def outcome(conn: psycopg.Connection[Any], setup: str, sql: str) -> tuple[str, Any]:
    """The statement's rows (or row count) or its SQLSTATE, in a transaction rolled back: one
    round trip (the statements as one simple query) unless it fails."""
    try:
        cur = conn.execute(f"BEGIN; {setup}; {sql}; ROLLBACK")
    except psycopg.Error as exc:
        conn.execute("ROLLBACK")
        return "error", exc.sqlstate
    results: list[list[Any]] = []
    while True:
        results.append(cur.fetchall() if cur.description else [("rowcount", cur.rowcount)])
        if not cur.nextset():
            break
    return "rows", sorted(repr(r) for r in results[-2])  # the statement's, before ROLLBACK


class Differ:
    """Runs statements in two databases and reports whether the outcomes differ."""

    def __init__(self, left: Database, right: Database, setup: str) -> None:
        self.left = left.connect()
        self.right = right.connect()
        self.setup = setup
        # the two databases answer at the same time (one connection each, one thread each)
        self.pool = ThreadPoolExecutor(max_workers=1)

    def differs(self, sql: str) -> bool:
        right = self.pool.submit(outcome, self.right, self.setup, sql)
        a = outcome(self.left, self.setup, sql)
        b = right.result()
        if a[0] == "error":
            FUZZ_STATS["errors_compared"] += 1
        return a != b

    def close(self) -> None:
        self.pool.shutdown()
        self.left.close()
        self.right.close()


def test_isolation_fuzz_finds_no_leak(world: World) -> None:
    differ = Differ(world.full, world.aonly, world.setup_sql)
    leaks: list[str] = []

    @settings(max_examples=STATEMENTS, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(statements(world.schema))
    def check(sql: str) -> None:
        FUZZ_STATS["statements"] += 1
        if differ.differs(sql):
            FUZZ_STATS["leaks"] += 1
            leaks.append(sql)
            raise AssertionError(f"leak: outcome differs with other tenants present:\n{sql}")

    try:
        check()
    finally:
        differ.close()
    assert FUZZ_STATS["statements"] >= STATEMENTS * 0.9  # hypothesis may dedupe a few
    assert leaks == []


MUTATIONS = ["dropped", "weakened"]


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_fuzz_finds_a_broken_tenant_policy(world: World, cluster: Cluster, mutation: str) -> None:
    """For every tenant table: break its tenant policy in a copy of FULL; the generator finds
    a statement whose outcome differs from AONLY. One copy per mutation: each table's policy
    is broken, hunted, then restored (every fuzzed statement rolls back), which saves two
    database copies per table."""
    broken = create_database(cluster, world.full.name)
    try:
        for table in sorted(world.schema.tables):
            policy = table.split(".")[1] + "_tenant_isolation"
            with broken.connect() as conn:
                conn.execute("SET ROLE claw_owner")
                if mutation == "dropped":
                    conn.execute(f"DROP POLICY {policy} ON {table}")
                else:
                    conn.execute(f"ALTER POLICY {policy} ON {table} USING (true) WITH CHECK (true)")
            differ = Differ(broken, world.aonly, world.setup_sql)
            try:
                FUZZ_STATS["mutations"] += 1
                found = find(statements_on(world.schema, table), differ.differs,
                             # the first statement that tells them apart is enough: no
                             # shrinking it to a smallest one (most of this test's time)
                             settings=settings(max_examples=3000, deadline=None, database=None,
                                               phases=[Phase.generate],
                                               suppress_health_check=list(HealthCheck)))
                FUZZ_STATS["mutations_caught"] += 1
                assert table in found
            finally:
                differ.close()
                with broken.connect() as conn:
                    conn.execute("SET ROLE claw_owner")
                    conn.execute("SELECT internal.ensure_tenant_policy(%s)", (table,))
    finally:
        drop_database(broken)
