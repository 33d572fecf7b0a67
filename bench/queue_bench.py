"""Queue benchmark: Claw's queue against pgqueuer and procrastinate, same PostgreSQL instance,
same number of worker processes and the same concurrency, in one run.

  1. throughput: N no-op jobs enqueued up front with each system's own batch enqueue (not
     timed); then W worker processes (already started and connected) are released at once
     and the clock runs until the database shows every job done. jobs/s = N / seconds.
  2. latency: with the W workers idle and listening, single jobs are enqueued one per
     transaction at --rate jobs/s for --latency-seconds; each payload carries time.time()
     taken just before its enqueue call, and the handler records time.time() minus it when
     it starts (same host, same clock). p50 and p99 in ms.
  3. the instance's commit rate with pgbench (a one-row INSERT per transaction, 2*W
     clients), and Claw's jobs/s as a fraction of it.

Settings, per system, with W processes and concurrency C:
  Claw          claw.worker.Worker(concurrency=C, batch_size=2C); claim batches, batched
                completion, LISTEN/NOTIFY; jobs enqueued through api.enqueue_jobs as the
                runtime role (authenticated, tenant context, RLS) in batches of 5,000
  pgqueuer      QueueManager.run(batch_size=C, max_concurrent_tasks=2C) (its minimum ratio),
                psycopg driver, LISTEN/NOTIFY; Queries.enqueue with lists of 5,000
  procrastinate run_worker_async(concurrency=C, listen_notify=True), psycopg connector;
                Task.batch_defer_async in batches of 5,000

Peers: `.venv/bin/pip install -r requirements-bench.lock` (pgqueuer, procrastinate).
Run:   .venv/bin/python bench/queue_bench.py [--jobs 100000] [--workers 2] [--concurrency 20]
It uses the embedded cluster (or DATABASE_URL) and scratch databases bench_q_claw,
bench_q_pgqueuer, bench_q_procrastinate, which it drops and recreates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from isolation_audit import pgbench, url_for  # noqa: E402

SYSTEMS = ("claw", "pgqueuer", "procrastinate")
DBS = {s: f"bench_q_{s}" for s in SYSTEMS}
QUEUE = "bench"


# --- worker processes ----------------------------------------------------------------------

class Samples:
    """Latency samples of one worker process, rewritten to a file every 0.2 s."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.values: list[float] = []

    def record(self, payload: dict[str, Any]) -> None:
        if "t" in payload:
            self.values.append(time.time() - payload["t"])

    async def flusher(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            self.flush()

    def flush(self) -> None:
        tmp = self.path + ".tmp"
        Path(tmp).write_text(json.dumps(self.values))
        os.replace(tmp, self.path)


async def wait_for_go(go: str) -> None:
    while not Path(go).exists():
        await asyncio.sleep(0.005)


async def worker_claw(url: str, c: int, samples: Samples, go: str) -> None:
    from claw.worker import Job, Worker

    w = Worker(url, queues=[QUEUE], concurrency=c, batch_size=2 * c, tick=False,
               maintain=False, poll_interval=1.0)

    @w.handler("noop")
    async def noop(job: Job) -> None:
        samples.record(job.payload)

    await wait_for_go(go)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, w.stop)
    await w.run()


async def worker_pgqueuer(url: str, c: int, samples: Samples, go: str) -> None:
    from pgqueuer.adapters.persistence.queries import Queries
    from pgqueuer.qm import QueueManager

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    qm = QueueManager(Queries.from_psycopg_connection(conn))

    @qm.entrypoint("noop")
    async def noop(job: Any) -> None:
        samples.record(json.loads(job.payload) if job.payload else {})

    await wait_for_go(go)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, qm.shutdown.set)
    await qm.run(batch_size=c, max_concurrent_tasks=2 * c)


async def worker_procrastinate(url: str, c: int, samples: Samples, go: str) -> None:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop", queue=QUEUE)
    async def noop(**payload: Any) -> None:
        samples.record(payload)

    async with app.open_async():
        await wait_for_go(go)
        await app.run_worker_async(queues=[QUEUE], concurrency=c, listen_notify=True,
                                   install_signal_handlers=True)


def worker_main(system: str, url: str, c: int, samples_path: str, go: str) -> None:
    samples = Samples(samples_path)

    async def main() -> None:
        flusher = asyncio.create_task(samples.flusher())
        try:
            await {"claw": worker_claw, "pgqueuer": worker_pgqueuer,
                   "procrastinate": worker_procrastinate}[system](url, c, samples, go)
        finally:
            flusher.cancel()
            samples.flush()

    asyncio.run(main())


