"""Local fake providers for the demo, the chaos test and the benchmark: HTTP servers on
127.0.0.1 that count deliveries, speaking the two wire shapes of claw.flows.http_providers.

  kind 'idempotent'  POST / with an Idempotency-Key header: the first request with a key is
                     delivered and its response stored; a repeat gets the stored response and
                     is not delivered again (Square, Stripe).
  kind 'tagged'      POST / with a JSON body: every POST is a delivery (Twilio SMS: no key);
                     GET /?reference=K lists the delivered messages tagged K.

`delay` holds every response that long after the delivery was recorded, so that a worker
killed "mid-call" has delivered but not heard back: the case reconciliation exists for.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client killed mid-call (the point of the exercise) is not an error


class FakeProvider:
    def __init__(self, kind: str, delay: float = 0.0) -> None:
        assert kind in ("idempotent", "tagged")
        self.kind, self.delay = kind, delay
        self.deliveries: Counter[str] = Counter()  # key -> times delivered
        self.requests = 0
        self.lookups = 0
        self.stored: dict[str, Any] = {}
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _reply(self, code: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)) or 0)
                                  or b"{}")
                self._reply(200, provider.post(body, self.headers.get("Idempotency-Key")))

            def do_GET(self) -> None:  # noqa: N802
                ref = parse_qs(urlsplit(self.path).query).get("reference", [""])[0]
                self._reply(200, provider.lookup(ref))

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def post(self, body: dict[str, Any], key: str | None) -> Any:
        with self.lock:
            self.requests += 1
            if self.kind == "idempotent":
                if key is None:
                    return {"error": "Idempotency-Key required"}
                if key in self.stored:
                    return self.stored[key]
                self.deliveries[key] += 1
                response = {"id": f"pay_{len(self.stored) + 1}", "key": key, **body}
                self.stored[key] = response
            else:
                ref = str(body.get("reference", ""))
                self.deliveries[ref] += 1
                response = {"sid": f"SM{len(self.messages) + 1}", **body}
                self.messages.append(response)
        if self.delay:
            time.sleep(self.delay)
        return response

    def lookup(self, ref: str) -> Any:
        with self.lock:
            self.lookups += 1
            return {"messages": [m for m in self.messages if m.get("reference") == ref]}

    def duplicates(self) -> int:
        """Deliveries beyond the first, over all keys."""
        with self.lock:
            return sum(n - 1 for n in self.deliveries.values() if n > 1)

    def delivered_keys(self) -> set[str]:
        with self.lock:
            return {k for k, n in self.deliveries.items() if n > 0}
