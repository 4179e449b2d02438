"""How well each zero-cost proxy ranks a benchmark's architectures, and how close our scores are
to stored (published) ones.

For any `load_benchmark` kind: our scores for each proxy over the benchmark's archs, their
Kendall tau-b and Spearman with the final validation accuracy, and, where the benchmark stores
proxy scores (NAS-Bench-Suite-Zero files), the same for the stored scores on the same archs and
on all archs, plus the Spearman between ours and the stored ones.

The cheap data-free proxies (params, flops, synflow, l2_norm) run on all archs (`--cheap-limit`);
the others (one forward/backward of a 64-image batch each, grasp a double backward, zen two
forwards) on `--limit` archs, evenly spaced over the benchmark's order. Minibatches come from the
benchmark when it has them; otherwise (tabular files: no images on this machine) from
scikit-learn's digits, upsampled to the network's 32x32x3 input (`--batch digits`), or Gaussian
noise (`--batch noise`). For the data-dependent proxies the comparison with stored CIFAR-10
scores is therefore information, not a fidelity test.

    python -m experiments.zero_cost_report suite_zero path=../shared/data/zc_nasbench201_cifar10.json space=nb201 --limit 100
    python -m experiments.zero_cost_report default                  # the shipped benchmark
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import torch

from benchmarks import load_benchmark
from experiments.metrics import kendall_tau, spearman
from predictors import Context
from predictors.zero_cost import DATA_FREE, PROXIES, ZeroCostWarning
from predictors.zero_cost.proxy_predictors import score_archs

CHEAP = ("params", "flops", "synflow", "l2_norm")


def digits_batches(shape: tuple[int, int, int] = (3, 32, 32)) -> Callable[[int, int], tuple]:
    """`batch(n, seed)` over scikit-learn's 8x8 digits, resized to `shape`, standardised."""
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
    def batch(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        return torch.randn(n, *shape, generator=g), torch.randint(0, classes, (n,), generator=g)

    return batch


def spaced(items: Sequence[Any], limit: int | None) -> list[Any]:
    """`limit` items evenly spaced over `items` (all when None or larger)."""
    if limit is None or limit >= len(items):
        return list(items)
    idx = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in idx]


def _corr(fn, a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    ok = np.isfinite(a) & np.isfinite(b)
    return (fn(a[ok], b[ok]) if ok.sum() >= 3 else math.nan), int(ok.sum())


def report(bench: Any, proxies: Sequence[str] = PROXIES, limit: int | None = 100,
           cheap_limit: int | None = None, preset: str | None = None, batch_size: int = 64,
           batch: str = "auto", seed: int = 0) -> pd.DataFrame:
    archs = list(bench.archs())
    preset = preset or getattr(bench, "preset", "official")
    if batch == "auto":
        batch = "benchmark" if getattr(bench, "has_batches", False) else "digits"
    batch_fn = {"benchmark": getattr(bench, "batch", None), "digits": digits_batches(),
                "noise": noise_batches()}[batch]
    ctx = Context(space=bench.space, batch=batch_fn, seed=seed,
                  num_classes=int(getattr(bench, "num_classes", 10)))
    stored_names = set(bench.proxies())
    rows = []
    groups = [([p for p in proxies if p in CHEAP], spaced(archs, cheap_limit)),
              ([p for p in proxies if p not in CHEAP], spaced(archs, limit))]
    for names, chosen in groups:
        if not names or not chosen:
            continue
        y = bench.final_val_acc(chosen)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ZeroCostWarning)
            ours = score_archs(chosen, ctx, names, preset=preset, batch_size=batch_size)
        seconds = (time.perf_counter() - start) / len(chosen)
        print(f"{', '.join(names)}: {len(chosen)} archs, {seconds:.2f} s per arch for the "
              f"group, {len(caught)} NaN warnings", flush=True)
        for p in names:
            row = {"proxy": p, "n": len(chosen), "nan": int(np.isnan(ours[p]).sum()),
                   "batch": "none" if p in DATA_FREE else batch, "group_s_per_arch": seconds}
            row["ours_kt"], _ = _corr(kendall_tau, y, ours[p])
            row["ours_sp"], row["n_ours"] = _corr(spearman, y, ours[p])
            if p in stored_names:
                stored, _ = bench.proxy_scores(p, chosen)
                row["stored_kt"], _ = _corr(kendall_tau, y, stored)
                row["stored_sp"], _ = _corr(spearman, y, stored)
                row["ours_vs_stored_sp"], _ = _corr(spearman, stored, ours[p])
                all_stored, all_secs = bench.proxy_scores(p)
                all_y = bench.final_val_acc()
                row["stored_kt_all"], row["n_all"] = _corr(kendall_tau, all_y, all_stored)
                row["stored_sp_all"], _ = _corr(spearman, all_y, all_stored)
                row["stored_s_per_arch"] = float(np.nanmean(all_secs))
                if p == "params":
                    row["params_max_abs_diff"] = float(np.nanmax(np.abs(stored - ours[p])))
            rows.append(row)
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", help="load_benchmark kind, e.g. suite_zero or default")
    parser.add_argument("options", nargs="*", help="load_benchmark options as key=value")
    parser.add_argument("--proxies", default=",".join(PROXIES))
    parser.add_argument("--limit", type=int, default=100,
                        help="archs for the data-dependent proxies and zen (0: all)")
    parser.add_argument("--cheap-limit", type=int, default=0,
                        help="archs for params, flops, synflow, l2_norm (0: all)")
    parser.add_argument("--preset", default=None, help="network preset (default: the "
                        "benchmark's own, else official)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batch", choices=("auto", "benchmark", "digits", "noise"),
                        default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="also write the table as CSV here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    options = dict(o.split("=", 1) for o in args.options)
    bench = load_benchmark(args.kind, **options)
    table = report(bench, [p.strip() for p in args.proxies.split(",") if p.strip()],
                   args.limit or None, args.cheap_limit or None, args.preset, args.batch_size,
                   args.batch, args.seed)
    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
