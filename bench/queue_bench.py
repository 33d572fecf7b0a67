"""Queue benchmark: Claw's queue against graphile-worker (two configurations), pgqueuer,
procrastinate and Oban's Python port, same PostgreSQL instance, same number of worker
processes and the same concurrency, in one run.

  1. throughput: N no-op jobs enqueued up front with each system's own batch enqueue (not
     timed) and the system's database analyzed (planner statistics for the backlog, as
     autovacuum gives a standing one); then W worker processes (already started) are
     released at once and the clock runs until the database shows every job done (polled
     every 20 ms with one index probe for the first unfinished job, first_left_sql).
     jobs/s = N / seconds.
  2. latency: once no autovacuum worker runs and after a CHECKPOINT (every system alike: the
     latency of an idle queue, not of one still vacuuming its throughput phase), with the W
     workers idle and listening, single jobs are enqueued one per transaction at --rate
     jobs/s for --latency-seconds; each payload carries time.time() taken just before its
     enqueue call, and the handler records the time minus it when it starts (same host,
     same clock). p50 and p99 in ms. The producer also times each enqueue call (statements
     and commit): its p50 is printed beside the latency, the producer's share of it.
  3. the instance's commit rate with pgbench (a one-row INSERT per transaction, 2*W
     clients), and Claw's jobs/s as a fraction of it.
  Then one table of every system, Claw's throughput and p50 against each peer's, and the
  targets of issue 7: Claw's throughput above graphile-worker batched, Claw's p50 at or
  below every peer's.

--payload-bytes B (default 0): every job's payload, for every system, carries a filler
string ("pad") so that its JSON is about B bytes (the latency phase's payload too).

Settings, per system, with W processes and concurrency C:
  claw               claw.worker.Worker(concurrency=C) with its defaults: claims start at
                     2C jobs and double while the runners starve, up to 25C (claim ahead);
                     batched completion, LISTEN/NOTIFY (an enqueue wakes one waiting
                     worker per job, functions/queue/waiting.sql); jobs enqueued through
                     api.enqueue_jobs as the runtime role (authenticated, tenant context,
                     RLS) in batches of 5,000, each batch one transaction in one round trip
                     (BEGIN; api.authenticate; api.enqueue_jobs; COMMIT as one simple query);
                     single jobs the same way with api.enqueue_job
  graphile-batched   graphile-worker 0.18.0 (Node), W processes each running one runner:
                     preset.worker = {concurrentJobs: C, maxPoolSize: max(10, C+2),
                     localQueue: {size: 500}, completeJobBatchDelay: 0,
                     failJobBatchDelay: 0}; LISTEN/NOTIFY (always on), pollInterval 2000 ms
                     (default); task "noop" from a taskList; jobs enqueued with the SQL
                     function graphile_worker.add_jobs in batches of 5,000, single jobs with
                     graphile_worker.add_job (bench/graphile/run.mjs)
  graphile-defaults  the same without localQueue and batch delays (graphile-worker's
                     defaults: each worker fetches one job, one completion per job);
                     maxPoolSize max(10, C+2) too, graphile-worker's own recommendation
  pgqueuer           QueueManager.run(batch_size=C, max_concurrent_tasks=2C) (its minimum
                     ratio), psycopg driver, LISTEN/NOTIFY; Queries.enqueue with lists of
                     5,000
  procrastinate      run_worker_async(concurrency=C, listen_notify=True), psycopg
                     connector; Task.batch_defer_async in batches of 5,000
  oban               oban (Oban's Python port) 0.7.0: Oban(pool, queues={"bench": C}),
                     otherwise its defaults (pool of 1 to 10 connections, postgres
                     notifier, 5 ms producer debounce, stager every 1 s); a @worker no-op;
                     Oban.enqueue_many in batches of 5,000, single jobs with enqueue_many of
                     one, from a helper process fed over a pipe (bench/oban/run.py); its
                     latency figure includes that pipe hop
The graphile and oban workers log warnings and errors only, as the Python workers here do.

Peers (the bench installs the graphile and oban ones itself when missing):
  pgqueuer, procrastinate: .venv/bin/pip install -r requirements-bench.lock
  graphile-worker: node and npm (Node 20 runs it; its package asks for >= 22.18 and npm only
    warns); the bench runs `npm ci --no-audit --no-fund` in bench/graphile/ (package.json
    and package-lock.json pin graphile-worker 0.18.0; node_modules is not committed)
  oban: needs Python >= 3.12 and .venv is 3.11 (`pip install oban` there finds no
    version), so the bench makes bench/oban/.venv with the oldest Python >= 3.12 it finds
    (PATH, then pyenv's versions) and installs bench/oban/requirements.lock into it; with
    none found it prints that oban was skipped and why
Run:   .venv/bin/python bench/queue_bench.py [--jobs 100000] [--workers 2] [--concurrency 20]
                                             [--payload-bytes 0] [--only SYSTEM ...]
                                             [--rounds 1]
  --only takes claw, graphile-batched, graphile-defaults, graphile (both), pgqueuer,
  procrastinate, oban; repeat it for several.
  --rounds N runs every system N times, alternating the order (each round reverses the one
  before, so a drift of the machine's speed falls on both sides), prints each round's
  ratios, and reports the median of the rounds per system: on a VM whose speed swings
  between runs, one round's ratio moves by 20% (the README's queue section).
It uses the embedded cluster (or DATABASE_URL) and the scratch databases bench_q_claw,
bench_q_graphile_batched, bench_q_graphile_defaults, bench_q_pgqueuer,
bench_q_procrastinate, bench_q_oban and bench_q_commits (pgbench), which it drops and
recreates.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import shutil
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

SYSTEMS = ("claw", "graphile-batched", "graphile-defaults", "pgqueuer", "procrastinate", "oban")
ALIASES = {"graphile": ("graphile-batched", "graphile-defaults")}
DBS = {s: "bench_q_" + s.replace("-", "_") for s in SYSTEMS}
COMMITS_DB = "bench_q_commits"
QUEUE = "bench"
BATCH = 5000
# the most JSON text one api.enqueue_jobs call of the bench carries (Claw's limit for a
# batch input is 8 MiB of jsonb; text and jsonb sizes differ a little)
CLAW_BATCH_BYTES = 4 * 1024 * 1024


def claw_batch_size(spec: dict[str, Any], most: int = BATCH) -> int:
    """How many copies of one job spec an api.enqueue_jobs call of the benches carries."""
    return max(1, min(most, CLAW_BATCH_BYTES // (len(json.dumps(spec)) + 1)))

BENCH = Path(__file__).resolve().parent
GRAPHILE_DIR = BENCH / "graphile"
GRAPHILE_VERSION = "0.18.0"
OBAN_DIR = BENCH / "oban"
OBAN_PY = OBAN_DIR / ".venv" / "bin" / "python"


def is_graphile(system: str) -> bool:
    return system.startswith("graphile-")


# --- worker processes (claw, pgqueuer, procrastinate; graphile and oban: see their folders) ---

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

    w = Worker(url, queues=[QUEUE], concurrency=c, tick=False, maintain=False,
               poll_interval=1.0)

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


# --- installing the peers that live outside .venv -------------------------------------------

def _tail(text: str, n: int = 600) -> str:
    return " ".join(text.strip().split())[-n:]


def ensure_graphile() -> tuple[str | None, str]:
    """npm ci in bench/graphile when graphile-worker is missing; returns (why not, version)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node and npm are needed on PATH", ""
    pkg = GRAPHILE_DIR / "node_modules" / "graphile-worker" / "package.json"
    if not pkg.exists() or json.loads(pkg.read_text()).get("version") != GRAPHILE_VERSION:
        print(f"installing graphile-worker {GRAPHILE_VERSION}: npm ci in {GRAPHILE_DIR}",
              flush=True)
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=GRAPHILE_DIR,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return f"npm ci failed: {_tail(proc.stderr)}", ""
    proc = subprocess.run([node, "--input-type=module", "-e", "await import('graphile-worker')"],
                          cwd=GRAPHILE_DIR, capture_output=True, text=True)
    if proc.returncode != 0:
        return f"node cannot load graphile-worker: {_tail(proc.stderr)}", ""
    return None, json.loads(pkg.read_text())["version"]


