"""A throw-away PostgreSQL server in a temporary directory, for the tests and the throughput
script (`experiments/speed/store_throughput.py`) — and for trying the PostgreSQL run store on
one machine:

    with TempPostgres() as pg:
        url = pg.create_database("live")     # postgresql://postgres@127.0.0.1:PORT/live
        ...

It runs the server binaries of the machine (`initdb`, `pg_ctl`, `postgres` on PATH,
/usr/local/bin or /usr/lib/postgresql/*/bin) on a free port of 127.0.0.1 with its unix socket
in the temporary directory and trust authentication, and removes everything on `stop()`. The
server refuses to run as root: as root it runs as the `postgres` user (created first when
`create_user=True` and missing). `PostgresUnavailable` says why it cannot start (tests skip
with that reason).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

_SEARCH = ["/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
#: settings of the test server: durability off (a crash loses the server, which is temporary)
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresUnavailable(RuntimeError):
    """A temporary PostgreSQL server cannot be started here (the message says why)."""


def find_binaries() -> dict[str, str]:
    """Paths of initdb, pg_ctl and postgres; `PostgresUnavailable` when one is missing."""
    found: dict[str, str] = {}
    for name in ("initdb", "pg_ctl", "postgres"):
        path = shutil.which(name) or next(
            (p for d in _SEARCH if os.access(p := os.path.join(d, name), os.X_OK)), None)
        if path is None:
            raise PostgresUnavailable(f"PostgreSQL server binary {name!r} not found on PATH "
                                      f"or in {', '.join(_SEARCH)}")
        found[name] = path
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempPostgres:
    """A PostgreSQL server of its own (see the module docstring). `settings` are server
    options (`-c name=value`); the default `FAST` turns durability off, `{}` keeps the
    server's defaults (fsync on: what the throughput script measures)."""

    def __init__(self, settings: dict[str, str] | None = None, create_user: bool = False
                 ) -> None:
        self.settings = dict(FAST if settings is None else settings)
        self.create_user = create_user
        self.port = 0
        self.dir: Path | None = None
        self._started = False

    @property
    def url(self) -> str:
        """The server's maintenance database (`postgres`)."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    # -- running as the server's user ----------------------------------------------------
    def _as_server_user(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            if not self.create_user:
                raise PostgresUnavailable("running as root and there is no 'postgres' user to "
                                          "run the server as") from None
            made = subprocess.run(["useradd", "--system", "--no-create-home", "postgres"],
                                  capture_output=True, text=True)
            if made.returncode != 0:
                raise PostgresUnavailable(f"running as root, no 'postgres' user, and useradd "
                                          f"failed: {made.stderr.strip()}") from None
        runner = shutil.which("runuser")
        if runner:
            return [runner, "-u", "postgres", "--"]
        su = shutil.which("su")
        if su is None:
            raise PostgresUnavailable("running as root and neither runuser nor su is there "
                                      "to run the server as 'postgres'")
        return [su, "postgres", "-s", "/bin/sh", "-c", '"$0" "$@"']

    def _run(self, prefix: list[str], args: list[str], what: str) -> None:
        done = subprocess.run(prefix + args, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            tail = " ".join((done.stderr or done.stdout).split())[-300:]
            raise PostgresUnavailable(f"{what} failed (exit {done.returncode}): {tail}")

    # -- start / stop ----------------------------------------------------------------------
    def start(self) -> TempPostgres:
        bins = find_binaries()
        prefix = self._as_server_user()
        self.dir = Path(tempfile.mkdtemp(prefix="predbench-pg-"))
        try:
            if prefix:
                entry = pwd.getpwnam("postgres")
                os.chown(self.dir, entry.pw_uid, entry.pw_gid)
                reach = subprocess.run(prefix + ["test", "-w", str(self.dir)])
                if reach.returncode != 0:  # $TMPDIR is private to root: use /tmp
                    shutil.rmtree(self.dir, ignore_errors=True)
                    self.dir = Path(tempfile.mkdtemp(prefix="predbench-pg-", dir="/tmp"))
                    os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            os.chmod(self.dir, 0o700)
            data = self.dir / "data"
            self._run(prefix, [bins["initdb"], "-D", str(data), "-A", "trust", "-U", "postgres",
                               "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
            self.port = _free_port()
            options = [f"-p {self.port}", f"-k {self.dir}", "-c listen_addresses=127.0.0.1",
                       *(f"-c {k}={v}" for k, v in self.settings.items())]
            self._run(prefix, [bins["pg_ctl"], "-D", str(data), "-l", str(self.dir / "log"),
                               "-w", "-t", "60", "-o", " ".join(options), "start"],
                      "pg_ctl start")
            self._started = True
        except BaseException:
            self.stop()
            raise
        return self

    def create_database(self, name: str | None = None) -> str:
        """A new empty database (a random name by default); returns its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is kept) and remove its directory."""
        if self.dir is None:
            return
        if self._started:
            try:
                bins = find_binaries()
                subprocess.run(self._as_server_user() + [
                    bins["pg_ctl"], "-D", str(self.dir / "data"), "-m", "immediate", "-w",
                    "stop"], capture_output=True, timeout=60)
            except (PostgresUnavailable, subprocess.TimeoutExpired):
                pass
            self._started = False
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
