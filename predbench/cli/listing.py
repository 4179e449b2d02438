"""The tables of `predbench spaces` and `predbench predictors`, without typer (the start-up path
in `predbench.cli.main` prints them directly) and without torch: the search spaces' encodings
and presets are plain data (numpy only), and the predictors come from the checked index of the
registry (`predbench.cli.predictor_index`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table


def spaces_table() -> Table:
    """Each search space with its encodings (and their lengths) and network presets."""
    from rich.table import Table

    from search_spaces import get_search_space, list_search_spaces

    table = Table(title="search spaces")
    for column in ("space", "encodings (length)", "network presets"):
        table.add_column(column)
    for name in list_search_spaces():
        space = get_search_space(name)
        encodings = ", ".join(f"{k} ({n})" for k, n in space.encodings.items())
        presets = "\n".join(f"{p}: {desc}" for p, (_, desc) in space.presets.items())
        table.add_row(name, encodings, presets)
    return table


def predictors_table(family: str | None = None) -> Table:
    """Each predictor (optionally of one family): name, family, needs, hyperparameters. An
    unknown family is a ValueError naming the families."""
    from rich.table import Table

    from predbench.cli.predictor_index import rows

    table = Table(title="predictors")
    needs = ("train_set", "query_epochs", "network", "images")
    for column in ("name", "family", "train set", "partial curves", "network", "images",
                   "parameters"):
        table.add_column(column)
    for row in rows(family):
        table.add_row(row["name"], row["family"], *("yes" if row.get(k) else "" for k in needs),
                      row["params"])
    return table
