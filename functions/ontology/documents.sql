-- Semantic memory: documents with embeddings, found by hybrid search. Every change is in
-- the tenant's audit chain (the embedding and the derived text vector left out).
CREATE OR REPLACE TRIGGER "500_audit_track" AFTER INSERT OR UPDATE OR DELETE ON ontology.documents
  FOR EACH ROW EXECUTE FUNCTION audit.tg_track('document_id', 'embedding', 'tsv');

-- ontology.parse_embedding: text '[0.1, ...]' as a vector(256). CL422 when malformed, of
-- another dimension, or all zeros (no direction: cosine distance is undefined).
CREATE OR REPLACE FUNCTION ontology.parse_embedding(p_embedding text)
RETURNS extensions.vector
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v extensions.vector;
BEGIN
  BEGIN
    v := p_embedding::extensions.vector(256);
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid embedding',
      DETAIL = pg_catalog.format('%s (%s)', SQLERRM, pg_catalog.left(coalesce(p_embedding, 'NULL'), 80)),
      HINT = 'pass 256 numbers as ''[0.1,0.2,...]'' (claw.embeddings.to_pgvector)';
  END;
  IF v IS NULL OR extensions.vector_norm(v) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid embedding',
      DETAIL = 'the embedding is missing or all zeros', HINT = 'embed a non-empty text';
  END IF;
  RETURN v;
END
$fn$;
