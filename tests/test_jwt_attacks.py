"""JWT attacks against api.authenticate_jwt, with real RS256 keys (cryptography) and tokens
(PyJWT, and hand-built ones for what PyJWT refuses to produce).

Every attack runs twice: against a deliberately broken version of the check it targets (the
function re-created with that check removed or weakened, as a careless implementation would
have it), where it must succeed, and against the real function, where it must fail with
CL401 naming the check. So each test shows that the defence, not an accident, stops it.
Attacks run as claw_runtime, what an application (or a SQL injection in it) holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from conftest import ROOT, Database, Tenant, run_cli, seed_tenants
from jwt_support import (ISSUER, Key, claims, hs256_with_public_key, jwks, tamper_payload,
                         unsigned)

AUTH_FILE = ROOT / "functions" / "api" / "authenticate_jwt.sql"
CONTEXT_FILE = ROOT / "functions" / "internal" / "tenant_context.sql"


@dataclass
class World:
    db: Database
    a: Tenant
    b: Tenant
    issuer_a: str
    issuer_b: str
    k1: Key
    k2: Key
    stranger: Key  # an attacker's key, published nowhere, under the kid k1


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    return {"k1": Key.generate("k1"), "k2": Key.generate("k2"),
            "stranger": Key.generate("k1")}  # an attacker's key, under a published kid


@pytest.fixture
def world(db: Database, keys: dict[str, Key]) -> World:
    tenants = seed_tenants(db, ("a", "b"), extra_principals=1)
    a, b = tenants["a"], tenants["b"]
    with db.connect() as conn:
        ids = {}
        for t in (a, b):
            issuer_id = conn.execute(
                "SELECT tenancy.add_jwt_issuer(%s, %s, %s)",
                (t.tenant_id, ISSUER, f"claw-{t.name}")).fetchone()[0]
            conn.execute("SELECT * FROM tenancy.set_jwt_keys(%s, %s)",
                         (issuer_id, psycopg.types.json.Jsonb(jwks(keys["k1"]))))
            conn.execute("SELECT tenancy.link_jwt_subject(%s, %s, %s)",
                         (issuer_id, f"user-{t.name}", t.owner_id))
            ids[t.name] = str(issuer_id)
        # tenant B has a job, tenant A a disabled principal linked to a subject
        with conn.transaction():
            conn.execute("SELECT internal.set_context(%s, %s, '{owner}')", (b.tenant_id, b.owner_id))
            conn.execute("SELECT api.enqueue_job(p_queue => 'q', p_kind => 'secret-of-b')")
            conn.execute("SELECT internal.set_context(%s, NULL, '{system}')", (a.tenant_id,))
            disabled = conn.execute(
                "INSERT INTO tenancy.principals (tenant_id, kind, handle, display_name, disabled_at) "
                "VALUES (%s, 'person', 'gone', 'Gone', now()) RETURNING principal_id",
                (a.tenant_id,)).fetchone()[0]
            conn.execute("SELECT tenancy.link_jwt_subject(%s, 'user-gone', %s)", (ids["a"], disabled))
    return World(db, a, b, ids["a"], ids["b"], keys["k1"], keys["k2"], keys["stranger"])


def authenticate(conn: psycopg.Connection, token: str) -> tuple[str, str, list[str], list[str]]:
    row = conn.execute("SELECT tenant_id::text, principal_id::text, roles, scopes "
                       "FROM api.authenticate_jwt(p_token => %s)", (token,)).fetchone()
    assert row is not None
    return row


def refusal(db: Database, token: str) -> psycopg.Error | None:
    """The error api.authenticate_jwt raises for this token as claw_runtime, or None."""
    with db.connect("claw_runtime") as conn:
        try:
            with conn.transaction():
                authenticate(conn, token)
        except psycopg.Error as exc:
            return exc
    return None


def replace_function(db: Database, path: Path, old: str, new: str) -> None:
    """Re-create the function(s) of `path` with `old` replaced by `new` (a broken check)."""
    source = path.read_text()
    assert old in source, f"mutation target not found in {path.name}: {old!r}"
    with db.connect() as conn:
        conn.execute("SET ROLE claw_owner")
        conn.execute(source.replace(old, new))


def restore(db: Database, path: Path) -> None:
    with db.connect() as conn:
        conn.execute("SET ROLE claw_owner")
        conn.execute(path.read_text())


# Broken versions of single checks: (old text, new text) in authenticate_jwt.sql.
SIG = ("IF NOT internal.rsa_verify_sha256(", "IF false AND NOT internal.rsa_verify_sha256(")
ALG_TRUSTED = ("""IF (v_header -> 'alg') IS DISTINCT FROM '"RS256"'::jsonb THEN""",
               """IF (v_header ->> 'alg') NOT IN ('RS256', 'HS256', 'none') THEN""")
EXP = ("IF v_now >= (v_claims ->> 'exp')::numeric + v_skew THEN", "IF false THEN")
NBF = ("IF v_now + v_skew < (v_claims ->> 'nbf')::numeric THEN", "IF false THEN")
IAT = ("IF v_now + v_skew < (v_claims ->> 'iat')::numeric THEN", "IF false THEN")
AUD = ("WHERE r.issuer = v_claims ->> 'iss' AND r.audience = ANY (v_auds);",
       "WHERE r.issuer = v_claims ->> 'iss' AND r.tenant_id = (SELECT min(x.tenant_id::text)::uuid "
       "FROM internal.jwt_routes AS x);")
ISS = ("WHERE r.issuer = v_claims ->> 'iss' AND r.audience = ANY (v_auds);",
       "WHERE r.audience = ANY (v_auds);")
KID = ("    AND k.kid = v_header ->> 'kid';", "    ;")
DISABLED = ("IF v_subject.disabled_at IS NOT NULL THEN", "IF false THEN")


# The classic library bug: the header picks the algorithm, and "none" or "HS256" skip the
# RSA verification (a shared-secret path would check an HMAC keyed with the key material).
ALG_FROM_HEADER = [ALG_TRUSTED, ("IF NOT internal.rsa_verify_sha256(",
                                 "IF v_header ->> 'alg' = 'RS256' AND NOT internal.rsa_verify_sha256(")]


Attack = Callable[[World], str]
ATTACKS: dict[str, tuple[Attack, str, list[tuple[str, str]]]] = {
    "expired": (lambda w: w.k1.sign(claims("claw-a", "user-a", time.time() - 7200)),
                "token expired", [EXP]),
    "not_yet_valid": (lambda w: w.k1.sign(claims("claw-a", "user-a", nbf=int(time.time()) + 3600)),
                      "token not yet valid", [NBF]),
    "iat_in_the_future_beyond_skew": (
        lambda w: w.k1.sign(claims("claw-a", "user-a", iat=int(time.time()) + 600)),
        "token issued in the future", [IAT]),
    "wrong_audience": (lambda w: w.k1.sign(claims("claw-elsewhere", "user-a")),
                       "wrong audience", [AUD]),
    "wrong_issuer": (lambda w: w.k1.sign({**claims("claw-a", "user-a"), "iss": "https://evil.test/"}),
                     "unknown issuer", [ISS]),
    "unknown_kid": (lambda w: w.k1.sign(claims("claw-a", "user-a"), kid="k9"), "unknown kid", [KID]),
    "alg_none": (lambda w: unsigned(claims("claw-a", "user-a"), "k1") + "eA",
                 "algorithm not allowed", ALG_FROM_HEADER),
    "alg_confusion_hs256_with_rsa_public_key": (
        lambda w: hs256_with_public_key(claims("claw-a", "user-a"), w.k1),
        "algorithm not allowed", ALG_FROM_HEADER),
    "tampered_payload": (
        lambda w: tamper_payload(w.k1.sign(claims("claw-a", "user-a", scope="queue:read")),
                                 scope="*"),
        "bad signature", [SIG]),
    "signature_of_another_key": (
        lambda w: w.stranger.sign(claims("claw-a", "user-a")),
        "bad signature", [SIG]),
    "disabled_principal": (lambda w: w.k1.sign(claims("claw-a", "user-gone")),
                           "principal disabled", [DISABLED]),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_works_against_a_broken_check_and_fails_against_the_real_one(
        world: World, name: str) -> None:
    make, message, mutations = ATTACKS[name]
    token = make(world)
    source = AUTH_FILE.read_text()
    broken = source
    for old, new in mutations:
        assert old in broken, f"mutation target not found: {old!r}"
        broken = broken.replace(old, new)
    with world.db.connect() as conn:
        conn.execute("SET ROLE claw_owner")
        conn.execute(broken)
    assert refusal(world.db, token) is None, f"{name}: the broken check should let it through"
    restore(world.db, AUTH_FILE)
    err = refusal(world.db, token)
    assert err is not None and err.sqlstate == "CL401", f"{name}: not refused: {err!r}"
    assert err.diag.message_primary == message
    assert err.diag.message_hint
    detail = err.diag.message_detail or ""
    for part in token.split("."):
        assert not part or part not in detail, "the detail echoes the token"


def test_valid_token_sets_the_context_for_one_transaction(world: World) -> None:
    token = world.k1.sign(claims("claw-a", "user-a", scope="members:read queue:read"))
    with world.db.connect("claw_runtime") as conn:
        with conn.transaction():
            tenant, principal, roles, scopes = authenticate(conn, token)
            assert (tenant, principal, roles) == (world.a.tenant_id, world.a.owner_id, ["owner"])
            assert scopes == ["members:read", "queue:read"]
            assert conn.execute("SELECT tenant_id::text FROM api.whoami()").fetchone() == (tenant,)
            handles = {r[0] for r in conn.execute("SELECT handle FROM api.list_principals()")}
            assert handles == {"owner", "p0", "gone"}
            with pytest.raises(psycopg.Error) as info, conn.transaction():  # scopes bind
                conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'q', p_kind => 'k')")
            assert info.value.sqlstate == "CL403"
        assert conn.execute("SELECT * FROM api.whoami()").fetchall() == []


def test_a_token_for_tenant_a_cannot_read_tenant_b(world: World) -> None:
    """A's audience leads to A; B's job is invisible to it, by id or by listing. Against the
    broken audience check (first tenant's route for the issuer), the same idea: the route,
    not the token's say, decides the tenant."""
    with world.db.connect() as conn:
        with conn.transaction():
            conn.execute("SELECT internal.set_context(%s, %s, '{owner}')",
                         (world.b.tenant_id, world.b.owner_id))
            job_b = conn.execute("SELECT job_id FROM api.list_jobs()").fetchone()[0]
    token = world.k1.sign(claims("claw-a", "user-a"))
    with world.db.connect("claw_runtime") as conn:
        with conn.transaction():
            assert authenticate(conn, token)[0] == world.a.tenant_id
            assert conn.execute("SELECT count(*) FROM api.list_jobs()").fetchone() == (0,)
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT * FROM api.get_job(%s)", (job_b,))
            assert info.value.sqlstate == "CL404"
        # a token naming both audiences is ambiguous, never "the first one"
        both = world.k1.sign(claims(["claw-a", "claw-b"], "user-b"))
        with pytest.raises(psycopg.Error) as info, conn.transaction():
            authenticate(conn, both)
        assert info.value.diag.message_primary == "ambiguous audience"
        # B's subject under A's audience is not B's owner: subjects are per issuer and tenant
        with pytest.raises(psycopg.Error) as info, conn.transaction():
            authenticate(conn, world.k1.sign(claims("claw-a", "user-b")))
        assert info.value.diag.message_primary == "unknown subject"


def test_a_raw_set_of_the_context_gives_nothing(world: World) -> None:
    """The settings of a real JWT-authenticated transaction, replayed by the runtime role in
    another transaction: no tenant. Against a broken context check (MAC and xid binding
    removed) the replay works, which is what the MAC is for."""
    token = world.k1.sign(claims("claw-a", "user-a"))

    def replay() -> list[tuple[str]]:
        with world.db.connect("claw_runtime") as conn:
            with conn.transaction():
                authenticate(conn, token)
                pair = conn.execute("SELECT current_setting('claw.ctx'), "
                                    "current_setting('claw.ctx_mac')").fetchone()
            with conn.transaction():
                conn.execute("SELECT pg_current_xact_id()")
                conn.execute("SELECT set_config('claw.ctx', %s, true), "
                             "set_config('claw.ctx_mac', %s, true)", pair)
                return conn.execute("SELECT tenant_id::text FROM api.whoami()").fetchall()

    replace_function(world.db, CONTEXT_FILE,
                     "IF v_parts[5] IS DISTINCT FROM pg_catalog.pg_current_xact_id_if_assigned()::text THEN",
                     "IF false THEN")
    assert replay() == [(world.a.tenant_id,)], "without the xid binding a replay works"
    restore(world.db, CONTEXT_FILE)
    assert replay() == []


def test_key_rotation_keeps_both_kids_valid_and_a_removed_kid_fails(world: World) -> None:
    old = world.k1.sign(claims("claw-a", "user-a"))
    new = world.k2.sign(claims("claw-a", "user-a"))
    assert refusal(world.db, new).diag.message_primary == "unknown kid"
    with world.db.connect() as conn:
        actions = dict(conn.execute("SELECT * FROM tenancy.set_jwt_keys(%s, %s)",
                                    (world.issuer_a,
                                     psycopg.types.json.Jsonb(jwks(world.k1, world.k2)))).fetchall())
    assert actions == {"k1": "kept", "k2": "added"}
    assert refusal(world.db, old) is None and refusal(world.db, new) is None
    with world.db.connect() as conn:  # the IdP stops publishing k1
        actions = dict(conn.execute("SELECT * FROM tenancy.set_jwt_keys(%s, %s)",
                                    (world.issuer_a,
                                     psycopg.types.json.Jsonb(jwks(world.k2)))).fetchall())
        assert actions == {"k1": "removed", "k2": "kept"}
        events = [r[0] for r in conn.execute(
            "SELECT action FROM audit.events WHERE tenant_id = %s AND target_table = 'tenancy.jwt_keys' "
            "ORDER BY seq", (world.a.tenant_id,))]
    assert events == ["tenancy.jwt_keys.insert", "tenancy.jwt_keys.insert", "tenancy.jwt_keys.delete"]
    assert refusal(world.db, old).diag.message_primary == "unknown kid"
    assert refusal(world.db, new) is None


def test_claw_jwt_cli_registers_from_a_file_and_a_url(db: Database, tmp_path: Path,
                                                     keys: dict[str, Key]) -> None:
    """`claw jwt add`, `set-keys --file`, `refresh` (JWKS from the issuer's URL, fetched with
    httpx), `link`, `remove-key`, `list`: the operator's path end to end."""
    import http.server
    import json
    import threading

    tenants = seed_tenants(db, ("a",), extra_principals=0)
    env = {"DATABASE_URL": db.url()}
    body = json.dumps(jwks(keys["k1"], keys["k2"])).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        out = run_cli("jwt", "add", tenants["a"].tenant_id, ISSUER, "claw-a", "--jwks-url", url,
                      env=env)
        assert out.returncode == 0, out.stderr
        issuer_id = out.stdout.split()[1]
        path = tmp_path / "jwks.json"
        path.write_text(json.dumps(jwks(keys["k1"])))
        out = run_cli("jwt", "set-keys", issuer_id, "--file", str(path), env=env)
        assert out.returncode == 0 and "k1 added" in out.stdout, out.stdout + out.stderr
        out = run_cli("jwt", "refresh", issuer_id, env=env)
        assert out.returncode == 0 and "k2 added" in out.stdout, out.stdout + out.stderr
        out = run_cli("jwt", "link", issuer_id, "user-a", tenants["a"].owner_id, env=env)
        assert out.returncode == 0, out.stderr
        assert refusal(db, keys["k2"].sign(claims("claw-a", "user-a"))) is None
        out = run_cli("jwt", "remove-key", issuer_id, "k2", env=env)
        assert out.returncode == 0, out.stderr
        assert refusal(db, keys["k2"].sign(claims("claw-a", "user-a"))).diag.message_primary == "unknown kid"
        out = run_cli("jwt", "list", env=env)
        assert out.returncode == 0 and "claw-a" in out.stdout and "k1" in out.stdout, out.stdout
        out = run_cli("jwt", "add", tenants["a"].tenant_id, ISSUER, "claw-a", env=env)
        assert out.returncode != 0 and "CL409" in out.stderr
    finally:
        server.shutdown()


@pytest.mark.parametrize("url,accepted", [
    ("https://idp.example.test/.well-known/jwks.json", True),
    ("http://127.0.0.1:8080/jwks.json", True),       # a sidecar on this host
    ("http://localhost/jwks.json", True),
    ("http://idp.example.test/.well-known/jwks.json", False),  # keys anyone on the path sets
    ("http://127.0.0.1.evil.test/jwks.json", False),
    ("http://localhost@evil.test/jwks.json", False),
    ("ftp://idp.example.test/jwks.json", False),
])
def test_a_jwks_url_must_be_https_off_this_host(db: Database, url: str, accepted: bool) -> None:
    """Signing keys fetched over plain http from another host can be replaced by anyone on
    the network path, who then mints tokens for the tenant."""
    tenant = seed_tenants(db, ("a",), extra_principals=0)["a"]
    with db.connect() as conn:
        try:
            issuer = conn.execute("SELECT tenancy.add_jwt_issuer(%s, %s, 'claw-a', "
                                  "p_jwks_url => %s)", (tenant.tenant_id, ISSUER, url)).fetchone()
            assert accepted and issuer is not None
            with pytest.raises(psycopg.Error) as err:  # nor set later
                conn.execute("SELECT tenancy.configure_jwt_issuer(%s, 60, %s)",
                             (issuer[0], "http://idp.example.test/jwks.json"))
            assert err.value.sqlstate == "CL422"
        except psycopg.Error as exc:
            assert not accepted and exc.sqlstate == "CL422", exc


def test_owners_list_their_issuers_and_link_subjects_but_never_another_tenants(world: World) -> None:
    """Tenant owners and admins see their own issuers and map subjects to their principals;
    the context stays theirs (linking never hands the transaction a system context); a
    viewer may not link; another tenant's issuer is not found."""
    with world.db.connect() as conn:
        viewer = conn.execute("SELECT principal_id::text FROM tenancy.principals "
                              "WHERE tenant_id = %s AND handle = 'p0'", (world.a.tenant_id,)).fetchone()[0]
    with world.db.connect("claw_runtime") as conn:
        with conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (world.a.api_key,))
            rows = conn.execute("SELECT jwt_issuer_id::text, audience, kids, subjects "
                                "FROM api.list_jwt_issuers()").fetchall()
            assert rows == [(world.issuer_a, "claw-a", ["k1"], 2)]
            conn.execute("SELECT api.link_jwt_subject(%s, 'user-p0', %s)", (world.issuer_a, viewer))
            assert conn.execute("SELECT principal_id::text, roles FROM api.whoami()").fetchone() == (
                world.a.owner_id, ["owner"])
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT api.link_jwt_subject(%s, 'x', %s)", (world.issuer_b, viewer))
            assert info.value.sqlstate == "CL404"
        with conn.transaction():
            tenant, principal, roles, _ = authenticate(conn, world.k1.sign(claims("claw-a", "user-p0")))
            assert (tenant, principal) == (world.a.tenant_id, viewer) and roles != ["owner"]
            with pytest.raises(psycopg.Error) as info, conn.transaction():
                conn.execute("SELECT api.link_jwt_subject(%s, 'user-p0', %s)",
                             (world.issuer_a, world.a.owner_id))
            assert info.value.sqlstate == "CL403"


