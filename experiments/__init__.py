"""Experiments: the evaluator, sweeps, NAS loops, plots and the `predbench` CLI.

`from experiments import evaluate` is the public entry (DESIGN §3): the function, which shadows
its module's name here. It is imported on first use, so that the CLI's quick commands do not pay
for importing every predictor.
"""

from __future__ import annotations

from typing import Any

__all__ = ["evaluate"]


def __getattr__(name: str) -> Any:
    if name == "evaluate":
        from experiments.evaluate import evaluate as function

        # importing the submodule bound the module to this name; the function takes it back
        globals()["evaluate"] = function
        return function
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
