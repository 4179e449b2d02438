"""Support vector regression (Drucker et al. 1997; scikit-learn's libsvm `SVR`) on encodings.

Defaults are scikit-learn's (RBF kernel, C=1, epsilon=0.1, gamma="scale" = 1 / (d * var(X)));
the targets are standardised, so epsilon is in units of the train std. The search space follows
the usual log-uniform ranges for C and gamma (Hsu, Chang & Lin, "A Practical Guide to Support
Vector Classification").
"""

from __future__ import annotations

from predictors.base import register_predictor
from predictors.model_based._hpo import log_uniform
from predictors.model_based._target import TargetTransformMixin
from predictors.model_based._threads import single_threaded
from predictors.model_based.base import ModelBasedPredictor


@register_predictor
class SVRPredictor(TargetTransformMixin, ModelBasedPredictor):
    """Epsilon-SVR on the encoding; deterministic (libsvm's solver draws no random numbers)."""

    name = "svr"

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 kernel: str = "rbf", C: float = 1.0, epsilon: float = 0.1,
                 gamma: float | str = "scale"):  # scikit-learn SVR defaults
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.kernel = kernel
        self.C = C
        self.epsilon = epsilon
        self.gamma = gamma

    hyperparameter_space = {
        "C": log_uniform(1e-2, 1e3),
        "epsilon": log_uniform(1e-3, 1.0),
        "gamma": log_uniform(1e-3, 1.0),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        from sklearn.svm import SVR

        return SVR(kernel=params["kernel"], C=float(params["C"]), epsilon=float(params["epsilon"]),
                   gamma=params["gamma"]).fit(X, z)

    @single_threaded
    def _predict(self, state, X):
        return state.predict(X), None
