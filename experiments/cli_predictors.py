"""`predbench predictors`: the registered predictors with their family and needs."""

from __future__ import annotations

import typer
from rich.table import Table

from experiments.console import make_console
from experiments.errors import one_line_errors

console = make_console()


@one_line_errors
def predictors(family: str = typer.Option(None, "--family", "-f",
                                          help="Only this family (model_based, zero_cost, ...)."),
               ) -> None:
    """List predictors: name, family, what each needs, and its hyperparameters."""
    from predictors import list_predictors
    from predictors.base import predictor_class

    table = Table(title="predictors")
    for column in ("name", "family", "train set", "partial curves", "network", "parameters"):
        table.add_column(column)
    for name in list_predictors(family):
        cls = predictor_class(name)
        params = ", ".join(f"{k}={v!r}" for k, v in cls().get_params().items())
        needs = cls.needs
        table.add_row(name, cls.family, "yes" if needs.train_set else "",
                      "yes" if needs.query_epochs else "", "yes" if needs.network else "", params)
    console.print(table)
