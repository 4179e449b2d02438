"""The evaluator's samplers: the mutation sampler follows the predictor paper's code (10 random
archs, their best 5 are test archs and the parents of the rest), so its test set is clearly
tighter than a uniform one; pool restrictions and too-sparse pools."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _real_data import NB201_CSV as REAL_TABLE  # ../shared/data, else the shipped copy

from benchmarks import load_benchmark
from experiments.sampling import PARENTS, draw_sets, mutation_parents
from search_spaces import get_search_space

SPACE = get_search_space("nb201")
SEEDS = (0, 1, 2)


def mean_hamming(archs) -> float:
    """Mean over pairs of the number of the 6 edges whose op differs."""
    ops = np.array([a.ops for a in archs])
    diff = (ops[:, None, :] != ops[None, :, :]).sum(-1)
    return float(diff[np.triu_indices(len(archs), 1)].mean())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """All 15,625 NB201 cells, accuracy driven by the conv counts plus noise."""
    rng = np.random.default_rng(0)
    archs = SPACE.all()
    acc = np.array([50 + 8 * a.ops.count(3) + 3 * a.ops.count(2) for a in archs], float)
    acc += rng.normal(0, 2, len(archs))
    path = tmp_path_factory.mktemp("s") / "nb201.csv"
    pd.DataFrame({"arch": [str(a) for a in archs], "val_accuracy": acc}).to_csv(path, index=False)
    return load_benchmark("table", path=str(path), space="nb201")


@pytest.fixture(scope="module")
def real():
    return load_benchmark("table", path=str(REAL_TABLE), space="nb201")


def _check_tighter(bench, name: str) -> None:
    pool = bench.archs()
    assert len(pool) == 15625  # the full space
    label = dict(zip(pool, bench.final_val_acc(pool))).__getitem__
    means = {}
    for sampler in ("uniform", "mutation"):
        distances = []
        for seed in SEEDS:
            test, train = draw_sets(pool, label, SPACE, 200, 100, np.random.default_rng(seed),
                                    sampler)
            assert len(set(test)) == 200 and len(set(train)) == 100
            assert not set(test) & set(train)
            distances.append(mean_hamming(test))
            if sampler == "mutation":
                # the parents are the best 5 of the first 10 drawn, and are test archs
                parents, rest = mutation_parents(pool, label, np.random.default_rng(seed))
                assert len(parents) == PARENTS and test[:PARENTS] == parents
                assert min(label(a) for a in parents) >= max(label(a) for a in rest)
                assert not set(rest) & (set(test) | set(train))  # drawn once, never taken
                # every other test arch is 1-3 mutations from a parent; train archs are one
                # mutation from a test arch
                assert all(min(_hamming(a, p) for p in parents) <= 3 for a in test)
                assert all(min(_hamming(a, t) for t in test) == 1 for a in train)
        means[sampler] = float(np.mean(distances))
    print(f"\n{name}: mean pairwise edge-op Hamming distance of 200 test archs over seeds "
          f"{SEEDS}: uniform {means['uniform']:.3f}, mutation {means['mutation']:.3f}")
    assert means["uniform"] == pytest.approx(4.8, abs=0.05)  # 6 * (1 - 1/5)
    assert means["mutation"] < means["uniform"] - 0.2


def _hamming(a, b) -> int:
    return sum(x != y for x, y in zip(a.ops, b.ops))


def test_mutation_test_set_is_tighter_synthetic(synthetic):
    _check_tighter(synthetic, "synthetic labels")


def test_mutation_test_set_is_tighter_real_table(real):
    _check_tighter(real, "NB201 CIFAR-10 valid accuracy")


def test_mutation_sampler_deterministic_and_nested(synthetic):
    pool = synthetic.archs()
    label = dict(zip(pool, synthetic.final_val_acc(pool))).__getitem__
    a = draw_sets(pool, label, SPACE, 50, 80, np.random.default_rng(7), "mutation")
    b = draw_sets(pool, label, SPACE, 50, 80, np.random.default_rng(7), "mutation")
    assert a == b
    # fewer test archs than parents: the best ones
    small, _ = draw_sets(pool, label, SPACE, 3, 10, np.random.default_rng(7), "mutation")
    assert small == a[0][:3]


def test_mutation_sampler_keeps_to_a_sparse_pool(synthetic):
    # the 1,000-cell default benchmark: mutants outside it are retried, never returned
    bench = load_benchmark("default")
    pool = bench.archs()
    label = dict(zip(pool, bench.final_val_acc(pool))).__getitem__
    test, train = draw_sets(pool, label, bench.space, 100, 50, np.random.default_rng(0),
                            "mutation")
    members = set(pool)
    assert set(test) <= members and set(train) <= members
    assert len(set(test) | set(train)) == 150
    # far more than the pool holds near the parents: a clear error, not a hang
    with pytest.raises(ValueError, match="sampler='uniform'") as info:
        draw_sets(pool, label, bench.space, 100, 600, np.random.default_rng(0), "mutation")
    assert "train archs" in str(info.value) and "\n" not in str(info.value)
    # a pool scattered so thinly that mutants never land in it
    scattered = SPACE.all()[::997]
    scattered_label = {a: float(i) for i, a in enumerate(scattered)}.__getitem__
    with pytest.raises(ValueError, match="found only [0-9] of 10 test archs.*sampler='uniform'"):
        draw_sets(scattered, scattered_label, SPACE, 10, 0, np.random.default_rng(0),
                  "mutation")
