"""NAS baselines that use no predictor: random search, regularized evolution, local search.

Each loop runs until the `SearchState` raises `StopSearch` (budget spent or no unseen arch
left). No arch is ever queried twice: proposals exclude evaluated archs, and an arch already
evaluated is read back from the state for free (e.g. a neighbour local search met before).
"""

from __future__ import annotations

from collections import deque

from experiments.search.state import SearchState


def random_search(state: SearchState) -> None:
    """Random search: uniformly random unseen archs (Li & Talwalkar 2019's strong baseline)."""
    while True:
        state.evaluate(state.random_unseen(), "random")


def check_regularized_evolution(population: int = 30, sample: int = 10) -> None:
    """The values `regularized_evolution` accepts (run_search checks them before any query)."""
    if population < 1 or not 1 <= sample <= population:
        raise ValueError(f"regularized evolution needs population >= 1 and 1 <= sample <= "
                         f"population, got population={population}, sample={sample}")


def check_local_search(move: str = "best", num_init: int = 1) -> None:
    """The values `local_search` accepts."""
    if move not in ("best", "first"):
        raise ValueError(f"local search move must be 'best' or 'first', got {move!r}")
    if num_init < 1:
        raise ValueError(f"num_init must be >= 1, got {num_init}")


def regularized_evolution(state: SearchState, population: int = 30, sample: int = 10) -> None:
    """Regularized (aging) evolution (Real et al. 2019, AAAI): a population of `population`
    random archs; each step samples `sample` members uniformly without replacement, mutates the
    best of them once, queries the child, adds it and removes the OLDEST member (age, not
    fitness, decides removal). Defaults pop 30 / sample 10 as in White et al.'s NB201 runs."""
    check_regularized_evolution(population, sample)
    members: deque = deque()
    while len(members) < population:
        arch = state.random_unseen()
        state.evaluate(arch, "init")
        members.append(arch)
    while True:
        picks = state.rng.choice(len(members), size=min(sample, len(members)), replace=False)
        # the best of the tournament; ties go to the earlier (older) member, deterministically
        parent = members[min(picks.tolist(), key=lambda i: (-state.value(members[i]), i))]
        child = state.mutate_unseen(parent)
        phase = "mutation"
        if child is None:  # every tried mutation was seen or unknown to the benchmark
            child, phase = state.random_unseen(), "random"
        state.evaluate(child, phase)
        members.append(child)
        members.popleft()


def local_search(state: SearchState, move: str = "best", num_init: int = 1) -> None:
    """Local search (White, Nolen & Savani 2020, "Local search is state of the art for NAS
    benchmarks", Algorithm 1): from the best of `num_init` random archs, query the full
    neighbourhood (`space.neighbors`) in random order; with move="best" (the paper's Algorithm
    1 and NASLib's default) move to the best neighbour if it beats the current arch, with
    move="first" move as soon as one neighbour improves. At a local optimum restart from a
    random unseen arch. Neighbours already evaluated cost nothing; only neighbours the search
    may query are considered (on a fixed-pool table those it holds; always those of the split)."""
    check_local_search(move, num_init)
    current = None
    while True:
        if current is None:
            starts = []
            for _ in range(num_init):
                arch = state.random_unseen()
                state.evaluate(arch, "init" if not state.rows else "restart")
                starts.append(arch)
            current = max(starts, key=state.value)
        neighbours = [n for n in state.space.neighbors(current) if state.answerable(n)]
        order = state.rng.permutation(len(neighbours))
        best, best_value = current, state.value(current)
        for i in order:
            arch = neighbours[int(i)]
            value = state.value(arch) if arch in state.accuracy else \
                (state.evaluate(arch, "neighbour"), state.value(arch))[1]
            if value > best_value:
                best, best_value = arch, value
                if move == "first":
                    break
        current = None if best is current else best
