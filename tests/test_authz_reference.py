"""The SQL authorization engine against a reference evaluator.

`Reference` below is a plain recursive evaluator of the model format (this, computed,
tuple-to-userset, union, intersection, exclusion; expiring tuples; a userset includes itself)
written from the definition, with no shortcuts. Hypothesis generates models (random rewrites
over a fixed set of types) and tuple sets (teams nested at least three deep, folder
hierarchies, exclusions, tuples that expire), writes them through the api, moves the
database clock so some tuples have expired, and asks the same questions of both:
check_permission for random objects, relations and subjects (plain and usersets), and
list_permitted_objects / list_permitted_subjects compared as whole sets.

The run asserts it asked at least CLAW_AUTHZ_QUESTIONS questions (default 5,000), and that
the generated worlds exercised what matters: answers of both kinds, answers that an expiry
changed, answers that an exclusion or intersection changed, and paths through nested teams.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import Database

QUESTIONS = int(os.environ.get("CLAW_AUTHZ_QUESTIONS", "5000"))
EXAMPLES = max(10, QUESTIONS // 110 + 1)
STATS: Counter[str] = Counter()

USERS = [f"u{i}" for i in range(5)]
TEAMS = [f"t{i}" for i in range(6)]
FOLDERS = [f"f{i}" for i in range(5)]
DOCS = [f"d{i}" for i in range(5)]
POOL = {"user": USERS, "team": TEAMS, "folder": FOLDERS, "doc": DOCS}
DIRECT = ["user", "team#member"]
# docs may also name a folder's viewers, a userset whose relation is a union (not plain this)
DOC_DIRECT = [*DIRECT, "folder#viewer"]

Tuple = tuple[str, str, str, str, str, str, int | None]  # ot, oid, rel, st, sid, srel, expires


@dataclass
class Reference:
    model: dict[str, Any]
    tuples: list[Tuple]
    now: int  # minutes; a tuple with expires <= now is gone
    ignore_expiry: bool = False
    ignore_negation: bool = False  # exclusion as its base, intersection as union

    def live(self, ot: str, oid: str, rel: str) -> Iterator[Tuple]:
        for t in self.tuples:
            if (t[0], t[1], t[2]) == (ot, oid, rel) and (
                    self.ignore_expiry or t[6] is None or t[6] > self.now):
                yield t

    def check(self, ot: str, oid: str, rel: str, subject: tuple[str, str, str]) -> bool:
        if (ot, oid, rel) == subject:
            return True
        rewrite = self.model["types"].get(ot, {}).get("relations", {}).get(rel)
        if rewrite is None:
            return False
        return self.rewrite(ot, oid, rel, rewrite, subject)

    def rewrite(self, ot: str, oid: str, rel: str, node: dict[str, Any],
                subject: tuple[str, str, str]) -> bool:
        kind, arg = next(iter(node.items()))
        if kind == "this":
            for t in self.live(ot, oid, rel):
                if (t[3], t[4], t[5]) == subject:
                    return True
                if t[5] and self.check(t[3], t[4], t[5], subject):
                    return True
            return False
        if kind == "computed":
            return self.check(ot, oid, arg, subject)
        if kind == "ttu":
            return any(self.check(t[3], t[4], arg["computed"], subject)
                       for t in self.live(ot, oid, arg["tupleset"]) if t[5] == "")
        if kind == "union" or (kind == "intersection" and self.ignore_negation):
            return any(self.rewrite(ot, oid, rel, c, subject) for c in arg)
        if kind == "intersection":
            return all(self.rewrite(ot, oid, rel, c, subject) for c in arg)
        if kind == "exclusion":
            base = self.rewrite(ot, oid, rel, arg["base"], subject)
            if self.ignore_negation:
                return base
            return base and not self.rewrite(ot, oid, rel, arg["subtract"], subject)
        raise AssertionError(kind)


# ----------------------------------------------------------------------- generation

def leaf(own: list[str], folder_rels: list[str],
         direct: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    options: list[st.SearchStrategy[dict[str, Any]]] = [
        st.lists(st.sampled_from(direct), min_size=1, max_size=2, unique=True).map(
            lambda s: {"this": sorted(s)})]
    if own:
        options.append(st.sampled_from(own).map(lambda r: {"computed": r}))
    options.append(st.sampled_from(folder_rels).map(
        lambda r: {"ttu": {"tupleset": "parent", "computed": r}}))
    return st.one_of(options)


def rewrite(own: list[str], folder_rels: list[str],
            direct: list[str] = DIRECT) -> st.SearchStrategy[dict[str, Any]]:
    base = leaf(own, folder_rels, direct)
    pair = st.lists(base, min_size=2, max_size=3)
    return st.one_of(
        base,
        pair.map(lambda c: {"union": c}),
        pair.map(lambda c: {"intersection": c}),
        st.tuples(st.one_of(base, pair.map(lambda c: {"union": c})), base).map(
            lambda bs: {"exclusion": {"base": bs[0], "subtract": bs[1]}}),
    )


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    """user, team (member: users and nested teams), folder (parent folders; owner; viewer
    and editor generated, the viewer also the owner and the parent's viewers), doc (parent
    folder; owner, blocked; three generated relations, r1 also taking folder viewers). A computed rewrite names only relations defined before it,
    so no relation includes itself through computed rewrites alone."""
    folder: dict[str, Any] = {"parent": {"this": ["folder"]}, "owner": {"this": DIRECT}}
    own = ["owner"]
    for name in ("viewer", "editor"):
        folder[name] = draw(rewrite(own, ["owner", "viewer"] if name == "editor" else ["owner"]))
        own.append(name)
    # viewer may recurse up the parents: viewer = generated | viewer of the parent
    folder["viewer"] = {"union": [folder["viewer"],
                                  {"ttu": {"tupleset": "parent", "computed": "viewer"}},
                                  {"computed": "owner"}]}
    doc: dict[str, Any] = {"parent": {"this": ["folder"]}, "owner": {"this": DIRECT},
                           "blocked": {"this": DIRECT}}
    own = ["owner", "blocked"]
    for name in ("r1", "r2", "r3"):
        doc[name] = draw(rewrite(own, ["owner", "viewer", "editor"], DOC_DIRECT))
        own.append(name)
    # r1 always takes a folder's viewers (a userset whose relation is a union)
    doc["r1"] = {"union": [{"this": ["folder#viewer", "user"]}, doc["r1"]]}
    return {"types": {
        "user": {},
        "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
        "folder": {"relations": folder},
        "doc": {"relations": doc},
    }}


def direct_subjects(node: dict[str, Any]) -> set[str]:
    kind, arg = next(iter(node.items()))
    if kind == "this":
        return set(arg)
    if kind in ("union", "intersection"):
        return set().union(*(direct_subjects(c) for c in arg))
    if kind == "exclusion":
        return direct_subjects(arg["base"]) | direct_subjects(arg["subtract"])
    return set()


@st.composite
def worlds(draw: st.DrawFn) -> tuple[dict[str, Any], list[Tuple]]:
    model = draw(models())
    expiry = st.sampled_from([None, None, None, 10, 60])  # minutes; the clock moves 30
    tuples: dict[tuple[str, ...], int | None] = {}

    def add(ot: str, oid: str, rel: str, stype: str, sid: str, srel: str) -> None:
        tuples[(ot, oid, rel, stype, sid, srel)] = draw(expiry)

    # teams nested at least three deep: t0 > t1 > t2 > t3, users at the bottom; more
    # nesting only from a lower to a higher index, so teams never contain themselves
    for i in range(3):
        add("team", TEAMS[i], "member", "team", TEAMS[i + 1], "member")
    add("team", TEAMS[3], "member", "user", draw(st.sampled_from(USERS)), "")
    for _ in range(draw(st.integers(3, 10))):
        i = draw(st.integers(0, len(TEAMS) - 2))
        if draw(st.booleans()):
            add("team", TEAMS[i], "member", "team", draw(st.sampled_from(TEAMS[i + 1:])), "member")
        else:
            add("team", TEAMS[i], "member", "user", draw(st.sampled_from(USERS)), "")
    # folders: a parent has a lower index
    for i in range(1, len(FOLDERS)):
        if draw(st.integers(0, 3)):
            add("folder", FOLDERS[i], "parent", "folder", FOLDERS[draw(st.integers(0, i - 1))], "")
    for d in DOCS:
        if draw(st.integers(0, 3)):
            add("doc", d, "parent", "folder", draw(st.sampled_from(FOLDERS)), "")
    # direct tuples of every relation that takes them
    for ot, oids in (("folder", FOLDERS), ("doc", DOCS)):
        for rel, node in model["types"][ot]["relations"].items():
            allowed = sorted(direct_subjects(node) & set(DOC_DIRECT))
            if rel == "parent" or not allowed:
                continue
            for _ in range(draw(st.integers(1 if rel in ("owner", "r1") else 0, 4))):
                kind = draw(st.sampled_from(allowed))
                if kind == "user":
                    add(ot, draw(st.sampled_from(oids)), rel, "user", draw(st.sampled_from(USERS)), "")
                elif kind == "folder#viewer":
                    add(ot, draw(st.sampled_from(oids)), rel, "folder", draw(st.sampled_from(FOLDERS)), "viewer")
                else:
                    add(ot, draw(st.sampled_from(oids)), rel, "team", draw(st.sampled_from(TEAMS)), "member")
    return model, [(*k, v) for k, v in tuples.items()]  # type: ignore[misc]


def subjects() -> st.SearchStrategy[tuple[str, str, str]]:
    return st.one_of(st.sampled_from(USERS).map(lambda u: ("user", u, "")),
                     st.sampled_from(TEAMS).map(lambda t: ("team", t, "member")),
                     st.sampled_from(FOLDERS).map(lambda f: ("folder", f, "viewer")))


def objects(model: dict[str, Any]) -> st.SearchStrategy[tuple[str, str, str]]:
    choices = [(ot, oid, rel) for ot in ("team", "folder", "doc") for oid in POOL[ot]
               for rel in model["types"][ot]["relations"]]
    return st.sampled_from(choices)


def fmt(s: tuple[str, str, str]) -> str:
    return f"{s[0]}:{s[1]}" + (f"#{s[2]}" if s[2] else "")


def depth(why: Any) -> int:
    """How many nodes deep an explanation goes."""
    if isinstance(why, dict):
        return (1 if "node" in why else 0) + max((depth(v) for v in why.values()), default=0)
    if isinstance(why, list):
        return max((depth(v) for v in why), default=0)
    return 0


# --------------------------------------------------------------------------- the test

@pytest.fixture(scope="module")
def conn(cluster: Any) -> Iterator[psycopg.Connection[Any]]:
    from conftest import create_database, drop_database
    db: Database = create_database(cluster)
    try:
        with db.connect() as c:
            yield c
    finally:
        drop_database(db)


def write_world(conn: psycopg.Connection[Any], model: dict[str, Any], tuples: list[Tuple],
                slug: str) -> None:
    """In the caller's transaction: a new tenant's context, the model and the tuples written
    as claw_runtime (expiries relative to the database clock at write time), then the clock
    moved 30 minutes on (the reference's now = 30); the role is reset to the caller's."""
    tenant = conn.execute(
        "SELECT tenant_id, principal_id FROM tenancy.create_tenant(%s, 'R', 'ref', 'Ref')",
        (slug,)).fetchone()
    conn.execute("SELECT internal.set_context(%s, %s, '{owner}')", tenant)
    conn.execute("SET LOCAL ROLE claw_runtime")
    conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(model),))
    writes = [{"object": f"{t[0]}:{t[1]}", "relation": t[2], "subject": fmt((t[3], t[4], t[5]))}
              | ({"expires_at": f"{t[6]} minutes"} if t[6] is not None else {})
              for t in tuples]
    conn.execute(
        "SELECT * FROM api.write_tuples((SELECT jsonb_agg(CASE WHEN w ? 'expires_at' THEN "
        "jsonb_set(w, '{expires_at}', to_jsonb(now() + (w ->> 'expires_at')::interval)) "
        "ELSE w END) FROM jsonb_array_elements(%s::jsonb) AS w))", (json.dumps(writes),))
    conn.execute("RESET ROLE")
    conn.execute("UPDATE internal.clock SET offset_by = offset_by + interval '30 minutes'")


def test_sql_matches_reference(conn: psycopg.Connection[Any]) -> None:
    counter = iter(range(10**9))

    # no shrinking: a failure prints the whole model and tuple set, and shrinking a world
    # this size takes minutes
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(world=worlds(), data=st.data())
    def run(world: tuple[dict[str, Any], list[Tuple]], data: st.DataObject) -> None:
        model, tuples = world
        checks = data.draw(st.lists(st.tuples(objects(model), subjects()), min_size=90, max_size=90))
        lists = data.draw(st.lists(st.tuples(
            st.sampled_from([("folder", r) for r in model["types"]["folder"]["relations"]]
                            + [("doc", r) for r in model["types"]["doc"]["relations"]]
                            + [("team", "member")]), subjects()), min_size=12, max_size=12))
        subject_lists = data.draw(st.lists(objects(model), min_size=8, max_size=8))
        ref = Reference(model, tuples, now=30)
        n = next(counter)
        with conn.transaction(force_rollback=True):
            write_world(conn, model, tuples, f"ref-{n}")
            # the relations authz.reaches may decide in one statement (the compiled model's "x")
            reachable = {r for (r,) in conn.execute(
                "SELECT jsonb_object_keys(m.compiled -> 'x') FROM authz.models AS m "
                "WHERE m.definition = %s::jsonb", (json.dumps(model),))}
            conn.execute("SET LOCAL ROLE claw_runtime")

            got = conn.execute(
                "SELECT c.allowed, c.explanation FROM unnest(%s::text[], %s::text[], %s::text[]) "
                "WITH ORDINALITY AS q (o, r, s, i) "
                "CROSS JOIN LATERAL api.check_permission(q.o, q.r, q.s) AS c ORDER BY q.i",
                ([f"{o[0]}:{o[1]}" for o, _ in checks], [o[2] for o, _ in checks],
                 [fmt(s) for _, s in checks])).fetchall()
            # the same questions through api.is_permitted (yes or no, authz.reaches where the
            # compiled model lets one statement decide)
            decided = conn.execute(
                "SELECT api.is_permitted(q.o, q.r, q.s) FROM unnest(%s::text[], %s::text[], "
                "%s::text[]) WITH ORDINALITY AS q (o, r, s, i) ORDER BY q.i",
                ([f"{o[0]}:{o[1]}" for o, _ in checks], [o[2] for o, _ in checks],
                 [fmt(s) for _, s in checks])).fetchall()
            for ((ot, oid, rel), subj), (allowed, why), (yes,) in zip(checks, got, decided,
                                                                      strict=True):
                want = ref.check(ot, oid, rel, subj)
                assert allowed == want, (
                    f"check {ot}:{oid}#{rel}@{fmt(subj)}: SQL {allowed}, reference {want}\n"
                    f"model {json.dumps(model)}\ntuples {tuples}")
                assert yes == want, (
                    f"is_permitted {ot}:{oid}#{rel}@{fmt(subj)}: SQL {yes}, reference {want}\n"
                    f"model {json.dumps(model)}\ntuples {tuples}")
                if f"{ot}#{rel}" in reachable:
                    STATS["decided_in_one_statement"] += 1
                STATS["questions"] += 1
                STATS["allowed" if want else "denied"] += 1
                if want != Reference(model, tuples, 30, ignore_expiry=True).check(ot, oid, rel, subj):
                    STATS["expiry_mattered"] += 1
                if want != Reference(model, tuples, 30, ignore_negation=True).check(ot, oid, rel, subj):
                    STATS["negation_mattered"] += 1
                if allowed and depth(why) >= 4:
                    STATS["paths_4_nodes_deep"] += 1
                if allowed and re.search(r"@folder:[^\"#]+#viewer", json.dumps(why)):
                    STATS["through_folder_viewers"] += 1

            got_lists = conn.execute(
                "SELECT ARRAY(SELECT l.object FROM api.list_permitted_objects(q.t, q.r, q.s, 10000) AS l) "
                "FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS q (t, r, s, i) "
                "ORDER BY q.i",
                ([t for (t, _), _ in lists], [r for (_, r), _ in lists],
                 [fmt(s) for _, s in lists])).fetchall()
            for ((ot, rel), subj), (objs,) in zip(lists, got_lists, strict=True):
                want_objs = sorted(f"{ot}:{oid}" for oid in POOL[ot] if ref.check(ot, oid, rel, subj))
                assert sorted(objs) == want_objs, (
                    f"list_objects {ot}#{rel}@{fmt(subj)}: SQL {objs}, reference {want_objs}\n"
                    f"model {json.dumps(model)}\ntuples {tuples}")
                STATS["questions"] += 1

            got_subjects = conn.execute(
                "SELECT ARRAY(SELECT l.subject FROM api.list_permitted_subjects(q.o, q.r, 'user', 10000) AS l) "
                "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS q (o, r, i) ORDER BY q.i",
                ([f"{o[0]}:{o[1]}" for o in subject_lists], [o[2] for o in subject_lists])).fetchall()
            for (ot, oid, rel), (subs,) in zip(subject_lists, got_subjects, strict=True):
                want_subs = sorted(f"user:{u}" for u in USERS if ref.check(ot, oid, rel, ("user", u, "")))
                assert sorted(subs) == want_subs, (
                    f"list_subjects {ot}:{oid}#{rel}: SQL {subs}, reference {want_subs}\n"
                    f"model {json.dumps(model)}\ntuples {tuples}")
                STATS["questions"] += 1

    run()
    print(f"authz reference: {dict(STATS)}")
    assert STATS["questions"] >= QUESTIONS
    assert STATS["allowed"] >= QUESTIONS // 20 and STATS["denied"] >= QUESTIONS // 20
    assert STATS["expiry_mattered"] > 0, "no generated world had an expiry change an answer"
    assert STATS["negation_mattered"] > 0, "no generated world had an exclusion or intersection change an answer"
    assert STATS["paths_4_nodes_deep"] > 0, "no allowed path went through nested teams"
    assert STATS["through_folder_viewers"] > 0, "no allowed path went through a folder#viewer userset"
    assert STATS["decided_in_one_statement"] > QUESTIONS // 20, "authz.reaches decided too few questions"
