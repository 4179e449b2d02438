"""The `Benchmark` contract, the `Curve` it returns, and the `load_benchmark` registry (DESIGN §3).

A benchmark answers "how good is this architecture on this dataset": a learning curve (`Curve`)
plus the seconds each epoch cost. Tabular benchmarks read files users already have; the live
benchmark trains on a miss. Each kind registers a loader with `@register_benchmark("kind")`;
`load_benchmark(kind, **options)` checks the options against the loader's signature, so a typo
in an option name is a clear error instead of a silently ignored keyword.
"""

from __future__ import annotations

import abc
import inspect
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from search_spaces import Arch, SearchSpace
from search_spaces.base import check_int

if TYPE_CHECKING:  # pragma: no cover
    from torch import Tensor


class UnsupportedError(NotImplementedError, ValueError):
    """The benchmark cannot do this (e.g. `batch` on a table that holds no images).

    A `NotImplementedError` for callers probing capabilities, and a `ValueError` so that the CLI
    reports it as one line (predbench.cli.errors.USAGE_ERRORS)."""


_CURVE_ARRAYS = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds")


@dataclass(frozen=True, eq=False)
class Curve:
    """One trained architecture. Arrays are float, indexed by epoch 1..E (position e-1 holds
    epoch e), all of the same length E >= 1; accuracies in percent; NaN where the source does
    not know a value. `test_acc` is the final test accuracy, or None when the source has none.

    Compared by identity (`eq=False`): numpy arrays have no single truth value, so the
    generated dataclass equality would raise. The arrays are read-only.
    """

    train_loss: np.ndarray
    train_acc: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    epoch_seconds: np.ndarray
    test_acc: float | None = None

    def __post_init__(self) -> None:
        lengths = set()
        for name in _CURVE_ARRAYS:
            values = np.array(getattr(self, name), dtype=np.float64, copy=True).reshape(-1)
            values.setflags(write=False)
            object.__setattr__(self, name, values)  # frozen: set through object
            lengths.add(values.shape[0])
        if len(lengths) != 1 or 0 in lengths:
            sizes = ", ".join(f"{n}={getattr(self, n).shape[0]}" for n in _CURVE_ARRAYS)
            raise ValueError(f"Curve arrays must share one length >= 1, got {sizes}")
        if self.test_acc is not None:
            object.__setattr__(self, "test_acc", float(self.test_acc))

    @classmethod
    def final_only(cls, val_acc: float, test_acc: float | None = None,
                   train_seconds: float = math.nan) -> Curve:
        """A length-1 curve for sources that only store the final validation accuracy.
        `train_seconds` (NaN when unknown) is the cost of the whole reported training run."""
        def one(value: float) -> np.ndarray:
            return np.array([value], dtype=float)

        return cls(train_loss=one(math.nan), train_acc=one(math.nan), val_loss=one(math.nan),
                   val_acc=one(val_acc), epoch_seconds=one(train_seconds), test_acc=test_acc)

    @property
    def epochs(self) -> int:
        """E, the number of epochs this curve covers."""
        return int(self.val_acc.shape[0])

    @property
    def final_val_acc(self) -> float:
        """Validation accuracy (percent) after the last epoch."""
        return float(self.val_acc[-1])

    def train_seconds(self, upto: int | None = None) -> float:
        """Seconds spent training the first `upto` epochs (all when None); NaN when any of
        them is unknown. `upto=0` costs nothing."""
        if upto is None:
            upto = self.epochs
        if not 0 <= int(upto) <= self.epochs:
            raise ValueError(f"upto must be in 0..{self.epochs}, got {upto}")
        return float(self.epoch_seconds[: int(upto)].sum())  # NaN if any epoch is unknown

    def __len__(self) -> int:
        return self.epochs

    def __repr__(self) -> str:
        test = "None" if self.test_acc is None else f"{self.test_acc:.2f}"
        return (f"Curve(epochs={self.epochs}, final_val_acc={self.final_val_acc:.2f}, "
                f"test_acc={test}, train_seconds={self.train_seconds():.1f})")


