"""Performance predictors: one `fit`/`query` interface over every family (DESIGN §3)."""

from predictors.base import (
    FAMILIES,
    Context,
    Needs,
    Predictor,
    get_predictor,
    list_predictors,
    register_predictor,
)
from predictors.curves import CurveView, FidelityError
from predictors._autoload import import_all as _import_all

_import_all()

__all__ = [
    "FAMILIES", "Context", "CurveView", "FidelityError", "Needs", "Predictor",
    "get_predictor", "list_predictors", "register_predictor",
]
