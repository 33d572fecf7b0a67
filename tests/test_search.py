"""Semantic memory: hybrid search that returns only what the reader may see.

Documents are embedded with the offline model (claw.embeddings.LocalEmbedder) and searched
through api.search_documents as an application would (claw_runtime, an API key): the
permission (authz) is decided inside the retrieving query, the tenant by RLS; vector and
text arms are fused by reciprocal rank.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from claw.embeddings import LocalEmbedder, to_pgvector
from claw.search import index_document, search
from conftest import Database, Tenant, count_as_session_user, rows_read, seed_tenants
from test_authz_list_sets import calls

MODEL = {"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "document": {"relations": {"viewer": {"this": ["user", "team#member"]}}},
    "customer": {"relations": {"viewer": {"this": ["user", "team#member"]}}},
}}
DOCS = {
    "plumbing": ("Invoice overdue", "The plumbing job invoice for Smith is 30 days overdue."),
    "payroll": ("Payroll", "Salary payments for the plumbing crew, confidential payroll figures."),
    "weather": ("Weather", "Heavy rain is expected in Sydney on Thursday afternoon."),
    "password": ("Password reset", "The customer asked how to reset their account password."),
    "roster": ("Roster", "Tomorrow's roster: two plumbers and one electrician on site."),
}


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture
def world(db: Database, embedder: LocalEmbedder) -> Iterator[tuple[Database, dict[str, Tenant], dict[str, str]]]:
    tenants = seed_tenants(db, names=("a", "b"))
    ids: dict[str, str] = {}
    with db.connect("claw_runtime") as conn:
        for name, t in tenants.items():
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
                conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
                for key, (title, body) in DOCS.items():
                    doc = index_document(conn, embedder, body, title=title)
                    ids[f"{name}:{key}"] = str(doc)
                # alice (through the ops team) sees everything but payroll; bob sees weather
                writes = [{"object": "team:ops", "relation": "member", "subject": "user:alice"}]
                writes += [{"object": f"document:{ids[f'{name}:{k}']}", "relation": "viewer",
                            "subject": "team:ops#member"} for k in DOCS if k != "payroll"]
                writes.append({"object": f"document:{ids[f'{name}:weather']}", "relation": "viewer",
                               "subject": "user:bob"})
                conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(writes),))
    yield db, tenants, ids


def as_tenant(conn: psycopg.Connection[Any], t: Tenant) -> None:
    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))


def test_search_finds_by_meaning_and_words_only_what_the_subject_may_see(
        world: tuple[Database, dict[str, Tenant], dict[str, str]], embedder: LocalEmbedder) -> None:
    db, tenants, ids = world
    with db.connect("claw_runtime") as conn, conn.transaction():
        as_tenant(conn, tenants["a"])
        hits = search(conn, embedder, "unpaid plumbing bill", subject="user:alice", limit=3)
        assert hits[0].document_id.hex == ids["a:plumbing"].replace("-", "")
        assert hits[0].vector_rank is not None and hits[0].text_rank is not None
        found = {str(h.document_id) for h in search(conn, embedder, "plumbing payroll salary",
                                                    subject="user:alice", limit=10)}
        assert ids["a:payroll"] not in found, "payroll is not permitted to alice"
        assert ids["a:plumbing"] in found
        # bob may see only the weather note, whatever he asks for
        bob = search(conn, embedder, "plumbing invoice overdue", subject="user:bob", limit=10)
        assert [str(h.document_id) for h in bob] == [ids["a:weather"]]
        # someone with no relation at all sees nothing
        assert search(conn, embedder, "weather", subject="user:mallory", limit=10) == []
        # the owner may search the whole tenant without a permission filter
        everything = {str(h.document_id) for h in search(conn, embedder, "plumbing payroll salary",
                                                         relation=None, limit=10)}
        assert ids["a:payroll"] in everything
        assert not any(str(i).startswith("b:") for i in everything)
        assert everything <= {v for k, v in ids.items() if k.startswith("a:")}


def test_each_arm_alone(world: tuple[Database, dict[str, Tenant], dict[str, str]],
                        embedder: LocalEmbedder) -> None:
    db, tenants, ids = world
    with db.connect("claw_runtime") as conn, conn.transaction():
        as_tenant(conn, tenants["a"])
        text = search(conn, embedder, "electrician", subject="user:alice", mode="text")
        assert [str(h.document_id) for h in text] == [ids["a:roster"]]
        assert text[0].vector_rank is None and text[0].text_rank == 1
        vec = search(conn, embedder, "how do I change my login credentials", subject="user:alice",
                     mode="vector", limit=2)
        assert str(vec[0].document_id) == ids["a:password"]
        assert all(h.text_rank is None for h in vec)


def test_tenants_never_see_each_others_documents(
        world: tuple[Database, dict[str, Tenant], dict[str, str]], embedder: LocalEmbedder) -> None:
    db, tenants, ids = world
    with db.connect("claw_runtime") as conn, conn.transaction():
        as_tenant(conn, tenants["b"])
        found = {str(h.document_id) for h in search(conn, embedder, "plumbing invoice payroll",
                                                    relation=None, limit=20)}
        assert found and found <= {v for k, v in ids.items() if k.startswith("b:")}
        # a tuple naming tenant A's document id does not reach it from tenant B
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps([
            {"object": f"document:{ids['a:payroll']}", "relation": "viewer", "subject": "user:eve"}]),))
        assert search(conn, embedder, "payroll", subject="user:eve", limit=10) == []


def test_who_may_search_what(world: tuple[Database, dict[str, Tenant], dict[str, str]],
                             embedder: LocalEmbedder) -> None:
    db, tenants, _ = world
    vec = to_pgvector(embedder.embed(["payroll"])[0])
    with db.connect() as conn, conn.transaction():  # a viewer of tenant A
        conn.execute("SELECT internal.set_context(%s, %s, '{viewer}')",
                     (tenants["a"].tenant_id, tenants["a"].owner_id))
        conn.execute("SET LOCAL ROLE claw_runtime")
        for kwargs, code in (({"p_relation": None}, "CL403"),
                             ({"p_relation": "member"}, "CL403"),
                             ({"p_subject": "user:alice"}, "CL403"),
                             ({"p_mode": "fuzzy"}, "CL422"),
                             ({"p_limit": 0}, "CL422")):
            with pytest.raises(psycopg.Error) as err, conn.transaction():
                args = {"p_query": "payroll", "p_embedding": vec} | kwargs
                conn.execute("SELECT * FROM api.search_documents(" + ", ".join(
                    f"{k} => %({k})s" for k in args) + ")", args)
            assert err.value.sqlstate == code, kwargs
        with pytest.raises(psycopg.Error) as err, conn.transaction():
            conn.execute("SELECT * FROM api.search_documents(p_query => 'x', p_embedding => '[1,2]')")
        assert err.value.sqlstate == "CL422"
        with pytest.raises(psycopg.Error) as err, conn.transaction():
            conn.execute("SELECT api.upsert_document('x', %s, 'm')", (vec,))
        assert err.value.sqlstate == "CL403"


def test_documents_of_objects_take_the_objects_name(
        world: tuple[Database, dict[str, Tenant], dict[str, str]], embedder: LocalEmbedder) -> None:
    db, tenants, _ = world
    with db.connect("claw_runtime") as conn, conn.transaction():
        as_tenant(conn, tenants["a"])
        conn.execute("SELECT * FROM api.define_object_type(p_name => 'customer', p_properties => %s)",
                      (json.dumps({"name": {"kind": "string", "required": True}}),))
        obj = conn.execute("SELECT object_id FROM api.create_object('customer', %s)",
                           (json.dumps({"name": "Smith Plumbing"}),)).fetchone()[0]  # type: ignore[index]
        doc = index_document(conn, embedder, "Smith Plumbing pays late, call before the 5th.",
                             object_id=obj)
        row = conn.execute("SELECT authz_object FROM api.search_documents(p_query => 'pays late', "
                           "p_relation => NULL, p_mode => 'text')").fetchall()
        assert row == [(f"customer:{obj}",)]
        assert doc not in [h.document_id for h in search(conn, embedder, "Smith pays late",
                                                         subject="user:alice")]
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps([
            {"object": f"customer:{obj}", "relation": "viewer", "subject": "user:alice"}]),))
        assert [h.document_id for h in search(conn, embedder, "Smith pays late",
                                              subject="user:alice", limit=1)] == [doc]


# --- a reader of few documents: the arms search exactly the documents of the objects a ------
# positive path reaches (authz.walk_up), each still decided by authz.permitted
def permission_calls(conn: psycopg.Connection[Any]) -> int:
    """authz.permitted calls so far in this transaction (track_functions = all)."""
    return calls(conn).get("permitted", 0)


def hnsw_scans(conn: psycopg.Connection[Any]) -> int:
    """Scans of the documents' HNSW index so far in this transaction."""
    return count_as_session_user(
        conn, "SELECT pg_stat_get_xact_numscans('ontology.documents_embedding_idx'::regclass)")


