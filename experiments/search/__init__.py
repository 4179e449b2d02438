"""NAS loops that take any predictor: random search, regularized evolution, local search,
predictor-guided evolution (NPENAS) and Bayesian optimisation (BANANAS).

`run_search(algo, benchmark, budget, seed, predictor=None, **params)` is the entry point
(DESIGN §3); `experiments.search.plot` draws trajectories, `experiments.search.store` keeps
finished ones so that `predbench search` skips them.
"""

from experiments.search.acquisition import ACQUISITIONS, ei, its, pi, ucb
from experiments.search.run import ALGORITHMS, GUIDED_DEFAULTS, ROW_COLUMNS, algorithm_params, \
    run_search
from experiments.search.state import SearchState, StopSearch

__all__ = ["ACQUISITIONS", "ALGORITHMS", "GUIDED_DEFAULTS", "ROW_COLUMNS", "SearchState",
           "StopSearch", "algorithm_params", "ei", "its", "pi", "run_search", "ucb"]
