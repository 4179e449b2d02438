"""`LiveBenchmark`: ground truth that trains on a miss and keeps every result in a `RunStore`,
and `run_workers`, the multi-process filler behind `predbench train`.

`load_benchmark("live", space="nb201", dataset="shapes10", preset="small", db="results/live.db")`
— `db` is an SQLite file or a PostgreSQL URL (`postgresql://user@host:port/name`), see
`benchmarks.store.open_run_store`. The Ray executor of `predbench train` is in `live_ray.py`.

Image spaces train on image datasets (`benchmarks.datasets`, default `shapes10`, recipe `nb201`);
token spaces (`nlp`) on token datasets (`benchmarks.text_data`, default the embedded
`synthtext`, recipe `nlp`, the NAS-Bench-NLP release's). `resolve_training(...)` picks and checks
these defaults for the benchmark and for `predbench train`.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import (
    Benchmark,
    Curve,
    check_batch_args,
    check_device_name,
    check_seed,
    register_benchmark,
)
from benchmarks.datasets import DEFAULT_DATASET, IMAGE_SIZES, ImageData, load_dataset
from benchmarks.recipes import Recipe, get_recipe
from benchmarks.store import (
    EPOCH_FIELDS,
    Claim,
    Heartbeat,
    Job,
    LostClaim,
    describe_db,
    is_db_url,
    open_run_store,
)
from benchmarks.text_data import DEFAULT_TEXT_DATASET, TEXT_DATASETS, TextData, load_text_dataset
from search_spaces import Arch, SearchSpace, get_search_space

DEFAULT_DB = Path("results") / "live.db"
#: recipe fields each dataset changes unless the user says otherwise: fewer epochs on the
#: embedded tasks; on synthtext also a 10x learning rate, since its 100k training tokens give
#: ~70 steps an epoch where WikiText-2 gives ~1,500 (at the release's 1e-3 the small preset
#: barely leaves the unigram loss in 10 epochs)
DATASET_RECIPE_CHANGES: dict[str, dict[str, Any]] = {
    DEFAULT_DATASET: {"epochs": 8}, "digits": {"epochs": 3},
    DEFAULT_TEXT_DATASET: {"epochs": 10, "lr": 1e-2}}


def is_token_space(space: SearchSpace) -> bool:
    return getattr(space, "input_kind", "image") == "tokens"


def resolve_training(space: SearchSpace, dataset: str | None, recipe: str | Recipe | None,
                     epochs: int | None = None) -> tuple[str, Recipe]:
    """(dataset, recipe) for training `space`: the defaults of its input kind where None, and a
    one-line error when the dataset is unknown or of the other kind (images for a token space,
    or the reverse)."""
    tokens = is_token_space(space)
    if dataset is None:
        dataset = DEFAULT_TEXT_DATASET if tokens else DEFAULT_DATASET
    wanted, other = (TEXT_DATASETS, IMAGE_SIZES) if tokens else (IMAGE_SIZES, TEXT_DATASETS)
    if dataset not in wanted:
        what = "a token" if tokens else "an image"
        why = (f"it is a{'n image' if tokens else ' token'} dataset" if dataset in other
               else "unknown dataset")
        raise ValueError(f"dataset {dataset!r} cannot train space {space.name!r} ({why}); "
                         f"expected {what} dataset: {', '.join(wanted)}")
    if recipe is None:
        recipe = "nlp" if tokens else "nb201"
    base = get_recipe(recipe)
    if (base.bptt > 0) != tokens:
        kind = "a language-model" if base.bptt else "an image"
        raise ValueError(f"recipe {base.name!r} is {kind} recipe; space {space.name!r} trains "
                         f"with {'nlp' if tokens else 'nb201, nb101 or darts'}")
    return dataset, dataset_recipe(dataset, base, image_size=IMAGE_SIZES.get(dataset),
                                   epochs=epochs)


def load_training_data(dataset: str, root: str | None = None) -> ImageData | TextData:
    """The image or token dataset of that name (cached per process)."""
    if dataset in TEXT_DATASETS:
        return load_text_dataset(dataset, root=root)
    return load_dataset(dataset, root=root)


def dataset_recipe(dataset: str, recipe: str | Recipe = "nb201", image_size: int | None = None,
                   **overrides: Any) -> Recipe:
    """The recipe used on `dataset`: the named benchmark recipe, with the random-crop padding
    scaled to the image size (4 px at 32 px, as the benchmarks pad CIFAR; 1 px at 8 px) and the
    dataset's default epochs (8 on shapes10) unless overridden."""
    base = get_recipe(recipe)
    changes: dict[str, Any] = {}
    if image_size is not None and image_size < 32 and base.crop_pad:
        changes["crop_pad"] = max(1, round(base.crop_pad * image_size / 32))
        if base.cutout:
            changes["cutout"] = max(1, round(base.cutout * image_size / 32))
    changes.update(DATASET_RECIPE_CHANGES.get(dataset, {}))
    changes.update({k: v for k, v in overrides.items() if v is not None})
    return base.replace(**changes) if changes else base


