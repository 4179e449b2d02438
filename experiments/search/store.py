"""Finished search trajectories on disk, so that `predbench search` skips finished runs.

One CSV per (algo, predictor, seed) under `<out>/trajectories/`, written atomically (temporary
file + rename) when the run ends: a killed command leaves only whole trajectories behind, and
the run in flight is redone (on a live benchmark its archs then come back from the benchmark's
store without training). Each file carries a `config` digest of everything else that shapes
the run (benchmark, budget, loop and predictor parameters); a file with another digest is
stale and the run is redone.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd


def config_digest(config: dict[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class TrajectoryStore:
    def __init__(self, out: str | Path) -> None:
        self.root = Path(out) / "trajectories"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, algo: str, predictor: str, seed: int) -> Path:
        safe = "".join(c if c.isalnum() or c in "._=" else "_" for c in predictor)
        return self.root / f"{algo}-{safe}-s{int(seed)}.csv"

    def load(self, algo: str, predictor: str, seed: int, digest: str) -> pd.DataFrame | None:
        """The finished trajectory with this config digest, or None."""
        path = self.path(algo, predictor, seed)
        if not path.is_file():
            return None
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError):
            return None  # unreadable: run it again
        if frame.empty or "config" not in frame or str(frame["config"].iloc[0]) != digest:
            return None
        return frame

    def save(self, frame: pd.DataFrame, digest: str) -> Path:
        first = frame.iloc[0]
        path = self.path(str(first["algo"]), str(first["predictor"]), int(first["seed"]))
        frame = frame.assign(config=digest)
        tmp = path.with_name(path.name + ".tmp")
        frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
        return path
