"""Token datasets for live training of the token spaces (`nlp`), held whole as int64 streams.

`load_text_dataset(name, root=None)`:

| name | source | vocabulary |
|---|---|---|
| `synthtext` (default) | embedded, procedural: 100k / 10k / 10k tokens | 96 |
| `wikitext2` | your copy under `root` | 33,278 (the standard preprocessing) |
| `ptb` | your copy under `root` | 10,000 |

Nothing is downloaded. For `wikitext2` and `ptb`, `root` is a folder with the three splits as
the language-modelling code of the field names them: `train.txt`, `valid.txt`, `test.txt`
(AWD-LSTM's `getdata.sh`, the NAS-Bench-NLP release), or WikiText-2's own `wiki.train.tokens`,
`wiki.valid.tokens`, `wiki.test.tokens`, or PTB's `ptb.train.txt`, `ptb.valid.txt`,
`ptb.test.txt`. Tokenisation is the release's (`data.py`): each line split on whitespace plus an
`<eos>` token, the vocabulary built over train, then validation, then test, in order of first
appearance.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmarks import procedural_text
from benchmarks.base import check_batch_args
from search_spaces.base import check_int

DEFAULT_TEXT_DATASET = procedural_text.NAME
TEXT_DATASETS = (DEFAULT_TEXT_DATASET, "wikitext2", "ptb")
#: sequence length of the minibatches `batch` draws (zero-cost proxies): the bptt the
#: NAS-Bench-NLP release evaluates with is 70; half of it keeps one proxy pass cheap
BATCH_SEQ_LEN = 35
_FILE_NAMES = (("train.txt", "valid.txt", "test.txt"),
               ("wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"),
               ("ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"))


@dataclass(frozen=True, eq=False)
class TextData:
    """A token stream split three ways (int64 CPU tensors) and its vocabulary size."""

    name: str
    vocab_size: int
    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor

    @property
    def num_classes(self) -> int:
        """The network's output size: the vocabulary."""
        return self.vocab_size

    def batch(self, n: int, seed: int, seq_len: int = BATCH_SEQ_LEN
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """`n` training windows at seeded random offsets, batch-first: inputs x [n, seq_len]
        and next-token targets y [n, seq_len] (y[:, t] follows x[:, t])."""
        n, seed = check_batch_args(n, seed)
        seq_len = check_int(seq_len, "seq_len", 1)
        limit = int(self.train.numel()) - seq_len - 1
        if limit < 0:
            raise ValueError(f"batch needs a training stream longer than seq_len={seq_len} "
                             f"tokens, got {self.train.numel()} tokens")
        g = torch.Generator().manual_seed(seed)
        starts = torch.randint(0, limit + 1, (n,), generator=g)
        idx = starts[:, None] + torch.arange(seq_len + 1)
        windows = self.train[idx]
        return windows[:, :-1].clone(), windows[:, 1:].clone()


def _synthtext() -> TextData:
    parts = procedural_text.splits()
    t = {k: torch.from_numpy(v.copy()) for k, v in parts.items()}
    return TextData(DEFAULT_TEXT_DATASET, procedural_text.VOCAB, t["train"], t["val"], t["test"])


def _split_files(name: str, root: Path) -> tuple[Path, Path, Path]:
    if not root.is_dir():
        raise FileNotFoundError(f"dataset {name}: {root} is not a folder; give the folder that "
                                f"holds train.txt, valid.txt and test.txt")
    for names in _FILE_NAMES:
        paths = tuple(root / f for f in names)
        if all(p.is_file() for p in paths):
            return paths  # type: ignore[return-value]
    raise FileNotFoundError(f"dataset {name}: {root} holds none of the split layouts "
                            f"(train.txt/valid.txt/test.txt, wiki.*.tokens, ptb.*.txt)")


def read_corpus(name: str, root: str | Path) -> TextData:
    """The release's tokenisation of the three split files under `root` (module docstring)."""
    vocab: dict[str, int] = {}
    streams = []
    for path in _split_files(name, Path(root)):
        ids: list[int] = []
        try:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    for word in line.split() + ["<eos>"]:
                        ids.append(vocab.setdefault(word, len(vocab)))
        except UnicodeDecodeError:
            raise ValueError(f"dataset {name}: {path} is not UTF-8 text") from None
        if len(ids) < 2:
            raise ValueError(f"dataset {name}: {path} is empty")
        streams.append(torch.tensor(ids, dtype=torch.int64))
    return TextData(name, len(vocab), *streams)


@functools.lru_cache(maxsize=4)
def _load(name: str, root: str | None) -> TextData:
    if name == DEFAULT_TEXT_DATASET:
        return _synthtext()
    if root is None:
        raise ValueError(f"dataset {name} is read from your copy: give its folder (--data-root; "
                         f"train.txt, valid.txt, test.txt); nothing is downloaded")
    return read_corpus(name, root)


def load_text_dataset(name: str = DEFAULT_TEXT_DATASET, root: str | Path | None = None
                      ) -> TextData:
    """The token dataset `name` (see the module table), cached per process."""
    if name not in TEXT_DATASETS:
        raise ValueError(f"unknown text dataset {name!r}; expected one of: "
                         f"{', '.join(TEXT_DATASETS)}")
    return _load(name, None if root is None else str(Path(root).resolve()))


def stream_stats(data: TextData) -> dict[str, float]:
    """Token counts and the unigram entropy (nats) of the training stream: the loss a model
    that ignores context can reach, a floor for a sanity check."""
    counts = np.bincount(data.train.numpy(), minlength=data.vocab_size).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return {"train": int(data.train.numel()), "val": int(data.val.numel()),
            "test": int(data.test.numel()), "unigram_entropy": float(-(p * np.log(p)).sum())}
