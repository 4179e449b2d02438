"""The evaluator: samplers (disjoint, nested, deterministic), the fidelity wall, rows, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks import load_benchmark
from benchmarks.base import Benchmark, Curve
from experiments.evaluator import ROW_COLUMNS, default_fidelities, default_train_sizes, evaluate
from experiments.sampling import draw_sets
from predictors import Needs, Predictor
from predictors import base as predictor_base
from predictors.base import register_predictor
from search_spaces import get_search_space

SPACE = get_search_space("nb201")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """All NB201 cells with a synthetic accuracy driven by conv3x3 count (plus noise)."""
    rng = np.random.default_rng(0)
    archs = SPACE.all()
    acc = np.array([50 + 8 * a.ops.count(3) + 3 * a.ops.count(2) for a in archs], float)
    acc += rng.normal(0, 2, len(archs))
    path = tmp_path_factory.mktemp("t") / "nb201.csv"
    pd.DataFrame({"arch": [str(a) for a in archs], "val_accuracy": acc}).to_csv(path, index=False)
    return load_benchmark("table", path=str(path), space="nb201")


class CurveBenchmark(Benchmark):
    """Synthetic 10-epoch curves: final accuracy = 40 + 5·n(conv3x3); 2 s per epoch."""

    kind = "synthetic"

    def __init__(self):
        self.space, self.dataset, self.max_epochs = SPACE, "synthetic", 10
        self._archs = SPACE.all()[::25]

    def archs(self):
        return list(self._archs)

    def _holds(self, arch):
        return arch in set(self._archs)

    def describe(self):
        return "synthetic"

    def curve(self, arch):
        final = 40 + 5 * arch.ops.count(3) + (arch.index % 7) * 0.1
        acc = final * (1 - np.exp(-np.arange(1, 11) / 3)) / (1 - np.exp(-10 / 3))
        return Curve(train_loss=1 / acc, train_acc=acc, val_loss=1 / acc, val_acc=acc,
                     epoch_seconds=np.full(10, 2.0), test_acc=final)


@pytest.fixture
def toy_predictors():
    @register_predictor
    class ConvCount(Predictor):
        name, family, needs = "_toy_conv_count", "model_based", Needs(train_set=True)

        def __init__(self, weight: float = 1.0):
            self.weight = weight

        def fit(self, archs, y, ctx):
            self.seen_ = len(archs)
            return self

        def query(self, archs, ctx):
            return np.array([self.weight * a.ops.count(3) for a in archs], float)

    @register_predictor
    class LastEpoch(Predictor):
        name, family, needs = "_toy_last_epoch", "learning_curve", Needs(query_epochs=True)

        def query(self, archs, ctx):
            out = []
            for a in archs:
                curve = ctx.curves.curve(a)
                assert curve.epochs == ctx.fidelity  # the wall: nothing past the fidelity
                out.append(curve.val_acc[-1])
            return np.array(out)

    @register_predictor
    class Broken(Predictor):
        name, family, needs = "_toy_broken", "zero_cost", Needs(network=True)

        def query(self, archs, ctx):
            raise RuntimeError("singular\nmatrix")

    yield
    for name in ("_toy_conv_count", "_toy_last_epoch", "_toy_broken"):
        predictor_base._REGISTRY.pop(name)


def test_default_grids():
    sizes = default_train_sizes()
    assert len(sizes) == 11 and sizes[0] == 5 and sizes[-1] == 1000
    ratios = np.diff(np.log(sizes))
    assert np.allclose(ratios, ratios.mean(), atol=0.1)  # log-spaced
    assert default_train_sizes(100) == [s for s in sizes if s <= 100]
    # the paper's NB201 grid, and the same proportions of training for shorter curves; never E
    assert default_fidelities(200) == [1, 2, 3, 5, 7, 9, 13, 19, 26, 37, 52, 73]
    assert default_fidelities(8) == [1, 2, 3]
    assert default_fidelities(50) == [1, 2, 3, 5, 7, 9, 13, 18]
    assert default_fidelities(2) == [1] and default_fidelities(1) == []
    assert all(max(default_fidelities(e)) < e for e in range(2, 400))


@pytest.mark.parametrize("sampler", ["uniform", "mutation"])
def test_samplers_disjoint_nested_deterministic(table, sampler):
    pool = table.archs()
    label = dict(zip(pool, table.final_val_acc(pool))).__getitem__
    test, train = draw_sets(pool, label, SPACE, 100, 300, np.random.default_rng(1), sampler)
    again = draw_sets(pool, label, SPACE, 100, 300, np.random.default_rng(1), sampler)
    assert (test, train) == again
    assert len(set(test)) == 100 and len(set(train)) == 300
    assert not set(test) & set(train)
    other = draw_sets(pool, label, SPACE, 100, 300, np.random.default_rng(2), sampler)
    assert other[0] != test
    if sampler == "mutation":  # the mutation test set sits in the high-accuracy region
        assert np.mean([label(a) for a in test]) > np.mean(table.final_val_acc())


def test_sampler_errors(table):
    with pytest.raises(ValueError, match="unknown sampler"):
        draw_sets(table.archs(), None, SPACE, 10, 10, np.random.default_rng(0), "nope")
    with pytest.raises(ValueError, match="fewer than"):
        draw_sets(table.archs()[:20], None, SPACE, 10, 11, np.random.default_rng(0))
    sparse = table.archs()[::997]  # mutants hardly ever land in it: a bounded search, then this
    with pytest.raises(ValueError, match="use sampler='uniform'"):
        draw_sets(sparse, lambda a: 0.0, SPACE, 10, 0, np.random.default_rng(0), "mutation")


def test_model_based_rows(table, toy_predictors):
    frame = evaluate(table, "_toy_conv_count", train_sizes=[5, 50], test_size=100, seeds=[0, 1])
    assert list(frame.columns[:len(ROW_COLUMNS)]) == list(ROW_COLUMNS)
    assert len(frame) == 4 and set(frame.train_size) == {5, 50} and set(frame.fidelity) == {0}
    assert frame.error.isna().all() and (frame.n_test == 100).all()
    assert (frame.kendalltau > 0.5).all()  # conv3x3 count drives the synthetic label
    assert (frame.hp_weight == 1.0).all() and (frame.family == "model_based").all()
    assert frame.init_train_seconds.isna().all()  # a table records no training time


def test_fidelity_wall_and_train_seconds(toy_predictors):
    bench = CurveBenchmark()
    frame = evaluate(bench, "_toy_last_epoch", fidelities=[1, 3, 10], test_size=100, seeds=[0])
    assert frame.error.isna().all(), frame.error.tolist()
    assert frame.fidelity.tolist() == [1, 3, 10] and (frame.train_size == 0).all()
    assert frame.query_train_seconds.tolist() == [2.0, 6.0, 20.0]  # 2 s per epoch, per arch
    assert (frame.init_train_seconds == 0).all()
    assert frame.kendalltau.iloc[-1] == pytest.approx(1.0)
    # F = E reads the label itself: allowed on request, but marked as the oracle reference
    assert frame.oracle.tolist() == [False, False, True]
    default = evaluate(bench, "_toy_last_epoch", test_size=100, seeds=[0])
    assert default.fidelity.max() < bench.max_epochs and not default.oracle.any()


def test_errors_are_recorded_not_raised(table, toy_predictors):
    frame = evaluate(table, "_toy_broken", test_size=50, seeds=[0, 1])
    # every seed stays, scored as no information; the error is kept
    assert len(frame) == 2 and (frame.kendalltau == 0).all() and (frame.status == "failed").all()
    assert frame.error.iloc[0] == "RuntimeError: singular matrix"
    assert (frame.n_failed == 50).all()


def test_split_keeps_to_its_half(table, toy_predictors):
    from benchmarks.splits import split_of

    seen = []

    @register_predictor
    class Recorder(Predictor):
        name = "_toy_recorder"
        family = "model_based"
        needs = Needs(train_set=True)

        def fit(self, archs, y, ctx):
            seen.extend(archs)
            return self

        def query(self, archs, ctx):
            seen.extend(archs)
            return np.zeros(len(archs))

    try:
        frame = evaluate(table, "_toy_recorder", train_sizes=[40], test_size=60, seeds=[0],
                         split="reporting")
    finally:
        del predictor_base._REGISTRY["_toy_recorder"]
    assert {split_of(a) for a in seen} == {"reporting"} and len(set(seen)) == 100
    assert frame.split.tolist() == ["reporting"]
    with pytest.raises(ValueError, match="unknown split"):
        evaluate(table, "_toy_conv_count", train_sizes=[5], test_size=10, seeds=[0], split="x")


def test_learning_curve_predictor_on_final_only_table(table, toy_predictors):
    with pytest.raises(ValueError, match="only final accuracies"):
        evaluate(table, "_toy_last_epoch", test_size=50, seeds=[0])


def test_public_evaluate_is_the_function_whatever_was_imported_first():
    import importlib

    import experiments
    import experiments.evaluator as module
    from experiments import evaluate as public
    from experiments import sweep  # noqa: F401  (imports experiments.evaluator itself)

    # the module is `experiments.evaluator`; `experiments.evaluate` is only ever the function
    assert callable(public) and public.__name__ == "evaluate" and experiments.evaluate is public
    assert module.evaluate is public and experiments.evaluator is module
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("experiments.evaluate")
    assert experiments.evaluate is public
