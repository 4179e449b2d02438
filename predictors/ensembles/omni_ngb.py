"""`omni_ngb`: OMNI with NGBoost (White et al., NeurIPS 2021, "How Powerful are Performance
Predictors in NAS?", §6 and NASLib `OmniNGBPredictor`).

Features: the standardised jacov score (Mellor et al. 2020) of the arch's network at
initialisation, the standardised SoTL-E (−train loss of epoch F, F = `ctx.fidelity`) when F >= 3
(the paper's rule: below 3 epochs the training loss says little), and the arch encoding. Model:
NGBoost (Duan et al. 2020) with a Normal output and decision-tree base learners, fit to the
quantile-normalised labels (see `model_based._target`), so it also gives a predictive std.

HPO: random search over n_estimators, learning rate, minibatch fraction, base-tree depth, leaf /
split minimum sizes and column subsampling (NASLib's omni_ngb space), each configuration scored by
Kendall tau on the held-out folds of a k-fold split of the train set, within `hpo_trials` and
`hpo_seconds` (`ModelBasedPredictor._random_search`); the configuration with the BEST held-out
score is refit on the whole train set. NASLib's `OmniNGBPredictor.run_hpo` keeps the configuration
with the *lowest* `cross_val_score` — an R², where higher is better — i.e. the worst one; we do not
copy that. The HPO time is part of `fit` (init compute seconds). A time budget makes the number
of trials, and so the result, depend on machine load; set `hpo_seconds=None` for reproducibility.

``get_predictor("omni_ngb", config="paper")``: the paper's 35 HPO trials with no time limit,
standardised labels, and jacov on a batch of 256 images (NASLib's zero-cost loader takes its batch
size from the experiment config, 256). It keeps the best configuration, not NASLib's worst.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from predictors.base import check_numeric_params, register_predictor
from predictors.ensembles._base import OmniTreeMixin
from predictors.ensembles._features import check_sources
from predictors.model_based._hpo import int_log_uniform, log_uniform
from predictors.model_based._threads import single_threaded
from predictors.model_based.trees import NGBPredictor


def _int_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


@register_predictor
class OmniNGBPredictor(OmniTreeMixin, NGBPredictor):
    """NGBoost on [jacov, SoTL-E at F >= 3, encoding] with held-out-fold HPO."""

    name: ClassVar[str] = "omni_ngb"
    int_minimums: ClassVar[dict[str, int]] = {"hpo_trials": 0, "hpo_folds": 2}
    min_fidelity: ClassVar[int] = 3  # SoTL-E only from epoch 3 on (White et al. 2021, §6)
    # NASLib OmniNGBPredictor(n_hypers=35), experiments' zero-cost batch 256
    configs: ClassVar[dict[str, dict[str, Any]]] = {
        "paper": {"encoding": "adjacency_one_hot", "zc_batch_size": 256, "hpo_trials": 35,
                  "hpo_seconds": None, "hpo_folds": 3, "target_transform": None}}

    # NASLib OmniNGBPredictor.get_random_params
    hyperparameter_space = {
        "n_estimators": int_log_uniform(128, 512, floor=True),
        "learning_rate": log_uniform(0.001, 0.1),
        "minibatch_frac": lambda rng: float(rng.uniform(0.1, 1.0)),
        "max_depth": lambda rng: int(rng.integers(1, 25)),
        "max_features": lambda rng: float(rng.uniform(0.1, 1.0)),
        "min_samples_leaf": lambda rng: int(rng.integers(2, 20)),
        "min_samples_split": lambda rng: int(rng.integers(2, 20)),
    }

    def __init__(self, encoding: str | None = "adjacency_one_hot", preset: str = "official",
                 zc_batch_size: int = 64, seed: int | None = None,
                 hpo_trials: int = 10,       # NASLib n_hypers = 35; fewer for CPU budgets
                 hpo_seconds: float | None = 30.0, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 # NASLib ngb.py defaults, as `ngb` (trial 0 of the search)
                 n_estimators: int = 505, learning_rate: float = 0.08127053060223186,
                 minibatch_frac: float = 0.5081694143793387, max_depth: int = 6,
                 max_features: float = 0.7920456318712875,
                 min_samples_leaf: int | None = None,   # None: `ngb`'s rule from the rows per tree
                 min_samples_split: int | None = None, zc_seed: int | None = None) -> None:
        super().__init__(encoding=encoding, seed=seed, hpo_trials=hpo_trials,
                         hpo_seconds=hpo_seconds, hpo_folds=hpo_folds,
                         target_transform=target_transform, n_estimators=n_estimators,
                         learning_rate=learning_rate, minibatch_frac=minibatch_frac,
                         max_depth=max_depth, max_features=max_features,
                         min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split)
        self.preset = preset
        self.zc_batch_size = zc_batch_size
        self.zc_seed = zc_seed  # the proxies' seed (None: `seed`, else the context's)
        check_sources(("jacov",), ("sotle",), encoding, self.name)
        check_numeric_params(self)  # hpo_trials >= 0, hpo_folds >= 2 (int_minimums)
        if hpo_seconds is not None and (isinstance(hpo_seconds, bool) or not isinstance(
                hpo_seconds, (int, float)) or not hpo_seconds > 0 or hpo_seconds == float("inf")):
            raise ValueError(f"{self.name}: hpo_seconds must be > 0 or None, got {hpo_seconds!r}")

    def _sources(self) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        return ("jacov",), ("sotle",), self.encoding

    @single_threaded
    def _fit(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any],
             rng: np.random.Generator) -> Any:
        from ngboost import NGBRegressor
        from ngboost.distns import Normal
        from ngboost.scores import LogScore
        from sklearn.tree import DecisionTreeRegressor

        seed = _int_seed(rng)
        # rows each tree sees; leaf/split minima above them would leave every tree a stump
        # (NASLib clips them to n/3 − 1 of the whole set, which still exceeds a minibatch)
        m = max(1, int(len(z) * float(params["minibatch_frac"])))
        leaf_cap, split_cap = max(m // 4, 1), max(m // 2, 2)
        leaf = params.get("min_samples_leaf")
        split = params.get("min_samples_split")
        leaf = min(leaf_cap, 15) if leaf is None else min(int(leaf), leaf_cap)
        split = min(split_cap, 20) if split is None else min(int(split), split_cap)
        base = DecisionTreeRegressor(
            criterion="friedman_mse", splitter="best", max_depth=int(params["max_depth"]),
            max_features=float(params["max_features"]), min_samples_leaf=leaf,
            min_samples_split=split, random_state=seed)
        model = NGBRegressor(Dist=Normal, Score=LogScore, Base=base,
                             n_estimators=int(params["n_estimators"]),
                             learning_rate=float(params["learning_rate"]),
                             minibatch_frac=float(params["minibatch_frac"]), verbose=False,
                             random_state=seed)
        return model.fit(np.asarray(X, dtype=np.float64), z)
