"""Experiments: the evaluator, sweeps, NAS loops, plots and the `predbench` CLI.

`from experiments import evaluate` is the public entry (DESIGN §3): the function, which shadows
its module's name here (import helpers from the module with `from experiments.evaluate import
...`). It is imported eagerly: a lazy attribute would be overwritten by the submodule as soon as
any other module imported `experiments.evaluate` first.
"""

from experiments.evaluate import evaluate

__all__ = ["evaluate"]
