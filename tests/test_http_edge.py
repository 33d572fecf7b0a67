"""The edge's protocol features over the integrator's SQL (migration 0015): idempotency
keys (replay, mismatch, concurrent duplicate, nothing stored for a failed request), cursor
pagination (stable under concurrent inserts, bound to tenant and query), rate limits
(headers, 429 with Retry-After) and the event stream (resume after a dropped connection
with nothing lost or repeated, the slow-client bound, clean-up on disconnect, shutdown)."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from conftest import Database, Tenant
from http_support import Api, bearer, in_process, settings_for, subprocess_server


@pytest.fixture
def api(seeded: tuple[Database, dict[str, Tenant]]) -> Iterator[Api]:
    db, tenants = seeded
    with in_process(db, tenants) as a:
        yield a


def problem(resp: Any, status: int, name: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    doc: dict[str, Any] = resp.json()
    assert doc["type"].endswith("/" + name), doc
    return doc


def job_count(db: Database, queue: str) -> int:
    with db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM queue.jobs WHERE queue = %s", (queue,)).fetchone()
    assert row is not None
    return int(row[0])


# -- idempotency keys ---------------------------------------------------------------------------

def test_idempotent_replay_returns_the_stored_response(api: Api) -> None:
    h = {**api.as_("a"), "Idempotency-Key": "order-4711"}
    body = {"queue": "idem", "kind": "k", "payload": {"n": 1}}
    first = api.client.post("/v1/jobs", headers=h, json=body)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = api.client.post("/v1/jobs", headers=h, json=body)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["content-type"] == "application/json"
    assert job_count(api.db, "idem") == 1
    # a 204 replays as a 204
    sched = api.client.post("/v1/schedules", headers=api.as_("a"), json={
        "name": "s", "cron": "0 6 * * *", "time_zone": "UTC", "queue": "q", "kind": "k"})
    path = f"/v1/schedules/{sched.json()['schedule_id']}"
    hd = {**api.as_("a"), "Idempotency-Key": "del-1"}
    assert api.client.delete(path, headers=hd).status_code == 204
    replay = api.client.delete(path, headers=hd)
    assert replay.status_code == 204 and replay.headers["idempotent-replayed"] == "true"
    # keys are per tenant: B's same key is B's own request
    other = api.client.post("/v1/jobs", headers={**api.as_("b"), "Idempotency-Key": "order-4711"},
                            json=body)
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert other.json()["job_id"] != first.json()["job_id"]


def test_same_key_different_request_is_422(api: Api) -> None:
    h = {**api.as_("a"), "Idempotency-Key": "k-1"}
    assert api.client.post("/v1/jobs", headers=h, json={"queue": "idem", "kind": "k"}).status_code == 201
    problem(api.client.post("/v1/jobs", headers=h, json={"queue": "idem", "kind": "other"}),
            422, "invalid_input")
    problem(api.client.post("/v1/principals", headers=h, json={
        "kind": "agent", "handle": "z", "display_name": "Z"}), 422, "invalid_input")
    assert job_count(api.db, "idem") == 1
    problem(api.client.post("/v1/jobs", headers={**api.as_("a"), "Idempotency-Key": "bad key"},
                            json={"queue": "idem", "kind": "k"}), 422, "invalid_input")


def test_a_failed_request_stores_nothing(api: Api) -> None:
    job = api.client.post("/v1/jobs", headers=api.as_("a"), json={"queue": "q", "kind": "k"})
    h = {**api.as_("a"), "Idempotency-Key": "retry-1"}
    path = f"/v1/jobs/{job.json()['job_id']}/retry"
    problem(api.client.post(path, headers=h), 409, "conflict")   # not dead: rolled back
    second = api.client.post(path, headers=h)                    # re-executed, not replayed
    problem(second, 409, "conflict")
    assert "idempotent-replayed" not in second.headers


def test_concurrent_duplicate_is_409(api: Api) -> None:
    created = api.client.post("/v1/schedules", headers=api.as_("a"), json={
        "name": "s", "cron": "0 6 * * *", "time_zone": "UTC", "queue": "q", "kind": "k"})
    sid = created.json()["schedule_id"]
    h = {**api.as_("a"), "Idempotency-Key": "pause-1"}
    results: dict[str, Any] = {}
    with api.db.connect(autocommit=False) as blocker:
        blocker.execute("SELECT 1 FROM queue.schedules WHERE schedule_id = %s FOR UPDATE", (sid,))
        first = threading.Thread(target=lambda: results.update(
            first=api.client.post(f"/v1/schedules/{sid}/pause", headers=h)))
        first.start()
        with api.db.connect() as watch:
            deadline = time.monotonic() + 10
            while watch.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = "
                                "'claw_runtime' AND wait_event_type = 'Lock'").fetchone()[0] < 1:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        dup = api.client.post(f"/v1/schedules/{sid}/pause", headers=h)
        problem(dup, 409, "conflict")
        blocker.rollback()
    first.join(10)
    assert results["first"].status_code == 200
    replay = api.client.post(f"/v1/schedules/{sid}/pause", headers=h)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == results["first"].json()


# -- pagination ---------------------------------------------------------------------------------

def test_pages_are_stable_under_concurrent_inserts(api: Api) -> None:
    h = api.as_("a")
    before = [api.client.post("/v1/jobs", headers=h, json={"queue": "page", "kind": "k"})
              .json()["job_id"] for _ in range(45)]
    stop = threading.Event()
    inserted: list[str] = []

    def writer() -> None:
        while not stop.is_set():
            r = api.client.post("/v1/jobs", headers=h, json={"queue": "page", "kind": "k"})
            inserted.append(r.json()["job_id"])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen: list[str] = []
        cursor = None
        while True:
            url = "/v1/jobs?queue=page&limit=10" + (f"&cursor={cursor}" if cursor else "")
            page = api.client.get(url, headers=h)
            assert page.status_code == 200, page.text
            seen += [j["job_id"] for j in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    assert inserted, "the writer inserted nothing while we paged"
    assert len(seen) == len(set(seen)), "a row appeared on two pages"
    assert set(before) <= set(seen), "a row that existed before paging was skipped"


def test_cursors_are_bound_to_tenant_and_query(api: Api) -> None:
    for name in ("a", "b"):
        for _ in range(3):
            api.client.post("/v1/jobs", headers=api.as_(name), json={"queue": "page", "kind": "k"})
    page = api.client.get("/v1/jobs?queue=page&limit=2", headers=api.as_("a")).json()
    cursor = page["next_cursor"]
    assert cursor
    problem(api.client.get(f"/v1/jobs?queue=page&limit=2&cursor={cursor}",
                           headers=api.as_("b")), 422, "invalid_input")
    problem(api.client.get(f"/v1/jobs?queue=other&limit=2&cursor={cursor}",
                           headers=api.as_("a")), 422, "invalid_input")
    problem(api.client.get("/v1/jobs?limit=2&cursor=garbage", headers=api.as_("a")), 422,
            "invalid_input")
    problem(api.client.get("/v1/jobs?limit=5000", headers=api.as_("a")), 422, "invalid_input")


@pytest.mark.parametrize("path", ["/v1/principals", "/v1/api-keys", "/v1/schedules"])
def test_every_list_route_pages(api: Api, path: str) -> None:
    h = api.as_("a")
    for i in range(3):
        if path == "/v1/schedules":
            api.client.post(path, headers=h, json={"name": f"s{i}", "cron": "0 6 * * *",
                                                   "time_zone": "UTC", "queue": "q", "kind": "k"})
        elif path == "/v1/api-keys":
            api.client.post(path, headers=h, json={"name": f"k{i}"})
        else:
            api.client.post(path, headers=h, json={"kind": "agent", "handle": f"h{i}",
                                                   "display_name": "H"})
    items: list[Any] = []
    cursor = None
    while True:
        page = api.client.get(f"{path}?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                              headers=h)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    everything = api.client.get(f"{path}?limit=1000", headers=h).json()["items"]
    assert items == everything and len(items) >= 3


# -- server-sent events -------------------------------------------------------------------------

def read_events(lines: Iterator[str], want: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Parse SSE frames until `want` frames with an event name arrived."""
    frames: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    for line in lines:
        assert time.monotonic() < deadline, frames
        if line == "":
            if "event" in current:
                frames.append(current)
                if len(frames) >= want:
                    return frames
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            current[name] = value.strip()
    return frames


