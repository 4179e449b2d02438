"""`Surrogate`: any registered predictor, driven by a NAS loop.

- Model-based predictors (`needs.train_set`) are refit each round on the evaluated archs and
  their accuracies.
- Zero-cost predictors (`needs.network`, no train set) need no fit; each arch's score is
  computed once and cached for the whole run (the predictor draws one minibatch per call from
  the same seed, so cached and fresh scores are comparable). OMNI predictors keep their own
  zero-cost cache across refits; the copies of an ensemble share one cache and one proxy seed.
- A predictor whose scores are relative to the set it is queried on (`zc_ensemble`: ranks within
  the queried archs) would put cached scores of different rounds on different scales. Such a
  predictor has a `calibrate(reference_archs, ctx)` method: before its first query the
  surrogate draws `REFERENCE_SIZE` archs the search may meet (pool and split; a stream of its
  own, so the proposals do not change) and calibrates every member on them once. From then on
  each arch's score is a fixed function of the arch (for `zc_ensemble`: each proxy through the
  empirical CDF of the reference's raw scores), so every score of the search — cached or new,
  from any round — is on one scale. The reference's scoring is the optimizer's own work and is
  booked in its compute seconds.
- Predictors that read curves (learning-curve, hybrid, OMNI ensembles) get a `CurveView` with
  the evaluated archs in full and candidates up to `fidelity` epochs (0 unless asked for); the
  recorded seconds of those partial curves are charged to the search (`charge_partial`).

Uncertainty for Bayesian optimisation: a predictor that gives a predictive std
(`query(archs, ctx, return_std=True)`, `supports_std`) is used as is ("native"); any other is
wrapped in an ensemble of `ensemble_size` copies with seeds seed, seed+1, ... (BANANAS' recipe,
White et al. 2021), mean and std across members. Copies of a deterministic learner (e.g.
XGBoost with no subsampling ignores its seed) would agree exactly, so by default each member
also fits a bootstrap resample of the train set (bagging, Breiman 1996) — the usual way to get
spread from such models.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from predictors import Context, Predictor, get_predictor
from predictors.base import check_needs

UNCERTAINTY = ("auto", "native", "ensemble")
#: archs scored once at a search's start to fix the scale of set-relative predictors
REFERENCE_SIZE = 100


def build_predictor(predictor: str | Predictor, params: dict[str, Any] | None,
                    benchmark: Any) -> Predictor:
    """A fresh predictor: by name (with `params`) or a copy of an instance. A `preset` param
    the user left unset follows the benchmark's network preset."""
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"predictor_params must be a mapping of hyperparameters (or None), got "
                        f"{params!r}")
    params = dict(params or {})
    if isinstance(predictor, Predictor):
        base = {**predictor.get_params(), **params}
        cls = type(predictor)
    else:
        if not isinstance(predictor, str):
            raise TypeError(f"predictor must be a name or a Predictor, got {predictor!r}")
        probe = get_predictor(predictor, **params)  # unknown names/params: ValueError here
        cls, base = type(probe), params
    accepted = inspect.signature(cls.__init__).parameters
    if "preset" in accepted and "preset" not in params and getattr(benchmark, "preset", None):
        base["preset"] = benchmark.preset
    return cls(**base)


def check_surrogate(template: Predictor, benchmark: Any, fidelity: int = 0,
                    need_std: bool = False, uncertainty: str = "auto",
                    ensemble_size: int = 3) -> str:
    """Whether `template` can guide a search on `benchmark` with these settings (ValueError
    naming what is wrong; run_search calls it before any query); the uncertainty mode."""
    from experiments.evaluator import check_predictor_on

    if fidelity < 0:
        raise ValueError(f"fidelity must be >= 0, got {fidelity}")
    check_needs(template, benchmark)
    check_predictor_on(template, benchmark)  # encoding, preset, proxies of the space
    if template.needs.query_epochs and fidelity < 1:
        raise ValueError(f"predictor {template.name!r} reads partial learning curves of the "
                         f"candidates: give fidelity >= 1")
    if fidelity > int(benchmark.max_epochs):
        raise ValueError(f"fidelity {fidelity} exceeds the benchmark's "
                         f"{benchmark.max_epochs} epochs")
    return uncertainty_mode(template, need_std, uncertainty, ensemble_size)


