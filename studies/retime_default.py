"""Re-time the shipped default benchmark's training seconds, and check them.

The curves in `benchmarks/data/default_nb201_shapes10.npz` were trained while the machine was
shared with other jobs, so their per-epoch seconds were inflated (and unevenly: the first runs
5x, the last ones hardly). Training seconds are what a predictor is charged for its train set
and for partial curves, so they must be the cost of training on an otherwise idle machine.

    # 1. re-record: every run of the file trained again (same arch, seed, recipe, preset, one
    #    thread, one process), its per-epoch wall seconds logged; resumable (rows already in the
    #    log are skipped), then written into the file (curves untouched, `meta` says so); two
    #    one-thread processes on an idle 2-core machine, each on its own core and half the runs:
    taskset -c 0 python studies/retime_default.py record --shard 0/2 --log results/retime/a.jsonl &
    taskset -c 1 python studies/retime_default.py record --shard 1/2 --log results/retime/b.jsonl
    python studies/retime_default.py write --log results/retime/a.jsonl,results/retime/b.jsonl
    # 2. the check: 50 random runs re-timed alone, later, against the file
    python studies/retime_default.py check --runs 50 --log results/retime/check.jsonl

Only the seconds change: the file's curves stay the ground truth (a re-run reproduces the
recipe, not bit-identical accuracies, so the run's *cost* is what is re-measured). Run it on an
idle machine (or pinned to a core nothing else uses: `taskset -c 1 python ...`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_FILE = ROOT / "benchmarks" / "data" / "default_nb201_shapes10.npz"


def _done(log: Path | str) -> dict[tuple[str, int], dict]:
    """Logged runs by (arch, seed); `log` may name several files separated by commas."""
    out = {}
    for one in str(log).split(","):
        out.update(_read_log(Path(one)))
    return out


def _read_log(log: Path) -> dict[tuple[str, int], dict]:
    out = {}
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill: that run is redone
            out[(rec["arch"], int(rec["seed"]))] = rec
    return out


def time_runs(path: Path, rows: list[int], log: Path, label: str) -> dict[tuple[str, int], dict]:
    """Train the file's runs `rows` again (one thread), appending one JSON line per run."""
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from benchmarks.datasets import load_dataset
    from benchmarks.default import read_npz
    from benchmarks.recipes import Recipe
    from benchmarks.training import train_arch
    from search_spaces import get_search_space

    torch.set_num_threads(1)
    meta, arrays = read_npz(path)
    space = get_search_space(meta["space"])
    recipe = Recipe(**meta["recipe"])
    data = load_dataset(meta["dataset"])
    done = _done(log)
    todo = [i for i in rows if (str(arrays["arch"][i]), int(arrays["seed"][i])) not in done]
    log.parent.mkdir(parents=True, exist_ok=True)
    with Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn()) as bar, log.open("a") as out:
        task = bar.add_task(label, total=len(rows), completed=len(rows) - len(todo))
        for i in todo:
            arch_text, seed = str(arrays["arch"][i]), int(arrays["seed"][i])
            result = train_arch(space, space.parse(arch_text), data, recipe, meta["preset"],
                                seed=seed, device="cpu", threads=1)
            rec = {"row": i, "arch": arch_text, "seed": seed,
                   "epoch_seconds": [e.seconds for e in result.epochs],
                   "file_seconds": float(np.nansum(arrays["epoch_seconds"][i])),
                   "val_acc": result.epochs[-1].val_acc if result.epochs else None,
                   "file_val_acc": float(arrays["val_acc"][i, -1]), "status": result.status,
                   "when": time.strftime("%Y-%m-%d %H:%M:%S")}
            out.write(json.dumps(rec) + "\n")
            out.flush()
            done[(arch_text, seed)] = rec
            bar.advance(task)
    return done


