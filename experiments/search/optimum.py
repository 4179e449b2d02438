"""What a perfect searcher would find: the optimum that NAS-loop regret is measured against.

    opt = search_optimum(benchmark, split="reporting")
    opt.val    # best final validation accuracy over the archs the benchmark holds in the split
    opt.test   # test accuracy of that best-validation arch: what a perfect searcher deploys
    opt.regret(incumbent), opt.test_regret(incumbent_test)

Everything comes from the benchmark's own data, restricted to the split the search runs on
(`benchmarks.splits`); nothing is hard-coded. Two regrets (percentage points, signed):

- validation regret = `opt.val` - the incumbent's validation accuracy (what the loop optimises;
  >= 0 on a benchmark whose archs are all known);
- test regret = `opt.test` - the test accuracy of the incumbent chosen by validation (the arch
  with the best validation accuracy so far, as the paper's code reports it). It can be negative:
  an arch with a lower validation accuracy may test better than the best-validation one.

When several archs share the best validation accuracy, `opt.test` is the mean of their test
accuracies (a perfect searcher is equally likely to deploy any of them) and `opt.archs` lists
them all. `opt.test` is NaN when the benchmark stores no test accuracy (e.g. a table without a
test column). A benchmark that trains on a miss (`live`) has no fixed pool: any arch of the
space may be queried, so its optimum is unknown — `opt.known` is False, `opt.val` NaN, and
`opt.note` says why; report the incumbent there, never a regret against a made-up optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.splits import check_split, restrict


def trains_on_miss(benchmark: Any) -> bool:
    """Whether `benchmark.curve` answers any arch of the space (by training it)."""
    return bool(getattr(benchmark, "trains_on_miss", getattr(benchmark, "kind", "") == "live"))


@dataclass(frozen=True)
class Optimum:
    split: str
    val: float                        # NaN when unknown
    test: float                       # NaN when unknown or not stored
    archs: tuple[Any, ...] = field(default=())   # the best-validation arch(s)
    size: int = 0                     # archs of the split the benchmark holds
    note: str = ""                    # why the optimum (or its test accuracy) is unknown

    @property
    def known(self) -> bool:
        """Whether the validation optimum is known (a fixed pool of archs)."""
        return math.isfinite(self.val)

    @property
    def has_test(self) -> bool:
        return math.isfinite(self.test)

    def regret(self, incumbent: Any) -> Any:
        """Validation regret of `incumbent` (a number or an array); NaN when unknown."""
        return self.val - np.asarray(incumbent, dtype=float)

    def test_regret(self, incumbent_test: Any) -> Any:
        """Test regret of the incumbent's test accuracy (a number or an array); NaN when the
        optimum's test accuracy is unknown."""
        return self.test - np.asarray(incumbent_test, dtype=float)

    def describe(self) -> str:
        """One line for tables and plot titles."""
        if not self.known:
            return f"optimum unknown ({self.note}); incumbents shown, no regret"
        where = f"{self.split} split, " if self.split != "all" else ""
        test = f"its test accuracy {self.test:.2f}" if self.has_test else \
            "no test accuracy stored"
        ties = f" ({len(self.archs)} archs tie)" if len(self.archs) > 1 else ""
        return f"best validation {self.val:.2f}{ties} of {self.size:,} archs ({where}from " \
               f"the benchmark's data), {test}"


def search_optimum(benchmark: Any, split: str = "all") -> Optimum:
    """The optimum of `benchmark` over the archs it holds in `split` (see the module docstring).
    """
    check_split(split)
    if trains_on_miss(benchmark):
        return Optimum(split, math.nan, math.nan, note=(
            f"{getattr(benchmark, 'kind', 'this')} benchmark trains on a miss: no fixed pool of "
            f"architectures, so the best one is unknown"))
    archs = restrict(benchmark.archs(), split)
    if not archs:
        return Optimum(split, math.nan, math.nan, note=f"the benchmark holds no architecture of "
                                                       f"the {split} split")
    values = np.asarray(benchmark.final_val_acc(archs), dtype=float)
    if not np.isfinite(values).any():
        return Optimum(split, math.nan, math.nan, size=len(archs),
                       note="no finite validation accuracy in the benchmark")
    best = float(np.nanmax(values))
    tied = tuple(a for a, v in zip(archs, values) if v == best)
    tests = [benchmark.curve(a).test_acc for a in tied]
    tests = [float(t) for t in tests if t is not None and math.isfinite(t)]
    test = float(np.mean(tests)) if len(tests) == len(tied) else math.nan
    note = "" if math.isfinite(test) else "the benchmark stores no test accuracy for it"
    return Optimum(split, best, test, tied, len(archs), note)
