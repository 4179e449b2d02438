"""What the accuracy studies share: predictor specs, the resumable grid over
`experiments.evaluate`, the summary over seeds and its tables. Not a study itself.

Every study scores predictors only through `from experiments import evaluate` (the one
evaluator: its rows, its rules — non-finite predictions ranked last, constant ones scored 0,
failed cells kept, `split` restricting the pool). This module adds what a long run needs:

- **specs**: ``name`` or ``name:key=value:key=value`` (also ``name:key=value,key=value``),
  several separated by commas; values are Python literals, else plain strings; a comma or colon
  inside brackets or quotes does not separate (``omni:model_params={'max_depth': 3}``). The
  spec text is the row's `label`. Seeds, sizes and every KEY=VALUE are parsed by
  `experiments.options`, as by the `predbench` commands;
- **resumable grid** (`run_grid`): one `evaluate` call per (predictor, seed), the rows CSV
  rewritten after each, rows already in it (same label, train size, fidelity, seed) skipped;
  a CSV made with another split, sampler, test size or benchmark is refused, not mixed in.
  Rows of F >= E (the `oracle` reference) are refused too: a study's table never shows them;
- **summary** (`summarise`): mean ± std over seeds of Kendall tau and Spearman per
  predictor × train size × fidelity, with the fractions of failed and constant cells and the
  mean clocks; `markdown_table` pivots it into the README's shape.

Published tables use the **reporting** split (`--split`, the default) and seeds never used for
a choice (100 and up: seeds 0-39 tuned defaults and the held-out loop checks).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.splits import SPLITS  # noqa: E402
from experiments import evaluate  # noqa: E402
from experiments.evaluator import budget_grid  # noqa: E402
from experiments.options import parse_int_list, parse_key_values, split_top  # noqa: E402
from predictors import Predictor, get_predictor  # noqa: E402

RESULTS = ROOT / "results"
SHARED_DATA = ROOT.parent / "shared" / "data"
KEY = ("label", "train_size", "fidelity", "seed")
#: row columns that must agree between a rows CSV and the run that resumes it
SETTINGS = ("space", "dataset", "split", "sampler", "n_test")


# -- command line -------------------------------------------------------------------------------
@dataclass
class Spec:
    """One predictor configuration of a study: its label (the spec text), registry name and
    constructor parameters."""

    label: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_specs(text: str) -> list[Spec]:
    """``"xgb,gp:encoding=path:kernel=rbf"`` (or ``gp:encoding=path,kernel=rbf``) -> Specs.
    A comma-separated item that is an assignment continues the spec before it. Values are typed
    as every KEY=VALUE of the project (`experiments.options.parse_value`)."""
    items: list[list[str]] = []
    for item in (s.strip() for s in split_top(text, ",")):
        if not item:
            continue
        head = split_top(item, ":")[0]
        if "=" in head and items:  # "key=value": another parameter of the previous spec
            items[-1].extend(split_top(item, ":"))
        else:
            items.append(split_top(item, ":"))
    specs = []
    for name, *assignments in items:
        params = parse_key_values(assignments, f"--predictors ({name.strip()!r})")
        label = ":".join([name.strip(), *(a.strip() for a in assignments)])
        specs.append(Spec(label, name.strip(), params))
    if not specs:
        raise ValueError("no predictor given")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"a predictor spec is given twice: {labels}")
    return specs


#: kept for studies that call it by its old name: `experiments.options.parse_int_list`
parse_ints = parse_int_list


def add_common_args(parser: argparse.ArgumentParser, study: str, predictors: str, seeds: str,
                    test_size: int = 200) -> None:
    parser.add_argument("--predictors", default=predictors,
                        help="comma-separated specs: name or name:key=value:key=value "
                             f"(default: {predictors})")
    parser.add_argument("--seeds", default=seeds,
                        help=f"seeds, e.g. 100-119 or 100,101 (default {seeds}; reported tables "
                             "use seeds never used for a choice: 100 and up)")
    parser.add_argument("--split", choices=SPLITS, default="reporting",
                        help="the half of the space archs are drawn from (default reporting: "
                             "published numbers; tuning: for choosing defaults)")
    parser.add_argument("--test-size", type=int, default=test_size)
    parser.add_argument("--sampler", choices=("uniform", "mutation"), default="uniform")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, default=RESULTS / study,
                        help=f"output folder: rows.csv, summary.csv, summary.md (default "
                             f"results/{study})")
    parser.add_argument("--summarise", action="store_true",
                        help="only print the tables of the rows already in --out")
    parser.add_argument("--quiet", action="store_true", help="no line per cell")


def fail(message: str) -> int:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


# -- the grid -------------------------------------------------------------------------------------
@dataclass
class Entry:
    """One row label of a study: a predictor template (refit fresh by `evaluate` in every
    cell), the train sizes / fidelities it runs at (None: the study's; `budget_grid` reduces
    them to [0] where the predictor uses no train set / no partial curves) and constant
    columns added to its rows."""

    label: str
    predictor: Predictor
    sizes: Sequence[int] | None = None
    fidelities: Sequence[int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def make_predictor(spec: Spec, local: dict[str, Callable[..., Predictor]] | None = None
                   ) -> Predictor:
    """The predictor of `spec`: a study's own factory of that name, else `get_predictor`."""
    if local and spec.name in local:
        return local[spec.name](**spec.params)
    return get_predictor(spec.name, **spec.params)


