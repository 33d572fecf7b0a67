"""Durable flows, Claw against DBOS Transact, on one PostgreSQL in one run:

  per-step checkpoint   a flow of 200 no-op steps run alone, timed inside the flow function
                        (median of 5 flows): what one checkpointed step costs
  workflows/second      2,000 flows of 3 no-op steps submitted at once, until the last one
                        finished (for both, from when the worker or DBOS runs: submission in)
  recovery              1,000 flows interrupted mid-step (their process SIGKILLed), then a
                        fresh process: from its start until all 1,000 have finished

Claw runs with its tenancy on: flows are started through api.start_flow_run as claw_runtime
with an API key under RLS, executed by claw.worker.Worker with claw.flows as claw_worker
under the lease's tenant context, dispatched through the queue. DBOS (`dbos` on PyPI, see
requirements-bench.lock) runs async workflows and steps with its system database in a
second database of the same cluster; its workflows start directly (start_workflow_async),
its recovery is its launch-time scan of PENDING workflows. Claw's recovery is lease expiry:
the bench moves Claw's injectable clock past the lease (a crash noticed `lease` seconds
later, printed), so both figures are the time a fresh process takes to finish the work.

    .venv/bin/pip install -r requirements-bench.lock && .venv/bin/python bench/flows_bench.py
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
import time
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "app"))

from flows_chaos import ScratchClaw  # noqa: E402

STEPS = 200
HANG = os.environ.get("BENCH_HANG") == "1"


# -- Claw ---------------------------------------------------------------------------------------

def claw_flows() -> Any:
    from claw.flows import FlowContext, Flows

    flows = Flows(max_connections=16)
    timings: list[float] = []

    async def noop(i: int) -> int:
        return i

    async def hang(i: int) -> int:
        if HANG:
            await asyncio.sleep(3600)
        return i

    @flows.flow("bench.steps")
    async def many(ctx: FlowContext, inp: Any) -> float:
        t = time.perf_counter()
        for i in range(STEPS):
            await ctx.run("s", noop, i)
        per = (time.perf_counter() - t) / STEPS
        timings.append(per)
        return per

    @flows.flow("bench.three")
    async def three(ctx: FlowContext, inp: Any) -> int:
        a = await ctx.run("a", noop, 1)
        b = await ctx.run("b", noop, a)
        return await ctx.run("c", noop, b)  # type: ignore[no-any-return]

    @flows.flow("bench.recover")
    async def recover(ctx: FlowContext, inp: Any) -> int:
        a = await ctx.run("a", noop, 1)
        b = await ctx.run("b", hang, a)
        return await ctx.run("c", noop, b)  # type: ignore[no-any-return]

    flows.timings = timings  # type: ignore[attr-defined]
    return flows


def claw_start(db: ScratchClaw, name: str, n: int) -> None:
    with psycopg.connect(db.runtime, autocommit=True) as conn:
        for lo in range(0, n, 500):
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (db.api_key,))
                conn.execute("SELECT count(*) FROM generate_series(%s::int, %s::int) AS g, "
                             "LATERAL api.start_flow_run(p_flow_name => %s, "
                             "p_input => jsonb_build_object('n', g))",
                             (lo, min(lo + 500, n) - 1, name))


def claw_count(db: ScratchClaw, name: str, status: str = "completed") -> int:
    with psycopg.connect(db.admin, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM flow.runs WHERE flow_name = %s AND status = %s",
                           (name, status)).fetchone()
    return int(row[0]) if row else 0


async def claw_serve(db: ScratchClaw, flows: Any, done: Any, concurrency: int = 50,
                     start: Any = None) -> float:
    """Serve flows until done(); with start, call it once the worker runs and return the
    seconds from then until done() (as DBOS's figure counts from after DBOS.launch())."""
    from claw.worker import Worker

    worker = Worker(db.worker_dsn, queues=["flows"], concurrency=concurrency,
                    batch_size=concurrency * 2, lease_seconds=30, poll_interval=0.05,
                    tick=False, maintain=False)
    flows.install(worker)
    task = asyncio.create_task(worker.run(install_signals=False))
    t = time.perf_counter()
    if start is not None:
        await asyncio.sleep(0.5)  # connected and listening
        t = time.perf_counter()
        await asyncio.to_thread(start)
    while not await asyncio.to_thread(done):
        if task.done():
            await task
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - t
    worker.stop()
    await task
    await flows.close()
    return elapsed


def wait_for(what: str, ready: Any, procs: list[subprocess.Popen[bytes]],
             limit: float = 600.0) -> None:
    """Poll until ready(); fail with a message when a process it waits on has died or after
    `limit` seconds (never wait for ever)."""
    deadline = time.perf_counter() + limit
    while not ready():
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{what}: the worker process exited ({proc.returncode})")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{what}: not done after {limit:.0f}s")
        time.sleep(0.05)


