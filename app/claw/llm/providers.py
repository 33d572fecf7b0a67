"""Providers: the official `anthropic` and `openai` SDKs behind one small interface.

`Provider.complete(request, timeout=..., on_text=...)` sends one request (no retries: the
router is the only retry loop, so the SDKs run with max_retries=0) and returns a
`ChatResponse`, or raises `ProviderError` with a kind the router's fallback rules know:
rate_limited (429), server_error (5xx, 529, connection failures), timeout, context_overflow
(the provider says the input is too long), client_error (any other 4xx).

Streaming: with `request.stream` the SDK's streaming API is used and `on_text` receives each
text delta as it arrives; the returned response is the assembled whole with its usage.
Tools: `request.tools` become each provider's tool definitions; tool calls come back as
`ToolCall`s. Structured output: `request.json_schema` becomes OpenAI's `response_format`
json_schema, and for Anthropic a forced tool whose input schema is the schema (the answer is
the tool's input, returned as JSON text). Embeddings: OpenAI only (Anthropic has no
embeddings API).
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

import anthropic
import openai

from claw.llm.types import ChatRequest, ChatResponse, ErrorKind, Message, ProviderError, ToolCall

TextSink = Callable[[str], None]


def within(events: Iterable[Any], timeout: float) -> Iterator[Any]:
    """A stream's events until `timeout` seconds have passed since it started. The SDKs'
    timeout bounds each read, not the whole: a provider sending a chunk every 0.25 s kept a
    500 ms call alive for seconds, past the deadline its reservation was made for."""
    deadline = time.monotonic() + timeout
    for event in events:
        if time.monotonic() > deadline:
            close = getattr(events, "close", None)
            if close is not None:
                close()
            raise ProviderError("timeout", f"the stream ran past its {timeout:.3f} s timeout")
        yield event

class Provider(Protocol):
    name: str

    def complete(self, request: ChatRequest, *, timeout: float,
                 on_text: TextSink | None = None) -> ChatResponse: ...

    def embed(self, texts: Sequence[str], *, model: str, timeout: float) -> list[list[float]]: ...


def _retry_after(headers: Any) -> float | None:
    """The provider's Retry-After in seconds: a number of seconds, or an HTTP date (RFC 9110
    allows both; read as unknown before, so a provider asking for an hour was retried after
    the route's backoff instead of falling back at once). None when absent or unreadable."""
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        return None
    return max(0.0, (at - datetime.now(timezone.utc)).total_seconds())


def _classify(exc: Exception, overflow_markers: tuple[str, ...]) -> ProviderError:
    """One mapping from either SDK's exceptions to ProviderError."""
    if isinstance(exc, (anthropic.APITimeoutError, openai.APITimeoutError)):
        return ProviderError("timeout", str(exc))
    if isinstance(exc, (anthropic.APIStatusError, openai.APIStatusError)):
        status = exc.status_code
        text = str(exc)
        kind: ErrorKind
        if status == 429:
            kind = "rate_limited"
        elif status >= 500:
            kind = "server_error"
        elif status in (400, 413) and any(m in text for m in overflow_markers):
            kind = "context_overflow"
        else:
            kind = "client_error"
        return ProviderError(kind, text, status=status,
                             retry_after=_retry_after(exc.response.headers))
    if isinstance(exc, (anthropic.APIConnectionError, openai.APIConnectionError)):
        return ProviderError("server_error", f"connection failed: {exc}")
    # the transport's own errors while a stream is read (the SDKs wrap them only for the
    # request itself): httpx's, or the copy of httpx the Anthropic SDK ships (httpx2)
    transport = {c.__name__ for c in type(exc).__mro__ if c.__module__.startswith("httpx")}
    if "TimeoutException" in transport or isinstance(exc, TimeoutError):
        return ProviderError("timeout", f"the stream stalled: {type(exc).__name__}: {exc}")
    if "TransportError" in transport:
        return ProviderError("server_error", f"connection failed: {type(exc).__name__}: {exc}")
    # a 200 whose body is not the API's (an HTML page from a proxy, "choices": [])
    if isinstance(exc, (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError,
                        IndexError)):
        return ProviderError("server_error", f"malformed provider response: "
                                             f"{type(exc).__name__}: {exc}")
    raise exc


