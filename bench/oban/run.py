"""Oban's Python port (`oban` on PyPI) for bench/queue_bench.py.

oban needs Python >= 3.12 and the project's venv is 3.11, so this runs in its own venv,
bench/oban/.venv, which queue_bench.py creates from bench/oban/requirements.lock with the
oldest Python >= 3.12 it finds. One process is one Oban instance.

  python run.py install URL
      installs Oban's schema (oban_jobs, oban_leaders, oban_producers) in public at URL
  python run.py enqueue URL
      reads JSON lines from stdin, each a list of payloads, enqueues each list with
      Oban.enqueue_many (one transaction) and answers "ok" on stdout
  python run.py work URL CONCURRENCY SAMPLES GO
      waits for the file GO, then runs Oban(queues={"bench": CONCURRENCY}) with a no-op
      worker that records time.time() - args["t"] (when args has t) into SAMPLES, a JSON
      list rewritten every 0.2 s and at exit; SIGTERM stops it gracefully.

Settings: Oban's defaults (pool from Oban.create_pool: 1 to 10 connections; postgres
notifier, LISTEN/NOTIFY; producer debounce 5 ms; stager every 1 s; leadership on).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from oban import Oban, worker
from oban.schema import install

QUEUE = "bench"
SAMPLES: list[float] = []


@worker(queue=QUEUE)
class Noop:
    async def process(self, job: Any) -> None:
        t = job.args.get("t")
        if t is not None:
            SAMPLES.append(time.time() - t)


def flush(path: str) -> None:
    Path(path + ".tmp").write_text(json.dumps(SAMPLES))
    os.replace(path + ".tmp", path)


async def do_install(url: str) -> None:
    pool = await Oban.create_pool(url)
    try:
        await install(pool)
    finally:
        await pool.close()


async def do_enqueue(url: str) -> None:
    pool = await Oban.create_pool(url)
    oban = Oban(pool=pool)  # client mode: no queues, enqueue only
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            await oban.enqueue_many([Noop.new(p) for p in json.loads(line)])
            sys.stdout.write("ok\n")
            sys.stdout.flush()
    finally:
        await pool.close()


async def do_work(url: str, concurrency: int, samples: str, go: str) -> None:
    async def flusher() -> None:
        while True:
            await asyncio.sleep(0.2)
            flush(samples)

    flushing = asyncio.create_task(flusher())
    while not Path(go).exists():
        await asyncio.sleep(0.005)
    pool = await Oban.create_pool(url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        async with Oban(pool=pool, queues={QUEUE: concurrency}):
            await stop.wait()
    finally:
        flushing.cancel()
        flush(samples)
        await pool.close()


def main() -> None:
    mode, url, *rest = sys.argv[1:]
    if mode == "install":
        asyncio.run(do_install(url))
    elif mode == "enqueue":
        asyncio.run(do_enqueue(url))
    elif mode == "work":
        concurrency, samples, go = rest
        asyncio.run(do_work(url, int(concurrency), samples, go))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
