"""Experiments: the evaluator, sweeps, NAS loops, plots and the `predbench` CLI.

`from experiments import evaluate` is the public entry (DESIGN §3); it is imported lazily so
that the CLI's quick commands do not pay for the predictors' imports.
"""

from __future__ import annotations

from typing import Any

__all__ = ["evaluate"]


def __getattr__(name: str) -> Any:
    if name == "evaluate":
        from experiments.evaluate import evaluate

        return evaluate
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
