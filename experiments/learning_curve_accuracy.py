"""How well do learning-curve and hybrid predictors rank the shipped default benchmark?

On `load_benchmark("default")` (1,000 NB201 cells, 8-epoch curves on shapes10), each predictor is
scored by `experiments.evaluate` — Kendall tau-b between its scores and the final validation
accuracy of `test_size` uniformly drawn test cells — at each fidelity F (epochs of each test
cell's curve it may read), over several seeds (a seed draws the test set, and the train set of
the hybrid `lcsvr`). Learning-curve predictors use no train set (train_size 0); `lcsvr` is fit
on `train_size` fully trained cells whose curves it reads truncated to F epochs.

Prints mean ± std of Kendall tau per (predictor, fidelity), the best learning-curve predictor at
each fidelity (Ru et al. 2020 report SoTL-E as the strongest at low fidelity), and the measured
query compute seconds per arch (wall clock of the predictor's own work, not training seconds);
writes every tidy row to a CSV.

    .venv/bin/python -m experiments.learning_curve_accuracy                      # the full grid
    .venv/bin/python -m experiments.learning_curve_accuracy --predictors sotle,lce --seeds 2
    .venv/bin/python -m experiments.learning_curve_accuracy --summarise a.csv b.csv  # tables only
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
LEARNING_CURVE = ("valacc", "valloss", "sotl", "sotle", "sotlema", "lce", "lce_m")
HYBRID = ("lcsvr",)


def run(predictors: Sequence[str], fidelities: Sequence[int], seeds: Sequence[int],
        test_size: int, train_size: int, out: Path | None = None,
        log=print) -> pd.DataFrame:
    """The tidy `evaluate` rows of every predictor (one per fidelity × seed), written to `out`
    after each predictor so that an interrupted run keeps what it finished."""
    import torch

    from benchmarks import load_benchmark
    from experiments import evaluate
    from predictors import get_predictor

    torch.set_num_threads(1)
    benchmark = load_benchmark("default")
    frames = []
    for name in predictors:
        predictor = get_predictor(name)
        sizes = [train_size] if predictor.needs.train_set else None
        start = time.perf_counter()
        frame = evaluate(benchmark, predictor, train_sizes=sizes, fidelities=list(fidelities),
                         test_size=test_size, seeds=list(seeds))
        log(f"{name}: {len(frame)} cells in {time.perf_counter() - start:.0f} s wall")
        errors = frame["error"].dropna().unique()
        if len(errors):
            log(f"  errors: {errors[:3]}")
        frames.append(frame)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            pd.concat(frames, ignore_index=True).to_csv(out, index=False)
    return pd.concat(frames, ignore_index=True)


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows (predictor, family, train_size); columns 'F=<f>' holding 'mean ± std' of Kendall
    tau, plus the mean query compute seconds per arch."""
    grouped = frame.groupby(["predictor", "family", "train_size", "fidelity"])
    stats = grouped["kendalltau"].agg(["mean", "std", "count"]).reset_index()
    stats["cell"] = [f"{m:+.3f} ± {s:.3f}" for m, s in zip(stats["mean"], stats["std"].fillna(0))]
    table = stats.pivot(index=["predictor", "family", "train_size"], columns="fidelity",
                        values="cell")
    table.columns = [f"F={c}" for c in table.columns]
    seconds = frame.groupby(["predictor", "family", "train_size"])["query_compute_seconds"].mean()
    table["query_compute_s_per_arch"] = seconds.map(lambda v: f"{v:.4f}")
    order = {name: i for i, name in enumerate(LEARNING_CURVE + HYBRID)}
    return table.sort_index(key=lambda idx: idx.map(lambda v: order.get(v, 99))
                            if idx.name == "predictor" else idx)


