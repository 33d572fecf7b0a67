"""The flow runtime: replays a run's recorded steps and checkpoints new ones through the SQL
API (functions/api/flow_worker.sql). Every decision lives in PostgreSQL (what position is
next, whether a lease is still held, timers, signals, retries, effect states); this module
runs the user's flow function and calls one api function per step.

How a dispatch runs. A 'flow.run' job is claimed by the ordinary queue worker
(claw.worker.Worker); the handler installed by `Flows.install` calls api.claim_flow_run
with the job's lease, gets the run and its recorded steps, and calls the flow function from
the top. Each step call takes the next position: if that position is recorded, its output
is returned (after checking that the code still asks for the same step: name, kind and
input hash), otherwise the step runs and is checkpointed. A sleep, a signal wait, a child
wait or a retry backoff suspends the run in SQL and ends the handler (`Suspend`); a later
job resumes it by replaying again. If the worker dies anywhere, the job's lease expires and
another worker replays; a checkpoint whose commit was unknown is simply re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import psycopg

from claw.worker import Job, Worker, error_text

log = logging.getLogger("claw.flows")

T = TypeVar("T")
FlowFn = Callable[["FlowContext", Any], Awaitable[Any]]

CLAIM = "SELECT * FROM api.claim_flow_run(p_run_id => %s, p_job_id => %s, p_lease_token => %s)"
# RECORD and SETTLE also return the value as its jsonb checkpoint holds it (the last
# parameter, the same value again): that, not the value the step returned, is what the first
# dispatch goes on with, because it is what a replay reads back (jsonb orders object keys,
# shorter first, and prints numbers without exponents: 1e20 comes back as the integer 10**20)
RECORD = ("SELECT api.record_flow_step(p_run_id => %s, p_job_id => %s, p_lease_token => %s, "
          "p_position => %s, p_name => %s, p_input_hash => %s, p_output => %s, p_kind => %s, "
          "p_started_at => %s), %s::jsonb")
FAIL_STEP = ("SELECT status, retry_at, attempts FROM api.fail_flow_step(p_run_id => %s, "
             "p_job_id => %s, p_lease_token => %s, p_position => %s, p_name => %s, "
             "p_input_hash => %s, p_error => %s, p_max_attempts => %s, p_backoff_seconds => %s, "
             "p_backoff_max_seconds => %s, p_retry => %s)")
COMPLETE = ("SELECT api.complete_flow_run(p_run_id => %s, p_job_id => %s, p_lease_token => %s, "
            "p_output => %s)")
FAIL_RUN = ("SELECT api.fail_flow_run(p_run_id => %s, p_job_id => %s, p_lease_token => %s, "
            "p_error => %s)")
SLEEP = ("SELECT status, wake_at FROM api.sleep_flow(p_run_id => %s, p_job_id => %s, "
         "p_lease_token => %s, p_position => %s, p_name => %s, p_input_hash => %s, "
         "p_wake_at => %s, p_seconds => %s)")
WAIT_SIGNAL = ("SELECT status, received, payload FROM api.wait_flow_signal(p_run_id => %s, "
               "p_job_id => %s, p_lease_token => %s, p_position => %s, p_signal => %s, "
               "p_input_hash => %s, p_timeout_at => %s, p_timeout_seconds => %s)")
START_CHILD = ("SELECT status, child_run_id FROM api.start_child_flow(p_run_id => %s, "
               "p_job_id => %s, p_lease_token => %s, p_position => %s, p_name => %s, "
               "p_input_hash => %s, p_flow_name => %s, p_input => %s, p_flow_version => %s)")
WAIT_CHILD = ("SELECT status, child_status, child_output, child_error FROM api.wait_flow_child("
              "p_run_id => %s, p_job_id => %s, p_lease_token => %s, p_position => %s, "
              "p_name => %s, p_input_hash => %s, p_child_run_id => %s)")
BEGIN_EFFECT = ("SELECT idempotency_key, status, sends, response FROM api.begin_flow_effect("
                "p_run_id => %s, p_job_id => %s, p_lease_token => %s, p_position => %s, "
                "p_name => %s, p_input_hash => %s, p_provider => %s, p_request => %s)")
EFFECT_SENT = ("SELECT api.mark_flow_effect_sent(p_run_id => %s, p_job_id => %s, "
               "p_lease_token => %s, p_position => %s)")
SETTLE = ("SELECT api.settle_flow_effect(p_run_id => %s, p_job_id => %s, p_lease_token => %s, "
          "p_position => %s, p_name => %s, p_input_hash => %s, p_outcome => %s, p_response => %s), "
          "%s::jsonb")
EFFECT_UNKNOWN = ("SELECT api.mark_flow_effect_unknown(p_run_id => %s, p_job_id => %s, "
                  "p_lease_token => %s, p_position => %s, p_note => %s)")
ACT_AS = "SELECT api.act_as_job(p_job_id => %s, p_lease_token => %s)"
CANCEL_REQUESTED = ("SELECT api.flow_cancel_requested(p_run_id => %s, p_job_id => %s, "
                    "p_lease_token => %s)")
STOP_CANCELLED = ("SELECT api.stop_cancelled_flow_run(p_run_id => %s, p_job_id => %s, "
                  "p_lease_token => %s)")
START = ("SELECT run_id, created FROM api.start_flow_run(p_flow_name => %s, p_input => %s, "
         "p_flow_version => %s, p_idempotency_key => %s, p_trace_id => %s, p_queue => %s)")

_current: contextvars.ContextVar[FlowContext] = contextvars.ContextVar("claw_flow")


class Suspend(BaseException):  # noqa: N818 - control flow, not an error
    """The run is suspended in SQL (sleeping, waiting, retry backoff, blocked, cancelled or
    failed): this dispatch is over. A BaseException, so that `except Exception` in flow code
    does not swallow it."""


class NonDeterminismError(Exception):
    """The flow's code no longer matches the run's recorded history at a position."""

    def __init__(self, flow: str, version: int, run_id: UUID, position: int,
                 recorded: dict[str, Any], kind: str, name: str, input_hash: str) -> None:
        self.flow, self.version, self.run_id, self.position = flow, version, run_id, position
        super().__init__(
            f"flow {flow!r} version {version}, run {run_id}: step {position} was recorded as "
            f"{recorded['kind']} {recorded['name']!r} (input {recorded['input_hash'][:12]}) but "
            f"the code now asks for {kind} {name!r} (input {input_hash[:12]}); deploy the code "
            f"this run started with, guard the change with ctx.patched(...), or fork the run")


class Provider(Protocol):
    """An external system a flow sends effects to.

    idempotent: the provider honours an idempotency key (Stripe, Square style): sending the
    same key again returns the first result and does nothing new. Otherwise (Twilio SMS
    style) the request is tagged with the key and `lookup` asks whether that key was
    delivered: the response if so, None if not; raise if it cannot tell."""

    name: str
    idempotent: bool

    async def send(self, key: str, request: dict[str, Any]) -> Any: ...

    async def lookup(self, key: str) -> Any | None: ...


def _stable(value: Any) -> Any:
    """A step input's form for hashing that is the same in every process: what json.dumps
    writes as is, else str(value), except for the two whose str() is not stable: a set (its
    order follows the process's string hash seed) is written sorted, and an object with
    object's own repr (its memory address: an HTTP client, a pool) by its type's name."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = sorted((_stable(v) for v in value),
                       key=lambda v: json.dumps(v, sort_keys=True, default=str))
        return "{" + ", ".join(repr(v) for v in items) + "}" if items else "set()"
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    kind = type(value)
    if kind.__str__ is object.__str__ and kind.__repr__ is object.__repr__:
        return f"<{kind.__module__}.{kind.__qualname__}>"
    return value  # json.dumps writes str(value): UUID, datetime, Decimal, a dataclass...


