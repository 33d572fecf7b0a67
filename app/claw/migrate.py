"""`claw migrate`: bootstrap (sql/NN_*.sql), pending yoyo migrations (migrations/), then every
routine and policy re-applied through yoyo's post-apply hook (migrations/post-apply.py ->
claw.routines.apply_routines), all as claw_owner. Idempotent: a second run applies no
migration and re-applies the routines."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from yoyo import get_backend, read_migrations

from claw.config import LOGIN_ROLES
from claw.errors import ClawSetupError

# Serialises concurrent `claw migrate` runs on one database (bootstrap included).
MIGRATE_LOCK_KEY = 0x636C6177  # 'claw'


@dataclass(frozen=True)
class MigrateResult:
    applied: list[str]
    routines: int
    migration_id: str | None
    applied_migrations: int


def bootstrap_files(root: Path) -> list[Path]:
    return sorted((root / "sql").glob("[0-9][0-9]_*.sql"))


def yoyo_url(admin_url: str) -> str:
    """yoyo's URL for the admin connection: psycopg 3 driver, bookkeeping in
    claw_migrations, and every statement run as claw_owner (role set at connect)."""
    parts = urlsplit(admin_url)
    query = dict(parse_qsl(parts.query))
    query["schema"] = "claw_migrations"
    query["options"] = (query.get("options", "") + " -c role=claw_owner").strip()
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, urlencode(query), ""))


def refuse_newer_database(conn: psycopg.Connection[Any], known: set[str]) -> None:
    """Refuse a database that holds applied migrations this checkout does not know (a newer
    release migrated it): re-applying this checkout's routines would silently downgrade
    them over the newer tables."""
    if conn.execute("SELECT to_regclass('claw_migrations._yoyo_migration')").fetchone() == (None,):
        return  # a first install
    applied = [r[0] for r in conn.execute(
        "SELECT migration_id FROM claw_migrations._yoyo_migration ORDER BY applied_at_utc")]
    # only ids after this checkout's newest are a newer release's: an unknown id before it
    # is one this project renamed or folded into another (0027_authz_decide_in_tenant and
    # 0028_time_zone_abbreviations were, in an earlier release), which a database migrated
    # back then still lists
    newest = max(known, default="")
    unknown = [m for m in applied if m not in known and m > newest]
    if unknown:
        raise ClawSetupError(
            f"database is newer than this checkout: it has applied migration(s) "
            f"{', '.join(unknown)} that this checkout does not have; run `claw migrate` "
            "from the release that applied them (nothing was changed)")


def break_stale_lock(backend: Any) -> None:
    """Remove yoyo's lock row left by a killed `claw migrate`. Every run holds
    MIGRATE_LOCK_KEY before it takes yoyo's lock, so a row present now belongs to no live
    run; left in place, every later run would wait 10 s and fail with yoyo's LockTimeout."""
    backend.create_lock_table()
    row = backend.execute(f"SELECT pid, ctime FROM {backend.lock_table_quoted}").fetchone()
    backend.connection.commit()
    if row is not None:
        print(f"claw: breaking a stale yoyo lock (pid {row[0]}, taken {row[1]} UTC) left by "
              "an interrupted migrate", file=sys.stderr)
        backend.break_lock()


def migrate(admin_url: str, root: Path, passwords: dict[str, str] | None = None) -> MigrateResult:
    """Bring the database at admin_url up to date. `passwords` (embedded cluster only) sets
    the login roles' passwords."""
    from claw.routines import routine_files

    migrations = read_migrations(str(root / "migrations"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        try:
            refuse_newer_database(conn, {m.id for m in migrations})
            for path in bootstrap_files(root):
                conn.execute(path.read_text().encode())
            for role in LOGIN_ROLES:
                if passwords and role in passwords:
                    conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(passwords[role])))
            backend = get_backend(yoyo_url(admin_url))
            try:
                break_stale_lock(backend)
                with backend.lock():
                    pending = backend.to_apply(migrations)
                    backend.apply_migrations_only(pending)
                    backend.run_post_apply(migrations)
            finally:
                backend.connection.close()
            row = conn.execute(
                "SELECT migration_id, applied_migrations FROM api.get_schema_version()"
            ).fetchone()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))
    return MigrateResult(applied=[m.id for m in pending], routines=len(routine_files(root)),
                         migration_id=row[0] if row else None,
                         applied_migrations=row[1] if row else 0)
