"""Predictor-guided NAS loops: NPENAS-style evolution and BANANAS-style Bayesian optimisation.

Both start from `num_init` random archs and then, every round, (1) refit the predictor on all
evaluated archs, (2) propose candidates, (3) rank them, (4) query the top `k`. Candidates are,
by default, independent single-step mutations of the best evaluated archs: each of the
`num_parents` best archs is mutated `num_candidates / num_parents` times, every mutation
starting from the parent itself (not a chain), duplicates and evaluated archs dropped;
`candidates="random"` samples unseen archs uniformly instead.

Defaults: 10 random initial archs (NASLib's `num_init`), then rounds of k = 5 queries chosen
from 120 candidates, 24 mutations of each of the 5 best archs (an NB201 cell has 24
neighbours). On the NB201 CIFAR-10 table these beat NASLib's k = 10 / 100 candidates of the 2
or 10 best (results/search_regret, tuning runs in the issue's report).

- NPENAS (Wei et al. 2020, "NPENAS: Neural predictor guided evolution for NAS"): rank by the
  predictor's mean.
- BANANAS (White, Neiswanger & Savani 2021, AAAI): rank by an acquisition function of the
  predictive mean and std (independent Thompson sampling by default), the std coming from the
  predictor itself or from an ensemble of copies (see `surrogate`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from experiments.search.acquisition import ACQUISITIONS
from experiments.search.acquisition import acquisition as make_acquisition
from experiments.search.state import SearchState, StopSearch
from experiments.search.surrogate import UNCERTAINTY, Surrogate

CANDIDATE_MODES = ("mutation", "random")


def check_guided(values: dict[str, Any], learns: bool = True) -> None:
    """The loop values npenas (and, with `acquisition` and the ensemble settings, bananas)
    accept; `values` holds every keyword argument of the loop (run_search fills in the
    defaults and checks before any query). `learns`: the predictor fits on evaluated archs."""
    _check_common(values["num_init"], values["k"], values["num_candidates"],
                  values["num_parents"], values["candidates"], learns)
    for name in ("num_random", "fidelity"):
        if values[name] < 0:
            raise ValueError(f"{name} must be >= 0, got {values[name]}")
    if "acquisition" not in values:
        return
    if values["acquisition"] not in ACQUISITIONS:
        raise ValueError(f"unknown acquisition {values['acquisition']!r}; expected one of: "
                         f"{', '.join(ACQUISITIONS)}")
    if not math.isfinite(values["beta"]):
        raise ValueError(f"beta must be a finite number, got {values['beta']}")
    if values["uncertainty"] not in UNCERTAINTY:
        raise ValueError(f"unknown uncertainty {values['uncertainty']!r}; expected one of: "
                         f"{', '.join(UNCERTAINTY)}")
    if values["ensemble_size"] < 1:
        raise ValueError(f"ensemble_size must be >= 1, got {values['ensemble_size']}")


def _check_common(num_init: int, k: int, num_candidates: int, num_parents: int,
                  candidates: str, learns: bool) -> None:
    if candidates not in CANDIDATE_MODES:
        raise ValueError(f"candidates must be one of {', '.join(CANDIDATE_MODES)}, "
                         f"got {candidates!r}")
    if num_init < (2 if learns else 1):
        raise ValueError(f"num_init must be >= 2 for a predictor that learns from evaluated "
                         f"archs, got {num_init}")
    if k < 1 or num_candidates < k or num_parents < 1:
        raise ValueError(f"need k >= 1, num_candidates >= k and num_parents >= 1, got k={k}, "
                         f"num_candidates={num_candidates}, num_parents={num_parents}")


def propose(state: SearchState, num_candidates: int, num_parents: int, mode: str,
            num_random: int = 0) -> list[Any]:
    """Distinct unseen candidates: independent mutations of the best archs, or random ones,
    plus `num_random` uniformly random archs (exploration beyond the parents' neighbourhoods).
    Parents whose neighbourhood is exhausted contribute fewer; the rest is filled at random."""
    chosen: dict[Any, None] = {}  # insertion-ordered set: determinism under the seed
    if mode == "mutation":
        parents = state.top(num_parents)
        per_parent = max(1, num_candidates // len(parents))
        for parent in parents:
            for _ in range(per_parent):
                child = state.mutate_unseen(parent, chosen)
                if child is not None:
                    chosen[child] = None
    attempts, wanted = 0, num_candidates + max(0, int(num_random))
    while len(chosen) < wanted and attempts < 3 * wanted:
        attempts += 1
        try:
            chosen[state.random_unseen(chosen)] = None
        except StopSearch:  # the pool is exhausted: rank what we have
            break
    return list(chosen)


def _ranked(values: np.ndarray) -> np.ndarray:
    """Indices by decreasing value, NaN last, ties in candidate order (stable)."""
    v = np.where(np.isnan(values), -np.inf, values)
    return np.argsort(-v, kind="stable")


def _guided_loop(state: SearchState, surrogate: Surrogate, score: Any, num_init: int, k: int,
                 num_candidates: int, num_parents: int, candidates: str, num_random: int) -> None:
    for _ in range(num_init):
        state.evaluate(state.random_unseen(), "init")
    while not state.done:
        surrogate.fit()
        pool = propose(state, num_candidates, num_parents, candidates, num_random)
        if not pool:
            return
        order = _ranked(score(pool))
        for i in order[:k]:
            state.evaluate(pool[int(i)], "predicted")


def npenas(state: SearchState, predictor: Any, predictor_params: dict[str, Any] | None,
           seed: int, num_init: int = 10, k: int = 5, num_candidates: int = 120,
           num_parents: int = 5, candidates: str = "mutation", num_random: int = 0,
           fidelity: int = 0) -> None:
    """Predictor-guided evolution (NPENAS): each round, mutate the `num_parents` best archs
    into `num_candidates` candidates, query the `k` the predictor ranks highest, refit."""
    surrogate = Surrogate(predictor, predictor_params, state, seed, fidelity=fidelity)
    check_guided(dict(num_init=num_init, k=k, num_candidates=num_candidates,
                      num_parents=num_parents, candidates=candidates, num_random=num_random,
                      fidelity=fidelity), surrogate.learns)
    _guided_loop(state, surrogate, lambda pool: surrogate.predict(pool)[0], num_init, k,
                 num_candidates, num_parents, candidates, num_random)


def bananas(state: SearchState, predictor: Any, predictor_params: dict[str, Any] | None,
            seed: int, num_init: int = 10, k: int = 5, num_candidates: int = 120,
            num_parents: int = 5, candidates: str = "mutation", num_random: int = 0,
            acquisition: str = "its",
            beta: float = 0.5, uncertainty: str = "auto", ensemble_size: int = 3,
            bootstrap: bool = True, fidelity: int = 0) -> None:
    """Bayesian optimisation (BANANAS): each round, refit the predictor (or ensemble), score
    the candidates with the acquisition function `acquisition` (its | ucb | ei | pi) of
    the predictive mean and std, query the top `k`."""
    surrogate = Surrogate(predictor, predictor_params, state, seed, need_std=True,
                          uncertainty=uncertainty, ensemble_size=ensemble_size,
                          bootstrap=bootstrap, fidelity=fidelity)
    check_guided(dict(num_init=num_init, k=k, num_candidates=num_candidates,
                      num_parents=num_parents, candidates=candidates, num_random=num_random,
                      fidelity=fidelity, acquisition=acquisition, beta=beta,
                      uncertainty=uncertainty, ensemble_size=ensemble_size), surrogate.learns)
    acq = make_acquisition(acquisition, beta)
    # ITS draws come from their own stream so that they do not shift the proposal stream
    draws = np.random.default_rng([int(seed), 7907])

    def score(pool: list[Any]) -> np.ndarray:
        mean, std = surrogate.predict(pool)
        std = np.where(np.isfinite(std), std, 0.0)
        return acq(mean, std, state.incumbent, draws)

    _guided_loop(state, surrogate, score, num_init, k, num_candidates, num_parents, candidates,
                 num_random)