def entries_from(specs: Sequence[Spec], local: dict[str, Callable[..., Predictor]] | None = None
                 ) -> list[Entry]:
    return [Entry(s.label, make_predictor(s, local)) for s in specs]


def read_rows(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    return pd.read_csv(path, keep_default_na=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)  # a kill never leaves half a CSV


def run_grid(benchmark: Any, entries: Sequence[Entry], *, sizes: Sequence[int] | None,
             fidelities: Sequence[int] | None, seeds: Sequence[int], test_size: int,
             sampler: str, split: str, rows_csv: Path, device: str = "cpu",
             log: Callable[[str], None] | None = print, warm_up: bool = False
             ) -> pd.DataFrame:
    """Every (entry, train size, fidelity, seed) cell through `evaluate`, resuming `rows_csv`.
    Returns all rows of the CSV (earlier and new)."""
    grids = {}
    for e in entries:  # fail fast: unknown sizes / fidelities, or an F = E request
        s, f = budget_grid(e.predictor, benchmark,
                           e.sizes if e.sizes is not None else sizes,
                           e.fidelities if e.fidelities is not None else fidelities, test_size)
        oracle = [x for x in f if e.predictor.needs.query_epochs and x >= benchmark.max_epochs]
        if oracle:
            raise ValueError(f"{e.label}: fidelity {oracle} reads the whole curve of the query "
                             f"archs (E = {benchmark.max_epochs}): their label, not a "
                             f"prediction; studies use F < E")
        grids[e.label] = (s, f)
    settings = {"space": benchmark.space.name, "dataset": benchmark.dataset, "split": split,
                "sampler": sampler, "n_test": int(test_size)}
    frame = read_rows(rows_csv)
    if len(frame):
        for column, value in settings.items():
            found = set(frame[column].dropna().unique().tolist()) if column in frame else set()
            if found and found != {value}:
                raise ValueError(f"{rows_csv} holds rows with {column} {sorted(map(str, found))}, "
                                 f"this run has {value!r}: use another --out")
    done = set() if not len(frame) else set(
        zip(frame["label"], frame["train_size"].astype(int), frame["fidelity"].astype(int),
            frame["seed"].astype(int)))
    todo = [(e, seed) for e in entries for seed in seeds]
    if warm_up:
        _warm_up([e for e, seed in todo if _missing(e, seed, grids, done)], benchmark, split)
    for e, seed in todo:
        missing = _missing(e, seed, grids, done)
        if not missing:
            continue
        frames = []
        for call_sizes, call_fids in _calls(missing):
            start = time.perf_counter()
            got = evaluate(benchmark, e.predictor, train_sizes=call_sizes,
                           fidelities=call_fids, test_size=test_size, seeds=[seed],
                           sampler=sampler, split=split, device=device)
            got.insert(0, "label", e.label)
            for column, value in e.extra.items():
                got[column] = value
            frames.append(got)
            if log is not None:
                for r in got.itertuples():
                    log(_cell_line(r, time.perf_counter() - start))
        frame = pd.concat([frame, *frames], ignore_index=True) if len(frame) else \
            pd.concat(frames, ignore_index=True)
        write_csv(frame, rows_csv)
        done.update(missing)
    return frame


def _missing(e: Entry, seed: int, grids: dict, done: set) -> list[tuple[str, int, int, int]]:
    s, f = grids[e.label]
    return [(e.label, int(n), int(x), int(seed)) for n in s for x in f
            if (e.label, int(n), int(x), int(seed)) not in done]


def _calls(missing: list[tuple[str, int, int, int]]) -> list[tuple[list[int], list[int]]]:
    """The fewest `evaluate` grids covering the missing cells of one (entry, seed): one grid
    when they form a product (the usual case), else one per train size."""
    sizes = sorted({m[1] for m in missing})
    fids = sorted({m[2] for m in missing})
    if len(missing) == len(sizes) * len(fids):
        return [(sizes, fids)]
    return [([n], sorted(m[2] for m in missing if m[1] == n)) for n in sizes]


def _warm_up(entries: Sequence[Entry], benchmark: Any, split: str) -> None:
    """One untimed fit + query of each predictor on a few archs, so that lazy imports and
    first-call setup are not charged to the first timed cell."""
    from benchmarks.splits import restrict
    from predictors import Context

    archs = restrict(list(benchmark.archs())[:400], split)[:24]
    if len(archs) < 8:
        return
    y = benchmark.final_val_acc(archs[:12])
    for e in {e.label: e for e in entries}.values():
        template = e.predictor
        try:
            ctx = Context.for_benchmark(benchmark, archs[:12], archs[12:], 1 if
                                        template.needs.query_epochs else 0)
            type(template)(**template.get_params()).fit(archs[:12], y, ctx).query(archs[12:],
                                                                                  ctx)
        except Exception:  # any error: the timed cells report it
            pass


def _cell_line(r: Any, seconds: float) -> str:
    budget = f"n={r.train_size}" + (f" F={r.fidelity}" if r.fidelity else "")
    tau = "nan" if not np.isfinite(r.kendalltau) else f"{r.kendalltau:+.3f}"
    text = (f"{r.label:<28} {budget:<12} seed {r.seed:<4} tau {tau}  [{r.status}]  "
            f"fit {r.init_compute_seconds:.2f} s  query {r.query_compute_seconds:.4f} s/arch")
    if isinstance(r.error, str):
        text += f"  ERROR {r.error[:120]}"
    return text


# -- summary --------------------------------------------------------------------------------------
def summarise(rows: pd.DataFrame, by: Sequence[str] = ("label", "family", "train_size",
                                                       "fidelity")) -> pd.DataFrame:
    """Mean ± std (over seeds) of Kendall tau and Spearman per group, with the number of seeds,
    the fractions of failed / constant / partial cells and the mean clocks. Oracle rows
    (F = E) never enter it."""
    if "oracle" in rows:
        rows = rows[~rows["oracle"].astype(bool)]
    status = rows["status"].astype(str)
    rows = rows.assign(_failed=(status == "failed").astype(float),
                       _constant=(status == "constant").astype(float),
                       _partial=(status == "partial").astype(float))
    grouped = rows.groupby(list(by), sort=False)
    out = grouped.agg(
        seeds=("seed", "nunique"),
        kendalltau_mean=("kendalltau", "mean"), kendalltau_std=("kendalltau", "std"),
        spearman_mean=("spearman", "mean"), spearman_std=("spearman", "std"),
        failed_frac=("_failed", "mean"), constant_frac=("_constant", "mean"),
        partial_frac=("_partial", "mean"),
        init_compute_seconds=("init_compute_seconds", "mean"),
        query_compute_seconds=("query_compute_seconds", "mean"),
        init_train_seconds=("init_train_seconds", "mean"),
        query_train_seconds=("query_train_seconds", "mean"))
    return out.reset_index()


def cell_text(mean: float, std: float, failed: float, constant: float, digits: int = 2) -> str:
    if not np.isfinite(mean):
        return "–"
    text = f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if np.isfinite(std) else "")
    flags = [f"{frac:.0%} {what}" for frac, what in ((failed, "failed"),
                                                      (constant, "constant")) if frac > 0]
    return text + (f" ({', '.join(flags)})" if flags else "")