def write_seconds(path: Path, log: Path | str) -> None:
    """Put the logged per-epoch seconds into the file (all runs must be logged)."""
    from benchmarks.default import read_npz

    meta, arrays = read_npz(path)
    done = _done(log)
    seconds = np.array(arrays["epoch_seconds"], dtype=np.float32, copy=True)
    missing = []
    for i, (arch, seed) in enumerate(zip(arrays["arch"], arrays["seed"])):
        rec = done.get((str(arch), int(seed)))
        if rec is None or len(rec["epoch_seconds"]) != seconds.shape[1]:
            missing.append(i)
            continue
        seconds[i] = rec["epoch_seconds"]
    if missing:
        raise SystemExit(f"{len(missing)} runs are not re-timed yet (e.g. row {missing[0]}); "
                         f"run `record` again first")
    old = float(np.nansum(arrays["epoch_seconds"]))
    meta["epoch_seconds_source"] = (
        "re-timed by studies/retime_default.py record: each run trained again (one process "
        "and one thread per core, nothing else running); curves are the original training's")
    meta["epoch_seconds_retimed"] = time.strftime("%Y-%m-%d")
    # the build's own clock stays on record across re-timings; the last one's total beside it
    meta.setdefault("train_seconds_total_before_retiming", old)
    if meta["train_seconds_total_before_retiming"] != old:
        meta["train_seconds_total_previous_retiming"] = old
    meta["train_seconds_total"] = float(seconds.sum())
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **{k: v for k, v in arrays.items() if k != "epoch_seconds"},
                        epoch_seconds=seconds, meta=np.array(json.dumps(meta)))
    os.replace(tmp, path)
    print(f"wrote re-timed seconds into {path}: {old:.0f} s before, {seconds.sum():.0f} s now")


def check(path: Path, runs: int, seed: int, log: Path) -> None:
    """Re-time `runs` random runs alone and compare them with the file, run by run."""
    from benchmarks.default import read_npz

    _, arrays = read_npz(path)
    rng = np.random.default_rng(seed)
    rows = sorted(rng.choice(len(arrays["arch"]), size=runs, replace=False).tolist())
    done = time_runs(path, rows, log, f"check ({runs} runs)")
    file_s = np.array([float(np.nansum(arrays["epoch_seconds"][i])) for i in rows])
    new_s = np.array([sum(done[(str(arrays["arch"][i]), int(arrays["seed"][i]))]
                          ["epoch_seconds"]) for i in rows])
    ratio = new_s / file_s
    within = np.abs(ratio - 1) <= 0.15
    print(f"{runs} runs re-timed alone vs the file: median ratio {np.median(ratio):.3f}, "
          f"{int(within.sum())}/{runs} within 15 % (ratio range {ratio.min():.2f}-"
          f"{ratio.max():.2f}); total {new_s.sum():.0f} s vs file {file_s.sum():.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("record", "check", "write"))
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--log", default=None, help="log file (write: several, comma-separated)")
    parser.add_argument("--shard", default="0/1", help="record: this process's share, i/n")
    parser.add_argument("--write", action="store_true", help="record: write into the file after")
    parser.add_argument("--runs", type=int, default=50, help="check: how many runs")
    parser.add_argument("--seed", type=int, default=2026, help="check: which runs")
    args = parser.parse_args()
    log = args.log or str(ROOT / "results" / "retime" / f"{args.mode}.jsonl")
    if args.mode == "check":
        check(args.file, args.runs, args.seed, Path(log))
        return
    if args.mode == "record":
        from benchmarks.default import read_npz

        n = len(read_npz(args.file)[1]["arch"])
        index, count = (int(v) for v in args.shard.split("/"))
        if not 0 <= index < count:
            raise SystemExit(f"--shard must be i/n with 0 <= i < n, got {args.shard}")
        time_runs(args.file, list(range(index, n, count)), Path(log), f"re-timing {args.shard}")
    if args.mode == "write" or args.write:
        write_seconds(args.file, log)


if __name__ == "__main__":
    main()
