"""Benchmarks for tenant isolation and the audit ledger, each printed with its reference
figure from the same run on the same database, and the ratio.

  1. audit append: chained (audit.append: head lock, hash, insert, head update) vs plain
     inserts into an identical unchained table, at 1 and 64 concurrent tenants (pgbench,
     same clients, same transaction shape: verified context + one insert).
     Target: chained >= 50% of plain at 64 tenants.
  2. verification: audit.verify_chains over >= 1M events in 100 chains, vs a plain read of
     the same rows. Target: >= 200k events/s.
  3. RLS: the same tenant-scoped query over 1M rows and 100 tenants, as claw_owner under the
     tenant policy vs as a superuser on an identical table without RLS (with the tenant
     filter written out). Target: RLS within 10%.

Run: .venv/bin/python bench/isolation_audit.py [--seconds 15] [--events 1000000]
It uses the embedded cluster (or DATABASE_URL) and a scratch database `claw_bench`, which
it drops and recreates.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from claw import config, db
from claw.cli import _ensure_embedded_database
from claw.cluster import bin_path
from claw.migrate import migrate

BENCH_DB = "claw_bench"

SETUP = """
CREATE SCHEMA bench;
CREATE TABLE bench.tenants (n integer PRIMARY KEY, tenant_id uuid NOT NULL);
-- identical to audit.events, without the chain
CREATE TABLE bench.plain_events (LIKE audit.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE bench.plain_events ADD PRIMARY KEY (tenant_id, seq);
CREATE SEQUENCE bench.plain_seq;
GRANT USAGE ON SCHEMA bench TO claw_owner;
GRANT SELECT ON bench.tenants TO claw_owner;
"""


def url_for(admin: str, database: str) -> str:
    parts = urlsplit(admin)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def scratch_database(name: str) -> str:
    """A freshly created and migrated database `name` on Claw's server (the embedded one
    started if needed); returns its administrator URL."""
    cfg = config.settings()
    if cfg.embedded:
        _ensure_embedded_database(cfg)
    admin = db.admin_url(cfg)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = url_for(admin, name)
    migrate(url, cfg.root)
    return url


def at_least(low: float, kind: type = int) -> Any:
    """An argparse type: a number of `kind` no lower than `low` (a bench size of 0 or less
    ends in an empty sample or a division by zero, so it is refused up front)."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low:g} or more, not {text}")
        return value
    return parse


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile of xs (nearest rank); NaN for no samples."""
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def pgbench(url: str, script: str, clients: int, seconds: int,
            defines: dict[str, str]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(script)
    args = [bin_path("pgbench"), "-n", "-f", fh.name, "-c", str(clients), "-j", "2",
            "-T", str(seconds), "-M", "prepared"]
    for k, v in defines.items():
        args += ["-D", f"{k}={v}"]
    proc = subprocess.run([*args, url], capture_output=True, text=True)
    Path(fh.name).unlink()
    m = re.search(r"tps = ([0-9.]+)", proc.stdout)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"pgbench failed: {proc.stdout}\n{proc.stderr}")
    return float(m.group(1))


CONTEXT = """\\set n random(1, :tenants)
BEGIN;
SELECT internal.set_context(tenant_id, NULL, '{system}') FROM bench.tenants WHERE n = :n;
SET LOCAL ROLE claw_owner;
"""
CHAINED = CONTEXT + """SELECT audit.append((SELECT tenant_id FROM bench.tenants WHERE n = :n),
  'bench.append', 'bench', :n::text, NULL, '{"k": 1}');
COMMIT;
"""
PLAIN = CONTEXT + """RESET ROLE;
INSERT INTO bench.plain_events (tenant_id, seq, occurred_at, actor_principal_id, db_user, action,
  target_table, target_id, before, after, trace_id, encoding_version, prev_hash, row_hash)
