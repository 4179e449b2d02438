"""Training recipes: each benchmark's own hyperparameters, as data.

A `Recipe` is a frozen dataclass; `recipe.hash` (sha256 of its sorted JSON, 12 hex digits) keys
the run store, so changing any field (epochs included) is a different ground truth.

Sources of the three benchmark recipes:
- `nb201`: NAS-Bench-201 (Dong & Yang 2020), its config `LESS.config`/`CIFAR.config`: SGD,
  momentum 0.9, Nesterov, lr 0.1 decayed by cosine per epoch to 0, weight decay 5e-4, batch 256,
  cross-entropy, random crop (pad 4) + horizontal flip; 200 epochs.
- `nb101`: NAS-Bench-101 (Ying et al. 2019), `nasbench/lib/config.py` + `model_builder.py`:
  RMSProp (decay 0.9, momentum 0.9, epsilon 1.0), base lr 0.1 scaled by the 2 TPU shards it ran
  on (0.2), cosine decay per *step* to 0, L2 weight decay 1e-4, batch 256, 108 epochs, random
  crop (pad 4) + flip. TF's RMSProp adds epsilon inside the square root, torch's outside; with
  epsilon 1.0 the two differ slightly (documented, not emulated).
- `nlp`: NAS-Bench-NLP (Klyuchnikov et al. 2020), the release's `main_one_model_train.py` as its
  WikiText-2 logs record it: Adam lr 1e-3 (constant), weight decay 1.2e-6, batch 20, bptt 70
  (each step's length drawn as AWD-LSTM does: bptt, or bptt/2 with probability 0.05, plus
  N(0, 5), at least 5, the step's lr scaled by length/bptt), gradient clipping at norm 0.25,
  activation regularisation 2 and temporal activation regularisation 1 on the last layer, 50
  epochs; no image augmentation. The model's dropouts are the `nlp` space's preset, not the
  recipe's.
- `darts`: NAS-Bench-301 (Siems et al. 2020), `data_generation/configs/config_*.json`: SGD lr
  0.025, momentum 0.9, weight decay 3e-4, cosine annealing over 100 epochs to 1e-8, batch 96,
  cutout 16, auxiliary head (weight 0.4, the DARTS default), drop path 0.2 (ramped linearly per
  epoch as in DARTS), mixup alpha 0.2; gradient clipping at norm 5 from DARTS' `train.py` (the
  NB301 config does not list it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Recipe:
    """How to train one network. Learning rates follow `schedule`:
    "cosine_epoch" (constant within an epoch) or "cosine_step" (updated every step)."""

    name: str
    epochs: int
    batch_size: int
    optimizer: str = "sgd"            # "sgd" | "rmsprop" | "adam"
    lr: float = 0.1
    lr_min: float = 0.0
    schedule: str = "cosine_epoch"    # "cosine_epoch" | "cosine_step" | "constant"
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    rms_alpha: float = 0.9            # RMSProp decay
    rms_eps: float = 1.0
    crop_pad: int = 4                 # random crop after zero padding (0: off)
    flip: bool = True                 # random horizontal flip
    cutout: int = 0                   # side of the cutout square (0: off)
    mixup_alpha: float = 0.0
    label_smoothing: float = 0.0
    aux_weight: float = 0.0           # auxiliary-head loss weight (networks that have one)
    drop_path: float = 0.0            # final drop-path probability, ramped linearly per epoch
    grad_clip: float = 0.0            # max global gradient norm (0: off)
    # language models (token spaces); added later: left out of the hash at their defaults
    bptt: int = 0                     # mean truncated-backprop length (0: not a sequence recipe)
    activation_reg: float = 0.0       # AR: weight of mean(last layer's dropped output^2)
    temporal_activation_reg: float = 0.0  # TAR: weight of mean((h_t - h_{t-1})^2), last layer

    def __post_init__(self) -> None:
        if int(self.epochs) < 1 or int(self.batch_size) < 1:
            raise ValueError(f"recipe {self.name!r}: epochs and batch_size must be >= 1, got "
                             f"{self.epochs} and {self.batch_size}")
        if self.optimizer not in ("sgd", "rmsprop", "adam"):
            raise ValueError(f"recipe {self.name!r}: optimizer must be sgd, rmsprop or adam, "
                             f"got {self.optimizer!r}")
        if self.schedule not in ("cosine_epoch", "cosine_step", "constant"):
            raise ValueError(f"recipe {self.name!r}: schedule must be cosine_epoch, "
                             f"cosine_step or constant, got {self.schedule!r}")
        if int(self.bptt) < 0:
            raise ValueError(f"recipe {self.name!r}: bptt must be >= 0, got {self.bptt}")

    def to_dict(self) -> dict[str, Any]:
        """Every field, except those added after the first stores were written while they
        hold their defaults: an image recipe keeps the hash (the store key) it always had."""
        out = dataclasses.asdict(self)
        for name, default in _ADDED_LATER.items():
            if out[name] == default:
                del out[name]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """12 hex digits of sha256 over the sorted JSON of every field: stable across runs."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:12]

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some fields changed; unknown field names are a `ValueError`."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown recipe field(s) {', '.join(unknown)}; "
                             f"expected some of: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        return cls(**json.loads(text))

    def lr_at(self, epoch: int, step: int = 0, steps_per_epoch: int = 1) -> float:
        """Learning rate of `step` (0-based) within `epoch` (0-based).

        Cosine from `lr` to `lr_min`: per epoch, lr_e = min + (lr - min)(1 + cos(pi e / E)) / 2
        (epoch 0 uses the full lr, as torch's CosineAnnealingLR stepped once per epoch);
        per step, the same over t = epoch * steps_per_epoch + step of E * steps_per_epoch."""
        if self.schedule == "constant":
            return self.lr
        if self.schedule == "cosine_epoch":
            progress = epoch / self.epochs
        else:
            progress = (epoch * steps_per_epoch + step) / (self.epochs * steps_per_epoch)
        return self.lr_min + (self.lr - self.lr_min) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def drop_path_at(self, epoch: int) -> float:
        """DARTS ramps drop path linearly: prob * epoch / epochs (0-based epoch)."""
        return self.drop_path * epoch / self.epochs


