"""`claw demo`: Claw's main job on the embedded default (or DATABASE_URL), end to end:
start and migrate the database, check the roles, provision two tenants, act as an
application (runtime role, API key), show what an attacker holding the runtime role can and
cannot do, then verify the audit ledger and write a checkpoint. Later issues grow it."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import psycopg

from claw import audit, config, db
from claw.cli import run_migrate

DEMO_KEY_SQL = """
SELECT internal.set_context(t.tenant_id, NULL, '{system}'),
       (tenancy.issue_api_key(m.principal_id, 'demo ' || clock_timestamp()::text, '{*}',
                              now() + interval '1 hour')).api_key
FROM tenancy.tenants t
JOIN tenancy.memberships m ON m.tenant_id = t.tenant_id AND m.role = 'owner'
WHERE t.slug = %s
ORDER BY m.created_at LIMIT 1
"""


def issue_demo_key(admin: str, slug: str) -> str:
    with psycopg.connect(admin) as conn:  # one transaction: context and key together
        row = conn.execute(DEMO_KEY_SQL, (slug,)).fetchone()
    assert row is not None
    return str(row[1])


def show(rows: list[tuple[Any, ...]]) -> str:
    return "\n".join("    " + " | ".join(str(v) for v in r) for r in rows)


def demo_queue(cfg: config.Settings, admin: str, runtime: str, key: str) -> int:
    """A schedule (06:00 every day in Sydney) fires into the queue and a worker runs it: the
    clock jumps to the fire instant (internal.clock, the injectable clock) and back."""
    import asyncio

    from claw.worker import Worker, builtin_handlers, configure_logging

    print("== a schedule fires into the queue, a worker runs it")
    with psycopg.connect(admin, autocommit=True) as conn:
        # a demo killed during its clock jump (before this fix: a hang-up) left the clock
        # moved, and every later demo moved it a day further: start from the real time
        conn.execute("UPDATE internal.clock SET offset_by = interval '0' "
                     "WHERE offset_by <> interval '0'")
    with psycopg.connect(runtime, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
        conn.execute(
            "SELECT * FROM api.create_schedule(p_name => 'daily-summary', p_cron => '0 6 * * *', "
            "p_time_zone => 'Australia/Sydney', p_queue => 'default', p_kind => 'demo.report') "
            "WHERE NOT EXISTS (SELECT 1 FROM api.list_schedules() WHERE name = 'daily-summary')")
        sched_id, fire = conn.execute(
            "SELECT schedule_id, next_fire_at FROM api.list_schedules() "
            "WHERE name = 'daily-summary'").fetchone()  # type: ignore[misc]
    print(f"   acme-plumbing's schedule daily-summary: cron '0 6 * * *' in Australia/Sydney; next "
          f"fire {fire:%Y-%m-%d %H:%M} UTC")
    with psycopg.connect(admin, autocommit=True) as conn:
        local = conn.execute("SELECT (%s::timestamptz AT TIME ZONE 'Australia/Sydney')::text",
                             (fire,)).fetchone()
        print(f"   = {local[0] if local else '?'} in Sydney; jumping the clock there")
        conn.execute("UPDATE internal.clock SET offset_by = %s::timestamptz - now() "
                     "+ interval '1 second'", (fire,))

    def _leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # through the finally below: the clock goes back

    previous = {sig: signal.signal(sig, _leave) for sig in (signal.SIGHUP, signal.SIGTERM)}
    try:
        configure_logging()
        worker = Worker(db.role_url(cfg, "worker"), queues=["default"], concurrency=4,
                        poll_interval=0.2, grace=2.0)
        builtin_handlers(worker)

        async def run() -> None:
            asyncio.get_running_loop().call_later(3.0, worker.stop)
            await worker.run()

        asyncio.run(run())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("UPDATE internal.clock SET offset_by = interval '0'")
    with psycopg.connect(runtime, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
        nxt = conn.execute("SELECT next_fire_at, last_fired_at FROM api.list_schedules() "
                           "WHERE schedule_id = %s", (sched_id,)).fetchone()
    print(f"   the worker completed {worker.completed} job(s); the schedule fires next at "
          f"{nxt[0]:%Y-%m-%d %H:%M} UTC" if nxt else "")
    if worker.completed < 1:
        print("   UNEXPECTED: the scheduled job did not run")
        return 1
    print("   run your own: .venv/bin/claw worker --queue default   (stop with Ctrl-C)")
    return 0


def run_demo(cfg: config.Settings) -> int:
    print("== migrate")
    run_migrate(cfg)
    if not cfg.embedded and os.environ.get("CLAW_DEMO_EXTERNAL") != "yes":
        # the demo seeds two tenants and moves the database-wide clock (internal.clock) to
        # fire a schedule: never on someone's real server by accident
        print("claw demo: DATABASE_URL names an external server; the demo would seed demo "
              "tenants there and move its clock (internal.clock) for every tenant. Set "
              "CLAW_DEMO_EXTERNAL=yes to run it there anyway.", file=sys.stderr)
        return 2
    admin = db.admin_url(cfg)
    seed = cfg.root / "sql" / "demo_seed.sql"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(seed.read_text().encode())
    print(f"== seeded tenants acme-plumbing and bright-salon ({seed.relative_to(cfg.root)})")
    key_a = issue_demo_key(admin, "acme-plumbing")
    key_b = issue_demo_key(admin, "bright-salon")
    print(f"   issued a 1-hour API key for each: {key_a[:20]}... (secret shown once)")

    runtime = db.role_url(cfg, "runtime")
    print("== an application (claw_runtime) acting for acme-plumbing")
    with psycopg.connect(runtime, autocommit=True) as conn:
        with conn.transaction():
            who = conn.execute("SELECT tenant_id, roles FROM api.authenticate(p_api_key => %s)",
                               (key_a,)).fetchone()
            print(f"   api.authenticate -> tenant {who[0]}, roles {who[1]}")  # type: ignore[index]
            conn.execute("SELECT api.create_principal(p_kind => 'agent', p_handle => %s, "
                         "p_display_name => 'Dispatch agent', p_roles => '{operator}') "
                         "WHERE NOT EXISTS (SELECT 1 FROM api.list_principals() WHERE handle = %s)",
                         ("dispatch-agent", "dispatch-agent"))
            rows = conn.execute("SELECT handle, kind, roles FROM api.list_principals()").fetchall()
            print("   api.list_principals():\n" + show(rows))
        print("   after COMMIT, api.whoami() -> "
              f"{conn.execute('SELECT * FROM api.whoami()').fetchall()} (no context remains)")

    print("== an attacker with the runtime role (say, through SQL injection)")
    with psycopg.connect(runtime, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key_b,))
            ctx, mac = conn.execute("SELECT current_setting('claw.ctx'), "
                                    "current_setting('claw.ctx_mac')").fetchone()  # type: ignore[misc]
        with conn.transaction():
            conn.execute("SELECT set_config('claw.ctx', %s, true), set_config('claw.ctx_mac', %s, true)",
                         (ctx, mac))
            print("   replays bright-salon's context in a new transaction: api.whoami() -> "
                  f"{conn.execute('SELECT * FROM api.whoami()').fetchall()}")
        for sql in ("SELECT count(*) FROM tenancy.principals", "SELECT count(*) FROM audit.events"):
            try:
                conn.execute(sql)
                print(f"   UNEXPECTED: {sql} succeeded")
                return 1
            except psycopg.errors.InsufficientPrivilege as exc:
                print(f"   {sql} -> {exc.sqlstate} {exc.diag.message_primary}")

    rc = demo_queue(cfg, admin, runtime, key_a)
    if rc:
        return rc

    print("== a durable flow: wait for an approval, send one SMS, survive kill -9 mid-call")
    from claw.flows import demo as flow_demo

    rc = flow_demo.run(runtime, db.role_url(cfg, "worker"), key_a)
    if rc:
        print("   UNEXPECTED: the SMS was not delivered exactly once")
        return rc

    print("== the ontology, a permission check and a permission-aware hybrid search")
    from claw import demo_ontology

    rc = demo_ontology.run(runtime, key_a)
    if rc:
        return rc

    print("== LLM calls: routed with a fallback, ledgered, budgeted, refused over budget, evaluated")
    from claw.llm import demo as llm_demo

    rc = llm_demo.run(runtime, key_a, cfg.root)
    if rc:
        return rc

    print("== the HTTP API: claw serve")
    from claw.http import demo as http_demo

    rc = http_demo.run(runtime, key_a, cfg.cluster.home / "http-demo.log" if cfg.embedded
                       else Path("http-demo.log"))
    if rc:
        return rc

    print("== the audit ledger")
    checkpoint = cfg.cluster.home / "audit-checkpoint.json" if cfg.embedded else None
    if checkpoint is not None:  # against the previous demo's checkpoint, kept if it fails
        rc = audit.verify_and_checkpoint(admin, checkpoint)
    else:
        rc = audit.run_verify(admin, None)

    print("== connect with psql")
    print("  .venv/bin/claw db psql                  # administrator")
    print("  .venv/bin/claw db psql --role runtime   # what applications see")
    print("  .venv/bin/claw db psql --role auditor -c 'select * from audit.verify_chains()'")
    if cfg.embedded:
        print(f"embedded PostgreSQL stays up on 127.0.0.1:{cfg.cluster.port}; stop it with: "
              ".venv/bin/claw db down")
    return rc
