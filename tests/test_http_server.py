"""The edge as a real server (`python -m claw.http.server`, uvicorn on a free port):
graceful shutdown drains in-flight requests and refuses new ones; JSON logs carry trace ids."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import Any

import httpx2 as httpx

from conftest import Database, Tenant
from http_support import bearer, subprocess_server

TRACE = "0af7651916cd43dd8448eb211c80319c"


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_graceful_shutdown_drains_in_flight_requests(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    h = bearer(tenants["a"])
    with subprocess_server(db) as server:
        created = httpx.post(server.url + "/v1/schedules", headers=h, json={
            "name": "s", "cron": "0 6 * * *", "time_zone": "UTC", "queue": "q", "kind": "k"})
        sid = created.json()["schedule_id"]
        result: dict[str, Any] = {}
        with db.connect(autocommit=False) as blocker:
            # hold the schedule's row lock: the DELETE below waits on it, in flight
            blocker.execute("SELECT 1 FROM queue.schedules WHERE schedule_id = %s FOR UPDATE",
                            (sid,))

            def delete() -> None:
                result["resp"] = httpx.delete(f"{server.url}/v1/schedules/{sid}",
                                              headers={**h, "traceparent":
                                                       f"00-{TRACE}-00f067aa0ba902b7-01"},
                                              timeout=30)

            thread = threading.Thread(target=delete)
            thread.start()
            with db.connect() as watch:
                wait_for(lambda: watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = 'claw_runtime' "
                    "AND wait_event_type = 'Lock'").fetchone()[0] == 1)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            # the listening socket is closed: no new requests
            try:
                httpx.get(server.url + "/healthz", timeout=2)
                refused = False
            except httpx.TransportError:
                refused = True
            assert refused
            assert server.proc.poll() is None  # still draining
            blocker.rollback()
        thread.join(10)
        assert result["resp"].status_code == 204, result["resp"].text
        # uvicorn re-raises the signal it handled once it has shut down cleanly
        assert server.proc.wait(10) in (0, -signal.SIGTERM)
        assert "Waiting for connections to close" in server.log()
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    deleted = [x for x in lines if x.get("path") == f"/v1/schedules/{sid}"]
    assert deleted and deleted[0]["trace_id"] == TRACE and deleted[0]["status"] == 204
    assert all("trace_id" in x for x in lines if x.get("path"))


def _workers(pid: int) -> set[int]:
    """The server's worker processes (its Python children; spawn's resource tracker is one
    too, and holds no socket)."""
    kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
    return {int(k) for k in kids
            if "claw.http.server" not in open(f"/proc/{k}/cmdline").read().replace("\0", " ")
            and "resource_tracker" not in open(f"/proc/{k}/cmdline").read()}


def test_several_workers_share_the_socket_restart_and_drain(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    h = bearer(tenants["a"])
    with subprocess_server(db, CLAW_HTTP_WORKERS="2") as server:
        wait_for(lambda: len(_workers(server.proc.pid)) == 2)
        first = _workers(server.proc.pid)
        for _ in range(20):  # a fresh connection each: the kernel spreads them
            assert httpx.get(server.url + "/v1/whoami", headers=h).status_code == 200
        # a worker that dies is replaced; the server keeps answering meanwhile
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(_workers(server.proc.pid)) == 2
                 and victim not in _workers(server.proc.pid), timeout=20)
        for _ in range(5):
            assert httpx.get(server.url + "/v1/whoami", headers=h).status_code == 200
        assert "server worker exited; starting another" in server.log()
        workers = _workers(server.proc.pid)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(20) == 0
        for pid in workers:  # every worker drained and exited
            assert not os.path.exists(f"/proc/{pid}") or \
                open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_a_malformed_request_gets_a_problem_document_not_plain_text(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """Uvicorn answered a request it cannot parse (a broken request line, a bad
    Content-Length) itself, in text/plain, before the app saw it: the one error a client
    could get that is not an RFC 9457 problem document. The server's protocol now writes
    one (400 bad_request)."""
    import socket
    from urllib.parse import urlsplit

    db, _ = seeded
    with subprocess_server(db) as server:
        url = urlsplit(server.url)
        for raw in (b"NOT A REQUEST\r\n\r\n",
                    b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"):
            with socket.create_connection((url.hostname, url.port), timeout=5) as s:
                s.sendall(raw)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400"), data
            assert b"content-type: application/problem+json" in head.lower(), head
            doc = json.loads(body)
            assert doc["status"] == 400 and doc["type"].endswith("/bad_request"), doc
            assert doc["detail"], doc