def input_hash(*parts: Any) -> str:
    """sha256 of the canonical JSON of a step's identity and input (the same in every
    process, so that a replay by another worker matches; see _stable)."""
    text = json.dumps(_stable(parts), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# what api.record_flow_step, api.complete_flow_run and api.settle_flow_effect take (the
# 'json' input limit, functions/internal/require_size.sql)
OUTPUT_LIMIT = 262144
_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class UnrecordableOutput(ValueError):
    """A value PostgreSQL would refuse to checkpoint (NaN or Infinity, a NUL character, a
    lone surrogate, over the size limit). The step ran; repeating it would repeat its side
    effects and fail the same way, so the run fails (or, for an effect, waits for a person)."""


def as_json(value: Any) -> Any:
    """What a checkpoint gives back on replay: the value through JSON. Raises
    UnrecordableOutput for a value the database would refuse."""
    try:
        text = json.dumps(value, default=str, allow_nan=False)
        size = len(json.dumps(value, default=str, ensure_ascii=False).encode())
    except (ValueError, UnicodeEncodeError) as exc:
        raise UnrecordableOutput(f"not valid JSON for PostgreSQL: {exc}") from None
    if _NUL.search(text):
        raise UnrecordableOutput("contains a NUL character (\\u0000), which jsonb refuses")
    if size > OUTPUT_LIMIT:
        raise UnrecordableOutput(f"{size} bytes of JSON; a checkpoint holds at most "
                                 f"{OUTPUT_LIMIT} (keep large data outside and return a "
                                 f"reference to it)")
    return json.loads(text)


def refused_value(exc: BaseException) -> bool:
    """PostgreSQL refused a value (data exception, class 22, or Claw's CL422): sending it again
    fails again."""
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, psycopg.Error) and state is not None and (
        state.startswith("22") or state == "CL422")


