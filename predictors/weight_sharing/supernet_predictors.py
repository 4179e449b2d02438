"""Weight-sharing predictors (family `weight_sharing`): train one supernet, score an arch by the
supernet's validation accuracy with only that arch's ops.

- `oneshot`: the one-shot model of Bender et al. ("Understanding and Simplifying One-Shot
  Architecture Search", ICML 2018): every edge holds all candidate ops and outputs their sum; it
  is trained with all ops active on every step. (Bender et al. also drop paths during training;
  this is the plain all-ops model.)
- `rsws`: random-sampling weight sharing (Li & Talwalkar, "Random Search and Reproducibility for
  Neural Architecture Search", UAI 2019): each training step samples one architecture uniformly
  and trains only its path.

`fit(archs, y, ctx)` ignores archs and y: it trains the supernet on `ctx.data` (the benchmark's
images) for `epochs` epochs over a fixed `data_fraction` of the training split; those two are the
init budget, and fit's measured compute seconds are the init time (`fit_info_` has the numbers).
`query(archs, ctx)` = accuracy in percent on `val_samples` fixed validation images (all when
None) of the supernet restricted to each arch, after re-estimating the path's BatchNorm
statistics on `bn_batches` training batches (0: use the supernet's running statistics as
trained). Every arch is scored from the same trained weights and the same batches, so scores do
not depend on query order. Seeds come from `ctx.seed` (or the `seed` parameter).

Defaults are CPU-cheap: on the default benchmark (10k 8x8 images) one fit took 15 compute
seconds (`oneshot`, 6 epochs) and 13 (`rsws`, 16 epochs) on one thread, a query 0.01-0.02 s per
arch. Measured there on 200 reporting cells, seeds 100-102 (`studies/weight_sharing_accuracy.py`;
docs/results.md), Kendall tau with the final validation accuracy: `rsws` 0.33 with BatchNorm
re-estimation, 0.24 without (0.38 / 0.39 at 3x epochs); plain `oneshot` does not rank (-0.05 with
re-estimation; without it, as by default, most paths score the same accuracy).

`save(path)` / `WeightSharingPredictor.load(path)` (also `load_supernet`) round-trip the
trained supernet and its config; with `checkpoint` set, `fit` loads that file when it exists and
otherwise trains and writes it, so a sweep can reuse one supernet. A checkpoint must match:
same predictor, training hyperparameters (`epochs`, `data_fraction`, ...) and supernet layout,
and **the same seed** — it records the seed it was trained with (`fit_info["seed"]`), and a fit
with another seed (`ctx.seed`, or the `seed` parameter) raises a ValueError rather than silently
sharing one supernet across seeds. For a sweep over seeds put the placeholder `{seed}` in the
path (`checkpoint="runs/rsws_{seed}.pt"`): it is replaced by the fit's seed, so each seed trains
and then reuses its own supernet.

Loading is not free training: a fit from a checkpoint sets `reused_fit_seconds_` (see
`Predictor`) to the compute seconds the checkpoint's training took (recorded as
`fit_info["train_compute_seconds"]`, what `train_supernet` measured), and the evaluator charges
them on top of the load time, so a cell fitted from a checkpoint costs what training it did. A
checkpoint without that record (or without its seed) raises a ValueError: retrain it. A fit that
trains sets `reused_fit_seconds_` to 0.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import torch

from predictors.base import Context, Needs, Predictor, as_list, predictor_class, register_predictor
from predictors.weight_sharing._supernet import (
    arch_path,
    bn_buffers,
    build_supernet,
    check_space,
    dropout_path,
    path_accuracy,
    recalibrate_bn,
    restore_bn_buffers,
    sample_path,
    supernet_config,
)
from predictors.weight_sharing._training import TrainSettings, train_supernet

FORMAT = "predbench-supernet"
#: in a `checkpoint` path, replaced by the fit's seed (one supernet file per seed)
SEED_PLACEHOLDER = "{seed}"
#: hyperparameters that change the trained supernet (a checkpoint must agree on them)
_TRAINING_PARAMS = ("epochs", "data_fraction", "preset", "batch_size", "lr", "momentum",
                    "weight_decay", "grad_clip", "augment", "drop_prob")


class WeightSharingPredictor(Predictor):
    """Shared fit / query / save / load of the supernet predictors. Subclasses say what each
    training step trains (`_path_chooser`)."""

    family: ClassVar[str] = "weight_sharing"
    needs: ClassVar[Needs] = Needs(network=True, images=True)
    #: fitted state (set by `fit` / `load`); class-level so that `__init__` does no work
    supernet_: torch.nn.Module | None = None
    config_: dict[str, Any] | None = None
    fit_info_: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, epochs: int = 8, data_fraction: float = 1.0, preset: str | None = None,
                 batch_size: int = 128, lr: float = 0.05, momentum: float = 0.9,
                 weight_decay: float = 5e-4, grad_clip: float = 5.0, augment: bool = True,
                 bn_batches: int = 2, bn_batch_size: int = 128, val_samples: int | None = 500,
                 checkpoint: str | None = None, seed: int | None = None):
        self.epochs = epochs
        self.data_fraction = data_fraction
        self.preset = preset
        self.batch_size = batch_size
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.augment = augment
        self.bn_batches = bn_batches
        self.bn_batch_size = bn_batch_size
        self.val_samples = val_samples
        self.checkpoint = checkpoint
        self.seed = seed
        self._check_params()

    # -- checks ------------------------------------------------------------------------------
    def _check_params(self) -> None:
        def fail(what: str, value: Any) -> ValueError:
            return ValueError(f"predictor {self.name!r}: {what}, got {value!r}")

        if not _is_int(self.epochs) or self.epochs < 1:
            raise fail("epochs must be an integer >= 1", self.epochs)
        if not isinstance(self.data_fraction, (int, float)) or not 0 < self.data_fraction <= 1:
            raise fail("data_fraction must be in (0, 1]", self.data_fraction)
        if not _is_int(self.batch_size) or self.batch_size < 2:
            raise fail("batch_size must be an integer >= 2 (BatchNorm needs 2 images)",
                       self.batch_size)
        for field in ("lr", "momentum", "weight_decay", "grad_clip"):
            value = getattr(self, field)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise fail(f"{field} must be a finite number >= 0", value)
        if self.lr <= 0:
            raise fail("lr must be > 0", self.lr)
        if not _is_int(self.bn_batches) or self.bn_batches < 0:
            raise fail("bn_batches must be an integer >= 0 (0 turns re-estimation off)",
                       self.bn_batches)
        if not _is_int(self.bn_batch_size) or self.bn_batch_size < 2:
            raise fail("bn_batch_size must be an integer >= 2", self.bn_batch_size)
        if self.val_samples is not None and (not _is_int(self.val_samples)
                                             or self.val_samples < 1):
            raise fail("val_samples must be an integer >= 1 or None (all)", self.val_samples)
        if self.preset is not None and not isinstance(self.preset, str):
            raise fail("preset must be a preset name or None", self.preset)

    def _data(self, ctx: Context) -> Any:
        check_space(ctx.space)
        data = ctx.data
        if data is None:
            raise ValueError(
                f"predictor {self.name!r} trains a supernet on the benchmark's images, but this "
                f"benchmark has no images (Context.data is None); use a live or the default "
                f"benchmark")
        for split in ("x_train", "y_train", "x_val", "y_val"):
            if getattr(data, split, None) is None:
                raise ValueError(f"predictor {self.name!r}: Context.data has no {split}")
        if data.x_train.dim() != 4:
            raise ValueError(f"predictor {self.name!r} needs images [N, C, H, W], got x_train "
                             f"of shape {tuple(data.x_train.shape)}")
        return data

    def _seed(self, ctx: Context) -> int:
        return int(ctx.seed if self.seed is None else self.seed)

    # -- init routine --------------------------------------------------------------------------
    def _path_chooser(self, space: Any, seed: int):
        """progress in [0, 1) -> the path to train on that step (None = all ops)."""
        raise NotImplementedError

    def fit(self, archs: Sequence[Any], y: np.ndarray, ctx: Context) -> WeightSharingPredictor:
        """Train the supernet on `ctx.data` (archs and y are not used: a supernet needs no
        labelled archs). With `checkpoint` naming an existing file (after `{seed}` is replaced
        by the fit's seed), load it instead: it must have been trained with this seed, and
        `reused_fit_seconds_` becomes the compute seconds its training took."""
        self._check_params()
        self.reused_fit_seconds_ = 0.0
        data = self._data(ctx)
        config = supernet_config(ctx.space, self.preset, ctx.num_classes,
                                 int(data.x_train.shape[1]))
        seed = self._seed(ctx)
        checkpoint = self.checkpoint_path(seed)
        if checkpoint is not None and checkpoint.exists():
            start = time.perf_counter()
            self._adopt(load_supernet(checkpoint), config, seed, checkpoint)
            self.fit_info_["loaded_from"] = str(checkpoint)
            self.fit_info_["load_compute_seconds"] = time.perf_counter() - start
            return self
        device = torch.device(ctx.device)
        cuda = [torch.cuda.current_device() if device.index is None else device.index] \
            if device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)  # the supernet's init, without touching the caller's RNG
            net = build_supernet(config)
            settings = TrainSettings(int(self.epochs), float(self.data_fraction),
                                     int(self.batch_size), float(self.lr), float(self.momentum),
                                     float(self.weight_decay), float(self.grad_clip),
                                     bool(self.augment))
            info = train_supernet(net, data, settings, self._path_chooser(ctx.space, seed),
                                  seed, device)
        self.supernet_, self.config_ = net, config
        self.fit_info_ = {**info, "seed": seed, "loaded_from": None}
        if checkpoint is not None:
            self.save(checkpoint)
        return self

    def checkpoint_path(self, seed: int) -> Path | None:
        """The `checkpoint` file a fit with `seed` reads or writes (None when unset)."""
        if self.checkpoint is None:
            return None
        return Path(str(self.checkpoint).replace(SEED_PLACEHOLDER, str(int(seed))))

    # -- query routine --------------------------------------------------------------------------
    def query(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        """Validation accuracy (percent) of the supernet restricted to each arch."""
        self._check_params()
        if self.supernet_ is None or self.config_ is None:
            raise ValueError(f"predictor {self.name!r} has no supernet yet: call fit (or load) "
                             f"first")
        data = self._data(ctx)
        if ctx.space.name != self.config_["space"]:
            raise ValueError(f"predictor {self.name!r} holds a {self.config_['space']} supernet; "
                             f"cannot query archs of space {ctx.space.name!r}")
        archs = as_list(archs)
        paths = [arch_path(ctx.space, a) for a in archs]
        device = torch.device(ctx.device)
        net = self.supernet_.to(device).to(memory_format=torch.channels_last).eval()
        seed = self._seed(ctx)
        x_val, y_val = _val_subset(data, self.val_samples, seed)
        x_val, y_val = _channels_last(x_val.to(device)), y_val.to(device)
        bn = [_channels_last(x) for x in
              _bn_batches(data, int(self.bn_batches), int(self.bn_batch_size), seed, device)]
        saved = bn_buffers(net) if bn else None
        out = np.empty(len(paths), dtype=float)
        try:
            for i, path in enumerate(paths):
                if bn:
                    recalibrate_bn(net, path, bn)
                out[i] = path_accuracy(net, path, x_val, y_val)
                if saved is not None:
                    restore_bn_buffers(net, saved)  # the next arch starts from the trained stats
        finally:
            if saved is not None:
                restore_bn_buffers(net, saved)
        return out

    # -- persistence ------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the trained supernet (state dict) and its config (JSON-able: predictor name and
        hyperparameters, supernet layout, fit facts) to `path`, atomically."""
        if self.supernet_ is None or self.config_ is None:
            raise ValueError(f"predictor {self.name!r} has no supernet to save: call fit first")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {"format": FORMAT, "version": 1, "predictor": self.name,
                  "params": self.get_params(), "supernet": dict(self.config_),
                  "fit_info": {k: v for k, v in self.fit_info_.items()
                               if isinstance(v, (int, float, str, type(None)))},
                  "torch": torch.__version__}
        json.dumps(config)  # fail here, not at load time, if something is not JSON-able
        state = {k: v.detach().cpu() for k, v in self.supernet_.state_dict().items()}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        torch.save({"config": json.dumps(config), "state_dict": state}, tmp)
        os.replace(tmp, path)  # sweep workers sharing a checkpoint never read half a file
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> WeightSharingPredictor:
        """The predictor saved at `path`, ready to query (`OneShot.load` insists on a one-shot
        file; `WeightSharingPredictor.load` takes either)."""
        loaded = load_supernet(path)
        if not isinstance(loaded, cls):
            raise ValueError(f"{path} holds a {loaded.name!r} supernet, not {cls.__name__}")
        return loaded

    def _adopt(self, loaded: WeightSharingPredictor, expected: dict[str, Any], seed: int,
               path: Path) -> None:
        """Take over a loaded supernet if it is the one this fit would train (same predictor,
        layout, training budget and seed), charging the compute seconds its training took."""
        if loaded.name != self.name:
            raise ValueError(f"checkpoint {path} holds a {loaded.name!r} supernet, "
                             f"not {self.name!r}")
        ours, theirs = self.get_params(), loaded.get_params()
        differ = sorted(k for k in _TRAINING_PARAMS if ours.get(k) != theirs.get(k))
        if differ:
            theirs_text = ", ".join(f"{k}={theirs.get(k)!r}" for k in differ)
            raise ValueError(f"checkpoint {path} was trained with other "
                             f"{', '.join(differ)} ({theirs_text})")
        if loaded.config_ != expected:
            raise ValueError(f"checkpoint {path} holds a supernet {loaded.config_}, "
                             f"but this fit needs {expected}")
        recorded_seed = loaded.fit_info_.get("seed")
        if not _is_int(recorded_seed):
            raise ValueError(f"checkpoint {path} does not record the seed its supernet was "
                             f"trained with; delete it to retrain")
        if int(recorded_seed) != int(seed):
            hint = "" if SEED_PLACEHOLDER in str(self.checkpoint) else (
                f"; put {SEED_PLACEHOLDER} in the checkpoint path for one supernet per seed")
            raise ValueError(f"checkpoint {path} was trained with seed {recorded_seed}, but this "
                             f"fit has seed {seed}{hint}")
        seconds = loaded.fit_info_.get("train_compute_seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
                or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"checkpoint {path} does not record the compute seconds its "
                             f"training took (fit_info 'train_compute_seconds'), so a fit from "
                             f"it cannot be charged; delete it to retrain")
        self.supernet_, self.config_ = loaded.supernet_, loaded.config_
        self.fit_info_ = dict(loaded.fit_info_)
        self.reused_fit_seconds_ = float(seconds)


def load_supernet(path: str | os.PathLike) -> WeightSharingPredictor:
    """Rebuild a saved weight-sharing predictor (its class, hyperparameters and trained
    supernet) from `path`."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"no supernet file at {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        config = json.loads(blob["config"])
        state = blob["state_dict"]
    except Exception as exc:  # any error: any unreadable file gets one clear line
        raise ValueError(f"{path} is not a saved supernet ({type(exc).__name__}: {exc})"
                         ) from None
    if config.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved supernet (format {config.get('format')!r})")
    cls = predictor_class(config["predictor"])
    predictor = cls(**config["params"])
    net = build_supernet(config["supernet"])
    net.load_state_dict(state)
    predictor.supernet_ = net.eval()
    predictor.config_ = config["supernet"]
    predictor.fit_info_ = dict(config.get("fit_info", {}))
    return predictor


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last)


def _val_subset(data: Any, n: int | None, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` validation images drawn without replacement by `seed` (all of them when None)."""
    total = int(data.x_val.shape[0])
    if n is None or n >= total:
        return data.x_val, data.y_val
    g = torch.Generator().manual_seed(int(seed) + 1)
    idx = torch.randperm(total, generator=g)[:int(n)]
    return data.x_val[idx], data.y_val[idx]


def _bn_batches(data: Any, count: int, batch_size: int, seed: int, device: torch.device
                ) -> list[torch.Tensor]:
    """`count` un-augmented training batches, the same for every queried arch."""
    if count == 0:
        return []
    n = int(data.x_train.shape[0])
    bs = min(batch_size, n)
    g = torch.Generator().manual_seed(int(seed) + 2)
    idx = torch.randperm(n, generator=g)
    idx = idx.repeat(math.ceil(count * bs / n))  # a tiny split: reuse images
    return [data.x_train[idx[i * bs:(i + 1) * bs]].to(device) for i in range(count)]


@register_predictor
class OneShot(WeightSharingPredictor):
    """One-shot supernet (Bender et al. 2018): all candidate ops summed on every edge, all
    trained on every step; an arch is scored by keeping only its ops.

    `drop_prob` > 0 adds path dropout during training (in the spirit of Bender et al.'s scheduled
    path dropout, simplified): each op of each edge is dropped with a probability ramped
    linearly from 0 to `drop_prob` over training, each edge keeping at least one op. The default
    0 is the plain all-ops model.

    BatchNorm re-estimation is off by default here (`bn_batches=0`): on the tuning split of the
    shipped default benchmark it hurt the one-shot model (Kendall tau -0.14 with 2 batches vs
    0.01 without, 10 seeds; `studies/tune_defaults.py`), while it helps `rsws` (0.37 vs 0.26)."""

    name: ClassVar[str] = "oneshot"

    def __init__(self, epochs: int = 6, data_fraction: float = 1.0, preset: str | None = None,
                 batch_size: int = 128, lr: float = 0.05, momentum: float = 0.9,
                 weight_decay: float = 5e-4, grad_clip: float = 5.0, augment: bool = True,
                 bn_batches: int = 0, bn_batch_size: int = 128, val_samples: int | None = 500,
                 checkpoint: str | None = None, seed: int | None = None,
                 drop_prob: float = 0.0):
        self.drop_prob = drop_prob
        super().__init__(epochs, data_fraction, preset, batch_size, lr, momentum, weight_decay,
                         grad_clip, augment, bn_batches, bn_batch_size, val_samples, checkpoint,
                         seed)

    def _check_params(self) -> None:
        super()._check_params()
        if not isinstance(self.drop_prob, (int, float)) or not 0 <= self.drop_prob < 1:
            raise ValueError(f"predictor {self.name!r}: drop_prob must be in [0, 1), got "
                             f"{self.drop_prob!r}")

    def _path_chooser(self, space: Any, seed: int):
        if self.drop_prob == 0:
            return lambda progress: None
        rng = np.random.default_rng(seed)
        return lambda progress: dropout_path(space, rng, float(self.drop_prob) * progress)


@register_predictor
class RandomSamplingWS(WeightSharingPredictor):
    """Random-sampling weight sharing (Li & Talwalkar 2019): one uniformly random architecture's
    path trained per step. Cheaper per step than `oneshot`, so its default budget has more
    epochs (each path sees few updates)."""

    name: ClassVar[str] = "rsws"

    def __init__(self, epochs: int = 16, data_fraction: float = 1.0, preset: str | None = None,
                 batch_size: int = 128, lr: float = 0.05, momentum: float = 0.9,
                 weight_decay: float = 5e-4, grad_clip: float = 5.0, augment: bool = True,
                 bn_batches: int = 2, bn_batch_size: int = 128, val_samples: int | None = 500,
                 checkpoint: str | None = None, seed: int | None = None):
        super().__init__(epochs, data_fraction, preset, batch_size, lr, momentum, weight_decay,
                         grad_clip, augment, bn_batches, bn_batch_size, val_samples, checkpoint,
                         seed)

    def _path_chooser(self, space: Any, seed: int):
        rng = np.random.default_rng(seed)
        return lambda progress: sample_path(space, rng)
