"""The router: a routed, budgeted, ledgered model call.

    router = Router(conn, TenantAuth.api_key(key), {"openai": OpenAIProvider(...), ...})
    result = router.call("summarise", [Message("user", "...")])

One call is two statements in PostgreSQL around the provider requests, each its own
transaction, so no transaction and no lock is held while a provider is working. The first
runs in a verified tenant context (`TenantAuth`: an API key, or a job lease for a worker);
the second carries the call token the first returned instead, so a call the provider has
answered is recorded even if the credential stopped authenticating meanwhile:
  api.begin_llm_call   the route, the cache, the breakers, the worst case reserved (CL429
                       before anything is sent, raised as claw.errors.Limited)
  provider requests    the chain in order; per model up to max_attempts, waiting the
                       provider's retry-after when it sends one, else an exponential backoff
                       with jitter; a timeout per attempt; on a failure kind listed in the
                       route's fallback_on, the next model; a model whose breaker is open is
                       skipped, a probe gets one attempt
  api.finish_llm_call  one ledger row per attempt (cost computed in SQL), settle / release,
                       breakers, cache
Structured output (`call(..., output=PydanticModel)`): the JSON schema is sent (OpenAI
response_format, Anthropic a forced tool); an answer that does not validate is recorded as
invalid_output and repaired by a new call carrying the validation errors, at most the route's
max_repairs times (each on the ledger), then `InvalidOutput`.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ValidationError

from claw.errors import from_psycopg
from claw.llm.context import Assembled
from claw.llm.providers import Provider
from claw.llm.tokens import counter_for
from claw.llm.types import ChatRequest, ChatResponse, Message, ProviderError, Tool

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class TenantAuth:
    """How each of the router's statements establishes the tenant context: a FROM item that
    verifies a credential, evaluated before the api call it precedes."""

    from_sql: str
    params: tuple[Any, ...]

    @classmethod
    def api_key(cls, key: str) -> TenantAuth:
        return cls("api.authenticate(p_api_key => %s)", (key,))

    @classmethod
    def job(cls, job_id: Any, lease_token: Any) -> TenantAuth:
        return cls("api.act_as_job(p_job_id => %s, p_lease_token => %s)", (job_id, lease_token))


@dataclass
class Attempt:
    model: str
    route_position: int
    outcome: str
    latency_ms: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    http_status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class CallResult(Generic[T]):
    response: ChatResponse
    model: str
    cached: bool
    cost_usd: float
    reservation_id: str | None
    attempts: list[Attempt] = field(default_factory=list)
    parsed: T | None = None
    repairs: int = 0
    context: dict[str, Any] | None = None


class LLMCallFailed(Exception):
    """Every model of the route failed (or a failure not listed in fallback_on stopped it)."""

    def __init__(self, message: str, attempts: list[Attempt],
                 last: ProviderError | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last = last


class InvalidOutput(Exception):
    """The answer did not validate against the task's schema after every repair."""

    def __init__(self, message: str, errors: str, repairs: int) -> None:
        super().__init__(message)
        self.errors = errors
        self.repairs = repairs


class _TextSink:
    """What a call streams to its caller: on_text gets every text delta; on_restart, when
    an attempt begins after some text was given (a stream abandoned mid-answer, a fallback,
    a repair), so the caller drops what it showed: the text after the last restart is the
    answer."""

    def __init__(self, on_text: Callable[[str], None] | None,
                 on_restart: Callable[[], None] | None) -> None:
        self.on_text, self.on_restart = on_text, on_restart
        self.given = False

    def text(self, delta: str) -> None:
        if self.on_text is not None:
            self.given = True
            self.on_text(delta)

    def attempt(self) -> None:
        if self.given and self.on_restart is not None:
            self.on_restart()
        self.given = False


class _Invalid(Exception):
    def __init__(self, errors: str, text: str, max_repairs: int = 0) -> None:
        super().__init__(errors)
        self.errors = errors
        self.text = text
        self.max_repairs = max_repairs


BEGIN_SQL = ("SELECT api.begin_llm_call(p_task => %s, p_input_tokens => %s, "
             "p_max_output_tokens => %s, p_request_hash => %s, p_flow_run_id => %s, "
             "p_flow_step => %s, p_trace_id => %s) FROM {auth}")
# no credential: the call token begin returned is the finish's authority (a credential lost
# mid-call must not lose the cost of a call the provider has answered)
FINISH_SQL = ("SELECT api.finish_llm_call(p_reservation_id => %s, p_attempts => %s, "
              "p_response => %s, p_request_hash => %s, p_context => %s, p_trace_id => %s, "
              "p_call_token => %s)")
RETRYABLE = ("rate_limited", "server_error", "timeout")
# every tokenizer family of the model catalogue (internal.llm_models.tokenizer)
COUNTED_TOKENIZERS = ("o200k_base", "cl100k_base", "anthropic_estimate")


