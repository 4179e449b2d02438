"""The sweep store in a PostgreSQL database (`predbench sweep --db postgresql://...`): the same
tables, key and rows as the SQLite file of `experiments.sweep_store`, so a sweep whose
coordinator runs anywhere the database is reachable resumes from, and reports on, one place.
Open it with `experiments.sweep_store.open_sweep_store(url)`.
"""

from __future__ import annotations

from typing import Any

from benchmarks.store_postgres import connect, mask_url
from experiments.sweep_store import _FORMAT, _SCHEMA, SweepStore

#: serialises table creation by concurrent openers (any number, distinct from the run store's)
_SCHEMA_LOCK = 0x73776565


class PostgresSweepStore(SweepStore):
    """The sweep store in the PostgreSQL database at `url` (tables created when absent; the
    database itself must exist). Errors are one line naming the URL, never its password."""

    backend = "postgresql"

    def __init__(self, url: str) -> None:  # not SweepStore's: no file to check
        import psycopg

        self.url = url
        self.location = mask_url(url)
        self._db = connect(url, "PostgreSQL sweep store")
        try:
            with self._db.transaction():
                self._execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._execute(statement)
                stored = self._execute("SELECT value FROM meta WHERE key='format'").fetchone()
                if stored is None:
                    self._execute("INSERT INTO meta VALUES ('format', ?)", (_FORMAT,))
                elif stored[0] != _FORMAT:
                    raise ValueError(f"{self.location}: sweep store format {stored[0]!r}, "
                                     f"expected {_FORMAT!r}")
        except psycopg.Error as exc:
            self._db.close()
            raise ValueError(f"{self.location}: not a usable predbench sweep store "
                             f"({' '.join(str(exc).split())}); use another --db") from None

    def _execute(self, sql: str, args: tuple = ()) -> Any:
        return self._db.execute(sql.replace("?", "%s"), args)

    def _commit(self) -> None:
        pass  # autocommit: every statement is its own transaction
