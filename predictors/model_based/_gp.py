"""Gaussian-process machinery in torch (float64) shared by `gp`, `sparse_gp` and `var_sparse_gp`:
stationary kernels with (optionally ARD) lengthscales, the exact GP marginal likelihood
(Rasmussen & Williams 2006, ch. 2 and 5), Titsias' (2009) collapsed SGPR bound and Hensman et
al.'s (2013) SVGP evidence lower bound, with their predictive equations.

Hyperparameters live on the log scale; positivity floors keep Cholesky factorisations stable.
Everything is computed in float64 on the CPU; nothing here draws random numbers (callers pass
initial inducing inputs), so results are deterministic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

KERNELS = ("rbf", "matern52", "matern32")
JITTER = 1e-6
MIN_NOISE = 1e-4  # noise variance floor, in standardised target units


def as_tensor(x: Any) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def median_lengthscale(X: torch.Tensor) -> float:
    """Median pairwise Euclidean distance (the usual lengthscale initialisation)."""
    sub = X[: min(len(X), 300)]
    d = torch.cdist(sub, sub)
    d = d[d > 0]
    return float(d.median()) if d.numel() else 1.0


class Kernel(torch.nn.Module):
    """k(x, x') = variance * g(r), r = ||(x - x') / lengthscale||, g of RBF or Matérn."""

    def __init__(self, kind: str, dim: int, ard: bool, lengthscale: float, variance: float = 1.0):
        super().__init__()
        if kind not in KERNELS:
            raise ValueError(f"unknown kernel {kind!r}; expected one of {', '.join(KERNELS)}")
        self.kind = kind
        size = dim if ard else 1
        self.log_lengthscale = torch.nn.Parameter(
            torch.full((size,), math.log(lengthscale), dtype=torch.float64))
        self.log_variance = torch.nn.Parameter(torch.tensor(math.log(variance),
                                                            dtype=torch.float64))

    @property
    def variance(self) -> torch.Tensor:
        return self.log_variance.exp()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        ls = self.log_lengthscale.exp()
        a, b = A / ls, B / ls
        d2 = ((a * a).sum(-1)[:, None] + (b * b).sum(-1)[None, :] - 2.0 * a @ b.T).clamp_min(0.0)
        if self.kind == "rbf":
            g = torch.exp(-0.5 * d2)
        else:
            r = torch.sqrt(d2 + 1e-12)
            if self.kind == "matern52":
                s = math.sqrt(5.0) * r
                g = (1.0 + s + s * s / 3.0) * torch.exp(-s)
            else:
                s = math.sqrt(3.0) * r
                g = (1.0 + s) * torch.exp(-s)
        return self.variance * g

    def diag(self, A: torch.Tensor) -> torch.Tensor:
        return self.variance.expand(len(A))


def _noise(log_noise: torch.Tensor) -> torch.Tensor:
    return MIN_NOISE + log_noise.exp()


def lbfgs(params: list[torch.Tensor], loss_fn, max_iter: int) -> None:
    """Minimise `loss_fn()` over `params` with scipy's L-BFGS-B, gradients by autograd. A point
    where the loss is not finite or the Cholesky factorisation fails counts as a very high loss
    (the line search backs off); the parameters end at the best point seen."""
    if max_iter <= 0 or not params:
        return
    from scipy import optimize

    sizes = [p.numel() for p in params]
    best = {"loss": np.inf, "x": torch.cat([p.detach().reshape(-1) for p in params]).numpy().copy()}

    def assign(x: np.ndarray) -> None:
        with torch.no_grad():
            for p, chunk in zip(params, np.split(x, np.cumsum(sizes)[:-1])):
                p.copy_(torch.as_tensor(chunk).reshape(p.shape))

    def value_and_grad(x: np.ndarray):
        assign(x)
        try:
            loss = loss_fn()
            grads = torch.autograd.grad(loss, params)
        except RuntimeError:  # torch.linalg errors are RuntimeErrors
            return 1e10, np.zeros_like(x)
        value = float(loss.detach())
        if not np.isfinite(value):
            return 1e10, np.zeros_like(x)
        if value < best["loss"]:
            best.update(loss=value, x=x.copy())
        return value, torch.cat([g.reshape(-1) for g in grads]).numpy().astype(np.float64)

    x0 = best["x"].copy()
    optimize.minimize(value_and_grad, x0, jac=True, method="L-BFGS-B",
                      options={"maxiter": int(max_iter)})
    assign(best["x"])


class Adam:
    """Adam (Kingma & Ba 2015) with the paper's defaults, for a list of tensors. Hand-written
    (as `lbfgs` uses scipy) because the first `torch.optim` optimiser of a process imports
    torch's compiler stack: seconds of start-up for a sub-second fit."""

    def __init__(self, params: list[torch.Tensor], lr: float, betas=(0.9, 0.999),
                 eps: float = 1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        size = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            p.addcdiv_(m, v.sqrt().add_(self.eps), value=-size)


# -- exact GP -------------------------------------------------------------------------------------
class ExactGP(torch.nn.Module):
    """Zero-mean GP regression with Gaussian noise; hyperparameters by maximum marginal
    likelihood (Rasmussen & Williams 2006, eq. 2.30)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, kernel: Kernel, noise: float = 0.1):
        super().__init__()
        self.X, self.y, self.kernel = X, y, kernel
        self.log_noise = torch.nn.Parameter(torch.tensor(math.log(noise), dtype=torch.float64))

    def nlml(self) -> torch.Tensor:
        n = len(self.y)
        K = self.kernel(self.X, self.X) + \
            (_noise(self.log_noise) + JITTER) * torch.eye(n, dtype=torch.float64)
        L = torch.linalg.cholesky(K)
        alpha = torch.cholesky_solve(self.y[:, None], L)
        return (0.5 * (self.y[:, None] * alpha).sum() + torch.log(torch.diagonal(L)).sum()
                + 0.5 * n * math.log(2 * math.pi)) / n

    def fit(self, max_iter: int) -> ExactGP:
        lbfgs(list(self.parameters()), self.nlml, max_iter)
        with torch.no_grad():
            n = len(self.y)
            K = self.kernel(self.X, self.X) + \
                (_noise(self.log_noise) + JITTER) * torch.eye(n, dtype=torch.float64)
            self.L_ = torch.linalg.cholesky(K)
            self.alpha_ = torch.cholesky_solve(self.y[:, None], self.L_)
        return self

    @torch.no_grad()
    def predict(self, Xs: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std of a noisy observation y* (latent variance + noise)."""
        Ks = self.kernel(self.X, Xs)
        mean = (Ks * self.alpha_).sum(0)
        v = torch.linalg.solve_triangular(self.L_, Ks, upper=False)
        var = self.kernel.diag(Xs) - (v * v).sum(0) + _noise(self.log_noise)
        return mean.numpy(), var.clamp_min(MIN_NOISE).sqrt().numpy()


# -- SGPR (Titsias 2009) --------------------------------------------------------------------------
class SGPR(torch.nn.Module):
    """Sparse GP regression with M inducing inputs Z and the collapsed variational bound
    F = log N(y | 0, Q + s2 I) - tr(K - Q) / (2 s2), Q = K_nm K_mm^-1 K_mn (Titsias 2009, eq. 9).
    Z, kernel hyperparameters and noise maximise F jointly."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, kernel: Kernel, Z: torch.Tensor,
                 noise: float = 0.1, train_inducing: bool = True):
        super().__init__()
        self.X, self.y, self.kernel = X, y, kernel
        self.Z = torch.nn.Parameter(Z.clone(), requires_grad=train_inducing)
        self.log_noise = torch.nn.Parameter(torch.tensor(math.log(noise), dtype=torch.float64))

    def _common(self):
        m = len(self.Z)
        s2 = _noise(self.log_noise)
        Kmm = self.kernel(self.Z, self.Z) + JITTER * torch.eye(m, dtype=torch.float64)
        L = torch.linalg.cholesky(Kmm)
        A = torch.linalg.solve_triangular(L, self.kernel(self.Z, self.X), upper=False) / s2.sqrt()
        B = torch.eye(m, dtype=torch.float64) + A @ A.T
        LB = torch.linalg.cholesky(B)
        c = torch.linalg.solve_triangular(LB, A @ self.y[:, None], upper=False) / s2.sqrt()
        return s2, L, A, LB, c

    def neg_bound(self) -> torch.Tensor:
        n = len(self.y)
        s2, _, A, LB, c = self._common()
        bound = (-0.5 * n * math.log(2 * math.pi) - torch.log(torch.diagonal(LB)).sum()
                 - 0.5 * n * torch.log(s2) - 0.5 * (self.y * self.y).sum() / s2
                 + 0.5 * (c * c).sum()
                 - 0.5 * self.kernel.diag(self.X).sum() / s2 + 0.5 * (A * A).sum())
        return -bound / n

    def fit(self, max_iter: int) -> SGPR:
        lbfgs([p for p in self.parameters() if p.requires_grad], self.neg_bound, max_iter)
        with torch.no_grad():
            self.cache_ = self._common()
        return self

    @torch.no_grad()
    def predict(self, Xs: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        s2, L, _, LB, c = self.cache_
        tmp1 = torch.linalg.solve_triangular(L, self.kernel(self.Z, Xs), upper=False)
        tmp2 = torch.linalg.solve_triangular(LB, tmp1, upper=False)
        mean = (tmp2 * c).sum(0)
        var = self.kernel.diag(Xs) - (tmp1 * tmp1).sum(0) + (tmp2 * tmp2).sum(0) + s2
        return mean.numpy(), var.clamp_min(MIN_NOISE).sqrt().numpy()


# -- SVGP (Hensman et al. 2013) -------------------------------------------------------------------
class SVGP(torch.nn.Module):
    """Stochastic variational GP: whitened inducing values u = L v with q(v) = N(m, S S^T);
    ELBO = sum_i E_q[log N(y_i | f_i, s2)] - KL(q(v) || N(0, I)) (Hensman et al. 2013, eq. 4),
    maximised with Adam on minibatches (the data term scaled by n / batch)."""

    def __init__(self, kernel: Kernel, Z: torch.Tensor, noise: float = 0.1):
        super().__init__()
        m = len(Z)
        self.kernel = kernel
        self.Z = torch.nn.Parameter(Z.clone())
        self.q_mu = torch.nn.Parameter(torch.zeros(m, dtype=torch.float64))
        # prior-like start, scaled down (as GPflow's whitened default) so early means can move
        self.q_sqrt_raw = torch.nn.Parameter(1e-1 * torch.eye(m, dtype=torch.float64))
        self.log_noise = torch.nn.Parameter(torch.tensor(math.log(noise), dtype=torch.float64))

    def _q_sqrt(self) -> torch.Tensor:
        return torch.tril(self.q_sqrt_raw)

    def _marginals(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = len(self.Z)
        Kmm = self.kernel(self.Z, self.Z) + JITTER * torch.eye(m, dtype=torch.float64)
        L = torch.linalg.cholesky(Kmm)
        a = torch.linalg.solve_triangular(L, self.kernel(self.Z, X), upper=False)  # [m, b]
        mean = a.T @ self.q_mu
        Sa = self._q_sqrt().T @ a
        var = self.kernel.diag(X) - (a * a).sum(0) + (Sa * Sa).sum(0)
        return mean, var.clamp_min(1e-10)

    def neg_elbo(self, X: torch.Tensor, y: torch.Tensor, n: int) -> torch.Tensor:
        s2 = _noise(self.log_noise)
        mean, var = self._marginals(X)
        expected = -0.5 * math.log(2 * math.pi) - 0.5 * torch.log(s2) \
            - 0.5 * ((y - mean) ** 2 + var) / s2
        q_sqrt = self._q_sqrt()
        diag = torch.diagonal(q_sqrt)
        kl = 0.5 * ((q_sqrt * q_sqrt).sum() + (self.q_mu * self.q_mu).sum() - len(self.Z)
                    - torch.log(diag * diag + 1e-300).sum())
        return -(expected.sum() * n / len(y) - kl) / n

    def fit(self, X: torch.Tensor, y: torch.Tensor, steps: int, lr: float, batch_size: int,
            rng: np.random.Generator) -> SVGP:
        n = len(y)
        optimizer = Adam(list(self.parameters()), lr=lr)
        order, cursor = rng.permutation(n), 0
        for _ in range(steps):
            if batch_size >= n:
                xb, yb = X, y
            else:
                if cursor + batch_size > n:
                    order, cursor = rng.permutation(n), 0
                idx = torch.as_tensor(order[cursor:cursor + batch_size])
                cursor += batch_size
                xb, yb = X[idx], y[idx]
            optimizer.zero_grad()
            loss = self.neg_elbo(xb, yb, n)
            loss.backward()
            optimizer.step()
        return self

    @torch.no_grad()
    def predict(self, Xs: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        mean, var = self._marginals(Xs)
        var = var + _noise(self.log_noise)
        return mean.numpy(), var.clamp_min(MIN_NOISE).sqrt().numpy()
