"""Two small MCMC samplers in numpy, vectorised over chains/walkers (written here; no emcee).

Both take `log_prob(points) -> (log_density, blob)` on an array of points (n, D) and return the
samples after burn-in. `blob` is any per-point float the caller wants averaged over the
posterior (e.g. the extrapolated final accuracy), so it is computed once per proposal.

- `stretch_sample`: the affine-invariant ensemble sampler of Goodman & Weare 2010 ("Ensemble
  samplers with affine invariance", CAMCoS) with the stretch move, in the parallel form of
  Foreman-Mackey et al. 2013 (emcee): the walkers are split in two halves, each walker of one
  half proposes Y = X_j + z (X_k − X_j) with X_j a random walker of the other half and
  z ~ g(z) ∝ 1/√z on [1/a, a], accepted with probability min(1, z^(D−1) p(Y) / p(X_k)).
- `metropolis_sample`: random-walk Metropolis (Metropolis et al. 1953) with Gaussian proposals,
  one scale per chain tuned towards a 30 % acceptance rate during burn-in only (so the kept
  samples come from a fixed, valid kernel).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LogProb = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def stretch_sample(log_prob: LogProb, initial: np.ndarray, steps: int, burn: int,
                   rng: np.random.Generator, a: float = 2.0
                   ) -> tuple[np.ndarray, np.ndarray, float]:
    """(blobs of the kept samples, shape (steps − burn, W); their points (steps − burn, W, D);
    acceptance rate). `initial` (W, D) must have finite log density."""
    walkers = np.array(initial, dtype=float, copy=True)
    n_walkers, dim = walkers.shape
    if n_walkers < 4:
        raise ValueError(f"the stretch move needs at least 4 walkers, got {n_walkers}")
    log_p, blob = log_prob(walkers)
    halves = (np.arange(n_walkers // 2), np.arange(n_walkers // 2, n_walkers))
    kept_points, kept_blobs = [], []
    accepted = 0
    for step in range(steps):
        for active, passive in (halves, halves[::-1]):
            n = active.size
            z = ((a - 1.0) * rng.random(n) + 1.0) ** 2 / a
            partners = walkers[passive[rng.integers(passive.size, size=n)]]
            proposal = partners + z[:, None] * (walkers[active] - partners)
            new_log_p, new_blob = log_prob(proposal)
            log_ratio = (dim - 1) * np.log(z) + new_log_p - log_p[active]
            accept = np.log(rng.random(n)) < log_ratio  # -inf proposals are never taken
            chosen = active[accept]
            walkers[chosen] = proposal[accept]
            log_p[chosen] = new_log_p[accept]
            blob[chosen] = new_blob[accept]
            accepted += int(accept.sum())
        if step >= burn:
            kept_points.append(walkers.copy())
            kept_blobs.append(blob.copy())
    rate = accepted / max(1, steps * n_walkers)
    return np.array(kept_blobs), np.array(kept_points), rate


def metropolis_sample(log_prob: LogProb, initial: np.ndarray, scale: np.ndarray, steps: int,
                      burn: int, rng: np.random.Generator, target_rate: float = 0.3
                      ) -> tuple[np.ndarray, np.ndarray, float]:
    """(blobs (steps − burn, C), points (steps − burn, C, D), acceptance rate after burn-in)
    of C parallel random-walk Metropolis chains started at `initial` (C, D) with proposal
    standard deviations `scale` (D,) times a per-chain factor adapted during burn-in."""
    chains = np.array(initial, dtype=float, copy=True)
    n_chains, dim = chains.shape
    log_p, blob = log_prob(chains)
    factor = np.ones(n_chains)
    window = np.zeros(n_chains)
    kept_points, kept_blobs = [], []
    accepted = 0
    for step in range(steps):
        noise = rng.standard_normal((n_chains, dim))
        proposal = chains + (factor[:, None] * scale[None, :]) * noise
        new_log_p, new_blob = log_prob(proposal)
        accept = np.log(rng.random(n_chains)) < new_log_p - log_p
        chains[accept] = proposal[accept]
        log_p[accept] = new_log_p[accept]
        blob[accept] = new_blob[accept]
        if step < burn:
            window += accept
            if (step + 1) % 10 == 0:  # Robbins-Monro-like nudge of each chain's step size
                factor *= np.exp(2.0 * (window / 10.0 - target_rate))
                window[:] = 0.0
        else:
            accepted += int(accept.sum())
            kept_points.append(chains.copy())
            kept_blobs.append(blob.copy())
    rate = accepted / max(1, (steps - burn) * n_chains)
    return np.array(kept_blobs), np.array(kept_points), rate