def _python_312() -> str | None:
    """The oldest Python >= 3.12 on PATH, else among pyenv's versions (the lock was made
    with 3.12)."""
    candidates = [shutil.which(f"python3.{m}") for m in range(12, 16)]
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3"))

    def key(p: str) -> tuple[int, ...]:
        v = Path(p).parent.parent.name.split(".")
        return tuple(int(x) if x.isdigit() else -1 for x in v)

    candidates += sorted(found, key=key)
    for c in candidates:
        if not c:
            continue
        proc = subprocess.run([c, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                              capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip() == "True":
            return c
    return None


def ensure_oban() -> tuple[str | None, str]:
    """bench/oban/.venv with requirements.lock when missing; returns (why not, version)."""
    lock = OBAN_DIR / "requirements.lock"
    pinned = next(line.split("==")[1].strip() for line in lock.read_text().splitlines()
                  if line.startswith("oban=="))
    check = [str(OBAN_PY), "-c", "import oban; print(oban.__version__)"]

    def installed() -> str:
        if not OBAN_PY.exists():
            return ""
        proc = subprocess.run(check, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    if installed() != pinned:
        base = _python_312()
        if base is None:
            return (f"oban {pinned} requires Python >= 3.12 (pip in .venv, Python "
                    f"{sys.version_info.major}.{sys.version_info.minor}: 'No matching "
                    "distribution found for oban'), and no Python >= 3.12 was found on PATH "
                    "or in pyenv"), ""
        print(f"installing oban {pinned} into {OBAN_DIR / '.venv'} (Python {base})", flush=True)
        steps = [[base, "-m", "venv", "--clear", str(OBAN_DIR / ".venv")],
                 [str(OBAN_PY), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  "-r", str(lock)]]
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True)
            if proc.returncode != 0:
                return f"{' '.join(step[:4])} failed: {_tail(proc.stderr)}", ""
        if installed() != pinned:
            return f"oban does not import in {OBAN_DIR / '.venv'}", ""
    return None, pinned


# --- setup and enqueue ----------------------------------------------------------------------

def fresh_database(admin: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return url_for(admin, name)


def setup(system: str, admin: str, cfg: Any) -> dict[str, str]:
    """Fresh database; returns the URLs the worker and the producer use."""
    url = fresh_database(admin, DBS[system])
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
    if is_graphile(system):
        subprocess.run(["node", str(GRAPHILE_DIR / "run.mjs"), "migrate", url],
                       cwd=GRAPHILE_DIR, check=True)
    elif system == "oban":
        subprocess.run([str(OBAN_PY), str(OBAN_DIR / "run.py"), "install", url],
                       cwd=OBAN_DIR, check=True)
    elif system == "pgqueuer":
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
    if is_graphile(system):
        return "SELECT count(*) FROM graphile_worker._private_jobs"
    return {"claw": f"SELECT count(*) FROM queue.jobs WHERE queue = '{QUEUE}'",
            "pgqueuer": "SELECT count(*) FROM pgqueuer",
            "procrastinate": "SELECT count(*) FROM procrastinate_jobs "
                             "WHERE status IN ('todo', 'doing')",
            "oban": "SELECT count(*) FROM oban_jobs "
                    "WHERE state IN ('available', 'scheduled', 'executing', 'retryable')",
            }[system]


def first_left_sql(system: str) -> str:
    """One row if any job of the drain is left, none when it is done: what the drain loop
    polls. Each reads the first unfinished job from an ordered index and stops there, so a
    poll costs about the same at every table size. The bench polled remaining_sql's
    count(*) every 50 ms before: a sequential scan of the whole table, about 10% of the
    machine's CPU during a 1 KiB drain (perf, 2026-12-05), charged to whichever system kept
    the larger table."""
    if is_graphile(system):
        return "SELECT 1 FROM graphile_worker._private_jobs ORDER BY id LIMIT 1"
    return {"claw": "SELECT 1 FROM queue.jobs WHERE queue = '%s' "
                    "ORDER BY tenant_id, job_id LIMIT 1" % QUEUE,
            "pgqueuer": "SELECT 1 FROM pgqueuer ORDER BY id LIMIT 1",
            "procrastinate": "SELECT 1 FROM procrastinate_jobs "
                             "WHERE status IN ('todo', 'doing') ORDER BY id LIMIT 1",
            "oban": "SELECT 1 FROM oban_jobs WHERE state IN ('available', 'scheduled', "
                    "'executing', 'retryable') LIMIT 1",
            }[system]


GRAPHILE_ADD_JOBS = (
    "SELECT count(*) FROM graphile_worker.add_jobs(ARRAY("
    "SELECT ROW('noop', p, NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec "
    "FROM json_array_elements(%s::json) AS p))")


class Producer:
    """Enqueues with each system's own API, in batches or one job per transaction."""

    def __init__(self, system: str, urls: dict[str, str]) -> None:
        self.system, self.urls = system, urls
        self.loop = asyncio.new_event_loop()
        self.conn: Any = None
        self.task: Any = None
        self.queries: Any = None
        self.proc: Any = None
        if system == "claw" or is_graphile(system):
            self.conn = psycopg.connect(urls["producer"], autocommit=True)
        elif system == "oban":
            self.proc = subprocess.Popen(
                [str(OBAN_PY), str(OBAN_DIR / "run.py"), "enqueue", urls["producer"]],
                cwd=OBAN_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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

    @staticmethod
    def claw_single(conn: psycopg.Connection[Any], key: str, payload: dict[str, Any]) -> None:
        """A single job through api.enqueue_job (as graphile-worker's through add_job), in
        one round trip like the batches below."""
        with psycopg.ClientCursor(conn) as cur:
            cur.execute("BEGIN; SELECT * FROM api.authenticate(p_api_key => %s); "
                        "SELECT job_id FROM api.enqueue_job(p_queue => %s, p_kind => 'noop', "
                        "p_payload => %s); COMMIT", (key, QUEUE, json.dumps(payload)))

    def enqueue(self, payloads: list[dict[str, Any]]) -> None:
        if self.system == "claw" and len(payloads) == 1:
            self.claw_single(self.conn, self.urls["key"], payloads[0])
        elif self.system == "claw":
            # one round trip per batch: the transaction, authentication and enqueue as one
            # simple query (values bound client-side), as an application in a hurry would
            # send it; a batch over CLAW_BATCH_BYTES (large payloads) goes in several, each
            # under Claw's input limit for a batch (8 MiB, README: Input limits)
            chunks: list[list[str]] = [[]]
            size = 0
            for p in payloads:
                spec = json.dumps({"queue": QUEUE, "kind": "noop", "payload": p})
                if chunks[-1] and size + len(spec) + 1 > CLAW_BATCH_BYTES:
                    chunks.append([])
                    size = 0
                chunks[-1].append(spec)
                size += len(spec) + 1
            for chunk in chunks:
                with psycopg.ClientCursor(self.conn) as cur:
                    cur.execute("BEGIN; SELECT * FROM api.authenticate(p_api_key => %s); "
                                "SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s); COMMIT",
                                (self.urls["key"], "[" + ",".join(chunk) + "]"))
        elif is_graphile(self.system):
            if len(payloads) == 1:
                self.conn.execute("SELECT id FROM graphile_worker.add_job('noop', %s::json)",
                                  (json.dumps(payloads[0]),))
            else:
                self.conn.execute(GRAPHILE_ADD_JOBS, (json.dumps(payloads),))
        elif self.system == "oban":
            self.proc.stdin.write(json.dumps(payloads) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
            if answer.strip() != "ok":
                raise RuntimeError(f"oban enqueue helper answered {answer!r}")
        elif self.system == "pgqueuer":
            n = len(payloads)
            self.loop.run_until_complete(self.queries.enqueue(
                ["noop"] * n, [json.dumps(p).encode() for p in payloads], [0] * n))
        elif len(payloads) == 1:
            self.loop.run_until_complete(self.task.defer_async(**payloads[0]))
        else:
            self.loop.run_until_complete(self.task.batch_defer_async(*payloads))

    def close(self) -> None:
        if self.system == "claw" or is_graphile(self.system):
            self.conn.close()
        elif self.system == "oban":
            self.proc.stdin.close()
            self.proc.wait(30)
        elif self.system == "pgqueuer":
            self.loop.run_until_complete(self.conn.close())
        else:
            self.loop.run_until_complete(self.app.close_async())
        self.loop.close()


# --- the phases -----------------------------------------------------------------------------

def worker_command(system: str, url: str, c: int, samples: Path,
                   go: Path) -> tuple[list[str], Path | None]:
    if is_graphile(system):
        return (["node", str(GRAPHILE_DIR / "run.mjs"), "work", url, str(c), str(samples),
                 str(go), system.split("-", 1)[1]], GRAPHILE_DIR)
    if system == "oban":
        return ([str(OBAN_PY), str(OBAN_DIR / "run.py"), "work", url, str(c), str(samples),
                 str(go)], OBAN_DIR)
    return [sys.executable, __file__, "--worker", system, url, str(c), str(samples),
            str(go)], None


def start_workers(system: str, urls: dict[str, str], w: int, c: int, tmp: Path,
                  go: Path) -> tuple[list[subprocess.Popen[bytes]], list[Path], list[Path]]:
    procs, files, errs = [], [], []
    for i in range(w):
        f, err = tmp / f"{system}-{i}.json", tmp / f"{system}-{i}.err"
        files.append(f)
        errs.append(err)
        cmd, cwd = worker_command(system, urls["worker"], c, f, go)
        with err.open("wb") as fh:  # a file, not a pipe: a chatty worker cannot block on it
            procs.append(subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=fh))
    time.sleep(2.0)  # imports, connections
    for p, err in zip(procs, errs):
        if p.poll() is not None:
            raise RuntimeError(f"{system} worker died: {err.read_text()[-2000:]}")
    return procs, files, errs


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


def pad_for(base: dict[str, Any], size: int) -> str:
    """The filler that makes json.dumps({**base, "pad": filler}) about size bytes."""
    if size <= 0:
        return ""
    return "x" * max(0, size - len(json.dumps({**base, "pad": ""})))


def quiesce(mon: psycopg.Connection[Any], limit: float = 60.0) -> None:
    """Between the phases: wait (up to `limit` seconds) until no autovacuum worker runs on
    the instance, then CHECKPOINT, so that every system's latency phase starts on a quiet
    instance instead of in the aftermath of its own throughput phase (the vacuum of the
    100,000 jobs just done, their dirty pages)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        busy = mon.execute("SELECT count(*) FROM pg_stat_activity "
                           "WHERE backend_type = 'autovacuum worker'").fetchone()[0]  # type: ignore[index]
        if not busy:
            break
        time.sleep(0.2)
    mon.execute("CHECKPOINT")
    time.sleep(1.0)  # the autovacuum launcher wakes every second (autovacuum_naptime)


def run_system(system: str, admin: str, cfg: Any, args: argparse.Namespace) -> dict[str, float]:
    urls = setup(system, admin, cfg)
    producer = Producer(system, urls)
    size = args.payload_bytes
    bulk: dict[str, Any] = {"pad": pad_for({}, size)} if size > 0 else {}
    for i in range(0, args.jobs, BATCH):
        producer.enqueue([bulk] * min(BATCH, args.jobs - i))
    with psycopg.connect(urls["admin"], autocommit=True) as conn:
        # fresh planner statistics for every system's tables, as a standing backlog has them
        # (autovacuum analyzes a table once a tenth of it changed): just after a bulk
        # enqueue only a table with aggressive autovacuum settings (Claw's) had them:
        # graphile-worker batched drained 100,000 jobs at 37,209 jobs/s without, 51,421
        # with this ANALYZE (2026-12-05, same hour; Claw 52,798 and 53,184)
        conn.execute("ANALYZE")
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{system}-"))
    go = tmp / "go"
    procs, files, errs = start_workers(system, urls, args.workers, args.concurrency, tmp, go)
    probe = first_left_sql(system)
    with psycopg.connect(urls["admin"], autocommit=True) as mon:
        go.touch()
        t0 = time.perf_counter()
        deadline = t0 + args.timeout
        while mon.execute(probe).fetchone() is not None and time.perf_counter() <= deadline:
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        left = mon.execute(remaining_sql(system)).fetchone()[0]  # type: ignore[index]
        if left:
            print(f"  {system}: {left} jobs left after {args.timeout}s (timeout)")
        throughput = (args.jobs - left) / elapsed
        quiesce(mon)

        # latency: single enqueues at a steady rate, workers idle and listening
        pad = pad_for({"t": time.time()}, size)
        n = int(args.rate * args.latency_seconds)
        start = time.perf_counter()
        calls: list[float] = []  # how long each enqueue call took (the producer's share)
        for i in range(n):
            t = time.perf_counter()
            producer.enqueue([{"t": time.time(), "pad": pad} if size > 0 else
                              {"t": time.time()}])
            calls.append(time.perf_counter() - t)
            pause = start + (i + 1) / args.rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        wait_until = time.perf_counter() + 30
        while len(read_samples(files)) < n and time.perf_counter() < wait_until:
            time.sleep(0.1)
    stop_workers(procs)
    producer.close()
    if left:
        for err in errs:
            print(f"  {system} worker stderr: {err.read_text()[-2000:]}")
    lat = sorted(read_samples(files))
    if not left:
        shutil.rmtree(tmp, ignore_errors=True)
    if len(lat) < n:
        print(f"  {system}: only {len(lat)} of {n} latency samples arrived")
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
    enq = statistics.median(calls) * 1000 if calls else float("nan")
    print(f"  {system:<18} {throughput:>10,.0f} jobs/s   latency p50 {p50:7.2f} ms   "
          f"p99 {p99:7.2f} ms   enqueue call p50 {enq:5.2f} ms   "
          f"({elapsed:.1f}s for {args.jobs - left:,} jobs)", flush=True)
    return {"throughput": throughput, "p50": p50, "p99": p99, "enqueue": enq}


COMMIT_SCRIPT = "INSERT INTO bench_commits (v) VALUES (1);\n"


def chosen(only: list[str] | None) -> list[str]:
    if not only:
        return list(SYSTEMS)
    wanted = {s for name in only for s in ALIASES.get(name, (name,))}
    return [s for s in SYSTEMS if s in wanted]


def report(results: dict[str, dict[str, float]], commits: float, w: int) -> None:
    print()
    # enqueue call: the producer's share of the latency (the enqueue statement(s) and the
    # commit); the rest is the wake-up, the claim and the hand-over to the handler
    print(f"  {'system':<18} {'jobs/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'enqueue call p50 ms':>20}")
    for s, r in results.items():
        print(f"  {s:<18} {r['throughput']:>10,.0f} {r['p50']:>9.2f} {r['p99']:>9.2f} "
              f"{r['enqueue']:>20.2f}")
    print()
    print(f"pgbench commit rate (one-row INSERT per transaction, {2 * w} clients): "
          f"{commits:,.0f} commits/s")
    claw = results.get("claw")
    if not claw:
        return
    print(f"Claw: {claw['throughput']:,.0f} jobs/s = {claw['throughput'] / commits:.2f} of the "
          f"commit rate (jobs per commit-slot)")
    peers = {s: r for s, r in results.items() if s != "claw"}
    for peer, r in peers.items():
        ratio = claw["throughput"] / max(r["throughput"], 1e-9)
        print(f"Claw / {peer:<18} throughput {ratio:5.2f}x   p50 {claw['p50']:.2f} vs "
              f"{r['p50']:.2f} ms ({claw['p50'] - r['p50']:+.2f} ms)")
    gb = results.get("graphile-batched")
    if gb:
        met = claw["throughput"] > gb["throughput"]
        print(f"Target: Claw throughput above graphile-worker batched ({claw['throughput']:,.0f} "
              f"vs {gb['throughput']:,.0f} jobs/s): {'met' if met else 'NOT met'}")
    else:
        print("Target: Claw throughput above graphile-worker batched: not measured "
              "(graphile-batched did not run)")
    if peers:
        best = min(peers, key=lambda s: peers[s]["p50"])
        met = all(claw["p50"] <= r["p50"] for r in peers.values())
        print(f"Target: Claw p50 at or below every peer's ({claw['p50']:.2f} ms; lowest peer "
              f"{best} {peers[best]['p50']:.2f} ms): {'met' if met else 'NOT met'}")


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
    parser.add_argument("--payload-bytes", type=int, default=0,
                        help="pad every job's payload JSON to about this many bytes")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--only", choices=(*SYSTEMS, *ALIASES), action="append",
                        help="run only this system (repeatable; graphile = both configs)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every system this many times, order alternating; report medians")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    from claw import config
    from claw import db as claw_db
    from claw.cli import _ensure_embedded_database

    cfg = config.settings()
    if cfg.embedded:
        _ensure_embedded_database(cfg)
    admin = claw_db.admin_url(cfg)
    with psycopg.connect(admin, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]

    systems = chosen(args.only)
    versions: dict[str, str] = {}
    skipped: dict[str, str] = {}
    if "pgqueuer" in systems:
        import pgqueuer
        versions["pgqueuer"] = getattr(pgqueuer, "__version__", "?")
    if "procrastinate" in systems:
        import procrastinate
        versions["procrastinate"] = getattr(procrastinate, "__version__", "?")
    if any(is_graphile(s) for s in systems):
        why, v = ensure_graphile()
        if why:
            skipped.update({s: why for s in systems if is_graphile(s)})
        else:
            versions["graphile-worker"] = v
    if "oban" in systems:
        why, v = ensure_oban()
        if why:
            skipped["oban"] = why
        else:
            versions["oban"] = v
    systems = [s for s in systems if s not in skipped]

    print(f"PostgreSQL {version}; {args.jobs:,} no-op jobs"
          f"{f' with {args.payload_bytes:,}-byte payloads' if args.payload_bytes > 0 else ''}; "
          f"{args.workers} worker processes x concurrency {args.concurrency} per system; "
          f"latency: {args.rate:g} jobs/s for {args.latency_seconds:g}s; "
          + ", ".join(f"{k} {v}" for k, v in versions.items()), flush=True)
    for s, why in skipped.items():
        print(f"  {s}: skipped: {why}", flush=True)
    rounds: list[dict[str, dict[str, float]]] = []
    for r in range(args.rounds):
        if args.rounds > 1:
            print(f"round {r + 1} of {args.rounds}", flush=True)
        order = systems if r % 2 == 0 else systems[::-1]
        rounds.append({s: run_system(s, admin, cfg, args) for s in order})
        if args.rounds > 1 and "claw" in systems:
            claw = rounds[-1]["claw"]
            print("  round " + str(r + 1) + ": " + ", ".join(
                f"Claw / {s} {claw['throughput'] / max(rounds[-1][s]['throughput'], 1e-9):.2f}x"
                for s in systems if s != "claw"), flush=True)
    results = {s: {k: statistics.median(rd[s][k] for rd in rounds) for k in rounds[0][s]}
               for s in systems}
    if args.rounds > 1:
        print(f"\nmedians of {args.rounds} rounds:")

    bench_url = fresh_database(admin, COMMITS_DB)
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_commits (id bigserial PRIMARY KEY, v int)")
    commits = pgbench(bench_url, COMMIT_SCRIPT, 2 * args.workers, 10, {})
    report(results, commits, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
