"""Embeddings: the bundled local model works with the network made impossible and ranks
similar texts above unrelated ones; the OpenAI-compatible embedder speaks the real wire format
(checked against a local fake of POST /v1/embeddings) and surfaces provider errors with their
status and retry-after; to_pgvector's output is what pgvector reads."""

from __future__ import annotations

import base64
import json
import math
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from claw import embeddings
from claw.embeddings import (
    EmbeddingProviderError,
    LocalEmbedder,
    OpenAIEmbedder,
    default_embedder,
    to_pgvector,
)
from conftest import Database

# (text, a paraphrase of it, an unrelated text)
TRIPLES = [
    ("invoice overdue for plumbing job", "unpaid plumbing bill", "weather in Paris"),
    ("reset my account password", "I forgot my login credentials",
     "best pasta recipe with tomatoes"),
    ("the database server crashed overnight", "postgres went down during the night",
     "my cat likes to sleep in the sun"),
    ("schedule a meeting with the client next Tuesday",
     "book an appointment with the customer for next week", "the river flooded the valley"),
    ("refund the customer for the damaged package",
     "the parcel arrived broken, give the money back", "quarterly football league standings"),
    ("flight delayed at the airport", "my plane departure was postponed",
     "how to repot a cactus"),
]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every name lookup and outbound connection attempt raises (and is recorded)."""
    attempts: list[object] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


# --- LocalEmbedder ------------------------------------------------------------------------


def test_local_embedder_loads_and_embeds_offline(no_network: list[object],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Any) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.cache/wordllama to fall back on
    embeddings._wordllama.cache_clear()  # the load itself must happen with the network off
    embedder = LocalEmbedder()
    assert embedder.dimension == 256
    assert embedder.model == "wordllama/l2_supercat@256"

    texts = ["invoice overdue for plumbing job", "unpaid plumbing bill", "weather in Paris"]
    first = embedder.embed(texts)
    second = LocalEmbedder().embed(texts)

    assert len(first) == len(texts)
    for vector in first:
        assert len(vector) == 256
        assert all(isinstance(x, float) for x in vector)
        assert norm(vector) == pytest.approx(1.0, abs=1e-6)
    assert first == second
    assert embedder.embed([]) == []
    assert no_network == []
    assert not (tmp_path / ".cache").exists()


def test_similar_texts_are_closer_than_unrelated() -> None:
    embedder = LocalEmbedder()
    for text, paraphrase, unrelated in TRIPLES:
        a, b, c = embedder.embed([text, paraphrase, unrelated])
        similar = cosine(a, b)
        assert similar > cosine(a, c) + 0.1, (text, paraphrase, unrelated)
        assert similar > cosine(b, c) + 0.1, (text, paraphrase, unrelated)


def test_matryoshka_dimensions_truncate_the_same_model() -> None:
    full = LocalEmbedder(256).embed(["unpaid plumbing bill"])[0]
    for dimension in (64, 128):
        small = LocalEmbedder(dimension)
        assert small.model == f"wordllama/l2_supercat@{dimension}"
        vector = small.embed(["unpaid plumbing bill"])[0]
        assert len(vector) == dimension
        prefix = full[:dimension]
        assert vector == pytest.approx([x / norm(prefix) for x in prefix], abs=1e-6)
    with pytest.raises(ValueError):
        LocalEmbedder(512)  # not shipped in the wheel: would need a download


def test_long_texts_are_embedded_on_their_first_tokens() -> None:
    embedder = LocalEmbedder()
    plumbing = "unpaid plumbing bill " * 2000  # well past LOCAL_MAX_TOKENS on its own
    long_text, head_only = embedder.embed([plumbing + "weather in Paris " * 2000, plumbing])
    assert cosine(long_text, head_only) == pytest.approx(1.0, abs=1e-6)


def test_empty_text_is_refused() -> None:
    embedder = LocalEmbedder()
    with pytest.raises(ValueError, match="text 1 is empty"):
        embedder.embed(["unpaid plumbing bill", "  "])
    with pytest.raises(TypeError):
        embedder.embed("unpaid plumbing bill")


# --- OpenAIEmbedder against a fake of POST /v1/embeddings ----------------------------------


@dataclass
class FakeProvider:
    """What the fake server received, and the errors it is told to answer with."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    force_dimension: int | None = None


