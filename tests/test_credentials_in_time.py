"""Credentials at the instant they are presented, and the operator's JWT issuer input (found
by an outside-in probe of tenancy administration):
  * an API key's expiry, and a JWT's exp, nbf and iat, were compared with the transaction's
    start: a transaction opened before a key or token expired authenticated with it for as
    long as it stayed open;
  * a JWKS URL over 2000 characters was a raw 23514 (the column's limit), and two operators
    registering one issuer and audience at once gave the second a raw 23505."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from conftest import Database, Tenant, seeded  # noqa: F401 (seeded: fixture)
from jwt_support import Key, claims, jwks
from test_api_keys import act


def test_a_key_that_expires_while_a_transaction_is_open_stops_authenticating(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    a = tenants["a"]
    [(short,)] = act(db, a.api_key, "SELECT api_key FROM api.create_api_key(p_name => 'short', "
                                    "p_expires_at => clock_timestamp() + interval '1.5 seconds')")
    with db.connect("claw_runtime", autocommit=False) as conn:
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (short,))
        time.sleep(2)
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (short,))
        assert err.value.sqlstate == "CL401" and "expired" in err.value.diag.message_primary


def test_a_token_that_expires_while_a_transaction_is_open_stops_authenticating(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    a = tenants["a"]
    key = Key.generate("k1")
    with db.connect() as su:  # no clock skew allowed, so exp is exact
        issuer = su.execute("SELECT tenancy.add_jwt_issuer(%s, 'https://idp.example.test/', "
                            "'claw-a', 0)", (a.tenant_id,)).fetchone()[0]
        su.execute("SELECT * FROM tenancy.set_jwt_keys(%s, %s)",
                   (issuer, psycopg.types.json.Jsonb(jwks(key))))
        su.execute("SELECT tenancy.link_jwt_subject(%s, 'alice', %s)", (issuer, a.owner_id))
    token = key.sign(claims("claw-a", "alice", lifetime=2))
    with db.connect("claw_runtime", autocommit=False) as conn:
        conn.execute("SELECT * FROM api.authenticate_jwt(p_token => %s)", (token,))
        time.sleep(3)
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT * FROM api.authenticate_jwt(p_token => %s)", (token,))
        assert err.value.sqlstate == "CL401" and err.value.diag.message_primary == "token expired"


def test_jwks_url_past_its_limit_is_cl422(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    with db.connect() as su, pytest.raises(psycopg.Error) as err:
        su.execute("SELECT tenancy.add_jwt_issuer(%s, 'https://idp.example.test/', 'aud', 60, "
                   "'https://idp.example.test/' || repeat('x', 2100))", (tenants["a"].tenant_id,))
    assert err.value.sqlstate == "CL422", err.value


def test_two_operators_adding_one_issuer_pair_get_cl409_not_23505(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    add = "SELECT tenancy.add_jwt_issuer(%s, 'https://idp.example.test/', 'same-aud')"
    out: dict[str, str | None] = {}
    with db.connect(autocommit=False) as first:
        first.execute(add, (tenants["a"].tenant_id,))

        def second() -> None:
            with db.connect(autocommit=False) as conn:
                try:
                    conn.execute(add, (tenants["b"].tenant_id,))
                    conn.commit()
                    out["state"] = None
                except psycopg.Error as exc:
                    out["state"] = exc.sqlstate

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        first.commit()
        thread.join(10)
    assert out["state"] == "CL409", out