SELECT tenant_id, nextval('bench.plain_seq'), clock_timestamp(), NULL, session_user,
  'bench.append', 'bench', :n::text, NULL, '{"k": 1}', NULL, 1, sha256(''), sha256('')
FROM bench.tenants WHERE n = :n;
COMMIT;
"""

FILL_CHAINS = """
DO $$
DECLARE
  t record; i integer; v_prev bytea; v_hash bytea; v_at timestamptz;
  v_seqs bigint[]; v_prevs bytea[]; v_hashes bytea[]; v_ats timestamptz[];
BEGIN
  FOR t IN SELECT tenant_id FROM bench.tenants WHERE n <= %(chains)s ORDER BY n LOOP
    v_hash := '\\x0000000000000000000000000000000000000000000000000000000000000000';
    v_seqs := '{}'; v_prevs := '{}'; v_hashes := '{}'; v_ats := '{}';
    FOR i IN 1..%(per_chain)s LOOP
      v_prev := v_hash;
      v_at := '2026-01-01'::timestamptz + i * interval '1 second';
      v_hash := sha256(convert_to(audit.encode_event(t.tenant_id, i, v_at, NULL, 'bench',
        'bench.fill', 'bench', i::text, NULL, '{"k": 1}', NULL, v_prev), 'UTF8'));
      v_seqs := v_seqs || i::bigint; v_prevs := v_prevs || v_prev;
      v_hashes := v_hashes || v_hash; v_ats := v_ats || v_at;
    END LOOP;
    INSERT INTO audit.chain_heads (tenant_id, seq, head_hash)
    VALUES (t.tenant_id, %(per_chain)s, v_hash);
    INSERT INTO audit.events (tenant_id, seq, occurred_at, actor_principal_id, db_user, action,
      target_table, target_id, before, after, trace_id, encoding_version, prev_hash, row_hash)
    SELECT t.tenant_id, s, a, NULL, 'bench', 'bench.fill', 'bench', s::text, NULL, '{"k": 1}',
           NULL, 1, p, h
    FROM unnest(v_seqs, v_ats, v_prevs, v_hashes) AS u(s, a, p, h);
  END LOOP;
END $$;
"""

RLS_SETUP = """
CREATE TABLE bench.rls_items (tenant_id uuid NOT NULL, item_id bigint NOT NULL,
  category integer NOT NULL, amount numeric NOT NULL, PRIMARY KEY (tenant_id, item_id));
