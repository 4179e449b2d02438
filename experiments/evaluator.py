"""Score one predictor on one benchmark across a budget grid (train sizes × fidelities × seeds).

One tidy row per (train_size, fidelity, seed) with the DESIGN §4 columns. Times use the three
named clocks: `*_train_seconds` are training seconds recorded by the benchmark (NaN when the
source has none), `*_compute_seconds` are measured wall-clock seconds of the predictor's own
work, `query_recorded_seconds` are seconds the benchmark recorded for work a predictor took
from it instead of doing it (stored zero-cost scores: Suite-Zero's CPU seconds, another
machine). init = Σ train seconds of the (fully trained) train set + fit compute; query (per
arch) = train seconds of the arch's first `fidelity` epochs + query compute / n + recorded / n.

The grid adapts to what the predictor needs: predictors without a train set run at
train_size 0, predictors that read no partial curves at fidelity 0.

Measurement rules (DESIGN §3), enforced here:
- the default fidelity grid stops below E (the full curve of a query arch is its label); an
  explicit F = E runs, but its rows are marked `oracle` and never enter a Pareto front, heat
  map, `recommend` or headline table;
- predictors see only a `Context` built by `Context.for_benchmark`: copies of the train curves
  and of the query curves' first F epochs, never the benchmark;
- every predictor is scored on the same test set: non-finite predictions rank last, constant
  ones score 0 (`experiments.metrics`); a predictor that raises on a cell gets a `failed` row
  scored as no information (its error recorded), so aggregates keep every seed; warnings it
  emits (e.g. a proxy failing on some archs) are summarised in the row's note, not printed;
- `split` restricts the pool to the tuning or the reporting half of the space
  (`benchmarks.splits`): published tables use "reporting".
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.splits import check_split, restrict
from experiments.metrics import METRIC_COLUMNS, MIN_POINTS, check_count, failed_row, score_all
from experiments.sampling import SAMPLERS, draw_sets
from predictors import Context, Predictor, get_predictor
from predictors.base import check_needs

ROW_COLUMNS = ("predictor", "family", "space", "dataset", "train_size", "fidelity", "seed",
               "n_test", *METRIC_COLUMNS, "init_train_seconds", "init_compute_seconds",
               "query_train_seconds", "query_compute_seconds", "query_recorded_seconds",
               "n_failed", "status", "oracle",
               "split", "sampler", "error", "metric_note")

#: the predictor paper's NB201 fidelity grid (200 epochs; White et al. 2021, its code's config)
PAPER_FIDELITIES = (1, 2, 3, 5, 7, 9, 13, 19, 26, 37, 52, 73)
PAPER_EPOCHS = 200


def default_train_sizes(limit: int | None = None) -> list[int]:
    """The paper's 11 train sizes, log-spaced from 5 to 1000 (capped at `limit`)."""
    sizes = sorted({int(round(v)) for v in np.geomspace(5, 1000, 11)})
    return [s for s in sizes if limit is None or s <= limit]


def default_fidelities(max_epochs: int) -> list[int]:
    """The paper's fidelity grid in the same proportions of training: its NB201 grid (1 ... 73
    of 200 epochs) scaled by E/200, rounded, kept within 1..E-1, duplicates dropped. E = 200
    gives the paper's 12 values; E = 8 gives [1, 2, 3]; E = 50 gives [1, 2, 3, 5, 7, 9, 13, 18].
    Never E itself: the full curve of a query arch is its label."""
    if max_epochs < 2:
        return []
    scaled = (int(np.floor(f * max_epochs / PAPER_EPOCHS + 0.5)) for f in PAPER_FIDELITIES)
    return sorted({min(max(1, f), max_epochs - 1) for f in scaled})


def evaluate(benchmark: Any, predictor: str | Predictor,
             train_sizes: Sequence[int] | None = None, fidelities: Sequence[int] | None = None,
             test_size: int = 200, seeds: Iterable[int] = range(5), sampler: str = "uniform",
             split: str = "all", device: str = "cpu", progress: Any = None) -> pd.DataFrame:
    """Evaluate `predictor` (a name or an instance, refit fresh for every cell) on `benchmark`,
    drawing test and train archs from `split` ("all", "tuning" or "reporting").

    `progress`, if given, is called with no arguments after each cell (for progress bars)."""
    template, seeds = check_evaluate_args(benchmark, predictor, train_sizes, fidelities,
                                          test_size, seeds, sampler, device, progress)
    pool = restrict(benchmark.archs(), check_split(split))
    if not pool:
        raise ValueError(f"{benchmark!r} holds no archs of the {split} split")
    check_predictor_on(template, benchmark)
    device = "cpu" if device is None else device
    labels = dict(zip(pool, benchmark.final_val_acc(pool)))
    sizes, fids = budget_grid(template, benchmark, train_sizes, fidelities, test_size, len(pool))
    hyperparameters = {f"hp_{k}": _cell(v) for k, v in template.get_params().items()}
    curves: dict[Any, Any] = {}

    def curve(arch: Any) -> Any:  # each arch's curve read once per evaluate call
        if arch not in curves:
            curves[arch] = benchmark.curve(arch)
        return curves[arch]

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
                                     fidelity, seed, device, curve)
                row.update(train_size=size, fidelity=fidelity, seed=int(seed), split=split,
                           sampler=sampler, oracle=is_oracle(template, benchmark, fidelity))
                row.update(hyperparameters)
                rows.append(row)
                if progress is not None:
                    progress()
    frame = pd.DataFrame(rows)
    return frame[[*ROW_COLUMNS, *hyperparameters]]


