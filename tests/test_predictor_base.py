"""The predictor contract: registry, parameters, Context and the fidelity wall of CurveView."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from predictors import (
    Context,
    CurveView,
    FidelityError,
    Needs,
    Predictor,
    get_predictor,
    list_predictors,
)
from predictors import base as predictor_base
from predictors.base import register_predictor
from search_spaces import get_search_space


@dataclass(frozen=True)
class FakeCurve:
    train_loss: np.ndarray
    train_acc: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    epoch_seconds: np.ndarray
    test_acc: float | None


class FakeBenchmark:
    max_epochs = 5

    def curve(self, arch):
        e = np.arange(1, 6, dtype=float)
        return FakeCurve(1 / e, 10 * e, 2 / e, 9 * e, np.ones(5), 42.0)


@pytest.fixture
def counting_predictor():
    @register_predictor
    class CountConv(Predictor):
        name = "_test_count_conv"
        family = "model_based"
        needs = Needs(train_set=True)

        def __init__(self, weight: float = 1.0):
            self.weight = weight

        def query(self, archs, ctx):
            return np.array([self.weight * a.ops.count(3) for a in archs], dtype=float)

    yield CountConv
    predictor_base._REGISTRY.pop(CountConv.name)


def test_registry_and_params(counting_predictor):
    assert "_test_count_conv" in list_predictors()
    assert "_test_count_conv" in list_predictors("model_based")
    assert "_test_count_conv" not in list_predictors("zero_cost")
    p = get_predictor("_test_count_conv", weight=2.0)
    assert p.get_params() == {"weight": 2.0} and "weight=2.0" in repr(p)
    space = get_search_space("nb201")
    archs = space.all()[:50]
    scores = p.fit(archs, np.zeros(50), Context(space)).query(archs, Context(space))
    assert scores.shape == (50,)


def test_registry_errors(counting_predictor):
    with pytest.raises(ValueError, match="unknown predictor 'nope'"):
        get_predictor("nope")
    with pytest.raises(ValueError, match="has no parameter"):
        get_predictor("_test_count_conv", depth=3)
    with pytest.raises(ValueError, match="unknown family"):
        list_predictors("trees")


def test_curve_view_fidelity_wall():
    space = get_search_space("nb201")
    train, query = space.all()[0], space.all()[1]
    view = CurveView.from_benchmark(FakeBenchmark(), [train], [query], fidelity=2)
    full = view.curve(train)
    assert len(full.val_acc) == 5 and full.test_acc is None  # the test accuracy is withheld
    part = view.curve(query)
    assert part.val_acc.tolist() == [9.0, 18.0] and part.test_acc is None
    assert not part.val_acc.flags.writeable
    assert len(view.partial(train, 3).val_acc) == 3
    with pytest.raises(FidelityError):
        view.partial(query, 3)
    with pytest.raises(FidelityError, match="fidelity is 0"):
        CurveView.from_benchmark(FakeBenchmark(), [train], [query], fidelity=0).curve(query)
    with pytest.raises(FidelityError, match="neither a train nor a query arch"):
        view.curve(space.all()[2])


def test_context_require():
    ctx = Context(get_search_space("nb201"))
    with pytest.raises(ValueError, match="needs Context.curves"):
        ctx.require("curves", "sotle")
