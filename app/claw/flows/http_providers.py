"""Effect providers over HTTP (JSON), for the two kinds of external API a flow meets:

  IdempotentHttpProvider  the provider honours an `Idempotency-Key` header (Stripe, Square):
                          a repeated key returns the first result and does nothing new, so
                          after a crash the flow simply sends again with the same key.
  TaggedHttpProvider      the provider has no idempotency key (Twilio SMS): the request
                          carries the key as a tag (`reference`), and `lookup` asks the
                          provider for messages with that tag before anything is sent again.

Calls run in a thread with a timeout shorter than a worker's lease, so that a request from
a worker that lost its lease has arrived (or never will) before another worker reconciles.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


def _request(method: str, url: str, body: dict[str, Any] | None, headers: dict[str, str],
             timeout: float) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) URLs only
        return json.loads(resp.read() or b"null")


class IdempotentHttpProvider:
    idempotent = True

    def __init__(self, name: str, url: str, timeout: float = 3.0) -> None:
        self.name, self.url, self.timeout = name, url, timeout

    async def send(self, key: str, request: dict[str, Any]) -> Any:
        return await asyncio.to_thread(_request, "POST", self.url, request,
                                       {"Idempotency-Key": key}, self.timeout)

    async def lookup(self, key: str) -> Any | None:  # never needed: sending again is safe
        return None


class TaggedHttpProvider:
    idempotent = False

    def __init__(self, name: str, url: str, timeout: float = 3.0) -> None:
        self.name, self.url, self.timeout = name, url, timeout

    async def send(self, key: str, request: dict[str, Any]) -> Any:
        return await asyncio.to_thread(_request, "POST", self.url, {**request, "reference": key},
                                       {}, self.timeout)

    async def lookup(self, key: str) -> Any | None:
        """The delivered message tagged with `key`, or None; raises when the provider cannot
        be asked (the outcome then stays unknown)."""
        query = urllib.parse.urlencode({"reference": key})
        found = await asyncio.to_thread(_request, "GET", f"{self.url}?{query}", None, {},
                                        self.timeout)
        messages = found.get("messages", []) if isinstance(found, dict) else []
        return messages[0] if messages else None