class AnthropicProvider:
    """Anthropic's Messages API (POST /v1/messages)."""

    name = "anthropic"
    OVERFLOW = ("prompt is too long", "too many tokens")

    def __init__(self, *, api_key: str, base_url: str | None = None) -> None:
        self.client = anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=0)

    def _params(self, req: ChatRequest) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        for m in req.messages:
            messages.append(_anthropic_message(m))
        params: dict[str, Any] = {"model": req.model, "max_tokens": req.max_tokens,
                                  "messages": messages}
        if req.system:
            params["system"] = req.system
        if req.temperature is not None:
            params["temperature"] = req.temperature
        tools = [{"name": t.name, "description": t.description, "input_schema": t.parameters}
                 for t in req.tools]
        if req.json_schema is not None:
            tools.append({"name": req.schema_name, "description": "Return the answer.",
                          "input_schema": req.json_schema})
            params["tool_choice"] = {"type": "tool", "name": req.schema_name}
        if tools:
            params["tools"] = tools
        return params

    def complete(self, request: ChatRequest, *, timeout: float,
                 on_text: TextSink | None = None) -> ChatResponse:
        params = self._params(request)
        try:
            if request.stream:
                with self.client.messages.stream(**params, timeout=timeout) as stream:
                    for event in within(stream, timeout):
                        if event.type == "text" and on_text is not None:
                            on_text(event.text)
                    message = stream.get_final_message()
            else:
                message = self.client.messages.create(**params, timeout=timeout)
            return self._response(request, message)
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified, or re-raised by _classify
            raise _classify(exc, self.OVERFLOW) from exc

    def _response(self, request: ChatRequest, message: Any) -> ChatResponse:
        text_parts: list[str] = []
        calls: list[ToolCall] = []
        for block in message.content:
            if block.type == "text":
                text_parts.append(block.text)
            elif block.type == "tool_use":
                if request.json_schema is not None and block.name == request.schema_name:
                    text_parts.append(json.dumps(block.input))
                else:
                    calls.append(ToolCall(block.id, block.name, dict(block.input)))
        usage = message.usage
        cached = getattr(usage, "cache_read_input_tokens", None) or 0
        created = getattr(usage, "cache_creation_input_tokens", None) or 0
        return ChatResponse(text="".join(text_parts), model=message.model,
                            input_tokens=usage.input_tokens + cached + created,
                            output_tokens=usage.output_tokens, cached_tokens=cached,
                            tool_calls=calls, stop_reason=message.stop_reason, id=message.id)

    def embed(self, texts: Sequence[str], *, model: str, timeout: float) -> list[list[float]]:
        raise NotImplementedError("Anthropic has no embeddings API; route embeddings to OpenAI "
                                  "or use claw.embeddings.LocalEmbedder")


def _anthropic_message(m: Message) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": m.tool_call_id,
                                             "content": m.content}]}
    if m.role == "assistant" and m.tool_calls:
        blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
        blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                   for c in m.tool_calls]
        return {"role": "assistant", "content": blocks}
    return {"role": m.role, "content": m.content}


