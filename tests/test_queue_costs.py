"""Regression guard for the queue's cost per job, without timing: statements, round trips,
WAL records and index writes per claimed-and-completed batch. Each figure is counted, not
timed (pg_stat_statements with track = all, pg_walinspect, the worker's own counters), so it
is the same on a loaded machine. A change that adds a statement to the claim, an index to the
jobs table or a round trip to the worker makes a test here fail: raise the budget only with
a measurement that shows the change pays for itself (bench/queue_profile.py).
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import psycopg
import pytest

from claw.worker import CLAIM, COMPLETE, Job, Worker
from conftest import Database, Tenant, seed_tenants

BATCH = 40
# Statements the database runs inside one call (pg_stat_statements, toplevel = false), for a
# queue with no rate limit or concurrency limit. Counted on this version; see the module doc.
# The worker's claim also says whether it waits to be woken (p_idle_runners,
# functions/queue/waiting.sql): + the registration call (a full claim of a worker that has
# not registered since it last unregistered runs nothing inside it, claw.waiting_on).
CLAIM_NESTED = 9
# A single enqueue while a worker waits, beyond one with none waiting (28 statements
# nested in authenticate + enqueue_job on this version): the NOTIFY on the worker's channel
# takes the place of the one on claw_queue, and the transaction records whom it woke
# (claw.woken): 1 more. The liveness and reservation try-locks are simple expressions and the
# channel's name is inlined, none of them a statement.
ENQUEUE_WAKE_NESTED = 1
# completion: + the outbox trigger (an emptiness check, the clock, one INSERT of the batch's
# jobs.completed event) and its NOTIFY: statement level, so 4 more per batch, not per job.
COMPLETE_NESTED = 7
# Index entries written per job (pg_walinspect): the claim's UPDATE writes the primary key
# and the two lease indexes (state moves the row between partial indexes, so it is not HOT);
# the completion writes the history's primary key, and once per batch the outbox's (its
# jobs.completed event; the outbox has one btree, its delivery order). The DELETE writes none.
CLAIM_INDEX_WRITES = 3
COMPLETE_INDEX_WRITES = 1
OUTBOX_INDEX_WRITES_PER_BATCH = 1
# WAL records per job, all kinds: claim = lock + update + index writes (+ a lock record when
# the new version goes to another page, and prunes);
# completion = delete + history insert + its index write (+ one outbox event per batch).
CLAIM_WAL_RECORDS = 6.0
COMPLETE_WAL_RECORDS = 3.5

INDEX_WRITE_KINDS = ("INSERT_LEAF", "INSERT_POST", "SPLIT_L", "SPLIT_R")


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return seed_tenants(db, names=("a",), extra_principals=0)["a"]


def enqueue(db: Database, tenant: Tenant, n: int) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        conn.execute("SELECT count(*) FROM api.enqueue_jobs(p_jobs => %s)",
                     (json.dumps([{"queue": "costs", "kind": "noop"}] * n),))


class Counted:
    """Statements (pg_stat_statements) and WAL (pg_walinspect) of one step, this database."""

    def __init__(self, db: Database) -> None:
        self.admin = db.connect()
        # pg_walinspect reads flushed WAL only (the test cluster commits asynchronously):
        # flush() writes a message record and flushes up to it
        self.admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self.admin.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        self.dboid = self.admin.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]

    def start(self) -> None:
        self.admin.execute("SELECT pg_stat_statements_reset()")
        self.lsn = self.admin.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]

    def flush(self) -> None:
        self.admin.execute("SELECT pg_logical_emit_message(false, 'claw', '', true)")

    def stop(self) -> dict[str, Any]:
        end = self.admin.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
        self.flush()
        rows = self.admin.execute(
            "SELECT toplevel, query, calls FROM pg_stat_statements WHERE dbid = %s "
            "AND query !~ '(pg_stat_statements|pg_current_wal|pg_logical_emit|pg_get_wal)'",
            (self.dboid,)).fetchall()
        # this database's own relations only: an autoanalyze of the jobs table meanwhile
        # (autovacuum runs every second here) writes pg_statistic and its index, about 20
        # index entries that are no cost of the queue (one CI run counted 62 for 41)
        own = ("reldatabase = %s AND relfilenode NOT IN (SELECT pg_relation_filenode(c.oid) "
               "FROM pg_class AS c WHERE c.relnamespace IN ('pg_catalog'::regnamespace, "
               "'pg_toast'::regnamespace) AND pg_relation_filenode(c.oid) IS NOT NULL)")
        kinds = dict(self.admin.execute(
            "SELECT split_part(record_type, ' ', 1), count(DISTINCT start_lsn) "
            f"FROM pg_get_wal_block_info(%s, %s) WHERE {own} "
            "AND resource_manager = 'Btree' GROUP BY 1", (self.lsn, end, self.dboid)).fetchall())
        records = self.admin.execute(
            "SELECT count(DISTINCT start_lsn) FROM pg_get_wal_block_info(%s, %s) "
            f"WHERE {own}", (self.lsn, end, self.dboid)).fetchone()[0]
        return {"top": sum(c for t, _, c in rows if t), "nested": sum(c for t, _, c in rows if not t),
                "nested_queries": [q for t, q, _ in rows if not t],
                "index_writes": sum(kinds.get(k, 0) for k in INDEX_WRITE_KINDS),
                "wal_records": records}

    def close(self) -> None:
        self.admin.close()


def test_claim_and_complete_cost_per_batch(db: Database, tenant: Tenant) -> None:
    enqueue(db, tenant, 3 * BATCH)
    counted = Counted(db)
    try:
        with db.connect("claw_worker") as worker:
            # as claw.worker sends it: 10 runners free, so a short claim would register
            worker.execute(CLAIM, ("costs", "guard", BATCH, 60, 10)).fetchall()  # plans cached
            counted.start()
            rows = worker.execute(CLAIM, ("costs", "guard", BATCH, 60, 10)).fetchall()
            claim = counted.stop()
            assert len(rows) == BATCH
            counted.start()
            worker.execute(COMPLETE, ([r[0] for r in rows], rows[0][8]))
            complete = counted.stop()
    finally:
        counted.close()
    # one round trip each
    assert claim["top"] == 1, claim
    assert complete["top"] == 1, complete
    assert claim["nested"] <= CLAIM_NESTED, "\n---\n".join(claim["nested_queries"])
    assert complete["nested"] <= COMPLETE_NESTED, complete["nested_queries"]
    assert claim["index_writes"] == CLAIM_INDEX_WRITES * BATCH, claim
    assert complete["index_writes"] == COMPLETE_INDEX_WRITES * BATCH + OUTBOX_INDEX_WRITES_PER_BATCH, complete
    assert claim["wal_records"] <= CLAIM_WAL_RECORDS * BATCH, claim
    assert complete["wal_records"] <= COMPLETE_WAL_RECORDS * BATCH, complete


def test_enqueue_without_unique_keys_is_a_plain_insert(db: Database, tenant: Tenant) -> None:
    """No speculative insertion (ON CONFLICT) for jobs without a unique key: one heap insert
    and one index write (primary key; the claim index is partial on 'available', which these
    are, so two) per job and no confirmation record."""
    counted = Counted(db)
    try:
        enqueue(db, tenant, 10)  # plans cached
        counted.start()
        enqueue(db, tenant, 200)
        got = counted.stop()
        kinds = dict(counted.admin.execute(
            "SELECT record_type, count(*) FROM pg_get_wal_records_info(%s, "
            "pg_current_wal_flush_lsn()) WHERE resource_manager = 'Heap' GROUP BY 1",
            (counted.lsn,)).fetchall())
    finally:
        counted.close()
    assert "CONFIRM" not in kinds, kinds
    # per job: the jobs table's two indexes; per batch: the tenant's fairness cursor, the
    # outbox's one entry (jobs.enqueued) and the TOAST index entries of that event's jobs
    # array (about 100 bytes a job, compressed, in 2 KB chunks: at most one per 16 jobs)
    assert got["index_writes"] <= 2 * 200 + 2 + OUTBOX_INDEX_WRITES_PER_BATCH + 200 // 16, got


def test_worker_claims_at_least_half_a_batch_per_round_trip(db: Database,
                                                             tenant: Tenant) -> None:
    """The worker's own counters: every claim that finds jobs takes at least half a batch
    while the queue holds that many. (How many completion statements a drain takes depends
    on timing; the cost of one completion statement is guarded above.)"""
    n, batch = 400, 40
    enqueue(db, tenant, n)
    worker = Worker(db.url("claw_worker"), queues=["costs"], concurrency=10, batch_size=batch,
                    tick=False, maintain=False, poll_interval=0.2)

    @worker.handler("noop")
    async def noop(job: Job) -> None:
        return None

    async def drive() -> None:
        task = asyncio.create_task(worker.run(install_signals=False))
        with psycopg.connect(db.url(), autocommit=True) as mon:
            for _ in range(600):
                left = mon.execute("SELECT count(*) FROM queue.jobs").fetchone()[0]
                if left == 0 and worker.completed == n:
                    break
                await asyncio.sleep(0.05)
        worker.stop()
        await task

    asyncio.run(drive())
    assert worker.completed == n
    assert worker.stats["claimed"] == n
    assert worker.stats["claims_with_jobs"] <= math.ceil(n / (batch // 2 + 1)) + 1, worker.stats


def test_a_single_enqueue_wakes_a_waiting_worker_in_a_bounded_number_of_statements(
        db: Database, tenant: Tenant) -> None:
    """The enqueue side of the wake-up (functions/queue/waiting.sql): one job enqueued while
    one worker waits costs the statements of a plain enqueue plus a fixed few (the lookup of
    the waiting workers, the liveness check, the NOTIFY on the worker's channel), and no more
    when other workers wait too; with none waiting, only the lookup before the broadcast."""
    enqueue_one = ("SELECT * FROM api.enqueue_job(p_queue => 'costs', p_kind => 'noop')")

    def nested(waiting: int) -> int:
        with db.connect() as admin:
            admin.execute("DELETE FROM internal.waiting_workers")
        workers = [db.connect("claw_worker") for _ in range(waiting)]
        counted = Counted(db)
        try:
            for i, w in enumerate(workers):
                w.execute(CLAIM, ("costs", f"w:{i}", 10, 30, 10)).fetchall()
            with db.connect("claw_runtime") as app:
                for _ in range(2):  # plans cached on the first
                    counted.start()
                    with app.transaction():
                        app.execute("SELECT * FROM api.authenticate(p_api_key => %s)",
                                    (tenant.api_key,))
                        app.execute(enqueue_one)
                    got = counted.stop()
            for w in workers:  # the job: claimed, so the next round starts empty
                w.execute(CLAIM, ("costs", "w:0", 10, 30, 0)).fetchall()
        finally:
            counted.close()
            for w in workers:
                w.close()
        return got["nested"]

    none, one, three = nested(0), nested(1), nested(3)
    assert one <= none + ENQUEUE_WAKE_NESTED, (none, one)
    assert three == one, (one, three)
