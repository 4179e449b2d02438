"""Real NAS-Bench-201 CIFAR-10 data shipped in the package: `load_benchmark("nb201")`.

No download and no `../shared`: `benchmarks/data/nb201_cifar10.npz` (120 KB, built by
`scripts/build_nb201_cifar10.py`) holds

- the CIFAR-10 validation accuracy (percent, two decimals) of all 15,625 NB201 cells: NB201's
  `cifar10-valid` runs (trained 200 epochs on half of the CIFAR-10 train set, evaluated on the
  other half), the numbers NASLib and NAS-Bench-Suite-Zero call "cifar10". 341 cells whose
  output is unreachable sit at 10.0. Best 91.57. Source: NAS-Bench-201 (Dong & Yang 2020,
  MIT), as released with NAS-Bench-Suite-Zero;
- for 725 of them, NAS-Bench-Suite-Zero's (Krishnakumar et al. 2022, Apache-2.0) 12 zero-cost
  proxy scores and the CPU seconds each took there (Intel Xeon Gold 6242). One cell has no
  synflow score (NaN, ranked last).

`subset="all"` (default) gives the 15,625 cells; `subset="suite_zero"` the 725 with stored
proxies. Stored proxies reach the zero-cost predictors through `Context.stored_proxies`: a
predictor for a stored proxy returns the stored score and charges the recorded seconds as its
query time (`query_recorded_seconds`, clock "recorded+compute") instead of computing it here.
The table stores no training times (init time of model-based predictors is compute only) and
no images (data-dependent proxies cannot be computed here; their stored scores can be used).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import register_benchmark
from benchmarks.tabular_base import TabularBenchmark, file_error
from search_spaces import get_search_space

DATA_FILE = Path(__file__).resolve().parent / "data" / "nb201_cifar10.npz"
DATASETS = ("cifar10",)
SUBSETS = ("all", "suite_zero")
_ALIASES = {"cifar10-valid": "cifar10"}  # NB201's own name for the same runs


class NB201Cifar10Benchmark(TabularBenchmark):
    """The shipped NB201 CIFAR-10 table (see the module docstring)."""

    kind = "nb201"

    def __init__(self, *, subset: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subset = subset

    def describe(self) -> str:
        what = "all 15,625 cells" if self.subset == "all" else \
            f"the {len(self)} Suite-Zero cells with stored proxies"
        return f"shipped NB201 CIFAR-10 (cifar10-valid, 200 epochs; {what})"


@register_benchmark("nb201")
def load_nb201(dataset: str = "cifar10", subset: str = "all") -> NB201Cifar10Benchmark:
    """The real NB201 data shipped with predbench. `dataset`: "cifar10" (also accepted:
    "cifar10-valid", NB201's name for the same runs). `subset`: "all" (15,625 cells) or
    "suite_zero" (the 725 cells with NAS-Bench-Suite-Zero's stored zero-cost proxies)."""
    name = _ALIASES.get(dataset, dataset)
    if name not in DATASETS:
        raise ValueError(f"nb201: no shipped data for dataset {dataset!r}; shipped: "
                         f"{', '.join(DATASETS)} (other datasets: load_benchmark("
                         f"'nb201_official', path=...) or the paper's code's files)")
    if subset not in SUBSETS:
        raise ValueError(f"nb201: unknown subset {subset!r}; expected one of: "
                         f"{', '.join(SUBSETS)}")
    data = _read(DATA_FILE)
    space = get_search_space("nb201")
    values = data["val_accuracy_centi"].astype(np.float64) / 100
    sz_index = data["sz_index"].astype(np.int64)
    if subset == "all":
        rows = np.arange(values.shape[0])
        at = {int(i): r for r, i in enumerate(sz_index)}
        pick = np.array([at.get(int(i), -1) for i in rows])  # Suite-Zero row or -1
    else:
        rows, pick = sz_index, np.arange(sz_index.shape[0])
    archs = [space.from_index(int(i)) for i in rows]
    proxies = {}
    for j, proxy in enumerate(data["meta"]["proxies"]):
        score = np.where(pick >= 0, data["sz_score"][pick, j], np.nan)
        seconds = np.where(pick >= 0, data["sz_seconds"][pick, j], np.nan)
        proxies[proxy] = (score, seconds)
    return NB201Cifar10Benchmark(
        subset=subset, space=space, dataset=name, path=DATA_FILE, archs=archs,
        target="val_accuracy", values=values[rows], reported_epochs=200, proxies=proxies)


def export_source_files(out_dir: str | Path) -> dict[str, Path]:
    """Write the shipped data back in its two source formats, for tools that read files:
    `nb201_cifar10_valid_accuracy.csv` (`arch,val_accuracy`, all 15,625 cells, in
    `NB201Arch.index` order) and `zc_nasbench201_cifar10.json` (NAS-Bench-Suite-Zero's layout,
    its 725 entries in file order; same keys, `idx`, accuracies, scores and times). Returns
    {"table": csv path, "suite_zero": json path}."""
    data = _read(DATA_FILE)
    space = get_search_space("nb201")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    centi = data["val_accuracy_centi"]
    table = out / "nb201_cifar10_valid_accuracy.csv"
    lines = ["arch,val_accuracy"]
    lines += [f"{space.from_index(i)},{int(c) / 100!r}" for i, c in enumerate(centi)]
    table.write_text("\n".join(lines) + "\n")
    entries: dict[str, Any] = {}
    names = data["meta"]["proxies"]
    for r, index in enumerate(data["sz_index"]):
        key = space.to_suite_zero(space.from_index(int(index)))
        entry: dict[str, Any] = {"idx": str(int(data["sz_idx"][r])), "arch": key,
                                 "val_accuracy": float(data["sz_val_accuracy"][r])}
        for j, name in enumerate(names):
            if not np.isnan(data["sz_score"][r, j]):
                entry[name] = {"score": float(data["sz_score"][r, j]),
                               "time": float(data["sz_seconds"][r, j])}
        entries[key] = entry
    suite_zero = out / "zc_nasbench201_cifar10.json"
    suite_zero.write_text(json.dumps({"cifar10": entries}))
    return {"table": table, "suite_zero": suite_zero}


@functools.lru_cache(maxsize=2)
def _read(path: Path) -> dict[str, Any]:
    """The arrays of the shipped file (read once per process; they are never written to)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data: dict[str, Any] = {k: f[k] for k in f.files}
        data["meta"] = json.loads(str(data["meta"]))
    except FileNotFoundError:
        raise file_error(path, "the shipped NB201 CIFAR-10 file is missing: reinstall "
                               "predbench (or run scripts/build_nb201_cifar10.py)") from None
    except (OSError, ValueError, KeyError) as exc:
        raise file_error(path, f"the shipped NB201 CIFAR-10 file is unreadable ({exc}): "
                               f"reinstall predbench") from None
    for array in data.values():
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    return data
