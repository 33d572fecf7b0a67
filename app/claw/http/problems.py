"""RFC 9457 problem documents (`application/problem+json`).

Every error a client sees is one of these: built from the SQLSTATE registry
(claw.errors: a type URI per code, its title and HTTP status, the database's message,
detail and hint) or from the edge's own few types below. Each carries the request's trace
id. Nothing else reaches a client: an unexpected exception or a database outage becomes a
problem without its text (it is logged server-side with the same trace id).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import psycopg_pool

from claw import errors
from claw.http.telemetry import current_trace_id

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://claw.dev/errors/"

# The edge's own problem types (besides the registry's and the standard SQLSTATEs').
EDGE_TYPES: dict[str, tuple[int, str]] = {
    "bad_request": (400, "the request is malformed: not HTTP uvicorn can parse, or a body "
                         "that is not JSON"),
    "unauthenticated": (401, "no valid credential in the Authorization header"),
    "invalid_input": (422, "a request field is malformed or out of range"),
    "route_not_found": (404, "no such route"),
    "method_not_allowed": (405, "the route does not take this method"),
    "not_acceptable": (406, "the route cannot answer in a type the client accepts"),
    "payload_too_large": (413, "the request body is larger than the edge accepts"),
    "secret_not_replayed": (409, "the first request with this Idempotency-Key succeeded; its "
                                 "response held a secret that is shown once and not kept"),
    "limited": (429, "a rate limit is exhausted; retry after Retry-After seconds"),
    "database_unavailable": (503, "the database cannot be reached; retry later"),
    "retryable": (503, "a transient database conflict (serialization, deadlock); retry"),
    "not_implemented": (501, "the database does not offer this yet (schema too old)"),
    "internal": (500, "an unexpected error; the trace id finds it in the server's logs"),
}


def problem_types() -> dict[str, tuple[int, str]]:
    """Every problem type a client can receive: name -> (status, meaning)."""
    types = {c.name: (c.http_status, c.meaning) for c in errors.REGISTRY}
    for name, status in errors.STANDARD.values():
        types.setdefault(name, (status, f"PostgreSQL {name.replace('_', ' ')}"))
    for name, value in EDGE_TYPES.items():
        types.setdefault(name, value)
    return types


class Problem(Exception):
    """An error response. Raise it anywhere in a request; the edge renders it."""

    def __init__(self, status: int, name: str, detail: str, *, hint: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.name = name
        self.detail = detail
        self.hint = hint
        self.headers = headers or {}
        self.extra = extra

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": TYPE_BASE + self.name,
                               "title": self.name.replace("_", " "),
                               "status": self.status, "detail": self.detail}
        if self.hint:
            doc["hint"] = self.hint
        doc.update({k: v for k, v in self.extra.items() if v is not None})
        doc["trace_id"] = current_trace_id()
        return doc

    def body(self) -> bytes:
        return json.dumps(self.document()).encode()


def from_database(exc: BaseException) -> Problem:
    """The problem for a database error: registry codes and the standard SQLSTATEs keep
    their message, detail and hint; anything else (a bug, SQL we did not expect) says only
    that something went wrong."""
    if isinstance(exc, psycopg_pool.PoolTimeout):
        return Problem(503, "database_unavailable", "no database connection became free in time",
                       hint="retry later", headers={"Retry-After": "1"})
    if isinstance(exc, psycopg.OperationalError) and getattr(exc, "sqlstate", None) is None:
        return Problem(503, "database_unavailable", "the database cannot be reached",
                       hint="retry later", headers={"Retry-After": "1"})
    sqlstate = getattr(exc, "sqlstate", None)
    if is_nul_in_text(exc):
        # psycopg refuses a text parameter holding NUL before it sends the query, so the
        # error has no SQLSTATE: name it as PostgreSQL names NUL in text (22P05)
        return Problem(422, "invalid_input", "text cannot contain NUL (0x00) characters",
                       code="22P05", hint="remove the NUL characters from the values sent")
    if sqlstate in errors.BY_SQLSTATE or sqlstate in errors.STANDARD:
        err = errors.from_psycopg(exc)
        headers = {"Retry-After": "1"} if err.http_status == 503 else None
        return Problem(err.http_status, err.code_name, err.message, hint=err.hint,
                       headers=headers, code=sqlstate, context=err.detail)
    if sqlstate is not None and (sqlstate.startswith("22") or sqlstate == "54000"):
        # a value PostgreSQL cannot take (a NUL character, an out-of-range number or date,
        # a value too long for an index): the client's input, not our bug
        diag = getattr(exc, "diag", None)
        message = (diag.message_primary if diag is not None else None) or "invalid value"
        return Problem(422, "invalid_input", message, code=sqlstate,
                       hint="check the values sent (text without NUL characters, numbers and "
                       "dates in range)")
    if sqlstate in ("57014", "55P03"):  # statement or lock timeout
        return Problem(503, "retryable", "the database took too long to answer",
                       hint="retry later", headers={"Retry-After": "1"}, code=sqlstate)
    if sqlstate is not None and sqlstate.startswith("08"):
        return Problem(503, "database_unavailable", "the database connection was lost",
                       hint="retry later", headers={"Retry-After": "1"})
    return internal()


def is_nul_in_text(exc: BaseException) -> bool:
    """psycopg's client-side refusal of a str parameter with a NUL (its text dumper raises
    DataError without a SQLSTATE; the same message in the Python and C implementations)."""
    return (isinstance(exc, psycopg.DataError) and getattr(exc, "sqlstate", None) is None
            and "cannot contain NUL" in str(exc))


def internal() -> Problem:
    return Problem(500, "internal", "an unexpected error occurred",
                   hint="report the trace id; the server's log has the details")
