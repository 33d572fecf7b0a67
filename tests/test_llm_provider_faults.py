"""Providers that misbehave mid-answer (found by an outside-in probe of the LLM layer). Each
failed on the old code with a raw Python error out of Router.call, no ledger row and no
fallback:
  * an Anthropic stream that stalls past the route's timeout: the transport's ReadTimeout
    (the Anthropic SDK's own copy of httpx) was not classified;
  * a 200 whose body is not a completion (a proxy's HTML page, "choices": [], other JSON):
    AttributeError / IndexError escaped.
Now the first is a timeout and the others a server_error: ledgered, and the route falls back."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from claw.llm import OpenAIProvider, Router, TenantAuth
from test_llm import Env, env, user  # noqa: F401


@pytest.mark.parametrize("first", ["openai", "anthropic"])
def test_a_stream_that_stalls_longer_than_the_timeout_falls_back(env: Env, first: str) -> None:
    """The provider sends the stream's headers, then nothing for longer than the route's
    timeout. fallback_on includes timeout: the next model should answer, the stall be a
    'timeout' row."""
    models = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
    other = "anthropic" if first == "openai" else "openai"
    env.route(p_models=[models[first], models[other]], p_timeout_ms=500)
    env.fakes[first].push({"text": "slow words here", "chunk_delay": 1.5})
    env.fakes[other].push({"text": "quick"})
    try:
        result = env.router().call("summarise", user(), stream=True)
        outcome: Any = result.response.text
    except Exception as exc:  # noqa: BLE001
        outcome = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    rows = [(r["model"], r["outcome"]) for r in env.ledger()]
    status = env.superuser("SELECT status FROM llm.reservations")
    assert outcome == "quick", (outcome, rows, status)


class Odd(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b"<html>502 Bad Gateway</html>"
    ctype = "text/html"

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", self.ctype)
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *a: Any) -> None:
        pass


@pytest.mark.parametrize("body, ctype", [
    (b"<html>502 Bad Gateway</html>", "text/html"),
    (b'{"id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini", '
     b'"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 0, '
     b'"total_tokens": 10}}', "application/json"),
    (b'{"not": "a completion"}', "application/json"),
], ids=["html 200", "no choices", "other json"])
def test_a_malformed_200_body_is_a_server_error_and_falls_back(env: Env, body: bytes,
                                                               ctype: str) -> None:
    handler = type("H", (Odd,), {"body": body, "ctype": ctype})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        providers = env.providers()
        providers["openai"] = OpenAIProvider(
            api_key="k", base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
        conn = env.db.connect("claw_runtime")
        env.conns.append(conn)
        env.fakes["anthropic"].push({"text": "from claude"})
        router = Router(conn, TenantAuth.api_key(env.key), providers, sleep=env.sleeps.append)
        try:
            outcome: Any = router.call("summarise", user()).response.text
        except Exception as exc:  # noqa: BLE001
            outcome = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    finally:
        server.shutdown()
        server.server_close()
    rows = [(r["model"], r["outcome"]) for r in env.ledger()]
    assert outcome == "from claude", (outcome, rows)


def test_a_retry_after_given_as_an_http_date_is_read() -> None:
    """RFC 9110 lets Retry-After be seconds or an HTTP date; the date was read as unknown, so
    a provider asking for an hour was retried after the route's backoff instead of being
    fallen back from at once."""
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    from claw.llm.providers import _retry_after

    in_an_hour = format_datetime(datetime.now(timezone.utc) + timedelta(hours=1), usegmt=True)
    wait = _retry_after({"retry-after": in_an_hour})
    assert wait is not None and 3590 < wait <= 3600, wait
    assert _retry_after({"retry-after": "7"}) == 7.0
    assert _retry_after({"retry-after": "soon"}) is None
    assert _retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_a_stream_abandoned_mid_answer_is_signalled_before_the_next_answer(env: Env) -> None:
    """A stream that stopped mid-answer (a timeout) had already given on_text part of its
    text; the fallback model's answer then streamed on after it, and the caller showed the
    two answers run together. Router.call(on_restart=...) is now called before an attempt
    whose text replaces what on_text was given; the text after the last restart is the
    answer."""
    env.route(p_models=["gpt-4o-mini", "claude-haiku-4-5"], p_timeout_ms=500)
    env.fakes["openai"].push({"text": "a first answer that stops here and never ends",
                              "stall_after": 2, "stall": 1.5})
    env.fakes["anthropic"].push({"text": "the second answer"})
    chunks: list[str] = []
    restarts: list[int] = []
    result = env.router().call("summarise", user(), stream=True, on_text=chunks.append,
                               on_restart=lambda: restarts.append(len(chunks)))
    assert result.response.text == "the second answer"
    assert len(restarts) == 1 and restarts[0] > 0, (restarts, chunks)
    assert "".join(chunks[restarts[0]:]) == "the second answer"
    assert "".join(chunks[:restarts[0]]).startswith("a first")


def test_no_restart_is_signalled_when_nothing_was_streamed_yet(env: Env) -> None:
    env.route(p_models=["gpt-4o-mini", "claude-haiku-4-5"])
    env.fakes["openai"].push({"status": 503})
    env.fakes["anthropic"].push({"text": "fine"})
    chunks: list[str] = []
    restarts: list[int] = []
    env.router().call("summarise", user(), stream=True, on_text=chunks.append,
                      on_restart=lambda: restarts.append(len(chunks)))
    assert restarts == [] and "".join(chunks) == "fine"
