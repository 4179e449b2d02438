"""The data-dependent zero-cost proxies, computed from ONE forward pass of a minibatch.

Conventions (NAS-Bench-Suite-Zero / NASLib, after Abdelfattah et al. 2021): the network is in
train mode (BatchNorm uses batch statistics) at its initial weights; per-layer quantities are
taken over the weights θ_l of every `Conv2d` and `Linear` (biases excluded) and summed to one
number; L is the mean cross-entropy of the minibatch, g_l = ∂L/∂θ_l.

- **grad_norm** (Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight NAS", ICLR):
  Σ_l ‖g_l‖₂ (Frobenius norm per layer, summed over layers).
- **snip** (Lee et al. 2019, "SNIP: Single-shot Network Pruning based on Connection
  Sensitivity", ICLR): Σ_l Σ |θ_l ⊙ g_l|  (∂L/∂c at mask c = 1 equals θ·∂L/∂θ).
- **plain** (Abdelfattah et al. 2021, the baseline): Σ_l Σ θ_l ⊙ g_l  (signed).
- **grasp** (Wang et al. 2020, "Picking Winning Tickets Before Training by Preserving Gradient
  Flow", ICLR): Σ_l Σ −θ_l ⊙ (H g)_l, H the Hessian of L w.r.t. all the weights, g detached.
  The published implementation runs a second forward pass for the Hessian-vector product; in
  train mode that forward gives the same outputs (BatchNorm uses batch statistics, not the
  running statistics the first pass updated), so we differentiate the first pass's gradient
  (built with `create_graph`) once more instead: same number, one forward fewer.
- **fisher** (Theis et al. 2018, "Faster Gaze Prediction with Dense Networks and Fisher
  Pruning"; Turner et al. 2020, BlockSwap): for each output channel k of each Conv2d/Linear with
  output activations a (hooked right after the layer, before BatchNorm),
  Δ_k = ½ · mean_n (Σ_{h,w} a_{nkhw} · ∂L/∂a_{nkhw})².
  *Paper vs implementation:* the paper sums Δ_k over channels; the Suite-Zero / zero-cost-nas
  implementation broadcasts each Δ_k over the weights of its channel before summing, i.e. weights
  each channel by its fan-in (C_in·k_h·k_w). We follow the implementation, Σ_l Σ_k fan_in_l·Δ_k,
  because the goal is to rank architectures the way the published scores do, and the fan-in
  weighting changes the relative weight of 3x3 vs 1x1 layers (hence the ranking): on 40 NB201
  archs (official network, one digits batch) the Spearman with Suite-Zero's stored fisher is
  0.97 with the weighting and 0.90 without.
- **jacov** (Mellor et al. 2020, "Neural Architecture Search without Training", arXiv v1):
  J = ∂(Σ logits)/∂x per sample, flattened (one backward pass with a ones cotangent, as the
  implementation does; BatchNorm couples the samples); C = corrcoef(J) (rows = samples);
  score = −Σ_i [log(λ_i + k) + 1/(λ_i + k)], k = 1e−5, λ_i the eigenvalues of C. The
  implementation uses a general eigen-solver; C is symmetric, so we use `eigvalsh` (real
  eigenvalues, same values up to rounding).
- **epe_nas** (Lopes et al. 2021, "EPE-NAS: Efficient Performance Estimation Without Training
  for Neural Architecture Search", ICANN): the same J, grouped by label; per class c,
  s_c = Σ_{ij} log(|corrcoef(J_c)_{ij}| + k), k = 1e−5; score = Σ_c |s_c| when the network has
  ≤ 100 classes, else (Σ_{c,c'} |s_c − s_{c'}|) / (#classes seen) with each s_c divided by its
  class size (both branches as in the paper and the authors' code).
- **nwot** (Mellor et al. 2021, "Neural Architecture Search without Training", ICML, v2): for
  every ReLU, c_n ∈ {0,1}^D the binary pattern of its input (x > 0) for sample n;
  K = Σ_ReLUs [c cᵀ + (1−c)(1−c)ᵀ] (N_A minus the Hamming distance); score = log|det K|.
  Computed in the same forward pass by hooks; K is accumulated in float64 (each term is an exact
  integer in float32 below 2^24 units per layer).

The two backward passes (input Jacobian for jacov/epe_nas, cross-entropy for the gradient
proxies) share the forward; only grasp adds a third (double) backward.

Token networks (language models): the same definitions with the substitutions of `_tokens.py`
(loss over all positions, Jacobian w.r.t. the embeddings, cell linears and the embedding as
weights, fisher summed over time, nwot on the cell activations' sign patterns).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from predictors.zero_cost import _tokens
from search_spaces.nlp_network import Activation, MultiLinear

JACOBIAN_PROXIES = frozenset({"jacov", "epe_nas"})
LOSS_PROXIES = frozenset({"grad_norm", "snip", "plain", "fisher", "grasp"})
DATA_PASS_PROXIES = JACOBIAN_PROXIES | LOSS_PROXIES | {"nwot"}
_K = 1e-5  # the jacov / epe_nas regulariser of both papers


def weighted_layers(network: nn.Module) -> list[nn.Module]:
    """The Conv2d and Linear modules whose weights the per-layer proxies sum over (each once)."""
    seen: set[int] = set()
    out: list[nn.Module] = []
    for m in network.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and id(m.weight) not in seen:
            seen.add(id(m.weight))
            out.append(m)
    return out


def weight_groups(network: nn.Module) -> list[tuple[nn.Module, list[torch.Tensor]]]:
    """Per layer, its weight matrices (biases excluded), each tensor once: every Conv2d and
    Linear (its weight), every cell `MultiLinear` of a language model (one matrix per input: one
    layer), then any nn.Embedding whose weight no layer holds (an untied embedding; a tied one
    is the decoder's). On image networks this is `weighted_layers`, one weight each."""
    seen: set[int] = set()
    out: list[tuple[nn.Module, list[torch.Tensor]]] = []
    for m in network.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            ws = [m.weight]
        elif isinstance(m, MultiLinear):
            ws = list(m.weights)
        else:
            continue
        ws = [w for w in ws if id(w) not in seen]
        if ws:
            seen.update(id(w) for w in ws)
            out.append((m, ws))
    for m in network.modules():
        if isinstance(m, nn.Embedding) and id(m.weight) not in seen:
            seen.add(id(m.weight))
            out.append((m, [m.weight]))
    return out


def group_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The Frobenius norm of a layer's matrices taken together."""
    if len(tensors) == 1:
        return tensors[0].norm()
    return torch.stack([t.norm() for t in tensors]).norm()


def fan_in(module: nn.Module) -> int:
    """Inputs per output unit: C_in·k_h·k_w of a convolution, the summed input sizes of a
    MultiLinear."""
    if isinstance(module, MultiLinear):
        return sum(int(w.shape[1]) for w in module.weights)
    weight = module.weight
    assert isinstance(weight, torch.Tensor)
    return int(weight[0].numel())


class _NwotKernel:
    """Accumulates K = Σ c cᵀ + (1−c)(1−c)ᵀ over the ReLUs of one forward pass.

    ReLUs that read the same tensor (in a cell, every op on the edges out of one node starts
    with a ReLU of that node) have the same pattern c: their term is computed once and added
    again. The tensor itself is kept for the identity check (so its memory cannot be reused by
    another tensor meanwhile); only the last few are, which covers the edges of one cell."""

    def __init__(self, remember: int = 8) -> None:
        self.K: torch.Tensor | None = None
        self.seen: deque[tuple[torch.Tensor, int, torch.Tensor]] = deque(maxlen=remember)

    def __call__(self, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        with torch.no_grad():
            x = inputs[0]
            k = next((k for t, v, k in self.seen if t is x and v == x._version), None)
            if k is None:
                flat = x.detach().reshape(x.shape[0], -1)
                c = (flat > 0).to(torch.float32)
                s = c.sum(1)
                # c cᵀ + (1−c)(1−c)ᵀ = D − s_i − s_j + 2 c cᵀ: one matmul instead of two
                k = (2.0 * (c @ c.T) - s[:, None] - s[None, :] + c.shape[1]).double()
                self.seen.append((x, x._version, k))
            self.K = k if self.K is None else self.K + k

    def score(self) -> float:
        self.seen.clear()
        if self.K is None:
            raise ValueError("the network has no nn.ReLU modules to hook")
        _, logdet = np.linalg.slogdet(self.K.cpu().numpy())
        return float(logdet)


def jacov_score(jacobian: np.ndarray) -> float:
    """−Σ log(λ+k) + 1/(λ+k) over the eigenvalues of the samples' Jacobian correlation matrix."""
    with np.errstate(all="ignore"):
        corr = np.corrcoef(jacobian)
    if not np.all(np.isfinite(corr)):
        raise FloatingPointError("Jacobian correlation is undefined (a sample's input gradient "
                                 "is constant, e.g. zero)")
    lam = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(lam + _K) + 1.0 / (lam + _K)))