def make_job(space: str, dataset: str, preset: str, recipe: Recipe) -> Job:
    return Job(space, dataset, preset, recipe.hash, recipe.to_json())


def curve_from_epochs(epochs: list[dict], test_acc: float | None, max_epochs: int) -> Curve:
    """A Curve from stored epoch rows, padded with NaN to `max_epochs` (a failed run)."""
    cols = {k: [e[k] for e in epochs] + [math.nan] * (max_epochs - len(epochs))
            for k in EPOCH_FIELDS}
    return Curve(train_loss=cols["train_loss"], train_acc=cols["train_acc"],
                 val_loss=cols["val_loss"], val_acc=cols["val_acc"],
                 epoch_seconds=cols["seconds"], test_acc=test_acc)


def sample_archs(space: SearchSpace, n: int, seed: int = 0) -> list[Arch]:
    """The first `n` distinct archs of a seeded uniform stream: asking for more later keeps the
    earlier ones, so a build can be extended."""
    rng = np.random.default_rng(seed)
    out: list[Arch] = []
    seen: set[Arch] = set()
    while len(out) < n:
        a = space.sample(rng)
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


# -- workers ------------------------------------------------------------------------------------
def work(db: str, space_name: str, dataset: str, preset: str, recipe_json: str,
         device: str = "cpu", threads: int | None = None, parent: int | None = None,
         data_root: str | None = None, stale_after: float | None = None, tag: str = "",
         deterministic: bool = False) -> int:
    """A worker: claim pending runs of the job in the store `db` (a path or a URL) until none
    is left, train each (in deterministic mode when `deterministic`), record it with its
    environment. Waits while other live workers still hold runs (one of them
    may die and need taking over). Exits when its `parent` process is gone (None: no such
    check, as under Ray, which ends a dead driver's tasks itself). `tag` marks its token (see
    `RunStore.finished_with`). Returns the number of runs it finished."""
    from benchmarks.run_env import prepare_deterministic_process
    from benchmarks.training import train_arch

    if deterministic:
        prepare_deterministic_process(device)
    store = open_run_store(db, stale_after=stale_after)
    recipe = Recipe.from_json(recipe_json)
    job = make_job(space_name, dataset, preset, recipe)
    space = get_search_space(space_name)
    data = load_training_data(dataset, root=data_root)
    token = store.new_token(tag)
    finished = 0

    def orphaned() -> bool:
        return parent is not None and os.getppid() != parent

    while not orphaned():
        claim = store.claim(job, token)
        if claim is None:
            if store.counts(job)["running"] == 0:
                break
            time.sleep(1.0)  # someone else's run in flight: wait, it may need reclaiming
            continue

        def on_epoch(rec, claim: Claim = claim) -> None:
            if orphaned():
                raise SystemExit(0)  # the claim stays 'running' with our dead pid: reclaimed
            store.record_epoch(claim, rec.epoch, {k: getattr(rec, k) for k in EPOCH_FIELDS})

        try:
            with Heartbeat(db, claim):
                result = train_arch(space, space.parse(claim.arch), data, recipe, preset,
                                    seed=claim.seed, device=device, threads=threads,
                                    deterministic=deterministic, on_epoch=on_epoch)
            store.finish(claim, result.status, result.test_acc, result.reason, result.seconds,
                         result.env)
            finished += 1
        except LostClaim:
            continue  # reclaimed by another worker (we looked dead): it trains it, we move on
        except Exception as exc:  # a crash of one run must not kill the batch: record it
            try:
                store.finish(claim, "failed", reason=f"{type(exc).__name__}: {exc}")
            except LostClaim:
                pass
    store.close()
    return finished


def run_workers(db: str | Path, space: str, dataset: str, preset: str, recipe: Recipe,
                workers: int = 1, device: str = "cpu", threads: int | None = None,
                data_root: str | None = None, stale_after: float | None = None, tag: str = "",
                deterministic: bool = False) -> list[mp.Process]:
    """Start `workers` worker processes (spawned: a fresh torch per process) on the store `db`
    (a path or a URL) and return them. On CPU each gets `threads` intra-op threads (default:
    the cores split evenly; one thread each when there are at least as many workers as cores).
    The Ray executor: `benchmarks.live_ray.run_ray_workers`."""
    if threads is None and device == "cpu":
        threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    ctx = mp.get_context("spawn")
    procs = []
    for _ in range(max(1, int(workers))):
        p = ctx.Process(target=work, daemon=False,
                        args=(str(db), space, dataset, preset, recipe.to_json(), device,
                              threads, os.getpid(), data_root, stale_after, tag,
                              deterministic))
        p.start()
        procs.append(p)
    return procs


