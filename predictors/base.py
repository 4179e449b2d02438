"""The `Predictor` interface, what a predictor may see (`Context`), and the predictor registry.

A predictor has an init routine (`fit`) and a query routine (`query`, higher = predicted better).
In the spirit of scikit-learn, constructor arguments are stored as-is (they are the
hyperparameters, reported by `get_params`) and all work happens in `fit`/`query`. In the spirit
of timm, predictors register themselves by name: adding a predictor is adding one file.

    from predictors import get_predictor, Context
    predictor = get_predictor("xgb").fit(train_archs, y, Context(space))
    scores = predictor.query(test_archs, Context(space))
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from predictors.curves import CurveView

FAMILIES = ("model_based", "learning_curve", "hybrid", "zero_cost", "weight_sharing", "ensemble")


@dataclass(frozen=True)
class Needs:
    """What a predictor needs to work, each a part of the `Context` it reads:

    - `train_set`: a labelled train set (the archs and labels `fit` gets);
    - `query_epochs`: partial learning curves of the query archs (`Context.curves`, up to
      `Context.fidelity` epochs);
    - `network`: it builds the real network of each arch (`SearchSpace.build_network` with
      `Context.num_classes`), e.g. zero-cost proxies; minibatches (`Context.batch`) are used
      when the benchmark has images (data-dependent proxies fail without them, data-free ones
      do not need them);
    - `images`: it trains on the benchmark's image splits (`Context.data`), e.g. a weight-sharing
      supernet; a benchmark without images (a tabular file) cannot run it, and `evaluate`,
      sweeps and NAS loops refuse the pair before any work (`check_needs`).
    """

    train_set: bool = False
    query_epochs: bool = False
    network: bool = False
    images: bool = False


@dataclass
class Context:
    """What a predictor may see. Only `space` is required.

    `curves` holds the train archs' full curves and the query archs' curves only up to
    `fidelity` epochs (the `CurveView` enforces it). `batch(n, seed)` returns a data minibatch
    `(inputs, labels)` for predictors that look at the network (zero-cost proxies). `data` is
    the benchmark's dataset splits (`benchmarks.datasets.ImageData`: train / val / test tensors)
    for predictors that train networks of their own (weight-sharing supernets); None when the
    benchmark has no images (tabular files). `stored_proxies` holds zero-cost proxy scores a
    benchmark stores (NAS-Bench-Suite-Zero): {proxy: {arch: (score, recorded seconds)}} for the
    train and query archs that have one; zero-cost predictors use them instead of computing.
    """

    space: Any  # search_spaces.SearchSpace (kept loose to avoid an import cycle for users' spaces)
    curves: CurveView | None = None
    fidelity: int = 0
    batch: Callable[[int, int], tuple[Any, Any]] | None = None
    num_classes: int = 10
    device: Any = "cpu"
    seed: int = 0
    data: Any = None
    stored_proxies: dict[str, dict[Any, tuple[float, float]]] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_benchmark(cls, benchmark: Any, train_archs: Iterable[Any] = (),
                      query_archs: Iterable[Any] = (), fidelity: int = 0, *, seed: int = 0,
                      device: Any = "cpu", curve: Callable[[Any], Any] | None = None
                      ) -> Context:
        """The context a predictor gets on `benchmark` (the one place that builds it): the
        train archs' curves in full, the query archs' first `fidelity` epochs, minibatches and
        image splits when the benchmark has images. Everything is copied or bound to the image
        data, never to the benchmark, so no label of a query arch is reachable from it.
        `curve` (default `benchmark.curve`) lets a caller pass curves it already holds."""
        train_archs, query_archs = list(train_archs), list(query_archs)
        data = getattr(benchmark, "data", None) if getattr(benchmark, "has_batches", False) \
            else None
        if data is not None and not callable(getattr(data, "batch", None)):
            raise ValueError(f"{benchmark!r}: its `data` has no batch(n, seed) method")
        found = getattr(data, "num_classes", None) or getattr(benchmark, "num_classes", None)
        num_classes = 10 if found is None else int(found)
        return cls(space=benchmark.space,
                   curves=CurveView.from_benchmark(benchmark, train_archs, query_archs,
                                                   fidelity, curve=curve),
                   fidelity=int(fidelity), batch=None if data is None else data.batch,
                   data=data, num_classes=num_classes, device=device, seed=int(seed),
                   stored_proxies=stored_proxy_scores(benchmark, [*train_archs, *query_archs]))

    def require(self, what: str, predictor: str) -> Any:
        """The context field `what`, or a clear error saying that `predictor` needs it."""
        value = getattr(self, what)
        if value is None or (what == "fidelity" and value < 1):
            raise ValueError(f"predictor {predictor!r} needs Context.{what}, which was not given")
        return value


def stored_proxy_scores(benchmark: Any, archs: Sequence[Any]
                        ) -> dict[str, dict[Any, tuple[float, float]]] | None:
    """{proxy: {arch: (score, seconds)}}: copies of the zero-cost scores `benchmark` stores
    (`proxies()` / `proxy_scores`) for those of `archs` that have one; None when it stores none."""
    names = getattr(benchmark, "proxies", None)
    names = list(names()) if callable(names) else []
    if not names or not archs:
        return None
    out: dict[str, dict[Any, tuple[float, float]]] = {}
    for name in names:
        scores, seconds = benchmark.proxy_scores(name, archs)
        out[name] = {a: (float(s), float(t)) for a, s, t in zip(archs, scores, seconds)
                     if s == s}  # NaN: not stored for this arch
    return out


class Predictor(abc.ABC):
    """Base class of every predictor. Subclasses set `name`, `family` and `needs`, store their
    constructor arguments unchanged as attributes of the same name, and implement `query`
    (and `fit` when they learn from a train set)."""

    name: ClassVar[str]
    family: ClassVar[str]
    needs: ClassVar[Needs] = Needs()
    #: "label" when `query` returns predicted validation accuracy in percent (the label's
    #: units: sparse Kendall tau rounds these directly), "score" for any other scale
    output_scale: ClassVar[str] = "score"
    #: named configurations: {"paper": {param: value}} reproduces the predictor paper's setup
    #: (White et al. 2021 and its code) where our defaults depart from it; see
    #: `get_predictor(name, config="paper")` and docs/departures.md
    configs: ClassVar[dict[str, dict[str, Any]]] = {}
    #: integer hyperparameters and their minimum (e.g. {"epochs": 1}): `check_numeric_params`
    #: rejects anything else with one line naming the parameter (model-based `fit` calls it)
    int_minimums: ClassVar[dict[str, int]] = {}
    #: float hyperparameters that must be finite and > 0 (e.g. a prior precision)
    positive_floats: ClassVar[tuple[str, ...]] = ()
    #: numeric hyperparameters where a negative value is meaningful (n_jobs=-1: every core);
    #: every other numeric one must be finite, and >= 0 where its default is
    signed_params: ClassVar[tuple[str, ...]] = ()
    #: compute seconds of init work that `fit` took over instead of doing it (e.g. a supernet
    #: loaded from a checkpoint: the seconds its training took); the evaluator charges them
    reused_fit_seconds_: float = 0.0
    #: seconds a benchmark recorded for work `query` took from it instead of doing it (stored
    #: zero-cost scores: Suite-Zero's CPU seconds); the evaluator charges them as query time on
    #: their own clock (`query_recorded_seconds`)
    recorded_query_seconds_: float = 0.0

    def fit(self, archs: Sequence[Any], y: np.ndarray, ctx: Context) -> Predictor:
        """Init routine: learn from `archs` with labels `y` (validation accuracy, percent)."""
        return self

    @abc.abstractmethod
    def query(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        """Scores for `archs`, higher = predicted better."""

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments (hyperparameters) as currently set."""
        signature = inspect.signature(type(self).__init__)
        return {
            p.name: getattr(self, p.name)
            for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            and hasattr(self, p.name)
        }

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def check_numeric_params(predictor: Predictor) -> None:
    """Validate the hyperparameters a predictor class lists in `int_minimums` and
    `positive_floats` (every class of its MRO contributes); ValueError naming the first bad one."""
    import math

    minimums: dict[str, int] = {}
    positives: set[str] = set()
    signed: set[str] = set()
    for cls in reversed(type(predictor).__mro__):
        minimums.update(vars(cls).get("int_minimums", {}))
        positives.update(vars(cls).get("positive_floats", ()))
        signed.update(vars(cls).get("signed_params", ()))
    for name, low in minimums.items():
        value = getattr(predictor, name, None)
        if value is None and name not in vars(predictor):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"predictor {predictor.name!r}: {name} must be an integer >= {low}, "
                             f"got {value!r}")
    # Every other numeric hyperparameter: a finite real number, and not negative where its
    # default is not (a negative count, rate or size has no meaning; the few parameters where
    # a negative value is a switch, e.g. n_jobs=-1, are listed in `signed_params`).
    for pname, prm in inspect.signature(type(predictor).__init__).parameters.items():
        default = prm.default
        if pname in minimums or pname in positives or pname in signed or \
                isinstance(default, bool) or not isinstance(default, (int, float)) or \
                pname not in vars(predictor):
            continue
        value = getattr(predictor, pname)
        if value is None and "None" in str(prm.annotation):
            continue  # "not set" where the signature allows it (e.g. max_steps=None)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
                not math.isfinite(float(value)):
            raise ValueError(f"predictor {predictor.name!r}: {pname} must be a finite number, "
                             f"got {value!r}")
        if default >= 0 and value < 0:
            raise ValueError(f"predictor {predictor.name!r}: {pname} must be >= 0, got {value!r}")
    for name in sorted(positives):
        value = getattr(predictor, name, None)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
                not math.isfinite(float(value)) or value <= 0:
            raise ValueError(f"predictor {predictor.name!r}: {name} must be a finite number "
                             f"> 0, got {value!r}")


