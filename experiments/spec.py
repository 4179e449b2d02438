"""Sweep specifications: which benchmarks, which predictors (with params), which grid and seeds.

A spec is a TOML file (or the equivalent dict):

    [sweep]
    seeds = [0, 1, 2]            # default [0, 1, 2, 3, 4]; also a string such as "0-19,25"
    test_size = 200              # default 200
    sampler = "uniform"          # or "mutation"
    split = "all"                # or "tuning" / "reporting" (benchmarks/splits.py)
    train_sizes = [10, 100]      # default: the paper's 11 sizes 5..1000 (capped by the benchmark)
    fidelities = [1, 5, 10]      # default: the paper's grid in proportion, below max_epochs
                                 # (max_epochs itself runs as a labelled `oracle` reference)

    [[benchmarks]]
    kind = "table"               # any load_benchmark kind; the other keys are its options
    path = "nb201.csv"
    space = "nb201"

    [[predictors]]
    name = "xgb"
    label = "xgb-200"            # optional; defaults to the name (+ a params digest)
    params = { n_estimators = 200 }

Errors name the offending key, e.g. `spec.toml: predictors[1].name: unknown predictor 'xbg'`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as the `tomli` package (a dependency there)
    import tomli as tomllib

from benchmarks.splits import SPLITS
from experiments.options import parse_int_list
from experiments.sampling import SAMPLERS


class SpecError(ValueError):
    """A sweep spec is malformed; the message names the file and key."""


@dataclass(frozen=True)
class BenchmarkSpec:
    kind: str
    options: tuple[tuple[str, Any], ...] = ()
    label: str = ""

    def load(self) -> Any:
        from benchmarks import load_benchmark

        return load_benchmark(self.kind, **dict(self.options))


@dataclass(frozen=True)
class PredictorSpec:
    name: str
    params: tuple[tuple[str, Any], ...] = ()
    label: str = ""

    def build(self) -> Any:
        from predictors import get_predictor

        return get_predictor(self.name, **dict(self.params))


@dataclass(frozen=True)
class SweepSpec:
    benchmarks: tuple[BenchmarkSpec, ...]
    predictors: tuple[PredictorSpec, ...]
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    test_size: int = 200
    sampler: str = "uniform"
    split: str = "all"
    train_sizes: tuple[int, ...] | None = None
    fidelities: tuple[int, ...] | None = None
    source: str = field(default="<spec>", compare=False)


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:8]


def load_spec(path: str | Path) -> SweepSpec:
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a text file (a sweep spec is UTF-8 TOML)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    return parse_spec(data, source=str(path))


#: the largest train size or fidelity a spec may ask for (a bound before any benchmark loads;
#: each benchmark then bounds them by its own archs and epochs)
MAX_GRID_VALUE = 10**7


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> SweepSpec:
    """Validate a spec dict; every problem is a `SpecError` naming `source` and the key (a
    TypeError when `data` is not a mapping at all). Every predictor is built once here, so
    that bad hyperparameter values fail before any cell."""
    from benchmarks.base import benchmark_options, check_option_values, list_benchmarks
    from predictors import list_predictors
    from predictors.base import check_numeric_params

    if not isinstance(data, dict):
        raise TypeError(f"{source}: a sweep spec must be a mapping (a TOML table), got "
                        f"{type(data).__name__}")

    def fail(key: str, problem: str) -> SpecError:
        return SpecError(f"{source}: {key}: {problem}")

    def label_of(key: str, entry: dict[str, Any]) -> str | None:
        label = entry.get("label")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise fail(f"{key}.label", f"must be a non-empty string, got {label!r}")
        return label

    unknown = sorted(set(data) - {"sweep", "benchmarks", "predictors"})
    if unknown:
        raise fail(unknown[0], "unknown section; expected sweep, benchmarks, predictors")
    sweep = data.get("sweep", {})
    if not isinstance(sweep, dict):
        raise fail("sweep", "must be a table")
    allowed = {"seeds", "test_size", "sampler", "split", "train_sizes", "fidelities"}
    for key in sweep:
        if key not in allowed:
            raise fail(f"sweep.{key}", f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def int_list(key: str, minimum: int, maximum: int | None = None) -> tuple[int, ...] | None:
        if key not in sweep:
            return None
        value = sweep[key]
        if isinstance(value, str):  # "0-19,25": the integer lists of the command line
            try:
                value = parse_int_list(value, f"sweep.{key}", minimum)
            except (ValueError, OverflowError, MemoryError) as exc:
                problem = str(exc) if f"sweep.{key}" in str(exc) else \
                    f"sweep.{key}: {exc or 'too many values'}"
                raise SpecError(f"{source}: {problem}") from None
        elif not isinstance(value, list) or not value or \
                not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum
                        for v in value):
            raise fail(f"sweep.{key}", f"must be a non-empty list of integers >= {minimum} "
                                       f"(or a string such as \"0-19\")")
        if maximum is not None and max(value) > maximum:
            raise fail(f"sweep.{key}", f"{max(value)} is too large (at most {maximum:,})")
        return tuple(value)

    seeds = int_list("seeds", 0) or (0, 1, 2, 3, 4)
    test_size = sweep.get("test_size", 200)
    if not isinstance(test_size, int) or isinstance(test_size, bool) or test_size < 3:
        raise fail("sweep.test_size", f"must be an integer >= 3, got {test_size!r}")
    sampler = sweep.get("sampler", "uniform")
    if sampler not in SAMPLERS:
        raise fail("sweep.sampler", f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    split = sweep.get("split", "all")
    if split not in SPLITS:
        raise fail("sweep.split", f"must be one of {', '.join(SPLITS)}, got {split!r}")

    benchmarks = []
    raw_benchmarks = data.get("benchmarks")
    if not isinstance(raw_benchmarks, list) or not raw_benchmarks:
        raise fail("benchmarks", "at least one [[benchmarks]] entry is needed")
    known_kinds = list_benchmarks()
    for i, entry in enumerate(raw_benchmarks):
        key = f"benchmarks[{i}]"
        if not isinstance(entry, dict) or "kind" not in entry:
            raise fail(key, "needs a 'kind' (one of " + ", ".join(known_kinds) + ")")
        options = {k: v for k, v in entry.items() if k not in ("kind", "label")}
        if entry["kind"] not in known_kinds:
            raise fail(f"{key}.kind", f"unknown benchmark kind {entry['kind']!r}; expected one "
                                      f"of {', '.join(known_kinds)}")
        accepted = benchmark_options(entry["kind"])
        for option in sorted(options):
            if option not in accepted:
                raise fail(f"{key}.{option}", f"unknown option for benchmark kind "
                                              f"{entry['kind']!r}; it takes {', '.join(accepted)}")
        try:  # values too (seed = -4, epochs = "x"): before any cell
            check_option_values(entry["kind"], options, accepted)
        except (TypeError, ValueError) as exc:
            raise fail(key, str(exc)) from None
        label = label_of(key, entry) or f"{entry['kind']}-{_digest(options)}"
        benchmarks.append(BenchmarkSpec(entry["kind"], tuple(sorted(options.items())), label))

    predictors = []
    raw_predictors = data.get("predictors")
    if not isinstance(raw_predictors, list) or not raw_predictors:
        raise fail("predictors", "at least one [[predictors]] entry is needed")
    known = set(list_predictors())
    labels = set()
    for i, entry in enumerate(raw_predictors):
        key = f"predictors[{i}]"
        if not isinstance(entry, dict) or "name" not in entry:
            raise fail(key, "needs a 'name'")
        extra = sorted(set(entry) - {"name", "params", "label"})
        if extra:
            raise fail(f"{key}.{extra[0]}", "unknown key; expected name, params, label")
        if entry["name"] not in known:
            raise fail(f"{key}.name", f"unknown predictor {entry['name']!r}")
        params = entry.get("params", {})
        if not isinstance(params, dict):
            raise fail(f"{key}.params", "must be a table of hyperparameters")
        spec = PredictorSpec(entry["name"], tuple(sorted(params.items())), "")
        try:  # built once here: construction checks the values, not only the names
            check_numeric_params(spec.build())
        except (TypeError, ValueError, OverflowError) as exc:
            said = str(exc) if repr(entry["name"]) in str(exc) else \
                f"predictor {entry['name']!r}: {exc}"
            raise fail(f"{key}.params", said) from None
        label = label_of(key, entry) or (
            entry["name"] if not params else f"{entry['name']}-{_digest(params)}")
        if label in labels:
            raise fail(f"{key}.label", f"label {label!r} is used twice")
        labels.add(label)
        predictors.append(PredictorSpec(entry["name"], spec.params, label))

    return SweepSpec(tuple(benchmarks), tuple(predictors), seeds, test_size, sampler, split,
                     int_list("train_sizes", 1, MAX_GRID_VALUE),
                     int_list("fidelities", 1, MAX_GRID_VALUE), source)
