"""Security review attacks (branch review): each test is an attack that succeeded against the
code on main before its fix; the fix commit makes it fail. Attacks run as claw_runtime, what
an application (or a SQL injection in it) holds."""

from __future__ import annotations

import psycopg
import pytest

from jwt_support import b64url_json, claims
from test_jwt_attacks import World, authenticate, keys, refusal, world  # noqa: F401 (fixtures)


def test_jwt_scope_with_a_comma_cannot_smuggle_the_wildcard_scope(world: World) -> None:
    """The context stores scopes joined with ',' and splits them again: a scope claim
    "members:read,*" came back as the two scopes members:read and '*' (every scope), though the
    token never granted '*'. Scopes that are not Claw scopes (area:read / area:write / '*')
    match nothing, so they are dropped before the context is set."""
    token = world.k1.sign(claims("claw-a", "user-a", scope="openid queue:read members:read,*"))
    with world.db.connect("claw_runtime") as conn:
        with conn.transaction():
            _, _, _, scopes = authenticate(conn, token)
            ctx_scopes = conn.execute("SELECT scopes FROM api.whoami()").fetchone()[0]
            assert "*" not in (ctx_scopes or []), f"the context holds {ctx_scopes}"
            assert scopes == ctx_scopes == ["queue:read"]
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'q', p_kind => 'k')")
            assert info.value.sqlstate == "CL403"


def test_jwt_scope_with_a_pipe_is_not_a_broken_context(world: World) -> None:
    """A '|' in a scope made the context unparsable (seven fields): authenticate_jwt
    succeeded yet the transaction had no context at all. Now the scope is dropped and the
    context holds."""
    token = world.k1.sign(claims("claw-a", "user-a", scope="queue:read a|b"))
    with world.db.connect("claw_runtime") as conn:
        with conn.transaction():
            authenticate(conn, token)
            row = conn.execute("SELECT tenant_id::text, scopes FROM api.whoami()").fetchone()
            assert row == (world.a.tenant_id, ["queue:read"])


@pytest.mark.parametrize("payload", [
    '{"iss":"x","big":1e1000000}',              # numeric overflow while parsing jsonb
    '[' * 6000 + ']' * 6000,                     # deep nesting (jsonb copes)
    '[' * 12000,                                 # deeper, unterminated
    '{"a":"\\ud800"}',                            # a lone surrogate escape
])
def test_unsigned_garbage_json_is_refused_with_cl401(world: World, payload: str) -> None:
    """Before any signature check, a header or payload that is valid JSON to the grammar but
    that jsonb cannot hold must be a CL401 refusal, not an internal error (500)."""
    import base64
    part = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    head = b64url_json({"alg": "RS256", "kid": "k1"})
    for token in (f"{head}.{part}.AAAA", f"{part}.{head}.AAAA"):
        err = refusal(world.db, token)
        assert err is not None and err.sqlstate == "CL401", repr(err)
        assert err.diag.message_primary == "malformed token"


