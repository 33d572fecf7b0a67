"""`claw demo`, the ontology part: a tenant's typed objects, a permission check with its
explanation, and a hybrid search that finds what a user may see and nothing else.

Idempotent: a second run finds the types and objects of the first and reuses them.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from claw.embeddings import LocalEmbedder
from claw.search import index_document, search

TYPES: dict[str, dict[str, Any]] = {
    "customer": {"name": {"kind": "string", "required": True, "max_length": 200},
                 "email": {"kind": "string", "pattern": "^[^@ ]+@[^@ ]+$", "unique": True}},
    "job": {"title": {"kind": "string", "required": True},
            "status": {"kind": "enum", "values": ["booked", "done"], "required": True},
            "customer": {"kind": "reference", "type": "customer", "required": True}},
    "invoice": {"total": {"kind": "money", "required": True, "min": 0},
                "status": {"kind": "enum", "values": ["open", "paid", "overdue"], "required": True},
                "job": {"kind": "reference", "type": "job", "required": True}},
}
MODEL = {"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "customer": {"relations": {"viewer": {"this": ["user", "team#member"]}}},
    "job": {"relations": {"customer": {"this": ["customer"]},
                          "viewer": {"union": [{"this": ["user"]},
                                               {"ttu": {"tupleset": "customer", "computed": "viewer"}}]}}},
    "invoice": {"relations": {"job": {"this": ["job"]},
                              "blocked": {"this": ["user"]},
                              "viewer": {"exclusion": {
                                  "base": {"ttu": {"tupleset": "job", "computed": "viewer"}},
                                  "subtract": {"this": ["user"]}}}}},
}}
CUSTOMERS = [
    ("Smith Plumbing Supplies", "accounts@smith.example",
     "Smith pays late every quarter; call the accounts team before the 5th."),
    ("Jones Family", "jones@example.org",
     "Mrs Jones prefers morning appointments and text messages, never calls."),
]


def _one(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def _setup(conn: psycopg.Connection[Any], embedder: LocalEmbedder) -> dict[str, str]:
    """Types, objects, links, the authorization model and tuples, documents; returns ids."""
    ids: dict[str, str] = {}
    for name, props in TYPES.items():
        conn.execute("SELECT * FROM api.define_object_type(p_name => %s, p_properties => %s)",
                     (name, json.dumps(props)))
    conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
    writes = [{"object": "team:office", "relation": "member", "subject": "user:alice"}]
    for n, (name, email, note) in enumerate(CUSTOMERS):
        c = str(_one(conn, "SELECT object_id FROM api.create_object('customer', %s)",
                     (json.dumps({"name": name, "email": email}),)))
        j = str(_one(conn, "SELECT object_id FROM api.create_object('job', %s)",
                     (json.dumps({"title": f"Hot water system for {name}", "status": "done",
                                  "customer": c}),)))
        i = str(_one(conn, "SELECT object_id FROM api.create_object('invoice', %s)",
                     (json.dumps({"total": {"amount": "1840.00" if n == 0 else "240.00",
                                            "currency": "AUD"},
                                  "status": "overdue" if n == 0 else "paid", "job": j}),)))
        ids |= {f"customer{n}": c, f"job{n}": j, f"invoice{n}": i}
        index_document(conn, embedder, note, title=f"Notes on {name}", object_id=c)
        index_document(conn, embedder, f"Invoice for the hot water system job for {name}: "
                       f"{'overdue, second reminder sent' if n == 0 else 'paid in full'}.",
                       title="Invoice", object_id=i)
        writes += [{"object": f"job:{j}", "relation": "customer", "subject": f"customer:{c}"},
                   {"object": f"invoice:{i}", "relation": "job", "subject": f"job:{j}"}]
    # the office team sees Smith; bob, a contractor, sees only the Jones job
    writes += [{"object": f"customer:{ids['customer0']}", "relation": "viewer",
                "subject": "team:office#member"},
               {"object": f"customer:{ids['customer1']}", "relation": "viewer", "subject": "user:bob"}]
    conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(writes),))
    return ids


def run(runtime_url: str, api_key: str) -> int:
    embedder = LocalEmbedder()
    with psycopg.connect(runtime_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (api_key,))
        existing = conn.execute("SELECT name FROM api.list_object_types()").fetchall()
        if ("customer",) not in existing:
            ids = _setup(conn, embedder)
            print("   defined customer, job and invoice; created 2 of each, with notes embedded "
                  f"offline ({embedder.model})")
        else:
            ids = {f"{kind}{n}": str(r[0]) for kind in ("job", "invoice") for n, r in enumerate(
                conn.execute("SELECT object_id FROM api.list_objects_by_type(%s)", (kind,)).fetchall())}
            print("   the ontology exists from an earlier run; reusing it")
        try:
            with conn.transaction():
                conn.execute("SELECT api.create_object('invoice', %s)", (json.dumps(
                    {"total": {"amount": "-5", "currency": "AUD"}, "status": "open",
                     "job": ids["job0"]}),))
            print("   UNEXPECTED: a negative invoice total was accepted")
            return 1
        except psycopg.Error as exc:
            print(f"   a negative total is refused in SQL: {exc.sqlstate} {exc.diag.message_primary}")

        smith_invoice = f"invoice:{ids['invoice0']}"
        allowed = _one(conn, "SELECT allowed FROM api.check_permission(%s, 'viewer', 'user:alice')",
                       (smith_invoice,))
        print(f"   may user:alice view Smith's invoice? {'allowed' if allowed else 'denied'}; why:")
        for (line,) in conn.execute("SELECT line FROM api.explain_permission(%s, 'viewer', 'user:alice')",
                                    (smith_invoice,)).fetchall():
            print(f"     {line}")
        denied = _one(conn, "SELECT allowed FROM api.check_permission(%s, 'viewer', 'user:bob')",
                      (smith_invoice,))
        print(f"   may user:bob view it? {'allowed' if denied else 'denied'}")
        quick = [_one(conn, "SELECT api.is_permitted(%s, 'viewer', %s)", (smith_invoice, u))
                 for u in ("user:alice", "user:bob")]
        if quick != [allowed, denied]:
            print(f"   UNEXPECTED: api.is_permitted answered {quick}, check_permission "
                  f"{[allowed, denied]}")
            return 1
        print(f"   the same two questions through api.is_permitted (yes or no, no explanation): "
              f"{', '.join('allowed' if q else 'denied' for q in quick)}")

        visible = {user: {r[0] for r in conn.execute(
            "SELECT object FROM api.list_permitted_objects('customer', 'viewer', %s) UNION ALL "
            "SELECT object FROM api.list_permitted_objects('invoice', 'viewer', %s)",
            (f"user:{user}", f"user:{user}")).fetchall()} for user in ("alice", "bob")}
        outside = 0
        for user in ("alice", "bob"):
            hits = search(conn, embedder, "who pays late and is overdue", subject=f"user:{user}",
                          limit=5)
            outside += sum(1 for h in hits if h.authz_object not in visible[user])
            print(f"   hybrid search 'who pays late and is overdue' as user:{user}:")
            for h in hits:
                print(f"     {h.score:.4f}  {h.title}: {h.body[:60]}")
        print(f"   search results outside what each user may see: {outside}")
        if not allowed or denied or outside:
            print("   UNEXPECTED: the permission check or the search let too much through")
            return 1
    return 0
