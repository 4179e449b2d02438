"""The parametric learning-curve models of Domhan, Springenberg & Hutter 2015 ("Speeding up
Automatic Hyperparameter Optimization of Deep Neural Networks by Extrapolation of Learning
Curves", IJCAI, Table 1), with least-squares fitting.

Curves are in fractions (accuracy / 100) against the epoch x = 1, 2, ...; each model maps a
parameter array θ of shape (..., P) and epochs x of shape (T,) to values of shape (..., T), so
one call evaluates a whole ensemble of MCMC walkers. Each model carries a box (lower, upper) for
its parameters — the support of the MCMC prior and the bounds of the least-squares fit — and
an initial guess computed from the observed points (the closed forms below solve the model
through the first and last observed point with its shape parameters fixed).

    vapor_pressure  exp(a + b/x + c·log x)
    pow3            c − a·x^(−α)
    log_log_linear  log(a·log x + b)
    hill3           y_max·x^η / (κ^η + x^η)
    log_power       a / (1 + (x / e^b)^c)
    pow4            c − (a·x + b)^(−α)
    mmf             α − (α − β) / (1 + (κ·x)^δ)           (Morgan-Mercer-Flodin)
    exp4            c − exp(−a·x^α + b)
    janoschek       α − (α − β)·exp(−κ·x^δ)
    weibull         α − (α − β)·exp(−(κ·x)^δ)
    ilog2           c − a / log(x + 1)                    (log(x+1): Table 1's log x is 0 at x=1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _p(theta: np.ndarray, i: int) -> np.ndarray:
    """Parameter i of θ (..., P) shaped (..., 1) so that it broadcasts against epochs (T,)."""
    return theta[..., i:i + 1]


def _vapor_pressure(th, x):
    return np.exp(_p(th, 0) + _p(th, 1) / x + _p(th, 2) * np.log(x))


def _pow3(th, x):
    return _p(th, 0) - _p(th, 1) * x ** (-_p(th, 2))


def _log_log_linear(th, x):
    return np.log(_p(th, 0) * np.log(x) + _p(th, 1))


def _hill3(th, x):
    eta = _p(th, 1)
    return _p(th, 0) * x ** eta / (_p(th, 2) ** eta + x ** eta)


def _log_power(th, x):
    return _p(th, 0) / (1.0 + (x / np.exp(_p(th, 1))) ** _p(th, 2))


def _pow4(th, x):
    return _p(th, 0) - (_p(th, 1) * x + _p(th, 2)) ** (-_p(th, 3))


def _mmf(th, x):
    alpha, beta = _p(th, 0), _p(th, 1)
    return alpha - (alpha - beta) / (1.0 + (_p(th, 2) * x) ** _p(th, 3))


def _exp4(th, x):
    return _p(th, 0) - np.exp(-_p(th, 1) * x ** _p(th, 2) + _p(th, 3))


def _janoschek(th, x):
    alpha, beta = _p(th, 0), _p(th, 1)
    return alpha - (alpha - beta) * np.exp(-_p(th, 2) * x ** _p(th, 3))


def _weibull(th, x):
    alpha, beta = _p(th, 0), _p(th, 1)
    return alpha - (alpha - beta) * np.exp(-(_p(th, 2) * x) ** _p(th, 3))


def _ilog2(th, x):
    return _p(th, 0) - _p(th, 1) / np.log(x + 1.0)


# -- initial guesses: (x, y) observed, ceiling = a guess of the asymptote ------------------------
def _ceiling(y: np.ndarray) -> float:
    rise = max(float(y[-1] - y[0]), 0.0)
    return float(min(0.995, max(y[-1] + 0.5 * rise, y[-1] + 0.05)))


def _linear_init(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(design, target, rcond=None)[0]


def _init_vapor_pressure(x, y):
    # log y = a + b/x + c·log x is linear in (a, b, c)
    logy = np.log(np.clip(y, 1e-3, None))
    return _linear_init(np.stack([np.ones_like(x), 1.0 / x, np.log(x)], axis=1), logy)


def _init_pow3(x, y):
    c = _ceiling(y)
    return np.array([c, c - y[0], 0.5])


def _init_log_log_linear(x, y):
    b = float(np.exp(y[0]))
    return np.array([(np.exp(y[-1]) - b) / np.log(x[-1]), b])


def _init_hill3(x, y):
    top = _ceiling(y)
    return np.array([top, 1.0, x[-1] * (top / max(y[-1], 1e-3) - 1.0)])


def _init_log_power(x, y):
    a = _ceiling(y)
    return np.array([a, np.log(max(a / max(y[0], 1e-3) - 1.0, 1e-3)), -1.0])


def _init_pow4(x, y):
    c = _ceiling(y)
    s = 1.0 / max(c - y[0], 1e-3)  # (a + b)^(-1) = c - y_1 with α = 1
    return np.array([c, s / 2, s / 2, 1.0])


def _init_mmf(x, y):
    alpha = _ceiling(y)
    kappa = (alpha / max(alpha - y[-1], 1e-3) - 1.0) / x[-1]
    return np.array([alpha, 0.0, kappa, 1.0])


def _init_exp4(x, y):
    c = _ceiling(y)
    g1, g2 = np.log(max(c - y[0], 1e-3)), np.log(max(c - y[-1], 1e-3))
    a = (g1 - g2) / max(x[-1] - x[0], 1.0)
    return np.array([c, a, 1.0, g1 + a * x[0]])


def _init_janoschek(x, y):
    alpha = _ceiling(y)
    return np.array([alpha, 0.0, -np.log(max(alpha - y[-1], 1e-3) / alpha) / x[-1], 1.0])


def _init_ilog2(x, y):
    # y = c − a / log(x+1) is linear in (c, a)
    return _linear_init(np.stack([np.ones_like(x), -1.0 / np.log(x + 1.0)], axis=1), y)


@dataclass(frozen=True, eq=False)
class CurveModel:
    name: str
    function: Callable[[np.ndarray, np.ndarray], np.ndarray]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    initial: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def __post_init__(self) -> None:
        # the box as arrays once: the samplers check it thousands of times per curve
        object.__setattr__(self, "lo", np.array(self.lower, dtype=float))
        object.__setattr__(self, "hi", np.array(self.upper, dtype=float))

    @property
    def n_params(self) -> int:
        return len(self.lower)

    def __call__(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # invalid regions become NaN/inf: the prior rejects them
            return self.function(np.asarray(theta, dtype=float), np.asarray(x, dtype=float))

    def in_box(self, theta: np.ndarray) -> np.ndarray:
        """Whether each θ (..., P) lies inside the parameter box."""
        return np.all((theta >= self.lo) & (theta <= self.hi), axis=-1)


MODELS: dict[str, CurveModel] = {m.name: m for m in (
    CurveModel("vapor_pressure", _vapor_pressure, (-10.0, -20.0, -3.0), (3.0, 20.0, 3.0),
               _init_vapor_pressure),
    CurveModel("pow3", _pow3, (0.0, -2.0, 0.01), (1.5, 5.0, 5.0), _init_pow3),
    CurveModel("log_log_linear", _log_log_linear, (-5.0, 1e-3), (20.0, 5.0),
               _init_log_log_linear),
    CurveModel("hill3", _hill3, (0.0, 0.01, 1e-3), (1.5, 10.0, 200.0), _init_hill3),
    CurveModel("log_power", _log_power, (0.0, -5.0, -10.0), (1.5, 10.0, 0.0), _init_log_power),
    CurveModel("pow4", _pow4, (0.0, 1e-4, 1e-4, 0.01), (1.5, 100.0, 100.0, 5.0), _init_pow4),
    CurveModel("mmf", _mmf, (0.0, -1.0, 1e-3, 0.01), (1.5, 1.0, 10.0, 10.0), _init_mmf),
    CurveModel("exp4", _exp4, (0.0, 0.0, 0.01, -10.0), (1.5, 10.0, 3.0, 10.0), _init_exp4),
    CurveModel("janoschek", _janoschek, (0.0, -1.0, 1e-4, 0.01), (1.5, 1.0, 10.0, 5.0),
               _init_janoschek),
    CurveModel("weibull", _weibull, (0.0, -1.0, 1e-4, 0.01), (1.5, 1.0, 10.0, 5.0),
               _init_janoschek),  # same closed form: with δ = 1 both are α − (α−β)e^(−κx)
    CurveModel("ilog2", _ilog2, (0.0, -5.0), (1.5, 5.0), _init_ilog2),
)}


def check_model_names(names: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """The curve-model names as a tuple; ValueError naming any unknown one."""
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    unknown = [n for n in names if n not in MODELS]
    if not names or unknown:
        raise ValueError(f"unknown curve model(s) {unknown or 'none given'}; "
                         f"expected some of: {', '.join(MODELS)}")
    return names


def fit_least_squares(model: CurveModel, x: np.ndarray, y: np.ndarray, starts: int = 2,
                      iterations: int = 20, seed: int = 0) -> np.ndarray | None:
    """θ minimising Σ (model(θ, x) − y)² inside the model's box, or None when no start reaches
    a finite fit.

    Projected Levenberg–Marquardt (Marquardt 1963: damping λ·diag(JᵀJ), λ shrunk after a step
    that lowers the cost and grown after one that does not; steps clipped into the box), run
    on `starts` starting points at once — the model's initial guess and jittered copies — with
    forward-difference Jacobians. Batched numpy instead of scipy's `least_squares`: a fit is a
    few milliseconds, which is what lets LCE query hundreds of archs per second-scale budget.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    lower, upper = model.lo, model.hi
    with np.errstate(all="ignore"):
        guess = np.asarray(model.initial(x, y), dtype=float)
    if not np.all(np.isfinite(guess)):
        guess = (lower + upper) / 2
    rng = np.random.default_rng(seed)
    theta = np.repeat(guess[None, :], starts, axis=0)
    # other starts: the guess scaled by log-normal factors (shape parameters span decades)
    theta[1:] *= np.exp(rng.normal(0.0, 0.5, size=(starts - 1, guess.size)))
    theta = np.clip(theta, lower, upper)

    def cost_of(th: np.ndarray) -> np.ndarray:
        r = model.function(th, x) - y
        c = np.sum(r * r, axis=-1)
        return np.where(np.isfinite(c), c, np.inf)

    with np.errstate(all="ignore"):  # invalid regions give inf costs, which are never taken
        return _levenberg_marquardt(model, x, y, theta, iterations, cost_of)


