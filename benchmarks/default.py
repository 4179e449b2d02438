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
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import Curve, check_batch_args, check_seed, register_benchmark
from benchmarks.datasets import ImageData, load_dataset
from benchmarks.recipes import Recipe
from benchmarks.store import EPOCH_FIELDS, BaseRunStore, Job
from benchmarks.tabular_base import RowIndexedBenchmark
from search_spaces import Arch, SearchSpace, get_search_space
from search_spaces.base import is_int

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


#: what `np.load` and reading an archive member raise on a damaged or foreign file
_READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError, ValueError, KeyError, TypeError, EOFError, NotImplementedError, MemoryError,
    zipfile.BadZipFile, zlib.error)


def _not_ours(path: Path, why: str) -> ValueError:
    return ValueError(" ".join(f"{path}: not a predbench default-benchmark file ({why})"
                               .split()))


def read_npz(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays) of a shipped file; `ValueError` naming the file when it is not one: not
    an .npz archive, damaged (cut, overwritten), or an array or meta field missing, of the
    wrong kind or shape, or out of range (`_check_contents`)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or Path), got {type(path).__name__} "
                        f"{path!r}")
    if isinstance(path, str) and not path.strip():
        raise ValueError("path is empty; expected a default-benchmark (.npz) file")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such benchmark file")
    if path.is_dir():
        raise _not_ours(path, "a folder, not a file")
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError as exc:
        raise _not_ours(path, f"unreadable: {exc.strerror or exc}") from None
    if head.startswith(b"\x93NUMPY"):
        raise _not_ours(path, "a single numpy array, not an .npz archive")
    if not head.startswith(b"PK"):  # numpy would take anything else for a pickle
        raise _not_ours(path, f"not an .npz (zip) archive: it starts with {head!r}")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except _READ_ERRORS as exc:  # damaged: cut, bad CRC; or a member of pickled objects
        why = ("an array holds pickled Python objects, which predbench never loads"
               if "pickle" in str(exc) else f"{type(exc).__name__}: {exc}")
        raise _not_ours(path, why) from None
    meta = _check_contents(path, arrays)
    return meta, arrays


