"""The permission evaluator runs as claw_authz_reader, a role that bypasses RLS: its tenant
filters are the only thing between one tenant's check and another tenant's tuples.

Two tenants hold the same model and the same object ids; tenant b holds the tuples that
would change tenant a's answers if they leaked into a's evaluation (a userset membership, an
owner, a business admin, a tupleset link, a direct tuple, a block, an intersection's other
half, a userset of a richer relation, a shorter path for the explanation), and a newer
version of the model, without the business admins. Tenant a's answers and explanations must
be its own. Then the attack: each evaluator function in turn
loses every tenant filter (recreated in a transaction that is rolled back), and the same
questions must expose it; the evaluator proper is what the reader runs, so each of its
functions must be caught.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, rows_read, seed_tenants

MODEL = {"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "business": {"relations": {"admin": {"this": ["user", "team#member"]}}},
    "invoice": {"relations": {
        "business": {"this": ["business"]},
        "owner": {"this": ["user"]},
        "blocked": {"this": ["user"]},
        "approver": {"union": [{"this": ["user", "team#member"]}, {"computed": "owner"},
                               {"ttu": {"tupleset": "business", "computed": "admin"}}]},
        "viewer": {"exclusion": {"base": {"computed": "approver"},
                                 "subtract": {"computed": "blocked"}}},
        "signer": {"intersection": [{"computed": "approver"}, {"this": ["user"]}]},
    }},
    # a userset of a richer relation: checks on docs walk down from the doc
    "doc": {"relations": {"viewer": {"this": ["team#member", "invoice#viewer"]}}},
}}


def tup(o: str, r: str, s: str) -> dict[str, str]:
    return {"object": o, "relation": r, "subject": s}


# a's own world: zed reaches invoice:1 through two nested teams, invoice:3 as business admin;
# amy approves invoice:4; eve approves invoice:6 (not a signer) and admins business:c; ann,
# in team:tc and team:td, reaches invoice:8 and doc:9 through team:tb -> team:td
A_TUPLES = [
    tup("team:t0", "member", "team:t1#member"), tup("team:t1", "member", "user:zed"),
    tup("invoice:1", "approver", "team:t0#member"),
    tup("invoice:3", "business", "business:b"), tup("business:b", "admin", "user:zed"),
    tup("business:c", "admin", "user:eve"),
    tup("invoice:4", "approver", "user:amy"),
    tup("invoice:6", "approver", "user:eve"),
    tup("doc:1", "viewer", "invoice:5#viewer"),
    tup("invoice:8", "approver", "team:ta#member"), tup("invoice:8", "approver", "team:tb#member"),
    tup("doc:9", "viewer", "team:ta#member"), tup("doc:9", "viewer", "team:tb#member"),
    tup("team:tb", "member", "team:td#member"),
    tup("team:tc", "member", "user:ann"), tup("team:td", "member", "user:ann"),
]
# b's tuples that would change a's answers if a's evaluation read them
B_TUPLES = [
    tup("team:t0", "member", "team:t1#member"), tup("team:t1", "member", "user:eve"),
    tup("invoice:1", "approver", "team:t0#member"),
    tup("invoice:2", "owner", "user:eve"),
    tup("invoice:3", "business", "business:b"), tup("business:b", "admin", "user:eve"),
    tup("invoice:7", "business", "business:c"),
    tup("invoice:4", "approver", "user:amy"), tup("invoice:4", "blocked", "user:amy"),
    tup("invoice:5", "approver", "user:eve"),
    tup("invoice:6", "approver", "user:eve"), tup("invoice:6", "signer", "user:eve"),
    # paths that sort first, for the explanations: ta -> td (walking down), tb -> tc (up)
    tup("team:ta", "member", "team:td#member"), tup("team:tb", "member", "team:tc#member"),
    # zed (in a's team:t1) would reach invoice:8 through b's tuple naming t1, and doc:9
    # through b's team:ta
    tup("invoice:8", "approver", "team:t1#member"), tup("team:ta", "member", "user:zed"),
]
# b's second version: invoice approvers without the business admins (the tuple-to-userset)
MODEL_B = json.loads(json.dumps(MODEL))
MODEL_B["types"]["invoice"]["relations"]["approver"]["union"].pop()
# (object, relation, subject, a's answer)
QUESTIONS = [
    ("invoice:1", "approver", "user:eve", False),   # userset membership
    ("invoice:1", "approver", "user:zed", True),
    ("invoice:2", "approver", "user:eve", False),   # computed owner
    ("invoice:3", "approver", "user:eve", False),   # business admin (ttu, second hop)
    ("invoice:3", "approver", "user:zed", True),
    ("invoice:7", "approver", "user:eve", False),   # the tupleset link (ttu, first hop)
    ("invoice:4", "viewer", "user:amy", True),      # a block
    ("invoice:5", "approver", "user:eve", False),   # a direct tuple
    ("team:t1", "member", "user:eve", False),       # a direct tuple, the walk up alone
    ("invoice:6", "signer", "user:eve", False),     # the intersection's other half
    ("doc:1", "viewer", "user:eve", False),         # a userset of a richer relation
    ("invoice:8", "approver", "user:ann", True),    # the explanation's path (walking up)
    ("doc:9", "viewer", "user:ann", True),          # the explanation's path (walking down)
    ("invoice:8", "approver", "user:zed", False),   # the object's tuples naming a group (up)
    ("doc:9", "viewer", "user:zed", False),         # a group's tuple naming the subject (down)
]
# the evaluator's functions that query tuples or the model (authz.evaluate, evaluate_top,
# decide_rewrite only recurse)
EVALUATOR = ("authz.evaluate_rewrite", "authz.evaluate_this", "authz.userset_path",
             "authz.userset_chain", "authz.reaches", "authz.decide_in_tenant",
             "authz.memberships")


@pytest.fixture
def tenants(db: Database) -> dict[str, Tenant]:
    ts = seed_tenants(db, names=("a", "b"))
    for name, tuples in (("a", A_TUPLES), ("b", B_TUPLES)):
        with db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (ts[name].api_key,))
            conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
            conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(tuples),))
            if name == "b":
                conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL_B),))
    return ts


def answers(conn: psycopg.Connection[Any], t: Tenant) -> list[tuple[bool, Any]]:
    """a's answers and explanations, asked as claw_runtime with a's key; each answer of
    api.is_permitted (authz.decide_in_tenant, the model read as the reader) must be
    check_permission's."""
    with conn.transaction():
        conn.execute("SET LOCAL ROLE claw_runtime")
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (t.api_key,))
        out = []
        for obj, rel, subject, _ in QUESTIONS:
            row = conn.execute("SELECT allowed, explanation, api.is_permitted(%s, %s, %s) "
                               "FROM api.check_permission(%s, %s, %s)",
                               (obj, rel, subject, obj, rel, subject)).fetchone()
            assert row is not None
            out.append((row[0], row[1]) if row[0] == row[2] else (row[0], row[1], row[2]))
        return out


