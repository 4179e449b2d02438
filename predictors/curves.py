"""`CurveView`: the learning curves a predictor may read, with the fidelity wall (DESIGN §3).

Train archs are seen in full; every other arch only up to `fidelity` epochs. A learning-curve
predictor therefore *cannot* read epoch `fidelity + 1` of a query arch: the arrays it receives
simply end there, and the final test accuracy is withheld.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

import numpy as np

_ARRAYS = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds")


class FidelityError(LookupError):
    """A predictor asked for more of a query arch's curve than the fidelity allows."""


class CurveView:
    def __init__(self, benchmark: Any, train_archs: Iterable[Any] = (), fidelity: int = 0):
        if fidelity < 0:
            raise ValueError(f"fidelity must be >= 0, got {fidelity}")
        self._benchmark = benchmark
        self._train = frozenset(train_archs)
        self.fidelity = int(fidelity)

    @property
    def max_epochs(self) -> int:
        return int(self._benchmark.max_epochs)

    def is_train(self, arch: Any) -> bool:
        return arch in self._train

    def curve(self, arch: Any) -> Any:
        """The curve of `arch`: in full for a train arch, else its first `fidelity` epochs."""
        if arch in self._train:
            return _read_only(self._benchmark.curve(arch), None)
        if self.fidelity < 1:
            raise FidelityError(
                f"the curve of query arch {arch} is hidden: fidelity is 0 epochs")
        return _read_only(self._benchmark.curve(arch), self.fidelity)

    def partial(self, arch: Any, epochs: int) -> Any:
        """The first `epochs` epochs of any arch (train or query) — what learning-curve
        predictors fit on, so train and query archs are featurised alike."""
        if arch not in self._train and epochs > self.fidelity:
            raise FidelityError(
                f"asked for {epochs} epochs of query arch {arch}; the fidelity is {self.fidelity}")
        return _read_only(self._benchmark.curve(arch), epochs)


def _read_only(curve: Any, epochs: int | None) -> Any:
    changes: dict[str, Any] = {}
    for name in _ARRAYS:
        values = np.array(getattr(curve, name), dtype=float, copy=True)
        if epochs is not None:
            values = values[:epochs]
        values.setflags(write=False)
        changes[name] = values
    if epochs is not None:
        changes["test_acc"] = None  # the final result is not part of a partial curve
    return dataclasses.replace(curve, **changes)