def _levenberg_marquardt(model: CurveModel, x: np.ndarray, y: np.ndarray, theta: np.ndarray,
                         iterations: int, cost_of: Callable[[np.ndarray], np.ndarray]
                         ) -> np.ndarray | None:
    lower, upper = model.lo, model.hi
    starts, n_params = theta.shape
    eye = np.eye(n_params)
    cost = cost_of(theta)
    damping = np.full(starts, 1e-2)
    quiet = 0
    for _ in range(iterations):
        step = 1e-6 * np.maximum(np.abs(theta), 1e-2)                   # (S, P)
        # θ and its P forward-shifted copies in one model call: (S, P+1, P) -> (S, P+1, T)
        points = np.concatenate(
            [theta[:, None, :], theta[:, None, :] + step[:, None, :] * eye[None]], axis=1)
        values = model.function(points, x)
        residual = values[:, 0, :] - y                                  # (S, T)
        jac = (values[:, 1:, :] - values[:, :1, :]) / step[:, :, None]  # (S, P, T)
        jac = np.where(np.isfinite(jac), jac, 0.0)
        residual = np.where(np.isfinite(residual), residual, 0.0)
        jtj = jac @ np.swapaxes(jac, 1, 2)                              # (S, P, P)
        gradient = jac @ residual[:, :, None]                          # (S, P, 1)
        diag = np.einsum("spp->sp", jtj)
        system = jtj + (damping[:, None] * np.maximum(diag, 1e-9))[:, :, None] * eye
        try:
            delta = -np.linalg.solve(system, gradient)[..., 0]
        except np.linalg.LinAlgError:
            delta = -gradient[..., 0] / np.maximum(np.einsum("spp->sp", system), 1e-12)
        proposal = np.minimum(np.maximum(theta + delta, lower), upper)
        new_cost = cost_of(proposal)
        better = new_cost < cost
        gain = np.where(better, cost - new_cost, 0.0)
        theta = np.where(better[:, None], proposal, theta)
        cost = np.where(better, new_cost, cost)
        damping = np.clip(np.where(better, damping / 3.0, damping * 4.0), 1e-9, 1e9)
        # converged: three iterations in a row in which no start gained a relative 1e-6
        quiet = quiet + 1 if np.all(gain <= 1e-6 * np.maximum(cost, 1e-12)) else 0
        if quiet >= 3:
            break
    best = int(np.argmin(cost))
    if not np.isfinite(cost[best]):
        return None
    return theta[best]
