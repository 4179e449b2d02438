"""The `predbench` command line (typer + rich). Each command group lives in its own module and is
attached here; usage errors print one line and exit with code 2."""

from __future__ import annotations

import typer

from experiments.cli_arch import arch_app, spaces
from experiments.cli_bench import bench_app
from experiments.cli_predictors import predictors
from experiments.cli_results import plot, recommend, report
from experiments.cli_search import search
from experiments.cli_sweep import run, sweep
from experiments.cli_train import train_app

app = typer.Typer(
    name="predbench",
    help="Benchmark performance predictors for neural architecture search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("spaces", help="List the search spaces with their encodings and network presets.")(spaces)
app.command("predictors", help="List the predictors with their family and needs.")(predictors)
app.add_typer(arch_app, name="arch")
app.add_typer(bench_app, name="bench")
app.command("run", help="The main job: a sweep of every predictor family on the shipped default benchmark.")(run)
app.command("sweep", help="Run or resume a sweep from a spec file (TOML).")(sweep)
app.command("search", help="NAS loops (rs, re, ls, npenas, bananas) with any predictor.")(search)
app.command("plot", help="Pareto plot, budget heat map, tau curves (PNG + SVG).")(plot)
app.command("report", help="One self-contained HTML page with tables and plots.")(report)
app.command("recommend", help="The best measured predictors within time budgets.")(recommend)
app.add_typer(train_app, name="train")


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
