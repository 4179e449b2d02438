"""The typer app of the `predbench` command: every command group attached to one `app`
(`predbench.cli.app`; the console entry point is `predbench.cli.main`)."""

from __future__ import annotations

import typer

from predbench.cli.arch import arch_app, spaces
from predbench.cli.bench import bench_app
from predbench.cli.predictors import predictors
from predbench.cli.results import plot, recommend, report
from predbench.cli.search import search
from predbench.cli.sweep import run, sweep
from predbench.cli.train import train_app

__all__ = ["app"]

app = typer.Typer(
    name="predbench",
    help="Benchmark performance predictors for neural architecture search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("spaces",
            help="List the search spaces with their encodings and network presets.")(spaces)
app.command("predictors", help="List the predictors with their family and needs.")(predictors)
app.add_typer(arch_app, name="arch")
app.add_typer(bench_app, name="bench")
app.command("run", help="The main job: a sweep of every predictor family on the shipped default "
                        "benchmark.")(run)
app.command("sweep", help="Run or resume a sweep from a spec file (TOML).")(sweep)
app.command("search", help="NAS loops (rs, re, ls, npenas, bananas) with any predictor.")(search)
app.command("plot", help="Pareto plot, budget heat map, tau curves (PNG + SVG).")(plot)
app.command("report", help="One self-contained HTML page with tables and plots.")(report)
app.command("recommend", help="The best measured predictors within time budgets.")(recommend)
app.add_typer(train_app, name="train")
