"""`claw worker`: the thin asyncio runner around the queue's SQL (functions/queue/leases.sql).

All decisions live in PostgreSQL: which job is next (priority, tenant fairness), leases and
their expiry, retries and dead letters, rate and concurrency limits, schedules. This process
only moves jobs between the database and handlers:

  claimer    api.claim_jobs in batches into a local buffer (one lease token per batch);
             sleeps on LISTEN claw_queue and its own channel (an enqueue wakes one waiting
             worker per job there, functions/queue/waiting.sql) or a poll
  runners    `concurrency` tasks that take jobs from the buffer and await their handler
  completer  api.complete_jobs for finished jobs, batched by lease token; api.fail_job for
             failures (the database chooses retry with backoff or dead letter)
  control    heartbeats (api.heartbeat_jobs; a job whose lease was lost, or that was
             cancelled, has its handler cancelled, or is dropped from the buffer unstarted),
             api.tick_schedules every second, api.maintain_queue and the outbox and
             idempotency-key retention hourly; a duty that fails without losing the
             connection is logged and retried with backoff, never stops the worker

SIGTERM/SIGINT: stop claiming, give back the buffered jobs (api.release_jobs, the attempt is
not counted), let running handlers finish for `grace` seconds, release what is still
running, flush completions, exit 0. kill -9: leases expire and another worker's claim takes
the jobs over; a late completion from the dead worker's lease is refused (CL409).

A handler that touches tenant data does it inside the job's tenant, and only there:
    async with worker.acting_as(job) as conn:   # api.act_as_job: context bound to the lease
        await conn.execute("SELECT api.enqueue_job(...)")
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import signal
import socket
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier
from psycopg.types.json import set_json_loads

log = logging.getLogger("claw.worker")

Handler = Callable[["Job"], Awaitable[None]]

CLAIM = ("SELECT * FROM api.claim_jobs(p_queue => %s, p_worker => %s, p_limit => %s, "
         "p_lease_seconds => %s, p_idle_runners => %s)")
# Job id lists go in binary (%b): psycopg's text form of a uuid[] is built in Python, id by
# id, at 0.79 us per id against 0.12 us for the binary one (a completion sends hundreds).
COMPLETE = "SELECT api.complete_jobs(p_job_ids => %b, p_lease_token => %s)"
FAIL = ("SELECT * FROM api.fail_job(p_job_id => %s, p_lease_token => %s, p_error => %s, "
        "p_retry => %s)")
RELEASE = "SELECT api.release_jobs(p_job_ids => %b, p_lease_token => %s)"
HEARTBEAT = ("SELECT job_id FROM api.heartbeat_jobs(p_job_ids => %b, p_lease_token => %s, "
             "p_lease_seconds => %s)")
ACT_AS = "SELECT api.act_as_job(p_job_id => %s, p_lease_token => %s)"
TICK = "SELECT api.tick_schedules(p_limit => 100)"
MAINTAIN = "SELECT api.maintain_queue()"
# retention of the event outbox (7 days) and of idempotency keys (24 hours)
PURGE = "SELECT api.purge_events(), api.purge_idempotency_keys()"
# LLM budget reservations whose caller died are given back once past their deadline.
SWEEP_LLM = "SELECT api.expire_llm_reservations()"


# The job keeps this many characters of an error (queue.fail_job); the worker sends no more.
ERROR_CHARS = 4000


def json_loads(data: bytes) -> Any:
    """The worker connections' JSON loader (payloads, results): json.loads of the text.
    Given bytes, json.loads first guesses their encoding, which PostgreSQL always sends as
    UTF-8: 1.24 against 0.75 us for a claimed job's '{}' payload."""
    return json.loads(data.decode())


def worker_channel(worker_id: str) -> str:
    """The worker's own LISTEN channel, as queue.worker_channel computes it."""
    return "claw_w_" + hashlib.sha256(worker_id.encode()).hexdigest()[:32]


