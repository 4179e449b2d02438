"""The tuning / reporting split of every search space (the measurement protocol, DESIGN §3).

Defaults chosen from data (a learning rate, a loss, a target transform, a loop's k) may only be
chosen on the **tuning** split; every published number is measured on the **reporting** split,
with seeds never used for a choice. The split is a fixed half of each space chosen by hash, so
it is the same on every benchmark of a space (the NB201 table, the official files, the shipped
default benchmark, a live store) and needs no file:

    split_of(arch) = "tuning"     if sha256("<space>:<canonical text>")[0] is even
                     "reporting"  otherwise

The canonical text is isomorphism-invariant where the space's identity is (NB101), so two
labellings of one graph always fall on the same side. Of the 15,625 NB201 cells, 7,828 are
tuning and 7,797 reporting (pinned by a test).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from search_spaces import Arch

SPLITS = ("all", "tuning", "reporting")


def split_of(arch: Any) -> str:
    """"tuning" or "reporting": the half of its space that `arch` belongs to. `arch` is an
    `Arch` (text has no space: parse it first); `TypeError` naming arch otherwise."""
    if not isinstance(arch, Arch):
        hint = (" (text names no space: parse it first, e.g. "
                "get_search_space('nb201').parse(text))" if isinstance(arch, str) else "")
        raise TypeError(f"arch must be an architecture (an Arch of a search space), got "
                        f"{type(arch).__name__} {arch!r}{hint}")
    key = f"{arch.space}:{arch}".encode()
    return "tuning" if hashlib.sha256(key).digest()[0] % 2 == 0 else "reporting"


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of: {', '.join(SPLITS)}")
    return split


def in_split(arch: Any, split: str) -> bool:
    """Whether `arch` belongs to `split` ("all" holds every arch)."""
    return check_split(split) == "all" or split_of(arch) == split


def restrict(archs: Iterable[Any], split: str) -> list[Any]:
    """The archs of `split`, in their order."""
    check_split(split)
    return [a for a in archs if split == "all" or split_of(a) == split]
