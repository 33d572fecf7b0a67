"""Server time of one job's calls, warm: the figures behind the README's queue section
(session 21) that the end-to-end bench is too noisy to show.

Each call runs N times in a DO block as the role an application or worker uses, every call
its own transaction (COMMIT inside the loop, synchronous_commit off so that the WAL flush
does not count), after 50 unmeasured calls; the block reports microseconds per call from
clock_timestamp(). Round trips, parsing and the client are not in these figures; the
end-to-end cost of the same calls is bench/queue_bench.py's.

  Claw, as the runtime role:   api.authenticate alone, then api.authenticate + api.enqueue_job
                               (the enqueue is the difference)
  Claw, as the worker role:    a one-job api.claim_jobs (N jobs enqueued before), and the
                               api.complete_jobs of that job, measured apart
  graphile-worker (if Node and npm are there; installed as bench/queue_bench.py does):
                               graphile_worker.add_job as its producer, the same way
  --ablate (Claw's scratch database only, dropped afterwards): authenticate + enqueue_job
                               again after taking away, one more each step, what Claw's
                               enqueue does beyond a bare INSERT: the 9 CHECK constraints of
                               queue.jobs, then its triggers (the tenant foreign key, the
                               outbox event, the wake-up NOTIFY), then its forced RLS. It
                               shows what each guarantee costs a single enqueue, and how far
                               the enqueue is from add_job with none of them.

Run: .venv/bin/python bench/queue_server_time.py [--calls 3000] [--rounds 3] [--payload-bytes 0]
                                                 [--ablate]
Prints the lowest of the rounds for each call, every round, and the enqueue ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
import queue_bench as qb  # noqa: E402


def loop(conn: psycopg.Connection[Any], timed: str, n: int, before: str = "",
         after: str = "") -> float:
    """Microseconds per call of `timed`, each in its own transaction; `before` and `after`
    (untimed, committed apart) set it up and clean up."""
    notes: list[str] = []
    conn.add_notice_handler(lambda d: notes.append(d.message_primary or ""))
    pre = f"{before}; COMMIT;" if before else ""
    post = f"{after}; COMMIT;" if after else ""
    conn.execute(f"""
      DO $bench$ DECLARE t0 timestamptz; spent interval := '0'; j record; BEGIN
        FOR i IN 1..50 LOOP {pre} {timed}; COMMIT; {post} END LOOP;
        FOR i IN 1..{n} LOOP
          {pre}
          t0 := clock_timestamp();
          {timed}; COMMIT;
          spent := spent + (clock_timestamp() - t0);
          {post}
        END LOOP;
        RAISE NOTICE '%', extract(epoch FROM spent) * 1e6 / {n};
      END $bench$""")
    return float(notes[-1])


def fill(conn: psycopg.Connection[Any], key: str, n: int, payload: dict[str, Any]) -> None:
    spec = {"queue": "bench", "kind": "noop", "payload": payload}
    per = qb.claw_batch_size(spec)
    batch = json.dumps([spec] * per)
    with psycopg.ClientCursor(conn) as cur:
        for _ in range(0, n, per):
            cur.execute("BEGIN; SELECT * FROM api.authenticate(p_api_key => %s); "
                        "SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s); COMMIT",
                        (key, batch))


# --ablate: cumulative steps, each undoing one more of what a Claw enqueue carries
ABLATIONS = (
    ("without the 9 CHECKs of queue.jobs",
     "DO $a$ DECLARE c record; BEGIN FOR c IN SELECT conname FROM pg_constraint "
     "WHERE conrelid = 'queue.jobs'::regclass AND contype = 'c' LOOP "
     "EXECUTE format('ALTER TABLE queue.jobs DROP CONSTRAINT %I', c.conname); END LOOP; END $a$"),
    ("and without its triggers (FK, outbox, wake-up)", "ALTER TABLE queue.jobs DISABLE TRIGGER ALL"),
    ("and without its forced RLS", "ALTER TABLE queue.jobs NO FORCE ROW LEVEL SECURITY"),
)


def idle_calls(urls: dict[str, str], key: str, gurl: str, payload: dict[str, Any],
               n: int = 300) -> tuple[float, float]:
    """p50 ms of Claw's one-round-trip authenticated enqueue and of graphile-worker's add_job
    (NaN without it), alternating, 10 ms apart: the producer's call of the latency phase."""
    import statistics
    import time

    times: dict[str, list[float]] = {"claw": [], "graphile": []}
    with psycopg.connect(urls["producer"], autocommit=True) as prod, \
            psycopg.connect(gurl or urls["producer"], autocommit=True) as g:
        for i in range(n + 20):
            for name in ("claw", "graphile") if gurl else ("claw",):
                t = time.perf_counter()
                if name == "claw":
                    qb.Producer.claw_single(prod, key, payload)
                else:
                    g.execute("SELECT id FROM graphile_worker.add_job('noop', %s::json)",
                              (json.dumps(payload),))
                if i >= 20:  # the first 20 warm the connection up
                    times[name].append(time.perf_counter() - t)
                time.sleep(0.01)
    return (statistics.median(times["claw"]) * 1000,
            statistics.median(times["graphile"]) * 1000 if gurl else float("nan"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--payload-bytes", type=int, default=0)
    parser.add_argument("--ablate", action="store_true",
                        help="also measure the enqueue with its guarantees taken away in turn")
    args = parser.parse_args()

    from claw import config
    from claw import db as claw_db
    from claw.cli import _ensure_embedded_database

    cfg = config.settings()
    if cfg.embedded:
        _ensure_embedded_database(cfg)
    admin = claw_db.admin_url(cfg)
    n = args.calls
    payload: dict[str, Any] = {"t": 1}
    if args.payload_bytes > 0:
        payload = {"t": 1, "pad": qb.pad_for({"t": 1}, args.payload_bytes)}
    literal = json.dumps(payload).replace("'", "''")

    why, version = qb.ensure_graphile()
    gurl = ""
    if why:
        print(f"graphile-worker skipped: {why}")
    else:
        gurl = qb.setup("graphile-defaults", admin, cfg)["producer"]
    urls = qb.setup("claw", admin, cfg)
    key = urls["key"]
    results: dict[str, list[float]] = {}
    idle: list[tuple[str, float, float]] = []
    with psycopg.connect(urls["producer"], autocommit=True) as prod, \
            psycopg.connect(urls["worker"], autocommit=True) as work:
        for conn in (prod, work):
            conn.execute("SET synchronous_commit = off")
        # the key as a session setting, never in the DO block's text (pg_stat_activity)
        prod.execute("SELECT pg_catalog.set_config('bench.api_key', %s, false)", (key,))
        auth = "PERFORM api.authenticate(p_api_key => current_setting('bench.api_key'))"
        enqueue = (f"PERFORM api.enqueue_job(p_queue => 'bench', p_kind => 'noop', "
                   f"p_payload => '{literal}'::jsonb)")
        claim = ("SELECT * INTO j FROM api.claim_jobs(p_queue => 'bench', p_worker => 'w1', "
                 "p_limit => 1, p_lease_seconds => 30, p_idle_runners => 20)")
        complete = "PERFORM api.complete_jobs(ARRAY[j.job_id], j.lease_token)"
        for _ in range(args.rounds):
            a = loop(prod, auth, n)
            both = loop(prod, f"{auth}; {enqueue}", n)
            results.setdefault("Claw api.authenticate", []).append(a)
            results.setdefault("Claw api.enqueue_job (authenticated)", []).append(both - a)
            results.setdefault("Claw authenticate + enqueue_job", []).append(both)
            fill(prod, key, n + 50, payload)
            results.setdefault("Claw api.claim_jobs (one job)", []).append(
                loop(work, claim, n, after=complete))
            fill(prod, key, n + 50, payload)
            results.setdefault("Claw api.complete_jobs (one job)", []).append(
                loop(work, complete, n, before=claim))
        if args.ablate:
            with psycopg.connect(urls["admin"], autocommit=True) as su:
                for name, ddl in (("as it is", ""), *ABLATIONS):
                    if ddl:
                        su.execute(ddl)
                        for _ in range(args.rounds):
                            results.setdefault(f"  {name}", []).append(
                                loop(prod, f"{auth}; {enqueue}", n))
                    idle.append((name, *idle_calls(urls, key, gurl, payload)))

    if gurl:
        with psycopg.connect(gurl, autocommit=True) as g:
            g.execute("SET synchronous_commit = off")
            add = f"PERFORM graphile_worker.add_job('noop', '{literal}'::json)"
            for _ in range(args.rounds):
                results.setdefault(f"graphile-worker {version} add_job", []).append(
                    loop(g, add, n))

    print(f"server time per call, warm, {n:,} calls per round, each its own transaction"
          f"{f', {args.payload_bytes:,}-byte payloads' if args.payload_bytes else ''}:")
    for name, vals in results.items():
        print(f"  {name:<48} {min(vals):8.1f} us   (rounds: "
              f"{', '.join(f'{v:.1f}' for v in vals)})")
    if idle:
        print("the enqueue call from the client, the server idle between calls (10 ms apart, "
              "p50 of 300, the two alternating, synchronous commit), as bench/queue_bench.py's "
              "producer makes it:")
        for name, ours, theirs in idle:
            print(f"  {name:<48} Claw {ours:6.3f} ms" + (
                f"   graphile-worker add_job {theirs:6.3f} ms   {ours / theirs:.2f}x"
                if theirs == theirs else ""))
    peer = [v for k, v in results.items() if k.startswith("graphile")]
    if peer:
        ours = min(results["Claw authenticate + enqueue_job"])
        print("Claw authenticate + enqueue_job / graphile-worker add_job:",
              f"{ours / min(peer[0]):.2f}x, {ours:.1f} vs {min(peer[0]):.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
