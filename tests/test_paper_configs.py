"""The "paper" configurations (`get_predictor(name, config="paper")`, docs/departures.md): the
predictor paper's setup (White et al. 2021 and its code, NASLib) wherever our defaults depart
from it.

Every paper configuration builds, its parameters equal the configuration and round-trip through
`get_params`; a few representative ones fit and query a tiny problem (20 NB201 cells with
synthetic labels). The paper's budgets are slow on a CPU (GCN: 300 epochs at batch 7 and up to
0.9 s x n + 20 s of HPO; BANANAS: 3 x 500 epochs), so those tests override the epochs and the
HPO trials; everything else in the configuration is what runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.base import Curve
from predictors import Context, CurveView, get_predictor, list_predictors
from predictors.base import predictor_class
from search_spaces import get_search_space

SPACE = get_search_space("nb201")

#: the predictors of the paper's study that this package has; each must have a preset
#: (weight-sharing `oneshot` / `rsws` are described in docs/departures.md only)
PAPER = ["bananas", "bayes_lin_reg", "bohamiann", "bonas", "dngo", "fisher", "gcn", "gp",
         "grad_norm", "grasp", "jacov", "lce", "lce_m", "lcsvr", "lgb", "mlp", "nao", "ngb",
         "omni_ngb", "omni_seminas", "rf", "seminas", "snip", "sotl", "sotle", "sotlema",
         "sparse_gp", "synflow", "valacc", "valloss", "var_sparse_gp", "xgb"]
WITH_PAPER = [n for n in list_predictors() if "paper" in predictor_class(n).configs]


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def tiny():
    """20 distinct NB201 cells (10 more to query) and labels from a weighted op count."""
    rng = np.random.default_rng(0)
    archs: dict = {}
    while len(archs) < 30:
        archs[SPACE.sample(rng)] = None
    archs = list(archs)
    weight = {"nor_conv_3x3": 1.0, "nor_conv_1x1": 0.5, "avg_pool_3x3": 0.2}
    y = np.array([80 + 3 * sum(weight.get(op, 0.0) for op in a.op_names) for a in archs])
    y = y + rng.normal(0, 0.3, len(y))
    return archs[:20], y[:20], archs[20:]


def _check_fit_query(name, tiny, **overrides):
    train, y, test = tiny
    predictor = get_predictor(name, config="paper", seed=0, **overrides)
    predictor.fit(train, y, Context(space=SPACE))
    pred = predictor.query(test, Context(space=SPACE))
    assert pred.shape == (len(test),) and np.all(np.isfinite(pred))
    return predictor, pred


# -- every preset --------------------------------------------------------------------------------
def test_every_paper_predictor_has_a_preset():
    assert set(PAPER) <= set(list_predictors())
    assert set(PAPER) <= set(WITH_PAPER)


@pytest.mark.parametrize("name", WITH_PAPER)
def test_paper_config_builds_and_round_trips(name):
    config = predictor_class(name).configs["paper"]
    predictor = get_predictor(name, config="paper")
    params = predictor.get_params()
    for key, value in config.items():
        assert key in params, (name, key)
        assert params[key] == value, (name, key, params[key], value)
    again = type(predictor)(**params)
    assert again.get_params() == params
    # a non-empty preset records a departure: it differs from our defaults somewhere
    defaults = get_predictor(name).get_params()
    assert not config or any(defaults[k] != v for k, v in config.items()), name


def test_overrides_win_and_unknown_configs_fail():
    gcn = get_predictor("gcn", config="paper", epochs=3)
    assert gcn.epochs == 3 and gcn.lr == 1e-4 and gcn.batch_size == 7 and gcn.loss == "mse"
    with pytest.raises(ValueError, match="no configuration"):
        get_predictor("gcn", config="tuned")
    with pytest.raises(ValueError, match="no configuration"):
        get_predictor("gpwl", config="paper")  # not in the paper's study


def test_subclass_presets_are_their_own():
    # omni_ngb / omni_seminas subclass ngb / seminas but carry the OMNI presets
    assert "minibatch_frac" not in get_predictor("omni_ngb").configs["paper"]
    omni = get_predictor("omni_seminas", config="paper")
    assert omni.zc_batch_size == 256 and omni.lr == 1e-3 and omni.encoding == "graph_sequence"
    assert get_predictor("jacov", config="paper").batch_size == 256
    assert get_predictor("jacov").batch_size == 64


# -- fit / query with the presets (epochs and HPO trials cut for speed) ------------------------
def test_gcn_paper_with_paper_hpo(tiny):
    # paper: 300 epochs, HPO for 0.9 s x n + 20 s; here 3 epochs and 3 trials (budget unchanged)
    predictor, _ = _check_fit_query("gcn", tiny, epochs=3, hpo_trials=3)
    assert predictor.hpo_trials_run_ == 3
    assert predictor._search_space() is type(predictor).paper_hyperparameter_space
    assert predictor._hpo_budget(20) == pytest.approx(20.0 + 0.9 * 20)


def test_unknown_hpo_space_fails(tiny):
    with pytest.raises(ValueError, match="hpo_space"):
        get_predictor("gcn", hpo_space="tuned").fit(tiny[0], tiny[1], Context(space=SPACE))
    with pytest.raises(ValueError, match="hpo_space"):  # only the tuned-in-the-paper ones take it
        get_predictor("xgb", hpo_space="paper")


def test_hpo_budget_per_arch_stops_the_search(tiny):
    # a budget of ~0 s stops after the first (default) trial
    predictor, _ = _check_fit_query("mlp", tiny, epochs=2, hpo_trials=50, hpo_seconds=0.0,
                                    hpo_seconds_per_arch=1e-9)
    assert predictor.hpo_trials_run_ == 1


def test_bananas_paper_fits_raw_labels(tiny):
    # paper: 3 members x 500 epochs with HPO; here 5 epochs, no HPO
    predictor, pred = _check_fit_query("bananas", tiny, epochs=5, hpo_trials=0)
    assert predictor.y_mean_ == 0.0 and predictor.y_scale_ == 1.0  # raw labels, as NASLib
    mean, std = predictor.query(tiny[2], Context(space=SPACE), return_std=True)
    assert np.array_equal(mean, pred) and np.all(np.isfinite(std))


def test_nao_and_seminas_paper(tiny):
    # paper: 50 + 50 epochs; here 3 + 2. NASLib's NB201 sequence: 8-node graph, length 35
    predictor, _ = _check_fit_query("nao", tiny, epochs=3)
    assert predictor.featurize(tiny[0][:2], Context(space=SPACE)).shape == (2, 35)
    _check_fit_query("seminas", tiny, epochs=3, semi_epochs=2)  # as many unlabelled as labelled


@pytest.mark.parametrize("name,overrides", [
    ("gp", {}), ("sparse_gp", {"max_iter": 20}), ("var_sparse_gp", {"steps": 30}),
    ("ngb", {"n_estimators": 30}), ("bohamiann", {}), ("xgb", {"num_boost_round": 20}),
    ("bayes_lin_reg", {}),
])
def test_classic_paper_presets_fit(tiny, name, overrides):
    predictor, _ = _check_fit_query(name, tiny, **overrides)
    assert predictor.target_transform is None
    assert predictor.target_map_ is None  # no quantile transform, as NASLib
    if name == "bayes_lin_reg":  # pybnn's linear regression sees the raw labels
        assert predictor.y_mean_ == 0.0 and predictor.y_scale_ == 1.0
    else:
        assert predictor.y_scale_ != 1.0


def test_gp_paper_keeps_its_hyperparameters(tiny):
    predictor, _ = _check_fit_query("gp", tiny)
    kernel = predictor.state_.kernel
    assert float(kernel.log_lengthscale.detach().exp()) == pytest.approx(1.0)  # not fitted
    assert float(kernel.variance.detach()) == pytest.approx(1.0)


# -- learning-curve presets ----------------------------------------------------------------------
def _curve_context(archs, fidelity, epochs=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(1, epochs + 1, dtype=float)
    curves = {}
    for arch in archs:
        top, rate = rng.uniform(0.5, 0.9), rng.uniform(0.2, 0.6)
        acc = 100 * top * (1 - 0.8 * np.exp(-rate * t)) + rng.normal(0, 0.3, epochs)
        loss = 2.3 * (1.1 - top) * np.exp(-rate * t) + 0.1 * (1 - top)
        curves[arch] = Curve(train_loss=loss, train_acc=acc, val_loss=-np.log(acc / 100),
                             val_acc=acc, epoch_seconds=np.ones(epochs))
    return curves, Context(space=SPACE, curves=CurveView(curves, (), fidelity), fidelity=fidelity)


def test_sotlema_paper_is_naslibs_sum_of_averages(tiny):
    archs = tiny[0][:6]
    curves, ctx = _curve_context(archs, fidelity=5)
    got = get_predictor("sotlema", config="paper").query(archs, ctx)
    for arch, score in zip(archs, got):
        losses, ema, total = curves[arch].train_loss[:5], None, 0.0
        for loss in losses:  # NASLib soloss.py: mu = 0.99 on the new loss, sum of the averages
            ema = loss if ema is None else 0.01 * ema + 0.99 * loss
            total += ema
        assert score == pytest.approx(-total)
    # the default stays Ru et al.'s last average with decay 0.9
    default = get_predictor("sotlema").query(archs, ctx)
    assert not np.allclose(default, got)


@pytest.mark.parametrize("name,overrides", [
    ("lce", {}),                               # the paper's 300 steps, one chain, 4 models
    ("lce_m", {"steps": 60, "burn": 30}),      # paper: 800 steps / 500 burn-in (slow)
])
def test_lce_paper_presets_extrapolate(tiny, name, overrides):
    archs = tiny[0][:4]
    _, ctx = _curve_context(archs, fidelity=6)
    pred = get_predictor(name, config="paper", seed=0, **overrides).query(archs, ctx)
    assert pred.shape == (4,) and np.all(np.isfinite(pred)) and np.all((pred > 0) & (pred <= 100))


def test_lcsvr_paper_preset_fits(tiny):
    train, _, test = tiny
    archs = train + test
    curves, _ = _curve_context(archs, fidelity=4)
    y = np.array([curves[a].val_acc[-1] for a in train])
    ctx = Context(space=SPACE, curves=CurveView(curves, train, 4), fidelity=4)
    predictor = get_predictor("lcsvr", config="paper", hpo_trials=10)  # paper: 1000 trials
    pred = predictor.fit(train, y, ctx).query(test, ctx)
    assert pred.shape == (len(test),) and np.all(np.isfinite(pred))
