"""The HTTP part of `claw demo`: start `claw serve` on a free port, make a few calls shown as
curl commands with their answers (one replayed by its Idempotency-Key, one problem
document), hold an event stream open while a job is enqueued, and find one request's trace
id in the server's JSON log and on the row it wrote. Then stop the server (SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2 as httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _curl(method: str, url: str, headers: dict[str, str], body: Any = None) -> str:
    parts = ["curl -si"] + ([f"-X {method}"] if method != "GET" else [])
    for k, v in headers.items():
        shown = v[:18] + "..." if k == "Authorization" else v
        parts.append(f"-H '{k}: {shown}'")
    if body is not None:  # without the type curl sends a form, which the API refuses (422)
        parts.append("-H 'Content-Type: application/json'")
        parts.append(f"-d '{json.dumps(body)}'")
    parts.append(url)
    return " ".join(parts)


def _show(resp: httpx.Response, headers: tuple[str, ...] = ()) -> None:
    print(f"   < HTTP/1.1 {resp.status_code}")
    for name in ("content-type", *headers):
        if name in resp.headers:
            print(f"   < {name}: {resp.headers[name]}")
    if resp.content:
        print("   " + json.dumps(resp.json(), separators=(", ", ": "))[:600])


def run(runtime_url: str, key: str, log_path: Path) -> int:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CLAW_HTTP_DATABASE_URL": runtime_url, "CLAW_HTTP_PORT": str(port),
           "CLAW_HTTP_POOL_MIN": "1", "CLAW_HTTP_SSE_KEEPALIVE": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "claw.http.server"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                print("   UNEXPECTED: the server did not start:\n" + log_path.read_text())
                return 1
            time.sleep(0.1)
        print(f"   claw serve is listening on {base} (OpenAPI: {base}/docs)")
        return _calls(base, key, log_path)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _calls(base: str, key: str, log_path: Path) -> int:
    auth = {"Authorization": f"Bearer {key}"}
    client = httpx.Client(base_url=base, timeout=10)

    print(f"   $ {_curl('GET', base + '/v1/whoami', auth)}")
    _show(client.get("/v1/whoami", headers=auth))

    # an event stream, open while the job is enqueued
    events: list[str] = []
    opened = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=base, timeout=10) as own, \
                own.stream("GET", "/v1/events", headers=auth) as resp:
            opened.set()
            for line in resp.iter_lines():
                if line.startswith(("id:", "event:", "data:")):
                    events.append(line)
                if line.startswith("data:") and "jobs.enqueued" in line:
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    opened.wait(10)

    trace = uuid.uuid4().hex
    idem = f"demo-{uuid.uuid4().hex[:12]}"
    headers = {**auth, "Idempotency-Key": idem, "traceparent": f"00-{trace}-{trace[:16]}-01"}
    body = {"queue": "demo.http", "kind": "demo.note", "payload": {"note": "from HTTP"}}
    print(f"   $ {_curl('POST', base + '/v1/jobs', headers, body)}")
    first = client.post("/v1/jobs", headers=headers, json=body)
    _show(first, ("x-trace-id", "ratelimit"))
    print("   the same request again (a client retrying after a timeout):")
    again = client.post("/v1/jobs", headers=headers, json=body)
    _show(again, ("idempotent-replayed",))
    if again.json() != first.json() or again.headers.get("idempotent-replayed") != "true":
        print("   UNEXPECTED: the retry was not a replay")
        return 1

    missing = uuid.uuid4()
    print(f"   $ {_curl('GET', f'{base}/v1/jobs/{missing}', auth)}")
    _show(client.get(f"/v1/jobs/{missing}", headers=auth))

    listener.join(10)
    print("   GET /v1/events (server-sent events, opened before the POST) received:")
    for line in events[-3:]:
        print(f"     {line[:160]}")
    job_id = first.json()["job_id"]
    row = client.get(f"/v1/jobs/{job_id}", headers=auth).json()
    logged = [line for line in log_path.read_text().splitlines() if trace in line]
    print(f"   trace id {trace} of the POST:")
    if logged:
        entry = json.loads(logged[0])
        print(f"     in the server's log: {entry['msg']} trace_id={entry['trace_id']}")
    print(f"     on the job row it wrote: GET /v1/jobs/{job_id} -> trace_id={row['trace_id']}")
    if row["trace_id"] != trace or not logged:
        print("   UNEXPECTED: the trace id did not reach the log and the row")
        return 1
    if not any("jobs.enqueued" in e for e in events):
        print("   UNEXPECTED: the event stream did not deliver jobs.enqueued")
        return 1
    return 0
