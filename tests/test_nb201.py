"""NAS-Bench-201 space: text form, conversions, encodings, mutation and the official network."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pytest
from _real_data import NB201_DIR as DATA  # ../shared/data, else the shipped copy

from search_spaces import InvalidArchError, get_search_space
from search_spaces.measure import count_parameters
from search_spaces.nb201 import EDGES, OPS, NB201Arch, is_reachable, official_parameter_count

SPACE = get_search_space("nb201")
EXAMPLE = ("|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+"
           "|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|")


def test_all_cells_enumerated_and_round_trip():
    archs = SPACE.all()
    assert len(archs) == 15_625 and len(set(archs)) == 15_625
    for arch in archs:
        text = SPACE.format(arch)
        assert SPACE.parse(text) == arch
        assert str(arch) == text
        assert SPACE.from_index(arch.index) == arch
        assert SPACE.from_suite_zero(SPACE.to_suite_zero(arch)) == arch


def test_string_edge_order_and_example():
    arch = SPACE.parse(EXAMPLE)
    assert arch.op_names == ("avg_pool_3x3", "nor_conv_1x1", "nor_conv_1x1",
                             "nor_conv_1x1", "nor_conv_3x3", "nor_conv_1x1")
    assert EDGES == ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


def test_suite_zero_tuple_example_and_swapped_positions():
    arch = SPACE.from_suite_zero("(4, 3, 3, 3, 2, 3)")
    assert SPACE.format(arch) == EXAMPLE
    assert SPACE.from_suite_zero((4, 3, 3, 3, 2, 3)) == arch
    assert SPACE.to_suite_zero(arch) == "(4, 3, 3, 3, 2, 3)"
    # NASLib position 2 is edge 0→3 and position 3 is edge 1→2
    only_03_conv3 = SPACE.from_suite_zero((1, 1, 2, 1, 1, 1))
    assert SPACE.format(only_03_conv3) == "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"
    only_12_skip = SPACE.from_suite_zero((1, 1, 1, 0, 1, 1))
    assert SPACE.format(only_12_skip) == "|none~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|"


@pytest.mark.parametrize("bad", [
    "", "|nor_conv_3x3~0|", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|none~0|+|none~0|+|none~0|none~1|none~2|",
    "none~0+|none~0|none~1|+|none~0|none~1|none~2|",
])
def test_bad_text_names_problem(bad):
    with pytest.raises(InvalidArchError) as info:
        SPACE.parse(bad)
    assert "NB201" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("bad", ["(1, 2, 3)", "(0, 1, 2, 3, 4, 5)", "nonsense", (1, 2), [9] * 6])
def test_bad_suite_zero_keys(bad):
    with pytest.raises(InvalidArchError, match="Suite-Zero"):
        SPACE.from_suite_zero(bad)


def test_reachability():
    assert is_reachable(SPACE.parse(EXAMPLE))
    dead = SPACE.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert not is_reachable(dead) and SPACE.info(dead)["reachable"] is False
    via_12 = SPACE.parse("|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|")
    assert is_reachable(via_12)
    n_unreachable = sum(not is_reachable(a) for a in SPACE.all())
    assert n_unreachable == 341  # as in the published benchmark (cells at chance accuracy)


def test_real_benchmark_strings_parse_and_unreachable_cells_are_at_chance():
    with open(DATA / "nb201_cifar10_valid_accuracy.csv") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    arch_col = next(i for i, h in enumerate(header) if "arch" in h.lower())
    acc_col = next(i for i, h in enumerate(header) if "acc" in h.lower())
    assert len(rows) == 15_625
    archs = [SPACE.parse(r[arch_col]) for r in rows]
    assert len(set(archs)) == 15_625
    chance = {a for a, r in zip(archs, rows) if float(r[acc_col]) == 10.0}
    unreachable = {a for a in archs if not is_reachable(a)}
    assert unreachable == chance and len(chance) == 341


def test_mutation_and_neighbors():
    rng = np.random.default_rng(0)
    for _ in range(500):
        arch = SPACE.sample(rng)
        child = SPACE.mutate(arch, rng)
        assert child != arch
        assert sum(a != b for a, b in zip(arch.ops, child.ops)) == 1
        nbrs = SPACE.neighbors(arch)
        assert len(nbrs) == 24 and len(set(nbrs)) == 24 and arch not in nbrs
        assert child in nbrs
    # every edge and every op is reachable by mutation
    arch = SPACE.parse(EXAMPLE)
    seen = {SPACE.mutate(arch, rng) for _ in range(2000)}
    assert seen == set(SPACE.neighbors(arch))


def test_sampling_is_deterministic_and_covers_ops():
    a = [SPACE.sample(np.random.default_rng(3)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    rng = np.random.default_rng(1)
    ops = np.array([SPACE.sample(rng).ops for _ in range(3000)])
    counts = np.stack([(ops == o).mean(0) for o in range(5)])
    assert np.allclose(counts, 0.2, atol=0.04)


def test_adjacency_one_hot_encoding():
    arch = SPACE.parse(EXAMPLE)
    enc = SPACE.encode(arch)
    assert enc.shape == (30,) and enc.sum() == 6
    assert enc.reshape(6, 5).argmax(1).tolist() == list(arch.ops)
    encs = {SPACE.encode(a).tobytes() for a in SPACE.all()}
    assert len(encs) == 15_625


def test_path_encoding_true_paths():
    enc = SPACE.encode(SPACE.parse(EXAMPLE), "path")
    assert enc.shape == (155,)
    # routes 0→3 (1x1), 0→1→3 (avg, 3x3), 0→2→3 (1x1, 1x1), 0→1→2→3 (avg, 1x1, 1x1)
    c1, c3, avg = OPS.index("nor_conv_1x1"), OPS.index("nor_conv_3x3"), OPS.index("avg_pool_3x3")
    expected = {c1, 5 + avg + 5 * c3, 5 + c1 + 5 * c1, 30 + avg + 5 * c1 + 25 * c1}
    assert set(np.flatnonzero(enc)) == expected
    # routes through `none` are not paths; an unreachable cell has an empty path encoding
    dead = SPACE.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert SPACE.encode(dead, "path").sum() == 0
    assert all(SPACE.encode(a, "path").sum() == 0 for a in SPACE.all() if not is_reachable(a))


def test_graph():
    adjacency, features = SPACE.graph(SPACE.parse(EXAMPLE))
    assert adjacency.shape == (8, 8) and features.shape == (8, 7)
    assert np.allclose(np.triu(adjacency, 1), adjacency)  # a DAG in topological order
    assert features.sum(1).tolist() == [1.0] * 8
    # edge 0→1 (node 1) feeds edges leaving node 1: 1→2 (node 3) and 1→3 (node 5)
    assert np.flatnonzero(adjacency[1]).tolist() == [3, 5]
    assert np.flatnonzero(adjacency[:, 7]).tolist() == [4, 5, 6]


def test_unknown_encoding():
    with pytest.raises(ValueError, match="unknown encoding"):
        SPACE.encode(SPACE.parse(EXAMPLE), "nope")


def test_official_parameter_counts_published_example():
    arch = SPACE.parse(EXAMPLE)
    assert count_parameters(SPACE.build_network(arch, 10)) == 428_346
    assert count_parameters(SPACE.build_network(arch, 100)) == 434_196


def test_official_parameter_formula_covers_all_cells():
    # An official network instantiates each edge op once per cell (15 cells), so its parameter
    # count depends only on (n_conv3x3, n_conv1x1). Building one network for each of the 28
    # possible count pairs therefore checks the formula for all 15,625 cells, shown here by
    # grouping every cell by its pair.
    groups: dict[tuple[int, int], NB201Arch] = {}
    for arch in SPACE.all():
        info = SPACE.info(arch)
        groups.setdefault((info["n_conv3x3"], info["n_conv1x1"]), arch)
    assert len(groups) == 28
    for k, arch in enumerate(groups.values()):
        num_classes = (10, 100, 120)[k % 3]
        network = SPACE.build_network(arch, num_classes)
        assert count_parameters(network) == official_parameter_count(arch, num_classes)


def test_parameter_count_depends_on_counts_only():
    rng = np.random.default_rng(7)
    for _ in range(20):
        arch = SPACE.sample(rng)
        net = SPACE.build_network(arch, 10)
        assert count_parameters(net) == official_parameter_count(arch, 10)
        per_op = {op: 0 for op in OPS}
        for cell in [m for m in net.cells if hasattr(m, "edges")]:
            for name, edge in zip(arch.op_names, cell.edges):
                per_op[name] += sum(p.numel() for p in edge.parameters())
        assert per_op["none"] == per_op["skip_connect"] == per_op["avg_pool_3x3"] == 0


def test_network_forward_and_dead_edges_kept():
    import torch

    dead = SPACE.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    net = SPACE.build_network(dead, 10, preset="small")
    out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10)
    # the conv on the dead edge 0→1 still exists (the benchmark counts it)
    assert count_parameters(net) > count_parameters(
        SPACE.build_network(SPACE.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"), 10,
                            preset="small"))
    net1 = SPACE.build_network(SPACE.parse(EXAMPLE), 7, preset="small", in_channels=1)
    assert net1(torch.randn(3, 1, 16, 16)).shape == (3, 7)


def test_network_options_validated():
    arch = SPACE.parse(EXAMPLE)
    with pytest.raises(ValueError, match="unknown preset"):
        SPACE.build_network(arch, 10, preset="huge")
    with pytest.raises(ValueError, match="unknown network option"):
        SPACE.build_network(arch, 10, width=3)
    with pytest.raises(ValueError, match="num_classes"):
        SPACE.build_network(arch, 0)


def test_exhaustive_neighbors_are_symmetric():
    for ops in itertools.islice(itertools.product(range(5), repeat=6), 0, 15_625, 997):
        arch = NB201Arch(ops)
        for n in SPACE.neighbors(arch):
            assert arch in SPACE.neighbors(n)
