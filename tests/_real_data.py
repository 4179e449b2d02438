"""Where the tests find the real NB201 CIFAR-10 files.

`../shared/data` (beside the repository) when it holds them; otherwise the copy shipped in the
package, written back in the two source formats (`benchmarks.nb201_cifar10.export_source_files`,
which reproduces the source files' content exactly: tests/test_nb201_cifar10.py) into a
temporary folder once per test process. So the tests on this data run on a fresh clone too.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CSV_NAME = "nb201_cifar10_valid_accuracy.csv"
JSON_NAME = "zc_nasbench201_cifar10.json"


def _nb201_dir() -> Path:
    if (SHARED / CSV_NAME).is_file() and (SHARED / JSON_NAME).is_file():
        return SHARED
    from benchmarks.nb201_cifar10 import export_source_files

    folder = Path(tempfile.mkdtemp(prefix="predbench-nb201-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    export_source_files(folder)
    return folder


NB201_DIR = _nb201_dir()
NB201_CSV = NB201_DIR / CSV_NAME
SZ_NB201 = NB201_DIR / JSON_NAME
