"""The NAS-Bench-201 network (the benchmark's "TinyNetwork" topology), written in torch.

stem conv3x3 + BN → N cells (C) → residual reduction block → N cells (2C) → residual reduction
block → N cells (4C) → BN-ReLU → global average pool → linear. Every edge of every cell holds its
op, dead edges included, exactly as the benchmark built and counted them (so the parameter count
is 72,656 + 65·K + 243,040·n(conv3x3) + 28,000·n(conv1x1) at C=16, N=5).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from search_spaces.ops import AvgPool3x3, Identity, ReLUConvBN, Zero

_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


def make_op(name: str, channels: int) -> nn.Module:
    if name == "none":
        return Zero(channels, channels)
    if name == "skip_connect":
        return Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, 1)
    if name == "avg_pool_3x3":
        return AvgPool3x3()
    raise ValueError(f"unknown NB201 op {name!r}")


class NB201Cell(nn.Module):
    """Node j = sum over i < j of op_{i→j}(node i); the cell outputs node 3."""

    def __init__(self, op_names: Sequence[str], channels: int):
        super().__init__()
        self.edges = nn.ModuleList(make_op(op, channels) for op in op_names)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x, None, None, None]
        for dst in (1, 2, 3):
            total = None
            for k, (src, d) in enumerate(_EDGES):
                if d == dst:
                    y = self.edges[k](nodes[src])
                    total = y if total is None else total + y
            nodes[dst] = total
        return nodes[3]


class ResidualReduction(nn.Module):
    """NB201's residual reduction block: two ReLU-conv3x3-BN (the first with stride 2) plus a
    shortcut of 2x2 average pooling and a 1x1 convolution."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    def __init__(self, op_names: Sequence[str], num_classes: int = 10, C: int = 16, N: int = 5,
                 in_channels: int = 3):
        super().__init__()
        if len(op_names) != 6:
            raise ValueError(f"an NB201 cell has 6 edge ops, got {len(op_names)}")
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResidualReduction(c_prev, c))
            layers.extend(NB201Cell(op_names, c) for _ in range(N))
            c_prev = c
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features before the classifier."""
        x = self.lastact(self.cells(self.stem(x)))
        return self.global_pool(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x))