def markdown_table(summary: pd.DataFrame, columns: str, metric: str = "kendalltau",
                   column_name: Callable[[Any], str] = str, corner: str = "Kendall tau") -> str:
    """The README shape: one row per predictor label (and value of the other budget axis,
    when it is not 0), one column per value of `columns` ('n = 20', 'F = 2' ...), cells
    'mean ± std' with failed / constant fractions, the best mean of each column in bold. A
    predictor that ignores `columns` (value 0: no train set, no curves) fills every column
    with its one number."""
    other = {"train_size": ("fidelity", "F"), "fidelity": ("train_size", "n")}.get(columns)
    values = sorted(v for v in summary[columns].unique() if v != 0) or [0]
    lines = [f"| {corner} | " + " | ".join(column_name(v) for v in values) + " |",
             "|---|" + "---|" * len(values)]
    table: dict[str, dict[Any, tuple[float, str]]] = {}
    for r in summary.to_dict("records"):
        key = f"`{r['label']}`"
        if other is not None and r[other[0]] != 0:
            key += f" ({other[1]} = {r[other[0]]})"
        targets = values if r[columns] == 0 else [r[columns]]
        for v in targets:
            table.setdefault(key, {})[v] = (
                r[f"{metric}_mean"], cell_text(r[f"{metric}_mean"], r[f"{metric}_std"],
                                           r["failed_frac"], r["constant_frac"]))
    best = {v: max((cells[v][0] for cells in table.values()
                    if v in cells and np.isfinite(cells[v][0])), default=math.nan)
            for v in values}
    for key, cells in table.items():
        out = []
        for v in values:
            if v not in cells:
                out.append("")
                continue
            mean, text = cells[v]
            out.append(f"**{text}**" if np.isfinite(mean) and mean == best[v] and len(table) > 1
                       else text)
        lines.append(f"| {key} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def frame_markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A small frame as a markdown table (floats to `digits` decimals)."""
    def text(v: Any) -> str:
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(text(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def print_summary(summary: pd.DataFrame, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    view = Table(title=title)
    heads = ("predictor", "n", "F", "seeds", "Kendall tau", "Spearman", "failed", "constant",
             "fit s", "query s/arch")
    for h in heads:
        view.add_column(h, justify="left" if h == "predictor" else "right", no_wrap=True)
    for r in summary.itertuples():
        view.add_row(str(r.label), str(r.train_size), str(r.fidelity), str(r.seeds),
                     cell_text(r.kendalltau_mean, r.kendalltau_std, 0, 0, 3),
                     cell_text(r.spearman_mean, r.spearman_std, 0, 0, 3),
                     f"{r.failed_frac:.0%}", f"{r.constant_frac:.0%}",
                     f"{r.init_compute_seconds:.2f}", f"{r.query_compute_seconds:.4f}")
    # rich assumes 80 columns when writing to a file or pipe; a log should keep whole rows
    Console(width=None if sys.stdout.isatty() else 160).print(view)


def write_summary(rows: pd.DataFrame, out: Path, title: str,
                  make_table: Callable[[pd.DataFrame], str], by: Sequence[str] | None = None,
                  extra_md: str = "") -> pd.DataFrame:
    """summary.csv and summary.md (the README table `make_table` draws from the summary) in
    `out`; both printed."""
    summary = summarise(rows, **({} if by is None else {"by": by}))
    write_csv(summary, out / "summary.csv")
    print_summary(summary, title)
    seeds = sorted(int(s) for s in rows["seed"].unique())
    note = (f"{title}; seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}), split "
            f"{', '.join(map(str, rows['split'].unique()))}, test size "
            f"{int(rows['n_test'].max())}")
    md = f"{note}\n\n{make_table(summary)}\n" + (f"\n{extra_md}\n" if extra_md else "")
    (out / "summary.md").write_text(md)
    print(f"\n{md}")
    failed = rows[rows["error"].notna()] if "error" in rows else rows.iloc[:0]
    for r in failed.drop_duplicates("label").itertuples():
        print(f"{r.label}: {r.error}", file=sys.stderr)
    print(f"rows: {out / 'rows.csv'} ({len(rows)}); summary: {out / 'summary.csv'}, "
          f"{out / 'summary.md'}")
    return summary
