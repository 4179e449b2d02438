"""`SearchState`: what every NAS loop shares — the query budget, the evaluated archs, the rows of
the trajectory, the two clocks, and sampling / mutation restricted to what the benchmark can
answer.

Clocks (DESIGN §4): `train_seconds` of a step is the training cost the benchmark recorded for
the queried arch (NaN for tables without times); `compute_seconds` is the measured wall clock
of the optimizer's own work since the previous query ended — sampling, mutating, predictor fits
and queries — i.e. everything except the benchmark's answer itself. A round that fits a
predictor and then queries k archs books the fit on the first of them.

Pools: a tabular benchmark with a fixed set of archs (e.g. the shipped default, 1,000 NB201
cells) can only answer the archs it holds, so sampling and mutation are restricted to them
(mutations are retried a bounded number of times, then a random known arch is used instead).
A live benchmark trains on a miss, so any arch of the space may be queried.

Splits (`benchmarks.splits`): with `split="tuning"` or `"reporting"` only archs of that half of
the space are sampled, mutated into or queried — a pool is filtered, and on a live benchmark
archs outside the split are rejected like seen ones. Reported numbers come from the reporting
split; choices of loop settings from the tuning split.

Rows also say what a user would deploy: the incumbent is the arch with the best validation
accuracy so far (ties: the earlier query stays), and each row carries its test accuracy
(`incumbent_test`, NaN where the benchmark stores none) and the validation and test regret
against `optimum` (`experiments.search.optimum`; NaN where the optimum is unknown). The loops
themselves never see a test accuracy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from benchmarks.splits import check_split, in_split, restrict
from experiments.search.optimum import Optimum, trains_on_miss

__all__ = ["SearchState", "StopSearch", "trains_on_miss"]


class StopSearch(Exception):
    """The budget is spent (or no unseen arch is left): the loop ends here."""


class SearchState:
    def __init__(self, benchmark: Any, budget: int | None, budget_seconds: float | None,
                 seed: int, on_step: Callable[[dict[str, Any]], None] | None = None,
                 mutation_tries: int = 20, split: str = "all",
                 optimum: Optimum | None = None) -> None:
        self.benchmark = benchmark
        self.space = benchmark.space
        self.split = check_split(split)
        self.optimum = optimum
        self.budget = budget
        self.budget_seconds = budget_seconds
        self.rng = np.random.default_rng(seed)
        self.on_step = on_step
        self.mutation_tries = int(mutation_tries)
        # a fixed pool (tables): sample by index into it; its order is the source's order, so
        # the draws are reproducible under the seed
        self.pool: list[Any] | None = (None if trains_on_miss(benchmark)
                                       else restrict(benchmark.archs(), self.split))
        self.pool_set = None if self.pool is None else set(self.pool)
        if self.pool is not None and not self.pool:
            where = "" if self.split == "all" else f" of the {self.split} split"
            raise ValueError(f"benchmark {benchmark!r} holds no architectures{where} to search")
        self.accuracy: dict[Any, float] = {}   # evaluated arch -> final validation accuracy
        self.test_accuracy: dict[Any, float] = {}  # evaluated arch -> test accuracy (reporting)
        self.incumbent_arch: Any = None        # best validation accuracy so far (first on ties)
        self.history: list[Any] = []           # evaluated archs in query order
        self.rows: list[dict[str, Any]] = []
        self.train_total = 0.0                 # benchmark-recorded seconds (queries + partials)
        self.compute_total = 0.0
        self.partial_pending = 0.0             # partial-curve seconds read since the last query
        self.train_unknown = False             # a query without recorded seconds (tables)
        self.charged: set[Any] = set()
        self._mark = time.perf_counter()

    # -- budget ---------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        if self.budget is not None and len(self.history) >= self.budget:
            return True
        if self.budget_seconds is not None and self.train_total >= self.budget_seconds:
            return True
        return self.pool is not None and len(self.history) >= len(self.pool)

    @property
    def incumbent(self) -> float:
        """The best validation accuracy so far (NaN before the first finite one)."""
        return math.nan if self.incumbent_arch is None else self.accuracy[self.incumbent_arch]

    def value(self, arch: Any) -> float:
        """Accuracy of an evaluated arch, with NaN (a failed run) ranked below everything."""
        v = self.accuracy[arch]
        return -math.inf if math.isnan(v) else v

    # -- querying the benchmark ----------------------------------------------------------------
    def evaluate(self, arch: Any, phase: str) -> float:
        """Query the benchmark for `arch` (never one already evaluated); one trajectory row."""
        if self.done:
            raise StopSearch
        if arch in self.accuracy:
            raise RuntimeError(f"search bug: {arch} was already evaluated")
        if not self.answerable(arch):
            raise RuntimeError(f"search bug: {arch} is outside the {self.split} split or the "
                               f"benchmark's pool")
        compute = time.perf_counter() - self._mark
        curve = self.benchmark.curve(arch)
        accuracy = float(curve.final_val_acc)
        test = math.nan if curve.test_acc is None else float(curve.test_acc)
        train = float(curve.train_seconds())
        if self.budget_seconds is not None and math.isnan(train):
            raise ValueError(f"the benchmark recorded no training seconds for {arch}; give the "
                             f"budget in queries instead of budget_seconds")
        self.accuracy[arch] = accuracy
        self.test_accuracy[arch] = test
        if not math.isnan(accuracy) and (self.incumbent_arch is None
                                         or accuracy > self.accuracy[self.incumbent_arch]):
            self.incumbent_arch = arch  # strictly better only: the earlier arch keeps a tie
        self.history.append(arch)
        self.charged.add(arch)  # its curve is now paid for in full
        partial = self.partial_pending
        self.partial_pending = 0.0
        self.train_unknown |= math.isnan(train)
        self.train_total += (0.0 if math.isnan(train) else train) + partial
        self.compute_total += compute
        best = self.incumbent_arch
        incumbent = math.nan if best is None else self.accuracy[best]
        incumbent_test = math.nan if best is None else self.test_accuracy[best]
        opt = self.optimum
        row = {
            "split": self.split, "step": len(self.history), "arch": self.space.format(arch),
            "phase": phase, "accuracy": accuracy, "test_accuracy": test,
            "incumbent": incumbent,
            "incumbent_arch": None if best is None else self.space.format(best),
            "incumbent_test": incumbent_test,
            "regret": math.nan if opt is None else float(opt.regret(incumbent)),
            "test_regret": math.nan if opt is None else float(opt.test_regret(incumbent_test)),
            "train_seconds": train,
            "partial_train_seconds": partial, "compute_seconds": compute,
            "cum_train_seconds": math.nan if self.train_unknown else self.train_total,
            "cum_compute_seconds": self.compute_total,
        }
        self.rows.append(row)
        if self.on_step is not None:
            self.on_step(row)
        self._mark = time.perf_counter()  # the callback is not the optimizer's cost
        return accuracy

    def charge_partial(self, arch: Any, epochs: int) -> None:
        """Book the recorded seconds of the first `epochs` epochs of a candidate whose partial
        curve a predictor reads (once per arch; nothing for archs already evaluated)."""
        if epochs <= 0 or arch in self.charged:
            return
        self.charged.add(arch)
        curve = self.benchmark.curve(arch)
        seconds = curve.train_seconds(min(int(epochs), curve.epochs))
        if not math.isnan(seconds):
            self.partial_pending += seconds

    # -- proposing archs -------------------------------------------------------------------
    def answerable(self, arch: Any) -> bool:
        """In the benchmark's pool (when it has one) and in the search's split."""
        if self.pool_set is not None:
            return arch in self.pool_set  # the pool is already restricted to the split
        return in_split(arch, self.split)

    def allowed(self, arch: Any, exclude: Iterable[Any] = ()) -> bool:
        """Not yet evaluated, answerable (pool and split), not in `exclude`."""
        if arch in self.accuracy or arch in exclude:
            return False
        return self.answerable(arch)

    def reference_sample(self, n: int, rng: np.random.Generator) -> list[Any]:
        """Up to `n` distinct archs the search may meet (pool and split), drawn with `rng`
        (not the proposal stream) — e.g. to fix a score scale for the whole search."""
        if self.pool is not None:
            pick = rng.choice(len(self.pool), size=min(int(n), len(self.pool)), replace=False)
            return [self.pool[int(i)] for i in sorted(pick.tolist())]
        chosen: dict[Any, None] = {}
        for _ in range(50 * int(n)):
            if len(chosen) >= n:
                break
            arch = self.space.sample(rng)
            if in_split(arch, self.split):
                chosen[arch] = None
        return list(chosen)

    def random_unseen(self, exclude: set[Any] | frozenset[Any] = frozenset()) -> Any:
        """A uniformly random arch that is allowed; StopSearch when none is left."""
        for _ in range(100):  # rejection first: cheap while most archs are unseen
            arch = (self.pool[int(self.rng.integers(len(self.pool)))] if self.pool is not None
                    else self.space.sample(self.rng))
            if self.allowed(arch, exclude):
                return arch
        if self.pool is None:
            raise StopSearch  # 100 rejections in a whole space: practically exhausted
        left = [a for a in self.pool if self.allowed(a, exclude)]
        if not left:
            raise StopSearch
        return left[int(self.rng.integers(len(left)))]

    def mutate_unseen(self, parent: Any, exclude: set[Any] | frozenset[Any] = frozenset()
                      ) -> Any | None:
        """One single-step mutation of `parent` that is allowed, or None after
        `mutation_tries` attempts (the caller then falls back to a random arch)."""
        for _ in range(self.mutation_tries):
            child = self.space.mutate(parent, self.rng)
            if self.allowed(child, exclude):
                return child
        return None

    def top(self, n: int) -> list[Any]:
        """The `n` best evaluated archs, best first (ties: earlier query first)."""
        order = sorted(range(len(self.history)), key=lambda i: (-self.value(self.history[i]), i))
        return [self.history[i] for i in order[:n]]
