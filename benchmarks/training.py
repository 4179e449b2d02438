"""The trainer: one network, one recipe, per-epoch records (DESIGN §3, the live ground truth).

Speed choices (why this is fast on a 2-core CPU and on a GPU alike):
- the whole dataset sits on the device as tensors; an epoch is a permutation of indices;
- augmentation (random crop with zero padding, horizontal flip, cutout, mixup) runs on whole
  batches with tensor ops on the device, never per image in Python;
- evaluation runs in `torch.inference_mode` with large batches;
- channels_last memory format (faster on this CPU too, see `train_network`);
- on CUDA: bf16 autocast, optional `torch.compile` (unmeasured here: this machine has no GPU;
  the code path is device-agnostic);
- on CPU: `threads` sets torch's intra-op threads; small nets use the cores best as one
  1-thread process per core (see `benchmarks.live.run_workers`).

A non-finite loss ends the run as `failed` with its reason; it never raises.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.datasets import ImageData
from benchmarks.recipes import Recipe

EVAL_BATCH = 1024


@dataclass
class EpochRecord:
    """One epoch: mean train loss/accuracy over its batches (accuracy in percent, on the
    augmented batches), validation loss/accuracy after it, and its wall seconds (training only,
    evaluation excluded, so that seconds measure the cost of training)."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: float


@dataclass
class TrainResult:
    status: str                      # "done" | "failed"
    epochs: list[EpochRecord] = field(default_factory=list)
    test_acc: float | None = None
    reason: str | None = None
    seconds: float = 0.0             # wall clock of the whole run, evaluation included
    env: dict | None = None          # what it ran on (`benchmarks.run_env.run_environment`)


class Diverged(Exception):
    """A non-finite loss (raised inside the epoch loop, caught by `train_network`)."""


