"""Through a real PgBouncer in transaction mode, with one server connection shared by every
client: nothing of one client's tenant context survives into another client's transaction,
even when the first client deliberately copies its context into session-level settings that
the pooler hands on; and forged contexts still see nothing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from claw.cluster import as_cluster_user, chown_tree
from conftest import Database, Tenant

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def bouncer(seeded: tuple[Database, dict[str, Tenant]]) -> Iterator[tuple[str, dict[str, Tenant]]]:
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer is not installed (Debian package pgbouncer; setup.sh installs it)")
    db, tenants = seeded
    workdir = Path(tempfile.mkdtemp(prefix="claw-bouncer-"))
    os.chmod(workdir, 0o755)
    port = free_port()
    (workdir / "users.txt").write_text('"claw_runtime" ""\n')
    (workdir / "pgbouncer.ini").write_text(f"""
[databases]
{db.name} = host=127.0.0.1 port={db.cluster.port} dbname={db.name}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/users.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 50
server_reset_query =
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
""")
    chown_tree(workdir)
    proc = subprocess.Popen(as_cluster_user([PGBOUNCER, str(workdir / "pgbouncer.ini")]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"postgresql://claw_runtime@127.0.0.1:{port}/{db.name}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with psycopg.connect(url, prepare_threshold=None, connect_timeout=2):
                    break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    log = (workdir / "pgbouncer.log")
                    raise RuntimeError("pgbouncer did not start: "
                                       + (log.read_text() if log.exists() else ""))
                time.sleep(0.2)
        yield url, tenants
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def client(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, prepare_threshold=None)


def test_no_context_survives_the_pooler(bouncer: tuple[str, dict[str, Tenant]]) -> None:
    url, tenants = bouncer
    with client(url) as x, client(url) as y:
        with x.transaction():
            pid_x = x.execute("SELECT pg_backend_pid()").fetchone()
            x.execute("SELECT * FROM api.authenticate(%s)", (tenants["a"].api_key,))
            assert len(x.execute("SELECT * FROM api.list_principals()").fetchall()) == 4
            # a hostile or buggy client plants its context at session level
            x.execute("SELECT set_config('claw.ctx', current_setting('claw.ctx'), false), "
                      "set_config('claw.ctx_mac', current_setting('claw.ctx_mac'), false)")
        # y gets the same server connection, with x's session-level settings on it ...
        assert y.execute("SELECT pg_backend_pid()").fetchone() == pid_x
        leaked = y.execute("SELECT current_setting('claw.ctx', true)").fetchone()[0]
        assert tenants["a"].tenant_id in leaked
        # ... and still no tenant: not outside a transaction, not inside one
        assert y.execute("SELECT * FROM api.whoami()").fetchall() == []
        with y.transaction():
            assert y.execute("SELECT * FROM api.whoami()").fetchall() == []
            with pytest.raises(psycopg.Error) as info, y.transaction():
                y.execute("SELECT * FROM api.list_principals()")
            assert info.value.sqlstate == "CL401"
        # y's own authenticated transaction sees its tenant only, and leaves nothing for x
        with y.transaction():
            y.execute("SELECT * FROM api.authenticate(%s)", (tenants["b"].api_key,))
            tenant = y.execute("SELECT tenant_id::text FROM api.whoami()").fetchone()
            assert tenant == (tenants["b"].tenant_id,)
        assert x.execute("SELECT pg_backend_pid()").fetchone() == pid_x
        assert x.execute("SELECT * FROM api.whoami()").fetchall() == []


def test_forgery_through_the_pooler(bouncer: tuple[str, dict[str, Tenant]]) -> None:
    url, tenants = bouncer
    with client(url) as x:
        with x.transaction():
            x.execute("SELECT * FROM api.authenticate(%s)", (tenants["b"].api_key,))
            ctx, mac = x.execute("SELECT current_setting('claw.ctx'), "
                                 "current_setting('claw.ctx_mac')").fetchone()
        for _ in range(3):  # whichever transaction, the captured pair is dead
            with x.transaction():
                x.execute("SELECT pg_current_xact_id()")
                x.execute("SELECT set_config('claw.ctx', %s, true), "
                          "set_config('claw.ctx_mac', %s, true)", (ctx, mac))
                assert x.execute("SELECT * FROM api.whoami()").fetchall() == []
