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

import pandas as pd

from benchmarks.splits import check_split
from experiments.search import baselines, guided
from experiments.search.optimum import Optimum, search_optimum
from experiments.search.state import SearchState, StopSearch
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
    if algo not in ALGORITHMS:
        raise ValueError(f"unknown search algorithm {algo!r}; expected one of: "
                         f"{', '.join(ALGORITHMS)}")


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
    check_split(split)
    if optimum is None:
        optimum = search_optimum(benchmark, split)
    elif optimum.split != split:
        raise ValueError(f"optimum is for the {optimum.split} split, the search runs on {split}")
    if budget is None and budget_seconds is None:
        raise ValueError("give a budget in queries (budget) or in training seconds "
                         "(budget_seconds)")
    if budget is not None and (isinstance(budget, bool) or int(budget) != budget or budget < 1):
        raise ValueError(f"budget must be a positive number of queries, got {budget!r}")
    if budget_seconds is not None and not (budget_seconds > 0 and math.isfinite(budget_seconds)):
        raise ValueError(f"budget_seconds must be a positive number, got {budget_seconds!r}")
    accepted = algorithm_params(algo)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"search {algo!r} has no parameter(s) {', '.join(unknown)}; it takes: "
                         f"{', '.join(accepted) or 'none'}")
    if algo in GUIDED_DEFAULTS:
        predictor = GUIDED_DEFAULTS[algo] if predictor is None else predictor
        params.update(predictor=predictor, predictor_params=predictor_params, seed=int(seed))
    elif predictor is not None or predictor_params:
        raise ValueError(f"search {algo!r} uses no predictor; give one only to "
                         f"{' or '.join(GUIDED_DEFAULTS)}")
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
