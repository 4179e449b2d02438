"""Run a fit or a prediction on one thread: torch's intra-op pool and numpy's BLAS
(OpenBLAS / OpenMP, via threadpoolctl) are limited to 1 and restored after.

The models here run thousands of tiny torch steps or one mid-sized LAPACK call; with a spare
thread pool on a shared CPU both spin and oversubscribe (measured under load: a 100-point SGPR
fit took ~45 s instead of well under one; a 1000x1000 `eigh` 10.8 s instead of 0.8 s).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def one_thread() -> Iterator[None]:
    import torch

    try:  # a dependency of scikit-learn; without it BLAS keeps its threads
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        threadpool_limits = None
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    limits = threadpool_limits(1) if threadpool_limits is not None else None
    try:
        yield
    finally:
        torch.set_num_threads(before)
        if limits is not None:
            limits.restore_original_limits()


def single_threaded(method: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of `one_thread` for `_fit` / `_predict`."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_thread():
            return method(*args, **kwargs)

    return wrapper
