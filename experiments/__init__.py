"""Experiments: the evaluator, sweeps, NAS loops, plots (a library; the `predbench` command line
lives above it in `predbench.cli`).

`from experiments import evaluate, run_search` are the public entries (DESIGN §3). `evaluate` is
the function, which shadows its module's name here (import helpers from the module with `from
experiments.evaluate import ...`). Both are imported eagerly: a lazy attribute would be overwritten by the submodule as soon as
any other module imported `experiments.evaluate` first.
"""

from experiments.evaluate import evaluate
from experiments.search import run_search

__all__ = ["evaluate", "run_search"]
