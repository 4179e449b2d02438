"""Supernet training: SGD with (Nesterov) momentum, cosine learning rate decayed per step to 0,
weight decay, gradient clipping, optional crop + flip augmentation (`benchmarks.training.augment`),
on a fixed seeded subset of the training split.

What each step trains is decided by `choose_path(progress)` (progress = step / total steps, in
[0, 1)): None trains the one-shot model (every op
active, Bender et al. 2018); a path trains that single architecture (random-sampling weight
sharing, Li & Talwalkar 2019, draws one uniformly per step).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.recipes import Recipe
from benchmarks.training import augment


@dataclass(frozen=True)
class TrainSettings:
    epochs: int
    data_fraction: float
    batch_size: int
    lr: float
    momentum: float
    weight_decay: float
    grad_clip: float
    augment: bool


def crop_padding(image_size: int) -> int:
    """Random-crop padding scaled to the image: 1 px at 8x8 (the default benchmark's recipe),
    4 px at 32x32 (the NB201 / DARTS recipes)."""
    return max(1, int(image_size) // 8)


def train_subset(n: int, fraction: float, seed: int) -> torch.Tensor:
    """Indices of the fixed training subset: round(fraction * n) images (at least 2) drawn
    without replacement by `seed`."""
    g = torch.Generator().manual_seed(int(seed))
    keep = max(2, int(round(float(fraction) * n)))
    return torch.randperm(n, generator=g)[:min(keep, n)]


def train_supernet(net: nn.Module, data: Any, settings: TrainSettings,
                   choose_path: Callable[[float], Any], seed: int, device: torch.device
                   ) -> dict[str, float]:
    """Train `net` in place on `data.x_train / y_train`; returns facts about the run (steps,
    images used, final training loss, measured compute seconds)."""
    start = time.perf_counter()
    idx = train_subset(int(data.x_train.shape[0]), settings.data_fraction, seed)
    x_train = data.x_train[idx].to(device)
    y_train = data.y_train[idx].to(device)
    n = int(x_train.shape[0])
    bs = min(int(settings.batch_size), n)
    steps_per_epoch = n // bs  # whole batches only: a tail batch of 1 breaks BatchNorm
    total = steps_per_epoch * int(settings.epochs)
    recipe = Recipe(name="supernet", epochs=int(settings.epochs), batch_size=bs,
                    crop_pad=crop_padding(x_train.shape[-1]) if settings.augment else 0,
                    flip=bool(settings.augment))
    # channels_last: measured here, fwd+bwd of the one-shot NB201 small supernet at 8x8 took
    # 153 instead of 226 ms per batch of 256 on one CPU thread (and it is the fast layout on CUDA)
    net.to(device).to(memory_format=torch.channels_last).train()
    params = [p for p in net.parameters() if p.requires_grad]
    # the NB201 recipe's optimizer (momentum 0.9, Nesterov) with a per-step cosine schedule
    opt = torch.optim.SGD(params, lr=settings.lr, momentum=settings.momentum, nesterov=True,
                          weight_decay=settings.weight_decay, foreach=True)
    gen = torch.Generator(device=device).manual_seed(int(seed))
    last_loss = math.nan
    step = 0
    for _ in range(int(settings.epochs)):
        perm = torch.randperm(n, device=device, generator=gen)
        for b in range(steps_per_epoch):
            lr = 0.5 * settings.lr * (1.0 + math.cos(math.pi * step / total))
            for group in opt.param_groups:
                group["lr"] = lr
            batch = perm[b * bs:(b + 1) * bs]
            xb, yb = x_train[batch], y_train[batch]
            if settings.augment:
                xb = augment(xb, recipe, gen)
            xb = xb.contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(net(xb, choose_path(step / total)), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if settings.grad_clip > 0:
                # the one-shot sum of many ops starts with large activations: clip as DARTS does
                nn.utils.clip_grad_norm_(params, settings.grad_clip)
            opt.step()
            step += 1
        last_loss = float(loss.detach())
        if not math.isfinite(last_loss):
            raise ValueError(f"supernet training diverged (loss {last_loss}); lower lr")
    net.eval()
    return {"steps": float(step), "train_images": float(n), "final_train_loss": last_loss,
            "train_compute_seconds": time.perf_counter() - start}
