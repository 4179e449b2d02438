"""Classic model-based predictors (trees, GPs, SVR, Bayesian linear models, BNNs): they learn a
synthetic target on NB201 and NB101, are deterministic under a seed, give positive stds where
promised, refuse encodings they cannot use, and tune within their HPO budget. Settings are cut
down through constructor arguments so the file runs in well under a minute."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from predictors import Context, get_predictor
from predictors.base import predictor_class
from predictors.model_based._target import QuantileMap
from search_spaces import get_search_space

N_TEST = 100

# name -> (constructor arguments for a fast fit, train size). Trees get shallow / additive
# settings (the target is additive) and the random forest more cells: averaging piecewise
# constant trees needs more data to rank an additive target.
CASES = {
    "xgb": ({"num_boost_round": 200, "max_depth": 2, "learning_rate": 0.1}, 150),
    "lgb": ({"num_boost_round": 100}, 150),
    "rf": ({}, 400),
    "ngb": ({"n_estimators": 120, "learning_rate": 0.3, "max_depth": 2, "max_features": 1.0,
             "minibatch_frac": 1.0}, 150),
    "svr": ({}, 150),
    "bayes_lin_reg": ({}, 100),
    "gp": ({"max_iter": 50}, 100),
    "sparse_gp": ({"num_inducing": 40, "max_iter": 50}, 100),
    "var_sparse_gp": ({"num_inducing": 40, "steps": 300, "lr": 0.05}, 100),
    "gpwl": ({}, 100),
    "dngo": ({"num_epochs": 60, "batch_size": 20}, 100),
    "bohamiann": ({"num_steps": 1500, "num_burn_in_steps": 500, "keep_every": 20,
                   "lr": 1e-3}, 100),
}
WITH_STD = {"rf", "ngb", "bayes_lin_reg", "gp", "sparse_gp", "var_sparse_gp", "gpwl", "dngo",
            "bohamiann"}
CONV3 = {"nb201": 3, "nb101": "conv3x3-bn-relu"}  # nb201 ops are indices into OPS
CONV1 = {"nb201": 2, "nb101": "conv1x1-bn-relu"}


def _target(space_name: str, arch) -> float:
    """n(conv3x3) + 0.4 n(conv1x1): additive over the cell, few ties."""
    return arch.ops.count(CONV3[space_name]) + 0.4 * arch.ops.count(CONV1[space_name])


@pytest.fixture(scope="module", params=["nb201", "nb101"])
def data(request):
    space = get_search_space(request.param)
    rng = np.random.default_rng(7)
    archs, seen = [], set()
    while len(archs) < 400 + N_TEST:  # distinct cells, so test cells are unseen
        arch = space.sample(rng)
        if arch not in seen:
            seen.add(arch)
            archs.append(arch)
    f = np.array([_target(request.param, a) for a in archs])
    y = f + 0.02 * rng.standard_normal(len(f))
    return space, archs, f, y


@pytest.mark.parametrize("name", sorted(CASES))
def test_learns_synthetic_target(name, data):
    space, archs, f, y = data
    params, n = CASES[name]
    predictor = get_predictor(name, seed=0, **params)
    predictor.fit(archs[:n], y[:n], Context(space))
    test = archs[-N_TEST:]
    if name in WITH_STD:
        mean, std = predictor.query(test, Context(space), return_std=True)
        assert std.shape == mean.shape and np.all(std > 0) and np.all(np.isfinite(std))
    else:
        mean = predictor.query(test, Context(space))
        with pytest.raises(ValueError, match="no predictive std"):
            predictor.query(test, Context(space), return_std=True)
    assert mean.shape == (N_TEST,) and np.all(np.isfinite(mean))
    tau = kendalltau(f[-N_TEST:], mean).statistic  # against the noiseless target
    assert tau >= 0.8, f"{name} on {space.name}: Kendall tau {tau:.3f}"
    # predictions come back in label units (the quantile transform is undone)
    assert y[:n].min() - 1 <= np.median(mean) <= y[:n].max() + 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_deterministic_under_seed(name):
    space = get_search_space("nb201")
    rng = np.random.default_rng(3)
    archs = [space.sample(rng) for _ in range(60)]
    y = np.array([_target("nb201", a) for a in archs]) + 0.1 * rng.standard_normal(60)
    params = dict(CASES[name][0])
    if name == "ngb":
        params["n_estimators"] = 20
        params["minibatch_frac"] = 0.5  # exercise the subsampling RNG
    if name == "bohamiann":
        params.update(num_steps=300, num_burn_in_steps=100)

    def run(seed, ctx_seed=0):
        p = get_predictor(name, seed=seed, **params)
        return p.fit(archs[:40], y[:40], Context(space, seed=ctx_seed)).query(archs[40:],
                                                                              Context(space))

    first = run(5)
    np.testing.assert_array_equal(first, run(5))
    # seed=None falls back to Context.seed
    np.testing.assert_array_equal(run(None, ctx_seed=5), first)


def test_constructor_only_stores_and_names():
    for name in CASES:
        cls = predictor_class(name)
        assert cls.family == "model_based" and cls.needs.train_set
        p = get_predictor(name)
        params = p.get_params()
        assert {"encoding", "seed", "hpo_trials", "hpo_seconds", "hpo_folds",
                "target_transform"} <= set(params)
        assert params["seed"] is None and params["hpo_trials"] == 0
        assert p.supports_std == (name in WITH_STD)
        assert cls.hyperparameter_space, name
        assert not hasattr(p, "state_")
    assert get_predictor("gpwl").encoding == "graph"
    assert get_predictor("xgb").encoding == "adjacency_one_hot"


def test_unsupported_encoding_is_a_clear_error():
    space = get_search_space("nb201")
    archs = space.all()[:10]
    y = np.arange(10.0)
    with pytest.raises(ValueError, match="cannot use encoding 'path'"):
        get_predictor("gpwl", encoding="path").fit(archs, y, Context(space))
    with pytest.raises(ValueError, match="cannot use encoding 'graph'"):
        get_predictor("gp", encoding="graph").fit(archs, y, Context(space))
    with pytest.raises(ValueError, match="target_transform"):
        get_predictor("svr", target_transform="log").fit(archs, y, Context(space))


def test_path_encoding_and_no_transform_work():
    space = get_search_space("nb101")
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(80)]
    y = np.array([_target("nb101", a) for a in archs])
    for name in ("svr", "bayes_lin_reg", "gp"):
        for transform in (None, "quantile"):
            p = get_predictor(name, encoding="path", target_transform=transform, seed=0)
            pred = p.fit(archs[:60], y[:60], Context(space)).query(archs[60:], Context(space))
            assert np.all(np.isfinite(pred)) and kendalltau(y[60:], pred).statistic > 0.5


def test_quantile_map_round_trip_and_monotone():
    y = np.array([10.0, 85.0, 90.0, 90.0, 91.5, 70.0])
    qmap = QuantileMap(y)
    back, _ = qmap.inverse(qmap.forward)
    np.testing.assert_allclose(back, y)
    grid = np.linspace(-4, 4, 200)  # far beyond the train scores too
    values, slopes = qmap.inverse(grid)
    assert np.all(np.diff(values) > 0) and np.all(slopes > 0)


def test_hpo_picks_by_held_out_tau_within_budget():
    space = get_search_space("nb201")
    rng = np.random.default_rng(1)
    archs = [space.sample(rng) for _ in range(160)]
    y = np.array([_target("nb201", a) for a in archs]) + 0.02 * rng.standard_normal(160)
    # a useless default (gamma so small that every cell looks alike) that HPO must replace
    bad = {"gamma": 1e-9, "C": 1e-4, "seed": 0}
    untuned = get_predictor("svr", **bad).fit(archs[:120], y[:120], Context(space))
    tuned = get_predictor("svr", hpo_trials=12, **bad).fit(archs[:120], y[:120], Context(space))
    assert tuned.hpo_trials_run_ == 12
    assert tuned.best_params_["gamma"] != 1e-9 and np.isfinite(tuned.hpo_score_)
    tau_tuned = kendalltau(y[120:], tuned.query(archs[120:], Context(space))).statistic
    assert tau_tuned > 0.8
    assert tau_tuned > kendalltau(y[120:], untuned.query(archs[120:], Context(space))).statistic
    # the time budget stops the search (trial 0, the defaults, always runs)
    start = time.perf_counter()
    capped = get_predictor("svr", hpo_trials=100_000, hpo_seconds=0.3, seed=0)
    capped.fit(archs[:120], y[:120], Context(space))
    assert 1 <= capped.hpo_trials_run_ < 100_000
    assert time.perf_counter() - start < 10
    only_default = get_predictor("svr", hpo_trials=5, hpo_seconds=0.0, seed=0)
    only_default.fit(archs[:120], y[:120], Context(space))
    assert only_default.hpo_trials_run_ == 1
    assert only_default.best_params_ == only_default.get_params()


def _study(name: str):
    """A script of the repository's `studies/` folder (not a package) as a module."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "studies" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_study", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accuracy_study(tmp_path):
    """studies/model_based_accuracy.py: evaluate's rows on the reporting split, resumable,
    a summary over seeds; usage errors exit 2."""
    from experiments.evaluator import ROW_COLUMNS

    script = _study("model_based_accuracy")
    specs = script.common.parse_specs("gp:encoding=path,kernel=rbf,xgb:num_boost_round=20")
    assert [(s.label, s.name, s.params) for s in specs] == [
        ("gp:encoding=path:kernel=rbf", "gp", {"encoding": "path", "kernel": "rbf"}),
        ("xgb:num_boost_round=20", "xgb", {"num_boost_round": 20})]
    assert script.common.parse_int_list("100-102,7", "--seeds") == [100, 101, 102, 7]
    assert script.common.parse_ints is script.common.parse_int_list  # the old name still works
    space = get_search_space("nb201")
    rng = np.random.default_rng(0)
    archs = list({space.sample(rng) for _ in range(400)})
    table = pd.DataFrame({"arch": [space.format(a) for a in archs],
                          "val_accuracy": [80 + 2 * _target("nb201", a) for a in archs]})
    csv = tmp_path / "acc.csv"
    table.to_csv(csv, index=False)
    out = tmp_path / "out"
    args = ["--predictors", "svr,xgb:num_boost_round=20", "--sizes", "20,50", "--test-size",
            "50", "--data", str(csv), "--out", str(out), "--quiet"]
    assert script.main([*args, "--seeds", "100-101"]) == 0
    rows = pd.read_csv(out / "rows.csv")
    assert len(rows) == 2 * 2 * 2 and {"label", *ROW_COLUMNS} <= set(rows.columns)
    assert set(rows["label"]) == {"svr", "xgb:num_boost_round=20"}
    assert (rows["split"] == "reporting").all() and not rows["oracle"].any()
    assert rows["error"].isna().all() and (rows["status"] == "ok").all()
    assert rows.groupby("train_size")["kendalltau"].mean()[50] > 0.4
    assert (rows["init_compute_seconds"] > 0).all()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 and (summary["seeds"] == 2).all()
    assert {"kendalltau_mean", "kendalltau_std", "spearman_mean", "failed_frac",
            "constant_frac"} <= set(summary.columns)
    assert "n = 50" in (out / "summary.md").read_text()
    # resumable: one more seed runs only its cells, the earlier rows stay as they were
    assert script.main([*args, "--seeds", "100-102"]) == 0
    more = pd.read_csv(out / "rows.csv")
    assert len(more) == 12 and sorted(more["seed"].unique()) == [100, 101, 102]
    pd.testing.assert_frame_equal(more.iloc[:8], rows)
    # usage errors: another split into the same folder, unknown / train-free predictors,
    # a missing table
    assert script.main([*args, "--seeds", "100", "--split", "tuning"]) == 2
    assert script.main(["--predictors", "nope", "--data", str(csv), "--out", str(out)]) == 2
    assert script.main(["--predictors", "sotle", "--data", str(csv), "--out", str(out)]) == 2
    assert script.main(["--data", str(tmp_path / "missing.csv"), "--out", str(out)]) == 2