def check_benchmark_arg(benchmark: Any, name: str = "benchmark",
                        needs: tuple[str, ...] = ("space", "curve")) -> None:
    """A Benchmark object, i.e. one with the attributes `needs` (TypeError naming `name` for a
    name string, None, ...)."""
    if isinstance(benchmark, str):
        raise TypeError(f"{name} must be a benchmark object, got the string {benchmark!r}; pass "
                        f"a benchmark object, e.g. load_benchmark({benchmark!r})")
    if not all(hasattr(benchmark, a) for a in needs):
        raise TypeError(f"{name} must be a benchmark object (from load_benchmark), got "
                        f"{type(benchmark).__name__}")


def check_device(device: Any, name: str = "device") -> None:
    """cpu, cuda, cuda:N, mps, a torch.device, or None; ValueError/TypeError naming `name`."""
    if device is None or type(device).__name__ == "device":  # torch.device: already checked
        return
    if not isinstance(device, str):
        raise TypeError(f"{name} must be a device name such as 'cpu' or 'cuda:0', got {device!r}")
    if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", device):
        raise ValueError(f"{name} must be cpu, cuda, cuda:N or mps, got {device!r}")


def _int_list(values: Any, name: str) -> list[Any] | None:
    """A list of the iterable `values` (None stays None); TypeError naming `name` for a single
    number or text. The values themselves are checked where their meaning is known."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of integers, got {values!r}")
    return list(values)


def check_evaluate_args(benchmark: Any, predictor: Any, train_sizes: Any, fidelities: Any,
                        test_size: Any, seeds: Any, sampler: Any, device: Any,
                        progress: Any) -> tuple[Predictor, list[int]]:
    """Every argument of `evaluate` checked once, before any work: (the predictor, the seeds
    as a list). TypeError/ValueError naming the argument."""
    check_benchmark_arg(benchmark, needs=("space", "archs", "curve", "final_val_acc"))
    if isinstance(predictor, str):
        template = get_predictor(predictor)
    elif isinstance(predictor, Predictor):
        template = predictor
    else:
        raise TypeError(f"predictor must be a predictor name or a Predictor, got {predictor!r}")
    _int_list(train_sizes, "train_sizes")
    _int_list(fidelities, "fidelities")
    seed_list = _int_list(seeds, "seeds") or []
    if not seed_list:
        raise ValueError("seeds must name at least one seed")
    for seed in seed_list:
        check_count(seed, "seeds: each seed", 0)
    check_count(test_size, "test_size", MIN_POINTS)  # rank correlations need a few archs
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    check_device(device)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable (or None), got {progress!r}")
    return template, [int(s) for s in seed_list]


def check_predictor_on(predictor: Predictor, benchmark: Any) -> None:
    """The predictor's settings that only the benchmark can judge: its encoding (one the
    space encodes), its network preset (one the space has), its zero-cost proxies. ValueError
    naming the setting; images for `Needs.images` are `budget_grid`'s (a predictor that cannot
    run at all gets error rows in a sweep, a bad setting is the user's to fix)."""
    params = predictor.get_params()
    space = benchmark.space
    encoding = params.get("encoding")
    if isinstance(encoding, str) and encoding != "graph":
        check = getattr(predictor, "_check_encoding", None)
        if callable(check):
            check()
        sample = next(iter(benchmark.archs()), None)
        try:
            if sample is not None:
                space.encode(sample, encoding)
        except (ValueError, KeyError) as exc:
            raise ValueError(f"predictor {predictor.name!r}: encoding {encoding!r} does not fit "
                             f"space {space.name!r}: {usage_text(exc)}") from None
    preset = params.get("preset")
    if isinstance(preset, str) and hasattr(space, "preset_params"):
        try:
            space.preset_params(preset)
        except ValueError as exc:
            raise ValueError(f"predictor {predictor.name!r}: preset: {exc}") from None
    proxies = params.get("proxies")
    if proxies is not None and not isinstance(proxies, str):
        from predictors.zero_cost.score import check_proxies

        try:
            check_proxies(proxies)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"predictor {predictor.name!r}: proxies: {exc}") from None


def usage_text(exc: BaseException) -> str:
    return str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)


def is_oracle(predictor: Predictor, benchmark: Any, fidelity: int) -> bool:
    """Whether a cell reads the whole curve of its query archs: their label, not a prediction."""
    return bool(predictor.needs.query_epochs and fidelity >= int(benchmark.max_epochs))