FILTER = re.compile(r"\b\w+\.tenant_id = p_tenant_id\b( /\* speed only \*/)?")


def tenant_filters(conn: psycopg.Connection[Any], function: str) -> tuple[str, list[re.Match[str]]]:
    """`function`'s definition and its tenant filters (`x.tenant_id = p_tenant_id`)."""
    (definition,) = conn.execute(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc AS p WHERE p.oid = %s::regproc",
        (function,)).fetchone()
    return definition, list(FILTER.finditer(definition))


READER_FUNCTIONS = ["authz.decide_in_tenant(uuid,text,text,text,text,text,text,"
                    "timestamp with time zone)",
                    "authz.evaluate_in_tenant(uuid,jsonb,text,text,text,text,text,text,"
                    "timestamp with time zone)"]


def test_the_evaluator_runs_as_a_narrow_reader(db: Database) -> None:
    with db.connect() as conn:
        assert conn.execute("SELECT rolbypassrls AND NOT rolcanlogin AND NOT rolsuper "
                            "FROM pg_roles WHERE rolname = 'claw_authz_reader'").fetchone() == (True,)
        owned = conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc AS p "
            "WHERE p.proowner = 'claw_authz_reader'::regrole ORDER BY 1").fetchall()
        assert owned == [(f,) for f in READER_FUNCTIONS]
        for f in READER_FUNCTIONS:
            callers = conn.execute(
                "SELECT r FROM unnest(ARRAY['claw_runtime', 'claw_worker', 'claw_admin', "
                "'claw_auditor']) AS r "
                "WHERE has_function_privilege(r, %s::regprocedure, 'EXECUTE')", (f,)).fetchall()
            assert callers == [], f
        grants = conn.execute(
            "SELECT table_schema || '.' || table_name || ' ' || privilege_type "
            "FROM information_schema.table_privileges WHERE grantee = 'claw_authz_reader' "
            "ORDER BY 1").fetchall()
        assert grants == [("authz.models SELECT",), ("authz.tuples SELECT",)]


