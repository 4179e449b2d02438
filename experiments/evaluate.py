"""Score one predictor on one benchmark across a budget grid (train sizes × fidelities × seeds).

One tidy row per (train_size, fidelity, seed) with the DESIGN §4 columns. Times use the three
named clocks: `*_train_seconds` are training seconds recorded by the benchmark (NaN when the
source has none), `*_compute_seconds` are measured wall-clock seconds of the predictor's own
work. init = Σ train seconds of the (fully trained) train set + fit compute; query (per arch) =
train seconds of the arch's first `fidelity` epochs + query compute / n.

The grid adapts to what the predictor needs: predictors without a train set run at
train_size 0, predictors that read no partial curves at fidelity 0. A predictor that raises on
one cell records the error in that row and the evaluation goes on.
"""

from __future__ import annotations

import math
import time
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from experiments.metrics import METRIC_COLUMNS, score_all
from experiments.sampling import draw_sets
from predictors import Context, CurveView, Predictor, get_predictor

ROW_COLUMNS = ("predictor", "family", "space", "dataset", "train_size", "fidelity", "seed",
               "n_test", *METRIC_COLUMNS, "init_train_seconds", "init_compute_seconds",
               "query_train_seconds", "query_compute_seconds", "error", "metric_note")


def default_train_sizes(limit: int | None = None) -> list[int]:
    """The paper's 11 train sizes, log-spaced from 5 to 1000 (capped at `limit`)."""
    sizes = sorted({int(round(v)) for v in np.geomspace(5, 1000, 11)})
    return [s for s in sizes if limit is None or s <= limit]


def default_fidelities(max_epochs: int) -> list[int]:
    """The paper's 15 fidelities, log-spaced from 1 to `max_epochs`: distinct integers (a
    rounded value that repeats its predecessor moves up by one), all epochs when fewer than 15."""
    if max_epochs <= 15:
        return list(range(1, max(1, max_epochs) + 1))
    out: list[int] = []
    for value in np.geomspace(1, max_epochs, 15):
        out.append(max(int(round(value)), out[-1] + 1 if out else 1))
    out[-1] = max_epochs
    return out


def evaluate(benchmark: Any, predictor: str | Predictor,
             train_sizes: Sequence[int] | None = None, fidelities: Sequence[int] | None = None,
             test_size: int = 200, seeds: Iterable[int] = range(5), sampler: str = "uniform",
             device: str = "cpu", progress: Any = None) -> pd.DataFrame:
    """Evaluate `predictor` (a name or an instance, refit fresh for every cell) on `benchmark`.

    `progress`, if given, is called with no arguments after each cell (for progress bars)."""
    template = get_predictor(predictor) if isinstance(predictor, str) else predictor
    pool = list(benchmark.archs())
    labels = dict(zip(pool, benchmark.final_val_acc(pool)))
    sizes, fids = budget_grid(template, benchmark, train_sizes, fidelities, test_size, len(pool))
    hyperparameters = {f"hp_{k}": _cell(v) for k, v in template.get_params().items()}
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        test, train_order = draw_sets(pool, labels.__getitem__, benchmark.space, test_size,
                                      max(sizes), rng, sampler)
        y_test = np.array([labels[a] for a in test])
        for size in sizes:
            train = train_order[:size]
            for fidelity in fids:
                row = _evaluate_cell(benchmark, template, train, test, labels, y_test,
                                     fidelity, seed, device)
                row.update(train_size=size, fidelity=fidelity, seed=int(seed))
                row.update(hyperparameters)
                rows.append(row)
                if progress is not None:
                    progress()
    frame = pd.DataFrame(rows)
    return frame[[*ROW_COLUMNS, *hyperparameters]]


def budget_grid(predictor: Predictor, benchmark: Any, train_sizes: Sequence[int] | None,
                fidelities: Sequence[int] | None, test_size: int = 200,
                pool_size: int | None = None) -> tuple[list[int], list[int]]:
    """The (train sizes, fidelities) `evaluate` runs for this predictor on this benchmark:
    [0] for what the predictor does not use, the paper's defaults where None was given.
    ValueError when the predictor cannot run on the benchmark at all."""
    needs = predictor.needs
    if needs.train_set:
        if pool_size is None:
            pool_size = len(list(benchmark.archs()))
        sizes = list(train_sizes) if train_sizes is not None else \
            default_train_sizes(pool_size - test_size)
        if not sizes or min(sizes) < 1:
            raise ValueError(f"train sizes must be >= 1 for {predictor.name!r}, got {sizes}")
    else:
        sizes = [0]
    if needs.query_epochs:
        if benchmark.max_epochs < 2:
            raise ValueError(
                f"predictor {predictor.name!r} reads partial learning curves, but the benchmark "
                f"stores only final accuracies (max_epochs {benchmark.max_epochs})")
        fids = list(fidelities) if fidelities is not None else \
            default_fidelities(benchmark.max_epochs)
        bad = [f for f in fids if not 1 <= f <= benchmark.max_epochs]
        if bad:
            raise ValueError(f"fidelities must be in 1..{benchmark.max_epochs}, got {bad}")
    else:
        fids = [0]
    return sizes, fids


def _evaluate_cell(benchmark: Any, template: Predictor, train: list[Any], test: list[Any],
                   labels: dict[Any, float], y_test: np.ndarray, fidelity: int, seed: int,
                   device: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "predictor": template.name, "family": template.family,
        "space": benchmark.space.name, "dataset": benchmark.dataset,
        "init_train_seconds": _train_seconds(benchmark, train, None),
        "query_train_seconds": (_train_seconds(benchmark, test, fidelity) / len(test)
                                if fidelity > 0 else 0.0),
        "init_compute_seconds": math.nan, "query_compute_seconds": math.nan, "error": None,
        "metric_note": None,
    }
    ctx = Context(
        space=benchmark.space,
        curves=CurveView(benchmark, train, fidelity),
        fidelity=fidelity,
        batch=benchmark.batch if getattr(benchmark, "has_batches", False) else None,
        data=getattr(benchmark, "data", None) if getattr(benchmark, "has_batches", False) else None,
        num_classes=int(getattr(benchmark, "num_classes", 10)),
        device=device, seed=int(seed))
    fresh = type(template)(**template.get_params())
    try:
        start = time.perf_counter()
        fresh.fit(train, np.array([labels[a] for a in train]), ctx)
        row["init_compute_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        pred = np.asarray(fresh.query(test, ctx), dtype=float).reshape(-1)
        row["query_compute_seconds"] = (time.perf_counter() - start) / len(test)
        if pred.shape != y_test.shape:
            raise ValueError(f"query returned {pred.shape[0]} scores for {len(test)} archs")
        row.update(score_all(y_test, pred))
    except Exception as exc:  # one failing cell must not end the sweep: record it
        row.update({c: math.nan for c in METRIC_COLUMNS}, n_test=len(test))
        row["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
    return row


def _train_seconds(benchmark: Any, archs: Sequence[Any], epochs: int | None) -> float:
    total = 0.0
    for arch in archs:
        curve = benchmark.curve(arch)
        total += curve.train_seconds(None if epochs is None else min(epochs, curve.epochs))
    return float(total)


def _cell(value: Any) -> Any:
    """Hyperparameter values as plain scalars for a table column."""
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)
