"""`claw demo`: the main job on the embedded default (or DATABASE_URL). For now: start the
database, migrate, check the roles, seed, and show what the runtime role can and cannot do,
then how to connect with psql. Later issues grow it (tenants, audit, queue, flows)."""

from __future__ import annotations

import psycopg

from claw import config, db
from claw.cli import run_migrate


def run_demo(cfg: config.Settings) -> int:
    print("== migrate")
    run_migrate(cfg)
    admin = db.admin_url(cfg)
    seed = cfg.root / "sql" / "demo_seed.sql"
    if seed.exists():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(seed.read_text().encode())
        print(f"== seeded from {seed.relative_to(cfg.root)}")

    print("== the runtime role (what applications connect as)")
    runtime = db.role_url(cfg, "runtime")
    with psycopg.connect(runtime, autocommit=True) as conn:
        version = conn.execute(
            "SELECT migration_id, applied_migrations FROM api.get_schema_version()").fetchone()
        print(f"api.get_schema_version() -> {version}")
        codes = conn.execute("SELECT sqlstate, name, http_status FROM api.list_error_codes()")
        print("api.list_error_codes() -> " + ", ".join(
            f"{s} {n} ({h})" for s, n, h in codes.fetchall()))
        try:
            conn.execute("SELECT count(*) FROM internal.error_codes")
            print("UNEXPECTED: runtime read internal.error_codes directly")
            return 1
        except psycopg.errors.InsufficientPrivilege as exc:
            print(f"direct table read refused as it must be: {exc.sqlstate} {exc.diag.message_primary}")

    print("== connect with psql")
    print("  .venv/bin/claw db psql                  # administrator")
    print("  .venv/bin/claw db psql --role admin     # read-only operator")
    print("  .venv/bin/claw db psql --role runtime   # what applications see")
    print(f"  psql \"$(.venv/bin/claw db url --role runtime)\"")
    if cfg.embedded:
        print(f"embedded PostgreSQL stays up on 127.0.0.1:{cfg.cluster.port}; stop it with: "
              ".venv/bin/claw db down")
    return 0
