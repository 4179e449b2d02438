"""The language-model trainer: one token-space network (the `nlp` space's `NLPModel`), one
recipe with `bptt > 0`, per-epoch records in the same `EpochRecord`s as image training.

It follows the NAS-Bench-NLP release's `train.py` (AWD-LSTM's loop), so that live curves mean
what the shipped WikiText-2 curves mean:
- the training stream is cut into `batch_size` columns; the hidden state starts at zero each
  epoch and is carried (detached) from one step to the next;
- each step's length is drawn as AWD-LSTM does (bptt, or bptt/2 with probability 0.05, plus
  N(0, 5), at least 5) and the step's learning rate scaled by length / bptt;
- loss = next-token cross-entropy + AR (activation_reg x mean square of the last layer's
  dropped output) + TAR (temporal_activation_reg x mean square of the last layer's step-to-step
  change), gradients clipped at `grad_clip`;
- after each epoch the train, validation (and, at the end, test) losses are full passes in eval
  mode with 50 columns and bptt-long chunks. Records follow the benchmark's convention:
  `train_loss`/`val_loss` are those per-token losses (nats), `train_acc`/`val_acc` are
  100 - loss, the test value 100 - test loss; `seconds` is the epoch's training time only.
- a non-finite loss ends the run as `failed` with its reason (the release logs "loss is nan!").

Mixed precision is off by default, also on CUDA: the release trained in fp32, and which runs
diverge is part of the ground truth.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.recipes import Recipe
from benchmarks.text_data import TextData
from benchmarks.training import (
    Diverged,
    EpochRecord,
    TrainResult,
    make_optimizer,
    resolve_device,
)

EVAL_COLUMNS = 50  # the release's eval_batch_size


def batchify(stream: torch.Tensor, columns: int) -> torch.Tensor:
    """[L, columns]: the stream cut into `columns` contiguous pieces side by side (the
    remainder dropped); fewer columns when the stream is too short for that many."""
    columns = max(1, min(int(columns), int(stream.numel()) // 2))
    rows = int(stream.numel()) // columns
    return stream[: rows * columns].view(columns, rows).t().contiguous()


def _detach(hidden: Any) -> Any:
    if isinstance(hidden, torch.Tensor):
        return hidden.detach()
    return type(hidden)(_detach(h) for h in hidden)


def _step_length(bptt: int, rng: np.random.Generator) -> int:
    mean = bptt if rng.random() < 0.95 else bptt / 2.0
    return max(5, int(rng.normal(mean, 5)))


@torch.inference_mode()
def evaluate_lm(net: nn.Module, cols: torch.Tensor, bptt: int) -> float:
    """Mean next-token cross-entropy (nats) of `net` over the batchified stream `cols`."""
    net.eval()
    total, count, hidden = 0.0, 0, None
    for i in range(0, cols.shape[0] - 1, bptt):
        n = min(bptt, cols.shape[0] - 1 - i)
        logits, hidden = net(cols[i:i + n], hidden)
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                                       cols[i + 1:i + 1 + n].reshape(-1), reduction="sum"))
        count += n * cols.shape[1]
    return total / max(count, 1)


class _LastLayerTap:
    """Captures the last recurrent layer's raw output (TAR) and the decoder's input, its
    dropped version (AR), through forward hooks: the network stays as the space builds it."""

    def __init__(self, net: nn.Module) -> None:
        self.raw: torch.Tensor | None = None
        self.dropped: torch.Tensor | None = None
        layers = getattr(net, "layers", None)
        decoder = getattr(net, "decoder", None)
        self.handles = []
        if layers is not None and decoder is not None:
            self.handles = [
                layers[-1].register_forward_hook(self._keep_raw),
                decoder.register_forward_pre_hook(self._keep_dropped)]

    def _keep_raw(self, module: nn.Module, args: Any, output: Any) -> None:
        self.raw = output[0]

    def _keep_dropped(self, module: nn.Module, args: Any) -> None:
        self.dropped = args[0]

    def close(self) -> None:
        for h in self.handles:
            h.remove()


def train_language_model(
    net: nn.Module,
    data: TextData,
    recipe: Recipe,
    seed: int = 0,
    device: str | torch.device | None = "cpu",
    *,
    threads: int | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    **_image_options: Any,
) -> TrainResult:
    """Train a language model on `data` under `recipe` (module docstring). `seed` fixes the
    step lengths and dropout masks (the caller seeds weight init). `on_epoch` as in
    `benchmarks.training.train_network`. Image-only options (amp, channels_last, compile) are
    accepted and ignored, so that callers can pass the same keywords to both trainers."""
    if recipe.bptt < 1:
        raise ValueError(f"recipe {recipe.name!r} has no bptt: it is not a language-model "
                         f"recipe (use 'nlp')")
    dev = resolve_device(device)
    if threads is not None and dev.type == "cpu":
        torch.set_num_threads(int(threads))
    start = time.perf_counter()
    torch.manual_seed(int(seed) + 1)  # dropout masks; weights were seeded before building
    rng = np.random.default_rng(int(seed))
    net = net.to(dev)
    train = batchify(data.train, recipe.batch_size).to(dev)
    evaluation = {split: batchify(getattr(data, split), EVAL_COLUMNS).to(dev)
                  for split in ("train", "val", "test")}
    opt = make_optimizer(net, recipe)
    params = [p for p in net.parameters() if p.requires_grad]
    tap = _LastLayerTap(net)
    result = TrainResult(status="done")
    try:
        for epoch in range(recipe.epochs):
            t0 = time.perf_counter()
            net.train()
            hidden, i, step = None, 0, 0
            while i < train.shape[0] - 2:
                length = min(_step_length(recipe.bptt, rng), train.shape[0] - 1 - i)
                for group in opt.param_groups:
                    group["lr"] = recipe.lr_at(epoch) * length / recipe.bptt
                hidden = _detach(hidden) if hidden is not None else None
                logits, hidden = net(train[i:i + length], hidden)
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                                       train[i + 1:i + 1 + length].reshape(-1))
                if recipe.activation_reg and tap.dropped is not None:
                    loss = loss + recipe.activation_reg * tap.dropped.pow(2).mean()
                if recipe.temporal_activation_reg and tap.raw is not None:
                    loss = loss + recipe.temporal_activation_reg * (
                        tap.raw[1:] - tap.raw[:-1]).pow(2).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if recipe.grad_clip > 0:
                    nn.utils.clip_grad_norm_(params, recipe.grad_clip)
                opt.step()
                i += length
                step += 1
                if step % 8 == 0 and not torch.isfinite(loss.detach()):
                    raise Diverged(f"non-finite training loss at epoch {epoch + 1}, "
                                   f"step {step}")
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            seconds = time.perf_counter() - t0
            train_loss = evaluate_lm(net, evaluation["train"], recipe.bptt)
            val_loss = evaluate_lm(net, evaluation["val"], recipe.bptt)
            if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
                raise Diverged(f"non-finite loss after epoch {epoch + 1} (train {train_loss}, "
                               f"validation {val_loss})")
            record = EpochRecord(epoch + 1, train_loss, 100.0 - train_loss, val_loss,
                                 100.0 - val_loss, seconds)
            result.epochs.append(record)
            if on_epoch is not None:
                on_epoch(record)
        test_loss = evaluate_lm(net, evaluation["test"], recipe.bptt)
        if not math.isfinite(test_loss):
            raise Diverged("non-finite test loss after the last epoch")
        result.test_acc = 100.0 - test_loss
    except Diverged as exc:
        result.status, result.reason = "failed", str(exc)
    finally:
        tap.close()
    result.seconds = time.perf_counter() - start
    return result
