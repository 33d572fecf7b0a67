"""The `claw` command line.

    claw db up | down | status | psql | url [--role ROLE]
    claw migrate
    claw lint [FILE...]
    claw schema snapshot [--check]
    claw tenant create SLUG NAME OWNER_HANDLE OWNER_NAME
    claw audit verify [--digest FILE [--root HEX]] | checkpoint [--out FILE]
    claw worker [--queue Q ...] [--concurrency N] [--batch N] [--lease SECONDS] [--run-for S]
    claw queue stats | pause Q | resume Q | limit Q N | rate KEY PER_SECOND [--burst N]
    claw serve [--host H] [--port P]
    claw jwt add TENANT ISS AUD [--skew S] [--jwks-url URL] | set-keys ISSUER --file F | --url U
             | refresh ISSUER | remove-key ISSUER KID | remove ISSUER | skew ISSUER S
             | link ISSUER SUB PRINCIPAL | list
    claw eval SUITE [--api-key KEY] [--fake] [--accept]
    claw demo
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence

import psycopg

from claw import config, db, jwt_admin
from claw.cluster import bin_path
from claw.errors import ClawSetupError


def _ensure_embedded_database(cfg: config.Settings) -> None:
    """Start the embedded cluster (initdb on first use) and create the `claw` database."""
    cluster = cfg.cluster
    first = not cluster.initialized()
    cluster.start()
    cluster.wait_ready()
    with psycopg.connect(cluster.url(database="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (config.DATABASE,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{config.DATABASE}"')
    if first:
        print(f"initialised embedded PostgreSQL in {cluster.pgdata}")


def cmd_db(args: argparse.Namespace, cfg: config.Settings) -> int:
    action = args.action
    if action == "url":
        print(db.role_url(cfg, args.role))
        return 0
    if action == "psql":
        url = db.role_url(cfg, args.role)
        psql = bin_path("psql")
        os.execvp(psql, [psql, url, *args.psql_args])
    if cfg.database_url:
        print(f"DATABASE_URL is set: Claw uses that server; 'claw db {action}' only manages "
              "the embedded cluster.", file=sys.stderr)
        return 2 if action in ("up", "down") else _status_external(cfg)
    cluster = cfg.cluster
    if action == "up":
        _ensure_embedded_database(cfg)
        print(f"embedded PostgreSQL running on 127.0.0.1:{cluster.port} (data {cluster.pgdata})")
    elif action == "down":
        cluster.stop()
        print("embedded PostgreSQL stopped")
    elif action == "status":
        pid = cluster.pid()
        if not cluster.initialized():
            print(f"embedded PostgreSQL not initialised ({cluster.pgdata}); run: claw db up")
            return 3
        if pid is None:
            print(f"embedded PostgreSQL stopped (data {cluster.pgdata})")
            return 3
        port = cluster.running_port() or cluster.port
        print(f"embedded PostgreSQL running, pid {pid}, 127.0.0.1:{port}, "
              f"data {cluster.pgdata}")
        if port != cluster.port:
            print(f"(CLAW_PG_PORT is {cluster.port}: claw db down, then claw db up, to move it)",
                  file=sys.stderr)
    return 0


def _status_external(cfg: config.Settings) -> int:
    with psycopg.connect(db.admin_url(cfg), connect_timeout=5) as conn:
        print(conn.execute("SELECT version()").fetchone()[0])  # type: ignore[index]
    return 0


def run_migrate(cfg: config.Settings) -> int:
    from claw.migrate import migrate

    if cfg.embedded:
        _ensure_embedded_database(cfg)
        passwords = {role: cfg.cluster.password(role) for role in config.LOGIN_ROLES}
    else:
        passwords = None
    # Refuse before touching anything when the database is already unsafe, and again after
    # (a first install only has the check once migrated).
    db.ensure_safe_roles(db.admin_url(cfg))
    result = migrate(db.admin_url(cfg), cfg.root, passwords)
    if result.applied:
        print(f"applied {len(result.applied)} migration(s): {', '.join(result.applied)}")
    else:
        print("no pending migrations")
    print(f"re-applied {result.routines} routine and policy file(s)")
    print(f"schema version: {result.migration_id} ({result.applied_migrations} migrations)")
    db.ensure_safe_roles(db.admin_url(cfg))
    return 0


def cmd_schema(args: argparse.Namespace, cfg: config.Settings) -> int:
    from claw.snapshot import SNAPSHOT_PATH, dump_schema

    current = dump_schema(db.admin_url(cfg))
    path = cfg.root / SNAPSHOT_PATH
    if args.check:
        if path.exists() and path.read_text() == current:
            print(f"{SNAPSHOT_PATH} matches the migrated schema")
            return 0
        print(f"{SNAPSHOT_PATH} differs from the migrated schema; run: claw schema snapshot",
              file=sys.stderr)
        return 1
    path.write_text(current)
    print(f"wrote {SNAPSHOT_PATH}")
    return 0


def cmd_tenant(args: argparse.Namespace, cfg: config.Settings) -> int:
    db.ensure_safe_roles(db.admin_url(cfg))
    with psycopg.connect(db.admin_url(cfg), autocommit=True) as conn:
        row = conn.execute(
            "SELECT tenant_id, principal_id, api_key FROM tenancy.create_tenant("
            "p_slug => %s, p_name => %s, p_owner_handle => %s, p_owner_name => %s)",
            (args.slug, args.name, args.owner_handle, args.owner_name)).fetchone()
    assert row is not None
    print(f"tenant {row[0]} created; owner principal {row[1]}")
    print(f"owner API key (shown once, keep it safe): {row[2]}")
    return 0


def cmd_audit(args: argparse.Namespace, cfg: config.Settings) -> int:
    from pathlib import Path

    from claw import audit

    if args.action == "checkpoint":
        out = Path(args.out)
        digest = audit.write_checkpoint(db.admin_url(cfg), out)
        print(f"checkpoint of {len(digest['heads'])} chain(s), root {digest['root']}, "
              f"written to {out}; keep a copy outside this database")
        return 0
    return audit.run_verify(db.admin_url(cfg), Path(args.digest) if args.digest else None,
                            args.root)


def cmd_worker(args: argparse.Namespace, cfg: config.Settings) -> int:
    from claw.worker import run_worker

    db.ensure_safe_roles(db.admin_url(cfg))
    return run_worker(db.role_url(cfg, "worker"), args.queue or ["default"], args.concurrency,
                      args.batch, args.lease, args.run_for)


def cmd_queue(args: argparse.Namespace, cfg: config.Settings) -> int:
    if args.action == "stats" and args.args:
        raise ClawSetupError("usage: claw queue stats (no arguments)")
    with psycopg.connect(db.admin_url(cfg), autocommit=True) as conn:
        if args.action == "stats":
            rows = conn.execute("SELECT * FROM queue.stats()").fetchall()
            print(f"{'queue':<20} {'state':<10} {'jobs':>8}  oldest run_at")
            for queue, state, jobs, oldest, paused, limit in rows:
                flags = (" paused" if paused else "") + (f" limit {limit}" if limit else "")
                when = f"{oldest:%Y-%m-%d %H:%M:%S%z}" if oldest else "-"
                print(f"{queue:<20} {state or '-':<10} {jobs:>8}  {when}{flags}")
            return 0
        if args.action in ("pause", "resume", "limit"):
            if not args.args or (args.action != "limit" and len(args.args) != 1):
                raise ClawSetupError(f"usage: claw queue {args.action} QUEUE (one queue)")
            limit = None
            if args.action == "limit":
                if len(args.args) != 2 or not args.args[1].isdigit():
                    raise ClawSetupError("usage: claw queue limit QUEUE N (0 removes the limit)")
                limit = int(args.args[1])
            row = conn.execute(
                "SELECT queue, paused_at, concurrency_limit FROM queue.configure_queue("
                "p_queue => %s, p_paused => %s, p_concurrency_limit => %s)",
                (args.args[0], {"pause": True, "resume": False}.get(args.action), limit)
            ).fetchone()
            assert row is not None
            print(f"queue {row[0]}: {'paused' if row[1] else 'running'}, "
                  f"concurrency limit {row[2] or 'none'}")
            return 0
        if len(args.args) != 2:
            raise ClawSetupError("usage: claw queue rate KEY PER_SECOND [--burst N]")
        conn.execute("SELECT queue.set_rate_limit(p_rate_key => %s, p_per_second => %s, "
                     "p_burst => %s)", (args.args[0], args.args[1], args.burst))
        print(f"rate limit {args.args[0]}: {args.args[1]}/s, burst {args.burst or 'default'}")
        return 0


def cmd_serve(args: argparse.Namespace, cfg: config.Settings) -> int:
    from claw.http import settings as http_settings
    from claw.http.server import serve

    if cfg.embedded and not os.environ.get("CLAW_HTTP_DATABASE_URL"):
        _ensure_embedded_database(cfg)
    if cfg.embedded or cfg.database_url:
        # refuse to start on unsafe roles (the server checks again with its own role)
        db.ensure_safe_roles(db.admin_url(cfg))
    auditor = db.role_url(cfg, "auditor")
    runtime = db.role_url(cfg, "runtime")
    settings = http_settings.from_env(runtime, _without_password(auditor))
    if args.host:
        settings = dataclasses.replace(settings, host=args.host)
    if args.port is not None:
        from claw.http.settings import port_number

        settings = dataclasses.replace(settings, port=port_number(args.port, "--port"))
    return serve(settings)


def _without_password(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params.pop("password", None)
    return make_conninfo(**params)


def positive_int(text: str) -> int:
    """argparse type of counts and durations: a worker with --concurrency 0 claimed jobs it
    could never run."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not positive (1 or more)")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:  # NaN included
        raise argparse.ArgumentTypeError(f"{text} is not positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claw", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p_db = sub.add_parser("db", help="the embedded PostgreSQL cluster and connection URLs")
    p_db.add_argument("action", choices=["up", "down", "status", "psql", "url"])
    p_db.add_argument("--role", default="superuser",
                      choices=["superuser", *config.ROLES],
                      help="connect as this Claw role (url, psql)")

    sub.add_parser("migrate", help="bootstrap, apply pending migrations, re-apply routines")

    p_lint = sub.add_parser("lint", help="lint SQL files (default: the whole repository)")
    p_lint.add_argument("files", nargs="*")
    p_lint.add_argument("--root", help="the tree to lint (default: the project)")

    p_schema = sub.add_parser("schema", help="the committed schema snapshot")
    p_schema.add_argument("action", choices=["snapshot"])
    p_schema.add_argument("--check", action="store_true",
                          help="compare instead of writing; exit 1 on drift")

    p_tenant = sub.add_parser("tenant", help="provision tenants (platform operators)")
    p_tenant.add_argument("action", choices=["create"])
    p_tenant.add_argument("slug")
    p_tenant.add_argument("name")
    p_tenant.add_argument("owner_handle")
    p_tenant.add_argument("owner_name")

    jwt_admin.add_parser(sub)

    p_audit = sub.add_parser("audit", help="verify the audit ledger, write checkpoints")
    p_audit.add_argument("action", choices=["verify", "checkpoint"])
    p_audit.add_argument("--digest", help="verify: prove the ledger extends this checkpoint")
    p_audit.add_argument("--root", help="verify --digest: the root published when the "
                         "checkpoint was written; the digest's must be the same")
    p_audit.add_argument("--out", default="audit-checkpoint.json",
                         help="checkpoint: where to write the digest")

    p_worker = sub.add_parser("worker", help="run jobs: claim, run handlers, tick schedules")
    p_worker.add_argument("--queue", action="append", help="queue to serve (repeatable)")
    p_worker.add_argument("--concurrency", type=positive_int, default=10)
    p_worker.add_argument("--batch", type=positive_int, default=None,
                          help="jobs of the first claim (default 2x concurrency); claims double "
                          "while the runners starve, up to 25x concurrency")
    p_worker.add_argument("--lease", type=positive_int, default=30, help="lease length in seconds")
    p_worker.add_argument("--run-for", type=positive_float, default=None,
                          help="stop (gracefully) after this many seconds")

    p_queue = sub.add_parser("queue", help="queue settings and counts (administrator)")
    p_queue.add_argument("action", choices=["stats", "pause", "resume", "limit", "rate"])
    p_queue.add_argument("args", nargs="*")
    p_queue.add_argument("--burst", type=positive_int, default=None)

    p_eval = sub.add_parser("eval", help="run an LLM eval suite (evals/SUITE.json) through "
                            "its task's route; exit 1 on a regression beyond its threshold")
    p_eval.add_argument("suite", help="a suite name (evals/NAME.json) or a path")
    p_eval.add_argument("--api-key", default=os.environ.get("CLAW_API_KEY"),
                        help="the tenant's API key (default: $CLAW_API_KEY)")
    p_eval.add_argument("--fake", action="store_true",
                        help="answer with local fake providers (each case's fake_answer)")
    p_eval.add_argument("--accept", action="store_true",
                        help="accept the run as the suite's baseline unless it regressed")
    p_serve = sub.add_parser("serve", help="the HTTP API (FastAPI on uvicorn)")
    p_serve.add_argument("--host", default=None, help="default CLAW_HTTP_HOST or 127.0.0.1")
    p_serve.add_argument("--port", type=positive_int, default=None, help="default CLAW_HTTP_PORT or 8080")

    sub.add_parser("demo", help="start, migrate, seed, and show what Claw did")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # Only `claw db psql` takes extra arguments: they go to psql (`claw db psql -c 'select 1'`).
    if extra and not (args.command == "db" and args.action == "psql"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.psql_args = extra
    try:
        return _run_command(args)
    except Exception as exc:
        code = report_error(exc)
        if code is None:
            raise
        return code


def report_error(exc: BaseException) -> int | None:
    """One line on stderr (`claw: ...`, plus the exception's notes and the server's hint)
    and the exit status for the errors a user can cause; None for anything else (a bug:
    the traceback is the useful output)."""
    import httpx
    from yoyo import exceptions as yoyo_errors

    if isinstance(exc, BrokenPipeError):  # `claw ... | head` closed our stdout: not an error
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter's flush at exit
        except OSError:
            pass
        return 0
    if isinstance(exc, psycopg.Error):
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate and exc.diag.message_primary:
            # the message and its detail; the hint once, below (str(exc) carried HINT and
            # CONTEXT lines too, so the hint was printed twice)
            message = (f"database error {sqlstate}: {exc.diag.message_primary}"
                       + (f"\n  {exc.diag.message_detail}" if exc.diag.message_detail else ""))
        elif sqlstate:
            message = f"database error {sqlstate}: {exc}"
        elif isinstance(exc, psycopg.OperationalError):
            message = f"cannot connect: {exc}"
        else:
            message = f"database error: {exc}"
    elif isinstance(exc, ClawSetupError):
        message = str(exc)
    elif isinstance(exc, OSError):
        message = (f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename
                   else str(exc) or type(exc).__name__)
    elif isinstance(exc, httpx.HTTPError):
        where = ""
        try:
            where = f" ({exc.request.method} {exc.request.url})"
        except RuntimeError:  # no request attached
            pass
        message = f"HTTP error{where}: {exc}"
    elif isinstance(exc, yoyo_errors.BadMigration) and len(exc.args) == 2:
        message = f"cannot load migration {exc.args[0]}: {exc.args[1]!r}"
    elif isinstance(exc, (yoyo_errors.BadMigration, yoyo_errors.MigrationConflict,
                          yoyo_errors.LockTimeout)):
        message = f"migration error: {exc}"
    elif isinstance(exc, ValueError):  # json.JSONDecodeError included
        message = f"invalid value: {exc}"
    else:
        return None
    print(f"claw: {message.rstrip()}", file=sys.stderr)
    for note in getattr(exc, "__notes__", ()):
        print(f"  {note}", file=sys.stderr)
    diag = getattr(exc, "diag", None)
    if diag is not None and diag.message_hint:
        print(f"hint: {diag.message_hint}", file=sys.stderr)
    return 1


def _run_command(args: argparse.Namespace) -> int:
    cfg = config.settings()
    if args.command == "db":
        return cmd_db(args, cfg)
    if args.command == "migrate":
        return run_migrate(cfg)
    if args.command == "lint":
        from claw import lint

        return lint.main([*args.files, "--root", args.root or str(cfg.root)])
    if args.command == "schema":
        return cmd_schema(args, cfg)
    if args.command == "tenant":
        return cmd_tenant(args, cfg)
    if args.command == "audit":
        return cmd_audit(args, cfg)
    if args.command == "jwt":
        return jwt_admin.run(args, db.admin_url(cfg))
    if args.command == "worker":
        return cmd_worker(args, cfg)
    if args.command == "queue":
        return cmd_queue(args, cfg)
    if args.command == "eval":
        from claw.llm.evals import run_cli

        return run_cli(db.role_url(cfg, "runtime"), cfg.root, args.suite, args.api_key,
                       fake=args.fake, accept_run=args.accept)
    if args.command == "serve":
        return cmd_serve(args, cfg)
    if args.command == "demo":
        from claw.demo import run_demo

        return run_demo(cfg)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