#: fields added after stores keyed by recipe hashes existed, with their defaults
_ADDED_LATER: dict[str, Any] = {"bptt": 0, "activation_reg": 0.0, "temporal_activation_reg": 0.0}

RECIPES: dict[str, Recipe] = {
    "nb201": Recipe(name="nb201", epochs=200, batch_size=256, optimizer="sgd", lr=0.1,
                    schedule="cosine_epoch", momentum=0.9, nesterov=True, weight_decay=5e-4,
                    crop_pad=4, flip=True),
    "nb101": Recipe(name="nb101", epochs=108, batch_size=256, optimizer="rmsprop", lr=0.2,
                    schedule="cosine_step", momentum=0.9, weight_decay=1e-4, rms_alpha=0.9,
                    rms_eps=1.0, crop_pad=4, flip=True),
    "darts": Recipe(name="darts", epochs=100, batch_size=96, optimizer="sgd", lr=0.025,
                    lr_min=1e-8, schedule="cosine_epoch", momentum=0.9, weight_decay=3e-4,
                    crop_pad=4, flip=True, cutout=16, mixup_alpha=0.2, aux_weight=0.4,
                    drop_path=0.2, grad_clip=5.0),
    "nlp": Recipe(name="nlp", epochs=50, batch_size=20, optimizer="adam", lr=1e-3,
                  schedule="constant", momentum=0.0, weight_decay=1.2e-6, crop_pad=0,
                  flip=False, grad_clip=0.25, bptt=70, activation_reg=2.0,
                  temporal_activation_reg=1.0),
}


def get_recipe(name: str | Recipe, **overrides: Any) -> Recipe:
    """The named benchmark recipe ("nb201", "nb101", "darts", "nlp"), with fields overridden
    (e.g. `epochs=12`); None-valued overrides are ignored."""
    if isinstance(name, Recipe):
        base = name
    elif name in RECIPES:
        base = RECIPES[name]
    else:
        raise ValueError(f"unknown recipe {name!r}; expected one of: {', '.join(RECIPES)}")
    changes = {k: v for k, v in overrides.items() if v is not None}
    return base.replace(**changes) if changes else base


def list_recipes() -> list[str]:
    return list(RECIPES)
