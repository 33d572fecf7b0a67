"""The provider-neutral shapes the LLM layer speaks: messages, tools, requests, responses and
provider errors. Providers translate them to and from each SDK's wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "tool"]
ErrorKind = Literal["rate_limited", "server_error", "timeout", "context_overflow",
                    "client_error"]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """One turn. `tool_calls` on an assistant turn; `tool_call_id` on a tool result."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema of the arguments


@dataclass
class ChatRequest:
    model: str
    messages: list[Message]
    system: str | None = None
    tools: list[Tool] = field(default_factory=list)
    max_tokens: int = 1024
    temperature: float | None = None
    # structured output: a JSON schema the answer must satisfy (a pydantic model's schema)
    json_schema: dict[str, Any] | None = None
    schema_name: str = "answer"
    stream: bool = False


@dataclass
class ChatResponse:
    text: str
    model: str
    input_tokens: int  # every input token, cached ones included
    output_tokens: int
    cached_tokens: int = 0  # the part of input_tokens read from the provider's prompt cache
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop_reason: str | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "model": self.model, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cached_tokens": self.cached_tokens,
                "stop_reason": self.stop_reason, "id": self.id,
                "tool_calls": [{"id": t.id, "name": t.name, "arguments": t.arguments}
                               for t in self.tool_calls]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ChatResponse:
        return cls(text=doc["text"], model=doc["model"], input_tokens=doc["input_tokens"],
                   output_tokens=doc["output_tokens"], cached_tokens=doc.get("cached_tokens", 0),
                   stop_reason=doc.get("stop_reason"), id=doc.get("id"),
                   tool_calls=[ToolCall(t["id"], t["name"], t["arguments"])
                               for t in doc.get("tool_calls", [])])


class ProviderError(Exception):
    """A provider refused or failed a request.

    `kind` is what the router's fallback rules key on; `status` the HTTP status (None when no
    response came), `retry_after` the provider's retry-after in seconds when it sent one.
    """

    def __init__(self, kind: ErrorKind, message: str, *, status: int | None = None,
                 retry_after: float | None = None, skipped: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        # passed over before anything was sent (the router moves on whatever fallback_on says)
        self.skipped = skipped
