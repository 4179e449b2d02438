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
from benchmarks.tabular_base import TabularBenchmark

# importing a benchmark module registers its kind, in this order (the order `list_benchmarks`
# gives), after the names above, which they may use
# isort: off
from benchmarks import suite_zero, table, nb201_official  # noqa: F401
from benchmarks import live, default  # noqa: F401  (live training, the shipped default)
from benchmarks import nb201_cifar10  # noqa: F401  (real NB201 CIFAR-10 data, shipped)
from benchmarks import naslib_files  # noqa: F401  (the data files of NASLib, the paper's code)
from benchmarks import nlp_wikitext2  # noqa: F401  (real NAS-Bench-NLP curves, shipped)
# isort: on

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
