"""Image datasets for live training, held whole as tensors (the trainer moves them to its device).

`load_dataset(name, root=None, download=False)`:

| name | train / val / test | image |
|---|---|---|
| `shapes10` (default) | 10,000 / 2,000 / 2,000 | 3x8x8 |
| `digits` | 512 / 256 / 256 | 1x8x8 |
| `cifar10`, `cifar100` | 50,000 / 5,000 / 5,000 | 3x32x32 |
| `imagenet16-120` | 151,700 / 3,000 / 3,000 | 3x16x16 |

Sources: `shapes10` is an embedded procedural task (`benchmarks/procedural.py`), no download;
`digits` is scikit-learn's bundled digits (tests, smoke runs); CIFAR comes through torchvision
(`pip install predbench[cifar]`; downloads only with `download=True`); `imagenet16-120` reads
the official ImageNet16 pickles (`train_data_batch_1..10`, `val_data`) under `root`.

Validation/test of CIFAR and ImageNet16-120 are the two halves of the official test set under a
fixed permutation (seed 0), as NAS-Bench-201 splits them for `cifar100` and `ImageNet16-120`.
Channels are standardised with the training split's statistics.
"""

from __future__ import annotations

import functools
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmarks import procedural
from benchmarks.base import check_batch_args

DEFAULT_DATASET = procedural.NAME
DATASETS = (DEFAULT_DATASET, "digits", "cifar10", "cifar100", "imagenet16-120")
#: image side of each dataset (known without loading it)
IMAGE_SIZES = {DEFAULT_DATASET: 8, "digits": 8, "cifar10": 32, "cifar100": 32,
               "imagenet16-120": 16}


