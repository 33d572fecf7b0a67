"""Connections: the administrator URL (embedded cluster or DATABASE_URL) and per-role URLs,
plus the start-up safety check every long-running Claw process runs first."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg

from claw.cluster import SUPERUSER
from claw.config import DATABASE, ROLES, Settings
from claw.errors import ClawSetupError


def admin_url(cfg: Settings) -> str:
    """The URL migrations and administration connect with."""
    if cfg.database_url:
        return cfg.database_url
    return cfg.cluster.url(SUPERUSER, DATABASE)


def role_url(cfg: Settings, role: str) -> str:
    """The URL of one Claw role (`runtime`, `worker`, `admin`, `auditor`), or the
    administrator URL for `superuser`/`owner` (owner cannot log in: connect as the
    administrator and SET ROLE claw_owner)."""
    if role in ("superuser", "owner"):
        return admin_url(cfg)
    if role not in ROLES:
        raise ClawSetupError(f"unknown role {role!r}; one of: {', '.join(ROLES)}, superuser")
    name = ROLES[role]
    if not cfg.database_url:
        return cfg.cluster.url(name, DATABASE)
    # External server: same host and database, that role, no password (the operator sets
    # it; pass it with PGPASSWORD or a ~/.pgpass entry).
    parts = urlsplit(cfg.database_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(name)}@{host}" + (f":{parts.port}" if parts.port else "")
    # the administrator's credentials stay out of a role's URL, in the query string too
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k not in ("user", "password", "passfile")])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def role_safety_problems(url: str) -> list[tuple[str, str]]:
    """The problems internal.role_safety_problems() reports (none before the first migrate,
    when the function does not exist yet)."""
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT to_regprocedure('internal.role_safety_problems()') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return []
        rows = conn.execute(
            "SELECT role_name, problem FROM internal.role_safety_problems()").fetchall()
    return [(r[0], r[1]) for r in rows]


def ensure_safe_roles(url: str) -> None:
    """Refuse to go on when a runtime or worker role could escape Row-Level Security."""
    problems = role_safety_problems(url)
    if problems:
        lines = "\n".join(f"  - {role} {problem}" for role, problem in problems)
        raise ClawSetupError(
            "Claw refuses to start: roles that act for applications and workers must be "
            "bound by Row-Level Security.\n" + lines + "\nFix the roles (for example "
            "ALTER ROLE claw_runtime NOBYPASSRLS NOSUPERUSER; ALTER TABLE ... OWNER TO "
            "claw_owner) and start again.")
