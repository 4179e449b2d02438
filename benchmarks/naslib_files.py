"""The data files of NASLib (the paper's code) as benchmarks: `load_benchmark("naslib", path=...)`.

A user who has the files NASLib's `get_dataset_api` reads loads them here, in seconds and in a
fraction of the memory, and gets per-epoch curves in our `Curve` (DESIGN §3) keyed by our archs:

- **NB201** `nb201_{cifar10,cifar100,ImageNet16}_full_training.pickle`: 200-epoch curves of
  train loss / accuracy, validation loss / accuracy (`eval_*`: NB201's x-valid split, as NASLib
  reads them) and the training seconds NB201 recorded per epoch (`cost_info.train_time`, the
  same for every epoch); `flops`, `params`, `latency` as columns. NASLib calls the CIFAR-10
  runs "cifar10"; the file names them "cifar10-valid" (both accepted). No test accuracy
  (NASLib's "test accuracy" for NB201 is the validation curve again).
- **NB301** `nb301_full_training.pickle` (the DARTS space, NB301's trained archs): per-epoch
  validation accuracy and train loss; `runtime` as per-epoch seconds (a strictly increasing
  list is read as cumulative time and differenced; one number is the whole run, spread evenly).
- **NB101** `nasbench_only108.pkl` (official records keyed by graph hash; each record's spec
  is checked against its hash): NB101 trains a separate run per budget (4, 12, 36, 108 epochs;
  the only108 file has 108), each reporting its halfway and final values. `epochs=` picks the
  run (default: the longest in the file); its curve holds those two points (NaN elsewhere,
  accuracies in percent), the final test accuracy, and the recorded training seconds spread
  evenly over each half. `repeat=` picks one of the 3 repeats (default: their mean). NASLib
  instead builds a 108-long step curve from the 4/12/36/108-epoch runs, which shows epoch 1
  the accuracy of the 4-epoch run's end; we do not. `params` (trainable parameters) is a column.
- **NAS-Bench-NLP** `nb_nlp.pickle`: keys are NASLib's compacts `(edges, ops, hiddens)`, read
  with the `nlp` space's `from_suite_zero`; per epoch train / validation / test loss and
  `wall_times` (seconds per epoch), scored as NASLib does: `val_acc` = 100 - validation loss,
  `train_acc` = 100 - train loss, `test_acc` = 100 - the last test loss. A record with fewer
  epochs than the file's first (a diverged run) is kept as a failure (`failed()`), never in
  `archs()`. NASLib's compact loses the output order of some cells (51 of the 345 logged
  recipes), so for those the key names another cell than the one trained, in NASLib as here.

Memory: the file is unpickled once (the C unpickler, restricted to the globals these files
need: `benchmarks/naslib_pickle.py`), every key made an arch, then each record is converted
into preallocated float64 arrays (only the series the layout stores; NB101 keeps its 6 points
per arch, not 108-long curves) and dropped, and the freed memory is handed back to the OS.
Measured on a full-size NB201 file in NASLib's layout (`experiments/speed/naslib_file_memory.py`,
15,625 archs x 200 epochs, 110 MB): peak 854 MB resident (222 MB of it the imports), the same
as NASLib's plain `pickle.load`; then 128 MB held against the plain load's 496 MB; 2.8 s
against 1.35 s (the extra is turning 15,625 keys into archs).
"""

from __future__ import annotations

import ctypes
import gc
import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import Curve, register_benchmark
from benchmarks.naslib_pickle import detect_layout, read_data_pickle
from benchmarks.tabular_base import RowIndexedBenchmark, existing_file, file_error, row_error
from search_spaces import Arch, InvalidArchError, SearchSpace, get_search_space

