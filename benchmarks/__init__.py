"""Benchmarks: ground truth (learning curves and their cost) for architectures of a search space.

`load_benchmark(kind, **options)` opens one (DESIGN §3); `list_benchmarks()` names the kinds.
Importing a benchmark module registers its kind.
"""

from benchmarks.base import (
    Benchmark,
    Curve,
    UnsupportedError,
    benchmark_options,
    list_benchmarks,
    load_benchmark,
    register_benchmark,
)
from benchmarks.tabular import TabularBenchmark

# importing a benchmark module registers its kind
from benchmarks import suite_zero, table, nb201_official  # noqa: E402,F401
from benchmarks import live, default  # noqa: E402,F401  (live training, the shipped default)

__all__ = [
    "Benchmark",
    "Curve",
    "TabularBenchmark",
    "UnsupportedError",
    "benchmark_options",
    "list_benchmarks",
    "load_benchmark",
    "register_benchmark",
]
