"""The NAS-Bench-NLP language model in PyTorch, following the release's `model.py` (AWD-LSTM style
`AWDRNNModel` with rnn_type "CustomRNN"), `custom_rnn.py` and `multilinear.py`.

Cell: nodes are computed in topological order; `linear` sums one bias-free matrix product per
input plus a single bias (`MultiLinear`: weight [hidden, size of that input] per input, x having
the layer's input size, every other input the hidden size; one bias of the hidden size);
`blend(g, a, b) = g*a + (1-g)*b`; elementwise prod/sum of two inputs; activations tanh, sigmoid,
leaky ReLU (slope 0.01). A layer runs the cell over time; its output at each step is h_new_0; the
H hidden states start at zero. All cell parameters start uniform in ±1/sqrt(hidden).

Model: embedding [vocab, emsize] (uniform ±0.1); `nlayers` layers with input emsize then nhid and
hidden size nhid, except the last, whose hidden size is emsize when the weights are tied; decoder
Linear(last hidden size, vocab) whose weight *is* the embedding's when tied (its bias zero).
Dropouts as the release: embedding-row dropout `dropoute`, locked (same mask at every time step)
dropout `dropouti` on the embeddings, `dropouth` between layers, `dropout` on the last output, and
DropConnect `wdrop` on every linear weight that reads a non-x input (one mask per forward, as the
release's `ParameterListWeightDrop`; it adds no parameters). `forward` returns the decoder's logits
[seq, batch, vocab] (the release leaves the decoder to its split-softmax loss) and the new hidden
states; inputs are token ids [seq, batch].

Two hooks for zero-cost proxies, which change no parameter and no result: `forward` is
`forward_embedded(embed(tokens))`, so the embedding output (the network's first continuous
activation) can be differentiated; and every activation node is an `Activation` module (no
parameters), so forward hooks can read its pre-activation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

Node = tuple[str, str, tuple[str, ...]]
_ACT: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "activation_tanh": torch.tanh, "activation_sigm": torch.sigmoid,
    "activation_leaky_relu": F.leaky_relu}


class MultiLinear(nn.Module):
    """sum_i W_i x_i + b: one weight per input, one bias."""

    def __init__(self, input_sizes: Sequence[int], output_size: int):
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.empty(output_size, s)) for s in input_sizes])
        self.bias = nn.Parameter(torch.empty(output_size))

    def forward(self, inputs: Sequence[torch.Tensor], weights: Sequence[torch.Tensor]):
        out = F.linear(inputs[0], weights[0], self.bias)
        for x, w in zip(inputs[1:], weights[1:]):
            out = out + F.linear(x, w)
        return out


class Activation(nn.Module):
    """One activation node of a cell (tanh, sigmoid or leaky ReLU); parameter-free. A module
    rather than a bare function only so that hooks can read its input."""

    def __init__(self, op: str):
        super().__init__()
        self.op = op
        self.fn = _ACT[op]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.op


class NLPCell(nn.Module):
    """One recurrent cell: (x, hidden states) -> new hidden states."""

    def __init__(self, nodes: Sequence[Node], input_size: int, hidden_size: int):
        super().__init__()
        self.nodes = [(n, op, tuple(ins)) for n, op, ins in nodes]
        self.inputs_of = {n: ins for n, _, ins in self.nodes}
        self.num_hidden = sum(n.startswith("h_new_") and n[6:].isdigit() for n, _, _ in nodes)
        self.linears = nn.ModuleDict({
            n: MultiLinear([input_size if i == "x" else hidden_size for i in ins], hidden_size)
            for n, op, ins in self.nodes if op == "linear"})
        self.activations = nn.ModuleDict({n: Activation(op) for n, op, _ in self.nodes
                                          if op in _ACT})

    def forward(self, x: torch.Tensor, hidden: Sequence[torch.Tensor],
                weights: dict[str, list[torch.Tensor]]) -> tuple[torch.Tensor, ...]:
        values = {"x": x, **{f"h_prev_{k}": h for k, h in enumerate(hidden)}}
        for name, op, ins in self.nodes:
            args = [values[i] for i in ins]
            if op == "linear":
                values[name] = self.linears[name](args, weights[name])
            elif op == "blend":
                values[name] = args[0] * args[1] + (1 - args[0]) * args[2]
            elif op == "elementwise_prod":
                values[name] = args[0] * args[1]
            elif op == "elementwise_sum":
                values[name] = args[0] + args[1]
            else:
                values[name] = self.activations[name](args[0])
        return tuple(values[f"h_new_{k}"] for k in range(self.num_hidden))


class NLPLayer(nn.Module):
    """The cell run over a sequence (the release's `CustomRNN`)."""

    def __init__(self, nodes: Sequence[Node], input_size: int, hidden_size: int, wdrop: float):
        super().__init__()
        self.hidden_size, self.wdrop = hidden_size, wdrop
        self.cell = NLPCell(nodes, input_size, hidden_size)
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, inputs: torch.Tensor, hidden: Sequence[torch.Tensor] | None = None):
        if hidden is None:
            zeros = inputs.new_zeros(inputs.size(1), self.hidden_size)
            hidden = tuple(zeros for _ in range(self.cell.num_hidden))
        drop = self.wdrop if self.training else 0.0
        weights = {  # DropConnect on the weights of non-x inputs, one mask for the sequence
            name: [w if i == "x" or not drop else F.dropout(w, drop, training=True)
                   for i, w in zip(self.cell.inputs_of[name], cast(MultiLinear, lin).weights)]
            for name, lin in self.cell.linears.items()}
        outputs = []
        for x in inputs.unbind(0):
            hidden = self.cell(x, hidden, weights)
            outputs.append(hidden[0])
        return torch.stack(outputs, 0), tuple(hidden)


