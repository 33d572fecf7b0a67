"""`claw jwt ...`: the platform operator registers a tenant's identity providers.

Which (iss, aud) pair routes tokens to which tenant decides who a token is, so registration
is an operator action (functions/tenancy/jwt_issuers.sql, not granted to any login role);
this module only calls those functions over the administrator connection. JWKS documents
come from a file or from the issuer's URL (httpx, TLS verified, 1 MiB at most)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from claw.errors import ClawSetupError

MAX_JWKS_BYTES = 1 << 20


def fetch_jwks(conn: psycopg.Connection[Any], url: str, timeout: float = 10.0) -> Any:
    """The JWKS document at url, if the database's rule (tenancy.valid_jwks_url: https, or
    plain http to this host only) accepts the URL: keys fetched over http from elsewhere can
    be replaced by anyone on the network path."""
    import httpx

    row = conn.execute("SELECT tenancy.valid_jwks_url(%s)", (url,)).fetchone()
    if row is None or not row[0]:
        raise ClawSetupError(f"refusing {url}: a JWKS URL is https (plain http only to this "
                             f"host: 127.0.0.1, [::1] or localhost)")
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        response = client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        if len(response.content) > MAX_JWKS_BYTES:
            raise ClawSetupError(f"the JWKS at {url} is larger than {MAX_JWKS_BYTES} bytes")
        return response.json()


def read_jwks(path: str) -> Any:
    data = Path(path).read_bytes()
    if len(data) > MAX_JWKS_BYTES:
        raise ClawSetupError(f"{path} is larger than {MAX_JWKS_BYTES} bytes")
    try:
        return json.loads(data)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ClawSetupError(f"{path} is not a JWKS document (JSON): {exc}") from exc


def _set_keys(conn: psycopg.Connection[Any], issuer_id: str, document: Any) -> None:
    for kid, action in conn.execute("SELECT kid, action FROM tenancy.set_jwt_keys("
                                    "p_jwt_issuer_id => %s, p_jwks => %s)",
                                    (issuer_id, Jsonb(document))).fetchall():
        print(f"{kid} {action}")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("jwt", help="JWT issuers, keys and subjects of tenants (platform operators)")
    acts = p.add_subparsers(dest="action", required=True)
    a = acts.add_parser("add", help="accept an issuer's tokens for an audience in a tenant")
    a.add_argument("tenant_id", metavar="TENANT", help="the tenant's id or slug")
    a.add_argument("issuer")
    a.add_argument("audience")
    a.add_argument("--skew", type=int, default=60, help="allowed clock skew in seconds (0-300)")
    a.add_argument("--jwks-url", default=None, help="where `claw jwt refresh` fetches the keys")
    s = acts.add_parser("set-keys", help="the issuer's keys become exactly those of a JWKS")
    s.add_argument("issuer_id")
    src = s.add_mutually_exclusive_group(required=True)
    src.add_argument("--file")
    src.add_argument("--url")
    r = acts.add_parser("refresh", help="set-keys from the issuer's registered JWKS URL")
    r.add_argument("issuer_id")
    k = acts.add_parser("remove-key", help="stop one kid at once")
    k.add_argument("issuer_id")
    k.add_argument("kid")
    d = acts.add_parser("remove", help="stop accepting an issuer (route, keys, subject links)")
    d.add_argument("issuer_id")
    c = acts.add_parser("skew", help="set an issuer's allowed clock skew (seconds, 0-300)")
    c.add_argument("issuer_id")
    c.add_argument("seconds", type=int)
    ln = acts.add_parser("link", help="tokens with this sub act as this principal")
    ln.add_argument("issuer_id")
    ln.add_argument("subject")
    ln.add_argument("principal_id")
    acts.add_parser("list", help="issuers, audiences, skew and kids of every tenant")


def tenant_id_of(conn: psycopg.Connection[Any], tenant: str) -> str:
    """TENANT as given: the tenant id, or the slug `claw tenant create` took (a slug was a
    raw 22P02 'invalid input syntax for type uuid')."""
    row = conn.execute("SELECT tenant_id::text FROM tenancy.tenants "
                       "WHERE tenant_id::text = lower(%s) OR slug = %s", (tenant, tenant)).fetchone()
    if row is None:
        raise ClawSetupError(f"no tenant {tenant!r}: pass its id or its slug "
                             "(claw tenant create printed both)")
    return str(row[0])


def run(args: argparse.Namespace, admin_url: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if args.action == "add":
            args.tenant_id = tenant_id_of(conn, args.tenant_id)
            row = conn.execute("SELECT tenancy.add_jwt_issuer(p_tenant_id => %s, p_issuer => %s, "
                               "p_audience => %s, p_max_skew_seconds => %s, p_jwks_url => %s)",
                               (args.tenant_id, args.issuer, args.audience, args.skew,
                                args.jwks_url)).fetchone()
            assert row is not None
            print(f"issuer {row[0]} added: tokens of {args.issuer} for {args.audience} "
                  f"go to tenant {args.tenant_id}")
            return 0
        if args.action == "set-keys":
            document = read_jwks(args.file) if args.file else fetch_jwks(conn, args.url)
            with conn.transaction():
                _set_keys(conn, args.issuer_id, document)
            return 0
        if args.action == "refresh":
            row = conn.execute("SELECT jwks_url FROM tenancy.jwt_issuers WHERE jwt_issuer_id = %s",
                               (args.issuer_id,)).fetchone()
            if row is None or row[0] is None:
                raise ClawSetupError(f"issuer {args.issuer_id} is unknown or has no JWKS URL")
            document = fetch_jwks(conn, row[0])
            with conn.transaction():
                _set_keys(conn, args.issuer_id, document)
            return 0
        if args.action == "remove-key":
            conn.execute("SELECT tenancy.remove_jwt_key(p_jwt_issuer_id => %s, p_kid => %s)",
                         (args.issuer_id, args.kid))
            print(f"{args.kid} removed")
            return 0
        if args.action == "remove":
            conn.execute("SELECT tenancy.remove_jwt_issuer(p_jwt_issuer_id => %s)",
                         (args.issuer_id,))
            print(f"issuer {args.issuer_id} removed")
            return 0
        if args.action == "skew":
            conn.execute("SELECT tenancy.configure_jwt_issuer(p_jwt_issuer_id => %s, "
                         "p_max_skew_seconds => %s)", (args.issuer_id, args.seconds))
            print(f"issuer {args.issuer_id}: skew {args.seconds} s")
            return 0
        if args.action == "link":
            conn.execute("SELECT tenancy.link_jwt_subject(p_jwt_issuer_id => %s, p_subject => %s, "
                         "p_principal_id => %s)", (args.issuer_id, args.subject, args.principal_id))
            print(f"subject {args.subject} -> principal {args.principal_id}")
            return 0
        rows = conn.execute("""
            SELECT i.jwt_issuer_id, i.tenant_id, i.issuer, i.audience, i.max_skew_seconds,
                   coalesce(string_agg(k.kid || ' (' || k.modulus_bytes * 8 || ' bit, '
                                       || k.thumbprint || ')', ', ' ORDER BY k.kid), 'no keys')
            FROM tenancy.jwt_issuers i
            LEFT JOIN tenancy.jwt_keys k USING (tenant_id, jwt_issuer_id)
            GROUP BY i.jwt_issuer_id, i.tenant_id, i.issuer, i.audience, i.max_skew_seconds
            ORDER BY i.tenant_id, i.issuer, i.audience""").fetchall()
        for issuer_id, tenant_id, issuer, audience, skew, kids in rows:
            print(f"{issuer_id} tenant {tenant_id} iss {issuer} aud {audience} skew {skew}s "
                  f"keys: {kids}")
        return 0
