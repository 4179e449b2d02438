"""Seconds per arch for all 13 zero-cost proxies: our shared pass vs one proxy at a time.

All score the same NB201 networks (`--preset`, default official: C=16, N=5) on the same
CIFAR-shaped minibatch (random N(0,1) images with random labels, batch 64, 32x32):

- ours: `zero_cost.score(network, batch, all 13)` — one forward pass shared by the
  data-dependent proxies, one weight copy shared by synflow and zen;
- reference style: each proxy on its own, the way NASLib / zero-cost-nas structure it: a fresh
  `copy.deepcopy` of the network per proxy and that proxy's own passes — jacov and epe_nas a
  forward and a full `backward()` (which also fills every parameter's `.grad`), grad_norm /
  snip / plain / fisher a forward and a full cross-entropy `backward()`, grasp two forwards (a
  gradient pass, then a `create_graph` pass and the Hessian-vector product), nwot a hooked
  forward, synflow / zen / l2_norm / params / flops as ours (their reference passes are ours);
- ours one at a time: a fresh copy per proxy and `score(copy, batch, [proxy])`, i.e. our
  single-proxy code paths (a lower bound for any one-proxy-at-a-time table).

The three are interleaved per arch (the same load on the machine for each) after one untimed
warm-up of all three on an official-preset network holding every NB201 op (the first call at a
new shape pays one-off kernel setup; without the warm-up it lands on whichever side runs first).
The run prints seconds per arch for each, the ratios, the seconds per proxy of both one-at-a-time
paths, the ceiling that grasp alone puts on the ratio, and checks that the reference-style values
equal ours.

    python -m experiments.speed.zero_cost_speed                  # 10 archs, official preset
    python -m experiments.speed.zero_cost_speed --archs 5 --proxies jacov,nwot,snip
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from predictors.zero_cost import PROXIES, score
from predictors.zero_cost._data_free import zen_score
from predictors.zero_cost._data_pass import epe_nas_score, jacov_score, weighted_layers
from search_spaces import get_search_space

#: NAS-Bench-Suite-Zero's mean CPU seconds per arch (Xeon Gold 6242), summed over its 12 NB201
#: proxies (zen absent): the `time` fields of zc_nasbench201_cifar10.json
SUITE_ZERO_SECONDS = 7.79
#: the warm-up network: one edge of each of the five NB201 ops
WARM_UP_ARCH = ("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|"
                "+|skip_connect~0|nor_conv_3x3~1|none~2|")


def _batch(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


def _network(space, arch, preset: str, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return space.build_network(arch, num_classes=10, preset=preset).train()


def reference_style(network: torch.nn.Module, batch, proxy: str, seed: int) -> float:
    """One proxy with the pass structure of the reference implementations (see the module
    docstring); the final arithmetic reuses ours so that the values can be compared."""
    net = copy.deepcopy(network).train()
    x, y = batch
    layers = weighted_layers(net)
    if proxy in ("jacov", "epe_nas"):
        xg = x.clone().requires_grad_(True)
        logits = net(xg)
        logits.backward(torch.ones_like(logits))
        jac = xg.grad.flatten(1).double().numpy()
        return jacov_score(jac) if proxy == "jacov" else epe_nas_score(jac, y.numpy(), 10)
    if proxy in ("grad_norm", "snip", "plain", "fisher"):
        outs = []
        if proxy == "fisher":
            def keep(module, inputs, out):
                out.retain_grad()
                outs.append((module, out))
            for m in layers:
                m.register_forward_hook(keep)
        F.cross_entropy(net(x), y).backward()
        with torch.no_grad():
            if proxy == "fisher":
                return sum(float((0.5 * ((o * o.grad).sum((2, 3)) if o.dim() == 4 else o * o.grad)
                                  .pow(2).mean(0)).sum()) * m.weight[0].numel() for m, o in outs)
            pairs = [(m.weight, m.weight.grad) for m in layers if m.weight.grad is not None]
            if proxy == "grad_norm":
                return sum(float(g.norm()) for _, g in pairs)
            if proxy == "snip":
                return sum(float((w * g).abs().sum()) for w, g in pairs)
            return sum(float((w * g).sum()) for w, g in pairs)
    if proxy == "grasp":
        weights = [m.weight for m in layers]
        g1 = torch.autograd.grad(F.cross_entropy(net(x), y), weights, allow_unused=True)
        g2 = torch.autograd.grad(F.cross_entropy(net(x), y), weights, create_graph=True,
                                 allow_unused=True)
        sum((a * b).sum() for a, b in zip(g1, g2) if a is not None).backward()
        with torch.no_grad():
            return sum(float(-(w * w.grad).sum()) for w in weights if w.grad is not None)
    if proxy == "nwot":
        net.K = np.zeros((len(x), len(x)))

        def counting(module, inputs, out):
            a = inputs[0].reshape(inputs[0].shape[0], -1)
            c = (a > 0).float()
            net.K = net.K + (c @ c.t()).cpu().numpy() + ((1.0 - c) @ (1.0 - c.t())).cpu().numpy()
        for m in net.modules():
            if isinstance(m, torch.nn.ReLU):
                m.register_forward_hook(counting)
        net(x.clone())
        return float(np.linalg.slogdet(net.K)[1])
    if proxy == "zen":
        return zen_score(net, tuple(x.shape[1:]), len(x), seed, channels_last=False)
    # synflow, l2_norm, params, flops: the same passes as ours
    return score(net, batch, [proxy], seed=seed, copy=False)[proxy]


def run(archs: int = 10, batch_size: int = 64, preset: str = "official", seed: int = 0,
        threads: int | None = 1, proxies: tuple[str, ...] = PROXIES) -> dict[str, float]:
    if threads:
        torch.set_num_threads(threads)
    space = get_search_space("nb201")
    rng = np.random.default_rng(seed)
    chosen = [space.sample(rng) for _ in range(archs)]
    batch = _batch(batch_size, seed)

    # warm-up, untimed: every path once on a network with all five ops, at the measured shapes
    warm = _network(space, space.parse(WARM_UP_ARCH), preset, seed)
    score(warm, batch, proxies, seed=seed, copy=True)
    for p in proxies:
        reference_style(warm, batch, p, seed)
        score(copy.deepcopy(warm), batch, [p], seed=seed, copy=False)
    del warm

    times: dict[str, list[float]] = {"ours": [], "reference": [], "ours_one_at_a_time": []}
    per_proxy: dict[str, list[float]] = {p: [] for p in proxies}
    ours_per_proxy: dict[str, list[float]] = {p: [] for p in proxies}
    worst = 0.0
    for i, arch in enumerate(chosen):
        net = _network(space, arch, preset, seed)
        start = time.perf_counter()
        shared = score(net, batch, proxies, seed=seed, copy=True)
        times["ours"].append(time.perf_counter() - start)

        start = time.perf_counter()
        for p in proxies:
            t = time.perf_counter()
            value = reference_style(net, batch, p, seed)
            per_proxy[p].append(time.perf_counter() - t)
            if math.isfinite(value) and math.isfinite(shared[p]):
                worst = max(worst, abs(value - shared[p]) / max(abs(shared[p]), 1e-12))
        times["reference"].append(time.perf_counter() - start)

        start = time.perf_counter()
        for p in proxies:
            t = time.perf_counter()
            score(copy.deepcopy(net), batch, [p], seed=seed, copy=False)
            ours_per_proxy[p].append(time.perf_counter() - t)
        times["ours_one_at_a_time"].append(time.perf_counter() - start)
        t = {k: v[-1] for k, v in times.items()}
        print(f"arch {i + 1}/{archs} {arch}: ours {t['ours']:.2f} s, reference style "
              f"{t['reference']:.2f} s ({t['reference'] / t['ours']:.2f}x), ours one at a time "
              f"{t['ours_one_at_a_time']:.2f} s ({t['ours_one_at_a_time'] / t['ours']:.2f}x)",
              flush=True)
        del net

    # mean seconds per arch (ratio of totals: what a sweep over these archs costs), and the
    # spread of the per-arch ratios (conv-heavy cells gain least: grasp's Hessian-vector
    # product, which both sides pay, dominates them)
    result = {f"{k}_s_per_arch": statistics.fmean(v) for k, v in times.items()}
    result["ratio"] = result["reference_s_per_arch"] / result["ours_s_per_arch"]
    result["ratio_one_at_a_time"] = (result["ours_one_at_a_time_s_per_arch"]
                                     / result["ours_s_per_arch"])
    per_arch = [r / o for r, o in zip(times["reference"], times["ours"])]
    result["ratio_median_over_archs"] = statistics.median(per_arch)
    result["max_rel_diff_reference_vs_ours"] = worst
    print("\nseconds per proxy (mean): reference style | ours, one proxy at a time")
    for p in proxies:
        print(f"  {p:10s} {statistics.fmean(per_proxy[p]):6.3f} | "
              f"{statistics.fmean(ours_per_proxy[p]):6.3f}")
    print(f"\nNB201 {preset} preset, batch {batch_size}x3x32x32, {archs} archs, "
          f"{torch.get_num_threads()} thread(s); means over archs")
    print(f"{len(proxies)} proxies: {', '.join(proxies)}")
    print(f"ours (one call, shared passes): {result['ours_s_per_arch']:.2f} s per arch")
    print(f"reference style (one by one):   {result['reference_s_per_arch']:.2f} s per arch "
          f"-> speed-up {result['ratio']:.2f}x (per arch: median "
          f"{statistics.median(per_arch):.2f}x, "
          f"range {min(per_arch):.2f}-{max(per_arch):.2f}x)")
    print(f"ours one proxy at a time:      {result['ours_one_at_a_time_s_per_arch']:.2f} s per "
          f"arch -> speed-up {result['ratio_one_at_a_time']:.2f}x")
    if "grasp" in proxies:
        # grasp's Hessian-vector product is part of any full set: even if the other proxies
        # cost nothing, ours cannot be faster than grasp alone
        grasp_alone = statistics.fmean(ours_per_proxy["grasp"])
        result["ceiling_ratio_grasp_alone"] = result["reference_s_per_arch"] / grasp_alone
        print(f"ceiling: ours grasp alone {grasp_alone:.2f} s per arch -> no full set can beat "
              f"{result['ceiling_ratio_grasp_alone']:.2f}x")
    print(f"reference-style values vs ours: max relative difference {worst:.1e}")
    print(f"(Suite-Zero's stored CPU time for its 12 NB201 proxies: {SUITE_ZERO_SECONDS:.1f} s "
          f"per arch on a 16-core Xeon)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--preset", default="official")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--proxies", default=",".join(PROXIES), help="comma-separated subset")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (0: torch default; 1 is fastest on a loaded "
                             "2-core box)")
    args = parser.parse_args()
    run(args.archs, args.batch_size, args.preset, args.seed, args.threads or None,
        tuple(p.strip() for p in args.proxies.split(",") if p.strip()))


if __name__ == "__main__":
    main()