#: layout -> our search space
SPACE_OF_LAYOUT = {"nb201": "nb201", "nb301": "darts", "nb101": "nb101", "nlp": "nlp"}
#: NASLib's dataset names -> the key inside an NB201 record
_NB201_ALIASES = {"cifar10": "cifar10-valid", "ImageNet16": "ImageNet16-120"}
_SERIES = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds")
#: NB101's stored points per arch (columns of `points`), from the chosen run's statistics
_POINTS = ("halfway_train_accuracy", "halfway_validation_accuracy", "final_train_accuracy",
           "final_validation_accuracy", "halfway_training_time", "final_training_time")

Error = Callable[[str], ValueError]


class NaslibFileBenchmark(RowIndexedBenchmark):
    """Per-epoch curves read from one of NASLib's data files (see the module docstring)."""

    kind = "naslib"

    def __init__(self, *, path: Path, layout: str, space: SearchSpace, dataset: str,
                 archs: list[Arch], epochs: int, series: dict[str, np.ndarray],
                 test_acc: np.ndarray, columns: dict[str, np.ndarray],
                 points: np.ndarray | None = None, duplicates: int = 0,
                 failed: dict[Arch, str] | None = None) -> None:
        self.path = path
        self.layout = layout
        self.space = space
        self.dataset = dataset
        self.max_epochs = int(epochs)
        self._failed = dict(failed or {})
        self._archs = [a for a in archs if a not in self._failed]  # failures are never labels
        self._row = {a: i for i, a in enumerate(archs)}
        # the stored per-epoch series only ([archs, epochs] float64 each; the others are NaN),
        # or for NB101 its few points per arch (`_POINTS`): a dense 108-epoch array of 423,624
        # NB101 archs would take 1.8 GB, almost all of it NaN
        self._series = series
        self._points = points
        self._test = test_acc
        self._columns = columns
        self.duplicates = duplicates

    def curve(self, arch: Arch | str) -> Curve:
        i = self.row(arch)
        epochs = self.max_epochs
        arrays = {name: self._series[name][i] if name in self._series
                  else np.full(epochs, math.nan) for name in _SERIES}
        if self._points is not None:  # NB101: a run's halfway and final values
            p = dict(zip(_POINTS, self._points[i]))
            half = epochs // 2
            for series, field in (("train_acc", "train_accuracy"),
                                  ("val_acc", "validation_accuracy")):
                arrays[series][half - 1] = p[f"halfway_{field}"]
                arrays[series][epochs - 1] = p[f"final_{field}"]
            halfway, final = p["halfway_training_time"], p["final_training_time"]
            arrays["epoch_seconds"][:half] = halfway / half
            arrays["epoch_seconds"][half:] = (final - halfway) / (epochs - half)
        test = float(self._test[i])
        return Curve(**arrays, test_acc=None if math.isnan(test) else test)

    def final_val_acc(self, archs: Iterable[Arch | str] | None = None) -> np.ndarray:
        finals = (self._points[:, _POINTS.index("final_validation_accuracy")]
                  if self._points is not None else self._series["val_acc"][:, -1])
        if archs is None:
            return finals.copy()
        return finals[self._rows(archs)]

    def failed(self) -> dict[Arch, str]:
        """Archs whose run did not finish (NAS-Bench-NLP's diverged runs), with the reason."""
        return dict(self._failed)

    def columns(self) -> list[str]:
        """Stored per-arch numbers besides the curves (e.g. params, flops)."""
        return list(self._columns)

    def values(self, name: str) -> np.ndarray:
        """A copy of column `name` in `archs()` order."""
        if name not in self._columns:
            raise KeyError(f"{self.kind} benchmark ({self.describe()}) has no column {name!r}; "
                           f"it has: {', '.join(self._columns) or 'none'}")
        return self._columns[name].copy()

    def describe(self) -> str:
        return f"{self.path.name}, NASLib {self.layout} file, dataset {self.dataset}"