def _locked_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    if not training or not p:
        return x
    mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p) / (1 - p)
    return x * mask


class NLPModel(nn.Module):
    """Embedding, `nlayers` recurrent layers of one cell, (tied) decoder."""

    def __init__(self, nodes: Sequence[Node], num_classes: int, emsize: int = 400,
                 nhid: int = 600, nlayers: int = 3, tie_weights: bool = True,
                 dropout: float = 0.1, dropouth: float = 0.25, dropouti: float = 0.4,
                 dropoute: float = 0.0, wdrop: float = 0.1):
        super().__init__()
        self.dropout, self.dropouth, self.dropouti, self.dropoute = (
            dropout, dropouth, dropouti, dropoute)
        self.encoder = nn.Embedding(num_classes, emsize)
        sizes = [nhid] * nlayers
        if tie_weights:
            sizes[-1] = emsize
        self.layers = nn.ModuleList([
            NLPLayer(nodes, emsize if i == 0 else nhid, sizes[i], wdrop) for i in range(nlayers)])
        self.decoder = nn.Linear(sizes[-1], num_classes)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        if not tie_weights:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, tokens: torch.Tensor, hidden: Sequence | None = None):
        return self.forward_embedded(self.embed(tokens), hidden)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids [seq, batch] -> embeddings [seq, batch, emsize] (embedding-row dropout
        `dropoute` in training): the first continuous activation of the network."""
        weight = self.encoder.weight
        if self.training and self.dropoute:
            mask = weight.new_empty(weight.size(0), 1).bernoulli_(1 - self.dropoute)
            weight = weight * mask / (1 - self.dropoute)
        return F.embedding(tokens, weight)

    def forward_embedded(self, embedded: torch.Tensor, hidden: Sequence | None = None):
        """`forward` from the embeddings on: (logits [seq, batch, vocab], new hidden states)."""
        out = _locked_dropout(embedded, self.dropouti, self.training)
        new_hidden = []
        for i, layer in enumerate(self.layers):
            out, h = layer(out, None if hidden is None else hidden[i])
            new_hidden.append(h)
            last = i == len(self.layers) - 1
            out = _locked_dropout(out, self.dropout if last else self.dropouth, self.training)
        return self.decoder(out), new_hidden