def best_per_fidelity(frame: pd.DataFrame, family: str = "learning_curve") -> pd.Series:
    """The predictor(s) of `family` with the highest mean Kendall tau at each fidelity, tied
    ones joined by "=" (e.g. lce falls back to valacc's value below 3 epochs)."""
    chosen = frame[frame["family"] == family]
    means = chosen.groupby(["fidelity", "predictor"])["kendalltau"].mean()
    return means.groupby(level="fidelity").apply(
        lambda group: "=".join(sorted(p for (_, p), v in group.items()
                                      if v >= group.max() - 1e-12)))


def query_seconds(names: Sequence[str], fidelity: int, n_archs: int) -> pd.DataFrame:
    """Measured CPU seconds (process time) and wall seconds per arch of one `query` of the
    first `n_archs` default-benchmark cells at `fidelity` — CPU time is what the predictor
    costs, wall time also counts waiting for a shared CPU."""
    from benchmarks import load_benchmark
    from predictors import Context, CurveView, get_predictor

    benchmark = load_benchmark("default")
    archs = benchmark.archs()[:n_archs]
    ctx = Context(space=benchmark.space, curves=CurveView(benchmark, (), fidelity),
                  fidelity=fidelity)
    rows = []
    for name in names:
        predictor = get_predictor(name)
        cpu, wall = time.process_time(), time.perf_counter()
        predictor.query(archs, ctx)
        rows.append({"predictor": name, "fidelity": fidelity, "n_archs": len(archs),
                     "cpu_seconds_per_arch": (time.process_time() - cpu) / len(archs),
                     "wall_seconds_per_arch": (time.perf_counter() - wall) / len(archs),
                     "routes": dict(getattr(predictor, "fallbacks_", {}))})
    return pd.DataFrame(rows)


def _print_tables(frame: pd.DataFrame, what: str) -> None:
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\nKendall tau (mean ± std over {what}; train_size is lcsvr's) on the default "
              f"benchmark; query compute seconds are measured wall clock per arch:")
        print(summarise(frame).to_string())
        if (frame["family"] == "learning_curve").any():
            print("\nbest learning-curve predictor per fidelity:",
                  best_per_fidelity(frame).to_dict())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictors", default=",".join(LEARNING_CURVE + HYBRID))
    parser.add_argument("--fidelities", default="1,2,4,6")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    parser.add_argument("--test-size", type=int, default=200)
    parser.add_argument("--train-size", type=int, default=100, help="for lcsvr")
    parser.add_argument("--timing-archs", type=int, default=50,
                        help="archs for the CPU-time measurement of lce/lce_m (0: skip)")
    parser.add_argument("--timing-fidelity", type=int, default=4)
    parser.add_argument("--out", type=Path,
                        default=REPO_ROOT / "results" / "learning_curve_accuracy.csv")
    parser.add_argument("--summarise", type=Path, nargs="+", metavar="CSV",
                        help="print the tables of rows written earlier (several files are "
                             "concatenated) instead of running")
    args = parser.parse_args(argv)
    if args.summarise:
        missing = [str(p) for p in args.summarise if not p.is_file()]
        if missing:
            print(f"error: no such file(s): {', '.join(missing)}", file=sys.stderr)
            return 2
        frame = pd.concat([pd.read_csv(p) for p in args.summarise], ignore_index=True)
        _print_tables(frame, f"{frame['seed'].nunique()} seeds, test size "
                             f"{int(frame['n_test'].max())}")
        return 0
    try:
        names = [n.strip() for n in args.predictors.split(",") if n.strip()]
        fidelities = [int(f) for f in args.fidelities.split(",")]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frame = run(names, fidelities, range(args.seeds), args.test_size, args.train_size, args.out)
    _print_tables(frame, f"{args.seeds} seeds, test size {args.test_size}")
    timed = [n for n in names if n in ("lce", "lce_m")]
    if timed and args.timing_archs > 0:
        print(f"\nquery compute seconds per arch (measured) at F={args.timing_fidelity}:")
        print(query_seconds(timed, args.timing_fidelity, args.timing_archs).to_string(index=False))
    print(f"\nrows written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