class NotFittedError(ValueError, RuntimeError):
    """`query` before `fit` (a ValueError like scikit-learn's; a RuntimeError as before)."""


def check_context(ctx: Any, who: str) -> Context:
    """`ctx` is a `Context` whose `space` is a search space (TypeError naming it otherwise)."""
    if not isinstance(ctx, Context):
        raise TypeError(f"{who}: ctx must be a predictors.Context, got {type(ctx).__name__}")
    space = ctx.space
    if isinstance(space, (str, bytes)) or not callable(getattr(space, "encode", None)):
        raise TypeError(f"{who}: ctx.space must be a search space (get_search_space(name)), "
                        f"got {type(space).__name__}")
    return ctx


def check_labels(y: Any, count: int, who: str) -> np.ndarray:
    """`y` as a 1-D float array of `count` finite labels (ValueError naming y otherwise)."""
    try:
        labels = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: y must be numbers (validation accuracies), got "
                         f"{type(y).__name__}") from None
    if labels.ndim > 1 and labels.size == count:
        labels = labels.reshape(-1)
    if labels.ndim != 1 or len(labels) != count:
        raise ValueError(f"{who}: got {count} archs but y holds {labels.size} labels")
    if not np.all(np.isfinite(labels)):
        raise ValueError(f"{who}: y (train labels) contains NaN or inf")
    return labels


