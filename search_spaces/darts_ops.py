"""Torch operations of the DARTS search space, as the DARTS code (Liu et al., ICLR 2019,
`cnn/operations.py`) defines them.

Facts followed here (checked against the DARTS code):
- every convolution is bias-free and sits in a ReLU -> conv -> BN block;
- `sep_conv_kxk` applies a depthwise-separable unit *twice* (ReLU, depthwise kxk with the op's
  stride, pointwise 1x1, BN, then ReLU, depthwise kxk stride 1, pointwise 1x1, BN);
- `dil_conv_kxk` is one such unit with dilation 2 (padding 2 for 3x3, 4 for 5x5);
- pools are bare 3x3 pools with padding 1; average pooling excludes the padding;
- `skip_connect` is the identity at stride 1 and a `FactorizedReduce` at stride 2;
- `none` (search only) outputs zeros, subsampled at stride 2;
- `affine` is True in the evaluation network (NetworkCIFAR builds every op with
  `affine=True`); the search supernet uses `affine=False` and appends an affine-free BN after
  each pool (`pool_bn` below), which the evaluation network does not have.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from search_spaces.ops import Identity, ReLUConvBN

__all__ = [
    "OPS", "DilConv", "FactorizedReduce", "Identity", "ReLUConvBN", "SepConv", "Zero",
    "make_op", "pool_bn",
]


class DilConv(nn.Module):
    """ReLU -> depthwise (dilated) kxk conv -> pointwise 1x1 conv -> BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 dilation: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation,
                      groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class SepConv(nn.Module):
    """Two stacked depthwise-separable units; only the first carries the stride. Kept as one
    flat Sequential so parameter names match the DARTS code's (its checkpoints load)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, groups=c_in,
                      bias=False),
            nn.Conv2d(c_in, c_in, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=1, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    """The `none` op: zeros shaped like the input, subsampled by the stride."""

    def __init__(self, stride: int = 1):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing pixels: two stride-2 1x1 convs, the second shifted by
    one pixel, each giving half the output channels, concatenated, then BN."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even output channel count, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


OpBuilder = Callable[[int, int, bool], nn.Module]

#: name -> builder(C, stride, affine); all 8 DARTS primitives (`none` for supernets only)
OPS: dict[str, OpBuilder] = {
    "none": lambda c, stride, affine: Zero(stride),
    "max_pool_3x3": lambda c, stride, affine: nn.MaxPool2d(3, stride=stride, padding=1),
    "avg_pool_3x3": lambda c, stride, affine: nn.AvgPool2d(
        3, stride=stride, padding=1, count_include_pad=False),
    "skip_connect": lambda c, stride, affine: (
        Identity() if stride == 1 else FactorizedReduce(c, c, affine=affine)),
    "sep_conv_3x3": lambda c, stride, affine: SepConv(c, c, 3, stride, 1, affine=affine),
    "sep_conv_5x5": lambda c, stride, affine: SepConv(c, c, 5, stride, 2, affine=affine),
    "dil_conv_3x3": lambda c, stride, affine: DilConv(c, c, 3, stride, 2, 2, affine=affine),
    "dil_conv_5x5": lambda c, stride, affine: DilConv(c, c, 5, stride, 4, 2, affine=affine),
}


def make_op(name: str, channels: int, stride: int, affine: bool = True) -> nn.Module:
    """The DARTS op `name` on `channels` channels (clear error for an unknown name)."""
    if name not in OPS:
        raise ValueError(f"unknown DARTS op {name!r}; expected one of: {', '.join(OPS)}")
    return OPS[name](channels, stride, affine)


def pool_bn(op: nn.Module, channels: int) -> nn.Module:
    """A pool followed by an affine-free BN, as the DARTS *search* supernet wraps its pools
    (so their output scale matches the parametric ops'). Not used by the evaluation network."""
    return nn.Sequential(op, nn.BatchNorm2d(channels, affine=False))
