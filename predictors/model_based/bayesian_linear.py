"""Bayesian linear models: Bayesian linear regression on the encoding (`bayes_lin_reg`) and DNGO
(`dngo`; Snoek et al., "Scalable Bayesian Optimization Using Deep Neural Networks", ICML 2015):
an MLP trained on the targets, then Bayesian linear regression on its last hidden layer.

In both, the prior and noise precisions (alpha, beta) maximise the marginal likelihood (MacKay's
fixed point, `_blr.fit_blr`). NASLib wraps pybnn for both; its settings are the defaults here
(`naslib/predictors/bnn/bayesian_linear_reg.py`, `dngo.py`), except that DNGO's MCMC over alpha,
beta is replaced by type-II maximum likelihood (pybnn's `do_mcmc=False`; NASLib's DNGO runs
pybnn's emcee sampler over them, 20 walkers x 2000 steps after 2000 burn-in).
"""

from __future__ import annotations

import math

import numpy as np

from predictors.base import register_predictor
from predictors.model_based import _blr
from predictors.model_based._hpo import log_uniform
from predictors.model_based._target import TargetTransformMixin
from predictors.model_based._threads import single_threaded
from predictors.model_based.base import ModelBasedPredictor


def _with_bias(Phi: np.ndarray) -> np.ndarray:
    """pybnn's `linear_basis_func`: the features plus a constant 1."""
    return np.concatenate([Phi, np.ones((len(Phi), 1))], axis=1)


@register_predictor
class BayesLinRegPredictor(TargetTransformMixin, ModelBasedPredictor):
    """Bayesian linear regression on the encoding (plus bias); predictive std included."""
    positive_floats = ('alpha',)

    name = "bayes_lin_reg"
    supports_std = True
    # NASLib passes the raw labels to pybnn's BayesianLinearRegression (no normalisation)
    configs = {"paper": {"target_transform": None, "standardize_targets": False}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 alpha: float = 1.0, beta: float = 100.0,  # NASLib/pybnn starting precisions
                 optimize: bool = True,  # evidence maximisation (NASLib do_optimize=True)
                 standardize_targets: bool = True):  # False: raw labels, as NASLib
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.alpha = alpha
        self.beta = beta
        self.optimize = optimize
        self.standardize_targets = standardize_targets

    # alpha/beta are fit by evidence; the search only varies where that fit starts from
    hyperparameter_space = {
        "alpha": log_uniform(1e-3, 1e2),
        "beta": log_uniform(1e-1, 1e3),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        return _blr.fit_blr(_with_bias(X), z, float(params["alpha"]), float(params["beta"]),
                            optimize=bool(params["optimize"]))

    @single_threaded
    def _predict(self, state, X):
        return state.predict(_with_bias(X))


@register_predictor
class DNGOPredictor(TargetTransformMixin, ModelBasedPredictor):
    """DNGO: MLP (3 x 50 tanh) fit by Adam on squared error, then evidence-maximised Bayesian
    linear regression on its last hidden layer (Snoek et al. 2015, Sec. 3)."""
    int_minimums = {"num_epochs": 1}

    name = "dngo"
    supports_std = True
    # the paper's code samples alpha, beta by MCMC (pybnn do_mcmc=True); not expressible here
    configs = {"paper": {"target_transform": None}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 # NASLib dngo.py -> pybnn DNGO(...) arguments
                 hidden: tuple[int, ...] = (50, 50, 50), num_epochs: int = 500,
                 batch_size: int = 10, learning_rate: float = 0.01,
                 alpha: float = 1.0, beta: float = 1000.0):
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.hidden = hidden
        self.num_epochs = num_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.beta = beta

    hyperparameter_space = {
        "num_epochs": lambda rng: int(rng.choice([100, 200, 500, 1000])),
        "batch_size": lambda rng: int(rng.choice([10, 32, 64])),
        "learning_rate": log_uniform(1e-3, 3e-2),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        import torch

        from predictors.model_based import _mlp  # torch, imported on first use

        X_t = torch.as_tensor(np.asarray(X, dtype=np.float64))
        y_t = torch.as_tensor(np.asarray(z, dtype=np.float64))[:, None]
        net = _mlp.FlatMLP(X_t.shape[1], tuple(params["hidden"]), 1)
        theta = net.init(_mlp.torch_generator(rng))
        lr, beta1, beta2, eps = float(params["learning_rate"]), 0.9, 0.999, 1e-8  # Adam defaults
        m, v = torch.zeros_like(theta), torch.zeros_like(theta)
        batches = _mlp.minibatches(len(z), int(params["batch_size"]), rng)
        steps_per_epoch = -(-len(z) // max(1, min(int(params["batch_size"]), len(z))))
        for t in range(1, int(params["num_epochs"]) * steps_per_epoch + 1):
            idx = next(batches)
            out, acts = net.forward_with_cache(theta, X_t[idx])
            grad = net.backward(theta, acts, 2.0 * (out - y_t[idx]) / len(idx))  # grad of MSE
            m.mul_(beta1).add_(grad, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
            theta.addcdiv_(m, v.sqrt().add_(eps), value=-step)
        with torch.no_grad():
            basis = _with_bias(net.hidden(theta, X_t).numpy())
        blr = _blr.fit_blr(basis, z, float(params["alpha"]), float(params["beta"]))
        return net, theta, blr

    @single_threaded
    def _predict(self, state, X):
        import torch

        net, theta, blr = state
        with torch.no_grad():
            basis = net.hidden(theta, torch.as_tensor(np.asarray(X, dtype=np.float64))).numpy()
        return blr.predict(_with_bias(basis))
