"""How much of a live-training number is hardware noise (issue 20, item 5).

Retrains archs of the shipped default benchmark (`benchmarks/data/default_nb201_shapes10.npz`,
its recipe, preset, dataset and training seeds) here, under several environments, and compares
final accuracies pairwise:

- **file vs here**: the shipped run against the same run retrained here (1 thread per process,
  as the file was built: `--workers 2` on 2 cores) — what a user retraining it gets;
- **run-to-run here**: the same run twice, deterministic mode, same thread count — the
  contract says bit-identical;
- **1 vs 2 threads**: the same run with another intra-op thread count;
- **seed to seed**: training seed 0 against seed 1 of the same arch, in the file and here — the
  noise every benchmark number carries anyway, the yardstick for the rows above.

Each row: mean and largest absolute difference of the final validation and test accuracy
(percentage points), Kendall tau between the two runs' final validation accuracies over the
archs, and how many pairs are bit-identical (every epoch's losses and accuracies equal).

    .venv/bin/python studies/reproducibility.py --archs 20
    # resumable: runs already in the log are not trained again;
    # writes results/reference/reproducibility_runs.csv and reproducibility.csv

The archs are drawn (seeded) from the file's archs that have runs of both training seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (name, training seed, threads, deterministic)
CONDITIONS = (("here_t1", 0, 1, True), ("here_t1_again", 0, 1, True), ("here_t2", 0, 2, True),
              ("here_t1_seed1", 1, 1, True))
#: (row label, run set A, run set B); "file" / "file_seed1" are the shipped runs
COMPARISONS = (
    ("file vs retrained here (seed 0, 1 thread)", "file", "here_t1"),
    ("run to run here (seed 0, 1 thread, deterministic)", "here_t1", "here_t1_again"),
    ("1 vs 2 threads here (seed 0, deterministic)", "here_t1", "here_t2"),
    ("seed 0 vs seed 1 in the file", "file", "file_seed1"),
    ("seed 0 vs seed 1 here (1 thread)", "here_t1", "here_t1_seed1"),
)


def pick_archs(arrays: dict, n: int, seed: int) -> list[str]:
    """`n` archs (seeded draw, file order kept) among those with both training seeds."""
    seeds: dict[str, set[int]] = {}
    for arch, s in zip(arrays["arch"], arrays["seed"]):
        seeds.setdefault(str(arch), set()).add(int(s))
    both = [a for a, s in seeds.items() if {0, 1} <= s]
    if n > len(both):
        raise SystemExit(f"--archs {n}: the file has only {len(both)} archs with two seeds")
    rng = np.random.default_rng(seed)
    keep = set(rng.choice(len(both), size=n, replace=False).tolist())
    return [a for i, a in enumerate(both) if i in keep]


def file_runs(arrays: dict, archs: list[str], seed: int) -> dict[str, dict]:
    out = {}
    for i, (arch, s) in enumerate(zip(arrays["arch"], arrays["seed"])):
        if str(arch) in archs and int(s) == seed:
            out[str(arch)] = {"val_acc": arrays["val_acc"][i].astype(float).tolist(),
                              "train_loss": arrays["train_loss"][i].astype(float).tolist(),
                              "test_acc": float(arrays["test_acc"][i])}
    return out


def read_log(log: Path) -> dict[tuple[str, str], dict]:
    out = {}
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill: that run is trained again
            out[(rec["condition"], rec["arch"])] = rec
    return out


def train_all(archs: list[str], log: Path) -> dict[tuple[str, str], dict]:
    """Train every (condition, arch) not yet in `log`, appending one JSON line per run."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from benchmarks.datasets import load_dataset
    from benchmarks.default import DEFAULT_FILE, read_npz
    from benchmarks.recipes import Recipe
    from benchmarks.training import train_arch
    from search_spaces import get_search_space

    meta, _ = read_npz(DEFAULT_FILE)
    space = get_search_space(meta["space"])
    recipe = Recipe(**meta["recipe"])
    data = load_dataset(meta["dataset"])
    done = read_log(log)
    todo = [(c, a) for c in CONDITIONS for a in archs if (c[0], a) not in done]
    log.parent.mkdir(parents=True, exist_ok=True)
    with Progress(TextColumn("retrain"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn()) as bar, log.open("a") as out:
        task = bar.add_task("retrain", total=len(CONDITIONS) * len(archs),
                            completed=len(CONDITIONS) * len(archs) - len(todo))
        for (name, seed, threads, deterministic), arch in todo:
            r = train_arch(space, space.parse(arch), data, recipe, meta["preset"], seed=seed,
                           device="cpu", threads=threads, deterministic=deterministic)
            rec = {"condition": name, "arch": arch, "seed": seed, "status": r.status,
                   "val_acc": [e.val_acc for e in r.epochs],
                   "train_loss": [e.train_loss for e in r.epochs], "test_acc": r.test_acc,
                   "env": r.env, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
            out.write(json.dumps(rec) + "\n")
            out.flush()
            done[(name, arch)] = rec
            bar.advance(task)
    return done


def compare(a: dict[str, dict], b: dict[str, dict], archs: list[str]) -> dict[str, float]:
    from scipy.stats import kendalltau

    va = np.array([a[x]["val_acc"][-1] for x in archs])
    vb = np.array([b[x]["val_acc"][-1] for x in archs])
    ta = np.array([a[x]["test_acc"] for x in archs], dtype=float)
    tb = np.array([b[x]["test_acc"] for x in archs], dtype=float)
    identical = sum(a[x]["val_acc"] == b[x]["val_acc"] and a[x]["train_loss"] == b[x]["train_loss"]
                    and a[x]["test_acc"] == b[x]["test_acc"] for x in archs)
    return {"archs": len(archs), "val_mean_abs_diff": float(np.mean(np.abs(va - vb))),
            "val_max_abs_diff": float(np.max(np.abs(va - vb))),
            "test_mean_abs_diff": float(np.mean(np.abs(ta - tb))),
            "val_kendall_tau": float(kendalltau(va, vb).statistic),
            "test_kendall_tau": float(kendalltau(ta, tb).statistic),
            "bit_identical": int(identical)}


def main(argv: list[str] | None = None) -> None:
    import pandas as pd

    from benchmarks.default import DEFAULT_FILE, read_npz
    from benchmarks.run_env import describe_env

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0, help="seed of the arch draw")
    ap.add_argument("--log", type=Path, default=ROOT / "results" / "reproducibility" /
                    "runs.jsonl")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "reference")
    args = ap.parse_args(argv)
    if args.archs < 2:
        ap.error("--archs must be >= 2 (a Kendall tau needs two)")

    meta, arrays = read_npz(DEFAULT_FILE)
    archs = pick_archs(arrays, args.archs, args.seed)
    done = train_all(archs, args.log)
    sets = {"file": file_runs(arrays, archs, 0), "file_seed1": file_runs(arrays, archs, 1)}
    for name, *_ in CONDITIONS:
        sets[name] = {a: done[(name, a)] for a in archs}
    failed = [(c, a) for (c, a), r in done.items() if a in archs and r["status"] != "done"]
    if failed:
        raise SystemExit(f"{len(failed)} retrained runs failed (e.g. {failed[0]}): no "
                         f"comparison of final accuracies")

    rows = [{"comparison": label, "a": a, "b": b, **compare(sets[a], sets[b], archs)}
            for label, a, b in COMPARISONS]
    table = pd.DataFrame(rows)
    runs = pd.DataFrame([{"set": name, "arch": arch, "final_val_acc": r["val_acc"][-1],
                          "test_acc": r["test_acc"],
                          "env": describe_env(r.get("env")) if "env" in r else
                          f"shipped file (torch {meta.get('torch')}, not recorded)"}
                         for name, runs_ in sets.items() for arch, r in runs_.items()])
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "reproducibility.csv", index=False, float_format="%.4f")
    runs.to_csv(args.out / "reproducibility_runs.csv", index=False, float_format="%.4f")
    env = next(iter(sets["here_t1"].values()))["env"]
    print(f"here: {describe_env(env)}; file: torch {meta.get('torch')}, built by "
          f"`{meta.get('command')}`")
    print("| comparison | mean abs diff, final val (pp) | max | mean abs diff, test (pp) | "
          "Kendall tau (val) | bit-identical |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['comparison']} | {r['val_mean_abs_diff']:.2f} | {r['val_max_abs_diff']:.2f}"
              f" | {r['test_mean_abs_diff']:.2f} | {r['val_kendall_tau']:.3f} | "
              f"{r['bit_identical']}/{r['archs']} |")


if __name__ == "__main__":
    main()
