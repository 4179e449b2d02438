"""Zero-cost proxies: definitions, shared-pass equivalence, invariances, predictors, failures,
memory, and fidelity to NAS-Bench-Suite-Zero's published NB201 scores.

Tiny networks (NB201 small preset, C=8 N=1, 8x8 inputs) except the fidelity tests, which need
the official network (C=16, N=5) the stored scores were computed on."""

from __future__ import annotations

import copy
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _real_data import SZ_NB201 as SUITE_ZERO  # ../shared/data, else the shipped copy
from torch import nn

from predictors import Context, get_predictor, list_predictors
from predictors.zero_cost import DATA_FREE, PROXIES, ZeroCostWarning, score
from predictors.zero_cost.proxy_predictors import rank_average, score_archs
from search_spaces import get_search_space

SPACE = get_search_space("nb201")
ARCH = SPACE.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|"
                   "+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|")
DEAD = SPACE.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")  # output never sees input

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _batch(n: int = 16, seed: int = 0, size: int = 8, channels: int = 3):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, channels, size, size, generator=g),
            torch.randint(0, 10, (n,), generator=g))


def _net(arch=ARCH, seed: int = 0, **overrides) -> nn.Module:
    torch.manual_seed(seed)
    return SPACE.build_network(arch, num_classes=10, preset="small", **overrides).train()


