"""Helpers for the HTTP edge's tests: the app in-process (Starlette's TestClient runs its
lifespan and event loop in a thread) or `python -m claw.http.server` as a subprocess on a
free port, both against a fresh test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from claw.http.app import create_app
from claw.http.settings import HttpSettings
from conftest import ROOT, Database, Tenant


def settings_for(db: Database, **kw: Any) -> HttpSettings:
    base: dict[str, Any] = {"database_url": db.url("claw_runtime"),
                            "auditor_url": db.url("claw_auditor"), "pool_min": 1,
                            "pool_max": 8, "sse_keepalive": 0.5}
    base.update(kw)
    return HttpSettings(**base)


def bearer(t: Tenant | str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t if isinstance(t, str) else t.api_key}"}


@dataclass
class Api:
    client: TestClient
    db: Database
    tenants: dict[str, Tenant]

    def as_(self, name: str) -> dict[str, str]:
        return bearer(self.tenants[name])


@contextmanager
def in_process(db: Database, tenants: dict[str, Tenant], **kw: Any) -> Iterator[Api]:
    app = create_app(settings_for(db, **kw))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, db, tenants)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    url: str
    log_path: str

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()


@contextmanager
def subprocess_server(db: Database, **env: str) -> Iterator[ServerProcess]:
    port = free_port()
    log_path = f"/tmp/claw-http-{port}.log"
    full_env = {**os.environ, "CLAW_HTTP_DATABASE_URL": db.url("claw_runtime"),
                "CLAW_HTTP_AUDITOR_URL": db.url("claw_auditor"),
                "CLAW_HTTP_PORT": str(port), "CLAW_HTTP_POOL_MIN": "1",
                "CLAW_HTTP_SSE_KEEPALIVE": "0.5", **env}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "claw.http.server"], env=full_env,
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
    server = ServerProcess(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + server.log())
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        os.unlink(log_path) if os.path.exists(log_path) else None
