"""Torch building blocks shared by the spaces' networks.

NB201 ops follow the NAS-Bench-201 definitions: convolutions are ReLU -> Conv(bias=False) -> BN
(affine), average pooling excludes padding, `none` outputs zeros of the right shape.
"""

from __future__ import annotations

import torch
from torch import nn


class ReLUConvBN(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 dilation: int = 1, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation,
                      bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    """The `none` op: zeros shaped like the op's output (stride and channels respected)."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if x.shape[1] != self.c_out:
            shape = list(x.shape)
            shape[1] = self.c_out
            return x.new_zeros(shape)
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class AvgPool3x3(nn.Module):
    """NB201 `avg_pool_3x3`: 3x3 average pool, stride 1, padding excluded from the mean."""

    def __init__(self, stride: int = 1):
        super().__init__()
        self.pool = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)
