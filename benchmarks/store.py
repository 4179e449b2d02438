"""The live run store: one SQLite database (WAL mode) shared by worker processes (DESIGN §5).

A run is keyed by (space, arch, dataset, preset, recipe hash, seed); the network preset is part
of the key because the same arch under another preset is another network. Status:
`pending` (queued) -> `running` (claimed by one worker) -> `done` | `failed` (+ reason).
Per-epoch rows are committed as each epoch ends.

Safety:
- a claim is one `BEGIN IMMEDIATE` transaction, so two workers never get the same run;
- each claim carries a worker token; epoch rows and the final status are written only while
  the token still owns the run, so a run handed to another worker is never recorded twice;
- a claim whose worker died is reclaimed, its partial epochs dropped. On the worker's own host
  the pid decides alone (gone or a zombie: dead; alive: never taken, however old its
  heartbeat); a claim from another host is taken after `stale_after` seconds without a
  heartbeat. A worker beats at every epoch and, while it trains, every `HEARTBEAT_SECONDS`
  from a thread (`Heartbeat`), so `stale_after` need only exceed that interval, not an epoch.
"""

from __future__ import annotations

import math
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: how often a training worker refreshes its claim's heartbeat (`Heartbeat`); `stale_after`
#: must exceed it, or live workers on other hosts would look dead between two beats
HEARTBEAT_SECONDS = 10.0

FORMAT = "predbench-result-store"
VERSION = 1
_SQLITE_HEADER = b"SQLite format 3\x00"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS predbench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    space TEXT NOT NULL, arch TEXT NOT NULL, dataset TEXT NOT NULL, preset TEXT NOT NULL,
    recipe TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    reason TEXT, recipe_json TEXT, worker TEXT, host TEXT, pid INTEGER, heartbeat REAL,
    attempts INTEGER NOT NULL DEFAULT 0, test_acc REAL, seconds REAL,
    created REAL NOT NULL, finished REAL,
    UNIQUE (space, arch, dataset, preset, recipe, seed));
CREATE INDEX IF NOT EXISTS runs_status ON runs (space, dataset, preset, recipe, status, id);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs (id), epoch INTEGER NOT NULL,
    train_loss REAL, train_acc REAL, val_loss REAL, val_acc REAL, seconds REAL,
    PRIMARY KEY (run_id, epoch));
