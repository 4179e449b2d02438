"""The sweep store: one SQLite file (WAL mode), or a PostgreSQL database
(`postgresql://user@host:port/name`, `experiments/sweep_store_postgres.py`), one row per
evaluated cell; `open_sweep_store(db)` picks by the string.

A row is keyed by (benchmark label, predictor label, train_size, fidelity, seed) — the labels
name the spec entries, so two parameterisations of one predictor, or two benchmarks of the same
space and dataset, never collide. The full DESIGN §4 result row is kept as JSON next to the key,
since hyperparameter columns differ between predictors; `frame()` returns the tidy table.
Only the writing process (the sweep's coordinator) writes, one transaction per row, so a killed
sweep loses at most the cells that were in flight.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    benchmark TEXT NOT NULL,
    predictor_label TEXT NOT NULL,
    train_size INTEGER NOT NULL,
    fidelity INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    row_json TEXT NOT NULL,
    PRIMARY KEY (benchmark, predictor_label, train_size, fidelity, seed)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_FORMAT = "predbench-results-1"

Key = tuple[str, str, int, int, int]


class SweepStore:
    """The sweep store at `path` (created when absent): one evaluated result row per cell. Not
    the run store of `benchmarks.store.RunStore`, which holds live-training runs."""

    backend = "sqlite"

    def __init__(self, path: str | Path):
        if "://" in str(path):
            raise ValueError(f"{path}: a database URL, not a file; open it with "
                             f"experiments.sweep_store.open_sweep_store")
        self.path = Path(path)
        self.location = str(self.path)
        self._check_file()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        try:
            # checked before WAL mode is set: a foreign or damaged file is left as it was
            tables = {r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and "results" not in tables:
                raise ValueError(f"{self.path}: not a predbench sweep store "
                                 f"(it has tables {', '.join(sorted(tables))})")
            if tables:  # every page read once: damage shows here, not mid-sweep
                check = self._db.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    said = " ".join(check.replace("***", " ").split())
                    said = said if len(said) <= 160 else said[:160] + "..."
                    raise ValueError(f"{self.path}: corrupt sweep store (SQLite says: "
                                     f"{said}); restore a copy or use another --db")
            if "meta" in tables:
                stored = self._db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                if stored is not None and stored[0] != _FORMAT:
                    raise ValueError(f"{self.path}: sweep store format {stored[0]!r}, "
                                     f"expected {_FORMAT!r}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            if self._db.execute("SELECT value FROM meta WHERE key='format'").fetchone() is None:
                self._db.execute("INSERT INTO meta VALUES ('format', ?)", (_FORMAT,))
                self._db.commit()
        except sqlite3.DatabaseError as exc:
            self._db.close()  # closed: no -wal/-shm files left next to the user's file
            raise ValueError(f"{self.path}: not a usable SQLite sweep store ({exc}); restore a "
                             f"copy or use another --db") from None
        except ValueError:
            self._db.close()
            raise

    def _check_file(self) -> None:
        """A file that exists must be an SQLite database (not a directory, text, a spec...)."""
        if self.path.is_dir():
            raise ValueError(f"{self.path}: is a directory, expected a sweep store file")
        probe = self.path.parent
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():  # mkdir would raise FileExistsError / NotADirectoryError
            raise ValueError(f"{self.path}: cannot create the sweep store: {probe} is a file, "
                             f"not a folder")
        if self.path.is_file() and self.path.stat().st_size > 0:
            with self.path.open("rb") as f:
                head = f.read(16)
            if head != b"SQLite format 3\x00":
                raise ValueError(f"{self.path}: not a predbench sweep store: the file is not an "
                                 f"SQLite database (it starts with {head[:8]!r})")

    # -- the backend: `?` placeholders; PostgreSQL overrides these -------------------------
    def _execute(self, sql: str, args: tuple = ()) -> Any:
        return self._db.execute(sql, args)

    def _commit(self) -> None:
        self._db.commit()

    def check_protocol(self, protocol: dict[str, Any]) -> None:
        """Record the sweep protocol (test size, sampler, split) on first use; a later sweep
        with another protocol would mix incomparable rows, so it is refused."""
        stored = self._execute("SELECT value FROM meta WHERE key='protocol'").fetchone()
        text = json.dumps(protocol, sort_keys=True)
        if stored is None:
            if len(self):
                return  # a store from before protocols were recorded: its rows say theirs
            self._execute("INSERT INTO meta VALUES ('protocol', ?)", (text,))
            self._commit()
        elif json.loads(stored[0]) != protocol:
            theirs = ", ".join(f"{k}={v}" for k, v in sorted(json.loads(stored[0]).items()))
            raise ValueError(f"{self.location} holds rows made with {theirs}; this sweep uses "
                             f"{', '.join(f'{k}={v}' for k, v in sorted(protocol.items()))} "
                             f"— use another --db")

    def keys(self) -> set[Key]:
        return {tuple(r) for r in self._execute(
            "SELECT benchmark, predictor_label, train_size, fidelity, seed FROM results")}

    def add(self, key: Key, row: dict[str, Any]) -> None:
        """Store one row (replacing an earlier one with the same key)."""
        self._execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (benchmark, "
                      "predictor_label, train_size, fidelity, seed) DO UPDATE SET "
                      "row_json = excluded.row_json", (*key, json.dumps(_plain(row))))
        self._commit()

    def frame(self) -> pd.DataFrame:
        rows = [json.loads(r[0]) | {"benchmark": r[1], "predictor_label": r[2]}
                for r in self._execute(
                    "SELECT row_json, benchmark, predictor_label FROM results "
                    "ORDER BY benchmark, predictor_label, seed, train_size, fidelity")]
        return pd.DataFrame(rows)

    def export(self, path: str | Path) -> Path:
        """Write the tidy table as CSV or parquet (by suffix)."""
        path = Path(path)
        check_export_path(path, self)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.frame()
        if path.suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return path

    def __len__(self) -> int:
        return int(self._execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def check_export_path(path: str | Path, store: SweepStore | str | Path | None = None,
                      flag: str = "export") -> None:
    """Where `export` may write: a .csv or .parquet file that is not a folder and not the
    store itself (`store`: the store or its path). ValueError naming `flag`; checked by the
    command line before a sweep starts, so that it never fails at its end."""
    path = Path(str(path))
    if path.is_dir():
        raise ValueError(f"{flag}: {path} is a folder; give a .csv or .parquet file")
    where = getattr(store, "path", None) if isinstance(store, SweepStore) else store
    if where is not None and "://" not in str(where) and \
            path.resolve() == Path(str(where)).resolve():
        raise ValueError(f"{flag}: {path} is the sweep store itself")
    if path.suffix not in (".csv", ".parquet"):
        raise ValueError(f"{flag}: {path}: export as .csv or .parquet")
    probe = path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise ValueError(f"{flag}: cannot create {path}: {probe} is a file, not a folder")


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe values: NaN -> None, numpy scalars -> Python."""
    out = {}
    for k, v in row.items():
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and math.isnan(v):
            v = None
        out[k] = v
    return out


