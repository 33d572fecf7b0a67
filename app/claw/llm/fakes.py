"""Local fake LLM providers on 127.0.0.1 that speak each provider's real wire protocol, for
tests, the demo and the benchmark (no provider is reachable from here).

`FakeProvider("openai")`: POST /v1/chat/completions (JSON, or SSE chunks with a final usage
chunk when stream_options.include_usage, then `data: [DONE]`), POST /v1/embeddings; errors as
OpenAI sends them: {"error": {"message", "type", "param", "code"}} with 429 + retry-after,
400 context_length_exceeded, 500 server_error.
`FakeProvider("anthropic")`: POST /v1/messages (JSON, or the SSE event sequence
message_start, content_block_start, ping, content_block_delta (text_delta /
input_json_delta), content_block_stop, message_delta (stop_reason, output usage),
message_stop); errors as {"type": "error", "error": {"type", "message"}}: 429
rate_limit_error + retry-after, 529 overloaded_error, 500 api_error, 400
invalid_request_error "prompt is too long".

Tests script it: `push(step, ...)` queues one step per request (FIFO), and `default` (a
function of the request body) answers when the queue is empty. A step is a dict:
  status + retry_after (+ message)   an error response of that status
  overflow: True                     the provider's context-overflow error
  delay: seconds                     sleep first (timeouts)
  text: "..." | json: {...}          the answer (json: as structured output)
  malformed: True                    an answer that is not what was asked for
  tool_call: {"name", "arguments"}   a tool call
  usage: {"input", "output", "cached"}  reported usage (default: counted like the provider)
  chunk_delay: seconds               wait before each stream chunk (a slow trickle)
  no_usage: True                     (openai) no usage in the answer or the stream, as some
                                     OpenAI-compatible servers answer
  ignore_cap: True                   report usage.output even above the request's max_tokens,
                                     as a server that does not honour it
  stall_after: n, stall: seconds     (openai, streamed) after n text chunks, wait that long
                                     before the next (a stream that stops mid-answer)
Every request body is kept in `requests`; `hits` counts them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from claw.llm.tokens import PER_MESSAGE, REPLY_PRIMING, counter_for

Step = dict[str, Any]
ANTHROPIC_ERRORS = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error",
                    503: "api_error", 400: "invalid_request_error", 401: "authentication_error"}


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                parts.append(str(block.get("text") or block.get("content") or
                                 json.dumps(block.get("input", ""))))
        return " ".join(parts)
    return ""


def counted_input(body: dict[str, Any]) -> int:
    """Input tokens as the fake provider counts them: o200k over the text, plus framing."""
    counter = counter_for("o200k_base")
    messages = body.get("messages", [])
    total = REPLY_PRIMING + PER_MESSAGE * len(messages)
    system = body.get("system")
    if system:
        total += PER_MESSAGE + counter.count(_content_text(system))
    for m in messages:
        total += counter.count(_content_text(m.get("content")))
    return total


class FakeProvider:
    def __init__(self, provider: str, default: Callable[[dict[str, Any]], Step] | None = None) -> None:
        if provider not in ("openai", "anthropic"):
            raise ValueError(provider)
        self.provider = provider
        self.script: deque[Step] = deque()
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.hits = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._ids = 0

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeProvider:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                try:
                    fake._handle(self, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a burst of callers connecting at once (default 5)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What the SDK takes as base_url (OpenAI's includes /v1)."""
        root = f"http://127.0.0.1:{self.port}"
        return root + "/v1" if self.provider == "openai" else root

    def push(self, *steps: Step) -> None:
        with self._lock:
            self.script.extend(steps)

    # --- one request --------------------------------------------------------------------
    def _next(self, body: dict[str, Any]) -> tuple[Step, str]:
        with self._lock:
            self.hits += 1
            self._ids += 1
            self.requests.append(body)
            step = self.script.popleft() if self.script else None
            ident = f"{self._ids:08d}"
        if step is None:
            step = self.default(body) if self.default else {}
        return step, ident

    def _handle(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        step, ident = self._next(body)
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        if h.path.endswith("/embeddings"):
            return self._embeddings(h, body, step)
        if step.get("overflow"):
            msg = ("prompt is too long: 250000 tokens > 200000 maximum" if self.provider == "anthropic"
                   else "This model's maximum context length is 128000 tokens. However, your "
                        "messages resulted in 250000 tokens. Please reduce the length of the messages.")
            return self._error(h, 400, msg, code="context_length_exceeded")
        if step.get("status") and step["status"] >= 400:
            status = int(step["status"])
            msg = step.get("message") or {429: "Rate limit reached", 529: "Overloaded"}.get(
                status, "The server had an error while processing your request.")
            return self._error(h, status, msg, retry_after=step.get("retry_after"))
        usage = step.get("usage") or {}
        inp = int(usage.get("input", counted_input(body)))
        cached = int(usage.get("cached", 0))
        if self.provider == "openai":
            return self._openai(h, body, step, ident, inp, cached, usage.get("output"))
        return self._anthropic(h, body, step, ident, inp, cached, usage.get("output"))

    def _answer(self, body: dict[str, Any], step: Step) -> tuple[str, dict[str, Any] | None]:
        """(text, tool call) the step asks for."""
        if "tool_call" in step:
            return "", step["tool_call"]
        if step.get("malformed"):
            return 'not json {"answer": ', None
        if "json" in step:
            return json.dumps(step["json"]), None
        if "text" in step:
            return str(step["text"]), None
        last = body.get("messages", [{}])[-1]
        return "echo: " + _content_text(last.get("content"))[:40], None

    def _send_json(self, h: BaseHTTPRequestHandler, status: int, doc: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(doc).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(raw)))
        h.send_header("request-id" if self.provider == "anthropic" else "x-request-id", "req_fake")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(raw)

    def _error(self, h: BaseHTTPRequestHandler, status: int, message: str, *,
               code: str | None = None, retry_after: Any = None) -> None:
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        if self.provider == "anthropic":
            doc: dict[str, Any] = {"type": "error", "error": {
                "type": ANTHROPIC_ERRORS.get(status, "api_error"), "message": message}}
        else:
            kind = {429: "requests", 400: "invalid_request_error"}.get(status, "server_error")
            doc = {"error": {"message": message, "type": kind,
                             "param": "messages" if code else None,
                             "code": code or ("rate_limit_exceeded" if status == 429 else None)}}
        self._send_json(h, status, doc, headers)

    def _sse_start(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("cache-control", "no-cache")
        h.send_header("connection", "close")
        h.end_headers()
        h.close_connection = True

    @staticmethod
    def _pieces(text: str, n: int = 4) -> list[str]:
        size = max(1, -(-len(text) // n))
        return [text[i:i + size] for i in range(0, len(text), size)] or [""]

    # --- OpenAI -------------------------------------------------------------------------
    def _openai(self, h: BaseHTTPRequestHandler, body: dict[str, Any], step: Step, ident: str,
                inp: int, cached: int, out: Any) -> None:
        text, call = self._answer(body, step)
        cap = int(body.get("max_completion_tokens") or body.get("max_tokens") or 4096)
        if step.get("ignore_cap"):  # a server that does not honour max_tokens
            cap = 1 << 30
        out_tokens = min(cap, int(out) if out is not None else
                         max(1, counter_for("o200k_base").count(text or json.dumps(call))))
        usage = {"prompt_tokens": inp, "completion_tokens": out_tokens,
                 "total_tokens": inp + out_tokens,
                 "prompt_tokens_details": {"cached_tokens": cached}}
        model = body.get("model", "gpt-4o-mini")
        finish = "tool_calls" if call else "stop"
        tool_calls = [{"id": f"call_{ident}", "type": "function", "function": {
            "name": call["name"], "arguments": json.dumps(call["arguments"])}}] if call else None
        base = {"id": f"chatcmpl-{ident}", "created": int(time.time()), "model": model,
                "system_fingerprint": "fp_fake"}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": text if not call else None,
                                       "refusal": None}
            if tool_calls:
                message["tool_calls"] = tool_calls
            answer: dict[str, Any] = {**base, "object": "chat.completion", "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}]}
            if not step.get("no_usage"):
                answer["usage"] = usage
            return self._send_json(h, 200, answer)
        self._sse_start(h)

        def chunk(delta: dict[str, Any], finish_reason: str | None = None,
                  choices: bool = True, with_usage: bool = False) -> None:
            doc: dict[str, Any] = {**base, "object": "chat.completion.chunk",
                                   "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                "finish_reason": finish_reason}] if choices else []}
            if with_usage:
                doc["usage"] = usage
            time.sleep(float(step.get("chunk_delay", 0)))
            h.wfile.write(b"data: " + json.dumps(doc).encode() + b"\n\n")
            h.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        if call:
            args = json.dumps(call["arguments"])
            chunk({"tool_calls": [{"index": 0, "id": f"call_{ident}", "type": "function",
                                   "function": {"name": call["name"], "arguments": ""}}]})
            for piece in self._pieces(args):
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        else:
            for i, piece in enumerate(self._pieces(text)):
                if i == step.get("stall_after"):  # a stream that stops mid-answer
                    time.sleep(float(step.get("stall", 0)))
                chunk({"content": piece})
        chunk({}, finish)
        if (body.get("stream_options") or {}).get("include_usage") and not step.get("no_usage"):
            chunk({}, choices=False, with_usage=True)
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()

    def _embeddings(self, h: BaseHTTPRequestHandler, body: dict[str, Any], step: Step) -> None:
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        dim = int(body.get("dimensions") or 8)
        data = []
        for i, text in enumerate(texts):
            vec = [((hash((text, j)) % 1000) / 1000.0) - 0.5 for j in range(dim)]
            data.append({"object": "embedding", "index": i, "embedding": vec})
        n = sum(counter_for("o200k_base").count(t) for t in texts)
        self._send_json(h, 200, {"object": "list", "data": data, "model": body.get("model"),
                                 "usage": {"prompt_tokens": n, "total_tokens": n}})

    # --- Anthropic ----------------------------------------------------------------------
    def _anthropic(self, h: BaseHTTPRequestHandler, body: dict[str, Any], step: Step, ident: str,
                   inp: int, cached: int, out: Any) -> None:
        text, call = self._answer(body, step)
        forced = (body.get("tool_choice") or {}).get("name")
        if forced and not call:  # structured output: the answer is the forced tool's input
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = {"unexpected": text}
            call = {"name": forced, "arguments": parsed if isinstance(parsed, dict)
                    else {"value": parsed}}
            text = ""
        cap = int(body.get("max_tokens") or 4096)
        if step.get("ignore_cap"):
            cap = 1 << 30
        out_tokens = min(cap, int(out) if out is not None else
                         max(1, counter_for("o200k_base").count(text or json.dumps(call))))
        blocks: list[dict[str, Any]] = []
        if text:
            blocks.append({"type": "text", "text": text})
        if call:
            blocks.append({"type": "tool_use", "id": f"toolu_{ident}", "name": call["name"],
                           "input": call["arguments"]})
        stop = "tool_use" if call else "end_turn"
        usage = {"input_tokens": inp - cached, "output_tokens": out_tokens,
                 "cache_read_input_tokens": cached, "cache_creation_input_tokens": 0}
        message = {"id": f"msg_{ident}", "type": "message", "role": "assistant",
                   "model": body.get("model", "claude-haiku-4-5"), "content": blocks,
                   "stop_reason": stop, "stop_sequence": None, "usage": usage}
        if not body.get("stream"):
            return self._send_json(h, 200, message)
        self._sse_start(h)

        def event(name: str, doc: dict[str, Any]) -> None:
            time.sleep(float(step.get("chunk_delay", 0)))
            h.wfile.write(f"event: {name}\ndata: {json.dumps(doc)}\n\n".encode())
            h.wfile.flush()

        event("message_start", {"type": "message_start", "message": {
            **message, "content": [], "stop_reason": None,
            "usage": {**usage, "output_tokens": 1}}})
        for i, block in enumerate(blocks):
            start = ({"type": "text", "text": ""} if block["type"] == "text" else
                     {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}})
            event("content_block_start", {"type": "content_block_start", "index": i,
                                          "content_block": start})
            if i == 0:
                event("ping", {"type": "ping"})
            if block["type"] == "text":
                for piece in self._pieces(block["text"]):
                    event("content_block_delta", {"type": "content_block_delta", "index": i,
                                                  "delta": {"type": "text_delta", "text": piece}})
            else:
                for piece in self._pieces(json.dumps(block["input"])):
                    event("content_block_delta", {"type": "content_block_delta", "index": i,
                                                  "delta": {"type": "input_json_delta",
                                                            "partial_json": piece}})
            event("content_block_stop", {"type": "content_block_stop", "index": i})
        event("message_delta", {"type": "message_delta",
                                "delta": {"stop_reason": stop, "stop_sequence": None},
                                "usage": {"output_tokens": out_tokens}})
        event("message_stop", {"type": "message_stop"})
