"""Reading NASLib's data pickles safely, and telling which benchmark a loaded one holds.

NASLib (the paper's code) reads its benchmark data with `pickle.load` on files that hold only
plain data: dicts, lists, tuples, strings, numbers and (NB101) numpy arrays. A pickle can name
any importable callable and run it on load, so we unpickle through a `find_class` that allows
exactly the numpy reconstructors those files need and refuses everything else with a one-line
error: a file that asks for more is not one of these data files. The C unpickler does the work,
so loading stays as fast as NASLib's own `pickle.load`.

Layouts (what NASLib's `get_dataset_api` and the spaces' `query` methods read; the keys tell
them apart):

- nb201, `nb201_{cifar10,cifar100,ImageNet16}_full_training.pickle`: keyed by the NB201 arch
  string; `{dataset: {train_losses, eval_losses, train_acc1es, eval_acc1es: [per epoch],
  cost_info: {flops, params, latency, train_time}}}`;
- nb301, `nb301_full_training.pickle`: keyed by the DARTS compact `((in, op) x8, (in, op) x8)`;
  `{val_accuracies, train_losses, runtime}`;
- nb101, `nasbench_only108.pkl` (or a full file): keyed by the official graph hash;
  `(fixed_stats, computed_stats)` = `{module_adjacency, module_operations,
  trainable_parameters}`, `{epochs: [per repeat {halfway_*, final_*}]}`;
- nlp, `nb_nlp.pickle`: keyed by the NAS-Bench-NLP compact `(edges, ops, hiddens)`;
  `{train_losses, val_losses, test_losses, wall_times}`.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

from benchmarks.tabular_base import file_error

#: (module, name) globals NASLib's data pickles may name: numpy's array and scalar
#: reconstructors (under their numpy 1 and numpy 2 module paths) and plain containers
_ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset({
    *((core, name) for core in ("numpy.core.multiarray", "numpy._core.multiarray")
      for name in ("_reconstruct", "scalar")),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"),
})

LAYOUTS = ("nb201", "nb301", "nb101", "nlp")
_NB101_HASH = re.compile(r"^[0-9a-f]{32}$")


class _DataUnpickler(pickle.Unpickler):
    """The C unpickler, allowed only the globals of `_ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"it refers to {module}.{name}, which NASLib's data files do not hold (not "
                f"loaded: a pickle can run code)")
        if module.startswith("numpy.core."):  # numpy 2 moved numpy.core to numpy._core
            module = "numpy._core." + module[len("numpy.core."):]
        return super().find_class(module, name)


def read_data_pickle(path: Path) -> Any:
    """The object a NASLib data pickle holds; a one-line `ValueError` naming the file when it
    is not a complete pickle of plain data."""
    try:
        with path.open("rb") as f:
            head = f.read(2)
            if not head or head[0] != 0x80:  # protocol 2+ pickles start with PROTO
                what = "an empty file" if not head else "not a pickle (no protocol header)"
                raise file_error(path, f"{what}; expected a NASLib data pickle")
            f.seek(0)
            return _DataUnpickler(f).load()
    except ValueError:
        raise
    except EOFError:
        raise file_error(path, "truncated: the pickle ends early (an incomplete download?)"
                         ) from None
    except MemoryError:
        raise file_error(path, "out of memory while unpickling") from None
    except Exception as exc:  # pickle raises many kinds on damaged data
        problem = str(exc) or type(exc).__name__
        if "truncated" in problem:
            problem = "truncated: the pickle ends early (an incomplete download?)"
        raise file_error(path, f"not a readable NASLib data pickle: {problem}") from None


def detect_layout(path: Path, data: Any) -> str:
    """Which of `LAYOUTS` a loaded pickle holds, judged from its first entry."""
    if not isinstance(data, dict):
        raise file_error(path, f"expected a dict {{architecture key: record}} as NASLib's data "
                               f"files hold; got {type(data).__name__}")
    if not data:
        raise file_error(path, "holds no architectures (an empty dict)")
    key, record = next(iter(data.items()))
    if isinstance(key, str) and key.startswith("|"):
        return "nb201"
    if isinstance(key, str) and _NB101_HASH.match(key):
        return "nb101"
    if isinstance(key, tuple) and len(key) == 2:
        return "nb301"
    if isinstance(key, tuple) and len(key) == 3:
        return "nlp"
    shown = repr(key)
    if len(shown) > 80:
        shown = shown[:80] + "..."
    raise file_error(path, f"unknown layout: the first key is {shown} ({type(key).__name__}); "
                           f"NASLib's files are keyed by NB201 arch strings, NB101 graph hashes, "
                           f"DARTS compacts or NAS-Bench-NLP compacts")
