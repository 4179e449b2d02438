"""OMNI ensemble predictors (omni, omni_ngb, omni_seminas) on the shipped default benchmark: fit and
query, ranking better than chance, ablations, the zero-cost cache, HPO selection, the fidelity
wall, bad parameters. Tiny: 30 train + 30 test cells at fidelity 3, small models, and the real
zero-cost scores computed once per module (`SCORES`) and handed to each predictor's cache."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy.stats import kendalltau

from benchmarks import load_benchmark
from predictors import Context, CurveView, FidelityError, get_predictor, list_predictors
from predictors.ensembles import _features
from predictors.ensembles._features import OmniWarning, ZeroCostCache

PRESET = "small"  # the network the default benchmark trained
PROXIES = ("jacov", "synflow")
FAST = {
    "omni": dict(preset=PRESET, proxies=PROXIES, model_params={"num_boost_round": 60}),
    "omni_ngb": dict(preset=PRESET, hpo_trials=0, n_estimators=25),
    "omni_seminas": dict(preset=PRESET, epochs=60, max_steps=150, hidden_size=32),
}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def data():
    bench = load_benchmark("default")
    pool = list(bench.archs())
    order = np.random.default_rng(3).permutation(len(pool))
    train = [pool[i] for i in order[:30]]
    test = [pool[i] for i in order[30:60]]
    return bench, train, test, bench.final_val_acc(train), bench.final_val_acc(test)


@pytest.fixture(scope="module")
def scores(data):
    """The real zero-cost scores of the 60 cells under seed 0, computed once."""
    bench, train, test, _, _ = data
    cache = ZeroCostCache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dead cells score NaN (and are imputed)
        cache.scores(train + test, _ctx(bench, train, 3), PROXIES, preset=PRESET,
                     batch_size=64, seed=0, who="test")
    return cache


def _ctx(bench, train, fidelity, batch=True, curves=None):
    ctx = Context.for_benchmark(bench, train, _query_archs(bench), fidelity, seed=0)
    if curves is not None:
        ctx.curves = curves
    if not batch:
        ctx.batch = ctx.data = None
    return ctx


def _query_archs(bench):
    if not hasattr(bench, "_test_query_archs"):
        bench._test_query_archs = bench.archs()  # every arch these tests may query
    return bench._test_query_archs


def _predictor(name, scores, **params):
    predictor = get_predictor(name, **{**FAST[name], **params})
    predictor._zc_cache = ZeroCostCache()  # a copy of the shared scores: tests stay independent
    predictor._zc_cache.store.update(scores.store)
    return predictor


def test_registered_as_ensembles():
    assert {"omni", "omni_ngb", "omni_seminas"} <= set(list_predictors("ensemble"))
    for name in ("omni", "omni_ngb", "omni_seminas"):
        needs = get_predictor(name).needs
        assert needs.train_set and needs.query_epochs and needs.network


@pytest.mark.parametrize("name", ["omni", "omni_ngb", "omni_seminas"])
def test_fit_query_finite_and_beats_chance(name, data, scores):
    bench, train, test, y, y_test = data
    ctx = _ctx(bench, train, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predictor = _predictor(name, scores).fit(train, y, ctx)
        pred = predictor.query(test, ctx)
    assert pred.shape == (len(test),) and np.all(np.isfinite(pred))
    assert predictor.zero_cost_cache.archs_scored == 0  # everything came from the cache
    tau = kendalltau(y_test, pred).statistic
    assert tau > 0.3, f"{name}: Kendall tau {tau:.3f} on 30 test cells"


def test_omni_ngb_uses_sotle_only_from_fidelity_3(data, scores):
    bench, train, _, y, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        low = _predictor("omni_ngb", scores, n_estimators=3).fit(train, y, _ctx(bench, train, 2))
        high = _predictor("omni_ngb", scores, n_estimators=3).fit(train, y, _ctx(bench, train, 3))
        seminas = _predictor("omni_seminas", scores, epochs=2, num_unlabeled=8).fit(
            train, y, _ctx(bench, train, 2))
    assert low.features_.curves == () and high.features_.curves == ("sotle",)
    assert low.features_.proxies == high.features_.proxies == ("jacov",)
    assert seminas.epochs_ == 0 and seminas.use_jacov_
    # below F = 3 SemiNAS self-trains: the 8 unlabelled archs got jacov scores of their own
    assert seminas.zero_cost_cache.archs_scored == 8


@pytest.mark.parametrize("params, fidelity, expected", [
    (dict(proxies=()), 3, ["sotle", "encoding"]),
    (dict(curve_features=()), 3, ["jacov", "synflow", "encoding"]),
    (dict(encoding=None), 3, ["jacov", "synflow", "sotle"]),
    (dict(), 0, ["jacov", "synflow", "encoding"]),  # no epochs: curve features left out
    (dict(proxies=(), encoding=None, curve_features=("sotle", "sotl", "valacc", "valloss")), 1,
     ["sotle", "sotl", "valacc", "valloss"]),
    (dict(model="lgb", model_params=None), 3, ["jacov", "synflow", "sotle", "encoding"]),
    (dict(model="ngb", model_params={"n_estimators": 40}), 3,
     ["jacov", "synflow", "sotle", "encoding"]),
])
def test_omni_ablations_run(params, fidelity, expected, data, scores):
    bench, train, test, y, y_test = data
    ctx = _ctx(bench, train, fidelity)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _features.proxy_predictors.ZeroCostWarning)
        predictor = _predictor("omni", scores, **params).fit(train, y, ctx)
        pred = predictor.query(test, ctx)
    assert predictor.features_.names == expected
    assert np.all(np.isfinite(pred)) and np.std(pred) > 0


def test_omni_all_sources_off_is_an_error():
    with pytest.raises(ValueError, match="every information source is disabled"):
        get_predictor("omni", proxies=(), curve_features=(), encoding=None)


def test_omni_without_batches_drops_data_proxies_with_one_warning(data, scores):
    bench, train, test, y, _ = data
    ctx = _ctx(bench, train, 3, batch=False)
    predictor = _predictor("omni", scores, proxies=("jacov", "synflow"))
    predictor._zc_cache.store = {k: v for k, v in scores.store.items() if k[1] == "synflow"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictor.fit(train, y, ctx)
        predictor.query(test, ctx)
    ours = [w for w in caught if issubclass(w.category, OmniWarning)]
    assert len(ours) == 1 and "jacov" in str(ours[0].message)
    assert predictor.features_.proxies == ("synflow",)
    # no batch, no curves (fidelity 0), no encoding: nothing usable is left
    empty = get_predictor("omni", preset=PRESET, proxies=("jacov",), encoding=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OmniWarning)
        with pytest.raises(ValueError, match="no information source is usable"):
            empty.fit(train, y, _ctx(bench, train, 0, batch=False))


def test_zero_cost_scores_are_cached_per_instance(data, monkeypatch):
    bench, train, test, y, _ = data
    calls: list[tuple[str, int]] = []

    def fake_score_archs(archs, ctx, proxies, *, preset, batch_size, seed, who):
        calls.extend((str(a), seed) for a in archs)
        return {p: np.array([hash((str(a), p, seed)) % 1000 / 10.0 for a in archs])
                for p in proxies}

    monkeypatch.setattr(_features.proxy_predictors, "score_archs", fake_score_archs)
    for name in ("omni", "omni_seminas"):
        calls.clear()
        predictor = get_predictor(name, **FAST[name])
        ctx = _ctx(bench, train, 3)
        predictor.fit(train[:20], y[:20], ctx)       # a NAS loop refits on a growing set
        predictor.fit(train, y, ctx)
        predictor.query(test, ctx)
        predictor.query(test[:10], ctx)
        assert sorted(c[0] for c in calls) == sorted(str(a) for a in train + test), name
        assert predictor.zero_cost_cache.archs_scored == 60
        predictor.fit(train, y, Context(**{**ctx.__dict__, "seed": 1}))  # another seed: new scores
        assert predictor.zero_cost_cache.archs_scored == 90


def test_hpo_keeps_the_best_held_out_configuration():
    predictor = get_predictor("omni_ngb", hpo_trials=5, hpo_seconds=None)
    levels = itertools.cycle([3.0, 0.0, 10.0, 1.0])
    # a fake model: predicts z plus noise of the sampled `level` (0 = perfect); trial 0 (the
    # defaults, no level) is the noisiest. NASLib's min-score rule would keep level 10.
    predictor.hyperparameter_space = {"level": lambda rng: next(levels)}
    tried: list[float] = []

    def fake_fit(X, z, params, rng):
        tried.append(params.get("level", 30.0))
        return params.get("level", 30.0)

    def fake_predict(level, X):
        noise = np.random.default_rng(int(level * 10)).normal(size=len(X))
        return X[:, 0] + level * noise, None

    predictor._fit, predictor._predict = fake_fit, fake_predict
    z = np.random.default_rng(0).normal(size=60)
    best = predictor._random_search(z[:, None], z, predictor.get_params(), seed=0)
    assert best["level"] == 0.0 and predictor.hpo_score_ == pytest.approx(1.0)
    assert predictor.hpo_trials_run_ == 5 and set(tried) == {30.0, 3.0, 0.0, 10.0, 1.0}


class SpyView(CurveView):
    """A CurveView that records every epoch count read per arch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads: list[tuple[object, int]] = []

    def partial(self, arch, epochs):
        self.reads.append((arch, epochs))
        return super().partial(arch, epochs)

    def curve(self, arch):
        raise AssertionError("OMNI must read curves only through partial()")


