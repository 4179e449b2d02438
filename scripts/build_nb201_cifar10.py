"""Convert the real NB201 CIFAR-10 data into the compact file shipped in the package.

    .venv/bin/python scripts/build_nb201_cifar10.py [DATA_DIR]   # default: ../shared/data

Reads `nb201_cifar10_valid_accuracy.csv` (all 15,625 cells, CIFAR-10 validation accuracy of
NB201's `cifar10-valid` 200-epoch runs, as released with NAS-Bench-Suite-Zero; NAS-Bench-201
is MIT-licensed) and `zc_nasbench201_cifar10.json` (NAS-Bench-Suite-Zero, Apache-2.0: 725 cells
with 12 zero-cost proxy scores and the CPU seconds each took) and writes
`benchmarks/data/nb201_cifar10.npz`:

  val_accuracy_centi  uint16 [15625]  accuracy x 100 by `NB201Arch.index` (base-5 op digits, not
                                      the NB201 API's index; exact: the source has two decimals)
  sz_index            uint16 [725]    `NB201Arch.index` of each Suite-Zero row, in file order
  sz_idx              int32 [725]     Suite-Zero's own `idx` field (its numbering, kept so the
                                      file can be written back in its source format)
  sz_val_accuracy     float64 [725]   Suite-Zero's own val_accuracy (checked equal to the table)
  sz_score / sz_seconds  float64 [725, P]  proxy score / CPU seconds, NaN where absent
  meta                JSON: proxies (column order), sources, licences, command

The conversion is checked on the way: every arch string parses, every Suite-Zero key maps to
the cell with the same accuracy, nothing is duplicated or missing.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search_spaces import get_search_space  # noqa: E402

OUT = ROOT / "benchmarks" / "data" / "nb201_cifar10.npz"
CSV_NAME = "nb201_cifar10_valid_accuracy.csv"
JSON_NAME = "zc_nasbench201_cifar10.json"


def build(data_dir: Path, out: Path = OUT) -> dict[str, object]:
    space = get_search_space("nb201")
    n = 15_625
    centi = np.zeros(n, dtype=np.uint16)
    seen = np.zeros(n, dtype=bool)
    with (data_dir / CSV_NAME).open(newline="") as f:
        for row in csv.DictReader(f):
            index = space.parse(row["arch"]).index
            value = round(float(row["val_accuracy"]) * 100)
            if seen[index]:
                raise ValueError(f"{CSV_NAME}: {row['arch']} appears twice")
            if abs(value / 100 - float(row["val_accuracy"])) > 1e-9:
                raise ValueError(f"{CSV_NAME}: {row['val_accuracy']} has more than two decimals")
            centi[index], seen[index] = value, True
    if not seen.all():
        raise ValueError(f"{CSV_NAME}: {int((~seen).sum())} of the {n} cells are missing")

    entries = json.loads((data_dir / JSON_NAME).read_text())["cifar10"]
    # in the order the file first names them (flops, params, synflow, ...)
    proxies = list(dict.fromkeys(k for e in entries.values() for k, v in e.items()
                                 if isinstance(v, dict)))
    rows = len(entries)
    sz_index = np.zeros(rows, dtype=np.uint16)
    sz_idx = np.zeros(rows, dtype=np.int32)
    sz_val = np.zeros(rows)
    score = np.full((rows, len(proxies)), math.nan)
    seconds = np.full((rows, len(proxies)), math.nan)
    for i, (key, entry) in enumerate(entries.items()):
        index = space.from_suite_zero(key).index
        if abs(entry["val_accuracy"] * 100 - centi[index]) > 1e-6:
            raise ValueError(f"{JSON_NAME}: key {key}: val_accuracy {entry['val_accuracy']} is "
                             f"not the table's {centi[index] / 100} for that cell")
        sz_index[i], sz_val[i], sz_idx[i] = index, entry["val_accuracy"], int(entry["idx"])
        for j, name in enumerate(proxies):
            if name in entry:
                score[i, j] = entry[name]["score"]
                seconds[i, j] = entry[name]["time"]
    if len(set(sz_index.tolist())) != rows:
        raise ValueError(f"{JSON_NAME}: two keys name the same cell")

    meta = {
        "format": "predbench-nb201-cifar10", "version": 1, "space": "nb201",
        "dataset": "cifar10", "split": "cifar10-valid (trained on CIFAR-10 train, 200 epochs; "
                                      "validation accuracy on the held-out half of train)",
        "proxies": proxies, "proxy_seconds": "CPU seconds Suite-Zero recorded per proxy and "
                                             "arch (Intel Xeon Gold 6242)",
        "sources": {CSV_NAME: "NAS-Bench-201 (Dong & Yang 2020, MIT) as released with "
                              "NAS-Bench-Suite-Zero",
                    JSON_NAME: "NAS-Bench-Suite-Zero (Krishnakumar et al. 2022, Apache-2.0)"},
        "command": "python scripts/build_nb201_cifar10.py",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, val_accuracy_centi=centi, sz_index=sz_index, sz_idx=sz_idx,
                        sz_val_accuracy=sz_val, sz_score=score, sz_seconds=seconds,
                        meta=np.array(json.dumps(meta)))
    tmp.replace(out)
    return {"archs": n, "suite_zero_rows": rows, "proxies": len(proxies),
            "bytes": out.stat().st_size, "best": centi.max() / 100}


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    print(build(source))