CREATE TABLE bench.plain_items (LIKE bench.rls_items INCLUDING ALL);
INSERT INTO bench.rls_items
SELECT t.tenant_id, g, g %% 20, (g %% 997)::numeric
FROM bench.tenants t CROSS JOIN generate_series(1, %(per_tenant)s) g;
INSERT INTO bench.plain_items SELECT * FROM bench.rls_items;
ALTER TABLE bench.rls_items OWNER TO claw_owner;
ALTER TABLE bench.rls_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench.rls_items FORCE ROW LEVEL SECURITY;
SET ROLE claw_owner;
SELECT internal.ensure_tenant_policy('bench.rls_items');
CREATE POLICY rls_items_select ON bench.rls_items FOR SELECT USING (true);
RESET ROLE;
ANALYZE bench.rls_items;
ANALYZE bench.plain_items;
"""
RLS_QUERY = """\\set n random(1, :tenants)
\\set c random(0, 19)
BEGIN;
SELECT internal.set_context(tenant_id, NULL, '{viewer}') FROM bench.tenants WHERE n = :n;
SET LOCAL ROLE claw_owner;
SELECT count(*), sum(amount) FROM bench.rls_items WHERE category = :c;
COMMIT;
"""
PLAIN_QUERY = """\\set n random(1, :tenants)
\\set c random(0, 19)
BEGIN;
SELECT internal.set_context(tenant_id, NULL, '{viewer}') FROM bench.tenants WHERE n = :n;
SELECT count(*), sum(amount) FROM bench.plain_items
WHERE tenant_id = (SELECT tenant_id FROM bench.tenants WHERE n = :n) AND category = :c;
COMMIT;
"""


def line(label: str, ours: float, peer: float, unit: str, target: str) -> None:
    print(f"{label:<44} {ours:>12,.0f} {peer:>12,.0f} {unit:<9} ratio {ours / peer:6.2f}  "
          f"(target {target})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=at_least(1), default=15)
    parser.add_argument("--clients", type=at_least(1), default=16)
    parser.add_argument("--events", type=at_least(100), default=1_000_000,
                        help="events in the ledger to verify, in 100 chains (rounded down)")
    parser.add_argument("--rows", type=at_least(100), default=1_000_000,
                        help="rows of the RLS table, 100 tenants (rounded down)")
    args = parser.parse_args()

    url = scratch_database(BENCH_DB)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SETUP)
        for n in range(1, 101):
            conn.execute("INSERT INTO bench.tenants SELECT %s, tenant_id FROM "
                         "tenancy.create_tenant(%s, %s, 'owner', 'Owner')",
                         (n, f"bench-{n}", f"Bench {n}"))
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    print(f"PostgreSQL {version}; {args.clients} pgbench clients, {args.seconds}s per run")
    print(f"{'':<44} {'Claw':>12} {'reference':>12}")

    for tenants in (1, 64):
        chained = pgbench(url, CHAINED, args.clients, args.seconds, {"tenants": str(tenants)})
        plain = pgbench(url, PLAIN, args.clients, args.seconds, {"tenants": str(tenants)})
        line(f"audit append, {tenants} tenant(s): chained vs plain", chained, plain, "tx/s",
             ">= 0.50 at 64" if tenants == 64 else "none")

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # bulk load: skip FK checks
        conn.execute("ALTER TABLE audit.chain_heads DISABLE TRIGGER USER")
        conn.execute("DELETE FROM audit.chain_heads WHERE tenant_id IN (SELECT tenant_id FROM bench.tenants)")
        conn.execute("ALTER TABLE audit.events DISABLE TRIGGER USER")
        conn.execute("DELETE FROM audit.events WHERE tenant_id IN (SELECT tenant_id FROM bench.tenants)")
        conn.execute("ALTER TABLE audit.events ENABLE TRIGGER USER")
        conn.execute("ALTER TABLE audit.chain_heads ENABLE TRIGGER USER")
        conn.execute("RESET session_replication_role")
        t0 = time.perf_counter()
        conn.execute(FILL_CHAINS % {"chains": 100, "per_chain": args.events // 100})
        fill = time.perf_counter() - t0
        conn.execute("VACUUM ANALYZE audit.events")
        total = conn.execute("SELECT count(*) FROM audit.events").fetchone()[0]  # type: ignore[index]
        t0 = time.perf_counter()
        bad = conn.execute("SELECT count(*) FILTER (WHERE NOT ok) FROM audit.verify_chains()").fetchone()[0]  # type: ignore[index]
        verify = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("SELECT count(*), sum(length(row_hash)) FROM audit.events").fetchone()
        scan = time.perf_counter() - t0
    assert bad == 0, "verification found broken chains in a freshly built ledger"
    print(f"(built {total:,} chained events in {fill:.1f}s)")
    line(f"verify {total:,} events: verify_chains vs plain read", total / verify, total / scan,
         "events/s", ">= 200,000 events/s")

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(RLS_SETUP % {"per_tenant": args.rows // 100})
    rls = pgbench(url, RLS_QUERY, args.clients, args.seconds, {"tenants": "100"})
    plain_q = pgbench(url, PLAIN_QUERY, args.clients, args.seconds, {"tenants": "100"})
    line(f"tenant query over {args.rows // 100 * 100:,} rows: RLS vs none", rls, plain_q, "tx/s",
         ">= 0.90")
    return 0


if __name__ == "__main__":
    sys.exit(main())
