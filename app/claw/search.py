"""Semantic memory from Python: embed, then call the SQL that stores or searches.

The thin half of hybrid search. The database decides everything that matters (tenant,
permission before retrieval, ranking, fusion: api.search_documents); Python only turns text
into an embedding with an `Embedder` (claw.embeddings: the offline local model by default).
Every call runs on a connection whose transaction is already authenticated
(api.authenticate or api.act_as_job), like any other api call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from claw.embeddings import Embedder, to_pgvector


@dataclass(frozen=True)
class Hit:
    document_id: UUID
    object_id: UUID | None
    authz_object: str
    title: str
    body: str
    score: float
    vector_rank: int | None
    text_rank: int | None


def index_document(conn: psycopg.Connection[Any], embedder: Embedder, body: str, *,
                   title: str = "", object_id: UUID | str | None = None,
                   authz_object: str | None = None,
                   document_id: UUID | str | None = None) -> UUID:
    """Embed title and body together and store the document (api.upsert_document)."""
    [vector] = embedder.embed([f"{title}\n{body}" if title else body])
    row = conn.execute(
        "SELECT api.upsert_document(p_body => %s, p_embedding => %s, p_embedding_model => %s, "
        "p_title => %s, p_object_id => %s, p_authz_object => %s, p_document_id => %s)",
        (body, to_pgvector(vector), embedder.model, title, object_id, authz_object,
         document_id)).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def search(conn: psycopg.Connection[Any], embedder: Embedder, query: str, *,
           limit: int = 10, relation: str | None = "viewer", subject: str | None = None,
           mode: str = "hybrid", consistency_token: str | None = None) -> list[Hit]:
    """The documents most relevant to `query` that the subject may see (api.search_documents)."""
    embedding = None if mode == "text" else to_pgvector(embedder.embed([query])[0])
    rows = conn.execute(
        "SELECT document_id, object_id, authz_object, title, body, score, vector_rank, "
        "text_rank FROM api.search_documents(p_query => %s, p_embedding => %s, p_limit => %s, "
        "p_relation => %s, p_subject => %s, p_mode => %s, p_consistency_token => %s)",
        (query, embedding, limit, relation, subject, mode, consistency_token)).fetchall()
    return [Hit(*row) for row in rows]
