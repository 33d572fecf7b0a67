"""The FastAPI application: routes, problem rendering, request logging, lifespan."""

from __future__ import annotations

import functools
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claw.http import models as m
from claw.http.edge import Edge
from claw.http.events import EventHub
from claw.http.ops import audit_router, events_router, health_router
from claw.http.problems import MEDIA_TYPE, Problem, from_database, internal, problem_types
from claw.http.routes import problems_router, router
from claw.http.settings import HttpSettings
from claw.http.telemetry import (TraceContextMiddleware, current_trace_id, setup_tracing,
                                  spans_are_read)

log = logging.getLogger("claw.http")

DESCRIPTION = """
Claw's HTTP API: a thin edge over the `api` functions of PostgreSQL.

* **Authentication**: `Authorization: Bearer ck_...` (an API key) or `Bearer <JWT>`; every
  request runs in one transaction that first verifies the credential.
* **Errors** are RFC 9457 problem documents (`application/problem+json`); each `type` is
  `https://claw.dev/errors/<name>` and `GET /errors/<name>` explains it. Every problem
  carries the request's `trace_id`.
* **Idempotency**: send `Idempotency-Key` on any POST, PATCH or DELETE to make a retry safe.
* **Pagination**: list routes return `{items, next_cursor}`; pass `?cursor=` to continue.
* **Rate limits**: `RateLimit` and `RateLimit-Policy` headers; 429 with `Retry-After`.
* **Events**: `GET /v1/events` is a server-sent event stream, resumable with `Last-Event-ID`.
* **Tracing**: W3C `traceparent` is honoured; the trace id is in logs, problems and the rows
  a request writes.
"""


def problem_response(problem: Problem) -> Response:
    headers = dict(problem.headers)
    if problem.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="claw"')
    return Response(problem.body(), problem.status, headers=headers, media_type=MEDIA_TYPE)


async def on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def on_database_error(request: Request, exc: Exception) -> Response:
    problem = from_database(exc)
    if problem.status >= 500:
        log.error("database error", exc_info=exc, extra={
            "problem": problem.name, "error": f"{type(exc).__name__} "
            f"{getattr(exc, 'sqlstate', '')}"})
    return problem_response(problem)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ()))
        errors.append({"field": field, "message": err.get("msg", "invalid")})
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    return problem_response(Problem(
        422, "invalid_input", f"{first['field']}: {first['message']}",
        hint="fix the fields listed in errors", errors=errors))


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, _TooLarge):  # the limit tripped while FastAPI or a route read the body
        return problem_response(exc.problem())
    cause = exc.__cause__
    if (exc.status_code == 400 and isinstance(cause, ValueError)
            and "integer string conversion" in str(cause)):
        # valid JSON that Python will not read: an integer over 4,300 digits (CPython's limit
        # against quadratic parsing); FastAPI called it "an error parsing the body"
        return problem_response(Problem(
            422, "invalid_input", "a number in the body has more than 4,300 digits",
            hint="send long numbers as strings"))
    # each name is a problem type documented with the same status (GET /errors/<name>);
    # 401: FastAPI's HTTPBasic refuses a credential it cannot decode with its own 401
    names = {400: "bad_request", 401: "unauthenticated", 403: "forbidden",
             404: "route_not_found", 405: "method_not_allowed", 406: "not_acceptable",
             413: "payload_too_large", 422: "invalid_input", 429: "limited"}
    name = names.get(exc.status_code, "invalid_input" if exc.status_code < 500 else "internal")
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else name
    return problem_response(Problem(exc.status_code, name, detail,
                                    headers=dict(exc.headers or {})))


