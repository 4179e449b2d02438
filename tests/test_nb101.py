"""NAS-Bench-101 space: hash, canonical form, text, pruning, encodings, keys, moves, networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from search_spaces import nb101
from search_spaces.base import InvalidArchError, get_search_space
from search_spaces.measure import count_parameters
from search_spaces.nb101 import NB101Arch, NB101Space, graph_hash

SPACE = NB101Space()
DESIGN = "input+conv3x3~0+conv1x1~1+conv1x1~0,1,2+conv3x3~1+conv1x1~4+output~3,5"
DESIGN_HASH = "ff92c322c5d9d3d587d9c146a63d0807"
INCEPTION = "input+conv3x3~0+conv1x1~0+maxpool3x3~0+conv3x3~0+conv3x3~4+output~1,2,3,5"
SHORT = {"conv3x3-bn-relu": "conv3x3", "conv1x1-bn-relu": "conv1x1", "maxpool3x3": "maxpool3x3",
         "output": "output"}


def _text(matrix, ops) -> str:
    """Text of a raw (unpruned, any labelling) spec, written independently of the space."""
    parts = ["input"]
    for k in range(1, len(ops)):
        srcs = [str(i) for i in range(k) if matrix[i][k]]
        parts.append(SHORT[ops[k]] + ("~" + ",".join(srcs) if srcs else ""))
    return "+".join(parts)


def _relabel(arch: NB101Arch, rng: np.random.Generator, dangling: bool) -> tuple[list, list]:
    """A random topological relabelling of `arch`, optionally with a dead-end vertex added."""
    n, m = arch.num_vertices, arch.matrix
    left, order = list(range(1, n - 1)), []
    while left:
        ready = [v for v in left if all(not m[u][v] or u in order for u in range(1, n - 1))]
        v = ready[int(rng.integers(len(ready)))]
        order.append(v)
        left.remove(v)
    p = [0, *order, n - 1]
    mat = [[m[p[i]][p[j]] for j in range(n)] for i in range(n)]
    ops = [arch.ops[v] for v in p]
    if dangling:  # a vertex fed by the input that feeds nothing: pruned away
        for row in mat:
            row.insert(n - 1, 0)
        mat.insert(n - 1, [0] * (n + 1))
        mat[0][n - 1] = 1
        ops.insert(n - 1, "maxpool3x3")
    return mat, ops


@pytest.fixture(scope="module")
def archs() -> list[NB101Arch]:
    rng = np.random.default_rng(0)
    return [SPACE.sample(rng) for _ in range(1000)]


def test_registered():
    assert isinstance(get_search_space("nb101"), NB101Space)
    assert SPACE.encodings == {"adjacency_one_hot": 36, "path": 364}


def test_hash_test_vector():
    m = [[0, 1, 0, 1, 0, 0, 0], [0, 0, 1, 1, 1, 0, 0], [0, 0, 0, 1, 0, 0, 0],
         [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0] * 7]
    assert graph_hash(m, [-1, 0, 1, 1, 0, 1, -2]) == DESIGN_HASH
    a = SPACE.parse(DESIGN)
    assert a.hash == DESIGN_HASH and SPACE.info(a)["hash"] == DESIGN_HASH
    assert SPACE.format(a) == DESIGN == str(a)  # the DESIGN vector is its own canonical form


def test_parameter_counts_and_forward():
    expected = {DESIGN: 6_315_018, INCEPTION: 2_694_282, "input+output~0": 882_570}
    for text, params in expected.items():
        assert count_parameters(SPACE.build_network(SPACE.parse(text), 10)) == params, text
    x = torch.randn(2, 3, 32, 32)
    for preset in ("official", "small", "tiny"):
        net = SPACE.build_network(DESIGN, num_classes=10, preset=preset)
        assert net(x).shape == (2, 10)
    # odd feature-map sizes and a maxpool vertex also work
    assert SPACE.build_network(INCEPTION, 5, preset="tiny")(torch.randn(1, 3, 9, 9)).shape == (1, 5)


def test_round_trip_and_equality(archs):
    for a in archs:
        text = SPACE.format(a)
        b = SPACE.parse(text)
        assert b == a and hash(b) == hash(a) and b.matrix == a.matrix and b.ops == a.ops
        assert SPACE.format(b) == text
        assert a.num_vertices <= 7 and a.num_edges <= 9
    assert len({a.hash for a in archs}) == len(set(archs))


def test_canonical_invariance(archs):
    rng = np.random.default_rng(1)
    for a in archs[:150]:
        for dangling in (False, True):
            mat, ops = _relabel(a, rng, dangling)
            nb101._CANONICAL.clear()  # canonicalise afresh instead of hitting the hash cache
            b1 = SPACE.parse(_text(mat, ops))
            nb101._CANONICAL.clear()
            for b in (b1, NB101Arch.from_spec(mat, ops)):
                assert b == a and b.matrix == a.matrix and b.ops == a.ops
                assert SPACE.format(b) == SPACE.format(a)
                assert SPACE.to_suite_zero(b) == SPACE.to_suite_zero(a)
                for kind in SPACE.encodings:
                    assert np.array_equal(SPACE.encode(b, kind), SPACE.encode(a, kind))
                assert all(np.array_equal(x, y) for x, y in zip(SPACE.graph(b), SPACE.graph(a)))


def test_pruning():
    # vertex 2 is a dead end, vertex 1 has no inputs: both go
    def pruned(text: str) -> str:
        return SPACE.format(SPACE.parse(text))

    assert pruned("input+conv3x3~0+conv1x1~0+output~1") == "input+conv3x3~0+output~1"
    assert pruned("input+conv3x3+conv1x1~0,1+output~2") == "input+conv1x1~0+output~1"
    # 8 vertices and 10 edges before pruning, fine after it; long op names are accepted
    text = ("input+conv3x3-bn-relu~0+conv1x1~1+maxpool3x3~0+conv3x3~3+conv3x3~0,1,3"
            "+conv1x1~0+output~2,4")
    a = SPACE.parse(text)
    assert (a.num_vertices, a.num_edges) == (6, 6)
    assert SPACE.format(a) == "input+conv3x3~0+conv1x1~1+maxpool3x3~0+conv3x3~3+output~2,4"


def test_canonical_form_is_the_benchmarks_own_representative():
    """Replay the official generator (generate_graphs.py) for up to 5 vertices: bitmasks in
    increasing order (bit x + y(y-1)/2 is edge x→y), labellings in product order, the first
    graph of each hash kept. Our canonical arch must be exactly that graph."""
    import itertools

    from search_spaces.nb101 import OPS, NB101Arch

    checked = 0
    for n in range(2, 6):
        seen = set()
        pairs = [(x, y) for y in range(n) for x in range(y)]
        for bits in range(2 ** len(pairs)):
            m = [[0] * n for _ in range(n)]
            for k, (x, y) in enumerate(pairs):
                m[x][y] = (bits >> k) & 1
            full = all(any(m[i]) for i in range(n - 1)) and \
                all(any(m[i][j] for i in range(n)) for j in range(1, n))
            if not full or sum(map(sum, m)) > 9:
                continue
            for labelling in itertools.product(range(3), repeat=n - 2):
                ops = ["input", *(OPS[k] for k in labelling), "output"]
                arch = NB101Arch.from_spec(m, ops)
                if arch.hash in seen:
                    continue
                seen.add(arch.hash)
                assert [list(r) for r in arch.matrix] == m and list(arch.ops) == ops
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("text, problem", [
    ("", "expected vertices joined by"),
    ("conv3x3~0+output~1", "expected vertices joined by"),
    ("input+conv3x3~0", "misplaced input/output"),
    ("input+output~0+conv3x3~0", "misplaced input/output"),
    ("input+conv5x5~0+output~1", "unknown op 'conv5x5'"),
    ("input+conv3x3~x+output~1", "bad input 'x'"),
    ("input+conv3x3~1+output~1", "bad input '1'"),  # not an earlier vertex (a cycle)
    ("input+conv3x3~0,0+output~1", "bad input '0'"),
    ("input+conv3x3~+output~1", "bad input ''"),
    ("input+conv3x3~0+output", "not reachable"),
    ("input+conv3x3+output~1", "not reachable"),
    ("input+conv3x3~0+conv3x3~1+conv3x3~2+conv3x3~3+conv3x3~4+conv3x3~5+output~6",
     "8 vertices after pruning"),
    ("input+conv3x3~0+conv3x3~0,1+conv3x3~0,1,2+conv3x3~1,2,3+output~4", "10 edges after pruning"),
])
def test_invalid_text(text, problem):
    with pytest.raises(InvalidArchError, match=problem) as err:
        SPACE.parse(text)
    assert isinstance(err.value, ValueError)


def test_invalid_spec():
    with pytest.raises(InvalidArchError, match="not upper triangular"):
        NB101Arch.from_spec([[0, 1, 0], [0, 0, 1], [0, 1, 0]],
                            ["input", "conv3x3-bn-relu", "output"])
    with pytest.raises(InvalidArchError, match="unknown op 'conv5x5'"):
        NB101Arch.from_spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"])
    with pytest.raises(InvalidArchError, match="first vertex must be 'input'"):
        NB101Arch.from_spec([[0, 1], [0, 0]], ["output", "input"])
    with pytest.raises(InvalidArchError, match="square 0/1"):
        NB101Arch.from_spec([[0, 2], [0, 0]], ["input", "output"])
    with pytest.raises(InvalidArchError, match="expected an architecture"):
        SPACE.encode(42)


def test_suite_zero(archs):
    for a in archs[:200]:
        key = SPACE.to_suite_zero(a)
        assert SPACE.from_suite_zero(key) == a
        assert SPACE.from_suite_zero(tuple(int(v) for v in key[1:-1].split(","))) == a
    # the official inception-like example, unpruned labelling: 7x7 row-major, then op indices
    # (0 input, 1 output, 2 maxpool3x3, 3 conv1x1, 4 conv3x3)
    key = ("(0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, "
           "0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 4, 4, 2, 1)")
    expected = SPACE.parse("input+conv1x1~0+conv3x3~0+conv3x3~0+conv3x3~3+maxpool3x3~0"
                           "+output~1,2,4,5")
    assert SPACE.from_suite_zero(key) == expected
    assert SPACE.from_suite_zero(list(eval(key))) == expected
    # only 0→1→6 survive pruning (vertex 2 is a dead end, 3..5 are unconnected)
    bits = [0] * 49
    bits[0 * 7 + 1] = bits[1 * 7 + 6] = bits[0 * 7 + 2] = 1
    a = SPACE.from_suite_zero((*bits, 0, 2, 3, 4, 4, 4, 1))
    assert SPACE.format(a) == "input+maxpool3x3~0+output~1"
    assert SPACE.to_suite_zero(a).endswith(", 0, 2, 4, 4, 4, 4, 1)")
    with pytest.raises(InvalidArchError, match="expected 56 integers"):
        SPACE.from_suite_zero((0, 1, 2))
    with pytest.raises(InvalidArchError, match="op indices must be in 0..4"):
        SPACE.from_suite_zero((*bits, 0, 2, 3, 4, 4, 5, 1))
    with pytest.raises(InvalidArchError, match="first vertex must be 'input'"):
        SPACE.from_suite_zero((*bits, 1, 2, 3, 4, 4, 4, 0))
    with pytest.raises(InvalidArchError, match="tuple of 56 integers"):
        SPACE.from_suite_zero("(0, 1, x)")


def test_encodings(archs):
    for a in archs[:100]:
        for kind, length in SPACE.encodings.items():
            vec = SPACE.encode(a, kind)
            assert vec.shape == (length,) and vec.dtype == np.float32
        assert SPACE.encode(a).sum() == a.num_edges + a.num_vertices - 2
        adj, feats = SPACE.graph(a)
        assert adj.shape == (7, 7) and feats.shape == (7, 5)
        assert feats.sum() == a.num_vertices and adj.sum() == a.num_edges
    a = SPACE.parse(DESIGN)
    # paths: 0→3→6 (conv1x1), 0→1→3→6, 0→1→2→3→6, 0→1→4→5→6; index = sum 3^i (op_i + 1)
    expected = {2, 1 + 3 * 2, 1 + 3 * 2 + 9 * 2, 1 + 3 * 1 + 9 * 2}
    assert set(np.flatnonzero(SPACE.encode(a, "path"))) == expected
    small = SPACE.parse("input+maxpool3x3~0+output~0,1")
    # padded: output at 6; upper-triangle positions of 0→1, 0→6, 1→6, then maxpool at vertex 1
    expected_adj = np.zeros(36, dtype=np.float32)
    expected_adj[[0, 5, 10, 21 + 2]] = 1.0
    assert np.array_equal(SPACE.encode(small), expected_adj)
    assert set(np.flatnonzero(SPACE.encode(small, "path"))) == {0, 3}
    with pytest.raises(ValueError, match="unknown encoding"):
        SPACE.encode(a, "nope")


def test_neighbors_and_mutate(archs):
    rng = np.random.default_rng(3)
    for a in archs[:60]:
        nbrs = SPACE.neighbors(a)
        assert nbrs and a not in nbrs and len(set(nbrs)) == len(nbrs)
        assert all(SPACE.parse(SPACE.format(b)) == b for b in nbrs)
        for _ in range(3):
            b = SPACE.mutate(a, rng)
            assert b != a and b in nbrs
    # small cells can grow: input→output gets a vertex on a new path
    tiny = SPACE.parse("input+output~0")
    assert SPACE.parse("input+conv1x1~0+output~0,1") in SPACE.neighbors(tiny)
    assert len(SPACE.neighbors(tiny)) == 3  # one per op; removing its only edge is invalid
    # op change and edge toggles
    nbrs = SPACE.neighbors(SPACE.parse("input+conv3x3~0+output~1"))
    assert SPACE.parse("input+maxpool3x3~0+output~1") in nbrs
    assert SPACE.parse("input+conv3x3~0+output~0,1") in nbrs


def test_sample_deterministic():
    first = [SPACE.sample(np.random.default_rng(7)) for _ in range(3)]
    again = [SPACE.sample(np.random.default_rng(7)) for _ in range(3)]
    assert first == again and len(set(first)) == 1

    def draws(seed: int) -> list[NB101Arch]:
        rng = np.random.default_rng(seed)
        return [SPACE.sample(rng) for _ in range(20)]

    assert draws(1) == draws(1) and draws(1) != draws(2)
    a = SPACE.sample(np.random.default_rng(5))
    assert [SPACE.mutate(a, np.random.default_rng(9)) for _ in range(2)] == [
        SPACE.mutate(a, np.random.default_rng(9))] * 2