def request_hash(system: str | None, messages: list[Message], tools: list[Tool],
                 max_tokens: int | None, temperature: float | None,
                 json_schema: dict[str, Any] | None) -> str:
    """sha256 over the canonical JSON of everything that shapes the answer (the route's
    chain is added in SQL)."""
    doc = {"system": system, "max_tokens": max_tokens, "temperature": temperature,
           "schema": json_schema,
           "messages": [[m.role, m.content, m.tool_call_id,
                         [[c.id, c.name, c.arguments] for c in m.tool_calls]] for m in messages],
           "tools": [[t.name, t.description, t.parameters] for t in tools]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


class Router:
    def __init__(self, conn: psycopg.Connection[Any], auth: TenantAuth,
                 providers: Mapping[str, Provider], *,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        if not conn.autocommit:
            # begin and finish must each commit at once: in one open transaction the budget
            # rows stay locked while the provider works, and a connection closed without a
            # commit loses the record of a call the provider was paid for
            raise ValueError("Router needs an autocommit connection (psycopg.connect(..., "
                             "autocommit=True)): each of its statements is its own transaction")
        self.conn = conn
        self.auth = auth
        self.providers = providers
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._begin = BEGIN_SQL.format(auth=auth.from_sql)
        self._finish = FINISH_SQL

    # --- the two statements -------------------------------------------------------------
    def _one(self, sql: str, params: tuple[Any, ...], auth: bool = True) -> dict[str, Any]:
        try:
            row = self.conn.execute(sql, (*params, *self.auth.params) if auth else params
                                    ).fetchone()
        except psycopg.Error as exc:
            raise from_psycopg(exc) from exc
        assert row is not None
        return dict(row[0])

    # --- public -------------------------------------------------------------------------
    def call(self, task: str, messages: list[Message] | Assembled, *, system: str | None = None,
             tools: list[Tool] | None = None, max_tokens: int | None = None,
             temperature: float | None = None, stream: bool = False,
             on_text: Callable[[str], None] | None = None, output: type[T] | None = None,
             flow_run_id: Any = None, flow_step: int | None = None,
             trace_id: str | None = None,
             on_restart: Callable[[], None] | None = None) -> CallResult[T]:
        """on_text gets the answer's text as it streams (stream=True) or at once; on_restart
        is called before an attempt whose text replaces what on_text was given (a stream cut
        mid-answer and a fallback, a repair of an invalid answer): drop what was shown."""
        sink = _TextSink(on_text, on_restart)
        context = None
        if isinstance(messages, Assembled):
            context = messages.record
            system = messages.system if system is None else system + "\n\n" + messages.system
            messages = messages.messages
        tools = list(tools or [])
        schema = output.model_json_schema() if output is not None else None
        trace = trace_id or uuid.uuid4().hex
        msgs = list(messages)
        repairs = 0
        while True:
            try:
                result: CallResult[T] = self._call_once(
                    task, msgs, system, tools, max_tokens, temperature, stream, sink, schema,
                    output, flow_run_id, flow_step, trace, context)
                result.repairs = repairs
                result.context = context
                return result
            except _Invalid as bad:
                if repairs >= bad.max_repairs:
                    raise InvalidOutput(
                        f"task {task}: the answer did not match the schema after {repairs} "
                        f"repair(s)", bad.errors, repairs) from None
                repairs += 1
                msgs = msgs + [Message("assistant", bad.text), Message(
                    "user", "Your answer did not validate against the required JSON schema:\n"
                    f"{bad.errors}\nReply again with only the corrected JSON.")]

    # --- one routed call ----------------------------------------------------------------
    def _call_once(self, task: str, messages: list[Message], system: str | None,
                   tools: list[Tool], max_tokens: int | None, temperature: float | None,
                   stream: bool, sink: _TextSink,
                   schema: dict[str, Any] | None, output: type[T] | None, flow_run_id: Any,
                   flow_step: int | None, trace: str,
                   context: dict[str, Any] | None) -> CallResult[T]:
        # the worst case over the tokenizer families the route may use: count with each (the
        # counts differ by up to 3x between o200k and cl100k for non-English text)
        counts = {t: counter_for(t).count_request(system, messages, tools, schema)
                  for t in COUNTED_TOKENIZERS}
        rhash = request_hash(system, messages, tools, max_tokens, temperature, schema)
        begun = self._one(self._begin, (task, max(counts.values()), max_tokens, rhash,
                                        flow_run_id, flow_step, trace))
        if "cached" in begun:
            response = ChatResponse.from_json(begun["cached"])
            sink.attempt()
            sink.text(response.text)
            result: CallResult[T] = CallResult(response, response.model, True, 0.0, None)
            if output is not None:
                result.parsed = self._validate(output, response)
            return result
        route = begun["route"]
        if schema is None and route.get("output_schema"):
            schema = route["output_schema"]
        ttl_s = ((route["timeout_ms"] + route["backoff_ms"] * 8) * route["max_attempts"]
                 * len(begun["chain"])) / 1000.0
        deadline = time.monotonic() + ttl_s
        attempts: list[Attempt] = []
        response: ChatResponse | None = None
        invalid: _Invalid | None = None
        parsed: T | None = None
        last: ProviderError | None = None
        try:
            for link in begun["chain"]:
                response, last = self._try_link(link, route, attempts, deadline, max(
                    counts.values()), ChatRequest(
                    model=link["model"], messages=messages, system=system, tools=tools,
                    max_tokens=int(link["max_output_tokens"]), temperature=temperature,
                    json_schema=schema, stream=stream), sink)
                if response is not None:
                    if output is not None:
                        try:
                            parsed = self._validate(output, response)
                        except _Invalid as bad:
                            attempts[-1].outcome = "invalid_output"
                            attempts[-1].error = bad.errors[:2000]
                            bad.max_repairs = int(route["max_repairs"])
                            invalid = bad
                    break
                # a model skipped before sending (it does not fit, its breaker is open, no
                # client for its provider) is passed over whatever fallback_on says: nothing
                # failed, the README's "skipped"; fallback_on governs failures of attempts sent
                if last is None or (not last.skipped and last.kind not in route["fallback_on"]):
                    break
        finally:
            ok = response is not None and invalid is None
            done = self._one(self._finish, (
                begun["reservation_id"], Jsonb([a.to_json() for a in attempts]),
                Jsonb(response.to_json()) if ok and response is not None else None,
                rhash if ok else None, Jsonb(context) if context is not None else None, trace,
                begun["call_token"]), auth=False)
        if invalid is not None:
            raise invalid
        if response is None:
            raise LLMCallFailed(
                f"task {task}: no model of the route answered "
                f"({', '.join(f'{a.model}: {a.outcome}' for a in attempts)})", attempts, last)
        return CallResult(response, response.model, False, float(done["cost_usd"]),
                          begun["reservation_id"], attempts, parsed)

    def _try_link(self, link: dict[str, Any], route: dict[str, Any], attempts: list[Attempt],
                  deadline: float, counted: int, request: ChatRequest,
                  sink: _TextSink) -> tuple[ChatResponse | None,
                                                                  ProviderError | None]:
        model, pos = link["model"], int(link["position"])
        if not link["fits"]:
            attempts.append(Attempt(model, pos, "context_overflow",
                                    error="skipped: the input and output cap exceed its window"))
            return None, ProviderError("context_overflow", "does not fit", skipped=True)
        if link["breaker"] == "open":
            attempts.append(Attempt(model, pos, "breaker_open",
                                    error=f"skipped: {link['provider']}'s circuit is open"))
            return None, ProviderError("server_error", "circuit open", skipped=True)
        provider = self.providers.get(link["provider"])
        if provider is None:
            attempts.append(Attempt(model, pos, "client_error",
                                    error=f"no {link['provider']} provider configured"))
            return None, ProviderError("server_error", "no provider configured", skipped=True)
        tries = 1 if link["breaker"] == "probe" else int(route["max_attempts"])
        timeout = route["timeout_ms"] / 1000.0
        last: ProviderError | None = None
        for n in range(tries):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            t0 = time.monotonic()
            try:
                sink.attempt()
                resp = provider.complete(request, timeout=min(timeout, remaining),
                                         on_text=sink.text if sink.on_text else None)
            except ProviderError as exc:
                last = exc
                attempts.append(Attempt(model, pos, exc.kind,
                                        latency_ms=int((time.monotonic() - t0) * 1000),
                                        http_status=exc.status, error=str(exc)[:2000]))
                if exc.kind not in RETRYABLE or n + 1 >= tries:
                    break
                wait = (exc.retry_after if exc.retry_after is not None else
                        route["backoff_ms"] / 1000.0 * (2 ** n) * (0.5 + self.rng.random()))
                if wait > timeout or time.monotonic() + wait >= deadline:
                    break  # the provider wants longer than this call can wait: fall back
                self.sleep(wait)
                continue
            latency = int((time.monotonic() - t0) * 1000)
            if resp.input_tokens <= 0:
                # an answer without usage (some OpenAI-compatible servers, a stream cut before
                # its usage chunk) was still billed: charge what was counted and the output
                # cap, the worst case the reservation held, never nothing
                attempts.append(Attempt(
                    model, pos, "ok", latency_ms=latency, input_tokens=counted,
                    output_tokens=int(request.max_tokens or 0) or resp.output_tokens,
                    http_status=200, error="the provider reported no usage: charged the "
                                           "counted input and the output cap"))
                return resp, None
            attempts.append(Attempt(model, pos, "ok", latency_ms=latency,
                                    input_tokens=resp.input_tokens,
                                    output_tokens=resp.output_tokens,
                                    cached_tokens=resp.cached_tokens, http_status=200))
            return resp, None
        return None, last

    @staticmethod
    def _validate(output: type[T], response: ChatResponse) -> T:
        try:
            return output.model_validate_json(response.text)
        except ValidationError as exc:
            raise _Invalid(str(exc), response.text) from None
