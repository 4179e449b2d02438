"""predbench: benchmark performance predictors for neural architecture search.

The one import users need (DESIGN §1, §3)::

    import predbench as pb

    bench = pb.load_benchmark("default")
    model = pb.get_predictor("xgb").fit(archs, y, pb.Context(bench.space))
    rows = pb.evaluate(bench, "xgb", train_sizes=[20, 100])

It re-exports the public API of the library packages (`search_spaces`, `benchmarks`,
`predictors`, `experiments`) under one name that no folder of the user's own can shadow: when a
folder or module named `experiments`, `benchmarks`, `predictors` or `search_spaces` comes first
on `sys.path` (say an `experiments/` next to the user's script), the library package is loaded
from predbench's own installation instead (the layers below it first, so the library's own
absolute imports find the right packages too); when such a module was already imported,
resolving a name raises an ImportError that says which file shadows which package. The old
imports (`from experiments import evaluate`, ...) keep working: these are the same objects.

The re-exports are lazy (PEP 562): `import predbench` loads nothing of the library, and a name
is imported on first use (`pb.evaluate` loads the evaluator, every predictor and torch;
`pb.get_search_space` only numpy). `dir(predbench)` and `__all__` list them all. The command
line app lives in `predbench.cli`; nothing in the library imports it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

#: the library packages, each importing only those before it (DESIGN §1; tests/test_layout.py)
_LAYERS = ("search_spaces", "benchmarks", "predictors", "experiments")
#: where they are installed: beside this package (a wheel's site-packages or the source tree)
_ROOT = Path(__file__).resolve().parent.parent

#: public name -> the module that defines it (the attribute of the same name)
_EXPORTS: dict[str, str] = {
    # search spaces
    "get_search_space": "search_spaces",
    "list_search_spaces": "search_spaces",
    "register_search_space": "search_spaces",
    "SearchSpace": "search_spaces",
    "Arch": "search_spaces",
    "InvalidArchError": "search_spaces",
    # benchmarks
    "load_benchmark": "benchmarks",
    "list_benchmarks": "benchmarks",
    "register_benchmark": "benchmarks",
    "benchmark_options": "benchmarks",
    "Benchmark": "benchmarks",
    "Curve": "benchmarks",
    "UnsupportedError": "benchmarks",
    # the tuning / reporting split of every space (the measurement protocol)
    "split_of": "benchmarks.splits",
    "SPLITS": "benchmarks.splits",
    # predictors
    "get_predictor": "predictors",
    "list_predictors": "predictors",
    "register_predictor": "predictors",
    "Predictor": "predictors",
    "Needs": "predictors",
    "Context": "predictors",
    "CurveView": "predictors",
    "FidelityError": "predictors",
    "FAMILIES": "predictors",
    # experiments: the evaluator, metrics, sweeps, NAS loops
    "evaluate": "experiments.evaluator",  # the function (its module is experiments.evaluator)
    "pearson": "experiments.metrics",
    "spearman": "experiments.metrics",
    "kendall_tau": "experiments.metrics",
    "sparse_kendall_tau": "experiments.metrics",
    "precision_at_k": "experiments.metrics",
    "load_spec": "experiments.spec",
    "parse_spec": "experiments.spec",
    "run_sweep": "experiments.sweep",
    "run_search": "experiments.search.run",
    "search_optimum": "experiments.search.optimum",
    "Optimum": "experiments.search.optimum",
}

__all__ = sorted(_EXPORTS)


def _read_version() -> str:
    """The installed distribution's version; from a source tree that is not installed, the
    version in pyproject.toml next to this package; "0+unknown" when neither is there."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("predbench")
    except PackageNotFoundError:
        pass
    import re

    try:
        text = (_ROOT / "pyproject.toml").read_text()
    except OSError:
        return "0+unknown"
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = re.search(r"^version\s*=\s*[\"']([^\"']+)[\"']", project.group(1) if project else "",
                      re.M)
    return found.group(1) if found else "0+unknown"


def _own_package(name: str) -> ModuleType:
    """Library package `name`, from predbench's installation whatever `sys.path` holds."""
    folder = _ROOT / name
    init = folder / "__init__.py"
    loaded = sys.modules.get(name)
    if loaded is not None:
        where = getattr(loaded, "__file__", None)
        if init.is_file() and (where is None or Path(where).resolve() != init):
            raise ImportError(f"predbench needs its library package {name!r} ({init}), but "
                              f"{name!r} was already imported from {where or 'elsewhere'}: a "
                              f"module of that name shadows it; rename that module, or use "
                              f"predbench's names before importing it")
        return loaded
    if not init.is_file():  # not installed side by side: the ordinary import
        return importlib.import_module(name)
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        found = None
    if found is not None and found.origin is not None and Path(found.origin).resolve() == init:
        return importlib.import_module(name)  # the usual case: nothing shadows it
    spec = importlib.util.spec_from_file_location(name, init,
                                                  submodule_search_locations=[str(folder)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _import(module: str) -> ModuleType:
    """Import `module` of a library package after the packages of its layer and below."""
    top = module.partition(".")[0]
    for layer in _LAYERS[:_LAYERS.index(top) + 1]:
        _own_package(layer)
    return importlib.import_module(module)


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _read_version()
    elif name in _EXPORTS:
        value = getattr(_import(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # resolved once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | {"__version__"})
