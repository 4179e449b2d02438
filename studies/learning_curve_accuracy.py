"""How well do learning-curve and hybrid predictors rank the shipped default benchmark?

On `load_benchmark("default")` (1,000 NB201 cells, 8-epoch curves on shapes10), every predictor
is scored by `experiments.evaluate` — the one evaluator — on the **reporting** split: per seed,
200 uniform test cells, each predictor reading the first F epochs of each test cell's curve
(F < E = 8: F = E would read the label itself, an `oracle` row that no table shows, so the
study refuses it). Learning-curve predictors use no train set (train_size 0); the hybrid
`lcsvr` is fit on `--sizes` fully trained cells whose curves it reads truncated to F epochs.

Prints mean ± std of Kendall tau per (predictor, fidelity) with the fractions of failed and
constant cells, the best learning-curve predictor at each fidelity (Ru et al. 2020 report SoTL-E
as the strongest at low fidelity) and, for `lce` / `lce_m`, the CPU seconds per arch of one
query (`--timing-archs`; evaluate's `query_compute_seconds` are wall clock, which a shared
machine inflates).

docs/results.md: the learning-curve table (seeds 100-119: never used for a choice):

    taskset -c 0 .venv/bin/python studies/learning_curve_accuracy.py \\
        --predictors valacc,valloss,sotl,sotle,sotlema,lce,lce_m,lcsvr \\
        --fidelities 1,2,4,6 --sizes 100 --seeds 100-119 --split reporting

writes the rows to `results/learning_curve_accuracy/rows.csv` (resumable: cells already there
are skipped), mean ± std over seeds to `summary.csv` and the results-page table to `summary.md`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studies import _common as common

STUDY = "learning_curve_accuracy"
PREDICTORS = "valacc,valloss,sotl,sotle,sotlema,lce,lce_m,lcsvr"


def best_per_fidelity(rows: pd.DataFrame, family: str = "learning_curve") -> dict[int, str]:
    """The predictor(s) of `family` with the highest mean Kendall tau at each fidelity, tied
    ones joined by "=" (e.g. lce falls back to valacc's value below 3 epochs)."""
    chosen = rows[(rows["family"] == family) & ~rows["oracle"].astype(bool)]
    means = chosen.groupby(["fidelity", "label"])["kendalltau"].mean()
    out = {}
    for fidelity, group in means.groupby(level="fidelity"):
        top = group.max()
        out[int(fidelity)] = "=".join(sorted(label for (_, label), v in group.items()
                                             if v >= top - 1e-12))
    return out


def query_cpu_seconds(bench, specs: Sequence[common.Spec], fidelity: int, n_archs: int,
                      split: str) -> pd.DataFrame:
    """CPU seconds (process time) and wall seconds per arch of one `query` of `n_archs` cells
    of `split` at `fidelity`: CPU time is what the predictor costs, wall time also counts
    waiting for a shared CPU."""
    from benchmarks.splits import restrict
    from predictors import Context

    archs = restrict(bench.archs(), split)[:n_archs]
    ctx = Context.for_benchmark(bench, (), archs, fidelity)
    rows = []
    for spec in specs:
        predictor = common.make_predictor(spec)
        cpu, wall = time.process_time(), time.perf_counter()
        predictor.query(archs, ctx)
        rows.append({"predictor": spec.label, "fidelity": fidelity, "n_archs": len(archs),
                     "cpu_seconds_per_arch": (time.process_time() - cpu) / len(archs),
                     "wall_seconds_per_arch": (time.perf_counter() - wall) / len(archs),
                     "routes": dict(getattr(predictor, "fallbacks_", {}))})
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studies/learning_curve_accuracy.py",
                                     description=__doc__.split("\n\n")[0])
    common.add_common_args(parser, STUDY, PREDICTORS, seeds="100-119")
    parser.add_argument("--fidelities", default="1,2,4,6",
                        help="epochs F each test cell's curve may be read to (< E)")
    parser.add_argument("--sizes", default="100", help="train sizes of the hybrid predictors")
    parser.add_argument("--timing-archs", type=int, default=50,
                        help="archs for the CPU-time measurement of lce / lce_m (0: skip)")
    parser.add_argument("--timing-fidelity", type=int, default=4)
    args = parser.parse_args(argv)
    rows_csv = args.out / "rows.csv"
    timing = None
    try:
        if not args.summarise:
            import torch

            from benchmarks import load_benchmark

            torch.set_num_threads(args.threads)
            specs = common.parse_specs(args.predictors)
            entries = common.entries_from(specs)
            other = [e.label for e in entries if not e.predictor.needs.query_epochs]
            if other:
                raise ValueError(f"predictor(s) {', '.join(other)} read no learning curves")
            bench = load_benchmark("default")
            common.run_grid(bench, entries, sizes=common.parse_int_list(args.sizes, "--sizes"),
                            fidelities=common.parse_int_list(args.fidelities, "--fidelities"),
                            seeds=common.parse_int_list(args.seeds, "--seeds"),
                            test_size=args.test_size, sampler=args.sampler, split=args.split,
                            rows_csv=rows_csv, device=args.device,
                            log=None if args.quiet else print)
            timed = [s for s in specs if s.name in ("lce", "lce_m")]
            if timed and args.timing_archs > 0:
                if not 1 <= args.timing_fidelity < bench.max_epochs:
                    raise ValueError(f"--timing-fidelity must be in 1..{bench.max_epochs - 1}")
                timing = query_cpu_seconds(bench, timed, args.timing_fidelity,
                                           args.timing_archs, args.split)
        rows = common.read_rows(rows_csv)
        if rows.empty:
            raise FileNotFoundError(f"no rows in {rows_csv}")
    except (ValueError, FileNotFoundError) as exc:
        return common.fail(exc)
    best = best_per_fidelity(rows)
    extra = "best learning-curve predictor per fidelity: " + ", ".join(
        f"F = {f}: {p}" for f, p in best.items())
    common.write_summary(rows, args.out, "Learning-curve and hybrid predictors on the default "
                         "benchmark (Kendall tau; lcsvr's train size n)",
                         lambda summary: common.markdown_table(
                             summary, "fidelity", column_name=lambda v: f"F = {v}"),
                         extra_md=extra)
    if timing is not None:
        common.write_csv(timing, args.out / "query_cpu_seconds.csv")
        print(f"\nquery seconds per arch (one query of {args.timing_archs} archs, "
              f"F = {args.timing_fidelity}):")
        print(timing.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
