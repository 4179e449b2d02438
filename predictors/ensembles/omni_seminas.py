"""`omni_seminas`: OMNI with SemiNAS (White et al., NeurIPS 2021, "How Powerful are Performance
Predictors in NAS?", §6; NASLib `OmniSemiNASPredictor`).

The arch's NAO token sequence (`model_based._sequence.tokenize`) gets extra tokens appended:
its jacov score (Mellor et al. 2020) binned at the train set's quantiles into `bins` bins, and —
when F = `ctx.fidelity` >= 3 — its SoTL-E (−train loss of epoch F, read via
`ctx.curves.partial`) binned the same way. Each source has its own token range after the
architecture vocabulary, so the encoder's embedding learns what each bin means (NASLib one-hot
encodes the bins as a run of binary tokens; one categorical token per source carries the same
information in a shorter sequence). Then SemiNAS (`model_based.seminas`) trains as usual.

The self-training step labels random archs of the space with the model; they need the same
tokens. Their jacov scores are computed (memoised like all zero-cost scores here); they have no
learning curves, so — as in NASLib — the semi-supervised step is skipped when SoTL-E is used and
the model is trained on the labelled archs only. `num_unlabeled=None` uses as many unlabelled
archs as labelled ones (NASLib's OMNI `synthetic_factor=1`): each costs a jacov evaluation.

``get_predictor("omni_seminas", config="paper")``: `seminas`' paper configuration (NASLib's NAO
setup and graph-sequence encoding) with jacov on a batch of 256 images, as the paper's runs
(NASLib's zero-cost loader takes its batch size from the experiment config, 256).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from predictors.base import (
    Context,
    Needs,
    NotFittedError,
    as_list,
    check_numeric_params,
    register_predictor,
)
from predictors.ensembles._features import (
    ZeroCostCache,
    curve_features,
    quantile_edges,
    to_bins,
    usable_proxies,
    zero_cost_seed,
)
from predictors.model_based._neural import torch_seed, torch_session
from predictors.model_based._sequence import NAO, predict_nao, tokenize, train_nao, vocabulary
from predictors.model_based.nao import NAOPredictor
from predictors.model_based.seminas import SemiNASPredictor


@register_predictor
class OmniSemiNASPredictor(SemiNASPredictor):
    """SemiNAS on [arch tokens, jacov bin token, SoTL-E bin token (F >= 3)]."""

    name: ClassVar[str] = "omni_seminas"
    int_minimums: ClassVar[dict[str, int]] = {"bins": 2}
    family: ClassVar[str] = "ensemble"
    needs: ClassVar[Needs] = Needs(train_set=True, query_epochs=True, network=True)
    min_fidelity: ClassVar[int] = 3  # SoTL-E only from epoch 3 on (White et al. 2021, §6)
    configs: ClassVar[dict[str, dict[str, Any]]] = {
        "paper": {**SemiNASPredictor.configs["paper"], "zc_batch_size": 256, "bins": 10}}

    def __init__(self, preset: str = "official", zc_batch_size: int = 64, bins: int = 10,
                 encoding: str = "sequence", num_unlabeled: int | None = None,
                 up_sample_ratio: float = 10, rounds: int = 1, semi_epochs: int = 50,
                 hidden_size: int = 64, mlp_layers: int = 2, mlp_hidden_size: int = 64,
                 dropout: float = 0.1, loss: str = "mae", trade_off: float = 0.8,
                 lr: float = 3e-3, weight_decay: float = 0.0, grad_clip: float = 5.0,
                 batch_size: int = 100, epochs: int = 200, max_steps: int | None = 1000,
                 seed: int | None = None, hpo_trials: int = 0, hpo_seconds: float | None = None,
                 hpo_folds: int = 3, device: str | None = None,
                 zc_seed: int | None = None) -> None:
        # num_unlabeled None: as many unlabelled archs as labelled ones
        super().__init__(encoding=encoding, num_unlabeled=num_unlabeled,
                         up_sample_ratio=up_sample_ratio, rounds=rounds,
                         semi_epochs=semi_epochs, hidden_size=hidden_size,
                         mlp_layers=mlp_layers, mlp_hidden_size=mlp_hidden_size,
                         dropout=dropout, loss=loss, trade_off=trade_off, lr=lr,
                         weight_decay=weight_decay, grad_clip=grad_clip,
                         batch_size=batch_size, epochs=epochs, max_steps=max_steps, seed=seed,
                         hpo_trials=hpo_trials, hpo_seconds=hpo_seconds, hpo_folds=hpo_folds,
                         device=device)
        self.preset = preset
        self.zc_batch_size = zc_batch_size
        self.bins = bins
        self.zc_seed = zc_seed  # the proxies' seed (None: `seed`, else the context's)
        check_numeric_params(self)  # bins >= 2 (int_minimums)
        if num_unlabeled is not None and int(num_unlabeled) < 0:
            raise ValueError(f"{self.name}: num_unlabeled must be >= 0 or None, "
                             f"got {num_unlabeled}")

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

    # -- features --------------------------------------------------------------------------------
    def _jacov(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        return self.zero_cost_cache.scores(archs, ctx, ["jacov"], preset=self.preset,
                                           batch_size=int(self.zc_batch_size),
                                           seed=self.zc_seed_, who=self.name)[:, 0]

    def _sotle(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        return curve_features(archs, ctx, ["sotle"], self.epochs_, self.name)[:, 0]

    def featurize(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        if not hasattr(self, "epochs_"):
            raise NotFittedError(f"{self.name}: call fit before query")
        archs = as_list(archs)
        columns = [tokenize(ctx.space, archs, self.encoding)]
        offset = vocabulary(ctx.space, self.encoding)
        if self.use_jacov_:
            bins = to_bins(self._jacov(archs, ctx), self.jacov_edges_, self.jacov_fill_)
            columns.append((offset + bins)[:, None])
            offset += int(self.bins)
        if self.epochs_:
            bins = to_bins(self._sotle(archs, ctx), self.sotle_edges_, self.sotle_fill_)
            columns.append((offset + bins)[:, None])
        return np.concatenate(columns, axis=1).astype(np.int64)

    def fit(self, archs: Sequence[Any], y: np.ndarray, ctx: Context) -> OmniSemiNASPredictor:
        archs = as_list(archs)
        self.zc_seed_ = zero_cost_seed(self.seed, ctx, self.zc_seed)
        self.use_jacov_ = bool(usable_proxies(("jacov",), ctx, self.name))
        self.epochs_ = int(ctx.fidelity) if ctx.fidelity >= self.min_fidelity else 0
        extra = 0
        if self.use_jacov_:
            jac = self._jacov(archs, ctx)
            self.jacov_edges_ = quantile_edges(jac, self.bins)
            self.jacov_fill_ = float(np.nanmedian(np.where(np.isfinite(jac), jac, np.nan))) \
                if np.isfinite(jac).any() else 0.0
            extra += int(self.bins)
        if self.epochs_:
            sotle = self._sotle(archs, ctx)
            self.sotle_edges_ = quantile_edges(sotle, self.bins)
            self.sotle_fill_ = float(np.median(sotle))
            extra += int(self.bins)
        self.vocab_ = vocabulary(ctx.space, self.encoding) + extra
        self._fit_ctx_ = ctx  # the self-training step scores unlabelled archs in this context
        try:
            return super().fit(archs, y, ctx)
        finally:
            del self._fit_ctx_

    # -- model -----------------------------------------------------------------------------------
    def _new_model(self, params: dict[str, Any]) -> NAO:
        return NAO(self.vocab_, int(params["hidden_size"]), int(params["mlp_layers"]),
                   int(params["mlp_hidden_size"]), float(params["dropout"])).to(self.torch_device)

    def _fit(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any],
             rng: np.random.Generator) -> NAO:
        m = params["num_unlabeled"]
        m = len(z) if m is None else int(m)
        if self.epochs_ or m == 0:
            # unlabelled archs have no curves: no self-training with SoTL-E (as NASLib)
            return NAOPredictor._fit(self, X, z, params, rng)
        # SemiNAS's loop (`SemiNASPredictor._fit`), with the unlabelled archs featurised like
        # the labelled ones (tokens + jacov bin) instead of by the bare tokeniser
        device = self.torch_device
        with torch_session(torch_seed(rng), device):
            model = self._new_model(params)
            train_nao(model, X, z, params, int(params["epochs"]), device)
            for _ in range(int(params["rounds"])):
                sampled = [self._space_.sample(rng) for _ in range(m)]
                unlabeled = self.featurize(sampled, self._fit_ctx_)
                pseudo = predict_nao(model, unlabeled, device)
                weights = np.concatenate([np.full(len(z), float(params["up_sample_ratio"])),
                                          np.ones(m)])
                train_nao(model, np.concatenate([X, unlabeled]), np.concatenate([z, pseudo]),
                          params, int(params["semi_epochs"]), device, weights=weights)
            return model
