"""Convert the NAS-Bench-NLP WikiText-2 training logs into the compact file shipped in the package.

    .venv/bin/python scripts/build_nlp_wikitext2.py [DATA_DIR]   # default: ../shared/data

Reads `nasbench_nlp_wikitext2_logs.zip` (NAS-Bench-NLP, Klyuchnikov et al. 2020, Apache-2.0:
one JSON log per architecture, 345 in all, trained 50 epochs on WikiText-2 with the release's
recipe) and writes `benchmarks/data/nlp_wikitext2.npz`, rows in recipe-id order:

  recipe_id     int64 [345]        the release's `recepie_id`
  recipe        str [345]          the cell recipe exactly as logged (a JSON string)
  num_params    int64 [345]        parameters of the release's model with this cell
  status        str [345]          "OK", or the failure ("loss is nan!": 4 diverged runs)
  epochs        int64 [345]        epochs logged (50 when OK; fewer for a diverged run)
  train_loss, val_loss, test_loss, epoch_seconds   float64 [345, 50]
                                   per epoch as logged (`wall_times` are per-epoch seconds),
                                   NaN after the last logged epoch
  meta          JSON: the training settings every log shares, source, licence, command

Exact: the values are the logs' floats, unchanged. The conversion checks that every log has the
same settings, lists of equal length, and 50 epochs when its status is "OK".
"""

from __future__ import annotations

import json
import math
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "data" / "nlp_wikitext2.npz"
ZIP_NAME = "nasbench_nlp_wikitext2_logs.zip"
EPOCHS = 50
#: per-run fields; everything else in a log is a setting shared by all runs
_PER_RUN = {"recepie_id", "recepie", "num_params", "status", "wall_times", "train_losses",
            "val_losses", "test_losses", "experiment_id", "init_time"}
_SERIES = {"train_loss": "train_losses", "val_loss": "val_losses", "test_loss": "test_losses",
           "epoch_seconds": "wall_times"}


def read_logs(zip_path: Path) -> list[dict]:
    """Every log in the archive, by recipe id."""
    with zipfile.ZipFile(zip_path) as z:
        logs = [json.loads(z.read(name)) for name in z.namelist() if name.endswith(".json")]
    return sorted(logs, key=lambda log: int(log["recepie_id"]))


def build(data_dir: Path, out: Path = OUT) -> dict[str, object]:
    logs = read_logs(data_dir / ZIP_NAME)
    settings = {k: v for k, v in logs[0].items() if k not in _PER_RUN}
    n = len(logs)
    arrays = {name: np.full((n, EPOCHS), math.nan) for name in _SERIES}
    epochs = np.zeros(n, dtype=np.int64)
    for i, log in enumerate(logs):
        where = f"{ZIP_NAME}: recipe {log['recepie_id']}"
        shared = {k: v for k, v in log.items() if k not in _PER_RUN}
        if shared != settings:
            changed = sorted(k for k in set(shared) | set(settings)
                             if shared.get(k) != settings.get(k))
            raise ValueError(f"{where}: settings differ from the first log's: {changed}")
        lengths = {len(log[field]) for field in _SERIES.values()}
        if len(lengths) != 1:
            raise ValueError(f"{where}: per-epoch lists of different lengths {sorted(lengths)}")
        epochs[i] = lengths.pop()
        if log["status"] == "OK" and epochs[i] != EPOCHS:
            raise ValueError(f"{where}: status OK but {epochs[i]} epochs")
        for name, field in _SERIES.items():
            arrays[name][i, : epochs[i]] = np.asarray(log[field], dtype=np.float64)
    meta = {"settings": settings, "source": f"NAS-Bench-NLP (Klyuchnikov et al. 2020), {ZIP_NAME}",
            "licence": "Apache-2.0",
            "command": "python scripts/build_nlp_wikitext2.py [DATA_DIR]"}
    columns = {
        "recipe_id": np.array([int(log["recepie_id"]) for log in logs], dtype=np.int64),
        "recipe": np.array([log["recepie"] if isinstance(log["recepie"], str)
                            else json.dumps(log["recepie"]) for log in logs]),
        "num_params": np.array([int(log["num_params"]) for log in logs], dtype=np.int64),
        "status": np.array([str(log["status"]) for log in logs]),
        "epochs": epochs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **columns, **arrays, meta=np.array(json.dumps(meta)))
    return {"runs": n, "failed": int((columns["status"] != "OK").sum()),
            "bytes": out.stat().st_size}


if __name__ == "__main__":
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    print(build(data))
