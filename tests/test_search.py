"""NAS loops (experiments.search): every algorithm beats random search on a synthetic objective,
is deterministic under a seed and never re-queries an arch; acquisition functions against hand
computed values; budgets; zero-cost score caching; resume after a kill on a live benchmark;
`predbench search` output, skipping of finished runs, and its usage errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from benchmarks import load_benchmark
from benchmarks.tabular import TabularBenchmark
from experiments import run_search
from experiments.search import ei, its, pi, ucb
from search_spaces import get_search_space

torch.set_num_threads(1)  # 2 shared cores


def synthetic_values(archs: list, seed: int = 0) -> np.ndarray:
    """A smooth but not separable objective over NB201 cells: per-(edge, op) effects plus
    pairwise effects between edges, squashed into 10..95 like accuracies."""
    rng = np.random.default_rng(seed)
    unary = rng.normal(size=(6, 5))
    pair = rng.normal(scale=0.4, size=(6, 6, 5, 5))
    ops = np.array([a.ops for a in archs])
    score = unary[np.arange(6), ops].sum(1)
    for i, j in itertools.combinations(range(6), 2):
        score += pair[i, j, ops[:, i], ops[:, j]]
    score = (score - score.mean()) / score.std()
    return 52.5 + 42.5 * np.tanh(score / 2)


def synthetic_table(n: int | None = None, seconds: bool = False, seed: int = 0
                    ) -> TabularBenchmark:
    space = get_search_space("nb201")
    archs = space.all()
    if n is not None:
        pick = np.random.default_rng(seed + 1).choice(len(archs), n, replace=False)
        archs = [archs[i] for i in sorted(pick)]
    values = synthetic_values(archs, seed)
    return TabularBenchmark(space=space, dataset="synthetic", path=Path("synthetic"),
                            archs=archs, target="val_accuracy", values=values,
                            train_seconds=np.full(len(archs), 10.0) if seconds else None)


@pytest.fixture(scope="module")
def table() -> TabularBenchmark:
    return synthetic_table()


# small rounds and boosters keep the test fast on 2 shared cores
FAST_XGB = {"k": 10, "num_candidates": 60, "predictor_params": {"num_boost_round": 100}}
LOOPS = [("re", None, {}), ("ls", None, {}), ("npenas", "xgb", FAST_XGB),
         ("bananas", "xgb", {"ensemble_size": 2, **FAST_XGB})]


@pytest.mark.parametrize("algo,predictor,params", LOOPS)
def test_each_algorithm_beats_random_search(table, algo, predictor, params) -> None:
    best = float(table.final_val_acc().max())
    regret = {}
    for name, pred, kw in [("rs", None, {}), (algo, predictor, params)]:
        finals = [run_search(name, table, 60, seed, pred, **kw)["incumbent"].iloc[-1]
                  for seed in range(3)]
        regret[name] = best - float(np.mean(finals))
    assert regret[algo] < regret["rs"], regret


@pytest.mark.parametrize("algo,predictor,params", [("rs", None, {}), *LOOPS])
def test_deterministic_and_never_requeries(table, algo, predictor, params) -> None:
    a = run_search(algo, table, 30, 7, predictor, **params)
    b = run_search(algo, table, 30, 7, predictor, **params)
    c = run_search(algo, table, 30, 8, predictor, **params)
    assert list(a["arch"]) == list(b["arch"]) and list(a["arch"]) != list(c["arch"])
    assert a["arch"].is_unique and len(a) == 30 and list(a["step"]) == list(range(1, 31))
    assert np.allclose(a["incumbent"], np.maximum.accumulate(a["accuracy"]))
    assert (a["compute_seconds"] >= 0).all() and a["train_seconds"].isna().all()
    assert {"algo", "predictor", "seed", "arch", "accuracy", "incumbent", "train_seconds",
            "compute_seconds", "cum_compute_seconds"} <= set(a.columns)


@pytest.mark.parametrize("algo,predictor", [("rs", None), ("re", None), ("ls", None),
                                            ("npenas", "xgb")])
def test_small_pool_only_known_archs_and_exhaustion(algo, predictor) -> None:
    small = synthetic_table(n=45)
    params = {"population": 10, "sample": 3} if algo == "re" else {}
    frame = run_search(algo, small, 80, 0, predictor, **params)
    known = {small.space.format(a) for a in small.archs()}
    assert set(frame["arch"]) <= known and frame["arch"].is_unique
    if algo != "ls":  # local search stops at a local optimum whose neighbourhood is empty
        assert len(frame) == 45  # exhausted the pool, then stopped
    assert frame["incumbent"].iloc[-1] <= small.final_val_acc().max()


def test_budget_in_training_seconds() -> None:
    timed = synthetic_table(n=500, seconds=True)
    frame = run_search("re", timed, None, 0, budget_seconds=95.0)
    assert len(frame) == 10 and frame["cum_train_seconds"].iloc[-1] == 100.0
    assert frame["cum_train_seconds"].iloc[-2] < 95.0
    with pytest.raises(ValueError, match="no training seconds"):
        run_search("rs", synthetic_table(n=50), None, 0, budget_seconds=10.0)


def test_acquisition_functions_hand_computed() -> None:
    # Phi(1) = 0.8413447, phi(1) = 0.2419707, phi(0) = 0.3989423
    assert np.allclose(ei([1.0, 0.0, 2.0, 0.0], [1.0, 1.0, 0.0, 0.0], 0.0 + 0.0),
                       [0.8413447 + 0.2419707, 0.3989423, 2.0, 0.0], atol=1e-6)
    assert np.allclose(ei([3.0], [2.0], 1.0), [2 * 0.8413447 + 2 * 0.2419707], atol=1e-6)
    assert np.allclose(pi([1.0, 0.0, 2.0, 0.5], [1.0, 2.0, 0.0, 0.0], 1.0 - 1.0),
                       [0.8413447, 0.5, 1.0, 1.0], atol=1e-6)
    assert np.allclose(pi([0.5], [0.0], 1.0), [0.0])
    assert np.allclose(ucb([1.0, 2.0], [0.5, 0.0], beta=2.0), [2.0, 2.0])
    z = np.random.default_rng(3).standard_normal(2)
    assert np.allclose(its([1.0, 5.0], [2.0, 0.0], np.random.default_rng(3)),
                       [1.0 + 2.0 * z[0], 5.0])
    draws = its(np.full(20000, 4.0), np.full(20000, 0.5), np.random.default_rng(0))
    assert abs(draws.mean() - 4.0) < 0.02 and abs(draws.std() - 0.5) < 0.02
    with pytest.raises(ValueError, match="differ in length"):
        ucb([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="std must be >= 0"):
        ei([1.0], [-1.0], 0.0)


@pytest.mark.parametrize("acquisition", ["ucb", "ei", "pi"])
def test_bananas_acquisitions(table, acquisition) -> None:
    frame = run_search("bananas", table, 20, 0, "xgb", acquisition=acquisition,
                       ensemble_size=2, num_candidates=30, k=5,
                       predictor_params={"num_boost_round": 50})
    assert len(frame) == 20 and frame["arch"].is_unique


def test_bananas_native_std(table) -> None:
    """A predictor with its own std (a GP) is used as is, without an ensemble."""
    from experiments.search.state import SearchState
    from experiments.search.surrogate import Surrogate

    state = SearchState(table, 10, None, 0)
    surrogate = Surrogate("gp", None, state, 0, need_std=True)
    assert surrogate.mode == "native" and len(surrogate.members) == 1
    frame = run_search("bananas", table, 12, 0, "gp", uncertainty="native", num_init=6, k=3,
                       num_candidates=20)
    assert len(frame) == 12 and frame["arch"].is_unique


def test_bo_needs_uncertainty_and_usage_errors(table) -> None:
    with pytest.raises(ValueError, match="gives no predictive std"):
        run_search("bananas", table, 20, 0, "xgb", uncertainty="native")
    with pytest.raises(ValueError, match="ensemble_size=1"):
        run_search("bananas", table, 20, 0, "xgb", ensemble_size=1)
    with pytest.raises(ValueError, match="unknown search algorithm 'sa'"):
        run_search("sa", table, 20, 0)
    with pytest.raises(ValueError, match="uses no predictor"):
        run_search("re", table, 20, 0, "xgb")
    with pytest.raises(ValueError, match="has no parameter"):
        run_search("re", table, 20, 0, tournament=3)
    with pytest.raises(ValueError, match="unknown predictor"):
        run_search("npenas", table, 20, 0, "xgbb")
    with pytest.raises(ValueError, match="budget"):
        run_search("rs", table, 0, 0)


def test_zero_cost_scores_are_cached(table, monkeypatch) -> None:
    from predictors import get_predictor

    cls = type(get_predictor("params"))
    scored: list = []
    original = cls.query

    def counting(self, archs, ctx):
        scored.extend(archs)
        return original(self, archs, ctx)

    monkeypatch.setattr(cls, "query", counting)
    frame = run_search("npenas", table, 20, 0, "params", num_init=5, k=5, num_candidates=30,
                       num_parents=3, predictor_params={"preset": "small"})
    assert len(frame) == 20 and len(scored) == len(set(scored)) > 30


def test_live_search_resumes_after_kill(tmp_path, monkeypatch) -> None:
    from benchmarks.live import LiveBenchmark

    def live():
        return load_benchmark("live", dataset="digits", preset="small", db=str(tmp_path / "l.db"),
                              epochs=1, device="cpu", threads=1)

    class Killed(Exception):
        pass

    def kill_after_two(row):
        if row["step"] == 2:
            raise Killed

    with pytest.raises(Killed):
        run_search("re", live(), 3, 5, population=2, sample=2, on_step=kill_after_two)
    trained: list = []
    original = LiveBenchmark._train
    monkeypatch.setattr(LiveBenchmark, "_train",
                        lambda self, claim: (trained.append(claim.arch), original(self, claim)))
    frame = run_search("re", live(), 3, 5, population=2, sample=2)
    assert len(frame) == 3 and len(trained) == 1 and trained[0] == frame["arch"].iloc[2]
    assert frame["train_seconds"].gt(0).all()
    assert frame["cum_train_seconds"].iloc[-1] == pytest.approx(frame["train_seconds"].sum())


def _cli(*args: str):
    from experiments.cli import app

    return CliRunner().invoke(app, ["search", *args])


def test_cli_search_writes_skips_and_plots(tmp_path) -> None:
    small = synthetic_table(n=400)
    csv = tmp_path / "syn.csv"
    pd.DataFrame({"arch": [small.space.format(a) for a in small.archs()],
                  "val_accuracy": small.final_val_acc()}).to_csv(csv, index=False)
    out = tmp_path / "out"
    args = ["--benchmark", f"table:path={csv}", "--algo", "re,npenas", "--predictor", "xgb",
            "--budget", "10", "--seeds", "0-1", "--out", str(out), "--param", "population=5",
            "--param", "sample=3", "--param", "num_init=6", "--param", "k=4",
            "--predictor-param", "num_boost_round=50"]
    first = _cli(*args)
    assert first.exit_code == 0, first.output
    frame = pd.read_csv(out / "trajectories.csv")
    assert len(frame) == 40 and set(frame["algo"]) == {"re", "npenas"}
    assert (out / "search.png").stat().st_size > 5000 and (out / "search.svg").exists()
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "trajectories").glob("*.csv")}
    assert len(stamps) == 4
    again = _cli(*args)
    assert again.exit_code == 0, again.output
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (out / "trajectories").glob("*.csv")}
    assert pd.read_csv(out / "trajectories.csv")["arch"].tolist() == frame["arch"].tolist()


@pytest.mark.parametrize("args,message", [
    (["--algo", "sa"], "unknown search algorithm 'sa'"),
    (["--algo", "npenas", "--predictor", "xgbb"], "unknown predictor 'xgbb'"),
    (["--seeds", "5-2"], "--seeds expects"),
    (["--seeds", "a"], "--seeds expects"),
    (["--algo", "bananas", "--predictor", "xgb", "--param", "ensemble_size=1"],
     "gives no predictive std"),
    (["--algo", "re", "--param", "k=3"], "--param k is not a parameter"),
    (["--benchmark", "nope"], "unknown benchmark kind 'nope'"),
])
def test_cli_usage_errors_exit_2_with_one_line(args, message) -> None:
    result = _cli("--budget", "5", "--seeds", "0", *args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


@pytest.mark.parametrize("algo", ["npenas", "bananas"])
def test_omni_guides_both_loops_with_each_arch_scored_once(algo, monkeypatch) -> None:
    """OMNI (zero-cost scores + partial curves + encoding) plugs into both loops on a benchmark
    with curves and images; its proxies are computed once per arch for the whole search, also
    when BO wraps it in an ensemble of copies (one shared cache), and the partial curves it reads
    are charged to the search."""
    from predictors.ensembles import _features

    calls: list[tuple[str, int]] = []

    def fake_score_archs(archs, ctx, proxies, *, preset, batch_size, seed, who):
        calls.extend((str(a), seed) for a in archs)
        return {p: np.array([hash((str(a), p)) % 1000 / 10.0 for a in archs]) for p in proxies}

    monkeypatch.setattr(_features.proxy_predictors, "score_archs", fake_score_archs)
    bench = load_benchmark("default")
    frame = run_search(algo, bench, 16, 3, "omni", fidelity=2, num_init=6, k=3,
                       num_candidates=12, num_parents=3,
                       predictor_params={"proxies": ("jacov", "synflow"),
                                         "model_params": {"num_boost_round": 30}})
    assert len(frame) == 16 and frame["arch"].is_unique
    scored = [a for a, _ in calls]
    assert len(scored) == len(set(scored)) > 16       # evaluated archs and candidates, once each
    assert {s for _, s in calls} == {3}                # one proxy seed for every ensemble copy
    predicted = frame[frame["phase"] == "predicted"]
    assert len(predicted) == 10 and predicted["partial_train_seconds"].sum() > 0
