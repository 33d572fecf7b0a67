"""A worker process for the crash tests (tests/test_worker_crash.py).

    python effect_worker.py DSN MODE [LEASE_SECONDS]

Handlers:
  test.effect  records the run, applies the job's side effect idempotently on the job id
               (INSERT ... ON CONFLICT (job_id) DO NOTHING inside the job's tenant context;
               each insert that really happened is logged in test_applied), then, in MODE
               'hang', hangs so the lease stays held until the process is killed.
  test.crash   kills its own process with SIGKILL (a job that crashes every worker).
The worker runs under claw.worker.supervise, as `claw worker` does: a lost database
connection restarts it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from claw.worker import Job, Worker, configure_logging, supervise


def make_worker(dsn: str, mode: str, lease: int) -> Worker:
    worker = Worker(dsn, queues=["crash"], concurrency=200, batch_size=200, lease_seconds=lease,
                    poll_interval=0.1, tick=False, maintain=False)

    @worker.handler("test.effect")
    async def effect(job: Job) -> None:
        async with worker.acting_as(job) as conn:
            await conn.execute("INSERT INTO public.test_runs (job_id, pid) VALUES (%s, %s)",
                               (job.job_id, os.getpid()))
        async with worker.acting_as(job) as conn:
            cur = await conn.execute(
                "INSERT INTO public.test_effects (job_id, tenant_id) "
                "VALUES (%s, %s) ON CONFLICT (job_id) DO NOTHING RETURNING job_id",
                (job.job_id, job.tenant_id))
            if await cur.fetchone() is not None:
                await conn.execute("INSERT INTO public.test_applied (job_id) VALUES (%s)",
                                   (job.job_id,))
        if mode == "hang":
            await asyncio.sleep(3600)

    @worker.handler("test.crash")
    async def crash(job: Job) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    return worker


def main() -> None:
    dsn, mode = sys.argv[1], sys.argv[2]
    lease = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    configure_logging()
    asyncio.run(supervise(lambda: make_worker(dsn, mode, lease)))


if __name__ == "__main__":
    main()