def _weights(net: nn.Module) -> list[torch.Tensor]:
    return [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


# -- the engine ----------------------------------------------------------------------------------
def test_all_proxies_finite_deterministic_and_net_untouched():
    batch = _batch()
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    first = score(net, batch)
    assert list(first) == list(PROXIES)
    assert all(math.isfinite(v) for v in first.values()), first
    # the caller's network (weights and BN running statistics) is left as it was
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert score(_net(), batch) == first  # same seed, same batch: same numbers
    assert score(_net(seed=1), batch)["jacov"] != first["jacov"]


def test_shared_pass_equals_one_proxy_at_a_time():
    batch = _batch()
    shared = score(_net(), batch)
    for proxy in PROXIES:
        alone = score(_net(), batch, [proxy])[proxy]
        assert alone == pytest.approx(shared[proxy], rel=1e-5, abs=1e-9), proxy


def test_gradient_proxies_match_direct_definitions():
    x, y = _batch()
    got = score(_net(), (x, y), ["grad_norm", "snip", "plain", "grasp", "fisher"])
    net = _net()
    outs = []  # fisher: layer outputs, their gradients kept

    def keep(mod, inputs, out):
        out.retain_grad()
        outs.append((mod, out))

    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(keep)
    F.cross_entropy(net(x), y).backward()
    w = _weights(net)
    with torch.no_grad():
        assert got["grad_norm"] == pytest.approx(sum(float(p.grad.norm()) for p in w), rel=1e-5)
        assert got["snip"] == pytest.approx(sum(float((p * p.grad).abs().sum()) for p in w),
                                            rel=1e-5)
        assert got["plain"] == pytest.approx(sum(float((p * p.grad).sum()) for p in w), rel=1e-4)
        fisher = sum(float((0.5 * ((o * o.grad).sum((2, 3)) if o.dim() == 4 else o * o.grad)
                            .pow(2).mean(0)).sum()) * m.weight[0].numel() for m, o in outs)
        assert got["fisher"] == pytest.approx(fisher, rel=1e-5)
    # grasp the published way: gradient from a first pass, Hessian-vector product from a second
    net = _net()
    w = _weights(net)
    g = torch.autograd.grad(F.cross_entropy(net(x), y), w)
    g2 = torch.autograd.grad(F.cross_entropy(net(x), y), w, create_graph=True)
    hg = torch.autograd.grad(sum((a * b).sum() for a, b in zip(g, g2)), w)
    with torch.no_grad():
        grasp = sum(float(-(p * h).sum()) for p, h in zip(w, hg))
    assert got["grasp"] == pytest.approx(grasp, rel=1e-4)


def test_jacobian_and_activation_proxies_match_direct_definitions():
    x, y = _batch()
    got = score(_net(), (x, y), ["jacov", "nwot"])
    net = _net()
    codes = []
    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.register_forward_hook(lambda mod, i, o: codes.append((i[0] > 0).flatten(1).double()))
    xg = x.clone().requires_grad_(True)
    net(xg).backward(torch.ones(len(x), 10))
    k = sum(c @ c.T + (1 - c) @ (1 - c).T for c in codes).numpy()
    assert got["nwot"] == pytest.approx(np.linalg.slogdet(k)[1], rel=1e-9)
    lam = np.real(np.linalg.eig(np.corrcoef(xg.grad.flatten(1).double().numpy()))[0])
    assert got["jacov"] == pytest.approx(-np.sum(np.log(lam + 1e-5) + 1 / (lam + 1e-5)), rel=1e-6)


def test_synflow_matches_definition_and_ignores_the_batch():
    net = _net()
    ref = copy.deepcopy(net).double()
    for name, m in list(ref.named_modules()):  # BatchNorm disabled: the identity
        for child_name, child in list(m.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                setattr(m, child_name, nn.Identity())
    with torch.no_grad():
        for p in ref.parameters():
            p.abs_()
    w = _weights(ref)
    g = torch.autograd.grad(ref(torch.ones(1, 3, 8, 8, dtype=torch.float64)).sum(), w)
    expected = math.log(sum(float((p.detach() * q).abs().sum()) for p, q in zip(w, g)))
    values = {score(net, _batch(seed=s), ["synflow"])["synflow"] for s in range(3)}
    values.add(score(net, None, ["synflow"], input_shape=(3, 8, 8))["synflow"])
    assert len(values) == 1 and values.pop() == pytest.approx(expected, rel=1e-12)


def test_data_free_proxies_ignore_batch_content():
    net = _net()
    free = sorted(DATA_FREE)
    a = score(net, _batch(seed=1), free, seed=3)
    b = score(net, _batch(seed=2), free, seed=3)
    c = score(net, None, free, input_shape=(3, 8, 8), batch_size=16, seed=3)
    assert a == b == c
    other_seed = score(net, None, ["zen"], input_shape=(3, 8, 8), batch_size=16, seed=4)
    assert other_seed["zen"] != c["zen"]
    assert c["params"] == pytest.approx(sum(p.numel() for p in net.parameters()) / 1e6)


def test_bad_requests_are_clear_errors():
    with pytest.raises(ValueError, match="need a data batch"):
        score(_net(), None, ["jacov", "synflow"])
    with pytest.raises(ValueError, match="unknown zero-cost proxy 'synflo'"):
        score(_net(), _batch(), ["synflo"])


# -- failures ------------------------------------------------------------------------------------
class _OutOfMemory(nn.Module):
    """Fails like an allocator would on any batch larger than one."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        if x.shape[0] > 1:
            raise RuntimeError("CPU out of memory: tried to allocate 9 GiB")
        return self.inner(x)


def test_failing_proxies_are_nan_with_one_warning_each():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = score(_OutOfMemory(_net()), _batch(), label="arch-A")
    failed = {p for p, v in got.items() if math.isnan(v)}
    assert failed == set(PROXIES) - {"synflow", "l2_norm", "params", "flops"}
    messages = [str(w.message) for w in caught if issubclass(w.category, ZeroCostWarning)]
    assert len(messages) == len(failed)
    for p in failed:
        assert sum(f"{p!r} failed on arch arch-A" in m and "out of memory" in m
                   for m in messages) == 1


def test_degenerate_network_gives_nan_not_garbage():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = score(_net(DEAD), _batch(), label=str(DEAD))
    # no signal from input to output: synflow 0, singular NASWOT kernel, constant Jacobians
    for p in ("synflow", "jacov", "nwot", "epe_nas"):
        assert math.isnan(got[p]), p
    assert got["params"] > 0 and math.isfinite(got["l2_norm"])
    assert {str(w.message).split("'")[1] for w in caught} >= {"synflow", "jacov", "nwot"}


# -- predictors ----------------------------------------------------------------------------------
class _Batches:
    def __init__(self, channels: int = 3):
        self.calls, self.channels = 0, channels

    def __call__(self, n, seed):
        self.calls += 1
        return _batch(n, seed, channels=self.channels)


def test_every_proxy_is_a_registered_predictor():
    names = set(list_predictors("zero_cost"))
    assert names >= set(PROXIES) | {"zc_ensemble"}
    p = get_predictor("nwot", preset="small", batch_size=8)
    assert p.family == "zero_cost" and p.needs.network and not p.needs.train_set
    assert p.get_params() == {"preset": "small", "batch_size": 8, "seed": None,
                              "input_shape": None, "use_stored": True}


def test_query_draws_one_batch_and_scores_independently_of_companions():
    archs = SPACE.all()[100:106]
    batches = _Batches()
    ctx = Context(space=SPACE, batch=batches, seed=5)
    p = get_predictor("jacov", preset="small", batch_size=8).fit([], np.array([]), ctx)
    together = p.query(archs, ctx)
    assert batches.calls == 1 and np.isfinite(together).all()
    alone = p.query(archs[3:4], ctx)
    assert alone[0] == together[3]
    with pytest.raises(ValueError, match="needs Context.batch"):
        p.query(archs, Context(space=SPACE))


def test_data_free_predictors_run_without_batches_and_other_channel_counts_work():
    archs = SPACE.all()[200:203]
    ctx = Context(space=SPACE)
    for name in ("synflow", "params", "l2_norm", "zen", "flops"):
        out = get_predictor(name, preset="small", input_shape=(3, 8, 8), batch_size=4).query(
            archs, ctx)
        assert out.shape == (3,) and np.isfinite(out).all(), name
    gray = Context(space=SPACE, batch=_Batches(channels=1))  # e.g. digits: one channel
    assert np.isfinite(get_predictor("snip", preset="small", batch_size=8).query(archs, gray)).all()


def test_ensemble_averages_ranks():
    a = np.array([1.0, 2.0, 3.0, np.nan])
    b = np.array([30.0, 10.0, 20.0, 5.0])
    assert np.allclose(rank_average([a, b]), [0.5, 5 / 12, 5 / 6, 0.0])
    assert np.isnan(rank_average([np.array([np.nan, 1.0])])[0])
    ctx = Context(space=SPACE, batch=_Batches())
    archs = SPACE.all()[300:304]
    out = get_predictor("zc_ensemble", proxies=("nwot", "synflow"), preset="small",
                        batch_size=8).query(archs, ctx)
    scores = score_archs(archs, ctx, ["nwot", "synflow"], preset="small", batch_size=8)
    assert np.allclose(out, rank_average(list(scores.values())))


def test_one_failing_arch_does_not_stop_the_query():
    archs = SPACE.all()[400:404]
    bad = archs[1]

    class Space:  # the NB201 space, except that one arch's network fails on real batches
        def __getattr__(self, name):
            return getattr(SPACE, name)

        def build_network(self, arch, **kw):
            net = SPACE.build_network(arch, **kw)
            return _OutOfMemory(net) if arch == bad else net

    ctx = Context(space=Space(), batch=_Batches())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = get_predictor("grad_norm", preset="small", batch_size=8).query(archs, ctx)
    assert np.isnan(out[1]) and np.isfinite(np.delete(out, 1)).all()
    messages = [str(w.message) for w in caught if issubclass(w.category, ZeroCostWarning)]
    assert len(messages) == 1 and str(bad) in messages[0] and "'grad_norm'" in messages[0]


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_memory_stays_flat_over_many_archs():
    """520 archs through the predictor path (build, score, free), every code path in turn:
    input Jacobian + ReLU hooks, gradient + activation hooks, double backward, weight copy."""
    ctx = Context(space=SPACE, batch=lambda n, s: _batch(n, s, size=4))
    groups = (["jacov", "nwot"], ["fisher", "grad_norm"], ["grasp"], ["synflow", "zen"])
    archs = SPACE.all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroCostWarning)  # dead archs are NaN; not the point
        for proxies in groups:  # warm-up: allocator pools and lazily built kernels
            score_archs(archs[:10], ctx, proxies, preset="small", batch_size=4)
        before = _rss_mb()
        finite = 0
        for k, proxies in enumerate(groups):
            chunk = archs[1000 + 130 * k: 1000 + 130 * (k + 1)]
            out = score_archs(chunk, ctx, proxies, preset="small", batch_size=4)
            finite += int(np.isfinite(out[proxies[0]]).sum())
    growth = _rss_mb() - before
    assert finite > 400
    assert growth < 20, f"RSS grew {growth:.1f} MB over 520 archs"


# -- fidelity to NAS-Bench-Suite-Zero ------------------------------------------------------------
def test_params_and_synflow_match_suite_zero():
    """On every 9th of the 725 archs (81; a whole split in studies/zero_cost_report.py):
    params equal to 1e-6 M, synflow Spearman >= 0.98 with the stored synflow."""
    from scipy.stats import spearmanr

    from benchmarks import load_benchmark

    bench = load_benchmark("suite_zero", path=str(SUITE_ZERO), space="nb201")
    archs = bench.archs()[::9]
    ours = score_archs(archs, Context(space=SPACE, num_classes=10), ["params", "synflow"],
                       preset="official", input_shape=(3, 32, 32))
    stored_params, _ = bench.proxy_scores("params", archs)
    assert np.max(np.abs(ours["params"] - stored_params)) < 1e-6
    stored, _ = bench.proxy_scores("synflow", archs)
    ok = np.isfinite(stored) & np.isfinite(ours["synflow"])
    assert ok.sum() >= len(archs) - 2
    assert spearmanr(ours["synflow"][ok], stored[ok]).statistic >= 0.98


def test_zero_cost_predictor_through_the_evaluator():
    """train_size 0, fidelity 0, no batches (a tabular file): data-free proxies still run,
    stored ones are read."""
    from benchmarks import load_benchmark
    from experiments import evaluate

    bench = load_benchmark("suite_zero", path=str(SUITE_ZERO), space="nb201")
    rows = evaluate(bench, get_predictor("params"), test_size=12, seeds=[0])
    assert len(rows) == 1 and rows.train_size[0] == 0 and rows.fidelity[0] == 0
    assert rows.error[0] is None and rows.spearman[0] > 0
    # the file stores jacov: its scores are used, charged the seconds recorded with them
    rows = evaluate(bench, get_predictor("jacov"), test_size=12, seeds=[0])
    assert rows.error[0] is None and rows.query_recorded_seconds[0] > 0
    # computed here instead, it needs images, which a tabular file does not have
    rows = evaluate(bench, get_predictor("jacov", use_stored=False), test_size=12, seeds=[0])
    assert "needs Context.batch" in rows.error[0]
