"""Memory and seconds to open a full-size NASLib NB201 data file: our loader vs NASLib's way,
side by side in one run.

The file: 15,625 NB201 cells x 200 epochs in exactly the layout of NASLib's
`nb201_cifar10_full_training.pickle` (`tests/_naslib_files.py`; made-up numbers, real
structure and types: per arch `{"cifar10-valid": {4 per-epoch lists of floats, cost_info}}`),
written once
to a temporary folder (about 110 MB).

- ours: `load_benchmark("naslib", path=...)`, then every arch's final validation accuracy and
  one full curve (so the data is really held and used);
- reference: what NASLib's `get_nasbench201_api` does, `pickle.load` of the whole file into its
  dict of lists, then the same reads through that dict.

Each runs in a fresh subprocess (`--repeats` times, interleaved); reported per variant: peak
resident memory (ru_maxrss of the child, the imports included; they are shown apart), memory
held after loading (resident set after a `gc.collect()`, minus the interpreter with numpy and
the package imported), and wall seconds of the load; then the ratios reference / ours. The
issue's target: ours holds the file in well under 2 GB. Results go to
results/speed/naslib_file_memory.csv.

    .venv/bin/python -m experiments.speed.naslib_file_memory
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "results" / "speed" / "naslib_file_memory.csv"
TARGET_GB = 2.0

#: run in the child: import first (the baseline), then load and read, then report
_CHILD = r"""
import gc, json, pickle, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np
from benchmarks import load_benchmark

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

gc.collect()
base = rss_mb()
start = time.perf_counter()
if {variant!r} == "ours":
    bench = load_benchmark("naslib", path={path!r})
    seconds = time.perf_counter() - start
    finals = bench.final_val_acc()
    curve = bench.curve(bench.archs()[-1]).val_acc
else:
    with open({path!r}, "rb") as f:
        data = pickle.load(f)
    seconds = time.perf_counter() - start
    finals = np.array([r["cifar10-valid"]["eval_acc1es"][-1] for r in data.values()])
    curve = np.array(data[list(data)[-1]]["cifar10-valid"]["eval_acc1es"])
gc.collect()
held = rss_mb() - base
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "held_mb": held, "peak_mb": peak, "base_mb": base,
                  "archs": len(finals), "checksum": float(finals.sum() + curve.sum())}}))
"""


def write_file(folder: Path, archs: int, epochs: int) -> Path:
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    sys.path.insert(0, str(REPO_ROOT))
    from _naslib_files import nb201_records, write

    return write(folder / "nb201_cifar10_full_training.pickle", nb201_records(archs, epochs))


def measure(variant: str, path: Path) -> dict[str, float]:
    code = _CHILD.format(root=str(REPO_ROOT), variant=variant, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=15_625)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_file(Path(tmp), args.archs, args.epochs)
        size_mb = path.stat().st_size / 2**20
        runs: dict[str, list[dict[str, float]]] = {"ours": [], "reference": []}
        for _ in range(args.repeats):
            for variant in runs:
                runs[variant].append(measure(variant, path))
    checks = {v: {r["checksum"] for r in rs} for v, rs in runs.items()}
    same = checks["ours"] == checks["reference"] and len(checks["ours"]) == 1
    rows = []
    for variant, results in runs.items():
        rows.append({"variant": variant, "archs": args.archs, "epochs": args.epochs,
                     "file_mb": round(size_mb, 1),
                     **{k: round(statistics.median(r[k] for r in results), 3)
                        for k in ("peak_mb", "base_mb", "held_mb", "seconds")}})
    ours, ref = rows
    print(f"NASLib NB201 file: {args.archs} archs x {args.epochs} epochs, {size_mb:.0f} MB; "
          f"median of {args.repeats} fresh processes each; same numbers read: {same}")
    print(f"{'variant':<10} {'peak MB':>9} {'of which imports':>17} {'held MB':>9} "
          f"{'load s':>8}")
    for row in rows:
        print(f"{row['variant']:<10} {row['peak_mb']:>9.0f} {row['base_mb']:>17.0f} "
              f"{row['held_mb']:>9.0f} {row['seconds']:>8.2f}")
    print(f"ratio reference/ours: peak {ref['peak_mb'] / ours['peak_mb']:.2f}x, held "
          f"{ref['held_mb'] / max(ours['held_mb'], 1e-9):.2f}x, load seconds "
          f"{ref['seconds'] / ours['seconds']:.2f}x; target: ours peak < {TARGET_GB:g} GB: "
          f"{'met' if ours['peak_mb'] < TARGET_GB * 1024 else 'NOT met'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
