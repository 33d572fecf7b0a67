"""Chaos for durable flows: N flows of 5 steps (a checkpointed step, an effect on a provider
that honours idempotency keys, a durable timer, an effect on a provider that does not and
must be reconciled, a last step) run by worker processes that are SIGKILLed at random
moments again and again, on a PostgreSQL of its own that is stopped with an immediate
shutdown and restarted mid-run. Then every worker is killed and one clean worker is
started. Printed and checked: every flow completed, 0 duplicate deliveries, 0 lost, 0 stuck,
and the time from the last PostgreSQL restart until every interrupted flow runs again.

The same code at two scales:
    .venv/bin/python bench/flows_chaos.py                     # 1,000 flows, >= 2 restarts
    tests/test_flow_chaos.py                                  # 30 flows, 1 restart
Worker processes are this file: `flows_chaos.py worker DSN PAY_URL SMS_URL LEASE CONCURRENCY`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from claw.cluster import SUPERUSER, EmbeddedCluster, as_cluster_user, bin_path  # noqa: E402
from claw.flows import FlowContext, Flows, RetryPolicy  # noqa: E402
from claw.flows.fakes import FakeProvider  # noqa: E402
from claw.flows.http_providers import IdempotentHttpProvider, TaggedHttpProvider  # noqa: E402


@dataclass
class ChaosParams:
    flows: int = 1000
    workers: int = 3
    concurrency: int = 30
    lease: int = 5
    sleep_seconds: float = 2.0
    kills: int = 25
    restarts: int = 2
    kill_every: tuple[float, float] = (0.3, 1.2)
    provider_delay: float = 0.05
    budget: float = 900.0
    seed: int = 7


# -- the flow and the worker process ----------------------------------------------------------

def chaos_flows(pay_url: str, sms_url: str) -> Flows:
    flows = Flows()
    pay = IdempotentHttpProvider("pay", pay_url)
    sms = TaggedHttpProvider("sms", sms_url)
    retry = RetryPolicy(max_attempts=20, backoff=0.2, backoff_max=2.0)

    async def fetch(n: int) -> dict[str, int]:
        await asyncio.sleep(random.random() * 0.02)
        return {"order": n, "amount": 1000 + n}

    async def summarise(charge: str, sid: str) -> str:
        return f"{charge}/{sid}"

    @flows.flow("chaos.order")
    async def order(ctx: FlowContext, inp: dict[str, Any]) -> str:
        items = await ctx.run("fetch", fetch, inp["n"])
        charge = await ctx.effect("charge", pay, {"order": inp["n"], "amount": items["amount"]},
                                  retry=retry)
        await ctx.sleep(inp["sleep"])
        text = await ctx.effect("sms", sms, {"to": f"+6140000{inp['n']:04d}",
                                             "body": f"order {inp['n']} paid ({charge['id']})"},
                                retry=retry)
        return await ctx.run("summarise", summarise, charge["id"], text["sid"])

    return flows


def worker_main(dsn: str, pay_url: str, sms_url: str, lease: int, concurrency: int) -> None:
    from claw.worker import Worker, configure_logging, supervise

    configure_logging()
    logging.getLogger("claw").setLevel(logging.WARNING)
    flows = chaos_flows(pay_url, sms_url)

    def make() -> Worker:
        worker = Worker(dsn, queues=["flows"], concurrency=concurrency, lease_seconds=lease,
                        poll_interval=0.2, grace=1.0, tick=False, maintain=False)
        flows.install(worker)
        return worker

    asyncio.run(supervise(make))


# -- the harness ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScratchClaw:
    """A PostgreSQL cluster of its own (embedded binaries, a temporary CLAW_HOME, a free
    port), migrated, with one tenant. Used by the chaos test and bench/flows_bench.py."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="claw-scratch-"))
        os.chmod(self.home, 0o755)
        self.cluster = EmbeddedCluster(home=self.home / "pg", port=free_port())

    def setup(self) -> None:
        from claw.cli import run_migrate
        from claw.config import Settings

        self.cluster.start()
        self.cluster.wait_ready()
        cfg = Settings(root=ROOT, database_url=None, cluster=self.cluster)
        with open(os.devnull, "w") as devnull:
            stdout, sys.stdout = sys.stdout, devnull
            try:
                run_migrate(cfg)
            finally:
                sys.stdout = stdout
        self.admin = self.cluster.url(SUPERUSER, "claw")
        self.worker_dsn = self.cluster.url("claw_worker", "claw")
        self.runtime = self.cluster.url("claw_runtime", "claw")
        with psycopg.connect(self.admin, autocommit=True) as conn:
            row = conn.execute("SELECT api_key FROM tenancy.create_tenant('chaos', 'Chaos', "
                               "'owner', 'Owner')").fetchone()
        assert row is not None
        self.api_key = row[0]

    def restart_immediate(self, pause: float) -> None:
        subprocess.run(as_cluster_user([bin_path("pg_ctl"), "-D", str(self.cluster.pgdata),
                                        "-m", "immediate", "-w", "stop"]),
                       check=True, capture_output=True)
        time.sleep(pause)
        self.cluster.start()

    def close(self) -> None:
        try:
            self.cluster.stop()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


