"""Every zero-cost proxy as a registered `Predictor` (family `zero_cost`), plus `zc_ensemble`.

`fit` does nothing. `query` draws ONE minibatch (`ctx.batch(batch_size, seed)`) per call and
scores every arch on it, so the ranking does not reflect batch-to-batch noise; each arch's
network is built once at PyTorch's default initialisation under `seed` (the same seed for every
arch: the ranking does not depend on query order), in train mode, and scored with one
`zero_cost.score` call (`copy=False`: the network is ours to alter).

Stored scores: when the benchmark stores this proxy (a NAS-Bench-Suite-Zero file, the shipped
NB201 CIFAR-10 data), `Context.stored_proxies` carries the scores and the CPU seconds recorded
for them; with `use_stored=True` (default) a proxy predictor returns those scores (computed by
Suite-Zero on its own network and CIFAR batches) and charges the recorded seconds as query
time (`recorded_query_seconds_`, the `query_recorded_seconds` column) instead of computing. It
does so when the benchmark stores the proxy for most of the query archs: the few it lacks (one
NB201 cell has no synflow) are NaN, ranked last, with one warning. Otherwise, or with
`use_stored=False`, every arch is scored here, so all scores of a call share one scale.

Data-free proxies (synflow, zen, l2_norm, params, flops) work without `ctx.batch`; their input
shape is `input_shape` when given, else the batch's when the context has batches, else
(3, 32, 32) (queried together with data-dependent proxies, they use the batch's shape). A
batch whose channel count differs from the preset's gets a network built with `in_channels` to
match.

Token spaces (`input_kind` "tokens", the `nlp` language models): the batch is n token
sequences (x, y) int64 [n, T] with next-token targets (`batch_size` = n sequences), the
vocabulary is `ctx.num_classes`, and epe_nas and zen refuse in one line (`_tokens.py`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from scipy.stats import rankdata

from predictors.base import Context, Needs, Predictor, as_list, register_predictor
from predictors.zero_cost import _tokens
from predictors.zero_cost.score import (
    DATA_FREE,
    DEFAULT_INPUT_SHAPE,
    DEFAULT_TOKEN_SHAPE,
    ZeroCostWarning,
    check_proxies,
    score,
)


def score_archs(archs: Sequence[Any], ctx: Context, proxies: Sequence[str], *,
                preset: str = "official", batch_size: int = 64, seed: int | None = None,
                input_shape: Sequence[int] | None = None, who: str = "zero_cost"
                ) -> dict[str, np.ndarray]:
    """{proxy: scores over `archs`} with one network per arch and one batch for all of them.
    An arch whose network cannot be built, or on which a proxy fails, is NaN for that proxy;
    failures are summarised in one `ZeroCostWarning` per proxy and call, not one per arch."""
    names = check_proxies(proxies)
    kind = getattr(ctx.space, "input_kind", "image")
    if kind not in ("image", "tokens"):
        raise ValueError(f"zero-cost proxies are defined on image and token networks; space "
                         f"{ctx.space.name!r} reads {kind}")
    tokens = kind == "tokens"
    if tokens:  # before any work: a proxy with no meaning here is one line, not NaN
        _tokens.refuse_unsupported(names, f"space {ctx.space.name!r}")
    archs = as_list(archs)
    seed = ctx.seed if seed is None else int(seed)
    data = [p for p in names if p not in DATA_FREE]
    drawn = None
    if data:
        drawn = ctx.require("batch", who)(int(batch_size), seed)
    elif input_shape is None and ctx.batch is not None:
        drawn = ctx.batch(int(batch_size), seed)  # only to read the benchmark's input shape
    if drawn is not None and (data or input_shape is None):
        shape = tuple(int(s) for s in torch.as_tensor(drawn[0]).shape[1:])
    elif input_shape is not None:
        shape = tuple(int(s) for s in input_shape)
    else:
        shape = DEFAULT_TOKEN_SHAPE if tokens else DEFAULT_INPUT_SHAPE
    batch = None
    if data:  # the data-free proxies get the shape, never the data
        assert drawn is not None
        batch = (torch.as_tensor(drawn[0]).to(ctx.device),
                 torch.as_tensor(drawn[1]).to(ctx.device))
    overrides = {} if tokens else _channel_override(ctx.space, preset, shape[0])

    out = {p: np.full(len(archs), math.nan) for p in names}
    failures: dict[str, list[str]] = {p: [] for p in names}
    for i, arch in enumerate(archs):
        label = str(arch)
        try:
            with torch.random.fork_rng(devices=[]):  # seed the init without touching the caller
                torch.manual_seed(seed)
                network = ctx.space.build_network(arch, num_classes=ctx.num_classes,
                                                  preset=preset, **overrides)
            network = network.to(ctx.device).train()
        except Exception as exc:  # any error: this arch is NaN, the others go on
            for p in names:
                failures[p].append(f"{label}: could not build its network "
                                   f"({type(exc).__name__}: {exc})")
            continue
        with warnings.catch_warnings(record=True) as caught:  # summarised below, per proxy
            warnings.simplefilter("always", ZeroCostWarning)
            values = score(network, batch, names, input_shape=shape, batch_size=batch_size,
                           seed=seed, copy=False, label=label, input_kind=kind)
        for w in caught:
            if not issubclass(w.category, ZeroCostWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        del network
        for p, v in values.items():
            out[p][i] = v
            if not math.isfinite(v):
                failures[p].append(_reason(caught, p, label))
    for p, reasons in failures.items():
        if reasons:  # one line per proxy and call, however many archs failed
            warnings.warn(f"zero-cost proxy {p!r} failed on {len(reasons)} of {len(archs)} "
                          f"archs, scored NaN (ranked last); first: {reasons[0]}"[:600],
                          ZeroCostWarning, stacklevel=2)
    return out


def _reason(caught: list[warnings.WarningMessage], proxy: str, label: str) -> str:
    for w in caught:
        if f"proxy {proxy!r}" in str(w.message):
            return f"{label}: {str(w.message).split(': ', 1)[-1]}"
    return f"{label}: non-finite value"


def _check_batch_size(batch_size: Any, who: str) -> Any:
    """`batch_size` unchanged when it is an integer >= 1, else a ValueError naming it."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"predictor {who!r}: batch_size must be an integer >= 1, "
                         f"got {batch_size!r}")
    return batch_size