def native_std(predictor: Predictor) -> bool:
    """Whether `query(..., return_std=True)` gives a predictive std."""
    flag = getattr(predictor, "supports_std", None)
    if flag is not None:
        return bool(flag)
    return "return_std" in inspect.signature(predictor.query).parameters


def uncertainty_mode(template: Predictor, need_std: bool, uncertainty: str = "auto",
                     ensemble_size: int = 3) -> str:
    """How the predictive std is obtained: "mean" (no std needed), "native" or "ensemble";
    ValueError when `template` can give none under these settings."""
    if uncertainty not in UNCERTAINTY:
        raise ValueError(f"unknown uncertainty {uncertainty!r}; expected one of: "
                         f"{', '.join(UNCERTAINTY)}")
    if not need_std:
        return "mean"
    if uncertainty in ("auto", "native") and native_std(template):
        return "native"
    name = template.name
    if uncertainty == "native":
        raise ValueError(f"predictor {name!r} gives no predictive std; use "
                         f"uncertainty='ensemble' (or 'auto')")
    if int(ensemble_size) < 2:
        raise ValueError(f"predictor {name!r} gives no predictive std and ensemble_size="
                         f"{ensemble_size} < 2 gives no spread either")
    if "seed" not in inspect.signature(type(template).__init__).parameters:
        raise ValueError(f"predictor {name!r} gives no predictive std and takes no seed, so "
                         f"an ensemble of copies would have no spread")
    return "ensemble"


def _ensemble_members(template: Predictor, base: int, size: int) -> list[Predictor]:
    """`size` copies of `template` with seeds base, base+1, ... A predictor that computes
    zero-cost scores itself (OMNI: a `zc_seed` and a `zero_cost_cache`) gets one proxy seed for
    all copies and one shared cache: the copies differ in their models only, and each arch's
    proxies are computed once per search."""
    params = template.get_params()
    shares = "zc_seed" in params and hasattr(template, "zero_cost_cache")
    members = []
    for i in range(int(size)):
        member = dict(params, seed=int(base) + i)
        if shares and member["zc_seed"] is None:
            member["zc_seed"] = int(base)
        members.append(type(template)(**member))
    if shares:
        for member in members[1:]:
            member.zero_cost_cache = members[0].zero_cost_cache
    return members


def _with_seed(predictor: Predictor, seed: int) -> Predictor:
    params = predictor.get_params()
    params["seed"] = int(seed)
    return type(predictor)(**params)


