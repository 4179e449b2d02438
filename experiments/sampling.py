"""Test and train sets for the evaluator (the predictor paper's two samplers).

- ``uniform``: the test set is drawn uniformly without replacement from the pool; the train
  sets are one random order of the rest, so a train set of size n is the first n of that order
  (nested across sizes, disjoint from the test set).
- ``mutation``: the test set grows by taking 10 random archs, keeping the best 5 by label, and
  mutating each 1–3 times, until it holds `test_size` archs (only archs the pool holds count);
  train archs are one mutation of a random test arch each, distinct and disjoint from the test
  set, again nested across sizes. This mimics the local, high-accuracy region a NAS loop visits.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

SAMPLERS = ("uniform", "mutation")


def draw_sets(pool: Sequence[Any], label: Callable[[Any], float], space: Any,
              test_size: int, max_train: int, rng: np.random.Generator,
              sampler: str = "uniform") -> tuple[list[Any], list[Any]]:
    """(test archs, train order). `train_order[:n]` is the train set of size n."""
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; expected one of: {', '.join(SAMPLERS)}")
    pool = list(pool)
    if test_size < 1:
        raise ValueError(f"test_size must be >= 1, got {test_size}")
    if test_size + max_train > len(pool):
        raise ValueError(
            f"the benchmark holds {len(pool)} archs, fewer than test_size {test_size} + the "
            f"largest train size {max_train}")
    if sampler == "uniform":
        order = rng.permutation(len(pool))
        test = [pool[i] for i in order[:test_size]]
        train = [pool[i] for i in order[test_size:test_size + max_train]]
        return test, train
    return _mutation_sets(pool, label, space, test_size, max_train, rng)


def _mutation_sets(pool: list[Any], label: Callable[[Any], float], space: Any, test_size: int,
                   max_train: int, rng: np.random.Generator) -> tuple[list[Any], list[Any]]:
    members = set(pool)
    test: list[Any] = []
    seen: set[Any] = set()
    attempts = 0
    while len(test) < test_size:
        attempts += 1
        if attempts > 100 * test_size:
            raise ValueError(f"mutation sampler found only {len(test)} of {test_size} test archs "
                             f"in the benchmark; use sampler='uniform'")
        candidates = [pool[i] for i in rng.choice(len(pool), size=min(10, len(pool)),
                                                  replace=False)]
        top = sorted(candidates, key=label, reverse=True)[:5]
        for arch in top:
            child = arch
            for _ in range(int(rng.integers(1, 4))):
                child = space.mutate(child, rng)
            if child in members and child not in seen:
                seen.add(child)
                test.append(child)
                if len(test) == test_size:
                    break
    train: list[Any] = []
    attempts = 0
    while len(train) < max_train:
        attempts += 1
        if attempts > 200 * max(max_train, 1):
            raise ValueError(f"mutation sampler found only {len(train)} of {max_train} train "
                             f"archs in the benchmark; use sampler='uniform'")
        child = space.mutate(test[int(rng.integers(len(test)))], rng)
        if child in members and child not in seen:
            seen.add(child)
            train.append(child)
    return test, train
