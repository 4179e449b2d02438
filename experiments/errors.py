"""Turning bad input into one clear line and exit code 2 (DESIGN §6)."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])

#: exceptions that mean "the user asked for something invalid" (not a bug in predbench)
USAGE_ERRORS: tuple[type[BaseException], ...] = (ValueError, KeyError, FileNotFoundError)


def usage_error(message: str) -> "typer.Exit":
    """Print `error: message` on one line to stderr; return the exit to raise (code 2)."""
    text = " ".join(str(message).split())  # one line, whatever the message held
    print(f"error: {text}", file=sys.stderr)
    return typer.Exit(code=2)


def one_line_errors(func: F) -> F:
    """Decorator for CLI commands: usage errors become one line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USAGE_ERRORS as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise usage_error(str(message)) from None

    return wrapper  # type: ignore[return-value]
