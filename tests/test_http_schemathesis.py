"""schemathesis against the running server (bounded examples per operation): no 5xx, and
every response conforms to the OpenAPI document (status code, content type, schema).
bench/http_schemathesis.sh runs the same with many more examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import Database, Tenant, seed_ontology
from http_support import subprocess_server

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


def run_schemathesis(url: str, key: str, examples: int, timeout: float) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).parent / "schemathesis"
    return subprocess.run(
        [str(st), "run", f"{url}/openapi.json", "-H", f"Authorization: Bearer {key}",
         "--checks", CHECKS, "--max-examples", str(examples), "--seed", "1",
         "--exclude-path", "/v1/events", "--request-timeout", "20",
         "--suppress-health-check", "all", "--no-color"],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""})


def test_schemathesis_finds_no_5xx_and_no_schema_violation(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    seed_ontology(db, {"a": tenants["a"]})
    with subprocess_server(db, CLAW_HTTP_POOL_MAX="4") as server:
        proc = run_schemathesis(server.url, tenants["a"].api_key, 8, 600)
        log = server.log()
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert '"level": "error"' not in log, log[-4000:]
