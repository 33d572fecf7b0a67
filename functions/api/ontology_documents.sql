-- Semantic memory, for applications, workers and psql: store documents with their
-- embeddings, and search them by meaning and by words at once, returning only what the
-- reader is permitted to see. The embedding is computed by the caller (claw.search does it
-- with the offline model); the permission is decided here, inside the query that retrieves.

-- api.upsert_document: store (or replace, by p_document_id) a document. p_authz_object is
-- what a reader needs a relation on; by default the attached object ('<type>:<object id>')
-- or the document itself ('document:<document id>'). Who: owner, admin, operator, a worker
-- acting for a job; scope ontology:write. Raises CL401, CL403, CL404 (object), CL422
-- (embedding, text, authz object).
CREATE OR REPLACE FUNCTION api.upsert_document(p_body text, p_embedding text,
                                               p_embedding_model text,
                                               p_title text DEFAULT '',
                                               p_object_id uuid DEFAULT NULL,
                                               p_authz_object text DEFAULT NULL,
                                               p_document_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_ctx record;
  v_id uuid := coalesce(p_document_id, uuidv7());
  v_authz text := p_authz_object;
  v_type text;
BEGIN
  PERFORM internal.require_size('p_body', p_body, 'document'),
          internal.require_size('p_embedding', p_embedding, 'text'),
          internal.require_size('p_embedding_model', p_embedding_model, 'name'),
          internal.require_size('p_title', p_title, 'text'),
          internal.require_size('p_authz_object', p_authz_object, 'name');
  SELECT * INTO v_ctx FROM internal.require_context('{owner,admin,operator,worker}', 'ontology:write',
                                                'storing a document');
  IF p_body IS NULL OR pg_catalog.length(p_body) NOT BETWEEN 1 AND 100000
     OR pg_catalog.length(coalesce(p_title, '')) > 500 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid document',
      DETAIL = 'the body is 1 to 100,000 characters, the title at most 500',
      HINT = 'split long texts into several documents';
  END IF;
  IF p_object_id IS NOT NULL THEN
    SELECT t.name INTO v_type
    FROM ontology.objects AS o
    JOIN ontology.object_types AS t ON t.tenant_id = o.tenant_id AND t.type_id = o.type_id
    WHERE o.tenant_id = v_ctx.tenant_id AND o.object_id = p_object_id AND o.deleted_at IS NULL
    FOR SHARE OF o;  -- a concurrent api.delete_object waits, then deletes this document too
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object not found',
        DETAIL = pg_catalog.format('no live object %s in this tenant', p_object_id),
        HINT = 'attach documents to live objects';
    END IF;
    v_authz := coalesce(v_authz, v_type || ':' || p_object_id);
  END IF;
  v_authz := coalesce(v_authz, 'document:' || v_id);
  PERFORM authz.parse_object(v_authz, 'authz object');
  IF p_embedding_model IS NULL OR pg_catalog.length(p_embedding_model) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid embedding model',
      DETAIL = 'name the model that made the embedding', HINT = 'e.g. wordllama/l2_supercat@256';
  END IF;
  INSERT INTO ontology.documents AS d (tenant_id, document_id, object_id, authz_object, title,
                                       body, embedding, embedding_model, created_by)
  VALUES (v_ctx.tenant_id, v_id, p_object_id, v_authz, coalesce(p_title, ''), p_body,
          ontology.parse_embedding(p_embedding), p_embedding_model, v_ctx.principal_id)
  ON CONFLICT (tenant_id, document_id) DO UPDATE
    SET object_id = EXCLUDED.object_id, authz_object = EXCLUDED.authz_object,
        title = EXCLUDED.title, body = EXCLUDED.body, embedding = EXCLUDED.embedding,
        embedding_model = EXCLUDED.embedding_model, updated_at = pg_catalog.now();
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION api.upsert_document(text, text, text, text, uuid, text, uuid) IS
  'Store or replace a searchable document with its 256-dimension embedding; readers need a '
  'relation on its authz object (default: the attached object, or document:<id>).';
GRANT EXECUTE ON FUNCTION api.upsert_document(text, text, text, text, uuid, text, uuid)
  TO claw_runtime, claw_worker;

-- api.delete_document: remove a document. Who: owner, admin, operator, worker. CL404.
CREATE OR REPLACE FUNCTION api.delete_document(p_document_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin,operator,worker}', 'ontology:write',
                                'deleting a document');
  DELETE FROM ontology.documents AS d
  WHERE d.tenant_id = internal.current_tenant_id() AND d.document_id = p_document_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'document not found',
      DETAIL = pg_catalog.format('no document %s in this tenant', p_document_id);
  END IF;