class Chaos(ScratchClaw):
    def __init__(self, p: ChaosParams, say: Any = print) -> None:
        super().__init__()
        self.p, self.say = p, say
        self.rng = random.Random(p.seed)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.kills = 0
        self.restarts = 0
        self.died = 0  # worker processes that exited by themselves (they must not)
        self.recovery: list[float] = []
        self.pay = FakeProvider("idempotent", p.provider_delay).start()
        self.sms = FakeProvider("tagged", p.provider_delay).start()

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        for _ in range(100):
            try:
                with psycopg.connect(self.admin, autocommit=True, connect_timeout=3) as conn:
                    return conn.execute(sql, args).fetchall()
            except psycopg.OperationalError:
                time.sleep(0.2)  # PostgreSQL is restarting
        raise RuntimeError("database unreachable")

    def start_flows(self) -> None:
        with psycopg.connect(self.runtime, autocommit=True) as conn:
            for lo in range(0, self.p.flows, 250):
                with conn.transaction():
                    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (self.api_key,))
                    for n in range(lo, min(lo + 250, self.p.flows)):
                        conn.execute("SELECT * FROM api.start_flow_run(p_flow_name => 'chaos.order', "
                                     "p_input => %s, p_idempotency_key => %s)",
                                     (json.dumps({"n": n, "sleep": self.p.sleep_seconds}),
                                      f"order-{n}"))

    # processes
    def spawn(self) -> subprocess.Popen[bytes]:
        log = open(self.home / "workers.log", "ab")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen([sys.executable, __file__, "worker", self.worker_dsn, self.pay.url,
                                 self.sms.url, str(self.p.lease), str(self.p.concurrency)],
                                stdout=subprocess.DEVNULL, stderr=log)
        self.procs.append(proc)
        return proc

    def kill_one(self) -> None:
        alive = [p for p in self.procs if p.poll() is None]
        victim = self.rng.choice(alive)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.procs.remove(victim)
        self.kills += 1
        self.spawn()

    def check_alive(self) -> None:
        """A worker that loses PostgreSQL keeps running and reconnects; one that exited by
        itself is counted (and replaced so that the run goes on)."""
        for proc in [p for p in self.procs if p.poll() is not None]:
            self.died += 1
            self.procs.remove(proc)
            self.say(f"  worker {proc.pid} exited by itself (code {proc.returncode})")
            self.spawn()

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                self.kills += 1
            proc.wait()
        self.procs.clear()

    def restart_postgres(self) -> None:
        interrupted = {r[0]: r[1] for r in self.query(
            "SELECT run_id, dispatches FROM flow.runs WHERE status = 'running'")}
        self.restart_immediate(self.rng.uniform(0.5, 1.5))
        back = time.monotonic()
        self.restarts += 1
        # until every flow that was running is dispatched again (or has finished)
        while interrupted:
            rows = self.query("SELECT run_id, dispatches, status FROM flow.runs "
                              "WHERE run_id = ANY (%s)", (list(interrupted),))
            for run_id, dispatches, status in rows:
                if status != "running" or dispatches > interrupted[run_id]:
                    interrupted.pop(run_id, None)
            if interrupted:
                time.sleep(0.1)
        self.recovery.append(time.monotonic() - back)
        self.say(f"  restart {self.restarts}: every interrupted flow running again "
                 f"{self.recovery[-1]:.2f}s after PostgreSQL came back")

    def completed(self) -> int:
        return int(self.query("SELECT count(*) FROM flow.runs WHERE status = 'completed'")[0][0])

    # the run
    def run(self) -> dict[str, Any]:
        p = self.p
        t0 = time.monotonic()
        self.setup()
        self.start_flows()
        self.say(f"chaos: {p.flows} flows, {p.workers} worker processes x {p.concurrency}, lease "
                 f"{p.lease}s, {p.kills} SIGKILLs, {p.restarts} immediate PostgreSQL restarts")
        for _ in range(p.workers):
            self.spawn()
        # restarts at evenly spread progress points; kills at random moments in between
        marks = [(i + 1) / (p.restarts + 1) for i in range(p.restarts)]
        next_kill = time.monotonic() + self.rng.uniform(*p.kill_every)
        deadline = t0 + p.budget
        while time.monotonic() < deadline:
            self.check_alive()
            done = self.completed()
            if marks and done >= marks[0] * p.flows:
                marks.pop(0)
                self.say(f"  {done}/{p.flows} completed: PostgreSQL immediate shutdown")
                self.restart_postgres()
            if self.kills < p.kills and time.monotonic() >= next_kill:
                self.kill_one()
                next_kill = time.monotonic() + self.rng.uniform(*p.kill_every)
            if done >= p.flows and not marks:
                break
            if self.kills >= p.kills and not marks and done >= p.flows * 0.9:
                break  # enough chaos: the clean worker finishes
            time.sleep(0.05)
        self.say(f"  chaos over after {time.monotonic() - t0:.1f}s: {self.kills} SIGKILLs, "
                 f"{self.restarts} restarts; {self.completed()}/{p.flows} completed")
        self.check_alive()
        self.kill_all()
        self.spawn()  # one clean worker
        while time.monotonic() < deadline and self.completed() < p.flows:
            time.sleep(0.2)
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        return self.verdict(time.monotonic() - t0)

    def snapshot(self, *queries: str) -> list[list[tuple[Any, ...]]]:
        """The queries' answers from one snapshot, once the workers' sessions are quiet: a
        SIGKILLed worker's last statements can still commit on the server after the process is
        gone, and two reads apart could then disagree (a completed run counted without its
        effects: a negative 'lost')."""
        quiet_by = time.monotonic() + 30
        while time.monotonic() < quiet_by and self.query(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'claw_worker' "
                "AND state <> 'idle' AND datname = current_database()")[0][0]:
            time.sleep(0.1)
        with psycopg.connect(self.admin, connect_timeout=3) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                return [conn.execute(q).fetchall() for q in queries]

    def verdict(self, seconds: float) -> dict[str, Any]:
        runs, effects = self.snapshot(
            "SELECT status, count(*) FROM flow.runs GROUP BY status",
            "SELECT e.provider, e.idempotency_key, e.status FROM flow.effects e "
            "JOIN flow.runs r USING (tenant_id, run_id) WHERE r.status = 'completed'")
        statuses = dict(runs)
        delivered = {"pay": self.pay.delivered_keys(), "sms": self.sms.delivered_keys()}
        settled = [e for e in effects if e[2] in ("confirmed", "reconciled")]
        lost = sum(1 for prov, key, _ in settled if key not in delivered[prov])
        lost += 2 * int(statuses.get("completed", 0)) - len(settled)
        result = {
            "flows": self.p.flows, "completed": int(statuses.get("completed", 0)),
            "duplicates": self.pay.duplicates() + self.sms.duplicates(), "lost": lost,
            "stuck": self.p.flows - int(statuses.get("completed", 0)), "statuses": statuses,
            "sigkills": self.kills, "pg_restarts": self.restarts,
            "workers_exited_by_themselves": self.died,
            "recovery_seconds": [round(r, 2) for r in self.recovery],
            "reconciled_sms": sum(1 for e in effects if e[0] == "sms" and e[2] == "reconciled"),
            "resent_pay": int(self.query("SELECT count(*) FROM flow.effects WHERE provider = 'pay' "
                                         "AND sends > 1")[0][0]),
            "pay_requests": self.pay.requests, "sms_requests": self.sms.requests,
            "sms_lookups": self.sms.lookups,
            "redispatched_runs": int(self.query("SELECT count(*) FROM flow.runs "
                                                "WHERE dispatches > 3")[0][0]),
            "seconds": round(seconds, 1),
        }
        return result

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.pay.stop()
        self.sms.stop()
        super().close()


