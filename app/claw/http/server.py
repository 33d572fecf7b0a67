"""`claw serve`: the edge on uvicorn, with graceful shutdown.

On SIGTERM or SIGINT uvicorn stops accepting connections and waits (up to
CLAW_HTTP_SHUTDOWN_GRACE seconds) for in-flight requests to finish; event streams, which
never finish by themselves, are told first (a `shutdown` event with the last event id) and
closed, so they do not hold up the drain. Then the pool closes.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from claw.http.app import begin_shutdown, create_app
from claw.http.settings import HttpSettings
from claw.http.telemetry import configure_logging


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.claw_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        begin_shutdown(self.claw_app)
        await super().shutdown(sockets)


def serve(settings: HttpSettings) -> int:
    configure_logging(settings.log_level)
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None,
                            access_log=False, timeout_graceful_shutdown=settings.shutdown_grace,
                            lifespan="on", proxy_headers=False, server_header=False)
    server = Server(config, app)
    server.run()
    return 0 if server.started else 1


def main() -> int:
    """`python -m claw.http.server`: serve with the environment's settings only
    (CLAW_HTTP_DATABASE_URL required); tests and benchmarks start it this way."""
    from claw.http.settings import from_env

    return serve(from_env())


if __name__ == "__main__":
    raise SystemExit(main())
