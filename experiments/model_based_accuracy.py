"""How well do model-based predictors rank NAS-Bench-201 cells? (White et al. 2021, Fig. 3 style.)

For each seed: 200 uniform test cells and a disjoint set of n uniform train cells (train sets of
the sizes asked for are nested, drawn from the cells not in the test set); each predictor is fit
on the train cells' CIFAR-10 validation accuracy and scored by Kendall tau-b and Spearman on the
test cells. Fit and query seconds are measured wall clock.

    .venv/bin/python -m experiments.model_based_accuracy --predictors xgb,gp,gpwl \\
        --sizes 20,100,1000 --seeds 20 --test-size 200 --out results/model_based_accuracy.csv

A predictor may carry constructor arguments: ``gp:encoding=path:kernel=rbf`` (values are Python
literals, or strings); any registered predictor that learns from a train set works.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "nb201_cifar10_valid_accuracy.csv"

COLUMNS = ["predictor", "family", "space", "dataset", "train_size", "seed", "n_test", "kendalltau",
           "spearman", "pearson", "sparse_kendalltau", "fit_seconds", "query_seconds", "error"]


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``name:key=value:...`` -> (name, params); values are Python literals or plain strings."""
    name, *assignments = spec.strip().split(":")
    params: dict[str, Any] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"bad predictor option {item!r} in {spec!r}: expected key=value")
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return name, params


def load_table(path: Path):
    """(space, archs, accuracies) from the NB201 CSV (columns `arch`, `val_accuracy`)."""
    from search_spaces import get_search_space

    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path} (give --data PATH)")
    table = pd.read_csv(path)
    missing = {"arch", "val_accuracy"} - set(table.columns)
    if missing:
        raise ValueError(f"{path} lacks column(s) {', '.join(sorted(missing))}")
    space = get_search_space("nb201")
    archs = [space.parse(text) for text in table["arch"]]
    return space, archs, table["val_accuracy"].to_numpy(dtype=float)


def run(specs: Sequence[str], sizes: Sequence[int], seeds: Sequence[int], test_size: int,
        data: Path, progress: bool = True) -> pd.DataFrame:
    """One row per predictor x train size x seed (COLUMNS)."""
    from rich.progress import Progress

    from experiments import metrics
    from predictors import Context, get_predictor
    from predictors.base import predictor_class

    parsed = [parse_spec(s) for s in specs]
    for name, params in parsed:
        get_predictor(name, **params)  # fail fast on unknown names / parameters
        if not predictor_class(name).needs.train_set:
            raise ValueError(f"predictor {name!r} does not learn from a train set")
    space, archs, acc = load_table(data)
    if test_size + max(sizes) > len(archs):
        raise ValueError(f"test size {test_size} + train size {max(sizes)} exceed the "
                         f"{len(archs)} cells in {data}")
    _warm_up(parsed, space, archs, acc, get_predictor, Context)
    rows = []
    with Progress(disable=not progress, transient=False) as bar:
        task = bar.add_task("fitting", total=len(parsed) * len(sizes) * len(seeds))
        for seed in seeds:
            order = np.random.default_rng(seed).permutation(len(archs))
            test, pool = order[:test_size], order[test_size:]
            test_archs, y_test = [archs[i] for i in test], acc[test]
            for size in sizes:
                train = pool[:size]
                train_archs, y_train = [archs[i] for i in train], acc[train]
                for spec, (name, params) in zip(specs, parsed):
                    bar.update(task, description=f"{spec} n={size} seed={seed}")
                    rows.append(_one(spec, name, params, space, train_archs, y_train, test_archs,
                                     y_test, size, seed, get_predictor, Context, metrics))
                    bar.advance(task)
    return pd.DataFrame(rows, columns=COLUMNS)