def error_text(text: str, limit: int = ERROR_CHARS) -> str:
    """A handler's error as the worker reports it: over `limit` characters, its head ending
    in '... [truncated: <n> characters in all]' (api.fail_job cuts the same way); NUL bytes,
    which PostgreSQL text cannot hold, written as \\x00, and lone surrogates as '?'."""
    total = len(text)
    text = text[:limit].replace("\x00", "\\x00")
    if total > limit or len(text) > limit:
        tail = f"... [truncated: {total} characters in all]"
        text = text[:limit - len(tail)] + tail
    return text.encode("utf-8", "replace").decode("utf-8")


def connection_lost(conn: psycopg.AsyncConnection[Any], exc: BaseException) -> bool:
    """Whether `exc` cost the connection (server restart, network, a killed backend): the
    worker then stops and `supervise` starts a fresh one. Any other database error (a
    refused call, a statement timeout) concerns that call only."""
    return isinstance(exc, psycopg.InterfaceError) or conn.closed or conn.broken


class PermanentError(Exception):
    """Raise from a handler to dead-letter the job now instead of retrying it."""


@dataclass
class Job:
    job_id: UUID
    tenant_id: UUID
    queue: str
    kind: str
    payload: dict[str, Any]
    priority: int
    attempt: int
    max_attempts: int
    lease_token: UUID
    lease_expires_at: datetime
    trace_id: str | None
    enqueued_at: datetime
    task: asyncio.Task[None] | None = field(default=None, repr=False, compare=False)
    error: str | None = field(default=None, compare=False)
    retry: bool = field(default=True, compare=False)
    cancelled: bool = field(default=False, compare=False)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message and the job's ids."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "msg": record.getMessage()}
        for key in ("job_id", "tenant_id", "trace_id", "kind", "queue", "attempt", "worker",
                    "error", "state", "count"):
            value = getattr(record, key, None)
            if value is not None:
                out[key] = str(value) if isinstance(value, UUID) else value
        return json.dumps(out, default=str)


def refusal(exc: psycopg.Error) -> str:
    """A database error in a log line or an error text: its SQLSTATE, message and detail."""
    detail = exc.diag.message_detail
    return (f"{exc.sqlstate or type(exc).__name__}: {exc.diag.message_primary or exc}"
            + (f" ({detail})" if detail else ""))


def job_fields(job: Job, **extra: Any) -> dict[str, Any]:
    return {"job_id": job.job_id, "tenant_id": job.tenant_id, "trace_id": job.trace_id,
            "kind": job.kind, "queue": job.queue, "attempt": job.attempt, **extra}


