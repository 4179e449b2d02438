"""DARTS / NAS-Bench-301 space: text, canonical form, Suite-Zero keys, encodings, moves, nets."""

from __future__ import annotations

import ast

import numpy as np
import pytest
import torch

from search_spaces.base import InvalidArchError, get_search_space
from search_spaces.darts import (
    KNOWN_GENOTYPES,
    OPS,
    PRIMITIVES,
    DartsArch,
    DartsSpace,
    canonical_cell,
)
from search_spaces.measure import count_flops, count_parameters

V2 = KNOWN_GENOTYPES["DARTS_V2"]


@pytest.fixture(scope="module")
def space() -> DartsSpace:
    return get_search_space("darts")


@pytest.fixture(scope="module")
def archs(space: DartsSpace) -> list[DartsArch]:
    rng = np.random.default_rng(0)
    return [space.sample(rng) for _ in range(1000)]


def _swap_node(pairs: tuple, k: int) -> tuple:
    p = list(pairs)
    p[2 * k], p[2 * k + 1] = p[2 * k + 1], p[2 * k]
    return tuple(p)


# -- constants and text ---------------------------------------------------------------------
def test_constants(space: DartsSpace) -> None:
    assert PRIMITIVES[0] == "none" and len(PRIMITIVES) == 8
    assert OPS == ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
                   "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
    assert space.encodings == {"adjacency_one_hot": 192, "path": 11200}
    assert set(space.presets) >= {"official", "darts", "small", "tiny"}
    assert all("in_channels" in params for params, _ in space.presets.values())


def test_round_trip_random(space: DartsSpace, archs: list[DartsArch]) -> None:
    for a in archs:
        text = space.format(a)
        assert str(a) == text
        assert space.parse(text) == a
        assert space.format(space.parse(text)) == text
        assert hash(space.parse(text)) == hash(a)


def test_parse_darts_v2_and_range_concat(space: DartsSpace) -> None:
    a = space.parse(V2)
    # the original order (('sep_conv_3x3', 1), ('skip_connect', 0)) of node 2 is canonicalized
    assert a.normal[4:6] == (("skip_connect", 0), ("sep_conv_3x3", 1))
    assert a.reduce[6:8] == (("max_pool_3x3", 1), ("skip_connect", 2))
    ranged = V2.replace("[2, 3, 4, 5]", "range(2, 6)")
    assert "range(2, 6)" in ranged
    assert space.parse(ranged) == a
    messy = "  " + ranged.replace(", ", " ,\n   ").replace("=", " = ") + "\n"
    assert space.parse(messy) == a
    positional = ranged.replace("normal=", "").replace("normal_concat=", "").replace(
        "reduce=", "").replace("reduce_concat=", "")
    assert space.parse(positional) == a
    assert space.parse(KNOWN_GENOTYPES["DARTS_V1"]) != a


def test_canonical_invariance(space: DartsSpace, archs: list[DartsArch]) -> None:
    for a in archs[:200]:
        for k in range(4):
            swapped = DartsArch(_swap_node(a.normal, k), _swap_node(a.reduce, 3 - k))
            assert swapped == a and hash(swapped) == hash(a)
            assert space.format(swapped) == space.format(a)
    raw = [("sep_conv_3x3", 1), ("skip_connect", 0)] + [("avg_pool_3x3", 0),
                                                        ("sep_conv_5x5", 1)] * 3
    assert canonical_cell(raw)[:2] == (("skip_connect", 0), ("sep_conv_3x3", 1))


