"""What Claw's LLM layer adds to a model call, against calling the SDK directly.

Both sides send the same request with the same official SDK (openai) to the same local fake
provider (claw.llm.fakes, in its own process, answering at once), one run:
  direct   OpenAIProvider.complete(request)
  claw     Router.call(task, messages): token count, api.begin_llm_call (route, cache
           lookup, breaker, budget reserve on a tenant day budget and a task month budget,
           reservation row) in a verified tenant context (api.authenticate with an API key)
           and api.finish_llm_call (ledger row with its cost from the price table, settle on
           both windows, breaker, cache fill) with the call token begin returned, each its
           own transaction
  cached   Router.call on a route with the response cache on, the same request: a cache hit
           (lookup, hit counter, a zero-cost ledger row), no provider request at all
Sequential calls are interleaved (direct, claw, direct, ...) so drift hits both alike;
printed: p50 and p99 of each, the p50 Claw adds, and the two statements alone.
Throughput: 50 concurrent callers (5 processes x 10 threads, each thread its own connection
and router) for a fixed time: direct; through Claw with every call in one tenant (every
reservation and settlement contends on the same two budget rows: the worst case); and
through Claw with each caller in its own tenant (each with the same route and budgets).

    .venv/bin/python bench/llm_bench.py [--calls 2000] [--seconds 10] [--callers 50]

Target: under 2 ms p50 added per call.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from isolation_audit import at_least, pct, scratch_database, url_for  # noqa: E402

from claw import config, db  # noqa: E402
from claw.cli import run_migrate  # noqa: E402
from claw.llm import Message, OpenAIProvider, Router, TenantAuth  # noqa: E402
from claw.llm.fakes import FakeProvider  # noqa: E402
from claw.llm.types import ChatRequest  # noqa: E402

BENCH_DB = "claw_llm_bench"
MESSAGES = [Message("user", "Summarise today's jobs for the dispatcher: Smith (blocked drain), "
                            "Jones (hot water, two hours late), Lee (tap).")]
SYSTEM = "You help a trades business's dispatcher. Answer briefly."


def serve_fake(port_out: Any, stop: Any) -> None:
    fake = FakeProvider("openai", default=lambda body: {"text": "Three jobs; Jones is late.",
                                                        "usage": {"input": 60, "output": 8}})
    fake.start()
    port_out.put(fake.port)
    stop.wait()
    fake.stop()


def setup(admin: str, slug: str = "bench-co") -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        key = str(conn.execute("SELECT api_key FROM tenancy.create_tenant(%s, 'Bench', "
                               "'owner', 'Owner')", (slug,)).fetchone()[0])  # type: ignore[index]
    with psycopg.connect(runtime_url(), autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
        conn.execute("SELECT api.set_llm_settings('Australia/Sydney')")
        conn.execute("SELECT * FROM api.set_llm_route(p_task => 'bench', p_models => "
                     "'{gpt-4o-mini,claude-haiku-4-5}', p_max_output_tokens => 256)")
        conn.execute("SELECT * FROM api.set_llm_route(p_task => 'bench.cached', p_models => "
                     "'{gpt-4o-mini}', p_max_output_tokens => 256, p_cache_ttl_seconds => 3600)")
        conn.execute("SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', "
                     "p_limit_usd => 1000000)")
        conn.execute("SELECT api.set_llm_budget(p_scope => 'task', p_task => 'bench', "
                     "p_period => 'month', p_limit_usd => 1000000)")
    return key


def runtime_url() -> str:
    """claw_runtime's URL, on the bench database."""
    return url_for(db.role_url(config.settings(), "runtime"), BENCH_DB)


def timed_router(router: Router, sink: list[float]) -> Router:
    original = router._one

    def one(sql: str, params: tuple[Any, ...], auth: bool = True) -> dict[str, Any]:
        t0 = time.perf_counter()
        try:
            return original(sql, params, auth)
        finally:
            sink.append((time.perf_counter() - t0) * 1000)
    router._one = one  # type: ignore[method-assign]
    return router


def sequential(url: str, key: str, base_url: str, calls: int) -> dict[str, list[float]]:
    provider = OpenAIProvider(api_key="sk-bench", base_url=base_url)
    request = ChatRequest(model="gpt-4o-mini", messages=MESSAGES, system=SYSTEM, max_tokens=256)
    out: dict[str, list[float]] = {"direct": [], "claw": [], "cached": [], "sql": []}
    with psycopg.connect(url, autocommit=True) as conn:
        router = timed_router(Router(conn, TenantAuth.api_key(key), {"openai": provider}), out["sql"])
        plain = Router(conn, TenantAuth.api_key(key), {"openai": provider})
        for _ in range(50):  # warm up: connections, plans, the SDK's pool
            provider.complete(request, timeout=10)
            plain.call("bench", MESSAGES, system=SYSTEM)
            plain.call("bench.cached", MESSAGES, system=SYSTEM)
        out["sql"].clear()
        for _ in range(calls):
            t0 = time.perf_counter()
            provider.complete(request, timeout=10)
            t1 = time.perf_counter()
            router.call("bench", MESSAGES, system=SYSTEM)
            t2 = time.perf_counter()
            assert plain.call("bench.cached", MESSAGES, system=SYSTEM).cached
            t3 = time.perf_counter()
            out["direct"].append((t1 - t0) * 1000)
            out["claw"].append((t2 - t1) * 1000)
            out["cached"].append((t3 - t2) * 1000)
    return out


