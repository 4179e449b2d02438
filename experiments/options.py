"""The command-line forms every command and study shares, parsed in one place.

- **KEY=VALUE** (`parse_key_values`, and `parse_value` for one value): the value is a Python
  literal when it reads as one — ``3`` (int), ``0.1`` / ``1e-3`` (float), ``True`` (bool),
  ``None``, ``'text'`` (a quoted string), ``(1, 2)`` / ``[1, 2]`` / ``{'max_depth': 3}`` —
  and the plain text otherwise (``ucb``, ``results/live.db``, ``cifar10-valid``);
- **KIND[:key=value,...]** (`parse_kind_options`): a registry name with options, as in
  ``--benchmark table:path=nb201.csv,space=nb201``; a comma inside brackets or quotes does not
  separate (``omni:model_params={'max_depth': 3, 'eta': 0.1}``);
- **integer lists** (`parse_int_list`): ``5``, ``0,3,7``, ``0-19`` or ``0..19`` (inclusive), or
  a mix such as ``0-19,25``; in the order given, duplicates dropped.

Bad input is a `ValueError` of one line that names the flag and the expected form. Standard
library only: the command line imports it without the library's heavy dependencies.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

_RANGE = re.compile(r"([0-9]+)\s*(?:-|\.\.)\s*([0-9]+)")
_INT = re.compile(r"[0-9]+")


def parse_value(text: str) -> Any:
    """A KEY=VALUE value: the Python literal `text` spells, else `text` itself (stripped)."""
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_key_values(items: Iterable[str], flag: str) -> dict[str, Any]:
    """``["k=v", ...]`` -> ``{"k": parse_value("v"), ...}`` (a later key wins)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} expects KEY=VALUE, got {item!r}")
        out[key.strip()] = parse_value(value)
    return out


def split_top(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside brackets and quotes. Text whose brackets or quotes do not
    balance (say a path with an apostrophe) is split at every `sep`."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if quote is not None or depth != 0:
        return text.split(sep)
    parts.append(text[start:])
    return parts


def parse_kind_options(spec: str, flag: str) -> tuple[str, dict[str, Any]]:
    """``"KIND"`` or ``"KIND:key=value,key=value"`` -> (kind, options)."""
    kind, _, rest = str(spec).strip().partition(":")
    if not kind.strip():
        raise ValueError(f"{flag} expects KIND or KIND:key=value,..., got {spec!r}")
    items = [p.strip() for p in split_top(rest, ",") if p.strip()]
    return kind.strip(), parse_key_values(items, flag)


def parse_int_list(text: str | int, flag: str, minimum: int = 0) -> list[int]:
    """``"0-19,25"`` -> ``[0, 1, ..., 19, 25]``: comma-separated integers and inclusive ranges
    ``A-B`` / ``A..B`` (A <= B), each >= `minimum`; in order, duplicates dropped."""
    out: list[int] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        found = _RANGE.fullmatch(part)
        if found and int(found.group(1)) <= int(found.group(2)):
            out.extend(range(int(found.group(1)), int(found.group(2)) + 1))
        elif _INT.fullmatch(part):
            out.append(int(part))
        else:
            out = []
            break
    if not out or min(out) < minimum:
        raise ValueError(f"{flag} expects integers >= {minimum}: one, a comma list or a range "
                         f"A-B (inclusive), e.g. 0-19,25; got {str(text)!r}")
    return list(dict.fromkeys(out))
