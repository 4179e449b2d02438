"""Measure the four requirements of the embedded default dataset on trained random NB201 cells.

Not a predictor evaluation: it measures the shipped dataset itself (the README's dataset-quality
table comes from the first command, on the build's run store; the second checks the committed
file, as `tests/test_default_benchmark.py` does):

    taskset -c 0 .venv/bin/python studies/default_dataset_quality.py --db results/default_build.db
    taskset -c 0 .venv/bin/python studies/default_dataset_quality.py \
        --npz benchmarks/data/default_nb201_shapes10.npz

1. not saturated: median final validation accuracy (seed 0) in [40, 85] %;
2. stable: Kendall tau of final validation accuracy between training seeds 0 and 1 (>= 100 archs
   trained with both): >= 0.6;
3. NAS-Bench-like: Kendall tau against the real NB201 CIFAR-10 validation accuracy of the same
   archs (`../shared/data/nb201_cifar10_valid_accuracy.csv`, >= 200 archs): >= 0.4;
4. cheap: <= 10 s per arch on the 2-core CPU: wall seconds between consecutive finished runs of
   the store (throughput of all workers together), one run's own seconds, and with
   `--time-archs N` the CPU seconds per arch of one 1-thread process (robust to other load).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file: make the repository importable
    sys.path.insert(0, str(ROOT))

NB201_CSV = ROOT.parent / "shared" / "data" / "nb201_cifar10_valid_accuracy.csv"


def _from_npz(path: Path) -> tuple[pd.DataFrame, dict]:
    from benchmarks.default import read_npz

    meta, a = read_npz(path)
    df = pd.DataFrame({"arch": a["arch"].astype(str), "seed": a["seed"].astype(int),
                       "val": a["val_acc"][:, -1], "run_seconds": a["epoch_seconds"].sum(1),
                       "finished": np.nan})
    return df, meta


def _from_db(path: Path, dataset: str) -> tuple[pd.DataFrame, dict]:
    db = sqlite3.connect(path)
    df = pd.read_sql_query(
        "SELECT r.arch, r.seed, r.seconds AS run_seconds, r.finished, r.recipe, "
        "(SELECT val_acc FROM epochs e WHERE e.run_id = r.id ORDER BY epoch DESC LIMIT 1) AS val "
        "FROM runs r WHERE r.status = 'done' AND r.dataset = ? AND r.space = 'nb201' "
        "ORDER BY r.finished", db, params=(dataset,))
    return df, {"recipe_hashes": sorted(df.recipe.unique().tolist())}


def measure(df: pd.DataFrame, workers_wall: bool = True) -> dict:
    """The four numbers (plus their sample sizes) from a frame of arch, seed, val, seconds."""
    out: dict = {}
    s0 = df[df.seed == 0].drop_duplicates("arch").set_index("arch")
    out["n_seed0"] = int(len(s0))
    out["median_val_acc"] = float(s0.val.median())
    out["val_acc_range"] = [float(s0.val.min()), float(s0.val.max())]
    pair = df.pivot_table(index="arch", columns="seed", values="val")
    if 1 in pair.columns:
        both = pair[[0, 1]].dropna()
        out["n_two_seeds"] = int(len(both))
        out["kendall_seed0_vs_seed1"] = float(kendalltau(both[0], both[1])[0])
        out["kendall_mean2_vs_nb201"] = None
    if NB201_CSV.exists():
        nb = pd.read_csv(NB201_CSV).set_index("arch").val_accuracy
        common = s0.index.intersection(nb.index)
        out["n_vs_nb201"] = int(len(common))
        out["kendall_vs_nb201_cifar10"] = float(kendalltau(s0.val[common], nb[common])[0])
        if "n_two_seeds" in out:
            both = pair[[0, 1]].dropna()
            m = both.mean(1)
            out["kendall_mean2_vs_nb201"] = float(kendalltau(m, nb[m.index])[0])
    out["run_seconds_median"] = float(df.run_seconds.median())
    fin = df.finished.dropna().sort_values().to_numpy()
    if len(fin) > 10:
        # throughput: wall seconds per finished run, all workers together (gaps > 10 min are
        # pauses of the build, not training, and are left out)
        gaps = np.diff(fin)
        gaps = gaps[gaps < 600]
        out["wall_seconds_per_run"] = float(gaps.mean())
    return out


def time_archs(n: int, seed: int = 99) -> dict:
    """Train `n` random cells at the default preset in this process with one thread; CPU
    seconds of this process per arch approximate an uncontended core (other load on the
    machine inflates wall seconds, not this process's CPU seconds)."""
    import time

    import torch

    from benchmarks.datasets import load_dataset
    from benchmarks.live import dataset_recipe, sample_archs
    from benchmarks.training import train_arch
    from search_spaces import get_search_space

    torch.set_num_threads(1)
    sp = get_search_space("nb201")
    data = load_dataset("shapes10")
    recipe = dataset_recipe("shapes10", image_size=data.image_size)
    cpu, wall = [], []
    for arch in sample_archs(sp, n, seed):
        c0, w0 = time.process_time(), time.perf_counter()
        train_arch(sp, arch, data, recipe, "small", seed=0, device="cpu")
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"timed_archs": n, "cpu_seconds_per_arch_median": float(np.median(cpu)),
            "cpu_seconds_per_arch_mean": float(np.mean(cpu)),
            "wall_seconds_per_arch_median": float(np.median(wall))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--npz", type=Path)
    ap.add_argument("--dataset", default="shapes10")
    ap.add_argument("--time-archs", type=int, default=0,
                    help="also train this many random cells here, 1 thread, and time them")
    args = ap.parse_args()
    if args.time_archs:
        print(json.dumps(time_archs(args.time_archs), indent=2))
    if (args.db is None) == (args.npz is None):
        ap.error("give exactly one of --db or --npz")
    df, meta = _from_npz(args.npz) if args.npz else _from_db(args.db, args.dataset)
    result = measure(df)
    result["source"] = str(args.npz or args.db)
    print(json.dumps(result, indent=2))
    checks = [("median in [40, 85]", 40 <= result["median_val_acc"] <= 85),
              ("seed tau >= 0.6", result.get("kendall_seed0_vs_seed1", -1) >= 0.6),
              ("tau vs NB201 >= 0.4", result.get("kendall_vs_nb201_cifar10", -1) >= 0.4)]
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
