-- transactional: false
-- 0054: the text arm of api.search_documents ranks every document of the tenant that matches
-- the query (a query of up to three words matches any of them), so a common word means a
-- quarter of the tenant. Read from the table, whose rows carry the 1 KB embedding, that was
-- most of the arm's time (bench/search_bench.py, 100,000 documents, 26,177 matching: 45-54 ms
-- of 83). This index holds what the arm reads, so the planner serves it with an index-only
-- scan (27 MB for 120,000 documents against 188 MB of table). The GIN index stays for
-- queries that match few documents. Built concurrently: searches and writes go on meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_text_idx ON ontology.documents (tenant_id)
  INCLUDE (document_id, authz_object, tsv);
