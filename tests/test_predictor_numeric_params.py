"""Every numeric hyperparameter of every registered predictor is checked when the predictor is
built (issue 20: a sweep spec or --predictor-param with a negative count, rate or size, or NaN,
was accepted and failed later, or not at all)."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from predictors import get_predictor, list_predictors
from predictors.base import predictor_class


def _numeric_params() -> list[tuple[str, str, float]]:
    out = []
    for name in list_predictors():
        cls = predictor_class(name)
        signed: set[str] = set()
        for klass in cls.__mro__:
            signed.update(vars(klass).get("signed_params", ()))
        for pname, prm in inspect.signature(cls.__init__).parameters.items():
            default = prm.default
            if isinstance(default, bool) or not isinstance(default, (int, float)) \
                    or pname in signed:
                continue
            out.append((name, pname, default))
    return out


NUMERIC = _numeric_params()


def test_the_walk_covers_many_parameters() -> None:
    assert len(NUMERIC) > 150  # every predictor contributes; a broken walk would find few


@pytest.mark.parametrize("name", list_predictors())
def test_defaults_and_named_configs_pass(name: str) -> None:
    get_predictor(name)
    for config in predictor_class(name).configs:
        get_predictor(name, config=config)


@pytest.mark.parametrize(("name", "pname", "default"), NUMERIC,
                         ids=[f"{n}-{p}" for n, p, _ in NUMERIC])
def test_negative_and_nan_refused_naming_the_parameter(name: str, pname: str,
                                                       default: float) -> None:
    bads: list[object] = [math.nan, math.inf, "abc"]
    if default >= 0:
        bads.append(-1 if isinstance(default, int) else -1.0)
    for bad in bads:
        with pytest.raises((ValueError, TypeError)) as info:
            get_predictor(name, **{pname: bad})
        message = str(info.value)
        assert pname in message and "\n" not in message, (bad, message)


def test_signed_parameters_keep_their_meaning() -> None:
    assert get_predictor("xgb", n_jobs=-1).n_jobs == -1
    assert get_predictor("lgb", bagging_freq=0).bagging_freq == 0


@pytest.mark.parametrize("name", ["xgb", "gp", "rf", "bayes_lin_reg", "mlp"])
def test_fit_and_query_arguments_are_named(name: str) -> None:
    from predictors import Context, NotFittedError
    from search_spaces import get_search_space

    space = get_search_space("nb201")
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(4)]
    predictor = get_predictor(name)
    with pytest.raises(NotFittedError, match="fit"):
        predictor.query(archs, Context(space))
    with pytest.raises(ValueError):  # scikit-learn's convention; still a RuntimeError too
        predictor.query(archs, Context(space))
    with pytest.raises(ValueError, match="y must be numbers"):
        predictor.fit(archs, ["a", "b", "c", "d"], Context(space))
    with pytest.raises(ValueError, match="y holds 3"):
        predictor.fit(archs, [1.0, 2.0, 3.0], Context(space))
    with pytest.raises(TypeError, match="ctx must be"):
        predictor.fit(archs, [1.0, 2.0, 3.0, 4.0], None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ctx.space"):
        predictor.fit(archs, [1.0, 2.0, 3.0, 4.0], Context("nb201"))


def test_fidelity_error_is_a_value_error() -> None:
    from predictors import FidelityError

    assert issubclass(FidelityError, ValueError) and issubclass(FidelityError, LookupError)
