"""CSV / parquet tables as a benchmark: `load_benchmark("table", path=..., space=..., target=...)`.

A table has one row per architecture: a column with the architecture's canonical text (the
space's `parse` form; default column `arch`) and numeric columns, one of which is the target
(default `val_accuracy`, percent). `../shared/data/nb201_cifar10_valid_accuracy.csv`
(header `arch,val_accuracy`, all 15,625 NB201 cells) is one.

Other numeric columns are kept (`column`, `values`, `to_frame`). `test_column` and
`seconds_column` name optional columns for the final test accuracy and the training seconds of
the whole reported run; they fill the curve's `test_acc` and its single `epoch_seconds` entry.

Row numbers in errors are what a user sees: in a CSV the header is line 1, so the first data row
is row 2; a parquet file has no header line, so its first row is row 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.base import register_benchmark
from benchmarks.tabular_base import (
    TabularBenchmark,
    existing_file,
    file_error,
    row_error,
    wrong_space_hint,
)
from search_spaces import Arch, SearchSpace, get_search_space

_CSV = {".csv": ",", ".tsv": "\t"}
_PARQUET = {".parquet", ".pq"}


class TableBenchmark(TabularBenchmark):
    """A CSV or parquet table: arch text column, target column, extra numeric columns."""

    kind = "table"


@register_benchmark("table")
def load_table(
    path: str | Path,
    space: str = "nb201",
    target: str = "val_accuracy",
    arch_column: str | None = None,
    dataset: str = "unknown",
    test_column: str | None = None,
    seconds_column: str | None = None,
    reported_epochs: int | None = None,
) -> TableBenchmark:
    """Load a table of `space` architectures. `arch_column` defaults to `arch`, or else to the
    only text column whose first value parses as an arch of `space`. `dataset` is a label for
    results. `reported_epochs` (default: the space's public benchmark, e.g. 200 for nb201) says
    how many epochs the stored accuracies were trained for."""
    p = existing_file(path)
    sp = get_search_space(space)
    frame, first_row = _read(p)
    header = [str(c) for c in frame.columns]
    frame.columns = header
    where = "1 (header)" if first_row == 2 else "0 (column names)"  # parquet has no header line

    arch_col = _arch_column(p, frame, sp, arch_column, where)
    for name, what in ((target, "target"), (test_column, "test_column"),
                       (seconds_column, "seconds_column")):
        if name is not None and name not in header:
            raise row_error(p, where, f"no {what} column {name!r}; "
                                      f"columns are: {', '.join(header)}")
        if name == arch_col:
            raise row_error(p, where, f"{what} {name!r} is the arch column")

    if len(frame) == 0:
        raise file_error(p, "holds a header but no rows")
    archs = _parse_archs(p, frame[arch_col], sp, first_row, arch_col)
    values = _numbers(p, frame[target], target, first_row, required=True)
    test = None if test_column is None else _numbers(p, frame[test_column], test_column, first_row)
    seconds = (None if seconds_column is None
               else _numbers(p, frame[seconds_column], seconds_column, first_row))
    used = {arch_col, target, test_column, seconds_column}
    columns = {name: frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
               for name in header if name not in used and _is_numeric(frame[name])}
    return TableBenchmark(
        space=sp, dataset=dataset, path=p, archs=archs, target=target, values=values,
        reported_epochs=reported_epochs, test_acc=test, train_seconds=seconds, columns=columns)


def _read(p: Path) -> tuple[Any, int]:
    """(DataFrame, the row number of its first data row as a user counts it)."""
    import pandas as pd  # imported here so that `import benchmarks` stays light

    suffix = p.suffix.lower()
    if suffix in _CSV:
        try:
            # blank lines are kept (as empty rows) so that row numbers match the file's lines
            return pd.read_csv(p, sep=_CSV[suffix], skipinitialspace=True,
                               skip_blank_lines=False), 2
        except pd.errors.EmptyDataError:
            raise file_error(p, "empty file: expected a header line such as 'arch,val_accuracy'"
                             ) from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise file_error(p, f"malformed {suffix[1:].upper()}: {exc}") from None
    if suffix in _PARQUET:
        try:
            import pyarrow  # noqa: F401  (pandas' parquet engine)
        except ImportError:
            raise ModuleNotFoundError(
                f"{p}: reading parquet needs pyarrow: pip install 'predbench[parquet]'") from None
        try:
            return pd.read_parquet(p), 1
        except Exception as exc:  # any error: pyarrow raises its own error types
            raise file_error(p, f"unreadable parquet file: {exc}") from None
    raise file_error(p, f"unknown table format {p.suffix!r}; expected .csv, .tsv, .parquet or .pq")


def _arch_column(p: Path, frame: Any, sp: SearchSpace, name: str | None, where: str) -> str:
    header = list(frame.columns)
    if name is not None:
        if name not in header:
            raise row_error(p, where, f"no arch column {name!r}; columns are: {', '.join(header)}")
        return name
    if "arch" in header:
        return "arch"
    # no `arch` column: accept the one text column whose first value is an arch of this space
    candidates = []
    for column in header:
        values = frame[column].dropna()
        if len(values) and isinstance(values.iloc[0], str):
            try:
                sp.parse(values.iloc[0])
            except ValueError:
                continue
            candidates.append(column)
    if len(candidates) != 1:
        found = f"several could be ({', '.join(candidates)})" if candidates else "none holds one"
        raise row_error(p, where, f"no 'arch' column and {found} {sp.name} architecture text; "
                                  f"name it with arch_column=; columns are: {', '.join(header)}")
    return candidates[0]


def _parse_archs(p: Path, texts: Any, sp: SearchSpace, first_row: int, column: str) -> list[Arch]:
    archs: list[Arch] = []
    seen: dict[Arch, int] = {}
    parse = sp.parse
    for i, text in enumerate(texts.tolist()):
        row = first_row + i
        if not isinstance(text, str) or not text.strip():
            raise row_error(p, row, f"empty arch in column {column!r}")
        try:
            arch = parse(text)
        except ValueError as exc:
            raise row_error(p, row, f"{exc}{wrong_space_hint(sp, text)}") from None
        if arch in seen:
            raise row_error(p, row, f"duplicate architecture {sp.format(arch)}: same as row "
                                    f"{seen[arch]}")
        seen[arch] = row
        archs.append(arch)
    return archs


def _numbers(p: Path, series: Any, name: str, first_row: int, required: bool = False) -> np.ndarray:
    """The column as floats; a row error names the first value that is not a finite number
    (or, for the target, that is missing)."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = (np.isnan(values) & (series.notna().to_numpy() | required)) | np.isinf(values)
    if bad.any():
        i = int(np.argmax(bad))
        raw = series.iloc[i]
        raw = raw.item() if isinstance(raw, np.generic) else raw  # inf, not np.float64(inf)
        problem = (f"no value in column {name!r}" if pd.isna(raw)
                   else f"column {name!r} must be a finite number, got {raw!r}"
                   if np.isinf(values[i]) else f"column {name!r} must be a number, got {raw!r}")
        raise row_error(p, first_row + i, problem)
    return values


def _is_numeric(series: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)
