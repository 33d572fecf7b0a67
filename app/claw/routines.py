"""Re-applying the stateless objects: functions/ then policies/, in one fixed order.

State (tables, columns, indexes) changes only through migrations; routines (functions,
trigger functions, triggers, views) and policies (RLS policies, grants) are files edited in
place and re-applied by every `claw migrate`, inside yoyo's post-apply transaction.

Order: functions/<schema>/*.sql for the schemas in SCHEMA_ORDER (then any other schema,
alphabetically), files alphabetically within a schema; then policies/<schema>.sql in the same
schema order. A schema's routines may use those of schemas before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claw.config import project_root

SCHEMA_ORDER = (
    "internal", "audit", "tenancy", "authz", "ontology", "governance", "queue", "flow",
    "events", "edge",
    "llm", "connect", "messaging", "admin", "api",
)


def _schema_key(name: str) -> tuple[int, str]:
    return (SCHEMA_ORDER.index(name) if name in SCHEMA_ORDER else len(SCHEMA_ORDER), name)


def routine_files(root: Path | None = None) -> list[Path]:
    """Every routine and policy file, in the order they are applied."""
    root = root or project_root()
    functions = root / "functions"
    files: list[Path] = []
    if functions.is_dir():
        for schema_dir in sorted((d for d in functions.iterdir() if d.is_dir()),
                                 key=lambda d: _schema_key(d.name)):
            files.extend(sorted(schema_dir.glob("*.sql")))
    policies = root / "policies"
    if policies.is_dir():
        files.extend(sorted(policies.glob("*.sql"), key=lambda p: _schema_key(p.stem)))
    return files


def apply_routines(conn: Any) -> None:
    """yoyo step: execute every routine file on the migration connection (as claw_owner,
    inside yoyo's transaction). Any error aborts the whole re-apply."""
    root = project_root()
    with conn.cursor() as cur:
        # Function bodies may refer to objects created later in the order (pg_dump does
        # the same); views and policies are still checked when they are created.
        cur.execute("SET LOCAL check_function_bodies = off")
        for path in routine_files(root):
            sql = path.read_text()
            try:
                cur.execute(sql)
            except Exception as exc:
                exc.add_note(f"while applying {path.relative_to(root)}")
                raise
