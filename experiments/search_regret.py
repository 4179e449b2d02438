r"""Regret of NAS loops on the real NAS-Bench-201 CIFAR-10 table (all 15,625 cells).

Regret = best validation accuracy in the table (91.57 for cifar10-valid) - incumbent, after 50,
100 and 150 queries, mean and standard error over seeds; plus the optimizer's own overhead
(measured compute seconds per query, predictor fits included). One trajectory CSV per
(algo, predictor, seed) under `<out>/trajectories/`, written when the run finishes, so a killed
measurement resumes by skipping finished runs; `<out>/summary.csv` holds the table printed,
`<out>/regret.png/.svg` the curves.

    .venv/bin/python -m experiments.search_regret --algos rs,re,ls --seeds 20
    .venv/bin/python -m experiments.search_regret --algos npenas,bananas --predictors xgb,gcn
    .venv/bin/python -m experiments.search_regret --algos bananas --predictors gpwl \
        --param acquisition=ucb --param beta=0.1 --tag ucb0.1
    .venv/bin/python -m experiments.search_regret --algos npenas --predictors gpwl --seeds 20-39 \
        --out results/search_regret_heldout      # seeds not used to choose a configuration
    .venv/bin/python -m experiments.search_regret --summary-only

OMNI (`omni`, `omni_ngb`) does not apply here: it needs learning curves and images, and the
table stores only final accuracies.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "nb201_cifar10_valid_accuracy.csv"
CHECKPOINTS = (50, 100, 150)
GUIDED = ("npenas", "bananas")


def _value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_params(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--param expects KEY=VALUE, got {item!r}")
        out[key] = _value(value)
    return out


def parse_predictor(spec: str) -> tuple[str, dict[str, Any]]:
    """``name:key=value:...`` -> (name, params), as in experiments.model_based_accuracy."""
    name, *items = spec.split(":")
    return name, parse_params(items)


def trajectory_path(out: Path, algo: str, predictor: str, tag: str, seed: int) -> Path:
    label = predictor.replace(":", "_")
    return out / "trajectories" / f"{algo}-{label}{tag}-s{seed}.csv"


def run_all(data: Path, out: Path, algos: list[str], predictors: list[str], seeds: list[int],
            budget: int, params: dict[str, Any], tag: str) -> None:
    import torch

    from benchmarks import load_benchmark
    from experiments.search import run_search

    torch.set_num_threads(1)  # one thread per process: several run side by side
    bench = load_benchmark("table", path=str(data), space="nb201", dataset="cifar10-valid")
    (out / "trajectories").mkdir(parents=True, exist_ok=True)
    jobs = [(a, p) for a in algos for p in (predictors if a in GUIDED else ["none"])]
    for algo, predictor in jobs:
        for seed in seeds:
            path = trajectory_path(out, algo, predictor, tag, seed)
            if path.exists():
                continue
            start = time.perf_counter()
            loop_params = params if algo in GUIDED else {}
            name, predictor_params = parse_predictor(predictor)
            frame = run_search(algo, bench, budget, seed, None if name == "none" else name,
                               predictor_params=predictor_params or None, **loop_params)
            frame["predictor"] = predictor
            frame["config"] = tag or "default"
            tmp = path.with_suffix(".tmp")
            frame.to_csv(tmp, index=False)
            os.replace(tmp, path)  # atomic: a killed run leaves no half-written trajectory
            regret = [round(float(91.57 - frame["incumbent"].iloc[min(c, len(frame)) - 1]), 3)
                      for c in CHECKPOINTS]
            print(f"{algo:8s} {predictor:8s}{tag} seed {seed:2d}: regret@50/100/150 {regret} "
                  f"({time.perf_counter() - start:.1f} s wall)", flush=True)


def summarize(out: Path, best: float) -> pd.DataFrame:
    files = sorted((out / "trajectories").glob("*.csv"))
    if not files:
        raise ValueError(f"no trajectories under {out / 'trajectories'}")
    frames = [pd.read_csv(f) for f in files]
    rows = []
    for f, frame in zip(files, frames):
        label = f.stem.rsplit("-s", 1)[0]
        row = {"run": label, "algo": frame["algo"].iloc[0], "predictor": frame["predictor"].iloc[0],
               "seed": int(frame["seed"].iloc[0]), "queries": len(frame),
               "compute_seconds_per_query": frame["compute_seconds"].sum() / len(frame)}
        for c in CHECKPOINTS:
            row[f"regret@{c}"] = best - frame["incumbent"].iloc[min(c, len(frame)) - 1]
        rows.append(row)
    per_seed = pd.DataFrame(rows)
    out_rows = []
    for run, group in per_seed.groupby("run", sort=False):
        row = {"run": run, "algo": group["algo"].iloc[0], "predictor": group["predictor"].iloc[0],
               "seeds": len(group)}
        for c in CHECKPOINTS:
            values = group[f"regret@{c}"]
            row[f"regret@{c}"] = values.mean()
            row[f"se@{c}"] = (values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1
                              else np.nan)
        row["compute_seconds_per_query"] = group["compute_seconds_per_query"].mean()
        out_rows.append(row)
    summary = pd.DataFrame(out_rows).sort_values("regret@100").reset_index(drop=True)
    summary.to_csv(out / "summary.csv", index=False)
    from experiments.search.plot import plot_trajectories

    # the run label (predictor spec and tag) from the file name: one line per run in the plot
    everything = pd.concat([frame.assign(predictor=path.stem.rsplit("-s", 1)[0].split("-", 1)[1])
                            for path, frame in zip(files, frames)], ignore_index=True)
    plot_trajectories(everything, out / "regret", best,
                      title="NB201 CIFAR-10 (valid) table: regret, mean ± SE over seeds")
    return summary


def print_summary(summary: pd.DataFrame, best: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"NB201 CIFAR-10 (valid) regret = {best:.2f} - incumbent; mean ± SE "
                        f"over seeds")
    for col in ("run", "seeds", "regret@50", "regret@100", "regret@150", "compute s/query"):
        table.add_column(col, justify="left" if col == "run" else "right")
    for _, r in summary.iterrows():
        table.add_row(r["run"], str(r["seeds"]),
                      *[f"{r[f'regret@{c}']:.3f} ± {r[f'se@{c}']:.3f}" for c in CHECKPOINTS],
                      f"{r['compute_seconds_per_query']:.4f}")
    Console(width=150).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "search_regret")
    parser.add_argument("--algos", default="rs,re,ls,npenas,bananas")
    parser.add_argument("--predictors", default="xgb,gcn,bananas",
                        help="comma list; each may carry params: gp:encoding=path")
    parser.add_argument("--seeds", default="20", help="N (seeds 0..N-1) or A-B (inclusive)")
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--param", action="append", default=[],
                        help="loop hyperparameter KEY=VALUE for npenas/bananas (repeatable)")
    parser.add_argument("--tag", default="", help="suffix of the run label (for --param runs)")
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args(argv)
    try:
        if "-" in args.seeds:
            a, b = (int(x) for x in args.seeds.split("-"))
            seeds = list(range(a, b + 1))
        else:
            seeds = list(range(int(args.seeds)))
        params = parse_params(args.param)
        if not args.summary_only:
            if not args.data.is_file():
                raise FileNotFoundError(f"data file not found: {args.data} (give --data PATH)")
            predictors = [p for p in args.predictors.split(",") if p]
            skipped = [p for p in predictors if p.startswith("omni")]
            for p in skipped:
                print(f"skipping {p}: OMNI needs learning curves and images; the NB201 table "
                      f"stores final accuracies only", file=sys.stderr)
            run_all(args.data, args.out, [a for a in args.algos.split(",") if a],
                    [p for p in predictors if p not in skipped], seeds, args.budget, params,
                    f"-{args.tag}" if args.tag else "")
        best = float(pd.read_csv(args.data)["val_accuracy"].max()) if args.data.is_file() \
            else 91.57
        print_summary(summarize(args.out, best), best)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
