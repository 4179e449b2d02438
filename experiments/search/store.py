"""Finished search trajectories on disk, so that `predbench search` skips finished runs.

One CSV per (algo, predictor, seed) under `<out>/trajectories/`, written atomically (temporary
file + rename) when the run ends: a killed command leaves only whole trajectories behind, and
the run in flight is redone (on a live benchmark its archs then come back from the benchmark's
store without training). Each file carries a `config` digest of everything else that shapes
the run (benchmark, budget, loop and predictor parameters); a file with another digest is
stale and the run is redone. Each file ends with a completeness marker written last
(`# complete rows=N sha256=...` over the bytes before it): a file cut short or edited (a copy
interrupted, a disk full) fails the check and the run is redone, never trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

_MARKER = re.compile(r"# complete rows=(\d+) sha256=([0-9a-f]{64})\n?")


def config_digest(config: dict[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class TrajectoryStore:
    def __init__(self, out: str | Path) -> None:
        self.root = Path(out) / "trajectories"
        probe = self.root
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():  # mkdir would raise NotADirectoryError / FileExistsError
            raise ValueError(f"{out}: cannot keep trajectories there: {probe} is a file, not a "
                             f"folder")
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
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None  # unreadable: run it again
        body, _, last = text.rstrip("\n").rpartition("\n")
        found = _MARKER.fullmatch(last)
        body += "\n"
        if found is None or hashlib.sha256(body.encode()).hexdigest() != found.group(2):
            return None  # no marker (cut short) or not the bytes it vouches for: redo
        try:
            frame = pd.read_csv(io.StringIO(body))
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            return None
        if (len(frame) != int(found.group(1)) or frame.empty or "config" not in frame
                or str(frame["config"].iloc[0]) != digest):
            return None
        return frame

    def save(self, frame: pd.DataFrame, digest: str) -> Path:
        first = frame.iloc[0]
        path = self.path(str(first["algo"]), str(first["predictor"]), int(first["seed"]))
        frame = frame.assign(config=digest)
        body = frame.to_csv(index=False, lineterminator="\n")
        sha = hashlib.sha256(body.encode()).hexdigest()
        marker = f"# complete rows={len(frame)} sha256={sha}\n"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(body + marker, encoding="utf-8")
        os.replace(tmp, path)
        return path
