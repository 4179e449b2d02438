"""Import every predictor module of the family packages so that they register themselves:
adding a predictor is adding one file (modules named `base` or starting with `_` are helpers
and are imported only by the modules that use them)."""

from __future__ import annotations

import importlib
import pkgutil

FAMILY_PACKAGES = ("model_based", "learning_curve", "zero_cost", "weight_sharing", "ensembles")


def import_all() -> None:
    for family in FAMILY_PACKAGES:
        try:
            package = importlib.import_module(f"predictors.{family}")
        except ModuleNotFoundError as exc:
            if exc.name == f"predictors.{family}":
                continue  # that family has no predictors yet
            raise
        for module in pkgutil.iter_modules(package.__path__):
            if module.name == "base" or module.name.startswith("_"):
                continue
            importlib.import_module(f"predictors.{family}.{module.name}")
