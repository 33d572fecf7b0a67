"""Permission-aware hybrid search at scale: latency and recall@10 against exact search.

World (default): 100,000 documents in the searched tenant (plus 20,000 in a second tenant
sharing the HNSW index), synthetic business notes embedded with Claw's offline model
(claw.embeddings.LocalEmbedder, 256 dimensions), bulk-loaded with COPY. The reader is in a
team that may view 10% of the documents (authz tuples, a userset).

For each of --queries query texts, through api.search_documents as claw_runtime under RLS:
  vector, no permission filter   p_mode 'vector', p_relation NULL (tenant only)
  vector, permission filter      p_mode 'vector', the reader's viewer relation checked in the
                                 retrieving query (HNSW iterative scan)
  hybrid, permission filter      vector + full text, reciprocal rank fusion
and the exact answers in the same run: brute-force cosine distance (no index) over the
tenant's documents, and over the documents the reader may view (the set
api.list_permitted_objects returns). recall@10 = |approximate top 10 ∩ exact top 10| / 10.

    .venv/bin/python bench/search_bench.py [--docs 100000] [--queries 100]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from claw.embeddings import LocalEmbedder, to_pgvector  # noqa: E402
from isolation_audit import at_least, pct, scratch_database  # noqa: E402

BENCH_DB = "claw_bench_search"
MODEL = {"types": {
    "user": {},
    "team": {"relations": {"member": {"this": ["user", "team#member"]}}},
    "document": {"relations": {"viewer": {"this": ["user", "team#member"]}}},
}}
NOUNS = ["invoice", "quote", "job", "appointment", "customer", "plumber", "electrician",
         "roster", "payment", "refund", "booking", "hot water system", "leak", "roof", "tiles",
         "boiler", "inspection", "warranty", "parts order", "site visit", "deposit", "complaint"]
VERBS = ["is overdue", "was paid", "needs approval", "was rescheduled", "was cancelled",
         "is confirmed", "needs a follow-up call", "was disputed", "arrived late", "is on hold"]
PLACES = ["Sydney", "Parramatta", "Bondi", "Newtown", "Chatswood", "Manly", "Penrith",
          "Liverpool", "Hornsby", "Cronulla"]


def sentence(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(NOUNS, 2)
    return (f"{a.title()} {rng.randrange(10000)}",
            f"The {a} for the {b} in {rng.choice(PLACES)} {rng.choice(VERBS)}; "
            f"the {b} {rng.choice(VERBS)}.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=at_least(1), default=100_000)
    parser.add_argument("--other", type=at_least(0), default=20_000)
    parser.add_argument("--queries", type=at_least(1), default=100)
    parser.add_argument("--permitted", type=at_least(0.0, float), default=0.10)
    args = parser.parse_args()
    rng = random.Random(11)
    embedder = LocalEmbedder()

    url = scratch_database(BENCH_DB)

    with psycopg.connect(url, autocommit=True) as conn:
        tenants = []
        for n in range(2):
            row = conn.execute("SELECT tenant_id::text, principal_id::text FROM "
                               "tenancy.create_tenant(%s, %s, 'owner', 'Owner')",
                               (f"search-{n}", f"Search {n}")).fetchone()
            assert row is not None
            tenants.append((row[0], row[1]))
            with conn.transaction():
                conn.execute("SELECT internal.set_context(%s, %s, '{owner}')", row)
                conn.execute("SET LOCAL ROLE claw_runtime")
                conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
        t0 = time.perf_counter()
        texts = [sentence(rng) for _ in range(args.docs + args.other)]
        vectors = embedder.embed([f"{t}\n{b}" for t, b in texts])
        embed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("ALTER TABLE ontology.documents DISABLE TRIGGER USER")
        conn.execute("ALTER TABLE authz.tuples DISABLE TRIGGER USER")
        permitted: list[str] = []
        with conn.cursor() as cur:
            with cur.copy("COPY ontology.documents (tenant_id, document_id, authz_object, title, "
                          "body, embedding, embedding_model) FROM STDIN") as cp:
                for i, ((title, body), vec) in enumerate(zip(texts, vectors, strict=True)):
                    tenant = tenants[0][0] if i < args.docs else tenants[1][0]
                    doc = f"00000000-0000-7000-8000-{i:012d}"
                    cp.write_row((tenant, doc, f"document:{doc}", title, body, to_pgvector(vec),
                                  embedder.model))
                    if i < args.docs and rng.random() < args.permitted:
                        permitted.append(doc)
            with cur.copy("COPY authz.tuples (tenant_id, object_type, object_id, relation, "
                          "subject_type, subject_id, subject_relation, revision) FROM STDIN") as cp:
                cp.write_row((tenants[0][0], "team", "readers", "member", "user", "reader", "", 1))
                for doc in permitted:
                    cp.write_row((tenants[0][0], "document", doc, "viewer", "team", "readers",
                                  "member", 1))
        conn.execute("ALTER TABLE ontology.documents ENABLE TRIGGER USER")
        conn.execute("ALTER TABLE authz.tuples ENABLE TRIGGER USER")
        conn.execute("VACUUM ANALYZE ontology.documents")
        conn.execute("VACUUM ANALYZE authz.tuples")
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        print(f"PostgreSQL {version}; {args.docs:,} documents searched (+{args.other:,} in another "
              f"tenant), {len(permitted):,} viewable by the reader; embedded in {embed_s:.1f}s "
              f"({embedder.model}), loaded and indexed in {time.perf_counter() - t0:.1f}s")

        queries = [sentence(rng)[1] for _ in range(args.queries)]
        qvecs = [to_pgvector(v) for v in embedder.embed(queries)]
        results: dict[str, list[float]] = {}
        recalls: dict[str, list[float]] = {}

        def run(label: str, sql: str, params: list[dict[str, Any]]) -> list[list[str]]:
            out = []
            times = []
            for p in params:
                with conn.transaction():
                    conn.execute("SELECT internal.set_context(%s, %s, '{owner}')", tenants[0])
                    conn.execute("SET LOCAL ROLE claw_runtime")
                    t = time.perf_counter()
                    rows = conn.execute(sql, p).fetchall()
                    times.append((time.perf_counter() - t) * 1000)
                out.append([str(r[0]) for r in rows])
            results[label] = times
            return out

        api = ("SELECT document_id FROM api.search_documents(p_query => %(q)s, p_embedding => %(v)s, "
               "p_limit => 10, p_relation => %(rel)s, p_subject => %(sub)s, p_mode => %(mode)s)")
        params = [{"q": q, "v": v} for q, v in zip(queries, qvecs, strict=True)]
        vec_all = run("vector, no permission filter", api,
                      [p | {"rel": None, "sub": None, "mode": "vector"} for p in params])
        vec_perm = run("vector, permission filter", api,
                       [p | {"rel": "viewer", "sub": "user:reader", "mode": "vector"} for p in params])
        run("hybrid, permission filter", api,
            [p | {"rel": "viewer", "sub": "user:reader", "mode": "hybrid"} for p in params])

        # exact answers, same run: no index, the same tenant, the same permitted set
        exact_sql = ("SELECT d.document_id FROM ontology.documents AS d WHERE d.tenant_id = %(t)s "
                     "AND (%(all)s OR d.document_id IN (SELECT unnest(%(ids)s::uuid[]))) "
                     "ORDER BY d.embedding OPERATOR(extensions.<=>) %(v)s::extensions.vector, "
                     "d.document_id LIMIT 10")
        exact: dict[str, list[list[str]]] = {}
        for label, allow_all in (("exact, tenant", True), ("exact, permitted set", False)):
            times = []
            exact[label] = []
            for p in params:
                with conn.transaction():
                    conn.execute("SET LOCAL enable_indexscan = off")
                    t = time.perf_counter()
                    rows = conn.execute(exact_sql, {"t": tenants[0][0], "all": allow_all,
                                                    "ids": permitted, "v": p["v"]}).fetchall()
                    times.append((time.perf_counter() - t) * 1000)
                exact[label].append([str(r[0]) for r in rows])
            results[label] = times
        # recall@10 of a query: the share of the exact top 10 (fewer when fewer documents
        # qualify) that the search returned; a query with no qualifying document has none
        def recall(found: list[list[str]], truth: list[list[str]]) -> list[float]:
            return [len(set(a) & set(e)) / min(10, len(e))
                    for a, e in zip(found, truth, strict=True) if e]
        recalls["vector, no permission filter"] = recall(vec_all, exact["exact, tenant"])
        recalls["vector, permission filter"] = recall(vec_perm, exact["exact, permitted set"])
        leaked = sum(len(set(r) - set(permitted)) for r in vec_perm)

        print(f"\n{'':<34} {'p50 ms':>8} {'p99 ms':>8} {'recall@10':>10}")
        for label, xs in results.items():
            rec = recalls.get(label)
            print(f"{label:<34} {pct(xs, 50):>8.2f} {pct(xs, 99):>8.2f} "
                  f"{(f'{statistics.mean(rec):.3f}' if rec else ''):>10}")
        print(f"\npermission-filtered results outside the permitted set: {leaked}")
        ratio = (pct(results['exact, tenant'], 50)
                 / pct(results['vector, no permission filter'], 50))
        print("exact search over the tenant vs HNSW (no filter): "
              + (f"{ratio:.1f}x slower at p50" if ratio >= 1 else
                 f"{1 / ratio:.1f}x faster at p50 (a tenant this small needs no index)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
