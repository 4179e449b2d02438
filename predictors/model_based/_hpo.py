"""Samplers for `hyperparameter_space` / `paper_hyperparameter_space` (and any other random
hyperparameter search): each takes ranges and returns a function of a `numpy` Generator that
draws one value. numpy only, so the tree and kernel predictors need not import torch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def log_uniform(low: float, high: float) -> Callable[[np.random.Generator], float]:
    """Log-uniform float on [low, high] (one `rng.uniform` draw)."""
    return lambda rng: float(np.exp(rng.uniform(np.log(low), np.log(high))))


def int_log_uniform(low: int, high: int, floor: bool = False
                    ) -> Callable[[np.random.Generator], int]:
    """Log-uniform integer on [low, high]: rounded, or truncated with `floor=True` (the
    `int(np.exp(...))` of the predictor paper's code, kept for its search spaces)."""
    draw = log_uniform(low, high)
    if floor:
        return lambda rng: int(draw(rng))
    return lambda rng: int(round(draw(rng)))


def choice(options: Sequence[Any]) -> Callable[[np.random.Generator], Any]:
    """One of `options`, uniformly."""
    return lambda rng: options[int(rng.integers(len(options)))]