def test_one_tenants_tuples_never_answer_anothers_check(db: Database,
                                                        tenants: dict[str, Tenant]) -> None:
    with db.connect() as conn:
        got = answers(conn, tenants["a"])
    assert all(len(g) == 2 for g in got), "is_permitted and check_permission disagree"
    assert [allowed for allowed, _ in got] == [q[3] for q in QUESTIONS]
    # both explanations follow a's own path (tb, td), not b's tuples that sort first
    for _, why in got[-4:-2]:
        path = json.dumps(why)
        assert "team:tb#member" in path and "team:td#member" in path, path
        assert "team:ta" not in path and "team:tc" not in path, path
    # and b sees its own grants
    with db.connect() as conn:
        b = answers(conn, tenants["b"])
    assert [allowed for allowed, _ in b] == [True, False, True, False, False, False, False, True,
                                           True, True, False, False, False, False, False]


@pytest.mark.parametrize("function", EVALUATOR)
def test_each_missing_tenant_filter_is_caught(db: Database, tenants: dict[str, Tenant],
                                              function: str) -> None:
    """The attack: the function recreated without one of its tenant filters (replaced by
    true), one filter at a time, in a transaction rolled back after; a's answers must change.
    Filters marked `speed only` only decide whether to look further: they are skipped, and
    there are exactly three (a new one needs its reason in functions/authz/check_this.sql)."""
    missed, skipped = [], 0
    with db.connect() as conn:
        honest = answers(conn, tenants["a"])
        definition, filters = tenant_filters(conn, function)
        assert filters, f"{function} has no tenant filter"
        for f in filters:
            if f.group(1):
                skipped += 1
                continue
            with conn.transaction(force_rollback=True):
                conn.execute(definition[:f.start()] + "true" + definition[f.end():])
                if answers(conn, tenants["a"]) == honest:
                    line = definition.count("\n", 0, f.start()) + 1
                    missed.append(f"line {line} of {function}'s definition: {f.group(0)}")
    assert missed == [], "a tenant filter whose removal changes no answer"
    assert skipped == (3 if function == "authz.evaluate_this" else 0)


def test_the_reader_answers_only_about_the_verified_tenant(db: Database,
                                                           tenants: dict[str, Tenant]) -> None:
    """Defence in depth: even claw_owner's own code cannot ask the reader about another
    tenant than the one its context verified."""
    with db.connect() as conn, conn.transaction():
        conn.execute("SELECT internal.set_context(%s, NULL, '{owner}')", (tenants["a"].tenant_id,))
        conn.execute("SET LOCAL ROLE claw_owner")
        q = "SELECT authz.evaluate_in_tenant(%s, authz.load_model(%s), %s, %s, %s, %s, %s, %s, now())"
        with pytest.raises(psycopg.Error) as exc:
            with conn.transaction():
                conn.execute(q, (tenants["b"].tenant_id, tenants["b"].tenant_id, "invoice", "1",
                                 "approver", "user", "eve", ""))
        assert exc.value.sqlstate == "CL403"
        row = conn.execute(q, (tenants["a"].tenant_id, tenants["a"].tenant_id, "invoice", "1",
                               "approver", "user", "zed", "")).fetchone()
        assert row is not None and row[0] is not None
        q = "SELECT authz.decide_in_tenant(%s, %s, %s, %s, %s, %s, %s, now())"
        with pytest.raises(psycopg.Error) as exc:
            with conn.transaction():
                conn.execute(q, (tenants["b"].tenant_id, "invoice", "3", "approver", "user",
                                 "eve", ""))
        assert exc.value.sqlstate == "CL403"
        assert conn.execute(q, (tenants["a"].tenant_id, "invoice", "3", "approver", "user",
                                "zed", "")).fetchone() == (True,)