@dataclass(frozen=True, eq=False)
class ImageData:
    """A dataset split three ways, as CPU float tensors [N, C, H, W] and int64 labels."""

    name: str
    num_classes: int
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.x_train.shape[-1])

    def batch(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`n` training images drawn without replacement by `seed` (for zero-cost proxies)."""
        n, seed = check_batch_args(n, seed, int(self.x_train.shape[0]))
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(self.x_train.shape[0], generator=g)[:n]
        return self.x_train[idx].clone(), self.y_train[idx].clone()


def _standardised(name: str, num_classes: int, parts: dict[str, tuple[np.ndarray, np.ndarray]]
                  ) -> ImageData:
    x_train = parts["train"][0].astype(np.float32)
    mean = x_train.mean(axis=(0, 2, 3), keepdims=True)
    std = x_train.std(axis=(0, 2, 3), keepdims=True) + 1e-8
    t = {}
    for split, (x, y) in parts.items():
        t["x_" + split] = torch.from_numpy(((x.astype(np.float32) - mean) / std).copy())
        t["y_" + split] = torch.from_numpy(np.asarray(y, dtype=np.int64).copy())
    return ImageData(name=name, num_classes=num_classes, **t)


def _cache_dir() -> Path:
    return Path(os.environ.get("PREDBENCH_CACHE", Path.home() / ".cache" / "predbench"))


def _load_shapes() -> ImageData:
    # rendering takes ~2 s; a cached copy (10 MB, keyed by the generator's constants) loads in ms
    key = (f"{procedural.NAME}-{procedural.ROOT_SEED}-{procedural.IMAGE_SIZE}-"
           f"{procedural.NOISE}-{sum(procedural.SPLIT_SIZES.values())}-v1.npz")
    path = _cache_dir() / key
    parts = None
    if path.exists():
        try:
            with np.load(path) as f:
                parts = {s: (f["x_" + s], f["y_" + s]) for s in procedural.SPLIT_SIZES}
        except (OSError, ValueError, KeyError):
            parts = None  # a broken cache is regenerated, never trusted
    if parts is None:
        parts = procedural.splits()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, **{f"{k}_{s}": v for s, (x, y) in parts.items()
                             for k, v in (("x", x), ("y", y))})
            os.replace(tmp, path)
        except OSError:
            pass  # read-only home: just regenerate next time
    # the generator already standardises by the train split; keep its arrays as they are
    t = {}
    for s, (x, y) in parts.items():
        t["x_" + s] = torch.from_numpy(np.array(x, dtype=np.float32))
        t["y_" + s] = torch.from_numpy(np.array(y, dtype=np.int64))
    return ImageData(name=procedural.NAME, num_classes=procedural.NUM_CLASSES, **t)


def _load_digits() -> ImageData:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None]  # [1797, 1, 8, 8]
    perm = np.random.default_rng(0).permutation(len(x))
    idx = {"train": perm[:512], "val": perm[512:768], "test": perm[768:1024]}
    return _standardised("digits", 10, {s: (x[i], d.target[i]) for s, i in idx.items()})


def _halves(x: np.ndarray, y: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    perm = np.random.default_rng(0).permutation(len(x))
    half = len(x) // 2
    return {"val": (x[perm[:half]], y[perm[:half]]), "test": (x[perm[half:]], y[perm[half:]])}


def _to_chw(images: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, C] -> float32 [N, C, H, W] in 0..1."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2)).astype(np.float32) / 255.0


def _load_cifar(name: str, root: Path, download: bool) -> ImageData:
    try:
        import torchvision
    except ImportError:
        raise ImportError(f"dataset {name!r} needs torchvision: pip install 'predbench[cifar]'"
                          ) from None
    cls = torchvision.datasets.CIFAR10 if name == "cifar10" else torchvision.datasets.CIFAR100
    try:
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=download)
    except RuntimeError as exc:  # torchvision: "Dataset not found or corrupted"
        raise FileNotFoundError(f"{name} not found under {root} ({exc}); pass --download to "
                                f"fetch it") from None
    parts = {"train": (_to_chw(train.data), np.asarray(train.targets))}
    parts.update(_halves(_to_chw(test.data), np.asarray(test.targets)))
    return _standardised(name, 10 if name == "cifar10" else 100, parts)


def _load_imagenet16(root: Path, num_classes: int = 120) -> ImageData:
    def read(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for f in files:
            if not f.exists():
                raise FileNotFoundError(
                    f"ImageNet16-{num_classes}: {f} not found; put the official ImageNet16 "
                    f"files (train_data_batch_1..10, val_data) under {root}")
            with open(f, "rb") as fh:
                entry = pickle.load(fh, encoding="latin1")
            xs.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 16, 16))
            ys.append(np.asarray(entry["labels"], dtype=np.int64) - 1)  # files are 1-based
        x, y = np.concatenate(xs), np.concatenate(ys)
        keep = y < num_classes  # ImageNet16-120 = the first 120 classes
        return x[keep].astype(np.float32) / 255.0, y[keep]

    parts = {"train": read([root / f"train_data_batch_{i}" for i in range(1, 11)])}
    parts.update(_halves(*read([root / "val_data"])))
    return _standardised(f"imagenet16-{num_classes}", num_classes, parts)


@functools.lru_cache(maxsize=4)
def _load(name: str, root: str, download: bool) -> ImageData:
    if name == DEFAULT_DATASET:
        return _load_shapes()
    if name == "digits":
        return _load_digits()
    if name in ("cifar10", "cifar100"):
        return _load_cifar(name, Path(root), download)
    if name == "imagenet16-120":
        return _load_imagenet16(Path(root))
    raise ValueError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}")


def load_dataset(name: str = DEFAULT_DATASET, root: str | Path | None = None,
                 download: bool = False) -> ImageData:
    """The dataset `name` (see the module table), cached per process. `root` is where CIFAR /
    ImageNet16 files live (default `~/.cache/predbench/data`); CIFAR is downloaded there only
    when `download` is true."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}")
    root = Path(root) if root is not None else _cache_dir() / "data"
    return _load(name, str(root), bool(download))