def unit_vectors(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["[" + ",".join(f"{rng.gauss(0, 1):.5f}" for _ in range(256)) + "]" for _ in range(n)]


def add_documents(conn: psycopg.Connection[Any], objects: list[str], seed: int) -> list[str]:
    """One document per authz object (bodies all say 'plumbing'), as claw_runtime."""
    rows = conn.execute(
        "SELECT api.upsert_document(p_body => 'plumbing note ' || o, p_embedding => e, "
        "p_embedding_model => 'm', p_authz_object => o) FROM unnest(%s::text[], %s::text[]) "
        "WITH ORDINALITY AS x (o, e, i) ORDER BY x.i",
        (objects, unit_vectors(len(objects), seed))).fetchall()
    return [str(r[0]) for r in rows]


def found(conn: psycopg.Connection[Any], mode: str, subject: str,
          relation: str | None = "viewer",
          limit: int = 100, seed: int = 0) -> list[str]:
    return [str(r[0]) for r in conn.execute(
        "SELECT document_id FROM api.search_documents(p_query => 'plumbing', p_embedding => %s, "
        "p_limit => %s, p_relation => %s, p_subject => %s, p_mode => %s)",
        (unit_vectors(1, seed)[0], limit, relation, subject, mode)).fetchall()]


@contextlib.contextmanager
def owner_of_new_tenant(db: Database) -> Iterator[psycopg.Connection[Any]]:
    """A new tenant's owner as claw_runtime, with MODEL and function statistics, in a
    transaction rolled back at the end."""
    tenants = seed_tenants(db, names=("a",))
    with db.connect() as conn, conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL track_functions = 'all'")
        conn.execute("SELECT internal.set_context(%s, %s, '{owner}')",
                     (tenants["a"].tenant_id, tenants["a"].owner_id))
        conn.execute("SET LOCAL ROLE claw_runtime")
        conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
        yield conn


def test_a_reader_of_few_documents_finds_all_of_them_and_checks_only_those(
        db: Database) -> None:
    """600 documents match 'plumbing'; bob may view 3 (directly, through a team, through a
    customer). The tenant-wide arms decide candidate after candidate (the text arm up to 10
    per result wanted, the vector arm until it has enough): both must find all 3 and ask
    authz.permitted about those documents only, not about the tenant's."""
    with owner_of_new_tenant(db) as conn:
        # the three that bob may view come last: they sort last in the text ranking (equal
        # ranks, then by id, and ids grow with time)
        objects = [f"document:{i:04}" for i in range(597)]
        docs = add_documents(conn, objects + ["document:bob", "document:team", "customer:c9"],
                             seed=1)
        mine = sorted(docs[-3:])
        assert sorted(docs)[-3:] == mine
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps([
            {"object": "document:bob", "relation": "viewer", "subject": "user:bob"},
            {"object": "team:ops", "relation": "member", "subject": "user:bob"},
            {"object": "document:team", "relation": "viewer", "subject": "team:ops#member"},
            {"object": "customer:c9", "relation": "viewer", "subject": "user:bob"},
            {"object": "document:0001", "relation": "viewer", "subject": "user:carol"}]),))
        for mode in ("text", "vector", "hybrid"):
            before = permission_calls(conn)
            assert sorted(found(conn, mode, "user:bob")) == mine, mode
            arms = 1 if mode != "hybrid" else 2
            assert permission_calls(conn) - before <= 3 * arms, mode
        assert hnsw_scans(conn) == 0, "a reader of few documents is searched exactly"
        assert found(conn, "hybrid", "user:mallory") == []
        # the owner's unfiltered search still sees the whole tenant
        assert len(found(conn, "text", "user:bob", relation=None)) == 100


