"""The `predbench` command line (typer + rich). Each command group lives in its own module and is
attached here; usage errors print one line and exit with code 2."""

from __future__ import annotations

import typer

from experiments.cli_arch import arch_app, spaces
from experiments.cli_bench import bench_app

app = typer.Typer(
    name="predbench",
    help="Benchmark performance predictors for neural architecture search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("spaces", help="List the search spaces with their encodings and network presets.")(spaces)
app.add_typer(arch_app, name="arch")
app.add_typer(bench_app, name="bench")


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
