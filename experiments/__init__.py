"""Experiments: the evaluator, sweeps, NAS loops, plots (a library; the `predbench` command line
lives above it in `predbench.cli`).

`from experiments import evaluate, run_search` are the public entries (DESIGN §3).
`experiments.evaluate` is always the function: the evaluator's module is `experiments.evaluator`
(its helpers: `from experiments.evaluator import budget_grid, ROW_COLUMNS, ...`), so no submodule
import can replace the function with a module of the same name.
"""

from experiments.evaluator import evaluate
from experiments.search import run_search

__all__ = ["evaluate", "run_search"]
