"""`predbench sweep SPEC.toml` and `predbench run` (the main job), with the tables and progress bar
they print (also used by `predbench search`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from predbench.cli.console import make_console
from predbench.cli.errors import check_output_path, one_line_errors, print_usage_error

if TYPE_CHECKING:
    from rich.progress import Progress

console = make_console()


def progress_bar() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    console=console, transient=False)


def summary_table(frame, title: str) -> Table:
    """Mean Kendall tau / Spearman and times per predictor (and budget) of a results frame."""
    from experiments.budgets import configurations

    table = Table(title=title)
    # "failed/const": the share of cells that failed or predicted a constant (scored 0)
    for column in ("predictor", "train_size", "fidelity", "n", "kendalltau", "spearman",
                   "failed/const", "init_s", "query_s", "errors", "note"):
        table.add_column(column, justify="right" if column != "predictor" else "left")
    configs = configurations(frame).sort_values(["predictor_label", "train_size", "fidelity"])
    for _, row in configs.iterrows():
        table.add_row(str(row["predictor_label"]), str(row["train_size"]), str(row["fidelity"]),
                      str(row["cells"]), f"{row['kendalltau']:.3f}", f"{row['spearman']:.3f}",
                      f"{row['failed']:.0%}", f"{row['init_seconds']:.3g}",
                      f"{row['query_seconds']:.3g}", str(row["errors"]),
                      "oracle (F = E: the label)" if row["oracle"] else "")
    return table


def topline_table(rows, title: str) -> Table:
    """Per predictor: its best configuration's Kendall tau (mean over every seed, failed cells
    counted as 0) and that configuration's times. Oracle references and configurations that
    never worked are left out (a headline table holds predictions only)."""
    from experiments.budgets import configurations, eligible

    configs = configurations(rows)
    configs = configs[eligible(configs) & configs["kendalltau"].notna()]
    best = configs.loc[configs.groupby("predictor_label")["kendalltau"].idxmax()]
    table = Table(title=title)
    for column in ("predictor", "family", "train_size", "fidelity", "kendalltau", "spearman",
                   "seeds", "failed/const", "init_s", "query_s_per_arch", "clock"):
        table.add_column(column)
    for _, row in best.sort_values("kendalltau", ascending=False).iterrows():
        table.add_row(row["predictor_label"], row["family"], str(row["train_size"]),
                      str(row["fidelity"]), f"{row['kendalltau']:.3f}", f"{row['spearman']:.3f}",
                      str(row["seeds"]), f"{row['failed']:.0%}", f"{row['init_seconds']:.3g}",
                      f"{row['query_seconds']:.3g}", row["clock"])
    return table


def failure_lines(rows) -> list[str]:
    """One line per predictor that failed somewhere: non-finite predictions (ranked last) and
    cells whose predictor raised (scored as no information) — instead of one warning per arch."""
    import pandas as pd

    label = "predictor_label" if "predictor_label" in rows else "predictor"
    lines = []
    for name, group in rows.groupby(label):
        failed = pd.to_numeric(group.get("n_failed"), errors="coerce").fillna(0)
        tested = pd.to_numeric(group["n_test"], errors="coerce").fillna(0)
        raised = group["error"].dropna()
        if failed.sum() == 0 and raised.empty:
            continue
        text = f"{name}: {int(failed.sum())} of {int(tested.sum())} predictions failed " \
               f"(ranked last)"
        if len(raised):
            text += f"; {len(raised)} of {len(group)} cells raised, e.g. {raised.iloc[0][:120]}"
        lines.append(text)
    return lines


@one_line_errors
def sweep(
    spec_path: Path = typer.Argument(..., help="Sweep spec (TOML): benchmarks, predictors, grid."),
    db: str = typer.Option("results/sweep.db", "--db",
                           help="Sweep store: an SQLite file or postgresql://user@host:port/name."),
    workers: int = typer.Option(1, "--workers", "-w", help="Parallel worker processes."),
    executor: str = typer.Option("local", "--executor", help="local (processes) or ray."),
    ray_address: str = typer.Option(None, "--ray-address", help="Ray cluster to join."),
    export: Path = typer.Option(None, "--export", help="Also write the table (.csv/.parquet)."),
) -> None:
    """Run (or resume) a sweep; cells already in the store are skipped."""
    from experiments.spec import load_spec
    from experiments.sweep import check_sweep_options, prepare_sweep
    from experiments.sweep_store import check_export_path

    # every check before the progress bar: options, output paths, the spec, its benchmarks
    # and predictors, the store and its protocol (prepare_sweep) — the bar means work started
    check_sweep_options(workers, executor, ray_address, cli=True)
    if "://" not in db:
        check_output_path(db, "--db")
    if export is not None:
        check_export_path(export, None if "://" in db else db, "--export")
    spec = load_spec(spec_path)
    prepared = prepare_sweep(spec, db, workers=workers, executor=executor,
                             ray_address=ray_address)
    with progress_bar() as bar:
        task = bar.add_task("sweep", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        store = prepared.run(update)
    frame = store.frame()
    console.print(summary_table(frame, f"{spec_path.name}: {len(frame)} rows in "
                                       f"{store.location}"))
    for line in failure_lines(frame):
        console.print(f"[yellow]failures[/yellow] {line}")
    if export is not None:
        console.print(f"wrote {store.export(export)}")
    store.close()
    raised = frame["error"].dropna() if "error" in frame else frame.iloc[:0]
    if len(frame) and len(raised) == len(frame):  # nothing was scored: not a success
        print_usage_error(f"every one of the {len(frame)} cells failed; the first: "
                          f"{raised.iloc[0][:200]}")
        raise typer.Exit(code=1)


@one_line_errors
def run(
    out: Path = typer.Option(Path("results/run"), "--out", "-o", help="Results folder."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per budget cell."),
    workers: int = typer.Option(2, "--workers", "-w", help="Parallel worker processes."),
    real_data: bool = typer.Option(True, "--real-data/--no-real-data",
                                   help="Also run the real-data panel (shipped NB201 CIFAR-10)."),
) -> None:
    """The main job: every predictor family on the shipped default benchmark, then the
    model-based and zero-cost families on the shipped NB201 CIFAR-10 data (CPU, minutes)."""
    from experiments.sweep_store import read_rows
    from predbench.cli.main_job import REAL_PANELS, run_main_job

    if seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {seeds}")
    if workers < 1:
        raise ValueError(f"--workers must be >= 1, got {workers}")
    check_output_path(out, "--out")
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(part: str, done: int, total: int) -> None:
            if part not in tasks:
                tasks[part] = bar.add_task(f"predbench run: {part}", total=total)
            bar.update(tasks[part], completed=done, total=total)

        paths = run_main_job(out, seeds, workers, on_progress=progress, real_data=real_data)
    parts = [("", "shipped default benchmark (shapes10)")]
    parts += [(f"{p.folder}/", p.title) for p in REAL_PANELS] if real_data else []
    for prefix, title in parts:
        rows = read_rows([paths[f"{prefix}store"]])
        console.print(topline_table(rows, f"{title}: {len(rows)} rows, reporting split; best "
                                          f"budget per predictor (mean over every seed)"))
        for line in failure_lines(rows):
            console.print(f"[yellow]failures[/yellow] {line}")
    for name, path in paths.items():
        console.print(f"{name}: {path}")
