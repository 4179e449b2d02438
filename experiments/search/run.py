"""`run_search`: one NAS loop on one benchmark, as a tidy trajectory (DESIGN §3).

    from experiments import run_search
    trajectory = run_search("bananas", benchmark, budget=150, seed=0, predictor="xgb")

One row per query (ROW_COLUMNS): the split searched, the step (1-based), the arch (canonical
text), the phase that proposed it (init, random, mutation, neighbour, restart, predicted), its
final validation accuracy as the benchmark reports it (`accuracy`) and its test accuracy
(`test_accuracy`, NaN where the benchmark stores none), the incumbent — the arch with the best
validation accuracy so far: its validation accuracy (`incumbent`), text (`incumbent_arch`) and
test accuracy (`incumbent_test`: what a user would deploy) —, the validation regret (`regret`)
and test regret (`test_regret`) against the benchmark's own optimum over the split
(`experiments.search.optimum`; NaN where unknown, e.g. a live benchmark), the training seconds
the benchmark recorded for it (NaN for tables without times), the optimizer's own measured
compute seconds for that step (predictor fits and queries included) and cumulative clocks.

`split` ("all", "tuning", "reporting"; `benchmarks.splits`) restricts sampling, mutation and
every query to that half of the space; the optimum is taken over the same half.

Deterministic under `seed` (all randomness comes from seeded generators; predictors get the
seed), so a killed search on a live benchmark, restarted with the same seed, proposes the same
archs, finds them in the store and continues where it stopped.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.splits import check_split
from experiments.evaluator import check_benchmark_arg
from experiments.metrics import check_count
from experiments.search import baselines, guided
from experiments.search.guided import check_guided
from experiments.search.optimum import Optimum, search_optimum
from experiments.search.state import SearchState, StopSearch
from experiments.search.surrogate import build_predictor, check_surrogate
from predictors import Predictor

ALGORITHMS: dict[str, Callable[..., None]] = {
    "rs": baselines.random_search,
    "re": baselines.regularized_evolution,
    "ls": baselines.local_search,
    "npenas": guided.npenas,
    "bananas": guided.bananas,
}
#: the loops that use a predictor, and the one they use when none is given: NPENAS's own
#: predictor is a graph convolutional network, BANANAS' an ensemble of MLPs on path encodings
GUIDED_DEFAULTS = {"npenas": "gcn", "bananas": "bananas"}

ROW_COLUMNS = ("algo", "predictor", "seed", "space", "dataset", "split", "step", "arch",
               "phase", "accuracy", "test_accuracy", "incumbent", "incumbent_arch",
               "incumbent_test", "regret", "test_regret", "train_seconds",
               "partial_train_seconds", "compute_seconds", "cum_train_seconds",
               "cum_compute_seconds")


def algorithm_params(algo: str) -> list[str]:
    """The loop hyperparameters `algo` accepts (its keyword arguments)."""
    check_algo(algo)
    skip = {"state", "predictor", "predictor_params", "seed"}
    return [p for p in inspect.signature(ALGORITHMS[algo]).parameters if p not in skip]


def check_algo(algo: str) -> None:
    if not isinstance(algo, str) or algo not in ALGORITHMS:
        raise ValueError(f"unknown search algorithm {algo!r}; expected one of: "
                         f"{', '.join(ALGORITHMS)}")


def _check_types(algo: str, params: dict[str, Any], flag: str) -> None:
    """Each value must have the type of the loop argument's default (an int where the default
    is an int, ...), so that a typo fails here, not deep inside the loop."""
    signature = inspect.signature(ALGORITHMS[algo]).parameters
    for key, value in params.items():
        default = signature[key].default
        if default is inspect.Parameter.empty or default is None:
            continue
        kind = type(default)
        integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        ok = (isinstance(value, bool) if kind is bool else integer if kind is int
              else integer or isinstance(value, (float, np.floating)) if kind is float
              else isinstance(value, kind))
        if not ok:
            raise TypeError(f"{flag}{key} of {algo} must be {kind.__name__} (default "
                            f"{default!r}), got {value!r}")


def check_params(algo: str, params: dict[str, Any], predictor: str | Predictor | None = None,
                 predictor_params: dict[str, Any] | None = None, benchmark: Any = None,
                 flag: str = "") -> Predictor | None:
    """Everything about a loop's settings that can be wrong, checked without running it: the
    parameter names, their types and values, and for npenas/bananas the predictor (built once
    with `predictor_params`, so its own checks run) and whether it can guide a search on
    `benchmark` (images, partial curves, encoding, preset; when a benchmark is given).
    `flag` prefixes parameter names in messages (the command line's "--param ").
    Returns the predictor built (npenas/bananas) or None."""
    check_algo(algo)
    accepted = algorithm_params(algo)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"search {algo!r} has no parameter(s) {', '.join(unknown)}; it takes: "
                         f"{', '.join(accepted) or 'none'}")
    _check_types(algo, params, flag)
    signature = inspect.signature(ALGORITHMS[algo]).parameters
    values = {k: params.get(k, signature[k].default) for k in accepted}
    if algo == "re":
        baselines.check_regularized_evolution(**values)
    elif algo == "ls":
        baselines.check_local_search(**values)
    if algo not in GUIDED_DEFAULTS:
        if predictor is not None or predictor_params:
            raise ValueError(f"search {algo!r} uses no predictor; give one only to "
                             f"{' or '.join(GUIDED_DEFAULTS)}")
        return None
    template = build_predictor(GUIDED_DEFAULTS[algo] if predictor is None else predictor,
                               predictor_params, benchmark)
    check_guided(values, bool(template.needs.train_set))
    if benchmark is not None:
        check_surrogate(template, benchmark, int(values["fidelity"]), algo == "bananas",
                        values.get("uncertainty", "auto"), values.get("ensemble_size", 3))
    return template


def _check_run_args(benchmark: Any, budget: Any, seed: Any, predictor: Any,
                    budget_seconds: Any, on_step: Any, optimum: Any) -> None:
    """run_search's own arguments; TypeError/ValueError naming the argument."""
    check_benchmark_arg(benchmark)
    check_count(seed, "seed", 0)
    if budget is None and budget_seconds is None:
        raise ValueError("give a budget in queries (budget) or in training seconds "
                         "(budget_seconds)")
    if budget is not None:
        check_count(budget, "budget", 1)
    if budget_seconds is not None and (
            isinstance(budget_seconds, bool) or not isinstance(budget_seconds, (int, float))
            or not (budget_seconds > 0 and math.isfinite(budget_seconds))):
        raise ValueError(f"budget_seconds must be a positive number, got {budget_seconds!r}")
    if predictor is not None and not isinstance(predictor, (str, Predictor)):
        raise TypeError(f"predictor must be a predictor name or a Predictor, got {predictor!r}")
    if on_step is not None and not callable(on_step):
        raise TypeError(f"on_step must be a callable (or None), got {on_step!r}")
    if optimum is not None and not isinstance(optimum, Optimum):
        raise TypeError(f"optimum must be an Optimum (from search_optimum), got {optimum!r}")


def predictor_label(predictor: str | Predictor | None) -> str:
    if predictor is None:
        return "none"
    return predictor if isinstance(predictor, str) else predictor.name


def run_search(algo: str, benchmark: Any, budget: int | None = 150, seed: int = 0,
               predictor: str | Predictor | None = None, *,
               budget_seconds: float | None = None,
               predictor_params: dict[str, Any] | None = None,
               on_step: Callable[[dict[str, Any]], None] | None = None,
               split: str = "all", optimum: Optimum | None = None,
               **params: Any) -> pd.DataFrame:
    """Run the NAS loop `algo` (rs | re | ls | npenas | bananas) on `benchmark` until `budget`
    queries or `budget_seconds` benchmark-recorded training seconds are spent (whichever comes
    first; the query that crosses the seconds budget is the last). `predictor` (a registered
    name or an instance; with `predictor_params` for a name) guides npenas and bananas;
    `params` are the loop's hyperparameters (`algorithm_params(algo)`); `on_step(row)` is
    called after every query (progress bars). `split` restricts the search to one half of the
    space (`benchmarks.splits`). Regrets are measured against `search_optimum(benchmark, split)`
    (pass `optimum`, computed by that function, to skip recomputing it over many runs)."""
    check_algo(algo)
    _check_run_args(benchmark, budget, seed, predictor, budget_seconds, on_step, optimum)
    check_split(split)
    check_params(algo, params, predictor, predictor_params, benchmark)
    if optimum is None:
        optimum = search_optimum(benchmark, split)
    elif optimum.split != split:
        raise ValueError(f"optimum is for the {optimum.split} split, the search runs on {split}")
    if algo in GUIDED_DEFAULTS:
        predictor = GUIDED_DEFAULTS[algo] if predictor is None else predictor
        params.update(predictor=predictor, predictor_params=predictor_params, seed=int(seed))
    label = predictor_label(predictor)
    state = SearchState(benchmark, None if budget is None else int(budget), budget_seconds,
                        int(seed), on_step=None if on_step is None else
                        (lambda row: on_step({"algo": algo, "predictor": label,
                                              "seed": int(seed), **row})),
                        split=split, optimum=optimum)
    try:
        ALGORITHMS[algo](state, **params)
    except StopSearch:
        pass
    frame = pd.DataFrame(state.rows, columns=[c for c in ROW_COLUMNS if c not in
                                              ("algo", "predictor", "seed", "space", "dataset")])
    frame.insert(0, "algo", algo)
    frame.insert(1, "predictor", label)
    frame.insert(2, "seed", int(seed))
    frame.insert(3, "space", benchmark.space.name)
    frame.insert(4, "dataset", str(benchmark.dataset))
    return frame[list(ROW_COLUMNS)]