"""
EPOCH_FIELDS = ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")


class StoreError(ValueError):
    """The file is not a usable predbench run store (message names the file and problem)."""


class LostClaim(RuntimeError):
    """The run is no longer owned by this worker (it was reclaimed); stop training it."""


@dataclass(frozen=True)
class Job:
    """What a set of runs shares: everything in the key but the arch and the seed."""

    space: str
    dataset: str
    preset: str
    recipe: str          # the recipe hash
    recipe_json: str = ""


@dataclass(frozen=True)
class Claim:
    run_id: int
    arch: str
    seed: int
    token: str


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


class RunStore:
    """The live-training run store at `path` (created when absent): one row per training run
    (job, arch, seed) with its status and per-epoch rows. Not the sweep store of
    `experiments.sweep_store.SweepStore`, which holds evaluated result rows. Every method opens
    short transactions, so many processes may hold a `RunStore` on the same file."""

    def __init__(self, path: str | Path, stale_after: float = 3600.0) -> None:
        self.path = Path(path)
        self.stale_after = check_stale_after(stale_after)
        self.host = socket.gethostname()
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
            self.path.parent.mkdir(parents=True, exist_ok=True)
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
        if tables:
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"{self.path}: corrupt run store (SQLite says: {check})")
            meta = dict(db.execute("SELECT key, value FROM predbench_meta"))
            if meta.get("format") != FORMAT:
                raise StoreError(f"{self.path}: not a predbench run store "
                                 f"(format {meta.get('format')!r})")
            if int(meta.get("version", 0)) != VERSION:
                raise StoreError(f"{self.path}: run store version {meta.get('version')} "
                                 f"but this predbench reads version {VERSION}")
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: could not switch the database to WAL mode ({mode})")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, fast
        if not tables:
            with self._tx():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.executemany("INSERT OR IGNORE INTO predbench_meta VALUES (?, ?)",
                               [("format", FORMAT), ("version", str(VERSION))])

    def _tx(self) -> _Tx:
        return _Tx(self._db)

    def close(self) -> None:
        self._db.close()

    # -- queue -----------------------------------------------------------------------------
    def enqueue(self, job: Job, archs: Iterable[str], seeds: Iterable[int] = (0,)) -> int:
        """Queue (arch, seed) runs of `job` that are not yet in the store; returns how many."""
        now = time.time()
        rows = [(job.space, a, job.dataset, job.preset, job.recipe, int(s), job.recipe_json, now)
                for a in archs for s in seeds]
        with self._tx():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO runs (space, arch, dataset, preset, recipe, seed, status,"
                " recipe_json, created) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)", rows)
            return self._db.total_changes - before

    def retry_failed(self, job: Job) -> int:
        """Put the failed runs of `job` back in the queue."""
        with self._tx():
            cur = self._db.execute(
                "UPDATE runs SET status='pending', reason=NULL WHERE status='failed' AND "
                "space=? AND dataset=? AND preset=? AND recipe=?", _job_args(job))
            return cur.rowcount

    def new_token(self) -> str:
        return f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def _reclaim_dead(self, job: Job) -> int:
        """Inside a transaction: running runs of dead workers go back to pending."""
        now = time.time()
        dead = []
        for run_id, host, pid, beat in self._db.execute(
                "SELECT id, host, pid, heartbeat FROM runs WHERE status='running' AND space=? "
                "AND dataset=? AND preset=? AND recipe=?", _job_args(job)):
            if host == self.host and pid is not None:  # ours to judge: the pid decides
                gone = not _pid_alive(int(pid))
            else:  # another host's: only its heartbeat tells
                gone = beat is not None and now - beat > self.stale_after
            if gone:
                dead.append((run_id,))
        if dead:
            self._db.executemany("UPDATE runs SET status='pending', worker=NULL, pid=NULL "
                                 "WHERE id=?", dead)
        return len(dead)

    def claim(self, job: Job, token: str, arch: str | None = None, seed: int | None = None
              ) -> Claim | None:
        """Atomically take the oldest pending run of `job` (or exactly (`arch`, `seed`)),
        reclaiming dead workers' runs first. None when nothing is pending."""
        with self._tx():
            self._reclaim_dead(job)
            sql = ("SELECT id, arch, seed FROM runs WHERE status='pending' AND space=? AND "
                   "dataset=? AND preset=? AND recipe=?")
            args: list = list(_job_args(job))
            if arch is not None:
                sql += " AND arch=? AND seed=?"
                args += [arch, int(seed or 0)]
            row = self._db.execute(sql + " ORDER BY id LIMIT 1", args).fetchone()
            if row is None:
                return None
            run_id, run_arch, run_seed = row
            self._db.execute(
                "UPDATE runs SET status='running', worker=?, host=?, pid=?, heartbeat=?, "
                "attempts=attempts+1 WHERE id=?",
                (token, self.host, os.getpid(), time.time(), run_id))
            self._db.execute("DELETE FROM epochs WHERE run_id=?", (run_id,))  # a dead try's
            return Claim(run_id, run_arch, int(run_seed), token)

    def _owned(self, claim: Claim) -> None:
        row = self._db.execute("SELECT status, worker FROM runs WHERE id=?",
                               (claim.run_id,)).fetchone()
        if row is None or row[0] != "running" or row[1] != claim.token:
            raise LostClaim(f"run {claim.run_id} ({claim.arch}) is no longer claimed by "
                            f"{claim.token}")

    def record_epoch(self, claim: Claim, epoch: int, values: dict[str, float]) -> None:
        """Commit one epoch's row and a heartbeat; `LostClaim` if the run was reclaimed."""
        with self._tx():
            self._owned(claim)
            self._db.execute(
                "INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (claim.run_id, int(epoch), *(float(values[k]) for k in EPOCH_FIELDS)))
            self._db.execute("UPDATE runs SET heartbeat=? WHERE id=?", (time.time(), claim.run_id))

    def beat(self, claim: Claim) -> bool:
        """Refresh the heartbeat of a run `claim` still owns; False when it no longer does."""
        with self._tx():
            cur = self._db.execute(
                "UPDATE runs SET heartbeat=? WHERE id=? AND worker=? AND status='running'",
                (time.time(), claim.run_id, claim.token))
            return cur.rowcount == 1

    def finish(self, claim: Claim, status: str, test_acc: float | None = None,
               reason: str | None = None, seconds: float | None = None) -> None:
        """Mark the run `done` or `failed` (with `reason`); `LostClaim` if reclaimed."""
        if status not in ("done", "failed"):
            raise ValueError(f"status must be done or failed, got {status!r}")
        with self._tx():
            self._owned(claim)
            self._db.execute(
                "UPDATE runs SET status=?, test_acc=?, reason=?, seconds=?, finished=?, "
                "heartbeat=? WHERE id=?",
                (status, test_acc, reason, seconds, time.time(), time.time(), claim.run_id))

    def release(self, claim: Claim) -> None:
        """Give a claimed run back to the queue (a worker stopping cleanly mid-run)."""
        with self._tx():
            self._db.execute("UPDATE runs SET status='pending', worker=NULL, pid=NULL WHERE "
                             "id=? AND worker=? AND status='running'", (claim.run_id, claim.token))

    # -- reading ---------------------------------------------------------------------------
    def finished_by(self, job: Job, pids: Iterable[int], since: float) -> int:
        """Runs of `job` finished since `since` by worker processes `pids` on this host: what
        one `train` command did, not counting what other commands on the same store did."""
        wanted = [int(p) for p in pids]
        if not wanted:
            return 0
        marks = ",".join("?" * len(wanted))
        row = self._db.execute(
            f"SELECT COUNT(*) FROM runs WHERE space=? AND dataset=? AND preset=? AND recipe=? "
            f"AND status IN ('done', 'failed') AND host=? AND pid IN ({marks}) AND finished>=?",
            (*_job_args(job), self.host, *wanted, float(since))).fetchone()
        return int(row[0])

    def counts(self, job: Job, archs: Iterable[str] | None = None) -> dict[str, int]:
        """Runs of `job` per status (only those of `archs` when given)."""
        out = {s: 0 for s in ("pending", "running", "done", "failed")}
        rows = self._db.execute("SELECT arch, status FROM runs WHERE space=? AND dataset=? AND "
                                "preset=? AND recipe=?", _job_args(job)).fetchall()
        wanted = None if archs is None else set(archs)
        for arch, status in rows:
            if wanted is None or arch in wanted:
                out[status] += 1
        return out

    def running(self, job: Job) -> list[tuple[str, int, int]]:
        """(arch, seed, epochs done) of the runs in flight."""
        return [(a, int(s), int(e)) for a, s, e in self._db.execute(
            "SELECT r.arch, r.seed, (SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id) "
            "FROM runs r WHERE r.status='running' AND space=? AND dataset=? AND preset=? "
            "AND recipe=? ORDER BY r.id", _job_args(job))]

    def status(self, job: Job, arch: str, seed: int = 0) -> tuple[str, str | None] | None:
        row = self._db.execute("SELECT status, reason FROM runs WHERE space=? AND dataset=? AND "
                               "preset=? AND recipe=? AND arch=? AND seed=?",
                               (*_job_args(job), arch, int(seed))).fetchone()
        return None if row is None else (row[0], row[1])

    def results(self, job: Job, statuses: tuple[str, ...] = ("done",), seed: int | None = None
                ) -> list[dict]:
        """Finished runs of `job` (in queue order), each a dict: arch, seed, status, reason,
        test_acc, attempts, and `epochs`: a list of per-epoch dicts (EPOCH_FIELDS)."""
        marks = ",".join("?" * len(statuses))
        sql = (f"SELECT id, arch, seed, status, reason, test_acc, attempts FROM runs WHERE "
               f"space=? AND dataset=? AND preset=? AND recipe=? AND status IN ({marks})")
        args: list = [*_job_args(job), *statuses]
        if seed is not None:
            sql += " AND seed=?"
            args.append(int(seed))
        runs = self._db.execute(sql + " ORDER BY id", args).fetchall()
        epochs: dict[int, list[dict]] = {r[0]: [] for r in runs}
        if runs:
            for row in self._db.execute(
                    "SELECT e.* FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.space=? "
                    "AND r.dataset=? AND r.preset=? AND r.recipe=? ORDER BY e.run_id, e.epoch",
                    _job_args(job)):
                if row[0] in epochs:
                    epochs[row[0]].append(dict(zip(("epoch",) + EPOCH_FIELDS, row[1:])))
        return [{"arch": a, "seed": int(s), "status": st, "reason": why, "test_acc": t,
                 "attempts": int(n), "epochs": epochs[i]} for i, a, s, st, why, t, n in runs]

    def result(self, job: Job, arch: str, seed: int = 0) -> dict | None:
        """One run as in `results` (any status), or None when absent."""
        row = self._db.execute(
            "SELECT id, status, reason, test_acc, attempts FROM runs WHERE space=? AND "
            "dataset=? AND preset=? AND recipe=? AND arch=? AND seed=?",
            (*_job_args(job), arch, int(seed))).fetchone()
        if row is None:
            return None
        run_id, status, reason, test_acc, attempts = row
        epochs = [dict(zip(("epoch",) + EPOCH_FIELDS, r)) for r in self._db.execute(
            "SELECT epoch, train_loss, train_acc, val_loss, val_acc, seconds FROM epochs "
            "WHERE run_id=? ORDER BY epoch", (run_id,))]
        return {"arch": arch, "seed": int(seed), "status": status, "reason": reason,
                "test_acc": test_acc, "attempts": int(attempts), "epochs": epochs}

    def insert_done(self, job: Job, arch: str, seed: int, epochs: list[dict],
                    test_acc: float | None, seconds: float | None = None) -> bool:
        """Record an already-finished run (importing a shipped file). A queued (pending) run
        of the same key becomes done; False when the run is already running or finished."""
        now = time.time()
        with self._tx():
            row = self._db.execute(
                "SELECT id, status FROM runs WHERE space=? AND dataset=? AND preset=? AND "
                "recipe=? AND arch=? AND seed=?", (*_job_args(job), arch, int(seed))).fetchone()
            if row is not None and row[1] != "pending":
                return False
            if row is None:
                run_id = self._db.execute(
                    "INSERT INTO runs (space, arch, dataset, preset, recipe, seed, status, "
                    "recipe_json, created) VALUES (?, ?, ?, ?, ?, ?, 'done', ?, ?)",
                    (job.space, arch, job.dataset, job.preset, job.recipe, int(seed),
                     job.recipe_json, now)).lastrowid
            else:
                run_id = row[0]
                self._db.execute("DELETE FROM epochs WHERE run_id=?", (run_id,))
            self._db.execute("UPDATE runs SET status='done', test_acc=?, seconds=?, finished=? "
                             "WHERE id=?", (test_acc, seconds, now, run_id))
            self._db.executemany(
                "INSERT INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, i + 1, *(float(e[k]) for k in EPOCH_FIELDS))
                 for i, e in enumerate(epochs)])
            return True


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


