"""`claw serve`: the edge on uvicorn, with graceful shutdown.

On SIGTERM or SIGINT uvicorn stops accepting connections and waits (up to
CLAW_HTTP_SHUTDOWN_GRACE seconds) for in-flight requests to finish; event streams, which
never finish by themselves, are told first (a `shutdown` event with the last event id) and
closed, so they do not hold up the drain. Then the pool closes.

With CLAW_HTTP_WORKERS = N > 1, a small supervisor (this module's _supervise; uvicorn's own
would run plain uvicorn servers, without the stream shutdown above) binds the socket once and
runs N server processes on it (one Python process uses at most one core), each with its own
pool of CLAW_HTTP_POOL_MAX connections; it restarts a worker that dies and, on SIGTERM or
SIGINT, closes its copy of the socket and passes the signal on: every worker drains as above.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from claw.http.app import begin_shutdown, create_app
from claw.http.problems import MEDIA_TYPE, Problem
from claw.http.settings import HttpSettings
from claw.http.telemetry import configure_logging


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol (httptools), answering a request it cannot parse (a broken
    request line, a bad Content-Length, an oversized header) with a problem document instead
    of its text/plain line: the app never sees such a request, and every error a client
    gets is RFC 9457 (tests/test_http_server.py)."""

    def send_400_response(self, msg: str) -> None:
        body = Problem(400, "bad_request", f"malformed HTTP request: {msg}",
                       hint="send a well-formed HTTP/1.1 request").body()
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: " + MEDIA_TYPE.encode() + b"\r\n"
                    b"content-length: " + str(len(body)).encode() + b"\r\n"
                    b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.claw_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        begin_shutdown(self.claw_app)
        await super().shutdown(sockets)


def _config(settings: HttpSettings, app: FastAPI | str) -> uvicorn.Config:
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None,
                          access_log=False, timeout_graceful_shutdown=settings.shutdown_grace,
                          lifespan="on", proxy_headers=False, server_header=False,
                          http=ProblemHttpToolsProtocol)


def _run(settings: HttpSettings, sockets: list[socket.socket] | None = None) -> bool:
    """One server process: the app, its pool, uvicorn on the given (or its own) socket."""
    configure_logging(settings.log_level)
    app = create_app(settings)
    server = Server(_config(settings, app), app)
    server.run(sockets=sockets)
    return server.started


def serve(settings: HttpSettings) -> int:
    if settings.workers <= 1:
        return 0 if _run(settings) else 1
    return _supervise(settings)


def _supervise(settings: HttpSettings) -> int:
    """CLAW_HTTP_WORKERS > 1: bind once, run that many server processes on the socket,
    restart one that dies, pass SIGTERM/SIGINT on and wait for every worker's drain."""
    configure_logging(settings.log_level)
    log = logging.getLogger("claw.http")
    sock = _config(settings, "claw.http.app:create_app").bind_socket()  # the address only
    spawn = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def start() -> multiprocessing.process.BaseProcess:
        proc = spawn.Process(target=_run, args=(settings, [sock]), daemon=False)
        proc.start()
        return proc

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    procs = [start() for _ in range(settings.workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            for i, proc in enumerate(procs):
                if not proc.is_alive() and not stopping:
                    log.error("server worker exited; starting another",
                              extra={"reason": f"pid {proc.pid} exit code {proc.exitcode}"})
                    procs[i] = start()
    finally:
        # the workers hold their own copies of the socket: once they have closed theirs on
        # SIGTERM, new connections are refused while in-flight requests drain
        sock.close()
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main() -> int:
    """`python -m claw.http.server`: serve with the environment's settings only
    (CLAW_HTTP_DATABASE_URL required); tests and benchmarks start it this way."""
    from claw.http.settings import from_env

    return serve(from_env())


if __name__ == "__main__":
    raise SystemExit(main())
