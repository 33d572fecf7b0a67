"""`claw migrate`: bootstrap (sql/NN_*.sql), pending yoyo migrations (migrations/), then every
routine and policy re-applied through yoyo's post-apply hook (migrations/post-apply.py ->
claw.routines.apply_routines), all as claw_owner. Idempotent: a second run applies no
migration and re-applies the routines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from yoyo import get_backend, read_migrations

from claw.config import LOGIN_ROLES

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


def migrate(admin_url: str, root: Path, passwords: dict[str, str] | None = None) -> MigrateResult:
    """Bring the database at admin_url up to date. `passwords` (embedded cluster only) sets
    the login roles' passwords."""
    from claw.routines import routine_files

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        try:
            for path in bootstrap_files(root):
                conn.execute(path.read_text().encode())
            for role in LOGIN_ROLES:
                if passwords and role in passwords:
                    conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(passwords[role])))
            backend = get_backend(yoyo_url(admin_url))
            try:
                migrations = read_migrations(str(root / "migrations"))
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
