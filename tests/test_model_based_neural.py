"""Neural model-based predictors (mlp, bananas, gcn, bonas, nao, seminas): they learn a synthetic
target on NB201 and NB101, are deterministic under a seed, give an ensemble std (bananas), reject
unsupported encodings and run on DARTS. Epochs are reduced to keep the file fast."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from predictors import Context, get_predictor, list_predictors
from predictors.model_based._sequence import tokenize, vocabulary
from search_spaces import get_search_space

NEURAL = ("mlp", "bananas", "gcn", "bonas", "nao", "seminas")

# reduced budgets: enough to learn the synthetic target, a few seconds per fit. bananas learns on
# the adjacency encoding here: a weighted op count is not a function of the path encoding on NB101
# (parallel vertices with one op share a path index) and needs far more than 120 archs to be
# learned from NB201's pairs/triples of path ops; its default path encoding runs in the std and
# DARTS tests (and is what the real-data accuracy runs use).
FAST = {
    "mlp": {"epochs": 60},
    "bananas": {"epochs": 60, "encoding": "adjacency_one_hot"},
    "gcn": {"epochs": 100, "gcn_hidden": 64},
    "bonas": {"epochs": 60},
    "nao": {"epochs": 40, "batch_size": 32, "hidden_size": 32},
    "seminas": {"epochs": 30, "batch_size": 32, "hidden_size": 32, "num_unlabeled": 100,
                "semi_epochs": 10},
}
TINY = {  # for the cheap checks (determinism, DARTS smoke)
    "mlp": {"epochs": 3}, "bananas": {"epochs": 3}, "gcn": {"epochs": 3}, "bonas": {"epochs": 3},
    "nao": {"epochs": 3}, "seminas": {"epochs": 2, "num_unlabeled": 10, "semi_epochs": 1},
}

# op weights of the synthetic target: conv3x3 matters most, then conv1x1, then pooling
NB201_WEIGHT = {"nor_conv_3x3": 1.0, "nor_conv_1x1": 0.45, "avg_pool_3x3": 0.15}
NB101_WEIGHT = {"conv3x3-bn-relu": 1.0, "conv1x1-bn-relu": 0.45, "maxpool3x3": 0.15}


def _synthetic(space_name: str, n: int, seed: int):
    """`n` distinct archs and y = weighted op count + small noise. NB201 archs avoid `none` so
    every op lies on an input-output path (the path encoding sees only those)."""
    space = get_search_space(space_name)
    rng = np.random.default_rng(seed)
    archs: dict = {}
    while len(archs) < n:
        a = space.sample(rng)
        if space_name == "nb201" and 0 in a.ops:
            continue
        archs[a] = None
    archs = list(archs)
    if space_name == "nb201":
        y = [sum(NB201_WEIGHT.get(op, 0.0) for op in a.op_names) for a in archs]
    else:
        y = [sum(NB101_WEIGHT.get(op, 0.0) for op in a.ops) for a in archs]
    return space, archs, np.asarray(y) + rng.normal(0, 0.03, n)


@pytest.fixture(scope="module")
def data():
    out = {}
    for name in ("nb201", "nb101"):
        space, archs, y = _synthetic(name, 220, seed=3)
        out[name] = (space, archs[:120], y[:120], archs[120:], y[120:])
    return out


def test_all_registered():
    assert set(NEURAL) <= set(list_predictors("model_based"))


@pytest.mark.parametrize("space_name", ["nb201", "nb101"])
@pytest.mark.parametrize("name", NEURAL)
def test_learns_synthetic_target(name, space_name, data):
    space, train, y_train, test, y_test = data[space_name]
    predictor = get_predictor(name, seed=0, **FAST[name])
    predictor.fit(train, y_train, Context(space))
    pred = predictor.query(test, Context(space))
    assert pred.shape == (len(test),) and np.all(np.isfinite(pred))
    tau = kendalltau(y_test, pred).statistic
    assert tau >= 0.8, f"{name} on {space_name}: Kendall tau {tau:.3f}"


@pytest.mark.parametrize("name", NEURAL)
def test_deterministic_under_seed(name, data):
    space, train, y_train, test, _ = data["nb201"]
    runs = [get_predictor(name, seed=5, **TINY[name]).fit(train[:40], y_train[:40], Context(space))
            .query(test[:20], Context(space)) for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    other = get_predictor(name, seed=6, **TINY[name]).fit(train[:40], y_train[:40], Context(space))
    assert not np.array_equal(runs[0], other.query(test[:20], Context(space)))
    # the seed defaults to ctx.seed; the global torch RNG is left alone
    import torch

    state = torch.random.get_rng_state()
    a = get_predictor(name, **TINY[name]).fit(train[:40], y_train[:40], Context(space, seed=5))
    assert torch.equal(state, torch.random.get_rng_state())
    np.testing.assert_array_equal(a.query(test[:20], Context(space)), runs[0])


def test_bananas_std(data):
    space, train, y_train, test, _ = data["nb201"]
    p = get_predictor("bananas", seed=0, epochs=20).fit(train, y_train, Context(space))
    mean, std = p.query(test, Context(space), return_std=True)
    assert mean.shape == std.shape == (len(test),)
    assert np.all(std > 0)
    with pytest.raises(ValueError, match="no predictive std"):
        get_predictor("mlp", seed=0, epochs=2).fit(train, y_train, Context(space)).query(
            test, Context(space), return_std=True)


@pytest.mark.parametrize("name,bad", [("mlp", "graph"), ("bananas", "sequence"),
                                      ("gcn", "path"), ("bonas", "adjacency_one_hot"),
                                      ("nao", "graph"), ("seminas", "path")])
def test_unsupported_encoding(name, bad, data):
    space, train, y_train, _, _ = data["nb201"]
    with pytest.raises(ValueError, match="cannot use encoding"):
        get_predictor(name, encoding=bad).fit(train, y_train, Context(space))


@pytest.mark.parametrize("name", NEURAL)
def test_darts_smoke(name):
    space = get_search_space("darts")
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(30)]
    y = rng.normal(size=30)
    pred = get_predictor(name, seed=0, **TINY[name]).fit(archs[:20], y[:20], Context(space)) \
        .query(archs[20:], Context(space))
    assert pred.shape == (10,) and np.all(np.isfinite(pred))


def test_tokenisation():
    nb201 = get_search_space("nb201")
    a = nb201.parse("|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+"
                    "|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|")
    assert tokenize(nb201, [a]).tolist() == [[5, 3, 3, 3, 4, 3]] and vocabulary(nb201) == 6
    nb101 = get_search_space("nb101")
    b = nb101.parse("input+conv3x3~0+conv1x1~1+conv1x1~0,1,2+conv3x3~1+conv1x1~4+output~3,5")
    tokens = tokenize(nb101, [b])[0]
    assert len(tokens) == 27 and tokens.max() < vocabulary(nb101) == 9 and tokens.min() >= 1
    assert tokens[:2].tolist() == [2, 5]  # edge 0->1, vertex 1 is conv3x3
    assert tokens[-7:].tolist() == [1, 1, 1, 2, 1, 2, 4]  # output reads vertices 3 and 5
    darts = get_search_space("darts")
    t = tokenize(darts, [darts.sample(np.random.default_rng(1))])
    assert t.shape == (1, 16) and 1 <= t.min() and t.max() < vocabulary(darts) == 36


@pytest.mark.parametrize("name", ["mlp", "gcn", "seminas"])  # one per model kind
def test_hpo_and_params(name, data):
    space, train, y_train, _, _ = data["nb201"]
    p = get_predictor(name, seed=0, hpo_trials=2, hpo_folds=2, **TINY[name])
    p.fit(train[:40], y_train[:40], Context(space))
    assert p.hpo_trials_run_ == 2 and set(p.best_params_) == set(p.get_params())
    params = get_predictor(name).get_params()
    assert params["seed"] is None and params["hpo_trials"] == 0 and "encoding" in params
