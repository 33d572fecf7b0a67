"""OpenTelemetry for the edge and JSON logs that carry the trace id.

A span per request (the FastAPI instrumentation: W3C `traceparent` accepted, a new trace
otherwise) and per database call (the psycopg instrumentation). Spans are always made, so
every request has a trace id for its logs, its problem documents and the rows it writes
(`claw.trace_id`); they leave the process only when an OTLP endpoint is configured. Without
one nothing would read them, so they are made non-recording (the sampler drops them: the
trace and span ids still exist and propagate, no attributes or events are collected), which
took about 0.8 ms of CPU off every request (bench/http_bench.py); and the per-statement spans
are not made at all (psycopg is instrumented once something reads spans: an OTLP endpoint at
start, or a processor attached before the pool connects), another 0.4 ms per request of five
statements.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

_provider: TracerProvider | None = None
_psycopg_instrumented = False


class _RecordWhenRead(Sampler):
    """Record spans only once something reads them (an exporter or a processor a test
    attaches); before that every span is non-recording but keeps its ids."""

    def __init__(self) -> None:
        self.read = False

    def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: Any = None,
                      attributes: Any = None, links: Any = None,
                      trace_state: Any = None) -> SamplingResult:
        return SamplingResult(Decision.RECORD_AND_SAMPLE if self.read else Decision.DROP,
                              attributes if self.read else None, trace_state)

    def get_description(self) -> str:
        return "RecordWhenRead"


_sampler = _RecordWhenRead()


def _stamp_trace_ids() -> None:
    """Every log record remembers the trace id current when it was made (formatting may
    happen later, elsewhere)."""
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        # its own attribute name: callers pass `extra={"trace_id": ...}` (the worker does),
        # and logging refuses an extra that overwrites a record attribute
        record.otel_trace_id = current_trace_id()
        return record

    logging.setLogRecordFactory(factory)


def setup_tracing(service_name: str, otlp_endpoint: str | None) -> TracerProvider:
    """The process's tracer provider (made once), exporting over OTLP/HTTP when configured."""
    global _provider
    if _provider is None:
        _stamp_trace_ids()
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                                  sampler=_sampler)
        if otlp_endpoint:
            _sampler.read = True
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            endpoint = otlp_endpoint.rstrip("/")
            if not endpoint.endswith("/v1/traces"):
                endpoint += "/v1/traces"
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        trace.set_tracer_provider(provider)
        _provider = provider
    if _sampler.read:
        _instrument_psycopg()
    return _provider


def _instrument_psycopg() -> None:
    """A span per statement on every connection opened from now on; the query text is the
    constant SQL with placeholders (never the parameters, so no API key or token reaches a
    span)."""
    global _psycopg_instrumented
    if not _psycopg_instrumented:
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        PsycopgInstrumentor().instrument(enable_commenter=False)
        _psycopg_instrumented = True


def add_span_processor(processor: SpanProcessor) -> None:
    """Tests attach an in-memory exporter here (statement spans come from connections opened
    after this call)."""
    assert _provider is not None, "setup_tracing first"
    _provider.add_span_processor(processor)
    _sampler.read = True
    _instrument_psycopg()


def spans_are_read() -> bool:
    """Does anything read spans (an OTLP exporter, a processor a test attached)?"""
    return _sampler.read


class TraceContextMiddleware:
    """The request span when nothing reads spans: W3C `traceparent` (and `tracestate`)
    accepted, a new trace otherwise, the span current for the whole request so logs, problems
    and rows get its trace id; never recorded, so none of the HTTP attributes the full
    instrumentation collects is computed (about 0.4 ms of CPU per request,
    bench/http_bench.py). With an exporter the app uses the FastAPI instrumentation."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tracer = trace.get_tracer("claw.http")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {name.decode("latin-1"): value.decode("latin-1")
                   for name, value in scope.get("headers", ())
                   if name in (b"traceparent", b"tracestate")}
        parent = propagate.extract(carrier) if carrier else None
        with self.tracer.start_as_current_span(scope["method"], context=parent,
                                               kind=trace.SpanKind.SERVER):
            await self.app(scope, receive, send)


def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits), or None outside a span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the trace id of the current
    span and the structured fields passed as `extra`."""

    FIELDS = ("method", "path", "status", "duration_ms", "tenant_id", "principal_id",
              "problem", "error", "stream", "events", "reason")

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "msg": record.getMessage()}
        trace_id = (getattr(record, "trace_id", None) or getattr(record, "otel_trace_id", None)
                    or current_trace_id())
        if trace_id:
            out["trace_id"] = trace_id
        for key in self.FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        if record.exc_info:  # server side only; never sent to a client
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr for claw.* and uvicorn's own loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("claw", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # the edge logs each request itself