def resolve_device(device: str | torch.device | None) -> torch.device:
    """`None` or "auto" picks CUDA when present, else CPU."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):  # torch's message lists every backend it was built for
        raise ValueError(f"unknown device {device!r}; expected auto, cpu or cuda (cuda:N)"
                         ) from None
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r} is not supported; expected auto, cpu or cuda")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA GPU")
    return dev


def augment(x: torch.Tensor, recipe: Recipe, gen: torch.Generator) -> torch.Tensor:
    """Random crop (zero padding `crop_pad`), horizontal flip and cutout on a whole batch."""
    n, _, h, w = x.shape
    dev = x.device
    if recipe.crop_pad > 0:
        p = recipe.crop_pad
        padded = F.pad(x, (p, p, p, p))
        oy = torch.randint(0, 2 * p + 1, (n,), device=dev, generator=gen)
        ox = torch.randint(0, 2 * p + 1, (n,), device=dev, generator=gen)
        rows = (oy[:, None] + torch.arange(h, device=dev))[:, None, :, None]   # [n,1,h,1]
        cols = (ox[:, None] + torch.arange(w, device=dev))[:, None, None, :]   # [n,1,1,w]
        bidx = torch.arange(n, device=dev)[:, None, None, None]
        cidx = torch.arange(x.shape[1], device=dev)[None, :, None, None]
        x = padded[bidx, cidx, rows, cols]
    if recipe.flip:
        flip = torch.rand(n, device=dev, generator=gen) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if recipe.cutout > 0:
        # DARTS-style cutout: an L x L square centred anywhere, clipped at the border
        size = recipe.cutout
        y0 = torch.randint(0, h, (n,), device=dev, generator=gen)[:, None, None] - size // 2
        x0 = torch.randint(0, w, (n,), device=dev, generator=gen)[:, None, None] - size // 2
        ys = torch.arange(h, device=dev)[None, :, None]
        xs = torch.arange(w, device=dev)[None, None, :]
        hole = (ys >= y0) & (ys < y0 + size) & (xs >= x0) & (xs < x0 + size)
        x = x * (~hole)[:, None].to(x.dtype)
    return x


def make_optimizer(net: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    params = [p for p in net.parameters() if p.requires_grad]
    # foreach kernels batch the many tiny parameter updates of a small net into few calls
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum,
                               nesterov=recipe.nesterov, weight_decay=recipe.weight_decay,
                               foreach=True)
    if recipe.optimizer == "adam":  # L2 added to the gradient, as torch.optim.Adam (the release)
        return torch.optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay,
                                foreach=True)
    return torch.optim.RMSprop(params, lr=recipe.lr, alpha=recipe.rms_alpha, eps=recipe.rms_eps,
                               momentum=recipe.momentum, weight_decay=recipe.weight_decay,
                               foreach=True)


@torch.inference_mode()
def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor, use_amp: bool,
             channels_last: bool) -> tuple[float, float]:
    """(mean cross-entropy, accuracy in percent) of `net` on (x, y), in eval mode."""
    net.eval()
    total_loss, correct = 0.0, 0
    for i in range(0, x.shape[0], EVAL_BATCH):
        xb, yb = x[i:i + EVAL_BATCH], y[i:i + EVAL_BATCH]
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with torch.autocast(xb.device.type, dtype=torch.bfloat16, enabled=use_amp):
            logits = net(xb)
        total_loss += float(F.cross_entropy(logits.float(), yb, reduction="sum"))
        correct += int((logits.argmax(1) == yb).sum())
    n = max(int(x.shape[0]), 1)
    return total_loss / n, 100.0 * correct / n


def train_network(
    net: nn.Module,
    data: ImageData,
    recipe: Recipe,
    seed: int = 0,
    device: str | torch.device | None = "cpu",
    *,
    threads: int | None = None,
    compile: bool = False,
    amp: bool | None = None,
    channels_last: bool | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> TrainResult:
    """Train `net` on `data` under `recipe` and evaluate after every epoch.

    `seed` fixes shuffling and augmentation (the caller seeds weight init before building the
    network: `seed_everything(seed)`). `amp` (bf16 autocast) defaults to on for CUDA, off for
    CPU. `on_epoch` is called after each epoch (the store commits it there); an exception
    it raises stops training and propagates (used to abandon a reclaimed run).
    `channels_last` (default on) stores activations NHWC, faster on CUDA and on CPU alike."""
    dev = resolve_device(device)
    if threads is not None and dev.type == "cpu":
        torch.set_num_threads(int(threads))
    cuda = dev.type == "cuda"
    use_amp = cuda if amp is None else bool(amp)
    # channels_last pays on CUDA and, measured here, also on CPU: fwd+bwd of the small NB201
    # net at 8x8 took 17-28 ms instead of 31-45 ms per batch of 256 (1 thread, oneDNN)
    channels_last = (data.x_train.dim() == 4) if channels_last is None else bool(channels_last)
    start = time.perf_counter()

    net = net.to(dev)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    model = torch.compile(net) if compile else net
    xs = {k: getattr(data, k).to(dev, non_blocking=True) for k in
          ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")}
    x_train, y_train = xs["x_train"], xs["y_train"]
    n = x_train.shape[0]
    bs = min(recipe.batch_size, n)
    steps = math.ceil(n / bs)
    if n % bs == 1:
        steps -= 1  # a final batch of one image breaks batch norm; drop it
    opt = make_optimizer(net, recipe)
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    mix_rng = np.random.default_rng(int(seed))  # mixup's lambda, drawn on the host
    aux_w = recipe.aux_weight if hasattr(net, "forward_with_aux") else 0.0
    result = TrainResult(status="done")

    try:
        for epoch in range(recipe.epochs):
            t0 = time.perf_counter()
            if hasattr(net, "drop_path_prob") and recipe.drop_path > 0:
                net.drop_path_prob = recipe.drop_path_at(epoch)
            model.train()
            perm = torch.randperm(n, device=dev, generator=gen)
            loss_sum = torch.zeros((), device=dev)
            correct = torch.zeros((), device=dev, dtype=torch.long)
            seen = 0
            for step in range(steps):
                lr = recipe.lr_at(epoch, step, steps)
                for group in opt.param_groups:
                    group["lr"] = lr
                idx = perm[step * bs:(step + 1) * bs]
                xb, yb = augment(x_train[idx], recipe, gen), y_train[idx]
                if channels_last:
                    xb = xb.contiguous(memory_format=torch.channels_last)
                lam, yb2 = 1.0, None
                if recipe.mixup_alpha > 0:
                    lam = float(mix_rng.beta(recipe.mixup_alpha, recipe.mixup_alpha))
                    order = torch.randperm(xb.shape[0], device=dev, generator=gen)
                    xb, yb2 = lam * xb + (1 - lam) * xb[order], yb[order]
                with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use_amp):
                    if aux_w > 0:
                        logits, aux = net.forward_with_aux(xb)
                    else:
                        logits, aux = model(xb), None
                    loss = _loss(logits, yb, yb2, lam, recipe)
                    if aux is not None:
                        loss = loss + aux_w * _loss(aux, yb, yb2, lam, recipe)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if recipe.grad_clip > 0:
                    nn.utils.clip_grad_norm_(net.parameters(), recipe.grad_clip)
                opt.step()
                # accumulate on the device: no host sync per step (matters on CUDA)
                loss_sum += loss.detach().float() * yb.shape[0]
                correct += (logits.detach().argmax(1) == yb).sum()
                seen += yb.shape[0]
                if step % 8 == 7 or step == steps - 1:
                    if not torch.isfinite(loss_sum):
                        raise Diverged(f"non-finite training loss at epoch {epoch + 1}, "
                                       f"step {step + 1}")
            if cuda:
                torch.cuda.synchronize(dev)
            seconds = time.perf_counter() - t0
            val_loss, val_acc = evaluate(model, xs["x_val"], xs["y_val"], use_amp, channels_last)
            if not math.isfinite(val_loss):
                raise Diverged(f"non-finite validation loss at epoch {epoch + 1}")
            record = EpochRecord(epoch + 1, float(loss_sum) / seen, 100.0 * float(correct) / seen,
                                 val_loss, val_acc, seconds)
            result.epochs.append(record)
            if on_epoch is not None:
                on_epoch(record)
        _, result.test_acc = evaluate(model, xs["x_test"], xs["y_test"], use_amp, channels_last)
    except Diverged as exc:
        result.status, result.reason = "failed", str(exc)
    result.seconds = time.perf_counter() - start
    return result


def _loss(logits: torch.Tensor, y: torch.Tensor, y2: torch.Tensor | None, lam: float,
          recipe: Recipe) -> torch.Tensor:
    loss = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing)
    if y2 is not None:
        loss = lam * loss + (1 - lam) * F.cross_entropy(logits.float(), y2,
                                                        label_smoothing=recipe.label_smoothing)
    return loss


def seed_everything(seed: int) -> None:
    """Seed torch's global generators (weight initialisation happens when a net is built)."""
    torch.manual_seed(int(seed))


