"""Shared torch machinery of the neural model-based predictors (mlp, bananas, gcn, bonas, nao,
seminas): local seeding, device choice, a minibatch training loop, the feed-forward net and
graph normalisation.

Why local seeding: `torch.manual_seed` is process-global; a predictor must be deterministic under
its seed without disturbing the caller's RNG, so training runs inside `torch.random.fork_rng`.
Why one thread: these nets are tiny (tens of thousands of weights, batches of <= a few hundred),
so intra-op parallelism costs more in synchronisation than it gains, and the machines running the
benchmarks are shared; one thread is also bitwise reproducible.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from predictors.base import Context, check_context
from predictors.model_based.base import ModelBasedPredictor

#: intra-op threads while fitting/querying (see the module docstring)
TORCH_THREADS = 1
#: rows per forward pass at query time (bounds memory for large query sets)
QUERY_CHUNK = 4096


@contextlib.contextmanager
def torch_session(seed: int | None, device: torch.device) -> Iterator[None]:
    """Run torch code with a local seed (the caller's RNG state is restored afterwards) and
    `TORCH_THREADS` intra-op threads."""
    threads = torch.get_num_threads()
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        if seed is not None:
            if device.type == "cuda":
                torch.manual_seed(seed)  # CPU + CUDA generators (fork_rng restores this device's)
            else:
                torch.default_generator.manual_seed(seed)  # leave CUDA generators alone
        torch.set_num_threads(TORCH_THREADS)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def torch_seed(rng: np.random.Generator) -> int:
    """A torch seed drawn from the numpy generator the base class hands to `_fit`."""
    return int(rng.integers(0, 2**31 - 1))


class TorchPredictor(ModelBasedPredictor):
    """A `ModelBasedPredictor` trained with torch. `fit` remembers the device (constructor
    `device`, else `Context.device`) and the search space, because the base class hands `_fit`
    neither (SemiNAS samples unlabeled archs from the space)."""

    def fit(self, archs: Sequence[Any], y: np.ndarray, ctx: Context) -> TorchPredictor:
        check_context(ctx, self.name)
        device = self.device if self.device is not None else (ctx.device or "cpu")
        self._device_ = torch.device(device)
        self._space_ = ctx.space
        return super().fit(archs, y, ctx)

    @property
    def torch_device(self) -> torch.device:
        return getattr(self, "_device_", torch.device("cpu"))


def as_tensor(x: np.ndarray, device: torch.device, dtype: torch.dtype = torch.float32) -> Tensor:
    return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)


def plan_epochs(n: int, batch_size: int, epochs: int, max_steps: int | None) -> int:
    """Epochs to run: `epochs`, or fewer when that would exceed `max_steps` optimizer steps.
    Why: a fixed epoch count costs 10x more at n = 1000 than at n = 100 although large train sets
    converge in fewer epochs; the cap keeps big fits in seconds and never shortens small ones."""
    steps_per_epoch = max(1, -(-n // max(1, min(int(batch_size), n))))
    if max_steps is None or max_steps <= 0:
        return int(epochs)
    return max(1, min(int(epochs), -(-int(max_steps) // steps_per_epoch)))


def train_loop(model: nn.Module, n: int, epochs: int, batch_size: int,
               loss_of: Callable[[Tensor], Tensor], optimizer: torch.optim.Optimizer,
               scheduler: Any = None, grad_clip: float | None = None,
               device: torch.device | None = None, members: int | None = None) -> None:
    """Minibatch training: each epoch a random permutation of the `n` rows, `loss_of(index)`
    gives the loss of one batch. With `members`, each ensemble member gets its own permutation
    and `index` is [members, batch]. A trailing batch of a single row is dropped (BatchNorm
    cannot train on it and it adds little). `scheduler` steps once per epoch."""
    batch_size = max(1, min(int(batch_size), n))
    model.train()
    for _ in range(int(epochs)):
        if members is None:
            order = torch.randperm(n)
        else:
            order = torch.stack([torch.randperm(n) for _ in range(members)])
        order = order.to(device or "cpu")
        for start in range(0, n, batch_size):
            index = order[..., start:start + batch_size]
            if index.shape[-1] < 2 and n > 1:
                continue
            optimizer.zero_grad(set_to_none=True)
            loss = loss_of(index)
            loss.backward()
            if grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
    model.eval()


@torch.no_grad()
def predict_chunks(forward: Callable[[slice], Tensor], n: int) -> np.ndarray:
    """Concatenate `forward(rows)` ([..., rows]) over chunks of `QUERY_CHUNK` rows along the last
    axis, as float64 numpy."""
    out = [forward(slice(s, s + QUERY_CHUNK)).double().cpu() for s in range(0, n, QUERY_CHUNK)]
    return torch.cat(out, dim=-1).numpy() if out else np.zeros(0)


def regression_loss(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    if name == "mae":
        return nn.functional.l1_loss
    if name == "mse":
        return nn.functional.mse_loss
    raise ValueError(f"unknown loss {name!r}; expected 'mae' or 'mse'")


class FeedForward(nn.Module):
    """`members` independent feed-forward nets evaluated as one batched module: each has
    `num_layers` ReLU layers of width `width` and a linear output — the BANANAS meta neural
    network / NASLib `FeedforwardNet` — with Xavier-uniform weights and zero biases (NASLib: "make
    the init similar to the tf.keras version"). Stacking the members' weights ([members, in, out]
    and `torch.baddbmm`) trains an ensemble in the time of one net; Adam is elementwise and the
    loss a sum over members, so the members still train independently."""

    def __init__(self, in_dim: int, num_layers: int, width: int, members: int = 1) -> None:
        super().__init__()
        dims = [in_dim] + [width] * num_layers + [1]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for a, b in zip(dims[:-1], dims[1:]):
            w = torch.empty(members, a, b)
            for m in range(members):
                nn.init.xavier_uniform_(w[m].T)  # xavier on the (out, in) view, as nn.Linear
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.zeros(members, 1, b)))

    @property
    def out_weight(self) -> Tensor:
        return self.weights[-1]

    def forward(self, x: Tensor) -> Tensor:
        """x: [members, batch, in] (or [batch, in], shared by all members) -> [members, batch]."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.weights[0].shape[0], -1, -1)
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if k < last:
                x = torch.relu(x)
        return x.squeeze(-1)


def adam(params: Any, lr: float, **kwargs: Any) -> torch.optim.Adam:
    """Adam, fused where torch has a fused kernel (CPU and CUDA): several times fewer kernel
    launches per step, which dominate for nets this small."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, **kwargs)


def row_normalise(a: Tensor) -> Tensor:
    """Divide each row by its sum (rows of zeros stay zero): mean aggregation over neighbours."""
    return a / a.sum(-1, keepdim=True).clamp_min(1.0)


def real_nodes(features: Tensor) -> Tensor:
    """[B, N] mask of the nodes that exist (padding nodes of NB101 graphs have all-zero rows)."""
    return (features.abs().sum(-1) > 0).to(features.dtype)
