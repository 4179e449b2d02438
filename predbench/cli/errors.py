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