def train_arch(space, arch, data, recipe: Recipe, preset: str, seed: int = 0,
               device: str | torch.device | None = "cpu", *, deterministic: bool = False,
               **kwargs) -> TrainResult:
    """Build `arch`'s network (preset, the dataset's classes and channels) with weights seeded
    by `seed`, then train it: `train_network` on `ImageData`, the language-model trainer
    (`benchmarks.lm_training`) for token spaces on `TextData`. `deterministic` trains in
    `benchmarks.run_env.deterministic_mode`; the result's `env` records what the run ran on."""
    from benchmarks.run_env import deterministic_mode, run_environment

    dev = resolve_device(device)
    with deterministic_mode(deterministic, dev):
        result = _build_and_train(space, arch, data, recipe, preset, seed, dev, **kwargs)
    result.env = run_environment(dev, deterministic, recipe.hash)
    return result


def _build_and_train(space, arch, data, recipe: Recipe, preset: str, seed: int,
                     device: torch.device, **kwargs) -> TrainResult:
    seed_everything(seed)
    if getattr(space, "input_kind", "image") == "tokens":
        from benchmarks.lm_training import train_language_model

        net = space.build_network(arch, num_classes=data.num_classes, preset=preset)
        return train_language_model(net, data, recipe, seed=seed, device=device, **kwargs)
    overrides = {}
    if "in_channels" in space.preset_params(preset):
        overrides["in_channels"] = data.channels
    if recipe.aux_weight > 0 and "auxiliary" in space.preset_params(preset):
        overrides["auxiliary"] = True
    net = space.build_network(arch, num_classes=data.num_classes, preset=preset, **overrides)
    return train_network(net, data, recipe, seed=seed, device=device, **kwargs)
