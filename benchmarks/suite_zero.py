"""NAS-Bench-Suite-Zero JSON files as a benchmark: `load_benchmark("suite_zero", path=...)`.

File layout (one file per space and dataset, e.g. `zc_nasbench201_cifar10.json`)::

    {dataset: {key_text: {"idx": ..., "arch": key_text, "val_accuracy": 86.06,
                          "<proxy>": {"score": float, "time": float}, ...}}}

Keys are NASLib/Suite-Zero architecture keys, turned into `Arch`es with the space's
`from_suite_zero`. `val_accuracy` (percent, the final accuracy of the benchmark's own training
run) is the target. Every `{"score", "time"}` entry is a stored zero-cost proxy: whatever names
the file holds (flops, params, synflow, grasp, fisher, grad_norm, l2_norm, plain, nwot, epe_nas,
jacov, snip, zen, ...). `time` is the CPU seconds Suite-Zero measured to compute that proxy for
that arch (Intel Xeon Gold 6242), not time on this machine. Other numeric fields are kept as
columns; `test_accuracy`, when a file has it, becomes the curve's `test_acc`.

Loading is one pass of the standard `json` module over the file: the 650 KB NB201 file loads in
well under a second, and the larger NB101 / DARTS files scale linearly.
"""

from __future__ import annotations

import json
import math
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import register_benchmark
from benchmarks.tabular_base import (
    TabularBenchmark,
    existing_file,
    file_error,
    row_error,
    wrong_space_hint,
)
from search_spaces import Arch, get_search_space

TARGET = "val_accuracy"
_NOT_PROXIES = {"idx", "arch", TARGET, "test_accuracy"}


class SuiteZeroBenchmark(TabularBenchmark):
    """A NAS-Bench-Suite-Zero file: final validation accuracy plus stored zero-cost scores."""

    kind = "suite_zero"


@register_benchmark("suite_zero")
def load_suite_zero(path: str | Path, space: str = "nb201",
                    dataset: str | None = None) -> SuiteZeroBenchmark:
    """Load a Suite-Zero JSON file for `space` ("nb201", "nb101", "darts"). `dataset` picks the
    top-level entry (default: the file's only one). Errors name file, row and problem; rows
    are counted 1.. in the file's order within the dataset, with the key shown."""
    p = existing_file(path)
    sp = get_search_space(space)
    data = _read_json(p)
    if not isinstance(data, dict) or not data:
        raise file_error(p, "expected a JSON object {dataset: {arch key: {...}}} at the top level")
    datasets = list(data)
    if dataset is None:
        if len(datasets) != 1:
            raise file_error(p, f"holds several datasets ({', '.join(datasets)}); "
                                f"choose one with dataset=")
        dataset = datasets[0]
    elif dataset not in data:
        raise file_error(p, f"no dataset {dataset!r}; it holds: {', '.join(datasets)}")
    entries = data[dataset]
    if not isinstance(entries, dict):
        raise file_error(p, f"dataset {dataset!r} must map arch keys to objects, "
                            f"got {type(entries).__name__}")

    n = len(entries)
    if n == 0:
        raise file_error(p, f"dataset {dataset!r} holds no architectures")
    archs: list[Arch] = []
    values = np.empty(n, dtype=np.float64)
    test = np.full(n, math.nan)
    columns: dict[str, np.ndarray] = {}
    scores: dict[str, np.ndarray] = {}
    seconds: dict[str, np.ndarray] = {}
    seen: dict[Arch, tuple[int, str]] = {}

    for i, (key, entry) in enumerate(entries.items()):
        row = i + 1

        def error(problem: str) -> ValueError:
            return row_error(p, f"{row} (dataset {dataset!r}, key {key!r})", problem)

        if not isinstance(entry, dict):
            raise error(f"expected an object with {TARGET!r}, got {type(entry).__name__}")
        try:
            arch = sp.from_suite_zero(key)
        except ValueError as exc:
            raise error(f"{exc}{wrong_space_hint(sp, key, 'from_suite_zero')}") from None
        if arch in seen:
            first_row, first_key = seen[arch]
            raise error(f"duplicate architecture {sp.format(arch)}: same as row {first_row} "
                        f"(key {first_key!r})")
        seen[arch] = (row, key)
        archs.append(arch)
        if TARGET not in entry:
            raise error(f"no {TARGET!r}; fields are: {', '.join(entry) or 'none'}")
        values[i] = _number(entry[TARGET], TARGET, error, allow_nan=False)
        if "test_accuracy" in entry:
            test[i] = _number(entry["test_accuracy"], "test_accuracy", error)

        for name, value in entry.items():
            if name in _NOT_PROXIES:
                continue
            if isinstance(value, dict) and "score" in value:
                if name not in scores:  # first time this proxy appears: NaN for rows before
                    scores[name], seconds[name] = np.full(n, math.nan), np.full(n, math.nan)
                scores[name][i] = _number(value["score"], f"{name}.score", error)
                seconds[name][i] = _number(value.get("time"), f"{name}.time", error)
            elif _is_number(value):
                if name not in columns:
                    columns[name] = np.full(n, math.nan)
                columns[name][i] = float(value)

    return SuiteZeroBenchmark(
        space=sp, dataset=str(dataset), path=p, archs=archs, target=TARGET, values=values,
        test_acc=test if not np.isnan(test).all() else None, columns=columns,
        proxies={name: (scores[name], seconds[name]) for name in scores})


def _read_json(p: Path) -> Any:
    try:
        with p.open("rb") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise file_error(p, f"line {exc.lineno} column {exc.colno}: malformed JSON: {exc.msg}"
                         ) from None
    except UnicodeDecodeError as exc:
        raise file_error(p, f"not a UTF-8 JSON file ({exc.reason} at byte {exc.start})") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _number(value: Any, what: str, error: Any, allow_nan: bool = True) -> float:
    """A float from a JSON number (null -> NaN where allowed); `error(problem)` otherwise."""
    if value is None and allow_nan:
        return math.nan
    if not _is_number(value) or (not allow_nan and math.isnan(float(value))):
        raise error(f"{what} must be a number, got {value!r}")
    return float(value)
