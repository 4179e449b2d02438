"""`score(network, batch, proxies)`: any subset of the 13 zero-cost proxies in one call.

The definitions (each with its paper) are in `_data_pass.py` (jacov, epe_nas, nwot, grad_norm,
snip, plain, fisher, grasp) and `_data_free.py` (synflow, zen, l2_norm, params, flops).

Shared work, for one network and one minibatch:

- **one forward pass** of the batch in train mode feeds nwot (ReLU hooks), the input Jacobian
  (jacov, epe_nas: one backward of Σ logits w.r.t. the input) and the cross-entropy gradient
  (grad_norm, snip, plain and fisher: one backward for the weight and activation gradients);
  grasp adds one double-backward (Hessian-vector product) on that same graph;
- l2_norm, params and flops read the network as it is (flops: one batch-1 forward in eval mode);
- **one weight copy**, only when synflow or zen is asked for: synflow linearises it (|θ|, no BN,
  float64), then zen re-draws its weights N(0,1). With `copy=False` the network itself is used
  and is left altered (the predictors build a network per arch and pass `copy=False`).

With `copy=True` (default) the caller's network is left as it was: the forward pass updates
BatchNorm running statistics, so those buffers are saved and restored (buffers only, no weight
copy).

Robustness: a proxy that fails (an exception, NaN/inf, a singular matrix, out of memory) is NaN
with one `ZeroCostWarning` naming the arch (`label`) and the proxy; the other proxies go on.

Token networks (language models, `input_kind="tokens"`): the batch is (x, y) int64 [n, T]
batch-first with next-token targets; the network is scored in eval mode (no BatchNorm, so this
only switches dropout off); `_tokens.py` says how each proxy reads there. epe_nas and zen do not
apply and are refused in one line (ValueError) before any work; the default proxy list leaves
them out.
"""

from __future__ import annotations

import copy as _copy
import math
import warnings
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from predictors.zero_cost import _data_free as free
from predictors.zero_cost import _tokens
from predictors.zero_cost._data_pass import DATA_PASS_PROXIES, data_pass

#: every proxy, in the order the issue lists them
PROXIES: tuple[str, ...] = ("jacov", "synflow", "snip", "grasp", "fisher", "grad_norm", "nwot",
                            "epe_nas", "plain", "l2_norm", "zen", "params", "flops")
#: proxies that need no data batch (an input shape suffices)
DATA_FREE: frozenset[str] = frozenset({"synflow", "zen", "l2_norm", "params", "flops"})
DEFAULT_INPUT_SHAPE = (3, 32, 32)
#: per-sample shape of a token batch without one: (T,), the shipped NLP benchmark's length
DEFAULT_TOKEN_SHAPE = (35,)
#: the proxies that apply to token networks (language models)
TOKEN_PROXIES: tuple[str, ...] = tuple(p for p in PROXIES if p not in _tokens.UNSUPPORTED)


class ZeroCostWarning(RuntimeWarning):
    """A zero-cost proxy failed on one architecture and was scored NaN."""


def check_proxies(proxies: Iterable[str]) -> list[str]:
    """The proxy names as a list without duplicates; ValueError naming unknown ones."""
    names = list(dict.fromkeys(proxies))
    unknown = [p for p in names if p not in PROXIES]
    if unknown:
        raise ValueError(f"unknown zero-cost prox{'y' if len(unknown) == 1 else 'ies'} "
                         f"{', '.join(map(repr, unknown))}; expected some of: {', '.join(PROXIES)}")
    if not names:
        raise ValueError("no zero-cost proxy asked for")
    return names


