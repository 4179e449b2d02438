"""The typer app of the `predbench` command: every command group attached to one `app`
(`predbench.cli.app`; the console entry point is `predbench.cli.main`)."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as click_errors  # type: ignore[no-redef]

from predbench.cli.arch import arch_app, spaces
from predbench.cli.bench import bench_app
from predbench.cli.predictors import predictors
from predbench.cli.results import plot, recommend, report
from predbench.cli.search import search
from predbench.cli.sweep import run, sweep
from predbench.cli.train import train_app

__all__ = ["app"]


class OneLineErrors(TyperGroup):
    """The root command: click's own usage errors (an option that is not an integer, a missing
    or unknown option, a bad choice) print one line naming the command and the option, exit 2,
    like every error our commands raise (instead of typer's framed multi-line box)."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:  # a group given alone: its help
            print(exc.format_message(), file=sys.stderr)
            code = 2
        except click_errors.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "predbench"
            text = " ".join(exc.format_message().split())
            print(f"error: {where}: {text} (see {where} --help)", file=sys.stderr)
            code = 2
        except typer.Abort:  # typer's own class: typer._click.exceptions has no Abort (an
            # AttributeError here turned `predbench search --help | head` into a traceback)
            print("aborted", file=sys.stderr)
            code = 1
        except click_errors.ClickException as exc:
            print(f"error: {' '.join(exc.format_message().split())}", file=sys.stderr)
            code = exc.exit_code
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
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
