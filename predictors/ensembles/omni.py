"""`omni`: the general OMNI predictor (White et al., NeurIPS 2021, "How Powerful are Performance
Predictors in NAS?", §6): a tree model on whatever information sources are enabled —

- `proxies`: zero-cost proxy scores of the arch's network at initialisation (one shared batch per
  seed), standardised over the train set; without data batches (`ctx.batch` None) the
  data-dependent proxies are left out with one warning, the data-free ones stay;
- `curve_features`: statistics of the first F = `ctx.fidelity` epochs of the arch's learning curve
  ("sotle" −train loss at F, "sotl" −Σ train losses, "valacc", "valloss" −val loss at F), read via
  `ctx.curves.partial(arch, F)` for train and query archs alike, standardised; left out at F = 0;
- `encoding`: `ctx.space.encode(arch, encoding)` (None: no encoding);

then `model` ("xgb", "lgb" or "ngb": the registered tree predictors of `model_based.trees`, with
their defaults, overridden by `model_params`) fit to the quantile-normalised labels. With
`hpo_trials > 0`, the model's own random-search space is searched on held-out folds (best
held-out Kendall tau wins). Every source can be switched off; switching off all is a ValueError.

The defaults — jacov, nwot, synflow (the zc_ensemble trio), SoTL-E, the adjacency one-hot
encoding, XGBoost — gave the highest mean Kendall tau among the OMNI variants measured on the
default benchmark (curve-only variants with/without encoding and with SoTL-E or all four curve
statistics, `omni_ngb`, `omni_seminas`; 3 seeds) in 3 of 4 budgets (n = 30 / 100 x F = 3 / 4); at
n = 30, F = 4 curve-only XGBoost (0.737) and `omni_ngb` (0.733) beat its 0.721.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from predictors.base import predictor_class, register_predictor
from predictors.ensembles._base import OmniTreeMixin
from predictors.ensembles._features import check_sources
from predictors.model_based._target import TargetTransformMixin
from predictors.model_based.base import ModelBasedPredictor

MODELS = ("xgb", "lgb", "ngb")


@register_predictor
class OmniPredictor(OmniTreeMixin, TargetTransformMixin, ModelBasedPredictor):
    """A tree model (xgb | lgb | ngb) on [zero-cost scores, curve statistics, encoding]."""

    name: ClassVar[str] = "omni"

    def __init__(self, proxies: tuple[str, ...] = ("jacov", "nwot", "synflow"),
                 curve_features: tuple[str, ...] = ("sotle",),
                 encoding: str | None = "adjacency_one_hot", model: str = "xgb",
                 model_params: dict[str, Any] | None = None, preset: str = "official",
                 zc_batch_size: int = 64, seed: int | None = None, hpo_trials: int = 0,
                 hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile", zc_seed: int | None = None) -> None:
        self.proxies = proxies
        self.curve_features = curve_features
        self.encoding = encoding
        self.model = model
        self.model_params = model_params
        self.preset = preset
        self.zc_batch_size = zc_batch_size
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.zc_seed = zc_seed  # the proxies' seed (None: `seed`, else the context's)
        check_sources(proxies, curve_features, encoding, self.name)
        if model not in MODELS:
            raise ValueError(f"{self.name}: model must be one of {', '.join(MODELS)}, "
                             f"got {model!r}")
        if model_params is not None and not isinstance(model_params, dict):
            raise ValueError(f"{self.name}: model_params must be a dict or None, "
                             f"got {model_params!r}")
        self._inner({})  # unknown model_params raise here, naming the parameter

    def _sources(self) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        return tuple(self.proxies), tuple(self.curve_features), self.encoding

    def _model_class(self) -> type:
        return predictor_class(self.model)

    def _inner(self, overrides: dict[str, Any]) -> Any:
        """The tree predictor holding the model's hyperparameters: its defaults, then
        `model_params`, then HPO's `overrides` (those the model has)."""
        cls = self._model_class()
        accepted = set(cls().get_params())
        params = dict(self.model_params or {})
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise ValueError(f"{self.name}: model {self.model!r} has no parameter(s) "
                             f"{', '.join(unknown)}")
        params.update({k: v for k, v in overrides.items() if k in accepted})
        params["encoding"] = "adjacency_one_hot"  # unused: the inner model sees our features
        return cls(**params)

    @property
    def hyperparameter_space(self) -> dict[str, Any]:  # type: ignore[override]
        return dict(self._model_class().hyperparameter_space)

    @property
    def supports_std(self) -> bool:  # type: ignore[override]
        return bool(self._model_class().supports_std)

    def _fit(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any],
             rng: np.random.Generator) -> Any:
        # `params` carries our own constructor arguments plus, during HPO, sampled model
        # hyperparameters; the model's keys take precedence over our same-named ones
        # (`seed`, `hpo_*`, `encoding`, `target_transform` are ours and the model never sees
        # them: the inner model is not fit through its public `fit`)
        sampled = {k: v for k, v in params.items() if k in self.hyperparameter_space}
        inner = self._inner(sampled)
        return inner, inner._fit(X, z, inner.get_params(), rng)

    def _predict(self, state: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        inner, fitted = state
        return inner._predict(fitted, X)
