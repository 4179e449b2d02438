"""NAS-Bench-201 (Dong & Yang, ICLR 2020): a 4-node cell, 6 edges, 5 ops, 5^6 = 15,625 cells.

Text form (the benchmark's own): ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``, i.e. node 1, node 2,
node 3, each listing its incoming edges; edges in that string order are 0→1, 0→2, 1→2, 0→3,
1→3, 2→3. `NB201Arch.ops` holds op indices into `OPS` in the same edge order.

NAS-Bench-Suite-Zero / NASLib tuples order the edges 0→1, 0→2, 0→3, 1→2, 1→3, 2→3 (positions 2
and 3 swapped against the string) and number the ops 0 skip_connect, 1 none, 2 nor_conv_3x3,
3 nor_conv_1x1, 4 avg_pool_3x3.

Encodings:
- ``adjacency_one_hot`` (30): for each edge in string order, a one-hot of its op over `OPS`.
- ``path`` (155): BANANAS path encoding. The four input→output routes 0→3, 0→1→3, 0→2→3 and
  0→1→2→3 give op sequences of length 1, 2, 2 and 3; a route counts only when it is *true*
  (none of its edges is ``none``, which carries nothing). Each op sequence over the 5 ops has its
  own index (5 + 25 + 125 = 155 dims); an entry is 1 when some true route has that sequence.
- ``graph``: the cell as a node-labelled DAG with one node per edge op (8 nodes: input, the 6 edge
  ops in string order, output); features one-hot over (input, output, *OPS) = 7.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from search_spaces.base import (
    Arch,
    InvalidArchError,
    SearchSpace,
    is_int,
    register_search_space,
)

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: edges (source, target) in the order of the arch string
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NUM_CELLS = len(OPS) ** len(EDGES)  # 15,625

# NAS-Bench-Suite-Zero / NASLib conventions
SUITE_ZERO_OPS: tuple[str, ...] = (
    "skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
SUITE_ZERO_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
_SZ_TO_OURS_OP = tuple(OPS.index(op) for op in SUITE_ZERO_OPS)
_OURS_TO_SZ_OP = tuple(SUITE_ZERO_OPS.index(op) for op in OPS)
_SZ_POSITION_OF_EDGE = tuple(SUITE_ZERO_EDGES.index(e) for e in EDGES)

# path encoding: routes as edge positions (string order), and index offsets per route length
_ROUTES: tuple[tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (0, 2, 5))
_PATH_OFFSET = {1: 0, 2: 5, 3: 5 + 25}
PATH_LENGTH = 5 + 25 + 125

_FORM = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"
_NONE, _CONV1, _CONV3 = OPS.index("none"), OPS.index("nor_conv_1x1"), OPS.index("nor_conv_3x3")


@dataclass(frozen=True)
class NB201Arch(Arch):
    """One NB201 cell: `ops[k]` is the op index (into `OPS`) on edge `EDGES[k]`."""

    ops: tuple[int, ...]
    space: ClassVar[str] = "nb201"

    @property
    def index(self) -> int:
        """Position in `NB201Space.all()` (base-5 digits, first edge most significant)."""
        return int(sum(op * 5 ** (5 - k) for k, op in enumerate(self.ops)))

    @property
    def op_names(self) -> tuple[str, ...]:
        return tuple(OPS[o] for o in self.ops)


def is_reachable(arch: NB201Arch) -> bool:
    """Whether the output node is connected to the input through non-`none` edges. Cells where
    it is not are real benchmark entries (they train to chance accuracy), so they stay in the
    space; this flags them."""
    reached = {0}
    for (src, dst), op in zip(EDGES, arch.ops):  # string order is topological
        if op != _NONE and src in reached:
            reached.add(dst)
    return 3 in reached


@register_search_space
class NB201Space(SearchSpace):
    name = "nb201"
    ops = OPS
    edges = EDGES
    encodings = {"adjacency_one_hot": 30, "path": PATH_LENGTH}
    presets = {
        "official": ({"C": 16, "N": 5, "in_channels": 3},
                     "NAS-Bench-201 network: C=16, N=5 cells per stage (as benchmarked)"),
        "small": ({"C": 8, "N": 1, "in_channels": 3},
                  "CPU preset: C=8, N=1 cell per stage"),
    }

    # -- text ------------------------------------------------------------------------------
    def parse(self, text: str) -> NB201Arch:
        if not isinstance(text, str):
            raise InvalidArchError(f"NB201 arch must be a string like {_FORM}, got "
                                   f"{type(text).__name__}")
        s = text.strip()
        nodes = s.split("+")
        if len(nodes) != 3:
            raise InvalidArchError(
                f"invalid NB201 arch {text!r}: expected 3 nodes joined by '+', like {_FORM}")
        ops: dict[tuple[int, int], int] = {}
        for dst, node in enumerate(nodes, start=1):
            if not (node.startswith("|") and node.endswith("|")) or len(node) < 2:
                raise InvalidArchError(
                    f"invalid NB201 arch {text!r}: node {dst} {node!r} must be wrapped in '|', "
                    f"like {_FORM}")
            entries = node[1:-1].split("|")
            if len(entries) != dst:
                raise InvalidArchError(
                    f"invalid NB201 arch {text!r}: node {dst} needs {dst} incoming edge(s), "
                    f"got {len(entries)}; expected form {_FORM}")
            for src, entry in enumerate(entries):
                op, sep, idx = entry.partition("~")
                if not sep or idx != str(src):
                    raise InvalidArchError(
                        f"invalid NB201 arch {text!r}: edge {entry!r} of node {dst} must be "
                        f"'op~{src}'; expected form {_FORM}")
                if op not in OPS:
                    raise InvalidArchError(
                        f"invalid NB201 arch {text!r}: unknown op {op!r} on edge {src}→{dst}; "
                        f"expected one of {', '.join(OPS)}")
                ops[(src, dst)] = OPS.index(op)
        return NB201Arch(tuple(ops[e] for e in EDGES))

    def format(self, arch: Arch) -> str:
        a = self._check(arch)
        names = a.op_names
        return "+".join(
            "|" + "|".join(f"{names[EDGES.index((src, dst))]}~{src}" for src in range(dst)) + "|"
            for dst in (1, 2, 3))

    # -- exploring -------------------------------------------------------------------------
    def all(self) -> list[NB201Arch]:
        """All 15,625 cells, ordered by `NB201Arch.index`."""
        return [NB201Arch(ops) for ops in itertools.product(range(len(OPS)), repeat=len(EDGES))]

    def from_index(self, index: int) -> NB201Arch:
        if not is_int(index):
            raise InvalidArchError(f"NB201 index must be an integer, got {index!r}")
        if not 0 <= int(index) < NUM_CELLS:
            raise InvalidArchError(f"NB201 index must be in 0..{NUM_CELLS - 1}, got {index}")
        digits = []
        for _ in EDGES:
            index, d = divmod(int(index), 5)
            digits.append(d)
        return NB201Arch(tuple(reversed(digits)))

    def _sample(self, rng: np.random.Generator) -> NB201Arch:
        return NB201Arch(tuple(int(o) for o in rng.integers(0, len(OPS), size=len(EDGES))))

    def _mutate(self, arch: Arch, rng: np.random.Generator) -> NB201Arch:
        """Change the op of one uniformly chosen edge to a different op."""
        a = self._check(arch)
        edge = int(rng.integers(len(EDGES)))
        new_op = (a.ops[edge] + 1 + int(rng.integers(len(OPS) - 1))) % len(OPS)
        ops = list(a.ops)
        ops[edge] = new_op
        return NB201Arch(tuple(ops))

    def neighbors(self, arch: Arch) -> list[NB201Arch]:
        """The 24 cells that differ from `arch` on exactly one edge."""
        a = self._check(arch)
        out = []
        for edge in range(len(EDGES)):
            for op in range(len(OPS)):
                if op != a.ops[edge]:
                    ops = list(a.ops)
                    ops[edge] = op
                    out.append(NB201Arch(tuple(ops)))
        return out

    # -- encodings -------------------------------------------------------------------------
    def encode(self, arch: Arch, kind: str = "adjacency_one_hot") -> np.ndarray:
        self._check_kind(kind)
        a = self._check(arch)
        if kind == "adjacency_one_hot":
            out = np.zeros((len(EDGES), len(OPS)), dtype=np.float32)
            out[np.arange(len(EDGES)), a.ops] = 1.0
            return out.reshape(-1)
        out = np.zeros(PATH_LENGTH, dtype=np.float32)
        for route in _ROUTES:
            seq = [a.ops[e] for e in route]
            if _NONE in seq:
                continue  # a route through `none` carries nothing: not a true path
            index = _PATH_OFFSET[len(seq)]
            for depth, op in enumerate(seq):
                index += op * len(OPS) ** depth
            out[index] = 1.0
        return out

    def graph(self, arch: Arch) -> tuple[np.ndarray, np.ndarray]:
        a = self._check(arch)
        n = len(EDGES) + 2
        adjacency = np.zeros((n, n), dtype=np.float32)
        for k, (src, dst) in enumerate(EDGES):
            node = k + 1
            if src == 0:
                adjacency[0, node] = 1.0
            if dst == 3:
                adjacency[node, n - 1] = 1.0
            else:
                for k2, (src2, _) in enumerate(EDGES):
                    if src2 == dst:
                        adjacency[node, k2 + 1] = 1.0
        features = np.zeros((n, 2 + len(OPS)), dtype=np.float32)
        features[0, 0] = 1.0
        features[n - 1, 1] = 1.0
        features[np.arange(1, n - 1), 2 + np.asarray(a.ops)] = 1.0
        return adjacency, features

    # -- NAS-Bench-Suite-Zero ----------------------------------------------------------------
    def from_suite_zero(self, key: str | tuple) -> NB201Arch:
        values = _parse_int_tuple(key, length=6, what="NB201 Suite-Zero key")
        for v in values:
            if not 0 <= v < len(OPS):
                raise InvalidArchError(
                    f"invalid NB201 Suite-Zero key {key!r}: op index {v} not in 0..4 "
                    f"(0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3)")
        return NB201Arch(tuple(_SZ_TO_OURS_OP[values[_SZ_POSITION_OF_EDGE[k]]]
                               for k in range(len(EDGES))))

    def to_suite_zero(self, arch: Arch) -> str:
        a = self._check(arch)
        values = [0] * len(EDGES)
        for k, op in enumerate(a.ops):
            values[_SZ_POSITION_OF_EDGE[k]] = _OURS_TO_SZ_OP[op]
        return "(" + ", ".join(map(str, values)) + ")"

    # -- facts and networks ------------------------------------------------------------------
    def info(self, arch: Arch) -> dict[str, Any]:
        a = self._check(arch)
        return {
            "reachable": is_reachable(a),
            "index": a.index,
            "n_conv3x3": a.ops.count(_CONV3),
            "n_conv1x1": a.ops.count(_CONV1),
            "suite_zero_key": self.to_suite_zero(a),
        }

    def _build_network(self, arch: Arch, num_classes: int, **params: Any):
        from search_spaces.nb201_network import NB201Network

        return NB201Network(arch.op_names, num_classes=num_classes, **params)


def official_parameter_count(arch: NB201Arch, num_classes: int = 10) -> int:
    """Trainable parameters of the official (C=16, N=5) network, in closed form."""
    return (72_656 + 65 * num_classes + 243_040 * arch.ops.count(_CONV3)
            + 28_000 * arch.ops.count(_CONV1))


_INT_TUPLE = re.compile(r"^\s*[\(\[]\s*(-?\d+\s*(?:,\s*-?\d+\s*)*),?\s*[\)\]]\s*$")


def _parse_int_tuple(key: str | tuple | list, length: int, what: str) -> tuple[int, ...]:
    """A tuple of ints from its text `"(1, 2, 3)"` or from a sequence; errors name the problem."""
    if isinstance(key, str):
        m = _INT_TUPLE.match(key)
        if not m:
            raise InvalidArchError(f"invalid {what} {key!r}: expected a tuple of {length} integers")
        values = tuple(int(v) for v in m.group(1).split(","))
    else:
        try:
            items = list(key)
        except TypeError:
            items = [None]
        if not all(is_int(v) for v in items):
            raise InvalidArchError(
                f"invalid {what} {key!r}: expected a tuple of {length} integers")
        values = tuple(int(v) for v in items)
    if len(values) != length:
        raise InvalidArchError(f"invalid {what} {key!r}: expected {length} integers, got "
                               f"{len(values)}")
    return values