def run_chaos(params: ChaosParams, say: Any = print) -> dict[str, Any]:
    chaos = Chaos(params, say)
    try:
        return chaos.run()
    finally:
        chaos.close()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        dsn, pay, sms, lease, conc = sys.argv[2:7]
        worker_main(dsn, pay, sms, int(lease), int(conc))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = ChaosParams()
    for name, value in asdict(defaults).items():
        if isinstance(value, (int, float)):
            ap.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = ap.parse_args()
    for name in ("flows", "workers", "concurrency", "lease"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be 1 or more")
    for name in ("kills", "restarts", "sleep_seconds", "provider_delay", "budget"):
        if getattr(args, name) < 0:
            ap.error(f"--{name.replace('_', '-')} must be 0 or more")
    params = ChaosParams(**{k: getattr(args, k) for k in asdict(defaults) if hasattr(args, k)})
    result = run_chaos(params)
    print(json.dumps(result, indent=2, default=str))
    failed = [why for why, bad in (
        (f"{params.flows - result['completed']} not completed",
         result["completed"] != params.flows),
        (f"{result['duplicates']} duplicate deliveries", result["duplicates"] != 0),
        (f"{result['lost']} lost", result["lost"] != 0),
        (f"{result['stuck']} stuck", result["stuck"] != 0),
        (f"{result['pg_restarts']} of {params.restarts} PostgreSQL restarts done",
         result["pg_restarts"] < params.restarts),
        (f"{result['workers_exited_by_themselves']} workers exited by themselves",
         result["workers_exited_by_themselves"] != 0)) if bad]
    print(f"{result['completed']} completed, {result['duplicates']} duplicate deliveries, "
          f"{result['lost']} lost, {result['stuck']} stuck; recovery after the last restart "
          f"{result['recovery_seconds'][-1] if result['recovery_seconds'] else '-'}s: "
          + ("OK" if not failed else "FAILED (" + "; ".join(failed) + ")"))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
