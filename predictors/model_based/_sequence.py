"""Token sequences of architectures and the NAO encoder-predictor-decoder (Luo et al., NeurIPS
2018, "Neural Architecture Optimization"), shared by the `nao` and `seminas` predictors.

Tokenisation (token 0 is the decoder's start symbol, never part of a sequence):
- nb201: the 6 edge ops in arch-string order, token = 1 + op index (length 6, vocabulary 6).
- nb101: the padded 7-vertex spec column by column, as NAO/SemiNAS's NB101 code: for vertex
  j = 1..6 the bits "edge i->j?" for i < j (token 1 no, 2 yes) then vertex j's label, token
  3 + its `graph` feature column (4 output, 5 conv3x3, 6 conv1x1, 7 maxpool3x3; 8 padding) —
  length 27, vocabulary 9.
- darts: the 16 (input, op) pairs of the normal then the reduction cell in canonical order, one
  token per pair, 1 + input * 7 + op index (length 16, vocabulary 36).
- any other space: the NB101 scheme on `SearchSpace.graph` (edge bits, then the node's label).
- kind "graph_sequence" (any space): that graph scheme even where a space has its own; on NB201
  it is the 8-node op-on-node graph, length 35, as NASLib's SemiNAS encodes NB201 cells.

Model: embedding -> bidirectional LSTM -> projection + residual, L2-normalised per position (the
encoder outputs); their mean, L2-normalised, is the architecture embedding; the predictor is a
residual MLP on it; the decoder is an LSTM started from the embedding with attention over the
encoder outputs, trained with teacher forcing to reconstruct the sequence (SemiNAS/NASLib code).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from predictors.model_based._neural import adam, as_tensor, plan_epochs, predict_chunks, train_loop

SOS = 0


def _nb201_tokens(space: Any, arch: Any) -> list[int]:
    return [1 + int(op) for op in arch.ops]


def _graph_tokens(space: Any, arch: Any) -> list[int]:
    """Edge bits column by column, each column followed by its node's label: 3 + the node's
    feature column in `graph`, or 3 + (number of columns) for a padding node (all zeros)."""
    adjacency, features = space.graph(arch)
    n, f = features.shape
    tokens: list[int] = []
    for j in range(1, n):
        tokens += [2 if adjacency[i, j] else 1 for i in range(j)]
        tokens.append(3 + (int(features[j].argmax()) if features[j].any() else f))
    return tokens


def _darts_tokens(space: Any, arch: Any) -> list[int]:
    from search_spaces.darts import OPS

    return [1 + inp * len(OPS) + OPS.index(op) for cell in arch.cells for op, inp in cell]


KINDS = ("sequence", "graph_sequence")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown token sequence kind {kind!r}; expected one of "
                         f"{', '.join(KINDS)}")


def vocabulary(space: Any, kind: str = "sequence") -> int:
    """Number of token values (start symbol included) of `space`'s sequences of `kind`."""
    _check_kind(kind)
    if kind == "sequence" and space.name == "nb201":
        return 1 + len(space.ops)
    if kind == "sequence" and space.name == "darts":
        return 1 + 5 * len(space.ops)
    _, features = space.graph(space.sample(np.random.default_rng(0)))
    return 4 + features.shape[1]  # start, no edge, edge, labels, padding


def tokenize(space: Any, archs: Sequence[Any], kind: str = "sequence") -> np.ndarray:
    """[len(archs), length] int64 token sequences of `kind` (module docstring)."""
    _check_kind(kind)
    fn = _graph_tokens
    if kind == "sequence":
        fn = {"nb201": _nb201_tokens, "darts": _darts_tokens}.get(space.name, _graph_tokens)
    return np.asarray([fn(space, a) for a in archs], dtype=np.int64)


