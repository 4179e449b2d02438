"""NAS-Bench-101 (Ying et al., ICML 2019): a cell of <= 7 vertices and <= 9 edges, 3 ops,
423,624 unique cells.

A cell is a DAG given by an upper-triangular 0/1 matrix (vertex 0 = input, last = output) and one
op per intermediate vertex (`OPS`). Like the official `ModelSpec`, vertices not on an
input→output path are pruned first; the limits apply to the pruned spec. An `NB101Arch` holds
the pruned spec in *canonical labelling*: the representative NAS-Bench-101 itself stores and
trained. The official generator (`generate_graphs.py`) walks the adjacency bitmasks in increasing
order (bit x + y(y-1)/2 is edge x→y) and, per matrix, the op labellings in `itertools.product`
order, keeping the first graph of each hash; so of all relabellings of the intermediate vertices
that keep the matrix upper-triangular we take the smallest bitmask, then the smallest labels.
This matters beyond naming: the official network gives uneven channel splits to the first
vertices, so only the benchmark's own labelling reproduces its parameter counts in every cell.
Isomorphic specs therefore share one matrix, one text and one encoding. Identity
(`==`, `hash()`) is the official iterated-MD5 graph hash (`graph_hash`).

Text form: vertices in topological order joined by ``+``; each vertex is ``op~i,j`` listing its
input vertices, the input vertex is just ``input``; short op names ``conv3x3``, ``conv1x1``,
``maxpool3x3``. E.g. ``input+conv3x3~0+conv1x1~1+conv1x1~0,1,2+conv3x3~1+conv1x1~4+output~3,5``.
`parse` also accepts unpruned, non-canonical text (and the long op names; an intermediate vertex
written without ``~`` has no inputs) and returns the canonical arch.

Padding to 7 vertices (encodings, `graph`, Suite-Zero keys): the pruned spec's vertices keep
their indices except the output, which moves to index 6; the padding vertices in between have no
edges and no op bits (Suite-Zero keys give them op ``conv3x3-bn-relu``; they are pruned on the
way back).

Encodings:
- ``adjacency_one_hot`` (36): the 21 upper-triangle entries (row-major) of the padded 7x7
  matrix, then a one-hot over `OPS` for each of the padded vertices 1..5 (zeros for padding).
- ``path`` (364): BANANAS path encoding. Every input→output path gives the op sequence of its
  intermediate vertices (length 0..5); sequence (o_0, ..., o_{L-1}) has index
  sum_i 3^i * (o_i + 1), so index 0 is the direct input→output edge; an entry is 1 when some
  path has that sequence. No truncation.

NAS-Bench-Suite-Zero / NASLib keys: the 7x7 matrix flattened row-major, then 7 op indices
0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu (unpruned specs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from search_spaces.base import (
    Arch,
    InvalidArchError,
    SearchSpace,
    is_int,
    register_search_space,
)
from search_spaces.nb101_spec import (  # noqa: F401  (re-exported)
    _CANONICAL,
    _FORM,
    _IN,
    _LABEL_OF_NAME,
    _OUT,
    _SZ_LABEL,
    _TRIU,
    GRAPH_OPS,
    INPUT,
    MAX_EDGES,
    MAX_VERTICES,
    OPS,
    OUTPUT,
    PATH_LENGTH,
    SHORT_OPS,
    SUITE_ZERO_OPS,
    Matrix,
    NB101Arch,
    _canonical,
    _check_matrix,
    _make,
    _name,
    _orders,
    _parse_text,
    _spec_problem,
    _try_make,
    graph_hash,
)


def _padded(a: NB101Arch) -> tuple[np.ndarray, list[int | None]]:
    """The padded 7x7 matrix and labels (None for padding); output moved to index 6."""
    n = a.num_vertices
    pos = [*range(n - 1), MAX_VERTICES - 1]
    adj = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.float32)
    labels: list[int | None] = [None] * MAX_VERTICES
    for i in range(n):
        labels[pos[i]] = a.labels[i]
        for j in range(n):
            adj[pos[i], pos[j]] = a.matrix[i][j]
    return adj, labels


def _path_sequences(a: NB101Arch) -> Iterator[tuple[int, ...]]:
    """The op-label sequence of every input→output path."""
    n, m, labels = a.num_vertices, a.matrix, a.labels

    def walk(v: int, seq: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        for w in range(v + 1, n):
            if m[v][w]:
                yield from ([seq] if w == n - 1 else walk(w, seq + (labels[w],)))

    yield from walk(0, ())


_INT_TUPLE = re.compile(r"^\s*[\(\[]?\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*,?\s*[\)\]]?\s*$")


@register_search_space
class NB101Space(SearchSpace):
    name = "nb101"
    ops = OPS
    encodings = {"adjacency_one_hot": 36, "path": PATH_LENGTH}
    presets = {
        "official": ({"stem_channels": 128, "num_stacks": 3, "num_modules_per_stack": 3,
                      "in_channels": 3},
                     "NAS-Bench-101 network: stem 128, 3 stacks x 3 modules (as benchmarked)"),
        "small": ({"stem_channels": 16, "num_stacks": 3, "num_modules_per_stack": 1,
                   "in_channels": 3}, "CPU preset: stem 16, 3 stacks x 1 module"),
        "tiny": ({"stem_channels": 8, "num_stacks": 3, "num_modules_per_stack": 1,
                  "in_channels": 3}, "test preset: stem 8, 3 stacks x 1 module"),
    }

    # -- text ------------------------------------------------------------------------------
    def parse(self, text: str) -> NB101Arch:
        return _parse_text(text)

    def format(self, arch: Arch) -> str:
        a = self._check(arch)
        parts = [INPUT]
        for k in range(1, a.num_vertices):
            srcs = ",".join(str(i) for i in range(k) if a.matrix[i][k])
            label = a.labels[k]
            parts.append(f"{OUTPUT if label == _OUT else SHORT_OPS[label]}~{srcs}")
        return "+".join(parts)

    def from_spec(self, matrix: Sequence[Sequence[int]], ops: Sequence[str]) -> NB101Arch:
        """An official (matrix, ops) spec, unpruned and in any labelling -> the canonical arch."""
        return NB101Arch.from_spec(matrix, ops)

    # -- exploring -------------------------------------------------------------------------
    def _sample(self, rng: np.random.Generator) -> NB101Arch:
        """Uniform over valid 7-vertex specs (as NASLib): a random upper-triangular 0/1 matrix
        (each entry p=0.5) and random ops, redrawn until valid after pruning."""
        while True:
            m = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1).tolist()
            ops = rng.integers(0, len(OPS), size=MAX_VERTICES - 2).tolist()
            arch, _ = _try_make(m, [_IN, *ops, _OUT])
            if arch is not None:
                return arch

    def _mutate(self, arch: Arch, rng: np.random.Generator) -> NB101Arch:
        """A uniformly chosen member of `neighbors(arch)` (never `arch` itself)."""
        options = self.neighbors(arch)
        return options[int(rng.integers(len(options)))]

    def neighbors(self, arch: Arch) -> list[NB101Arch]:
        """All valid cells one step from `arch`, deduplicated by hash, `arch` excluded. A step on
        the canonical pruned spec is (a) a new op at one intermediate vertex, (b) toggling one
        edge i→j between its vertices (then pruning), or (c) when it has < 7 vertices, a new
        vertex with any op on a new path i→v→j between existing vertices i < j (so small cells
        can grow). Results over 9 edges are skipped."""
        return list(_neighbors(self._check(arch)))

    # -- encodings -------------------------------------------------------------------------
    def encode(self, arch: Arch, kind: str = "adjacency_one_hot") -> np.ndarray:
        self._check_kind(kind)
        a = self._check(arch)
        if kind == "adjacency_one_hot":
            adj, labels = _padded(a)
            ops = np.zeros((MAX_VERTICES - 2, len(OPS)), dtype=np.float32)
            for k, label in enumerate(labels[1:-1]):
                if label is not None:
                    ops[k, label] = 1.0
            return np.concatenate([adj[_TRIU], ops.reshape(-1)])
        out = np.zeros(PATH_LENGTH, dtype=np.float32)
        for seq in _path_sequences(a):
            out[sum(3**i * (op + 1) for i, op in enumerate(seq))] = 1.0
        return out

    def graph(self, arch: Arch) -> tuple[np.ndarray, np.ndarray]:
        """(padded adjacency [7, 7], one-hot [7, 5] over `GRAPH_OPS`; padding rows are zero)."""
        adj, labels = _padded(self._check(arch))
        features = np.zeros((MAX_VERTICES, len(GRAPH_OPS)), dtype=np.float32)
        for v, label in enumerate(labels):
            if label is not None:
                features[v, {_IN: 0, _OUT: 1}.get(label, label + 2)] = 1.0
        return adj, features

    # -- NAS-Bench-Suite-Zero ----------------------------------------------------------------
    def from_suite_zero(self, key: str | tuple) -> NB101Arch:
        """A Suite-Zero key (n*n matrix entries then n op indices; n = 7 in the benchmark)."""
        what = f"invalid NB101 Suite-Zero key {key!r}"
        if isinstance(key, str):
            match = _INT_TUPLE.match(key)
            if not match:
                raise InvalidArchError(f"{what}: expected a tuple of 56 integers")
            values = [int(v) for v in match.group(1).split(",")]
        else:
            try:
                items = list(key)
            except TypeError:
                items = [None]
            if not all(is_int(v) for v in items):
                raise InvalidArchError(f"{what}: expected a tuple of 56 integers")
            values = [int(v) for v in items]
        n = next((n for n in range(2, 64) if n * n + n == len(values)), None)
        if n is None:
            raise InvalidArchError(f"{what}: expected 56 integers (49 matrix entries, 7 op "
                                   f"indices), got {len(values)}")
        ops = values[n * n:]
        if any(not 0 <= v < len(SUITE_ZERO_OPS) for v in ops):
            names = ", ".join(f"{i} {o}" for i, o in enumerate(SUITE_ZERO_OPS))
            raise InvalidArchError(f"{what}: op indices must be in 0..4 ({names}), got {ops}")
        m = _check_matrix([values[i * n:(i + 1) * n] for i in range(n)])
        arch, why = _try_make(m, [_SZ_LABEL[v] for v in ops])
        if arch is None:
            raise InvalidArchError(f"{what}: {why}")
        return arch

    def to_suite_zero(self, arch: Arch) -> str:
        """The canonical spec padded to 7 vertices (module docstring), as the key text."""
        adj, labels = _padded(self._check(arch))
        ops = [4 if lb is None else _SZ_LABEL.index(lb) for lb in labels]
        return "(" + ", ".join(str(v) for v in [*adj.astype(int).reshape(-1).tolist(), *ops]) + ")"

    # -- facts and networks ------------------------------------------------------------------
    def info(self, arch: Arch) -> dict[str, Any]:
        a = self._check(arch)
        seqs = list(_path_sequences(a))
        return {
            "hash": a.hash,
            "num_vertices": a.num_vertices,
            "num_edges": a.num_edges,
            "num_paths": len(seqs),
            "depth": max(len(s) for s in seqs) + 1,  # edges on the longest input→output path
            **{f"n_{short}": a.ops.count(op) for short, op in zip(SHORT_OPS, OPS)},
            "suite_zero_key": self.to_suite_zero(a),
        }

    def _build_network(self, arch: Arch, num_classes: int, **params: Any):
        from search_spaces.nb101_network import NB101Network

        return NB101Network(arch.matrix, arch.ops, num_classes=num_classes, **params)


@lru_cache(maxsize=4096)
def _neighbors(a: NB101Arch) -> tuple[NB101Arch, ...]:
    n, labels = a.num_vertices, list(a.labels)
    m = [list(row) for row in a.matrix]
    found: dict[str, NB101Arch] = {a.hash: a}

    def add(mat: list[list[int]], lab: list[int]) -> None:
        arch, _ = _try_make(mat, lab)
        if arch is not None and arch.hash not in found:
            found[arch.hash] = arch

    for v in range(1, n - 1):  # (a) change one op
        for op in range(len(OPS)):
            if op != labels[v]:
                add(m, labels[:v] + [op] + labels[v + 1:])
    for i in range(n):  # (b) toggle one edge
        for j in range(i + 1, n):
            mat = [row[:] for row in m]
            mat[i][j] ^= 1
            add(mat, labels)
    if n < MAX_VERTICES and a.num_edges + 2 <= MAX_EDGES:  # (c) a new vertex on a new path i→v→j
        for i in range(n - 1):
            for j in range(i + 1, n):
                for op in range(len(OPS)):
                    # the new vertex goes right after i: old vertices > i shift up by one
                    mat = [row[:i + 1] + [0] + row[i + 1:] for row in m]
                    mat.insert(i + 1, [0] * (n + 1))
                    mat[i][i + 1] = mat[i + 1][j + 1] = 1
                    add(mat, labels[:i + 1] + [op] + labels[i + 1:])
    del found[a.hash]
    return tuple(found.values())
