"""Size and cost of a network: trainable parameters and FLOPs (torch's own flop counter)."""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(network: nn.Module) -> int:
    """Trainable parameters (what the benchmarks report as the parameter count)."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)


def count_flops(network: nn.Module, input_shape: tuple[int, ...] = (1, 3, 32, 32),
                dtype: torch.dtype = torch.float32) -> int:
    """FLOPs of one forward pass on a zero input of `input_shape` (token ids: dtype long),
    counted by `torch.utils.flop_counter.FlopCounterMode` (a multiply-add counts as 2 FLOPs;
    only matmul and convolution are counted, as torch does)."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = network.training
    network.eval()
    try:
        x = torch.zeros(input_shape, dtype=dtype)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            network(x)
        return int(counter.get_total_flops())
    finally:
        network.train(was_training)


#: the input a language model's FLOPs are counted on: one token of one sequence ([seq, batch])
TOKEN_FLOPS_SHAPE = (1, 1)


def count_token_flops(network: nn.Module) -> int:
    """FLOPs per token of a language model taking token ids [seq, batch]: one forward pass of a
    single token from the zero initial state (every matrix product runs once, the decoder's
    included), so the count does not depend on a sequence length."""
    return count_flops(network, TOKEN_FLOPS_SHAPE, torch.long)