# --- setup and enqueue ----------------------------------------------------------------------

def setup(system: str, admin: str, cfg: Any) -> dict[str, str]:
    """Fresh database; returns the URLs the worker and the producer use."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DBS[system]} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DBS[system]}")
    url = url_for(admin, DBS[system])
    if system == "claw":
        from claw import db
        from claw.migrate import migrate

        migrate(url, cfg.root)
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT api_key FROM tenancy.create_tenant('bench', 'Bench', "
                               "'owner', 'Owner')").fetchone()
        assert row is not None
        return {"worker": url_for(db.role_url(cfg, "worker"), DBS[system]),
                "producer": url_for(db.role_url(cfg, "runtime"), DBS[system]), "key": row[0],
                "admin": url}
    if system == "pgqueuer":
        from pgqueuer.adapters.persistence.queries import Queries

        async def install() -> None:
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
            await Queries.from_psycopg_connection(conn).install()
            await conn.close()

        asyncio.run(install())
    else:
        import procrastinate

        async def apply() -> None:
            app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
            async with app.open_async():
                await app.schema_manager.apply_schema_async()

        asyncio.run(apply())
    return {"worker": url, "producer": url, "admin": url}


def remaining_sql(system: str) -> str:
    return {"claw": f"SELECT count(*) FROM queue.jobs WHERE queue = '{QUEUE}'",
            "pgqueuer": "SELECT count(*) FROM pgqueuer",
            "procrastinate": "SELECT count(*) FROM procrastinate_jobs "
                             "WHERE status IN ('todo', 'doing')"}[system]


class Producer:
    """Enqueues with each system's own API, in batches or one job per transaction."""

    def __init__(self, system: str, urls: dict[str, str]) -> None:
        self.system, self.urls = system, urls
        self.loop = asyncio.new_event_loop()
        self.conn: Any = None
        self.task: Any = None
        self.queries: Any = None
        if system == "claw":
            self.conn = psycopg.connect(urls["producer"], autocommit=True)
        elif system == "pgqueuer":
            from pgqueuer.adapters.persistence.queries import Queries

            self.conn = self.loop.run_until_complete(
                psycopg.AsyncConnection.connect(urls["producer"], autocommit=True))
            self.queries = Queries.from_psycopg_connection(self.conn)
        else:
            import procrastinate

            self.app = procrastinate.App(
                connector=procrastinate.PsycopgConnector(conninfo=urls["producer"]))
            self.loop.run_until_complete(self.app.open_async())

            @self.app.task(name="noop", queue=QUEUE)
            async def noop(**payload: Any) -> None: ...

            self.task = noop

    def enqueue(self, payloads: list[dict[str, Any]]) -> None:
        if self.system == "claw":
            with self.conn.transaction():
                self.conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)",
                                  (self.urls["key"],))
                self.conn.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)", (json.dumps(
                    [{"queue": QUEUE, "kind": "noop", "payload": p} for p in payloads]),))
        elif self.system == "pgqueuer":
            n = len(payloads)
            self.loop.run_until_complete(self.queries.enqueue(
                ["noop"] * n, [json.dumps(p).encode() for p in payloads], [0] * n))
        elif len(payloads) == 1:
            self.loop.run_until_complete(self.task.defer_async(**payloads[0]))
        else:
            self.loop.run_until_complete(self.task.batch_defer_async(*payloads))

    def close(self) -> None:
        if self.system == "claw":
            self.conn.close()
        elif self.system == "pgqueuer":
            self.loop.run_until_complete(self.conn.close())
        else:
            self.loop.run_until_complete(self.app.close_async())
        self.loop.close()


# --- the phases -----------------------------------------------------------------------------

def start_workers(system: str, urls: dict[str, str], w: int, c: int,
                  tmp: Path, go: Path) -> tuple[list[subprocess.Popen[bytes]], list[Path]]:
    procs, files = [], []
    for i in range(w):
        f = tmp / f"{system}-{i}.json"
        files.append(f)
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--worker", system, urls["worker"], str(c), str(f), str(go)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    time.sleep(2.0)  # imports, connections
    for p in procs:
        if p.poll() is not None:
            raise RuntimeError(f"{system} worker died: {p.stderr.read().decode() if p.stderr else ''}")
    return procs, files


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def read_samples(files: list[Path]) -> list[float]:
    out: list[float] = []
    for f in files:
        if f.exists():
            out.extend(json.loads(f.read_text()))
    return out


