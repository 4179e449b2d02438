"""How well do weight-sharing supernets rank the shipped default benchmark's NB201 cells?

Every configuration is scored by `experiments.evaluate` — the one evaluator — on
`load_benchmark("default")`, **reporting** split, 200 uniform test cells per seed (train size 0,
fidelity 0: a supernet learns from images, not from labelled archs). For each predictor spec
(`oneshot`, `rsws`, or e.g. `oneshot:drop_prob=0.5`) and budget multiplier m (`epochs` = the
predictor's default x m), two configurations are evaluated: with BatchNorm re-estimation (the
predictor's `bn_batches`) and without it (`bn_batches=0`: the supernet's running statistics as
trained). Labels: ``rsws:epochs=16`` and ``rsws:epochs=16:bn_batches=0``.

The two configurations of one seed share one trained supernet (the predictors' `checkpoint`
parameter, one file per seed under `<out>/supernets/`): the pair differs only in the query, as
a paired comparison should. A fit from the checkpoint is charged the training compute seconds
recorded in it (`reused_fit_seconds_`), so init seconds are the honest cost of either
configuration alone. Clocks are wall seconds of this process with
`--threads` torch threads (default 1).

docs/results.md: the weight-sharing numbers (seeds 100-102: never used for a choice):

    taskset -c 0 .venv/bin/python studies/weight_sharing_accuracy.py \\
        --predictors oneshot,rsws --budgets 1,3 --seeds 100-102 --split reporting

writes the rows to `results/weight_sharing_accuracy/rows.csv` (resumable: cells already there
are skipped), mean ± std over seeds to `summary.csv` and the results-page table to `summary.md`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studies import _common as common

STUDY = "weight_sharing_accuracy"


def entries(specs: Sequence[common.Spec], budgets: Sequence[float], bn: str,
            checkpoints: Path) -> list[common.Entry]:
    """One entry per (spec, budget, BN re-estimation on/off); both BN settings of a (spec,
    budget, seed) share one checkpoint file."""
    from predictors import get_predictor

    out = []
    for spec in specs:
        base = common.make_predictor(spec)
        if base.family != "weight_sharing":
            raise ValueError(f"{spec.label} is not a weight-sharing predictor")
        for budget in budgets:
            epochs = max(1, int(round(spec.params.get("epochs", base.epochs) * budget)))
            params = {**spec.params, "epochs": epochs}
            trained = f"{spec.label}:epochs={epochs}" if "epochs" not in spec.params else \
                re.sub(r"epochs=[^:]*", f"epochs={epochs}", spec.label)
            settings = {"on": [True], "off": [False], "both": [True, False]}[bn]
            # the predictor's default is one of the two settings (oneshot: off, rsws: on); the
            # other is the default with bn_batches overridden (2 batches when turned on)
            default_on = base.bn_batches > 0 if "bn_batches" not in spec.params else \
                spec.params["bn_batches"] > 0
            for on in settings:
                override = {} if on == default_on else {"bn_batches": 2 if on else 0}
                label = trained + "".join(f":{k}={v}" for k, v in override.items())
                config = {**params, **override}
                stem = re.sub(r"[^A-Za-z0-9_.=-]+", "_", trained)
                # one supernet per (configuration, seed), trained by the first of the pair
                config["checkpoint"] = str(checkpoints / f"{stem}_seed{{seed}}.pt")
                out.append(common.Entry(label, get_predictor(spec.name, **config),
                                        extra={"budget": budget, "epochs": epochs,
                                               "bn_reestimation": on, "config": trained}))
    return out


def table(summary: pd.DataFrame) -> str:
    """README shape: one row per (predictor, epochs), Kendall tau with / without BN
    re-estimation and the init (supernet training) seconds."""
    lines = ["| predictor (epochs) | with BN re-estimation | without | fit s |",
             "|---|---|---|---|"]
    for config, group in summary.groupby("config", sort=False):
        cells = {}
        for r in group.itertuples():
            cells[bool(r.bn_reestimation)] = common.cell_text(
                r.kendalltau_mean, r.kendalltau_std, r.failed_frac, r.constant_frac)
        fit = group["init_compute_seconds"].mean()
        lines.append(f"| `{config}` | {cells.get(True, '')} | {cells.get(False, '')} | "
                     f"{fit:.0f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studies/weight_sharing_accuracy.py",
                                     description=__doc__.split("\n\n")[0])
    common.add_common_args(parser, STUDY, "oneshot,rsws", seeds="100-104")
    parser.add_argument("--budgets", default="1,3",
                        help="multipliers of each predictor's epochs (default 1,3)")
    parser.add_argument("--bn", choices=("both", "on", "off"), default="both",
                        help="BatchNorm re-estimation configurations to evaluate")
    args = parser.parse_args(argv)
    rows_csv = args.out / "rows.csv"
    try:
        if not args.summarise:
            import torch

            from benchmarks import load_benchmark

            torch.set_num_threads(args.threads)
            budgets = [float(b) for b in args.budgets.split(",") if b.strip()]
            if not budgets or min(budgets) <= 0:
                raise ValueError("--budgets: positive multipliers, e.g. 1,3")
            grid = entries(common.parse_specs(args.predictors), budgets, args.bn,
                           args.out / "supernets")
            bench = load_benchmark("default")
            seeds = common.parse_int_list(args.seeds, "--seeds")
            common.run_grid(bench, grid, sizes=None, fidelities=None, seeds=seeds,
                            test_size=args.test_size, sampler=args.sampler, split=args.split,
                            rows_csv=rows_csv, device=args.device,
                            log=None if args.quiet else print)
        rows = common.read_rows(rows_csv)
        if rows.empty:
            raise FileNotFoundError(f"no rows in {rows_csv}")
    except (ValueError, FileNotFoundError) as exc:
        return common.fail(exc)
    by = ("label", "family", "train_size", "fidelity", "config", "bn_reestimation")
    common.write_summary(rows, args.out, "Weight-sharing predictors on the default benchmark",
                         table, by=by)
    return 0


if __name__ == "__main__":
    sys.exit(main())
