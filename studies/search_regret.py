r"""Regret of NAS loops, measured on what a user would deploy (default: the reporting split).

Every run configuration (algorithm, predictor, loop parameters) runs once per seed through the
public API (`from experiments import run_search`), restricted to one split of the space
(`--split`, default `reporting`: numbers a README table may publish). Each trajectory row
carries the standard columns (DESIGN §3 and `experiments.search.run.ROW_COLUMNS`); from them:

- validation regret = best validation accuracy among the benchmark's archs of the split -
  the incumbent's validation accuracy (the incumbent: the best validation accuracy so far);
- test regret = test accuracy of the arch with the best validation accuracy in the split (what
  a perfect searcher deploys) - the test accuracy of the incumbent chosen by validation; NaN
  where the benchmark stores no test accuracy (the NB201 CIFAR-10 table holds validation
  accuracies only; the shipped default benchmark, live stores and the official NB201 files
  have test accuracies);
- overhead = the optimizer's own measured compute seconds per query, predictor fits included.

Both optima come from the benchmark's own data (`experiments.search.search_optimum`); a
benchmark that trains on a miss (`live`) has no known optimum, and the incumbents are reported
instead. Writes, under `--out` (default `results/search_regret/<split>`):
`trajectories/<run>-s<seed>.csv` (one per finished run; a rerun with the same settings skips
it, so a killed study resumes), `trajectories.csv` (all rows), `per_seed.csv`, `summary.csv`
(mean ± SE over seeds of validation and test regret and of the incumbent at each checkpoint,
overhead seconds per query; one row per run configuration) and `regret.png/.svg`.

The full reporting-split study on the NB201 CIFAR-10 table (15,625 cells; its reporting half
holds 7,797), with seeds 100-119, never used for a choice (seeds 0-19 chose the loop settings —
0-9 the gpwl UCB beta — and 20-39 checked them, on the whole space):

    S="--split reporting --seeds 100-119 --budget 150"
    .venv/bin/python studies/search_regret.py $S --algos rs,re,ls
    .venv/bin/python studies/search_regret.py $S --algos npenas,bananas \
        --predictors xgb,bananas,gpwl,gcn
    .venv/bin/python studies/search_regret.py $S --algos bananas --predictors gpwl \
        --param acquisition=ucb --param beta=0.1 --tag ucb0.1
    .venv/bin/python studies/search_regret.py $S --summary-only   # the table again, from files

The same on the shipped default benchmark (503 reporting cells with test accuracies, so the test
regret is measured too): add `--benchmark default --out results/search_regret/default-reporting`.
A tiny check that everything works (a minute):

    .venv/bin/python studies/search_regret.py --benchmark default --seeds 0-1 --budget 20 \
        --algos rs,re,npenas --predictors xgb --out results/search_regret/tiny

OMNI (`omni`, `omni_ngb`) and zero-cost predictors need images (and OMNI learning curves): they
run on the default or a live benchmark, not on the NB201 table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file: make the repository importable
    sys.path.insert(0, str(ROOT))

from experiments.options import parse_int_list, parse_key_values, parse_kind_options  # noqa: E402
from studies import _common as common  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nb201_cifar10_valid_accuracy.csv"
DEFAULT_BENCHMARK = f"table:path={DEFAULT_DATA},space=nb201,dataset=cifar10-valid"
CHECKPOINTS = (50, 100, 150)
GUIDED = ("npenas", "bananas")


# -- arguments ------------------------------------------------------------------------------------
def run_label(algo: str, predictor: str, tag: str) -> str:
    label = algo if predictor == "none" else f"{algo}+{predictor}"
    return f"{label}-{tag}" if tag else label


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._+=-" else "_" for c in text)


# -- running --------------------------------------------------------------------------------------
def run_all(bench: Any, optimum: Any, out: Path, algos: list[str], predictors: list[Any],
            seeds: list[int], budget: int, params: dict[str, Any], tag: str, split: str,
            identity: dict[str, Any]) -> None:
    """Every (algo, predictor spec) x seed not yet under `out/trajectories` with this config."""
    import torch

    from experiments import run_search

    torch.set_num_threads(1)  # one thread per process: several studies may run side by side
    folder = out / "trajectories"
    folder.mkdir(parents=True, exist_ok=True)
    none = common.Spec("none", "none")
    jobs = [(a, p) for a in algos for p in (predictors if a in GUIDED else [none])]
    for algo, spec in jobs:
        loop_params = params if algo in GUIDED else {}
        predictor, name, predictor_params = spec.label, spec.name, spec.params
        label = run_label(algo, predictor, tag)
        digest = hashlib.sha256(json.dumps(
            {**identity, "algo": algo, "predictor": predictor, "params": loop_params,
             "budget": budget, "split": split}, sort_keys=True, default=str).encode()
                              ).hexdigest()[:12]
        for seed in seeds:
            path = folder / f"{_safe(label)}-s{seed}.csv"
            if path.exists() and _config(path) == digest:
                continue
            start = time.perf_counter()
            frame = run_search(algo, bench, budget, seed, None if name == "none" else name,
                               predictor_params=predictor_params or None, split=split,
                               optimum=optimum, **loop_params)
            frame = frame.assign(run=label, config=digest)
            tmp = path.with_name(path.name + ".tmp")
            frame.to_csv(tmp, index=False)
            os.replace(tmp, path)  # atomic: a killed run leaves no half-written trajectory
            at = [min(c, len(frame)) - 1 for c in CHECKPOINTS if c <= budget] or [len(frame) - 1]
            val = [round(float(frame["regret"].iloc[i]), 3) for i in at]
            test = [round(float(frame["test_regret"].iloc[i]), 3) for i in at]
            inc = [round(float(frame["incumbent"].iloc[i]), 2) for i in at]
            print(f"{label:24s} seed {seed:3d}: val regret {val}, test regret {test}, "
                  f"incumbent {inc} ({time.perf_counter() - start:.1f} s wall)", flush=True)


def _config(path: Path) -> str | None:
    try:
        return str(pd.read_csv(path, usecols=["config"], nrows=1)["config"].iloc[0])
    except (ValueError, KeyError, IndexError, pd.errors.ParserError, pd.errors.EmptyDataError,
            OSError):
        return None  # unreadable or old: run it again


# -- summarising ----------------------------------------------------------------------------------
def _mean_se(values: pd.Series) -> tuple[float, float]:
    v = values.dropna()
    if v.empty:
        return np.nan, np.nan
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else np.nan


def summarize(out: Path, checkpoints: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                   pd.DataFrame]:
    """(all rows, one row per (run, seed), summary per run) from `out/trajectories/*.csv`."""
    files = sorted((out / "trajectories").glob("*.csv"))
    if not files:
        raise ValueError(f"no trajectories under {out / 'trajectories'}")
    frames = [pd.read_csv(f) for f in files]
    longest = max(len(f) for f in frames)
    checks = [c for c in checkpoints if c <= longest] or [longest]
    rows = []
    for frame in frames:
        first = frame.iloc[0]
        row = {"run": first["run"], "algo": first["algo"], "predictor": first["predictor"],
               "split": first["split"], "seed": int(first["seed"]), "queries": len(frame),
               "overhead_seconds_per_query": frame["compute_seconds"].sum() / len(frame)}
        for c in checks:
            # a run that stopped before c (the split's pool was exhausted) keeps its last value
            at = frame.iloc[min(c, len(frame)) - 1]
            for col in ("regret", "test_regret", "incumbent", "incumbent_test"):
                row[f"{col}@{c}"] = float(at[col])
        rows.append(row)
    per_seed = pd.DataFrame(rows)
    summary_rows = []
    for (run, split), group in per_seed.groupby(["run", "split"], sort=False):
        row = {"run": run, "algo": group["algo"].iloc[0], "predictor": group["predictor"].iloc[0],
               "split": split, "seeds": len(group), "queries": int(group["queries"].max())}
        for c in checks:
            for col, name in (("regret", "val_regret"), ("test_regret", "test_regret"),
                              ("incumbent", "incumbent"), ("incumbent_test", "incumbent_test")):
                row[f"{name}@{c}"], row[f"{name}_se@{c}"] = _mean_se(group[f"{col}@{c}"])
        row["overhead_seconds_per_query"], row["overhead_se"] = \
            _mean_se(group["overhead_seconds_per_query"])
        summary_rows.append(row)
    summary = pd.DataFrame(summary_rows)
    key = f"val_regret@{checks[-1]}"
    if summary[key].notna().any():
        summary = summary.sort_values(key, kind="stable")
    else:  # unknown optimum (live): best final incumbent first
        summary = summary.sort_values(f"incumbent@{checks[-1]}", ascending=False, kind="stable")
    return pd.concat(frames, ignore_index=True), per_seed, summary.reset_index(drop=True)


def print_summary(summary: pd.DataFrame, optimum: Any, checks: list[int]) -> None:
    from rich.console import Console
    from rich.table import Table

    def cell(r: pd.Series, name: str, c: int, digits: int) -> str:
        mean, se = r[f"{name}@{c}"], r[f"{name}_se@{c}"]
        if np.isnan(mean):
            return "-"
        return f"{mean:.{digits}f}" + ("" if np.isnan(se) else f" ± {se:.{digits}f}")

    shown = (["val_regret", "test_regret"] if optimum.known else []) + \
        (["incumbent", "incumbent_test"] if not optimum.known else [])
    table = Table(title="NAS loops: mean ± SE over seeds", caption=optimum.describe())
    table.add_column("run")
    table.add_column("seeds", justify="right")
    for name in shown:
        for c in checks:
            table.add_column(f"{name}@{c}", justify="right")
    table.add_column("overhead s/query", justify="right")
    for _, r in summary.iterrows():
        table.add_row(r["run"], str(r["seeds"]),
                      *[cell(r, name, c, 3 if "regret" in name else 2)
                        for name in shown for c in checks],
                      f"{r['overhead_seconds_per_query']:.4f}")
    Console(width=180).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", default=DEFAULT_BENCHMARK,
                        help="KIND or KIND:key=value,... (any load_benchmark kind); default the "
                             "NB201 CIFAR-10 table in ../shared/data")
    parser.add_argument("--split", default="reporting", help="all, tuning or reporting")
    parser.add_argument("--seeds", default="100-119",
                        help="A-B (inclusive), a comma list or one; default: never used for a "
                             "choice")
    parser.add_argument("--algos", default="rs,re,ls,npenas,bananas")
    parser.add_argument("--predictors", default="xgb,gcn,bananas",
                        help="comma list for npenas/bananas; each may carry params: "
                             "gp:encoding=path")
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--param", action="append", default=[],
                        help="loop hyperparameter KEY=VALUE for npenas/bananas (repeatable)")
    parser.add_argument("--tag", default="", help="suffix of the run label (for --param runs)")
    parser.add_argument("--checkpoints", default=",".join(map(str, CHECKPOINTS)),
                        help="queries at which the summary reads the trajectories")
    parser.add_argument("--out", type=Path, default=None,
                        help="results folder (default results/search_regret/<split>)")
    parser.add_argument("--summary-only", action="store_true",
                        help="only summarise the trajectories already under --out")
    parser.add_argument("--no-plot", action="store_true", help="skip regret.png/.svg")
    args = parser.parse_args(argv)
    try:
        from benchmarks import load_benchmark
        from benchmarks.splits import check_split
        from experiments.search import search_optimum
        from experiments.search.plot import plot_trajectories

        split = check_split(args.split)
        seeds = parse_int_list(args.seeds, "--seeds")
        checkpoints = tuple(parse_int_list(args.checkpoints, "--checkpoints", minimum=1))
        if args.budget < 1:
            raise ValueError("--budget must be positive")
        out = args.out or ROOT / "results" / "search_regret" / split
        kind, options = parse_kind_options(args.benchmark, "--benchmark")
        bench = load_benchmark(kind, **options)
        optimum = search_optimum(bench, split)
        print(f"{bench.describe()}, {split} split: {optimum.describe()}", flush=True)
        if not args.summary_only:
            run_all(bench, optimum, out, [a for a in args.algos.split(",") if a],
                    common.parse_specs(args.predictors), seeds, args.budget,
                    parse_key_values(args.param, "--param"), args.tag, split,
                    {"benchmark": bench.describe(), "kind": kind, "options": options})
        rows, per_seed, summary = summarize(out, checkpoints)
        if set(rows["split"]) != {split}:
            raise ValueError(f"{out} holds trajectories of split(s) "
                             f"{', '.join(sorted(set(rows['split'])))}; give --split to match "
                             f"or another --out")
        rows.to_csv(out / "trajectories.csv", index=False)
        per_seed.to_csv(out / "per_seed.csv", index=False)
        summary.round(6).to_csv(out / "summary.csv", index=False)
        checks = [int(c.split("@")[1]) for c in summary.columns if c.startswith("val_regret@")]
        print_summary(summary, optimum, checks)
        print(f"summary: {out / 'summary.csv'}")
        if not args.no_plot:
            # one line per run configuration: its label without the algorithm as "predictor"
            labels = [run[len(algo):].lstrip("+-") or "none"
                      for run, algo in zip(rows["run"], rows["algo"])]
            plot_trajectories(rows.assign(predictor=labels), out / "regret", optimum,
                              title=f"{bench.describe()} ({split} split): mean ± SE over seeds")
            print(f"curves: {out / 'regret.png'}")
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