@pytest.mark.parametrize("source", ["missing file", "not JSON", "unreachable URL"])
def test_claw_jwt_set_keys_reports_a_bad_source_without_a_traceback(
        db: Database, tmp_path: Path, source: str) -> None:
    bad = tmp_path / "jwks.json"
    bad.write_text("{not json")
    where = {"missing file": ["--file", str(tmp_path / "nope.json")],
             "not JSON": ["--file", str(bad)],
             "unreachable URL": ["--url", "https://127.0.0.1:1/jwks.json"]}[source]
    out = run_cli("jwt", "set-keys", "00000000-0000-0000-0000-000000000000", *where,
                  env={"DATABASE_URL": db.url()})
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr, out.stderr[-600:]
    assert out.stderr.startswith("claw: "), out.stderr


@pytest.mark.parametrize("size", [20000, 70000])
def test_an_oversized_token_is_a_malformed_token(world: World, size: int) -> None:
    """Over the 16 KiB a token may have it is malformed (CL401), also past the 64 KiB size
    guard of every text input, which answered CL422 'input too large' naming p_token."""
    err = refusal(world.db, "x" * size)
    assert err is not None and err.sqlstate == "CL401", err
    assert err.diag.message_primary == "malformed token"


@pytest.mark.parametrize("scope, scopes", [
    (["queue:read", "openid"], ["queue:read"]),
    (["queue:read members:read"], []),   # an array's elements are whole scopes
    ([], []),
    (None, None), ({"queue": "read"}, None), (1, None), ([1, "queue:read"], None),
], ids=["array", "array element with a space", "empty array", "null", "object", "number",
        "array of a number"])
def test_a_scope_claim_that_is_not_a_string_never_grants_every_scope(
        world: World, scope: Any, scopes: list[str] | None) -> None:
    """Found by a review: a `scope` claim that was present but not a string (an array, as
    some identity providers send it, or null) authenticated with every scope ('*'), the
    meaning of no claim at all. An array of strings now means those scopes (Claw's among
    them); any other shape is a malformed token (CL401)."""
    token = world.k1.sign(claims("claw-a", "user-a", scope=scope))
    if scopes is None:
        err = refusal(world.db, token)
        assert err is not None and err.sqlstate == "CL401", err
        assert err.diag.message_primary == "malformed token"
        return
    with world.db.connect("claw_runtime") as conn, conn.transaction():
        assert authenticate(conn, token)[3] == scopes