def _job_args(job: Job) -> tuple[str, str, str, str]:
    return (job.space, job.dataset, job.preset, job.recipe)


def check_stale_after(value: object, name: str = "stale_after") -> float:
    """`value` as seconds, if it is a finite number above `HEARTBEAT_SECONDS`; a `ValueError`
    naming `name` otherwise (a smaller value would take runs from live workers)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}") from None
    if not (math.isfinite(seconds) and seconds > HEARTBEAT_SECONDS):
        raise ValueError(f"{name} must be more than the heartbeat interval "
                         f"({HEARTBEAT_SECONDS:g} s; a live worker beats that often), got "
                         f"{value!r}")
    return seconds


class Heartbeat:
    """While in its `with` block, refresh `claim`'s heartbeat every `interval` seconds from a
    thread with its own connection, so that a long epoch does not make a live worker look dead
    to workers on other hosts. Stops by itself once the claim is lost."""

    def __init__(self, path: str | Path, claim: Claim, interval: float = HEARTBEAT_SECONDS
                 ) -> None:
        self.path, self.claim, self.interval = Path(path), claim, float(interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="predbench-heartbeat",
                                        daemon=True)

    def _run(self) -> None:
        try:
            store = RunStore(self.path)
        except (StoreError, sqlite3.Error):
            return  # the epoch commits still beat; a missing extra beat only risks a reclaim
        try:
            while not self._stop.wait(self.interval):
                if not store.beat(self.claim):
                    return
        except sqlite3.Error:
            return
        finally:
            store.close()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
