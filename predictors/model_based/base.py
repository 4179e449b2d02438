"""Shared machinery of model-based predictors: features from the space's encodings, target
standardisation, predictive std, and honest random-search HPO.

A subclass declares its hyperparameters as constructor arguments (stored unchanged), the
encodings it can use, optionally a `hyperparameter_space` to sample from, and implements

    _fit(X, z, params, rng) -> state        # z = standardised targets
    _predict(state, X) -> (mean, std|None)  # in standardised units

HPO (off by default; `hpo_trials > 0`) scores each sampled configuration by Kendall tau on the
**held-out** folds of a k-fold split of the train set (NASLib scores on its training folds, which
rewards overfitting), stops early when the time budget is spent, and refits the best
configuration on the whole train set. The time spent is part of `fit` and so of init time.

Optional constructor arguments a subclass may take (read here with these defaults, so a class
without them behaves as before):

- `hpo_seconds_per_arch` (0.0): the budget is `hpo_seconds + hpo_seconds_per_arch * n` for n
  train archs (None and 0 together: no time limit). The predictor paper's experiments give
  0.9 s per arch + 20 s (NASLib's `max_hpo_time` 900 scaled by n / 1000, plus 20 s).
- `hpo_space` ("default"): "paper" samples from `paper_hyperparameter_space` (the predictor
  paper's code's search space) instead of `hyperparameter_space`.
- `standardize_targets` (True): False fits the raw labels (accuracy in percent), as NASLib's
  MLP / BANANAS and Bayesian linear regression do.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.stats import kendalltau

from predictors.base import (
    Context,
    Needs,
    NotFittedError,
    Predictor,
    as_list,
    check_context,
    check_labels,
    check_numeric_params,
)

Features = Any  # np.ndarray [n, d], or a tuple of arrays indexed by arch along axis 0 (graphs)

#: the predictor paper's HPO (NASLib `PredictorEvaluator.run_hpo` with the experiments'
#: max_hpo_time 900: random search for 900 s x n / 1000 + 20 s, at most 5000 configurations,
#: 3-fold CV), for the predictors it ran HPO on (mlp, bananas, gcn, bonas)
PAPER_HPO = {"hpo_trials": 5000, "hpo_seconds": 20.0, "hpo_seconds_per_arch": 0.9,
             "hpo_folds": 3, "hpo_space": "paper"}


def take(X: Features, index: np.ndarray) -> Features:
    """Rows `index` of a feature array or of each array in a tuple of them."""
    if isinstance(X, tuple):
        return tuple(x[index] for x in X)
    return X[index]


def encode_archs(space: Any, archs: Sequence[Any], kind: str) -> Features:
    """Stack the space's encodings of `archs`; kind "graph" gives (adjacency, node features)."""
    if kind == "graph":
        graphs = [space.graph(a) for a in archs]
        return (np.stack([g[0] for g in graphs]).astype(np.float32),
                np.stack([g[1] for g in graphs]).astype(np.float32))
    return np.stack([space.encode(a, kind) for a in archs]).astype(np.float32)