class Attention(nn.Module):
    """Luong-style attention of the decoder states over the encoder outputs (NAO's decoder)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.query = nn.Linear(dim, dim, bias=False)
        self.out = nn.Linear(2 * dim, dim, bias=False)

    def forward(self, x: Tensor, source: Tensor) -> Tensor:
        weights = torch.softmax(self.query(x) @ source.transpose(1, 2), dim=-1)
        return torch.tanh(self.out(torch.cat([weights @ source, x], dim=-1)))


class NAO(nn.Module):
    """Encoder, performance predictor and decoder of NAO (module docstring)."""

    def __init__(self, vocab: int, hidden: int, mlp_layers: int, mlp_hidden: int,
                 dropout: float) -> None:
        super().__init__()
        self.dropout = dropout
        self.enc_embedding = nn.Embedding(vocab, hidden)
        self.enc_rnn = nn.LSTM(hidden, hidden, batch_first=True, bidirectional=True)
        self.enc_proj = nn.Linear(2 * hidden, hidden)
        dims = [hidden] + [mlp_hidden] * (mlp_layers - 1) + [hidden] if mlp_layers > 0 else []
        self.mlp = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:]))
        self.regressor = nn.Linear(hidden, 1)
        self.dec_embedding = nn.Embedding(vocab, hidden)
        self.dec_rnn = nn.LSTM(hidden, hidden, batch_first=True)
        self.attention = Attention(hidden)
        self.dec_out = nn.Linear(hidden, vocab)

    def _drop(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.dropout, self.training)

    def encode(self, tokens: Tensor) -> tuple[Tensor, Tensor]:
        """(encoder outputs [B, L, H], architecture embedding [B, H])."""
        x = self._drop(self.enc_embedding(tokens))
        out, _ = self.enc_rnn(x)
        out = F.normalize(x + self.enc_proj(out), dim=-1)
        return out, F.normalize(out.mean(1), dim=-1)

    def predict(self, embedding: Tensor) -> Tensor:
        x = embedding
        for layer in self.mlp:
            x = self._drop(torch.relu(layer(x)))
        if self.mlp:
            x = (embedding + x) * math.sqrt(0.5)  # residual, variance-preserving (NAO code)
        return self.regressor(x).squeeze(-1)

    def decode(self, tokens: Tensor, outputs: Tensor, embedding: Tensor) -> Tensor:
        """Teacher-forced logits [B, L, vocab] for reconstructing `tokens`."""
        shifted = torch.cat([torch.full_like(tokens[:, :1], SOS), tokens[:, :-1]], dim=1)
        x = self._drop(self.dec_embedding(shifted))
        state = (embedding.unsqueeze(0).contiguous(), embedding.unsqueeze(0).contiguous())
        h, _ = self.dec_rnn(x, state)
        h = (x + h) * math.sqrt(0.5)
        h = (h + self.attention(h, outputs)) * math.sqrt(0.5)
        return self.dec_out(h)

    def forward(self, tokens: Tensor) -> Tensor:
        return self.predict(self.encode(tokens)[1])


def train_nao(model: NAO, tokens: np.ndarray, z: np.ndarray, params: dict[str, Any],
              epochs: int, device: torch.device, weights: np.ndarray | None = None) -> NAO:
    """Joint training: trade_off * MSE(prediction) + (1 - trade_off) * CE(reconstruction) (MAE
    instead of MSE with `params["loss"] == "mae"`), Adam
    with L2 weight decay and gradient-norm clipping (NAO / SemiNAS). `weights` scale each
    sample's prediction loss (SemiNAS up-sampling of the labelled archs). At most
    `params["max_steps"]` optimizer steps (`plan_epochs`)."""
    x = as_tensor(tokens, device, torch.long)
    t = as_tensor(z, device)
    w = as_tensor(np.ones(len(z)) if weights is None else weights, device)
    lam = float(params["trade_off"])
    optimizer = adam(model.parameters(), float(params["lr"]),
                     weight_decay=float(params["weight_decay"]))

    def loss_of(index: Tensor) -> Tensor:
        seq = x[index]
        outputs, embedding = model.encode(seq)
        err = model.predict(embedding) - t[index]
        err = err.abs() if params["loss"] == "mae" else err ** 2
        mse = (w[index] * err).sum() / w[index].sum()
        logits = model.decode(seq, outputs, embedding)
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seq.reshape(-1))
        return lam * mse + (1 - lam) * ce

    epochs = plan_epochs(len(t), int(params["batch_size"]), epochs, params.get("max_steps"))
    train_loop(model, len(t), epochs, int(params["batch_size"]), loss_of, optimizer,
               grad_clip=float(params["grad_clip"]), device=device)
    return model


def predict_nao(model: NAO, tokens: np.ndarray, device: torch.device) -> np.ndarray:
    model.eval()
    x = as_tensor(tokens, device, torch.long)
    return predict_chunks(lambda rows: model(x[rows]), len(x))
