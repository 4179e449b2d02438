"""The `predbench` command line (typer + rich), a package of its own above the library (DESIGN
§1, §6): one module per command group (`arch`, `bench`, `predictors`, `results`, `search`,
`sweep`, `train`), attached to one typer app in `commands`; usage errors print one line and
exit with code 2. Nothing in the library imports this package.

Start-up is kept cheap:

- the command modules import only typer, rich and the standard library at module level; the
  library (search spaces, benchmarks, predictors, the evaluator, torch) is imported inside the
  command that needs it;
- `predbench predictors` reads a checked index of the predictor registry
  (`predbench.cli.predictor_index`) instead of importing every predictor (and torch);
- `predbench spaces` and `predbench predictors` given without options are answered by `main`
  directly, without building the typer app: the same table function the command calls, the same
  output, errors and exit codes (typer 0.29 alone costs about 0.25 s before a command runs: its
  import, and pydantic, which it imports to coerce any option value).

`app` (the typer app, for `typer.testing.CliRunner`) is imported on first use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["app", "main"]

#: commands `main` answers without typer when given with no options: name -> table function
_DIRECT = {"spaces": "spaces_table", "predictors": "predictors_table"}


def _direct(args: Sequence[str]) -> int | None:
    """The exit code of a listing command answered without typer, or None when `args` are not
    one of them (then typer parses them)."""
    if len(args) != 1 or args[0] not in _DIRECT or \
            any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None  # options, other commands, or a shell-completion request: typer's
    from predbench.cli import listing
    from predbench.cli.console import make_console
    from predbench.cli.errors import USAGE_ERRORS, print_usage_error, usage_message

    try:
        make_console().print(getattr(listing, _DIRECT[args[0]])())
    except USAGE_ERRORS as exc:
        print_usage_error(usage_message(exc))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `predbench predictors | head`: quiet, as click does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def main() -> None:
    """Console entry point (`predbench = "predbench.cli:main"`)."""
    code = _direct(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from predbench.cli.commands import app as typer_app

    typer_app()


def __getattr__(name: str) -> Any:
    if name == "app":
        from predbench.cli.commands import app as typer_app

        globals()["app"] = typer_app
        return typer_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
