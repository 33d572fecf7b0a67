"""The committed schema snapshot: a normalised `pg_dump --schema-only` of a migrated database.
Every schema change shows up as a readable diff in review; a test fails when the migrated
schema and the committed file differ. Refresh with `claw schema snapshot`."""

from __future__ import annotations

import re
import subprocess

from claw.cluster import bin_path
from claw.errors import ClawSetupError

SNAPSHOT_PATH = "tests/schema.sql"

_DROP_LINE = re.compile(
    r"^(\\restrict |\\unrestrict |SET |SELECT pg_catalog\.set_config\('search_path'"
    r"|-- Dumped (from|by) )"
)


def normalise(dump: str) -> str:
    """Drop what changes between runs or versions (pg_dump's restrict keys, session SETs,
    version banners) and runs of blank lines."""
    out: list[str] = []
    for line in dump.splitlines():
        if _DROP_LINE.match(line):
            continue
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line.rstrip())
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def dump_schema(url: str) -> str:
    proc = subprocess.run(
        [bin_path("pg_dump"), "--schema-only", "--exclude-schema=tap",
         # day partitions of the job history are created at run time (queue.maintain_history)
         "--exclude-table=queue.job_history_p*", f"--dbname={url}"],
        capture_output=True, text=True)
    if proc.returncode != 0:
        raise ClawSetupError(f"pg_dump failed: {proc.stderr.strip()}")
    return normalise(proc.stdout)
