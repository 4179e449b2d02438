"""A small fully connected tanh network whose parameters are one flat tensor (shared by `dngo`
and `bohamiann`). One flat tensor keeps per-step optimiser / sampler work to a few tensor ops,
which dominates the cost of the thousands of tiny steps these models take on a CPU.

Randomness comes only from the `torch.Generator` passed in, so fits are reproducible without
touching torch's global RNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch


class FlatMLP:
    """in -> hidden[0] -> ... -> hidden[-1] -> out, tanh between layers (Snoek et al. 2015 /
    Springenberg et al. 2016 use 3 hidden layers of 50 tanh units)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int = 1,
                 dtype: torch.dtype = torch.float64):
        self.shapes = []
        sizes = [in_dim, *hidden, out_dim]
        for a, b in zip(sizes[:-1], sizes[1:]):
            self.shapes.append(((a, b), (b,)))
        self.size = sum(a * b + b for (a, b), _ in self.shapes)
        self.dtype = dtype

    def init(self, generator: torch.Generator) -> torch.Tensor:
        """Kaiming-normal (fan-in, linear gain) weights and zero biases, as pybnn's networks."""
        parts = []
        for (a, b), _ in self.shapes:
            parts.append(torch.randn(a * b, generator=generator, dtype=self.dtype) / math.sqrt(a))
            parts.append(torch.zeros(b, dtype=self.dtype))
        return torch.cat(parts)

    def _layers(self, theta: torch.Tensor):
        offset = 0
        for (a, b), _ in self.shapes:
            W = theta[offset:offset + a * b].view(a, b)
            offset += a * b
            bias = theta[offset:offset + b]
            offset += b
            yield W, bias

    def hidden(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden layer (DNGO's basis functions)."""
        return self.forward_with_cache(theta, x)[1][-1]

    def forward(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_cache(theta, x)[0]

    def forward_with_cache(self, theta: torch.Tensor, x: torch.Tensor):
        """(output [b, out], inputs of every layer) for `backward`."""
        layers = list(self._layers(theta))
        acts = [x]
        for W, b in layers[:-1]:
            x = torch.tanh(torch.addmm(b, x, W))
            acts.append(x)
        W, b = layers[-1]
        return torch.addmm(b, x, W), acts

    def backward(self, theta: torch.Tensor, acts: list[torch.Tensor],
                 d_out: torch.Tensor) -> torch.Tensor:
        """Gradient w.r.t. the flat parameters given dLoss/dOutput [b, out] (hand-written
        backpropagation: autograd's per-op bookkeeping costs more than the math here)."""
        layers = list(self._layers(theta))
        grads: list[torch.Tensor] = []
        delta = d_out
        for k in range(len(layers) - 1, -1, -1):
            W, _ = layers[k]
            h = acts[k]
            grads.append(delta.sum(0))
            grads.append((h.T @ delta).reshape(-1))
            if k > 0:
                delta = (delta @ W.T) * (1.0 - h * h)
        return torch.cat(grads[::-1])


def minibatches(n: int, batch_size: int, rng: np.random.Generator):
    """Endless shuffled minibatch index arrays (each epoch a new permutation; the last,
    smaller batch of an epoch is kept, as a PyTorch DataLoader does)."""
    batch_size = max(1, min(batch_size, n))
    while True:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield torch.as_tensor(order[start:start + batch_size])


def torch_generator(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(2**62)))
