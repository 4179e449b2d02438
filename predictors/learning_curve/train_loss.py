"""Sum-of-training-losses estimators (Ru, Lyle, Schut, Fil, van der Wilk & Gal 2020, "Speedy
Performance Estimation for Neural Architecture Search", NeurIPS 2021; first circulated as
"Revisiting the Train Loss", arXiv:2006.04492). Training speed, measured by how fast the
training loss falls, tracks generalisation (a marginal-likelihood / PAC-Bayes argument).

With ℓ_t the mean training loss of epoch t and F = `ctx.fidelity`:

- SoTL    = −Σ_{t=1..F} ℓ_t                  (TSE: the whole partial curve)
- SoTL-E  = −Σ_{t=F−E+1..F} ℓ_t with E = 1, i.e. −ℓ_F   (TSE-E; E=1 is the paper's best)
- SoTL-EMA = −ℓ̂_F, the exponential moving average of the training losses,
  ℓ̂_0 = 0, ℓ̂_t = γ ℓ̂_{t−1} + (1 − γ) ℓ_t, i.e. ℓ̂_F = (1 − γ) Σ_{t=1..F} γ^(F−t) ℓ_t
  (TSE-EMA: the sum of losses with epoch t weighted γ^(F−t), so the unstable first epochs count
  less; the factor 1 − γ does not change the ranking; γ = 0.9 is the paper's choice).
  NASLib's `SoTLEMA` (the predictor paper's code) differs: it starts the average at ℓ_1, puts
  0.99 on each new loss (γ = 0.01) and sums the averages, −Σ_{t=1..F} ℓ̂_t;
  ``get_predictor("sotlema", config="paper")`` (``decay=0.01, ema_sum=True``) computes that.

Scores are negated so that higher = predicted better.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from predictors.base import Context, register_predictor
from predictors.learning_curve._common import CurveStatistic, check_finite_array, check_fraction


def _train_losses(curve: Any, arch: Any) -> np.ndarray:
    return check_finite_array(curve.train_loss, "training loss", arch)


@register_predictor
class SoTLPredictor(CurveStatistic):
    """SoTL = −Σ_{t=1..F} train_loss_t (Ru et al. 2020)."""

    name = "sotl"
    configs = {"paper": {}}  # the paper's code computes the same

    def _score(self, curve: Any, arch: Any, ctx: Context) -> float:
        return -float(np.sum(_train_losses(curve, arch)))


@register_predictor
class SoTLEPredictor(CurveStatistic):
    """SoTL-E with E = 1: −train_loss_F, the training loss of the last epoch read (Ru et al.
    2020, their recommended variant)."""

    name = "sotle"
    configs = {"paper": {}}  # the paper's code computes the same

    def _score(self, curve: Any, arch: Any, ctx: Context) -> float:
        return -float(_train_losses(curve, arch)[-1])


def ema_loss(losses: np.ndarray, decay: float, ema_sum: bool = False) -> float:
    """ℓ̂_F with ℓ̂_0 = 0, ℓ̂_t = decay·ℓ̂_{t−1} + (1 − decay)·ℓ_t (decay in [0, 1)); with
    `ema_sum`, Σ_{t=1..F} ℓ̂_t with ℓ̂_1 = ℓ_1 instead (NASLib's SoTLEMA)."""
    running, total = 0.0, 0.0
    for t, loss in enumerate(losses):
        if ema_sum and t == 0:
            running = float(loss)
        else:
            running = decay * running + (1.0 - decay) * float(loss)
        total += running
    return total if ema_sum else running


@register_predictor
class SoTLEMAPredictor(CurveStatistic):
    """SoTL-EMA = −EMA_γ(train_loss_1..F) = −(1 − γ) Σ_{t=1..F} γ^(F−t) train_loss_t, with
    decay γ = `decay` (default 0.9 as in Ru et al.).

    decay = 0 gives SoTL-E (E = 1); decay → 1 approaches SoTL's equal weights (up to scale).
    ema_sum=True scores −Σ_t ℓ̂_t (ℓ̂_1 = ℓ_1) instead, as the paper's code (module docstring)."""

    name = "sotlema"
    configs = {"paper": {"decay": 0.01, "ema_sum": True}}  # NASLib soloss.py (mu = 0.99)

    def __init__(self, decay: float = 0.9, ema_sum: bool = False):
        self.decay = check_fraction(decay, "decay", low_open=False)
        if not isinstance(ema_sum, bool):
            raise ValueError(f"ema_sum must be True or False, got {ema_sum!r}")
        self.ema_sum = ema_sum

    def _score(self, curve: Any, arch: Any, ctx: Context) -> float:
        return -ema_loss(_train_losses(curve, arch), self.decay, self.ema_sum)