_REGISTRY: dict[str, type[Predictor]] = {}


def register_predictor(cls: type[Predictor]) -> type[Predictor]:
    """Class decorator: make a predictor available under `cls.name`."""
    if cls.family not in FAMILIES:
        raise ValueError(f"predictor {cls.name!r}: unknown family {cls.family!r}; "
                         f"expected one of {', '.join(FAMILIES)}")
    if cls.output_scale not in ("label", "score"):
        raise ValueError(f"predictor {cls.name!r}: output_scale must be 'label' or 'score', "
                         f"got {cls.output_scale!r}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two predictors are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def get_predictor(name: str, config: str | None = None, **params: Any) -> Predictor:
    """A new predictor called `name`, built with `params` (its hyperparameters). `config`
    starts from one of the predictor's named configurations (`"paper"`: the predictor paper's
    setup, where our defaults depart from it); `params` override it."""
    if not isinstance(name, str) or name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none registered"
        raise ValueError(f"unknown predictor {name!r}; expected one of: {known}")
    cls = _REGISTRY[name]
    if config is not None:
        if config not in cls.configs:
            have = ", ".join(sorted(cls.configs)) or \
                "none (it has no configuration of the predictor paper to restore)"
            raise ValueError(f"predictor {name!r} has no configuration {config!r}; it has: {have}")
        params = {**cls.configs[config], **params}
    accepted = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(params) - set(accepted))
    if unknown and not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
        raise ValueError(f"predictor {name!r} has no parameter(s) {', '.join(unknown)}; "
                         f"it takes: {', '.join(p for p in accepted if p != 'self') or 'none'}")
    predictor = cls(**params)
    check_numeric_params(predictor)  # a bad value fails here, in one line, not inside fit
    return predictor


def list_predictors(family: str | None = None) -> list[str]:
    """Registered predictor names, optionally of one family, sorted."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    return sorted(n for n, c in _REGISTRY.items() if family is None or c.family == family)


def predictor_class(name: str) -> type[Predictor]:
    if name not in _REGISTRY:
        raise ValueError(f"unknown predictor {name!r}; expected one of: "
                         f"{', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def has_images(benchmark: Any) -> bool:
    """Whether contexts built on `benchmark` (`Context.for_benchmark`) carry its images
    (`Context.data`, `Context.batch`); tabular sources have none."""
    return bool(getattr(benchmark, "has_batches", False))


def check_needs(predictor: Predictor, benchmark: Any) -> None:
    """ValueError (one line) when `benchmark` cannot give `predictor` what its `needs` say it
    cannot work without: images for `Needs.images`."""
    if predictor.needs.images and not has_images(benchmark):
        describe = getattr(benchmark, "describe", None)
        what = describe() if callable(describe) else repr(benchmark)
        raise ValueError(f"predictor {predictor.name!r} trains on the benchmark's images "
                         f"(Context.data), but {what} holds none; use a live or the default "
                         f"benchmark")


def as_list(archs: Iterable[Any]) -> list[Any]:
    """Materialise an iterable of archs once (predictors may iterate several times)."""
    return archs if isinstance(archs, list) else list(archs)
