"""How well do weight-sharing supernets rank the shipped default benchmark's NB201 cells?

For each predictor (`oneshot`, `rsws`, or any weight-sharing spec) and each budget multiplier m,
one supernet is trained (`epochs` = the predictor's default × m) on the benchmark's images
(`shapes10`, 10k training images), then `n_archs` cells of the benchmark (a seeded sample) are
queried twice: with BatchNorm re-estimation (the predictor's `bn_batches`) and without it
(`bn_batches=0`: the supernet's running statistics as trained). Each query score is correlated
with the benchmark's final validation accuracy (Kendall tau-b and Spearman, signed).

Clocks: `fit_compute_seconds` and `query_compute_seconds_per_arch` are measured wall-clock
seconds of this process (torch threads fixed by `--threads`, default 1), not benchmark-recorded
training seconds; `*_cpu_seconds*` are the process's CPU seconds over the same spans (on a
shared machine, the closer estimate of what one uncontended thread would take).

    .venv/bin/python -m experiments.weight_sharing_accuracy          # 200 archs, 1x and 3x
    .venv/bin/python -m experiments.weight_sharing_accuracy --archs 1000 --budgets 1 \\
        --predictors "oneshot,rsws,oneshot:drop_prob=0.5" --out results/ws_1000.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from experiments.metrics import kendall_tau, spearman
from experiments.model_based_accuracy import parse_spec

REPO_ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["predictor", "params", "budget", "epochs", "seed", "bn_reestimation", "n_archs",
           "kendalltau", "spearman", "mean_query_acc", "fit_compute_seconds",
           "fit_cpu_seconds", "query_compute_seconds_per_arch", "query_cpu_seconds_per_arch",
           "final_train_loss", "threads"]


def run(specs: Sequence[str], budgets: Sequence[float], n_archs: int, seeds: Sequence[int],
        threads: int = 1, progress: Any = print) -> pd.DataFrame:
    """One row per (predictor spec, budget, seed, BN re-estimation on/off)."""
    import torch

    from benchmarks import load_benchmark
    from predictors import Context, get_predictor

    torch.set_num_threads(int(threads))
    bench = load_benchmark("default")
    pool = bench.archs()
    rows = []
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(pool))[:min(n_archs, len(pool))]
        archs = [pool[i] for i in order]
        y = bench.final_val_acc(archs)
        ctx = Context(space=bench.space, data=bench.data, num_classes=bench.data.num_classes,
                      seed=int(seed))
        for spec in specs:
            name, params = parse_spec(spec)
            default_epochs = get_predictor(name).epochs
            for budget in budgets:
                epochs = max(1, int(round(default_epochs * budget)))
                predictor = get_predictor(name, **{**params, "epochs": epochs})
                start, cpu = time.perf_counter(), time.process_time()
                predictor.fit([], np.array([]), ctx)
                fit_seconds = time.perf_counter() - start
                fit_cpu = time.process_time() - cpu
                bn_default = predictor.bn_batches
                for bn in (bn_default, 0):
                    predictor.bn_batches = bn
                    start, cpu = time.perf_counter(), time.process_time()
                    scores = predictor.query(archs, ctx)
                    per_arch = (time.perf_counter() - start) / len(archs)
                    cpu_per_arch = (time.process_time() - cpu) / len(archs)
                    row = {"predictor": name, "params": _params_text(params), "budget": budget,
                           "epochs": epochs, "seed": int(seed), "bn_reestimation": bn > 0,
                           "n_archs": len(archs), "kendalltau": kendall_tau(y, scores),
                           "spearman": spearman(y, scores),
                           "mean_query_acc": float(np.mean(scores)),
                           "fit_compute_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu,
                           "query_compute_seconds_per_arch": per_arch,
                           "query_cpu_seconds_per_arch": cpu_per_arch,
                           "final_train_loss": predictor.fit_info_.get("final_train_loss"),
                           "threads": int(threads)}
                    rows.append(row)
                    progress(_line(row))
                predictor.bn_batches = bn_default
    return pd.DataFrame(rows, columns=COLUMNS)


def _params_text(params: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(params.items()))


def _line(row: dict[str, Any]) -> str:
    label = row["predictor"] + (f"[{row['params']}]" if row["params"] else "")
    return (f"{label:<24} x{row['budget']:<4g} epochs {row['epochs']:>3}  BN re-est "
            f"{'yes' if row['bn_reestimation'] else 'no ':<3}  tau {row['kendalltau']:+.3f}  "
            f"spearman {row['spearman']:+.3f}  mean acc {row['mean_query_acc']:5.1f}  fit "
            f"{row['fit_compute_seconds']:6.1f} s (cpu {row['fit_cpu_seconds']:5.1f})  query "
            f"{row['query_compute_seconds_per_arch']:.3f} s/arch (cpu "
            f"{row['query_cpu_seconds_per_arch']:.3f})  (n={row['n_archs']}, seed {row['seed']})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.weight_sharing_accuracy",
        description="Kendall tau of weight-sharing predictors on the shipped default benchmark")
    parser.add_argument("--predictors", default="oneshot,rsws",
                        help="comma-separated specs, e.g. 'oneshot,rsws,oneshot:drop_prob=0.5'")
    parser.add_argument("--budgets", default="1,3",
                        help="multipliers of each predictor's default epochs (default 1,3)")
    parser.add_argument("--archs", type=int, default=200, help="archs queried (max 1000)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "weight_sharing_accuracy.csv"))
    args = parser.parse_args(argv)
    try:
        specs = [s for s in args.predictors.split(",") if s.strip()]
        budgets = [float(b) for b in args.budgets.split(",")]
        seeds = [int(s) for s in args.seeds.split(",")]
        if args.archs < 3 or any(b <= 0 for b in budgets) or not specs:
            raise ValueError("need --archs >= 3, budgets > 0 and at least one predictor")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frame = run(specs, budgets, args.archs, seeds, args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    summary = frame.groupby(["predictor", "params", "budget", "epochs", "bn_reestimation"],
                            sort=False)[["kendalltau", "spearman", "fit_compute_seconds",
                                         "fit_cpu_seconds", "query_compute_seconds_per_arch",
                                         "query_cpu_seconds_per_arch"]].mean()
    print(summary.round(3).to_string())
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
