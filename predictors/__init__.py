"""Performance predictors: one `fit`/`query` interface over every family (DESIGN §3)."""

from predictors._autoload import import_all as _import_all
from predictors.base import (
    FAMILIES,
    Context,
    Needs,
    NotFittedError,
    Predictor,
    get_predictor,
    list_predictors,
    register_predictor,
)
from predictors.curves import CurveView, FidelityError

_import_all()

__all__ = [
    "FAMILIES", "Context", "CurveView", "FidelityError", "Needs", "NotFittedError", "Predictor",
    "get_predictor", "list_predictors", "register_predictor",
]
