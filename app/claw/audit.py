"""`claw audit verify [--digest FILE]` and `claw audit checkpoint [--out FILE]`: thin callers of
audit.verify_chains, audit.checkpoint and audit.verify_digest (functions/audit/verify.sql)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from claw.errors import ClawSetupError


def checkpoint(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT audit.checkpoint()").fetchone()
    assert row is not None
    digest: dict[str, Any] = row[0]
    return digest


def write_checkpoint(url: str, out: Path) -> dict[str, Any]:
    digest = checkpoint(url)
    out.write_text(json.dumps(digest, indent=2, sort_keys=True) + "\n")
    return digest


def root_problem(digest: Any, published: str | None) -> list[tuple[Any, ...]]:
    """A digest is only as good as its root: one edited consistently (a tenant's head
    dropped, the root recomputed) verifies against itself, so its root must be the one
    published when it was written."""
    root = digest.get("root") if isinstance(digest, dict) else None
    if published is None or (isinstance(root, str) and root == published.strip().lower()):
        return []
    return [(None, None, f"the digest's root {root} is not the published root {published}")]


def verify(url: str, digest_file: Path | None = None,
           published_root: str | None = None) -> tuple[list[tuple[Any, ...]],
                                                        list[tuple[Any, ...]]]:
    """(chains, problems): every chain's status, and the problems found (broken links, and
    with a digest, anything that shows the ledger no longer extends it, and a root other
    than the published one)."""
    if published_root is not None and digest_file is None:
        raise ClawSetupError("--root names the published root of a checkpoint: pass the "
                             "checkpoint with --digest too")
    with psycopg.connect(url, autocommit=True) as conn:
        chains = conn.execute(
            "SELECT tenant_id, events, head_seq, ok, first_bad_seq, problem "
            "FROM audit.verify_chains()").fetchall()
        if digest_file is None:
            problems = [(c[0], c[4], c[5]) for c in chains if not c[3]]
        else:
            try:
                digest = json.loads(digest_file.read_text())
            except json.JSONDecodeError as exc:
                raise ClawSetupError(f"{digest_file} is not a checkpoint (JSON): {exc}") from exc
            try:
                problems = conn.execute(
                    "SELECT tenant_id, seq, problem FROM audit.verify_digest(%s::jsonb)",
                    (json.dumps(digest),)).fetchall()
            except psycopg.Error as exc:
                if exc.sqlstate != "CL422":
                    raise
                # an edited or truncated file: say so, never "intact"
                raise ClawSetupError(f"{digest_file} is not a complete checkpoint: "
                                     f"{exc.diag.message_detail}") from exc
            problems = root_problem(digest, published_root) + problems
            print(f"checked against the digest's root {digest['root']}"
                  + ("" if published_root else " (compare it with the root you published, "
                                               "or pass it with --root)"))
    return chains, problems


def run_verify(url: str, digest_file: Path | None, published_root: str | None = None) -> int:
    chains, problems = verify(url, digest_file, published_root)
    events = sum(c[1] for c in chains)
    for tenant, seq, problem in problems:
        where = f"tenant {tenant} seq {seq}" if tenant else "digest"
        print(f"BROKEN {where}: {problem}")
    suffix = f" against {digest_file}" if digest_file else ""
    if problems:
        print(f"audit ledger NOT intact{suffix}: {len(problems)} problem(s) in "
              f"{len(chains)} chain(s), {events} events")
        return 1
    print(f"audit ledger intact{suffix}: {len(chains)} chain(s), {events} events verified")
    return 0


def verify_and_checkpoint(url: str, checkpoint: Path) -> int:
    """Verify every chain and, when `checkpoint` exists (an earlier run's digest), that the
    ledger still extends it; then write a new checkpoint. Only a ledger that passed replaces
    the file: otherwise the old checkpoint is the evidence of what changed, so it is kept and
    the new digest goes beside it (`<stem>.<UTC timestamp>.json`). Returns 1 on any problem."""
    rc = run_verify(url, None)
    if checkpoint.exists():  # the previous digest: history since then only grew
        rc = run_verify(url, checkpoint) or rc
    out = checkpoint
    if rc:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = checkpoint.with_name(f"{checkpoint.stem}.{stamp}.json")
        n = 1
        while out.exists():
            out = checkpoint.with_name(f"{checkpoint.stem}.{stamp}-{n}.json")
            n += 1
    digest = write_checkpoint(url, out)
    print(f"   new checkpoint, root {digest['root'][:16]}..., written to {out}")
    if rc and checkpoint.exists():
        print(f"   verification FAILED: kept {checkpoint} (the evidence) unchanged")
    return rc