@register_benchmark("naslib")
def load_naslib(path: str | Path, dataset: str | None = None, space: str | None = None,
                epochs: int | None = None, repeat: int | None = None) -> NaslibFileBenchmark:
    """Open one of NASLib's data files (layout detected from its keys). `dataset`: the NB201
    record entry (default: the file's only one). `space`: optional check of the file's space.
    `epochs` / `repeat`: NB101 only (which run, which repeat; defaults: longest run, mean)."""
    p = existing_file(path)
    data = read_data_pickle(p)
    layout = detect_layout(p, data)
    sp = get_search_space(SPACE_OF_LAYOUT[layout])
    if space is not None and space != sp.name:
        raise file_error(p, f"holds {layout} data (space {sp.name!r}), not space {space!r}")
    if layout != "nb101" and (epochs is not None or repeat is not None):
        raise ValueError(f"options epochs= and repeat= apply to NB101 files only; {p} holds "
                         f"{layout} data")
    own = "wikitext2" if layout == "nlp" else "cifar10"
    if layout != "nb201" and dataset is not None and dataset != own:
        raise ValueError(f"{p} holds {layout} data, which is {own} only; got dataset "
                         f"{dataset!r}")
    if layout == "nb201":
        bench = _read_nb201(p, sp, data, dataset)
    elif layout == "nb101":
        bench = _read_nb101(p, sp, data, epochs, repeat)
    elif layout == "nlp":
        bench = _read_nlp(p, sp, data)
    else:
        bench = _read_nb301(p, sp, data)
    del data
    _return_freed_memory()
    return bench


