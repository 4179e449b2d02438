"""The shipped default benchmark: `load_benchmark("default")`, no training, no download.

Random NB201 cells trained on the embedded `shapes10` dataset (`benchmarks/procedural.py`) at
the `small` preset (C=8, N=1) under the NB201 recipe (8 epochs, crop padding 1 px), full
learning curves and per-epoch seconds, stored in `benchmarks/data/default_nb201_shapes10.npz`.

The file format (numpy .npz, compressed), one row per (arch, training seed):
  arch (unicode), seed (int16), train_loss / train_acc / val_loss / val_acc / epoch_seconds
  (float32 [rows, epochs]), test_acc (float32), env_index (int16: the row's entry in
  meta["environments"], -1 when its environment was not recorded; files written before runs
  recorded environments lack it), and `meta`: a JSON string with space, dataset, preset, recipe
  (JSON and hash), epochs, the command that built it, torch version, row count, and
  `environments`: the distinct environments the runs trained in (`benchmarks.run_env`).
`export_npz` writes it from a run store; `import_npz` seeds a store from it, so a build can
continue from the committed file (`predbench train ... --import-from <file>`).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import Curve, register_benchmark
from benchmarks.datasets import ImageData, load_dataset
from benchmarks.recipes import Recipe
from benchmarks.store import EPOCH_FIELDS, BaseRunStore, Job
from benchmarks.tabular_base import RowIndexedBenchmark
from search_spaces import Arch, get_search_space

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_FILE = DATA_DIR / "default_nb201_shapes10.npz"
_ARRAYS = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds")


def export_npz(store: BaseRunStore, job: Job, out: str | Path, command: str = "",
               seeds: tuple[int, ...] | None = None) -> int:
    """Write the done runs of `job` (all seeds, or `seeds`) to `out`; returns the row count.
    Written to a temporary file and renamed, so a reader never sees half a file."""
    out = Path(out)
    if not command and out.exists():  # a re-export keeps the build command already recorded
        try:
            command = read_npz(out)[0].get("command", "")
        except (ValueError, FileNotFoundError):
            pass
    rows = [r for r in store.results(job) if seeds is None or r["seed"] in seeds]
    recipe = Recipe.from_json(job.recipe_json) if job.recipe_json else None
    epochs = recipe.epochs if recipe else max((len(r["epochs"]) for r in rows), default=0)
    rows = [r for r in rows if len(r["epochs"]) == epochs]
    arr = {k: np.full((len(rows), epochs), np.nan, dtype=np.float32) for k in _ARRAYS}
    environments: list[dict] = []
    env_index = np.full(len(rows), -1, dtype=np.int16)
    for i, r in enumerate(rows):
        if r.get("env"):
            if r["env"] not in environments:
                environments.append(r["env"])
            env_index[i] = environments.index(r["env"])
    for i, r in enumerate(rows):
        for j, e in enumerate(r["epochs"]):
            for k, src in zip(_ARRAYS, EPOCH_FIELDS):
                arr[k][i, j] = e[src]
    meta = {"format": "predbench-default-benchmark", "version": 1, "space": job.space,
            "dataset": job.dataset, "preset": job.preset, "recipe": json.loads(job.recipe_json),
            "recipe_hash": job.recipe, "epochs": epochs, "rows": len(rows),
            "archs": len({r["arch"] for r in rows}), "command": command,
            "exported": time.strftime("%Y-%m-%d %H:%M:%S"), "torch": _torch_version(),
            "machine": platform.machine(), "train_seconds_total": float(
                np.nansum(arr["epoch_seconds"])), "environments": environments}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(
        tmp, arch=np.array([r["arch"] for r in rows], dtype=str),
        seed=np.array([r["seed"] for r in rows], dtype=np.int16),
        test_acc=np.array([np.nan if r["test_acc"] is None else r["test_acc"] for r in rows],
                          dtype=np.float32),
        env_index=env_index, meta=np.array(json.dumps(meta)), **arr)
    os.replace(tmp, out)
    return len(rows)


def _torch_version() -> str:
    try:
        import torch
        return torch.__version__
    except ImportError:  # pragma: no cover
        return ""


def read_npz(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays) of a shipped file; `ValueError` naming the file when it is not one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such benchmark file")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a predbench default-benchmark file ({exc})") from None
    if meta.get("format") != "predbench-default-benchmark":
        raise ValueError(f"{path}: not a predbench default-benchmark file (format "
                         f"{meta.get('format')!r})")
    return meta, arrays


def import_npz(store: BaseRunStore, path: str | Path) -> tuple[Job, int]:
    """Insert the runs of a shipped file into `store` as done; returns (its job, rows added)."""
    meta, arrays = read_npz(path)
    recipe = Recipe(**meta["recipe"])
    job = Job(meta["space"], meta["dataset"], meta["preset"], recipe.hash, recipe.to_json())
    environments = meta.get("environments") or []
    env_index = arrays.get("env_index", np.full(len(arrays["arch"]), -1))
    added = 0
    for i, arch in enumerate(arrays["arch"]):
        k = int(env_index[i])
        env = environments[k] if 0 <= k < len(environments) else None
        epochs = [{src: float(arrays[k][i, j]) for k, src in zip(_ARRAYS, EPOCH_FIELDS)}
                  for j in range(arrays["val_acc"].shape[1])]
        test = float(arrays["test_acc"][i])
        added += store.insert_done(job, str(arch), int(arrays["seed"][i]), epochs,
                                   None if np.isnan(test) else test, env=env)
    return job, added


class DefaultBenchmark(RowIndexedBenchmark):
    """The shipped file as a Benchmark. `curve(arch)` is the run with training seed `seed`
    (0 unless chosen); `KeyError` for archs the file does not hold. `batch` draws real
    minibatches of the embedded dataset (regenerated, nothing downloaded)."""

    kind = "default"
    has_batches = True

    def __init__(self, path: str | Path = DEFAULT_FILE, seed: int = 0) -> None:
        self.path = Path(path)
        self.meta, arrays = read_npz(self.path)
        self.space = get_search_space(self.meta["space"])
        self.dataset = self.meta["dataset"]
        self.preset = self.meta["preset"]
        self.recipe = Recipe(**self.meta["recipe"])
        self.max_epochs = int(self.meta["epochs"])
        self.seed = int(seed)
        self.seeds = sorted({int(s) for s in arrays["seed"]})
        keep = arrays["seed"] == self.seed
        self._arrays = {k: arrays[k][keep] for k in _ARRAYS + ("test_acc",)}
        self._archs = [self.space.parse(str(a)) for a in arrays["arch"][keep]]
        self._row = {a: i for i, a in enumerate(self._archs)}
        self._all = arrays
        self._data: ImageData | None = None

    def curve(self, arch: Arch | str) -> Curve:
        key = self._as_arch(arch)
        if key not in self._row:
            raise KeyError(f"architecture {self.space.format(key)} is not in the default "
                           f"benchmark ({self.describe()}); train it with "
                           f"load_benchmark('live', dataset={self.dataset!r})")
        i = self._row[key]
        a = self._arrays
        test = float(a["test_acc"][i])
        return Curve(train_loss=a["train_loss"][i], train_acc=a["train_acc"][i],
                     val_loss=a["val_loss"][i], val_acc=a["val_acc"][i],
                     epoch_seconds=a["epoch_seconds"][i],
                     test_acc=None if np.isnan(test) else test)

    def final_val_acc(self, archs=None) -> np.ndarray:
        if archs is None:
            return self._arrays["val_acc"][:, -1].astype(np.float64)
        return super().final_val_acc(archs)

    def curves_of_seed(self, seed: int) -> dict[str, np.ndarray]:
        """arch text -> final validation accuracy of the runs with training seed `seed`."""
        keep = self._all["seed"] == seed
        return dict(zip(map(str, self._all["arch"][keep]), self._all["val_acc"][keep, -1]))

    @property
    def data(self) -> ImageData:
        """The embedded dataset's splits (weight-sharing predictors train on them)."""
        if self._data is None:
            self._data = load_dataset(self.dataset)
        return self._data

    def batch(self, n: int, seed: int):
        if self._data is None:
            self._data = load_dataset(self.dataset)
        return self._data.batch(n, seed)

    def describe(self) -> str:
        return (f"{self.path.name}, space {self.space.name}, dataset {self.dataset}, preset "
                f"{self.preset}, {len(self)} archs")


@register_benchmark("default")
def _load_default(path: str = str(DEFAULT_FILE), seed: int = 0) -> DefaultBenchmark:
    return DefaultBenchmark(path, seed)
