"""Zero-cost proxies on token networks (language models such as the `nlp` space's `NLPModel`).

A token network reads token ids [seq, batch] and returns (logits [seq, batch, vocab], hidden).
Batches follow the benchmarks' token contract: (x, y) int64 [n, T] batch-first, y[:, t] the token
after x[:, t]; this module transposes them to the network's [T, n]. The network must offer
`embed(tokens)` (the embedding output, its first continuous activation) and
`forward_embedded(embeddings)` (the rest of `forward`), as `NLPModel` does.

How each proxy reads on a language model (the definitions of `_data_pass.py` / `_data_free.py`
with these substitutions):

- the network runs in **eval mode**: it has no BatchNorm, so train mode would only switch on
  its dropouts (random masks: noise between archs, and scores that change run to run);
- the **examples** are the n sequences; the **loss** is the mean next-token cross-entropy over
  all n·T positions;
- **weights** (grad_norm, snip, plain, grasp, l2_norm, synflow): every matrix - each cell
  linear (a `MultiLinear`, one layer: its per-input matrices together, biases excluded) and the
  embedding (tied to the decoder: one tensor, counted once);
- **jacov**: the Jacobian is taken w.r.t. the embedding output, J_n = ∂(Σ logits)/∂e_n
  flattened over [T, emsize];
- **fisher**: per output unit k of each cell linear and of the decoder, a·∂L/∂a is summed over
  the T time steps of sequence n (time plays the role of the image's spatial positions), then
  ½·mean_n(·)², weighted by the layer's fan-in as for images;
- **nwot**: the binary code of sequence n is the sign pattern (x > 0) of the pre-activation of
  every activation node (tanh, sigmoid, leaky ReLU), every unit, layer and time step. For leaky
  ReLU this is exactly its linear region, the ReLU code of the NWOT paper; for tanh and sigmoid
  it is the side of the symmetry point, the same generalisation to other activations;
- **synflow** (data-free): |θ| for every parameter, float64, eval mode, input one sequence of
  SYNFLOW_STEPS = 2 copies of token 0 - the embedding, linearised like every weight, then feeds
  |E[0]| at each step (at initialisation all rows are exchangeable, so which token is
  immaterial). Two steps, whatever the batch's length: the shortest unroll in which every weight
  carries flow (at step 1 the hidden states are zero, so the recurrent weights get none), and a
  longer one compounds the all-positive recurrence geometrically per step - the log-score of the
  release's network grows ~50 -> ~300 from 2 to 5 steps and overflows float64 (NaN) within 10-20
  steps for some well-performing cells, so the score would measure the unroll length. A cell
  whose output never moves (its zero hidden state is a fixed point) scores 0: NaN, as for images;
- **flops**: per token (`search_spaces.measure.count_token_flops`, as `arch info` counts them);
- **params**, **l2_norm**: as for images (tied weights once);
- a cell whose zero hidden state is a fixed point (e.g. its outputs are products or blends of
  the previous states) never depends on its input: the gradient proxies are exactly 0 there,
  jacov (a zero Jacobian has no correlation) and synflow (log 0) NaN, ranked last. Such cells
  train badly (the reporting split's one: validation loss 6.88, the split's median 5.57);
- **epe_nas** refuses: it correlates Jacobians within each class label, and a sequence has no
  label - its n·T next-token targets spread over the vocabulary, so a batch has (almost) only
  one-member classes and the score is a constant;
- **zen** refuses: Zen-NAS is defined on convolutional networks with BatchNorm (the score is the
  pre-pooling feature change under Gaussian input perturbation plus the BN variances); an
  embedding + recurrent network has neither Gaussian inputs nor BatchNorm.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

#: proxies with no meaning on a token network, and why (one line each)
UNSUPPORTED: dict[str, str] = {
    "epe_nas": "it groups input Jacobians by class label, and a token sequence has no label (its "
               "next-token targets spread over the whole vocabulary)",
    "zen": "Zen-NAS is defined on convolutional networks with BatchNorm; an embedding + "
           "recurrent language model has neither",
}
#: the synflow input token (all rows of a freshly initialised embedding are exchangeable)
SYNFLOW_TOKEN = 0
#: synflow's unroll length (module docstring: every weight carries flow, nothing overflows)
SYNFLOW_STEPS = 2


def refuse_unsupported(proxies: Iterable[str], where: str) -> None:
    """ValueError (one line) naming the first asked-for proxy that has no meaning on tokens;
    `where` names the space (or the network), e.g. "space 'nlp'"."""
    for p in proxies:
        if p in UNSUPPORTED:
            raise ValueError(f"zero-cost proxy {p!r} does not apply to {where} (token inputs): "
                             f"{UNSUPPORTED[p]}")


def is_token_network(network: nn.Module) -> bool:
    return callable(getattr(network, "embed", None)) and \
        callable(getattr(network, "forward_embedded", None))


def check_network(network: nn.Module) -> None:
    if not is_token_network(network):
        raise ValueError(f"zero-cost proxies on token inputs need a network with embed(tokens) "
                         f"and forward_embedded(embeddings) (as NLPModel has); "
                         f"{type(network).__name__} has not")


def vocabulary(network: nn.Module) -> int | None:
    """The number of token ids the network embeds (its first nn.Embedding), if it has one."""
    for m in network.modules():
        if isinstance(m, nn.Embedding):
            return int(m.num_embeddings)
    return None


def check_batch(network: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """One-line ValueErrors for a token batch that does not fit the contract or the network."""
    if inputs.dim() != 2:
        raise ValueError(f"a token batch is int64 [n, T] (batch-first); got inputs of shape "
                         f"{tuple(inputs.shape)}")
    if tuple(targets.shape) != tuple(inputs.shape):
        raise ValueError(f"a token batch's next-token targets must have the inputs' shape "
                         f"{tuple(inputs.shape)} ([n, T]); got {tuple(targets.shape)}")
    if inputs.shape[1] == 0:
        raise ValueError("the token batch has sequences of length 0")
    vocab = vocabulary(network)
    for what, t in (("inputs", inputs), ("targets", targets)):
        lo, hi = int(t.min()), int(t.max())
        if lo < 0 or (vocab is not None and hi >= vocab):
            raise ValueError(f"token {what} range over {lo}..{hi}, outside the network's "
                             f"vocabulary 0..{vocab - 1 if vocab else '?'}")


def forward(network: Any, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits [n, T, vocab] batch-first, embeddings [T, n, emsize] as used in the graph) of
    token ids [n, T]; gradients w.r.t. the embeddings are the input gradients."""
    embedded = network.embed(tokens.t())
    out = network.forward_embedded(embedded)
    logits = out[0] if isinstance(out, (tuple, list)) else out
    return logits.transpose(0, 1), embedded


def synflow_output(network: Any) -> torch.Tensor:
    """The output of the (already linearised, float64) network on one sequence of
    SYNFLOW_STEPS copies of token SYNFLOW_TOKEN."""
    device = next(network.parameters()).device
    tokens = torch.full((SYNFLOW_STEPS, 1), SYNFLOW_TOKEN, dtype=torch.long, device=device)
    out = network.forward_embedded(network.embed(tokens))
    return out[0] if isinstance(out, (tuple, list)) else out