def fake_vector(text: str, index: int, dimension: int) -> list[float]:
    """A deterministic, not normalised vector the test can recompute."""
    return [float(len(text)), float(index + 1)] + [0.5] * (dimension - 2)


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    state = FakeProvider(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            headers = {name.lower(): value for name, value in self.headers.items()}
            state.requests.append({"path": self.path, "headers": headers, "body": body})
            if state.errors:
                status, headers, payload = state.errors.pop(0)
                self.reply(status, payload, headers)
                return
            dimension = state.force_dimension or body["dimensions"]
            data = []
            for index, text in enumerate(body["input"]):
                vector = fake_vector(text, index, dimension)
                if body.get("encoding_format") == "base64":  # little-endian float32, as OpenAI
                    embedding: Any = base64.b64encode(
                        struct.pack(f"<{dimension}f", *vector)).decode()
                else:
                    embedding = vector
                data.append({"object": "embedding", "index": index, "embedding": embedding})
            data.reverse()  # out of order on purpose: clients must order by `index`
            self.reply(200, {"object": "list", "data": data, "model": body["model"],
                             "usage": {"prompt_tokens": 7, "total_tokens": 7}})

        def reply(self, status: int, payload: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def make_embedder(provider: FakeProvider, dimension: int = 4) -> OpenAIEmbedder:
    return OpenAIEmbedder(base_url=provider.url, api_key="sk-test",
                          model="text-embedding-3-small", dimension=dimension, timeout=5.0,
                          max_retries=0)


def test_openai_embedder_speaks_the_wire_format(provider: FakeProvider) -> None:
    texts = ["unpaid plumbing bill", "weather in Paris", "x"]
    vectors = make_embedder(provider).embed(texts)

    [request] = provider.requests
    assert request["path"] == "/v1/embeddings"
    assert request["headers"]["authorization"] == "Bearer sk-test"
    # The pinned SDK asks for base64 (packed float32) unless told otherwise and decodes it.
    assert request["body"] == {"model": "text-embedding-3-small", "input": texts,
                               "dimensions": 4, "encoding_format": "base64"}
    assert len(vectors) == 3
    for index, (text, vector) in enumerate(zip(texts, vectors, strict=True)):
        expected = fake_vector(text, index, 4)
        assert vector == pytest.approx([x / norm(expected) for x in expected], abs=1e-6)


def test_openai_embedder_batches_past_the_input_limit(provider: FakeProvider,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "OPENAI_MAX_INPUTS", 2)
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    vectors = make_embedder(provider).embed(texts)
    assert [r["body"]["input"] for r in provider.requests] == [["a", "bb"], ["ccc", "dddd"],
                                                               ["eeeee"]]
    expected = [fake_vector(text, i % 2, 4) for i, text in enumerate(texts)]  # index per request
    assert len(vectors) == len(expected)
    for vector, want in zip(vectors, expected, strict=True):
        assert vector == pytest.approx([x / norm(want) for x in want], abs=1e-6)


def test_openai_rate_limit_surfaces_status_and_retry_after(provider: FakeProvider) -> None:
    provider.errors.append((429, {"retry-after": "7"}, {"error": {
        "message": "Rate limit reached for text-embedding-3-small on requests per min",
        "type": "requests", "param": None, "code": "rate_limit_exceeded"}}))
    with pytest.raises(EmbeddingProviderError) as caught:
        make_embedder(provider).embed(["unpaid plumbing bill"])
    error = caught.value
    assert error.status_code == 429
    assert error.retry_after == "7"
    assert error.code == "rate_limit_exceeded"
    assert "HTTP 429" in str(error)
    assert "retry-after 7" in str(error)
    assert "Rate limit reached" in str(error)
    assert len(provider.requests) == 1


def test_openai_wrong_dimension_is_refused(provider: FakeProvider) -> None:
    provider.force_dimension = 3  # a provider that ignores `dimensions`
    with pytest.raises(EmbeddingProviderError, match="returned 3 dimensions, expected 4"):
        make_embedder(provider).embed(["unpaid plumbing bill"])


def test_openai_unreachable_provider_is_a_provider_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    embedder = OpenAIEmbedder(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test",
                              model="m", dimension=4, timeout=2.0, max_retries=0)
    with pytest.raises(EmbeddingProviderError, match="unreachable") as caught:
        embedder.embed(["x"])
    assert caught.value.status_code is None


# --- default_embedder and to_pgvector ------------------------------------------------------


def test_default_embedder_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  provider: FakeProvider) -> None:
    monkeypatch.delenv("CLAW_EMBED_PROVIDER", raising=False)
    assert isinstance(default_embedder(), LocalEmbedder)

    monkeypatch.setenv("CLAW_EMBED_PROVIDER", "openai")
    monkeypatch.delenv("CLAW_EMBED_API_KEY", raising=False)
    with pytest.raises(ValueError, match="CLAW_EMBED_API_KEY"):
        default_embedder()

    monkeypatch.setenv("CLAW_EMBED_BASE_URL", provider.url)
    monkeypatch.setenv("CLAW_EMBED_API_KEY", "sk-env")
    monkeypatch.setenv("CLAW_EMBED_MODEL", "nomic-embed-text")
    monkeypatch.setenv("CLAW_EMBED_DIMENSION", "6")
    embedder = default_embedder()
    assert isinstance(embedder, OpenAIEmbedder)
    assert (embedder.model, embedder.dimension) == ("nomic-embed-text", 6)
    assert len(embedder.embed(["hello"])[0]) == 6
    assert provider.requests[0]["headers"]["authorization"] == "Bearer sk-env"
    assert provider.requests[0]["body"]["model"] == "nomic-embed-text"

    monkeypatch.setenv("CLAW_EMBED_PROVIDER", "cohere")
    with pytest.raises(ValueError, match="expected 'local' or 'openai'"):
        default_embedder()


def test_to_pgvector_format() -> None:
    assert to_pgvector([0.1, -2.0, 3]) == "[0.1,-2.0,3.0]"
    vector = LocalEmbedder().embed(["unpaid plumbing bill"])[0]
    assert json.loads(to_pgvector(vector)) == vector  # every digit kept
    with pytest.raises(ValueError):
        to_pgvector([float("nan")])


def test_pgvector_reads_the_vectors_and_ranks_like_cosine(empty_db: Database) -> None:
    embedder = LocalEmbedder()
    query, similar, unrelated = embedder.embed(list(TRIPLES[0]))
    with empty_db.connect() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        row = conn.execute(
            "SELECT %(q)s::vector <=> %(s)s::vector, %(q)s::vector <=> %(u)s::vector, "
            "vector_norm(%(q)s::vector), vector_dims(%(q)s::vector)",
            {"q": to_pgvector(query), "s": to_pgvector(similar), "u": to_pgvector(unrelated)},
        ).fetchone()
    assert row is not None
    near, far, length, dims = row
    assert near == pytest.approx(1 - cosine(query, similar), abs=1e-5)
    assert far == pytest.approx(1 - cosine(query, unrelated), abs=1e-5)
    assert near < far
    assert length == pytest.approx(1.0, abs=1e-5)
    assert dims == 256
