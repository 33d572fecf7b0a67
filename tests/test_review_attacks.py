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