def score(network: nn.Module, batch: tuple[torch.Tensor, torch.Tensor] | None = None,
          proxies: Sequence[str] | None = None, *, input_shape: Sequence[int] | None = None,
          batch_size: int | None = None, seed: int = 0, copy: bool = True,
          label: str | None = None, input_kind: str | None = None) -> dict[str, float]:
    """Zero-cost proxy scores of `network` (higher = predicted better, except as noted in the
    definitions) as {proxy: float}, in the order of `proxies`.

    batch: (inputs, labels) minibatch; needed by the data-dependent proxies (all but synflow,
      zen, l2_norm, params, flops). It is moved to the network's device. Token networks:
      (x, y) int64 [n, T], y the next tokens.
    proxies: default every proxy that applies (PROXIES; TOKEN_PROXIES for token networks).
    input_shape: per-sample shape (C, H, W), or (T,) for tokens, for the data-free proxies when
      no batch is given (default (3, 32, 32), tokens (35,)); with a batch, the batch's shape.
    batch_size: zen's Gaussian batch size when no batch is given (default 64).
    seed: seeds zen's Gaussian weights and inputs.
    copy: False lets synflow/zen alter `network` in place instead of a copy.
    label: how warnings name the network (e.g. the arch string).
    input_kind: "image" or "tokens" (a search space's `input_kind`); None: "tokens" when the
      network is a token network (`embed` / `forward_embedded`) and the batch, if any, holds
      integer ids.
    """
    tokens = _is_tokens(network, batch, input_kind)
    names = check_proxies((TOKEN_PROXIES if tokens else PROXIES) if proxies is None
                          else proxies)
    if tokens:
        _tokens.refuse_unsupported(names, f"token network {type(network).__name__}")
        _tokens.check_network(network)
    needs_data = [p for p in names if p not in DATA_FREE]
    if needs_data and batch is None:
        raise ValueError(f"zero-cost prox{'y' if len(needs_data) == 1 else 'ies'} "
                         f"{', '.join(needs_data)} need a data batch (inputs, labels); "
                         f"only {', '.join(sorted(DATA_FREE))} work without one")
    device = _device(network)
    if batch is not None:
        inputs, targets = batch
        inputs = torch.as_tensor(inputs).to(device=device,
                                            dtype=torch.long if tokens else torch.float32)
        targets = torch.as_tensor(targets).to(device=device, dtype=torch.long)
        shape = tuple(inputs.shape[1:])
        n = int(inputs.shape[0])
        if n == 0:  # every proxy would score a sum over nothing: 0.0, which ranks as data
            raise ValueError("the batch is empty; zero-cost proxies need at least one input")
        if targets.shape[:1] != inputs.shape[:1]:
            labels = targets.shape[0] if targets.ndim else 0
            raise ValueError(f"the batch has {n} inputs but {labels} labels")
        if tokens:
            _tokens.check_batch(network, inputs, targets)
    else:
        default = DEFAULT_TOKEN_SHAPE if tokens else DEFAULT_INPUT_SHAPE
        shape = tuple(input_shape) if input_shape is not None else default
        n = int(batch_size) if batch_size is not None else 64
    who = label if label is not None else type(network).__name__
    raw: dict[str, float | BaseException] = {}

    # -- read the network as it is -----------------------------------------------------------
    if "params" in names:
        raw["params"] = _attempt(free.params_score, network)
    if "l2_norm" in names:
        raw["l2_norm"] = _attempt(free.l2_norm_score, network)
    if "flops" in names:
        raw["flops"] = _attempt(free.flops_score, network, shape, tokens)

    # -- one forward pass of the batch, shared by every data-dependent proxy -----------------
    in_pass = [p for p in names if p in DATA_PASS_PROXIES]
    if in_pass:
        saved = _bn_buffers(network) if copy else None
        was_training = network.training
        network.train(not tokens)  # token networks: eval mode, i.e. no dropout noise
        try:
            raw.update(data_pass(network, inputs, targets, in_pass, tokens))
        finally:
            network.train(was_training)
            if saved is not None:
                _restore(saved)

    # -- proxies that alter the weights: one copy between them --------------------------------
    altering = [p for p in ("synflow", "zen") if p in names]
    if altering:
        try:
            work = _copy.deepcopy(network) if copy else network
        except Exception as exc:  # any error: e.g. out of memory
            raw.update({p: exc for p in altering})
        else:
            if "synflow" in altering:
                raw["synflow"] = _attempt(free.synflow_score, work, shape, tokens)
            if "zen" in altering:
                raw["zen"] = _attempt(free.zen_score, work, shape, n, seed)
            del work

    return {p: _finish(raw.get(p), p, who) for p in names}


def _is_tokens(network: nn.Module, batch: tuple | None, input_kind: str | None) -> bool:
    if input_kind is not None:
        if input_kind not in ("image", "tokens"):
            raise ValueError(f"input_kind must be 'image' or 'tokens', got {input_kind!r}")
        return input_kind == "tokens"
    if not _tokens.is_token_network(network):
        return False
    return batch is None or not torch.as_tensor(batch[0]).is_floating_point()


def _finish(value: float | BaseException | None, proxy: str, who: str) -> float:
    """The value as a float, or NaN with one warning naming arch and proxy."""
    if isinstance(value, BaseException):
        reason = f"{type(value).__name__}: {' '.join(str(value).split())}"[:300]
    elif value is None:
        reason = "no value was computed"
    else:
        value = float(value)
        if math.isfinite(value):
            return value
        reason = f"non-finite value {value}"
    warnings.warn(f"zero-cost proxy {proxy!r} failed on arch {who}: {reason}; scored NaN",
                  ZeroCostWarning, stacklevel=3)
    return math.nan


def _attempt(fn, *args) -> float | BaseException:
    try:
        return fn(*args)
    except Exception as exc:  # any error: reported by _finish
        return exc


def _device(network: nn.Module) -> torch.device:
    for p in network.parameters():
        return p.device
    return torch.device("cpu")


def _bn_buffers(network: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(buffer, saved copy) for the BatchNorm statistics a train-mode forward updates."""
    return [(b, b.detach().clone()) for m in network.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm) for b in m.buffers()]


def _restore(saved: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    with torch.no_grad():
        for buffer, value in saved:
            buffer.copy_(value)
