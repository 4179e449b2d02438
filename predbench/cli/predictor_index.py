"""A static index of the predictor registry, so that `predbench predictors` lists every predictor
(name, family, needs, hyperparameters) without importing the predictor modules (and torch).

`predictor_index.json` (next to this file) holds the rows `predbench predictors` prints, the
predictor families, and a fingerprint of the source of the `predictors` package it was built
from (SHA-256 over every `predictors/**/*.py`, paths and contents). The index is used only when
that fingerprint equals the fingerprint of the source that would be imported now and the registry
is not loaded in this process; otherwise the rows come from the real registry (the slow path,
same output). So a stale index costs start-up time, never a wrong listing. A test checks that the
committed index is current and equals the real registry; after changing `predictors/`, rebuild it:

    .venv/bin/python -m predbench.cli.predictor_index
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

INDEX_PATH = Path(__file__).with_name("predictor_index.json")
#: the columns of one row (`needs` as four booleans, `params` as `predbench predictors` prints it)
ROW_KEYS = ("name", "family", "train_set", "query_epochs", "network", "images", "params")


def source_root() -> Path | None:
    """The folder of the `predictors` package that `import predictors` would load (found
    without importing it), or None."""
    try:
        spec = importlib.util.find_spec("predictors")
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) if len(locations) == 1 else None


def source_fingerprint(root: Path | None = None) -> str | None:
    """SHA-256 over the relative paths and contents (line endings normalised) of every `.py`
    file of the predictors package; None when the package's folder is unknown."""
    root = source_root() if root is None else root
    if root is None or not root.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


def registry_rows(family: str | None = None) -> list[dict[str, Any]]:
    """The rows from the real registry (imports every predictor module; `family` is checked by
    `list_predictors`, which raises ValueError naming the families)."""
    from predictors import list_predictors
    from predictors.base import predictor_class

    rows = []
    for name in list_predictors(family):
        cls = predictor_class(name)
        needs = cls.needs
        rows.append({"name": name, "family": cls.family, "train_set": bool(needs.train_set),
                     "query_epochs": bool(needs.query_epochs), "network": bool(needs.network),
                     "images": bool(needs.images),
                     "params": ", ".join(f"{k}={v!r}" for k, v in cls().get_params().items())})
    return rows


def build_index() -> dict[str, Any]:
    """The index of the registry as it is now (imports every predictor module)."""
    from predictors.base import FAMILIES

    return {"fingerprint": source_fingerprint(), "families": list(FAMILIES),
            "predictors": registry_rows()}


def load_index() -> dict[str, Any] | None:
    """The committed index when it describes the predictors source that would be imported now
    and the registry is not already loaded in this process (it may hold predictors registered
    at run time); None otherwise."""
    if "predictors" in sys.modules:
        return None
    try:
        index = json.loads(INDEX_PATH.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("fingerprint") is None:
        return None
    if index["fingerprint"] != source_fingerprint():
        return None
    return index


def rows(family: str | None = None) -> list[dict[str, Any]]:
    """The rows `predbench predictors [--family F]` prints: from the index when it is current,
    else from the registry. An unknown family is a ValueError either way (same message)."""
    index = load_index()
    if index is None:
        return registry_rows(family)
    families = index["families"]
    if family is not None and family not in families:
        # the message of predictors.list_predictors
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(families)}")
    return [row for row in index["predictors"] if family is None or row["family"] == family]


def write_index(path: Path = INDEX_PATH) -> dict[str, Any]:
    index = build_index()
    path.write_text(json.dumps(index, indent=1) + "\n")
    return index


if __name__ == "__main__":  # pragma: no cover
    written = write_index()
    print(f"wrote {INDEX_PATH}: {len(written['predictors'])} predictors, "
          f"fingerprint {written['fingerprint'][:12]}")
