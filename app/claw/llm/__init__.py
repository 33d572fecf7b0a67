"""Claw's LLM layer: providers (official anthropic and openai SDKs), the router (routes,
budgets, ledger, cache and breakers in PostgreSQL), context assembly, structured outputs and
evals. See router.py for one call's life."""

from claw.llm.context import Assembled, Part, assemble
from claw.llm.providers import AnthropicProvider, OpenAIProvider, Provider
from claw.llm.router import (CallResult, InvalidOutput, LLMCallFailed, Router, TenantAuth,
                             request_hash)
from claw.llm.tokens import TokenCounter, counter_for
from claw.llm.types import ChatRequest, ChatResponse, Message, ProviderError, Tool, ToolCall

__all__ = [
    "AnthropicProvider", "Assembled", "CallResult", "ChatRequest", "ChatResponse",
    "InvalidOutput", "LLMCallFailed", "Message", "OpenAIProvider", "Part", "Provider",
    "ProviderError", "Router", "TenantAuth", "TokenCounter", "Tool", "ToolCall", "assemble",
    "counter_for", "request_hash",
]