def test_jwt_signature_has_one_encoding(world: World) -> None:
    """base64url is decoded strictly: the last character of a 256-byte signature carries 4
    unused bits, and a token whose signature differs from a valid one only in those bits is
    another string for the same signature (a second token anything keyed on the token text,
    a cache, a replay or revocation list, would not recognise). It is refused as malformed."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    token = world.k1.sign(claims("claw-a", "user-a"))
    head, payload, sig = token.split(".")
    assert len(sig) == 342  # 2048 bits in 342 characters: the last one has 4 spare bits
    last = alphabet.index(sig[-1])
    twin = f"{head}.{payload}.{sig[:-1]}{alphabet[last | 0x0F if last & 0x0F == 0 else last & 0x30]}"
    assert twin != token and refusal(world.db, token) is None
    err = refusal(world.db, twin)
    assert err is not None and err.sqlstate == "CL401", "a second encoding of the signature verified"


def test_idempotency_settings_set_by_the_caller_store_nothing(db_edge: tuple) -> None:
    """api.finish_idempotent_request trusted the transaction-local settings claw.idempotent_*,
    which any caller can set: without begin (so without its in-flight lock and its check of
    the stored request), a caller stored a made-up response under a key it never began, and
    a later real request with that key replayed it and never ran. Begin now binds the
    settings to the tenant, principal, key and transaction with a MAC finish checks."""
    import hashlib

    from test_edge import BEGIN, FINISH, auth
    db, a = db_edge
    body_sha = hashlib.sha256(b'{"queue": "q"}').hexdigest()
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            auth(conn, a)
            for name, value in (("key", "planted"), ("method", "POST"), ("path", "/v1/jobs"),
                                ("sha256", body_sha)):
                conn.execute("SELECT set_config(%s, %s, true)", (f"claw.idempotent_{name}", value))
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute(FINISH, ("planted", 201, "{}", '{"job_id": "made-up"}'))
            assert info.value.sqlstate == "CL409"
        with conn.transaction():
            auth(conn, a)
            replay = conn.execute(BEGIN, ("planted", "POST", "/v1/jobs", body_sha)).fetchone()
            assert replay is not None and replay[0] is False, "the planted response replays"


def test_idempotency_begun_key_cannot_be_swapped_for_another(db_edge: tuple) -> None:
    """Begin one key, then point the settings at another: finish must refuse, or it stores
    under a key whose in-flight lock this transaction never took."""
    import hashlib

    from test_edge import BEGIN, FINISH, auth
    db, a = db_edge
    body_sha = hashlib.sha256(b"{}").hexdigest()
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        assert conn.execute(BEGIN, ("k1", "POST", "/v1/jobs", body_sha)).fetchone()[0] is False
        conn.execute("SELECT set_config('claw.idempotent_key', 'k2', true)")
        with pytest.raises(psycopg.Error) as info, conn.transaction():
            conn.execute(FINISH, ("k2", 200, "{}", "x"))
        assert info.value.sqlstate == "CL409"
        conn.execute("SELECT set_config('claw.idempotent_key', 'k1', true)")
        conn.execute(FINISH, ("k1", 200, "{}", "x"))  # the begun key still finishes


@pytest.fixture
def db_edge(db):  # type: ignore[no-untyped-def]
    from conftest import seed_tenants
    return db, seed_tenants(db, names=("a",), extra_principals=0)["a"]


def test_a_principal_without_roles_is_held_to_its_tenants_limits(db_edge: tuple) -> None:
    """Sound (checked): the limits are read under the tenant policy alone, so a principal
    with no membership (no roles) gets its tenant's configured limits, not the defaults."""
    from test_edge import TOKEN
    db, a = db_edge
    with db.connect() as owner:
        owner.execute("SELECT edge.set_request_limits(%s, p_credential_per_minute => 60, "
                      "p_credential_burst => 2)", (a.tenant_id,))
        with owner.transaction():
            owner.execute("SELECT internal.set_context(%s, NULL, '{system}')", (a.tenant_id,))
            nobody = owner.execute(
                "INSERT INTO tenancy.principals (tenant_id, kind, handle, display_name) "
                "VALUES (%s, 'service', 'nobody', 'Nobody') RETURNING principal_id",
                (a.tenant_id,)).fetchone()[0]
            key = owner.execute("SELECT api_key FROM tenancy.issue_api_key(%s, 'k', '{*}', NULL)",
                                (nobody,)).fetchone()[0]
    results = []
    for _ in range(3):
        with db.connect("claw_runtime") as conn, conn.transaction():
            roles = conn.execute("SELECT roles FROM api.authenticate(p_api_key => %s)",
                                 (key,)).fetchone()[0]
            assert roles == []
            results.append(conn.execute(TOKEN).fetchone()[:3])
    assert results == [(True, "credential", 60), (True, "credential", 60),
                       (False, "credential", 60)]


def test_read_events_never_returns_the_readers_own_uncommitted_events(db_edge: tuple) -> None:
    """Sound (checked): a reader that wrote events in its own transaction does not get them
    (its own xid holds the snapshot's xmin), so a position can never point at events that a
    rollback then removes."""
    from test_edge import auth
    db, a = db_edge
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            auth(conn, a)
            conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'q', p_kind => 'k')")
            assert conn.execute("SELECT event_id FROM api.read_events()").fetchall() == []
        with conn.transaction():
            auth(conn, a)
            assert len(conn.execute("SELECT event_id FROM api.read_events()").fetchall()) == 1