@pytest.mark.parametrize("name", ["omni", "omni_ngb", "omni_seminas"])
def test_query_archs_are_read_only_up_to_the_fidelity(name, data, scores):
    bench, train, test, y, _ = data
    view = SpyView({a: bench.curve(a) for a in train + test}, train, 3, bench.max_epochs)
    ctx = _ctx(bench, train, 3, curves=view)
    params = {"curve_features": ("sotle", "valacc")} if name == "omni" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predictor = _predictor(name, scores, **params).fit(train, y, ctx)
        predictor.query(test, ctx)
    query_reads = [e for a, e in view.reads if a in set(test)]
    assert len(query_reads) >= len(test) and max(query_reads) == 3
    assert all(e == 3 for _, e in view.reads)  # train archs are featurised alike
    lower = _ctx(bench, train, 2)  # the model wants epoch 3, which this context hides
    with pytest.raises(FidelityError):
        predictor.query(test, lower)


@pytest.mark.parametrize("name, params, match", [
    ("omni", dict(proxies=("no_such_proxy",)), "unknown zero-cost proxy"),
    ("omni", dict(proxies="jacov"), "tuple of proxy names"),
    ("omni", dict(curve_features=("sotle", "lc")), "unknown curve feature"),
    ("omni", dict(model="rf"), "model must be one of"),
    ("omni", dict(model_params={"no_such": 1}), "has no parameter"),
    ("omni", dict(encoding=3), "encoding must be"),
    ("omni_ngb", dict(hpo_trials=-1), "hpo_trials"),
    ("omni_ngb", dict(hpo_folds=1), "hpo_folds"),
    ("omni_seminas", dict(bins=1), "bins"),
    ("omni_seminas", dict(num_unlabeled=-5), "num_unlabeled"),
])
def test_bad_parameters_raise(name, params, match):
    with pytest.raises(ValueError, match=match):
        get_predictor(name, **params)


def test_bad_input_raises(data, scores):
    bench, train, test, y, _ = data
    ctx = _ctx(bench, train, 3)
    with pytest.raises(ValueError, match="labels"):
        _predictor("omni", scores).fit(train, y[:-1], ctx)
    with pytest.raises(RuntimeError, match="fit"):
        get_predictor("omni").query(test, ctx)
    with pytest.raises(ValueError, match="encoding"):
        _predictor("omni", scores, encoding="no_such_encoding").fit(train, y, ctx)
