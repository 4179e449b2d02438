"""Does OMNI beat the best single predictor? (White et al., NeurIPS 2021, §6: "OMNI ... achieves
~30% higher Kendall tau than the best single predictor" at the same budget.)

On the shipped default benchmark (1,000 NB201 cells, 8-epoch curves on shapes10, preset `small`)
every predictor is scored by `experiments.evaluate` — the one evaluator — on the **reporting**
split (200 uniform test cells per seed) at train sizes `--sizes` and fidelities `--fidelities`
(< E = 8), each predictor at the budgets it uses (zero-cost: n = 0, F = 0; learning-curve:
n = 0; model-based: F = 0):

- OMNI: `omni`, `omni_seminas`, `omni_ngb`, and `omni_static` (this study's name for `omni`
  without curve features, evaluated at F = 0: zero-cost + encoding only);
- the best single predictors at the same budget: `xgb` and `gp` (model-based), `jacov`
  (zero-cost, preset `small`), `sotle` (−train loss of epoch F).

For each budget (n, F) the summary names the best OMNI and the best single predictor valid
there and their margin.

docs/results.md: the OMNI numbers (seeds 100-104: never used for a choice; seeds 0-2 chose
`omni`'s defaults):

    taskset -c 0 .venv/bin/python studies/omni_accuracy.py --sizes 30,100 --fidelities 3,4 \\
        --seeds 100-104 --split reporting

(NGBoost is slow here — scipy builds a frozen distribution per boosting step — so the default
spec starts omni_ngb's HPO from 128 trees, the low end of its search range, with a 20 s HPO
budget: ``omni_ngb:preset=small:n_estimators=128:hpo_seconds=20``.)

Zero-cost scores depend only on (arch, proxy, preset, batch size, seed), so the OMNI predictors
of one run share one cache of them (`zero_cost_cache`): the grid's measured compute seconds
leave most zero-cost work out. Unless `--no-timing`, one uncached cell per OMNI predictor
(largest n, smallest F, first seed) follows, written to `timing.csv`, whose
`init/query_compute_seconds` are the honest measured costs.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studies import _common as common

STUDY = "omni_accuracy"
PREDICTORS = ("omni:preset=small,omni_static:preset=small,omni_seminas:preset=small,"
              "jacov:preset=small,sotle,xgb,gp,"
              "omni_ngb:preset=small:n_estimators=128:hpo_seconds=20")
SHARED_CACHE: Any = None  # the ZeroCostCache of this run's OMNI predictors


def _cached(cls: type) -> type:
    """A subclass of `cls` whose instances (the evaluator's fresh copies too) share
    `SHARED_CACHE`; same name and parameters."""

    class Cached(cls):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.zero_cost_cache = SHARED_CACHE

    # the evaluator clones with the parameters `get_params` reads from the signature
    setattr(Cached.__init__, "__signature__", inspect.signature(cls.__init__))
    Cached.__name__ = Cached.__qualname__ = cls.__name__
    return Cached


def _static_class(cached: bool = True) -> type:
    """`omni` without curve features, evaluated at fidelity 0 (its needs say no partial
    curves, so no query is charged training epochs it does not read)."""
    from predictors.base import Needs, predictor_class

    base = predictor_class("omni")
    base = _cached(base) if cached else base

    class OmniStatic(base):  # type: ignore[misc, valid-type]
        needs = Needs(train_set=True, network=True)

    setattr(OmniStatic.__init__, "__signature__", inspect.signature(base.__init__))
    return OmniStatic


def _static_omni(**params: Any) -> Any:
    return _static_class()(**{**params, "curve_features": ()})


def _static_omni_uncached(**params: Any) -> Any:
    return _static_class(cached=False)(**{**params, "curve_features": ()})


def _factories() -> dict[str, Any]:
    """This study's predictor names: the OMNI predictors through the shared cache."""
    from predictors.base import predictor_class

    def cached(name: str) -> Any:
        return lambda **params: _cached(predictor_class(name))(**params)

    return {"omni": cached("omni"), "omni_seminas": cached("omni_seminas"),
            "omni_ngb": cached("omni_ngb"), "omni_static": _static_omni}


def is_omni(label: str) -> bool:
    return label.split(":")[0] in ("omni", "omni_static", "omni_seminas", "omni_ngb")


def margins(summary: pd.DataFrame, sizes: Sequence[int], fidelities: Sequence[int]) -> str:
    """Per budget (n, F): the best OMNI and the best single predictor valid at it (train size 0
    or n, fidelity 0 or F) and the margin, as a markdown table."""
    lines = ["| n | F | best OMNI | best single | margin |", "|---|---|---|---|---|"]
    for n in sizes:
        for f in fidelities:
            valid = summary[summary["train_size"].isin([0, n]) & summary["fidelity"].isin([0, f])]
            best = {}
            for kind, part in (("omni", valid[valid["label"].map(is_omni)]),
                               ("single", valid[~valid["label"].map(is_omni)])):
                part = part.dropna(subset=["kendalltau_mean"])
                if len(part):
                    top = part.loc[part["kendalltau_mean"].idxmax()]
                    best[kind] = (top["label"], float(top["kendalltau_mean"]))
            if len(best) < 2:
                continue
            (ol, o), (sl, s) = best["omni"], best["single"]
            lines.append(f"| {n} | {f} | `{ol}` {o:.3f} | `{sl}` {s:.3f} | "
                         f"{o - s:+.3f} ({(o - s) / abs(s) * 100:+.0f} %) |")
    return "\n".join(lines)


def timing(bench: Any, specs: Sequence[common.Spec], size: int, fidelity: int, seed: int,
           args: Any) -> pd.DataFrame:
    """One uncached cell per OMNI predictor: honest compute seconds (fresh instances, no
    shared cache). Resumable: labels already in timing.csv are skipped."""
    from experiments import evaluate

    path = args.out / "timing.csv"
    done = common.read_rows(path)
    frames = [done] if len(done) else []
    for spec in specs:
        if not is_omni(spec.label) or (len(done) and spec.label in set(done["label"])):
            continue
        # the registered classes: each fresh instance has its own, empty cache
        predictor = common.make_predictor(spec, {"omni_static": _static_omni_uncached})
        frame = evaluate(bench, predictor, train_sizes=[size], fidelities=[fidelity],
                         test_size=args.test_size, seeds=[seed], sampler=args.sampler,
                         split=args.split, device=args.device)
        frame.insert(0, "label", spec.label)
        frames.append(frame)
        common.write_csv(pd.concat(frames, ignore_index=True), path)
        print(f"{spec.label}: uncached timing cell done", flush=True)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def main(argv: Sequence[str] | None = None) -> int:
    global SHARED_CACHE
    parser = argparse.ArgumentParser(prog="studies/omni_accuracy.py",
                                     description=__doc__.split("\n\n")[0])
    common.add_common_args(parser, STUDY, PREDICTORS, seeds="100-109")
    parser.add_argument("--sizes", default="30,100")
    parser.add_argument("--fidelities", default="3,4", help="epochs F (< E)")
    parser.add_argument("--no-timing", action="store_true",
                        help="skip the uncached timing cells")
    args = parser.parse_args(argv)
    rows_csv = args.out / "rows.csv"
    seconds = None
    try:
        sizes = common.parse_int_list(args.sizes, "--sizes")
        fids = common.parse_int_list(args.fidelities, "--fidelities")
        if not args.summarise:
            import torch

            from benchmarks import load_benchmark
            from predictors.ensembles._features import ZeroCostCache

            torch.set_num_threads(args.threads)
            warnings.filterwarnings("ignore")  # proxies failing on dead cells: NaN, noted in rows
            SHARED_CACHE = ZeroCostCache()
            specs = common.parse_specs(args.predictors)
            entries = common.entries_from(specs, _factories())
            bench = load_benchmark("default")
            seeds = common.parse_int_list(args.seeds, "--seeds")
            common.run_grid(bench, entries, sizes=sizes, fidelities=fids, seeds=seeds,
                            test_size=args.test_size, sampler=args.sampler, split=args.split,
                            rows_csv=rows_csv, device=args.device,
                            log=None if args.quiet else print)
            if not args.no_timing:
                seconds = timing(bench, specs, max(sizes), min(fids), seeds[0], args)
        rows = common.read_rows(rows_csv)
        if rows.empty:
            raise FileNotFoundError(f"no rows in {rows_csv}")
    except (ValueError, FileNotFoundError) as exc:
        return common.fail(exc)

    def make_table(summary: pd.DataFrame) -> str:
        return "\n\n".join([
            common.markdown_table(summary, "train_size", column_name=lambda v: f"n = {v}"),
            margins(summary, sizes, fids)])

    common.write_summary(rows, args.out, "OMNI and the best single predictors on the default "
                         "benchmark (Kendall tau; zero-cost scores cached across cells)",
                         make_table)
    if seconds is not None and len(seconds):
        cols = ["label", "train_size", "fidelity", "init_compute_seconds",
                "query_compute_seconds", "kendalltau"]
        print("\nmeasured compute seconds (uncached; query = per arch):")
        print(seconds[cols].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
