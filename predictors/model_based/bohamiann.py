"""BOHAMIANN (Springenberg, Klein, Falkner & Hutter, "Bayesian Optimization with Robust Bayesian
Neural Networks", NeurIPS 2016): a Bayesian neural network sampled with scale-adapted stochastic
gradient HMC.

Network: 3 x 50 tanh units and a mean output, plus one learned log noise variance (pybnn's
`get_default_network`). Potential U(theta) = -sum_i log N(y_i | f(x_i), sigma^2) - log p(theta),
estimated on minibatches (scaled by n / batch); p(theta) = N(0, 1 / weight_decay) per weight.
Sampler (paper eqs. 8-10): during burn-in the per-parameter gradient moments are adapted
(moving-average window tau, mean g, squared gradient v_hat) and fix the preconditioner
M^-1 = v_hat^-1/2; then
    v <- v - lr * M^-1 grad U - mdecay * v + N(0, 2 lr mdecay M^-1 - lr^2),   theta <- theta + v
(lr here is the squared step size, as pybnn's `lr`). After burn-in a sample is kept every
`keep_every` steps; predictions are the mean over samples, the std combines their spread and the
median sampled noise variance. Defaults are pybnn's `Bohamiann.train` (the authors' implementation):
13,000 steps of which 3,000 burn-in, keep every 100th (100 samples), batch 20, lr 1e-2,
mdecay 0.05. (NASLib runs only 100 steps of which 10 burn-in, keeping every 5th, too few to
leave burn-in meaningfully; `config="paper"` does that.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from predictors.base import register_predictor
from predictors.model_based._hpo import log_uniform
from predictors.model_based._target import TargetTransformMixin
from predictors.model_based._threads import single_threaded
from predictors.model_based.base import ModelBasedPredictor

if TYPE_CHECKING:
    import torch

    from predictors.model_based._mlp import FlatMLP


def sample_posterior(X: torch.Tensor, y: torch.Tensor, net: FlatMLP, params: dict,
                     rng: np.random.Generator) -> tuple[list[torch.Tensor], list[float]]:
    """Adaptive-SGHMC samples of (network weights, noise variance)."""
    import torch

    from predictors.model_based import _mlp

    n = len(y)
    gen = _mlp.torch_generator(rng)
    # the flat state: network weights, then the log noise variance (pybnn starts it at log 1e-3)
    theta = torch.cat([net.init(gen), torch.tensor([math.log(1e-3)], dtype=net.dtype)])
    lr, mdecay = float(params["lr"]), float(params["mdecay"])
    wdecay, eps = float(params["weight_decay"]), 1e-16
    burn_in, keep_every = int(params["num_burn_in_steps"]), int(params["keep_every"])
    tau, g, v_hat = (torch.ones_like(theta) for _ in range(3))
    momentum = torch.zeros_like(theta)
    batches = _mlp.minibatches(n, int(params["batch_size"]), rng)
    samples, noises = [], []
    minv = noise_std = None
    for step in range(1, int(params["num_steps"]) + 1):
        idx = next(batches)
        w, log_var = theta[:-1], theta[-1]
        out, acts = net.forward_with_cache(w, X[idx])
        resid = out.squeeze(1) - y[idx]
        precision = torch.exp(-log_var)
        # grad of U = n * mean_batch[0.5 (r^2 / s2 + log s2)] + 0.5 * wdecay * |w|^2
        scale = n / len(idx)
        grad_w = net.backward(w, acts, (scale * precision * resid)[:, None]) + wdecay * w
        grad_lv = scale * 0.5 * (len(idx) - precision * (resid * resid).sum())
        grad = torch.cat([grad_w, grad_lv.reshape(1)])
        if step <= burn_in or minv is None:
            if step <= burn_in:  # scale adaptation (Springenberg et al. 2016, eqs. 8-9)
                tau_inv = 1.0 / (tau + 1.0)
                tau.add_(1.0 - tau * (g * g) / (v_hat + eps))
                g.add_(tau_inv * (grad - g))
                v_hat.add_(tau_inv * (grad * grad - v_hat))
            minv = 1.0 / (torch.sqrt(v_hat) + eps)  # preconditioner, fixed after burn-in
            noise_std = (2.0 * lr * mdecay * minv - lr * lr).clamp_min(1e-16).sqrt()
        if (step - 1) % 256 == 0:  # numpy's normals are several times cheaper than torch's
            block = torch.from_numpy(rng.standard_normal((256, len(theta))))
        noise = block[(step - 1) % 256] * noise_std
        momentum.mul_(1.0 - mdecay).add_(noise - lr * minv * grad)
        theta.add_(momentum)
        if step > burn_in and (step - burn_in) % keep_every == 0:
            samples.append(theta[:-1].clone())
            noises.append(float(torch.exp(theta[-1])))
    if not samples:  # too few steps for one kept sample: keep the last state
        samples, noises = [theta[:-1].clone()], [float(torch.exp(theta[-1]))]
    return samples, noises


@register_predictor
class BohamiannPredictor(TargetTransformMixin, ModelBasedPredictor):
    """Bayesian neural network sampled by scale-adapted SGHMC; mean and std over samples."""
    int_minimums = {"num_steps": 1}

    name = "bohamiann"
    supports_std = True
    # NASLib bohamiann.py: train(num_steps=100, num_burn_in_steps=10, keep_every=5, lr=1e-2)
    configs = {"paper": {"target_transform": None, "num_steps": 100, "num_burn_in_steps": 10,
                         "keep_every": 5}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 # pybnn Bohamiann / Bohamiann.train defaults (Springenberg et al. 2016)
                 hidden: tuple[int, ...] = (50, 50, 50), num_steps: int = 13000,
                 num_burn_in_steps: int = 3000, keep_every: int = 100, batch_size: int = 20,
                 lr: float = 1e-2, mdecay: float = 0.05,
                 weight_decay: float = 1.0):  # N(0, 1) weight prior (pybnn `weight_prior`)
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.hidden = hidden
        self.num_steps = num_steps
        self.num_burn_in_steps = num_burn_in_steps
        self.keep_every = keep_every
        self.batch_size = batch_size
        self.lr = lr
        self.mdecay = mdecay
        self.weight_decay = weight_decay

    hyperparameter_space = {
        "lr": log_uniform(1e-3, 3e-2),
        "mdecay": lambda rng: float(rng.choice([0.01, 0.05, 0.1])),
        "weight_decay": log_uniform(1e-2, 10.0),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        import torch

        from predictors.model_based import _mlp  # torch, imported on first use

        X_t = torch.as_tensor(np.asarray(X, dtype=np.float64))
        y_t = torch.as_tensor(np.asarray(z, dtype=np.float64))
        net = _mlp.FlatMLP(X_t.shape[1], tuple(params["hidden"]), 1)
        samples, noises = sample_posterior(X_t, y_t, net, params, rng)
        return net, samples, noises

    @single_threaded
    def _predict(self, state, X):
        import torch

        net, samples, noises = state
        X_t = torch.as_tensor(np.asarray(X, dtype=np.float64))
        with torch.no_grad():
            outs = torch.stack([net.forward(w, X_t).squeeze(1) for w in samples]).numpy()
        mean = outs.mean(axis=0)
        # predictive variance: spread of the sampled functions + the noise variance. The noise
        # samples are heavy-tailed (at lr 1e-2 the sampler makes rare large excursions in the
        # log-variance), so their median, not their mean, stands for the noise level.
        var = outs.var(axis=0) + float(np.median(noises))
        return mean, np.sqrt(var)
