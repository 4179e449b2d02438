"""Early stopping: rank architectures by their validation metric after F of E epochs.

The baseline every learning-curve method is compared against (White et al. 2021, "How
Powerful are Performance Predictors in Neural Architecture Search?", `valacc` / `valloss`;
Zela et al. 2018 study how well such low-fidelity rankings correlate with the final one).
"""

from __future__ import annotations

from typing import Any

from predictors.base import Context, register_predictor
from predictors.learning_curve._common import CurveStatistic, check_finite_array


@register_predictor
class ValAccPredictor(CurveStatistic):
    """valacc(arch) = validation accuracy (percent) at epoch F = `ctx.fidelity`."""

    name = "valacc"
    configs = {"paper": {}}  # the paper's code computes the same
    output_scale = "label"  # an accuracy in percent (at epoch F, not E)

    def _score(self, curve: Any, arch: Any, ctx: Context) -> float:
        return float(check_finite_array(curve.val_acc, "validation accuracy", arch)[-1])


@register_predictor
class ValLossPredictor(CurveStatistic):
    """valloss(arch) = −(validation loss at epoch F = `ctx.fidelity`): lower loss ranks higher."""

    name = "valloss"
    configs = {"paper": {}}  # the paper's code computes the same

    def _score(self, curve: Any, arch: Any, ctx: Context) -> float:
        return -float(check_finite_array(curve.val_loss, "validation loss", arch)[-1])
