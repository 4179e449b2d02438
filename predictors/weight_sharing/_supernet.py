"""Space-generic supernet helpers: build one from a space preset, turn archs into paths, sample
a uniform random path, re-estimate BatchNorm statistics for a path, score a path on held-out
images, and copy a path's weights into the space's own network.

BatchNorm re-estimation is the known fix for weight-sharing rankings: a supernet's running
statistics are averaged over whatever was trained (the all-ops sum, or many random paths), not
over the queried path, so its eval-mode accuracy ranks archs poorly. Recomputing the statistics
of the path's own BN layers on a few training batches first, as Single Path One-Shot (Guo et al.,
ECCV 2020) does before scoring each sampled subnet, fixes part of that: on the default benchmark
it raised `rsws`'s Kendall tau from 0.25 to 0.40 (200 cells, `studies/weight_sharing_accuracy.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from predictors.weight_sharing._darts_supernet import NUM_EDGES as DARTS_EDGES
from predictors.weight_sharing._darts_supernet import (
    DartsSupernet,
    EdgeSubsets,
    darts_path,
    darts_path_state_dict,
)
from predictors.weight_sharing._nb201_supernet import (
    NB201Supernet,
    nb201_path,
    nb201_path_state_dict,
)
from search_spaces.nb201 import EDGES as NB201_EDGES
from search_spaces.nb201 import OPS as NB201_OPS

SPACES = ("nb201", "darts")
#: NB201 op indices a one-shot edge sums (`none` adds nothing)
NB201_REAL_OPS = tuple(i for i, op in enumerate(NB201_OPS) if op != "none")
#: default preset per space: the CPU presets (DARTS `tiny`: its supernet has 98 ops per cell)
DEFAULT_PRESET = {"nb201": "small", "darts": "tiny"}
EVAL_BATCH = 1000


def check_space(space: Any) -> str:
    """The space's name when a supernet exists for it, else a ValueError naming it."""
    name = getattr(space, "name", None)
    if name not in SPACES:
        raise ValueError(f"weight-sharing predictors support the spaces {', '.join(SPACES)}; "
                         f"got space {name!r}")
    return name


def supernet_config(space: Any, preset: str | None, num_classes: int, in_channels: int
                    ) -> dict[str, Any]:
    """JSON-able constructor arguments of the supernet for a space preset; the preset's
    `in_channels` is replaced by the data's (as zero-cost predictors adapt theirs)."""
    name = check_space(space)
    preset = DEFAULT_PRESET[name] if preset is None else preset
    params = space.preset_params(preset)  # ValueError naming an unknown preset
    config: dict[str, Any] = {"space": name, "preset": preset, "num_classes": int(num_classes),
                              "in_channels": int(in_channels), "C": int(params["C"])}
    if name == "nb201":
        config["N"] = int(params["N"])
    else:
        config["layers"] = int(params["layers"])
    return config


def build_supernet(config: dict[str, Any]) -> nn.Module:
    """A fresh supernet (PyTorch's default init under the caller's RNG state) from a config."""
    common = dict(num_classes=config["num_classes"], C=config["C"],
                  in_channels=config["in_channels"])
    if config["space"] == "nb201":
        return NB201Supernet(N=config["N"], **common)
    if config["space"] == "darts":
        return DartsSupernet(layers=config["layers"], **common)
    raise ValueError(f"no supernet for space {config['space']!r}; expected one of "
                     f"{', '.join(SPACES)}")


def arch_path(space: Any, arch: Any) -> Any:
    """The supernet path of `arch` (an Arch of `space` or its text)."""
    a = space._check(arch)  # accepts text; a clear error for a foreign arch
    return nb201_path(a) if space.name == "nb201" else darts_path(a)


def sample_path(space: Any, rng: np.random.Generator) -> Any:
    """The path of an architecture drawn uniformly by the space's own sampler (random-sampling
    weight sharing, Li & Talwalkar 2019)."""
    return arch_path(space, space.sample(rng))


def dropout_path(space: Any, rng: np.random.Generator, drop_prob: float) -> Any:
    """A one-shot training path with path dropout: every candidate op of every edge is dropped
    independently with probability `drop_prob`, but each edge keeps at least one op (drawn
    uniformly when all were dropped)."""
    def edges(n_edges: int, n_ops: int, ops: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        out = []
        for _ in range(n_edges):
            keep = rng.random(n_ops) >= drop_prob
            if not keep.any():
                keep[int(rng.integers(n_ops))] = True
            out.append(tuple(ops[i] for i in np.flatnonzero(keep)))
        return tuple(out)

    if space.name == "nb201":
        return edges(len(NB201_EDGES), len(NB201_REAL_OPS), NB201_REAL_OPS)
    n_ops = len(space.ops)
    return tuple(EdgeSubsets(edges(DARTS_EDGES, n_ops, tuple(range(n_ops)))) for _ in range(2))


def path_state_dict(supernet: nn.Module, path: Any) -> dict[str, torch.Tensor]:
    """The weights of `path` named as in the space's own network (`build_network`)."""
    if isinstance(supernet, NB201Supernet):
        return nb201_path_state_dict(supernet.state_dict(), path)
    if isinstance(supernet, DartsSupernet):
        return darts_path_state_dict(supernet, path)
    raise ValueError(f"not a supernet: {type(supernet).__name__}")


def bn_layers(net: nn.Module) -> list[_BatchNorm]:
    return [m for m in net.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]


def bn_buffers(net: nn.Module) -> dict[str, torch.Tensor]:
    """Copies of every BatchNorm buffer (running mean/var, batch count), by name."""
    names = {id(m): n for n, m in net.named_modules()}
    out = {}
    for m in bn_layers(net):
        for b, t in m.named_buffers(recurse=False):
            out[f"{names[id(m)]}.{b}"] = t.detach().clone()
    return out


@torch.no_grad()
def restore_bn_buffers(net: nn.Module, saved: dict[str, torch.Tensor]) -> None:
    buffers = dict(net.named_buffers())
    for name, value in saved.items():
        buffers[name].copy_(value)


@torch.no_grad()
def recalibrate_bn(net: nn.Module, path: Any, batches: Iterable[torch.Tensor]) -> int:
    """Re-estimate the running statistics of the BatchNorm layers `path` uses: reset them and
    average the batch statistics of `batches` (cumulative average, momentum None) in train mode.
    Layers the path does not run keep their buffers; no parameter changes. Returns the number of
    layers re-estimated. Leaves `net` in eval mode."""
    layers = bn_layers(net)
    saved = [(m.momentum, m.running_mean.clone(), m.running_var.clone(),
              m.num_batches_tracked.clone()) for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    try:
        for x in batches:
            net(x, path)
    finally:
        net.eval()
        used = 0
        for m, (momentum, mean, var, count) in zip(layers, saved):
            m.momentum = momentum
            if int(m.num_batches_tracked) == 0:  # not on this path: put its statistics back
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)
            else:
                used += 1
    return used


@torch.no_grad()
def path_accuracy(net: nn.Module, path: Any, x: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 accuracy (percent) of the supernet restricted to `path` on (x, y), eval mode."""
    net.eval()
    correct = 0
    for i in range(0, x.shape[0], EVAL_BATCH):
        logits = net(x[i:i + EVAL_BATCH], path)
        correct += int((logits.argmax(1) == y[i:i + EVAL_BATCH]).sum())
    return 100.0 * correct / max(int(x.shape[0]), 1)
