"""Which zero-cost proxies carry signal on NAS-Bench-NLP (issue 16 item 3).

Every proxy that applies to token networks (`predictors/zero_cost/_tokens.py`; epe_nas and zen
refuse and are listed as such) scores the cells of the shipped WikiText-2 benchmark
(`load_benchmark("nlp")`) in the **reporting** split, on the release's real network (preset
`official`: embedding 400, 3 layers of hidden 600, tied decoder over the 33,278-word
vocabulary; 15-28M parameters), initialised under `--seed` like every zero-cost predictor.

The package holds no WikiText-2 corpus: the minibatch is `--batch-size` sequences of
35 **random tokens** (`benchmarks.nlp_wikitext2.TokenBatches`, uniform over the vocabulary) with
next-token targets. The proxies therefore see how an untrained network treats token sequences,
not text.

Ground truth: the final validation score, 100 - validation loss (the benchmark's convention).
Cells whose every run diverged (`failed()`) are kept, with a NaN label ranked below every
finished cell (`experiments.metrics`), never dropped; a proxy that fails on a cell is NaN there,
ranked last. Kendall tau (tau-b), Spearman and Pearson come from `experiments.metrics`, the
evaluator's own functions (Pearson is NaN there as soon as one score is non-finite;
`pearson_finite` is Pearson over the cells where score and label are both finite);
`kendall_p` is scipy's two-sided p-value over the finite pairs (a proxy with p > 0.05 carries
no detectable signal here).

Cost: all proxies are scored in ONE shared pass per cell (what `zc_ensemble` or a NAS loop
pays); each proxy's own seconds per arch (network build + its computation, as its predictor
pays in `evaluate`) are measured on a fixed seeded sample of `--timing-cells` cells, where its
scores are also checked to equal the shared pass's.

    nohup .venv/bin/python studies/nlp_zero_cost.py > /tmp/nlp_zc.log 2>&1 &

writes `results/reference/nlp_zero_cost.csv` (one row per proxy) and the raw scores per cell to
`results/nlp/zero_cost_scores.csv`. `--limit N` scores a fixed seeded subset of N reporting
cells instead of all of them (for machines where all would take too long).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "reference" / "nlp_zero_cost.csv"
SCORES = ROOT / "results" / "nlp" / "zero_cost_scores.csv"


def reporting_cells(bench, limit: int | None, seed: int) -> tuple[list, bool]:
    """The reporting split's cells, finished or diverged (in the benchmark's order); with
    `limit`, a fixed sample of that many drawn with `seed`. (cells, whether subsampled)."""
    from benchmarks.splits import restrict

    cells = restrict([*bench.archs(), *bench.failed()], "reporting")
    if limit is None or limit >= len(cells):
        return cells, False
    keep = np.sort(np.random.default_rng(seed).choice(len(cells), limit, replace=False))
    return [cells[i] for i in keep], True


def scored(cells, ctx, proxies, args, chunk: int = 10) -> tuple[dict[str, np.ndarray], float]:
    """{proxy: scores} from one shared pass per cell, and the wall seconds it took. Scored in
    chunks only to print progress: each call draws the same batch and the same init."""
    from predictors.zero_cost.proxy_predictors import score_archs

    parts: dict[str, list[np.ndarray]] = {p: [] for p in proxies}
    start = time.perf_counter()
    for i in range(0, len(cells), chunk):
        out = score_archs(cells[i:i + chunk], ctx, proxies, preset=args.preset,
                          batch_size=args.batch_size, seed=args.seed)
        for p in proxies:
            parts[p].append(out[p])
        done = min(i + chunk, len(cells))
        print(f"  {done}/{len(cells)} cells, {time.perf_counter() - start:.0f} s", flush=True)
    return {p: np.concatenate(v) for p, v in parts.items()}, time.perf_counter() - start


def per_proxy_seconds(cells, ctx, proxies, shared, index, args) -> dict[str, float]:
    """Each proxy alone on `cells` (positions `index` of the shared pass): seconds per arch;
    its scores must equal the shared pass's."""
    from predictors.zero_cost.proxy_predictors import score_archs

    seconds = {}
    for p in proxies:
        start = time.perf_counter()
        alone = score_archs(cells, ctx, [p], preset=args.preset, batch_size=args.batch_size,
                            seed=args.seed)[p]
        seconds[p] = (time.perf_counter() - start) / len(cells)
        if not np.allclose(alone, shared[p][index], rtol=1e-6, atol=0.0, equal_nan=True):
            raise AssertionError(f"{p}: scored alone {alone} != shared pass {shared[p][index]}")
        print(f"  {p}: {seconds[p]:.2f} s/arch alone", flush=True)
    return seconds


