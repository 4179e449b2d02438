"""The contract every registered predictor keeps (DESIGN §3, `predictors/base.py`), checked over
`list_predictors()` in the spirit of scikit-learn's common estimator checks: a new predictor file
is tested by being registered.

- construction with the defaults; the constructor stores its arguments as-is, under their own
  names, and does no work (it sets no other attribute: no fitted `..._` state, no caches);
- `get_params` round-trips through the constructor; a clone (`type(p)(**p.get_params())`, what
  the evaluator makes) has the same parameters and none of the fitted state;
- `fit` returns the predictor and leaves its parameters unchanged; `query` gives one finite
  float per arch, on a tiny benchmark of every search space the predictor claims; model-based
  predictors with `supports_std` also give a finite, non-negative std;
- a clearly invalid numeric hyperparameter raises a ValueError naming it in the constructor or in
  `fit` at the latest (not deep inside `query`, and never silently).

Benchmarks: learning-curve and model-based predictors get a tiny synthetic curve benchmark of
the space (E = 6 epochs, fidelity 3); predictors that build networks (zero-cost, weight-sharing,
OMNI) get the shipped default benchmark on nb201, and on the other spaces the synthetic curves
with the default benchmark's 8x8 images as their data. Settings are tiny (`fast_params`).

Known contract violations are listed in `KNOWN` and run as strict xfails: fixing one makes its
test XPASS (a failure), which is the reminder to remove the entry.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pytest

from benchmarks.base import Benchmark, Curve
from predictors import FAMILIES, Context, Needs, list_predictors
from predictors.base import predictor_class
from predictors.model_based.base import ModelBasedPredictor
from predictors.weight_sharing import WeightSharingPredictor
from predictors.weight_sharing._supernet import SPACES as SUPERNET_SPACES
from search_spaces import get_search_space

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

#: the shipped predictors (tests elsewhere register throwaway ones for the length of a test)
ALL = [n for n in list_predictors() if predictor_class(n).__module__.startswith("predictors.")]
SPACES = ("nb201", "nb101", "darts")
FIDELITY = 3
N_TRAIN, N_QUERY = 12, 6
#: the smallest network preset each space has (zero-cost networks, supernets, OMNI's proxies)
NET_PRESET = {"nb201": "small", "nb101": "tiny", "darts": "tiny"}
NETWORK_FAMILIES = ("zero_cost", "weight_sharing", "ensemble")

#: tiny settings per predictor (every registered predictor must be listed, {} when its defaults
#: are already fast): a fit and a query take well under a second on one core
FAST: dict[str, dict[str, Any]] = {
    # model-based
    "bananas": dict(epochs=3, num_ensemble=2, num_layers=2, layer_width=8),
    "bayes_lin_reg": {},
    "bohamiann": dict(num_steps=60, num_burn_in_steps=20, keep_every=10),
    "bonas": dict(epochs=3, gcn_hidden=16, gcn_layers=2),
    "dngo": dict(num_epochs=5),
    "gcn": dict(epochs=3, gcn_hidden=16, linear_hidden=16),
    "gp": dict(max_iter=10),
    "gpwl": dict(max_h=1),
    "lgb": dict(num_boost_round=10),
    "mlp": dict(epochs=3, num_layers=2, layer_width=16),
    "nao": dict(epochs=3, hidden_size=16, mlp_hidden_size=16, batch_size=8),
    "ngb": dict(n_estimators=10),
    "rf": dict(n_estimators=10),
    "seminas": dict(epochs=2, hidden_size=16, mlp_hidden_size=16, batch_size=8, num_unlabeled=8,
                    semi_epochs=1),
    "sparse_gp": dict(num_inducing=5, max_iter=10),
    "svr": {},
    "var_sparse_gp": dict(num_inducing=5, steps=20),
    "xgb": dict(num_boost_round=10),
    # learning curve / hybrid
    "lce": dict(chains=2, steps=20, burn=10),
    "lce_m": dict(steps=20, burn=10),
    "lcsvr": dict(hpo_trials=2),
    "sotl": {}, "sotle": {}, "sotlema": {}, "valacc": {}, "valloss": {},
    # zero-cost (+ `preset` per space, see fast_params)
    **{name: dict(batch_size=8) for name in (
        "epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot",
        "params", "plain", "snip", "synflow", "zen", "zc_ensemble")},
    # weight-sharing: 3 training steps on 50 images, 32 validation images
    **{name: dict(epochs=1, data_fraction=0.005, batch_size=16, bn_batches=1, bn_batch_size=16,
                  val_samples=32) for name in ("oneshot", "rsws")},
    # OMNI (+ `preset` per space)
    "omni": dict(proxies=("jacov", "synflow"), model_params={"num_boost_round": 10},
                 zc_batch_size=8),
    "omni_ngb": dict(hpo_trials=0, n_estimators=10, zc_batch_size=8),
    "omni_seminas": dict(epochs=2, max_steps=20, hidden_size=16, mlp_hidden_size=16,
                         batch_size=8, num_unlabeled=8, semi_epochs=1, zc_batch_size=8),
}

#: clearly invalid values of numeric hyperparameters, per predictor
BAD: dict[str, list[tuple[str, Any]]] = {
    "bananas": [("epochs", -1), ("num_ensemble", 0)],
    "bayes_lin_reg": [("alpha", -1.0)],
    "bohamiann": [("num_steps", -1)],
    "bonas": [("epochs", -1)],
    "dngo": [("num_epochs", -1)],
    "gcn": [("epochs", -1)],
    "gp": [("max_iter", -1)],
    "gpwl": [("max_h", -1)],
    "lgb": [("num_boost_round", -1)],
    "mlp": [("epochs", -1), ("batch_size", 0)],
    "nao": [("epochs", -1)],
    "ngb": [("n_estimators", -1)],
    "rf": [("n_estimators", -1)],
    "seminas": [("epochs", -1)],
    "sparse_gp": [("num_inducing", 0)],
    "svr": [("C", -1.0)],
    "var_sparse_gp": [("steps", -1)],
    "xgb": [("num_boost_round", -1)],
    "lce": [("chains", 0)],
    "lce_m": [("steps", 0)],
    "lcsvr": [("C", -1.0)],
    "sotlema": [("decay", 2.0)],
    **{name: [("batch_size", -1)] for name in (
        "epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot",
        "params", "plain", "snip", "synflow", "zen", "zc_ensemble")},
    "oneshot": [("epochs", -1), ("data_fraction", 0.0)],
    "rsws": [("epochs", -1)],
    "omni": [("zc_batch_size", -1)],
    "omni_ngb": [("n_estimators", -1)],
    "omni_seminas": [("epochs", -1)],
}
# every model-based predictor shares the HPO arguments
for _name in ALL:
    if issubclass(predictor_class(_name), ModelBasedPredictor):
        BAD.setdefault(_name, []).append(("hpo_trials", -1))

#: (check, predictor[, parameter]) -> why it fails today (strict xfail; see the module docstring)
KNOWN: dict[tuple[str, ...], str] = {}


def _known(check: str, *key: str) -> list[Any]:
    reason = KNOWN.get((check, *key))
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


def fast_params(name: str, space: str = "nb201") -> dict[str, Any]:
    params = dict(FAST[name])
    if "preset" in inspect.signature(predictor_class(name).__init__).parameters:
        params["preset"] = NET_PRESET[space]
    return params


def claimed_spaces(name: str) -> list[str]:
    """The spaces a predictor says it supports: weight-sharing predictors the spaces with a
    supernet (`_supernet.SPACES`, checked by `check_space`); model-based ones every space (their
    `supported_encodings` are kinds every space encodes); learning-curve predictors do not look
    at the space; zero-cost ones need only `SearchSpace.build_network`."""
    if issubclass(predictor_class(name), WeightSharingPredictor):
        return [s for s in SPACES if s in SUPERNET_SPACES]
    return list(SPACES)


def _signature_params(cls: type) -> dict[str, inspect.Parameter]:
    return {p.name: p for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


# -- tiny benchmarks -----------------------------------------------------------------------------
def _sane(space: Any, arch: Any) -> bool:
    """nb201 cells without `none`: every op lies on an input-output path, so every zero-cost
    proxy is finite (an all-`none` cell's network never sees its input)."""
    return space.name != "nb201" or 0 not in arch.ops


class TinyCurves(Benchmark):
    """`n` distinct sane archs of a space with saturating synthetic curves over `epochs` epochs
    (a function of the arch's index, so labels vary), optionally carrying image data."""

    kind = "tiny_curves"

    def __init__(self, space: str, n: int = N_TRAIN + N_QUERY, epochs: int = 6, seed: int = 0,
                 images: Any = None):
        self.space, self.dataset, self.max_epochs = get_search_space(space), "synthetic", epochs
        rng = np.random.default_rng(seed)
        archs: list = []
        while len(archs) < n:
            arch = self.space.sample(rng)
            if arch not in archs and _sane(self.space, arch):
                archs.append(arch)
        self._archs = archs
        self.data = images
        self.has_batches = images is not None
        t = np.arange(1, epochs + 1, dtype=float)
        self._curves = {}
        for arch in archs:
            top, rate = rng.uniform(0.5, 0.9), rng.uniform(0.2, 0.6)
            acc = 100 * top * (1 - 0.8 * np.exp(-rate * t)) + rng.normal(0, 0.3, epochs)
            loss = 2.3 * (1.1 - top) * np.exp(-rate * t) + 0.1 * (1 - top)
            self._curves[arch] = Curve(train_loss=loss, train_acc=acc, val_loss=-np.log(acc / 100),
                                       val_acc=acc, epoch_seconds=np.ones(epochs))

    def archs(self):
        return list(self._archs)

    def curve(self, arch):
        return self._curves[arch]

    def batch(self, n, seed):
        return self.data.batch(n, seed)


_BENCHES: dict[tuple[str, bool], Benchmark] = {}


def tiny_problem(name: str, space: str, default_benchmark: Benchmark):
    """(train archs, their labels, query archs, context at `FIDELITY`) for `name` on `space`."""
    images = predictor_class(name).family in NETWORK_FAMILIES
    if images and space == "nb201":
        bench = default_benchmark
        pool = [a for a in bench.archs() if _sane(bench.space, a)]
        order = np.random.default_rng(0).permutation(len(pool))[:N_TRAIN + N_QUERY]
        archs = [pool[i] for i in order]
    else:
        key = (space, images)
        if key not in _BENCHES:
            _BENCHES[key] = TinyCurves(space, images=default_benchmark.data if images else None)
        bench = _BENCHES[key]
        archs = bench.archs()
    train, query = archs[:N_TRAIN], archs[N_TRAIN:]
    ctx = Context.for_benchmark(bench, train, query, FIDELITY, seed=0)
    return train, bench.final_val_acc(train), query, ctx


# -- registration, construction, parameters ------------------------------------------------------
def test_every_predictor_has_fast_settings_and_bad_values():
    """A new predictor must say how to run it cheaply here and which values it must refuse."""
    assert sorted(FAST) == ALL, "add the new predictor to FAST"
    with_params = [n for n in ALL if _signature_params(predictor_class(n))]
    assert [n for n in with_params if n not in BAD] == [], "add bad values to BAD"


@pytest.mark.parametrize("name", ALL)
def test_registered_class_attributes(name):
    cls = predictor_class(name)
    assert cls.name == name
    assert cls.family in FAMILIES
    assert isinstance(cls.needs, Needs)
    assert cls.output_scale in ("label", "score")
    for config, params in cls.configs.items():
        unknown = set(params) - set(_signature_params(cls))
        assert not unknown, f"config {config!r} sets unknown parameters {unknown}"


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=_known("init", n)) for n in ALL])
def test_constructor_stores_its_arguments_and_does_no_work(name):
    cls = predictor_class(name)
    signature = _signature_params(cls)
    p = cls()
    params = p.get_params()
    assert set(params) == set(signature), "every constructor argument is stored under its name"
    for key, parameter in signature.items():
        assert params[key] is parameter.default or params[key] == parameter.default, key
    # the constructor sets its arguments and nothing else: no fitted `..._` state, no caches
    assert set(vars(p)) <= set(signature), sorted(set(vars(p)) - set(signature))
    # non-default arguments are stored as given
    given = FAST[name]
    stored = cls(**given).get_params()
    for key, value in given.items():
        same = stored[key] == value and type(stored[key]) is type(value)
        assert stored[key] is value or same, f"{key}={value!r} stored as {stored[key]!r}"


