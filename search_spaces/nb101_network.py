"""The NAS-Bench-101 network in PyTorch, following the official nasbench `model_builder`.

Stem conv3x3-BN-ReLU; `num_stacks` stacks of `num_modules_per_stack` cell modules; before every
stack but the first a 2x2 max-pool (stride 2) and a doubling of the channels; global average
pool and a linear classifier. Inside a module (`compute_vertex_channels`): the output channels
are split among the vertices feeding the output (the remainder going one each to the first of
them) and propagated backwards as the max over each vertex's successors; the module input is
projected (1x1 conv-BN-ReLU) to every vertex it feeds; an intermediate vertex sums its inputs
(inner inputs truncated to its channel count) and applies its op; the output concatenates the
vertices feeding it, plus the input's projection when input→output is an edge.

Convs have no bias; BN uses the official decay 0.997 (torch momentum 0.003) and eps 1e-5.
Initialisation mirrors TF's defaults: convs truncated-normal fan-in variance scaling, the
classifier Glorot-uniform with zero bias, BN weight 1 and bias 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

BN_MOMENTUM = 1.0 - 0.997  # TF decay 0.997 in torch's convention
BN_EPS = 1e-5


def compute_vertex_channels(c_in: int, c_out: int, matrix: Sequence[Sequence[int]]) -> list[int]:
    """Channels of every vertex of a pruned module (official semantics)."""
    n = len(matrix)
    channels = [0] * n
    channels[0], channels[n - 1] = c_in, c_out
    if n == 2:
        return channels
    fan_in = sum(matrix[v][n - 1] for v in range(1, n - 1))  # the input's edge is added, not split
    base, extra = divmod(c_out, fan_in)
    for v in range(1, n - 1):
        if matrix[v][n - 1]:
            channels[v] = base + (1 if extra > 0 else 0)
            extra -= 1
    for v in range(n - 3, 0, -1):  # the others take the max of their successors
        if not matrix[v][n - 1]:
            channels[v] = max([channels[w] for w in range(v + 1, n - 1) if matrix[v][w]] or [0])
        if channels[v] <= 0:
            raise ValueError(f"vertex {v} ended with no channels; is the matrix pruned?")
    return channels


class ConvBNReLU(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


def _vertex_op(op: str, channels: int) -> nn.Module:
    if op == "conv3x3-bn-relu":
        return ConvBNReLU(channels, channels, 3)
    if op == "conv1x1-bn-relu":
        return ConvBNReLU(channels, channels, 1)
    if op == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)  # -inf padding, as TF 'same'
    raise ValueError(f"unknown NB101 op {op!r}")


class NB101Module(nn.Module):
    """One cell module with `c_in` input and `c_out` output channels."""

    def __init__(self, matrix: Sequence[Sequence[int]], ops: Sequence[str], c_in: int, c_out: int):
        super().__init__()
        n = len(matrix)
        self.matrix = [list(map(int, row)) for row in matrix]
        self.channels = compute_vertex_channels(c_in, c_out, self.matrix)
        # projections of the module input, keyed by the vertex they feed (output included)
        self.proj = nn.ModuleDict({str(v): ConvBNReLU(c_in, self.channels[v], 1)
                                   for v in range(1, n) if self.matrix[0][v]})
        self.vertex_ops = nn.ModuleList([_vertex_op(ops[t], self.channels[t])
                                         for t in range(1, n - 1)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, m, ch = len(self.matrix), self.matrix, self.channels
        tensors = [x]
        concat = []
        for t in range(1, n - 1):
            inputs = [tensors[s][:, :ch[t]] for s in range(1, t) if m[s][t]]
            if m[0][t]:
                inputs.append(self.proj[str(t)](x))
            h = inputs[0]
            for extra in inputs[1:]:
                h = h + extra
            tensors.append(self.vertex_ops[t - 1](h))
            if m[t][n - 1]:
                concat.append(tensors[t])
        if not concat:  # only input→output: the projection is the whole module
            return self.proj[str(n - 1)](x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, dim=1)
        if m[0][n - 1]:
            out = out + self.proj[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    """The NB101 network of one (pruned) cell spec."""

    def __init__(self, matrix: Sequence[Sequence[int]], ops: Sequence[str], num_classes: int = 10,
                 stem_channels: int = 128, num_stacks: int = 3, num_modules_per_stack: int = 3,
                 in_channels: int = 3):
        super().__init__()
        self.stem = ConvBNReLU(in_channels, stem_channels, 3)
        layers: list[nn.Module] = []
        c_in = c_out = stem_channels
        for stack in range(num_stacks):
            if stack > 0:
                # ceil_mode matches TF 'same' padding on odd sizes (identical on even ones)
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                c_out *= 2
            for _ in range(num_modules_per_stack):
                layers.append(NB101Module(matrix, ops, c_in, c_out))
                c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                fan_in = mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1]
                # TF variance_scaling_initializer(): truncated normal, std corrected for truncation
                std = math.sqrt(1.0 / fan_in) / 0.87962566103423978
                nn.init.trunc_normal_(mod.weight, std=std, a=-2 * std, b=2 * std)
            elif isinstance(mod, nn.Linear):
                nn.init.xavier_uniform_(mod.weight)
                nn.init.zeros_(mod.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.stem(x))
        return self.classifier(x.mean(dim=(2, 3)))
