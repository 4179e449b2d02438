"""Turning bad input into one clear line and exit code 2 (DESIGN §6).

Importing this module does not import typer (the start-up path of `predbench spaces` /
`predbench predictors` uses it without typer); `usage_error` imports it when called."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    import typer

P = ParamSpec("P")
R = TypeVar("R")

#: exceptions that mean "the user asked for something invalid" (not a bug in predbench)
USAGE_ERRORS: tuple[type[BaseException], ...] = (ValueError, KeyError, FileNotFoundError)


def usage_message(exc: BaseException) -> str:
    """What a usage error says (a KeyError's message without the quotes repr adds)."""
    return str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)


def print_usage_error(message: str) -> None:
    """Print `error: message` on one line to stderr."""
    text = " ".join(str(message).split())  # one line, whatever the message held
    print(f"error: {text}", file=sys.stderr)


def usage_error(message: str) -> typer.Exit:
    """Print `error: message` on one line to stderr; return the exit to raise (code 2)."""
    import typer

    print_usage_error(message)
    return typer.Exit(code=2)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for CLI commands: usage errors become one line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except USAGE_ERRORS as exc:
            raise usage_error(usage_message(exc)) from None

    return wrapper


def check_number(value: float | None, flag: str, minimum: float = 0.0,
                 strict: bool = False) -> float | None:
    """A finite number >= `minimum` (> with `strict`), or None; a ValueError naming `flag`."""
    import math

    if value is None:
        return None
    ok = math.isfinite(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        bound = f"{'>' if strict else '>='} {minimum:g}"
        raise ValueError(f"{flag} must be a finite number {bound}, got {value}")
    return value


def check_output_path(path: object, flag: str) -> None:
    """`path` can be created: its nearest existing ancestor is a folder (not a file) and the
    path itself is not a folder where a file is written, or the reverse (ValueError naming
    `flag`). Checked before any work, so that a command never fails at its end."""
    from pathlib import Path

    target = Path(str(path))
    probe = target
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe != target and not probe.is_dir():
        raise ValueError(f"{flag}: cannot create {target}: {probe} is a file, not a folder")


def check_input_path(path: object, flag: str, folder: bool | None = None) -> None:
    """`path` exists (a folder when `folder` is True, a file when False); ValueError naming
    `flag` otherwise."""
    from pathlib import Path

    p = Path(str(path))
    if not p.exists():
        raise ValueError(f"{flag}: {p} does not exist")
    if folder is True and not p.is_dir():
        raise ValueError(f"{flag}: {p} is not a folder")
    if folder is False and not p.is_file():
        raise ValueError(f"{flag}: {p} is not a file")