def test_a_search_candidate_where_reaches_decides_never_starts_the_evaluator(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """authz.permitted (a search's check, once per candidate) asks the reader a yes-or-no
    question. Where the compiled model's "x" names the relation, authz.reaches alone answers
    it: the evaluator, whose budget is claw.authz_work, never starts. Everywhere else the
    evaluator answers as before. Every answer is check_permission's."""
    a = tenants["a"]
    with db.connect() as conn:
        honest = [row[0] for row in answers(conn, a)]
        with conn.transaction():
            conn.execute("SELECT internal.set_context(%s, NULL, '{owner}')", (a.tenant_id,))
            conn.execute("SET LOCAL ROLE claw_owner")
            (model,) = conn.execute("SELECT authz.load_model(%s)", (a.tenant_id,)).fetchone()
            started = {}
            for (obj, rel, subject, _), allowed in zip(QUESTIONS, honest):
                conn.execute("SELECT pg_catalog.set_config('claw.authz_work', '', true)")
                got = conn.execute(
                    "SELECT authz.permitted(%s, %s, %s, %s, %s, %s, '', now())",
                    (a.tenant_id, json.dumps(model), obj, rel, *subject.split(":"))).fetchone()
                assert got == (allowed,), (obj, rel, subject)
                (work,) = conn.execute(
                    "SELECT current_setting('claw.authz_work', true)").fetchone()
                started[(obj, rel, subject)] = work not in (None, "")
    in_x = {q[:3] for q in QUESTIONS if f"{q[0].split(':')[0]}#{q[1]}" in model["x"]}
    assert in_x and len(in_x) < len(QUESTIONS)
    assert {q for q, s in started.items() if not s} == in_x, started


def test_a_model_stored_before_x_is_decided_by_the_reader(db: Database,
                                                          tenants: dict[str, Tenant]) -> None:
    """A model stored before the compiled form had "x" is compiled again where it is read:
    by the reader too (authz.decide_in_tenant), which needs compile_model's helpers. Every
    answer of api.is_permitted still equals check_permission's."""
    with db.connect() as conn:
        honest = answers(conn, tenants["a"])
        conn.execute("UPDATE authz.models SET compiled = compiled - 'x' WHERE tenant_id = %s",
                     (tenants["a"].tenant_id,))
        assert answers(conn, tenants["a"]) == honest


@contextlib.contextmanager
def team_model(db: Database) -> Iterator[psycopg.Connection[Any]]:
    """A connection in a rolled-back transaction as tenant a's owner (claw_runtime, RLS on),
    with a model of users, teams (nested through team#member) and documents they view."""
    tenants = seed_tenants(db, names=("a",))
    model = {"types": {
        "user": {},
        "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
        "document": {"relations": {"viewer": {"this": ["user", "team#member"]}}}}}
    with db.connect() as conn, conn.transaction(force_rollback=True):
        conn.execute("SELECT internal.set_context(%s, %s, '{owner}')",
                     (tenants["a"].tenant_id, tenants["a"].owner_id))
        conn.execute("SET LOCAL ROLE claw_runtime")
        conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(model),))
        yield conn