def budget_grid(predictor: Predictor, benchmark: Any, train_sizes: Sequence[int] | None,
                fidelities: Sequence[int] | None, test_size: int = 200,
                pool_size: int | None = None) -> tuple[list[int], list[int]]:
    """The (train sizes, fidelities) `evaluate` runs for this predictor on this benchmark:
    [0] for what the predictor does not use, the paper's defaults where None was given.
    ValueError when the predictor cannot run on the benchmark at all."""
    check_needs(predictor, benchmark)
    check_grid(benchmark, train_sizes, fidelities, test_size, pool_size)
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


def check_grid(benchmark: Any, train_sizes: Sequence[int] | None,
               fidelities: Sequence[int] | None, test_size: Any,
               pool_size: int | None = None, prefix: str = "") -> None:
    """The grid values, whatever the predictor: a grid shared by a sweep must not hide a bad
    entry until some other predictor reads it (0 is the grids' "not used" value, as
    budget_grid returns it). ValueError naming train_sizes / fidelities / test_size."""
    for name, values in (("train_sizes", train_sizes), ("fidelities", fidelities)):
        if values is not None and not all(_is_count(v, 0) for v in values):
            raise ValueError(f"{prefix}{name} must be integers >= 0, got {list(values)}")
    if not _is_count(test_size, MIN_POINTS):
        raise ValueError(f"{prefix}test_size must be an integer >= {MIN_POINTS}, got "
                         f"{test_size!r}")
    epochs = int(benchmark.max_epochs)
    beyond = [f for f in fidelities or () if f > epochs]
    if beyond:
        raise ValueError(f"{prefix}fidelities must be at most the benchmark's {epochs} "
                         f"epochs, got {beyond[0]}")
    if pool_size is not None:
        largest = max(train_sizes or [0])
        if test_size + largest > pool_size:
            raise ValueError(f"the benchmark holds {pool_size} archs, fewer than "
                             f"{prefix}test_size {test_size} + the largest of "
                             f"{prefix}train_sizes {largest}")


def _is_count(value: Any, low: int = 1) -> bool:
    return bool(isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                and value >= low)


def _evaluate_cell(benchmark: Any, template: Predictor, train: list[Any], test: list[Any],
                   labels: dict[Any, float], y_test: np.ndarray, fidelity: int, seed: int,
                   device: str, curve: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "predictor": template.name, "family": template.family,
        "space": benchmark.space.name, "dataset": benchmark.dataset,
        "init_train_seconds": _train_seconds(curve, train, None),
        "query_train_seconds": (_train_seconds(curve, test, fidelity) / len(test)
                                if fidelity > 0 else 0.0),
        "init_compute_seconds": math.nan, "query_compute_seconds": math.nan,
        "query_recorded_seconds": 0.0, "error": None,
        "metric_note": None,
    }
    ctx = Context.for_benchmark(benchmark, train, test, fidelity, seed=int(seed), device=device,
                                curve=curve)
    fresh = type(template)(**template.get_params())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            fresh.fit(train, np.array([labels[a] for a in train]), ctx)
            # work the fit took over from a file (a loaded supernet) is charged, not skipped
            row["init_compute_seconds"] = time.perf_counter() - start + \
                float(getattr(fresh, "reused_fit_seconds_", 0.0) or 0.0)
            start = time.perf_counter()
            pred = np.asarray(fresh.query(test, ctx), dtype=float).reshape(-1)
            row["query_compute_seconds"] = (time.perf_counter() - start) / len(test)
            # stored work (Suite-Zero proxy scores) is charged at the seconds it was recorded at
            row["query_recorded_seconds"] = \
                float(getattr(fresh, "recorded_query_seconds_", 0.0) or 0.0) / len(test)
            if pred.shape != y_test.shape:
                raise ValueError(f"query returned {pred.shape[0]} scores for {len(test)} archs")
            row.update(score_all(y_test, pred, scale=template.output_scale))
        except Exception as exc:  # one failing cell must not end the sweep: record it
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
            row.update(failed_row(len(test), error.split(":")[0]))
            row["error"] = error
    summary = _warning_summary(caught)
    if summary:
        row["metric_note"] = "; ".join(n for n in (row.get("metric_note"), summary) if n)
    return row


def _warning_summary(caught: list[warnings.WarningMessage]) -> str | None:
    """One phrase for the warnings a cell raised: counts per category, the first message."""
    if not caught:
        return None
    counts = Counter(w.category.__name__ for w in caught)
    first = " ".join(str(caught[0].message).split())[:160]
    kinds = ", ".join(f"{n} {name}" for name, n in counts.most_common())
    return f"warnings: {kinds} (first: {first})"


def _train_seconds(curve: Any, archs: Sequence[Any], epochs: int | None) -> float:
    total = 0.0
    for arch in archs:
        c = curve(arch)
        total += c.train_seconds(None if epochs is None else min(epochs, c.epochs))
    return float(total)


def _cell(value: Any) -> Any:
    """Hyperparameter values as plain scalars for a table column."""
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)