def test_a_reader_of_many_objects_takes_the_hnsw_path(db: Database) -> None:
    """A walk of more than 4,000 nodes (ann's team may view 4,188 objects) is searched
    through the indexes, each candidate decided: the answers stay those permitted."""
    with owner_of_new_tenant(db) as conn:
        docs = add_documents(conn, [f"document:{i:04}" for i in range(1200)], seed=2)
        writes = [{"object": "team:ops", "relation": "member", "subject": "user:ann"}] + [
            {"object": f"document:{i:04}", "relation": "viewer", "subject": "team:ops#member"}
            for i in range(1200) if i % 100 != 7] + [
            {"object": f"document:none{i}", "relation": "viewer", "subject": "team:ops#member"}
            for i in range(3000)]
        for i in range(0, len(writes), 1000):  # at most 1,000 per call
            conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(writes[i:i + 1000]),))
        conn.execute("RESET ROLE; ANALYZE ontology.documents; ANALYZE authz.tuples; "
                     "SET LOCAL ROLE claw_runtime")
        before = permission_calls(conn)
        got = found(conn, "vector", "user:ann", limit=20)
        assert len(got) == 20 and set(got) <= {d for i, d in enumerate(docs) if i % 100 != 7}
        # the HNSW scan checks candidates as the index yields them, not the 1,188 permitted
        # documents one by one
        assert hnsw_scans(conn) > 0
        assert permission_calls(conn) - before < 1000
        assert len(found(conn, "text", "user:ann", limit=100)) == 100
        # the results' rows are read by key: the final join once read every document of the
        # tenant again (1,200 rows here, 100,000 in the bench: 26 ms). At this size the
        # retrieval itself may scan the tenant once (cheaper than the index for the planner)
        read = rows_read(conn, "ontology.documents")
        assert len(found(conn, "vector", "user:ann", relation=None, limit=10)) == 10
        assert rows_read(conn, "ontology.documents") - read < 1800


