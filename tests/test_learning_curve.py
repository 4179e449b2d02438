"""Learning-curve (`valacc`, `valloss`, `sotl`, `sotle`, `sotlema`, `lce`, `lce_m`) and hybrid
(`lcsvr`) predictors: definitions, the fidelity wall, extrapolation of curves of known form,
the samplers, rankings, and bad parameters.

Synthetic benchmarks hold NB201 archs with curves drawn from a known saturating form, so the
tests are exact and fast; one test runs `lcsvr` through `evaluate` on the shipped default
benchmark."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from benchmarks.base import Benchmark, Curve
from predictors import Context, CurveView, FidelityError, get_predictor, list_predictors
from predictors.learning_curve._curve_models import MODELS, fit_least_squares
from predictors.learning_curve._mcmc import metropolis_sample, stretch_sample
from predictors.learning_curve.lcsvr import curve_features
from search_spaces import get_search_space

SPACE = get_search_space("nb201")
LC = ["valacc", "valloss", "sotl", "sotle", "sotlema", "lce", "lce_m"]


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


class SyntheticCurves(Benchmark):
    """`n` distinct NB201 archs. By default each gets a saturating curve
    acc(t) = 100·A·(1 − 0.8·e^(−k t)) + N(0, noise) with A ~ U(0.5, 0.9), k ~ U(0.2, 0.6), a
    training loss falling at the same rate, and val_loss = −log(acc/100); `form` may replace
    the accuracy curve by any function of (t, i)."""

    kind = "synthetic"

    def __init__(self, n: int = 60, epochs: int = 8, noise: float = 0.5, seed: int = 0,
                 form=None):
        rng = np.random.default_rng(seed)
        archs: list = []
        while len(archs) < n:
            arch = SPACE.sample(rng)
            if arch not in archs:
                archs.append(arch)
        self.space, self.dataset, self.max_epochs = SPACE, "synthetic", epochs
        self._archs = archs
        t = np.arange(1, epochs + 1, dtype=float)
        self._curves = {}
        for i, arch in enumerate(archs):
            top, rate = rng.uniform(0.5, 0.9), rng.uniform(0.2, 0.6)
            if form is None:
                acc = 100 * top * (1 - 0.8 * np.exp(-rate * t))
            else:
                acc = form(t, i)
            acc = acc + rng.normal(0, noise, epochs)
            loss = 2.3 * (1.1 - top) * np.exp(-rate * t) + 0.1 * (1 - top)
            self._curves[arch] = Curve(train_loss=loss, train_acc=acc, val_loss=-np.log(acc / 100),
                                       val_acc=acc, epoch_seconds=np.ones(epochs))

    def archs(self):
        return list(self._archs)

    def curve(self, arch):
        return self._curves[arch]


@pytest.fixture(scope="module")
def bench():
    return SyntheticCurves()


def _ctx(bench, fidelity, train=(), view_fidelity=None, seed=0):
    view = CurveView.from_benchmark(bench, train, bench.archs(),
                                    fidelity if view_fidelity is None else view_fidelity)
    return Context(space=bench.space, curves=view, fidelity=fidelity, seed=seed)


# -- registry and definitions ------------------------------------------------------------------
def test_registered_with_family_and_needs():
    assert set(LC) <= set(list_predictors("learning_curve"))
    assert "lcsvr" in list_predictors("hybrid")
    for name in LC:
        needs = get_predictor(name).needs
        assert needs.query_epochs and not needs.train_set
    needs = get_predictor("lcsvr").needs
    assert needs.query_epochs and needs.train_set


@pytest.mark.parametrize("fidelity", [1, 3, 8])
def test_curve_statistics_match_their_definitions(bench, fidelity):
    archs = bench.archs()[:10]
    ctx = _ctx(bench, fidelity)
    curves = [bench.curve(a) for a in archs]
    F = fidelity
    q = {n: get_predictor(n).query(archs, ctx) for n in ["valacc", "valloss", "sotl", "sotle"]}
    assert np.array_equal(q["valacc"], [c.val_acc[F - 1] for c in curves])
    assert np.array_equal(q["valloss"], [-c.val_loss[F - 1] for c in curves])
    assert np.allclose(q["sotl"], [-c.train_loss[:F].sum() for c in curves])
    assert np.array_equal(q["sotle"], [-c.train_loss[F - 1] for c in curves])  # exactly
    gamma = 0.9
    ema = get_predictor("sotlema", decay=gamma).query(archs, ctx)
    weights = (1 - gamma) * gamma ** np.arange(F - 1, -1, -1)
    assert np.allclose(ema, [-(weights * c.train_loss[:F]).sum() for c in curves])
    # decay 0 keeps only the last loss: SoTL-E
    assert np.allclose(get_predictor("sotlema", decay=0.0).query(archs, ctx), q["sotle"])


def test_curve_statistics_rank_sensibly(bench):
    archs = bench.archs()
    y = bench.final_val_acc(archs)
    ctx = _ctx(bench, 4)
    for name in ["valacc", "valloss", "sotl", "sotle", "sotlema"]:
        scores = get_predictor(name).query(archs, ctx)
        assert np.all(np.isfinite(scores))
        assert kendalltau(y, scores).statistic > 0.5, name


def test_lce_rankings_are_finite_and_sensible(bench):
    archs = bench.archs()[:10]
    y = bench.final_val_acc(archs)
    ctx = _ctx(bench, 4)
    for name in ["lce", "lce_m"]:
        predictor = get_predictor(name)
        scores = predictor.query(archs, ctx)
        assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 100))
        assert kendalltau(y, scores).statistic > 0.5, name
        assert predictor.fallbacks_["mcmc"] >= 9, predictor.fallbacks_


# -- the fidelity wall -------------------------------------------------------------------------
@pytest.mark.parametrize("name", LC)
def test_reading_epoch_f_plus_one_of_a_query_arch_fails(bench, name):
    # a context that claims fidelity 4 over a view that only allows 3: the view refuses
    ctx = _ctx(bench, 4, view_fidelity=3)
    with pytest.raises(FidelityError):
        get_predictor(name).query(bench.archs()[:2], ctx)


def test_lcsvr_cannot_read_past_the_fidelity_of_query_archs(bench):
    archs = bench.archs()
    train, test = archs[:30], archs[30:35]
    ctx = _ctx(bench, 3, train=train, view_fidelity=2)
    predictor = get_predictor("lcsvr", hpo_trials=0).fit(train, bench.final_val_acc(train), ctx)
    with pytest.raises(FidelityError):  # train archs are seen in full, query archs are not
        predictor.query(test, ctx)


def test_no_fidelity_or_no_curves_is_a_clear_error(bench):
    with pytest.raises(ValueError, match="fidelity"):
        get_predictor("sotle").query(bench.archs()[:2], _ctx(bench, 0))
    with pytest.raises(ValueError, match="curves"):
        get_predictor("lce").query(bench.archs()[:2], Context(space=SPACE, fidelity=2))


# -- extrapolation of curves of known form -----------------------------------------------------
POW3 = (lambda t, i: 100 * (0.85 - 0.6 * t ** -0.6), "pow3")
SATURATING = (lambda t, i: 100 * (0.8 - 0.6 * np.exp(-0.25 * t)), "saturating exponential")


@pytest.mark.parametrize("form", [POW3, SATURATING], ids=lambda f: f[1])
@pytest.mark.parametrize("name", ["lce", "lce_m"])
def test_lce_extrapolates_a_known_curve_from_its_first_half(name, form):
    """16-epoch curves with noise σ = 0.3 points; from epochs 1..8 the prediction of epoch 16
    must be within 4 points of the noiseless truth (the last observed value is 7–9 points
    short), and on average less than half as far from it as the last observed value."""
    function, _ = form
    bench = SyntheticCurves(n=3, epochs=16, noise=0.3, seed=1, form=function)
    truth = float(function(np.array([16.0]), 0)[0])
    archs = bench.archs()
    predictor = get_predictor(name)
    pred = predictor.query(archs, _ctx(bench, 8))
    last = np.array([bench.curve(a).val_acc[7] for a in archs])
    assert predictor.fallbacks_ == {"mcmc": 3}
    assert np.all(np.abs(pred - truth) < 4.0), (pred, truth)
    assert np.mean(np.abs(pred - truth)) < 0.5 * np.mean(np.abs(last - truth)), (pred, last, truth)


@pytest.mark.parametrize("name", ["lce", "lce_m"])
def test_lce_falls_back_to_the_last_value_on_short_curves(bench, name):
    archs = bench.archs()[:5]
    predictor = get_predictor(name)
    pred = predictor.query(archs, _ctx(bench, 2))
    assert np.array_equal(pred, [bench.curve(a).val_acc[1] for a in archs])
    assert predictor.fallbacks_ == {"last_value": 5}


def test_lce_never_crashes_on_awkward_curves():
    # flat, falling and saturated-at-100 curves: no exception, finite predictions in range
    forms = [lambda t, i: np.full(t.shape, 30.0), lambda t, i: 60 - 3 * t,
             lambda t, i: np.minimum(100.0, 90 + 5 * t)]
    for form in forms:
        bench = SyntheticCurves(n=1, epochs=8, noise=0.0, seed=2, form=form)
        for name in ["lce", "lce_m"]:
            pred = get_predictor(name).query(bench.archs(), _ctx(bench, 4))
            assert np.all(np.isfinite(pred)) and np.all((pred >= 0) & (pred <= 100))


def test_lce_is_deterministic_and_independent_of_query_company(bench):
    archs = bench.archs()[:2]
    ctx = _ctx(bench, 4, seed=7)
    together = get_predictor("lce_m").query(archs, ctx)
    alone = get_predictor("lce_m").query(archs[1:2], ctx)
    assert together[1] == alone[0]
    assert np.array_equal(together, get_predictor("lce_m").query(archs, ctx))


def test_least_squares_recovers_a_noiseless_curve():
    model = MODELS["pow3"]
    x = np.arange(1, 11, dtype=float)
    theta = np.array([0.8, 0.5, 0.7])
    fitted = fit_least_squares(model, x, model(theta, x), iterations=60)
    assert fitted is not None
    assert np.allclose(model(fitted, np.array([50.0])), model(theta, np.array([50.0])), atol=5e-3)


def test_samplers_recover_a_gaussian():
    mean, std = np.array([1.0, -2.0]), np.array([0.5, 2.0])

    def log_prob(points):
        return -0.5 * np.sum(((points - mean) / std) ** 2, axis=1), points[:, 0].copy()

    rng = np.random.default_rng(0)
    start = mean + rng.normal(0, 0.1, (32, 2))
    blobs, points, rate = stretch_sample(log_prob, start, steps=600, burn=100, rng=rng)
    flat = points.reshape(-1, 2)
    assert 0.2 < rate < 0.9
    assert np.allclose(flat.mean(axis=0), mean, atol=0.25)
    assert np.allclose(flat.std(axis=0), std, rtol=0.2)
    assert np.allclose(blobs.reshape(-1), flat[:, 0])
    blobs, points, rate = metropolis_sample(log_prob, np.tile(mean, (16, 1)), np.ones(2),
                                            steps=1500, burn=300, rng=rng)
    flat = points.reshape(-1, 2)
    assert 0.1 < rate < 0.6
    assert np.allclose(flat.mean(axis=0), mean, atol=0.3)
    assert np.allclose(flat.std(axis=0), std, rtol=0.25)


# -- lcsvr -------------------------------------------------------------------------------------
def test_lcsvr_features():
    c = np.array([10.0, 30.0, 40.0, 45.0])
    d1, d2 = np.diff(c), np.diff(c, 2)
    expected = [c.mean(), c.std(), d1.mean(), d1.std(), d2.mean(), d2.std()]
    assert np.allclose(curve_features(c), expected)
    assert np.array_equal(curve_features(np.array([12.0])), [12.0, 0, 0, 0, 0, 0])


def test_lcsvr_ranks_synthetic_curves_with_and_without_encoding(bench):
    archs = bench.archs()
    train, test = archs[:40], archs[40:]
    y = bench.final_val_acc(archs)
    ctx = _ctx(bench, 3, train=train)
    for use_encoding in (False, True):
        predictor = get_predictor("lcsvr", use_encoding=use_encoding, hpo_trials=5)
        scores = predictor.fit(train, y[:40], ctx).query(test, ctx)
        assert np.all(np.isfinite(scores))
        assert kendalltau(y[40:], scores).statistic > 0.4
    assert set(predictor.best_params_) == {"C", "nu", "gamma"}
    with pytest.raises(ValueError, match="fidelity"):
        predictor.query(test, _ctx(bench, 2, train=train))


def test_lcsvr_through_evaluate_beats_chance_on_the_default_benchmark():
    from benchmarks import load_benchmark
    from experiments import evaluate

    frame = evaluate(load_benchmark("default"), get_predictor("lcsvr", hpo_trials=4),
                     train_sizes=[50], fidelities=[2], test_size=100, seeds=[0])
    assert frame["error"].isna().all(), frame["error"].tolist()
    assert frame["kendalltau"].iloc[0] > 0.2


# -- bad parameters ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, params", [
    ("sotlema", {"decay": 1.0}), ("sotlema", {"decay": -0.1}), ("sotlema", {"decay": "x"}),
    ("lce", {"models": ["pow3", "nope"]}), ("lce", {"models": []}),
    ("lce", {"steps": 10, "burn": 10}), ("lce", {"chains": 0}), ("lce", {"noise_floor": 0}),
    ("lce", {"min_points": 1}), ("lce_m", {"walkers": 5}), ("lce_m", {"steps": 0}),
    ("lcsvr", {"nu": 0}), ("lcsvr", {"C": -1.0}), ("lcsvr", {"gamma": "wide"}),
    ("lcsvr", {"hpo_folds": 1}), ("lcsvr", {"use_encoding": "yes"}), ("lce", {"unknown": 1}),
])
def test_bad_parameters_raise_value_error(name, params):
    with pytest.raises(ValueError):
        get_predictor(name, **params)


def test_lcsvr_bad_fit_input(bench):
    archs = bench.archs()[:10]
    ctx = _ctx(bench, 2, train=archs)
    with pytest.raises(ValueError, match="labels"):
        get_predictor("lcsvr").fit(archs, np.ones(9), ctx)
    with pytest.raises(ValueError, match="fit before query"):
        get_predictor("lcsvr").query(archs, ctx)
