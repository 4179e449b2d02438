"""Real NAS-Bench-NLP curves shipped in the package: `load_benchmark("nlp")`.

No download and no `../shared`: `benchmarks/data/nlp_wikitext2.npz` (365 KB, built by
`scripts/build_nlp_wikitext2.py` from the release's logs; NAS-Bench-NLP, Klyuchnikov et al.
2020, Apache-2.0) holds 345 recurrent cells of the `nlp` space trained 50 epochs on WikiText-2
with the release's recipe (AWD-LSTM-style language model: embedding 400, hidden 600, 3 layers,
tied weights, batch 20, bptt 70, lr 0.001): per epoch the train, validation and test loss and
the wall-clock seconds the release recorded (GPU), plus each cell's parameter count.

Score convention (the paper's code's, NASLib): accuracy-like numbers are **100 - loss**: a
curve's `val_acc` is 100 - validation loss, `train_acc` 100 - train loss, `test_acc` 100 - the
final test loss; the losses themselves are `val_loss` / `train_loss`, and `perplexity(arch)`
gives exp(validation loss) per epoch.

The 345 logged recipes are fewer cells: recipes that differ only in node names or input order
are one cell of the space (its canonical form), trained more than once. Each cell's curve is the
mean of its finished runs (`runs(arch)` lists them). 341 runs finished; 4 diverged ("loss is
nan!", after 1 to 23 epochs). A cell whose every run diverged is kept as a failure: `failed()`
names it with its reason and `curve` returns what its run logged (NaN after), but `archs()`
holds only cells with a finished run, so that no predictor ever sees a diverged run as a label.

Minibatches (`batch(n, seed)`, for zero-cost proxies): the package holds **no WikiText-2 corpus**,
so a batch is **random tokens**, uniform over the 33,278-word vocabulary (`TokenBatches`): x and
y are int64 [n, SEQUENCE_LENGTH], batch-first, y[:, t] the token after x[:, t] (next-token
targets: both read from one random stream of length SEQUENCE_LENGTH + 1 per sequence). What a
proxy measures on them is how the untrained network treats token sequences, not text.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.base import Benchmark, Curve, check_batch_args, register_benchmark
from benchmarks.tabular_base import file_error
from search_spaces import Arch, get_search_space

DATA_FILE = Path(__file__).resolve().parent / "data" / "nlp_wikitext2.npz"
#: tokens per sequence of `batch`: 35, the truncated-backprop length of the classic WikiText-2 /
#: PTB language models (Zaremba et al. 2014; PyTorch's word_language_model) and half the release's
#: bptt 70 - long enough that gradients cross many recurrent steps, at half the cost per proxy
SEQUENCE_LENGTH = 35
DATASETS = ("wikitext2",)
_ALIASES = {"wikitext-2": "wikitext2", "WikiText-2": "wikitext2"}


class TokenBatches:
    """Random token minibatches: `batch(n, seed)` -> (x, y), int64 [n, seq_len] batch-first,
    tokens uniform over `num_classes` (the vocabulary), y[:, t] = x[:, t + 1] for t < seq_len - 1
    and y[:, -1] one more token of the same stream. Deterministic in `seed`; holds no corpus
    (there is none in the package) and nothing about any benchmark's labels."""

    def __init__(self, num_classes: int, seq_len: int = SEQUENCE_LENGTH) -> None:
        if int(num_classes) < 1 or int(seq_len) < 1:
            raise ValueError(f"token batches need a vocabulary and a sequence length >= 1, got "
                             f"{num_classes} and {seq_len}")
        self.num_classes = int(num_classes)
        self.seq_len = int(seq_len)

    def batch(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        n, seed = check_batch_args(n, seed)
        gen = torch.Generator().manual_seed(seed)
        stream = torch.randint(0, self.num_classes, (n, self.seq_len + 1), generator=gen,
                               dtype=torch.int64)
        return stream[:, :-1].contiguous(), stream[:, 1:].contiguous()


class NLPWikiText2Benchmark(Benchmark):
    """The shipped NAS-Bench-NLP WikiText-2 curves (see the module docstring). `data` holds
    only the random token minibatches (`TokenBatches`): there is no corpus to train on."""

    kind = "nlp"
    has_batches = True
    _SERIES = ("train_loss", "val_loss", "test_loss", "epoch_seconds")

    def __init__(self, data: dict[str, np.ndarray]) -> None:
        self.space = get_search_space("nlp")
        self.dataset = "wikitext2"
        self.path = DATA_FILE
        self.max_epochs = int(data["train_loss"].shape[1])
        self.meta: dict[str, Any] = json.loads(str(data["meta"]))
        self._data = data
        # several logged recipes are one cell (they differ only in node names or input order):
        # each cell's runs, in recipe-id order
        self._runs: dict[Arch, list[int]] = {}
        for row, text in enumerate(data["recipe"]):
            self._runs.setdefault(self.space.parse(str(text)), []).append(row)
        ok = data["status"] == "OK"
        self._finished = {a: [r for r in rows if ok[r]] for a, rows in self._runs.items()}
        self._archs = [a for a, rows in self._finished.items() if rows]
        self._failed = {a: str(data["status"][rows[0]]) for a, rows in self._runs.items()
                        if not self._finished[a]}
        # per cell: the mean over its finished runs (a failed-only cell: its first run as logged)
        self._mean = {name: np.stack([data[name][self._finished[a] or rows[:1]].mean(axis=0)
                                      for a, rows in self._runs.items()])
                      for name in self._SERIES}
        self._index = {a: i for i, a in enumerate(self._runs)}
        self.data = TokenBatches(self.space.default_num_classes)

    # -- Benchmark ------------------------------------------------------------------------------
    def archs(self) -> list[Arch]:
        return list(self._archs)

    def __len__(self) -> int:
        return len(self._archs)

    def _holds(self, arch: Arch) -> bool:
        return arch in self._index

    def curve(self, arch: Arch | str) -> Curve:
        i = self._cell(arch)
        m = {name: values[i] for name, values in self._mean.items()}
        final_test = float(m["test_loss"][-1])
        return Curve(train_loss=m["train_loss"], train_acc=100.0 - m["train_loss"],
                     val_loss=m["val_loss"], val_acc=100.0 - m["val_loss"],
                     epoch_seconds=m["epoch_seconds"],
                     test_acc=None if math.isnan(final_test) else 100.0 - final_test)

    def final_val_acc(self, archs: Iterable[Arch | str] | None = None) -> np.ndarray:
        chosen = self._archs if archs is None else list(archs)
        rows = np.fromiter((self._cell(a) for a in chosen), dtype=np.int64)
        return 100.0 - self._mean["val_loss"][rows, -1]

    def batch(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """n random token sequences (x, y), int64 [n, SEQUENCE_LENGTH]; see `TokenBatches`."""
        return self.data.batch(n, seed)

    # -- this source's extras ---------------------------------------------------------------
    def _cell(self, arch: Arch | str) -> int:
        key = self._as_arch(arch)
        try:
            return self._index[key]
        except KeyError:
            raise KeyError(f"cell {self.space.format(key)} is not in {self.kind} benchmark "
                           f"({self.describe()})") from None

    def runs(self, arch: Arch | str) -> list[int]:
        """Rows of the shipped file (release recipe ids: `recipe_ids()[row]`) trained for this
        cell, finished or not; the curve is the mean of the finished ones."""
        self._cell(arch)
        return list(self._runs[self._as_arch(arch)])

    def recipe_ids(self) -> np.ndarray:
        """The release's recipe id of each row of the shipped file."""
        return self._data["recipe_id"].copy()

    def failed(self) -> dict[Arch, str]:
        """Cells none of whose runs finished, with the reason the release logged."""
        return dict(self._failed)

    def perplexity(self, arch: Arch | str) -> np.ndarray:
        """Validation perplexity per epoch, exp(validation loss) of the curve."""
        return np.exp(self._mean["val_loss"][self._cell(arch)])

    def num_params(self, arch: Arch | str) -> int:
        """Parameters of the release's model with this cell, as its log recorded them."""
        return int(self._data["num_params"][self.runs(arch)[0]])

    def describe(self) -> str:
        return (f"shipped NAS-Bench-NLP WikiText-2 ({len(self._archs)} cells with a finished "
                f"run, {len(self._failed)} only diverged; 50 epochs)")


@functools.lru_cache(maxsize=1)
def _load_data() -> dict[str, np.ndarray]:
    try:
        with np.load(DATA_FILE, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise file_error(DATA_FILE, "missing from the package (reinstall predbench)") from None
    except (OSError, ValueError) as exc:
        raise file_error(DATA_FILE, f"unreadable: {exc}") from None
    for array in data.values():
        array.setflags(write=False)
    return data


@register_benchmark("nlp")
def load_nlp(dataset: str = "wikitext2") -> NLPWikiText2Benchmark:
    """The real NAS-Bench-NLP curves shipped with predbench; `dataset`: "wikitext2"."""
    name = _ALIASES.get(dataset, dataset)
    if name not in DATASETS:
        raise ValueError(f"no shipped NAS-Bench-NLP data for dataset {dataset!r}; expected one "
                         f"of: {', '.join(DATASETS)}")
    return NLPWikiText2Benchmark(_load_data())
