"""The `SearchSpace` protocol and the `Arch` base class every space builds on (DESIGN §3).

A search space names architectures (`Arch`), turns them to and from text, samples and mutates
them, encodes them for predictors and builds the real PyTorch network. Spaces register
themselves with `@register_search_space`; `get_search_space(name)` returns the shared instance.

Torch is imported lazily (only `build_network` needs it) so that parsing, encoding and the CLI's
quick commands stay fast.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn


def is_int(value: Any) -> bool:
    """Whether `value` is an integer (Python or numpy), and not a bool or a float: keys and
    indices must not be silently truncated (3.7 -> 3) or read from True / False."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


#: the most outputs (classes, or a vocabulary's tokens) `build_network` builds a network for
MAX_NUM_CLASSES = 100_000


def check_int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None
              ) -> int:
    """`value` as an int: a Python or numpy integer (not a bool, a float or text) in
    [`minimum`, `maximum`]; a `TypeError` / `ValueError` naming `name` otherwise."""
    if not is_int(value):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            bound = f">= {minimum}"
        elif minimum is None:
            bound = f"<= {maximum}"
        else:
            bound = f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {bound}, got {value}")
    return value


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """`rng` when it is a `numpy.random.Generator`; a `TypeError` naming `name` otherwise (an
    int seed, None or a legacy `RandomState` would draw differently, or not at all)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} must be a numpy random Generator, e.g. "
                        f"np.random.default_rng(0), got {type(rng).__name__} {rng!r}")
    return rng


class InvalidArchError(ValueError):
    """Malformed or invalid architecture text or spec. Its message names the problem and the
    form."""


class Arch(abc.ABC):
    """An architecture of one space: immutable, hashable, equal iff the same canonical architecture.

    Subclasses are frozen dataclasses holding the canonical form; `str(arch)` is the space's
    canonical text, so `space.parse(str(arch)) == arch`.
    """

    space: ClassVar[str]

    def __str__(self) -> str:
        return get_search_space(self.space).format(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class SearchSpace(abc.ABC):
    """One search space. See DESIGN §3 for the contract; each method documents its space's facts."""

    name: ClassVar[str]
    #: encodings this space offers, kind -> length of the vector `encode` returns
    encodings: ClassVar[dict[str, int]]
    #: named network presets: name -> (constructor arguments, one-line description)
    presets: ClassVar[dict[str, tuple[dict[str, Any], str]]]
    #: what `build_network`'s model reads: "image" ([batch, C, H, W] floats, `num_classes`
    #: outputs) or "tokens" ([sequence, batch] token ids, `num_classes` = vocabulary size)
    input_kind: ClassVar[str] = "image"
    #: `num_classes` of `build_network` when none is given
    default_num_classes: ClassVar[int] = 10

    # -- text ------------------------------------------------------------------------------
    @abc.abstractmethod
    def parse(self, text: str) -> Arch:
        """Canonical text form -> Arch. Raises `InvalidArchError` naming the problem."""

    @abc.abstractmethod
    def format(self, arch: Arch) -> str:
        """Arch -> canonical text (the inverse of `parse`)."""

    # -- exploring -------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        """One architecture drawn uniformly (over the space's valid specs). `rng` must be a
        `numpy.random.Generator` (`TypeError` naming rng otherwise)."""
        return self._sample(check_rng(rng))

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """One single-step change of `arch`; never returns an arch equal to the input. `rng`
        must be a `numpy.random.Generator` (`TypeError` naming rng otherwise)."""
        return self._mutate(arch, check_rng(rng))

    @abc.abstractmethod
    def _sample(self, rng: np.random.Generator) -> Arch:
        """`sample` with a checked generator."""

    @abc.abstractmethod
    def _mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """`mutate` with a checked generator (`arch` still unchecked)."""

    @abc.abstractmethod
    def neighbors(self, arch: Arch) -> list[Arch]:
        """All architectures one single-step change away (distinct, none equal to `arch`)."""

    # -- encodings -------------------------------------------------------------------------
    @abc.abstractmethod
    def encode(self, arch: Arch, kind: str = "adjacency_one_hot") -> np.ndarray:
        """A fixed-length float vector; `encodings` lists the kinds and their lengths."""

    @abc.abstractmethod
    def graph(self, arch: Arch) -> tuple[np.ndarray, np.ndarray]:
        """(adjacency [n, n], node-op one-hot [n, n_ops]) of a node-labelled DAG for GNNs."""

    # -- NAS-Bench-Suite-Zero / NASLib keys --------------------------------------------------
    @abc.abstractmethod
    def from_suite_zero(self, key: str | tuple) -> Arch:
        """The arch of a NAS-Bench-Suite-Zero JSON key (its text, or the parsed tuple)."""

    @abc.abstractmethod
    def to_suite_zero(self, arch: Arch) -> str:
        """The NAS-Bench-Suite-Zero JSON key text of `arch`."""

    # -- facts -----------------------------------------------------------------------------
    def info(self, arch: Arch) -> dict[str, Any]:
        """Space-specific facts about `arch` (validity, reachability, sizes) for `arch info`."""
        return {}

    # -- networks --------------------------------------------------------------------------
    def build_network(
        self, arch: Arch, num_classes: int | None = None, preset: str = "official",
        **overrides: Any
    ) -> nn.Module:
        """The real PyTorch network of `arch` under a named preset (`presets`), e.g. "official"
        for the benchmark's own network. `overrides` replace single preset arguments;
        `num_classes` (an integer in [1, MAX_NUM_CLASSES]) defaults to
        `default_num_classes`."""
        if num_classes is None:
            num_classes = self.default_num_classes
        num_classes = check_int(num_classes, "num_classes", 1, MAX_NUM_CLASSES)
        params = self.preset_params(preset)
        unknown = sorted(set(overrides) - set(params))
        if unknown:
            raise ValueError(
                f"unknown network option(s) {', '.join(unknown)} for space {self.name!r}; "
                f"expected some of: {', '.join(sorted(params))}"
            )
        params.update(overrides)
        return self._build_network(self._check(arch), num_classes, **params)

    def preset_params(self, preset: str) -> dict[str, Any]:
        if preset not in self.presets:
            raise ValueError(
                f"unknown preset {preset!r} for space {self.name!r}; "
                f"expected one of: {', '.join(self.presets)}"
            )
        return dict(self.presets[preset][0])

    @abc.abstractmethod
    def _build_network(self, arch: Arch, num_classes: int, **params: Any) -> nn.Module:
        """Build the network from resolved preset arguments."""

    # -- helpers ---------------------------------------------------------------------------
    def _check(self, arch: Any) -> Arch:
        """Accept an Arch of this space or its text; anything else is a clear error."""
        if isinstance(arch, str):
            return self.parse(arch)
        if not isinstance(arch, Arch) or arch.space != self.name:
            raise InvalidArchError(
                f"expected an architecture of space {self.name!r}, got {type(arch).__name__} "
                f"{getattr(arch, 'space', '')!s}".rstrip()
            )
        return arch

    def _check_kind(self, kind: str) -> None:
        if kind not in self.encodings:
            raise ValueError(
                f"unknown encoding {kind!r} for space {self.name!r}; "
                f"expected one of: {', '.join(self.encodings)}"
            )

    def __repr__(self) -> str:
        return f"<SearchSpace {self.name}>"


_REGISTRY: dict[str, Callable[[], SearchSpace]] = {}
_INSTANCES: dict[str, SearchSpace] = {}


def register_search_space(cls: type[SearchSpace]) -> type[SearchSpace]:
    """Class decorator: make a space available under `cls.name`."""
    _REGISTRY[cls.name] = cls
    return cls


def get_search_space(name: str) -> SearchSpace:
    """The search space called `name` ("nb201", "nb101", "darts")."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"unknown search space {name!r}; expected one of: {', '.join(list_search_spaces())}"
        )
    if name not in _INSTANCES:
        _INSTANCES[name] = _REGISTRY[name]()
    return _INSTANCES[name]


def list_search_spaces() -> list[str]:
    return list(_REGISTRY)