def run_system(system: str, admin: str, cfg: Any, args: argparse.Namespace) -> dict[str, float]:
    urls = setup(system, admin, cfg)
    producer = Producer(system, urls)
    for i in range(0, args.jobs, 5000):
        producer.enqueue([{}] * min(5000, args.jobs - i))
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{system}-"))
    go = tmp / "go"
    procs, files = start_workers(system, urls, args.workers, args.concurrency, tmp, go)
    count_sql = remaining_sql(system)
    with psycopg.connect(urls["admin"], autocommit=True) as mon:
        go.touch()
        t0 = time.perf_counter()
        deadline = t0 + args.timeout
        while True:
            left = mon.execute(count_sql).fetchone()[0]  # type: ignore[index]
            if left == 0 or time.perf_counter() > deadline:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        if left:
            print(f"  {system}: {left} jobs left after {args.timeout}s (timeout)")
        throughput = (args.jobs - left) / elapsed

        # latency: single enqueues at a steady rate, workers idle and listening
        n = int(args.rate * args.latency_seconds)
        start = time.perf_counter()
        for i in range(n):
            producer.enqueue([{"t": time.time()}])
            pause = start + (i + 1) / args.rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        wait_until = time.perf_counter() + 30
        while len(read_samples(files)) < n and time.perf_counter() < wait_until:
            time.sleep(0.1)
    stop_workers(procs)
    producer.close()
    if left:
        for p in procs:
            print(f"  {system} worker stderr: {p.stderr.read().decode()[-2000:] if p.stderr else ''}")
    lat = sorted(read_samples(files))
    if len(lat) < n:
        print(f"  {system}: only {len(lat)} of {n} latency samples arrived")
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
    print(f"  {system:<14} {throughput:>10,.0f} jobs/s   latency p50 {p50:7.2f} ms   "
          f"p99 {p99:7.2f} ms   ({elapsed:.1f}s for {args.jobs - left:,} jobs)", flush=True)
    return {"throughput": throughput, "p50": p50, "p99": p99}


COMMIT_SCRIPT = "INSERT INTO bench_commits (v) VALUES (1);\n"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        system, url, c, samples, go = sys.argv[2:7]
        worker_main(system, url, int(c), samples, go)
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes per system")
    parser.add_argument("--concurrency", type=int, default=20, help="jobs in flight per process")
    parser.add_argument("--rate", type=float, default=100.0, help="latency phase: jobs/s")
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--only", choices=SYSTEMS, action="append")
    args = parser.parse_args()

    from claw import config
    from claw import db as claw_db
    from claw.cli import _ensure_embedded_database

    cfg = config.settings()
    if cfg.embedded:
        _ensure_embedded_database(cfg)
    admin = claw_db.admin_url(cfg)
    with psycopg.connect(admin, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    import pgqueuer
    import procrastinate
    versions = {"pgqueuer": getattr(pgqueuer, "__version__", "?"),
                "procrastinate": getattr(procrastinate, "__version__", "?")}
    print(f"PostgreSQL {version}; {args.jobs:,} no-op jobs; {args.workers} worker processes x "
          f"concurrency {args.concurrency} per system; latency: {args.rate:g} jobs/s for "
          f"{args.latency_seconds:g}s; pgqueuer {versions['pgqueuer']}, procrastinate "
          f"{versions['procrastinate']}", flush=True)
    results = {s: run_system(s, admin, cfg, args) for s in (args.only or SYSTEMS)}

    bench_url = url_for(admin, DBS["claw"])
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commits (id bigserial PRIMARY KEY, v int)")
    commits = pgbench(bench_url, COMMIT_SCRIPT, 2 * args.workers, 10, {})

    claw = results.get("claw")
    print()
    print(f"pgbench commit rate (one-row INSERT per transaction, {2 * args.workers} clients): "
          f"{commits:,.0f} commits/s")
    if claw:
        print(f"Claw: {claw['throughput']:,.0f} jobs/s = {claw['throughput'] / commits:.2f} of the "
              f"commit rate (jobs per commit-slot)")
        for peer, target in (("pgqueuer", 2.0), ("procrastinate", 10.0)):
            if peer in results:
                ratio = claw["throughput"] / max(results[peer]["throughput"], 1e-9)
                print(f"Claw / {peer} throughput: {ratio:.2f}x (target >= {target:g}x: "
                      f"{'met' if ratio >= target else 'NOT met'})")
        print(f"Claw p50 latency {claw['p50']:.2f} ms (target <= 10 ms: "
              f"{'met' if claw['p50'] <= 10 else 'NOT met'}); p99 {claw['p99']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