def metrics_row(y: np.ndarray, pred: np.ndarray) -> dict[str, object]:
    from scipy.stats import kendalltau

    from experiments.metrics import kendall_tau, pearson, score_all, spearman

    ok = np.isfinite(y) & np.isfinite(pred)
    p_value = float(kendalltau(y[ok], pred[ok]).pvalue) if ok.sum() >= 3 else math.nan
    note = score_all(y, pred, scale="score")["metric_note"]
    return {"kendalltau": kendall_tau(y, pred), "spearman": spearman(y, pred),
            "pearson": pearson(y, pred), "pearson_finite": pearson(y[ok], pred[ok]),
            "kendall_p": p_value,
            "n_failed": int((~np.isfinite(pred)).sum()), "note": note}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=100,
                        help="init and batch seed (100 and up: never used for a choice)")
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per batch")
    parser.add_argument("--preset", default="official")
    parser.add_argument("--limit", type=int, default=None,
                        help="score a fixed seeded subset of this many reporting cells")
    parser.add_argument("--timing-cells", type=int, default=8,
                        help="cells each proxy is also timed on alone")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--scores", type=Path, default=SCORES)
    args = parser.parse_args(argv)

    import torch

    from benchmarks import load_benchmark
    from benchmarks.nlp_wikitext2 import SEQUENCE_LENGTH, NLPWikiText2Benchmark
    from predictors import Context
    from predictors.zero_cost._tokens import UNSUPPORTED
    from predictors.zero_cost.score import TOKEN_PROXIES, ZeroCostWarning

    torch.set_num_threads(args.threads)
    bench = load_benchmark("nlp")
    assert isinstance(bench, NLPWikiText2Benchmark)
    cells, subset = reporting_cells(bench, args.limit, args.seed)
    y = bench.final_val_acc(cells)  # NaN for a cell whose every run diverged: ranked last
    n_diverged = int((~np.isfinite(y)).sum())
    # the context a zero-cost predictor gets: the batches and the vocabulary, no label
    ctx = Context(space=bench.space, batch=bench.data.batch, num_classes=bench.data.num_classes,
                  seed=args.seed)
    which = f"a fixed subset (seed {args.seed}) of {len(cells)}" if subset else f"all {len(cells)}"
    print(f"NAS-Bench-NLP WikiText-2, reporting split: {which} cells ({n_diverged} diverged, "
          f"ranked last); preset {args.preset!r}, {args.batch_size} random-token sequences of "
          f"{SEQUENCE_LENGTH} (no corpus in the package), seed {args.seed}, "
          f"{args.threads} torch thread(s)", flush=True)

    proxies = list(TOKEN_PROXIES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ZeroCostWarning)
        shared, shared_seconds = scored(cells, ctx, proxies, args)
    for w in caught:
        print(f"  warning: {w.message}", flush=True)
    args.scores.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"arch": [str(a) for a in cells], "val_score": y,
                  **{p: shared[p] for p in proxies}}).to_csv(args.scores, index=False)

    rng = np.random.default_rng(args.seed + 1)
    index = np.sort(rng.choice(len(cells), min(args.timing_cells, len(cells)), replace=False))
    print(f"timing each proxy alone on {len(index)} cells", flush=True)
    seconds = per_proxy_seconds([cells[i] for i in index], ctx, proxies, shared, index, args)

    rows = []
    for p in proxies:
        rows.append({"proxy": p, **metrics_row(y, shared[p]), "seconds_per_arch": seconds[p],
                     "status": "ok"})
    for p, why in UNSUPPORTED.items():
        rows.append({"proxy": p, "status": "refused", "note": why})
    table = pd.DataFrame(rows)
    table["n_cells"] = len(cells)
    table["n_diverged"] = n_diverged
    table["subset"] = subset
    table["shared_pass_seconds_per_arch"] = shared_seconds / len(cells)
    for key in ("preset", "batch_size", "seed"):
        table[key] = getattr(args, key)
    table["seq_len"] = SEQUENCE_LENGTH
    table["split"] = "reporting"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)

    shown = table[["proxy", "kendalltau", "spearman", "pearson", "pearson_finite", "kendall_p",
                   "n_failed", "seconds_per_arch", "n_cells", "status"]]
    print(f"\nvs final validation score (100 - val loss), {which} reporting cells; all proxies "
          f"in one shared pass: {shared_seconds / len(cells):.1f} s/arch")
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nwrote {args.out} and {args.scores}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
