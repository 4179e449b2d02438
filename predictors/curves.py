"""`CurveView`: the learning curves a predictor may read, with the fidelity wall (DESIGN §3).

Train archs are seen in full; query archs only up to `fidelity` epochs; no other arch at all.
The view holds read-only *copies*, already cut to what may be seen, and nothing else: no
benchmark, no loader, no closure. A learning-curve predictor therefore cannot read epoch
`fidelity + 1` of a query arch by any route: the arrays it can reach simply end there, and the
final test accuracy is withheld for every arch.

    view = CurveView.from_benchmark(bench, train_archs, query_archs, fidelity=3)
    view.partial(query_arch, 3)     # the first 3 epochs
    view.partial(query_arch, 4)     # FidelityError
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

_ARRAYS = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds")


class FidelityError(LookupError, ValueError):
    """A predictor asked for more of a curve than its context shows (a ValueError too: the
    caller passed archs or a fidelity the context does not hold)."""


class CurveView:
    """Curves of the train archs (in full) and of the query archs (first `fidelity` epochs).

    `curves` maps arch -> Curve (anything with the five epoch arrays); train curves are copied
    whole, query curves cut to `fidelity` epochs (none are kept at fidelity 0). `max_epochs` is
    the benchmark's E (learning-curve extrapolation targets it)."""

    __slots__ = ("_train", "_query", "fidelity", "max_epochs")

    def __init__(self, curves: Mapping[Any, Any], train_archs: Iterable[Any] = (),
                 fidelity: int = 0, max_epochs: int | None = None) -> None:
        fidelity = int(fidelity)
        if fidelity < 0:
            raise ValueError(f"fidelity must be >= 0, got {fidelity}")
        train = set(train_archs)
        lengths = [len(c.val_acc) for c in curves.values()]
        self.max_epochs = int(max_epochs if max_epochs is not None else max(lengths, default=0))
        if fidelity > self.max_epochs and curves:
            raise ValueError(f"fidelity {fidelity} exceeds the {self.max_epochs} epochs of the "
                             f"curves")
        self.fidelity = fidelity
        self._train = {a: _read_only(c, None) for a, c in curves.items() if a in train}
        missing = train - set(self._train)
        if missing:
            raise ValueError(f"no curve given for train arch {next(iter(missing))}")
        self._query = {a: _read_only(c, fidelity) for a, c in curves.items()
                       if a not in train} if fidelity > 0 else {}

    @classmethod
    def from_benchmark(cls, benchmark: Any, train_archs: Iterable[Any] = (),
                       query_archs: Iterable[Any] = (), fidelity: int = 0,
                       curve: Callable[[Any], Any] | None = None) -> CurveView:
        """Read the curves of `train_archs` (full) and `query_archs` (cut to `fidelity`) from
        `benchmark` now; the view keeps copies only. `curve` (default `benchmark.curve`) lets
        a caller pass curves it already holds."""
        read = benchmark.curve if curve is None else curve
        train = list(dict.fromkeys(train_archs))
        wanted = train + ([a for a in dict.fromkeys(query_archs) if a not in set(train)]
                          if fidelity > 0 else [])
        return cls({a: read(a) for a in wanted}, train, fidelity, int(benchmark.max_epochs))

    def is_train(self, arch: Any) -> bool:
        return arch in self._train

    def archs(self) -> list[Any]:
        """Every arch this view shows something of (train archs first)."""
        return [*self._train, *self._query]

    def curve(self, arch: Any) -> Any:
        """The curve of `arch`: in full for a train arch, else its first `fidelity` epochs."""
        if arch in self._train:
            return self._train[arch]
        if arch in self._query:
            return self._query[arch]
        if self.fidelity < 1:
            raise FidelityError(f"the curve of query arch {arch} is hidden: fidelity is 0 epochs")
        raise FidelityError(f"arch {arch} is neither a train nor a query arch of this context")

    def partial(self, arch: Any, epochs: int) -> Any:
        """The first `epochs` epochs of any arch the view shows (train or query) — what
        learning-curve predictors fit on, so train and query archs are featurised alike."""
        epochs = int(epochs)
        if arch not in self._train and epochs > self.fidelity:
            raise FidelityError(
                f"asked for {epochs} epochs of query arch {arch}; the fidelity is {self.fidelity}")
        full = self._train.get(arch)
        if full is None:
            full = self._query.get(arch)
        if full is None:
            raise FidelityError(f"arch {arch} is neither a train nor a query arch of this "
                                f"context")
        if epochs > len(full.val_acc):
            raise FidelityError(f"asked for {epochs} epochs of arch {arch}; its curve has "
                                f"{len(full.val_acc)}")
        return _read_only(full, epochs)

    def __repr__(self) -> str:
        return (f"CurveView({len(self._train)} train archs, {len(self._query)} query archs, "
                f"fidelity={self.fidelity}, max_epochs={self.max_epochs})")


def _read_only(curve: Any, epochs: int | None) -> Any:
    """A copy of `curve` with read-only arrays cut to `epochs` (all when None) and no test
    accuracy (the final result is never part of what a predictor sees)."""
    changes: dict[str, Any] = {}
    for name in _ARRAYS:
        values = np.array(getattr(curve, name), dtype=float, copy=True)
        if epochs is not None:
            values = values[:epochs]
        values.setflags(write=False)
        changes[name] = values
    if hasattr(curve, "test_acc"):
        changes["test_acc"] = None
    if dataclasses.is_dataclass(curve) and not isinstance(curve, type):
        return dataclasses.replace(curve, **changes)
    return _PlainCurve(**changes)


@dataclasses.dataclass(frozen=True, eq=False)
class _PlainCurve:
    """Copy of a curve-like object that is not a dataclass."""

    train_loss: np.ndarray
    train_acc: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    epoch_seconds: np.ndarray
    test_acc: float | None = None

    @property
    def epochs(self) -> int:
        return int(self.val_acc.shape[0])
