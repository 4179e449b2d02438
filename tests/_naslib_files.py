"""Writers of small files in exactly the layouts NASLib's `get_dataset_api` reads (see
`benchmarks/naslib_pickle.py`), for the loader tests and the memory benchmark. The values are
made up; the structure, key forms and Python types are the real files' (plain dicts and lists
of floats; NB101 adjacency as an int64 numpy array; NB301 keys as tuples of (input, op) tuples).
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from search_spaces import get_search_space


def nb201_records(n: int, epochs: int = 200, dataset: str = "cifar10-valid", seed: int = 0
                  ) -> dict[str, Any]:
    """{arch string: {dataset: {per-epoch lists, cost_info}}} for the first `n` NB201 cells."""
    space = get_search_space("nb201")
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for index in range(n):
        final = float(rng.uniform(10, 95))
        rise = np.linspace(0.2, 1.0, epochs)
        data[space.format(space.from_index(index))] = {dataset: {
            "train_losses": (2.5 * (1.2 - rise)).tolist(),
            "eval_losses": (2.6 * (1.2 - rise) + rng.uniform(0, .1, epochs)).tolist(),
            "train_acc1es": (rise * min(final + 4, 100)).tolist(),
            "eval_acc1es": (rise * final + rng.uniform(-.5, .5, epochs)).tolist(),
            "cost_info": {"flops": float(rng.uniform(7, 220)),
                          "params": float(rng.uniform(.07, 1.5)),
                          "latency": float(rng.uniform(.005, .03)),
                          "train_time": float(rng.uniform(5, 25))},
        }}
    return data


def darts_compact(arch: Any) -> tuple:
    """NASLib's compact of a DARTS arch: ((input, op) x8 normal, (input, op) x8 reduce), tuples."""
    cells = ast.literal_eval(get_search_space("darts").to_suite_zero(arch))
    return tuple(tuple(tuple(pair) for pair in cell) for cell in cells)


def nb301_records(n: int, epochs: int = 98, seed: int = 0) -> dict[tuple, Any]:
    """{compact: {val_accuracies, train_losses, runtime (cumulative seconds)}} for `n` archs."""
    space = get_search_space("darts")
    rng = np.random.default_rng(seed)
    data: dict[tuple, Any] = {}
    while len(data) < n:
        key = darts_compact(space.sample(rng))
        rise = np.linspace(0.5, 1.0, epochs)
        data[key] = {
            "val_accuracies": (rise * rng.uniform(88, 95)).tolist(),
            "train_losses": (1.5 * (1.1 - rise)).tolist(),
            "runtime": np.cumsum(rng.uniform(50, 70, epochs)).tolist(),
        }
    return data


def nb101_records(n: int, budgets: tuple[int, ...] = (108,), seed: int = 0) -> dict[str, Any]:
    """{graph hash: (fixed_stats, computed_stats)} as in nasbench_only108.pkl (3 repeats)."""
    space = get_search_space("nb101")
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    while len(data) < n:
        arch = space.sample(rng)
        fixed = {"module_adjacency": np.array(arch.matrix, dtype=np.int64),
                 "module_operations": list(arch.ops),
                 "trainable_parameters": int(rng.integers(200_000, 30_000_000))}
        computed = {}
        for budget in budgets:
            runs = []
            for _ in range(3):
                final = float(rng.uniform(.8, .95))
                seconds = float(rng.uniform(3, 15) * budget)
                runs.append({
                    "halfway_training_time": seconds / 2, "halfway_train_accuracy": final - .1,
                    "halfway_validation_accuracy": final - .15,
                    "halfway_test_accuracy": final - .16,
                    "final_training_time": seconds, "final_train_accuracy": 1.0,
                    "final_validation_accuracy": final, "final_test_accuracy": final - .01})
            computed[budget] = runs
        data[arch.hash] = (fixed, computed)
    return data


def nlp_records(n: int = 20, diverged: int = 1) -> dict[tuple, Any]:
    """{NASLib compact (edges, ops, hiddens): {train_losses, val_losses, test_losses,
    wall_times}} for the first `n` cells of the shipped NAS-Bench-NLP data (their real curves);
    the last `diverged` of them cut after 19 epochs, as a diverged run is logged."""
    from benchmarks import load_benchmark

    bench = load_benchmark("nlp")
    data: dict[tuple, Any] = {}
    for k, arch in enumerate(bench.archs()[:n]):
        curve = bench.curve(arch)
        logged = 19 if k >= n - diverged else curve.epochs
        key = ast.literal_eval(bench.space.to_suite_zero(arch))
        data[key] = {"train_losses": curve.train_loss[:logged].tolist(),
                     "val_losses": curve.val_loss[:logged].tolist(),
                     "test_losses": (100.0 - np.full(logged, curve.test_acc)).tolist(),
                     "wall_times": curve.epoch_seconds[:logged].tolist()}
    return data


def write(path: Path, data: Any) -> Path:
    """Pickle `data` as NASLib's files are (protocol 4)."""
    with path.open("wb") as f:
        pickle.dump(data, f, protocol=4)
    return path
