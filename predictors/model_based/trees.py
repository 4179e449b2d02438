"""Tree-ensemble predictors on architecture encodings: XGBoost, LightGBM, random forest, NGBoost.

Defaults follow NASLib (White et al. 2021, `naslib/predictors/trees/*.py`), which took them from
the original papers / NAS-Bench-301 where noted. Every model is deterministic under its seed: the
thread count is fixed (`n_jobs`, default 1) and each library gets an explicit seed. As in all
classic model-based predictors here, labels are quantile-normalised before fitting by default
(``target_transform="quantile"``, see `_target`); ``target_transform=None`` is NASLib's setting.
``get_predictor(name, config="paper")`` gives the predictor paper's setup (docs/departures.md).
"""

from __future__ import annotations

import numpy as np

from predictors.base import register_predictor
from predictors.model_based._hpo import int_log_uniform, log_uniform
from predictors.model_based._target import TargetTransformMixin
from predictors.model_based._threads import single_threaded
from predictors.model_based.base import ModelBasedPredictor


def _int_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


@register_predictor
class XGBPredictor(TargetTransformMixin, ModelBasedPredictor):
    """XGBoost (Chen & Guestrin 2016) regression on the encoding, squared error."""

    name = "xgb"
    int_minimums = {"num_boost_round": 1}
    signed_params = ("n_jobs",)  # -1: every core
    configs = {"paper": {"target_transform": None}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 # NASLib xgb.py defaults (XGBoost's own defaults for depth/eta/child weight)
                 max_depth: int = 6, min_child_weight: float = 1.0, learning_rate: float = 0.3,
                 colsample_bytree: float = 1.0, colsample_bylevel: float = 1.0,
                 num_boost_round: int = 500,  # NASLib xgb.train(num_boost_round=500)
                 n_jobs: int = 1):
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.learning_rate = learning_rate
        self.colsample_bytree = colsample_bytree
        self.colsample_bylevel = colsample_bylevel
        self.num_boost_round = num_boost_round
        self.n_jobs = n_jobs

    # NASLib XGBoost.set_random_hyperparams
    hyperparameter_space = {
        "max_depth": lambda rng: int(rng.integers(1, 15)),
        "min_child_weight": lambda rng: int(rng.integers(1, 10)),
        "colsample_bytree": lambda rng: float(rng.uniform(0.05, 1.0)),
        "learning_rate": log_uniform(0.001, 0.5),
        "colsample_bylevel": lambda rng: float(rng.uniform(0.05, 1.0)),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        import xgboost

        booster_params = {
            "objective": "reg:squarederror", "booster": "gbtree", "tree_method": "hist",
            "max_depth": int(params["max_depth"]), "min_child_weight": params["min_child_weight"],
            "eta": params["learning_rate"], "colsample_bytree": params["colsample_bytree"],
            "colsample_bylevel": params["colsample_bylevel"], "nthread": int(params["n_jobs"]),
            "seed": _int_seed(rng), "verbosity": 0,
        }
        return xgboost.train(booster_params, xgboost.DMatrix(X, label=z),
                             num_boost_round=int(params["num_boost_round"]))

    @single_threaded
    def _predict(self, state, X):
        import xgboost

        return state.predict(xgboost.DMatrix(X)), None


@register_predictor
class LGBPredictor(TargetTransformMixin, ModelBasedPredictor):
    """LightGBM (Ke et al. 2017), the GBDT predictor of Luo et al. 2020 ("NAS with GBDT")."""

    name = "lgb"
    int_minimums = {"num_boost_round": 1}
    signed_params = ("n_jobs", "bagging_freq")  # -1: every core; <= 0: no bagging
    configs = {"paper": {"target_transform": None}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 # NASLib lgb.py = the defaults of Luo et al. 2020
                 num_leaves: int = 31, learning_rate: float = 0.05, min_data_in_leaf: int = 5,
                 feature_fraction: float = 0.9, bagging_fraction: float = 0.8,
                 bagging_freq: int = 5, num_boost_round: int = 500, n_jobs: int = 1):
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.min_data_in_leaf = min_data_in_leaf
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.bagging_freq = bagging_freq
        self.num_boost_round = num_boost_round
        self.n_jobs = n_jobs

    # NASLib LGBoost.set_random_hyperparams
    hyperparameter_space = {
        "num_leaves": lambda rng: int(rng.integers(10, 100)),
        "learning_rate": log_uniform(0.001, 0.1),
        "feature_fraction": lambda rng: float(rng.uniform(0.1, 1.0)),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        import lightgbm

        lgb_params = {
            "objective": "regression", "boosting_type": "gbdt", "metric": "l2",
            "num_leaves": int(params["num_leaves"]), "learning_rate": params["learning_rate"],
            "min_data_in_leaf": int(params["min_data_in_leaf"]),
            "feature_fraction": params["feature_fraction"],
            "bagging_fraction": params["bagging_fraction"],
            "bagging_freq": int(params["bagging_freq"]),
            "num_threads": int(params["n_jobs"]), "seed": _int_seed(rng),
            # reproducible results regardless of threading; tiny train sets need small bins
            "deterministic": True, "force_col_wise": True, "verbose": -1,
            "min_data_in_bin": 1,
        }
        data = lightgbm.Dataset(X, label=z, params={"verbose": -1, "min_data_in_bin": 1})
        return lightgbm.train(lgb_params, data, num_boost_round=int(params["num_boost_round"]))

    @single_threaded
    def _predict(self, state, X):
        return state.predict(X), None


@register_predictor
class RFPredictor(TargetTransformMixin, ModelBasedPredictor):
    """Random forest (Breiman 2001, scikit-learn); std = spread of the per-tree predictions."""

    name = "rf"
    supports_std = True
    signed_params = ("n_jobs",)  # -1: every core
    configs = {"paper": {"target_transform": None}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 # NASLib random_forest.py, "copied from NB301" (Siems et al. 2020)
                 n_estimators: int = 116, max_features: float = 0.17055852159745608,
                 min_samples_leaf: int = 2, min_samples_split: int = 2, bootstrap: bool = False,
                 n_jobs: int = 1):
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.min_samples_split = min_samples_split
        self.bootstrap = bootstrap
        self.n_jobs = n_jobs

    # NASLib RandomForestPredictor.set_random_hyperparams
    hyperparameter_space = {
        "n_estimators": int_log_uniform(16, 128, floor=True),
        "max_features": log_uniform(0.1, 0.9),
        "min_samples_leaf": lambda rng: int(rng.integers(1, 20)),
        "min_samples_split": lambda rng: int(rng.integers(2, 20)),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        from sklearn.ensemble import RandomForestRegressor

        model = RandomForestRegressor(
            n_estimators=int(params["n_estimators"]), max_features=params["max_features"],
            min_samples_leaf=int(params["min_samples_leaf"]),
            min_samples_split=int(params["min_samples_split"]), bootstrap=params["bootstrap"],
            n_jobs=int(params["n_jobs"]), random_state=_int_seed(rng))
        return model.fit(X, z)

    @single_threaded
    def _predict(self, state, X):
        per_tree = np.stack([tree.predict(X) for tree in state.estimators_])
        # the forest mean; the spread of the trees is the usual (if crude) RF uncertainty
        return per_tree.mean(axis=0), np.maximum(per_tree.std(axis=0), 1e-6)


@register_predictor
class NGBPredictor(TargetTransformMixin, ModelBasedPredictor):
    """NGBoost (Duan et al. 2020): natural-gradient boosting of a Normal's mean and log-scale with
    decision-tree base learners; the predictive std is the fitted Normal's scale."""

    name = "ngb"
    int_minimums = {"n_estimators": 1}
    supports_std = True
    # NASLib's NGBoost (the paper's code) fixes minibatch_frac 0.5 and leaf / split minima 1 / 2
    configs = {"paper": {"target_transform": None, "minibatch_frac": 0.5,
                         "min_samples_leaf": 1, "min_samples_split": 2}}

    def __init__(self, encoding: str = "adjacency_one_hot", seed: int | None = None,
                 hpo_trials: int = 0, hpo_seconds: float | None = None, hpo_folds: int = 3,
                 target_transform: str | None = "quantile",
                 # NASLib ngb.py defaults (tuned on NAS-Bench-301 data by the NASLib authors)
                 n_estimators: int = 505, learning_rate: float = 0.08127053060223186,
                 minibatch_frac: float = 0.5081694143793387, max_depth: int = 6,
                 max_features: float = 0.7920456318712875,
                 min_samples_leaf: int | None = None,   # None: the rule in `_fit` (rows per tree)
                 min_samples_split: int | None = None):
        self.encoding = encoding
        self.seed = seed
        self.hpo_trials = hpo_trials
        self.hpo_seconds = hpo_seconds
        self.hpo_folds = hpo_folds
        self.target_transform = target_transform
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.minibatch_frac = minibatch_frac
        self.max_depth = max_depth
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.min_samples_split = min_samples_split

    # NASLib NGBoost.set_random_hyperparams
    hyperparameter_space = {
        "n_estimators": int_log_uniform(128, 512, floor=True),
        "learning_rate": log_uniform(0.001, 0.1),
        "minibatch_frac": lambda rng: float(rng.uniform(0.1, 1.0)),
        "max_depth": lambda rng: int(rng.integers(1, 25)),
        "max_features": lambda rng: float(rng.uniform(0.1, 1.0)),
    }

    @single_threaded
    def _fit(self, X, z, params, rng):
        from ngboost import NGBRegressor
        from ngboost.distns import Normal
        from ngboost.scores import LogScore
        from sklearn.tree import DecisionTreeRegressor

        seed = _int_seed(rng)
        # default (None): leaf / split minima of 15 / 20 (NASLib's earlier NGBoost defaults),
        # lowered for the rows each tree sees (a quarter / half of them) so that a small
        # minibatch can still be split; the paper's code fixes 1 / 2 (configs["paper"])
        m = max(1, int(len(z) * float(params["minibatch_frac"])))
        leaf, split = params.get("min_samples_leaf"), params.get("min_samples_split")
        leaf = min(max(m // 4, 1), 15) if leaf is None else int(leaf)
        split = min(max(m // 2, 2), 20) if split is None else int(split)
        # squared_error picks the same splits as NASLib's friedman_mse (for one output the two
        # split scores differ by a factor constant within a node)
        base = DecisionTreeRegressor(
            criterion="squared_error", splitter="best", max_depth=int(params["max_depth"]),
            max_features=params["max_features"], min_samples_leaf=leaf,
            min_samples_split=split, random_state=seed)
        model = NGBRegressor(Dist=Normal, Score=LogScore, Base=base,
                             n_estimators=int(params["n_estimators"]),
                             learning_rate=params["learning_rate"],
                             minibatch_frac=params["minibatch_frac"], verbose=False,
                             random_state=seed)
        return model.fit(np.asarray(X, dtype=np.float64), z)

    @single_threaded
    def _predict(self, state, X):
        dist = state.pred_dist(np.asarray(X, dtype=np.float64))
        return dist.loc, np.maximum(dist.scale, 1e-9)
