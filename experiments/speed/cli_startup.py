"""Start-up seconds of `predbench --help`, `predbench spaces` and `predbench predictors`: the
entry point as it is (`predbench.cli:main`) vs a plain reference that loads the library the way
the old CLI did, side by side in one run.

- new: the installed console script, `<venv>/bin/predbench ARGS` (`predbench.cli.main`: the
  command modules import only typer, rich and the standard library; `spaces` and `predictors`
  without options are answered without building the typer app; `predictors` reads the checked
  index of the registry; nothing imports torch);
- reference: `python -c REFERENCE ARGS` where REFERENCE first imports `experiments`,
  `predictors` and `search_spaces` -- what the old entry point `experiments.cli:main` loaded
  before parsing anything (`experiments/__init__` imports the evaluator, hence every benchmark
  kind, every predictor, pandas, scipy and torch) -- and then runs the same typer app
  (`predbench.cli.app`). With the predictor registry loaded, `predictors` lists from the registry
  itself (as the old command did), not from the index;
- old tree (only with `--old-tree DIR`): the real old CLI, `python -c "from experiments.cli
  import main; main()" ARGS` with `PYTHONPATH=DIR`, for a checkout of a revision before the move
  (e.g. `git worktree add /tmp/old 4e6aa50` or `git archive 4e6aa50 | tar -x -C /tmp/old`).

Each (command, variant) runs once untimed (file cache), then `--repeats` (default 5) fresh
subprocesses each, the variants interleaved so that both see the same load; reported: the
median wall seconds, the median CPU seconds of the child (user + system, robust to other load
on the machine), the ratio reference / new, and whether the outputs are the same. All run in an
empty temporary folder (nothing of the caller's folder on `sys.path`). The table is printed and
written to results/speed/cli_startup.csv.

    .venv/bin/python -m experiments.speed.cli_startup
    .venv/bin/python -m experiments.speed.cli_startup --repeats 9 --old-tree /tmp/old

The issue's target: each of the three starts in under 0.5 s (new, median wall).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "results" / "speed" / "cli_startup.csv"
COMMANDS: tuple[tuple[str, ...], ...] = (("--help",), ("spaces",), ("predictors",))
TARGET_SECONDS = 0.5

#: the plain reference: the old entry point's imports, then the same typer app
REFERENCE = (
    "import sys; sys.argv[0] = 'predbench'\n"
    "import experiments, predictors, search_spaces  # what experiments.cli:main loaded first\n"
    "from predbench.cli import app\n"
    "app()\n"
)
#: the real old CLI (with PYTHONPATH set to a checkout from before the move)
OLD_TREE = "import sys; sys.argv[0] = 'predbench'\nfrom experiments.cli import main\nmain()\n"


def console_script() -> str:
    """The installed `predbench` command of this interpreter's environment."""
    beside = Path(sys.executable).parent / "predbench"
    found = str(beside) if beside.is_file() else shutil.which("predbench")
    if not found:
        raise SystemExit("error: no `predbench` command installed (bash scripts/setup.sh)")
    return found


def run_once(cmd: Sequence[str], cwd: str, env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall seconds, child CPU seconds, exit code, stdout) of one fresh subprocess."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.DEVNULL, cwd=cwd,
                                env=env)
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
        else:  # pragma: no cover  (no per-child CPU time on this platform)
            code = proc.wait()
            wall, cpu = time.perf_counter() - start, float("nan")
        out.seek(0)
        return wall, cpu, code, out.read().decode(errors="replace")


def measure(repeats: int, old_tree: Path | None) -> list[dict[str, Any]]:
    exe = console_script()
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        "new": ([exe], dict(os.environ)),
        "reference": ([sys.executable, "-c", REFERENCE], dict(os.environ)),
    }
    if old_tree is not None:
        variants["old_tree"] = ([sys.executable, "-c", OLD_TREE],
                                dict(os.environ, PYTHONPATH=str(old_tree.resolve())))
    rows = []
    with tempfile.TemporaryDirectory() as cwd:
        for args in COMMANDS:
            walls: dict[str, list[float]] = {v: [] for v in variants}
            cpus: dict[str, list[float]] = {v: [] for v in variants}
            outputs: dict[str, str] = {}
            for variant, (cmd, env) in variants.items():  # untimed: file cache, .pyc
                _, _, code, outputs[variant] = run_once([*cmd, *args], cwd, env)
                if code != 0:
                    raise SystemExit(f"error: {variant} `predbench {' '.join(args)}` exited "
                                     f"with {code}")
            for _ in range(repeats):
                for variant, (cmd, env) in variants.items():
                    wall, cpu, _, _ = run_once([*cmd, *args], cwd, env)
                    walls[variant].append(wall)
                    cpus[variant].append(cpu)
            median_wall = {v: statistics.median(walls[v]) for v in variants}
            median_cpu = {v: statistics.median(cpus[v]) for v in variants}
            row: dict[str, Any] = {"command": "predbench " + " ".join(args),
                                      "repeats": repeats}
            for variant in variants:
                row[f"{variant}_wall_s"] = median_wall[variant]
                row[f"{variant}_cpu_s"] = median_cpu[variant]
            row["ratio_wall"] = median_wall["reference"] / median_wall["new"]
            row["ratio_cpu"] = median_cpu["reference"] / median_cpu["new"]
            row["same_output"] = len(set(outputs.values())) == 1
            rows.append(row)
    return rows


def show(rows: list[dict[str, Any]]) -> None:
    old = "old_tree_wall_s" in rows[0]
    print(f"median of {rows[0]['repeats']} fresh subprocesses each; wall seconds "
          f"(CPU seconds of the child); {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}")
    head = f"{'command':24s} {'new':>15s} {'reference':>15s}" + (f" {'old tree':>15s}" if old
                                                                  else "")
    print(head + f" {'ratio':>7s}  same output  < {TARGET_SECONDS} s")
    for r in rows:
        cells = [f"{r['new_wall_s']:.3f} ({r['new_cpu_s']:.3f})",
                 f"{r['reference_wall_s']:.3f} ({r['reference_cpu_s']:.3f})"]
        if old:
            cells.append(f"{r['old_tree_wall_s']:.3f} ({r['old_tree_cpu_s']:.3f})")
        ok = "yes" if float(r["new_wall_s"]) < TARGET_SECONDS else "NO"
        print(f"{str(r['command']):24s} " + " ".join(f"{c:>15s}" for c in cells)
              + f" {float(r['ratio_wall']):6.1f}x  {'yes' if r['same_output'] else 'NO':11s}"
                f"  {ok}")
    print("ratio = reference / new (wall). reference = `python -c` importing experiments, "
          "predictors, search_spaces (the old entry point's imports), then the same typer app.")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed subprocesses per variant")
    parser.add_argument("--old-tree", type=Path, default=None,
                        help="a checkout from before the move: also time its real old CLI")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    rows = measure(args.repeats, args.old_tree)
    show(rows)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
