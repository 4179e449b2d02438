"""Bayesian linear regression with evidence-maximised precisions (MacKay 1992; Bishop 2006,
Sec. 3.5.2), shared by `bayes_lin_reg` and `dngo`.

Model: t = Phi w + noise, w ~ N(0, alpha^-1 I), noise ~ N(0, beta^-1). alpha and beta maximise
the marginal likelihood by MacKay's fixed-point updates
    gamma = sum_i l_i / (alpha + l_i),  alpha = gamma / m^T m,  1/beta = |t - Phi m|^2 / (n - gamma)
with l_i the eigenvalues of beta Phi^T Phi and m the posterior mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BLRPosterior:
    mean: np.ndarray  # posterior mean of the weights [d]
    cov: np.ndarray  # posterior covariance A^-1 [d, d]
    alpha: float
    beta: float
    log_evidence: float

    def predict(self, Phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and std of a new target: var = 1/beta + phi^T A^-1 phi."""
        mean = Phi @ self.mean
        var = 1.0 / self.beta + np.einsum("ij,jk,ik->i", Phi, self.cov, Phi)
        return mean, np.sqrt(np.maximum(var, 1.0 / self.beta))


def fit_blr(Phi: np.ndarray, t: np.ndarray, alpha: float = 1.0, beta: float = 100.0,
            optimize: bool = True, max_iter: int = 200, tol: float = 1e-6,
            beta_max: float = 1e8) -> BLRPosterior:
    """Posterior of Bayesian linear regression on features `Phi` [n, d] and targets `t` [n];
    with `optimize`, alpha and beta are the evidence maximisers started from the given values."""
    Phi = np.asarray(Phi, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    n, d = Phi.shape
    gram = Phi.T @ Phi
    eig = np.clip(np.linalg.eigvalsh(gram), 0.0, None)
    proj = Phi.T @ t
    for _ in range(max_iter if optimize else 0):
        A = alpha * np.eye(d) + beta * gram
        m = beta * np.linalg.solve(A, proj)
        lam = beta * eig
        gamma = float((lam / (alpha + lam)).sum())
        new_alpha = gamma / max(float(m @ m), 1e-12)
        resid = float(((t - Phi @ m) ** 2).sum())
        new_beta = min(max(n - gamma, 1e-6) / max(resid, 1e-12), beta_max)
        new_alpha = float(np.clip(new_alpha, 1e-8, 1e8))
        done = abs(np.log(new_alpha / alpha)) < tol and abs(np.log(new_beta / beta)) < tol
        alpha, beta = new_alpha, new_beta
        if done:
            break
    A = alpha * np.eye(d) + beta * gram
    L = np.linalg.cholesky(A)
    cov = np.linalg.inv(L).T @ np.linalg.inv(L)
    m = beta * cov @ proj
    # Bishop eq. 3.86
    e_m = 0.5 * beta * float(((t - Phi @ m) ** 2).sum()) + 0.5 * alpha * float(m @ m)
    log_evidence = (0.5 * d * np.log(alpha) + 0.5 * n * np.log(beta) - e_m
                    - float(np.log(np.diagonal(L)).sum()) - 0.5 * n * np.log(2 * np.pi))
    return BLRPosterior(m, cov, alpha, beta, float(log_evidence))
