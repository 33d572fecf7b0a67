"""A price version added while calls are being priced (llm.set_price against
api.begin_llm_call). Every ledger row names the price version it was costed with
(price_valid_from), and that must stay the version llm.price_at names for the row's instant:
otherwise the ledger and the catalogue disagree about what a call cost. Each test holds one
side's transaction open on its own connection while the other side runs, the interleaving a
busy tenant and an operator in psql produce by chance."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from test_llm import ONE_ATTEMPT, Env, env  # noqa: F401 (env: fixture)

MODEL = "gpt-4o-mini"


def waits_for_lock(env: Env, pid: int) -> bool:
    """Is backend pid waiting on a lock (an advisory one here)?"""
    [(waiting,)] = env.superuser(
        "SELECT count(*) > 0 FROM pg_locks WHERE pid = %s AND NOT granted", (pid,))
    return bool(waiting)


def in_background(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except psycopg.Error as exc:
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def settle(env: Env, call: dict[str, Any]) -> None:
    with env.db.connect("claw_runtime") as conn:
        conn.execute("SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
                     "p_call_token => %s)",
                     (call["reservation_id"], ONE_ATTEMPT, call["call_token"]))


def ledger_agrees_with_catalogue(env: Env) -> list[tuple[Any, ...]]:
    """The priced ledger rows whose version is not the one llm.price_at names for them."""
    return env.superuser(
        "SELECT c.call_id, c.occurred_at, c.price_valid_from, p.valid_from "
        "FROM llm.calls AS c LEFT JOIN LATERAL llm.price_at(c.model, c.occurred_at) AS p ON true "
        "WHERE c.price_valid_from IS NOT NULL "
        "AND c.price_valid_from IS DISTINCT FROM p.valid_from")


def test_a_price_added_in_an_open_transaction_does_not_reprice_calls_begun_meanwhile(
        env: Env) -> None:
    """An operator adds a price 'from now' in psql and commits a moment later. A call that
    begins and settles in that moment is costed with the version it can see (the old one);
    the new version must not then take force over the instant that call is ledgered at.
    Before the fix the version's valid_from was the operator's transaction start, so the
    ledger named the old version while llm.price_at named the new one. Now the call waits
    for the operator's transaction and is priced with the version that committed, or it
    began before the new version's valid_from."""
    with env.db.connect() as op:
        op.execute("BEGIN")
        op.execute(f"SELECT llm.set_price('{MODEL}', 5, 2, 20)")
        time.sleep(0.05)  # the call's transaction starts after the operator's

        def call() -> None:
            with env.db.connect("claw_runtime") as conn, conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
                [(c,)] = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                                      "p_input_tokens => 100)").fetchall()
            settle(env, c)

        t, out = in_background(call)
        t.join(1.0)
        waited = t.is_alive()  # the begin waits for the operator's transaction
        op.execute("COMMIT")
        t.join(30)
    assert not t.is_alive()
    assert "error" not in out, out.get("error")
    assert waited, "the call was priced while the new version was uncommitted"
    [(priced,)] = env.superuser("SELECT count(*) FROM llm.calls WHERE price_valid_from IS NOT NULL")
    assert priced == 1
    assert ledger_agrees_with_catalogue(env) == []


def test_a_back_dated_price_waits_for_a_call_being_begun_and_then_sees_it(env: Env) -> None:
    """A call's begin is not committed yet when the operator back-dates a price to before
    it. Before the fix set_price did not see the uncommitted reservation and added the
    version; the call then settled under a version its reservation did not hold. Now
    set_price waits for the begin to commit, sees the call in flight and refuses (CL409),
    writing nothing."""
    versions = f"SELECT count(*) FROM internal.llm_prices WHERE model = '{MODEL}'"
    [(before,)] = env.superuser(versions)
    [(past,)] = env.superuser("SELECT now() - interval '1 second'")
    with env.db.connect("claw_runtime") as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
        [(c,)] = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                              "p_input_tokens => 100)").fetchall()
        with env.db.connect() as op:
            pid = op.info.backend_pid
            t, out = in_background(lambda: op.execute(
                f"SELECT llm.set_price('{MODEL}', 9, 9, 9, %s)", (past,)).fetchall())
            deadline = time.monotonic() + 10
            while not waits_for_lock(env, pid) and t.is_alive() \
                    and time.monotonic() < deadline:
                time.sleep(0.01)
            waited = waits_for_lock(env, pid)
            conn.execute("COMMIT")
            t.join(30)
    assert waited, "set_price did not wait for the call being begun"
    assert isinstance(out.get("error"), psycopg.Error), out
    assert out["error"].sqlstate == "CL409", str(out["error"])
    assert "in flight" in (out["error"].diag.message_detail or "")
    assert env.superuser(versions) == [(before,)]
    settle(env, c)
    assert ledger_agrees_with_catalogue(env) == []


def test_a_default_version_takes_force_when_its_lock_is_granted(env: Env) -> None:
    """The operator's transaction is open before a call begins and settles (no lock is held
    yet, so nothing waits); then set_price adds a version 'from now'. Dated from the
    operator's transaction start, as before, it would take force over the instant that call
    was ledgered at, with the old version; dated from when its lock was granted, it does not."""
    with env.db.connect() as op:
        op.execute("BEGIN")
        op.execute("SELECT now()")  # the transaction has begun
        time.sleep(0.05)
        with env.db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (env.key,))
            [(c,)] = conn.execute("SELECT api.begin_llm_call(p_task => 'summarise', "
                                  "p_input_tokens => 100)").fetchall()
        settle(env, c)
        op.execute(f"SELECT llm.set_price('{MODEL}', 5, 2, 20)")
        op.execute("COMMIT")
    [(priced,)] = env.superuser("SELECT count(*) FROM llm.calls WHERE price_valid_from IS NOT NULL")
    assert priced == 1
    assert ledger_agrees_with_catalogue(env) == []
