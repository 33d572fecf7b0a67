"""Where Claw finds its files and its database.

- `CLAW_ROOT`: the project tree holding sql/, migrations/, functions/, policies/
  (default: the checkout this package is installed from).
- `DATABASE_URL`: an owner/admin URL of an external PostgreSQL >= 16 with pgvector. When it
  is unset, Claw uses the embedded cluster under `CLAW_HOME` (default `<root>/.claw`) on
  `CLAW_PG_PORT` (default 54329).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from claw.cluster import EmbeddedCluster
from claw.errors import ClawSetupError

DEFAULT_PORT = 54329
DATABASE = "claw"

# Short names used on the command line -> role names in the database.
ROLES: dict[str, str] = {
    "owner": "claw_owner",
    "runtime": "claw_runtime",
    "worker": "claw_worker",
    "admin": "claw_admin",
    "auditor": "claw_auditor",
}
LOGIN_ROLES = ("claw_runtime", "claw_worker", "claw_admin", "claw_auditor")


def project_root() -> Path:
    env = os.environ.get("CLAW_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    root: Path
    database_url: str | None
    cluster: EmbeddedCluster

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def settings() -> Settings:
    root = project_root()
    home = Path(os.environ.get("CLAW_HOME", root / ".claw")).resolve()
    raw_port = os.environ.get("CLAW_PG_PORT") or str(DEFAULT_PORT)
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise ClawSetupError(f"CLAW_PG_PORT must be a TCP port number (1-65535), not {raw_port!r}")
    port = int(raw_port)
    url = os.environ.get("DATABASE_URL") or None
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        # a libpq key=value string would be taken apart as a URL: a role URL made from it
        # carried the administrator's password along
        raise ClawSetupError("DATABASE_URL must be a URL (postgresql://user:password@host:port"
                             "/database), not a key=value connection string")
    return Settings(root=root, database_url=url,
                    cluster=EmbeddedCluster(home=home, port=port))