def _check_contents(path: Path, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The file's meta, after checking every array and meta field the readers use (removes
    `meta` from `arrays`); `ValueError` naming the file and what is wrong."""
    if "meta" not in arrays:
        raise _not_ours(path, "no 'meta' array")
    text = arrays.pop("meta")
    if text.dtype.kind != "U" or text.shape != ():
        raise _not_ours(path, f"'meta' must be one JSON text, got {text.dtype} {text.shape}")
    try:
        meta = json.loads(str(text))
    except json.JSONDecodeError as exc:
        raise _not_ours(path, f"'meta' is not JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise _not_ours(path, f"'meta' must be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != "predbench-default-benchmark":
        raise _not_ours(path, f"format {meta.get('format')!r}")

    def bad(problem: str) -> ValueError:
        return ValueError(" ".join(f"{path}: {problem}".split()))

    missing = [k for k in ("arch", "seed", "test_acc", *_ARRAYS) if k not in arrays]
    if missing:
        raise bad(f"array(s) {', '.join(missing)} missing; not a complete predbench "
                  f"default-benchmark file")
    arch = arrays["arch"]
    if arch.dtype.kind != "U" or arch.ndim != 1:
        raise bad(f"array 'arch' must be architecture texts [rows], got {arch.dtype} "
                  f"{arch.shape}")
    rows = arch.shape[0]
    epochs = meta.get("epochs")
    if not is_int(epochs) or epochs < 1:
        raise bad(f"meta 'epochs' must be an integer >= 1, got {epochs!r}")
    shapes: dict[str, tuple[int, ...]] = {"seed": (rows,), "test_acc": (rows,),
                                          "env_index": (rows,),
                                          **{k: (rows, epochs) for k in _ARRAYS}}
    for key, shape in shapes.items():
        if key not in arrays:  # only env_index is optional (files before environments)
            continue
        a = arrays[key]
        integer = key in ("seed", "env_index")
        kinds = "iu" if integer else "iuf"
        if a.dtype.kind not in kinds or a.shape != shape:
            want = "integers" if integer else "numbers"
            raise bad(f"array {key!r} must be {want} of shape {shape} ({rows} rows, meta "
                      f"epochs {epochs}), got {a.dtype} {a.shape}")
        if not integer and np.isinf(a).any():
            raise bad(f"array {key!r} holds an infinite value (unknown values are NaN)")
    if rows and (arrays["seed"] < 0).any():
        raise bad(f"array 'seed' holds a negative seed ({int(arrays['seed'].min())})")
    if rows and np.isnan(arrays["val_acc"]).all():
        raise bad("every val_acc is NaN: the file holds no trained result")
    try:
        get_search_space(meta.get("space"))
    except ValueError as exc:
        raise bad(f"meta 'space': {exc}") from None
    for key in ("dataset", "preset"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise bad(f"meta {key!r} must be a name, got {meta.get(key)!r}")
    try:
        get_search_space(meta["space"]).preset_params(meta["preset"])
        Recipe(**meta["recipe"])
    except (TypeError, ValueError, KeyError) as exc:
        raise bad(f"meta 'recipe' / 'preset': {exc}") from None
    return meta


def _parse_archs(path: Path, space: SearchSpace, texts: Any, rows: Any) -> list[Arch]:
    """The archs of `texts` (rows `rows` of the file); `ValueError` naming the file and row."""
    archs = []
    for text, row in zip(texts, rows):
        try:
            archs.append(space.parse(str(text)))
        except ValueError as exc:
            raise ValueError(" ".join(f"{path}: row {row}: {exc}".split())) from None
    return archs


def import_npz(store: BaseRunStore, path: str | Path) -> tuple[Job, int]:
    """Insert the runs of a shipped file into `store` as done; returns (its job, rows added)."""
    meta, arrays = read_npz(path)
    recipe = Recipe(**meta["recipe"])
    job = Job(meta["space"], meta["dataset"], meta["preset"], recipe.hash, recipe.to_json())
    environments = meta.get("environments") or []
    env_index = arrays.get("env_index", np.full(len(arrays["arch"]), -1))
    archs = _parse_archs(Path(path), get_search_space(meta["space"]), arrays["arch"],
                         range(len(arrays["arch"])))
    added = 0
    for i, arch in enumerate(archs):
        k = int(env_index[i])
        env = environments[k] if 0 <= k < len(environments) else None
        epochs = [{src: float(arrays[k][i, j]) for k, src in zip(_ARRAYS, EPOCH_FIELDS)}
                  for j in range(arrays["val_acc"].shape[1])]
        test = float(arrays["test_acc"][i])
        added += store.insert_done(job, str(arrays["arch"][i]), int(arrays["seed"][i]), epochs,
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
        self.seed = check_seed(seed)
        self.seeds = sorted({int(s) for s in arrays["seed"]})
        if self.seed not in self.seeds:
            held = ", ".join(map(str, self.seeds)) or "none: the file holds no runs"
            raise ValueError(f"seed {self.seed}: {self.path} holds no runs of training seed "
                             f"{self.seed}; its seeds: {held}")
        keep = arrays["seed"] == self.seed
        self._arrays = {k: arrays[k][keep] for k in _ARRAYS + ("test_acc",)}
        self._archs = _parse_archs(self.path, self.space, arrays["arch"][keep],
                                   np.flatnonzero(keep))
        self._row = {a: i for i, a in enumerate(self._archs)}
        if len(self._row) < len(self._archs):
            raise ValueError(f"{self.path}: an architecture appears twice for training seed "
                             f"{self.seed}; each (arch, seed) must be one row")
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
        n, seed = check_batch_args(n, seed)  # before the dataset is built
        if self._data is None:
            self._data = load_dataset(self.dataset)
        return self._data.batch(n, seed)

    def describe(self) -> str:
        return (f"{self.path.name}, space {self.space.name}, dataset {self.dataset}, preset "
                f"{self.preset}, {len(self)} archs")


@register_benchmark("default")
def _load_default(path: str = str(DEFAULT_FILE), seed: int = 0) -> DefaultBenchmark:
    return DefaultBenchmark(path, seed)