class Worker:
    def __init__(self, dsn: str, queues: list[str] | None = None, concurrency: int = 10,
                 batch_size: int | None = None, max_batch: int | None = None,
                 worker_id: str | None = None,
                 lease_seconds: int = 30, poll_interval: float = 1.0, grace: float = 10.0,
                 tick: bool = True, maintain: bool = True,
                 complete_linger: float = 0.002) -> None:
        self.dsn = dsn
        self.queues = queues or ["default"]
        self.concurrency = concurrency
        # Claim ahead, adaptively: claims start at batch_size jobs; a claim that had to be
        # made with the buffer already empty (the runners were starving) doubles the next
        # one, up to max_batch (default 25x the concurrency, at most 1000, what one claim
        # may take); a claim that finds fewer jobs than it asked for halves it.
        # Slow jobs never empty the buffer, so they keep small claims and other workers get
        # their share; no-op-fast jobs grow claims until one claim feeds the runners.
        self.batch_size = batch_size or max(concurrency * 2, 10)
        self.max_batch = max(max_batch or min(concurrency * 25, 1000), self.batch_size)
        self._claim_size = self.batch_size
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.grace = grace
        self.tick = tick
        self.maintain = maintain
        self.complete_linger = complete_linger
        self.handlers: dict[str, Handler] = {}
        self._stopping = asyncio.Event()
        self._buffer: asyncio.Queue[Job] = asyncio.Queue()
        self._running: dict[UUID, Job] = {}
        self._done: list[Job] = []
        self._done_event = asyncio.Event()
        self._wake = asyncio.Event()
        self._more = False  # the claimer's last round filled a claim (see _claimer)
        self._rewait = False  # a short claim left no runner free (see _claimer)
        self._closing = False
        self._failure: Exception | None = None
        self._pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
        self.completed = 0
        self.failed = 0
        # statements sent, by kind (claim, complete, fail, heartbeat, ...): the regression
        # guard counts them per claimed-and-completed batch
        self.stats: Counter[str] = Counter()
        self._duty_failures: Counter[str] = Counter()  # consecutive, by control duty

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[kind] = fn
            return fn
        return register

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _exec(self, conn: psycopg.AsyncConnection[Any], kind: str, sql: str,
                    params: tuple[Any, ...] | None = None,
                    binary: bool = False) -> psycopg.AsyncCursor[Any]:
        self.stats[kind] += 1
        return await conn.execute(sql, params, binary=binary)

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        set_json_loads(json_loads, conn)
        return conn

    @contextlib.asynccontextmanager
    async def acting_as(self, job: Job) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection in a transaction that acts inside the job's tenant (api.act_as_job).
        Commits when the block ends normally, rolls back on an exception."""
        conn = self._pool.get_nowait() if not self._pool.empty() else await self._connect()
        try:
            async with conn.transaction():
                await self._exec(conn, "act_as", ACT_AS, (job.job_id, job.lease_token))
                yield conn
        finally:
            if conn.closed:
                pass
            else:
                self._pool.put_nowait(conn)

    # -- the loops ---------------------------------------------------------------------

    async def run(self, install_signals: bool = True) -> None:
        """Run until stop() (or SIGTERM/SIGINT). Raises the database error that ended it, if
        one did (a lost connection; a claim refused; the control loop and the completer
        survive errors that leave their connection usable): the leases this worker held then
        expire and other workers take the jobs over; `supervise` starts a fresh worker."""
        loop = asyncio.get_running_loop()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, self.stop)
        conns = [await self._connect() for _ in range(4)]
        claim_conn, done_conn, control_conn, listen_conn = conns
        # Claims commit without waiting for the WAL flush: a claim lost in a server crash is
        # the same as a worker that crashed before claiming (the job is still available, no
        # attempt counted), and every later flush (a completion, a handler's own commit)
        # makes the claim durable first. Completions, failures and releases stay synchronous.
        await claim_conn.execute("SET synchronous_commit = off")
        # The claim session holds this worker's liveness lock while it waits to be woken
        # (functions/queue/waiting.sql): if this host dies without closing the connection,
        # the server drops the session after about 25 s of silence (TCP keepalives; the
        # default is 2 hours), so enqueues stop waking a worker that is gone. Unix sockets
        # ignore these.
        await claim_conn.execute("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
                                 "SET tcp_keepalives_count = 3")
        # claw_queue: every worker (when no worker waits, and for releases, retries and
        # resumed queues); its own channel: the enqueues that chose it (functions/queue/waiting.sql)
        await listen_conn.execute("LISTEN claw_queue")
        await listen_conn.execute(SQL("LISTEN {}").format(
            Identifier(worker_channel(self.worker_id))))
        log.info("worker started", extra={"worker": self.worker_id,
                                          "queue": ",".join(self.queues)})
        if self.maintain:
            await self._duty(control_conn, "maintain", 3600.0,
                             lambda: self._maintain(control_conn))
        runners = [asyncio.create_task(self._runner()) for _ in range(self.concurrency)]
        background = [asyncio.create_task(self._listen(listen_conn)),
                      asyncio.create_task(self._control(control_conn))]
        completer = asyncio.create_task(self._completer(done_conn))
        for task in (*background, completer):
            task.add_done_callback(self._watch)
        try:
            await self._claimer(claim_conn)
        except psycopg.Error as exc:
            self._failure = self._failure or exc
        finally:
            try:
                await self._shutdown(claim_conn, runners)
            except psycopg.Error as exc:
                log.warning("could not give leases back; they will expire",
                            extra={"worker": self.worker_id, "error": str(exc)})
            for task in runners:
                task.cancel()
            await asyncio.gather(*runners, return_exceptions=True)
            # let the completer finish what it holds (never cancel it mid-batch: a batch
            # taken but not written would leave its jobs running until their leases expire)
            self._closing = True
            self._done_event.set()
            await asyncio.gather(completer, return_exceptions=True)
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            for conn in (*conns, *[self._pool.get_nowait() for _ in range(self._pool.qsize())]):
                with contextlib.suppress(psycopg.Error):
                    await conn.close()
            log.info("worker stopped", extra={"worker": self.worker_id,
                                              "count": self.completed})
        if self._failure is not None:
            raise self._failure

    def _watch(self, task: asyncio.Task[None]) -> None:
        """A background loop that dies (its connection lost) stops the worker."""
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if self._failure is None and isinstance(exc, Exception):
                self._failure = exc
            log.error("worker loop failed; stopping", extra={"worker": self.worker_id,
                                                              "error": repr(exc)})
            self.stop()

    async def _claimer(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while not self._stopping.is_set():
            # Cleared before the claims, never after them: a NOTIFY (or a runner freeing
            # room) that arrives while a claim is in flight must wake the next round, else
            # its job waits for the poll interval (a lost wake-up).
            self._wake.clear()
            more = False  # some queue filled its claim: more jobs may be waiting there
            for queue in self.queues:
                buffered = self._buffer.qsize()
                room = self._claim_size - buffered
                if room <= 0:
                    more = True  # not asked, so not known to be empty: claim again once
                    break        # the runners have made room (they wake us then)
                # runners with nothing to run, the buffer counted: a short claim that
                # leaves one free registers this worker to be woken alone by an enqueue
                idle = self._free_runners()
                if not self._more:
                    # the last round found the queues drained (this is a wake-up, or a
                    # poll): take no more than the free runners can start, and leave the
                    # rest to the other waiting workers the enqueues woke; a full claim
                    # sets _more, and claims grow again from there
                    room = min(room, max(idle, 1))
                cur = await self._exec(conn, "claim", CLAIM,
                                       (queue, self.worker_id, room, self.lease_seconds, idle),
                                       binary=True)
                rows = await cur.fetchall()
                if len(rows) < room and len(rows) >= idle:
                    # short, but every runner has a job: not registered as waiting, so no
                    # enqueue wakes this worker alone; the first runner to finish claims
                    # again (which registers it when the queue is still empty)
                    self._rewait = True
                for row in rows:
                    self._buffer.put_nowait(Job(*row))
                if self._rewait and self._free_runners() > 0:
                    # a runner finished while the claim was in flight (it found _rewait
                    # unset, so woke nobody): claim again now, which registers the worker
                    self._rewait = False
                    self._wake.set()
                if rows:
                    self.stats["claims_with_jobs"] += 1
                    self.stats["claimed"] += len(rows)
                if len(rows) < room:
                    self._claim_size = max(self.batch_size, self._claim_size // 2)
                else:
                    more = True
                    if buffered == 0:
                        self._claim_size = min(self.max_batch, self._claim_size * 2)
            self._more = more
            if not more or self._buffer.qsize() >= self._claim_size // 2:
                # every queue answered short (it had nothing more to give when its claim
                # ran; what came since has woken us), or enough is buffered: sleep until
                # woken (a NOTIFY, a runner freeing room, stop) or the poll interval
                # (scheduled jobs coming due, expired leases)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        async for _ in conn.notifies():
            self._wake.set()

    async def _runner(self) -> None:
        me = asyncio.current_task()
        assert me is not None
        while True:
            job = await self._buffer.get()
            if self._more and self._buffer.qsize() < self._claim_size // 2:
                # room again, and the last claims left jobs behind: claim ahead (after a
                # short claim the queue had no more; a NOTIFY wakes the claimer for new ones)
                self._wake.set()
            self._running[job.job_id] = job
            # the handler runs inside this runner (no task per job); cancelling one job (its
            # lease lost, or it was cancelled) cancels this runner while it awaits that job's
            # handler, and the runner takes the cancellation back (uncancel) and goes on
            job.task = me
            try:
                await self._run_one(job)
            except asyncio.CancelledError:
                if not job.cancelled or me.cancelling() > 1:
                    raise  # the worker is stopping
                log.warning("handler cancelled: lease lost or job cancelled", extra=job_fields(job))
            finally:
                if job.cancelled:
                    me.uncancel()  # delivered or not (a handler may swallow it), it was ours
                self._running.pop(job.job_id, None)
                job.task = None
                if self._rewait:  # a runner is free again: wait to be woken (see _claimer)
                    self._rewait = False
                    self._wake.set()

    def _free_runners(self) -> int:
        """Runners with nothing to run, the buffered jobs counted as theirs."""
        return max(self.concurrency - len(self._running) - self._buffer.qsize(), 0)

    def _cancel(self, job: Job) -> None:
        """Cancel one running job's handler (the runner awaiting it carries on)."""
        if job.task is not None and not job.cancelled:
            job.cancelled = True
            job.task.cancel()

    async def _run_one(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            job.error = f"no handler for kind {job.kind!r} on worker {self.worker_id}"
            self._finish(job)
            return
        try:
            await handler(job)
        except asyncio.CancelledError:
            raise
        except PermanentError as exc:
            job.error, job.retry = error_text(f"{type(exc).__name__}: {exc}"), False
            log.warning("job failed permanently", extra=job_fields(job, error=job.error))
        except Exception as exc:  # a handler's failure is recorded, never lost
            job.error = error_text(f"{type(exc).__name__}: {exc}")
            log.warning("job failed", extra=job_fields(job, error=job.error))
        self._finish(job)

    def _finish(self, job: Job) -> None:
        self._done.append(job)
        self._done_event.set()

    async def _completer(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            await self._done_event.wait()
            # while other jobs are still running, linger a moment so that one transaction
            # completes many jobs (completions are commits; commits are the bottleneck)
            if not self._closing and len(self._done) < self._claim_size // 2 and self._running:
                await asyncio.sleep(self.complete_linger)
            self._done_event.clear()
            await self._flush(conn)
            if self._closing and not self._done:
                return

    async def _flush(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Write the finished jobs: failures one by one, successes one statement per lease
        token. A refusal that leaves the connection usable concerns one report: it is logged
        and the rest of the batch is still written. Only a lost connection ends the completer
        (and the worker); the jobs of the batch then run again when their leases expire."""
        while self._done:
            batch, self._done = self._done, []
            ok: dict[UUID, list[Job]] = defaultdict(list)
            for job in batch:
                if job.error is not None:
                    await self._fail(conn, job)
                else:
                    ok[job.lease_token].append(job)
            for token, jobs in ok.items():
                ids = [j.job_id for j in jobs]
                try:
                    await self._exec(conn, "complete", COMPLETE, (ids, token))
                    self.completed += len(jobs)
                except psycopg.Error as exc:
                    if connection_lost(conn, exc):
                        raise
                    for job in jobs:  # some lease was lost: complete the rest one by one
                        await self._complete_one(conn, job)

    async def _complete_one(self, conn: psycopg.AsyncConnection[Any], job: Job) -> None:
        try:
            await self._exec(conn, "complete", COMPLETE, ([job.job_id], job.lease_token))
            self.completed += 1
        except psycopg.Error as exc:
            if connection_lost(conn, exc):
                raise
            if exc.sqlstate == "CL409":
                log.warning("completion refused: lease lost",
                            extra=job_fields(job, error=exc.diag.message_detail))
            else:  # the job runs again once its lease expires
                log.error("completion refused", extra=job_fields(job, error=refusal(exc)))

    async def _fail(self, conn: psycopg.AsyncConnection[Any], job: Job) -> None:
        error = job.error or "failed"
        for attempt in (1, 2):
            try:
                cur = await self._exec(conn, "fail", FAIL,
                                       (job.job_id, job.lease_token, error, job.retry))
                row = await cur.fetchone()
                self.failed += 1
                log.info("job attempt recorded as failed",
                         # the failure itself, and the state it left the job in (the log
                         # said only "now scheduled", the error was in the job row alone)
                         extra=job_fields(job, error=error[:500], state=row[0] if row else None))
                return
            except psycopg.Error as exc:
                if connection_lost(conn, exc):
                    raise
                if exc.sqlstate == "CL409":
                    log.warning("failure refused: lease lost", extra=job_fields(job))
                    return
                if attempt == 2:  # the job runs again once its lease expires
                    log.error("failure report refused", extra=job_fields(job, error=refusal(exc)))
                    return
                # the report itself was refused (not the lease): record the failure with a
                # short text that says so, so the attempt is not left running unrecorded
                log.error("failure report refused; recording a short one",
                          extra=job_fields(job, error=refusal(exc)))
                error = error_text(f"{error[:500]} [the full error report was refused "
                                   f"({refusal(exc)})]", 1000)

    async def _control(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """The periodic duties, each on its own interval (see _duty for their failures)."""
        start = time.monotonic()
        duties: list[tuple[str, float, bool, Callable[[], Awaitable[Any]]]] = [
            ("tick", 1.0, self.tick, lambda: self._exec(conn, "tick", TICK)),
            ("llm sweep", 30.0, self.tick, lambda: self._exec(conn, "llm sweep", SWEEP_LLM)),
            ("heartbeat", self.lease_seconds / 3, True, lambda: self._heartbeat(conn)),
            ("maintain", 3600.0, self.maintain, lambda: self._maintain(conn)),
        ]
        due = {name: start + interval for name, interval, _, _ in duties}
        while True:
            await asyncio.sleep(0.25)
            for name, interval, enabled, duty in duties:
                now = time.monotonic()
                if enabled and now >= due[name]:
                    due[name] = now + await self._duty(conn, name, interval, duty)

    async def _duty(self, conn: psycopg.AsyncConnection[Any], name: str, interval: float,
                    duty: Callable[[], Awaitable[Any]]) -> float:
        """Run one control duty; returns the seconds until it is due again. A database error
        that leaves the connection usable (a schedule whose tick is refused, a maintenance
        error, a statement timeout) is logged with the worker's context and the duty retried
        after 2, 4, 8 ... times its interval, at most 30 s (or its interval, if longer; the
        heartbeat keeps its interval): it must not stop the worker, whose jobs and heartbeats
        do not depend on it. A lost connection ends the loop, and so the worker."""
        try:
            await duty()
        except psycopg.Error as exc:
            if connection_lost(conn, exc):
                raise
            failures = self._duty_failures[name] = self._duty_failures[name] + 1
            delay = interval if name == "heartbeat" else \
                min(interval * 2 ** min(failures, 10), max(interval, 30.0))
            log.error(f"{name} failed; retrying in {delay:g}s",
                      extra={"worker": self.worker_id, "queue": ",".join(self.queues),
                             "error": refusal(exc), "count": failures})
            return delay
        self._duty_failures[name] = 0
        return interval

    async def _heartbeat(self, conn: psycopg.AsyncConnection[Any]) -> None:
        held: dict[UUID, list[Job]] = defaultdict(list)
        lost: set[UUID] = set()
        for job in list(self._running.values()) + list(self._buffer._queue):  # type: ignore[attr-defined]
            held[job.lease_token].append(job)
        for token, jobs in held.items():
            cur = await self._exec(conn, "heartbeat", HEARTBEAT, ([j.job_id for j in jobs], token,
                                                 self.lease_seconds))
            alive = {row[0] for row in await cur.fetchall()}
            for job in jobs:
                if job.job_id in alive:
                    continue
                if job.task is not None:
                    log.warning("lease lost; cancelling the handler", extra=job_fields(job))
                    self._cancel(job)
                else:  # still buffered (or already finished, when there is nothing to do)
                    lost.add(job.job_id)
        if lost:
            self._drop_buffered(lost)

    def _drop_buffered(self, job_ids: set[UUID]) -> None:
        """Take jobs whose lease is gone (cancelled, or lost) out of the buffer: they are
        never started. Synchronous, so no runner takes a job from the buffer meanwhile."""
        kept: list[Job] = []
        while not self._buffer.empty():
            job = self._buffer.get_nowait()
            if job.job_id in job_ids:
                log.warning("lease lost or job cancelled before it started; dropped",
                            extra=job_fields(job))
            else:
                kept.append(job)
        for job in kept:
            self._buffer.put_nowait(job)
        if self._more:
            self._wake.set()  # room again, and the last claims left jobs behind

    async def _maintain(self, conn: psycopg.AsyncConnection[Any]) -> None:
        cur = await self._exec(conn, "maintain", MAINTAIN)
        row = await cur.fetchone()
        for action in (row[0] if row else []) or []:
            log.info(f"job history: {action}", extra={"worker": self.worker_id})
        cur = await self._exec(conn, "purge", PURGE)
        row = await cur.fetchone()
        if row and (row[0] or row[1]):
            log.info(f"retention: {row[0]} events, {row[1]} idempotency keys deleted",
                     extra={"worker": self.worker_id})

    async def _shutdown(self, conn: psycopg.AsyncConnection[Any],
                        runners: list[asyncio.Task[None]]) -> None:
        buffered: list[Job] = []
        while not self._buffer.empty():
            buffered.append(self._buffer.get_nowait())
        await self._release(conn, buffered)
        # This claim session holds the worker's liveness lock: while it stays open, an
        # enqueue counts the worker as waiting (it may have registered with a free runner)
        # and may wake it alone, though it claims nothing more; the job would wait for
        # another worker's poll (functions/queue/waiting.sql). End it now, not after the grace.
        await conn.close()
        deadline = time.monotonic() + self.grace
        while self._running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        unfinished = list(self._running.values())
        for task in runners:
            task.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        if unfinished:
            conn = await self._connect()
            try:
                await self._release(conn, unfinished)
            finally:
                await conn.close()

    async def _release(self, conn: psycopg.AsyncConnection[Any], jobs: list[Job]) -> None:
        by_token: dict[UUID, list[UUID]] = defaultdict(list)
        for job in jobs:
            by_token[job.lease_token].append(job.job_id)
        for token, ids in by_token.items():
            await self._exec(conn, "release", RELEASE, (ids, token))
            log.info("released jobs on shutdown", extra={"worker": self.worker_id,
                                                         "count": len(ids)})


# -- built-in handlers and the CLI entry ------------------------------------------------

def builtin_handlers(worker: Worker) -> None:
    """Handlers every worker has: `noop` (does nothing) and `demo.report` (the demo's
    scheduled job: reads its own job row inside the tenant, through the lease's context)."""

    @worker.handler("noop")
    async def noop(job: Job) -> None:
        return None

    @worker.handler("demo.report")
    async def demo_report(job: Job) -> None:
        async with worker.acting_as(job) as conn:
            cur = await conn.execute("SELECT state, attempts FROM api.get_job(p_job_id => %s)",
                                     (job.job_id,))
            row = await cur.fetchone()
        log.info(f"demo.report ran: schedule fire {job.payload.get('fire_at')}, "
                 f"job {row[0] if row else '?'} (attempt {job.attempt})", extra=job_fields(job))


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("claw")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


async def supervise(make: Callable[[], Worker], run_for: float | None = None) -> None:
    """Run workers until SIGTERM/SIGINT (or run_for seconds): when one ends on a database
    error (PostgreSQL restarted, connection killed, or any other psycopg.Error that ended one
    of its loops), start a fresh one after a backoff of 1, 2, 4 ... 30 seconds (back to 1
    after a worker that ran a minute). The lost worker's leases expire and are reclaimed."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    current: list[Worker] = []

    def stop() -> None:
        stopping.set()
        for w in current:
            w.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    if run_for is not None:
        loop.call_later(run_for, stop)
    delay = 1.0
    while not stopping.is_set():
        worker = make()
        current[:] = [worker]
        started = time.monotonic()
        try:
            await worker.run(install_signals=False)
            return
        except psycopg.Error as exc:
            # a lost connection, or any other database error that ended a worker loop (the
            # control loop survives its own; a claim or a completion refused for good would
            # end every restart the same way, but the backoff keeps that from spinning)
            if time.monotonic() - started > 60:
                delay = 1.0
            if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
                log.error(f"database connection lost; restarting the worker in {delay:g}s",
                          extra={"worker": worker.worker_id, "error": str(exc)})
            else:
                log.error(f"worker failed; restarting the worker in {delay:g}s",
                          extra={"worker": worker.worker_id, "error": refusal(exc)})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        delay = min(delay * 2, 30.0)


def run_worker(dsn: str, queues: list[str], concurrency: int, batch_size: int | None,
               lease_seconds: int, run_for: float | None) -> int:
    configure_logging()

    def make() -> Worker:
        worker = Worker(dsn, queues=queues, concurrency=concurrency, batch_size=batch_size,
                        lease_seconds=lease_seconds)
        builtin_handlers(worker)
        return worker

    asyncio.run(supervise(make, run_for))
    return 0