def test_objects_holding_too_many_documents_take_the_hnsw_path(db: Database) -> None:
    """dee may view one customer whose 4,001 documents are over the exact path's cap of
    4,000: a walk of 2 nodes, and still the HNSW path."""
    with owner_of_new_tenant(db) as conn:
        docs = add_documents(conn, ["customer:big"] * 4001 + ["customer:other"] * 5, seed=5)
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
            [{"object": "customer:big", "relation": "viewer", "subject": "user:dee"}]),))
        conn.execute("RESET ROLE; ANALYZE ontology.documents; SET LOCAL ROLE claw_runtime")
        got = found(conn, "vector", "user:dee", limit=10)
        assert len(got) == 10 and not set(got) & set(docs[-5:])
        assert hnsw_scans(conn) > 0


def test_a_reader_of_nearly_everything_on_the_exact_path_is_checked_lazily(
        db: Database) -> None:
    """cy may view 999 objects of 2 documents each: a walk of 1,000 nodes, 1,998 documents
    (under the caps of 4,000 each), the exact path. Each arm decides candidates best first
    until it has enough (40 for 10 results), not every document of the set."""
    with owner_of_new_tenant(db) as conn:
        objects = [f"document:{i:03}" for i in range(999)]
        docs = add_documents(conn, objects * 2 + ["document:other"], seed=4)
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
            [{"object": o, "relation": "viewer", "subject": "user:cy"} for o in objects]),))
        for mode in ("vector", "text"):
            before = permission_calls(conn)
            got = found(conn, mode, "user:cy", limit=10)
            assert len(got) == 10 and docs[-1] not in got, mode
            assert permission_calls(conn) - before <= 40, mode
        assert hnsw_scans(conn) == 0


