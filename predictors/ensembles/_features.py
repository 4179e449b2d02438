"""The information sources OMNI combines (White et al. 2021, §6), as features of an architecture:

- zero-cost proxy scores, memoised per predictor instance (`ZeroCostCache`) so a NAS loop that
  refits the predictor again and again never scores the same arch twice;
- learning-curve statistics at fidelity F, read ONLY through `ctx.curves.partial(arch, F)` for
  train and query archs alike (same featurisation on both sides, and the fidelity wall holds):
  SoTL-E = −train loss of epoch F (Ru et al. 2021, "Speedy Performance Estimation for Neural
  Architecture Search"), SoTL = −Σ train losses of epochs 1..F (same paper), the validation
  accuracy of epoch F and −the validation loss of epoch F (signs make higher = better);
- the architecture encoding `ctx.space.encode(arch, kind)`.

`OmniFeatures` concatenates the enabled sources. Numeric sources are imputed (a NaN proxy score,
e.g. an arch whose network failed, takes the train-set median) and standardised with the
train set's mean and std; the query set reuses those statistics. (NASLib's `omni_ngb` standardises
the query set's SoTL-E with the query set's own statistics, so the same arch gets a different
feature depending on which other archs are queried with it; we do not.)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from predictors.base import Context, NotFittedError
from predictors.zero_cost import proxy_predictors
from predictors.zero_cost.score import DATA_FREE, check_proxies

CURVE_FEATURES = ("sotle", "sotl", "valacc", "valloss")


class OmniWarning(UserWarning):
    """An OMNI information source was left out (e.g. data-dependent proxies without batches)."""


def curve_statistic(curve: Any, name: str) -> float:
    """One learning-curve statistic of a (partial) curve, higher = better (module docstring)."""
    if name == "sotle":
        return -float(curve.train_loss[-1])
    if name == "sotl":
        return -float(np.sum(curve.train_loss))
    if name == "valacc":
        return float(curve.val_acc[-1])
    if name == "valloss":
        return -float(curve.val_loss[-1])
    raise ValueError(f"unknown curve feature {name!r}; expected one of {', '.join(CURVE_FEATURES)}")


def curve_features(archs: Sequence[Any], ctx: Context, names: Sequence[str], epochs: int,
                   who: str) -> np.ndarray:
    """[len(archs), len(names)] statistics of each arch's first `epochs` epochs, read through
    `ctx.curves.partial` (a query arch beyond the fidelity raises `FidelityError`)."""
    curves = ctx.require("curves", who)
    out = np.empty((len(archs), len(names)))
    for i, arch in enumerate(archs):
        curve = curves.partial(arch, epochs)
        if len(curve.train_loss) < epochs:
            raise ValueError(f"{who}: the curve of {arch} has {len(curve.train_loss)} epochs, "
                             f"fewer than the {epochs} asked for")
        out[i] = [curve_statistic(curve, n) for n in names]
    return out


class ZeroCostCache:
    """Zero-cost scores memoised by (arch, proxy, preset, batch_size, seed).

    A score depends only on that key: `score_archs` builds each arch's network under `seed` and
    draws the batch `ctx.batch(batch_size, seed)`, the same for every call, so a cached value
    equals a fresh one. `archs_scored` counts the archs sent to `score_archs` (tests read it)."""

    def __init__(self) -> None:
        self.store: dict[tuple[Any, str, str, int, int], float] = {}
        self.archs_scored = 0

    def scores(self, archs: Sequence[Any], ctx: Context, proxies: Sequence[str], *,
               preset: str, batch_size: int, seed: int, who: str) -> np.ndarray:
        """[len(archs), len(proxies)] raw scores (NaN where a network failed)."""
        key = (preset, int(batch_size), int(seed))
        missing = list(dict.fromkeys(
            a for a in archs if any((a, p, *key) not in self.store for p in proxies)))
        if missing:
            fresh = proxy_predictors.score_archs(missing, ctx, list(proxies), preset=preset,
                                                 batch_size=batch_size, seed=seed, who=who)
            self.archs_scored += len(missing)
            for p in proxies:
                for arch, value in zip(missing, fresh[p]):
                    self.store[(arch, p, *key)] = float(value)
        return np.array([[self.store[(a, p, *key)] for p in proxies] for a in archs],
                        dtype=float).reshape(len(archs), len(proxies))


class Standardizer:
    """Column-wise train-set median imputation of non-finite values, then (x − mean) / std with
    the train set's statistics (std 0 → 1: a constant column stays 0)."""

    def fit(self, X: np.ndarray) -> Standardizer:
        X = np.asarray(X, dtype=float)
        finite = np.where(np.isfinite(X), X, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column is handled below
            median = np.nanmedian(finite, axis=0) if len(X) else np.zeros(X.shape[1])
        self.median_ = np.where(np.isfinite(median), median, 0.0)
        filled = self._impute(X)
        self.mean_ = filled.mean(axis=0) if len(X) else np.zeros(X.shape[1])
        std = filled.std(axis=0) if len(X) else np.ones(X.shape[1])
        self.std_ = np.where(std > 0, std, 1.0)
        return self

    def _impute(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        return np.where(np.isfinite(X), X, self.median_)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (self._impute(X) - self.mean_) / self.std_


def check_sources(proxies: Any, curves: Any, encoding: Any, who: str) -> None:
    """ValueError for malformed OMNI source parameters or when every source is disabled."""
    if isinstance(proxies, str) or not isinstance(proxies, (tuple, list)):
        raise ValueError(f"{who}: proxies must be a tuple of proxy names, got {proxies!r}")
    if proxies:
        check_proxies(list(proxies))  # ValueError naming unknown proxies
    if isinstance(curves, str) or not isinstance(curves, (tuple, list)):
        raise ValueError(f"{who}: curve_features must be a tuple of names from "
                         f"{CURVE_FEATURES}, got {curves!r}")
    bad = [c for c in curves if c not in CURVE_FEATURES]
    if bad:
        raise ValueError(f"{who}: unknown curve feature(s) {bad}; expected names from "
                         f"{', '.join(CURVE_FEATURES)}")
    if encoding is not None and not isinstance(encoding, str):
        raise ValueError(f"{who}: encoding must be an encoding kind or None, got {encoding!r}")
    if not proxies and not curves and encoding is None:
        raise ValueError(f"{who}: every information source is disabled (no proxies, no curve "
                         "features, no encoding); enable at least one")


def usable_proxies(proxies: Sequence[str], ctx: Context, who: str) -> tuple[str, ...]:
    """The proxies that can run in `ctx`: without `ctx.batch` (no images) the data-dependent
    ones are left out, with one warning."""
    if ctx.batch is not None:
        return tuple(proxies)
    dropped = [p for p in proxies if p not in DATA_FREE]
    if dropped:
        warnings.warn(f"{who}: the context has no data batches, so the data-dependent proxies "
                      f"{', '.join(dropped)} are left out", OmniWarning, stacklevel=3)
    return tuple(p for p in proxies if p in DATA_FREE)


class OmniFeatures:
    """The OMNI feature vector of an arch: [standardised proxy scores, standardised curve
    statistics at `epochs`, encoding], each block present when enabled. `fit` learns the
    imputation / standardisation statistics on the train archs; `transform` applies them."""

    def __init__(self, proxies: Sequence[str], curves: Sequence[str], encoding: str | None,
                 epochs: int, cache: ZeroCostCache, *, preset: str, batch_size: int, seed: int,
                 who: str) -> None:
        if curves and epochs < 1:
            raise ValueError(f"{who}: curve features need a fidelity >= 1, got {epochs}")
        self.proxies = tuple(proxies)
        self.curves = tuple(curves)
        self.encoding = encoding
        self.epochs = int(epochs)
        self.cache = cache
        self.preset, self.batch_size, self.seed, self.who = preset, batch_size, seed, who
        if not self.proxies and not self.curves and self.encoding is None:
            raise ValueError(f"{who}: no information source is usable in this context "
                             "(proxies need batches or are data-free, curve features need "
                             "fidelity >= 1, or set an encoding)")

    @property
    def names(self) -> list[str]:
        return [*self.proxies, *self.curves] + (["encoding"] if self.encoding else [])

    def _numeric(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        blocks = [np.zeros((len(archs), 0))]
        if self.proxies:
            blocks.append(self.cache.scores(archs, ctx, self.proxies, preset=self.preset,
                                            batch_size=self.batch_size, seed=self.seed,
                                            who=self.who))
        if self.curves:
            blocks.append(curve_features(archs, ctx, self.curves, self.epochs, self.who))
        return np.hstack(blocks)

    def _encoded(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        if self.encoding is None:
            return np.zeros((len(archs), 0))
        return np.stack([np.asarray(ctx.space.encode(a, self.encoding), dtype=float)
                         for a in archs]).reshape(len(archs), -1)

    def fit(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        numeric = self._numeric(archs, ctx)
        self.scaler_ = Standardizer().fit(numeric)
        return np.hstack([self.scaler_.transform(numeric), self._encoded(archs, ctx)])

    def transform(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        if not hasattr(self, "scaler_"):
            raise NotFittedError(f"{self.who}: call fit before query")
        numeric = self._numeric(archs, ctx)
        return np.hstack([self.scaler_.transform(numeric), self._encoded(archs, ctx)])


def zero_cost_seed(seed: int | None, ctx: Context, zc_seed: int | None = None) -> int:
    """The seed of the proxies' network init and batch: `zc_seed` when given, else the
    predictor's own seed, else the context's. (`zc_seed` lets an ensemble of copies with
    different model seeds share one set of zero-cost scores.)"""
    if zc_seed is not None:
        return int(zc_seed)
    return int(ctx.seed if seed is None else seed)


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the train values' quantiles 1/bins, ..., (bins−1)/bins (finite values
    only); `np.searchsorted(edges, v, side="right")` then gives a bin in 0..bins−1."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.zeros(0)
    return np.quantile(values, np.linspace(0.0, 1.0, int(bins) + 1)[1:-1])


def to_bins(values: np.ndarray, edges: np.ndarray, fill: float) -> np.ndarray:
    """Bin index of each value (non-finite values take `fill`'s bin)."""
    values = np.where(np.isfinite(values), values, fill if math.isfinite(fill) else 0.0)
    return np.searchsorted(edges, values, side="right").astype(np.int64)
