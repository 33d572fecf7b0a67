"""Operators in psql (claw_admin): cross-tenant reads only through admin.* functions, each
needing a reason and leaving an 'operator.read' event in every tenant chain it read."""

from __future__ import annotations

import psycopg
import pytest

from conftest import Database, Tenant, seed_ontology


def operator_reads(db: Database) -> dict[str, int]:
    with db.connect() as conn:
        return dict(conn.execute(
            "SELECT tenant_id::text, count(*) FROM audit.events WHERE action = 'operator.read' "
            "AND db_user = 'claw_admin' GROUP BY 1").fetchall())


def test_cross_tenant_reads_are_audited(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    assert operator_reads(db) == {}
    with db.connect("claw_admin") as conn:
        rows = conn.execute("SELECT slug, principals FROM admin.list_tenants(p_reason => 'ticket 42')").fetchall()
        assert rows == [("tenant-a", 4), ("tenant-b", 4), ("tenant-c", 4)]
        members = conn.execute("SELECT handle, roles FROM admin.list_members(%s, 'ticket 43')",
                               (tenants["b"].tenant_id,)).fetchall()
        assert ("owner", ["owner"]) in members
        status = conn.execute("SELECT bool_and(ok) FROM admin.chain_status('nightly check')").fetchone()
        assert status == (True,)
    reads = operator_reads(db)
    assert reads == {tenants["a"].tenant_id: 2, tenants["b"].tenant_id: 3, tenants["c"].tenant_id: 2}
    with db.connect() as conn:
        assert conn.execute("SELECT bool_and(ok) FROM audit.verify_chains()").fetchone() == (True,)
        reason = conn.execute("SELECT after ->> 'reason' FROM audit.events WHERE tenant_id = %s "
                              "AND action = 'operator.read' AND target_table = 'admin.list_members'",
                              (tenants["b"].tenant_id,)).fetchone()
        assert reason == ("ticket 43",)


def test_the_ontology_read_is_audited_and_shows_no_object_data(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    seed_ontology(db, tenants)
    a = tenants["a"].tenant_id
    with db.connect("claw_admin") as conn:
        rows = conn.execute("SELECT name, version, properties, live_objects, deleted_objects "
                            "FROM admin.list_object_types(%s, 'ticket 44')", (a,)).fetchall()
    assert rows == [("customer", 1, 2, 1, 1), ("invoice", 1, 2, 1, 0)]
    assert operator_reads(db) == {a: 1}
    with db.connect() as conn:
        conn.execute("SET ROLE claw_operator_reader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT properties FROM ontology.objects")


@pytest.mark.parametrize("sql,code", [
    ("SELECT * FROM admin.list_tenants(p_reason => '')", "CL422"),
    ("SELECT * FROM admin.list_members('00000000-0000-0000-0000-000000000000', 'why')", "CL404"),
    ("SELECT admin.record_read(gen_random_uuid(), 'x', 'forged')", "42501"),
    ("SELECT * FROM tenancy.tenants", "42501"),
    ("SELECT * FROM admin.list_object_types(gen_random_uuid(), 'why')", "CL404"),
    ("SELECT * FROM ontology.objects", "42501"),
    # the reason comes first: an unaudited probe must not learn whether a tenant exists
    ("SELECT * FROM admin.list_members(gen_random_uuid(), '')", "CL422"),
    ("SELECT * FROM admin.list_object_types(gen_random_uuid(), NULL)", "CL422"),
    ("SELECT * FROM admin.chain_status(p_reason => 'x')", "CL422"),
    # white space other than spaces is no reason either (an outside-in probe)
    ("SELECT * FROM admin.list_tenants(p_reason => E'\\t\\t\\t')", "CL422"),
    ("SELECT * FROM admin.list_tenants(p_reason => E'\\n\\n\\n')", "CL422"),
    ("SELECT * FROM admin.list_tenants(p_reason => E'\\u00a0\\u00a0\\u00a0')", "CL422"),
])
def test_operator_limits(seeded: tuple[Database, dict[str, Tenant]], sql: str, code: str) -> None:
    db, _ = seeded
    with db.connect("claw_admin") as conn, pytest.raises(psycopg.Error) as info:
        conn.execute(sql)
    assert info.value.sqlstate == code


@pytest.mark.parametrize("argv", [
    ["worker", "--concurrency", "0"], ["worker", "--concurrency", "-1"],
    ["worker", "--batch", "0"], ["worker", "--lease", "0"], ["worker", "--lease", "-5"],
    ["worker", "--run-for", "-1"], ["queue", "rate", "k", "1", "--burst", "0"],
    ["worker", "--concurrency", "two"],
])
def test_cli_refuses_counts_below_one(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`claw worker --concurrency 0` claimed jobs it never ran (leased until shutdown)."""
    from claw.cli import build_parser

    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    assert "positive" in capsys.readouterr().err or argv[-1] == "two"


def test_cli_accepts_positive_counts() -> None:
    from claw.cli import build_parser

    args = build_parser().parse_args(["worker", "--concurrency", "1", "--batch", "3",
                                      "--lease", "5", "--run-for", "0.5"])
    assert (args.concurrency, args.batch, args.lease, args.run_for) == (1, 3, 5, 0.5)


def test_queue_stats_shows_configured_queues_without_jobs(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """`claw queue stats` hid a paused or limited queue that had no jobs: the settings an
    operator just changed were nowhere to be seen."""
    from conftest import run_cli, seed_queue

    db, tenants = seeded
    seed_queue(db, tenants)
    with db.connect() as conn:
        conn.execute("SELECT queue.configure_queue(p_queue => 'idle', p_paused => true)")
        conn.execute("SELECT queue.configure_queue(p_queue => 'capped', "
                     "p_concurrency_limit => 3)")
    with db.connect("claw_admin") as conn:
        rows = conn.execute("SELECT queue, state, jobs, oldest_run_at, paused, "
                            "concurrency_limit FROM queue.stats()").fetchall()
    by_queue = {r[0]: r for r in rows}
    assert by_queue["idle"] == ("idle", None, 0, None, True, None), rows
    assert by_queue["capped"] == ("capped", None, 0, None, False, 3), rows
    # queues with jobs and no settings row are still counted, per state
    seeded_rows = [r for r in rows if r[0] == "seed"]
    assert seeded_rows and all(r[2] > 0 and r[1] for r in seeded_rows), rows
    proc = run_cli("queue", "stats", env={"DATABASE_URL": db.url()})
    assert proc.returncode == 0, proc.stderr[-600:]
    assert any(line.startswith("idle") and "paused" in line for line in proc.stdout.splitlines())
    assert any(line.startswith("capped") and "limit 3" in line
               for line in proc.stdout.splitlines()), proc.stdout


@pytest.mark.parametrize("args, code, says", [
    (("Bad Slug", "X", "o", "O"), "CL422", "slug"),
    (("ok-slug", "", "o", "O"), "CL422", "name"),
    (("ok-slug", "X", "Bad Handle", "O"), "CL422", "owner handle"),
    (("a", "X", "o", "O"), "CL422", "slug"),
], ids=["slug", "empty name", "owner handle", "one-letter slug"])
def test_tenant_creation_input_is_our_error(db: Database, args: tuple[str, ...], code: str,
                                            says: str) -> None:
    """tenancy.create_tenant gave the tables' raw 23505 / 23514 (an outside-in probe)."""
    with db.connect() as conn, pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT * FROM tenancy.create_tenant(%s, %s, %s, %s)", args)
    assert err.value.sqlstate == code, err.value
    assert says in (err.value.diag.message_detail or "") and err.value.diag.message_hint


def test_a_taken_slug_is_cl409(db: Database) -> None:
    with db.connect() as conn:
        conn.execute("SELECT * FROM tenancy.create_tenant('taken', 'T', 'o', 'O')")
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT * FROM tenancy.create_tenant('taken', 'T2', 'o', 'O')")
    assert err.value.sqlstate == "CL409", err.value


def test_jwt_add_takes_the_tenants_slug_and_ports_are_ports(db: Database) -> None:
    """A new-user walkthrough: `claw jwt add SLUG ...` with the slug `claw tenant create`
    printed gave a raw 22P02 (it took only the uuid), and a port of 70000 was accepted and
    the server listened on 70000 mod 65536."""
    from claw.errors import ClawSetupError
    from claw.http.settings import port_number
    from conftest import run_cli

    with db.connect() as conn:
        [(tid,)] = conn.execute("SELECT tenant_id::text FROM tenancy.create_tenant("
                                "'slugco', 'S', 'o', 'O')").fetchall()
    env = {"DATABASE_URL": db.url()}
    proc = run_cli("jwt", "add", "slugco", "https://idp.example.test/", "slug-aud", env=env)
    assert proc.returncode == 0 and tid in proc.stdout, (proc.stdout, proc.stderr)
    proc = run_cli("jwt", "add", "no-such", "https://idp.example.test/", "x-aud", env=env)
    assert proc.returncode != 0 and "no tenant 'no-such'" in proc.stdout + proc.stderr
    assert port_number(8080) == 8080
    with pytest.raises(ClawSetupError):
        port_number(70000)


def test_cli_errors_say_things_once_and_usage_is_checked(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """A new user's walkthrough: a database error printed its hint twice (with the PL/pgSQL
    context), `claw queue pause a b` paused a and ignored b, `claw queue stats extra`
    ignored extra, and `claw ... | head` ended with '[Errno 32] Broken pipe'."""
    from conftest import run_cli

    db, _ = seeded
    env = {"DATABASE_URL": db.url()}
    bad = run_cli("tenant", "create", "Bad Slug", "X", "o", "O", env=env)
    assert bad.returncode == 1 and bad.stderr.lower().count("hint") == 1, bad.stderr
    assert "CONTEXT" not in bad.stderr
    for argv in (("queue", "pause", "a", "b"), ("queue", "stats", "extra")):
        proc = run_cli(*argv, env=env)
        assert proc.returncode == 1 and "usage: claw queue" in proc.stderr, proc.stderr
    # a closed stdout (`| head`) is no error: nothing printed, exit 0
    from claw.cli import report_error

    import sys

    saved = sys.stdout  # report_error points stdout at /dev/null for the exit's flush
    try:
        assert report_error(BrokenPipeError(32, "Broken pipe")) == 0
    finally:
        sys.stdout.close()
        sys.stdout = saved