def test_a_check_walks_up_only_into_the_subjects_groups(db: Database) -> None:
    """authz.reaches (api.is_permitted) and authz.evaluate_this (api.check_permission, with
    its explanation) walk up from the subject through its groups (team#member), one probe
    per node and group relation: a team that may view 1,000 documents must not make each
    check of a member read the team's 1,000 grants. Counted in tuples the check reads from
    authz.tuples (this transaction's statistics), not in time. The walk,
    authz.subject_groups, and its step, authz.memberships, must stay functions the planner
    inlines (plain SQL functions: not SECURITY DEFINER, no SET clause); called instead, they
    would cost a function call per check and per node."""
    with db.connect() as conn:
        assert conn.execute(
            "SELECT l.lanname, p.prosecdef, p.proconfig, p.provolatile "
            "FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang "
            "WHERE p.oid IN ('authz.memberships(uuid, text, text, text, jsonb, "
            "timestamptz)'::regprocedure, 'authz.subject_groups(uuid, text, text, text, jsonb, "
            "timestamptz, integer)'::regprocedure)").fetchall() == [("sql", False, None, "s")] * 2
    with team_model(db) as conn:
        writes = [{"object": "team:ops", "relation": "member", "subject": "user:ann"},
                  {"object": "team:ops", "relation": "member", "subject": "team:night#member"},
                  {"object": "team:night", "relation": "member", "subject": "user:bo"}]
        writes += [{"object": f"document:{i}", "relation": "viewer",
                    "subject": "team:ops#member"} for i in range(1000)]
        for part in (writes[:500], writes[500:]):
            conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(part),))
        conn.execute("RESET ROLE; ANALYZE authz.tuples; SET LOCAL ROLE claw_runtime")

        for subject, obj, allowed in (("user:ann", "document:7", True),
                                      ("user:bo", "document:7", True),
                                      ("user:ann", "document:x", False),
                                      ("user:cy", "document:7", False)):
            before = rows_read(conn, "authz.tuples")
            assert conn.execute("SELECT api.is_permitted(%s, 'viewer', %s)",
                                (obj, subject)).fetchone() == (allowed,)
            assert rows_read(conn, "authz.tuples") - before < 50, (subject, obj)
            # the explaining evaluator (authz.evaluate_this) walks up the same way
            before = rows_read(conn, "authz.tuples")
            assert conn.execute("SELECT allowed FROM api.check_permission(%s, 'viewer', %s)",
                                (obj, subject)).fetchone() == (allowed,)
            assert rows_read(conn, "authz.tuples") - before < 50, ("explained", subject, obj)


def test_a_check_sizes_its_walks_for_a_handful_of_nodes(db: Database) -> None:
    """Each of authz.reaches' two walks, and authz.evaluate_this's, is a recursive UNION
    whose hash table the executor sizes, at every call, from the planner's estimate of the
    walk, up to twice work_mem, and zeroes. A team granted 10,000 documents makes that
    estimate huge, and with the default 4 MB a check spent 180 of its 210 us allocating and
    clearing it (README, search bench). Both functions therefore pin a small work_mem; the
    tables still grow as a walk needs, and a walk larger than the work tables hold in 64 kB
    spills to a temporary file and gives the same answers (here a member of 1,500 teams,
    reached through the last one), while a hit stops the walk early."""
    with db.connect() as conn:
        configs = conn.execute(
            "SELECT p.oid::regproc::text, p.proconfig FROM pg_proc AS p "
            "WHERE p.oid IN ('authz.reaches(uuid, jsonb, text, text, text, text, text, text, "
            "timestamptz, integer)'::regprocedure, 'authz.evaluate_this(uuid, jsonb, text, text, "
            "text, text, text, text, timestamptz, text[])'::regprocedure) ORDER BY 1").fetchall()
        assert configs == [("authz.evaluate_this", ["work_mem=64kB"]),
                           ("authz.reaches", ["work_mem=64kB"])]

    with team_model(db) as conn:
        writes = [{"object": f"team:t{i}", "relation": "member", "subject": "user:ann"}
                  for i in range(1500)]
        writes += [{"object": "document:d", "relation": "viewer", "subject": "team:t1499#member"},
                   {"object": "team:t1499", "relation": "member", "subject": "team:deep#member"},
                   {"object": "team:deep", "relation": "member", "subject": "user:bo"},
                   {"object": "document:mine", "relation": "viewer", "subject": "user:ann"}]
        for at in range(0, len(writes), 500):
            conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(writes[at:at + 500]),))
        # a hit stops the walk: ann's own grant is found before her 1,500 teams are read
        before = rows_read(conn, "authz.tuples")
        assert conn.execute("SELECT api.is_permitted('document:mine', 'viewer', 'user:ann')"
                            ).fetchone() == (True,)
        assert rows_read(conn, "authz.tuples") - before < 50
        for subject, obj, allowed in (("user:ann", "document:d", True),
                                      ("user:bo", "document:d", True),
                                      ("user:ann", "document:e", False),
                                      ("user:cy", "document:d", False)):
            assert conn.execute("SELECT api.is_permitted(%s, 'viewer', %s)",
                                (obj, subject)).fetchone() == (allowed,), (subject, obj)
            assert conn.execute("SELECT allowed FROM api.check_permission(%s, 'viewer', %s)",
                                (obj, subject)).fetchone() == (allowed,), (subject, obj)
