"""`claw demo`'s durable flow: a job-site delay notice that waits for a person's approval
(a signal) and then sends one SMS (an effect on a provider without idempotency keys). The
demo kills the worker while the SMS call is in flight, starts another, and shows the flow
finishing with exactly one delivery (the second worker reconciles instead of re-sending).

Worker process: `python -m claw.flows.demo worker DSN SMS_URL LEASE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import psycopg

from claw.flows.runtime import FlowContext, Flows
from claw.flows.http_providers import TaggedHttpProvider


def demo_flows(sms_url: str) -> Flows:
    flows = Flows()
    sms = TaggedHttpProvider("sms", sms_url)

    async def draft(job: dict[str, Any]) -> str:
        return f"Hi {job['customer']}, your plumber is running {job['late_minutes']} min late."

    @flows.flow("demo.delay-notice")
    async def delay_notice(ctx: FlowContext, job: dict[str, Any]) -> dict[str, Any]:
        text = await ctx.run("draft", draft, job)
        approval = await ctx.wait_for_signal("approval", timeout=3600)
        if not approval or not approval.get("ok"):
            return {"sent": False}
        message = await ctx.effect("sms", sms, {"to": job["phone"], "body": text})
        return {"sent": True, "sid": message["sid"]}

    return flows


def worker_main(dsn: str, sms_url: str, lease: int) -> None:
    from claw.worker import Worker, configure_logging, supervise

    configure_logging()
    flows = demo_flows(sms_url)

    def make() -> Worker:
        worker = Worker(dsn, queues=["flows"], concurrency=4, lease_seconds=lease,
                        poll_interval=0.2, grace=1.0, tick=False, maintain=False)
        flows.install(worker)
        return worker

    asyncio.run(supervise(make))


def run(runtime: str, worker_dsn: str, key: str) -> int:
    """The demo scene; returns 0 when the flow finished with exactly one delivery."""
    from claw.flows.fakes import FakeProvider

    lease = 3
    sms = FakeProvider("tagged", delay=2.0).start()
    procs: list[subprocess.Popen[bytes]] = []

    def spawn() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "claw.flows.demo", "worker", worker_dsn,
                                 sms.url, str(lease)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env={**os.environ})
        procs.append(proc)
        return proc

    def tenant_sql(sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(runtime, autocommit=True) as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
            return conn.execute(sql, args).fetchall()

    def wait(what: str, check: Any, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def status() -> str:
        return str(tenant_sql("SELECT status FROM api.get_flow_run(%s)", (run_id,))[0][0])

    try:
        [(run_id, created)] = tenant_sql(
            "SELECT run_id, created FROM api.start_flow_run(p_flow_name => 'demo.delay-notice', "
            "p_input => %s, p_idempotency_key => %s)",
            (json.dumps({"customer": "Sam", "phone": "+61400111222", "late_minutes": 20}),
             f"delay-notice-{int(time.time())}"))
        print(f"   api.start_flow_run('demo.delay-notice') -> run {run_id} (dispatched as a "
              "flow.run job on queue 'flows')")
        first = spawn()
        wait("the flow to wait for approval", lambda: status() == "waiting")
        print(f"   worker {first.pid}: step 'draft' checkpointed; the run is 'waiting' for signal "
              "'approval' and holds no worker")
        tenant_sql("SELECT api.send_flow_signal(%s, 'approval', '{\"ok\": true}')", (run_id,))
        print("   api.send_flow_signal(run, 'approval', {\"ok\": true})")
        wait("the SMS to reach the provider", lambda: sms.requests >= 1)
        first.send_signal(signal.SIGKILL)
        first.wait()
        [(eff_status, eff_key)] = tenant_sql(
            "SELECT status, idempotency_key FROM api.list_flow_effects(p_run_id => %s)", (run_id,))
        print(f"   kill -9 worker {first.pid} while the SMS call is in flight: the provider has "
              f"the message, Claw has no answer (effect {eff_key} is '{eff_status}')")
        second = spawn()
        print(f"   worker {second.pid} started; it takes the run over when the lease "
              f"({lease}s) expires")
        wait("the flow to complete", lambda: status() == "completed", timeout=60)
        steps = tenant_sql("SELECT position, kind, name, output::text FROM "
                           "api.list_flow_steps(%s)", (run_id,))
        for pos, kind, name, output in steps:
            print(f"     step {pos} {kind:<7} {name:<16} {output[:70]}")
        [(eff_status, sends)] = tenant_sql(
            "SELECT status, sends FROM api.list_flow_effects(p_run_id => %s)", (run_id,))
        delivered = sms.deliveries.get(eff_key, 0)
        print(f"   completed; the effect is '{eff_status}' (looked up by its key, {sends} send), "
              f"the provider delivered {delivered} SMS ({sms.lookups} lookup)")
        return 0 if delivered == 1 else 1
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        sms.stop()


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "worker":
        worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