def _warm_up(parsed, space, archs, acc, get_predictor, Context) -> None:
    """Fit each predictor once on a few cells so lazy imports are not timed as fit seconds."""
    for name, params in parsed:
        try:
            get_predictor(name, **params).fit(archs[:12], acc[:12], Context(space))
        except Exception:
            pass  # the timed run reports the error


def _one(spec, name, params, space, train_archs, y_train, test_archs, y_test, size, seed,
         get_predictor, Context, metrics) -> dict[str, Any]:
    predictor = get_predictor(name, **params)
    row: dict[str, Any] = {"predictor": spec, "family": predictor.family, "space": space.name,
                           "dataset": "cifar10-valid", "train_size": size, "seed": seed,
                           "n_test": len(test_archs), "error": None}
    try:
        start = time.perf_counter()
        predictor.fit(train_archs, y_train, Context(space, seed=seed))
        row["fit_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        pred = np.asarray(predictor.query(test_archs, Context(space, seed=seed)), dtype=float)
        row["query_seconds"] = time.perf_counter() - start
        row.update(kendalltau=metrics.kendall_tau(y_test, pred),
                   spearman=metrics.spearman(y_test, pred), pearson=metrics.pearson(y_test, pred),
                   sparse_kendalltau=metrics.sparse_kendall_tau(y_test, pred))
    except Exception as exc:  # one failing fit must not end a long run; the row says why
        row["error"] = f"{type(exc).__name__}: {exc}"
    return row


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds per predictor x train size."""
    grouped = frame.groupby(["predictor", "train_size"], sort=False)
    out = grouped.agg(kendalltau_mean=("kendalltau", "mean"), kendalltau_std=("kendalltau", "std"),
                      spearman_mean=("spearman", "mean"), spearman_std=("spearman", "std"),
                      fit_seconds=("fit_seconds", "mean"), query_seconds=("query_seconds", "mean"),
                      seeds=("seed", "nunique"), errors=("error", "count"))
    return out.reset_index()


def print_table(table: pd.DataFrame) -> None:
    from rich.console import Console
    from rich.table import Table

    view = Table(title="Model-based predictors on NB201 CIFAR-10 (valid), mean ± std over seeds")
    for column in ("predictor", "n", "Kendall tau", "Spearman", "fit s", "query s", "seeds", "errors"):
        view.add_column(column, justify="left" if column == "predictor" else "right", no_wrap=True)
    for r in table.itertuples():
        view.add_row(r.predictor, str(r.train_size),
                     f"{r.kendalltau_mean:.3f} ± {np.nan_to_num(r.kendalltau_std):.3f}",
                     f"{r.spearman_mean:.3f} ± {np.nan_to_num(r.spearman_std):.3f}",
                     f"{r.fit_seconds:.2f}", f"{r.query_seconds:.3f}", str(r.seeds), str(r.errors))
    # rich assumes 80 columns when writing to a file or pipe; a log should keep whole rows
    Console(width=None if sys.stdout.isatty() else 140).print(view)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.model_based_accuracy",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictors", default="xgb",
                        help="comma-separated names, each optionally name:key=value:...")
    parser.add_argument("--sizes", default="20,100,1000", help="train sizes, comma-separated")
    parser.add_argument("--seeds", type=int, default=20, help="number of seeds (0..N-1)")
    parser.add_argument("--test-size", type=int, default=200)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "model_based_accuracy.csv")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        specs = [s.strip() for s in args.predictors.split(",") if s.strip()]
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        if not specs or not sizes or args.seeds < 1 or args.test_size < 3 or min(sizes) < 2:
            raise ValueError("need at least one predictor, train sizes >= 2, --seeds >= 1, "
                             "--test-size >= 3")
        frame = run(specs, sizes, range(args.seeds), args.test_size, args.data,
                    progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print_table(summary(frame))
    failed = frame[frame["error"].notna()]
    for r in failed.drop_duplicates("predictor").itertuples():
        print(f"{r.predictor}: {r.error}", file=sys.stderr)
    print(f"wrote {len(frame)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
