"""Where a queue job's cost goes: the per-job breakdown behind the README's queue section.

Three measurements on one scratch database (bench_q_profile, dropped and recreated):

  1. SQL only, one connection, no Python handlers: enqueue N jobs (api.enqueue_jobs as the
     runtime role, batches of 5,000), then claim them in batches of --batch with
     api.claim_jobs, then complete every batch with api.complete_jobs. For each of the three
     steps: wall time per job (one connection, round trips included), WAL bytes and WAL
     records per job, and the records by kind (heap insert / update / hot update / delete,
     btree inserts = index writes), read with pg_walinspect from the WAL of this database
     only (pg_get_wal_block_info filtered by database oid), plus commits (pg_stat_database).
  2. The same drain through claw.worker with W processes x concurrency C: jobs/s, and the CPU
     seconds per job spent by the PostgreSQL backends of the workers and by the Python
     processes (/proc/<pid>/stat), and the worker's own statement counters per batch.
  3. What one enqueue transaction costs when the server is idle between them (10 ms apart,
     as in queue_bench's latency phase), one round trip each, p50 of 300: Claw's
     authenticate + enqueue, authenticate alone, and for scale a plain one-row INSERT and a
     SELECT 1 as the superuser.

Run: .venv/bin/python bench/queue_profile.py [--jobs 20000] [--batch 40] [--workers 2]
     [--concurrency 20] [--payload-bytes 0]
It uses the embedded cluster (or DATABASE_URL). Needs root or the cluster's user to read
the backends' /proc entries (otherwise their CPU is reported as unknown).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from isolation_audit import url_for  # noqa: E402
from queue_bench import claw_batch_size  # noqa: E402

DB = "bench_q_profile"
QUEUE = "bench"
TICK = os.sysconf("SC_CLK_TCK")

WAL_KINDS = """
SELECT resource_manager || '/' || split_part(record_type, ' ', 1) AS kind,
       count(DISTINCT start_lsn) AS records
FROM pg_get_wal_block_info(%s::pg_lsn, %s::pg_lsn)
WHERE reldatabase = %s
GROUP BY 1 ORDER BY 2 DESC
"""
WAL_BYTES = """
SELECT coalesce(sum(record_length), 0) AS bytes, count(*) AS records
FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn) AS r
WHERE EXISTS (SELECT 1 FROM pg_get_wal_block_info(%s::pg_lsn, %s::pg_lsn) AS b
              WHERE b.start_lsn = r.start_lsn AND b.reldatabase = %s)
   OR r.resource_manager = 'Transaction'
