"""Experiments: the evaluator, sweeps, NAS loops, plots and the `predbench` CLI.

`from experiments import evaluate` is the public entry (DESIGN §3): the function, which shadows
its module's name here (the module stays reachable as `experiments.evaluate` in sys.modules).
"""

from experiments.evaluate import evaluate

__all__ = ["evaluate"]
