"""Zero-cost proxies on the NAS-Bench-NLP token networks (`nlp` space, `_tokens.py`): the token
batch contract of `load_benchmark("nlp")`, every supported proxy on real recipes of the shipped
benchmark, one-line refusals, and each proxy against a direct computation of its definition.

Small networks (the `small` preset, a 40-word vocabulary, short sequences) except where the
official network's parameter count is checked."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from benchmarks import load_benchmark
from benchmarks.nlp_wikitext2 import SEQUENCE_LENGTH, TokenBatches
from predictors import Context, get_predictor
from predictors.zero_cost import ZeroCostWarning, score
from predictors.zero_cost._data_pass import jacov_score
from predictors.zero_cost.proxy_predictors import score_archs
from predictors.zero_cost.score import DEFAULT_TOKEN_SHAPE, PROXIES, TOKEN_PROXIES
from search_spaces.measure import count_parameters, count_token_flops
from search_spaces.nlp_network import Activation, MultiLinear

VOCAB = 40
pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("nlp")


@pytest.fixture(scope="module")
def archs(bench):
    # two real recipes of different hidden-state counts
    found: dict[int, object] = {}
    for a in bench.archs():
        found.setdefault(a.num_hidden, a)
    return [found[1], found[3]]


def _batch(n: int = 6, seed: int = 0, seq_len: int = 7, vocab: int = VOCAB):
    return TokenBatches(vocab, seq_len).batch(n, seed)


def _net(bench, arch, seed: int = 0, vocab: int = VOCAB, **overrides):
    torch.manual_seed(seed)
    return bench.space.build_network(arch, num_classes=vocab, preset="small", **overrides)


def _ctx(bench, vocab: int = VOCAB, seq_len: int = 7, seed: int = 3) -> Context:
    return Context(space=bench.space, batch=TokenBatches(vocab, seq_len).batch,
                   num_classes=vocab, seed=seed)


def _loss(net, x, y):
    logits, _ = net(x.t())
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.t().reshape(-1))


def _layers(net):
    """(module, weights) per layer: each cell linear, then the tied decoder/embedding."""
    out = [(m, list(m.weights)) for m in net.modules() if isinstance(m, MultiLinear)]
    return out + [(net.decoder, [net.decoder.weight])]


# -- the batch contract --------------------------------------------------------------------------
def test_token_batch_contract(bench):
    assert bench.has_batches and bench.data.num_classes == 33_278
    x, y = bench.batch(5, 11)
    assert x.shape == y.shape == (5, SEQUENCE_LENGTH) and x.dtype == y.dtype == torch.int64
    assert torch.equal(y[:, :-1], x[:, 1:])  # y is x shifted by one: next-token targets
    assert 0 <= int(x.min()) and int(max(x.max(), y.max())) < 33_278
    again = bench.batch(5, 11)
    assert torch.equal(again[0], x) and torch.equal(again[1], y)
    assert not torch.equal(bench.batch(5, 12)[0], x)
    assert torch.equal(bench.batch(3, 11)[0], x[:3])  # per-sequence streams in a fixed order
    assert DEFAULT_TOKEN_SHAPE == (SEQUENCE_LENGTH,)
    ctx = Context.for_benchmark(bench, query_archs=bench.archs()[:3])
    assert ctx.num_classes == 33_278 and torch.equal(ctx.require("batch", "test")(5, 11)[0], x)
    small = TokenBatches(7, 4).batch(200, 0)[0]
    assert set(small.unique().tolist()) == set(range(7))  # uniform over the whole vocabulary
    with pytest.raises(ValueError, match="n >= 1"):
        bench.batch(0, 1)


# -- every proxy on real recipes -----------------------------------------------------------------
def test_every_supported_proxy_finite_and_deterministic(bench, archs):
    assert set(TOKEN_PROXIES) == set(PROXIES) - {"epe_nas", "zen"}
    ctx = _ctx(bench)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ZeroCostWarning)  # no proxy may fail silently
        first = score_archs(archs, ctx, TOKEN_PROXIES, preset="small", batch_size=6)
        again = score_archs(archs, ctx, TOKEN_PROXIES, preset="small", batch_size=6)
    assert list(first) == list(TOKEN_PROXIES)
    for p, v in first.items():
        assert v.shape == (2,) and np.isfinite(v).all(), (p, v)
        np.testing.assert_array_equal(v, again[p], err_msg=p)
        assert v[0] != v[1], p  # cells of different sizes: a constant is a wiring bug
    other = score_archs(archs, Context(space=bench.space, batch=ctx.batch, num_classes=VOCAB,
                                       seed=4), ["jacov", "snip"], preset="small", batch_size=6)
    assert other["jacov"][0] != first["jacov"][0]  # another seed: another batch and init


def test_scores_ignore_dropout_and_leave_the_network_as_it_was(bench, archs):
    net = _net(bench, archs[1]).train()  # dropouts on: scoring must switch them off
    before = {k: v.clone() for k, v in net.state_dict().items()}
    batch = _batch()
    first = score(net, batch)
    torch.manual_seed(123)  # another global RNG state: no dropout mask may depend on it
    assert score(net, batch) == first and net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


# -- refusals: one line ---------------------------------------------------------------------------
@pytest.mark.parametrize("proxy", ["epe_nas", "zen"])
def test_inapplicable_proxies_refuse_in_one_line(bench, archs, proxy):
    for call in (lambda: score_archs(archs, _ctx(bench), ["params", proxy], preset="small"),
                 lambda: score(_net(bench, archs[0]), _batch(), [proxy])):
        with pytest.raises(ValueError, match=f"zero-cost proxy '{proxy}' does not apply") as e:
            call()
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="space 'nlp'"):
        score_archs(archs, _ctx(bench), [proxy], preset="small")


def test_bad_token_batches_are_one_line_errors(bench, archs):
    net = _net(bench, archs[0])
    x, y = _batch()
    bad = [((x, y[:, :-1]), "targets must have the inputs' shape"),
           ((x, (y + 1000)), r"outside the network's vocabulary 0\.\.39"),
           ((x[:, :, None], y), r"int64 \[n, T\]")]
    for batch, message in bad:
        with pytest.raises(ValueError, match=message) as e:
            score(net, batch, ["snip"])
        assert "\n" not in str(e.value)
    # a context whose vocabulary is not the batch's: the network is built too small
    ctx = Context(space=bench.space, batch=TokenBatches(VOCAB, 5).batch, num_classes=10)
    with pytest.raises(ValueError, match="outside the network's vocabulary"):
        score_archs(archs, ctx, ["jacov"], preset="small", batch_size=4)


# -- each proxy against its definition -------------------------------------------------------------
def test_params_and_flops_are_the_models(bench, archs):
    a = archs[1]
    torch.manual_seed(0)
    official = bench.space.build_network(a, preset="official")  # the release's model, 33,278
    got = score(official, None, ["params", "flops"])
    assert got["params"] * 1e6 == pytest.approx(count_parameters(official), abs=0.5)
    assert round(got["params"] * 1e6) == bench.num_params(a)  # the release's logged count
    assert got["flops"] * 1e6 == count_token_flops(official)
    net = _net(bench, a)
    assert score(net, _batch(seq_len=3), ["flops"]) == score(net, _batch(seq_len=9), ["flops"])


def test_gradient_proxies_match_direct_autograd(bench, archs):
    net = _net(bench, archs[0]).eval()
    x, y = _batch()
    got = score(net, (x, y), ["plain", "snip", "grad_norm", "grasp"])
    ref = copy.deepcopy(net)
    layers = _layers(ref)
    weights = [w for _, ws in layers for w in ws]
    grads = torch.autograd.grad(_loss(ref, x, y), weights, create_graph=True)
    plain = sum(float((w * g).detach().sum()) for w, g in zip(weights, grads))
    snip = sum(float((w * g).detach().abs().sum()) for w, g in zip(weights, grads))
    norms, k = [], 0
    for _, ws in layers:  # one norm per layer: a cell linear's matrices together
        norms.append(float(torch.stack([g.detach().pow(2).sum()
                                        for g in grads[k:k + len(ws)]]).sum().sqrt()))
        k += len(ws)
    hg = torch.autograd.grad(torch.stack([(g.detach() * g).sum() for g in grads]).sum(), weights)
    grasp = sum(float(-(w * h).detach().sum()) for w, h in zip(weights, hg))
    assert got["plain"] == pytest.approx(plain, rel=1e-4, abs=1e-7)
    assert got["snip"] == pytest.approx(snip, rel=1e-4)
    assert got["grad_norm"] == pytest.approx(sum(norms), rel=1e-4)
    assert got["grasp"] == pytest.approx(grasp, rel=1e-3, abs=1e-9)
    # the gradient proxies read the batch: another batch, another grad_norm
    assert score(net, _batch(seed=1), ["grad_norm"])["grad_norm"] != got["grad_norm"]


def test_jacov_is_the_embedding_jacobian(bench, archs):
    net = _net(bench, archs[1]).eval()
    x, y = _batch(n=8)
    emb = net.embed(x.t()).detach().requires_grad_(True)  # [T, n, E]
    logits, _ = net.forward_embedded(emb)
    (grad,) = torch.autograd.grad(logits.sum(), emb)
    jac = grad.transpose(0, 1).reshape(8, -1).double().numpy()
    got = score(net, (x, y), ["jacov"])["jacov"]
    # at initialisation the network is nearly linear, so the sequences' Jacobians are nearly
    # collinear and jacov sits near -(n - 1)/k: only a tight tolerance tells Jacobians apart
    assert got == pytest.approx(jacov_score(jac), rel=1e-7)
    assert got != pytest.approx(jacov_score(jac[:, : jac.shape[1] // 2]), rel=1e-7)


def test_fisher_sums_each_unit_over_time(bench, archs):
    net = _net(bench, archs[0]).eval()
    x, y = _batch()
    outs: list = []
    modules = [m for m, _ in _layers(net)]

    def keep(module, inputs, out):  # returns None: the output is left as it is
        out.retain_grad()
        outs.append((module, out))

    hooks = [m.register_forward_hook(keep) for m in modules]
    _loss(net, x, y).backward()
    for h in hooks:
        h.remove()
    total = 0.0
    for m in modules:
        per_nk = sum((o.detach() * o.grad).sum(0) if o.dim() == 3 else o.detach() * o.grad
                     for mm, o in outs if mm is m)
        fan_in = sum(w.shape[1] for w in m.weights) if isinstance(m, MultiLinear) \
            else m.weight.shape[1]
        total += float(0.5 * per_nk.pow(2).mean(0).sum()) * fan_in
    assert score(_net(bench, archs[0]), (x, y), ["fisher"])["fisher"] == \
        pytest.approx(total, rel=1e-4)


def test_nwot_codes_are_the_activation_signs(bench, archs):
    net = _net(bench, archs[1]).eval()
    x, y = _batch(n=8)
    codes: list = []
    hooks = [m.register_forward_hook(lambda m, i, o: codes.append((i[0] > 0).double()))
             for m in net.modules() if isinstance(m, Activation)]
    with torch.no_grad():
        net(x.t())
    for h in hooks:
        h.remove()
    c = torch.cat(codes, dim=1)  # [n, activation units x layers x time steps]
    kernel = c @ c.T + (1 - c) @ (1 - c).T
    assert score(net, (x, y), ["nwot"])["nwot"] == \
        pytest.approx(float(torch.linalg.slogdet(kernel)[1]), rel=1e-9)


def test_synflow_feeds_a_constant_token_through_the_linearised_network(bench, archs):
    net = _net(bench, archs[0])
    ref = copy.deepcopy(net).double().eval()
    with torch.no_grad():
        for t in ref.state_dict().values():
            t.abs_()
    weights = [w for _, ws in _layers(ref) for w in ws]
    logits, _ = ref(torch.zeros((2, 1), dtype=torch.long))  # token 0 for two steps
    grads = torch.autograd.grad(logits.sum(), weights)
    assert all(float(g.abs().sum()) > 0 for g in grads)  # every weight carries flow
    expected = math.log(sum(float((w * g).detach().abs().sum())
                            for w, g in zip(weights, grads)))
    got = score(net, _batch(seq_len=7), ["synflow"])["synflow"]
    assert got == pytest.approx(expected, rel=1e-9)
    # data-free: neither the batch's tokens nor its length matter
    assert score(net, _batch(seed=5, seq_len=3), ["synflow"])["synflow"] == got
    assert score(net, None, ["synflow"])["synflow"] == got


# -- the predictors end to end --------------------------------------------------------------------
def test_proxy_predictors_through_the_evaluator(bench):
    from experiments import evaluate

    rows = evaluate(bench, get_predictor("jacov", preset="small", batch_size=4), test_size=6,
                    seeds=[0], split="reporting")
    assert rows.error[0] is None and rows.status[0] == "ok" and rows.n_test[0] == 6
    assert np.isfinite(rows.kendalltau[0]) and rows.query_compute_seconds[0] > 0
    rows = evaluate(bench, get_predictor("zc_ensemble", preset="small", batch_size=4),
                    test_size=6, seeds=[0])
    assert rows.error[0] is None and rows.status[0] == "ok"
    rows = evaluate(bench, get_predictor("zen", preset="small"), test_size=6, seeds=[0])
    assert rows.status[0] == "failed" and "'zen' does not apply to space 'nlp'" in rows.error[0]
