"""`OmniTreeMixin`: turns a tree-based `ModelBasedPredictor` into an OMNI predictor (White et al.
2021, §6) by replacing its features with `OmniFeatures` (zero-cost scores, learning-curve
statistics, encoding). Place it before the model class in the bases:

    class OmniNGBPredictor(OmniTreeMixin, NGBPredictor): ...

The subclass stores `preset`, `zc_batch_size`, `seed` and `zc_seed` and implements
`_sources()`. Everything else — label standardisation and the quantile target transform, HPO on
held-out folds, the predictive std — is the model class's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from predictors.base import Context, Needs, NotFittedError, as_list, check_numeric_params
from predictors.ensembles._features import (
    OmniFeatures,
    ZeroCostCache,
    usable_proxies,
    zero_cost_seed,
)


class OmniTreeMixin:
    family: ClassVar[str] = "ensemble"
    # the evaluator runs fidelities for predictors that read partial curves; at fidelity 0 (or
    # below `min_fidelity`) the curve features are simply left out
    needs: ClassVar[Needs] = Needs(train_set=True, query_epochs=True, network=True)
    #: curve features are used only from this fidelity on
    min_fidelity: ClassVar[int] = 1

    name: ClassVar[str]
    preset: str
    zc_batch_size: int
    seed: int | None
    zc_seed: int | None

    def _sources(self) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """(zero-cost proxies, curve statistics, encoding kind or None) as configured."""
        raise NotImplementedError

    @property
    def zero_cost_cache(self) -> ZeroCostCache:
        """This instance's memo of zero-cost scores (kept across `fit` calls); assign one
        `ZeroCostCache` to several instances to share it (e.g. an ensemble of copies)."""
        if getattr(self, "_zc_cache", None) is None:
            self._zc_cache = ZeroCostCache()
        return self._zc_cache

    @zero_cost_cache.setter
    def zero_cost_cache(self, cache: ZeroCostCache) -> None:
        self._zc_cache = cache

    int_minimums = {"zc_batch_size": 1}

    def fit(self, archs: Sequence[Any], y: np.ndarray, ctx: Context) -> Any:
        check_numeric_params(self)  # before the proxies run on a bad batch size
        archs = as_list(archs)
        proxies, curves, encoding = self._sources()
        proxies = usable_proxies(proxies, ctx, self.name)
        epochs = int(ctx.fidelity) if ctx.fidelity >= self.min_fidelity else 0
        # the features are fixed at fit time: a query reads the same F epochs (FidelityError
        # when the query context allows fewer) and the same proxies under the same seed
        self.features_ = OmniFeatures(
            proxies, curves if epochs else (), encoding, epochs, self.zero_cost_cache,
            preset=self.preset, batch_size=int(self.zc_batch_size),
            seed=zero_cost_seed(self.seed, ctx, self.zc_seed), who=self.name)
        self._train_archs_ = archs
        self._train_X_ = self.features_.fit(archs, ctx)
        try:
            return super().fit(archs, y, ctx)  # type: ignore[misc]
        finally:
            del self._train_archs_, self._train_X_

    def featurize(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        if archs is getattr(self, "_train_archs_", None):
            return self._train_X_  # the base class's fit asks for the train features once more
        if not hasattr(self, "features_"):
            raise NotFittedError(f"{self.name}: call fit before query")
        return self.features_.transform(as_list(archs), ctx)

    def _check_encoding(self) -> None:
        """Any kind of `ctx.space.encode` (or None); the space names an unknown kind."""
