"""What both run-store backends share (DESIGN §5): the schema, the statuses, the key, and every
statement that reads or writes runs, written once for SQLite (`store_sqlite.py`) and
PostgreSQL (`store_postgres.py`).

A run is keyed by (space, arch, dataset, preset, recipe hash, seed); the network preset is part
of the key because the same arch under another preset is another network. Status:
`pending` (queued) -> `running` (claimed by one worker) -> `done` | `failed` (+ reason).
Per-epoch rows are committed as each epoch ends.

Safety, on both backends:
- a claim is one transaction that takes the oldest pending run and marks it `running`, so two
  workers never get the same run (SQLite: the write lock of `BEGIN IMMEDIATE`; PostgreSQL:
  `SELECT … FOR UPDATE SKIP LOCKED`);
- each claim carries a worker token; an epoch row or the final status is written only in a
  transaction whose first statement updates the run *where the token still owns it* (a row
  lock until commit), so a run handed to another worker is never recorded twice;
- a claim whose worker died is reclaimed, its partial epochs dropped. Who is dead is the
  backend's rule (`_reclaim_dead`): SQLite checks pids on its own host and heartbeat age
  elsewhere; PostgreSQL, shared between machines, goes by heartbeat age alone. A worker beats
  at every epoch and, while it trains, every `HEARTBEAT_SECONDS` from a thread (`Heartbeat`),
  so `stale_after` need only exceed that interval, not an epoch.

Statements use `?` placeholders and `{now}` for the database's clock (seconds since the epoch);
a backend turns them into its own (`_sql`).
"""

from __future__ import annotations

import abc
import math
import os
import socket
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

from benchmarks.run_env import env_from_json, env_to_json

#: how often a training worker refreshes its claim's heartbeat (`Heartbeat`); `stale_after`
#: must exceed it, or live workers on other hosts would look dead between two beats
HEARTBEAT_SECONDS = 10.0

FORMAT = "predbench-result-store"
#: 2: runs record their environment (`env`, see `benchmarks.run_env`); version-1 stores are
#: upgraded in place when opened (`MIGRATIONS`)
VERSION = 2
EPOCH_FIELDS = ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")
STATUSES = ("pending", "running", "done", "failed")

#: the tables; `{id}` and `{real}` are the backend's integer key and float types
SCHEMA = """
CREATE TABLE IF NOT EXISTS predbench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id {id},
    space TEXT NOT NULL, arch TEXT NOT NULL, dataset TEXT NOT NULL, preset TEXT NOT NULL,
    recipe TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    reason TEXT, recipe_json TEXT, worker TEXT, host TEXT, pid INTEGER, heartbeat {real},
    attempts INTEGER NOT NULL DEFAULT 0, test_acc {real}, seconds {real},
    created {real} NOT NULL, finished {real}, env TEXT,
    UNIQUE (space, arch, dataset, preset, recipe, seed));
CREATE INDEX IF NOT EXISTS runs_status ON runs (space, dataset, preset, recipe, status, id);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs (id), epoch INTEGER NOT NULL,
    train_loss {real}, train_acc {real}, val_loss {real}, val_acc {real}, seconds {real},
    PRIMARY KEY (run_id, epoch));
"""
#: the statements that take a store of version v to v + 1
MIGRATIONS: dict[int, tuple[str, ...]] = {1: ("ALTER TABLE runs ADD COLUMN env TEXT",)}
_JOB = "space=? AND dataset=? AND preset=? AND recipe=?"
_EPOCH_UPSERT = ("INSERT INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, epoch) "
                 "DO UPDATE SET " + ", ".join(f"{k}=excluded.{k}" for k in EPOCH_FIELDS))


class StoreError(ValueError):
    """Not a usable predbench run store (the message names the file or database and the
    problem, in one line)."""


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


def job_args(job: Job) -> tuple[str, str, str, str]:
    return (job.space, job.dataset, job.preset, job.recipe)