# -- the benchmark ----------------------------------------------------------------------------
class LiveBenchmark(Benchmark):
    """Curves from the store; a miss trains the arch in this process (and stores it)."""

    kind = "live"
    has_batches = True

    def __init__(self, space: str = "nb201", dataset: str | None = None,
                 preset: str = "small", db: str | Path = DEFAULT_DB, recipe: str | None = None,
                 epochs: int | None = None, seed: int = 0, device: str | None = None,
                 data_root: str | None = None, threads: int | None = None,
                 deterministic: bool = False) -> None:
        self.space = get_search_space(space)
        self.space.preset_params(preset)  # unknown preset: a clear error now, not at training
        self.dataset, self.recipe = resolve_training(self.space, dataset, recipe, epochs)
        self.preset = preset
        self.db = db if is_db_url(db) else Path(db)
        self.path = None if is_db_url(db) else Path(db)  # the SQLite file (None: a URL)
        self.seed = check_seed(seed)
        if device is not None:
            check_device_name(device)
            if str(device).startswith("cuda"):  # needs torch; say now when there is no GPU
                from benchmarks.training import resolve_device
                resolve_device(device)
        self.device = device or "auto"
        self.threads = threads
        self.deterministic = bool(deterministic)
        self._data_root = data_root
        self._data: ImageData | TextData | None = None
        self.max_epochs = self.recipe.epochs
        self.job = make_job(self.space.name, self.dataset, preset, self.recipe)
        self.store = open_run_store(self.db)

    @property
    def data(self) -> ImageData | TextData:
        if self._data is None:
            self._data = load_training_data(self.dataset, root=self._data_root)
        return self._data

    def describe(self) -> str:
        return (f"{describe_db(self.db)}, space {self.space.name}, dataset {self.dataset}, preset "
                f"{self.preset}, recipe {self.recipe.name}/{self.recipe.hash}, seed {self.seed}")

    def archs(self) -> list[Arch]:
        return [self.space.parse(r["arch"]) for r in self.store.results(self.job, seed=self.seed)]

    def _holds(self, arch: Arch) -> bool:
        st = self.store.status(self.job, self.space.format(arch), self.seed)
        return st is not None and st[0] in ("done", "failed")

    def curve(self, arch: Arch | str) -> Curve:
        key = self.space.format(self._as_arch(arch))
        while True:
            st = self.store.status(self.job, key, self.seed)
            if st is not None and st[0] in ("done", "failed"):
                return self._stored(key)
            if st is None:
                self.store.enqueue(self.job, [key], [self.seed])
            claim = self.store.claim(self.job, self.store.new_token(), key, self.seed)
            if claim is None:
                time.sleep(0.5)  # another worker trains it right now: wait for its result
                continue
            self._train(claim)

    def _train(self, claim: Claim) -> None:
        from benchmarks.training import train_arch

        def on_epoch(rec) -> None:
            self.store.record_epoch(claim, rec.epoch, {k: getattr(rec, k) for k in EPOCH_FIELDS})

        try:
            result = train_arch(self.space, self.space.parse(claim.arch), self.data, self.recipe,
                                self.preset, seed=claim.seed, device=self.device,
                                threads=self.threads, deterministic=self.deterministic,
                                on_epoch=on_epoch)
        except BaseException:
            self.store.release(claim)  # interrupted: let the next caller train it
            raise
        self.store.finish(claim, result.status, result.test_acc, result.reason, result.seconds,
                          result.env)

    def _stored(self, arch: str) -> Curve:
        r = self.store.result(self.job, arch, self.seed)
        if r is not None and r["status"] in ("done", "failed"):
            return curve_from_epochs(r["epochs"], r["test_acc"], self.max_epochs)
        raise KeyError(f"architecture {arch} is not in {self.describe()}")

    def batch(self, n: int, seed: int):
        """Images (inputs, labels), or for token spaces token windows batch-first (x [n, T],
        next tokens y [n, T])."""
        n, seed = check_batch_args(n, seed)  # before the data is loaded
        return self.data.batch(n, seed)


@register_benchmark("live")
def _load_live(space: str = "nb201", dataset: str | None = None, preset: str = "small",
               db: str = str(DEFAULT_DB), recipe: str | None = None, epochs: int | None = None,
               seed: int = 0, device: str | None = None, data_root: str | None = None,
               threads: int | None = None, deterministic: bool = False) -> LiveBenchmark:
    return LiveBenchmark(space, dataset, preset, db, recipe, epochs, seed, device, data_root,
                         threads, deterministic)