class Benchmark(abc.ABC):
    """Ground truth for one (search space, dataset). See DESIGN §3.

    Attributes every benchmark sets:
      space: the `SearchSpace` its architectures belong to.
      dataset: the dataset name (as the source names it, e.g. "cifar10-valid").
      max_epochs: length of the curves `curve` returns. 1 for sources that only store a final
        accuracy; `reported_epochs` then says how long the run behind that number trained.
    """

    #: the registry name this benchmark was loaded under ("suite_zero", "table", ...)
    kind: ClassVar[str] = "benchmark"
    #: whether `batch` gives real data minibatches (tabular sources hold no images)
    has_batches: ClassVar[bool] = False

    space: SearchSpace
    dataset: str
    max_epochs: int

    @property
    def reported_epochs(self) -> int:
        """Epochs of the training runs behind the stored values. Equals `max_epochs` when the
        source stores full curves; larger when it only stores a final accuracy (e.g. 200 for
        NAS-Bench-201, whose `max_epochs` is then 1)."""
        return self.max_epochs

    @abc.abstractmethod
    def curve(self, arch: Arch | str) -> Curve:
        """The curve of `arch` (an Arch of `space` or its canonical text). Tabular benchmarks
        raise `KeyError` naming the arch when they do not hold it."""

    @abc.abstractmethod
    def archs(self) -> list[Arch]:
        """The architectures known without new training, in the source's order."""

    def batch(self, n: int, seed: int) -> tuple[Tensor, Tensor]:
        """A data minibatch (inputs, labels) of size `n`, for zero-cost proxies."""
        raise UnsupportedError(
            f"{self.kind} benchmark ({self.describe()}) holds no images, so it has no data "
            f"batches; use a live benchmark, e.g. load_benchmark('live', space="
            f"{self.space.name!r}, dataset=...), for minibatches"
            + (", or its stored zero-cost scores (proxy_score)" if self.proxies() else ""))

    def final_val_acc(self, archs: Iterable[Arch | str] | None = None) -> np.ndarray:
        """Final validation accuracy (percent) of `archs` (all of `archs()` when None).
        Subclasses override this when they can answer faster than building each curve."""
        chosen = self.archs() if archs is None else list(archs)
        return np.array([self.curve(a).final_val_acc for a in chosen], dtype=np.float64)

    # -- stored zero-cost proxy scores (optional capability) --------------------------------
    def proxies(self) -> list[str]:
        """Names of the zero-cost proxies whose scores the source stores (none by default)."""
        return []

    def proxy_score(self, arch: Arch | str, name: str) -> tuple[float, float]:
        """(score, seconds to compute it) of proxy `name` for `arch`, as stored by the source.
        `KeyError` when the source stores no such proxy or does not hold `arch`."""
        raise self._no_proxy_error(name)

    def _no_proxy_error(self, name: str) -> KeyError:
        available = self.proxies()
        if not available:
            return KeyError(f"{self.kind} benchmark ({self.describe()}) stores no zero-cost "
                            f"proxy scores; compute them with a zero-cost predictor instead")
        return KeyError(f"{self.kind} benchmark ({self.describe()}) stores no proxy {name!r}; "
                        f"it has: {', '.join(available)}")

    def proxy_scores(self, name: str, archs: Iterable[Arch | str] | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Vector form of `proxy_score`: (scores, seconds) arrays over `archs` (all when None)."""
        chosen = self.archs() if archs is None else list(archs)
        pairs = [self.proxy_score(a, name) for a in chosen]
        scores = np.array([p[0] for p in pairs], dtype=np.float64)
        seconds = np.array([p[1] for p in pairs], dtype=np.float64)
        return scores, seconds

    # -- helpers ----------------------------------------------------------------------------
    def _as_arch(self, arch: Arch | str) -> Arch:
        """An Arch of this benchmark's space from an Arch or its canonical text."""
        if isinstance(arch, str):
            return self.space.parse(arch)
        if not isinstance(arch, Arch) or getattr(arch, "space", None) != self.space.name:
            raise ValueError(
                f"expected an architecture of space {self.space.name!r} for {self.kind} "
                f"benchmark ({self.describe()}), got {arch!r}")
        return arch

    def __contains__(self, arch: object) -> bool:
        if not isinstance(arch, (Arch, str)):
            return False
        try:
            key = self._as_arch(arch)
        except ValueError:
            return False
        return self._holds(key)

    def _holds(self, arch: Arch) -> bool:
        """Whether `curve(arch)` answers without training; subclasses refine this."""
        return arch in set(self.archs())

    def describe(self) -> str:
        """A short phrase naming this benchmark in messages, e.g. its file and dataset."""
        return f"space {self.space.name}, dataset {self.dataset}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind}: {self.describe()}>"


# -- registry ---------------------------------------------------------------------------------
_LOADERS: dict[str, Callable[..., Benchmark]] = {}


def register_benchmark(kind: str) -> Callable[[Callable[..., Benchmark]], Callable[..., Benchmark]]:
    """Decorator: make `loader(**options) -> Benchmark` available as `load_benchmark(kind, ...)`.
    The loader's keyword parameters are the options users may pass."""

    def decorate(loader: Callable[..., Benchmark]) -> Callable[..., Benchmark]:
        _LOADERS[kind] = loader
        return loader

    return decorate


def list_benchmarks() -> list[str]:
    """The benchmark kinds `load_benchmark` knows."""
    return list(_LOADERS)


def benchmark_options(kind: str) -> dict[str, Any]:
    """Option name -> default (`inspect.Parameter.empty` when required) of a benchmark kind."""
    loader = _loader(kind)
    return {name: p.default for name, p in inspect.signature(loader).parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def load_benchmark(kind: str, **options: Any) -> Benchmark:
    """Load the benchmark `kind` ("suite_zero", "table", "nb201_official", ...) with its
    options; unknown kinds and unknown or missing options are `ValueError`s naming them."""
    loader = _loader(kind)
    params = inspect.signature(loader).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    accepted = benchmark_options(kind)
    unknown = sorted(set(options) - set(accepted))
    if unknown and not takes_any:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} for benchmark {kind!r}; "
            f"expected some of: {', '.join(accepted)}")
    missing = [n for n, d in accepted.items() if d is inspect.Parameter.empty and n not in options]
    if missing:
        raise ValueError(f"benchmark {kind!r} needs option(s): {', '.join(missing)}")
    check_option_values(kind, options, accepted)
    return loader(**options)


