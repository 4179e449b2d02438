"""Learning-curve extrapolation (LCE): predict an architecture's final validation accuracy by
fitting parametric curve models to its first F epochs and extrapolating to the benchmark's last
epoch (Domhan, Springenberg & Hutter 2015, "Speeding up Automatic Hyperparameter Optimization
of Deep Neural Networks by Extrapolation of Learning Curves", IJCAI; Klein et al. 2017 use the
same combination in LC-Net's baseline).

Both read the validation-accuracy curve through `ctx.curves.partial(arch, ctx.fidelity)` and
extrapolate to epoch `ctx.curves.max_epochs`; the prediction is in percent.

- `lce`: each of the curve models is fitted by least squares and sampled by Metropolis; the
  models' posterior means are averaged with BIC weights (`_extrapolate.model_average`).
- `lce_m`: Domhan's weighted linear combination of the models with Gaussian noise, weights,
  parameters and noise sampled jointly by an affine-invariant ensemble sampler; the posterior
  mean of the combination at the last epoch (`_extrapolate.model_combination`).

Fallbacks (never an exception for a short or awkward curve): with fewer than `min_points`
observed epochs (default 3) the prediction is the last observed value (there is nothing to
extrapolate a 3-parameter curve from); when no model's least-squares fit satisfies the prior
(finite, in [0, 100] %, final >= first) likewise; when sampling yields no finite value, the
least-squares combination. `fallbacks_` counts the routes taken in the last `query`.

Speed: defaults are a few walkers/chains and ~100 steps so that one arch at F = 4 takes about
0.1–0.2 s of CPU; raise `steps`, `chains` / `walkers` for a closer posterior.

``config="paper"`` uses the paper's code's model subsets (NASLib keeps 4 of the 11 models, "found
to improve performance") and its sampler budgets on NB201: `lce` one chain of 300 steps, all
kept; `lce_m` 50 walkers, 800 steps, 500 burn-in. `lce`'s sampler stays ours (per-model chains,
BIC weights; NASLib runs one chain over all models with fixed equal weights), see
docs/departures.md.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from predictors.base import Context, register_predictor
from predictors.learning_curve._common import (
    CurveStatistic,
    check_finite_array,
    check_positive_int,
)
from predictors.learning_curve._curve_models import MODELS, check_model_names
from predictors.learning_curve._extrapolate import (
    Extrapolation,
    combination_size,
    model_average,
    model_combination,
)

ALL_MODELS: tuple[str, ...] = tuple(MODELS)


class _Extrapolator(CurveStatistic):
    """Shared query loop: one seeded generator per arch (the score does not depend on the
    order or company in which archs are queried), fallbacks counted."""

    output_scale = "label"  # the curve extrapolated to epoch E, in percent

    def query(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        self.fallbacks_: Counter[str] = Counter()
        return super().query(archs, ctx)

    def _score(self, curve: Any, arch: Any, ctx: Context) -> float:
        y = check_finite_array(curve.val_acc, "validation accuracy", arch) / 100.0
        x = np.arange(1, y.size + 1, dtype=float)
        target = float(max(ctx.curves.max_epochs, y.size))
        seed = ctx.seed if self.seed is None else self.seed
        rng = np.random.default_rng([int(seed), zlib.crc32(str(arch).encode())])
        result = self._extrapolate(x, y, target, rng)
        self.fallbacks_[result.route] += 1
        return 100.0 * result.value

    def _extrapolate(self, x: np.ndarray, y: np.ndarray, target: float,
                     rng: np.random.Generator) -> Extrapolation:
        raise NotImplementedError


def _check_steps(steps: Any, burn: Any) -> tuple[int, int]:
    steps = check_positive_int(steps, "steps")
    burn = check_positive_int(burn, "burn", minimum=0)
    if burn >= steps:
        raise ValueError(f"burn ({burn}) must be smaller than steps ({steps})")
    return steps, burn


@register_predictor
class LCEPredictor(_Extrapolator):
    """LCE: BIC-weighted average of per-model posterior-mean extrapolations (module docstring).

    models: curve-model names (default all 11 of Domhan et al.); chains / steps / burn: the
    Metropolis chains per model; noise_floor: the smallest noise std assumed (fraction of
    accuracy, 0.002 = 0.2 points) so that a model through every point is not infinitely certain;
    min_points: fewer observed epochs fall back to the last value; seed: None = ctx.seed."""

    name = "lce"
    # NASLib lce.py (parametric_model.model_name_list, mcmc(N=300) on NB201)
    configs = {"paper": {"models": ("log_log_linear", "log_power", "mmf", "hill3"),
                         "chains": 1, "steps": 300, "burn": 0}}

    def __init__(self, models: Sequence[str] = ALL_MODELS, chains: int = 4, steps: int = 60,
                 burn: int = 30, noise_floor: float = 0.002, min_points: int = 3,
                 seed: int | None = None):
        self.models = check_model_names(models)
        self.chains = check_positive_int(chains, "chains")
        self.steps, self.burn = _check_steps(steps, burn)
        if not isinstance(noise_floor, (int, float)) or not 0 < noise_floor < 1:
            raise ValueError(f"noise_floor must be in (0, 1) (a fraction of accuracy), "
                             f"got {noise_floor!r}")
        self.noise_floor = float(noise_floor)
        self.min_points = check_positive_int(min_points, "min_points", minimum=2)
        self.seed = seed

    def _extrapolate(self, x, y, target, rng):
        return model_average(x, y, target, self.models, self.chains, self.steps, self.burn,
                             self.noise_floor, rng, self.min_points)


@register_predictor
class LCEMPredictor(_Extrapolator):
    """LCE-M: posterior mean of Domhan et al.'s weighted model combination, sampled jointly by
    an affine-invariant ensemble sampler (module docstring).

    models: curve-model names (default all 11); walkers: ensemble size (None = 2 × the
    dimension of (w, θ, log σ), at least 16; must exceed the dimension); steps / burn: sampler
    iterations; min_points and seed as for `lce`."""

    name = "lce_m"
    # NASLib lce_m.py: curve_combination_models, MCMCCurveModelCombination(nwalkers=50,
    # nsamples=800, burn_in=500)
    configs = {"paper": {"models": ("mmf", "log_log_linear", "hill3", "log_power"),
                         "walkers": 50, "steps": 800, "burn": 500}}

    def __init__(self, models: Sequence[str] = ALL_MODELS, walkers: int | None = None,
                 steps: int = 80, burn: int = 40, min_points: int = 3, seed: int | None = None):
        self.models = check_model_names(models)
        dim = combination_size(self.models)
        if walkers is not None:
            walkers = check_positive_int(walkers, "walkers")
            if walkers <= dim:
                raise ValueError(f"walkers ({walkers}) must exceed the dimension of the sampled "
                                 f"vector ({dim} for models {', '.join(self.models)})")
        self.walkers = walkers
        self.steps, self.burn = _check_steps(steps, burn)
        self.min_points = check_positive_int(min_points, "min_points", minimum=2)
        self.seed = seed

    def _extrapolate(self, x, y, target, rng):
        walkers = self.walkers or max(16, 2 * combination_size(self.models))
        return model_combination(x, y, target, self.models, walkers, self.steps, self.burn,
                                 rng, self.min_points)
