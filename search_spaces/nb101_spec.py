"""NAS-Bench-101 cell specs: validation and pruning (official `ModelSpec` semantics), the
official iterated-MD5 graph hash, the canonical labelling (the representative NAS-Bench-101
itself stores), and the text form. `search_spaces/nb101.py` documents the space as a whole."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from search_spaces.base import Arch, InvalidArchError

INPUT, OUTPUT = "input", "output"
#: intermediate ops in the official canonical order; their index is their graph-hash label
OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
SHORT_OPS: tuple[str, ...] = ("conv3x3", "conv1x1", "maxpool3x3")
MAX_VERTICES, MAX_EDGES = 7, 9
_IN, _OUT = -1, -2  # official hash labels of the input and output vertices
#: node-op features of `graph`
GRAPH_OPS: tuple[str, ...] = (INPUT, OUTPUT, *OPS)
SUITE_ZERO_OPS: tuple[str, ...] = (INPUT, OUTPUT, "maxpool3x3", "conv1x1-bn-relu",
                                   "conv3x3-bn-relu")
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
