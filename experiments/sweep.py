"""Sweeps: every (benchmark, predictor, train size, fidelity, seed) cell of a spec, run across
local processes (default) or a Ray cluster, written to a sweep store as each cell finishes.

Resumable by construction: cells whose key is already in the store are skipped, and the
coordinator commits each row the moment its cell is done, so killing a sweep loses only the
cells in flight. Each cell is `evaluate` on one budget point; because train sets are nested
prefixes of one seeded draw, a cell gives the same row alone as inside a full-grid call.
"""

from __future__ import annotations

import importlib.util
import math
import os
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from experiments.spec import BenchmarkSpec, PredictorSpec, SpecError, SweepSpec
from experiments.sweep_store import Key, SweepStore, open_sweep_store

EXECUTORS = ("local", "ray")
#: more local worker processes than this is a typo, not a machine
MAX_WORKERS = 1024


@dataclass(frozen=True)
class Cell:
    benchmark: BenchmarkSpec
    predictor: PredictorSpec
    train_size: int
    fidelity: int
    seed: int
    test_size: int
    sampler: str
    split: str = "all"

    @property
    def key(self) -> Key:
        return (self.benchmark.label, self.predictor.label, self.train_size, self.fidelity,
                self.seed)


def plan(spec: SweepSpec) -> tuple[list[Cell], list[tuple[Key, dict[str, Any]]]]:
    """(cells to run, error rows for predictors that cannot run on a benchmark at all). Every
    problem the spec's author must fix — a benchmark that does not load, a grid value the
    benchmark cannot serve, a predictor setting the space does not have — is a `SpecError`
    naming the entry, raised before any store is opened."""
    from benchmarks.splits import restrict
    from experiments.evaluator import budget_grid, check_grid, check_predictor_on

    if not isinstance(spec, SweepSpec):
        raise TypeError(f"spec must be a SweepSpec (from load_spec or parse_spec), got "
                        f"{type(spec).__name__}")
    cells: list[Cell] = []
    errors: list[tuple[Key, dict[str, Any]]] = []
    for i, bspec in enumerate(spec.benchmarks):
        where = f"{spec.source}: benchmarks[{i}]"
        try:
            bench = bspec.load()
            pool_size = len(restrict(bench.archs(), spec.split))
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            problem = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
            path = dict(bspec.options).get("path")
            if path is not None and str(path) not in problem:  # e.g. zipfile's own message
                problem = f"{path}: {problem}"
            raise SpecError(f"{where}: {problem}") from None  # a missing or bad file
        try:
            check_grid(bench, spec.train_sizes, spec.fidelities, spec.test_size, pool_size,
                       prefix="sweep.")
        except ValueError as exc:
            raise SpecError(f"{where} ({bspec.label}): {exc}") from None
        for j, pspec in enumerate(spec.predictors):
            try:
                predictor = pspec.build()
                check_predictor_on(predictor, bench)
            except (TypeError, ValueError) as exc:
                raise SpecError(f"{spec.source}: predictors[{j}] ({pspec.label}) on "
                                f"benchmarks[{i}]: {exc}") from None
            try:
                sizes, fids = budget_grid(predictor, bench, spec.train_sizes, spec.fidelities,
                                          spec.test_size, pool_size)
            except ValueError as exc:
                for seed in spec.seeds:
                    errors.append(((bspec.label, pspec.label, 0, 0, seed),
                                   _error_row(bench, predictor, seed, str(exc))))
                continue
            cells.extend(Cell(bspec, pspec, n, f, seed, spec.test_size, spec.sampler, spec.split)
                         for seed in spec.seeds for n in sizes for f in fids)
    return cells, errors


_BENCHMARKS: dict[BenchmarkSpec, Any] = {}  # per process: load each benchmark once


def run_cell(cell: Cell) -> tuple[Key, dict[str, Any]]:
    """Evaluate one cell (in a worker process, a Ray task, or in-process)."""
    from experiments.evaluator import evaluate

    bench = _BENCHMARKS.get(cell.benchmark)
    if bench is None:
        bench = _BENCHMARKS[cell.benchmark] = cell.benchmark.load()
    frame = evaluate(bench, cell.predictor.build(),
                     train_sizes=[cell.train_size] if cell.train_size else None,
                     fidelities=[cell.fidelity] if cell.fidelity else None,
                     test_size=cell.test_size, seeds=[cell.seed], sampler=cell.sampler,
                     split=cell.split)
    row = frame.iloc[0].to_dict()
    return cell.key, row | {"benchmark": cell.benchmark.label,
                            "predictor_label": cell.predictor.label}


