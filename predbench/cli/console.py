"""The rich console the CLI prints with: the terminal's width, or 150 columns when the output
goes to a file or pipe (rich would otherwise squeeze tables into 80)."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=150)
