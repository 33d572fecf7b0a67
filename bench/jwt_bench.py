"""What verifying a JWT in the database costs: api.authenticate_jwt (RS256 verified in
PL/pgSQL: numeric modexp, EMSA-PKCS1-v1_5 encode-and-compare, claims, principal) against
api.authenticate (an API key: one sha256 and a lookup) and PyJWT's verification in Python
(OpenSSL through cryptography), all in one run.

Printed, p50 and p99 in ms over --calls calls each:
  client-side  one round trip per call as claw_runtime (`SELECT * FROM api.authenticate_jwt($1)`
               in autocommit: the context ends with the statement), loopback included;
  inside PostgreSQL  the same calls timed with clock_timestamp() around each call in one
               PL/pgSQL loop (no round trip);
  the RSA verification alone (internal.rsa_verify_sha256) inside PostgreSQL;
  PyJWT jwt.decode(token, key, algorithms=["RS256"], audience=..., issuer=...) in Python.
Target: the RS256 verification about 1 ms or less; nothing is cached between calls.

Run: .venv/bin/python bench/jwt_bench.py [--calls 2000] [--bits 2048]
It uses the embedded cluster (or DATABASE_URL) and a scratch database `claw_bench_jwt`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jwt
import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from isolation_audit import at_least, pct, scratch_database, url_for  # noqa: E402
from jwt_support import ISSUER, Key, claims, jwks  # noqa: E402

from claw import config, db  # noqa: E402

BENCH_DB = "claw_bench_jwt"

INSIDE = """
DO $bench$
DECLARE t0 timestamptz; i integer; a record;
BEGIN
  SELECT * INTO a FROM pg_temp.args;
  FOR i IN 1..%(calls)s LOOP
    t0 := clock_timestamp();
    PERFORM %(call)s;
    INSERT INTO pg_temp.timings VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END $bench$;
"""


def client_side(url: str, sql: str, arg: str, calls: int) -> list[float]:
    out = []
    with psycopg.connect(url, autocommit=True, prepare_threshold=0) as conn:
        for _ in range(50):
            conn.execute(sql, (arg,)).fetchall()
        for _ in range(calls):
            t0 = time.perf_counter()
            conn.execute(sql, (arg,)).fetchall()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def inside(admin: str, call: str, calls: int, args: dict[str, str]) -> list[float]:
    """Credentials reach the loop through a temporary table, never as literals in SQL."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE args (token text, api_key text, signing_input text, "
                     "signature text)")
        conn.execute("INSERT INTO args VALUES (%(token)s, %(api_key)s, %(signing_input)s, "
                     "%(signature)s)", args)
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS timings (ms float8)")
        conn.execute("TRUNCATE timings")
        conn.execute(INSIDE % {"calls": 50, "call": call})
        conn.execute("TRUNCATE timings")
        conn.execute(INSIDE % {"calls": calls, "call": call})
        return [r[0] for r in conn.execute("SELECT ms FROM timings")]


def row(label: str, xs: list[float]) -> tuple[str, float, float]:
    p50, p99 = pct(xs, 50), pct(xs, 99)
    print(f"| {label} | {p50:.3f} ms | {p99:.3f} ms |")
    return label, p50, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=at_least(1), default=2000)
    parser.add_argument("--bits", type=int, default=2048, choices=(2048, 3072, 4096, 8192),
                        help="RSA key size (Claw accepts 2048 to 8192-bit keys)")
    args = parser.parse_args()

    admin = scratch_database(BENCH_DB)
    runtime = url_for(db.role_url(config.settings(), "runtime"), BENCH_DB)
    key = Key.generate("bench", args.bits)
    with psycopg.connect(admin, autocommit=True) as conn:
        tenant, owner, api_key = conn.execute(
            "SELECT tenant_id, principal_id, api_key FROM tenancy.create_tenant("
            "'jwt-bench', 'JWT bench', 'owner', 'Owner')").fetchone()
        issuer = conn.execute("SELECT tenancy.add_jwt_issuer(%s, %s, 'claw-bench')",
                              (tenant, ISSUER)).fetchone()[0]
        conn.execute("SELECT * FROM tenancy.set_jwt_keys(%s, %s)", (issuer, Jsonb(jwks(key))))
        conn.execute("SELECT tenancy.link_jwt_subject(%s, 'bench-user', %s)", (issuer, owner))
        n, e, k, prefix = conn.execute(
            "SELECT n::text, e::text, modulus_bytes, em_prefix::text FROM tenancy.jwt_keys").fetchone()
    token = key.sign(claims("claw-bench", "bench-user", lifetime=3600))
    head, payload, sig = token.split(".")

    with psycopg.connect(admin) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    print(f"{args.calls} calls each, RSA {args.bits} bit, e = 65537; PostgreSQL {version}")
    print("| measurement | p50 | p99 |")
    print("| --- | --- | --- |")
    jwt_client = row("api.authenticate_jwt, client-side (one round trip)",
                     client_side(runtime, "SELECT * FROM api.authenticate_jwt(p_token => %s)",
                                 token, args.calls))
    key_client = row("api.authenticate (API key), client-side (one round trip)",
                     client_side(runtime, "SELECT * FROM api.authenticate(p_api_key => %s)",
                                 api_key, args.calls))
    values = {"token": token, "api_key": api_key, "signing_input": f"{head}.{payload}",
              "signature": sig}
    jwt_inside = row("api.authenticate_jwt, inside PostgreSQL",
                     inside(admin, "api.authenticate_jwt(a.token)", args.calls, values))
    key_inside = row("api.authenticate (API key), inside PostgreSQL",
                     inside(admin, "api.authenticate(a.api_key)", args.calls, values))
    rsa = row("RS256 signature check alone (internal.rsa_verify_sha256), inside PostgreSQL",
              inside(admin, "internal.rsa_verify_sha256(convert_to(a.signing_input, 'UTF8'), "
                            f"internal.b64url_decode(a.signature), {n}::numeric, {e}::numeric, "
                            f"{k}, {prefix}::numeric)", args.calls, values))
    public = key.private.public_key()
    py = []
    for i in range(args.calls + 50):
        t0 = time.perf_counter()
        jwt.decode(token, public, algorithms=["RS256"], audience="claw-bench", issuer=ISSUER)
        if i >= 50:
            py.append((time.perf_counter() - t0) * 1000)
    pyjwt = row(f"PyJWT {jwt.__version__} jwt.decode (RS256, aud, iss, exp), in Python", py)
    print()
    print(f"authenticate_jwt / authenticate, client-side p50: {jwt_client[1] / key_client[1]:.2f}x; "
          f"inside PostgreSQL: {jwt_inside[1] / key_inside[1]:.2f}x")
    print(f"authenticate_jwt inside PostgreSQL / PyJWT decode, p50: {jwt_inside[1] / pyjwt[1]:.2f}x; "
          f"RS256 check in SQL / PyJWT decode: {rsa[1] / pyjwt[1]:.2f}x")
    print(f"target: RS256 verification ~1 ms or less: p50 {rsa[1]:.3f} ms, p99 {rsa[2]:.3f} ms "
          f"-> {'met' if rsa[2] <= 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