def caller_process(mode: str, url: str, keys: list[str], base_url: str, threads: int,
                   seconds: float, start: Any, counts: Any) -> None:
    barrier = threading.Barrier(threads)
    done = [0] * threads

    def run(i: int) -> None:
        try:
            work(i)
        except Exception as exc:
            barrier.abort()  # the others must not wait for a caller that died
            print(f"caller {i} ({mode}) failed: {type(exc).__name__}: {exc}", file=sys.stderr)

    def work(i: int) -> None:
        provider = OpenAIProvider(api_key="sk-bench", base_url=base_url)
        request = ChatRequest(model="gpt-4o-mini", messages=MESSAGES, system=SYSTEM, max_tokens=256)
        conn = psycopg.connect(url, autocommit=True)
        router = Router(conn, TenantAuth.api_key(keys[i % len(keys)]), {"openai": provider})
        provider.complete(request, timeout=10)
        barrier.wait()
        start.wait()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if mode == "direct":
                provider.complete(request, timeout=30)
            else:
                router.call("bench", MESSAGES, system=SYSTEM)
            done[i] += 1
        conn.close()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    counts.put(sum(done))


def throughput(mode: str, url: str, keys: list[str], base_url: str, callers: int,
               seconds: float) -> float:
    ctx = multiprocessing.get_context("fork")
    procs_n = min(5, callers)
    start, counts = ctx.Event(), ctx.Queue()
    # every caller runs: the first callers % procs_n processes take one more
    sizes = [callers // procs_n + (1 if n < callers % procs_n else 0) for n in range(procs_n)]
    firsts = [sum(sizes[:n]) for n in range(procs_n)]
    procs = [ctx.Process(target=caller_process,
                         args=(mode, url, keys[first:first + size] or keys, base_url, size,
                               seconds, start, counts))
             for first, size in zip(firsts, sizes, strict=True)]
    for p in procs:
        p.start()
    time.sleep(2.0)  # every caller connected and warmed up
    start.set()
    total = sum(counts.get(timeout=seconds + 60) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=at_least(1), default=2000)
    ap.add_argument("--seconds", type=at_least(0.1, float), default=10.0)
    ap.add_argument("--callers", type=at_least(1), default=50)
    args = ap.parse_args()
    cfg = config.settings()
    if cfg.embedded:  # the login roles get their passwords from the main database's migrate
        with contextlib.redirect_stdout(io.StringIO()):
            run_migrate(cfg)
    admin = scratch_database(BENCH_DB)
    key = setup(admin)
    url = runtime_url()
    ctx = multiprocessing.get_context("fork")
    port_q, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve_fake, args=(port_q, stop))
    server.start()
    base_url = f"http://127.0.0.1:{port_q.get(timeout=30)}/v1"
    try:
        seq = sequential(url, key, base_url, args.calls)
        direct_rps = throughput("direct", url, [key], base_url, args.callers, args.seconds)
        claw_rps = throughput("claw", url, [key], base_url, args.callers, args.seconds)
        keys = [key] + [setup(admin, f"bench-{n}") for n in range(1, args.callers)]
        spread_rps = throughput("claw", url, keys, base_url, args.callers, args.seconds)
    finally:
        stop.set()
        server.join()
    d, c, h, s = seq["direct"], seq["claw"], seq["cached"], seq["sql"]
    begin, finish = s[0::2], s[1::2]
    print(f"LLM layer overhead: {args.calls} sequential calls each way, {args.callers} concurrent "
          f"callers for {args.seconds:g} s; {platform.node()}, {platform.machine()}, "
          f"{multiprocessing.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    print(f"{'':34}{'p50 ms':>9}{'p99 ms':>9}")
    for label, xs in (("SDK direct (the peer)", d), ("through Claw (routed, budgeted)", c),
                      ("through Claw, cache hit", h), ("  api.begin_llm_call", begin),
                      ("  api.finish_llm_call", finish)):
        print(f"{label:34}{pct(xs, 50):9.2f}{pct(xs, 99):9.2f}")
    added50 = pct(c, 50) - pct(d, 50)
    added99 = pct(c, 99) - pct(d, 99)
    print(f"added by Claw per call: p50 {added50:.2f} ms, p99 {added99:.2f} ms "
          f"(target < 2 ms p50: {'met' if added50 < 2 else 'NOT met'}); ratio p50 "
          f"{pct(c, 50) / pct(d, 50):.2f}x")
    print(f"{args.callers} concurrent callers: SDK direct {direct_rps:.0f} calls/s; through Claw, "
          f"one tenant (every call on the same two budget rows) {claw_rps:.0f} calls/s "
          f"({claw_rps / direct_rps:.2f}x); one tenant each {spread_rps:.0f} calls/s "
          f"({spread_rps / direct_rps:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