def check_sweep_options(workers: Any, executor: Any, ray_address: Any,
                        on_progress: Any = None, cli: bool = False) -> None:
    """The run options of a sweep, before anything loads; messages name the argument (the
    command-line option with `cli`)."""
    name = (lambda arg: "--" + arg.replace("_", "-")) if cli else (lambda arg: arg)
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"{name('workers')} must be an integer, got {workers!r}")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"{name('workers')} must be in 1..{MAX_WORKERS}, got {workers}")
    if executor not in EXECUTORS:
        raise ValueError(f"{name('executor')}: unknown executor {executor!r}; expected one of "
                         f"{', '.join(EXECUTORS)}")
    if ray_address is not None:
        if not isinstance(ray_address, str) or not ray_address.strip():
            raise ValueError(f"{name('ray_address')} must be a cluster address, got "
                             f"{ray_address!r}")
        if executor != "ray":
            raise ValueError(f"{name('ray_address')} needs "
                             f"{'--executor ray' if cli else 'executor=' + repr('ray')}")
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        raise ValueError("the ray executor needs Ray: pip install -e '.[ray]'")
    if on_progress is not None and not callable(on_progress):
        raise TypeError(f"on_progress must be a callable (or None), got {on_progress!r}")


@dataclass
class PreparedSweep:
    """A sweep whose spec, benchmarks, predictors and store were all checked (`prepare_sweep`):
    `run` only evaluates cells."""
    store: SweepStore
    todo: list[Cell]
    workers: int
    executor: str
    ray_address: str | None

    def run(self, on_progress: Callable[[int, int], None] | None = None) -> SweepStore:
        total, finished = len(self.todo), 0
        if on_progress:
            on_progress(0, total)
        runner = {"local": _run_local, "ray": _run_ray}[self.executor]
        for key, row in runner(self.todo, self.workers, self.ray_address):
            self.store.add(key, row)
            finished += 1
            if on_progress:
                on_progress(finished, total)
        return self.store


def prepare_sweep(spec: SweepSpec, store_path: str | Path, workers: int = 1,
                  executor: str = "local", ray_address: str | None = None) -> PreparedSweep:
    """Everything of `run_sweep` that can fail on bad input, in order: the options, the plan
    (benchmarks load, predictors fit the benchmarks, grid values), the store (opened last, so
    that a bad spec leaves no new store behind) and its protocol."""
    check_sweep_options(workers, executor, ray_address)
    if not isinstance(store_path, (str, os.PathLike)):
        raise TypeError(f"store_path must be a file path or a postgresql:// URL, got "
                        f"{store_path!r}")
    cells, errors = plan(spec)
    store = open_sweep_store(store_path)
    try:
        # rows of one store must come from one protocol: the same test size, sampler and split
        store.check_protocol({"test_size": spec.test_size, "sampler": spec.sampler,
                              "split": spec.split})
        done = store.keys()
        for key, row in errors:
            if key not in done:
                store.add(key, row)
    except BaseException:
        store.close()
        raise
    todo = [c for c in cells if c.key not in done]
    return PreparedSweep(store, todo, workers, executor, ray_address)


def run_sweep(spec: SweepSpec, store_path: str | Path, workers: int = 1,
              executor: str = "local", on_progress: Callable[[int, int], None] | None = None,
              ray_address: str | None = None) -> SweepStore:
    """Run every cell of `spec` not yet in the store at `store_path` (an SQLite file or a
    PostgreSQL URL); return the store. Bad arguments raise TypeError/ValueError naming them
    before anything is created."""
    check_sweep_options(workers, executor, ray_address, on_progress)
    return prepare_sweep(spec, store_path, workers, executor, ray_address).run(on_progress)


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _run_local(cells: list[Cell], workers: int, _: Any) -> Iterator[tuple[Key, dict]]:
    if workers == 1 or len(cells) <= 1:
        for cell in cells:
            yield run_cell(cell)
        return
    # small models parallelise best by process (CALIBRATION.md): split the cores among workers
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                             initializer=_init_worker, initargs=(threads,)) as pool:
        pending = set()
        queue = iter(cells)
        for cell in queue:  # keep at most 2 cells per worker queued: cheap to cancel on kill
            pending.add(pool.submit(run_cell, cell))
            if len(pending) >= 2 * workers:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(run_cell, nxt))


def _run_ray(cells: list[Cell], workers: int, address: str | None) -> Iterator[tuple[Key, dict]]:
    try:
        import ray
    except ImportError:
        raise ValueError("the ray executor needs Ray: pip install -e '.[ray]'") from None
    started = not ray.is_initialized()
    if started:
        # "local": a new instance, never a stale cluster found in RAY_ADDRESS or /tmp/ray
        ray.init(address=address or "local", num_cpus=None if address else workers,
                 include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(run_cell)
        pending = [remote.remote(c) for c in cells]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                yield ray.get(ref)
    finally:
        if started:
            ray.shutdown()


def _error_row(bench: Any, predictor: Any, seed: int, message: str) -> dict[str, Any]:
    from experiments.evaluator import ROW_COLUMNS

    row: dict[str, Any] = {c: math.nan for c in ROW_COLUMNS}
    row.update(predictor=predictor.name, family=predictor.family, space=bench.space.name,
               dataset=bench.dataset, train_size=0, fidelity=0, seed=seed, n_test=0,
               n_failed=0, status="failed", oracle=False,
               error=f"ValueError: {' '.join(message.split())}",
               metric_note="the predictor cannot run on this benchmark")
    return row