def _channel_override(space: Any, preset: str, channels: int) -> dict[str, int]:
    params = space.preset_params(preset)
    if "in_channels" in params and params["in_channels"] != channels:
        return {"in_channels": int(channels)}
    return {}


class ZeroCostPredictor(Predictor):
    """One zero-cost proxy as a predictor. Subclasses set `name` (= the proxy)."""

    family: ClassVar[str] = "zero_cost"
    needs: ClassVar[Needs] = Needs(network=True)

    def __init__(self, preset: str = "official", batch_size: int = 64, seed: int | None = None,
                 input_shape: tuple[int, ...] | None = None, use_stored: bool = True):
        self.preset = preset
        self.batch_size = _check_batch_size(batch_size, self.name)
        self.seed = seed
        self.input_shape = input_shape
        if not isinstance(use_stored, bool):
            raise ValueError(f"predictor {self.name!r}: use_stored must be true or false, "
                             f"got {use_stored!r}")
        self.use_stored = use_stored

    def query(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        archs = as_list(archs)
        self.recorded_query_seconds_ = 0.0
        stored = self._stored(archs, ctx) if self.use_stored else None
        if stored is not None:
            return stored
        return score_archs(archs, ctx, [self.name], preset=self.preset,
                           batch_size=self.batch_size, seed=self.seed,
                           input_shape=self.input_shape, who=self.name)[self.name]

    def _stored(self, archs: list[Any], ctx: Context) -> np.ndarray | None:
        """The benchmark's stored scores of `archs` (module docstring), or None to compute."""
        table = (ctx.stored_proxies or {}).get(self.name)
        if not table or not archs:
            return None
        found = [table.get(a) for a in archs]
        missing = sum(f is None for f in found)
        if 2 * missing >= len(archs):  # mostly not stored: compute all, one scale
            return None
        if missing:
            first = next(a for a, f in zip(archs, found) if f is None)
            warnings.warn(f"zero-cost proxy {self.name!r}: the benchmark stores no score for "
                          f"{missing} of {len(archs)} archs, scored NaN (ranked last); "
                          f"first: {first}", ZeroCostWarning, stacklevel=2)
        self.recorded_query_seconds_ = float(np.nansum([f[1] for f in found if f is not None]))
        return np.array([math.nan if f is None else f[0] for f in found], dtype=float)


@register_predictor
class Jacov(ZeroCostPredictor):
    """jacob_cov (Mellor et al. 2020, v1): Jacobian correlation eigenvalue score."""
    name = "jacov"
    configs = {"paper": {"batch_size": 256}}  # NASLib experiment config search.batch_size


@register_predictor
class Synflow(ZeroCostPredictor):
    """synflow (Tanaka et al. 2020): log Σ|θ·∂R/∂θ| of the linearised network. Data-free."""
    name = "synflow"
    configs = {"paper": {"batch_size": 256}}  # NASLib experiment config search.batch_size


@register_predictor
class Snip(ZeroCostPredictor):
    """snip (Lee et al. 2019): Σ|θ·∂L/∂θ|."""
    name = "snip"
    configs = {"paper": {"batch_size": 256}}  # NASLib experiment config search.batch_size


@register_predictor
class Grasp(ZeroCostPredictor):
    """grasp (Wang et al. 2020): Σ −θ·(H g)."""
    name = "grasp"
    configs = {"paper": {"batch_size": 256}}  # NASLib experiment config search.batch_size


@register_predictor
class Fisher(ZeroCostPredictor):
    """fisher (Theis et al. 2018; Turner et al. 2020): per-channel ½·mean(Σ a·∂L/∂a)²."""
    name = "fisher"
    configs = {"paper": {"batch_size": 256}}  # NASLib experiment config search.batch_size


@register_predictor
class GradNorm(ZeroCostPredictor):
    """grad_norm (Abdelfattah et al. 2021): Σ_l ‖∂L/∂θ_l‖."""
    name = "grad_norm"
    configs = {"paper": {"batch_size": 256}}  # NASLib experiment config search.batch_size


@register_predictor
class Nwot(ZeroCostPredictor):
    """NASWOT (Mellor et al. 2021): log|det K| of the ReLU activation-pattern kernel."""
    name = "nwot"


@register_predictor
class EpeNas(ZeroCostPredictor):
    """EPE-NAS (Lopes et al. 2021): per-class Jacobian correlation score."""
    name = "epe_nas"


@register_predictor
class Plain(ZeroCostPredictor):
    """plain (Abdelfattah et al. 2021): Σ θ·∂L/∂θ."""
    name = "plain"


@register_predictor
class L2Norm(ZeroCostPredictor):
    """l2_norm (Suite-Zero baseline): Σ_l ‖θ_l‖ at initialisation. Data-free."""
    name = "l2_norm"


@register_predictor
class Zen(ZeroCostPredictor):
    """Zen-score (Lin et al. 2021) under Gaussian init and Gaussian inputs. Data-free."""
    name = "zen"


@register_predictor
class Params(ZeroCostPredictor):
    """Trainable parameters in millions (Suite-Zero baseline). Data-free."""
    name = "params"


@register_predictor
class Flops(ZeroCostPredictor):
    """Forward FLOPs at batch 1 in millions (Suite-Zero baseline). Data-free."""
    name = "flops"


@register_predictor
class ZeroCostEnsemble(Predictor):
    """Average of several zero-cost proxies, computed in one shared pass per arch.

    Proxies live on unrelated scales (synflow spans orders of magnitude, nwot does not), so each
    is first mapped to [0, 1]; an arch's score is the mean over the proxies that are finite for
    it (NaN when none is). Two ways, one per use:

    - uncalibrated (the default, e.g. `evaluate`): each proxy's scores over the queried archs
      become ranks scaled to [0, 1] (ties averaged). Such a score is relative to the queried
      set: the same arch gets another score in another set.
    - calibrated (`calibrate(reference_archs, ctx)`, what a NAS loop does once at its start):
      each proxy is mapped through a fixed, strictly increasing function of the raw score — the
      mid-rank empirical CDF of the reference archs' raw scores, interpolated linearly between
      the reference values and continued beyond them by exponential tails that stay inside
      (0, 1) (scale: the reference's standard deviation), so archs above (or below) every
      reference arch keep their order instead of tying at 1 (or 0). An arch's score is then a
      function of the arch alone: scores computed in different calls (rounds of a search,
      cached or not) are on one scale and may be compared and ranked together.

    `raw_scores` gives the per-proxy scores before either mapping. `reference_` (set by
    `calibrate`) holds each proxy's sorted finite reference scores; it is fitted state, not a
    hyperparameter (`get_params` leaves it out)."""

    name: ClassVar[str] = "zc_ensemble"
    family: ClassVar[str] = "zero_cost"
    needs: ClassVar[Needs] = Needs(network=True)
    #: fitted by `calibrate` (None: uncalibrated)
    reference_: dict[str, np.ndarray] | None = None

    def __init__(self, proxies: tuple[str, ...] = ("nwot", "synflow", "jacov"),
                 preset: str = "official", batch_size: int = 64, seed: int | None = None,
                 input_shape: tuple[int, ...] | None = None):
        self.proxies = proxies
        self.preset = preset
        self.batch_size = _check_batch_size(batch_size, self.name)
        self.seed = seed
        self.input_shape = input_shape

    def raw_scores(self, archs: Sequence[Any], ctx: Context) -> dict[str, np.ndarray]:
        """{proxy: raw scores over `archs`} (one network per arch, one batch for all)."""
        return score_archs(archs, ctx, list(self.proxies), preset=self.preset,
                           batch_size=self.batch_size, seed=self.seed,
                           input_shape=self.input_shape, who=self.name)

    def calibrate(self, reference_archs: Sequence[Any], ctx: Context) -> ZeroCostEnsemble:
        """Fix the score scale: from now on `query` maps each proxy through the empirical CDF of
        the raw scores of `reference_archs` (see the class docstring)."""
        raw = self.raw_scores(reference_archs, ctx)
        self.reference_ = {p: np.sort(v[np.isfinite(v)]) for p, v in raw.items()}
        return self

    def query(self, archs: Sequence[Any], ctx: Context) -> np.ndarray:
        scores = self.raw_scores(archs, ctx)
        if self.reference_ is None:
            return rank_average(list(scores.values()))
        mapped = np.vstack([self._fixed_scale(self.reference_.get(p, np.empty(0)), v)
                            for p, v in scores.items()])
        counts = np.isfinite(mapped).sum(0)
        return np.where(counts > 0, np.nansum(mapped, axis=0) / np.maximum(counts, 1), math.nan)

    @staticmethod
    def _fixed_scale(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The strictly increasing map to (0, 1) of the class docstring; NaN stays NaN (and a
        proxy with no finite reference score is NaN for every arch)."""
        values = np.asarray(values, dtype=float)
        out = np.full(values.shape, math.nan)
        ok = np.isfinite(values)
        n = reference.size
        if n == 0 or not ok.any():
            return out
        knots, first, counts = np.unique(reference, return_index=True, return_counts=True)
        level = (first + counts / 2.0) / n  # mid-rank ECDF at each distinct reference value
        spread = float(np.std(reference))
        scale = spread if spread > 0 else max(abs(float(knots[0])), 1.0) * 1e-3
        x = values[ok]
        y = np.interp(x, knots, level)
        lo, hi = x < knots[0], x > knots[-1]
        y[lo] = level[0] * np.exp((x[lo] - knots[0]) / scale)
        y[hi] = 1.0 - (1.0 - level[-1]) * np.exp(-(x[hi] - knots[-1]) / scale)
        out[ok] = y
        return out


def rank_average(columns: Sequence[np.ndarray]) -> np.ndarray:
    """Mean over columns of ranks scaled to [0, 1] (finite values only; NaN stays NaN)."""
    ranks = []
    for col in columns:
        col = np.asarray(col, dtype=float)
        r = np.full(col.shape, math.nan)
        ok = np.isfinite(col)
        if ok.sum() == 1:
            r[ok] = 0.5
        elif ok.any():
            r[ok] = (rankdata(col[ok]) - 1.0) / (ok.sum() - 1.0)
        ranks.append(r)
    stacked = np.vstack(ranks)
    counts = np.isfinite(stacked).sum(0)
    total = np.nansum(stacked, axis=0)
    return np.where(counts > 0, total / np.maximum(counts, 1), math.nan)
