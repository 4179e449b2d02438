"""What every learning-curve predictor shares: reading the partial curves of the query archs
through the `CurveView` (the fidelity wall) and checking constructor arguments."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import numpy as np

from predictors.base import Context, Needs, Predictor, as_list


def fidelity_of(ctx: Context, who: str) -> int:
    """The number of epochs F a predictor may read per query arch (`ctx.fidelity` >= 1)."""
    ctx.require("curves", who)
    return int(ctx.require("fidelity", who))


def partial_curve(ctx: Context, arch: Any, epochs: int) -> Any:
    """The first `epochs` epochs of `arch`'s curve; the `CurveView` raises `FidelityError`
    when `arch` is a query arch and `epochs` exceeds the fidelity it was built with."""
    return ctx.curves.partial(arch, epochs)


def check_finite_array(values: np.ndarray, what: str, arch: Any) -> np.ndarray:
    """`values` as float; ValueError naming the arch when the benchmark stored no such curve
    (e.g. tabular sources have NaN training losses)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"arch {arch} has no finite {what} curve to read "
                         f"(got {values.tolist()}); this benchmark does not record it")
    return values


def check_fraction(value: float, name: str, low_open: bool = True, high_open: bool = True) -> float:
    """`value` as a float inside (0, 1) (ends included when the flags say so)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}") from None
    low_ok = value > 0 if low_open else value >= 0
    high_ok = value < 1 if high_open else value <= 1
    if not (np.isfinite(value) and low_ok and high_ok):
        raise ValueError(f"{name} must be in {'(' if low_open else '['}0, 1"
                         f"{')' if high_open else ']'}, got {value!r}")
    return value


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """`value` as an int >= `minimum` (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class CurveStatistic(Predictor):
    """A learning-curve predictor that scores each query arch by a statistic of its first F
    epochs (F = `ctx.fidelity`), needing no train set. Subclasses implement
    `_score(curve, arch, ctx)`; higher = predicted better."""

    family = "learning_curve"
    needs = Needs(query_epochs=True)

    def query(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        fidelity = fidelity_of(ctx, self.name)
        archs = as_list(archs)
        return np.array([self._score(partial_curve(ctx, a, fidelity), a, ctx) for a in archs],
                        dtype=float)

    @abc.abstractmethod
    def _score(self, curve: Any, arch: Any, ctx: Context) -> float:
        """The score of one arch from its partial curve (epochs 1..F); `ctx` for what else
        the statistic may need (e.g. `ctx.curves.max_epochs`)."""