class BaseRunStore(abc.ABC):
    """The run-store interface and its backend-neutral statements: one row per training run
    (job, arch, seed) with its status and per-epoch rows. Every method runs short
    transactions, so many processes (or machines, on PostgreSQL) may hold a store at once.
    Open one with `benchmarks.store.open_run_store(db)`."""

    #: "sqlite" or "postgresql"
    backend: ClassVar[str] = ""
    #: the driver's exceptions (what a heartbeat thread may swallow)
    db_errors: tuple[type[BaseException], ...] = ()
    #: SQL for the database's clock in seconds since the epoch (replaces `{now}`)
    NOW: ClassVar[str] = ""
    #: appended to the claim's SELECT (PostgreSQL: FOR UPDATE SKIP LOCKED)
    CLAIM_LOCK: ClassVar[str] = ""
    #: appended to a SELECT whose row a transaction then changes (PostgreSQL: FOR UPDATE)
    ROW_LOCK: ClassVar[str] = ""

    stale_after: float
    host: str
    #: where the store is, for messages (a file path, or a URL without its password)
    location: str

    def __init__(self, stale_after: float = 3600.0) -> None:
        self.stale_after = check_stale_after(stale_after)
        self.host = socket.gethostname()

    # -- what a backend provides (abstract) ------------------------------------------------
    @abc.abstractmethod
    def _execute(self, sql: str, args: Iterable[Any] = ()) -> Any:
        """Run one statement (`?` placeholders, `{now}`); returns a DB-API cursor."""
        raise NotImplementedError

    @abc.abstractmethod
    def _executemany(self, sql: str, rows: list[tuple]) -> int:
        """Run one statement per row; returns the rows changed."""
        raise NotImplementedError

    @abc.abstractmethod
    def _tx(self) -> AbstractContextManager[Any]:
        """A write transaction (commit on success, rollback on error)."""
        raise NotImplementedError

    @abc.abstractmethod
    def _reclaim_dead(self, job: Job) -> int:
        """Inside a transaction: running runs of dead workers go back to pending."""
        raise NotImplementedError

    @abc.abstractmethod
    def close(self) -> None:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql.replace("{now}", self.NOW)

    def _one(self, sql: str, args: Iterable[Any] = ()) -> Any:
        rows = self._execute(sql, args).fetchall()  # all: a statement left open blocks COMMIT
        return rows[0] if rows else None

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list:
        return list(self._execute(sql, args).fetchall())

    def _create_schema(self, id_type: str, real_type: str) -> None:
        """Inside a transaction: the tables and the format/version rows."""
        for statement in SCHEMA.format(id=id_type, real=real_type).split(";"):
            if statement.strip():
                self._execute(statement)
        self._executemany("INSERT INTO predbench_meta VALUES (?, ?) ON CONFLICT DO NOTHING",
                          [("format", FORMAT), ("version", str(VERSION))])

    def _check_meta(self, meta: dict[str, str]) -> int:
        """The store's format version, if this predbench reads it (an older one is upgraded
        by `_upgrade`); a `StoreError` otherwise."""
        if meta.get("format") != FORMAT:
            raise StoreError(f"{self.location}: not a predbench run store "
                             f"(format {meta.get('format')!r})")
        try:
            version = int(meta.get("version", ""))
        except ValueError:
            version = 0
        if version > VERSION:
            raise StoreError(f"{self.location}: run store version {version} was written by a "
                             f"newer predbench; this one reads versions 1 to {VERSION} "
                             f"(upgrade predbench)")
        if version < 1:
            raise StoreError(f"{self.location}: run store with an unreadable version "
                             f"{meta.get('version')!r}")
        return version

    def _upgrade(self, version: int) -> None:
        """Inside a transaction: take a store of `version` to `VERSION` (columns added; every
        row kept; the new columns of old runs stay NULL)."""
        for v in range(version, VERSION):
            for statement in MIGRATIONS[v]:
                self._execute(statement)
        self._execute("UPDATE predbench_meta SET value=? WHERE key='version'", (str(VERSION),))

    # -- queue -----------------------------------------------------------------------------
    def enqueue(self, job: Job, archs: Iterable[str], seeds: Iterable[int] = (0,)) -> int:
        """Queue (arch, seed) runs of `job` that are not yet in the store; returns how many."""
        seed_list = [int(s) for s in seeds]
        rows = [(job.space, a, job.dataset, job.preset, job.recipe, s, job.recipe_json)
                for a in archs for s in seed_list]
        if not rows:
            return 0
        with self._tx():
            return self._executemany(
                "INSERT INTO runs (space, arch, dataset, preset, recipe, seed, status, "
                "recipe_json, created) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, {now}) "
                "ON CONFLICT DO NOTHING", rows)

    def retry_failed(self, job: Job) -> int:
        """Put the failed runs of `job` back in the queue."""
        with self._tx():
            return int(self._execute("UPDATE runs SET status='pending', reason=NULL WHERE "
                                     f"status='failed' AND {_JOB}", job_args(job)).rowcount)

    def new_token(self, tag: str = "") -> str:
        """A worker's token: host, pid, a random part and `tag` (a train command's mark, see
        `finished_with`)."""
        return f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}" + (f":{tag}" if tag else "")

    def claim(self, job: Job, token: str, arch: str | None = None, seed: int | None = None
              ) -> Claim | None:
        """Atomically take the oldest pending run of `job` (or exactly (`arch`, `seed`)),
        reclaiming dead workers' runs first. None when nothing is pending."""
        with self._tx():
            self._reclaim_dead(job)
            sql = f"SELECT id, arch, seed FROM runs WHERE status='pending' AND {_JOB}"
            args: list = list(job_args(job))
            if arch is not None:
                sql += " AND arch=? AND seed=?"
                args += [arch, int(seed or 0)]
            row = self._one(sql + " ORDER BY id LIMIT 1" + self.CLAIM_LOCK, args)
            if row is None:
                return None
            run_id, run_arch, run_seed = row
            self._execute(
                "UPDATE runs SET status='running', worker=?, host=?, pid=?, heartbeat={now}, "
                "attempts=attempts+1 WHERE id=?", (token, self.host, os.getpid(), run_id))
            self._execute("DELETE FROM epochs WHERE run_id=?", (run_id,))  # a dead try's
            return Claim(int(run_id), run_arch, int(run_seed), token)

    def _own(self, claim: Claim, sets: str = "", args: tuple = ()) -> None:
        """Inside a transaction: beat (and set `sets`) where `claim` still owns the run, which
        locks the row until commit; `LostClaim` when it no longer does."""
        cur = self._execute(
            f"UPDATE runs SET heartbeat={{now}}{sets} WHERE id=? AND worker=? AND "
            "status='running'", (*args, claim.run_id, claim.token))
        if cur.rowcount != 1:
            raise LostClaim(f"run {claim.run_id} ({claim.arch}) is no longer claimed by "
                            f"{claim.token}")

    def record_epoch(self, claim: Claim, epoch: int, values: dict[str, float]) -> None:
        """Commit one epoch's row and a heartbeat; `LostClaim` if the run was reclaimed."""
        with self._tx():
            self._own(claim)
            self._execute(_EPOCH_UPSERT, (claim.run_id, int(epoch),
                                          *(float(values[k]) for k in EPOCH_FIELDS)))

    def beat(self, claim: Claim) -> bool:
        """Refresh the heartbeat of a run `claim` still owns; False when it no longer does."""
        try:
            with self._tx():
                self._own(claim)
        except LostClaim:
            return False
        return True

    def finish(self, claim: Claim, status: str, test_acc: float | None = None,
               reason: str | None = None, seconds: float | None = None,
               env: dict[str, Any] | None = None) -> None:
        """Mark the run `done` or `failed` (with `reason`) and record the environment it ran
        in (`benchmarks.run_env.run_environment`); `LostClaim` if reclaimed."""
        if status not in ("done", "failed"):
            raise ValueError(f"status must be done or failed, got {status!r}")
        with self._tx():
            self._own(claim, ", status=?, test_acc=?, reason=?, seconds=?, env=?, "
                      "finished={now}", (status, test_acc, reason, seconds, env_to_json(env)))

    def release(self, claim: Claim) -> None:
        """Give a claimed run back to the queue (a worker stopping cleanly mid-run)."""
        with self._tx():
            self._execute("UPDATE runs SET status='pending', worker=NULL, pid=NULL WHERE "
                          "id=? AND worker=? AND status='running'", (claim.run_id, claim.token))

    # -- reading ---------------------------------------------------------------------------
    def finished_by(self, job: Job, pids: Iterable[int], since: float) -> int:
        """Runs of `job` finished since `since` by worker processes `pids` on this host: what
        one `train` command did, not counting what other commands on the same store did."""
        wanted = [int(p) for p in pids]
        if not wanted:
            return 0
        marks = ",".join("?" * len(wanted))
        row = self._one(f"SELECT COUNT(*) FROM runs WHERE {_JOB} AND status IN ('done', "
                        f"'failed') AND host=? AND pid IN ({marks}) AND finished>=?",
                        (*job_args(job), self.host, *wanted, float(since)))
        return int(row[0])

    def finished_with(self, job: Job, tag: str) -> int:
        """Runs of `job` finished by workers whose token carries `tag` (`new_token(tag)`):
        what one `train` command did, on any host, whatever other commands did meanwhile."""
        if not tag or any(c in tag for c in "%_:\\"):
            raise ValueError(f"a worker tag is a non-empty word without % _ : \\, got {tag!r}")
        row = self._one(f"SELECT COUNT(*) FROM runs WHERE {_JOB} AND status IN ('done', "
                        "'failed') AND worker LIKE ?", (*job_args(job), f"%:{tag}"))
        return int(row[0])

    def counts(self, job: Job, archs: Iterable[str] | None = None) -> dict[str, int]:
        """Runs of `job` per status (only those of `archs` when given)."""
        out = {s: 0 for s in STATUSES}
        if archs is None:
            for status, n in self._all(f"SELECT status, COUNT(*) FROM runs WHERE {_JOB} "
                                       "GROUP BY status", job_args(job)):
                out[status] += int(n)
            return out
        wanted = set(archs)
        for arch, status in self._all(f"SELECT arch, status FROM runs WHERE {_JOB}",
                                      job_args(job)):
            if arch in wanted:
                out[status] += 1
        return out

    def running(self, job: Job) -> list[tuple[str, int, int]]:
        """(arch, seed, epochs done) of the runs in flight."""
        return [(a, int(s), int(e)) for a, s, e in self._all(
            "SELECT r.arch, r.seed, (SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id) "
            f"FROM runs r WHERE r.status='running' AND {_JOB} ORDER BY r.id", job_args(job))]

    def status(self, job: Job, arch: str, seed: int = 0) -> tuple[str, str | None] | None:
        row = self._one(f"SELECT status, reason FROM runs WHERE {_JOB} AND arch=? AND seed=?",
                        (*job_args(job), arch, int(seed)))
        return None if row is None else (row[0], row[1])

    def results(self, job: Job, statuses: tuple[str, ...] = ("done",), seed: int | None = None
                ) -> list[dict]:
        """Finished runs of `job` (in queue order), each a dict: arch, seed, status, reason,
        test_acc, attempts, env (what it ran on; None when not recorded) and `epochs`: a list
        of per-epoch dicts (EPOCH_FIELDS)."""
        marks = ",".join("?" * len(statuses))
        sql = (f"SELECT id, arch, seed, status, reason, test_acc, attempts, env FROM runs WHERE "
               f"{_JOB} AND status IN ({marks})")
        args: list = [*job_args(job), *statuses]
        if seed is not None:
            sql += " AND seed=?"
            args.append(int(seed))
        runs = self._all(sql + " ORDER BY id", args)
        epochs: dict[int, list[dict]] = {r[0]: [] for r in runs}
        if runs:
            for row in self._all(
                    "SELECT e.run_id, e.epoch, " + ", ".join(f"e.{k}" for k in EPOCH_FIELDS)
                    + " FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.space=? AND "
                    "r.dataset=? AND r.preset=? AND r.recipe=? ORDER BY e.run_id, e.epoch",
                    job_args(job)):
                if row[0] in epochs:
                    epochs[row[0]].append(dict(zip(("epoch",) + EPOCH_FIELDS, row[1:])))
        return [{"arch": a, "seed": int(s), "status": st, "reason": why, "test_acc": t,
                 "attempts": int(n), "env": env_from_json(env), "epochs": epochs[i]}
                for i, a, s, st, why, t, n, env in runs]

    def result(self, job: Job, arch: str, seed: int = 0) -> dict | None:
        """One run as in `results` (any status), or None when absent."""
        row = self._one(f"SELECT id, status, reason, test_acc, attempts, env FROM runs WHERE "
                        f"{_JOB} AND arch=? AND seed=?", (*job_args(job), arch, int(seed)))
        if row is None:
            return None
        run_id, status, reason, test_acc, attempts, env = row
        epochs = [dict(zip(("epoch",) + EPOCH_FIELDS, r)) for r in self._all(
            "SELECT epoch, " + ", ".join(EPOCH_FIELDS) + " FROM epochs WHERE run_id=? "
            "ORDER BY epoch", (run_id,))]
        return {"arch": arch, "seed": int(seed), "status": status, "reason": reason,
                "test_acc": test_acc, "attempts": int(attempts), "env": env_from_json(env),
                "epochs": epochs}

    def insert_done(self, job: Job, arch: str, seed: int, epochs: list[dict],
                    test_acc: float | None, seconds: float | None = None,
                    env: dict[str, Any] | None = None) -> bool:
        """Record an already-finished run (importing a shipped file; `env` what it ran on,
        when the file says). A queued (pending) run of the same key becomes done; False when
        the run is already running or finished."""
        with self._tx():
            key = (*job_args(job), arch, int(seed))
            row = self._one(f"SELECT id, status FROM runs WHERE {_JOB} AND arch=? AND seed=?"
                            + self.ROW_LOCK, key)
            if row is not None and row[1] != "pending":
                return False
            if row is None:
                row = self._one(
                    "INSERT INTO runs (space, arch, dataset, preset, recipe, seed, status, "
                    "recipe_json, created) VALUES (?, ?, ?, ?, ?, ?, 'done', ?, {now}) "
                    "ON CONFLICT DO NOTHING RETURNING id",
                    (job.space, arch, job.dataset, job.preset, job.recipe, int(seed),
                     job.recipe_json))
                if row is None:  # another importer inserted it meanwhile
                    return False
            run_id = row[0]
            self._execute("DELETE FROM epochs WHERE run_id=?", (run_id,))
            self._execute("UPDATE runs SET status='done', test_acc=?, seconds=?, env=?, "
                          "finished={now} WHERE id=?",
                          (test_acc, seconds, env_to_json(env), run_id))
            self._executemany(
                "INSERT INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, i + 1, *(float(e[k]) for k in EPOCH_FIELDS))
                 for i, e in enumerate(epochs)])
            return True
