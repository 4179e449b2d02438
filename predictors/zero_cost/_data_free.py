"""The data-free zero-cost proxies: they need the network and an input shape, never real data.

- **synflow** (Tanaka et al. 2020, "Pruning neural networks without any data by iteratively
  conserving synaptic flow", NeurIPS; as a NAS proxy Abdelfattah et al. 2021): BatchNorm
  disabled (identity), float64, every parameter and buffer replaced by its absolute value, an
  all-ones input of batch 1, R = Σ outputs; score Σ_l Σ |θ_l ⊙ ∂R/∂θ_l| over Conv2d/Linear
  weights, reported as log(score) (NASLib's `zerocost.py` logs it too; the raw value spans
  hundreds of orders of magnitude across NB201). A raw score of 0 (no path from input to
  output) has no logarithm: it is reported as a failure (NaN plus a warning); NASLib stores 0.
- **zen** (Lin et al. 2021, "Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition",
  ICCV): weights re-drawn N(0, 1) (BatchNorm γ=1, β=0, biases 0), train mode, Gaussian inputs
  x, ε of the batch's shape, mixup γ = 0.01; f = the feature map before global average pooling;
  Δ = mean_n Σ_{c,h,w} |f(x) − f(x + γε)|;
  score = log Δ + Σ_BN log sqrt(mean_channels σ²), σ² the BN layer's mini-batch variance in
  the forward pass of x. BN layers whose input is identically zero (ops on dead edges, which
  NB201 networks keep) are left out: they carry no signal, and log 0 would make the score −inf.
  *Paper vs implementation:* the authors' code reads BatchNorm's `running_var` after the two
  forward passes, which with PyTorch's momentum 0.1 is 0.81 + 0.19·σ² — a per-layer offset
  that adds (number of BN layers)·const to the score, so archs with more convolutions shift
  relative to the others. We follow the paper (the batch variance). NASLib's port
  (`measures/zen.py`) cannot run (it refers to an undefined `model` and opens an IPython
  shell), which is why the Suite-Zero NB201 file has no zen scores to compare against.
  The pre-pooling map is the network's `forward_pre_gap(x)` when it has one, else the input of
  its last `AdaptiveAvgPool2d`, else the input of its last `Linear` (pooled features).
- **l2_norm** (Krishnakumar et al. 2022, "NAS-Bench-Suite-Zero", NeurIPS D&B, a baseline):
  Σ_l ‖θ_l‖₂ over Conv2d/Linear weights at initialisation.
- **params** (Suite-Zero baseline): trainable parameters, in millions (as Suite-Zero stores it).
- **flops** (Suite-Zero baseline): FLOPs of one forward pass at batch 1, in millions, counted by
  `search_spaces.measure.count_flops` (torch's counter: a multiply-add is 2 FLOPs, only
  convolutions and matmuls). Suite-Zero's `get_model_stats` uses another counting rule, so the
  values differ; the ranking is close (see `studies/zero_cost_report.py`).

`synflow_score` and `zen_score` alter the weights of the network they are given: the engine
(`score.py`) hands them one copy.

Token networks (`_tokens.py`): synflow feeds a constant token for two steps through the
linearised network (the embedding made |E| like every weight) in eval mode; flops counts one
token (`count_token_flops`, as `arch info`); l2_norm and synflow take the cell linears and the
(tied) embedding as weights; zen refuses.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from predictors.zero_cost import _tokens
from predictors.zero_cost._data_pass import group_norm, weight_groups
from search_spaces.measure import count_flops, count_parameters, count_token_flops


def l2_norm_score(network: nn.Module) -> float:
    with torch.no_grad():
        return float(sum(group_norm(ws) for _, ws in weight_groups(network)))


def params_score(network: nn.Module) -> float:
    return count_parameters(network) / 1e6


def flops_score(network: nn.Module, input_shape: tuple[int, ...], tokens: bool = False
                ) -> float:
    """Millions of FLOPs of one input (tokens: of one token)."""
    on_cpu = all(p.device.type == "cpu" for p in network.parameters())
    # count_flops feeds a CPU tensor; FLOPs do not depend on the device, so count a CPU copy
    net = network if on_cpu else copy.deepcopy(network).cpu()
    if tokens:
        return count_token_flops(net) / 1e6
    return count_flops(net, (1, *input_shape)) / 1e6


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def synflow_score(network: nn.Module, input_shape: tuple[int, ...], tokens: bool = False
                  ) -> float:
    """log Σ|θ·∂R/∂θ| of the linearised (|θ|, no BN, float64) network; alters `network`.
    `tokens`: the input is one token for `_tokens.SYNFLOW_STEPS` steps (input_shape unused)."""
    network.double()
    if tokens:
        network.eval()  # no BatchNorm: eval mode only switches the dropouts off
    with torch.no_grad():
        for t in network.state_dict().values():
            if t.is_floating_point():
                t.abs_()
    bns = [m for m in network.modules() if isinstance(m, _BatchNorm)]
    for m in bns:  # instance attribute shadows the class's forward: BN becomes the identity
        m.forward = _identity  # type: ignore[method-assign, assignment]
    try:
        weights = [w for _, ws in weight_groups(network) for w in ws]
        if tokens:
            out = _tokens.synflow_output(network)
        else:
            device = next(network.parameters()).device
            out = network(torch.ones((1, *input_shape), dtype=torch.float64, device=device))
        grads = torch.autograd.grad(out.sum(), weights, allow_unused=True)
        with torch.no_grad():
            total = sum(float((w * g).abs().sum()) for w, g in zip(weights, grads)
                        if g is not None)
    finally:
        for m in bns:
            del m.forward
    if total <= 0.0:
        raise FloatingPointError("synflow is 0 (no signal reaches the output); log undefined")
    return math.log(total)


def _gaussian_init(network: nn.Module, generator: torch.Generator) -> None:
    with torch.no_grad():
        for m in network.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                # drawn on the CPU generator, then copied: the same numbers on any device
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)) and m.weight is not None:
                m.weight.fill_(1.0)
                m.bias.zero_()


def _feature_module(network: nn.Module) -> nn.Module | None:
    pools = [m for m in network.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    if pools:
        return pools[-1]
    linears = [m for m in network.modules() if isinstance(m, nn.Linear)]
    return linears[-1] if linears else None


def zen_score(network: nn.Module, input_shape: tuple[int, ...], batch_size: int, seed: int,
              mixup_gamma: float = 1e-2, channels_last: bool = True) -> float:
    """Zen-score of `network` under a fresh N(0,1) init (seeded); alters `network`.
    `channels_last` runs the two forward passes in NHWC layout (same values up to rounding;
    about 1.4x faster on CPU)."""
    network.float()
    device = next(network.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    _gaussian_init(network, gen)
    network.train()
    x = torch.randn((batch_size, *input_shape), generator=gen).to(device)
    eps = torch.randn((batch_size, *input_shape), generator=gen).to(device)

    # σ² of each BN's mini-batch: with momentum 1 a train-mode forward leaves exactly the
    # unbiased batch variance in running_var (PyTorch's own reduction, no extra pass over the
    # activations); a pre-hook only notes the per-channel count n (for the biased σ²) and, if
    # a BN runs twice, keeps the previous call's value. BNs without running stats get their
    # σ² computed in the hook instead.
    bns = [m for m in network.modules() if isinstance(m, nn.BatchNorm2d)]
    tracked = [m for m in bns if m.running_var is not None]
    momenta = [m.momentum for m in tracked]
    variances: list[torch.Tensor] = []
    pending: dict[int, tuple[nn.Module, int]] = {}
    record = {"on": True}

    def biased(module: Any, n: int) -> torch.Tensor:
        return module.running_var.mean() * ((n - 1) / n)

    def bn_hook(module: nn.Module, inputs: tuple) -> None:
        if not record["on"]:
            return
        x_in = inputs[0]
        if module.running_var is None:
            variances.append(x_in.detach().var(dim=(0, 2, 3), unbiased=False).mean())
            return
        if id(module) in pending:
            variances.append(biased(*pending[id(module)]))
        pending[id(module)] = (module, x_in.numel() // x_in.shape[1])

    features: list[torch.Tensor] = []
    hooks = [m.register_forward_pre_hook(bn_hook) for m in bns]
    for m in tracked:
        m.momentum = 1.0
    pre_gap: Any = getattr(network, "forward_pre_gap", None)
    feature_module = None if callable(pre_gap) else _feature_module(network)
    if feature_module is not None:
        hooks.append(feature_module.register_forward_pre_hook(
            lambda m, i: features.append(i[0].detach())))
    # NHWC convolutions are markedly faster on CPU (oneDNN); same values
    if channels_last and x.dim() == 4:
        network.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        x = x.contiguous(memory_format=torch.channels_last)
        eps = eps.contiguous(memory_format=torch.channels_last)
    try:
        with torch.no_grad():
            def feature_map(inp: torch.Tensor) -> torch.Tensor:
                features.clear()
                out = pre_gap(inp) if callable(pre_gap) else network(inp)
                return features[-1] if features else out
            f1 = feature_map(x)
            record["on"] = False  # σ from the clean input's forward only
            variances += [biased(m, n) for m, n in pending.values()]
            f2 = feature_map(x + mixup_gamma * eps)
            delta = (f1 - f2).abs().flatten(1).sum(1).mean()
            # a BN fed only zeros (an op on a dead NB201 edge) scales no signal: left out
            log_sigma = [0.5 * torch.log(v) for v in variances if v > 0]
            total = torch.log(delta) + (torch.stack(log_sigma).sum() if log_sigma else 0.0)
    finally:
        for h in hooks:
            h.remove()
        for m, momentum in zip(tracked, momenta):
            m.momentum = momentum
    return float(total)
