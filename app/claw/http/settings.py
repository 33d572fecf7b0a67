"""Configuration of the HTTP edge, from the environment (documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from claw.errors import ClawSetupError


def _number(name: str, default: float, kind: type[int] | type[float], low: float = 0) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ClawSetupError(f"{name} must be {'an integer' if kind is int else 'a number'}, "
                             f"not {raw!r}") from None
    if value < low:
        raise ClawSetupError(f"{name} must be at least {low}, not {value}")
    return value


def _int(name: str, default: int, low: int = 0) -> int:
    return int(_number(name, default, int, low))


def port_number(value: int, what: str = "CLAW_HTTP_PORT") -> int:
    """A TCP port, 0 (any free one) to 65535: 70000 was accepted and the server listened
    on 70000 mod 65536 while its log said 70000."""
    if not 0 <= value <= 65535:
        raise ClawSetupError(f"{what} must be a TCP port, 0 to 65535, not {value}")
    return value


def _float(name: str, default: float) -> float:
    return float(_number(name, default, float))


@dataclass(frozen=True)
class HttpSettings:
    database_url: str                 # the runtime role's URL (claw_runtime)
    auditor_url: str | None = None    # claw_auditor's URL without password (audit routes)
    host: str = "127.0.0.1"
    port: int = 8080
    pool_min: int = 2
    pool_max: int = 10
    pool_timeout: float = 5.0         # seconds a request waits for a connection -> 503
    max_body_bytes: int = 1_048_576
    shutdown_grace: float = 10.0      # seconds in-flight requests get after SIGTERM
    sse_keepalive: float = 15.0       # seconds between keep-alive comments (and re-reads)
    sse_buffer: int = 1000            # events buffered per stream before it is closed
    sse_batch: int = 100              # events read per query
    sse_min_interval: float = 0.1     # seconds between two reads of one stream
    otlp_endpoint: str | None = None  # OTLP/HTTP traces endpoint; no export when unset
    service_name: str = "claw"
    log_level: str = "info"
    access_log: bool = True
    workers: int = 1                  # server processes sharing the listening socket


def from_env(database_url: str | None = None, auditor_url: str | None = None) -> HttpSettings:
    """The edge's settings: CLAW_HTTP_* variables, OTEL_* for export. The database URLs
    default to the embedded cluster's (claw db url --role runtime / auditor)."""
    url = os.environ.get("CLAW_HTTP_DATABASE_URL") or database_url
    if not url:
        raise ClawSetupError("set CLAW_HTTP_DATABASE_URL to the runtime role's URL")
    pool_min = _int("CLAW_HTTP_POOL_MIN", 2, 0)
    pool_max = _int("CLAW_HTTP_POOL_MAX", 10, 1)
    if pool_max < pool_min:
        raise ClawSetupError("CLAW_HTTP_POOL_MAX must be at least CLAW_HTTP_POOL_MIN")
    otlp = (os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None)
    return HttpSettings(
        database_url=url,
        auditor_url=os.environ.get("CLAW_HTTP_AUDITOR_URL") or auditor_url,
        host=os.environ.get("CLAW_HTTP_HOST", "127.0.0.1"),
        port=port_number(_int("CLAW_HTTP_PORT", 8080, 0)),
        pool_min=pool_min, pool_max=pool_max,
        pool_timeout=_float("CLAW_HTTP_POOL_TIMEOUT", 5.0),
        max_body_bytes=_int("CLAW_HTTP_MAX_BODY_BYTES", 1_048_576, 1),
        shutdown_grace=_float("CLAW_HTTP_SHUTDOWN_GRACE", 10.0),
        sse_keepalive=_float("CLAW_HTTP_SSE_KEEPALIVE", 15.0) or 15.0,
        sse_buffer=_int("CLAW_HTTP_SSE_BUFFER", 1000, 1),
        sse_batch=_int("CLAW_HTTP_SSE_BATCH", 100, 1),
        sse_min_interval=_float("CLAW_HTTP_SSE_MIN_INTERVAL", 0.1),
        otlp_endpoint=otlp,
        service_name=os.environ.get("OTEL_SERVICE_NAME", "claw"),
        log_level=os.environ.get("CLAW_LOG_LEVEL", "info").lower(),
        access_log=os.environ.get("CLAW_HTTP_ACCESS_LOG", "on").lower() not in ("0", "off", "false"),
        workers=_int("CLAW_HTTP_WORKERS", 1, 1),
    )