def bench_claw(db: ScratchClaw, n_throughput: int, n_recover: int) -> dict[str, float]:
    out: dict[str, float] = {}
    flows = claw_flows()
    for _ in range(5):
        claw_start(db, "bench.steps", 1)
        target = len(flows.timings) + 1
        asyncio.run(claw_serve(db, flows, lambda t=target: len(flows.timings) >= t, concurrency=1))
    out["step_ms"] = statistics.median(flows.timings) * 1000

    seconds = asyncio.run(claw_serve(
        db, claw_flows(), lambda: claw_count(db, "bench.three") >= n_throughput,
        start=lambda: claw_start(db, "bench.three", n_throughput)))
    out["workflows_per_s"] = n_throughput / seconds

    # the hung worker holds every flow at once (one runner each), as DBOS's process does
    runners = str(max(n_recover, 1))
    claw_start(db, "bench.recover", n_recover)
    hung = subprocess.Popen([sys.executable, __file__, "claw-worker", db.worker_dsn, runners],
                            env={**os.environ, "BENCH_HANG": "1"}, stderr=subprocess.DEVNULL)
    try:
        with psycopg.connect(db.admin, autocommit=True) as conn:
            def hanging() -> bool:
                row = conn.execute("SELECT count(*) FROM flow.steps s JOIN flow.runs r USING "
                                   "(tenant_id, run_id) WHERE r.flow_name = 'bench.recover'"
                                   ).fetchone()
                return bool(row and row[0] >= n_recover)
            wait_for(f"{n_recover} flows hanging in their second step", hanging, [hung])
            hung.send_signal(signal.SIGKILL)
            hung.wait()
            conn.execute("UPDATE internal.clock SET offset_by = offset_by + "
                         "interval '31 seconds'")
    finally:
        if hung.poll() is None:
            hung.kill()
            hung.wait()
    t = time.perf_counter()
    fresh = subprocess.Popen([sys.executable, __file__, "claw-worker", db.worker_dsn, runners],
                             stderr=subprocess.DEVNULL)
    try:
        wait_for(f"recovery of {n_recover} flows",
                 lambda: claw_count(db, "bench.recover") >= n_recover, [fresh])
        out["recovery_s"] = time.perf_counter() - t
    finally:
        fresh.send_signal(signal.SIGTERM)
        fresh.wait()
    return out


def claw_worker_main(dsn: str, runners: int) -> None:
    from claw.worker import Worker

    flows = claw_flows()
    worker = Worker(dsn, queues=["flows"], concurrency=max(runners, 1000), batch_size=1000,
                    lease_seconds=30, poll_interval=0.05, tick=False, maintain=False)
    flows.install(worker)
    asyncio.run(worker.run())


# -- DBOS -------------------------------------------------------------------------------------------

