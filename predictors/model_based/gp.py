"""Exact Gaussian-process regression on architecture encodings (Rasmussen & Williams 2006).

Kernel hyperparameters (lengthscale(s), signal variance) and the noise variance are set by
maximising the log marginal likelihood with L-BFGS(-B), started from the median-distance
lengthscale. NASLib's `gp` uses an isotropic RBF kernel (pyro; lengthscale 10, variance 5,
noise 1) and does not optimise them by default. Defaults here: a Matérn-5/2 kernel with one
lengthscale (isotropic, as NASLib; on NB201 one-hot encodings per-feature ARD lengthscales
overfit at 100 train cells: Kendall tau 0.52 vs 0.62), hyperparameters by marginal likelihood.
With ``encoding="path"`` it is the best model-based predictor measured on NB201
(studies/model_based_accuracy.py).

``get_predictor("gp", config="paper")``: NASLib's setup as closely as these arguments allow —
RBF kernel, standardised labels, noise variance 1, no optimisation (``max_iter=0``). NASLib's
lengthscale and signal variance are one random draw each from their LogNormal(0, 1) priors
(pyro initialises the MAP guide from a prior sample); the preset uses those priors' median, 1.
"""

from __future__ import annotations

from predictors.base import register_predictor
from predictors.model_based._target import TargetTransformMixin
from predictors.model_based._threads import single_threaded
from predictors.model_based.base import ModelBasedPredictor

#: kernel names (the same as `_gp.KERNELS`; repeated so that importing this module stays light)
KERNELS = ("rbf", "matern52", "matern32")


@register_predictor
class GPPredictor(TargetTransformMixin, ModelBasedPredictor):
    """Exact GP; `kernel` in rbf | matern52 | matern32, `ard` = one lengthscale per feature."""
    int_minimums = {"max_iter": 0}

    name = "gp"
    supports_std = True
    configs = {"paper": {"target_transform": None, "kernel": "rbf", "ard": False, "max_iter": 0,
                         "noise": 1.0, "lengthscale": 1.0, "variance": 1.0}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 kernel: str = "matern52", ard: bool = False,
                 max_iter: int = 200,  # L-BFGS iterations on the marginal likelihood (0: none)
                 noise: float = 0.1,  # initial noise variance (standardised targets)
                 lengthscale: float | None = None,  # initial; None: median pairwise distance
                 variance: float = 1.0):  # initial signal variance
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.kernel = kernel
        self.ard = ard
        self.max_iter = max_iter
        self.noise = noise
        self.lengthscale = lengthscale
        self.variance = variance

    hyperparameter_space = {
        "kernel": lambda rng: str(rng.choice(KERNELS)),
        "ard": lambda rng: bool(rng.integers(2)),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        from predictors.model_based import _gp  # torch, imported on first use

        X_t, y_t = _gp.as_tensor(X), _gp.as_tensor(z)
        lengthscale = params.get("lengthscale")
        kernel = _gp.Kernel(params["kernel"], X_t.shape[1], bool(params["ard"]),
                            lengthscale=_gp.median_lengthscale(X_t) if lengthscale is None
                            else float(lengthscale), variance=float(params.get("variance", 1.0)))
        return _gp.ExactGP(X_t, y_t, kernel,
                           noise=float(params["noise"])).fit(int(params["max_iter"]))

    @single_threaded
    def _predict(self, state, X):
        from predictors.model_based import _gp

        return state.predict(_gp.as_tensor(X))
