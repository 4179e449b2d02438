"""The official NAS-Bench-201 / NATS-Bench topology files: `load_benchmark("nb201_official", ...)`.

Full 200-epoch learning curves for the 15,625 NB201 cells: per epoch the train loss/accuracy,
the validation loss/accuracy and the training seconds, plus the final test accuracy. Three
layouts are read, all through the packages of the optional extra `pip install 'predbench[nb201]'`:

- `NAS-Bench-201-v1_*.pth` (a `torch.save`d dict; `nas_201_api`),
- `NATS-tss-v1_0-3ffb9.pickle.pbz2` (a bz2 pickle of the same dict; `nats_bench`),
- the NATS-Bench archive directory (`meta.pickle.pbz2` + one `<index>.pickle.pbz2` per arch,
  read lazily: only the archs asked for are loaded).

Each holds `{"meta_archs": [arch str], "evaluated_indexes": [...], "arch2infos": {index: {hp:
ArchResults state}}}`; the packages' `ArchResults` class interprets one arch's results. We build
it per arch on demand instead of calling the packages' top-level API constructors, which
deep-copy the whole multi-GB dict and print progress.

Datasets and which evaluation split fills the curve's `val_*` / `test_acc`:

| dataset        | trained on         | val_* (per epoch) | test_acc (final) |
|----------------|--------------------|-------------------|------------------|
| cifar10-valid  | CIFAR-10 train     | x-valid           | ori-test         |
| cifar10        | CIFAR-10 train+val | ori-test (no held-out validation split exists) | ori-test |
| cifar100       | CIFAR-100 train    | x-valid           | x-test           |
| ImageNet16-120 | ImageNet16 train   | x-valid           | x-test           |

`hp` chooses the training schedule ("200": 200 epochs, the default; "12": 12 epochs). Several
trials (seeds) of one arch are averaged unless `seed` picks one. `epoch_seconds` is the training
time the benchmark recorded for each epoch (evaluation time not included).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import Benchmark, Curve, register_benchmark
from benchmarks.tabular_base import file_error, row_error
from search_spaces import Arch, get_search_space

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
VAL_SET = {"cifar10-valid": "x-valid", "cifar10": "ori-test", "cifar100": "x-valid",
           "ImageNet16-120": "x-valid"}
TEST_SET = {"cifar10-valid": "ori-test", "cifar10": "ori-test", "cifar100": "x-test",
            "ImageNet16-120": "x-test"}
#: NAS-Bench-201 .pth files name the schedules "less" (12 epochs) and "full" (200 epochs)
_NB201_HP_KEY = {"12": "less", "200": "full"}
_PICKLE_EXT = "pickle.pbz2"
_INSTALL = "pip install 'predbench[nb201]'"
#: the packages' own failures on missing entries (they use asserts, dict lookups, ValueErrors)
_API_ERRORS = (KeyError, ValueError, AssertionError, IndexError, TypeError)


@register_benchmark("nb201_official")
def load_nb201_official(path: str | Path, dataset: str = "cifar10-valid", hp: str = "200",
                        seed: int | None = None) -> NB201OfficialBenchmark:
    """Open an official NAS-Bench-201 (.pth) or NATS-Bench topology (.pickle.pbz2 file or
    archive directory) benchmark for `dataset` (one of DATASETS) and schedule `hp`."""
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or directory")
    if dataset not in DATASETS:
        raise ValueError(f"unknown NAS-Bench-201 dataset {dataset!r}; expected one of: "
                         f"{', '.join(DATASETS)}")
    hp = str(hp)
    if p.is_dir():
        return NB201OfficialBenchmark(p, dataset, hp, seed, *_nats_archive(p))
    if p.name.endswith(".pth"):
        return NB201OfficialBenchmark(p, dataset, hp, seed, *_nb201_file(p))
    return NB201OfficialBenchmark(p, dataset, hp, seed, *_nats_file(p))


class NB201OfficialBenchmark(Benchmark):
    """Per-epoch NB201 curves from the official files (see the module docstring)."""

    kind = "nb201_official"

    def __init__(self, path: Path, dataset: str, hp: str, seed: int | None,
                 meta_archs: list[str], evaluated: Iterable[int],
                 load_results: Callable[[int, str], Any], api: str) -> None:
        self.space = get_search_space("nb201")
        self.dataset = dataset
        self.path = path
        self.hp = hp
        self.seed = seed
        self.api = api  # the package reading the file: "nas_201_api" or "nats_bench"
        self._load_results = load_results
        self._index: dict[Arch, int] = {}
        for index in sorted(evaluated):
            if not 0 <= index < len(meta_archs):
                raise row_error(path, f"evaluated index {index}", f"no such entry in meta_archs "
                                f"(which has {len(meta_archs)})")
            try:
                self._index[self.space.parse(meta_archs[index])] = index
            except ValueError as exc:
                raise row_error(path, f"meta_archs[{index}]", str(exc)) from None
        self._results = functools.lru_cache(maxsize=512)(self._read_results)
        self._curve = functools.lru_cache(maxsize=2048)(self._build_curve)
        self._selector: bool | int = False if seed is None else int(seed)  # False = mean of trials
        if not self._index:
            raise file_error(path, "holds no evaluated architectures")
        first = next(iter(self._index.values()))
        results = self._results(first)  # also checks that the file has this dataset and hp
        try:
            self.max_epochs = int(results.get_total_epoch(dataset))
        except _API_ERRORS as exc:
            raise row_error(path, f"index {first}", f"cannot read the number of epochs: {exc}"
                            ) from None

    # -- Benchmark ---------------------------------------------------------------------------
    def archs(self) -> list[Arch]:
        return list(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def _holds(self, arch: Arch) -> bool:
        return arch in self._index

    def curve(self, arch: Arch | str) -> Curve:
        return self._curve(self.index(arch))

    def final_val_acc(self, archs: Iterable[Arch | str] | None = None) -> np.ndarray:
        chosen = self.archs() if archs is None else list(archs)
        out = np.empty(len(chosen), dtype=np.float64)
        for k, arch in enumerate(chosen):  # the last epoch only: much faster than curves
            index = self.index(arch)
            out[k] = self._metric(index, VAL_SET[self.dataset], None)["accuracy"]
        return out

    def index(self, arch: Arch | str) -> int:
        """The official NB201 index of `arch`; `KeyError` naming it when the file lacks it."""
        key = self._as_arch(arch)
        try:
            return self._index[key]
        except KeyError:
            raise KeyError(f"architecture {self.space.format(key)} is not evaluated in "
                           f"{self.kind} benchmark ({self.describe()})") from None

    def describe(self) -> str:
        return f"{self.path.name}, dataset {self.dataset}, hp {self.hp}"

    # -- reading -------------------------------------------------------------------------------
    def _read_results(self, index: int) -> Any:
        """The package's ArchResults of arch `index` for schedule `hp`, checked for dataset/seed."""
        results = self._load_results(index, self.hp)
        where = f"index {index}"
        try:
            names = results.get_dataset_names()
        except _API_ERRORS as exc:
            raise row_error(self.path, where, f"unreadable ArchResults: {exc}") from None
        if self.dataset not in names:
            raise row_error(self.path, where, f"no results for dataset {self.dataset!r} with hp "
                            f"{self.hp}; it has: {', '.join(map(str, names)) or 'none'}")
        return results

    def _metric(self, index: int, setname: str, iepoch: int | None) -> dict[str, Any]:
        results = self._results(index)
        if self.seed is not None:  # archs have 1 to 3 trials: check the chosen one per arch
            seeds = results.get_dataset_seeds(self.dataset)
            if int(self.seed) not in seeds:
                raise row_error(self.path, f"index {index}", f"no trial with seed {self.seed} "
                                f"on {self.dataset}; seeds: {', '.join(map(str, seeds))}")
        try:
            return results.get_metrics(
                self.dataset, setname, iepoch=iepoch, is_random=self._selector)
        except _API_ERRORS as exc:
            epoch = "last epoch" if iepoch is None else f"epoch {iepoch + 1}"
            raise row_error(self.path, f"index {index}", f"no {setname!r} metrics on "
                            f"{self.dataset} at {epoch}: {exc!r}") from None

    def _build_curve(self, index: int) -> Curve:
        epochs = self.max_epochs
        rows = {name: np.full(epochs, math.nan) for name in
                ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds")}
        for e in range(epochs):
            train = self._metric(index, "train", e)
            valid = self._metric(index, VAL_SET[self.dataset], e)
            rows["train_loss"][e] = _float(train["loss"])
            rows["train_acc"][e] = _float(train["accuracy"])
            rows["epoch_seconds"][e] = _float(train.get("cur_time"))
            rows["val_loss"][e] = _float(valid["loss"])
            rows["val_acc"][e] = _float(valid["accuracy"])
        try:
            test = _float(self._metric(index, TEST_SET[self.dataset], None)["accuracy"])
        except ValueError:
            test = math.nan  # some splits lack a test set (e.g. the 12-epoch schedule)
        return Curve(**rows, test_acc=None if math.isnan(test) else test)


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


# -- the three layouts -----------------------------------------------------------------------------
def _import(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"reading official NAS-Bench-201 / NATS-Bench files needs the {module!r} package "
            f"({exc}); install it with: {_INSTALL}") from None


def _check_dict(p: Path, data: Any) -> tuple[list[str], list[int], dict]:
    if not isinstance(data, dict):
        raise file_error(p, f"expected a dict with meta_archs, arch2infos, evaluated_indexes; "
                            f"got {type(data).__name__}")
    missing = [k for k in ("meta_archs", "arch2infos", "evaluated_indexes") if k not in data]
    if missing:
        raise file_error(p, f"not a NAS-Bench-201 / NATS-Bench file: no key(s) "
                            f"{', '.join(missing)}")
    return list(data["meta_archs"]), list(data["evaluated_indexes"]), data["arch2infos"]


def _results_from(p: Path, arch2infos: dict, results_cls: Any, hp_key: Callable[[str], str]
                  ) -> Callable[[int, str], Any]:
    def load(index: int, hp: str) -> Any:
        infos = arch2infos.get(index)
        if infos is None:
            raise row_error(p, f"index {index}", "evaluated but missing from arch2infos")
        key = hp_key(hp)
        if key not in infos:
            have = ", ".join(str(k) for k in infos)
            raise row_error(p, f"index {index}", f"no schedule hp={hp!r} (stored: {have})")
        return results_cls.create_from_state_dict(infos[key])

    return load


def _nb201_file(p: Path) -> tuple[list[str], list[int], Callable[[int, str], Any], str]:
    api = _import("nas_201_api")
    import torch

    try:
        # The file pickles plain Python objects (dicts of floats, lists, tuples), not only
        # tensors, so torch's weights_only loader may refuse it; it is the user's own file.
        data = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:  # any error: torch/pickle raise many kinds
        raise file_error(p, f"not a readable NAS-Bench-201 .pth file: {exc}") from None
    meta, evaluated, arch2infos = _check_dict(p, data)
    load = _results_from(p, arch2infos, api.ArchResults, lambda hp: _NB201_HP_KEY.get(hp, hp))
    return meta, evaluated, load, "nas_201_api"


def _nats_file(p: Path) -> tuple[list[str], list[int], Callable[[int, str], Any], str]:
    nats = _import("nats_bench")
    data = _nats_pickle(nats, p)
    meta, evaluated, arch2infos = _check_dict(p, data)
    return meta, evaluated, _results_from(p, arch2infos, nats.ArchResults, str), "nats_bench"


def _nats_archive(p: Path) -> tuple[list[str], list[int], Callable[[int, str], Any], str]:
    nats = _import("nats_bench")
    meta_file = p / f"meta.{_PICKLE_EXT}"
    if not meta_file.is_file():
        raise FileNotFoundError(f"{p}: not a NATS-Bench archive directory (no meta.{_PICKLE_EXT})")
    meta = _nats_pickle(nats, meta_file)
    if not isinstance(meta, dict) or "meta_archs" not in meta:
        raise file_error(meta_file, "no key meta_archs")
    meta_archs = list(meta["meta_archs"])
    files: dict[int, Path] = {}
    for f in p.iterdir():  # <index>.pickle.pbz2, index with or without zero padding
        stem = f.name[: -len(_PICKLE_EXT) - 1] if f.name.endswith("." + _PICKLE_EXT) else ""
        if stem.isdigit():
            files[int(stem)] = f

    def load(index: int, hp: str) -> Any:
        infos = _nats_pickle(nats, files[index])
        if not isinstance(infos, dict) or str(hp) not in infos:
            have = ", ".join(map(str, infos)) if isinstance(infos, dict) else type(infos).__name__
            raise row_error(files[index], f"index {index}",
                            f"no schedule hp={hp!r} (stored: {have})")
        return nats.ArchResults.create_from_state_dict(infos[str(hp)])

    return meta_archs, [i for i in files if i < len(meta_archs)], load, "nats_bench"


def _nats_pickle(nats: Any, p: Path) -> Any:
    try:
        return nats.pickle_load(str(p))
    except Exception as exc:  # any error: bz2 / pickle raise many kinds
        raise file_error(p, f"not a readable NATS-Bench .{_PICKLE_EXT} file: {exc}") from None
