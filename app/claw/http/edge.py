"""The request transaction: who is calling, rate limits, idempotency keys, and the one
transaction in which a route acts.

    rate limit (one autocommit statement):  authenticate; api.take_request_token
    the request (pipelined, see Edge.run):  BEGIN; authenticate (and set claw.trace_id);
                                            [api.begin_idempotent_request]; the route's api
                                            calls; [api.finish_idempotent_request]; COMMIT

The tenant context exists only inside a transaction that verified a credential, so every
transaction the edge opens for a client starts with api.authenticate (API key, `ck_...`) or
api.authenticate_jwt (any other bearer token). Keys and tokens travel as bound parameters,
never in a query's text.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
import psycopg_pool
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from starlette.responses import Response

from claw.errors import ClawSetupError
from claw.http.problems import Problem
from claw.http.settings import HttpSettings
from claw.http.telemetry import current_trace_id

# The second parameter is synchronous_commit for the request's transaction: 'off' only for
# requests that write nothing durable (GET and HEAD: the authenticated context assigns a
# transaction id, so even a read commits a record PostgreSQL would otherwise wait to flush;
# an API key's last_used_at, written at most once a minute, may then be lost in a crash,
# nothing else).
AUTHENTICATE = {
    "api_key": "SELECT a.tenant_id, a.principal_id, a.roles, a.scopes, "
               "set_config('claw.trace_id', %s, true) AS trace, "
               "set_config('synchronous_commit', %s, true) AS sync "
               "FROM api.authenticate(p_api_key => %s) AS a",
    "jwt": "SELECT a.tenant_id, a.principal_id, a.roles, a.scopes, "
           "set_config('claw.trace_id', %s, true) AS trace, "
           "set_config('synchronous_commit', %s, true) AS sync "
           "FROM api.authenticate_jwt(p_token => %s) AS a",
}
SAFE_METHODS = frozenset({"GET", "HEAD"})
# The rate-limit transaction is this one statement (autocommit: one round trip). LATERAL
# with a reference to the authentication's row makes PostgreSQL authenticate first. The
# buckets are UNLOGGED (a crash resets them anyway), so the commit does not wait for a WAL
# flush: the tenant's bucket row, which every request of the tenant takes, was held locked
# through each flush, and that queue was the edge's bottleneck under load
# (bench/http_bench.py, 200 users: p50 290 -> 40 ms, 139 -> 171 requests/s).
TAKE_TOKEN = {
    kind: "SELECT t.allowed, t.scope, t.limit_per_minute, t.remaining, t.reset_seconds, "
          "t.retry_after_seconds, set_config('synchronous_commit', 'off', true) AS sync "
          "FROM api.{fn}({arg} => %s) AS a CROSS JOIN LATERAL "
          "api.take_request_token(p_cost => %s + 0 * pg_catalog.length(a.tenant_id::text)) AS t"
          .format(fn=fn, arg=arg)
    for kind, fn, arg in (("api_key", "authenticate", "p_api_key"),
                          ("jwt", "authenticate_jwt", "p_token"))}
# a stored response's mark that fields shown once were withheld from it (never sent)
SECRET_FIELDS_HEADER = "claw-withheld-fields"
BEGIN_IDEMPOTENT = ("SELECT replay, status, headers, body FROM api.begin_idempotent_request("
                    "p_key => %s, p_method => %s, p_path => %s, p_request_sha256 => %s)")
FINISH_IDEMPOTENT = ("SELECT api.finish_idempotent_request(p_key => %s, p_status => %s, "
                     "p_headers => %s, p_body => %s)")
CAPABILITIES = """
SELECT to_regprocedure('api.authenticate_jwt(text)') IS NOT NULL AS jwt,
       to_regprocedure('api.take_request_token(integer)') IS NOT NULL AS rate_limits,
       to_regprocedure('api.begin_idempotent_request(text,text,text,text)') IS NOT NULL
         AS idempotency,
       to_regprocedure('api.read_events(text,integer)') IS NOT NULL AS events,
       to_regprocedure('api.role_safety_problems()') IS NOT NULL AS role_safety
