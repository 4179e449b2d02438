"""NAS loops that take any predictor: random search, regularized evolution, local search,
predictor-guided evolution (NPENAS) and Bayesian optimisation (BANANAS).

`run_search(algo, benchmark, budget, seed, predictor=None, **params)` is the entry point
(DESIGN §3); `search_optimum` gives the benchmark's own optimum regrets are measured against;
`experiments.search.plot` draws trajectories, `experiments.search.store` keeps
finished ones so that `predbench search` skips them.
"""

from experiments.search.acquisition import ACQUISITIONS, ei, its, pi, ucb
from experiments.search.optimum import Optimum, search_optimum
from experiments.search.run import (
    ALGORITHMS,
    GUIDED_DEFAULTS,
    ROW_COLUMNS,
    algorithm_params,
    run_search,
)
from experiments.search.state import SearchState, StopSearch

__all__ = ["ACQUISITIONS", "ALGORITHMS", "GUIDED_DEFAULTS", "Optimum", "ROW_COLUMNS",
           "SearchState", "StopSearch", "algorithm_params", "ei", "its", "pi", "run_search",
           "search_optimum", "ucb"]
