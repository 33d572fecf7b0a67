-- 0014: semantic memory: searchable documents with embeddings (functions/ontology/
-- documents.sql, functions/api/ontology_documents.sql, policies/ontology.sql).
--
-- Tables
--   ontology.documents   text an agent may retrieve: a note, a message, an object's
--                        description. Each names the authz object a reader must be
--                        permitted on (authz_object: 'invoice:<id>', 'document:<id>'), and is
--                        optionally attached to an ontology object (deleted with it). Holds
--                        the text, its full-text vector (tsv, generated) and its embedding
--                        (pgvector, 256 dimensions: the offline model's, and what the OpenAI
--                        embedder asks for), with the embedding model's name.
-- Indexes: HNSW (cosine) on the embedding and GIN on tsv cannot lead with tenant_id (their
-- access methods order by distance and by lexeme); RLS and the tenant predicate filter them,
-- with pgvector's iterative index scans so a filter never starves the result.
CREATE TABLE ontology.documents (
  tenant_id        uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  document_id      uuid NOT NULL DEFAULT uuidv7(),
  object_id        uuid,
  authz_object     text NOT NULL
                     CHECK (authz_object ~ '^[a-z][a-z0-9_]*:[A-Za-z0-9_.:/@|=+-]+$'
                            AND length(authz_object) <= 264),
  title            text NOT NULL DEFAULT '' CHECK (length(title) <= 500),
  body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 100000),
  tsv              tsvector GENERATED ALWAYS AS (
                     to_tsvector('pg_catalog.english'::regconfig, title || ' ' || body)) STORED,
  embedding        extensions.vector(256) NOT NULL,
  embedding_model  text NOT NULL CHECK (length(embedding_model) BETWEEN 1 AND 200),
  created_by       uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, document_id),
  FOREIGN KEY (tenant_id, object_id) REFERENCES ontology.objects (tenant_id, object_id)
    ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, created_by) REFERENCES tenancy.principals (tenant_id, principal_id)
);
ALTER TABLE ontology.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.documents FORCE ROW LEVEL SECURITY;
CREATE INDEX documents_object_idx ON ontology.documents (tenant_id, object_id);
CREATE INDEX documents_authz_idx ON ontology.documents (tenant_id, authz_object);
CREATE INDEX documents_tsv_idx ON ontology.documents USING gin (tsv);
CREATE INDEX documents_embedding_idx ON ontology.documents
  USING hnsw (embedding extensions.vector_cosine_ops);
COMMENT ON TABLE ontology.documents IS
  'Searchable text with its embedding; readers need a relation on authz_object (permission before retrieval).';