class OptionTypeError(TypeError, ValueError):
    """A benchmark option of the wrong type: a `TypeError` for the API, and a `ValueError`
    (a usage error) where the value came from a command line or a spec."""


#: seeds are stored as 64-bit signed integers (numpy arrays, SQLite): 0 <= seed < 2**63
MAX_SEED = 2**63 - 1
#: options whose meaning bounds them, whichever benchmark takes them
_OPTION_MINIMUM = {"seed": 0, "repeat": 0, "epochs": 1, "threads": 1, "reported_epochs": 1}
_OPTION_MAXIMUM = {"seed": MAX_SEED}
#: options that name a file or folder: text (or a path), never empty
_PATH_OPTIONS = ("path", "db", "data_root")


def check_option_values(kind: str, options: dict[str, Any], accepted: dict[str, Any]) -> None:
    """Each value's type against its default's (an int option takes an int, not 3.7, "abc" or
    True; a float option an int or float; a str option a str) and the bounds of well-known
    options (seed >= 0, epochs >= 1, ...): a `TypeError`/`ValueError` naming the option, not a
    failure deep inside the loader."""
    for name, value in options.items():
        default = accepted.get(name, inspect.Parameter.empty)
        where = f"benchmark {kind!r} option {name}"
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise OptionTypeError(f"{where} expects true or false, got {value!r}")
        elif isinstance(default, int) and not is_int:
            raise OptionTypeError(f"{where} expects an integer, got {value!r}")
        elif isinstance(default, float) and (isinstance(value, bool)
                                             or not isinstance(value, (int, float))):
            raise OptionTypeError(f"{where} expects a number, got {value!r}")
        elif isinstance(default, str) and not isinstance(value, str):
            raise OptionTypeError(f"{where} expects text, got {value!r}")
        if name in _OPTION_MINIMUM and value is not None:
            if not is_int:
                raise OptionTypeError(f"{where} expects an integer, got {value!r}")
            if value < _OPTION_MINIMUM[name]:
                raise ValueError(f"{where} must be >= {_OPTION_MINIMUM[name]}, got {value}")
            if name in _OPTION_MAXIMUM and value > _OPTION_MAXIMUM[name]:
                raise ValueError(f"{where} must be < 2**63 (a 64-bit integer), got {value}")
        if name in _PATH_OPTIONS and isinstance(value, str) and not value.strip():
            raise ValueError(f"{where} is empty; expected a file path")
        if name == "device" and value is not None:
            check_device_name(value, where)


def check_device_name(device: Any, name: str = "device") -> str:
    """A device name training accepts: auto, cpu, cuda or cuda:N (a `torch.device` of type cpu
    or cuda too); a `TypeError` / `ValueError` naming `name` otherwise. Checked without
    importing torch; whether a CUDA GPU is present is checked where training starts."""
    if type(device).__name__ == "device" and str(getattr(device, "type", "")) in ("cpu", "cuda"):
        return str(device)
    if not isinstance(device, str):
        raise OptionTypeError(f"{name} must be a device name such as 'cpu' or 'cuda:0', got "
                              f"{device!r}")
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", device):
        raise ValueError(f"{name} must be auto, cpu, cuda or cuda:N, got {device!r}")
    return device


def check_batch_args(n: Any, seed: Any, largest: int | None = None) -> tuple[int, int]:
    """(n, seed) of `Benchmark.batch` / a dataset's `batch`: n an integer in [1, `largest`],
    seed an integer in [0, 2**63); a `TypeError` / `ValueError` naming n or seed otherwise."""
    n = check_int(n, "batch size n")
    if n < 1:
        raise ValueError(f"batch needs n >= 1 samples, got n={n}")
    if largest is not None and n > largest:
        raise ValueError(f"batch needs n <= {largest} (the samples it draws from), got n={n}")
    return n, check_seed(seed)


def check_seed(seed: Any, name: str = "seed") -> int:
    """`seed` as an int in [0, 2**63) (a Python or numpy integer, not a bool or a float); a
    `TypeError` / `ValueError` naming `name` otherwise."""
    seed = check_int(seed, name, 0)
    if seed > MAX_SEED:
        raise ValueError(f"{name} must be an integer in [0, 2**63), got {seed}")
    return seed


def _loader(kind: str) -> Callable[..., Benchmark]:
    if not isinstance(kind, str) or kind not in _LOADERS:
        raise ValueError(
            f"unknown benchmark kind {kind!r}; expected one of: {', '.join(list_benchmarks())}")
    return _LOADERS[kind]
