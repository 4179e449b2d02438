"""How the embedded text task (`synthtext`) ranks NAS-Bench-NLP cells, and what a cell costs.

Trains a seeded sample of the cells of the shipped NAS-Bench-NLP benchmark live on synthtext
(the `nlp` space's `small` preset, the default synthtext recipe: the release's recipe with 10
epochs at lr 1e-2) into a run store, then reports:

1. the live-training seconds per arch: each run's own wall seconds (training and the per-epoch
   evaluation, as the store records them) and its training seconds (the sum of the epochs'
   training times), median and quartiles;
2. signal: Kendall tau and Spearman of the final synthtext validation score (100 - loss)
   against the WikiText-2 final validation score of the same cells (the benchmark's); runs that
   failed rank below every finished one, as in every table of this project;
3. headroom: the median final validation loss against the unigram entropy of the stream (a
   model that ignores context) and against ln(96) (a uniform guess).

Resumable (the store keeps finished runs):

    .venv/bin/python studies/synthtext_quality.py --archs 40 --workers 1 --threads 1 \
        --db results/synthtext_quality.db
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file: make the repository importable
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from benchmarks import load_benchmark
    from benchmarks.live import make_job, resolve_training, run_workers
    from benchmarks.store import RunStore
    from benchmarks.text_data import load_text_dataset, stream_stats

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0, help="seed of the cell sample")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--db", type=Path, default=Path("results/synthtext_quality.db"))
    args = ap.parse_args(argv)

    bench = load_benchmark("nlp")
    space = bench.space
    cells = bench.archs()
    pick = np.random.default_rng(args.seed).choice(len(cells), size=min(args.archs, len(cells)),
                                                   replace=False)
    chosen = [cells[i] for i in sorted(pick)]
    dataset, recipe = resolve_training(space, None, None, args.epochs)
    job = make_job(space.name, dataset, "small", recipe)
    store = RunStore(args.db)
    keys = [space.format(a) for a in chosen]
    store.enqueue(job, keys, [0])
    t0 = time.time()
    procs = run_workers(args.db, space.name, dataset, "small", recipe, args.workers, "cpu",
                        args.threads)
    for p in procs:
        p.join()
    print(f"trained for {time.time() - t0:.0f} s ({args.workers} worker(s), {args.threads} "
          f"thread(s) each); recipe {recipe.name}/{recipe.hash}, {recipe.epochs} epochs")

    rows = {r["arch"]: r for r in store.results(job, statuses=("done", "failed"), seed=0)}
    with sqlite3.connect(args.db) as db:  # each run's own wall seconds (training + evaluation)
        wall = dict(db.execute("SELECT arch, seconds FROM runs WHERE seed = 0 AND recipe = ?",
                               (recipe.hash,)).fetchall())
    live, real, run_s, train_s, failed = [], [], [], [], 0
    for arch, key in zip(chosen, keys):
        r = rows.get(key)
        if r is None:
            continue
        real.append(float(bench.final_val_acc([arch])[0]))
        if r["status"] == "done":
            live.append(r["epochs"][-1]["val_acc"])
            run_s.append(float(wall.get(key) or math.nan))
            train_s.append(sum(e["seconds"] for e in r["epochs"]))
        else:
            live.append(-math.inf)  # failures rank last
            failed += 1
    live_arr, real_arr = np.array(live), np.array(real)
    ranks = np.argsort(np.argsort(live_arr))  # ties among failures are not an issue here
    tau = kendalltau(ranks, real_arr).statistic
    rho = spearmanr(ranks, real_arr).statistic
    stats = stream_stats(load_text_dataset(dataset))
    final_loss = 100.0 - live_arr[np.isfinite(live_arr)]
    q = np.nanpercentile(run_s, [25, 50, 75]) if run_s else [math.nan] * 3
    qt = np.percentile(train_s, [25, 50, 75]) if train_s else [math.nan] * 3
    print(f"cells: {len(live)} ({failed} failed)")
    print(f"seconds per arch (run, incl. evaluation): median {q[1]:.1f} (IQR {q[0]:.1f}-"
          f"{q[2]:.1f}); training only: median {qt[1]:.1f} (IQR {qt[0]:.1f}-{qt[2]:.1f})")
    print(f"Kendall tau vs WikiText-2 final validation: {tau:+.3f}; Spearman {rho:+.3f}")
    print(f"final validation loss: median {np.median(final_loss):.3f}, best "
          f"{final_loss.min():.3f}, worst {final_loss.max():.3f}; unigram entropy "
          f"{stats['unigram_entropy']:.3f}; uniform {math.log(96):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
