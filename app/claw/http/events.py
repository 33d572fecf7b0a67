"""Server-sent events: `GET /v1/events` streams the tenant's events from the outbox
(api.read_events), resumable by `Last-Event-ID`.

One LISTEN connection per process (EventHub) hears `NOTIFY claw_events` (which names no
tenant) and asks once, for all of its registered streams, which have an event to read
(api.events_waiting: the streams' watcher ids and positions, one statement); only those
streams, and any not yet registered, wake and re-read from their last position in a short
authenticated transaction on the pool. (Waking every stream on every NOTIFY made each write
of one tenant cost a read per open stream of every tenant.) A NOTIFY is only a hint, so
streams also re-read on their keep-alive timer. Each stream has a reader task that fills a
bounded buffer and a writer (the response body) that drains it to the client:

- a client that reads slower than events arrive fills its buffer; when it is full and more
  events wait, the buffer is dropped, the client gets an `overflow` event naming the last
  event it received, and the stream ends: it resumes with Last-Event-ID (nothing lost,
  nothing repeated, since positions come from the outbox, not from memory);
- every read re-authenticates, so a revoked key ends its streams at the next read;
- on disconnect the reader is cancelled and the stream unsubscribes; on shutdown every
  stream ends with a `shutdown` event (clients reconnect elsewhere with Last-Event-ID).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import psycopg

from claw.http.edge import Credential, Edge, fetch_all, fetch_one
from claw.http.problems import Problem, from_database

log = logging.getLogger("claw.http.events")

READ_EVENTS = ("SELECT event_id, event_type, subject_id, data, trace_id, occurred_at "
               "FROM api.read_events(p_after => %s, p_limit => %s)")
CURRENT_POSITION = "SELECT api.current_event_position() AS position"
WATCH = "SELECT api.watch_events(p_watcher_id => %s) AS watcher_id"
UNWATCH = "SELECT api.unwatch_events(p_watcher_id => %s)"
WATCH_REFRESH = 30.0  # seconds; a registration expires 90 s after its last refresh
WAITING_CHUNK = 2000  # streams per api.events_waiting call (its limit)
WAITING = "SELECT w AS watcher_id FROM api.events_waiting(%s::uuid[], %s::text[]) AS w"


class EventHub:
    """The process's one LISTEN connection, fanning wake-ups out to every stream."""

    def __init__(self, url: str, edge: Edge | None = None) -> None:
        self.url = url
        self.edge = edge   # its pool answers "which streams have events?" (None: wake all)
        self.streams: set[EventStream] = set()
        self.connected = asyncio.Event()
        self.notifications = 0
        self._task: asyncio.Task[None] | None = None
        self._pending = asyncio.Event()  # a NOTIFY arrived that no check has covered yet
        self._checker: asyncio.Task[None] | None = None
        self._last_check = 0.0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="claw-events-listen")

    async def stop(self) -> None:
        for stream in list(self.streams):
            stream.close("shutdown")
        for task in (self._task, self._checker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._task = self._checker = None

    def wake_all(self) -> None:
        for stream in self.streams:
            stream.wake.set()

    def notified(self) -> None:
        """A NOTIFY: wake the streams that have events (checked by one task, which covers
        every NOTIFY that arrives while it runs with one more check)."""
        self.notifications += 1
        if self.edge is None:
            self.wake_all()
            return
        self._pending.set()
        if self._checker is None or self._checker.done():
            self._checker = asyncio.create_task(self._check(), name="claw-events-check")

    async def _check(self) -> None:
        """NOTIFYs closer together than sse_min_interval share one check (both server
        processes hear every NOTIFY; a busy database sends hundreds a second)."""
        assert self.edge is not None
        loop = asyncio.get_running_loop()
        while self._pending.is_set():
            pause = self._last_check + self.edge.settings.sse_min_interval - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            self._last_check = loop.time()
            self._pending.clear()
            streams = list(self.streams)
            registered = [st for st in streams if st.watcher is not None]
            for st in streams:
                if st.watcher is None:
                    st.wake.set()  # not registered yet: it reads anyway
            if not registered:
                continue
            waiting = set()
            try:
                async with self.edge.pool.connection() as conn:
                    for i in range(0, len(registered), WAITING_CHUNK):
                        chunk = registered[i:i + WAITING_CHUNK]
                        rows = await fetch_all(conn, WAITING, ([st.watcher for st in chunk],
                                                               [st.position for st in chunk]))
                        waiting.update(row["watcher_id"] for row in rows)
            except Exception as exc:  # the database is away: fall back to waking everyone
                log.warning("event check failed; waking every stream",
                            extra={"error": type(exc).__name__})
                self.wake_all()
                continue
            for st in registered:
                if st.watcher in waiting:
                    st.wake.set()

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                    await conn.execute("LISTEN claw_events")
                    self.connected.set()
                    backoff = 0.5
                    self.wake_all()  # anything committed while we were not listening
                    async for _ in conn.notifies():
                        self.notified()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: streams keep their timers
                self.connected.clear()
                log.warning("event listener lost its connection; reconnecting",
                            extra={"error": type(exc).__name__})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


def frame(row: dict[str, Any]) -> bytes:
    data = {"event_id": row["event_id"], "type": row["event_type"],
            "subject_id": row["subject_id"], "data": row["data"],
            "trace_id": row["trace_id"], "occurred_at": row["occurred_at"].isoformat()}
    return (f"id: {row['event_id']}\nevent: {row['event_type']}\n"
            f"data: {json.dumps(data, separators=(',', ':'))}\n\n").encode()


def control(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class EventStream:
    """One client's stream: a reader task filling a bounded buffer, drained by `body()`."""

    def __init__(self, edge: Edge, hub: EventHub, cred: Credential, after: str | None) -> None:
        self.edge = edge
        self.hub = hub
        self.cred = cred
        self.position = after          # the reader's position (last event buffered)
        self.delivered = after         # the last event the writer handed to the client
        self.buffer: deque[dict[str, Any]] = deque()
        self.limit = edge.settings.sse_buffer
        self.wake = asyncio.Event()    # set by the hub (NOTIFY) and on close
        self.ready = asyncio.Event()   # set by the reader when the writer has work
        self.ending: bytes | None = None
        self.reads = 0
        self.watcher: Any = None       # this stream's api.watch_events registration
        self.watched_at = 0.0

    def close(self, reason: str, **data: Any) -> None:
        if self.ending is None:
            self.ending = control(reason, {"last_event_id": self.delivered, **data})
            if reason == "overflow":  # drop what the slow client could not take
                self.buffer.clear()
        self.ready.set()
        self.wake.set()

    async def _read(self, limit: int) -> list[dict[str, Any]]:
        now = asyncio.get_running_loop().time()
        async with self.edge.pool.connection() as conn, conn.transaction():
            await self.edge.authenticate(conn, self.cred)
            # keep this stream registered (api.watch_events: writes of the tenant's events
            # send NOTIFY only while someone watches; a registration lives 90 s)
            if self.watcher is None or now - self.watched_at > WATCH_REFRESH:
                row = await fetch_one(conn, WATCH, (self.watcher,))
                self.watcher = None if row is None else row["watcher_id"]
                self.watched_at = now
            rows = await fetch_all(conn, READ_EVENTS, (self.position, limit))
        self.reads += 1
        return rows

    async def _unwatch(self) -> None:
        if self.watcher is None:
            return
        with contextlib.suppress(Exception):  # best effort: it expires by itself
            async with self.edge.pool.connection() as conn, conn.transaction():
                await self.edge.authenticate(conn, self.cred)
                await conn.execute(UNWATCH, (self.watcher,))

    async def reader(self) -> None:
        keepalive = self.edge.settings.sse_keepalive
        batch = self.edge.settings.sse_batch
        spacing = self.edge.settings.sse_min_interval
        last_read = 0.0
        try:
            while self.ending is None:
                # wake-ups closer together than sse_min_interval share one read (a busy
                # tenant's NOTIFYs would otherwise cost a transaction per write per stream)
                pause = last_read + spacing - asyncio.get_running_loop().time()
                if pause > 0:
                    await asyncio.sleep(pause)
                last_read = asyncio.get_running_loop().time()
                self.wake.clear()  # before reading: a NOTIFY during the read wakes us again
                free = self.limit - len(self.buffer)
                if free <= 0:
                    if await self._read(1):  # more waits than the client has room for
                        self.close("overflow", buffered=self.limit)
                        return
                else:
                    rows = await self._read(min(free, batch))
                    if rows:
                        self.buffer.extend(rows)
                        self.position = rows[-1]["event_id"]
                        self.ready.set()
                        if len(rows) == min(free, batch):
                            last_read = 0.0
                            continue  # a full page: there may be more right now
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), keepalive)
        except asyncio.CancelledError:
            raise
        except Problem as exc:
            self.close("error", problem=exc.document())
        except psycopg.Error as exc:
            self.close("error", problem=from_database(exc).document())

    async def body(self) -> AsyncIterator[bytes]:
        """The response body: events as they arrive, keep-alive comments, and a last control
        event (overflow, shutdown, error) before the stream ends."""
        keepalive = self.edge.settings.sse_keepalive
        self.hub.streams.add(self)
        task = asyncio.create_task(self.reader(), name="claw-events-read")
        try:
            yield f"retry: 1000\n: stream from {self.delivered or 'now'}\n\n".encode()
            while True:
                if self.buffer:
                    row = self.buffer.popleft()
                    # before the yield: the frame is the client's once handed to the server,
                    # which sends it while we wait here; an overflow or shutdown that comes
                    # during that send must name this frame, or a resume repeats it
                    self.delivered = row["event_id"]
                    yield frame(row)
                    continue
                if self.ending is not None:
                    yield self.ending
                    return
                self.ready.clear()
                if self.buffer or self.ending is not None:
                    continue
                try:
                    await asyncio.wait_for(self.ready.wait(), keepalive)
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
        finally:
            self.hub.streams.discard(self)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await self._unwatch()


async def start_position(edge: Edge, cred: Credential, last_event_id: str | None,
                         start: str) -> str | None:
    """Where a new stream starts: after Last-Event-ID when given (validated by a first
    read), else now (`start=now`, the default) or the oldest retained event (`start=oldest`)."""
    async with edge.pool.connection() as conn, conn.transaction():
        await edge.authenticate(conn, cred)
        if last_event_id is not None:
            await fetch_all(conn, READ_EVENTS, (last_event_id, 1))  # CL422 when malformed
            return last_event_id
        if start == "oldest":
            return None
        row = await fetch_one(conn, CURRENT_POSITION)
    return None if row is None else row["position"]