def epe_nas_score(jacobian: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """EPE-NAS: per-class Jacobian correlations, Σ_c |Σ log(|corr| + k)| (≤ 100 classes)."""
    per_class = {}
    with np.errstate(all="ignore"):
        for c in np.unique(labels):
            corr = np.atleast_2d(np.corrcoef(jacobian[labels == c]))
            s = float(np.sum(np.log(np.abs(corr) + _K)))
            if num_classes > 100:
                s /= len(corr)
            per_class[c] = s
    values = np.array(list(per_class.values()))
    if num_classes <= 100:
        score = float(np.sum(np.abs(values)))
    else:
        score = float(np.sum(np.abs(values[:, None] - values[None, :]))) / len(values)
    if not math.isfinite(score):
        raise FloatingPointError("per-class Jacobian correlation is undefined (constant input "
                                 "gradient)")
    return score


def data_pass(network: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
              wanted: Iterable[str], tokens: bool = False) -> dict[str, float | BaseException]:
    """Compute the `wanted` data-dependent proxies from one forward pass of (inputs, targets).
    `tokens`: a token network and batch ([n, T] ids and next-token targets; `_tokens.py`).

    Returns {proxy: value or the exception that stopped it}; one proxy's failure does not stop
    the others (a failing forward pass stops all of them). Gradients are taken with
    `torch.autograd.grad`, so no `.grad` is left on the parameters and the graph is freed on
    return."""
    wanted = set(wanted)
    out: dict[str, float | BaseException] = {}
    groups = weight_groups(network)
    jac = sorted(wanted & JACOBIAN_PROXIES)
    loss_proxies = sorted(wanted & LOSS_PROXIES)
    nwot = _NwotKernel() if "nwot" in wanted else None
    acts: list[tuple[nn.Module, torch.Tensor]] = []
    hooks = []
    if nwot is not None:
        coded = (nn.ReLU, Activation) if tokens else nn.ReLU  # tokens: the cell activations
        hooks += [m.register_forward_hook(nwot) for m in network.modules()
                  if isinstance(m, coded)]
    if "fisher" in wanted:
        for m, _ in groups:  # keep each layer's output to take ∂L/∂a with the same backward
            if not isinstance(m, nn.Embedding):
                hooks.append(m.register_forward_hook(
                    lambda mod, i, o: acts.append((mod, o))))
    try:
        with torch.set_grad_enabled(bool(jac or loss_proxies)):  # nwot alone: no graph
            if tokens:  # input gradients: w.r.t. the embeddings [T, n, E] (sample axis 1)
                logits, x = _tokens.forward(network, inputs)
                sample_dim = 1
            else:
                x = inputs.detach().clone().requires_grad_(bool(jac))
                logits, sample_dim = network(x), 0
    except Exception as exc:  # any error: reported per proxy by the caller
        return {p: exc for p in wanted}
    finally:
        for h in hooks:
            h.remove()

    if nwot is not None:
        out["nwot"] = _attempt(nwot.score)

    if jac:
        try:
            (grad_x,) = torch.autograd.grad(logits.sum(), x, retain_graph=bool(loss_proxies))
            grad_x = grad_x.movedim(sample_dim, 0)
            jacobian = grad_x.reshape(grad_x.shape[0], -1).double().cpu().numpy()
            del grad_x
            labels = targets.detach().cpu().numpy()
            if "jacov" in jac:
                out["jacov"] = _attempt(jacov_score, jacobian)
            if "epe_nas" in jac:
                out["epe_nas"] = _attempt(epe_nas_score, jacobian, labels, logits.shape[-1])
        except Exception as exc:  # any error: recorded per proxy
            out.update({p: exc for p in jac})

    if loss_proxies:
        try:
            out.update(_loss_proxies(logits, targets, groups, acts, loss_proxies, tokens))
        except Exception as exc:  # any error: recorded per proxy
            out.update({p: exc for p in loss_proxies})
    return out


def _loss_proxies(logits: torch.Tensor, targets: torch.Tensor,
                  groups: list[tuple[nn.Module, list[torch.Tensor]]],
                  acts: list[tuple[nn.Module, torch.Tensor]], wanted: list[str], tokens: bool
                  ) -> dict[str, float | BaseException]:
    out: dict[str, float | BaseException] = {}
    grasp = "grasp" in wanted
    weights = [w for _, ws in groups for w in ws]
    if logits.dim() > 2:  # a sequence model: next-token cross-entropy over every position
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    else:
        loss = F.cross_entropy(logits, targets)
    act_tensors = [a for _, a in acts]
    # one backward for the weight gradients and (fisher) the activation gradients; with
    # create_graph only when grasp needs to differentiate g once more
    grads = torch.autograd.grad(loss, weights + act_tensors, create_graph=grasp,
                                allow_unused=True)
    g_w = grads[: len(weights)]
    g_a = grads[len(weights):]
    with torch.no_grad():
        pairs = [(w, g.detach()) for w, g in zip(weights, g_w) if g is not None]
        if "grad_norm" in wanted:
            by_layer, k = [], 0
            for _, ws in groups:  # one norm per layer (a MultiLinear's matrices together)
                gs = [g.detach() for g in g_w[k:k + len(ws)] if g is not None]
                k += len(ws)
                if gs:
                    by_layer.append(group_norm(gs))
            out["grad_norm"] = _attempt(lambda: float(sum(by_layer)))
        if "snip" in wanted:
            out["snip"] = _attempt(lambda: float(sum((w * g).abs().sum() for w, g in pairs)))
        if "plain" in wanted:
            out["plain"] = _attempt(lambda: float(sum((w * g).sum() for w, g in pairs)))
        if "fisher" in wanted:
            out["fisher"] = _attempt(_fisher_tokens if tokens else _fisher, acts, g_a)
    if grasp:
        def grasp_score() -> float:
            z = sum((g.detach() * g).sum() for g in g_w if g is not None)
            if not isinstance(z, torch.Tensor) or not z.requires_grad:
                return 0.0  # no weight influences the loss
            hg = torch.autograd.grad(z, weights, allow_unused=True)
            return float(sum(-(w.detach() * h).sum() for w, h in zip(weights, hg)
                             if h is not None))
        out["grasp"] = _attempt(grasp_score)
    return out


def _fisher(acts: list[tuple[nn.Module, torch.Tensor]], grads: tuple) -> float:
    total = 0.0
    for (module, a), g in zip(acts, grads):
        if g is None:
            continue
        a, g = a.detach(), g.detach()
        g_nk = (a * g).sum(dim=tuple(range(2, a.dim()))) if a.dim() > 2 else a * g
        delta = 0.5 * g_nk.pow(2).mean(0)  # Δ_k per output channel
        # the implementation's broadcast over the channel
        total += float(delta.sum()) * fan_in(module)
    return total


def _fisher_tokens(acts: list[tuple[nn.Module, torch.Tensor]], grads: tuple) -> float:
    """fisher on a token network: per layer and output unit k, s_nk = Σ_t a·∂L/∂a over the time
    steps of sequence n (a cell linear runs once per step on [n, k]; the decoder once on
    [T, n, k]); Δ_k = ½·mean_n s_nk², weighted by the fan-in as for images."""
    sums: dict[int, tuple[nn.Module, torch.Tensor]] = {}
    for (module, a), g in zip(acts, grads):
        if g is None:
            continue
        ag = a.detach() * g.detach()
        s_nk = ag.sum(0) if ag.dim() == 3 else ag  # [T, n, k] -> [n, k]
        prev = sums.get(id(module))
        sums[id(module)] = (module, s_nk if prev is None else prev[1] + s_nk)
    return sum(float(0.5 * s.pow(2).mean(0).sum()) * fan_in(m) for m, s in sums.values())


def _attempt(fn, *args) -> float | BaseException:
    try:
        return fn(*args)
    except Exception as exc:  # any error: the caller turns it into NaN plus a warning
        return exc