class ModelBasedPredictor(Predictor):
    family = "model_based"
    needs = Needs(train_set=True)
    output_scale = "label"  # regressed validation accuracy, in percent
    #: encodings (kinds of `SearchSpace.encode`, or "graph") this model can consume
    supported_encodings: ClassVar[tuple[str, ...]] = ("adjacency_one_hot", "path")
    #: whether `query(..., return_std=True)` gives a predictive std
    supports_std: ClassVar[bool] = False
    #: hyperparameter name -> sampler(rng) for random-search HPO
    hyperparameter_space: ClassVar[dict[str, Callable[[np.random.Generator], Any]]] = {}
    #: the predictor paper's code's search space (used when the instance has hpo_space="paper")
    paper_hyperparameter_space: ClassVar[dict[str, Callable[[np.random.Generator], Any]]] = {}

    # subclasses' __init__ must accept at least: encoding, seed, hpo_trials, hpo_seconds, hpo_folds

    # -- the public interface ----------------------------------------------------------------
    def fit(self, archs: Sequence[Any], y: np.ndarray, ctx: Context) -> ModelBasedPredictor:
        archs = as_list(archs)
        check_context(ctx, self.name)
        y = check_labels(y, len(archs), self.name)
        if len(archs) < 2:
            raise ValueError(f"{self.name}: needs at least 2 train archs, got {len(archs)}")
        self._check_encoding()
        check_numeric_params(self)
        if int(getattr(self, "hpo_trials", 0) or 0) < 0:
            raise ValueError(f"{self.name}: hpo_trials must be >= 0, got {self.hpo_trials!r}")
        X = self.featurize(archs, ctx)
        if getattr(self, "standardize_targets", True):
            self.y_mean_ = float(y.mean())
            self.y_scale_ = float(y.std()) or 1.0
        else:  # raw labels (NASLib's MLP, BANANAS, Bayesian linear regression)
            self.y_mean_, self.y_scale_ = 0.0, 1.0
        z = (y - self.y_mean_) / self.y_scale_
        seed = ctx.seed if getattr(self, "seed", None) is None else self.seed
        params = self.get_params()
        self.hpo_trials_run_ = 0
        space = self._search_space()  # also checks `hpo_space`
        if getattr(self, "hpo_trials", 0) and space:
            params = self._random_search(X, z, params, seed)
        self.best_params_ = params
        self.state_ = self._fit(X, z, params, np.random.default_rng(seed))
        return self

    def query(self, archs: Sequence[Any], ctx: Context, return_std: bool = False):
        if not hasattr(self, "state_"):
            raise NotFittedError(f"{self.name}: call fit before query")
        check_context(ctx, self.name)
        if return_std and not self.supports_std:
            raise ValueError(f"predictor {self.name!r} gives no predictive std")
        archs = as_list(archs)
        mean, std = self._predict(self.state_, self.featurize(archs, ctx))
        mean = np.asarray(mean, dtype=float) * self.y_scale_ + self.y_mean_
        if not return_std:
            return mean
        return mean, np.asarray(std, dtype=float) * self.y_scale_

    def featurize(self, archs: Sequence[Any], ctx: Context) -> Features:
        return encode_archs(ctx.space, archs, self.encoding)

    # -- to implement --------------------------------------------------------------------------
    @abc.abstractmethod
    def _fit(self, X: Features, z: np.ndarray, params: dict[str, Any],
             rng: np.random.Generator) -> Any:
        """Train on features X and standardised targets z with hyperparameters `params`;
        return the fitted state."""

    @abc.abstractmethod
    def _predict(self, state: Any, X: Features) -> tuple[np.ndarray, np.ndarray | None]:
        """(mean, std or None) in standardised units."""

    # -- helpers ---------------------------------------------------------------------------
    def _check_encoding(self) -> None:
        if self.encoding not in self.supported_encodings:
            raise ValueError(
                f"predictor {self.name!r} cannot use encoding {self.encoding!r}; "
                f"it supports: {', '.join(self.supported_encodings)}")

    def _search_space(self) -> dict[str, Callable[[np.random.Generator], Any]]:
        """The HPO search space: `hyperparameter_space`, or `paper_hyperparameter_space` when
        the instance has hpo_space="paper"."""
        kind = getattr(self, "hpo_space", "default")
        if kind == "default":
            return self.hyperparameter_space
        if kind == "paper" and self.paper_hyperparameter_space:
            return self.paper_hyperparameter_space
        have = "default, paper" if self.paper_hyperparameter_space else "default"
        raise ValueError(f"predictor {self.name!r}: hpo_space must be one of {have}, got {kind!r}")

    def _hpo_budget(self, n: int) -> float | None:
        """Seconds of HPO: hpo_seconds + hpo_seconds_per_arch * n (None: no limit)."""
        per_arch = float(getattr(self, "hpo_seconds_per_arch", 0.0) or 0.0)
        if self.hpo_seconds is None and per_arch == 0.0:
            return None
        return float(self.hpo_seconds or 0.0) + per_arch * n

    def _random_search(self, X: Features, z: np.ndarray, defaults: dict[str, Any],
                       seed: int) -> dict[str, Any]:
        """Random search, k-fold CV, Kendall tau on held-out folds; the defaults are trial 0."""
        rng = np.random.default_rng(seed + 7919)
        n = len(z)
        space = self._search_space()
        budget = self._hpo_budget(n)
        folds = int(min(max(2, self.hpo_folds), n))
        order = rng.permutation(n)
        splits = np.array_split(order, folds)
        start = time.perf_counter()
        best, best_score = dict(defaults), -np.inf
        for trial in range(int(self.hpo_trials)):
            if trial > 0 and budget is not None and time.perf_counter() - start > budget:
                break
            params = dict(defaults)
            if trial > 0:
                params.update({k: sample(rng) for k, sample in space.items()})
            scores = []
            for k in range(folds):
                held_out = splits[k]
                train = np.concatenate([s for j, s in enumerate(splits) if j != k])
                if len(train) < 2 or len(held_out) < 2:
                    continue
                state = self._fit(take(X, train), z[train], params, np.random.default_rng(seed))
                pred, _ = self._predict(state, take(X, held_out))
                tau = kendalltau(z[held_out], pred).statistic
                scores.append(tau if np.isfinite(tau) else 0.0)
            score = float(np.mean(scores)) if scores else -np.inf
            self.hpo_trials_run_ = trial + 1
            if score > best_score:  # keep the best (NASLib keeps the last/worst in places)
                best, best_score = params, score
        self.hpo_score_ = best_score
        return best
