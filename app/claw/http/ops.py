"""Routes outside the tenant API: health probes, the auditor's verification, the event
stream."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

import psycopg
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.security import HTTPBasic, HTTPBearer
from starlette.responses import JSONResponse, Response, StreamingResponse

from claw.audit import root_problem
from claw.http import models as m
from claw.http.edge import credential, fetch_all
from claw.http.events import EventStream, start_position
from claw.http.problems import Problem, from_database
from claw.http.routes import COMMON, PROBLEM, edge_of

log = logging.getLogger("claw.http")
health_router = APIRouter(tags=["health"])


@health_router.get("/healthz", response_model=m.Health, summary="Liveness: the process answers")
async def healthz() -> dict[str, Any]:
    return {"status": "ok", "checks": {}}


@health_router.get("/readyz", response_model=m.Health,
                   responses={503: {"model": m.Health, "description": "not ready"}},
                   summary="Readiness: the database answers and the runtime and worker roles "
                   "are bound by RLS (api.role_safety_problems)")
async def readyz(request: Request) -> Response:
    edge = edge_of(request)
    checks: dict[str, Any] = {}
    ready = not edge.closing
    checks["shutting_down"] = edge.closing
    try:
        if not edge.detected:  # the database did not answer at startup: read them now
            await edge.ensure_capabilities()
        checks["capabilities"] = "ok" if edge.detected else "unknown"
        async with edge.pool.connection(timeout=2.0) as conn:
            rows = await fetch_all(conn, "SELECT * FROM api.get_schema_version()")
            checks["schema"] = rows[0]["migration_id"] if rows else None
            problems = await fetch_all(conn, "SELECT role_name, problem "
                                       "FROM api.role_safety_problems()")
        checks["database"] = "ok"
        checks["role_safety"] = "ok" if not problems else f"{len(problems)} problem(s)"
        if problems:
            ready = False
            for p in problems:  # the details go to the log, not to an unauthenticated caller
                log.error("unsafe role: %s %s", p["role_name"], p["problem"])
    except (psycopg.Error, OSError, Problem) as exc:
        ready = False
        checks["database"] = "unavailable"
        log.warning("readiness: database unavailable", extra={"error": type(exc).__name__})
    hub = request.app.state.hub
    checks["event_listener"] = "ok" if hub.connected.is_set() else "connecting"
    checks["streams"] = len(hub.streams)
    body = m.Health(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


# -- the auditor ----------------------------------------------------------------------------

audit_router = APIRouter(prefix="/v1/audit", tags=["audit"],
                         dependencies=[Depends(HTTPBasic(auto_error=False,
                                                         description="claw_auditor and its "
                                                         "database password"))],
                         responses={**{k: v for k, v in COMMON.items()
                                       if k in (400, 401, 413, 422, 500, 503)},
                                    501: {**PROBLEM, "description": "the auditor routes are "
                                          "not configured (CLAW_HTTP_AUDITOR_URL)"}})


async def auditor_connection(request: Request) -> psycopg.AsyncConnection[Any]:
    """A connection as claw_auditor, authenticated by PostgreSQL itself with the password the
    caller sent (HTTP Basic, user claw_auditor): the edge keeps no auditor secret."""
    url = request.app.state.settings.auditor_url
    if not url:
        raise Problem(501, "not_implemented", "the auditor routes are not configured",
                      hint="set CLAW_HTTP_AUDITOR_URL")
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    try:
        user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    if scheme.lower() != "basic" or user != "claw_auditor" or not password:
        raise Problem(401, "unauthenticated", "the audit routes take the auditor's credential",
                      hint="HTTP Basic with user claw_auditor and its database password")
    try:
        return await psycopg.AsyncConnection.connect(url, user="claw_auditor", password=password,
                                                     autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        # wrong password and unreachable server look alike to psycopg; say only what is safe
        raise Problem(401, "unauthenticated", "the auditor's credential was refused "
                      "(or the database is unreachable)", hint="check the password") from None


@audit_router.get("/verify", response_model=m.AuditVerification,
                  summary="Recompute every tenant's hash chain (audit.verify_chains)")
async def verify_chains(request: Request) -> dict[str, Any]:
    async with await auditor_connection(request) as conn:
        rows = await fetch_all(conn, "SELECT tenant_id, events, head_seq, ok, first_bad_seq, "
                               "problem FROM audit.verify_chains()")
    return {"intact": all(r["ok"] for r in rows), "chains": rows}


@audit_router.post("/verify-digest", response_model=m.DigestVerification,
                   summary="Prove the ledger still extends a checkpoint (audit.verify_digest)")
async def verify_digest(request: Request, digest: dict[str, Any],
                        root: str | None = Query(None, max_length=64, description=(
                            "the root published when the checkpoint was written"))
                        ) -> dict[str, Any]:
    async with await auditor_connection(request) as conn:
        rows = await fetch_all(conn, "SELECT tenant_id, seq, problem FROM audit.verify_digest(%s::jsonb)",
                               (json.dumps(digest),))
    rows = [dict(zip(("tenant_id", "seq", "problem"), p)) for p in root_problem(digest, root)] + rows
    return {"intact": not rows, "problems": rows, "root": digest.get("root")}


@audit_router.get("/checkpoint", response_model=dict[str, Any],
                  summary="A digest of every chain head and their Merkle root (audit.checkpoint)")
async def checkpoint(request: Request) -> Any:
    async with await auditor_connection(request) as conn:
        rows = await fetch_all(conn, "SELECT audit.checkpoint() AS digest")
    return rows[0]["digest"]


# -- events ---------------------------------------------------------------------------------

events_router = APIRouter(prefix="/v1", tags=["events"], dependencies=[Depends(HTTPBearer(
    auto_error=False))], responses=COMMON)


@events_router.get(
    "/events", summary="Server-sent events of the tenant (api.read_events), resumable",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}, "example":
        'id: 0000000000000001\nevent: jobs.enqueued\ndata: {"event_id":"...","type":'
        '"jobs.enqueued","subject_id":"...","data":{},"trace_id":"...","occurred_at":"..."}\n\n'}},
        "description": "an event stream: `id:` is the position to resume from; control events "
        "`overflow` (the client fell behind: resume with Last-Event-ID), `shutdown` and `error` "
        "end it; `: keep-alive` comments keep it open"},
        501: {**PROBLEM, "description": "the database has no events outbox yet"}})
async def events(request: Request,
                 last_event_id: str | None = Header(None, alias="Last-Event-ID", max_length=200),
                 start: str = Query("now", pattern="^(now|oldest)$",
                                    description="without Last-Event-ID: from now or from the "
                                    "oldest retained event")) -> Response:
    edge = edge_of(request)
    await edge.ensure_capabilities()
    if not edge.caps.events:
        raise Problem(501, "not_implemented", "this database has no events outbox",
                      hint="migrate the database")
    cred = credential(request)
    headers = await edge.take_token(cred)
    try:
        after = await start_position(edge, cred, last_event_id, start)
    except psycopg.Error as exc:
        raise from_database(exc) from exc
    if edge.closing:
        raise Problem(503, "database_unavailable", "the server is shutting down",
                      headers={"Retry-After": "1"})
    stream = EventStream(edge, request.app.state.hub, cred, after)
    return StreamingResponse(stream.body(), media_type="text/event-stream",
                             headers={**headers, "Cache-Control": "no-store",
                                      "X-Accel-Buffering": "no"})