@dataclass
class RetryPolicy:
    max_attempts: int = 3
    backoff: float = 1.0
    backoff_max: float = 3600.0


@dataclass
class FlowContext:
    """What a flow function gets: the run's identity and the durable operations."""

    flows: Flows
    job: Job
    run_id: UUID
    flow_name: str
    flow_version: int
    trace_id: str
    input: Any
    history: dict[int, dict[str, Any]]
    position: int = 0
    log: logging.LoggerAdapter[logging.Logger] = field(init=False)

    def __post_init__(self) -> None:
        self.log = logging.LoggerAdapter(log, {"trace_id": self.trace_id,
                                              "job_id": self.job.job_id,
                                              "tenant_id": self.job.tenant_id})

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _held(self) -> tuple[UUID, UUID, UUID]:
        return (self.run_id, self.job.job_id, self.job.lease_token)

    def _take(self, kind: str, name: str, digest: str) -> tuple[int, dict[str, Any] | None]:
        """The next position and its recorded step, if any, checked against the code. A
        step that began at the run's position but is not recorded (a sleep or wait that
        suspended the run, a retried step, an effect) is checked too, and runs (None)."""
        pos = self.position
        self.position += 1
        rec = self.history.get(pos)
        if rec is not None and (rec["kind"] != kind or rec["name"] != name
                                or rec["input_hash"] != digest):
            raise NonDeterminismError(self.flow_name, self.flow_version, self.run_id, pos, rec,
                                      kind, name, digest)
        if rec is not None and rec.get("pending"):
            return pos, None
        return pos, rec

    async def _call(self, sql: str, *args: Any) -> tuple[Any, ...]:
        async with self.flows.connection() as conn:
            cur = await conn.execute(sql, (*self._held, *args))
            row = await cur.fetchone()
        assert row is not None
        return tuple(row)

    def _info(self, msg: str, pos: int) -> None:
        self.log.info(f"{msg} (flow {self.flow_name} v{self.flow_version}, run {self.run_id}, "
                      f"step {pos})")

    # -- steps ------------------------------------------------------------------------------

    async def run(self, name: str, fn: Callable[..., Awaitable[T]], *args: Any,
                  retry: RetryPolicy | None = None, **kwargs: Any) -> T:
        """A checkpointed step: `await fn(*args, **kwargs)` once; on replay its recorded
        output. A step that raises is retried under `retry` (the run sleeps between attempts
        and no worker is held); after the last attempt the run fails."""
        digest = input_hash(name, args, kwargs)
        pos, rec = self._take("step", name, digest)
        if rec is not None:
            return rec["output"]  # type: ignore[no-any-return]
        policy = retry or RetryPolicy()
        started = datetime.now().astimezone()
        token = _current.set(self)
        try:
            raw = await self._watch_cancel(fn(*args, **kwargs), name)
        except Exception as exc:  # the step failed: the database decides retry or fail
            # (error_text: a NUL, which PostgreSQL text cannot hold, made the report itself
            # fail and the job retry the step for ever; over 4,000 characters it is cut)
            status, retry_at, attempt = await self._call(
                FAIL_STEP, pos, name, digest, error_text(f"{type(exc).__name__}: {exc}"),
                policy.max_attempts, policy.backoff, policy.backoff_max, True)
            self.log.warning(f"step {name!r} failed (attempt {attempt}): {exc}; run {status}"
                             + (f" until {retry_at}" if retry_at else ""))
            raise Suspend() from exc
        finally:
            _current.reset(token)
        try:
            out = psycopg.types.json.Jsonb(as_json(raw))
            status, out = await self._call(RECORD, pos, name, digest, out, "step", started, out)
        except Exception as exc:
            if not isinstance(exc, UnrecordableOutput) and not refused_value(exc):
                raise
            # the step ran, but its output cannot be checkpointed: running it again would
            # repeat its side effects and fail the same way, so the run fails here
            await self._call(FAIL_STEP, pos, name, digest,
                             error_text(f"the output of step {name!r} cannot be recorded: {exc}"),
                             1, 0, 0, False)
            self.log.error(f"step {name!r} output cannot be recorded ({exc}); run failed")
            raise Suspend() from exc
        self._info(f"step {name!r} recorded", pos)
        if status != "running":
            raise Suspend()
        return out  # type: ignore[no-any-return]

    async def cancel_requested(self) -> bool:
        """Whether someone asked to cancel this run (for long steps that check cooperatively;
        steps also see it by themselves, see _watch_cancel)."""
        (requested,) = await self._call(CANCEL_REQUESTED)
        return bool(requested)

    async def _watch_cancel(self, work: Awaitable[T], name: str) -> T:
        """Run a step; while it runs longer than flows.cancel_poll seconds, ask every that
        often whether the run was cancelled, and if so cancel the step, end the run as
        cancelled (the step is not recorded) and stop."""
        task = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.flows.cancel_poll)
                if done:
                    return task.result()
                if await self.cancel_requested():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
                    await self._call(STOP_CANCELLED)
                    self.log.warning(f"run {self.run_id} cancelled during step {name!r}")
                    raise Suspend()
        finally:
            if not task.done():
                task.cancel()

    async def transaction(self, name: str,
                          fn: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
        """A step that only writes to Claw's database: `fn(conn)` runs inside the run's
        tenant (the job's lease context) and its writes commit in the same transaction as
        the checkpoint, so they happen exactly once."""
        digest = input_hash(name)
        pos, rec = self._take("transaction", name, digest)
        if rec is not None:
            return rec["output"]  # type: ignore[no-any-return]
        async with self.flows.connection() as conn, conn.transaction():
            await conn.execute(ACT_AS, (self.job.job_id, self.job.lease_token))
            value = psycopg.types.json.Jsonb(as_json(await fn(conn)))
            cur = await conn.execute(RECORD, (*self._held, pos, name, digest, value,
                                              "transaction", None, value))
            row = await cur.fetchone()
        self._info(f"transaction {name!r} committed with its checkpoint", pos)
        if row is None or row[0] != "running":
            raise Suspend()
        return row[1]  # type: ignore[no-any-return]

    async def patched(self, patch: str) -> bool:
        """A patch marker: True for runs that reach this point with the new code (the marker
        is recorded), False for runs whose history was recorded before the patch existed.
        `if await ctx.patched("send-receipt"): await ctx.run("receipt", ...)`."""
        name = f"patch:{patch}"
        rec = self.history.get(self.position)  # recorded, or begun (pending): old code path
        if rec is not None:
            if rec["kind"] == "patch" and rec["name"] == name:
                self.position += 1
                return True
            return False
        pos, _ = self._take("patch", name, input_hash(name))
        status, _ = await self._call(RECORD, pos, name, input_hash(name),
                                     psycopg.types.json.Jsonb(True), "patch", None, None)
        if status != "running":
            raise Suspend()
        return True

    async def sleep(self, seconds: float | None = None, *, until: datetime | None = None,
                    name: str = "sleep") -> None:
        """A durable sleep: the wake-up instant is fixed the first time the run gets here
        (the database's clock) and no worker is held meanwhile."""
        digest = input_hash(name)
        pos, rec = self._take("sleep", name, digest)
        if rec is not None:
            return
        status, wake_at = await self._call(SLEEP, pos, name, digest, until, seconds)
        if status != "running":
            self._info(f"sleeping until {wake_at}", pos)
            raise Suspend()

    async def wait_for_signal(self, signal: str, timeout: float | datetime | None = None) -> Any:
        """Wait for the run's signal `signal`: its payload, or None after the timeout
        (seconds, or an instant; None waits for ever). Delivered to this step once."""
        name = f"signal:{signal}"
        digest = input_hash(name)
        pos, rec = self._take("signal", name, digest)
        if rec is not None:
            return rec["output"]["payload"] if rec["output"]["received"] else None
        at = timeout if isinstance(timeout, datetime) else None
        secs = timeout if not isinstance(timeout, datetime) else None
        status, received, payload = await self._call(WAIT_SIGNAL, pos, signal, digest, at, secs)
        if status != "running":
            self._info(f"waiting for signal {signal!r}", pos)
            raise Suspend()
        return payload if received else None

    async def start_child(self, flow_name: str, input: Any = None, version: int = 1) -> UUID:
        """Start a child flow run (once: a replay returns the same child)."""
        name = f"child:{flow_name}"
        digest = input_hash(name, input, version)
        pos, rec = self._take("child", name, digest)
        if rec is not None:
            return UUID(rec["output"]["run_id"])
        status, child = await self._call(START_CHILD, pos, name, digest, flow_name,
                                         psycopg.types.json.Jsonb(input if input is not None else {}),
                                         version)
        if status != "running":
            raise Suspend()
        return child  # type: ignore[no-any-return]

    async def wait_child(self, child_run_id: UUID) -> dict[str, Any]:
        """Wait until a child run finishes: {run_id, status, output, error}."""
        name = "wait_child"
        digest = input_hash(name, str(child_run_id))
        pos, rec = self._take("wait_child", name, digest)
        if rec is not None:
            return rec["output"]  # type: ignore[no-any-return]
        status, child_status, output, error = await self._call(WAIT_CHILD, pos, name, digest,
                                                               child_run_id)
        if status != "running":
            self._info(f"waiting for child {child_run_id}", pos)
            raise Suspend()
        return {"run_id": str(child_run_id), "status": child_status, "output": output,
                "error": error}

    async def effect(self, name: str, provider: Provider, request: dict[str, Any],
                     retry: RetryPolicy | None = None) -> Any:
        """An external effect, exactly once (see functions/flow/effects.sql for the rules):
        the intent and its idempotency key are committed before the call; the response and
        the checkpoint commit together; after a crash the key is re-sent to a provider that
        honours it, or looked up at one that does not, and an outcome that stays unknown
        blocks the run for a person."""
        digest = input_hash(name, provider.name, request)
        pos, rec = self._take("effect", name, digest)
        if rec is not None:
            return rec["output"]["response"]
        key, status, sends, response = await self._call(
            BEGIN_EFFECT, pos, name, digest, provider.name, psycopg.types.json.Jsonb(request))
        if status == "cancelled":  # a cancel was requested before anything was sent
            raise Suspend()
        if status == "reconciled":  # a person resolved it: record, never send
            await self._settle(pos, name, digest, "reconciled", None)
            return response
        if status == "sent" and not provider.idempotent:
            try:
                found = await provider.lookup(key)
            except Exception as exc:
                await self._call(EFFECT_UNKNOWN, pos, error_text(f"lookup of {key} failed: {exc}"))
                self.log.error(f"effect {key} outcome unknown; run blocked for a person: {exc}")
                raise Suspend() from exc
            if found is not None:
                self._info(f"effect {key} was delivered before the crash: reconciled", pos)
                return await self._settle(pos, name, digest, "reconciled", found)
            self._info(f"effect {key} was not delivered: sending it", pos)
        await self._call(EFFECT_SENT, pos)
        try:
            raw = await provider.send(key, request)
        except Exception as exc:  # outcome unknown: the retry re-sends the key or looks it up
            policy = retry or RetryPolicy()
            status, retry_at, attempt = await self._call(
                FAIL_STEP, pos, name, digest, error_text(f"{type(exc).__name__}: {exc}"),
                policy.max_attempts, policy.backoff, policy.backoff_max, True)
            self.log.warning(f"effect {key} call failed (attempt {attempt}): {exc}; run {status}")
            raise Suspend() from exc
        return await self._settle(pos, name, digest, "confirmed", raw)

    async def _settle(self, pos: int, name: str, digest: str, outcome: str,
                      raw: Any) -> Any:
        try:
            value = psycopg.types.json.Jsonb(as_json(raw))
            status, response = await self._call(SETTLE, pos, name, digest, outcome, value, value)
        except Exception as exc:
            if not isinstance(exc, UnrecordableOutput) and not refused_value(exc):
                raise
            # delivered, but its response cannot be checkpointed: never send it again; a
            # person sees the effect as unknown (api.list_flow_effects) and resolves it
            await self._call(EFFECT_UNKNOWN, pos, error_text(
                f"delivered ({outcome}), but its response cannot be recorded: {exc}"))
            self.log.error(f"effect {name!r} response cannot be recorded ({exc}); run blocked "
                           f"for a person")
            raise Suspend() from exc
        self._info(f"effect {name!r} {outcome}", pos)
        if status != "running":
            raise Suspend()
        return response


def current() -> FlowContext:
    """The flow context of the step being executed (for @flows.step functions)."""
    return _current.get()


class Flows:
    """A registry of flow functions (by name and version) and the 'flow.run' handler.

        flows = Flows()

        @flows.flow("order.fulfil", version=1)
        async def fulfil(ctx: FlowContext, order: dict) -> dict:
            rows = await ctx.run("fetch", fetch_order, order["id"])
            await ctx.sleep(60)
            approval = await ctx.wait_for_signal("approval", timeout=3600)
            sms = await ctx.effect("sms", twilio, {"to": order["phone"], "body": "..."})
            return {"sms": sms}

        flows.install(worker)   # a claw.worker.Worker serving queue 'flows'
    """

    def __init__(self, dsn: str | None = None, max_connections: int = 16,
                 cancel_poll: float = 2.0) -> None:
        self.dsn = dsn
        self.max_connections = max_connections
        self.cancel_poll = cancel_poll
        self.registry: dict[tuple[str, int], FlowFn] = {}
        self._pool: list[psycopg.AsyncConnection[Any]] = []
        self._slots: asyncio.Semaphore | None = None
        self.dispatches = 0

    def flow(self, name: str, version: int = 1) -> Callable[[FlowFn], FlowFn]:
        def register(fn: FlowFn) -> FlowFn:
            self.registry[(name, version)] = fn
            return fn
        return register

    def step(self, name: str | None = None, retry: RetryPolicy | None = None
             ) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
        """Decorate an async function so that calling it inside a flow is a checkpointed
        step (ctx.run) named `name` (default: the function's name)."""
        def wrap(fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
            step_name = name or fn.__name__

            async def call(*args: Any, **kwargs: Any) -> T:
                ctx = _current.get(None)
                if ctx is None or ctx.job is None:
                    raise RuntimeError(f"step {step_name!r} called outside a flow")
                return await ctx.run(step_name, fn, *args, retry=retry, **kwargs)
            call.__name__ = fn.__name__
            return call
        return wrap

    # -- connections (autocommit, claw_worker) ---------------------------------------------

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """One of at most `max_connections` autocommit connections (claw_worker)."""
        assert self.dsn is not None, "Flows.install(worker) sets the DSN"
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_connections)
        async with self._slots:
            conn = self._pool.pop() if self._pool else await psycopg.AsyncConnection.connect(
                self.dsn, autocommit=True)
            try:
                yield conn
            finally:
                if not conn.closed and not conn.broken:
                    self._pool.append(conn)
                else:
                    with contextlib.suppress(psycopg.Error):
                        await conn.close()

    async def close(self) -> None:
        while self._pool:
            with contextlib.suppress(psycopg.Error):
                await self._pool.pop().close()

    # -- the handler ---------------------------------------------------------------------------

    def install(self, worker: Worker) -> None:
        """Serve 'flow.run' jobs on this worker (the worker's queues must include the runs'
        queue, 'flows' by default)."""
        self.dsn = self.dsn or worker.dsn
        self._pool.clear()  # a fresh worker (after a lost connection): no stale connections
        self._slots = None

        @worker.handler("flow.run")
        async def handle(job: Job) -> None:
            await self.execute(job)

    async def execute(self, job: Job) -> None:
        """One dispatch of a run: claim it, replay, run on until it finishes or suspends."""
        run_id = UUID(job.payload["run_id"])
        async with self.connection() as conn:
            cur = await conn.execute(CLAIM, (run_id, job.job_id, job.lease_token))
            try:
                row = await cur.fetchone()
            except (RecursionError, ValueError) as exc:
                # JSON nested deeper than this process can decode, or a number longer than
                # Python reads (4,300 digits; jsonb holds 1e5000) in the run's input or a
                # signal's payload: every worker would fail the same way, the run held
                # 'running' for ever; it fails instead (CL409: it was not ours to run)
                log.error(f"flow.run job for run {run_id}: its data cannot be read: {exc}")
                try:
                    await conn.execute(FAIL_RUN, (run_id, job.job_id, job.lease_token,
                                                  psycopg.types.json.Jsonb(
                                                      {"message": error_text(
                                                          "the run's data cannot be read by "
                                                          f"the flow worker: {exc}")})))
                except psycopg.Error as err:
                    if err.sqlstate != "CL409":
                        raise
                return
        assert row is not None
        action, status, name, version, input_, trace_id, _next, _attempts, dispatches, steps = row
        if action != "run":
            log.info(f"flow.run job for run {run_id}: nothing to do (run {status})",
                     extra={"job_id": job.job_id, "trace_id": trace_id})
            return
        self.dispatches += 1
        fn = self.registry.get((name, version))
        if fn is None:
            # another worker may serve this version: the job fails and is retried later
            raise RuntimeError(f"flow {name!r} version {version} is not registered on this "
                               f"worker (run {run_id})")
        ctx = FlowContext(self, job, run_id, name, version, trace_id, input_,
                          {s["position"]: s for s in steps})
        if dispatches > 1:
            ctx.log.info(f"resuming run {run_id} of {name} v{version} at step {_next} "
                         f"(dispatch {dispatches}, {len(steps)} steps to replay)")
        token = _current.set(ctx)
        started = time.monotonic()
        try:
            out = await fn(ctx, input_)
        except Suspend:
            return
        except NonDeterminismError as exc:
            ctx.log.error(str(exc))
            await ctx._call(FAIL_RUN, psycopg.types.json.Jsonb(
                {"message": str(exc), "kind": "non_determinism", "flow": name,
                 "version": version, "position": exc.position}))
            return
        except asyncio.CancelledError:
            raise  # a lost lease: the job's retry replays the run
        except psycopg.Error as exc:
            if exc.sqlstate == "CL409" and exc.diag.message_primary == "step out of order":
                # with the lease held, only this process's own code records out of order:
                # steps awaited together (asyncio.gather over ctx.run). Retrying the job ran
                # them all again, side effects included, on every attempt; the run fails
                ctx.log.error(f"flow {name} run {run_id}: steps ran concurrently: {exc}")
                await ctx._call(FAIL_RUN, psycopg.types.json.Jsonb(
                    {"message": error_text(
                        "steps of one run ran concurrently (asyncio.gather or tasks over "
                        f"ctx.run?): await them one at a time; {exc}"),
                     "kind": "concurrent_steps", "flow": name, "version": version,
                     "position": ctx.position}))
                return
            if not refused_value(exc):
                raise  # database trouble or a lost lease: the job's retry replays the run
            # a value of the run that PostgreSQL refuses: replaying would refuse it again
            ctx.log.error(f"flow {name} run {run_id} failed: PostgreSQL refused a value: {exc}")
            await ctx._call(FAIL_RUN, psycopg.types.json.Jsonb(
                {"message": error_text(f"PostgreSQL refused a value ({exc.sqlstate}): {exc}"),
                 "position": ctx.position}))
            return
        except Exception as exc:  # the flow function itself failed (outside any step)
            ctx.log.error(f"flow {name} run {run_id} failed: {exc!r}")
            await ctx._call(FAIL_RUN, psycopg.types.json.Jsonb(
                {"message": error_text(f"{type(exc).__name__}: {exc}"),
                 "position": ctx.position}))
            return
        finally:
            _current.reset(token)
        later = sorted(p for p in ctx.history if p >= ctx.position)
        if later:
            # the code returned where the history goes on (a deploy that dropped steps): as
            # much a mismatch as asking for another step there; completing ignored them
            rec = ctx.history[later[0]]
            exc = NonDeterminismError(name, version, run_id, later[0], rec, "return",
                                      "(the flow returned)", "-" * 12)
            ctx.log.error(str(exc))
            await ctx._call(FAIL_RUN, psycopg.types.json.Jsonb(
                {"message": str(exc), "kind": "non_determinism", "flow": name,
                 "version": version, "position": later[0]}))
            return
        try:
            await ctx._call(COMPLETE, psycopg.types.json.Jsonb(as_json(out)))
        except Exception as exc:
            if not isinstance(exc, UnrecordableOutput) and not refused_value(exc):
                raise
            ctx.log.error(f"flow {name} run {run_id}: its result cannot be recorded: {exc}")
            await ctx._call(FAIL_RUN, psycopg.types.json.Jsonb(
                {"message": f"the run's result cannot be recorded: {exc}",
                 "position": ctx.position}))
            return
        ctx.log.info(f"run {run_id} of {name} completed in {time.monotonic() - started:.3f}s")


async def start_flow(conn: psycopg.AsyncConnection[Any], name: str, input: Any = None, *,
                     version: int = 1, idempotency_key: str | None = None,
                     trace_id: str | None = None, queue: str = "flows") -> tuple[UUID, bool]:
    """Start a run on a connection that is authenticated (api.authenticate) in a
    transaction. Returns (run_id, created)."""
    cur = await conn.execute(START, (name, psycopg.types.json.Jsonb(input if input is not None else {}),
                                     version, idempotency_key, trace_id, queue))
    row = await cur.fetchone()
    assert row is not None
    return row[0], row[1]
