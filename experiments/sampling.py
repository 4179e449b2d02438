"""Test and train sets for the evaluator (the predictor paper's two samplers).

- ``uniform``: the test set is drawn uniformly without replacement from the pool; the train
  sets are one random order of the rest, so a train set of size n is the first n of that order
  (nested across sizes, disjoint from the test set).
- ``mutation``: the procedure of the predictor paper's code (White et al. 2021, NASLib's
  predictor evaluator), which mimics the local, high-accuracy region a NAS loop visits:

  1. draw 10 distinct archs of the pool uniformly;
  2. keep the best 5 of them by label: these *parents* are the first members of the test set
     (the other 5 are set aside: as in the reference, an arch drawn once is never taken again,
     so they join neither set);
  3. until the test set holds `test_size` archs: pick one of the 5 parents uniformly, apply
     1, 2 or 3 (uniformly) successive single mutations (`space.mutate`), and add the result if
     it is new.

  The train order then grows by mutating, once, a uniformly chosen test arch and adding the
  result if it is new (so never a test arch); `train_order[:n]` is the train set of size n,
  nested across sizes as for ``uniform``. With `test_size` < 5 the test set is the best
  `test_size` parents (all 5 still seed the mutations).

  A benchmark may hold only part of its space (a table, the 1,000-cell default benchmark, one
  half of NB201 under a split), and only archs of `pool` have labels: a mutant outside the pool
  is rejected and the step is retried (intermediate steps of a 1–3 step chain may leave the
  pool; only the result must be in it). Attempts are bounded — `ATTEMPTS_PER_ARCH` per arch
  still wanted, plus a fixed allowance — and running out raises a ValueError that suggests
  ``sampler='uniform'``: the pool is too sparse around the parents for this many archs.

Both samplers draw only from the `rng` they are given: the same generator state gives the same
sets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SAMPLERS = ("uniform", "mutation")

#: the mutation sampler's constants (NASLib: mutate_pool, num_arches_to_mutate,
#: max_mutation_rate)
START_POOL = 10
PARENTS = 5
MAX_MUTATIONS = 3
#: bound on rejected mutants: attempts allowed per arch still wanted (plus `MIN_ATTEMPTS`)
ATTEMPTS_PER_ARCH = 300
MIN_ATTEMPTS = 5_000


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


def mutation_parents(pool: Sequence[Any], label: Callable[[Any], float],
                     rng: np.random.Generator) -> tuple[list[Any], list[Any]]:
    """Steps 1-2 of the mutation sampler: (the best `PARENTS` of `START_POOL` distinct random
    archs of `pool`, best first; the rest of those drawn)."""
    drawn = [pool[i] for i in rng.choice(len(pool), size=min(START_POOL, len(pool)),
                                         replace=False)]
    keys = np.array([_rank_key(label(a)) for a in drawn])
    order = np.argsort(-keys, kind="stable")  # best first; ties keep the draw order
    ranked = [drawn[i] for i in order]
    return ranked[:PARENTS], ranked[PARENTS:]


def _mutation_sets(pool: list[Any], label: Callable[[Any], float], space: Any, test_size: int,
                   max_train: int, rng: np.random.Generator) -> tuple[list[Any], list[Any]]:
    members = set(pool)
    parents, set_aside = mutation_parents(pool, label, rng)
    test = parents[:test_size]
    seen = set(parents) | set(set_aside)  # every arch drawn so far: none is taken twice

    def chain(arch: Any) -> Any:
        for _ in range(int(rng.integers(1, MAX_MUTATIONS + 1))):
            arch = space.mutate(arch, rng)
        return arch

    def grow(out: list[Any], size: int, propose: Callable[[], Any], what: str) -> None:
        budget = MIN_ATTEMPTS + ATTEMPTS_PER_ARCH * (size - len(out))
        for _ in range(budget):
            if len(out) >= size:
                return
            child = propose()
            if child in members and child not in seen:
                seen.add(child)
                out.append(child)
        if len(out) < size:
            raise ValueError(
                f"mutation sampler found only {len(out)} of {size} {what} archs among the "
                f"{len(members)} the benchmark holds after {budget} attempts; the pool is too "
                f"sparse around the parents: use sampler='uniform' (or a smaller "
                f"{'test_size' if what == 'test' else 'largest train size'})")

    grow(test, test_size, lambda: chain(parents[int(rng.integers(len(parents)))]), "test")
    train: list[Any] = []
    grow(train, max_train, lambda: space.mutate(test[int(rng.integers(len(test)))], rng),
         "train")
    return test, train


def _rank_key(value: Any) -> float:
    """A label as a sort key: missing or non-finite labels rank below every finite one."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return -math.inf
    return value if math.isfinite(value) else -math.inf
