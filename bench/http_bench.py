"""The HTTP edge under load, and what it adds to the database calls it makes.

    .venv/bin/pip install -r requirements-bench.lock
    .venv/bin/python bench/http_bench.py [--users 200] [--seconds 60]

One run, on Claw's embedded server (scratch database `claw_bench_http`):
1. 10 tenants, each with jobs, a schedule and an authz model; `claw serve` as a subprocess on
   127.0.0.1 (--server-workers processes, --pool connections each).
2. locust, headless, `--users` users (19 of 20 make a mix of reads and writes with
   Idempotency-Key, some replayed; 1 of 20 holds an SSE stream open): throughput, p50/p95/p99
   and errors, from locust's own statistics.
3. The same operations, one client at a time, through HTTP and directly through psycopg
   (`BEGIN; api.authenticate; <the call>; COMMIT`, what the edge does minus HTTP, the
   rate-limit transaction and the idempotency record): per operation the two p50s and
   their ratio, the edge's overhead.
Targets: 0 errors, p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from isolation_audit import at_least, pct, scratch_database, url_for  # noqa: E402

from claw import config, db  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODEL = {"types": {"user": {}, "doc": {"relations": {"viewer": {"this": ["user"]}}}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scratch_with_logins(name: str) -> tuple[str, str]:
    """The scratch database (administrator URL) and the runtime role's login URL for it (on
    the embedded server the login roles get their passwords from .claw/credentials.json)."""
    cfg = config.settings()
    admin = scratch_database(name)
    if cfg.embedded:
        from claw.migrate import migrate

        migrate(admin, cfg.root, {r: cfg.cluster.password(r) for r in config.LOGIN_ROLES})
    return admin, url_for(db.role_url(cfg, "runtime"), name)


def seed(admin: str, runtime: str, tenants: int) -> list[str]:
    import json

    keys: list[str] = []
    tenant_ids: list[str] = []
    with psycopg.connect(admin, autocommit=True) as conn:
        for i in range(tenants):
            row = conn.execute("SELECT api_key, tenant_id FROM tenancy.create_tenant(p_slug => %s, "
                               "p_name => %s, p_owner_handle => 'owner', p_owner_name => 'O')",
                               (f"bench-{i}", f"Bench {i}")).fetchone()
            assert row is not None
            keys.append(str(row[0]))
            tenant_ids.append(str(row[1]))
        raise_limits(conn, tenant_ids)
    with psycopg.connect(runtime, autocommit=True) as conn:
        for key in keys:
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
                conn.execute("SELECT * FROM api.enqueue_jobs(%s)", (json.dumps(
                    [{"queue": "bench", "kind": "noop", "payload": {"n": n}}
                     for n in range(200)]),))
                conn.execute("SELECT * FROM api.create_schedule(p_name => 'daily', "
                             "p_cron => '0 6 * * *', p_time_zone => 'UTC', p_queue => 'bench', "
                             "p_kind => 'noop')")
                conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(MODEL),))
                conn.execute("SELECT * FROM api.write_tuples(%s)", (json.dumps(
                    [{"object": "doc:1", "relation": "viewer", "subject": f"user:{u}"}
                     for u in range(1, 26)]),))
    return keys


def raise_limits(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> None:
    """The bench measures the edge, not the limiter: lift the request rate limits (the
    limiter's own transaction still runs on every request)."""
    for tenant_id in tenant_ids:
        conn.execute("SELECT edge.set_request_limits(%s, 10000000, 10000000, 10000000, "
                     "10000000)", (tenant_id,))


def auditor_url(name: str) -> str:
    """claw_auditor's URL for the scratch database, without its password (the audit routes
    take it from the caller)."""
    from claw.cli import _without_password

    return _without_password(url_for(db.role_url(config.settings(), "auditor"), name))


def start_server(runtime: str, port: int, log: Path, auditor: str | None = None,
                 workers: int = 1, pool: int = 20) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLAW_HTTP_DATABASE_URL": runtime, "CLAW_HTTP_PORT": str(port),
           "CLAW_HTTP_WORKERS": str(workers),
           **({"CLAW_HTTP_AUDITOR_URL": auditor} if auditor else {}),
           "CLAW_HTTP_POOL_MIN": str(pool), "CLAW_HTTP_POOL_MAX": str(pool),
           "CLAW_HTTP_ACCESS_LOG": os.environ.get("CLAW_BENCH_ACCESS_LOG", "off"),
           "CLAW_HTTP_SSE_KEEPALIVE": "5"}
    with open(log, "w") as f:
        proc = subprocess.Popen([sys.executable, "-m", "claw.http.server"], env=env, stdout=f,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("server did not start:\n" + log.read_text())
        time.sleep(0.2)


def run_locust(host: str, keys: list[str], users: int, seconds: int, workdir: Path,
               think: str = "0.5,1.5") -> tuple[dict[str, str], list[dict[str, str]], str]:
    env = {**os.environ, "CLAW_BENCH_KEYS": ",".join(keys), "CLAW_BENCH_THINK": think,
           "CLAW_BENCH_STREAM_STATS": str(workdir / "streams.txt")}
    locust = Path(sys.executable).parent / "locust"
    proc = subprocess.run(
        [str(locust), "-f", str(ROOT / "bench" / "http_locustfile.py"), "--headless",
         "-u", str(users), "-r", str(max(users // 5, 1)), "-t", f"{seconds}s", "--host", host,
         "--csv", str(workdir / "run"), "--only-summary", "--stop-timeout", "5",
         # statistics from the moment every user runs: the ramp-up (users starting at
         # users/5 per second, each fresh server connection compiling the PL/pgSQL it
         # calls for the first time) is warm-up, not the steady state measured
         "--reset-stats",
         "--loglevel", "WARNING"], env=env, capture_output=True, text=True,
        timeout=seconds + 120)
    with open(workdir / "run_stats.csv") as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    streams = (workdir / "streams.txt").read_text().strip() if (
        workdir / "streams.txt").exists() else "0 0 0"
    if proc.returncode not in (0, 1):
        print(proc.stderr[-3000:])
    return total, [r for r in rows if r["Name"] != "Aggregated"], streams


def cpu_seconds(pid: int) -> float:
    """User + system CPU so far (/proc) of a process and its live descendants (the server's
    worker processes)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(k)) for k in kids)


def postgres_cpu() -> float:
    """CPU seconds so far of every postgres process on this machine, and of the ones that
    exited (a backend whose connection closed: the postmaster's reaped children)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def timed(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def overhead(host: str, runtime: str, key: str, n: int) -> list[tuple[str, float, float]]:
    """Per operation, one client: p50 through HTTP and directly through psycopg."""
    client = httpx.Client(base_url=host, headers={"Authorization": f"Bearer {key}"})
    conn = psycopg.connect(runtime, autocommit=True)
    job_id = client.post("/v1/jobs", json={"queue": "bench", "kind": "noop"}).json()["job_id"]

    def sql(statement: str, params: tuple[Any, ...] = ()) -> Any:
        def call() -> None:
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
                conn.execute(statement, params).fetchall()
        return call

    ops: list[tuple[str, Any, Any]] = [
        ("GET /v1/whoami", lambda: client.get("/v1/whoami"), sql("SELECT * FROM api.whoami()")),
        ("GET /v1/jobs/{id}", lambda: client.get(f"/v1/jobs/{job_id}"),
         sql("SELECT * FROM api.get_job(p_job_id => %s)", (job_id,))),
        ("GET /v1/jobs?limit=20", lambda: client.get("/v1/jobs?limit=20"),
         sql("SELECT * FROM api.list_jobs(p_limit => 20)")),
        ("POST /v1/jobs (Idempotency-Key)", lambda: client.post(
            "/v1/jobs", json={"queue": "bench", "kind": "noop"},
            headers={"Idempotency-Key": uuid.uuid4().hex}),
         sql("SELECT * FROM api.enqueue_job(p_queue => 'bench', p_kind => 'noop')")),
    ]
    out = []
    for name, http_call, sql_call in ops:
        timed(http_call, 20)
        timed(sql_call, 20)
        h = timed(http_call, n)
        d = timed(sql_call, n)
        out.append((name, pct(h, 50), pct(d, 50)))
    conn.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=at_least(1), default=200)
    parser.add_argument("--seconds", type=at_least(1), default=60)
    parser.add_argument("--tenants", type=at_least(1), default=10)
    parser.add_argument("--calls", type=at_least(1), default=300,
                        help="calls per operation (overhead)")
    parser.add_argument("--think", default="0.5,1.5",
                        help="seconds an API user waits between requests, MIN,MAX (uniform)")
    parser.add_argument("--server-workers", type=at_least(1), default=2,
                        help="claw serve processes (CLAW_HTTP_WORKERS)")
    parser.add_argument("--pool", type=at_least(1), default=8,
                        help="connections per server process (CLAW_HTTP_POOL_MIN = _MAX)")
    args = parser.parse_args()

    name = "claw_bench_http"
    admin, runtime = scratch_with_logins(name)
    keys = seed(admin, runtime, args.tenants)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="claw-http-bench-"))
    server = start_server(runtime, port, workdir / "server.log", workers=args.server_workers,
                          pool=args.pool)
    try:
        server_cpu, pg_cpu = cpu_seconds(server.pid), postgres_cpu()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        total, per_name, streams = run_locust(host, keys, args.users, args.seconds, workdir,
                                              args.think)
        server_cpu, pg_cpu = cpu_seconds(server.pid) - server_cpu, postgres_cpu() - pg_cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        rows = overhead(host, runtime, keys[0], args.calls)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    n_streams, n_events, stream_errors = streams.split()
    print(f"\nHTTP edge, locust headless, {args.users} users ({args.users // 20} SSE streams), "
          f"{args.seconds} s, think time {args.think.replace(',', '-')} s, 127.0.0.1, "
          f"{args.server_workers} server process(es), pool {args.pool} each")
    print("| operation | requests | failures | p50 ms | p95 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in per_name + [total]:
        print(f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | {r['50%']} | "
              f"{r['95%']} | {r['99%']} |")
    print(f"throughput {float(total['Requests/s']):.1f} req/s; errors "
          f"{total['Failure Count']}; SSE: {n_streams} streams received {n_events} events, "
          f"{stream_errors} failed to open")
    n = max(int(total["Request Count"]), 1)
    # the CPU is read over the whole locust run, ramp-up included, while the requests are
    # those after it (--reset-stats): per request it is an upper bound; PostgreSQL's is every
    # postgres process of the machine
    print(f"CPU during the whole load (ramp-up included; per request counted after it, an "
          f"upper bound): the edge's processes {server_cpu:.1f} s "
          f"({server_cpu / n * 1000:.2f} ms per request), locust {locust_cpu:.1f} s "
          f"({locust_cpu / n * 1000:.2f} ms per request), every PostgreSQL process "
          f"{pg_cpu:.1f} s ({pg_cpu / n * 1000:.2f} ms per request), on {os.cpu_count()} cores")
    if int(total["Request Count"]) == 0 or total["95%"] == "N/A":
        print("target: not measured (no request finished after the ramp-up: more --seconds "
              "or less --think)")
    else:
        p95 = float(total["95%"])
        print(f"target: 0 errors ({'met' if total['Failure Count'] == '0' else 'NOT met'}), "
              f"p95 < 50 ms ({'met' if p95 < 50 else 'NOT met'}: {p95:.0f} ms)")
    print("\nedge overhead, one client, p50 (HTTP vs the same api calls through psycopg):")
    print("| operation | HTTP p50 ms | psycopg p50 ms | ratio |")
    print("| --- | --- | --- | --- |")
    for op, h, d in rows:
        print(f"| {op} | {h:.2f} | {d:.2f} | {h / d:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
