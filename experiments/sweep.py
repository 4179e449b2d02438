"""Sweeps: every (benchmark, predictor, train size, fidelity, seed) cell of a spec, run across
local processes (default) or a Ray cluster, written to a sweep store as each cell finishes.

Resumable by construction: cells whose key is already in the store are skipped, and the
coordinator commits each row the moment its cell is done, so killing a sweep loses only the
cells in flight. Each cell is `evaluate` on one budget point; because train sets are nested
prefixes of one seeded draw, a cell gives the same row alone as inside a full-grid call.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from experiments.spec import BenchmarkSpec, PredictorSpec, SpecError, SweepSpec
from experiments.sweep_store import Key, SweepStore, open_sweep_store

EXECUTORS = ("local", "ray")


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
    """(cells to run, error rows for predictors that cannot run on a benchmark at all)."""
    from experiments.evaluator import budget_grid

    cells: list[Cell] = []
    errors: list[tuple[Key, dict[str, Any]]] = []
    for i, bspec in enumerate(spec.benchmarks):
        try:
            bench = bspec.load()
        except (OSError, ValueError, KeyError) as exc:  # a missing or bad file: name the entry
            problem = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise SpecError(f"{spec.source}: benchmarks[{i}]: {problem}") from None
        for pspec in spec.predictors:
            predictor = pspec.build()
            try:
                sizes, fids = budget_grid(predictor, bench, spec.train_sizes, spec.fidelities,
                                          spec.test_size)
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


def run_sweep(spec: SweepSpec, store_path: str | Path, workers: int = 1,
              executor: str = "local", on_progress: Callable[[int, int], None] | None = None,
              ray_address: str | None = None) -> SweepStore:
    """Run every cell of `spec` not yet in the store at `store_path` (an SQLite file or a
    PostgreSQL URL); return the store."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    # the benchmarks first: one that cannot load must not leave a new, empty store behind
    cells, errors = plan(spec)
    store = open_sweep_store(store_path)
    # rows of one store must come from one protocol: the same test size, sampler and split
    store.check_protocol({"test_size": spec.test_size, "sampler": spec.sampler,
                          "split": spec.split})
    done = store.keys()
    for key, row in errors:
        if key not in done:
            store.add(key, row)
    todo = [c for c in cells if c.key not in done]
    total, finished = len(todo), 0
    if on_progress:
        on_progress(0, total)
    runner = {"local": _run_local, "ray": _run_ray}[executor]
    for key, row in runner(todo, workers, ray_address):
        store.add(key, row)
        finished += 1
        if on_progress:
            on_progress(finished, total)
    return store


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
