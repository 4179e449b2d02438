"""`predbench bench ...`: open a ground-truth benchmark and say what it holds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from predbench.cli.console import make_console
from predbench.cli.errors import one_line_errors, usage_error

bench_app = typer.Typer(help="Inspect ground-truth benchmarks (tables, Suite-Zero, NB201).",
                        no_args_is_help=True)
console = make_console()


def benchmark_summary(bench: Any, load_seconds: float | None = None) -> dict[str, Any]:
    """Size, target range, best arch and stored extras of a loaded benchmark, as plain data."""
    import numpy as np

    archs = bench.archs()
    values = np.asarray(bench.final_val_acc(archs), dtype=np.float64)
    known = values[~np.isnan(values)]
    facts: dict[str, Any] = {
        "kind": bench.kind,
        "path": str(getattr(bench, "path", "")),
        "space": bench.space.name,
        "dataset": bench.dataset,
        "size": len(archs),
        "max_epochs": bench.max_epochs,
        "reported_epochs": bench.reported_epochs,
        "target": getattr(bench, "target", f"val_acc at epoch {bench.max_epochs}"),
    }
    if known.size:
        best = int(np.nanargmax(values))
        facts.update({
            "target_min": float(known.min()),
            "target_median": float(np.median(known)),
            "target_max": float(known.max()),
            "best_arch": bench.space.format(archs[best]),
            "best_value": float(values[best]),
            "archs_at_best": int((values == values[best]).sum()),
        })
    facts["proxies"] = bench.proxies()
    if hasattr(bench, "columns"):
        facts["columns"] = bench.columns()
    if load_seconds is not None:
        facts["load_seconds"] = round(load_seconds, 3)
    return facts


@bench_app.command("info", help="Load a benchmark and print its size, target range and best arch.")
@one_line_errors
def info(
    kind: str = typer.Argument(..., help="Benchmark kind: suite_zero, table, nb201_official, ..."),
    path: Path | None = typer.Option(None, "--path", "-p", help="The benchmark file."),
    space: str | None = typer.Option(None, "--space", "-s", help="Search space of the file."),
    dataset: str | None = typer.Option(None, "--dataset", "-d", help="Dataset in the file."),
    target: str | None = typer.Option(None, "--target", "-t", help="Label column (tables)."),
    arch_column: str | None = typer.Option(None, "--arch-column", help="Arch column (tables)."),
    option: list[str] = typer.Option([], "--option", "-o",
                                     help="Any other loader option as KEY=VALUE (repeatable; "
                                          "VALUE is a Python literal or text)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    from benchmarks import load_benchmark
    from experiments.options import parse_key_values

    options = parse_key_values(option, "--option")
    for key, value in (("path", path), ("space", space), ("dataset", dataset),
                       ("target", target), ("arch_column", arch_column)):
        if value is not None:
            options[key] = str(value)
    if kind == "live":
        _check_run_store_exists(options)
    start = time.perf_counter()
    try:
        bench = load_benchmark(kind, **options)
    except ImportError as exc:  # a missing optional extra is a usage problem, not a crash
        raise usage_error(str(exc)) from None
    facts = benchmark_summary(bench, time.perf_counter() - start)
    if as_json:
        print(json.dumps(facts, indent=2))
        return
    table = Table(title=f"{facts['kind']} benchmark", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in facts.items():
        if isinstance(value, list):
            value = ", ".join(value) or "none"
        elif isinstance(value, float):
            value = f"{value:.4g}" if key.endswith("seconds") else f"{value:.2f}"
        table.add_row(key, str(value))
    console.print(table)


def _check_run_store_exists(options: dict[str, Any]) -> None:
    """`bench info live` reads a run store: a missing SQLite file is a usage error naming it,
    not a new empty store (and folder) left behind."""
    from benchmarks import benchmark_options
    from benchmarks.store import is_db_url

    db = options.get("db", benchmark_options("live")["db"])
    if isinstance(db, (str, Path)) and str(db).strip() and not is_db_url(db) \
            and not Path(db).exists():
        raise ValueError(f"live benchmark: no run store at {db} (option db); bench info reads "
                         f"a store and creates none: fill one with `predbench train`, or name "
                         f"an existing one with -o db=PATH")