@pytest.mark.parametrize("text, needle", [
    ("", "Genotype"),
    ("Genotype(normal=[('sep_conv_3x3', 0)", "well-formed"),
    ("Foo(normal=[], normal_concat=[], reduce=[], reduce_concat=[])", "Genotype(...) call"),
    (V2.replace("('dil_conv_3x3', 2)], normal_concat", "], normal_concat"), "8 (op, input) pairs"),
    (V2.replace("('dil_conv_3x3', 2)", "('conv_7x1_1x7', 2)"), "unknown op 'conv_7x1_1x7'"),
    (V2.replace("('dil_conv_3x3', 2)", "('none', 2)"), "'none'"),
    (V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), "inputs 0..4"),
    (V2.replace("('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)",
                "('sep_conv_3x3', 2), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)", 1), "inputs 0..1"),
    (V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 0)"), "reads input 0 twice"),
    (V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', -1)"), "input -1"),
    (V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', '2')"), "input '2'"),
    (V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3, 4]"), "normal_concat"),
    (V2.replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=range(2, 7)"), "reduce_concat"),
    (V2.replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=range(1000000000000000)"),
     "short range"),
    (V2.replace(", reduce_concat=[2, 3, 4, 5]", ""), "missing field"),
    (V2.replace("reduce_concat=", "extra=[1], reduce_concat="), "unknown field 'extra'"),
    (V2.replace("[('max_pool_3x3', 0)", "[__import__('os')"), "not a literal"),
])
def test_invalid_text(space: DartsSpace, text: str, needle: str) -> None:
    with pytest.raises(InvalidArchError) as err:
        space.parse(text)
    message = str(err.value)
    assert needle in message
    assert "expected" in message
    assert isinstance(err.value, ValueError)


def test_invalid_direct_construction() -> None:
    good = DartsSpace().parse(V2)
    with pytest.raises(InvalidArchError, match="8 .op, input. pairs"):
        DartsArch(good.normal[:7], good.reduce)
    with pytest.raises(InvalidArchError, match="twice"):
        DartsArch((("skip_connect", 0), ("skip_connect", 0)) + good.normal[2:], good.reduce)
    with pytest.raises(InvalidArchError):
        DartsSpace().format("not an arch")


# -- NAS-Bench-Suite-Zero ------------------------------------------------------------------
def test_suite_zero_round_trip(space: DartsSpace, archs: list[DartsArch]) -> None:
    for a in archs:
        key = space.to_suite_zero(a)
        assert space.from_suite_zero(key) == a
        assert space.from_suite_zero(ast.literal_eval(key)) == a


def test_suite_zero_hand_written(space: DartsSpace) -> None:
    v2 = space.parse(V2)
    # DARTS_V2 in NASLib's compact form, in the genotype's original (non-canonical) pair order
    key = ("([(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "
           "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)])")
    assert space.from_suite_zero(key) == v2
    as_tuples = key.replace("[", "(").replace("]", ")")
    assert space.from_suite_zero(as_tuples) == v2
    assert space.from_suite_zero(ast.literal_eval(key)) == v2
    assert space.to_suite_zero(v2) == (
        "([(0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (1, 3), (0, 2), (2, 5)], "
        "[(0, 0), (1, 0), (1, 0), (2, 2), (0, 0), (2, 2), (1, 0), (2, 2)])")
    assert space.info(v2)["suite_zero_key"] == space.to_suite_zero(v2)


@pytest.mark.parametrize("key, needle", [
    ("([(0, 3)], [(0, 0)])", "8 (input, op) pairs"),
    ("([(0, 3)] * 8, [(0, 0)] * 8)", "not a Python literal"),
    ("((0, 1),)", "exactly 2 cells"),
    ("([(0, 7), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "
     "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)])", "op index 7"),
    ("([(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (5, 5)], "
     "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)])", "input 5"),
    ("([(0, 3), (0, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "
     "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)])", "twice"),
    ("([(0, 'x'), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "
     "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)])", "two integers"),
])
def test_suite_zero_invalid(space: DartsSpace, key: str, needle: str) -> None:
    with pytest.raises(InvalidArchError) as err:
        space.from_suite_zero(key)
    assert needle in str(err.value) and "expected" in str(err.value)


# -- exploring ---------------------------------------------------------------------------------
def test_sample_deterministic_and_valid(space: DartsSpace) -> None:
    a = [space.sample(np.random.default_rng(7)) for _ in range(2)]
    assert a[0] == a[1]
    rng = np.random.default_rng(1)
    seen = {space.sample(rng) for _ in range(300)}
    assert len(seen) == 300
    for arch in seen:
        for cell in arch.cells:
            assert cell[0][1] == 0 and cell[1][1] == 1  # node 0 always reads both cell inputs


def _pair_changes(a: DartsArch, b: DartsArch) -> int:
    """How many pairs of `a` are gone in `b` (node by node, as multisets)."""
    changed = 0
    for ca, cb in zip(a.cells, b.cells):
        for k in range(4):
            changed += len(set(ca[2 * k: 2 * k + 2]) - set(cb[2 * k: 2 * k + 2]))
    return changed


def test_mutate(space: DartsSpace, archs: list[DartsArch]) -> None:
    rng = np.random.default_rng(3)
    kinds = set()
    for a in archs[:200]:
        b = space.mutate(a, rng)
        assert isinstance(b, DartsArch) and b != a
        assert _pair_changes(a, b) == 1
        assert space.parse(str(b)) == b
        ops_a = sorted(op for cell in a.cells for op, _ in cell)
        kinds.add("op" if ops_a != sorted(op for cell in b.cells for op, _ in cell) else "input")
    assert kinds == {"op", "input"}
    assert space.mutate(archs[0], np.random.default_rng(5)) == space.mutate(
        archs[0], np.random.default_rng(5))


def test_neighbors(space: DartsSpace, archs: list[DartsArch]) -> None:
    for a in archs[:10]:
        nbrs = space.neighbors(a)
        assert len(nbrs) == len(set(nbrs)) == 120  # per cell: 8 x 6 ops + 12 input moves
        assert a not in nbrs
        assert all(_pair_changes(a, b) == 1 for b in nbrs)
    rng = np.random.default_rng(4)
    a = archs[0]
    assert {space.mutate(a, rng) for _ in range(100)} <= set(space.neighbors(a))


# -- encodings -----------------------------------------------------------------------------
def test_encoding_shapes_and_distinctness(space: DartsSpace, archs: list[DartsArch]) -> None:
    for kind, length in space.encodings.items():
        vecs = np.stack([space.encode(a, kind) for a in archs[:300]])
        assert vecs.shape == (300, length) and vecs.dtype == np.float32
        assert set(np.unique(vecs)) <= {0.0, 1.0}
        assert len({v.tobytes() for v in vecs}) == 300
    adj = space.encode(archs[0])
    assert adj.sum() == 32  # one input and one op per pair, 16 pairs
    with pytest.raises(ValueError, match="unknown encoding"):
        space.encode(archs[0], "nope")


def test_path_encoding_known_cell(space: DartsSpace) -> None:
    # every node reads only the cell inputs: 16 length-1 paths, each (input, op) once
    cell = tuple((op, i) for op, i in zip(["sep_conv_3x3"] * 8, [0, 1] * 4))
    enc = space.encode(DartsArch(cell, cell), "path")
    assert enc.sum() == 4  # (input 0 | input 1) x (normal | reduce), all sep_conv_3x3
    sep = OPS.index("sep_conv_3x3")
    assert enc[sep] == enc[2800 + sep] == enc[5600 + sep] == enc[8400 + sep] == 1
    # a chain: node k reads node k-1 with skip_connect -> a length-4 path from input 1
    chain = (("max_pool_3x3", 0), ("sep_conv_3x3", 1), ("avg_pool_3x3", 1), ("skip_connect", 2),
             ("avg_pool_3x3", 0), ("skip_connect", 3), ("avg_pool_3x3", 0), ("skip_connect", 4))
    enc = space.encode(DartsArch(chain, cell), "path")
    s, k = OPS.index("sep_conv_3x3"), OPS.index("skip_connect")
    digits = ((s * 7 + k) * 7 + k) * 7 + k
    assert enc[2800 + 399 + digits] == 1


def _graph_paths(adj: np.ndarray, feat: np.ndarray, cell: int) -> set:
    """Paths from a cell's inputs to its op nodes, read off the graph by DFS."""
    base = 11 * cell
    found = set()

    def walk(node: int, src: int, seq: tuple) -> None:
        found.add((src, seq))
        for nxt in np.flatnonzero(adj[node]):
            if base + 2 <= nxt < base + 10:
                walk(int(nxt), src, seq + (int(np.argmax(feat[nxt])) - 2,))

    for src in (0, 1):
        for nxt in np.flatnonzero(adj[base + src]):
            if base + 2 <= nxt < base + 10:
                walk(int(nxt), src, (int(np.argmax(feat[nxt])) - 2,))
    return found


def test_path_encoding_matches_graph(space: DartsSpace, archs: list[DartsArch]) -> None:
    offsets = {1: 0, 2: 7, 3: 56, 4: 399}
    for a in archs[:50]:
        adj, feat = space.graph(a)
        expected = np.zeros(11200, dtype=np.float32)
        for cell in (0, 1):
            for src, seq in _graph_paths(adj, feat, cell):
                digits = 0
                for o in seq:
                    digits = digits * 7 + o
                expected[(2 * cell + src) * 2800 + offsets[len(seq)] + digits] = 1
        np.testing.assert_array_equal(space.encode(a, "path"), expected)


def test_graph(space: DartsSpace, archs: list[DartsArch]) -> None:
    for a in archs[:50]:
        adj, feat = space.graph(a)
        assert adj.shape == (22, 22) and feat.shape == (22, 10)
        assert np.all(feat.sum(axis=1) == 1)
        assert np.all(np.triu(adj, 1) == adj)  # topologically ordered DAG
        sinks = [i for i in range(22) if adj[i].sum() == 0]
        assert sinks == [21]
        assert adj[:, 2:10].sum(axis=0).min() >= 1  # every pair node has an input


def test_info(space: DartsSpace) -> None:
    facts = space.info(space.parse(V2))
    assert facts["normal_n_parametric"] == 6 and facts["reduce_n_parametric"] == 0
    assert facts["normal_op_counts"] == {"skip_connect": 2, "sep_conv_3x3": 5, "dil_conv_3x3": 1}
    assert facts["normal_depth"] == 2


# -- networks ------------------------------------------------------------------------------
def test_darts_v2_parameter_count(space: DartsSpace) -> None:
    # the DARTS code logs "param size = 3.349342MB" for DARTS_V2 at C=36, 20 layers, 10 classes
    net = space.build_network(V2, num_classes=10, preset="darts")
    assert count_parameters(net) == 3_349_342
    # genotype collections annotate DARTS_V2 with "528M" multiply-adds (conv + linear)
    assert 528e6 <= count_flops(net) / 2 < 529e6


@pytest.mark.parametrize("preset", ["official", "small", "tiny"])
def test_forward_shapes(space: DartsSpace, archs: list[DartsArch], preset: str) -> None:
    torch.manual_seed(0)
    net = space.build_network(archs[1], num_classes=7, preset=preset)
    x = torch.randn(2, 3, 32, 32)
    net.train()
    assert net(x).shape == (2, 7)
    net.eval()
    with torch.no_grad():
        assert net(x).shape == (2, 7)
    assert net.logits_aux is None


def test_network_options(space: DartsSpace, archs: list[DartsArch]) -> None:
    net = space.build_network(archs[2], 5, preset="tiny", auxiliary=True, drop_path_prob=0.3)
    x = torch.randn(2, 3, 32, 32)
    net.train()
    logits = net(x)
    assert logits.shape == (2, 5) and net.logits_aux.shape == (2, 5)
    (logits.sum() + net.logits_aux.sum()).backward()
    net.eval()
    with torch.no_grad():
        logits, aux = net.forward_with_aux(x)
    assert logits.shape == (2, 5) and aux is None
    one_channel = space.build_network(archs[2], 3, preset="tiny", in_channels=1)
    assert one_channel(torch.randn(2, 1, 16, 16)).shape == (2, 3)
    with pytest.raises(ValueError, match="unknown network option"):
        space.build_network(archs[2], 3, preset="tiny", width=4)
    with pytest.raises(ValueError, match="unknown preset"):
        space.build_network(archs[2], 3, preset="huge")
