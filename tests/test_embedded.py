"""The embedded default, end to end through the CLI, in a scratch CLAW_HOME on a free port:
`claw db status/up/url/psql/down` and `claw demo` (the README's first command). As root this
exercises the unprivileged cluster user and setpriv."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import psycopg
import pytest

from conftest import migration_ids, run_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def claw_env() -> Iterator[dict[str, str]]:
    home = tempfile.mkdtemp(prefix="claw-home-")
    os.chmod(home, 0o755)  # the cluster user must reach it when we are root
    env = {"CLAW_HOME": home, "CLAW_PG_PORT": str(free_port()), "DATABASE_URL": ""}
    try:
        yield env
    finally:
        run_cli("db", "down", env=env)
        shutil.rmtree(home, ignore_errors=True)


def test_embedded_lifecycle_and_demo(claw_env: dict[str, str]) -> None:
    status = run_cli("db", "status", env=claw_env)
    assert status.returncode == 3 and "not initialised" in status.stdout

    demo = run_cli("demo", env=claw_env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "the provider delivered 1 SMS" in demo.stdout  # the flow survived kill -9 mid-call
    assert f"applied {len(migration_ids())} migration(s)" in demo.stdout
    assert "SELECT count(*) FROM tenancy.principals -> 42501" in demo.stdout
    assert "api.whoami() -> [] (no context remains)" in demo.stdout
    assert "audit ledger intact: 2 chain(s)" in demo.stdout
    # the schedule fired into the queue and the worker ran its job inside the tenant
    assert "the worker completed 1 job(s)" in demo.stdout, demo.stdout + demo.stderr
    assert "may user:alice view Smith's invoice? allowed" in demo.stdout, demo.stdout
    assert "may user:bob view it? denied" in demo.stdout
    assert "through api.is_permitted (yes or no, no explanation): allowed, denied" in demo.stdout
    assert "search results outside what each user may see: 0" in demo.stdout
    assert "-> rate_limited (429" in demo.stdout and "fell back to claude-haiku-4-5" in demo.stdout
    assert "remaining" in demo.stdout and "refused before sending: CL429" in demo.stdout
    assert "eval dispatch-summary: score 1.000 (5/5 passed" in demo.stdout
    assert "demo.report ran" in demo.stderr
    # the HTTP API: a replay by idempotency key, a problem document, an event, a trace id
    assert "< idempotent-replayed: true" in demo.stdout, demo.stdout
    assert "< content-type: application/problem+json" in demo.stdout
    assert "event: jobs.enqueued" in demo.stdout
    trace = re.search(r"trace id ([0-9a-f]{32}) of the POST", demo.stdout)
    assert trace, demo.stdout
    assert f"in the server's log: POST /v1/jobs 201 trace_id={trace[1]}" in demo.stdout
    assert f"-> trace_id={trace[1]}" in demo.stdout

    status = run_cli("db", "status", env=claw_env)
    assert status.returncode == 0 and "running" in status.stdout

    # a second demo finds nothing to apply and still succeeds
    again = run_cli("demo", env=claw_env)
    assert again.returncode == 0 and "no pending migrations" in again.stdout
    assert "audit ledger intact against" in again.stdout  # the first run's checkpoint

    url = run_cli("db", "url", "--role", "runtime", env=claw_env).stdout.strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("claw_runtime",)
    # passwords are required: the same URL without the password is refused
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url.replace(url.split("@")[0].split(":")[-1] + "@", "wrong@"))

    psql = run_cli("db", "psql", "--role", "admin", "-tAc", "SELECT current_user", env=claw_env)
    assert psql.returncode == 0 and psql.stdout.strip() == "claw_admin", psql.stderr

    down = run_cli("db", "down", env=claw_env)
    assert down.returncode == 0
    status = run_cli("db", "status", env=claw_env)
    assert status.returncode == 3 and "stopped" in status.stdout

    # a postmaster.pid left by a crash whose PID now belongs to another process: `db up`
    # starts the server (no 30 s wait on a server that is not there) ...
    pidfile = os.path.join(claw_env["CLAW_HOME"], "pgdata", "postmaster.pid")
    with stale_pid_file(pidfile) as bystander:
        up = run_cli("db", "up", env=claw_env, timeout=60)
        assert up.returncode == 0, up.stdout + up.stderr
        assert bystander.poll() is None
    # ... and a later CLAW_PG_PORT wins over the one written at initdb
    run_cli("db", "down", env=claw_env)
    moved = {**claw_env, "CLAW_PG_PORT": str(free_port())}
    up = run_cli("db", "up", env=moved, timeout=60)
    assert up.returncode == 0, up.stdout + up.stderr
    status = run_cli("db", "status", env=moved)
    assert status.returncode == 0 and f"127.0.0.1:{moved['CLAW_PG_PORT']}" in status.stdout
    url = run_cli("db", "url", env=moved).stdout.strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("SHOW port").fetchone() == (moved["CLAW_PG_PORT"],)
    # the server keeps the port it was started on: status says which, not the variable's
    status = run_cli("db", "status", env=claw_env)
    assert status.returncode == 0 and f"127.0.0.1:{moved['CLAW_PG_PORT']}" in status.stdout
    assert run_cli("db", "down", env=moved).returncode == 0


@contextlib.contextmanager
def stale_pid_file(pidfile: str) -> Iterator[subprocess.Popen[bytes]]:
    """A postmaster.pid naming a live process that is not this cluster's postmaster."""
    bystander = subprocess.Popen(["sleep", "120"])
    try:
        with open(pidfile, "w") as fh:
            fh.write(f"{bystander.pid}\n{os.path.dirname(pidfile)}\n1700000000\n5432\n"
                     "/tmp\n127.0.0.1\n  1234567     0\nready   \n")
        yield bystander
    finally:
        alive = bystander.poll() is None
        bystander.kill()
        bystander.wait()
        assert alive, "a process that was not the postmaster was signalled"


