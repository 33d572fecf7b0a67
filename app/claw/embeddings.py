"""Text embeddings for hybrid search (pgvector), behind one small interface.

- `Embedder`: what the rest of Claw uses. `model` names what produced the vectors (store it
  beside them: vectors from different models are not comparable), `dimension` is the length of
  every vector, `embed()` returns unit vectors, so pgvector's cosine distance (`<=>`) and inner
  product (`<#>`) rank alike.
- `LocalEmbedder` (the default): WordLlama's `l2_supercat` static token embeddings (mean-pooled
  token vectors), whose 256-dimension weights and tokenizer ship inside the `wordllama` wheel.
  They are loaded from the installed package with downloads disabled, so nothing is fetched at
  run time and it works with no network. 256 dimensions by default; 128 and 64 are Matryoshka
  truncations of the same weights. Texts longer than `LOCAL_MAX_TOKENS` tokens are embedded on
  their first `LOCAL_MAX_TOKENS` tokens (chunk long documents before embedding them).
- `OpenAIEmbedder`: any provider that speaks OpenAI's `POST /v1/embeddings`, through the
  official `openai` SDK. Provider errors become `EmbeddingProviderError`, which keeps the HTTP
  status and the `retry-after` header.
- `default_embedder()`: `LocalEmbedder`, or `OpenAIEmbedder` when `CLAW_EMBED_PROVIDER=openai`
  (then `CLAW_EMBED_BASE_URL`, `CLAW_EMBED_API_KEY`, `CLAW_EMBED_MODEL`, `CLAW_EMBED_DIMENSION`).
- `to_pgvector()`: a vector as pgvector's text input, `'[0.1,0.2,...]'`.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference  # type: ignore[import-untyped]

LOCAL_CONFIG = "l2_supercat"
LOCAL_DIMENSIONS = (64, 128, 256)  # 256 is what the wheel ships; 128 and 64 truncate it
LOCAL_MAX_TOKENS = 2048
OPENAI_MAX_INPUTS = 2048  # OpenAI's limit on the number of inputs in one request


class Embedder(Protocol):
    model: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector of length `dimension` per text, in order."""
        ...