class OpenAIProvider:
    """OpenAI's Chat Completions API (POST /v1/chat/completions) and embeddings."""

    name = "openai"
    OVERFLOW = ("context_length_exceeded", "maximum context length")

    def __init__(self, *, api_key: str, base_url: str | None = None) -> None:
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)

    def _params(self, req: ChatRequest) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        if req.system:
            messages.append({"role": "system", "content": req.system})
        for m in req.messages:
            messages.append(_openai_message(m))
        params: dict[str, Any] = {"model": req.model, "messages": messages,
                                  "max_completion_tokens": req.max_tokens}
        if req.temperature is not None:
            params["temperature"] = req.temperature
        if req.tools:
            params["tools"] = [{"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in req.tools]
        if req.json_schema is not None:
            params["response_format"] = {"type": "json_schema", "json_schema": {
                "name": req.schema_name, "schema": req.json_schema, "strict": False}}
        return params

    def complete(self, request: ChatRequest, *, timeout: float,
                 on_text: TextSink | None = None) -> ChatResponse:
        params = self._params(request)
        try:
            if request.stream:
                return self._stream(params, timeout, on_text)
            completion = self.client.chat.completions.create(**params, timeout=timeout)
            choice = completion.choices[0]
            calls = [ToolCall(c.id, c.function.name, json.loads(c.function.arguments or "{}"))
                     for c in (choice.message.tool_calls or [])]
            usage = completion.usage
            return ChatResponse(
                text=choice.message.content or "", model=completion.model,
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
                cached_tokens=_cached(usage), tool_calls=calls,
                stop_reason=choice.finish_reason, id=completion.id)
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified, or re-raised by _classify
            raise _classify(exc, self.OVERFLOW) from exc

    def _stream(self, params: dict[str, Any], timeout: float,
                on_text: TextSink | None) -> ChatResponse:
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        usage = None
        model = params["model"]
        finish = None
        ident = None
        stream = self.client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}, timeout=timeout)
        for chunk in within(stream, timeout):
            ident = chunk.id or ident
            model = chunk.model or model
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    text.append(delta.content)
                    if on_text is not None:
                        on_text(delta.content)
                for tc in delta.tool_calls or []:
                    slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.function is not None:
                        slot["name"] += tc.function.name or ""
                        slot["arguments"] += tc.function.arguments or ""
                finish = choice.finish_reason or finish
        return ChatResponse(
            text="".join(text), model=model,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0, cached_tokens=_cached(usage),
            tool_calls=[ToolCall(c["id"], c["name"], json.loads(c["arguments"] or "{}"))
                        for _, c in sorted(calls.items())],
            stop_reason=finish, id=ident)

    def embed(self, texts: Sequence[str], *, model: str, timeout: float) -> list[list[float]]:
        try:
            result = self.client.embeddings.create(model=model, input=list(texts), timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - classified, or re-raised by _classify
            raise _classify(exc, self.OVERFLOW) from exc
        return [list(d.embedding) for d in sorted(result.data, key=lambda d: d.index)]


def _cached(usage: Any) -> int:
    details = getattr(usage, "prompt_tokens_details", None) if usage is not None else None
    return int(getattr(details, "cached_tokens", 0) or 0)


def _openai_message(m: Message) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content}
    if m.role == "assistant" and m.tool_calls:
        return {"role": "assistant", "content": m.content or None, "tool_calls": [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
            for c in m.tool_calls]}
    return {"role": m.role, "content": m.content}


def providers_from_env(env: dict[str, str] | None = None) -> dict[str, Provider]:
    """The providers configured in the environment: CLAW_OPENAI_API_KEY (and optionally
    CLAW_OPENAI_BASE_URL), CLAW_ANTHROPIC_API_KEY (and CLAW_ANTHROPIC_BASE_URL)."""
    import os

    env = dict(os.environ) if env is None else env
    found: dict[str, Provider] = {}
    if env.get("CLAW_OPENAI_API_KEY"):
        found["openai"] = OpenAIProvider(api_key=env["CLAW_OPENAI_API_KEY"],
                                         base_url=env.get("CLAW_OPENAI_BASE_URL") or None)
    if env.get("CLAW_ANTHROPIC_API_KEY"):
        found["anthropic"] = AnthropicProvider(api_key=env["CLAW_ANTHROPIC_API_KEY"],
                                               base_url=env.get("CLAW_ANTHROPIC_BASE_URL") or None)
    return found