class Surrogate:
    def __init__(self, predictor: str | Predictor, predictor_params: dict[str, Any] | None,
                 state: Any, seed: int, *, need_std: bool = False, uncertainty: str = "auto",
                 ensemble_size: int = 3, bootstrap: bool = True, fidelity: int = 0) -> None:
        self.state = state
        self.benchmark = state.benchmark
        self.seed = int(seed)
        self.fidelity = int(fidelity)
        template = build_predictor(predictor, predictor_params, self.benchmark)
        self.name = template.name
        self.mode = check_surrogate(template, self.benchmark, self.fidelity, need_std,
                                    uncertainty, ensemble_size)
        needs = template.needs
        self.learns = bool(needs.train_set)
        # zero-cost scores depend only on the arch (and the seed): compute each once
        self.cached = bool(needs.network) and not needs.train_set
        accepted = inspect.signature(type(template).__init__).parameters
        if self.mode == "ensemble":
            base = template.get_params().get("seed")
            base = self.seed if base is None else int(base)
            self.members = _ensemble_members(template, base, int(ensemble_size))
        else:
            if "seed" in accepted and template.get_params().get("seed") is None:
                template = _with_seed(template, self.seed)
            self.members = [template]
        self.bootstrap = bool(bootstrap) and self.mode == "ensemble"
        self.caches: list[dict[Any, float]] = [{} for _ in self.members]
        self.rng = np.random.default_rng([self.seed, 104729])  # bootstrap draws only
        # set-relative scores (zc_ensemble): calibrated on a fixed reference before first use
        self.calibrates = all(callable(getattr(m, "calibrate", None)) for m in self.members)
        self.reference: list[Any] | None = None

    def _trained(self) -> list[Any]:
        """The evaluated archs with a finite accuracy (what predictors learn from)."""
        return [a for a in self.state.history if np.isfinite(self.state.accuracy[a])]

    def context(self, query: Sequence[Any] = ()) -> Context:
        """What the predictor may see: the evaluated archs' curves in full, the candidates'
        first `fidelity` epochs (built by `Context.for_benchmark`: no path to the benchmark)."""
        return Context.for_benchmark(self.benchmark, self._trained(), query, self.fidelity,
                                     seed=self.seed)

    def fit(self) -> None:
        """Refit every member on the evaluated archs with a finite accuracy."""
        if self.cached:
            return  # zero-cost: nothing to learn (Predictor.fit is a no-op for others too)
        archs = self._trained()
        y = np.array([self.state.accuracy[a] for a in archs], dtype=float)
        ctx = self.context()
        for member in self.members:
            if self.bootstrap:
                idx = self.rng.integers(len(archs), size=len(archs))
                if len(set(idx.tolist())) < 2:  # a degenerate resample: use everything
                    idx = np.arange(len(archs))
                member.fit([archs[i] for i in idx], y[idx], ctx)
            else:
                member.fit(archs, y, ctx)

    def predict(self, archs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray | None]:
        """(mean, std or None) over `archs`; higher = predicted better."""
        archs = list(archs)
        if self.fidelity > 0:
            for arch in archs:
                self.state.charge_partial(arch, self.fidelity)
        ctx = self.context(archs)
        if self.calibrates and self.reference is None:
            self.calibrate()
        if self.mode == "native":
            mean, std = self.members[0].query(archs, ctx, return_std=True)
            return _vector(mean, len(archs)), _vector(std, len(archs))
        outputs = np.stack([self._query(i, m, archs, ctx) for i, m in enumerate(self.members)])
        if self.mode == "ensemble":
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
                return np.nanmean(outputs, 0), np.nanstd(outputs, 0)
        return outputs[0], None

    def calibrate(self) -> None:
        """Fix every member's score scale on one reference sample for the whole search."""
        rng = np.random.default_rng([self.seed, 15485863])  # not the proposal stream
        self.reference = self.state.reference_sample(REFERENCE_SIZE, rng)
        ctx = self.context()  # the reference archs' curves are never read
        for member in self.members:
            member.calibrate(self.reference, ctx)

    def _query(self, index: int, member: Predictor, archs: list[Any], ctx: Context) -> np.ndarray:
        if not self.cached:
            return _vector(member.query(archs, ctx), len(archs))
        cache = self.caches[index]
        missing = [a for a in dict.fromkeys(archs) if a not in cache]
        if missing:
            cache.update(zip(missing, _vector(member.query(missing, ctx), len(missing))))
        return np.array([cache[a] for a in archs], dtype=float)


def _vector(values: Any, n: int) -> np.ndarray:
    out = np.asarray(values, dtype=float).reshape(-1)
    if out.shape[0] != n:
        raise ValueError(f"the predictor returned {out.shape[0]} values for {n} archs")
    # non-finite scores (e.g. a proxy that failed on one arch) become NaN; loops rank NaN last
    return np.where(np.isfinite(out), out, np.nan)
