"""The DARTS search space (Liu et al., ICLR 2019) as NAS-Bench-301 (Siems et al., 2020) uses it.

An architecture is a normal and a reduction cell. Each cell has inputs 0 = c_{k-2} and
1 = c_{k-1} and 4 intermediate nodes; node k (k = 0..3, numbered 2..5 as inputs) sums two
(op, input) pairs whose inputs are two *different* nodes among 0..k+1; the cell output
concatenates all 4 intermediate nodes. Ops are the 7 of derived genotypes (`OPS`); the 8th DARTS
primitive `none` (`PRIMITIVES`) is only a supernet candidate and is rejected in archs.
Per cell there are 3·6·10 input choices × 7^8 op choices = 1,037,664,180 cells, so ~1.1e18 archs.

Distinct inputs: DARTS derives a genotype by keeping the two strongest *incoming edges* of each
node (one edge per input node), and NAS-Bench-301's ConfigSpace picks each node's inputs as a
pair "i_j" with i < j; so neither ever produces two pairs on one input, and they are rejected.

Canonical form: a node's two pairs are summed, so their order is irrelevant; `DartsArch` keeps
them sorted by (input, op). Equality, hashing, text, encodings and keys use this form.

Text form: the DARTS genotype repr, ``Genotype(normal=[('sep_conv_3x3', 0), ...8 pairs],
normal_concat=[2, 3, 4, 5], reduce=[...8 pairs], reduce_concat=[2, 3, 4, 5])``; `parse` also
takes ``range(2, 6)`` concats, positional fields and any whitespace (read with `ast`, never eval).

NAS-Bench-Suite-Zero / NASLib "compact" key: ``([(input, op) ×8], [(input, op) ×8])``, normal
first, op indices into `OPS` (0 max_pool_3x3 … 6 dil_conv_5x5). `to_suite_zero` writes the
canonical pair order; keys in other pair orders map to the same arch.

Encodings:
- ``adjacency_one_hot`` (192): for each cell (normal, reduce) and each of its 8 pairs in canonical
  order, a one-hot of the input over 5 then of the op over 7 (2 × 8 × 12).
- ``path`` (11,200): BANANAS path encoding. A path starts at a cell input, follows pairs through
  intermediate nodes and ends at any intermediate node (all are concatenated to the output, so all
  8 pairs count); it is named by its input and its op sequence (length 1..4). Index = cell·5600 +
  input·2800 + offset(len) + Σ op_i·7^(len-1-i), offsets 0, 7, 56, 399 (7+49+343+2401 = 2800).
  NASLib's version skips each cell's 8th pair (it loops over `len(OPS)` = 7 pairs); this does not.
- ``graph`` (22 nodes, 10 labels): per cell, nodes c_{k-2}, c_{k-1}, one node per pair (labelled by
  its op) and an output node. A pair node takes edges from its input: the cell input node, or both
  pair nodes of the intermediate node it reads (sum nodes are folded away, as in NASLib's GCN/BONAS
  encodings); every pair node feeds the output. Normal cell nodes 0..10, reduction cell 11..21;
  the normal output feeds both reduction inputs, giving one DAG with a single sink. Labels:
  (c_{k-2}, c_{k-1}, *OPS, output).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from search_spaces.base import Arch, InvalidArchError, SearchSpace, register_search_space

#: all 8 DARTS primitives in the DARTS code's order (`none` only for supernets)
PRIMITIVES: tuple[str, ...] = (
    "none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
    "dil_conv_3x3", "dil_conv_5x5")
#: the 7 ops of derived genotypes; also the NB301 ConfigSpace and NASLib / Suite-Zero index order
OPS: tuple[str, ...] = PRIMITIVES[1:]
PARAMETRIC_OPS: frozenset[str] = frozenset(
    {"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"})
NUM_NODES = 4
PAIRS_PER_CELL = 2 * NUM_NODES
CONCAT: tuple[int, ...] = (2, 3, 4, 5)
CELLS: tuple[str, ...] = ("normal", "reduce")
GRAPH_LABELS: tuple[str, ...] = ("c_{k-2}", "c_{k-1}", *OPS, "output")

_OP_INDEX = {op: i for i, op in enumerate(OPS)}
_NUM_INPUTS = NUM_NODES + 1  # inputs a pair may read: 0..5 minus the last node = 0..4
_ADJ_PER_PAIR = _NUM_INPUTS + len(OPS)
_SEQ_OFFSET = {1: 0, 2: 7, 3: 7 + 49, 4: 7 + 49 + 343}
_PATHS_PER_INPUT = 7 + 49 + 343 + 2401
_GRAPH_CELL_NODES = 2 + PAIRS_PER_CELL + 1
_FORM = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...8 (op, input) pairs], "
         "normal_concat=[2, 3, 4, 5], reduce=[...8 pairs], reduce_concat=[2, 3, 4, 5])")
_SZ_FORM = "([(input, op) x8], [(input, op) x8]) with op 0..6 = " + ", ".join(
    f"{i} {op}" for i, op in enumerate(OPS))

#: genotypes published with the DARTS code (cnn/genotypes.py), in their original text
KNOWN_GENOTYPES: dict[str, str] = {
    "DARTS_V1": "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])",
    "DARTS_V2": "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])",
}

Pair = tuple[str, int]


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def canonical_cell(pairs: Any, cell: str = "normal") -> tuple[Pair, ...]:
    """Validate one cell's 8 (op, input) pairs and return them in canonical order (each node's two
    pairs sorted by (input, op)). Raises `InvalidArchError` naming the problem."""
    if not isinstance(pairs, (list, tuple)) or len(pairs) != PAIRS_PER_CELL:
        got = len(pairs) if isinstance(pairs, (list, tuple)) else type(pairs).__name__
        raise InvalidArchError(
            f"the {cell} cell needs {PAIRS_PER_CELL} (op, input) pairs (2 for each of "
            f"{NUM_NODES} nodes), got {got}")
    out: list[Pair] = []
    for j, pair in enumerate(pairs):
        k = j // 2
        where = f"pair {j} (node {k}) of the {cell} cell"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise InvalidArchError(f"{where} must be an (op, input) pair, got {pair!r}")
        op, inp = pair
        if op == "none":
            raise InvalidArchError(
                f"{where} uses 'none', which never appears in a derived DARTS / NAS-Bench-301 "
                f"genotype (it is a supernet-only candidate); expected one of {', '.join(OPS)}")
        if op not in _OP_INDEX:
            raise InvalidArchError(
                f"{where} has unknown op {op!r}; expected one of {', '.join(OPS)}")
        if not _is_int(inp) or not 0 <= inp <= k + 1:
            raise InvalidArchError(
                f"{where} has input {inp!r}; node {k} may read inputs 0..{k + 1} "
                f"(0 = c_{{k-2}}, 1 = c_{{k-1}}, n >= 2 = intermediate node n-2)")
        out.append((str(op), int(inp)))
    for k in range(NUM_NODES):
        a, b = out[2 * k], out[2 * k + 1]
        if a[1] == b[1]:
            raise InvalidArchError(
                f"node {k} of the {cell} cell reads input {a[1]} twice; DARTS and NAS-Bench-301 "
                f"always give a node two different inputs")
        if (a[1], a[0]) > (b[1], b[0]):
            out[2 * k], out[2 * k + 1] = b, a
    return tuple(out)


@dataclass(frozen=True)
class DartsArch(Arch):
    """A DARTS genotype: `normal` and `reduce` each hold 8 (op, input) pairs, canonically ordered
    (constructing one validates and canonicalizes, so pair order inside a node never matters)."""

    normal: tuple[Pair, ...]
    reduce: tuple[Pair, ...]
    space: ClassVar[str] = "darts"

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal", canonical_cell(self.normal, "normal"))
        object.__setattr__(self, "reduce", canonical_cell(self.reduce, "reduce"))

    @property
    def cells(self) -> tuple[tuple[Pair, ...], tuple[Pair, ...]]:
        return self.normal, self.reduce


def _cell_depth(pairs: Sequence[Pair]) -> int:
    """Longest chain of ops from a cell input to an intermediate node (1..4)."""
    depth = [0, 0]
    for k in range(NUM_NODES):
        depth.append(1 + max(depth[i] for _, i in pairs[2 * k: 2 * k + 2]))
    return max(depth[2:])


def _cell_paths(pairs: Sequence[Pair]) -> list[tuple[int, tuple[int, ...]]]:
    """Every (cell input, op-index sequence) path ending at some intermediate node."""
    ends: list[list[tuple[int, tuple[int, ...]]]] = [[] for _ in range(NUM_NODES)]
    for j, (op, inp) in enumerate(pairs):
        o = _OP_INDEX[op]
        if inp < 2:
            ends[j // 2].append((inp, (o,)))
        else:  # inputs only reach earlier nodes, whose paths are already complete
            ends[j // 2].extend((src, seq + (o,)) for src, seq in ends[inp - 2])
    return [p for node in ends for p in node]


def _literal(node: ast.AST, what: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise InvalidArchError(f"{what} is not a literal: {ast.unparse(node)!r}") from None


def _concat(node: ast.AST, field: str) -> list[int]:
    """A concat field: a literal list/tuple or `range(a[, b[, step]])` with int literals."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
            and not node.keywords and 1 <= len(node.args) <= 3):
        args = [_literal(a, field) for a in node.args]
        if all(_is_int(a) for a in args) and (len(args) < 3 or args[2] != 0):
            nodes = range(*args)
            if len(nodes) <= 2 * len(CONCAT):  # a concat is short; never expand a huge range
                return list(nodes)
        raise InvalidArchError(f"{field} must be a short range of node numbers, got "
                               f"{ast.unparse(node)!r}")
    value = _literal(node, field)
    if not isinstance(value, (list, tuple)) or not all(_is_int(v) for v in value):
        raise InvalidArchError(f"{field} must be a list of node numbers, got {value!r}")
    return list(value)


