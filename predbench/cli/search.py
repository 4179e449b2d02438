"""`predbench search`: NAS loops (rs, re, ls, npenas, bananas) with any predictor, over seeds.

    predbench search --space nb201 --benchmark default --algo npenas,bananas,re,ls,rs \\
        --predictor xgb --budget 150 --seeds 0-19 --out results/search

`--benchmark` is `KIND` or `KIND:key=value,key=value` with any `load_benchmark` kind and its
options, e.g. `default`, `table:path=nb201.csv,space=nb201`,
`live:dataset=shapes10,preset=small,db=results/live.db`. Writes one CSV per finished (algo,
predictor, seed) under `<out>/trajectories/` (skipped when the command is run again with the same
settings), all rows in `<out>/trajectories.csv`, and the figure `<out>/search.png/.svg`.

`--split tuning|reporting` searches one half of the space (`benchmarks.splits`; default all).
Regret is measured against the benchmark's own optimum over that split (best validation
accuracy, and the test accuracy of that best-validation arch where the benchmark stores test
accuracies; `experiments.search.optimum`); on a live benchmark the optimum is unknown and the
incumbents are shown instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from predbench.cli.errors import check_number, check_output_path, one_line_errors
from predbench.cli.sweep import console, progress_bar

if TYPE_CHECKING:
    import pandas as pd


def parse_benchmark_spec(spec: str, space: str | None) -> tuple[str, dict[str, Any]]:
    """`KIND[:key=value,...]` -> (kind, options); `space` fills a `space` option left unset."""
    from benchmarks.base import benchmark_options
    from experiments.options import parse_kind_options

    kind, options = parse_kind_options(spec, "--benchmark")
    accepted = benchmark_options(kind)  # unknown kind: ValueError naming the known ones
    if space is not None and "space" in accepted and "space" not in options:
        options["space"] = space
    return kind, options


def plan_runs(algos: list[str], predictors: list[str], params: dict[str, Any],
              predictor_params: dict[str, Any], benchmark: Any) -> list[tuple[str, str | None,
                                                                              dict[str, Any]]]:
    """(algo, predictor or None, loop params) per run; every usage problem is a ValueError
    naming the option, raised before anything runs (no progress bar, no folder)."""
    from experiments.search.run import GUIDED_DEFAULTS, algorithm_params, check_algo, check_params
    from experiments.search.surrogate import build_predictor

    for algo in algos:
        check_algo(algo)
    taken = {k for a in algos for k in algorithm_params(a)}
    unused = sorted(set(params) - taken)
    if unused:
        raise ValueError(f"--param {unused[0]} is not a parameter of {', '.join(algos)}")
    runs = []
    for algo in algos:
        own = {k: v for k, v in params.items() if k in algorithm_params(algo)}
        guided = algo in GUIDED_DEFAULTS
        for name in predictors if guided else [None]:
            if name is not None:
                try:  # built once with the --predictor-param values: their checks run here
                    build_predictor(name, predictor_params, benchmark)
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"--predictor-param: {exc}" if predictor_params
                                     else f"--predictor {name}: {exc}") from None
            try:
                check_params(algo, own, name, predictor_params if guided else None, benchmark,
                             flag="--param ")
            except TypeError as exc:  # a usage error on the command line: exit 2
                raise ValueError(str(exc)) from None
            runs.append((algo, name, own))
    return runs


def _run_all(runs: list[tuple[str, str | None, dict[str, Any]]], seed_list: list[int],
             budget: int | None, budget_seconds: float | None, bench: Any, kind: str,
             options: dict[str, Any], predictor_params: dict[str, Any], split: str,
             optimum: Any, store: Any) -> list[pd.DataFrame]:
    """Every (run, seed) trajectory: loaded from `store` when finished before, else run and
    saved as soon as it ends (a killed search loses only the run in flight)."""
    from experiments.search import run_search
    from experiments.search.plot import run_label
    from experiments.search.store import config_digest

    frames = []
    total = len(runs) * len(seed_list) * budget if budget is not None else None
    with progress_bar() as bar:
        task = bar.add_task("search", total=total)
        for run_algo, run_predictor, own in runs:
            label = run_predictor or "none"
            digest = config_digest({
                "benchmark": bench.describe(), "kind": kind, "options": options,
                "budget": budget, "budget_seconds": budget_seconds, "params": own,
                "predictor_params": predictor_params if run_predictor else {}, "split": split})
            for seed in seed_list:
                bar.update(task, description=f"{run_label(run_algo, label)} seed {seed}")
                done = store.load(run_algo, label, seed, digest)
                if done is None:
                    done = run_search(run_algo, bench, budget, seed, run_predictor,
                                      budget_seconds=budget_seconds, split=split,
                                      optimum=optimum,
                                      predictor_params=predictor_params if run_predictor
                                      else None,
                                      on_step=lambda row: bar.advance(task), **own)
                    store.save(done, digest)
                    if budget is not None:  # stopped early (pool exhausted): keep the bar right
                        bar.advance(task, budget - len(done))
                else:
                    bar.advance(task, budget if budget is not None else len(done))
                frames.append(done.assign(config=digest))
    return frames


def _remove_empty_dirs(root: Path) -> None:
    """Remove `root` and its subfolders where they hold no file (bottom-up)."""
    if not root.is_dir():
        return
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    if not any(root.iterdir()):
        root.rmdir()


@one_line_errors
def search(
    space: str = typer.Option("nb201", "--space", help="Search space (fills the benchmark's "
                                                       "space option)."),
    benchmark: str = typer.Option("default", "--benchmark", "-b",
                                  help="KIND or KIND:key=value,... (any load_benchmark kind)."),
    algo: str = typer.Option("npenas,bananas,re,ls,rs", "--algo", "-a",
                             help="Comma list of rs, re, ls, npenas, bananas."),
    predictor: str = typer.Option("xgb", "--predictor", "-p",
                                  help="Comma list of predictors for npenas/bananas."),
    budget: int | None = typer.Option(150, "--budget", help="Queries per run."),
    budget_seconds: float | None = typer.Option(
        None, "--budget-seconds", help="Benchmark-recorded training seconds per run."),
    seeds: str = typer.Option("0-4", "--seeds", help="Seeds: one, a comma list or a range "
                                                    "A-B (inclusive), e.g. 0-19,25."),
    out: Path = typer.Option(Path("results/search"), "--out", "-o", help="Results folder."),
    param: list[str] = typer.Option([], "--param", help="Loop hyperparameter KEY=VALUE "
                                                        "(repeatable), e.g. acquisition=ucb; "
                                                        "VALUE is a Python literal or text."),
    predictor_param: list[str] = typer.Option([], "--predictor-param",
                                              help="Predictor hyperparameter KEY=VALUE "
                                                   "(repeatable)."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write search.png/.svg."),
    split: str = typer.Option("all", "--split", help="all, tuning or reporting: the half of "
                                                     "the space searched (benchmarks.splits)."),
) -> None:
    """Run (or resume) NAS loops; finished (algo, predictor, seed) runs are skipped."""
    import pandas as pd
    import torch

    from benchmarks import load_benchmark
    from benchmarks.splits import check_split
    from experiments.options import parse_int_list, parse_key_values
    from experiments.search import search_optimum
    from experiments.search.optimum import trains_on_miss
    from experiments.search.plot import plot_trajectories
    from experiments.search.store import TrajectoryStore

    algos = [a.strip() for a in algo.split(",") if a.strip()]
    names = [p.strip() for p in predictor.split(",") if p.strip()]
    if not algos:
        raise ValueError("--algo names no algorithm")
    seed_list = parse_int_list(seeds, "--seeds")
    check_split(split)
    if budget is not None and budget < 1:
        raise ValueError(f"--budget must be >= 1, got {budget}")
    check_number(budget_seconds, "--budget-seconds", strict=True)
    check_output_path(out, "--out")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: {out} is a file, not a folder")
    params = parse_key_values(param, "--param")
    predictor_params = parse_key_values(predictor_param, "--predictor-param")
    kind, options = parse_benchmark_spec(benchmark, space)
    if any(a in ("npenas", "bananas") for a in algos) and not names:
        raise ValueError("--predictor names no predictor for npenas/bananas")
    bench = load_benchmark(kind, **options)
    if bench.space.name != space:
        raise ValueError(f"--space {space} but the benchmark holds {bench.space.name} archs")
    runs = plan_runs(algos, names, params, predictor_params, bench)
    optimum = search_optimum(bench, split)
    if optimum.size == 0 and not trains_on_miss(bench):
        raise ValueError(f"{optimum.note} ({bench.describe()})")
    torch.set_num_threads(1)  # the loops' predictors are small; keep the machine's other cores

    existed = out.exists()
    store = TrajectoryStore(out)
    try:
        frames = _run_all(runs, seed_list, budget, budget_seconds, bench, kind, options,
                          predictor_params, split, optimum, store)
    except BaseException:
        if not existed:  # a failed first run leaves no empty folders (finished runs stay)
            _remove_empty_dirs(out)
        raise
    frame = pd.concat(frames, ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "trajectories.csv", index=False)
    console.print(summary(frame, optimum))
    console.print(f"trajectories: {out / 'trajectories.csv'}")
    if plot:
        where = "" if split == "all" else f" ({split} split)"
        paths = plot_trajectories(frame, out / "search", optimum,
                                  title=f"{bench.describe()}{where}: mean ± SE over "
                                        f"{len(seed_list)} seed(s)")
        console.print(f"plot: {', '.join(str(p) for p in paths)}")


def summary(frame: pd.DataFrame, optimum: Any) -> Table:
    """Per (algo, predictor): seeds, the final incumbent's validation and test accuracy, the
    validation and test regret against `optimum` (an `Optimum`; columns left out where it is
    unknown), seconds per query. The caption says what the optimum is."""
    table = Table(title="search: final incumbent per run, mean over seeds",
                  caption=optimum.describe())
    has_test = bool(frame["incumbent_test"].notna().any())
    columns = ["algo", "predictor", "seeds", "queries", "incumbent"]
    columns += ["incumbent_test"] if has_test else []
    columns += ["regret"] if optimum.known else []
    columns += ["test_regret"] if optimum.known and optimum.has_test and has_test else []
    columns += ["train_s_total", "compute_s_per_query"]
    for c in columns:
        table.add_column(c, justify="left" if c in ("algo", "predictor") else "right")
    for (a, p), group in frame.groupby(["algo", "predictor"], sort=False):
        last = group.sort_values("step").groupby("seed").tail(1)
        cells = [a, p, str(len(last)), f"{group.groupby('seed').size().mean():.0f}",
                 f"{last['incumbent'].mean():.2f}"]
        if has_test:
            cells.append(f"{last['incumbent_test'].mean():.2f}")
        if optimum.known:
            cells.append(f"{optimum.regret(last['incumbent']).mean():.3f}")
            if optimum.has_test and has_test:
                cells.append(f"{optimum.test_regret(last['incumbent_test']).mean():.3f}")
        cells += [f"{last['cum_train_seconds'].mean():.1f}",
                  f"{(group['compute_seconds'].sum() / len(group)):.4f}"]
        table.add_row(*cells)
    return table
