"""The DARTS supernet: the DARTS evaluation network's macro structure (`NetworkCIFAR` in
`search_spaces.darts_network`: stem, normal and reduction cells with their input preprocessing,
global pool, linear) in which each intermediate node k of a cell has a mixed edge from every
predecessor (the 2 cell inputs and nodes 0..k-1: 2+3+4+5 = 14 edges per cell), each edge holding
the 7 ops a derived genotype may use (`search_spaces.darts.OPS`, built by `darts_ops.make_op`,
affine BN as in the evaluation network; `none` is left out: a genotype never picks it and in the
one-shot sum it adds zeros).

A path is, for the normal and for the reduction cell, the genotype's 8 (op index, input) pairs:
node k sums its 2 chosen pairs, exactly as `NetworkCIFAR` of that genotype does with the same
weights (`darts_path_state_dict`). `path=None` is the one-shot model (Bender et al., ICML 2018):
node k sums every op on every incoming edge; a pair of `EdgeSubsets` sums only the ops kept
(one-shot training with path dropout).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from search_spaces.darts import NUM_NODES, OPS
from search_spaces.darts_ops import FactorizedReduce, ReLUConvBN, make_op

_OP_INDEX = {op: i for i, op in enumerate(OPS)}
#: index of node k's first incoming edge (edges from inputs 0..k+1, node by node)
EDGE_OFFSET: tuple[int, ...] = tuple(sum(m + 2 for m in range(k)) for k in range(NUM_NODES))
NUM_EDGES = sum(k + 2 for k in range(NUM_NODES))  # 14
_EDGE_KEY = re.compile(r"^cells\.(\d+)\.edges\.(\d+)\.ops\.(\d+)\.(.+)$")

CellPath = Sequence[tuple[int, int]]  # 8 (op index, input) pairs, node k = pairs 2k, 2k+1
Path = tuple[CellPath, CellPath]       # (normal, reduce)


@dataclass(frozen=True)
class EdgeSubsets:
    """One-shot training with path dropout: for each of a cell's 14 edges, the op indices kept."""

    active: tuple[tuple[int, ...], ...]


class MixedOp(nn.Module):
    """One edge holding all 7 genotype ops; the op reading a cell input in a reduction cell
    has stride 2 (as in DARTS)."""

    def __init__(self, channels: int, stride: int):
        super().__init__()
        self.ops = nn.ModuleList(make_op(name, channels, stride, affine=True) for name in OPS)

    def forward(self, x: torch.Tensor, subset: Sequence[int] | None = None) -> torch.Tensor | None:
        """The sum of all ops (None) or of the ops in `subset`; None when `subset` is empty."""
        total = None
        for i in (range(len(self.ops)) if subset is None else subset):
            y = self.ops[i](x)
            total = y if total is None else total + y
        return total


class MixedDartsCell(nn.Module):
    def __init__(self, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool):
        super().__init__()
        if reduction_prev:
            self.preprocess0: nn.Module = FactorizedReduce(c_prev_prev, c)
        else:
            self.preprocess0 = ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.reduction = reduction
        self.edges = nn.ModuleList(
            MixedOp(c, 2 if reduction and i < 2 else 1)
            for k in range(NUM_NODES) for i in range(k + 2))
        self.multiplier = NUM_NODES

    def forward(self, s0: torch.Tensor, s1: torch.Tensor,
                path: CellPath | EdgeSubsets | None) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(NUM_NODES):
            total = None
            if path is None or isinstance(path, EdgeSubsets):
                for i in range(k + 2):
                    subset = None if path is None else path.active[EDGE_OFFSET[k] + i]
                    y = self.edges[EDGE_OFFSET[k] + i](states[i], subset)
                    if y is not None:
                        total = y if total is None else total + y
                if total is None:  # every op of every incoming edge dropped: the node is zero
                    total = torch.zeros_like(self.edges[EDGE_OFFSET[k]].ops[0](states[0]))
            else:
                for op, i in (path[2 * k], path[2 * k + 1]):
                    y = self.edges[EDGE_OFFSET[k] + i].ops[op](states[i])
                    total = y if total is None else total + y
            states.append(total)
        return torch.cat(states[2:], dim=1)


class DartsSupernet(nn.Module):
    """`NetworkCIFAR`'s layout (reduction cells at layers//3 and 2*layers//3, no auxiliary
    head, no drop path) with mixed cells."""

    space_name = "darts"

    def __init__(self, num_classes: int = 10, C: int = 16, layers: int = 5, in_channels: int = 3,
                 stem_multiplier: int = 3):
        super().__init__()
        if layers < 1 or C < 2 or C % 2 or in_channels < 1 or num_classes < 1:
            raise ValueError(f"DARTS supernet needs layers >= 1, an even C >= 2, in_channels and "
                             f"num_classes >= 1, got {layers}, {C}, {in_channels}, {num_classes}")
        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(c_curr))
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            cell = MixedDartsCell(c_prev_prev, c_prev, c_curr, reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor, path: Path | None = None) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            # a genotype path or a pair of EdgeSubsets: (normal cell's, reduction cell's)
            cell_path = None if path is None else path[1 if cell.reduction else 0]
            s0, s1 = s1, cell(s0, s1, cell_path)
        return self.classifier(self.global_pooling(s1).flatten(1))


def darts_path(arch: Any) -> Path:
    """The supernet path of a `DartsArch`: (normal, reduce), each 8 (op index, input) pairs."""
    normal, reduce = (tuple((_OP_INDEX[op], int(i)) for op, i in pairs)
                      for pairs in (arch.normal, arch.reduce))
    return normal, reduce


def darts_path_state_dict(supernet: DartsSupernet, path: Path) -> dict[str, torch.Tensor]:
    """The state dict of `NetworkCIFAR` for the genotype `path`: shared tensors as they are, and
    for pair j of a cell the tensors of its (op, input) edge, renamed from
    `cells.l.edges.e.ops.o.*` to `cells.l._ops.j.*`."""
    wanted: dict[tuple[int, int, int], int] = {}
    for layer, cell in enumerate(supernet.cells):
        pairs = path[1 if cell.reduction else 0]
        for j, (op, i) in enumerate(pairs):
            wanted[(layer, EDGE_OFFSET[j // 2] + int(i), int(op))] = j
    out: dict[str, torch.Tensor] = {}
    for key, value in supernet.state_dict().items():
        match = _EDGE_KEY.match(key)
        if match is None:
            out[key] = value
            continue
        j = wanted.get((int(match.group(1)), int(match.group(2)), int(match.group(3))))
        if j is not None:
            out[f"cells.{match.group(1)}._ops.{j}.{match.group(4)}"] = value
    return out