class EdgeMiddleware:
    """Outermost of ours: refuses oversized bodies (413), logs one JSON line per request
    with its trace id, and turns any exception that escaped the routes into a 500 problem
    that says nothing but the trace id."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        response_started = False
        received = 0
        too_large = False

        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                too_large = True

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    too_large = True
                    raise _TooLarge(self.max_body)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                trace_id = current_trace_id()
                if trace_id:
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"],
                                          (b"x-trace-id", trace_id.encode())]
            await send(message)

        try:
            if too_large:
                raise _TooLarge(self.max_body)
            await self.app(scope, limited_receive, tracked_send)
        except Exception as exc:
            if response_started:
                log.error("error after the response started", exc_info=exc)
                raise
            if isinstance(exc, _TooLarge) or too_large:
                problem = _TooLarge(self.max_body).problem()
            else:
                log.error("unexpected error", exc_info=exc, extra={"error": type(exc).__name__})
                problem = internal()
            response = problem_response(problem)
            await response(scope, receive, tracked_send)
        finally:
            if scope["app"].state.settings.access_log:
                caller = getattr(scope.get("state", {}).get("caller"), "__dict__", {}) \
                    if isinstance(scope.get("state"), dict) else {}
                log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                    "method": scope["method"], "path": scope["path"], "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "tenant_id": caller.get("tenant_id"),
                    "principal_id": caller.get("principal_id")})


class _TooLarge(StarletteHTTPException):
    """The body passed the limit while it was read (no Content-Length, or a false one). An
    HTTPException, because FastAPI turns any other exception raised while it parses the
    body into a 400 'error parsing the body' and re-raises only these; on_http_error and
    the middleware render it as the same 413 problem."""

    def __init__(self, max_body: int) -> None:
        super().__init__(413, f"the request body exceeds {max_body} bytes")

    def problem(self) -> Problem:
        return Problem(413, "payload_too_large", self.detail,
                       hint="send less, or raise CLAW_HTTP_MAX_BODY_BYTES")


def begin_shutdown(app: FastAPI) -> None:
    """Refuse new streams, end the open ones (each gets a `shutdown` event)."""
    app.state.edge.closing = True
    for stream in list(app.state.hub.streams):
        stream.close("shutdown")


def create_app(settings: HttpSettings) -> FastAPI:
    setup_tracing(settings.service_name, settings.otlp_endpoint)
    edge = Edge(settings)
    hub = EventHub(settings.database_url, edge)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await edge.open()
        hub.start()
        # the app, its routes and models are some 70,000 objects that live as long as the
        # process: out of the garbage collector's way (a full collection walked them all,
        # about 50 ms with the event loop stopped)
        gc.collect()
        gc.freeze()
        log.info("claw http edge ready", extra={"reason": str(edge.caps)})
        try:
            yield
        finally:
            gc.unfreeze()  # (an app in a test process: the process goes on)
            edge.closing = True
            await hub.stop()
            await edge.close()

    # FastAPI's own telemetry off: the request span is the instrumentation's or ours (below)
    # redirect_slashes off: Starlette answered /v1/jobs/ with a bodiless 307 to the host the
    # request named (its Host header); a path not served is a 404 problem instead
    app = FastAPI(title="Claw", version="1", description=DESCRIPTION, lifespan=lifespan,
                  redirect_slashes=False,
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  openapi_tags=[{"name": n} for n in (
                      "identity", "jobs", "schedules", "flows", "ontology", "authz", "search",
                      "events", "audit", "health", "errors")])
    app.state.settings = settings
    app.state.edge = edge
    app.state.hub = hub
    app.state.embedder = functools.cache(_default_embedder)
    app.include_router(router)
    app.include_router(events_router)
    app.include_router(audit_router)
    app.include_router(health_router)
    app.include_router(problems_router)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(psycopg.Error, on_database_error)
    app.add_exception_handler(psycopg_pool.PoolTimeout, on_database_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_middleware(EdgeMiddleware, max_body=settings.max_body_bytes)
    if spans_are_read():
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # one span per request (not one more per ASGI message), one per statement (psycopg)
        FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"])
    else:
        app.add_middleware(TraceContextMiddleware)  # outside EdgeMiddleware: its log lines
    _document_problems(app)
    return app


def _default_embedder() -> Any:
    from claw.embeddings import default_embedder

    return default_embedder()


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document lists every problem type (x-problem-types) beside the Problem
    schema every error response uses."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})
        schema["components"]["schemas"]["Problem"] = m.Problem.model_json_schema(
            ref_template="#/components/schemas/{model}")
        schema["x-problem-types"] = [
            {"type": f"https://claw.dev/errors/{name}", "status": status, "meaning": meaning}
            for name, (status, meaning) in sorted(problem_types().items())]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