class EmbeddingProviderError(RuntimeError):
    """An embedding provider refused or failed a request.

    `status_code` is the HTTP status (None when no response came: connection error or
    timeout), `retry_after` the provider's `retry-after` header as sent, `code` the error code
    from the provider's error body.
    """

    def __init__(self, message: str, *, status_code: int | None = None,
                 retry_after: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after
        self.code = code


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not one string")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"text {i} is {type(text).__name__}, not str")
        if not text.strip():
            raise ValueError(f"text {i} is empty: an empty text has no embedding")
    return items


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if norm == 0.0 or not math.isfinite(norm):
        raise ValueError("cannot normalise a zero or non-finite vector")
    return [x / norm for x in vector]


@functools.cache
def _wordllama(dimension: int) -> WordLlamaInference:
    """Load the bundled WordLlama model once per process and dimension."""
    import wordllama  # type: ignore[import-untyped]
    from wordllama import WordLlama

    # The wheel ships wordllama/weights/l2_supercat_256.safetensors and
    # wordllama/tokenizers/l2_supercat_tokenizer_config.json. wordllama 0.4.0.post1 looks for
    # bundled tokenizers under wordllama/tokenizer/ (singular), misses its own file and would
    # download it; its cache lookup (<cache_dir>/tokenizers/...) finds it when cache_dir is the
    # package directory. disable_download makes any miss an error, never a fetch.
    package_dir = Path(wordllama.__file__).parent
    model = WordLlama.load(config=LOCAL_CONFIG, dim=256,
                           trunc_dim=None if dimension == 256 else dimension,
                           cache_dir=package_dir, disable_download=True)
    # WordLlamaInference turns truncation off; bound the padded batch (batch x tokens x dim).
    model.tokenizer.enable_truncation(max_length=LOCAL_MAX_TOKENS)
    return model


class LocalEmbedder:
    """WordLlama `l2_supercat` from the `wordllama` wheel: offline, CPU, no torch."""

    def __init__(self, dimension: int = 256) -> None:
        if dimension not in LOCAL_DIMENSIONS:
            raise ValueError(f"LocalEmbedder dimension must be one of {LOCAL_DIMENSIONS}")
        self.dimension = dimension
        self.model = f"wordllama/{LOCAL_CONFIG}@{dimension}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        items = _check_texts(texts)
        if not items:
            return []
        import numpy as np

        matrix = _wordllama(self.dimension).embed(items, norm=False, batch_size=32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        if not np.all(np.isfinite(norms) & (norms > 0)):
            raise ValueError("a text produced a zero or non-finite embedding")
        unit: list[list[float]] = (matrix / norms).tolist()
        return unit


class OpenAIEmbedder:
    """A provider's embedding API in OpenAI's wire format, through the official SDK."""

    def __init__(self, base_url: str | None, api_key: str, model: str, dimension: int,
                 timeout: float = 30.0, max_retries: int = 2) -> None:
        from openai import OpenAI

        if dimension <= 0:
            raise ValueError("dimension must be positive")
        self.dimension = dimension
        self.model = model
        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout,
                              max_retries=max_retries)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        items = _check_texts(texts)
        vectors: list[list[float]] = []
        for start in range(0, len(items), OPENAI_MAX_INPUTS):
            vectors.extend(self._embed_batch(items[start:start + OPENAI_MAX_INPUTS]))
        return vectors

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        import openai

        try:
            response = self._client.embeddings.create(model=self.model, input=batch,
                                                      dimensions=self.dimension)
        except openai.APIStatusError as exc:
            retry_after = exc.response.headers.get("retry-after")
            message = (f"embedding provider {self._client.base_url} answered HTTP "
                       f"{exc.status_code}" + (f" ({exc.code})" if exc.code else "")
                       + f" for model {self.model}: {exc.message}"
                       + (f"; retry-after {retry_after}" if retry_after is not None else ""))
            raise EmbeddingProviderError(message, status_code=exc.status_code,
                                         retry_after=retry_after, code=exc.code) from exc
        except openai.APIConnectionError as exc:
            raise EmbeddingProviderError(
                f"embedding provider {self._client.base_url} unreachable: {exc.message}") from exc
        data = sorted(response.data, key=lambda item: item.index)
        if [item.index for item in data] != list(range(len(batch))):
            raise EmbeddingProviderError(
                f"embedding provider returned indexes {[item.index for item in data]} "
                f"for {len(batch)} inputs")
        vectors: list[list[float]] = []
        for item in data:
            if len(item.embedding) != self.dimension:
                raise EmbeddingProviderError(
                    f"embedding provider returned {len(item.embedding)} dimensions, "
                    f"expected {self.dimension}")
            vectors.append(_unit(item.embedding))
        return vectors


def default_embedder() -> Embedder:
    provider = os.environ.get("CLAW_EMBED_PROVIDER", "local").strip().lower() or "local"
    if provider == "local":
        return LocalEmbedder()
    if provider == "openai":
        api_key = os.environ.get("CLAW_EMBED_API_KEY", "")
        if not api_key:
            raise ValueError("CLAW_EMBED_PROVIDER=openai needs CLAW_EMBED_API_KEY "
                             "(any non-empty value for a local server that takes no key)")
        return OpenAIEmbedder(
            base_url=os.environ.get("CLAW_EMBED_BASE_URL") or None,
            api_key=api_key,
            model=os.environ.get("CLAW_EMBED_MODEL", "text-embedding-3-small"),
            dimension=int(os.environ.get("CLAW_EMBED_DIMENSION", "256")),
        )
    raise ValueError(f"CLAW_EMBED_PROVIDER={provider!r}: expected 'local' or 'openai'")


def to_pgvector(vector: Sequence[float]) -> str:
    """pgvector's text input for `vector`: '[0.1,0.2,...]' (repr keeps every float digit)."""
    parts = []
    for x in vector:
        value = float(x)
        if not math.isfinite(value):
            raise ValueError("pgvector does not accept NaN or infinity")
        parts.append(repr(value))
    return "[" + ",".join(parts) + "]"
