"""LcSVR (Baker, Gupta, Raskar & Naik 2017, "Accelerating Neural Architecture Search using
Performance Prediction", ICLR workshop): a ν-support-vector regression from features of an
architecture's partial learning curve to its final validation accuracy.

Features of the validation-accuracy curve c over the first F epochs (F = `ctx.fidelity`):
mean and std of c, of its first differences Δc and of its second differences Δ²c (a statistic
of an empty difference — F = 1 for Δc, F <= 2 for Δ²c — is 0), optionally followed by the
architecture's encoding `ctx.space.encode(arch, encoding)` (`use_encoding=True`). The train
archs' curves are truncated to F epochs too (`ctx.curves.partial(arch, F)`), so train and query
archs are featurised alike; the target is the train archs' final validation accuracy `y`.

Model: scikit-learn's `NuSVR` (RBF kernel) on standardised features and targets. Its
hyperparameters (C, ν, γ) are chosen by random search (`hpo_trials` draws: C log-uniform in
[0.01, 100], ν uniform in [0.05, 0.95], γ log-uniform in [1e-3, 10]; the defaults C=1, ν=0.5,
γ="scale" are always the first candidate) scored by the mean Kendall tau on the held-out folds
of a `hpo_folds`-fold split of the train set; the best is refit on the whole train set. With
fewer than 3 × `hpo_folds` train archs there is nothing to cross-validate and the given
(C, nu, gamma) are used.

``config="paper"``: 1000 random configurations, as NASLib's `SVR_Estimator(n_hypers=1000)`
(its ranges, R² scoring and unstandardised features stay ours; docs/departures.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from predictors.base import Context, Needs, Predictor, as_list, register_predictor
from predictors.learning_curve._common import (
    check_finite_array,
    check_positive_int,
    fidelity_of,
    partial_curve,
)
from predictors.model_based._hpo import log_uniform

N_CURVE_FEATURES = 6


def curve_features(val_acc: np.ndarray) -> np.ndarray:
    """[mean c, std c, mean Δc, std Δc, mean Δ²c, std Δ²c] of a validation-accuracy curve c."""
    c = np.asarray(val_acc, dtype=float)
    out = []
    for series in (c, np.diff(c), np.diff(c, n=2)):
        out += [float(series.mean()), float(series.std())] if series.size else [0.0, 0.0]
    return np.array(out)


def _check_gamma(gamma: Any) -> Any:
    if gamma in ("scale", "auto"):
        return gamma
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not gamma > 0:
        raise ValueError(f"gamma must be > 0, 'scale' or 'auto', got {gamma!r}")
    return float(gamma)


@register_predictor
class LcSVRPredictor(Predictor):
    """ν-SVR on partial-curve statistics (+ optionally the encoding), HPO by held-out Kendall
    tau (module docstring)."""

    name = "lcsvr"
    family = "hybrid"
    needs = Needs(train_set=True, query_epochs=True)
    output_scale = "label"  # regressed validation accuracy, in percent
    configs = {"paper": {"use_encoding": False, "hpo_trials": 1000, "hpo_folds": 3}}

    def __init__(self, use_encoding: bool = False, encoding: str = "adjacency_one_hot",
                 hpo_trials: int = 20, hpo_folds: int = 3, C: float = 1.0, nu: float = 0.5,
                 gamma: float | str = "scale", seed: int | None = None):
        if not isinstance(use_encoding, bool):
            raise ValueError(f"use_encoding must be True or False, got {use_encoding!r}")
        self.use_encoding = use_encoding
        self.encoding = encoding
        self.hpo_trials = check_positive_int(hpo_trials, "hpo_trials", minimum=0)
        self.hpo_folds = check_positive_int(hpo_folds, "hpo_folds", minimum=2)
        if isinstance(C, bool) or not isinstance(C, (int, float)) or not C > 0:
            raise ValueError(f"C must be > 0, got {C!r}")
        self.C = float(C)
        if isinstance(nu, bool) or not isinstance(nu, (int, float)) or not 0 < nu <= 1:
            raise ValueError(f"nu must be in (0, 1], got {nu!r}")
        self.nu = float(nu)
        self.gamma = _check_gamma(gamma)
        self.seed = seed

    # -- features ------------------------------------------------------------------------------
    def _features(self, archs: list[Any], ctx: Context, fidelity: int) -> np.ndarray:
        rows = []
        for arch in archs:
            curve = partial_curve(ctx, arch, fidelity)
            row = curve_features(check_finite_array(curve.val_acc, "validation accuracy", arch))
            if self.use_encoding:
                row = np.concatenate([row, np.asarray(ctx.space.encode(arch, self.encoding),
                                                      dtype=float).reshape(-1)])
            rows.append(row)
        return np.stack(rows)

    # -- fit / query ---------------------------------------------------------------------------
    def fit(self, archs: Sequence[Any], y: np.ndarray, ctx: Context) -> LcSVRPredictor:
        fidelity = fidelity_of(ctx, self.name)
        archs = as_list(archs)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(archs) != y.size:
            raise ValueError(f"got {len(archs)} archs but {y.size} labels")
        if y.size < 2 or not np.all(np.isfinite(y)):
            raise ValueError(f"lcsvr needs at least 2 finite labels, got {y.tolist()[:10]}")
        X = self._features(archs, ctx, fidelity)
        self.x_mean_, self.x_std_ = X.mean(axis=0), X.std(axis=0)
        self.x_std_[self.x_std_ == 0] = 1.0  # constant columns (e.g. Δ²c at F = 2) stay 0
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std()) or 1.0
        Xs, z = (X - self.x_mean_) / self.x_std_, (y - self.y_mean_) / self.y_std_
        seed = ctx.seed if self.seed is None else self.seed
        self.best_params_ = self._search(Xs, z, np.random.default_rng(seed))
        self.model_ = _nu_svr(self.best_params_).fit(Xs, z)
        self.fidelity_ = fidelity
        return self

    def query(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise ValueError("lcsvr: call fit before query")
        fidelity = fidelity_of(ctx, self.name)
        if fidelity != self.fidelity_:
            raise ValueError(f"lcsvr was fit on {self.fidelity_}-epoch curves but queried at "
                             f"fidelity {fidelity}; refit at the query fidelity")
        X = (self._features(as_list(archs), ctx, fidelity) - self.x_mean_) / self.x_std_
        return self.model_.predict(X) * self.y_std_ + self.y_mean_

    # -- hyperparameter search -----------------------------------------------------------------
    def _search(self, X: np.ndarray, z: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        default = {"C": self.C, "nu": self.nu, "gamma": self.gamma}
        if self.hpo_trials == 0 or z.size < 3 * self.hpo_folds:
            return default
        candidates = [default] + [
            {"C": log_uniform(1e-2, 1e2)(rng), "nu": float(rng.uniform(0.05, 0.95)),
             "gamma": log_uniform(1e-3, 10.0)(rng)}
            for _ in range(self.hpo_trials)]
        folds = np.array_split(rng.permutation(z.size), self.hpo_folds)
        best, best_score = default, -np.inf
        for params in candidates:
            scores = []
            for held in folds:
                train = np.setdiff1d(np.arange(z.size), held)
                pred = _nu_svr(params).fit(X[train], z[train]).predict(X[held])
                if np.ptp(pred) > 0 and np.ptp(z[held]) > 0:
                    scores.append(kendalltau(z[held], pred).statistic)
            score = float(np.mean(scores)) if scores else -np.inf  # constant folds say nothing
            if score > best_score:  # strict: on ties the earlier candidate (the default) stays
                best, best_score = params, score
        self.hpo_score_ = best_score
        return best


def _nu_svr(params: dict[str, Any]):
    from sklearn.svm import NuSVR

    return NuSVR(kernel="rbf", C=params["C"], nu=params["nu"], gamma=params["gamma"])
