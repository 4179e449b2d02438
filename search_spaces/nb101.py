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

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np

from search_spaces.base import Arch, InvalidArchError, SearchSpace, register_search_space

INPUT, OUTPUT = "input", "output"
#: intermediate ops in the official canonical order; their index is their graph-hash label
OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
SHORT_OPS: tuple[str, ...] = ("conv3x3", "conv1x1", "maxpool3x3")
MAX_VERTICES, MAX_EDGES = 7, 9
_IN, _OUT = -1, -2  # official hash labels of the input and output vertices
#: node-op features of `graph`
GRAPH_OPS: tuple[str, ...] = (INPUT, OUTPUT, *OPS)
SUITE_ZERO_OPS: tuple[str, ...] = (INPUT, OUTPUT, "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
_SZ_LABEL = (_IN, _OUT, 2, 1, 0)  # Suite-Zero op index -> our label
PATH_LENGTH = sum(3**k for k in range(MAX_VERTICES - 1))  # 364
_TRIU = np.triu_indices(MAX_VERTICES, 1)

_LABEL_OF_NAME = {INPUT: _IN, OUTPUT: _OUT, **{n: i for i, n in enumerate(OPS)},
                  **{n: i for i, n in enumerate(SHORT_OPS)}}
_FORM = ("vertices joined by '+', each 'op~i,j' listing its input vertices, first 'input', last "
         "'output~...', ops conv3x3/conv1x1/maxpool3x3, e.g. input+conv3x3~0+conv1x1~0,1+output~2")

Matrix = tuple[tuple[int, ...], ...]


def graph_hash(matrix: Sequence[Sequence[int]], labels: Sequence[int]) -> str:
    """The official isomorphism-invariant hash (nasbench `graph_util.hash_module`): labels are
    -1 input, -2 output, else the index in `OPS`."""
    n = len(matrix)
    ins = [sum(matrix[u][v] for u in range(n)) for v in range(n)]
    outs = [sum(matrix[v]) for v in range(n)]
    h = [hashlib.md5(str((outs[v], ins[v], labels[v])).encode()).hexdigest() for v in range(n)]
    for _ in range(n):
        h = [hashlib.md5(("".join(sorted(h[u] for u in range(n) if matrix[u][v])) + "|"
                          + "".join(sorted(h[w] for w in range(n) if matrix[v][w])) + "|"
                          + h[v]).encode()).hexdigest() for v in range(n)]
    return hashlib.md5(str(sorted(h)).encode()).hexdigest()


@dataclass(frozen=True, repr=False)
class NB101Arch(Arch):
    """A pruned, canonically labelled NB101 cell; equal iff the official graph hashes are equal.
    Build it with `NB101Arch.from_spec` (or `NB101Space.parse`), not the raw constructor."""

    matrix: Matrix = field(compare=False)
    ops: tuple[str, ...] = field(compare=False)
    hash: str
    space: ClassVar[str] = "nb101"

    @classmethod
    def from_spec(cls, matrix: Sequence[Sequence[int]], ops: Sequence[str]) -> NB101Arch:
        """Any (unpruned, any labelling) spec -> the canonical arch; InvalidArchError if invalid."""
        m = _check_matrix(matrix)
        if len(ops) != len(m):
            raise InvalidArchError(f"invalid NB101 spec: {len(m)} vertices but {len(ops)} ops")
        labels = []
        for k, op in enumerate(ops):
            label = _LABEL_OF_NAME.get(op) if isinstance(op, str) else None
            if label is None:
                raise InvalidArchError(f"invalid NB101 spec: unknown op {op!r} at vertex {k}; "
                                       f"expected {INPUT}, {OUTPUT} or one of {', '.join(OPS)}")
            labels.append(label)
        return _make(m, labels)

    @property
    def num_vertices(self) -> int:
        return len(self.ops)

    @property
    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    @cached_property
    def labels(self) -> tuple[int, ...]:
        """Official hash labels: -1 input, -2 output, else the index in `OPS`."""
        return tuple(_LABEL_OF_NAME[op] for op in self.ops)


def _check_matrix(matrix: Sequence[Sequence[int]]) -> list[list[int]]:
    try:
        rows = [list(row) for row in matrix]
    except TypeError:
        rows = []
    n = len(rows)
    # `x in (0, 1)` rejects 0.5 or "1" rather than silently rounding them
    if n < 2 or any(len(row) != n for row in rows) or any(x not in (0, 1) for r in rows for x in r):
        raise InvalidArchError(f"invalid NB101 spec: the matrix must be a square 0/1 matrix with "
                               f">= 2 vertices, got {matrix!r}")
    m = [[int(x) for x in row] for row in rows]
    if any(m[i][j] for i in range(n) for j in range(i + 1)):
        raise InvalidArchError("invalid NB101 spec: the matrix is not upper triangular (edges must "
                               "go from a lower to a higher vertex index; no cycles or self-loops)")
    return m


def _spec_problem(m: list[list[int]], labels: Sequence[int]) -> tuple[Any, str | None]:
    """Prune (official ModelSpec semantics) and check; ((matrix, labels), None) or (None, why)."""
    n = len(m)
    if labels[0] != _IN or labels[-1] != _OUT:
        return None, "the first vertex must be 'input' and the last 'output'"
    if any(lb in (_IN, _OUT) for lb in labels[1:-1]):
        return None, "'input'/'output' may only be the first/last vertex"
    # upper triangular: one pass in index order (reverse order) finds all (co-)reachable vertices
    fwd = [v == 0 for v in range(n)]
    for w in range(1, n):
        fwd[w] = any(fwd[u] and m[u][w] for u in range(w))
    if not fwd[-1]:
        return None, "the output is not reachable from the input"
    bwd = [v == n - 1 for v in range(n)]
    for u in range(n - 2, -1, -1):
        bwd[u] = any(bwd[w] and m[u][w] for w in range(u + 1, n))
    keep = [v for v in range(n) if fwd[v] and bwd[v]]
    pm = [[m[i][j] for j in keep] for i in keep]
    edges = sum(map(sum, pm))
    if len(keep) > MAX_VERTICES:
        return None, f"{len(keep)} vertices after pruning, at most {MAX_VERTICES} allowed"
    if edges > MAX_EDGES:
        return None, f"{edges} edges after pruning, at most {MAX_EDGES} allowed"
    return (pm, [labels[v] for v in keep]), None


def _make(m: list[list[int]], labels: Sequence[int]) -> NB101Arch:
    arch, why = _try_make(m, labels)
    if arch is None:
        raise InvalidArchError(f"invalid NB101 spec: {why}")
    return arch


_CANONICAL: dict[str, NB101Arch] = {}  # hash -> arch: canonicalise each cell only once


def _try_make(m: list[list[int]], labels: Sequence[int]) -> tuple[NB101Arch | None, str | None]:
    pruned, why = _spec_problem(m, labels)
    if pruned is None:
        return None, why
    pm, pl = pruned
    h = graph_hash(pm, pl)
    arch = _CANONICAL.get(h)
    if arch is None:
        cm, cl = _canonical(pm, pl)
        arch = NB101Arch(cm, tuple(_name(lb) for lb in cl), h)
        if len(_CANONICAL) > 500_000:  # bound the memory; the space has 423,624 cells
            _CANONICAL.clear()
        _CANONICAL[h] = arch
    return arch, None


def _name(label: int) -> str:
    return INPUT if label == _IN else OUTPUT if label == _OUT else OPS[label]


def _orders(preds: dict[int, set[int]], placed: list[int], left: set[int]) -> Iterator[list[int]]:
    """All orderings of `left` that respect `preds` (the linear extensions of the DAG)."""
    if not left:
        yield list(placed)
        return
    for v in sorted(left):
        if preds[v] <= set(placed):
            placed.append(v)
            yield from _orders(preds, placed, left - {v})
            placed.pop()


def _canonical(m: list[list[int]], labels: list[int]) -> tuple[Matrix, list[int]]:
    """The canonical relabelling of a pruned spec (see the module docstring): smallest official
    bitmask, then smallest op labels in vertex order."""
    n = len(m)
    inner = set(range(1, n - 1))
    preds = {v: {u for u in inner if m[u][v]} for v in inner}
    best: tuple | None = None
    for order in _orders(preds, [], inner):
        p = [0, *order, n - 1]  # new vertex k is old vertex p[k]
        bits = sum(1 << (x + y * (y - 1) // 2)
                   for y in range(n) for x in range(y) if m[p[x]][p[y]])
        key = (bits, tuple(labels[v] for v in order))
        if best is None or key < best[0]:
            best = (key, p)
    p = best[1]
    return tuple(tuple(m[p[i]][p[j]] for j in range(n)) for i in range(n)), [labels[v] for v in p]


def _parse_text(text: str) -> NB101Arch:
    if not isinstance(text, str):
        raise InvalidArchError(f"NB101 arch must be a string of {_FORM}; got {type(text).__name__}")
    parts = [p.strip() for p in text.strip().split("+")]
    n = len(parts)
    if n < 2 or parts[0] != INPUT:
        raise InvalidArchError(f"invalid NB101 arch {text!r}: expected {_FORM}")
    m = [[0] * n for _ in range(n)]
    labels = [_IN]
    for k in range(1, n):
        name, tilde, srcs = (s.strip() for s in parts[k].partition("~"))
        label = _LABEL_OF_NAME.get(name)
        if label is None or label == _IN or (label == _OUT) != (k == n - 1):
            raise InvalidArchError(
                f"invalid NB101 arch {text!r}: vertex {k} {parts[k]!r} has "
                + (f"unknown op {name!r}" if label is None else "a misplaced input/output")
                + f"; expected {_FORM}")
        for s in srcs.split(",") if tilde else []:
            s = s.strip()
            if not (s.isascii() and s.isdigit()) or int(s) >= k or m[int(s)][k]:
                raise InvalidArchError(
                    f"invalid NB101 arch {text!r}: vertex {k} has bad input {s!r} (inputs are "
                    f"distinct indices of earlier vertices 0..{k - 1}); expected {_FORM}")
            m[int(s)][k] = 1
        labels.append(label)
    arch, why = _try_make(m, labels)
    if arch is None:
        raise InvalidArchError(f"invalid NB101 arch {text!r}: {why}")
    return arch


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
    def sample(self, rng: np.random.Generator) -> NB101Arch:
        """Uniform over valid 7-vertex specs (as NASLib): a random upper-triangular 0/1 matrix
        (each entry p=0.5) and random ops, redrawn until valid after pruning."""
        while True:
            m = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1).tolist()
            ops = rng.integers(0, len(OPS), size=MAX_VERTICES - 2).tolist()
            arch, _ = _try_make(m, [_IN, *ops, _OUT])
            if arch is not None:
                return arch

    def mutate(self, arch: Arch, rng: np.random.Generator) -> NB101Arch:
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
                values = [int(v) for v in key]
            except (TypeError, ValueError):
                raise InvalidArchError(f"{what}: expected a tuple of 56 integers") from None
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