@pytest.mark.parametrize("position", ["99999999999999999999-1", "1-99999999999999999999",
                                      "18446744073709551615-9223372036854775807", "-1-1",
                                      "1-1-1", "", "0x10-1"])
def test_crafted_event_positions_are_cl422_or_empty(db_edge: tuple, position: str) -> None:
    """Sound (checked): crafted positions are CL422 or simply past everything, never a 500."""
    from test_edge import auth
    db, a = db_edge
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        try:
            with conn.transaction():
                assert conn.execute("SELECT * FROM api.read_events(p_after => %s)",
                                    (position,)).fetchall() == []
        except psycopg.Error as exc:
            assert exc.sqlstate == "CL422", repr(exc)


@pytest.mark.parametrize("cursor", ["", ".", "a.b", "!!!.x", "e30", "e30.", "=.=", "a" * 3000,
                                    "eyJhdCI6IjIwMjYifQ.00000000000000000000000000000000",
                                    "\u00e9.\u00e9", "a.b.c"])
@pytest.mark.parametrize("sql", ["SELECT * FROM api.list_jobs(p_cursor => %s)",
                                 "SELECT * FROM api.list_principals(p_cursor => %s)",
                                 "SELECT * FROM api.list_api_keys(p_cursor => %s)",
                                 "SELECT * FROM api.list_schedules(p_cursor => %s)"])
def test_crafted_cursors_are_cl422(db_edge: tuple, sql: str, cursor: str) -> None:
    """Sound (checked): a forged or malformed cursor is CL422 in every list, never a 500."""
    from test_edge import auth
    db, a = db_edge
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        with pytest.raises(psycopg.Error) as info, conn.transaction():
            conn.execute(sql, (cursor,))
        assert info.value.sqlstate == "CL422", repr(info.value)


def admin_key(db, tenant) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A principal with the admin role (not owner) in the tenant, and its API key."""
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        admin = conn.execute("SELECT api.create_principal(p_kind => 'person', p_handle => 'adm', "
                             "p_display_name => 'Admin', p_roles => '{admin}')").fetchone()[0]
        key = conn.execute("SELECT api_key FROM api.create_api_key(p_name => 'adm', "
                           "p_principal_id => %s)", (admin,)).fetchone()[0]
    return str(admin), key


def test_an_admin_cannot_link_a_token_subject_to_an_owner(world: World) -> None:
    """Only an owner grants owner (api.grant_role), but an admin could link a subject it
    controls at the identity provider to an owner principal and sign in as that owner. Linking
    a subject to an owner now needs an owner."""
    _, key = admin_key(world.db, world.a)
    with world.db.connect("claw_runtime") as conn:
        with conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
            try:
                with conn.transaction():
                    conn.execute("SELECT api.link_jwt_subject(%s, 'admins-idp-account', %s)",
                                 (world.issuer_a, world.a.owner_id))
            except psycopg.Error as exc:
                assert exc.sqlstate == "CL403", repr(exc)
        with conn.transaction():
            err = None
            try:
                with conn.transaction():
                    roles = authenticate(conn, world.k1.sign(claims("claw-a", "admins-idp-account")))[2]
                    assert "owner" not in roles, "an admin signed in as the owner"
            except psycopg.Error as exc:
                err = exc
            assert err is not None and err.diag.message_primary == "unknown subject"


def test_an_admin_cannot_issue_an_api_key_for_an_owner(world: World) -> None:
    """The same escalation with an API key: an admin issued a key for the owner principal
    (create_api_key allows owner/admin for any principal) and acted as owner."""
    _, key = admin_key(world.db, world.a)
    with world.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
        with pytest.raises(psycopg.Error) as info, conn.transaction():
            conn.execute("SELECT api_key FROM api.create_api_key(p_name => 'mine-now', "
                         "p_principal_id => %s)", (world.a.owner_id,))
        assert info.value.sqlstate == "CL403"
