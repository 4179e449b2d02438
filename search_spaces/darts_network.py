"""NetworkCIFAR: the DARTS evaluation network (Liu et al., ICLR 2019, `cnn/model.py`), which
NAS-Bench-301 trained with C=32 initial channels and 8 layers.

Structure (facts from the DARTS code):
- stem: conv3x3 (in_channels -> 3*C, bias-free) + BN; both inputs of the first cell are the stem;
- `layers` cells; those at positions layers//3 and 2*layers//3 are reduction cells, which double
  the channel count and apply their input ops with stride 2;
- each cell preprocesses its inputs c_{k-2}, c_{k-1} to C channels: c_{k-1} with ReLU-conv1x1-BN,
  c_{k-2} with FactorizedReduce when the previous cell was a reduction (resolutions differ),
  else ReLU-conv1x1-BN; node k sums its two (op, input) pairs; the cell output concatenates all 4
  intermediate nodes (so a cell outputs 4*C channels);
- drop path (whole-sample dropout of an op's output, rescaled by 1/keep) on every non-identity
  op, only in training and only when `drop_path_prob` > 0; trainers may change
  `network.drop_path_prob` per epoch, as DARTS does (linearly ramped);
- optional auxiliary head on the output of cell 2*layers//3 (assumes 8x8 feature maps, i.e.
  32x32 inputs), computed only in training; global average pool and a linear classifier.

Parameter names match the DARTS code's (stem, cells.i.preprocess0/1, cells.i._ops, auxiliary_head,
classifier). `forward` returns the logits only; the auxiliary logits of the last training forward
are kept in `network.logits_aux` (None otherwise), and `forward_with_aux` returns both.
The auxiliary head's first ReLU is not in-place here (DARTS's is); every consumer of that feature
map starts with a ReLU, so the numbers are the same and autograd stays safe.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from search_spaces.darts_ops import FactorizedReduce, Identity, ReLUConvBN, make_op

Pairs = Sequence[tuple[str, int]]


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero whole samples with probability `drop_prob`, scale the survivors by 1/keep."""
    if drop_prob <= 0.0:
        return x
    keep = 1.0 - drop_prob
    mask = x.new_empty((x.size(0), 1, 1, 1)).bernoulli_(keep)
    return x / keep * mask


class Cell(nn.Module):
    """One DARTS cell built from 8 (op, input) pairs: pair 2k and 2k+1 feed node k."""

    def __init__(self, pairs: Pairs, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool):
        super().__init__()
        if reduction_prev:
            self.preprocess0: nn.Module = FactorizedReduce(c_prev_prev, c)
        else:
            self.preprocess0 = ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.reduction = reduction
        self._steps = len(pairs) // 2
        self._indices = tuple(int(i) for _, i in pairs)
        # only the ops reading a cell input get stride 2 in a reduction cell
        self._ops = nn.ModuleList(
            make_op(name, c, 2 if reduction and index < 2 else 1, affine=True)
            for name, index in pairs)
        self.multiplier = self._steps  # all intermediate nodes are concatenated

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float = 0.0) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        use_drop = self.training and drop_prob > 0.0
        for k in range(self._steps):
            total = None
            for j in (2 * k, 2 * k + 1):
                op = self._ops[j]
                h = op(states[self._indices[j]])
                if use_drop and not isinstance(op, Identity):
                    h = drop_path(h, drop_prob)
                total = h if total is None else total + h
            states.append(total)
        return torch.cat(states[2:], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """DARTS's CIFAR auxiliary classifier (expects 8x8 inputs: pooled to 2x2, then 1x1)."""

    def __init__(self, c: int, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return self.classifier(x.flatten(1))


class NetworkCIFAR(nn.Module):
    """The DARTS evaluation network for one genotype (`normal`, `reduce`: 8 (op, input) pairs)."""

    def __init__(self, normal: Pairs, reduce: Pairs, C: int, num_classes: int, layers: int,
                 auxiliary: bool = False, drop_path_prob: float = 0.0, in_channels: int = 3,
                 stem_multiplier: int = 3):
        super().__init__()
        if layers < 1 or C < 1:
            raise ValueError(f"NetworkCIFAR needs layers >= 1 and C >= 1, got {layers}, {C}")
        if C % 2:
            # FactorizedReduce splits the channels into two halves
            raise ValueError(f"NetworkCIFAR needs an even C, got {C}")
        self._layers = layers
        self._auxiliary = bool(auxiliary)
        self.drop_path_prob = float(drop_path_prob)
        self.logits_aux: torch.Tensor | None = None
        self.reduction_layers = (layers // 3, 2 * layers // 3)

        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_curr),
        )
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        c_to_auxiliary = c_prev
        for i in range(layers):
            reduction = i in self.reduction_layers
            if reduction:
                c_curr *= 2
            cell = Cell(reduce if reduction else normal, c_prev_prev, c_prev, c_curr,
                        reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
            if i == 2 * layers // 3:
                c_to_auxiliary = c_prev
        if self._auxiliary:
            self.auxiliary_head = AuxiliaryHeadCIFAR(c_to_auxiliary, num_classes)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_with_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(logits, auxiliary logits); the latter only in training with the head on, else None."""
        logits_aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == 2 * self._layers // 3 and self._auxiliary and self.training:
                logits_aux = self.auxiliary_head(s1)
        out = self.global_pooling(s1)
        return self.classifier(out.flatten(1)), logits_aux

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, self.logits_aux = self.forward_with_aux(x)
        return logits