def is_sweep_db_url(db: object) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def open_sweep_store(db: str | Path) -> SweepStore:
    """The sweep store `db` names: a `postgresql://` URL, or an SQLite file path."""
    if is_sweep_db_url(db):
        from experiments.sweep_store_postgres import PostgresSweepStore

        return PostgresSweepStore(str(db))
    if "://" in str(db):
        scheme = str(db).split("://", 1)[0]
        from benchmarks.store import mask_url

        raise ValueError(f"{mask_url(str(db))}: unsupported database URL scheme {scheme!r}; "
                         f"expected a file path or postgresql://user@host:port/name")
    return SweepStore(db)


def read_rows(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate results from stores (.db files, PostgreSQL URLs) and tables
    (.csv/.parquet)."""
    frames = []
    for given in paths:
        if is_sweep_db_url(given):
            store = open_sweep_store(given)
            frames.append(store.frame())
            store.close()
            continue
        p = Path(given)
        if p.suffix == ".db":
            # reading must not create a store, nor turn an empty file into one
            if not p.exists():
                raise FileNotFoundError(f"{p}: no such sweep store")
            if p.is_file() and p.stat().st_size == 0:
                raise ValueError(f"{p}: an empty file, not a sweep store")
            store = SweepStore(p)
            frames.append(store.frame())
            store.close()
        elif p.suffix in (".csv", ".parquet"):
            frames.append(_read_table(p))
        else:
            raise ValueError(f"{p}: expected a sweep store (.db) or table (.csv/.parquet)")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _read_table(path: Path) -> pd.DataFrame:
    """A results table (.csv or .parquet); a ValueError naming the file when it is empty,
    binary or malformed (pandas' and pyarrow's own messages name neither the file nor what
    it should have been)."""
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a results table")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: an empty file, not a results table")
    try:
        if path.suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file, so not a results table (.csv)") from None
    except (ValueError, OSError) as exc:  # pandas' ParserError/EmptyDataError, pyarrow's errors
        problem = " ".join(str(exc).split())[:160]
        raise ValueError(f"{path}: not a readable results table ({problem})") from None