def test_searches_match_the_reference_evaluator(cluster: Any) -> None:
    """Random worlds of tests/test_authz_list_sets.py (exclusions, intersections, nested
    groups, expiring tuples), one document per object: every subject's search by each of
    doc's relations returns exactly the documents the reference evaluator permits, by both
    arms. These readers reach few objects, so this is the exact path; the walk it starts
    from names candidates a negation then removes, which authz.permitted must catch."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from conftest import create_database, drop_database
    from test_authz_list_sets import MODEL as AUTHZ, POOL, SUBJECTS, worlds
    from test_authz_reference import Reference, fmt, write_world

    objects = [f"{t}:{i}" for t, ids in POOL.items() for i in ids]
    counter = iter(range(10**9))
    seen = {"answers": 0, "negation_mattered": 0}
    test_db = create_database(cluster)
    try:
        with test_db.connect() as conn:
            @settings(max_examples=25, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.function_scoped_fixture])
            @given(tuples=worlds(), data=st.data())
            def run(tuples: list[Any], data: st.DataObject) -> None:
                subjects = data.draw(st.lists(SUBJECTS, min_size=4, max_size=4, unique=True))
                ref = Reference(AUTHZ, tuples, now=30)
                loose = Reference(AUTHZ, tuples, 30, ignore_negation=True)
                with conn.transaction(force_rollback=True):
                    write_world(conn, AUTHZ, tuples, f"search-{next(counter)}")
                    conn.execute("SET LOCAL ROLE claw_runtime")
                    docs = dict(zip(add_documents(conn, objects, seed=3), objects, strict=True))
                    for subject in subjects:
                        for rel in ("viewer", "editor", "auditor", "reader"):
                            want = {d for d, o in docs.items()
                                    if ref.check(*o.split(":"), rel, subject)}
                            for mode in ("vector", "text"):
                                got = found(conn, mode, fmt(subject), relation=rel)
                                assert sorted(got) == sorted(want), (mode, rel, subject, tuples)
                            seen["answers"] += bool(want)
                            seen["negation_mattered"] += want != {
                                d for d, o in docs.items()
                                if loose.check(*o.split(":"), rel, subject)}

            run()
    finally:
        drop_database(test_db)
    assert seen["answers"] >= 10 and seen["negation_mattered"] > 0, seen


def test_the_walk_a_search_starts_from_stays_inlinable(db: Database) -> None:
    """api.search_documents stops authz.walk_up after 4,001 nodes with a LIMIT, which works
    only while the planner inlines it (a SQL function of one statement, not SECURITY
    DEFINER, without SET clauses, not volatile). A common hardening step, a SET search_path
    clause, would make it a function scan that walks every node first (a team that may view
    200,000 documents: about 0.7 s per search instead of about 1 ms)."""
    with db.connect() as conn:
        row = conn.execute(
            "SELECT l.lanname, p.prosecdef, p.proconfig, p.provolatile, p.proretset "
            "FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang "
            "WHERE p.oid = 'authz.walk_up(uuid, text, text, text, timestamptz)'::regprocedure"
        ).fetchone()
        assert row == ("sql", False, None, "s", True)


def test_the_text_arm_reads_its_candidates_from_an_index_alone(db: Database) -> None:
    """The text arm ranks every document of the tenant that matches (a two-word query, any
    word: 26,177 of the bench's 100,000), and read them from the table, whose rows carry the
    1 KB embedding: 45-54 of its 83 ms. The covering index documents_text_idx (tenant,
    then document id, authz object and tsvector included) serves it with an index-only scan
    once the table is vacuumed. Counted: rows read from the table itself (sequential scans
    and heap fetches) by a text search over 2,000 matching documents; the 10 results' rows
    are read by key."""
    tenants = seed_tenants(db, names=("a",))
    with db.connect() as conn:
        with conn.transaction():
            # committed durably: the test cluster commits asynchronously, and VACUUM marks no
            # page all-visible while the commit that wrote it is not yet on disk
            conn.execute("SET LOCAL synchronous_commit = on")
            conn.execute("SELECT internal.set_context(%s, %s, '{owner}')",
                         (tenants["a"].tenant_id, tenants["a"].owner_id))
            conn.execute("SET LOCAL ROLE claw_runtime")
            add_documents(conn, [f"document:{i:04}" for i in range(2000)], seed=7)
        conn.execute("VACUUM ANALYZE ontology.documents")
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT internal.set_context(%s, %s, '{owner}')",
                         (tenants["a"].tenant_id, tenants["a"].owner_id))
            conn.execute("SET LOCAL ROLE claw_runtime")
            table_rows = ("SELECT pg_stat_get_xact_tuples_returned('ontology.documents'::regclass)"
                          " + pg_stat_get_xact_tuples_fetched('ontology.documents'::regclass)")
            before = count_as_session_user(conn, table_rows)
            assert len(found(conn, "text", "user:x", relation=None, limit=10)) == 10
            assert count_as_session_user(conn, table_rows) - before <= 10
