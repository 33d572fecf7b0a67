"""docker-compose.yml cannot run here (no Docker engine); this checks its shape: PostgreSQL 18
with pgvector from the official pgvector image, a healthcheck, and a one-shot migrate service
that waits for the healthy database and runs `claw migrate` against it."""

from __future__ import annotations

from typing import Any

import yaml

from conftest import ROOT


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_database_service() -> None:
    db = compose()["services"]["db"]
    image = db["image"]
    assert image.startswith("pgvector/pgvector:pg18"), image
    check = db["healthcheck"]
    assert "pg_isready" in " ".join(check["test"])
    assert check["retries"] >= 5
    env = db["environment"]
    assert env["POSTGRES_DB"] == "claw"
    assert any(v.endswith(":/var/lib/postgresql") for v in db["volumes"])
    assert "autovacuum_naptime=1s" in db["command"]


def test_migrate_service() -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["claw", "migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"
    url = migrate["environment"]["DATABASE_URL"]
    db_env = services["db"]["environment"]
    assert url.startswith(f"postgresql://{db_env['POSTGRES_USER']}:")
    assert url.endswith(f"@db:5432/{db_env['POSTGRES_DB']}")
    assert db_env["POSTGRES_PASSWORD"] in url
    # the image it builds installs the pinned dependencies and Claw itself
    dockerfile = (ROOT / migrate["build"] / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    assert "CLAW_ROOT=/app" in dockerfile