"""


class Meter:
    """WAL, commits and wall time of one step, from this database only."""

    def __init__(self, admin: Any, dboid: int) -> None:
        self.admin, self.dboid = admin, dboid

    def mark(self) -> tuple[str, int, float]:
        lsn = self.admin.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
        self.admin.execute("SELECT pg_stat_force_next_flush()")
        commits = self.admin.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datid = %s", (self.dboid,)).fetchone()[0]
        return lsn, commits, time.perf_counter()

    def report(self, name: str, start: tuple[str, int, float], end: tuple[str, int, float],
               jobs: int, calls: int) -> dict[str, Any]:
        (l0, c0, t0), (l1, c1, t1) = start, end
        kinds = Counter({k: n for k, n in self.admin.execute(WAL_KINDS, (l0, l1, self.dboid))})
        wal = self.admin.execute(WAL_BYTES, (l0, l1, l0, l1, self.dboid)).fetchone()
        # commits of the admin connection's own reads inside the window are not the step's
        commits = max(c1 - c0 - 3, 0)
        out = {"step": name, "jobs": jobs, "calls": calls,
               "us_per_job": (t1 - t0) * 1e6 / jobs, "ms_per_call": (t1 - t0) * 1e3 / calls,
               "wal_bytes_per_job": wal[0] / jobs, "wal_records_per_job": wal[1] / jobs,
               "commits": commits,
               "index_writes_per_job": sum(n for k, n in kinds.items()
                                           if k.startswith("Btree/INSERT") or k == "Btree/SPLIT_L"
                                           or k == "Btree/SPLIT_R") / jobs,
               "records": {k: round(n / jobs, 2) for k, n in kinds.most_common(8)}}
        print(f"  {name:<9} {out['us_per_job']:7.1f} us/job  {out['ms_per_call']:6.2f} ms/call  "
              f"WAL {out['wal_bytes_per_job']:6.0f} B/job {out['wal_records_per_job']:5.2f} rec/job  "
              f"index writes {out['index_writes_per_job']:4.2f}/job  commits {commits}", flush=True)
        print(f"            {json.dumps(out['records'])}", flush=True)
        return out


def setup(admin_url: str, cfg: Any) -> dict[str, str]:
    from claw import db
    from claw.migrate import migrate

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    url = url_for(admin_url, DB)
    migrate(url, cfg.root)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        key = conn.execute("SELECT api_key FROM tenancy.create_tenant('bench', 'Bench', "
                           "'owner', 'Owner')").fetchone()[0]
    return {"admin": url, "key": key,
            "worker": url_for(db.role_url(cfg, "worker"), DB),
            "runtime": url_for(db.role_url(cfg, "runtime"), DB)}


PAYLOAD: dict[str, Any] = {}  # --payload-bytes: {"pad": "x" * (B - 11)}, about B bytes of JSON


def enqueue(urls: dict[str, str], n: int) -> int:
    calls = 0
    spec = {"queue": QUEUE, "kind": "noop", "payload": PAYLOAD}
    per = claw_batch_size(spec)  # under Claw's 8 MiB batch limit with large payloads
    with psycopg.connect(urls["runtime"], autocommit=True) as conn:
        for i in range(0, n, per):
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (urls["key"],))
                conn.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)",
                             (json.dumps([spec] * min(per, n - i)),))
            calls += 1
    return calls


def sql_only(urls: dict[str, str], meter: Meter, n: int, batch: int) -> list[dict[str, Any]]:
    from claw.worker import CLAIM, COMPLETE

    out = []
    m0 = meter.mark()
    calls = enqueue(urls, n)
    out.append(meter.report("enqueue", m0, meter.mark(), n, calls))
    batches: list[tuple[list[Any], Any]] = []
    with psycopg.connect(urls["worker"], autocommit=True) as conn:
        conn.prepare_threshold = 0
        m0 = meter.mark()
        while True:
            # p_idle_runners as claw.worker passes it (every runner free: a short claim registers)
            rows = conn.execute(CLAIM, (QUEUE, "profile", batch, 600, batch)).fetchall()
            if not rows:
                break
            batches.append(([r[0] for r in rows], rows[0][8]))
        m1 = meter.mark()
        out.append(meter.report("claim", m0, m1, n, len(batches) + 1))
        m0 = meter.mark()
        for ids, token in batches:
            conn.execute(COMPLETE, (ids, token))
        out.append(meter.report("complete", m0, meter.mark(), n, len(batches)))
    return out


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def worker_proc(url: str, c: int, batch: int | None, go: Any, done: Any, out: Any) -> None:
    import asyncio

    from claw.worker import Job, Worker

    async def main() -> None:
        w = Worker(url, queues=[QUEUE], concurrency=c, batch_size=batch, tick=False,
                   maintain=False)

        @w.handler("noop")
        async def noop(job: Job) -> None:
            return None

        task = asyncio.create_task(w.run(install_signals=False))
        while not done.is_set():
            await asyncio.sleep(0.01)
        out.put({"pid": os.getpid(), "cpu": cpu_seconds(os.getpid()), "stats": dict(w.stats)})
        w.stop()
        await task

    go.wait()
    asyncio.run(main())


def drain(urls: dict[str, str], meter: Meter, n: int, w: int, c: int,
          batch: int | None) -> dict[str, Any]:
    enqueue(urls, n)
    ctx = mp.get_context("spawn")
    go, done, out = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=worker_proc, args=(urls["worker"], c, batch, go, done, out))
             for _ in range(w)]
    for p in procs:
        p.start()
    time.sleep(1.5)
    cpu0 = {p.pid: cpu_seconds(p.pid) or 0.0 for p in procs}
    with psycopg.connect(urls["admin"], autocommit=True) as mon:
        m0 = meter.mark()
        go.set()
        backends: dict[int, float] = {}
        while True:
            for (pid,) in mon.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                      "AND usename = 'claw_worker'", (DB,)).fetchall():
                if pid not in backends:
                    backends[pid] = cpu_seconds(pid) or 0.0
            left = mon.execute("SELECT count(*) FROM queue.jobs WHERE queue = %s",
                               (QUEUE,)).fetchone()[0]
            if left == 0:
                break
            time.sleep(0.02)
        m1 = meter.mark()
        pg_cpu = [(cpu_seconds(pid), start) for pid, start in backends.items()]
        done.set()
        results = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(30)
    elapsed = m1[2] - m0[2]
    rep = meter.report("drain", m0, m1, n, 1)
    py = sum((r["cpu"] or 0.0) - cpu0.get(r["pid"], 0.0) for r in results)
    pg = (sum(now - start for now, start in pg_cpu if now is not None)
          if all(now is not None for now, _ in pg_cpu) else None)
    stats: Counter[str] = Counter()
    for r in results:
        stats.update(r["stats"])
    rep.update({"jobs_per_s": n / elapsed, "python_cpu_us_per_job": py * 1e6 / n,
                "pg_cpu_us_per_job": pg * 1e6 / n if pg is not None else None,
                "statements": dict(stats)})
    claims = stats.get("claims_with_jobs", 0) or 1
    sent = sum(v for k, v in stats.items() if k not in ("claimed", "claims_with_jobs"))
    print(f"  drain: {n / elapsed:,.0f} jobs/s; CPU per job: PostgreSQL backends "
          f"{rep['pg_cpu_us_per_job'] or float('nan'):.1f} us, Python workers "
          f"{rep['python_cpu_us_per_job']:.1f} us; worker statements {dict(stats)}: "
          f"{sent / claims:.2f} round trips per claimed batch, {n / claims:.1f} jobs per "
          f"batch, {sent / n:.3f} round trips per job", flush=True)
    return rep


def idle_enqueue(urls: dict[str, str]) -> dict[str, float]:
    def p50(conn: Any, sql: str, params: Any) -> float:
        times = []
        for _ in range(300):
            t = time.perf_counter()
            with psycopg.ClientCursor(conn) as cur:
                cur.execute(sql, params)
            times.append(time.perf_counter() - t)
            time.sleep(0.01)
        return sorted(times)[len(times) // 2] * 1000

    job = json.dumps([{"queue": "idle", "kind": "noop", "payload": {"t": 1}}])
    with psycopg.connect(urls["runtime"], autocommit=True) as rt, \
            psycopg.connect(urls["admin"], autocommit=True) as su:
        su.execute("CREATE TABLE IF NOT EXISTS public.plain_jobs "
                   "(id bigserial PRIMARY KEY, payload jsonb)")
        out = {
            "authenticate + enqueue": p50(rt, "BEGIN; SELECT * FROM api.authenticate(p_api_key "
                                      "=> %s); SELECT count(*) FROM api.enqueue_jobs(p_jobs => "
                                      "%s); COMMIT", (urls["key"], job)),
            "authenticate alone": p50(rt, "BEGIN; SELECT * FROM api.authenticate(p_api_key => "
                                  "%s); COMMIT", (urls["key"],)),
            "plain one-row INSERT": p50(su, "INSERT INTO public.plain_jobs (payload) VALUES (%s)",
                                    ('{"t": 1}',)),
            "SELECT 1": p50(su, "SELECT 1", None),
        }
    print("one enqueue transaction, the server idle between them (p50 of 300, 10 ms apart):")
    for name, ms in out.items():
        print(f"  {name:<24} {ms:6.2f} ms")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--worker-batch", type=int, help="the worker's claim buffer "
                        "(default: claw.worker's own default)")
    parser.add_argument("--payload-bytes", type=int, default=0,
                        help="every job's payload carries a filler string of about this size")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.payload_bytes > 0:
        PAYLOAD["pad"] = "x" * max(args.payload_bytes - 11, 1)

    from claw import config
    from claw import db as claw_db
    from claw.cli import _ensure_embedded_database

    cfg = config.settings()
    if cfg.embedded:
        _ensure_embedded_database(cfg)
    urls = setup(claw_db.admin_url(cfg), cfg)
    with psycopg.connect(urls["admin"], autocommit=True) as admin:
        dboid = admin.execute("SELECT oid FROM pg_database WHERE datname = %s", (DB,)).fetchone()[0]
        meter = Meter(admin, dboid)
        print(f"per job, SQL only, one connection, {args.jobs:,} jobs, claim batch {args.batch}:")
        steps = sql_only(urls, meter, args.jobs, args.batch)
        print(f"per job, claw.worker drain, {args.workers} processes x concurrency "
              f"{args.concurrency}:")
        steps.append(drain(urls, meter, args.jobs, args.workers, args.concurrency,
                           args.worker_batch))
    steps.append(idle_enqueue(urls))
    if args.json:
        args.json.write_text(json.dumps(steps, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