END
$fn$;
COMMENT ON FUNCTION api.delete_document(uuid) IS 'Remove a searchable document.';
GRANT EXECUTE ON FUNCTION api.delete_document(uuid) TO claw_runtime, claw_worker;

-- pgvector's settings exist once its library is loaded; CREATE FUNCTION ... SET below needs
-- them to exist (a role that is not superuser may not set an unknown placeholder).
SELECT '[1]'::extensions.vector;

-- api.search_documents: the documents most relevant to p_query that the subject (default:
-- the caller) holds p_relation on, best first. Hybrid (default): the nearest embeddings
-- (HNSW, cosine) and the best full-text matches (English stemming; any of up to three words,
-- all of a longer query's; ts_rank_cd), each arm's
-- candidates filtered by the permission check inside the retrieving query, fused by
-- reciprocal rank (score = sum of 1 / (60 + rank)); 'vector' or 'text' use one arm.
-- p_relation NULL searches the whole tenant (owner and admin only); another relation than
-- viewer, or another subject, needs owner, admin, operator or worker. Who: members; scope
-- ontology:read. Raises CL401, CL403, CL422
-- (mode, limit, embedding), 40001 (snapshot older than the token).
CREATE OR REPLACE FUNCTION api.search_documents(p_query text, p_embedding text DEFAULT NULL,
                                                p_limit integer DEFAULT 10,
                                                p_relation text DEFAULT 'viewer',
                                                p_subject text DEFAULT NULL,
                                                p_mode text DEFAULT 'hybrid',
                                                p_consistency_token text DEFAULT NULL)
RETURNS TABLE (document_id uuid, object_id uuid, authz_object text, title text, body text,
               score double precision, vector_rank integer, text_rank integer)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- keep scanning the HNSW graph until enough rows pass the tenant and permission filters
SET hnsw.iterative_scan = 'relaxed_order'
SET hnsw.ef_search = 100
-- and stop after 5,000 index tuples: each may cost a permission check
SET hnsw.max_scan_tuples = 5000
AS $fn$
DECLARE
  v_ctx record;
  v_s record;
  v_model jsonb;
  v_now timestamptz := internal.now();
  v_q extensions.vector;
  v_tsq tsquery;
  v_k integer;
  -- a reader who may read few objects: the objects a positive path from the subject reaches
  -- (NULL: too many to search exactly, the arms scan the tenant's indexes)
  v_few text[];
BEGIN
  PERFORM internal.require_size('p_query', p_query, 'text'),
          internal.require_size('p_embedding', p_embedding, 'text'),
          internal.require_size('p_relation', p_relation, 'name'),
          internal.require_size('p_subject', p_subject, 'name'),
          internal.require_size('p_mode', p_mode, 'name'),
          internal.require_size('p_consistency_token', p_consistency_token, 'name');
  SELECT * INTO v_ctx FROM internal.require_context('{owner,admin,operator,approver,viewer,worker}', 'ontology:read',
                                                'searching documents');
  PERFORM internal.require_limit(p_limit, 100);
  IF p_mode IS NULL OR p_mode NOT IN ('hybrid', 'vector', 'text') THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid search mode',
      DETAIL = pg_catalog.format('mode %s', coalesce(p_mode, 'NULL')),
      HINT = 'hybrid, vector or text';
  END IF;
  IF p_relation IS NULL AND NOT coalesce(v_ctx.roles && '{owner,admin}'::text[], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = 'searching without a permission filter needs the role owner or admin',
      HINT = 'pass p_relation (default viewer)';
  END IF;
  -- which relation gates retrieval is the application's choice, not a reader's: an approver
  -- or viewer searching for itself is held to viewer (a looser relation would widen it)
  IF p_relation IS DISTINCT FROM 'viewer'
     AND NOT coalesce(v_ctx.roles && '{owner,admin,operator,worker}'::text[], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('searching by relation %s needs the role owner, admin or operator',
                                 coalesce(p_relation, 'NULL')),
      HINT = 'search by viewer';
  END IF;
  IF p_mode <> 'text' THEN
    v_q := ontology.parse_embedding(p_embedding);
  END IF;
  IF p_mode <> 'vector' THEN
    v_tsq := pg_catalog.websearch_to_tsquery('pg_catalog.english'::regconfig, coalesce(p_query, ''));
    -- A short query (up to three terms) matches any of its words, ranked by how many and how
    -- close, so the fusion gets partial matches; a longer one needs all of them (any of ten
    -- common words would match, and rank, most of the corpus; the vector arm carries recall
    -- there). A query with a negation keeps its meaning.
    IF pg_catalog.strpos(v_tsq::text, '!') = 0 AND coalesce(pg_catalog.array_length(
         pg_catalog.tsvector_to_array(pg_catalog.to_tsvector('pg_catalog.english'::regconfig,
                                                             coalesce(p_query, ''))), 1), 0) <= 3 THEN
      v_tsq := pg_catalog.replace(v_tsq::text, ' & ', ' | ')::tsquery;
    END IF;
  END IF;
  v_s := authz.parse_subject(authz.acting_subject(p_subject, 'searching documents',
                                                  v_ctx.principal_id, v_ctx.roles));
  v_model := authz.load_model(v_ctx.tenant_id);
  PERFORM authz.require_fresh(v_ctx.tenant_id, p_consistency_token);
  v_k := greatest(p_limit * 4, 40);  -- candidates per arm
  -- A reader who may read a small part of the tenant would make the HNSW scan decide
  -- candidate after candidate (up to hnsw.max_scan_tuples) and the text arm's bounded list
  -- miss them. Every object the subject holds p_relation on is among the nodes of that
  -- relation a positive path connects (authz.walk_up, as authz.list_objects), so when that
  -- walk is small (at most 4,000 nodes) and its objects hold at most 4,000 documents, both
  -- arms search exactly those documents. The walk only narrows the candidates: each is still
  -- decided by authz.permitted, as on the tenant-wide path. (Where the caps sit: with 100,000
  -- documents, a reader of 1,213 took 263 ms by the HNSW path and 21 ms by this one; one of
  -- 9,962 takes 110-135 ms by the HNSW path and 315 ms by this one. README, search bench.)
  IF p_relation IS NOT NULL THEN
    SELECT CASE WHEN count(*) <= 4000 THEN
             coalesce(pg_catalog.array_agg(DISTINCT w.node_type || ':' || w.node_id)
                        FILTER (WHERE w.node_relation = p_relation), '{}') END
      INTO v_few
    -- authz.walk_up is inlined here (a plain SQL function), so the LIMIT stops its
    -- recursion after 4,001 nodes (one node's tuples may still be read in one index scan);
    -- not inlined, it would walk everything first
    FROM (SELECT * FROM authz.walk_up(v_ctx.tenant_id, v_s.subject_type, v_s.subject_id,
                                      v_s.subject_relation, v_now)
          LIMIT 4001) AS w;
    IF (SELECT count(*) FROM (SELECT FROM ontology.documents AS d
                              WHERE d.tenant_id = v_ctx.tenant_id
                                AND d.authz_object = ANY (v_few)
                              LIMIT 4001) AS n) > 4000 THEN
      v_few := NULL;
    END IF;
  END IF;
  RETURN QUERY
  WITH few AS MATERIALIZED (  -- empty unless v_few; distance and text rank, not the vectors
    SELECT d.document_id, d.authz_object, d.embedding OPERATOR(extensions.<=>) v_q AS dist,
           CASE WHEN d.tsv @@ v_tsq THEN pg_catalog.ts_rank_cd(d.tsv, v_tsq) END AS r
    FROM pg_catalog.unnest(v_few) AS o (authz_object)
    JOIN ontology.documents AS d
      ON d.tenant_id = v_ctx.tenant_id AND d.authz_object = o.authz_object
  ), vec AS (
    SELECT c.document_id, row_number() OVER (ORDER BY c.dist, c.document_id)::integer AS rank
    FROM ((SELECT d.document_id, d.embedding OPERATOR(extensions.<=>) v_q AS dist
           FROM ontology.documents AS d
           WHERE p_mode <> 'text' AND v_few IS NULL AND d.tenant_id = v_ctx.tenant_id
             AND (p_relation IS NULL OR authz.permitted(
                    v_ctx.tenant_id, v_model, d.authz_object, p_relation, v_s.subject_type,
                    v_s.subject_id, v_s.subject_relation, v_now))
           ORDER BY d.embedding OPERATOR(extensions.<=>) v_q
           LIMIT v_k)
          UNION ALL
          -- nearest first, each decided only as it comes (OFFSET 0: the planner would
          -- otherwise decide every document of the set before sorting)
          (SELECT s.document_id, s.dist
           FROM (SELECT f.document_id, f.authz_object, f.dist
                 FROM few AS f
                 WHERE p_mode <> 'text'
                 ORDER BY 3, 1 OFFSET 0) AS s
           WHERE authz.permitted(
                   v_ctx.tenant_id, v_model, s.authz_object, p_relation, v_s.subject_type,
                   v_s.subject_id, v_s.subject_relation, v_now)
           LIMIT v_k)) AS c (document_id, dist)
  ), txt AS (
    SELECT c.document_id, row_number() OVER (ORDER BY c.r DESC, c.document_id)::integer AS rank
    FROM (SELECT m.document_id, m.r
          FROM ((SELECT d.document_id, d.authz_object, pg_catalog.ts_rank_cd(d.tsv, v_tsq) AS r
                 FROM ontology.documents AS d
                 WHERE p_mode <> 'vector' AND v_few IS NULL AND d.tenant_id = v_ctx.tenant_id
                   AND d.tsv @@ v_tsq
                 ORDER BY 3 DESC, d.document_id
                 LIMIT v_k * 10)
                UNION ALL
                -- the set's matches, every one of them (at most 4,000)
                (SELECT f.document_id, f.authz_object, f.r
                 FROM few AS f
                 WHERE p_mode <> 'vector' AND f.r IS NOT NULL
                 ORDER BY 3 DESC, 1 OFFSET 0)) AS m (document_id, authz_object, r)
                -- ranked first; checked lazily, best first, until v_k pass (across the
                -- tenant, the best 10 x v_k only: bounded work per search)
          WHERE p_relation IS NULL OR authz.permitted(
                  v_ctx.tenant_id, v_model, m.authz_object, p_relation, v_s.subject_type,
                  v_s.subject_id, v_s.subject_relation, v_now)
          LIMIT v_k) AS c
  ), fused AS (
    SELECT coalesce(v.document_id, t.document_id) AS document_id,
           coalesce(1.0 / (60 + v.rank), 0) + coalesce(1.0 / (60 + t.rank), 0) AS score,
           v.rank AS vrank, t.rank AS trank
    FROM vec AS v
    FULL JOIN txt AS t ON t.document_id = v.document_id
  )
  -- the best p_limit first, then their rows, one primary-key probe each (OFFSET 0: joined,
  -- the planner hashed the candidates and read every document of the tenant, 26 ms at
  -- 100,000); every candidate is a row of this snapshot, so each probe finds it
  SELECT f.document_id, d.object_id, d.authz_object, d.title, d.body, f.score::double precision,
         f.vrank, f.trank
  FROM (SELECT * FROM fused ORDER BY fused.score DESC, fused.document_id LIMIT p_limit) AS f
  CROSS JOIN LATERAL (
    SELECT d.object_id, d.authz_object, d.title, d.body FROM ontology.documents AS d
    WHERE d.tenant_id = v_ctx.tenant_id AND d.document_id = f.document_id OFFSET 0) AS d
  ORDER BY f.score DESC, f.document_id;
END
$fn$;
COMMENT ON FUNCTION api.search_documents(text, text, integer, text, text, text, text) IS
  'Hybrid search (embedding + full text, reciprocal rank fusion) over the documents the subject '
  '(default: the caller) holds p_relation on; the permission is checked inside retrieval.';
GRANT EXECUTE ON FUNCTION api.search_documents(text, text, integer, text, text, text, text)
  TO claw_runtime, claw_worker;