def _return_freed_memory() -> None:
    """Hand the unpickled records' memory back to the OS: freed Python objects stay in the
    allocator's pools otherwise, and the process would keep the file's unpickled size."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc; elsewhere the allocator keeps it
    except (OSError, AttributeError):
        pass


# -- building the arrays -------------------------------------------------------------------------
class _Rows:
    """Preallocated arrays filled one record at a time; archs seen twice are skipped."""

    def __init__(self, path: Path, space: SearchSpace, n: int, epochs: int,
                 series: Iterable[str], columns: Iterable[str], points: bool = False) -> None:
        self.path, self.space, self.epochs = path, space, epochs
        self.archs: list[Arch] = []
        self.seen: set[Arch] = set()
        self.series = {name: np.full((n, epochs), math.nan) for name in series}
        self.points = np.full((n, len(_POINTS)), math.nan) if points else None
        self.test = np.full(n, math.nan)
        self.columns = {c: np.full(n, math.nan) for c in columns}
        self.duplicates = 0
        self.failed: dict[Arch, str] = {}

    def add(self, arch: Arch) -> int | None:
        """The row to fill for `arch`, or None when it was already read (a duplicate key)."""
        if arch in self.seen:
            self.duplicates += 1
            return None
        self.seen.add(arch)
        self.archs.append(arch)
        return len(self.archs) - 1

    def benchmark(self, layout: str, dataset: str) -> NaslibFileBenchmark:
        n = len(self.archs)
        if self.duplicates:
            warnings.warn(f"{self.path}: {self.duplicates} key(s) name an architecture already "
                          f"read (the same arch under another key); kept the first",
                          stacklevel=3)
        def kept(array: np.ndarray) -> np.ndarray:  # rows of the archs read, read-only
            out = array if array.shape[0] == n else array[:n].copy()
            out.setflags(write=False)
            return out

        return NaslibFileBenchmark(
            path=self.path, layout=layout, space=self.space, dataset=dataset, archs=self.archs,
            epochs=self.epochs, series={k: kept(v) for k, v in self.series.items()},
            test_acc=kept(self.test), columns={k: kept(v) for k, v in self.columns.items()},
            points=None if self.points is None else kept(self.points),
            duplicates=self.duplicates, failed=self.failed)


def _records(path: Path, data: dict, rows: _Rows, to_arch: Callable[[Any, Any, Error], Arch]
             ) -> Iterator[tuple[int, Any, Error]]:
    """Two passes over `data` in file order. First each key's arch (`to_arch(key, record,
    error)`), before any record is freed: made now, the archs (the objects kept) sit together
    instead of in the holes that freed records leave, where they would keep the allocator from
    handing that memory back. Then (row, record, error) per arch read first, each record dropped
    from `data` as it is handed out, so that memory falls while the arrays fill."""
    plan = [(key, rows.add(to_arch(key, record, _row_error(path, i, key))))
            for i, (key, record) in enumerate(data.items())]
    for i, (key, row) in enumerate(plan):
        record = data.pop(key)
        if row is not None:
            yield row, record, _row_error(path, i, key)


def _row_error(path: Path, index: int, key: Any) -> Error:
    shown = repr(key) if len(repr(key)) <= 120 else repr(key)[:120] + "..."
    return lambda problem: row_error(path, f"{index + 1} (key {shown})", problem)


def _arch(make: Callable[[Any], Arch], key: Any, error: Error) -> Arch:
    try:
        return make(key)
    except (InvalidArchError, ValueError) as exc:
        raise error(str(exc)) from None


def _series(record: dict, name: str, epochs: int, error: Error, required: bool = True
            ) -> np.ndarray:
    """A per-epoch list of `record` as floats of length `epochs`; NaN when absent and optional."""
    if name not in record:
        if required:
            raise error(f"no {name!r}; fields are: {', '.join(map(str, record)) or 'none'}")
        return np.full(epochs, math.nan)
    try:
        values = np.asarray(record[name], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise error(f"{name!r} must be a list of numbers") from None
    if values.shape[0] != epochs:
        raise error(f"{name!r} has {values.shape[0]} epochs where the file's first record has "
                    f"{epochs} (a truncated or mixed file?)")
    return values


def _number(value: Any, what: str, error: Error) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise error(f"{what} must be a number, got {value!r}") from None


def _record_dict(record: Any, error: Error, what: str = "a dict of per-epoch lists") -> dict:
    if not isinstance(record, dict):
        raise error(f"expected {what}, got {type(record).__name__}")
    return record


# -- NB201 -----------------------------------------------------------------------------------------
def _read_nb201(path: Path, space: SearchSpace, data: dict, dataset: str | None
                ) -> NaslibFileBenchmark:
    first = next(iter(data.values()))
    if not isinstance(first, dict) or not first:
        raise row_error(path, 1, "expected {dataset: {eval_acc1es, ...}} per architecture")
    stored = list(first)
    if dataset is None:
        if len(stored) != 1:
            raise file_error(path, f"holds several datasets ({', '.join(map(str, stored))}); "
                                   f"choose one with dataset=")
        dataset = str(stored[0])
    dataset = _NB201_ALIASES.get(dataset, dataset) if dataset not in stored else dataset
    if dataset not in stored:
        raise file_error(path, f"no dataset {dataset!r}; it holds: {', '.join(map(str, stored))}")
    inner = _record_dict(first[dataset], lambda p: row_error(path, 1, p))
    if "eval_acc1es" not in inner:
        raise row_error(path, 1, f"no 'eval_acc1es' for {dataset!r}; not an NB201 NASLib file?")
    epochs = len(inner["eval_acc1es"])
    if epochs == 0:
        raise row_error(path, 1, "'eval_acc1es' is empty")
    rows = _Rows(path, space, len(data), epochs, _SERIES, ("flops", "params", "latency"))
    for i, record, error in _records(path, data, rows,
                                     lambda key, _, error: _arch(space.parse, key, error)):
        entry = _record_dict(record, error, "{dataset: {...}}").get(dataset)
        if entry is None:
            raise error(f"no dataset {dataset!r}; it has: {', '.join(map(str, record))}")
        entry = _record_dict(entry, error)
        out = rows.series
        out["train_loss"][i] = _series(entry, "train_losses", epochs, error, required=False)
        out["train_acc"][i] = _series(entry, "train_acc1es", epochs, error, required=False)
        out["val_loss"][i] = _series(entry, "eval_losses", epochs, error, required=False)
        out["val_acc"][i] = _series(entry, "eval_acc1es", epochs, error)
        cost = _record_dict(entry.get("cost_info", {}), error, "cost_info to be a dict")
        if "train_time" in cost:
            out["epoch_seconds"][i] = _number(cost["train_time"], "cost_info.train_time", error)
        for name in rows.columns:
            if name in cost:
                rows.columns[name][i] = _number(cost[name], f"cost_info.{name}", error)
    return rows.benchmark("nb201", dataset)


# -- NB301 -----------------------------------------------------------------------------------------
def _read_nb301(path: Path, space: SearchSpace, data: dict) -> NaslibFileBenchmark:
    first = _record_dict(next(iter(data.values())), lambda p: row_error(path, 1, p))
    if "val_accuracies" not in first:
        raise row_error(path, 1, "no 'val_accuracies'; not an NB301 NASLib file?")
    epochs = len(first["val_accuracies"])
    if epochs == 0:
        raise row_error(path, 1, "'val_accuracies' is empty")
    rows = _Rows(path, space, len(data), epochs, ("train_loss", "val_acc", "epoch_seconds"), ())
    for i, record, error in _records(path, data, rows,
                                     lambda key, _, error: _arch(space.from_suite_zero, key,
                                                                 error)):
        record = _record_dict(record, error)
        out = rows.series
        out["train_loss"][i] = _series(record, "train_losses", epochs, error, required=False)
        out["val_acc"][i] = _series(record, "val_accuracies", epochs, error)
        out["epoch_seconds"][i] = _runtime(record.get("runtime"), epochs, error)
    return rows.benchmark("nb301", "cifar10")


def _runtime(value: Any, epochs: int, error: Error) -> np.ndarray:
    """Per-epoch seconds from NB301's `runtime`: a list (cumulative when strictly increasing,
    else per epoch) or one number for the whole run (spread evenly); NaN when absent."""
    if value is None:
        return np.full(epochs, math.nan)
    if np.ndim(value) == 0:
        return np.full(epochs, _number(value, "runtime", error) / epochs)
    times = _series({"runtime": value}, "runtime", epochs, error)
    if epochs > 1 and np.all(np.diff(times) > 0):
        return np.diff(times, prepend=0.0)
    return times


# -- NB101 -----------------------------------------------------------------------------------------
_NB101_FIELDS = ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")


def _read_nb101(path: Path, space: SearchSpace, data: dict, epochs: int | None,
                repeat: int | None) -> NaslibFileBenchmark:
    first = next(iter(data.values()))
    if not (isinstance(first, (tuple, list)) and len(first) == 2 and isinstance(first[1], dict)):
        raise row_error(path, 1, "expected (fixed_stats, computed_stats) per graph hash; not an "
                                 "NB101 NASLib file?")
    budgets = sorted(int(b) for b in first[1])
    if epochs is None:
        if not budgets:
            raise row_error(path, 1, "computed_stats holds no training budgets")
        epochs = budgets[-1]
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs not in budgets:
        raise ValueError(f"epochs must be one of the training budgets {path} holds "
                         f"({', '.join(map(str, budgets))}), got {epochs!r}")
    if repeat is not None and (isinstance(repeat, bool) or not isinstance(repeat, int)
                               or repeat < 0):
        raise ValueError(f"repeat must be a repeat index >= 0 or None (their mean), got "
                         f"{repeat!r}")
    rows = _Rows(path, space, len(data), epochs, (), ("params",), points=True)
    points = rows.points
    assert points is not None
    for i, record, error in _records(path, data, rows, _nb101_arch):
        fixed, computed = record
        computed = _record_dict(computed, error, "computed_stats to be a dict")
        runs = computed.get(epochs)
        if not isinstance(runs, (list, tuple)) or not runs:
            raise error(f"no runs for the {epochs}-epoch budget")
        if repeat is not None:
            if repeat >= len(runs):
                raise error(f"no repeat {repeat}; it has {len(runs)}")
            runs = [runs[repeat]]
        stats = {f"{when}_{field}": float(np.mean([_number(
                     _record_dict(r, error, "a dict per repeat").get(f"{when}_{field}"),
                     f"{when}_{field}", error) for r in runs]))
                 for when in ("halfway", "final") for field in _NB101_FIELDS}
        points[i] = [stats[name] * (1.0 if name.endswith("_time") else 100.0)
                     for name in _POINTS]  # accuracies in percent
        rows.test[i] = 100.0 * stats["final_test_accuracy"]
        if "trainable_parameters" in fixed:
            rows.columns["params"][i] = _number(fixed["trainable_parameters"],
                                                "trainable_parameters", error)
    return rows.benchmark("nb101", "cifar10")


def _nb101_arch(key: Any, record: Any, error: Error) -> Arch:
    from search_spaces.nb101_spec import NB101Arch

    if not (isinstance(record, (tuple, list)) and len(record) == 2):
        raise error("expected (fixed_stats, computed_stats)")
    fixed = _record_dict(record[0], error, "fixed_stats to be a dict")
    try:
        matrix = np.asarray(fixed["module_adjacency"]).astype(int).tolist()
        arch = NB101Arch.from_spec(matrix, list(fixed["module_operations"]))
    except KeyError as exc:
        raise error(f"fixed_stats has no {exc.args[0]!r}") from None
    except (InvalidArchError, ValueError, TypeError) as exc:
        raise error(f"invalid spec: {exc}") from None
    if arch.hash != key:
        raise error(f"its spec hashes to {arch.hash}, not to its key (a damaged file?)")
    return arch


# -- NAS-Bench-NLP ---------------------------------------------------------------------------------
_NLP_SERIES = {"train_loss": "train_losses", "val_loss": "val_losses", "test": "test_losses",
               "epoch_seconds": "wall_times"}


def _read_nlp(path: Path, space: SearchSpace, data: dict) -> NaslibFileBenchmark:
    first = _record_dict(next(iter(data.values())), lambda p: row_error(path, 1, p))
    if "val_losses" not in first:
        raise row_error(path, 1, "no 'val_losses'; not a NAS-Bench-NLP NASLib file?")
    epochs = len(first["val_losses"])
    if epochs == 0:
        raise row_error(path, 1, "'val_losses' is empty")
    rows = _Rows(path, space, len(data), epochs, _SERIES, ())
    for i, record, error in _records(path, data, rows,
                                     lambda key, _, error: _arch(space.from_suite_zero, key,
                                                                 error)):
        record = _record_dict(record, error)
        if "val_losses" not in record:
            raise error(f"no 'val_losses'; fields are: {', '.join(map(str, record))}")
        logged = len(record["val_losses"])
        if not 0 <= logged <= epochs:
            raise error(f"'val_losses' has {logged} epochs, more than the first record's "
                        f"{epochs}")
        out = rows.series
        for name, field in _NLP_SERIES.items():
            if field not in record:
                continue
            values = _series({field: list(record[field])[:logged]}, field, logged, error)
            target = rows.test if name == "test" else out[name][i]
            if name == "test":
                target[i] = values[-1] if logged else math.nan
            else:
                target[:logged] = values
        out["val_acc"][i] = 100.0 - out["val_loss"][i]
        out["train_acc"][i] = 100.0 - out["train_loss"][i]
        rows.test[i] = 100.0 - rows.test[i]
        if logged < epochs or not math.isfinite(out["val_loss"][i][-1]):
            rows.failed[rows.archs[i]] = f"diverged: {logged} of {epochs} epochs logged"
    return rows.benchmark("nlp", "wikitext2")
