"""`predbench predictors`: the registered predictors with their family and needs.

The rows come from `predbench.cli.predictor_index`: a static index of the registry, used while
it matches the predictors source (checked by a fingerprint, and by a test against the real
registry), so the listing starts without importing torch; otherwise from the registry itself."""

from __future__ import annotations

import typer

from predbench.cli.console import make_console
from predbench.cli.errors import one_line_errors
from predbench.cli.listing import predictors_table

console = make_console()


@one_line_errors
def predictors(family: str = typer.Option(None, "--family", "-f",
                                          help="Only this family (model_based, zero_cost, ...)."),
               ) -> None:
    """List predictors: name, family, what each needs, and its hyperparameters."""
    console.print(predictors_table(family))
