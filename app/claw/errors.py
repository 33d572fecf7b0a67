"""The error registry: one SQLSTATE class (`CL`) for Claw's own errors, and the one mapping
from SQLSTATE to Python exception and HTTP status.

SQL raises these with `RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = ..., DETAIL = ...,
HINT = ...`. `internal.error_codes` holds the same rows for psql users; a test keeps the
database table, this module and the README table identical. Standard SQLSTATEs that Claw lets
through unchanged (42501, 23505, 40001, ...) map by `STANDARD` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    sqlstate: str
    name: str
    http_status: int
    meaning: str


REGISTRY: tuple[ErrorCode, ...] = (
    ErrorCode("CL401", "unauthenticated", 401,
              "no valid credential: missing, unknown, expired or revoked key, token or lease"),
    ErrorCode("CL403", "forbidden", 403,
              "the authenticated principal may not do this (role, scope, relationship)"),
    ErrorCode("CL404", "not_found", 404,
              "the object does not exist or is not visible in this tenant"),
    ErrorCode("CL409", "conflict", 409,
              "invalid state transition or stale holder (lease, version, duplicate request)"),
    ErrorCode("CL422", "invalid_input", 422,
              "an argument is malformed or out of range"),
    ErrorCode("CL429", "limited", 429,
              "a rate limit or budget is exhausted; retry later or raise the limit"),
    ErrorCode("CL508", "loop_detected", 508,
              "a relationship graph is cyclic or deeper than the evaluation limit"),
)

BY_SQLSTATE: dict[str, ErrorCode] = {code.sqlstate: code for code in REGISTRY}

# Standard SQLSTATEs that reach callers, with the HTTP status they map to.
STANDARD: dict[str, tuple[str, int]] = {
    "42501": ("insufficient_privilege", 403),
    "23505": ("unique_violation", 409),
    "23503": ("foreign_key_violation", 409),
    "23514": ("check_violation", 422),
    "23502": ("not_null_violation", 422),
    "22P02": ("invalid_text_representation", 422),
    "40001": ("serialization_failure", 503),
    "40P01": ("deadlock_detected", 503),
}


class ClawError(Exception):
    """A database error that carries a SQLSTATE, message, detail and hint."""

    http_status = 500
    code_name = "internal"

    def __init__(self, message: str, *, sqlstate: str | None = None,
                 detail: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint

    def problem(self) -> dict[str, Any]:
        """An RFC 9457 problem document for this error."""
        doc: dict[str, Any] = {
            "type": f"https://claw.dev/errors/{self.code_name}",
            "title": self.code_name.replace("_", " "),
            "status": self.http_status,
            "detail": self.message,
        }
        if self.sqlstate:
            doc["sqlstate"] = self.sqlstate
        if self.detail:
            doc["context"] = self.detail
        if self.hint:
            doc["hint"] = self.hint
        return doc


class Unauthenticated(ClawError):
    http_status, code_name = 401, "unauthenticated"


class Forbidden(ClawError):
    http_status, code_name = 403, "forbidden"


class NotFound(ClawError):
    http_status, code_name = 404, "not_found"


class Conflict(ClawError):
    http_status, code_name = 409, "conflict"


class InvalidInput(ClawError):
    http_status, code_name = 422, "invalid_input"


class Limited(ClawError):
    http_status, code_name = 429, "limited"


class LoopDetected(ClawError):
    http_status, code_name = 508, "loop_detected"


class Retryable(ClawError):
    http_status, code_name = 503, "retryable"


class ClawSetupError(Exception):
    """Claw cannot start: the environment or the database is unsafe or incomplete."""


_CLASS_BY_STATUS: dict[int, type[ClawError]] = {
    401: Unauthenticated, 403: Forbidden, 404: NotFound, 409: Conflict,
    422: InvalidInput, 429: Limited, 503: Retryable, 508: LoopDetected,
}


def from_sqlstate(sqlstate: str | None, message: str, detail: str | None = None,
                  hint: str | None = None) -> ClawError:
    """Map a SQLSTATE (with its message, detail and hint) to a ClawError subclass."""
    status = 500
    name = "internal"
    if sqlstate in BY_SQLSTATE:
        code = BY_SQLSTATE[sqlstate]
        status, name = code.http_status, code.name
    elif sqlstate in STANDARD:
        name, status = STANDARD[sqlstate]
    cls = _CLASS_BY_STATUS.get(status, ClawError)
    err = cls(message, sqlstate=sqlstate, detail=detail, hint=hint)
    err.code_name = name
    return err


def from_psycopg(exc: BaseException) -> ClawError:
    """Map a psycopg error (keeping its diagnostics) to a ClawError subclass."""
    diag = getattr(exc, "diag", None)
    sqlstate = getattr(exc, "sqlstate", None)
    if diag is None:
        return from_sqlstate(sqlstate, str(exc))
    return from_sqlstate(sqlstate, diag.message_primary or str(exc),
                         diag.message_detail, diag.message_hint)
