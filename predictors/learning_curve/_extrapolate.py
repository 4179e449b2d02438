"""Learning-curve extrapolation on raw arrays (fractions in [0, 1], epochs x = 1..n): the two
ways of combining the parametric models of `_curve_models` that `lce` and `lce_m` use.

Both share Domhan, Springenberg & Hutter's (2015) prior on a curve f: finite, inside [0, 1] at
every observed epoch and at the target epoch, and increasing overall, f(target) >= f(1).

- `model_average` (lce): each model k is fitted by least squares; one noise std σ for the curve
  is estimated from the fits (`common_noise`: the smallest unbiased residual std, at least
  `noise_floor`); each model's parameters are sampled by random-walk Metropolis under the
  Gaussian likelihood N(y_t; f_k(t | θ_k), σ²); the models' posterior-mean predictions are
  averaged with Bayesian-model-averaging weights from BIC with known σ,
  w_k ∝ exp(−SSE_k / (2σ²) − p_k/2 · log n), so a better fit counts more and, when few epochs
  are observed, the simpler models are preferred. (Per-model σ_k instead lets every model that
  interpolates the few points claim near-zero noise; measured worse on the default benchmark.)
- `model_combination` (lce_m): Domhan et al.'s combined model f_comb(x) = Σ_k w̃_k f_k(x | θ_k)
  + ε, ε ~ N(0, σ²), with w̃ = w / Σw, w_k ≥ 0 (Exponential(1) priors on w, i.e. a flat
  Dirichlet on w̃), flat priors on θ_k inside each model's box and on log σ in [log 1e-3, 0];
  (w, θ_1..θ_K, log σ) sampled jointly by the affine-invariant ensemble sampler, started in a
  small ball around the least-squares fits. The prediction is the posterior mean of f_comb at
  the target epoch.

Each returns an `Extrapolation` saying which route produced the value, so callers can report
fallbacks: "mcmc", "least_squares" (sampling gave no finite value) or "last_value" (too few
points, or no model fit satisfies the prior).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from predictors.learning_curve._curve_models import MODELS, fit_least_squares
from predictors.learning_curve._mcmc import metropolis_sample, stretch_sample

LOG_SIGMA_RANGE = (np.log(1e-3), 0.0)


@dataclass(frozen=True)
class Extrapolation:
    value: float   # the predicted value at the target epoch (fraction)
    route: str     # "mcmc" | "least_squares" | "last_value"


def curve_prior_ok(values: np.ndarray) -> np.ndarray:
    """Domhan's prior on curves evaluated at (epoch 1, ..., epoch n, target): finite, in
    [0, 1] everywhere, and f(target) >= f(epoch 1). Shape (..., n+1) -> (...)."""
    finite = np.all(np.isfinite(values), axis=-1)
    with np.errstate(invalid="ignore"):
        inside = np.all((values >= 0.0) & (values <= 1.0), axis=-1)
        rising = values[..., -1] >= values[..., 0]
    return finite & inside & rising


def _check_inputs(x: np.ndarray, y: np.ndarray, target: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ValueError(f"epochs and values must be 1-d arrays of one length, "
                         f"got {x.shape}, {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"the curve has non-finite values: {y.tolist()}")
    if x[0] != 1.0 or target < x[-1]:
        raise ValueError(f"epochs must start at 1 and the target ({target}) be >= the last "
                         f"observed epoch ({x[-1]})")
    return x, y


def model_average(x: np.ndarray, y: np.ndarray, target: float, models: Sequence[str],
                  chains: int, steps: int, burn: int, noise_floor: float,
                  rng: np.random.Generator, min_points: int = 3) -> Extrapolation:
    """The `lce` extrapolation of the curve y(x) to epoch `target` (see the module docstring)."""
    x, y = _check_inputs(x, y, target)
    n = y.size
    if n < min_points:
        return Extrapolation(float(y[-1]), "last_value")
    x_eval = np.append(x, float(target))
    fits = []  # (model, θ, SSE, value at target) of fits that satisfy the prior
    for name in models:
        model = MODELS[name]
        theta = fit_least_squares(model, x, y, seed=int(rng.integers(2**31)))
        if theta is None:
            continue
        at_fit = model(theta, x_eval)
        if curve_prior_ok(at_fit):  # a fit that breaks the prior has no say for this curve
            fits.append((model, theta, float(np.sum((at_fit[:n] - y) ** 2)), float(at_fit[-1])))
    if not fits:
        return Extrapolation(float(y[-1]), "last_value")
    sigma = common_noise(fits, n, noise_floor)
    means, log_weights = [], []
    for model, theta, sse, fitted in fits:
        def log_prob(points: np.ndarray, model=model):
            with np.errstate(all="ignore"):
                values = model.function(points, x_eval)
                log_p = -np.sum((values[:, :n] - y) ** 2, axis=1) / (2.0 * sigma ** 2)
            ok = model.in_box(points) & curve_prior_ok(values)
            return np.where(ok, log_p, -np.inf), np.where(ok, values[:, -1], np.nan)

        scale = 0.05 * np.maximum(np.abs(theta), 1e-3 * (model.hi - model.lo))
        start = np.repeat(theta[None, :], chains, axis=0)
        blobs, _, _ = metropolis_sample(log_prob, start, scale, steps, burn, rng)
        finite = blobs.size and np.all(np.isfinite(blobs))
        means.append(float(np.mean(blobs)) if finite else fitted)
        log_weights.append(-sse / (2 * sigma ** 2) - 0.5 * model.n_params * np.log(n))
    weights = np.exp(np.array(log_weights) - np.max(log_weights))
    weights /= weights.sum()
    value = float(np.dot(weights, means))
    if not np.isfinite(value):
        return Extrapolation(float(np.dot(weights, [f[3] for f in fits])), "least_squares")
    return Extrapolation(value, "mcmc")


def common_noise(fits: Sequence[tuple], n: int, floor: float) -> float:
    """The noise std all models are judged by: the smallest unbiased residual std
    sqrt(SSE / (n − p)) among fits with spare degrees of freedom (n > p) — the best fit bounds
    the noise from above — but at least `floor`; `floor` when no model has n > p."""
    estimates = [np.sqrt(sse / (n - model.n_params)) for model, _, sse, _ in fits
                 if n > model.n_params]
    return float(max(min(estimates), floor)) if estimates else float(floor)


def combination_size(models: Sequence[str]) -> int:
    """Dimension of the joint (w, θ_1..θ_K, log σ) vector of `model_combination`."""
    return len(models) + sum(MODELS[m].n_params for m in models) + 1


def model_combination(x: np.ndarray, y: np.ndarray, target: float, models: Sequence[str],
                      walkers: int, steps: int, burn: int, rng: np.random.Generator,
                      min_points: int = 3) -> Extrapolation:
    """The `lce_m` extrapolation of the curve y(x) to epoch `target` (see the module
    docstring). Models whose least-squares fit is not finite on the epochs are left out of
    the combination for this curve; models whose fit breaks the prior start with a small weight."""
    x, y = _check_inputs(x, y, target)
    n = y.size
    if n < min_points:
        return Extrapolation(float(y[-1]), "last_value")
    x_eval = np.append(x, float(target))
    members, thetas, good = [], [], []
    for name in models:
        model = MODELS[name]
        theta = fit_least_squares(model, x, y, seed=int(rng.integers(2**31)))
        if theta is None:
            continue
        members.append(model)
        thetas.append(theta)
        good.append(bool(curve_prior_ok(model(theta, x_eval))))
    if not any(good):
        return Extrapolation(float(y[-1]), "last_value")
    k = len(members)
    slices, offset = [], k
    for model in members:
        slices.append(slice(offset, offset + model.n_params))
        offset += model.n_params
    dim = offset + 1
    center = np.empty(dim)
    center[:k] = np.where(good, 1.0, 1e-3)
    for model, theta, part in zip(members, thetas, slices):
        center[part] = theta
    fits = np.stack([m(t, x_eval) for m, t in zip(members, thetas)])
    combined = (center[:k] / center[:k].sum()) @ fits
    residual_std = float(np.sqrt(np.mean((combined[:n] - y) ** 2)))
    center[-1] = np.clip(np.log(max(residual_std, 1e-2)), *LOG_SIGMA_RANGE)

    # the prior's box for the whole vector: w >= 0, θ_k in its model's box, log σ in range
    box_lo = np.concatenate([np.zeros(k), *[m.lo for m in members], [LOG_SIGMA_RANGE[0]]])
    box_hi = np.concatenate([np.full(k, np.inf), *[m.hi for m in members], [LOG_SIGMA_RANGE[1]]])

    def log_prob(points: np.ndarray):
        raw = points[:, :k]
        total = raw.sum(axis=1)
        ok = np.all((points >= box_lo) & (points <= box_hi), axis=1) & (total > 0)
        share = raw / np.where(total > 0, total, 1.0)[:, None]
        with np.errstate(all="ignore"):
            # a model that is not finite makes the sum non-finite (even at weight 0: 0·inf is
            # NaN), so the prior below rejects it: every member must give a valid curve
            comb = share[:, :1] * members[0].function(points[:, slices[0]], x_eval)
            for i in range(1, k):
                comb += share[:, i:i + 1] * members[i].function(points[:, slices[i]], x_eval)
            log_sigma = points[:, -1]
            log_p = (-n * log_sigma
                     - np.sum((comb[:, :n] - y) ** 2, axis=1) / (2.0 * np.exp(2.0 * log_sigma))
                     - total)  # Exponential(1) priors on the raw weights
        ok &= curve_prior_ok(comb)
        return np.where(ok, log_p, -np.inf), np.where(ok, comb[:, -1], np.nan)

    start = _initial_ball(log_prob, center, k, walkers, rng)
    if start is None:
        return Extrapolation(float(combined[-1]), "least_squares")
    blobs, _, _ = stretch_sample(log_prob, start, steps, burn, rng)
    value = float(np.mean(blobs)) if blobs.size else float("nan")
    if not np.isfinite(value):
        return Extrapolation(float(combined[-1]), "least_squares")
    return Extrapolation(value, "mcmc")


def _initial_ball(log_prob, center: np.ndarray, k: int, walkers: int,
                  rng: np.random.Generator) -> np.ndarray | None:
    """`walkers` points near `center`, all with finite log density: relative jitter (weights
    ±10 %, parameters ±0.1 %, log σ ±0.1), shrunk for points that break the prior; a point that
    never passes is replaced by a passing one. None when the center itself fails."""
    if not np.isfinite(log_prob(center[None, :])[0][0]):
        return None
    relative = np.full(center.size, 1e-3)
    relative[:k] = 0.1
    absolute = np.abs(center) * relative + 1e-6
    absolute[-1] = 0.1
    points = np.repeat(center[None, :], walkers, axis=0)
    pending = np.arange(walkers)
    shrink = 1.0
    for _ in range(8):
        trial = center + shrink * absolute * rng.standard_normal((pending.size, center.size))
        trial[:, :k] = np.abs(trial[:, :k])
        passed = np.isfinite(log_prob(trial)[0])
        points[pending[passed]] = trial[passed]
        pending = pending[~passed]
        if pending.size == 0:
            break
        shrink *= 0.3
    if pending.size:  # duplicates of a passing walker: the stretch move separates them
        donors = np.setdiff1d(np.arange(walkers), pending)
        points[pending] = points[rng.choice(donors, size=pending.size)] if donors.size else center
    return points
