"""Regression guard, without timing: the statements inside the hot api functions keep their
cached plans. PL/pgSQL plans each statement for its first five runs and then keeps a generic
plan, unless (a) the custom plans keep looking cheaper than the generic one (PostgreSQL then
plans on every run: `api.begin_llm_call`'s chain query cost 0.53 ms of planning per call for
0.18 ms of work), or (b) a function reading an RLS table runs as different roles in turn (its
plan depends on the role, so each switch plans it again: `authz.load_model` shared by
`authz.check` as claw_owner and by the reader made a bench that alternates the two forms
twice as slow). Counted with pg_stat_statements (track = all, track_planning on for this
database): after warm-up rounds, no nested statement that runs once per round may be planned
in more than half of its runs.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from conftest import Database, seed_tenants

WARM_UP = 8
ROUNDS = 20

MODEL = {"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "invoice": {"relations": {
        "owner": {"this": ["user"]},
        "blocked": {"this": ["user"]},
        "approver": {"union": [{"this": ["user", "team#member"]}, {"computed": "owner"}]},
        "viewer": {"exclusion": {"base": {"computed": "approver"},
                                 "subtract": {"computed": "blocked"}}},
    }},
}}
TUPLES = [{"object": "team:t1", "relation": "member", "subject": "user:ann"},
          {"object": "invoice:1", "relation": "approver", "subject": "team:t1#member"},
          {"object": "invoice:1", "relation": "owner", "subject": "user:bob"}]
ATTEMPTS = json.dumps([{"model": "gpt-4o-mini", "route_position": 1, "input_tokens": 60,
                        "output_tokens": 8, "cached_tokens": 0, "latency_ms": 3,
                        "outcome": "ok"}])


def one_round(conn: psycopg.Connection[Any], key: str, n: int) -> None:
    """A permission check and a decision in turn (as the authz bench asks them), a routed LLM
    call's two statements, and an enqueue, each in its own transaction as an application
    makes them."""
    auth = "SELECT * FROM api.authenticate(p_api_key => %s)"
    subject = ("user:ann", "user:bob", "user:nobody")[n % 3]
    with conn.transaction():
        conn.execute(auth, (key,))
        for relation in ("viewer", "approver"):
            conn.execute("SELECT * FROM api.check_permission('invoice:1', %s, %s)",
                         (relation, subject))
            conn.execute("SELECT api.is_permitted('invoice:1', %s, %s)", (relation, subject))
    with conn.transaction():
        conn.execute(auth, (key,))
        begun = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                             "p_input_tokens => 60)").fetchone()[0]
    with conn.transaction():
        conn.execute(auth, (key,))
        conn.execute("SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s)",
                     (begun["reservation_id"], ATTEMPTS))
    with conn.transaction():
        conn.execute(auth, (key,))
        conn.execute("SELECT api.enqueue_job(p_queue => 'plans', p_kind => 'noop')")


def test_hot_paths_are_not_planned_on_every_call(db: Database) -> None:
    tenant = seed_tenants(db, names=("a",), extra_principals=0)["a"]
    with db.connect() as admin:
        admin.autocommit = True
        admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        name, dboid = admin.execute("SELECT current_database(), oid FROM pg_database "
                                    "WHERE datname = current_database()").fetchone()
        admin.execute(f'ALTER DATABASE "{name}" SET pg_stat_statements.track_planning = on')
        with db.connect("claw_runtime") as conn:
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
                conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
                conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(TUPLES),))
                conn.execute("SELECT * FROM api.set_llm_route(p_task => 'summarise', "
                             "p_models => '{gpt-4o-mini,claude-haiku-4-5}')")
                conn.execute("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
                             "p_limit_usd => 1000)")
            for n in range(WARM_UP):
                one_round(conn, tenant.api_key, n)
            admin.execute("SELECT pg_stat_statements_reset()")
            for n in range(ROUNDS):
                one_round(conn, tenant.api_key, n)
        rows = admin.execute(
            "SELECT calls, plans, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) "
            "FROM pg_stat_statements WHERE dbid = %s AND NOT toplevel", (dboid,)).fetchall()
    # the guard must see the paths it guards: each form's statements ran every round
    assert sum(1 for calls, _, _ in rows if calls >= ROUNDS) > 40, rows
    replanned = [r for r in rows if r[0] >= ROUNDS and r[1] * 2 > r[0]]
    assert replanned == [], "statements planned again on most runs (calls, plans, query)"
