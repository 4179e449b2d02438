"""The live run store (DESIGN §5): one interface, two backends, picked by `open_run_store(db)`.

- a path (`results/live.db`): SQLite in WAL mode, the embedded default, shared by the worker
  processes of one machine (`benchmarks.store_sqlite.RunStore`);
- a URL (`postgresql://user@host:port/name`): PostgreSQL through psycopg 3, shared by workers on
  several machines (`benchmarks.store_postgres.PostgresRunStore`; `pip install -e '.[postgres]'`).

Both keep the same schema, statuses and guarantees (`benchmarks.store_base`): atomic claims,
epoch rows written only while the worker's token owns the run, dead claims reclaimed (SQLite:
by pid on its own host, by heartbeat age elsewhere; PostgreSQL: by heartbeat age alone), nothing
trained twice, nothing finished lost. `Heartbeat` keeps a claim alive during long epochs.
"""

from __future__ import annotations

import threading
from pathlib import Path

from benchmarks.store_base import (
    EPOCH_FIELDS,
    FORMAT,
    HEARTBEAT_SECONDS,
    STATUSES,
    VERSION,
    BaseRunStore,
    Claim,
    Job,
    LostClaim,
    StoreError,
    check_stale_after,
)
from benchmarks.store_postgres import STALE_AFTER as POSTGRES_STALE_AFTER
from benchmarks.store_postgres import PostgresRunStore, is_postgres_url, mask_url
from benchmarks.store_sqlite import RunStore

SQLITE_STALE_AFTER = 3600.0

__all__ = ["EPOCH_FIELDS", "FORMAT", "HEARTBEAT_SECONDS", "STATUSES", "VERSION", "BaseRunStore",
           "Claim", "Heartbeat", "Job", "LostClaim", "PostgresRunStore", "RunStore", "StoreError",
           "check_stale_after", "default_stale_after", "describe_db", "is_db_url",
           "open_run_store"]


def is_db_url(db: object) -> bool:
    """Whether `db` names a database server (`scheme://...`) rather than a file."""
    return isinstance(db, str) and "://" in db


def describe_db(db: str | Path) -> str:
    """`db` for messages: a path as is, a URL without its password."""
    return mask_url(db) if isinstance(db, str) else str(db)


def default_stale_after(db: str | Path) -> float:
    """The backend's default `stale_after` for the store `db` names."""
    return POSTGRES_STALE_AFTER if is_postgres_url(db) else SQLITE_STALE_AFTER


def open_run_store(db: str | Path, stale_after: float | None = None) -> BaseRunStore:
    """The run store `db` names: a `postgresql://` (or `postgres://`) URL opens PostgreSQL,
    anything else is an SQLite file path. `stale_after` (seconds without a heartbeat before a
    claim is taken over) defaults to the backend's: 300 on PostgreSQL, where it is the only
    rule, 3600 on SQLite, where it applies to other hosts' claims only. `StoreError` (one line
    naming `db`, never its password) when it cannot be opened."""
    if stale_after is None:
        stale_after = default_stale_after(db)
    check_stale_after(stale_after)
    if is_postgres_url(db):
        return PostgresRunStore(str(db), stale_after=stale_after)
    if is_db_url(db):
        scheme = str(db).split("://", 1)[0]
        raise StoreError(f"{mask_url(str(db))}: unsupported database URL scheme {scheme!r}; "
                         f"expected a file path or postgresql://user@host:port/name")
    return RunStore(db, stale_after=stale_after)


class Heartbeat:
    """While in its `with` block, refresh `claim`'s heartbeat every `interval` seconds from a
    thread with its own connection to the store `db` (a path or a URL), so that a long epoch
    does not make a live worker look dead to workers on other hosts. Stops by itself once the
    claim is lost."""

    def __init__(self, db: str | Path, claim: Claim, interval: float = HEARTBEAT_SECONDS
                 ) -> None:
        self.db, self.claim, self.interval = db, claim, float(interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="predbench-heartbeat",
                                        daemon=True)

    @property
    def path(self) -> Path:  # the name before PostgreSQL stores existed
        return Path(self.db)

    def _run(self) -> None:
        try:
            store = open_run_store(self.db)
        except StoreError:
            return  # the epoch commits still beat; a missing extra beat only risks a reclaim
        try:
            while not self._stop.wait(self.interval):
                if not store.beat(self.claim):
                    return
        except store.db_errors:
            return
        finally:
            store.close()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
