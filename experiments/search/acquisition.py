"""Acquisition functions for Bayesian optimisation over architectures (maximisation).

Pure functions of the predictive `mean`, standard deviation `std` and the incumbent `best`
(the highest accuracy evaluated so far); a larger value means "evaluate this one first".
BANANAS (White, Neiswanger & Savani, AAAI 2021) found independent Thompson sampling (ITS) the
best of these on NAS benchmarks; UCB, EI and PI are the textbook forms (e.g. Shahriari et al.
2016, "Taking the human out of the loop"), written for maximisation:

    its(mean, std, rng)   = a draw from N(mean_i, std_i^2), independently per candidate
    ucb(mean, std, beta)  = mean + beta * std
    ei(mean, std, best)   = (mean - best) * Phi(z) + std * phi(z),   z = (mean - best) / std
    pi(mean, std, best)   = Phi(z)

Where `std` is 0 the limits are used: EI = max(mean - best, 0), PI = 1 if mean > best else 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import norm

ACQUISITIONS = ("its", "ucb", "ei", "pi")


def _check(mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(mean, dtype=float).reshape(-1)
    std = np.asarray(std, dtype=float).reshape(-1)
    if mean.shape != std.shape:
        raise ValueError(f"mean and std differ in length: {mean.shape[0]} vs {std.shape[0]}")
    if np.any(std < 0):
        raise ValueError("std must be >= 0")
    return mean, std


def its(mean: np.ndarray, std: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Independent Thompson sampling: one normal draw per candidate (BANANAS' default)."""
    mean, std = _check(mean, std)
    return mean + std * rng.standard_normal(mean.shape[0])


def ucb(mean: np.ndarray, std: np.ndarray, beta: float = 0.5) -> np.ndarray:
    """Upper confidence bound mean + beta * std (beta 0.5: NASLib's `explore_factor`)."""
    mean, std = _check(mean, std)
    return mean + float(beta) * std


def _z(mean: np.ndarray, std: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray]:
    gain = mean - float(best)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, gain / np.where(std > 0, std, 1.0), 0.0)
    return gain, z


def ei(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """Expected improvement over `best`: E[max(f - best, 0)] for f ~ N(mean, std^2)."""
    mean, std = _check(mean, std)
    gain, z = _z(mean, std, best)
    value = gain * norm.cdf(z) + std * norm.pdf(z)
    return np.where(std > 0, value, np.maximum(gain, 0.0))


def pi(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """Probability of improvement P(f > best) for f ~ N(mean, std^2)."""
    mean, std = _check(mean, std)
    gain, z = _z(mean, std, best)
    return np.where(std > 0, norm.cdf(z), (gain > 0).astype(float))


def acquisition(name: str, beta: float = 0.5) -> Callable[..., np.ndarray]:
    """f(mean, std, best, rng) -> values for the acquisition called `name`."""
    if name == "its":
        return lambda mean, std, best, rng: its(mean, std, rng)
    if name == "ucb":
        return lambda mean, std, best, rng: ucb(mean, std, beta)
    if name == "ei":
        return lambda mean, std, best, rng: ei(mean, std, best)
    if name == "pi":
        return lambda mean, std, best, rng: pi(mean, std, best)
    raise ValueError(f"unknown acquisition {name!r}; expected one of: {', '.join(ACQUISITIONS)}")
