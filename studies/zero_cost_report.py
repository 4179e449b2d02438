"""How well each zero-cost proxy ranks a benchmark's architectures, and how close our scores are
to stored (published) ones.

For any `load_benchmark` kind (positional: the kind, then its options as key=value):

1. **evaluation**: every proxy predictor is scored by `experiments.evaluate` — the one
   evaluator — on the **reporting** split: per seed `--test-size` uniform test archs (train
   size 0, fidelity 0; the seed also draws the proxies' network init and minibatch). A proxy
   that fails on an arch gives NaN there, ranked last (the row's `n_failed` counts them);
2. **comparison with stored scores** (not an evaluation: a fidelity check of our
   implementation), where the benchmark stores proxy scores (NAS-Bench-Suite-Zero files): on
   the archs of the same split (all of them for the cheap data-free proxies params, flops,
   synflow, l2_norm; `--compare-limit` evenly spaced ones for the others), our scores vs the
   stored ones (Spearman over archs where both are finite; for `params` the largest absolute
   difference) and both Kendall taus with the final validation accuracy on those archs.

Minibatches come from the benchmark when it has images; otherwise (tabular files: no images on
this machine) from scikit-learn's digits, upsampled to the network's 32x32x3 input (`--batch
digits`), or Gaussian noise (`--batch noise`). For the data-dependent proxies the comparison
with stored CIFAR-10 scores is therefore information, not a fidelity test. Networks use the
benchmark's preset (`small` on the default benchmark), else `official`, unless a spec sets one.

docs/results.md: the zero-cost tables (Suite-Zero NB201 file, and the shipped default benchmark;
seeds 100 and up: never used for a choice):

    taskset -c 0 .venv/bin/python studies/zero_cost_report.py suite_zero \\
        path=../shared/data/zc_nasbench201_cifar10.json space=nb201 \\
        --seeds 100 --test-size 150 --compare-limit 60 --split reporting \\
        --out results/zero_cost_report_suite_zero
    taskset -c 0 .venv/bin/python studies/zero_cost_report.py default --seeds 100-102 \\
        --test-size 500 --split reporting --out results/zero_cost_report_default

writes the evaluation rows to `results/zero_cost_report/rows.csv` (resumable), the summary to
`summary.csv` / `summary.md` and the comparison to `stored_comparison.csv` (in `--out`).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studies import _common as common

STUDY = "zero_cost_report"
CHEAP = ("params", "flops", "synflow", "l2_norm")
PROXIES = ("jacov,synflow,snip,grasp,fisher,grad_norm,nwot,epe_nas,plain,l2_norm,zen,params,"
           "flops")


def digits_batches(shape: tuple[int, int, int] = (3, 32, 32)) -> Callable[[int, int], tuple]:
    """`batch(n, seed)` over scikit-learn's 8x8 digits, resized to `shape`, standardised."""
    import torch
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images, dtype=torch.float32)[:, None]
    x = torch.nn.functional.interpolate(x, size=shape[1:], mode="bilinear", align_corners=False)
    x = ((x - x.mean()) / x.std()).repeat(1, shape[0], 1, 1)
    y = torch.tensor(data.target, dtype=torch.long)

    def batch(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:n]
        return x[idx], y[idx]

    return batch


def noise_batches(shape: tuple[int, int, int] = (3, 32, 32), classes: int = 10):
    import torch

    def batch(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        return torch.randn(n, *shape, generator=g), torch.randint(0, classes, (n,), generator=g)

    return batch


class _Batches:
    """Stand-in image data: only minibatches (what zero-cost proxies read)."""

    def __init__(self, batch: Callable[[int, int], tuple], num_classes: int) -> None:
        self.batch = batch
        self.num_classes = num_classes


class WithBatches:
    """A benchmark without images, given stand-in minibatches for the proxies; everything else
    (archs, labels, curves) is the wrapped benchmark's."""

    has_batches = True

    def __init__(self, bench: Any, batch: Callable[[int, int], tuple], num_classes: int = 10):
        self._bench = bench
        self.data = _Batches(batch, num_classes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bench, name)


def with_batches(bench: Any, how: str) -> tuple[Any, str]:
    """(benchmark to evaluate on, where its minibatches come from)."""
    if how == "auto":
        how = "benchmark" if getattr(bench, "has_batches", False) else "digits"
    if how == "benchmark":
        if not getattr(bench, "has_batches", False):
            raise ValueError(f"{bench.describe()} has no images: use --batch digits or noise")
        return bench, how
    make = digits_batches if how == "digits" else noise_batches
    return WithBatches(bench, make(), int(getattr(bench, "num_classes", 10))), how


def spaced(items: Sequence[Any], limit: int | None) -> list[Any]:
    """`limit` items evenly spaced over `items` (all when None or larger)."""
    if limit is None or limit >= len(items):
        return list(items)
    idx = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in idx]


