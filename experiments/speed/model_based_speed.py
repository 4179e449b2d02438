"""Fit and query seconds of the model-based predictors on NAS-Bench-201 cells.

For each predictor (default: every registered model-based one) and train size n: fit on n
uniform cells, query 200 other cells, both measured wall clock (default hyperparameters, no HPO).
Labels are the real CIFAR-10 validation accuracies of
../shared/data/nb201_cifar10_valid_accuracy.csv when that file exists, else a synthetic target
(weighted op counts plus noise); fit time depends on the labels only through the model's own
convergence checks, if any. One-off process costs (torch's lazy imports) are paid before timing.
The table is printed and written to results/speed/model_based_speed.csv.

    .venv/bin/python -m experiments.speed.model_based_speed --predictors all --sizes 100,1000
    .venv/bin/python -m experiments.speed.model_based_speed --predictors gcn,bonas,nao --sizes 1000

The issue's target: GCN, BONAS, NAO/SemiNAS and BOHAMIANN fit n = 1000 in seconds to about a
minute on a CPU, not tens of minutes.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "nb201_cifar10_valid_accuracy.csv"
DEFAULT_OUT = REPO_ROOT / "results" / "speed" / "model_based_speed.csv"
COLUMNS = ["predictor", "train_size", "query_size", "fit_seconds", "query_seconds",
           "labels", "seed", "error"]


def load_labels(space: Any, data: Path | None, seed: int) -> tuple[list[Any], np.ndarray, str]:
    """All NB201 cells with real accuracies (if the CSV exists) or a synthetic target."""
    if data is not None and data.is_file():
        table = pd.read_csv(data)
        archs = [space.parse(t) for t in table["arch"]]
        return archs, table["val_accuracy"].to_numpy(float), "real"
    rng = np.random.default_rng(seed)
    archs = space.all()
    weight = {"nor_conv_3x3": 1.0, "nor_conv_1x1": 0.45, "avg_pool_3x3": 0.15, "skip_connect": 0.05}
    y = np.array([sum(weight.get(op, 0.0) for op in a.op_names) for a in archs])
    return archs, 80 + 2 * y + rng.normal(0, 0.3, len(archs)), "synthetic"


def _warm_up() -> None:
    """Pay one-off process costs before timing: torch's first optimizer imports torch._dynamo
    (~3 s, more under load), which would otherwise be billed to whichever predictor runs first."""
    import torch

    param = torch.zeros(1, requires_grad=True)
    torch.optim.Adam([param], lr=1e-3)


def run(predictors: Sequence[str], sizes: Sequence[int], query_size: int = 200, seed: int = 0,
        data: Path | None = DEFAULT_DATA, out: Path | None = DEFAULT_OUT) -> pd.DataFrame:
    """One row per (predictor, train size); errors are recorded, not raised."""
    from predictors import Context, get_predictor
    from search_spaces import get_search_space

    space = get_search_space("nb201")
    archs, y, kind = load_labels(space, data, seed)
    _warm_up()
    order = np.random.default_rng(seed).permutation(len(archs))
    query_idx = order[:query_size]
    rows = []
    for name in predictors:
        for n in sizes:
            train_idx = order[query_size:query_size + n]
            row: dict[str, Any] = {"predictor": name, "train_size": n, "query_size": query_size,
                                   "labels": kind, "seed": seed, "error": ""}
            try:
                predictor = get_predictor(name)
                ctx = Context(space, seed=seed)
                start = time.perf_counter()
                predictor.fit([archs[i] for i in train_idx], y[train_idx], ctx)
                row["fit_seconds"] = time.perf_counter() - start
                start = time.perf_counter()
                predictor.query([archs[i] for i in query_idx], ctx)
                row["query_seconds"] = time.perf_counter() - start
            except Exception as exc:  # a broken predictor must not hide the others' numbers
                row["error"] = f"{type(exc).__name__}: {exc}"[:300]
            rows.append(row)
            fit_s, query_s = row.get("fit_seconds", np.nan), row.get("query_seconds", np.nan)
            print(f"{name} n={n}: fit {fit_s:.2f} s, query {query_s:.3f} s {row['error']}",
                  flush=True)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
    return frame


def show(frame: pd.DataFrame) -> None:
    import sys

    from rich.console import Console
    from rich.table import Table

    sizes = sorted(frame["train_size"].unique())
    table = Table(title=f"model-based predictors on NB201: fit / query seconds "
                        f"({frame['query_size'].iloc[0]} query archs, {frame['labels'].iloc[0]} "
                        f"labels, {os.cpu_count()} CPUs)")
    table.add_column("predictor")
    for n in sizes:
        table.add_column(f"fit n={n}", justify="right")
        table.add_column(f"query (n={n})", justify="right")
    for name, group in frame.groupby("predictor", sort=False):
        cells = []
        for n in sizes:
            r = group[group["train_size"] == n]
            if r.empty or r["error"].iloc[0]:
                cells += ["error" if not r.empty else "", ""]
            else:
                cells += [f"{r['fit_seconds'].iloc[0]:.2f}", f"{r['query_seconds'].iloc[0]:.3f}"]
        table.add_row(str(name), *cells)
    # the terminal's width, or 150 columns into a file or pipe (as the CLI prints)
    Console(width=None if sys.stdout.isatty() else 150).print(table)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictors", default="all",
                        help="comma-separated names, or 'all' (every registered model-based one)")
    parser.add_argument("--sizes", default="100,1000", help="train sizes, e.g. 100,1000 or 10-20")
    parser.add_argument("--query-size", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="NB201 CSV with arch,val_accuracy (synthetic labels if missing)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    from predictors import list_predictors

    known = list_predictors("model_based")
    names = (known if args.predictors == "all"
             else [p.strip() for p in args.predictors.split(",") if p.strip()])
    unknown = [p for p in names if p not in known]
    if unknown:
        parser.error(f"unknown model-based predictor(s): {', '.join(unknown)}; "
                     f"known: {', '.join(known)}")
    from experiments.options import parse_int_list

    try:
        sizes = parse_int_list(args.sizes, "--sizes", minimum=1)
    except ValueError as exc:
        parser.error(str(exc))
    frame = run(names, sizes, args.query_size, args.seed, args.data, args.out)
    show(frame)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
