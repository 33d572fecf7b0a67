"""Semantic memory: hybrid search that returns only what the reader may see.

Documents are embedded with the offline model (claw.embeddings.LocalEmbedder) and searched
through api.search_documents as an application would (claw_runtime, an API key): the
permission (authz) is decided inside the retrieving query, the tenant by RLS; vector and
text arms are fused by reciprocal rank.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from claw.embeddings import LocalEmbedder, to_pgvector
from claw.search import index_document, search
from conftest import Database, Tenant, seed_tenants

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
