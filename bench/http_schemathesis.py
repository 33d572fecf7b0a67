"""schemathesis against `claw serve` at a larger scale than the suite's test
(tests/test_http_schemathesis.py runs 8 examples per operation):

    .venv/bin/python bench/http_schemathesis.py [--examples 200]

Scratch database `claw_bench_st` on Claw's server, two tenants seeded as in bench/http_bench.py;
every operation but the event stream, all phases (examples, coverage, fuzzing, stateful).
Target: zero 5xx responses and zero schema violations (exit status 0)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import auditor_url, free_port, scratch_with_logins, seed, start_server  # noqa: E402

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=200)
    args = parser.parse_args()
    name = "claw_bench_st"
    admin, runtime = scratch_with_logins(name)
    keys = seed(admin, runtime, 2)
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="claw-st-"))
    server = start_server(runtime, port, workdir / "server.log", auditor_url(name))
    try:
        st = Path(sys.executable).parent / "schemathesis"
        proc = subprocess.run(
            [str(st), "run", f"http://127.0.0.1:{port}/openapi.json", "-H",
             f"Authorization: Bearer {keys[0]}", "--checks", CHECKS, "--max-examples",
             str(args.examples), "--exclude-path", "/v1/events", "--request-timeout", "20",
             "--suppress-health-check", "all", "--no-color"])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    errors = [line for line in (workdir / "server.log").read_text().splitlines()
              if '"level": "error"' in line]
    print(f"schemathesis exit {proc.returncode}; server error log lines: {len(errors)}")
    return proc.returncode or (1 if errors else 0)


if __name__ == "__main__":
    raise SystemExit(main())
