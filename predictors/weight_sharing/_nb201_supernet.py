"""The NAS-Bench-201 supernet: the benchmark's macro network (`search_spaces.nb201_network`) in
which every edge of every cell holds all 5 candidate ops.

`forward(x, path)` runs one architecture when `path` is its 6 op indices (`NB201Arch.ops`, edge
order of the arch string): edge k applies only op `path[k]`, so the supernet computes exactly what
`NB201Network` of that arch computes with the same weights (`path_state_dict` copies them over).
`path=None` runs the one-shot model of Bender et al. (ICML 2018), where an edge outputs the sum of
all its candidate ops; a path whose entries are tuples of op indices sums only those (one-shot
training with path dropout).

Parameter names mirror `NB201Network`'s (stem, cells.i, lastact, classifier); a mixed edge's op
`o` lives under `cells.i.edges.k.ops.o`, where the network has `cells.i.edges.k`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from search_spaces.nb201 import EDGES, OPS
from search_spaces.nb201_network import ResidualReduction, make_op

_NONE = OPS.index("none")
_EDGE_KEY = re.compile(r"^(cells\.\d+\.edges\.(\d+))\.ops\.(\d+)\.(.+)$")

Path = Sequence[int]


class MixedEdge(nn.Module):
    """One cell edge holding every NB201 op (index order of `search_spaces.nb201.OPS`)."""

    def __init__(self, channels: int):
        super().__init__()
        self.ops = nn.ModuleList(make_op(name, channels) for name in OPS)

    def forward(self, x: torch.Tensor, op: int | Sequence[int] | None) -> torch.Tensor:
        """`op`: one op index (an arch's edge), None (the one-shot sum of all candidates), or a
        subset of op indices to sum (one-shot training with path dropout)."""
        if isinstance(op, (int, np.integer)):
            return self.ops[op](x)
        # `none` adds zeros to a sum, so it is skipped
        chosen = [i for i in (range(len(OPS)) if op is None else op) if i != _NONE]
        if not chosen:
            return self.ops[_NONE](x)
        total = None
        for i in chosen:
            y = self.ops[i](x)
            total = y if total is None else total + y
        return total


class MixedCell(nn.Module):
    """An NB201 cell whose 6 edges are `MixedEdge`s; node j sums its incoming edges."""

    def __init__(self, channels: int):
        super().__init__()
        self.edges = nn.ModuleList(MixedEdge(channels) for _ in EDGES)

    def forward(self, x: torch.Tensor, path: Path | None) -> torch.Tensor:
        nodes: list[torch.Tensor | None] = [x, None, None, None]
        for dst in (1, 2, 3):
            total = None
            for k, (src, d) in enumerate(EDGES):
                if d == dst:
                    y = self.edges[k](nodes[src], None if path is None else path[k])
                    total = y if total is None else total + y
            nodes[dst] = total
        return nodes[3]


class NB201Supernet(nn.Module):
    """Stem, 3 stages of N mixed cells (C, 2C, 4C) joined by NB201's residual reduction blocks,
    BN-ReLU, global pool, linear: `NB201Network` with mixed edges."""

    space_name = "nb201"

    def __init__(self, num_classes: int = 10, C: int = 16, N: int = 5, in_channels: int = 3):
        super().__init__()
        if C < 1 or N < 1 or in_channels < 1 or num_classes < 1:
            raise ValueError(f"NB201 supernet needs C, N, in_channels, num_classes >= 1, got "
                             f"{C}, {N}, {in_channels}, {num_classes}")
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResidualReduction(c_prev, c))
            layers.extend(MixedCell(c) for _ in range(N))
            c_prev = c
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor, path: Path | None = None) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x, path) if isinstance(layer, MixedCell) else layer(x)
        x = self.global_pool(self.lastact(x)).flatten(1)
        return self.classifier(x)


def nb201_path(arch: Any) -> tuple[int, ...]:
    """The supernet path of an `NB201Arch`: its 6 op indices."""
    return tuple(int(o) for o in arch.ops)


def nb201_path_state_dict(supernet_state: dict[str, torch.Tensor], path: Path
                          ) -> dict[str, torch.Tensor]:
    """The state dict of `NB201Network` for the arch `path` (its 6 op indices): every shared
    tensor as is, and of each mixed edge only the chosen op's tensors, renamed from
    `cells.i.edges.k.ops.o.*` to `cells.i.edges.k.*`."""
    out: dict[str, torch.Tensor] = {}
    for key, value in supernet_state.items():
        match = _EDGE_KEY.match(key)
        if match is None:
            out[key] = value
        elif int(match.group(3)) == int(path[int(match.group(2))]):
            out[f"{match.group(1)}.{match.group(4)}"] = value
    return out
