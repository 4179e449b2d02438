"""The embedded run store: one SQLite database file (WAL mode) shared by the worker processes
of one machine (DESIGN §5). The statements and guarantees are those of `store_base`; this file
adds how the file is opened and checked, and SQLite's reclaim rule:

a claim on the worker's own host is judged by its pid alone (gone or a zombie: dead; alive:
never taken, however old its heartbeat); a claim from another host is taken after
`stale_after` seconds without a heartbeat.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from benchmarks.store_base import VERSION, BaseRunStore, Job, StoreError, job_args

_SQLITE_HEADER = b"SQLite format 3\x00"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child nobody has reaped yet still answers kill(0): check for a zombie
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class RunStore(BaseRunStore):
    """The live-training run store in the SQLite file at `path` (created when absent). Not the
    sweep store of `experiments.sweep_store.SweepStore`, which holds evaluated result rows.
    For a store named by a string that may be a PostgreSQL URL, use
    `benchmarks.store.open_run_store`."""

    backend = "sqlite"
    db_errors = (sqlite3.Error,)
    NOW = "((julianday('now') - 2440587.5) * 86400.0)"

    def __init__(self, path: str | Path, stale_after: float = 3600.0) -> None:
        super().__init__(stale_after)
        if "://" in str(path):
            raise StoreError(f"{path}: a database URL, not a file; open it with "
                             f"benchmarks.store.open_run_store")
        self.path = Path(path)
        self.location = str(self.path)
        self._check_file()
        try:
            self._db = sqlite3.connect(self.path, timeout=120, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 120000")
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable predbench run store: {exc}") from None

    # -- opening ---------------------------------------------------------------------------
    def _check_file(self) -> None:
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, expected a run store file")
        if not self.path.exists() or self.path.stat().st_size == 0:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file where a folder must be, no permission...
                raise StoreError(f"{self.path}: cannot create the run store's folder "
                                 f"({exc.strerror or exc})") from None
            return
        with open(self.path, "rb") as f:
            head = f.read(16)
        if head != _SQLITE_HEADER:
            raise StoreError(f"{self.path}: not a predbench run store: the file is not an "
                             f"SQLite database (it starts with {head[:8]!r})")

    def _init_schema(self) -> None:
        db = self._db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "predbench_meta" not in tables:
            raise StoreError(f"{self.path}: an SQLite database of another program, not a "
                             f"predbench run store (tables: {', '.join(sorted(tables))})")
        version = VERSION
        if tables:
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"{self.path}: corrupt run store (SQLite says: {check})")
            version = self._check_meta(dict(db.execute("SELECT key, value FROM predbench_meta")))
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: could not switch the database to WAL mode ({mode})")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, fast
        if not tables:
            with self._tx():
                self._create_schema("INTEGER PRIMARY KEY", "REAL")
        elif version < VERSION:
            with self._tx():  # the write lock first: another process may be upgrading it too
                meta = dict(db.execute("SELECT key, value FROM predbench_meta"))
                version = self._check_meta(meta)
                if version < VERSION:
                    self._upgrade(version)

    # -- the backend -------------------------------------------------------------------------
    def _execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        return self._db.execute(self._sql(sql), tuple(args))

    def _executemany(self, sql: str, rows: list[tuple]) -> int:
        return self._db.executemany(self._sql(sql), rows).rowcount

    def _tx(self) -> _Tx:
        return _Tx(self._db)

    def close(self) -> None:
        self._db.close()

    def _reclaim_dead(self, job: Job) -> int:
        now = self._one("SELECT " + self.NOW)[0]
        dead = []
        for run_id, host, pid, beat in self._all(
                "SELECT id, host, pid, heartbeat FROM runs WHERE status='running' AND space=? "
                "AND dataset=? AND preset=? AND recipe=?", job_args(job)):
            if host == self.host and pid is not None:  # ours to judge: the pid decides
                gone = not _pid_alive(int(pid))
            else:  # another host's: only its heartbeat tells
                gone = beat is not None and now - beat > self.stale_after
            if gone:
                dead.append((run_id,))
        if dead:
            self._executemany("UPDATE runs SET status='pending', worker=NULL, pid=NULL "
                              "WHERE id=?", dead)
        return len(dead)


class _Tx:
    """`BEGIN IMMEDIATE` ... `COMMIT` (rollback on error): the write lock is taken up front,
    so a read-then-write (a claim) cannot interleave with another writer."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