def enqueue(url: str, tenant: Tenant, n: int, queue: str = "sse") -> list[str]:
    return [httpx.post(url + "/v1/jobs", headers=bearer(tenant),
                       json={"queue": queue, "kind": "k"}).json()["job_id"] for _ in range(n)]


def test_sse_resume_after_a_dropped_connection(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    h = bearer(tenants["a"])
    with subprocess_server(db) as server:
        with httpx.stream("GET", server.url + "/v1/events", headers=h, timeout=20) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            threading.Thread(target=enqueue, args=(server.url, tenants["a"], 5)).start()
            enqueue(server.url, tenants["b"], 2)  # another tenant's events never show
            first = read_events(resp.iter_lines(), 3)
        # the connection dropped after 3 events; more are written meanwhile, concurrently
        writers = [threading.Thread(target=enqueue, args=(server.url, tenants["a"], 5))
                   for _ in range(2)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        with httpx.stream("GET", server.url + "/v1/events",
                          headers={**h, "Last-Event-ID": first[-1]["id"]}, timeout=20) as resp:
            rest = read_events(resp.iter_lines(), 12)
        deadline = time.monotonic() + 10
        while True:  # the stream is gone from the server once the client left
            streams = httpx.get(server.url + "/readyz").json()["checks"]["streams"]
            if streams == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert streams == 0
    frames = first + rest
    ids = [f["id"] for f in frames]
    assert len(ids) == len(set(ids)) == 15, ids   # nothing repeated, nothing lost
    # jobs.enqueued is one event per statement and queue, its data listing the jobs
    subjects = [j["job_id"] for f in frames for j in json.loads(f["data"])["data"]["jobs"]]
    assert len(subjects) == len(set(subjects)) == 15
    assert {f["event"] for f in frames} == {"jobs.enqueued"}
    with db.connect() as conn:
        tenant_a_jobs = {str(r[0]) for r in conn.execute(
            "SELECT job_id FROM queue.jobs WHERE queue = 'sse' AND tenant_id = %s",
            (tenants["a"].tenant_id,)).fetchall()}
    assert set(subjects) == tenant_a_jobs


def test_sse_slow_client_is_told_and_resumes(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    from claw.http.edge import Credential, Edge
    from claw.http.events import EventHub, EventStream, start_position

    db, tenants = seeded
    settings = settings_for(db, sse_buffer=5, sse_batch=5, sse_keepalive=0.2)

    async def scenario() -> tuple[list[bytes], list[bytes], str | None]:
        edge = Edge(settings)
        await edge.open()
        hub = EventHub(settings.database_url)
        hub.start()
        try:
            cred = Credential("api_key", tenants["a"].api_key)
            after = await start_position(edge, cred, None, "now")
            stream = EventStream(edge, hub, cred, after)
            body = stream.body()
            await body.__anext__()  # the opening comment; then the client stops reading
            await asyncio.to_thread(enqueue_direct, db, tenants["a"], 20)
            deadline = time.monotonic() + 10
            while stream.ending is None:
                assert time.monotonic() < deadline, "the stream never noticed"
                await asyncio.sleep(0.05)
            assert len(stream.buffer) == 0  # the buffer is dropped, not kept for the slow client
            slow = [chunk async for chunk in body]
            # the client resumes from what it had
            resumed = EventStream(edge, hub, cred, after)
            resumed.limit = 100
            out: list[bytes] = []
            body2 = resumed.body()
            while sum(b"event: jobs.enqueued" in c for c in out) < 20:
                out.append(await asyncio.wait_for(body2.__anext__(), 10))
            await body2.aclose()
            return slow, out, after
        finally:
            await hub.stop()
            await edge.close()

    slow, resumed, after = asyncio.run(scenario())
    assert len(slow) == 1 and slow[0].startswith(b"event: overflow\n"), slow
    told = json.loads(slow[0].split(b"data: ", 1)[1])
    assert told["last_event_id"] == after and told["buffered"] == 5
    ids = [c.split(b"\n", 1)[0] for c in resumed if c.startswith(b"id: ")]
    assert len(ids) == len(set(ids)) == 20


@pytest.mark.parametrize("reason", ["overflow", "shutdown"])
def test_sse_the_last_event_id_told_is_the_last_frame_handed(
        seeded: tuple[Database, dict[str, Tenant]], reason: str) -> None:
    """Starlette sends a chunk while the body generator waits at its yield: a slow client is
    a send that takes long. The overflow (or shutdown) event that ends the stream then must
    name the frame handed out, not the one before it (a resuming client got it twice)."""
    from claw.http.edge import Credential, Edge
    from claw.http.events import EventHub, EventStream, start_position

    db, tenants = seeded
    settings = settings_for(db, sse_buffer=5, sse_batch=5, sse_keepalive=0.2)

    async def scenario() -> tuple[bytes, list[bytes]]:
        edge = Edge(settings)
        await edge.open()
        hub = EventHub(settings.database_url)
        hub.start()
        try:
            cred = Credential("api_key", tenants["a"].api_key)
            stream = EventStream(edge, hub, cred, await start_position(edge, cred, None, "now"))
            body = stream.body()
            await body.__anext__()  # the opening comment
            await asyncio.to_thread(enqueue_direct, db, tenants["a"], 1)
            first = b": keep-alive"
            while first.startswith(b": keep-alive"):  # (the keep-alive timer is short)
                first = await asyncio.wait_for(body.__anext__(), 10)  # being sent, slowly
            if reason == "overflow":
                await asyncio.to_thread(enqueue_direct, db, tenants["a"], 20)
            else:
                stream.close("shutdown")
            deadline = time.monotonic() + 10
            while stream.ending is None:
                assert time.monotonic() < deadline, "the stream never noticed"
                await asyncio.sleep(0.05)
            return first, [chunk async for chunk in body]
        finally:
            await hub.stop()
            await edge.close()

    first, rest = asyncio.run(scenario())
    assert first.startswith(b"id: "), first
    handed = first.split(b"\n", 1)[0][4:].decode()
    assert rest and rest[-1].startswith(f"event: {reason}\n".encode()), rest
    assert json.loads(rest[-1].split(b"data: ", 1)[1])["last_event_id"] == handed


def test_sse_a_write_wakes_only_its_tenants_streams(seeded: tuple[Database, dict[str, Tenant]]
                                                   ) -> None:
    """The NOTIFY names no tenant; the hub asks api.events_waiting once for all of its
    registered streams and wakes only those with an event to read: a write of tenant A makes
    A's stream read, not B's (whose reads come only from its keep-alive timer)."""
    from claw.http.edge import Credential, Edge
    from claw.http.events import EventHub, EventStream, start_position

    db, tenants = seeded
    settings = settings_for(db, sse_keepalive=30)

    async def scenario() -> tuple[int, int, list[bytes]]:
        edge = Edge(settings)
        await edge.open()
        hub = EventHub(settings.database_url, edge)
        hub.start()
        await asyncio.wait_for(hub.connected.wait(), 10)
        try:
            streams = {}
            bodies = {}
            for name in ("a", "b"):
                cred = Credential("api_key", tenants[name].api_key)
                streams[name] = EventStream(edge, hub, cred, await start_position(
                    edge, cred, None, "now"))
                bodies[name] = streams[name].body()
                await bodies[name].__anext__()  # the opening comment
            deadline = time.monotonic() + 10
            while any(st.watcher is None for st in streams.values()):  # first reads register
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            reads_b = streams["b"].reads
            got: list[bytes] = []
            for round_ in range(3):
                await asyncio.to_thread(enqueue_direct, db, tenants["a"], 1)
                while sum(b"event: jobs.enqueued" in c for c in got) <= round_:
                    got.append(await asyncio.wait_for(bodies["a"].__anext__(), 10))
            await asyncio.sleep(0.3)  # a wrong wake-up of B would have read by now
            for body in bodies.values():
                await body.aclose()
            return streams["b"].reads - reads_b, hub.notifications, got
        finally:
            await hub.stop()
            await edge.close()

    b_reads, notifications, got = asyncio.run(scenario())
    assert notifications >= 3 and sum(b"event: jobs.enqueued" in c for c in got) == 3
    assert b_reads == 0


def enqueue_direct(db: Database, tenant: Tenant, n: int) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        for _ in range(n):
            conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'sse', p_kind => 'k')")


def test_sse_streams_end_on_shutdown(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    with subprocess_server(db, CLAW_HTTP_SHUTDOWN_GRACE="20") as server:
        with httpx.stream("GET", server.url + "/v1/events", headers=bearer(tenants["a"]),
                          timeout=20) as resp:
            lines = resp.iter_lines()
            enqueue(server.url, tenants["a"], 1)
            got = read_events(lines, 1)
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            tail = read_events(lines, 1)
        assert server.proc.wait(10) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 10  # not held up for the 20 s grace
    assert tail[0]["event"] == "shutdown"
    assert json.loads(tail[0]["data"])["last_event_id"] == got[0]["id"]


def test_sse_bad_last_event_id_is_422(api: Api) -> None:
    resp = api.client.get("/v1/events", headers={**api.as_("a"), "Last-Event-ID": "garbage"})
    problem(resp, 422, "invalid_input")
    problem(api.client.get("/v1/events"), 401, "unauthenticated")


# -- rate limits --------------------------------------------------------------------------------

def test_rate_limit_headers_and_429(api: Api) -> None:
    tenant = api.tenants["a"]
    ok = api.client.get("/v1/whoami", headers=api.as_("a"))
    assert ok.status_code == 200
    assert ok.headers["ratelimit-policy"].startswith('"credential";q=') or \
        ok.headers["ratelimit-policy"].startswith('"tenant";q=')
    assert ";r=" in ok.headers["ratelimit"] and ";t=" in ok.headers["ratelimit"]
    with api.db.connect() as conn:
        conn.execute("SELECT edge.set_request_limits(%s, p_credential_per_minute => 60, "
                     "p_credential_burst => 3)", (tenant.tenant_id,))
    statuses = [api.client.get("/v1/whoami", headers=api.as_("a")) for _ in range(8)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    doc = problem(limited[0], 429, "limited")
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].headers["ratelimit-policy"] == '"credential";q=60;w=60'
    assert doc["scope"] == "credential"
    # another tenant is not limited by A's bucket
    assert api.client.get("/v1/whoami", headers=api.as_("b")).status_code == 200
    # a refused request did nothing: writes are refused before the transaction
    before = job_count(api.db, "limited")
    resp = api.client.post("/v1/jobs", headers=api.as_("a"), json={"queue": "limited", "kind": "k"})
    assert resp.status_code == 429 and job_count(api.db, "limited") == before


# -- commit durability --------------------------------------------------------------------------

def test_only_reads_skip_the_wal_flush_wait(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A GET's transaction commits with synchronous_commit off (it writes nothing durable);
    every other method's keeps the server's setting, so a write is on disk before its 2xx."""
    from claw.http.edge import Edge

    seen: list[tuple[str, str]] = []
    original = Edge._send_authentication

    async def spy(self: Edge, cur: Any, cred: Any, durable: bool = True) -> None:
        await original(self, cur, cred, durable)
        # the same transaction (in the request's pipeline: queued behind the authentication)
        check = await cur.connection.execute("SELECT current_setting('synchronous_commit')")
        seen.append(("durable" if durable else "read", (await check.fetchone())[0]))

    monkeypatch.setattr(Edge, "_send_authentication", spy)
    h = api.as_("a")
    assert api.client.get("/v1/whoami", headers=h).status_code == 200
    assert api.client.get("/v1/jobs", headers=h).status_code == 200
    created = api.client.post("/v1/jobs", headers=h, json={"queue": "q", "kind": "k"})
    assert created.status_code == 201
    assert seen == [("read", "off"), ("read", "off"), ("durable", "on")]


# -- the pipelined request transaction ----------------------------------------------------------

def test_an_error_after_a_write_keeps_nothing(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request's statements travel in one pipeline and COMMIT is queued last: when the
    edge fails after the route's write succeeded (here: rendering the response), the
    transaction is rolled back (no job, no idempotency record), the client gets a 500
    problem, and the pooled connection serves the next request."""
    import claw.http.edge as edge

    def broken(result: Any) -> bytes:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(edge, "dump", broken)
    before = job_count(api.db, "pipelined")
    resp = api.client.post("/v1/jobs", headers={**api.as_("a"), "Idempotency-Key": "k-broken"},
                           json={"queue": "pipelined", "kind": "k"})
    problem(resp, 500, "internal")
    assert job_count(api.db, "pipelined") == before
    with api.db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM edge.idempotency_keys "
                           "WHERE idempotency_key = 'k-broken'"
                           ).fetchone()
    assert row is not None and row[0] == 0
    monkeypatch.undo()
    for _ in range(25):  # more requests than the pool has connections
        assert api.client.get("/v1/whoami", headers=api.as_("a")).status_code == 200
    retried = api.client.post("/v1/jobs", headers={**api.as_("a"), "Idempotency-Key": "k-broken"},
                              json={"queue": "pipelined", "kind": "k"})
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert job_count(api.db, "pipelined") == before + 1


def test_a_refused_credential_runs_nothing_behind_it(api: Api) -> None:
    """The route's statement is queued behind the authentication in the same pipeline: when
    the key is refused the server skips everything after it, so nothing is written."""
    before = job_count(api.db, "pipelined")
    forged = api.as_("a")["Authorization"][:-4] + "AAAA"
    resp = api.client.post("/v1/jobs", headers={"Authorization": forged},
                           json={"queue": "pipelined", "kind": "k"})
    problem(resp, 401, "unauthenticated")
    assert job_count(api.db, "pipelined") == before


def test_capabilities_missed_at_startup_are_read_when_the_database_answers(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """Found by a new-user walkthrough: a server that started while the database refused it
    (a password set after `claw serve`, a brief outage) kept its capabilities off for good:
    no rate limits, Idempotency-Key a 501 'migrate the database', JWTs refused, /v1/events a
    501, and /readyz said ready. Now they are read when the database first answers."""
    from claw.http.edge import Capabilities

    db, tenants = seeded
    with in_process(db, tenants) as api:
        edge = api.client.app.state.edge  # type: ignore[attr-defined]
        edge.caps, edge.detected = Capabilities(), False  # as after a refused startup
        r = api.client.post("/v1/jobs", headers={**api.as_("a"), "Idempotency-Key": "late-1"},
                            json={"queue": "q", "kind": "k"})
        assert r.status_code == 201, r.text
        assert "RateLimit" in r.headers and edge.detected and edge.caps.idempotency
        edge.caps, edge.detected = Capabilities(), False
        ready = api.client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["capabilities"] == "ok"