"""
JSON = "application/json"
# response headers an idempotent replay repeats (the rest describe this request, not that one)
STORED_HEADERS = ("content-type", "location")


@dataclass(frozen=True)
class Credential:
    kind: str   # "api_key" or "jwt"
    token: str


@dataclass
class Capabilities:
    """What the migrated database offers (features light up as their SQL lands)."""

    jwt: bool = False
    rate_limits: bool = False
    idempotency: bool = False
    events: bool = False
    role_safety: bool = False


@dataclass
class Caller:
    tenant_id: str
    principal_id: str
    roles: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)


def credential(request: Request) -> Credential:
    """The bearer credential of a request, or a 401 problem."""
    header = request.headers.get("authorization")
    if not header:
        raise Problem(401, "unauthenticated", "missing Authorization header",
                      hint="send Authorization: Bearer <API key (ck_...) or JWT>")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "unauthenticated", "the Authorization header is not a bearer credential",
                      hint="send Authorization: Bearer <API key (ck_...) or JWT>")
    return Credential("api_key" if token.startswith("ck_") else "jwt", token)


async def fetch_all(conn: psycopg.AsyncConnection[Any], sql: str,
                    params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql, params)
    return await cur.fetchall()


async def fetch_one(conn: psycopg.AsyncConnection[Any], sql: str,
                    params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql, params)
    return await cur.fetchone()


def dump(result: Any) -> bytes:
    if isinstance(result, BaseModel):
        return result.model_dump_json().encode()
    return json.dumps(jsonable_encoder(result)).encode()


def _caller_of(row: dict[str, Any]) -> Caller:
    return Caller(str(row["tenant_id"]), str(row["principal_id"]), list(row["roles"] or []),
                  list(row["scopes"] or []))


class Edge:
    """The pool and the request transaction, shared by every route of one process."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.pool = AsyncConnectionPool(
            settings.database_url, min_size=settings.pool_min, max_size=settings.pool_max,
            timeout=settings.pool_timeout, kwargs={"autocommit": True}, open=False,
            name="claw-http")
        self.caps = Capabilities()
        self.detected = False  # caps read from the database (and its roles found safe)
        self.unsafe: str | None = None
        self._detecting = asyncio.Lock()
        self.closing = False

    async def _detect(self) -> None:
        """Read what the database offers and check its roles: once, when it first answers."""
        async with self.pool.connection(timeout=self.settings.pool_timeout) as conn:
            row = await fetch_one(conn, CAPABILITIES)
            caps = Capabilities(**row) if row else Capabilities()
            problems = await fetch_all(conn, "SELECT role_name, problem "
                                       "FROM api.role_safety_problems()") \
                if caps.role_safety else []
        self.caps = caps
        self.unsafe = "; ".join(f"{p['role_name']} {p['problem']}" for p in problems) or None
        self.detected = True

    async def open(self) -> None:
        await self.pool.open(wait=False)
        try:
            await self._detect()
        except (psycopg.Error, psycopg_pool.PoolTimeout):
            # the database does not answer now: /readyz says so, and the first request (or
            # readiness probe) that reaches it reads the capabilities then; they stayed off
            # for good before, a server with rate limits, idempotency, JWTs and events
            # silently disabled
            return
        if self.unsafe:
            raise ClawSetupError(
                "Claw refuses to serve: roles that act for applications and workers must be "
                "bound by Row-Level Security: " + self.unsafe)

    async def ensure_capabilities(self) -> None:
        """Before any request's work: the capabilities, read now if the database did not
        answer at startup; a 503 while it still does not, or while its roles are unsafe."""
        if not self.detected:
            async with self._detecting:
                if not self.detected:
                    try:
                        await self._detect()
                    except (psycopg.Error, psycopg_pool.PoolTimeout):
                        raise Problem(503, "database_unavailable",
                                      "the database cannot be reached; retry later",
                                      headers={"Retry-After": "1"}) from None
        if self.unsafe:
            raise Problem(503, "database_unavailable", "the server refuses to serve: roles "
                          "that act for applications are not bound by Row-Level Security",
                          hint="see the server's log; fix the roles (claw migrate says how)",
                          headers={"Retry-After": "60"})

    async def close(self) -> None:
        await self.pool.close()

    # -- the transaction --------------------------------------------------------------------

    def accepts(self, cred: Credential) -> None:
        """A JWT is a 401 until the database can verify JWTs (api.authenticate_jwt)."""
        if cred.kind == "jwt" and not self.caps.jwt:
            raise Problem(401, "unauthenticated", "this server accepts only API keys",
                          hint="send Authorization: Bearer ck_...")

    async def _send_authentication(self, cur: psycopg.AsyncCursor[Any], cred: Credential,
                                   durable: bool = True) -> None:
        """Execute api.authenticate / api.authenticate_jwt on `cur` in the open transaction
        (in a pipeline: queue it); also writes the request's trace id into the transaction
        (claw.trace_id: rows with a trace_id column take it). durable=False: the transaction
        writes nothing that must survive a crash, so its commit need not wait for the WAL
        flush."""
        self.accepts(cred)
        await cur.execute(AUTHENTICATE[cred.kind],
                          (current_trace_id() or "", "on" if durable else "off", cred.token))

    @staticmethod
    async def _caller(cur: psycopg.AsyncCursor[Any]) -> Caller | None:
        """The caller an authentication cursor returned, or None (refused, never reached)."""
        result = cur.pgresult
        if result is None or result.status != psycopg.pq.ExecStatus.TUPLES_OK:
            return None
        row = await cur.fetchone()
        return None if row is None else _caller_of(row)

    async def authenticate(self, conn: psycopg.AsyncConnection[Any], cred: Credential,
                           durable: bool = True) -> Caller:
        """api.authenticate / api.authenticate_jwt in the open transaction, its caller."""
        cur = conn.cursor(row_factory=dict_row)
        await self._send_authentication(cur, cred, durable)
        row = await cur.fetchone()
        assert row is not None
        return _caller_of(row)

    @asynccontextmanager
    async def transaction(self, request: Request,
                          cred: Credential | None = None) -> AsyncIterator[
                              psycopg.AsyncConnection[Any]]:
        """One authenticated transaction on a pooled connection."""
        await self.ensure_capabilities()
        cred = cred or credential(request)
        async with self.pool.connection() as conn, conn.transaction():
            request.state.caller = await self.authenticate(conn, cred)
            yield conn

    async def _take(self, conn: psycopg.AsyncConnection[Any], cred: Credential,
                    cost: int) -> dict[str, Any] | None:
        """The rate-limit transaction: authenticate and take the token in one autocommit
        statement, before (and apart from) the request's transaction, so a failing request
        is still charged and the bucket rows are locked for microseconds."""
        return await fetch_one(conn, TAKE_TOKEN[cred.kind], (cred.token, cost))

    @staticmethod
    def _limit_headers(row: dict[str, Any] | None) -> dict[str, str]:
        """The RateLimit headers of a take_request_token row; the 429 problem if refused."""
        assert row is not None
        scope = row["scope"]
        headers = {
            "RateLimit-Policy": f'"{scope}";q={row["limit_per_minute"]};w=60',
            "RateLimit": f'"{scope}";r={max(row["remaining"], 0)};t={max(row["reset_seconds"], 0)}',
        }
        if not row["allowed"]:
            retry = max(int(row["retry_after_seconds"] or 1), 1)
            raise Problem(429, "limited", f"the {scope} rate limit of "
                          f"{row['limit_per_minute']} requests per minute is exhausted",
                          hint=f"retry after {retry} s", headers={**headers,
                                                                  "Retry-After": str(retry)},
                          scope=scope)
        return headers

    async def take_token(self, cred: Credential, cost: int = 1) -> dict[str, str]:
        """Charge the caller's buckets (one statement on a connection of its own).
        Returns the RateLimit headers; raises the 429 problem when refused."""
        await self.ensure_capabilities()
        if not self.caps.rate_limits:
            return {}
        self.accepts(cred)
        async with self.pool.connection() as conn:
            return self._limit_headers(await self._take(conn, cred, cost))

    async def verify(self, cred: Credential) -> dict[str, str]:
        """Authenticate in a short transaction of its own (a database without rate limits,
        where `take_token` verifies nothing); the 401 problem if refused."""
        async with self.pool.connection() as conn, conn.transaction():
            await self.authenticate(conn, cred, durable=False)
        return {}

    # -- a route's whole request ------------------------------------------------------------

    async def run(self, request: Request,
                  act: Callable[[psycopg.AsyncConnection[Any]], Awaitable[Any]], *,
                  status: int = 200, idempotent: bool = False,
                  location: Callable[[Any], str] | None = None,
                  secrets: tuple[str, ...] = (),
                  before: Callable[[], Awaitable[None]] | None = None) -> Response:
        """On one pooled connection: the rate-limit statement, then the request's transaction:
        authenticate, [begin the idempotent request], act, [store the response], commit.
        `act` returns the response model (None: 204).

        The transaction is pipelined (psycopg's pipeline mode): BEGIN and the authentication
        travel with the first statement whose result is needed, and the idempotency record
        and COMMIT with the final sync, so a read is three round trips (the rate limit, the
        statements, the commit) instead of five, and a write with an Idempotency-Key four
        instead of seven. Nothing runs unauthenticated: the server executes a pipeline in
        order and skips everything after a failed statement (a refused credential) until the
        sync, and the transaction commits only if COMMIT is reached; any exception rolls it
        back.

        `secrets`: fields of the response shown once (a created API key). The response kept for
        an Idempotency-Key has them set to null, and its replay is a 409
        `secret_not_replayed` problem carrying that response: the request did succeed, and
        the secret is not kept anywhere (the database refuses to store a whole key).

        `before`: work to do outside the transaction, without a connection held (embedding a
        search query: a local model's CPU, or a paid provider call). It runs only once the
        credential is verified and the rate limit charged (`take_token`), so a refused or
        limited caller costs nothing."""
        cred = credential(request)
        await self.ensure_capabilities()
        self.accepts(cred)
        key = request.headers.get("idempotency-key") if idempotent else None
        if key is not None and not self.caps.idempotency:
            raise Problem(501, "not_implemented", "this database does not keep idempotency keys",
                          hint="migrate the database, or send the request without Idempotency-Key")
        charged: dict[str, str] | None = None
        if before is not None:
            charged = (await self.take_token(cred) if self.caps.rate_limits
                       else await self.verify(cred))
            await before()
        async with self.pool.connection() as conn:
            if charged is not None:
                headers = charged
            else:
                headers = (self._limit_headers(await self._take(conn, cred, 1))
                           if self.caps.rate_limits else {})
            auth = conn.cursor(row_factory=dict_row)
            try:
                async with conn.pipeline():
                    await conn.execute("BEGIN", prepare=False)
                    await self._send_authentication(
                        auth, cred, durable=request.method not in SAFE_METHODS)
                    if key is not None:
                        digest = hashlib.sha256(await request.body()).hexdigest()
                        path = request.url.path + (f"?{request.url.query}"
                                                   if request.url.query else "")
                        stored = await fetch_one(conn, BEGIN_IDEMPOTENT,
                                                 (key, request.method, path, digest))
                        assert stored is not None
                        if stored["replay"]:
                            await conn.execute("COMMIT", prepare=False)
                            replay_headers = {**(stored["headers"] or {}), **headers,
                                              "Idempotent-Replayed": "true"}
                            withheld = replay_headers.pop(SECRET_FIELDS_HEADER, None)
                            body = (stored["body"] or "").encode()
                            if withheld is not None:
                                raise Problem(
                                    409, "secret_not_replayed",
                                    f"the first request with this Idempotency-Key succeeded; "
                                    f"its response held a secret ({withheld}) that is shown "
                                    f"once and was not kept",
                                    hint="if the first response was lost, revoke what it "
                                         "created (its id is in `response`) and create another "
                                         "with a new Idempotency-Key",
                                    headers={k: v for k, v in replay_headers.items()
                                             if k.lower() != "content-type"},
                                    response=json.loads(body))
                            return Response(body or None, stored["status"],
                                            headers=replay_headers)
                    result = await act(conn)
                    out_status = 204 if result is None else status
                    body = b"" if result is None else dump(result)
                    out_headers: dict[str, str] = {}
                    if result is not None:
                        out_headers["content-type"] = JSON
                        if location is not None:
                            out_headers["location"] = location(result)
                    if key is not None:
                        kept, kept_headers = body, out_headers
                        if secrets and result is not None:
                            kept = json.dumps({**json.loads(body),
                                               **dict.fromkeys(secrets)}).encode()
                            kept_headers = {**out_headers,
                                            SECRET_FIELDS_HEADER: ", ".join(secrets)}
                        await conn.execute(FINISH_IDEMPOTENT,
                                           (key, out_status, Jsonb(kept_headers), kept.decode()))
                    await conn.execute("COMMIT", prepare=False)
            finally:
                request.state.caller = await self._caller(auth)
                if conn.info.transaction_status in (TransactionStatus.INTRANS,
                                                    TransactionStatus.INERROR):
                    await conn.rollback()  # an exception before COMMIT: nothing is kept
        return Response(body or None, out_status, headers={**out_headers, **headers})