@register_search_space
class DartsSpace(SearchSpace):
    name = "darts"
    ops = OPS
    primitives = PRIMITIVES
    encodings = {"adjacency_one_hot": 2 * PAIRS_PER_CELL * _ADJ_PER_PAIR,
                 "path": 2 * 2 * _PATHS_PER_INPUT}
    presets = {
        "official": ({"C": 32, "layers": 8, "auxiliary": False, "drop_path_prob": 0.0,
                      "in_channels": 3},
                     "NAS-Bench-301's training network: NetworkCIFAR, C=32, 8 layers (NB301 "
                     "trained with auxiliary head and drop path 0.2: set those options)"),
        "darts": ({"C": 36, "layers": 20, "auxiliary": False, "drop_path_prob": 0.0,
                   "in_channels": 3},
                  "DARTS paper's CIFAR evaluation network: C=36, 20 layers"),
        "small": ({"C": 16, "layers": 5, "auxiliary": False, "drop_path_prob": 0.0,
                   "in_channels": 3},
                  "CPU preset: C=16, 5 layers (normal, reduce, normal, reduce, normal)"),
        "tiny": ({"C": 8, "layers": 3, "auxiliary": False, "drop_path_prob": 0.0,
                  "in_channels": 3},
                 "CPU test preset: C=8, 3 layers (normal, reduce, reduce; the fewest with both)"),
    }

    # -- text ------------------------------------------------------------------------------
    def parse(self, text: str) -> DartsArch:
        if not isinstance(text, str):
            raise InvalidArchError(
                f"a DARTS arch must be a genotype string like {_FORM}, got {type(text).__name__}")
        shown = text if len(text) <= 200 else text[:200] + "..."

        def fail(problem: str) -> InvalidArchError:
            return InvalidArchError(
                f"invalid DARTS genotype {shown!r}: {problem}; expected {_FORM}")

        try:
            call = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            raise fail("not a well-formed Genotype(...) expression") from None
        func = getattr(call, "func", None)
        name = getattr(func, "id", None) or getattr(func, "attr", None)
        if not isinstance(call, ast.Call) or name != "Genotype":
            raise fail("it must be a Genotype(...) call")
        fields = ("normal", "normal_concat", "reduce", "reduce_concat")
        if len(call.args) > len(fields):
            raise fail(f"Genotype takes at most {len(fields)} fields, got {len(call.args)}")
        given: dict[str, ast.AST] = dict(zip(fields, call.args))
        for kw in call.keywords:
            if kw.arg not in fields:
                raise fail(f"unknown field {kw.arg!r} (fields: {', '.join(fields)})")
            if kw.arg in given:
                raise fail(f"field {kw.arg!r} given twice")
            given[kw.arg] = kw.value
        missing = [f for f in fields if f not in given]
        if missing:
            raise fail(f"missing field(s) {', '.join(missing)}")
        try:
            for cell in CELLS:
                concat = _concat(given[f"{cell}_concat"], f"{cell}_concat")
                if concat != list(CONCAT):
                    raise InvalidArchError(
                        f"{cell}_concat must be [2, 3, 4, 5] (all four intermediate nodes, the "
                        f"only concat DARTS / NAS-Bench-301 cells use), got {concat}")
            return DartsArch(_literal(given["normal"], "normal"),
                             _literal(given["reduce"], "reduce"))
        except InvalidArchError as e:
            raise fail(str(e)) from None

    def format(self, arch: Arch) -> str:
        a = self._check(arch)
        normal, reduce = ("[" + ", ".join(f"('{op}', {i})" for op, i in cell) + "]"
                          for cell in a.cells)
        return (f"Genotype(normal={normal}, normal_concat=[2, 3, 4, 5], "
                f"reduce={reduce}, reduce_concat=[2, 3, 4, 5])")

    # -- exploring -------------------------------------------------------------------------
    def _sample(self, rng: np.random.Generator) -> DartsArch:
        """NB301's sampling: per node, two different inputs among 0..k+1 (uniform over the
        pairs) and a uniform op for each. Uniform over canonical archs, since each has exactly
        one sorted-input representation."""
        cells = []
        for _ in CELLS:
            pairs: list[Pair] = []
            for k in range(NUM_NODES):
                inputs = rng.choice(k + 2, size=2, replace=False)
                ops = rng.integers(0, len(OPS), size=2)
                pairs += [(OPS[int(o)], int(i)) for i, o in zip(inputs, ops)]
            cells.append(tuple(pairs))
        return DartsArch(*cells)

    @staticmethod
    def _replace(a: DartsArch, cell: int, j: int, pair: Pair) -> DartsArch:
        cells = [list(a.normal), list(a.reduce)]
        cells[cell][j] = pair
        return DartsArch(tuple(cells[0]), tuple(cells[1]))

    def _mutate(self, arch: Arch, rng: np.random.Generator) -> DartsArch:
        """NASLib/BANANAS-style step: a uniform cell and pair, then with probability 1/2 a new op,
        else a new input (different from the pair's and its sibling's; node 0 has none to spare, so
        it always changes its op)."""
        a = self._check(arch)
        cell = int(rng.integers(2))
        j = int(rng.integers(PAIRS_PER_CELL))
        op, inp = a.cells[cell][j]
        sibling = a.cells[cell][j ^ 1][1]
        inputs = [i for i in range(j // 2 + 2) if i not in (inp, sibling)]
        if inputs and rng.random() < 0.5:
            return self._replace(a, cell, j, (op, inputs[int(rng.integers(len(inputs)))]))
        ops = [o for o in OPS if o != op]
        return self._replace(a, cell, j, (ops[int(rng.integers(len(ops)))], inp))

    def neighbors(self, arch: Arch) -> list[DartsArch]:
        """All 120 archs one step away: per cell, 8 pairs × 6 other ops, plus 12 input changes
        (node k's pairs each have k spare inputs)."""
        a = self._check(arch)
        out: dict[DartsArch, None] = {}
        for cell, pairs in enumerate(a.cells):
            for j, (op, inp) in enumerate(pairs):
                for o in OPS:
                    if o != op:
                        out[self._replace(a, cell, j, (o, inp))] = None
                sibling = pairs[j ^ 1][1]
                for i in range(j // 2 + 2):
                    if i not in (inp, sibling):
                        out[self._replace(a, cell, j, (op, i))] = None
        out.pop(a, None)
        return list(out)

    # -- encodings -------------------------------------------------------------------------
    def encode(self, arch: Arch, kind: str = "adjacency_one_hot") -> np.ndarray:
        self._check_kind(kind)
        a = self._check(arch)
        out = np.zeros(self.encodings[kind], dtype=np.float32)
        if kind == "adjacency_one_hot":
            for c, pairs in enumerate(a.cells):
                for j, (op, inp) in enumerate(pairs):
                    base = (c * PAIRS_PER_CELL + j) * _ADJ_PER_PAIR
                    out[base + inp] = 1.0
                    out[base + _NUM_INPUTS + _OP_INDEX[op]] = 1.0
            return out
        for c, pairs in enumerate(a.cells):
            for src, seq in _cell_paths(pairs):
                digits = 0  # the op sequence as a base-7 number, first op most significant
                for o in seq:
                    digits = digits * len(OPS) + o
                out[(2 * c + src) * _PATHS_PER_INPUT + _SEQ_OFFSET[len(seq)] + digits] = 1.0
        return out

    def graph(self, arch: Arch) -> tuple[np.ndarray, np.ndarray]:
        a = self._check(arch)
        n = 2 * _GRAPH_CELL_NODES
        adjacency = np.zeros((n, n), dtype=np.float32)
        features = np.zeros((n, len(GRAPH_LABELS)), dtype=np.float32)
        for c, pairs in enumerate(a.cells):
            base = c * _GRAPH_CELL_NODES
            out_node = base + _GRAPH_CELL_NODES - 1
            features[base, 0] = features[base + 1, 1] = features[out_node, -1] = 1.0
            for j, (op, inp) in enumerate(pairs):
                node = base + 2 + j
                features[node, 2 + _OP_INDEX[op]] = 1.0
                if inp < 2:
                    adjacency[base + inp, node] = 1.0
                else:  # both pair nodes of the intermediate node it reads
                    first = base + 2 + 2 * (inp - 2)
                    adjacency[first, node] = adjacency[first + 1, node] = 1.0
                adjacency[node, out_node] = 1.0
        # the normal cell's output feeds both inputs of the reduction cell
        adjacency[_GRAPH_CELL_NODES - 1, _GRAPH_CELL_NODES] = 1.0
        adjacency[_GRAPH_CELL_NODES - 1, _GRAPH_CELL_NODES + 1] = 1.0
        return adjacency, features

    # -- NAS-Bench-Suite-Zero / NASLib ---------------------------------------------------------
    def from_suite_zero(self, key: str | tuple) -> DartsArch:
        shown = key if not isinstance(key, str) or len(key) <= 200 else key[:200] + "..."

        def fail(problem: str) -> InvalidArchError:
            return InvalidArchError(
                f"invalid DARTS Suite-Zero key {shown!r}: {problem}; expected {_SZ_FORM}")

        value: Any = key
        if isinstance(key, str):
            try:
                value = ast.literal_eval(key.strip())
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                raise fail("not a Python literal") from None
        seq = (list, tuple, np.ndarray)
        if not isinstance(value, seq) or len(value) != 2:
            raise fail("it must hold exactly 2 cells (normal, reduce)")
        cells = []
        for name, cell in zip(CELLS, value):
            if not isinstance(cell, seq) or len(cell) != PAIRS_PER_CELL:
                raise fail(f"the {name} cell must hold {PAIRS_PER_CELL} (input, op) pairs")
            pairs = []
            for j, pair in enumerate(cell):
                if (not isinstance(pair, seq) or len(pair) != 2
                        or not all(_is_int(v) for v in pair)):
                    raise fail(f"pair {j} of the {name} cell must be two integers (input, op), "
                               f"got {pair!r}")
                inp, op = int(pair[0]), int(pair[1])
                if not 0 <= op < len(OPS):
                    raise fail(f"pair {j} of the {name} cell has op index {op}, not in 0..6")
                pairs.append((OPS[op], inp))
            cells.append(tuple(pairs))
        try:
            return DartsArch(*cells)
        except InvalidArchError as e:
            raise fail(str(e)) from None

    def to_suite_zero(self, arch: Arch) -> str:
        a = self._check(arch)
        cells = ("[" + ", ".join(f"({i}, {_OP_INDEX[op]})" for op, i in pairs) + "]"
                 for pairs in a.cells)
        return "(" + ", ".join(cells) + ")"

    # -- facts and networks ------------------------------------------------------------------
    def info(self, arch: Arch) -> dict[str, Any]:
        a = self._check(arch)
        facts: dict[str, Any] = {}
        for name, pairs in zip(CELLS, a.cells):
            ops = [op for op, _ in pairs]
            facts[f"{name}_n_parametric"] = sum(op in PARAMETRIC_OPS for op in ops)
            facts[f"{name}_op_counts"] = {op: ops.count(op) for op in OPS if op in ops}
            facts[f"{name}_depth"] = _cell_depth(pairs)
        facts["suite_zero_key"] = self.to_suite_zero(a)
        return facts

    def _build_network(self, arch: Arch, num_classes: int, **params: Any):
        from search_spaces.darts_network import NetworkCIFAR

        return NetworkCIFAR(arch.normal, arch.reduce, num_classes=num_classes, **params)