def _finite_spearman(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    from scipy.stats import spearmanr

    ok = np.isfinite(a) & np.isfinite(b)
    return (float(spearmanr(a[ok], b[ok]).statistic) if ok.sum() >= 3 else math.nan), int(ok.sum())


def compare_stored(bench: Any, specs: Sequence[common.Spec], split: str, limit: int | None,
                   preset: str, seed: int) -> pd.DataFrame:
    """Our scores vs the benchmark's stored ones, per stored proxy, on the archs of `split`."""
    from benchmarks.splits import restrict
    from experiments.metrics import kendall_tau
    from predictors import Context
    from predictors.zero_cost.proxy_predictors import score_archs

    stored = set(bench.proxies())
    names = [s.name for s in specs if s.name in stored]
    if not names:
        return pd.DataFrame()
    archs = restrict(bench.archs(), split)
    ctx = Context.for_benchmark(bench, seed=seed)
    rows = []
    for group, chosen in (([p for p in names if p in CHEAP], archs),
                          ([p for p in names if p not in CHEAP], spaced(archs, limit))):
        if not group:
            continue
        y = bench.final_val_acc(chosen)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = score_archs(chosen, ctx, group, preset=preset, seed=seed)
        seconds = (time.perf_counter() - start) / len(chosen)
        print(f"stored comparison, {', '.join(group)}: {len(chosen)} archs, {seconds:.2f} s "
              f"per arch for the group", flush=True)
        for p in group:
            theirs, their_seconds = bench.proxy_scores(p, chosen)
            row = {"proxy": p, "n": len(chosen), "ours_nan": int(np.isnan(ours[p]).sum()),
                   "ours_kendalltau": kendall_tau(y, ours[p]),
                   "stored_kendalltau": kendall_tau(y, theirs)}
            row["ours_vs_stored_spearman"], row["n_both_finite"] = _finite_spearman(ours[p],
                                                                                     theirs)
            row["stored_s_per_arch"] = float(np.nanmean(their_seconds))
            row["ours_group_s_per_arch"] = seconds
            if p == "params":
                row["params_max_abs_diff"] = float(np.nanmax(np.abs(theirs - ours[p])))
            rows.append(row)
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studies/zero_cost_report.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", nargs="?", default="default",
                        help="load_benchmark kind, e.g. suite_zero or default (the default)")
    parser.add_argument("options", nargs="*", help="load_benchmark options as key=value")
    common.add_common_args(parser, STUDY, PROXIES, seeds="100-104")
    parser.add_argument("--batch", choices=("auto", "benchmark", "digits", "noise"),
                        default="auto")
    parser.add_argument("--compare-limit", type=int, default=100,
                        help="archs for the stored comparison of the data-dependent proxies "
                             "(0: all of the split)")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the comparison with stored scores")
    args = parser.parse_args(argv)
    rows_csv = args.out / "rows.csv"
    comparison = None
    try:
        if not args.summarise:
            import torch

            from benchmarks import load_benchmark

            torch.set_num_threads(args.threads)
            from experiments.options import parse_key_values

            bench = load_benchmark(args.kind, **parse_key_values(args.options, "benchmark option"))
            preset = getattr(bench, "preset", None) or "official"
            from predictors.base import predictor_class

            specs = common.parse_specs(args.predictors)
            other = [s.label for s in specs if predictor_class(s.name).family != "zero_cost"]
            if other:
                raise ValueError(f"predictor(s) {', '.join(other)} are not zero-cost proxies")
            import inspect

            for s in specs:
                s.params.setdefault("preset", preset)
                if "use_stored" in inspect.signature(predictor_class(s.name)).parameters:
                    # this study evaluates our implementation, not the file's stored scores
                    s.params.setdefault("use_stored", False)
            entries = common.entries_from(specs)
            evaluated, source = with_batches(bench, args.batch)
            print(f"{bench.describe()}: minibatches from {source}, preset {preset}")
            seeds = common.parse_int_list(args.seeds, "--seeds")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # evaluate notes them in each row
                common.run_grid(evaluated, entries, sizes=None, fidelities=None, seeds=seeds,
                                test_size=args.test_size, sampler=args.sampler,
                                split=args.split, rows_csv=rows_csv, device=args.device,
                                log=None if args.quiet else print)
            if not args.no_compare and bench.proxies():
                comparison = compare_stored(evaluated, specs, args.split,
                                            args.compare_limit or None, preset, seeds[0])
                common.write_csv(comparison, args.out / "stored_comparison.csv")
        elif (args.out / "stored_comparison.csv").is_file():
            comparison = pd.read_csv(args.out / "stored_comparison.csv")
        rows = common.read_rows(rows_csv)
        if rows.empty:
            raise FileNotFoundError(f"no rows in {rows_csv}")
    except (ValueError, FileNotFoundError, KeyError) as exc:
        return common.fail(exc)

    def make_table(summary: pd.DataFrame) -> str:
        lines = ["| proxy | Kendall tau | Spearman | failed archs per cell | s per arch |",
                 "|---|---|---|---|---|"]
        failed = rows.groupby("label")["n_failed"].mean()
        for r in summary.sort_values("kendalltau_mean", ascending=False).itertuples():
            tau = common.cell_text(r.kendalltau_mean, r.kendalltau_std, r.failed_frac,
                                   r.constant_frac)
            rho = common.cell_text(r.spearman_mean, r.spearman_std, 0, 0)
            lines.append(f"| `{r.label}` | {tau} | {rho} | {failed[r.label]:.1f} | "
                         f"{r.query_compute_seconds:.3f} |")
        if comparison is not None and len(comparison):
            lines += ["", "Our scores vs the stored ones (same split):", "",
                      common.frame_markdown(comparison)]
        return "\n".join(lines)

    common.write_summary(rows, args.out, "Zero-cost proxies", make_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