@pytest.mark.parametrize("name", ALL)
def test_get_params_round_trips_and_clone_is_fresh(name):
    cls = predictor_class(name)
    for p in (cls(), cls(**fast_params(name))):
        params = p.get_params()
        clone = type(p)(**params)
        assert clone is not p and type(clone) is type(p)
        assert clone.get_params() == params
        assert repr(clone) == repr(p)


# -- fit and query on every claimed space --------------------------------------------------------
FIT_CASES = [pytest.param(name, space, id=f"{name}-{space}", marks=_known("fit", name, space))
             for name in ALL for space in claimed_spaces(name)]


@pytest.mark.parametrize("name, space", FIT_CASES)
def test_fit_query_on_every_claimed_space(name, space, default_benchmark):
    train, y, query, ctx = tiny_problem(name, space, default_benchmark)
    p = predictor_class(name)(**fast_params(name, space))
    before = repr(p.get_params())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. convergence warnings of tiny fits
        assert p.fit(train, y, ctx) is p, "fit returns the predictor"
        assert repr(p.get_params()) == before, "fit changed a hyperparameter"
        out = p.query(query, ctx)
        assert isinstance(out, np.ndarray) and out.shape == (len(query),), np.shape(out)
        assert out.dtype.kind == "f", out.dtype
        assert np.all(np.isfinite(out)), out
        if isinstance(p, ModelBasedPredictor) and p.supports_std:
            mean, std = p.query(query, ctx, return_std=True)
            assert mean.shape == std.shape == (len(query),)
            assert np.allclose(mean, out) and np.all(np.isfinite(std)) and np.all(std >= 0), std
    # a clone of the fitted predictor shares none of its fitted state
    clone = type(p)(**p.get_params())
    shared = [k for k, v in vars(p).items() if k.endswith("_") and vars(clone).get(k) is v
              and not isinstance(v, (type(None), bool, int, float, str, tuple))]
    assert not shared, f"the clone shares fitted state {shared}"


# -- bad parameters are refused by fit at the latest ----------------------------------------------
BAD_CASES = [pytest.param(name, key, value, id=f"{name}-{key}={value}",
                          marks=_known("bad", name, key))
             for name in ALL for key, value in BAD.get(name, [])]


@pytest.mark.parametrize("name, key, value", BAD_CASES)
def test_bad_parameter_refused_by_fit_at_the_latest(name, key, value, default_benchmark):
    train, y, _, ctx = tiny_problem(name, "nb201", default_benchmark)
    params = {**fast_params(name), key: value}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as raised:
            predictor_class(name)(**params).fit(train, y, ctx)
    message = str(raised.value)
    assert key in message or key.replace("_", " ") in message, \
        f"the error does not name {key!r}: {message}"