def dbos_main(mode: str, url: str, n: int) -> None:
    from dbos import DBOS

    DBOS(config={"name": "flows-bench", "system_database_url": url, "log_level": "ERROR",
                 "application_version": "bench"})
    timings: list[float] = []

    @DBOS.step()
    async def noop(i: int) -> int:
        return i

    @DBOS.step()
    async def hang(i: int) -> int:
        if HANG:
            await asyncio.sleep(3600)
        return i

    @DBOS.workflow()
    async def many(n: int) -> float:
        t = time.perf_counter()
        for i in range(STEPS):
            await noop(i)
        per = (time.perf_counter() - t) / STEPS
        timings.append(per)
        return per

    @DBOS.workflow()
    async def three(n: int) -> int:
        a = await noop(1)
        b = await noop(a)
        return await noop(b)

    @DBOS.workflow()
    async def recover(n: int) -> int:
        a = await noop(1)
        b = await hang(a)
        return await noop(b)

    async def main() -> None:
        DBOS.launch()
        if mode == "steps":
            for i in range(5):
                await (await DBOS.start_workflow_async(many, i)).get_result()
            print(json.dumps({"step_ms": statistics.median(timings) * 1000}))
        elif mode == "throughput":
            t = time.perf_counter()
            handles = await asyncio.gather(*[DBOS.start_workflow_async(three, i) for i in range(n)])
            await asyncio.gather(*[h.get_result() for h in handles])
            print(json.dumps({"workflows_per_s": n / (time.perf_counter() - t)}))
        elif mode == "hang":
            await asyncio.gather(*[DBOS.start_workflow_async(recover, i) for i in range(n)])
            await asyncio.sleep(3600)
        elif mode == "recover":  # launch() recovers the PENDING workflows; wait for them
            await asyncio.sleep(3600)
        DBOS.destroy()

    asyncio.run(main())


def dbos_count(url: str, status: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM dbos.workflow_status WHERE name LIKE %s "
                               "AND status = %s", ("%recover", status)).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def dbos_steps_done(url: str, name: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM dbos.operation_outputs o JOIN "
                               "dbos.workflow_status w USING (workflow_uuid) WHERE w.name LIKE %s",
                               (f"%{name}",)).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def bench_dbos(db: ScratchClaw, n_throughput: int, n_recover: int) -> dict[str, float]:
    url = db.cluster.url(database="dbos_bench")

    def run(mode: str, n: int = 0) -> dict[str, float]:
        proc = subprocess.run([sys.executable, __file__, "dbos", mode, url, str(n)],
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"dbos {mode} failed: {proc.stderr[-2000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    out = {**run("steps"), **run("throughput", n_throughput)}
    hung = subprocess.Popen([sys.executable, __file__, "dbos", "hang", url, str(n_recover)],
                            env={**os.environ, "BENCH_HANG": "1"}, stderr=subprocess.DEVNULL)
    wait_for(f"DBOS: {n_recover} workflows hanging in their second step",
             lambda: dbos_steps_done(url, "recover") >= n_recover, [hung])
    hung.send_signal(signal.SIGKILL)
    hung.wait()
    t = time.perf_counter()
    fresh = subprocess.Popen([sys.executable, __file__, "dbos", "recover", url, "0"],
                             stderr=subprocess.DEVNULL)
    wait_for(f"DBOS: recovery of {n_recover} workflows",
             lambda: dbos_count(url, "SUCCESS") >= n_recover, [fresh])
    out["recovery_s"] = time.perf_counter() - t
    fresh.kill()
    fresh.wait()
    return out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "claw-worker":
        claw_worker_main(sys.argv[2], int(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "dbos":
        dbos_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--throughput", type=int, default=2000)
    ap.add_argument("--recover", type=int, default=1000)
    args = ap.parse_args()
    if args.throughput < 1 or args.recover < 1:
        ap.error("--throughput and --recover must be 1 or more")
    from importlib.metadata import version as package_version

    db = ScratchClaw()
    try:
        db.setup()
        with psycopg.connect(db.cluster.url(database="postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE dbos_bench")
            version = conn.execute("SHOW server_version").fetchone()
        claw = bench_claw(db, args.throughput, args.recover)
        peer = bench_dbos(db, args.throughput, args.recover)
    finally:
        db.close()
    print(f"PostgreSQL {version[0] if version else '?'}, {os.cpu_count()} cores; "
          f"dbos {package_version('dbos')}")
    rows = [("per-step checkpoint (ms, lower is better)", "step_ms", False),
            ("workflows/s, 3 no-op steps (higher is better)", "workflows_per_s", True),
            (f"recovery of {args.recover} interrupted flows (s, lower is better)", "recovery_s",
             False)]
    print("| benchmark | Claw | DBOS | Claw advantage |\n| --- | --- | --- | --- |")
    for label, key, higher in rows:
        ratio = claw[key] / peer[key] if higher else peer[key] / claw[key]
        print(f"| {label} | {claw[key]:,.2f} | {peer[key]:,.2f} | {ratio:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