def test_a_stale_pid_file_is_not_a_running_server(claw_env: dict[str, str]) -> None:
    """A pid file whose PID belongs to another process: status says stopped and `db down`
    never signals that process."""
    pgdata = os.path.join(claw_env["CLAW_HOME"], "pgdata")
    os.makedirs(pgdata)
    with open(os.path.join(pgdata, "PG_VERSION"), "w") as fh:
        fh.write("18\n")
    with stale_pid_file(os.path.join(pgdata, "postmaster.pid")):
        status = run_cli("db", "status", env=claw_env)
        assert status.returncode == 3 and "stopped" in status.stdout, status.stdout
        down = run_cli("db", "down", env=claw_env)
        assert down.returncode == 0, down.stderr


def test_a_lost_credentials_file_is_a_clear_error_not_a_new_password(
        claw_env: dict[str, str]) -> None:
    """credentials.json gone while the cluster exists: a fresh superuser password would match
    nothing (migrate retried for 30 s, then saved it); now a clear error and no new file."""
    pgdata = os.path.join(claw_env["CLAW_HOME"], "pgdata")
    os.makedirs(pgdata)
    with open(os.path.join(pgdata, "PG_VERSION"), "w") as fh:
        fh.write("18\n")
    proc = run_cli("db", "url", env=claw_env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith("claw: ") and "restore that file" in proc.stderr, proc.stderr
    assert not os.path.exists(os.path.join(claw_env["CLAW_HOME"], "credentials.json"))


@pytest.mark.parametrize("setting", ["port", "home"])
def test_bad_settings_are_a_clear_error(claw_env: dict[str, str], setting: str) -> None:
    env = dict(claw_env)
    if setting == "port":
        env["CLAW_PG_PORT"] = "abc"
    else:
        blocker = os.path.join(env["CLAW_HOME"], "a-file")
        open(blocker, "w").close()
        env["CLAW_HOME"] = os.path.join(blocker, "home")
    proc = run_cli("db", "up", env=env)
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr[-600:]
    assert proc.stderr.startswith("claw: "), proc.stderr
    if setting == "port":
        assert "CLAW_PG_PORT" in proc.stderr
