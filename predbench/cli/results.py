"""`predbench plot`, `predbench report`, `predbench recommend`: read results, draw, advise."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from predbench.cli.console import make_console
from predbench.cli.errors import check_number, check_output_path, one_line_errors

console = make_console()
RESULTS_OPTION = typer.Option("results", "--results", "-r",
                              help="Sweep store (.db or postgresql://...), table (.csv/.parquet) "
                                   "or a folder of them.")


#: the columns plot, report and recommend read (a sweep store's rows and `--export` have them)
RESULT_COLUMNS = ("predictor", "family", "train_size", "fidelity", "seed", "kendalltau",
                  "spearman", "init_train_seconds", "init_compute_seconds",
                  "query_train_seconds", "query_compute_seconds")


def load_results(given: str | Path):
    from experiments.sweep_store import is_sweep_db_url, read_rows

    if is_sweep_db_url(given):
        from benchmarks.store import mask_url

        return _checked(read_rows([str(given)]), mask_url(str(given)))
    path = Path(given)
    if path.is_dir():
        files = sorted(path.glob("*.db")) or sorted(path.glob("*.csv")) + \
            sorted(path.glob("*.parquet"))
        if not files:
            raise ValueError(f"{path}: no results (.db, .csv or .parquet) in this folder")
    elif path.exists():
        files = [path]
    else:
        raise FileNotFoundError(f"{path}: no such results file or folder")
    return _checked(read_rows(files), str(path))


def _checked(rows, where: str):
    """`rows` when they are result rows; else a ValueError naming `where` (a KeyError deep in
    the plots named only a column)."""
    if rows.empty or "kendalltau" not in rows:
        raise ValueError(f"{where}: holds no result rows")
    missing = [c for c in RESULT_COLUMNS if c not in rows]
    if missing:
        raise ValueError(f"{where}: not a predbench results table: no column "
                         f"{', '.join(missing)} (a sweep's --export has them)")
    if "error" not in rows:  # a hand-made table of successful cells only
        rows["error"] = None
    return rows


@one_line_errors
def plot(results: str = RESULTS_OPTION,
         out: Path = typer.Option(Path("results/plots"), "--out", "-o", help="Output folder.")
         ) -> None:
    """Pareto plot, budget heat map and Kendall-tau curves (PNG and SVG)."""
    from experiments.report import write_plots

    check_output_path(out, "--out")
    for name, paths in write_plots(load_results(results), out).items():
        console.print(f"{name}: " + ", ".join(str(p) for p in paths))


@one_line_errors
def report(results: str = RESULTS_OPTION,
           out: Path = typer.Option(Path("results/report"), "--out", "-o", help="Output folder."),
           title: str = typer.Option("predbench report", "--title")) -> None:
    """One self-contained HTML page with the tables and plots."""
    from experiments.report import write_report

    check_output_path(out, "--out")
    console.print(f"wrote {write_report(load_results(results), out, title)}")


@one_line_errors
def recommend(
    init_seconds: float = typer.Option(..., "--init-seconds", help="Initialization budget [s]."),
    query_seconds: float = typer.Option(..., "--query-seconds",
                                        help="Query budget per architecture [s]."),
    results: str = RESULTS_OPTION,
    top: int = typer.Option(10, "--top", help="How many to list."),
) -> None:
    """Which predictor to use within these budgets: the measured Pareto front, ranked."""
    from experiments.budgets import COMPUTE_CLOCK, configurations, eligible
    from experiments.budgets import recommend as pick

    if top < 1:
        raise ValueError(f"--top must be >= 1, got {top}")
    check_number(init_seconds, "--init-seconds")
    check_number(query_seconds, "--query-seconds")
    configs = configurations(load_results(results))
    chosen = pick(configs, init_seconds, query_seconds, top)
    if chosen.empty:
        candidates = configs[eligible(configs)]
        if candidates.empty:
            raise ValueError(f"{results}: no usable predictor configuration (every one failed "
                             f"or is an oracle reference)")
        cheapest = candidates.sort_values(["init_seconds", "query_seconds"]).iloc[0]
        raise ValueError(
            f"no measured predictor fits init <= {init_seconds:g} s and query <= "
            f"{query_seconds:g} s; the cheapest is {cheapest['predictor_label']} "
            f"(init {cheapest['init_seconds']:.3g} s, query {cheapest['query_seconds']:.3g} s)")
    table = Table(title=f"predictors within init {init_seconds:g} s, query {query_seconds:g} s "
                        f"per arch (Pareto front per clock, best first)")
    for col in ("rank", "predictor", "family", "train_size", "fidelity", "kendalltau",
                "spearman", "failed/const", "init_s", "query_s", "clock"):
        table.add_column(col)
    for k, row in chosen.iterrows():
        table.add_row(str(k + 1), row["predictor_label"], row["family"], str(row["train_size"]),
                      str(row["fidelity"]), f"{row['kendalltau']:.3f}", f"{row['spearman']:.3f}",
                      f"{row['failed']:.0%}", f"{row['init_seconds']:.3g}",
                      f"{row['query_seconds']:.3g}", row["clock"])
    console.print(table)
    if (chosen["clock"] == COMPUTE_CLOCK).any():
        console.print("compute only: the benchmark recorded no training time, so these init "
                      "times leave out training the train set; they are ranked on their own "
                      "front, after the others.")
    skipped = int(configs["oracle"].sum())
    if skipped:
        console.print(f"{skipped} oracle configuration(s) (F = E reads the label) left out.")
