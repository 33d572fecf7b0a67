"""Attacks on the permission check's cost and on what its errors reveal.

A member who may write tuples (an operator, a worker) builds "diamonds": two groups per
level, each a member of both groups of the next level. Paths double at every level, so an
evaluator that follows paths instead of visiting nodes once does 2^levels work per check,
and any viewer can trigger it (before the fix: 16 levels, 65 tuples, 3 s per check; 24
levels would take tens of minutes). Each check here runs under a statement_timeout of 20 s:
an exponential evaluator fails with 57014 instead of answering (22 levels of parents are 64
times the work of the 16 that took 3 s), while the evaluator's bounded refusal (CL508 after
10,000 evaluations, 2 to 3 s on a slow 2-core machine) stays well inside it.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants

MODEL = {"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "folder": {"relations": {"parent": {"this": ["folder"]},
                             "viewer": {"union": [{"this": ["user"]},
                                                  {"ttu": {"tupleset": "parent", "computed": "viewer"}}]}}},
    "doc": {"relations": {"viewer": {"this": ["team#member"]}}},
}}


def diamond(levels: int, kind: str) -> list[dict[str, str]]:
    writes = []
    for i in range(levels):
        for x in "ab":
            for y in "ab":
                if kind == "team":
                    writes.append({"object": f"team:L{i}{x}", "relation": "member",
                                   "subject": f"team:L{i + 1}{y}#member"})
                else:
                    writes.append({"object": f"folder:L{i}{x}", "relation": "parent",
                                   "subject": f"folder:L{i + 1}{y}"})
    return writes


@pytest.fixture
def tenant(db: Database) -> Tenant:
    t = seed_tenants(db, names=("a",))["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
        conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
            diamond(16, "team") + [{"object": "doc:1", "relation": "viewer", "subject": "team:L0a#member"},
                                   {"object": "team:L16b", "relation": "member", "subject": "user:deep"}]),))
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
            diamond(22, "folder") + [{"object": "folder:L22b", "relation": "viewer", "subject": "user:deep"}]),))
    return t


def check_as_viewer(db: Database, t: Tenant, obj: str, subject: str | None) -> tuple[Any, str | None]:
    """(allowed, None) or (sqlstate, detail), as a viewer, under a 20 s statement timeout."""
    with db.connect() as conn, conn.transaction():
        conn.execute("SET LOCAL statement_timeout = '20s'")
        conn.execute("SELECT internal.set_context(%s, %s, %s)",
                     (t.tenant_id, t.owner_id, "{owner}" if subject else "{viewer}"))
        conn.execute("SET LOCAL ROLE claw_runtime")
        try:
            with conn.transaction():
                row = conn.execute("SELECT allowed FROM api.check_permission(%s, 'viewer', %s)",
                                   (obj, subject)).fetchone()
            return (row[0] if row else None), None
        except psycopg.Error as exc:
            return exc.sqlstate, exc.diag.message_detail


def test_a_team_diamond_costs_linear_work(db: Database, tenant: Tenant) -> None:
    assert check_as_viewer(db, tenant, "doc:1", None) == (False, None)
    assert check_as_viewer(db, tenant, "doc:1", "user:deep") == (True, None)
    assert check_as_viewer(db, tenant, "doc:1", "user:nobody") == (False, None)


def test_a_parent_diamond_is_answered_or_refused_never_exponential(db: Database, tenant: Tenant) -> None:
    # tuple-to-userset parents: 22 levels of two parents each, 2^22 paths
    for subject in ("user:deep", "user:nobody"):
        result, detail = check_as_viewer(db, tenant, "folder:L0a", subject)
        assert result != "57014", f"{subject}: the check ran into the statement timeout"
        assert result in (True, False, "CL508"), (result, detail)
        if result == "CL508":
            assert detail is not None and "folder:" not in detail, "the error names nodes"


def test_a_too_deep_error_names_no_node(db: Database, tenant: Tenant) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
            [{"object": f"team:c{i}", "relation": "member", "subject": f"team:c{i + 1}#member"}
             for i in range(30)] + [{"object": "doc:2", "relation": "viewer", "subject": "team:c0#member"},
                                    {"object": "team:c30", "relation": "member", "subject": "user:bottom"}]),))
    # a member at the bottom of 31 nested teams: the answer is beyond the depth limit
    code, detail = check_as_viewer(db, tenant, "doc:2", "user:bottom")
    assert code == "CL508"
    assert detail is not None and "team:" not in detail and "doc:" not in detail
    # someone in none of them is answered from their side (nothing includes them), not refused
    assert check_as_viewer(db, tenant, "doc:2", None) == (False, None)


def test_a_list_over_a_branching_model_is_refused_never_exponential(db: Database) -> None:
    """list_objects evaluates non-exact relations as sets, recursing through parents: a model
    that names the same non-exact relation four times per level would make 4^8 set
    evaluations (then a check per candidate); the per-list budget refuses it with CL508
    inside a 20 s statement timeout."""
    t = seed_tenants(db, names=("a",))["a"]
    model = {"types": {"user": {}, "folder": {"relations": {
        "parent": {"this": ["folder"]},
        "blocked": {"this": ["user"]},
        "viewer": {"union": [{"exclusion": {"base": {"this": ["user"]},
                                            "subtract": {"computed": "blocked"}}}]
                   + [{"ttu": {"tupleset": "parent", "computed": "viewer"}}] * 4}}}}}
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
        conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(model),))
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
            [{"object": "folder:f0", "relation": "viewer", "subject": "user:x"},
             {"object": "folder:f0", "relation": "blocked", "subject": "user:x"}]
            + [{"object": f"folder:f{i + 1}", "relation": "parent", "subject": f"folder:f{i}"}
               for i in range(12)]),))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SET LOCAL statement_timeout = '20s'")
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
        with pytest.raises(psycopg.Error) as exc:
            conn.execute("SELECT * FROM api.list_permitted_objects('folder', 'viewer', 'user:x')")
    assert exc.value.sqlstate == "CL508", exc.value
    assert "folder:" not in (exc.value.diag.message_detail or "")


def test_a_costly_document_does_not_break_other_readers_search(db: Database) -> None:
    """A writer attaches documents to folders whose permission is costly to decide: one below
    a 16-level parent diamond (2^15 paths: the explaining evaluator refuses it, CL508 after
    10,000 evaluations; the walks of api.is_permitted decide it), one below a chain of 30
    parents (beyond the depth limit: undecidable for anyone it does not grant directly). A
    search checks the permission of every candidate: a candidate whose decision is CL508 is
    not permitted (fail closed), and everyone else's search still answers. The diamond is
    decided, not refused: folder:top's second parent grants bob, and the evaluator, which
    tries the diamond first, would spend its budget there."""
    t = seed_tenants(db, names=("a",))["a"]
    vec = "[" + ",".join(["0.0625"] * 256) + "]"
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
        conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
        conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
            diamond(16, "folder")
            + [{"object": f"folder:c{i}", "relation": "parent", "subject": f"folder:c{i + 1}"}
               for i in range(30)]
            + [{"object": "folder:L16b", "relation": "viewer", "subject": "user:deep"},
               {"object": "folder:mine", "relation": "viewer", "subject": "user:alice"},
               {"object": "folder:top", "relation": "parent", "subject": "folder:L0a"},
               {"object": "folder:top", "relation": "parent", "subject": "folder:zz"},
               {"object": "folder:zz", "relation": "viewer", "subject": "user:bob"}]),))
        for obj, body in (("folder:mine", "plumbing roster"), ("folder:top", "plumbing diamond"),
                          ("folder:c0", "plumbing chain")):
            conn.execute("SELECT api.upsert_document(p_body => %s, p_embedding => %s, "
                         "p_embedding_model => 'm', p_authz_object => %s)", (body, vec, obj))

    def search(subject: str) -> tuple[Any, str | None]:
        with db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SET LOCAL statement_timeout = '20s'")
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
            try:
                with conn.transaction():
                    rows = conn.execute(
                        "SELECT body FROM api.search_documents('plumbing', %s, p_subject => %s)",
                        (vec, subject)).fetchall()
                return sorted(r[0] for r in rows), None
            except psycopg.Error as exc:
                return exc.sqlstate, exc.diag.message_primary

    assert search("user:alice") == (["plumbing roster"], None)
    assert search("user:bob") == (["plumbing diamond"], None)
