"""`TabularBenchmark`: ground truth read from files that store one final number per architecture.

The sources (`suite_zero.py`: NAS-Bench-Suite-Zero JSON, `table.py`: CSV/parquet tables) hold a
final validation accuracy per architecture, optionally a test accuracy, the training seconds of
the run behind it, more numeric columns and stored zero-cost proxy scores. This module keeps them
in flat numpy arrays indexed by row (15,625 NB201 rows cost well under a megabyte) and turns a
row into a length-1 `Curve` on request (`max_epochs` = 1; `reported_epochs` says how many epochs
the stored accuracy was trained for).

Shared helpers here build the one-line "<file>: row <n>: <problem>" errors the loaders raise.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import Benchmark, Curve
from search_spaces import Arch, SearchSpace, get_search_space, list_search_spaces

#: epochs of the training runs behind the final accuracies the public tabular benchmarks store:
#: NAS-Bench-201 200, NAS-Bench-101 108, NAS-Bench-301 (DARTS space) 100
REPORTED_EPOCHS: dict[str, int] = {"nb201": 200, "nb101": 108, "darts": 100}


class RowIndexedBenchmark(Benchmark):
    """A benchmark whose archs are rows of arrays: subclasses set `_archs` (the archs in row
    order) and `_row` (arch -> row); this gives `archs`, `len`, membership and `row`."""

    _archs: list[Arch]
    _row: dict[Arch, int]

    def archs(self) -> list[Arch]:
        return list(self._archs)

    def __len__(self) -> int:
        return len(self._archs)

    def _holds(self, arch: Arch) -> bool:
        return arch in self._row

    def row(self, arch: Arch | str) -> int:
        """Row (0-based, in `archs()` order) of `arch`; `KeyError` naming it when absent."""
        key = self._as_arch(arch)
        try:
            return self._row[key]
        except KeyError:
            raise KeyError(
                f"architecture {self.space.format(key)} is not in {self.kind} benchmark "
                f"({self.describe()})") from None

    def _rows(self, archs: Iterable[Arch | str]) -> np.ndarray:
        return np.fromiter((self.row(a) for a in archs), dtype=np.int64)


class TabularBenchmark(RowIndexedBenchmark):
    """A table of final values: one row per architecture.

    `target` names the stored quantity used as the label (e.g. "val_accuracy"); `curve(arch)`
    returns it as the final (and only) `val_acc` of a length-1 curve. Extra numeric columns are
    reachable with `columns()`, `column(arch, name)` and `values(name)`; stored zero-cost scores
    with `proxies()`, `proxy_score(arch, name)` and `proxy_scores(name)`.
    """

    kind = "tabular"

    def __init__(
        self,
        *,
        space: SearchSpace,
        dataset: str,
        path: Path,
        archs: list[Arch],
        target: str,
        values: np.ndarray,
        reported_epochs: int | None = None,
        test_acc: np.ndarray | None = None,
        train_seconds: np.ndarray | None = None,
        columns: dict[str, np.ndarray] | None = None,
        proxies: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        self.space = space
        self.dataset = dataset
        self.max_epochs = 1
        self.path = Path(path)
        self.target = target
        self._archs = list(archs)
        self._row = {a: i for i, a in enumerate(self._archs)}
        n = len(self._archs)
        self._values = _column(values, n, target)
        self._test = None if test_acc is None else _column(test_acc, n, "test_acc")
        self._seconds = None if train_seconds is None else _column(train_seconds, n, "seconds")
        self._columns = {k: _column(v, n, k) for k, v in (columns or {}).items()}
        self._proxies = {k: (_column(s, n, k), _column(t, n, k))
                         for k, (s, t) in (proxies or {}).items()}
        self._reported = int(reported_epochs if reported_epochs is not None
                             else REPORTED_EPOCHS.get(space.name, 1))

    # -- Benchmark ------------------------------------------------------------------------
    @property
    def reported_epochs(self) -> int:
        return self._reported

    def curve(self, arch: Arch | str) -> Curve:
        i = self.row(arch)
        test = None
        if self._test is not None and not math.isnan(self._test[i]):
            test = float(self._test[i])
        seconds = math.nan if self._seconds is None else float(self._seconds[i])
        return Curve.final_only(float(self._values[i]), test_acc=test, train_seconds=seconds)

    def final_val_acc(self, archs: Iterable[Arch | str] | None = None) -> np.ndarray:
        if archs is None:
            return self._values.copy()
        return self._values[self._rows(archs)]

    # -- table access -----------------------------------------------------------------------
    def columns(self) -> list[str]:
        """Names of the stored numeric columns besides the target (see `column`)."""
        return list(self._columns)

    def values(self, name: str | None = None) -> np.ndarray:
        """A copy of column `name` (the target when None) over `archs()` order."""
        if name is None or name == self.target:
            return self._values.copy()
        return self._named_column(name).copy()

    def column(self, arch: Arch | str, name: str) -> float:
        """The stored value of column `name` for `arch` (the target when `name` is it)."""
        i = self.row(arch)
        if name == self.target:
            return float(self._values[i])
        return float(self._named_column(name)[i])

    def _named_column(self, name: str) -> np.ndarray:
        if name not in self._columns:
            have = ", ".join([self.target, *self._columns]) or "none"
            raise KeyError(f"{self.kind} benchmark ({self.describe()}) has no column {name!r}; "
                           f"it has: {have}")
        return self._columns[name]

    def best(self) -> tuple[Arch, float]:
        """The arch with the highest target value (first in file order on ties) and that value."""
        if not self._archs:
            raise ValueError(f"{self.kind} benchmark ({self.describe()}) is empty")
        i = int(np.nanargmax(self._values))
        return self._archs[i], float(self._values[i])

    def to_frame(self) -> Any:
        """A pandas DataFrame: `arch` (canonical text), the target, the extra columns, and
        `<proxy>` / `<proxy>_seconds` for each stored proxy."""
        import pandas as pd  # only here: the benchmark itself needs only numpy

        data: dict[str, Any] = {"arch": [self.space.format(a) for a in self._archs],
                                self.target: self._values}
        data.update(self._columns)
        for name, (scores, seconds) in self._proxies.items():
            data[name] = scores
            data[f"{name}_seconds"] = seconds
        return pd.DataFrame(data)

    # -- stored proxies -----------------------------------------------------------------------
    def proxies(self) -> list[str]:
        return list(self._proxies)

    def proxy_score(self, arch: Arch | str, name: str) -> tuple[float, float]:
        """(score, seconds) as stored; (nan, nan) when this arch lacks a score the file holds
        for others (one NB201 Suite-Zero row has no synflow)."""
        if name not in self._proxies:
            raise self._no_proxy_error(name)
        i = self.row(arch)
        scores, seconds = self._proxies[name]
        return float(scores[i]), float(seconds[i])

    def proxy_scores(self, name: str, archs: Iterable[Arch | str] | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._proxies:
            raise self._no_proxy_error(name)
        scores, seconds = self._proxies[name]
        if archs is None:
            return scores.copy(), seconds.copy()
        rows = self._rows(archs)
        return scores[rows], seconds[rows]

    def describe(self) -> str:
        return f"{self.path.name}, space {self.space.name}, dataset {self.dataset}"


def _column(values: Any, n: int, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.shape[0] != n:
        raise ValueError(f"column {name!r} has {array.shape[0]} values for {n} architectures")
    array.setflags(write=False)  # the table is immutable; accessors hand out copies or slices
    return array


# -- helpers for loaders ------------------------------------------------------------------------
def row_error(path: Path | str, row: int | str, problem: str) -> ValueError:
    """The one-line error every tabular loader raises: `<file>: row <n>: <problem>`."""
    return ValueError(f"{path}: row {row}: {_one_line(problem)}")


def file_error(path: Path | str, problem: str) -> ValueError:
    """A one-line error about a whole file: `<file>: <problem>`."""
    return ValueError(f"{path}: {_one_line(problem)}")


def existing_file(path: str | Path) -> Path:
    """`path` as a Path; `FileNotFoundError` naming it when there is no such file, `TypeError`
    naming the option when it is not a path at all."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or Path), got {type(path).__name__} "
                        f"{path!r}")
    p = Path(path).expanduser()
    if not p.is_file():
        what = "is a directory, not a file" if p.is_dir() else "no such file"
        raise FileNotFoundError(f"{p}: {what}")
    return p


def wrong_space_hint(space: SearchSpace, text: Any, how: str = "parse") -> str:
    """" (it reads as space 'X': wrong space?)" when another registered space accepts `text`
    through `how` ("parse" or "from_suite_zero"), else "". Only called on errors."""
    for name in list_search_spaces():
        if name == space.name:
            continue
        try:
            getattr(get_search_space(name), how)(text)
        except Exception:  # any error: a space still being written may raise anything
            continue
        return (f" (it reads as space {name!r}: wrong space? this benchmark was asked for "
                f"{space.name!r})")
    return ""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
