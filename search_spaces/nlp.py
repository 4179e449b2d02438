"""NAS-Bench-NLP (Klyuchnikov et al., 2020): recurrent cells for language modelling, trained as a
3-layer AWD-style language model on Penn Treebank and (345 cells) WikiText-2.

A cell is a recipe (`search_spaces/nlp_spec.py`): a DAG over the inputs x, h_prev_0..h_prev_{H-1}
with ops linear (2-3 inputs), blend (3), elementwise_prod / elementwise_sum (2), activation_tanh /
activation_sigm / activation_leaky_relu (1), and outputs h_new_0..h_new_{H-1}, 1 <= H <= 3; the
layer's output is h_new_0. `parse` takes any cell the release's model runs: known ops with those
input counts, distinct inputs, acyclic, every node feeding an output, x and every h_prev_k read,
at most 25 nodes (the release's hand-written RNN/LSTM/GRU examples pass). The canonical text is
the recipe JSON with sorted keys, other nodes renamed node_0.. canonically and the inputs of all
ops but blend sorted (their order does not change the cell).

Generation rules (the release's `search_space.RecepieGenerator`, as the benchmark's notebook ran
it with H in {1, 2, 3} and a budget of H + {7, 14, 21} intermediate vertices): while fewer nodes
than the budget exist, draw linear / blend / elementwise_prod / elementwise_sum with weights
3:1:1:1. A linear reads 2 (p 0.8) or 3 distinct nodes among x, the h_prev and the activation
nodes so far, and is always followed by an activation node (tanh / sigm / leaky_relu, equally
likely) reading it alone, so the budget may be overshot by one. Blend (3) and elementwise (2)
read distinct nodes among the h_prev and all nodes so far, never x. Then H distinct nodes become
h_new_0..h_new_{H-1}, nodes that feed no output are removed, and the cell is rejected unless x
and every h_prev_k are read and no h_new reads an h_prev directly. `sample` runs exactly this
(H and the budget uniform over the grid). A cell is *generatable* (`info`; what `mutate` and
`neighbors` keep to) if it obeys these rules: linear reads only inputs and activations; an
activation reads one linear and no two read the same one; blend/elementwise never read x; no
h_new reads an h_prev; and it has at most H + 22 nodes counting, for each linear without its
activation, the removed activation (H + 22 itself needs a linear+activation pair that can come
last). The three hand-written examples are not generatable.

Moves (`neighbors`; `mutate` draws one at random): (a) an activation to another activation,
elementwise_prod <-> elementwise_sum (NASLib's op mutation); (b) one input of one node rewired to
another node or input, removing nodes that then feed no output; (c) one input u of a non-
activation node replaced by a new activation(linear(u, c)) pair, c an input or activation (so
cells can grow). Results must be generatable and differ from the start.

NASLib compact form (`to_suite_zero` / `from_suite_zero`; NASLib's NLP data pickle is keyed by
it): ``(edges, ops, hiddens)`` of NASLib's `conversions.py` - nodes x, h_prev_0, h_prev_1, h_prev_2
(always 4), then the cell's; op indices into `COMPACT_OPS` (0 for the four inputs). Keys computed
from raw recipes depend on their key and input order; `from_suite_zero` accepts any and returns
the canonical cell; `recipe_to_compact` reproduces NASLib's key of a raw recipe exactly.

Encodings (NASLib `encodings.py` `encode_adj`, applied to `to_suite_zero`'s compact form, padded
to MAX_INDEX = 28, the last node index of the largest cell: 4 inputs + 25 nodes; NASLib itself
pads to 12 for its surrogate and to 25 in `encode()`, sizes some WikiText-2 cells exceed):
- ``adjacency`` (873): the 29x29 adjacency flattened row-major with the last node moved to index
  28, then 29 op indices (the last node's at 28, zeros between), then the 3 hidden-node indices
  (zero-padded). NASLib's ``adjacency_mix``.
- ``adjacency_one_hot`` (1102): the same adjacency, then per position a one-hot over the 8
  `COMPACT_OPS` and a hidden flag; as in NASLib the flag is also set at the first padding
  position when the last node is a hidden one.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
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
from search_spaces.nlp_spec import (  # noqa: F401  (re-exported)
    ACTIVATIONS,
    BASE,
    COMPACT_OPS,
    ELEMENTWISE,
    MAX_HIDDEN,
    MAX_NODES,
    OPS,
    NLPArch,
    Node,
    arch_to_compact,
    canonical_arch,
    check_recipe,
    compact_order,
    compact_to_recipe,
    hidden_index,
    parse_recipe,
    recipe_to_compact,
)

WIKITEXT2_VOCAB = 33_278
MAX_INDEX = len(BASE) + MAX_NODES - 1  # 28
_N = MAX_INDEX + 1
GRAPH_LABELS: tuple[str, ...] = (*BASE, *OPS)  # then 3 columns flag h_new_0..2
# the generator's main ops and weights 3:1:1:1
_MAIN = ("linear", "blend", "elementwise_prod", "elementwise_sum")
_MAIN_P = (3 / 6, 1 / 6, 1 / 6, 1 / 6)
_BUDGETS, _MAX_BUDGET = (7, 14, 21), 21


def _generate(rng: np.random.Generator, num_hidden: int, budget: int) -> dict | None:
    """One run of the release's generator; the recipe, or None where its sanity check fails."""
    base = ["x", *(f"h_prev_{k}" for k in range(num_hidden))]
    recipe: dict[str, dict[str, Any]] = {}
    acts: list[str] = []
    i = 0
    while i < num_hidden + budget:
        op = str(rng.choice(_MAIN, p=_MAIN_P))
        if op == "linear":
            cands = base + acts
            k = min(int(rng.choice((2, 3), p=(0.8, 0.2))), len(cands))
            recipe[f"node_{i}"] = {"op": op, "input": [str(c) for c in
                                                      rng.choice(cands, k, replace=False)]}
            recipe[f"node_{i + 1}"] = {"op": str(rng.choice(ACTIVATIONS)), "input": [f"node_{i}"]}
            acts.append(f"node_{i + 1}")
            i += 2
        else:
            k = 3 if op == "blend" else 2
            cands = base[1:] + list(recipe)
            if k <= len(cands):
                recipe[f"node_{i}"] = {"op": op, "input": [str(c) for c in
                                                          rng.choice(cands, k, replace=False)]}
                i += 1
    chosen = [str(c) for c in rng.choice(list(recipe), num_hidden, replace=False)]
    rename = {c: f"h_new_{k}" for k, c in enumerate(chosen)}
    for c in chosen:
        recipe[rename[c]] = recipe.pop(c)
    for spec in recipe.values():
        spec["input"] = [rename.get(x, x) for x in spec["input"]]
    keep = _feeding(recipe, [f"h_new_{k}" for k in range(num_hidden)])
    recipe = {n: s for n, s in recipe.items() if n in keep}
    if not set(base) <= keep or any(set(recipe[f"h_new_{k}"]["input"]) & set(base[1:])
                                    for k in range(num_hidden)):
        return None
    return recipe


def _feeding(recipe: dict[str, dict[str, Any]], roots: list[str]) -> set[str]:
    """`roots` and everything they read, transitively (inputs included)."""
    seen, stack = set(roots), list(roots)
    while stack:
        for i in recipe.get(stack.pop(), {}).get("input", ()):
            if i not in seen:
                seen.add(i)
                stack.append(i)
    return seen



def generatable_problem(nodes: tuple[Node, ...] | list[Node]) -> str | None:
    """Why valid `nodes` break the generation rules (module docstring), or None."""
    ops = {n: op for n, op, _ in nodes}
    num_hidden = sum(hidden_index(n) is not None for n in ops)
    inputs = {"x", *(f"h_prev_{k}" for k in range(num_hidden))}
    readers: dict[str, list[str]] = {}
    for name, op, ins in nodes:
        for i in ins:
            readers.setdefault(i, []).append(name)
        if op == "linear" and any(i not in inputs and ops[i] not in ACTIVATIONS for i in ins):
            return f"linear {name!r} reads a node that is not an activation"
        if op in ACTIVATIONS and ops.get(ins[0]) != "linear":
            return f"activation {name!r} does not read a linear"
        if op not in ACTIVATIONS and op != "linear" and "x" in ins:
            return f"{op} {name!r} reads x"
        if hidden_index(name) is not None and any(i.startswith("h_prev_") for i in ins):
            return f"output {name!r} reads an h_prev directly"
    linears = [n for n, op in ops.items() if op == "linear"]
    companion = {n: [r for r in readers.get(n, []) if ops[r] in ACTIVATIONS] for n in linears}
    if any(len(c) > 1 for c in companion.values()):
        return "two activations read the same linear"
    size = len(nodes) + sum(not c for c in companion.values())
    limit = num_hidden + _MAX_BUDGET
    if size > limit + 1 or (size == limit + 1 and not any(
            all(r in c for r in readers.get(n, [])) and not any(readers.get(a) for a in c)
            for n, c in companion.items())):
        return f"{size} nodes to generate, at most {num_hidden} + {_MAX_BUDGET} (+1) allowed"
    return None


def _try(nodes: list[Node]) -> NLPArch | None:
    """The canonical arch of edited nodes after removing nodes that feed no output, if it is
    valid and generatable."""
    recipe = {n: {"op": op, "input": list(ins)} for n, op, ins in nodes}
    if any(i not in recipe and i not in BASE for _, _, ins in nodes for i in ins):
        return None
    num_hidden = sum(hidden_index(n) is not None for n in recipe)
    keep = _feeding(recipe, [f"h_new_{k}" for k in range(num_hidden)])
    recipe = {n: s for n, s in recipe.items() if n in keep}
    checked, _ = check_recipe(recipe)
    if checked is None or generatable_problem(checked) is not None:
        return None
    return canonical_arch(checked)


def _moves(a: NLPArch) -> list[list[Node]]:
    """Every single-step edit of `a` (module docstring), unchecked."""
    nodes = list(a.nodes)
    names = [n for n, _, _ in nodes]
    acts = [n for n, op, _ in nodes if op in ACTIVATIONS]
    inputs = ["x", *(f"h_prev_{k}" for k in range(a.num_hidden))]
    out: list[list[Node]] = []

    def edit(v: int, node: Node, *extra: Node) -> list[Node]:
        return [*nodes[:v], *extra, node, *nodes[v + 1:]]

    for v, (name, op, ins) in enumerate(nodes):
        group = ACTIVATIONS if op in ACTIVATIONS else ELEMENTWISE if op in ELEMENTWISE else ()
        out += [edit(v, (name, new, ins)) for new in group if new != op]
        for s, u in enumerate(ins):
            for w in [*inputs, *names]:
                if w != name and w not in ins:
                    out.append(edit(v, (name, op, (*ins[:s], w, *ins[s + 1:]))))
            if op in ACTIVATIONS:
                continue
            lin, act = f"new_{len(nodes)}", f"new_{len(nodes) + 1}"
            for c in [*inputs, *acts]:
                if c != u and c != name:
                    for f in ACTIVATIONS:
                        out.append(edit(v, (name, op, (*ins[:s], act, *ins[s + 1:])),
                                        (lin, "linear", (u, c)), (act, f, (lin,))))
    return out


@lru_cache(maxsize=2048)
def _neighbors(a: NLPArch) -> tuple[NLPArch, ...]:
    found: dict[NLPArch, None] = {}
    for nodes in _moves(a):
        b = _try(nodes)
        if b is not None and b != a:
            found[b] = None
    return tuple(found)


def num_params(arch: NLPArch, num_classes: int = WIKITEXT2_VOCAB, emsize: int = 400,
               nhid: int = 600, nlayers: int = 3, tie_weights: bool = True, **_: Any) -> int:
    """Parameters of the language model, counted without building it (tied weights once)."""
    sizes = [nhid] * nlayers
    if tie_weights:
        sizes[-1] = emsize
    total = num_classes * emsize + num_classes + (0 if tie_weights else num_classes * sizes[-1])
    for layer, hid in enumerate(sizes):
        x = emsize if layer == 0 else nhid
        total += sum(hid * sum(x if i == "x" else hid for i in ins) + hid
                     for _, op, ins in arch.nodes if op == "linear")
    return total


@register_search_space
class NLPSpace(SearchSpace):
    name = "nlp"
    input_kind = "tokens"
    default_num_classes = WIKITEXT2_VOCAB
    ops = OPS
    encodings = {"adjacency": _N * _N + _N + MAX_HIDDEN, "adjacency_one_hot": _N * _N + _N * 9}
    _DROPOUTS = {"dropout": 0.1, "dropouth": 0.25, "dropouti": 0.4, "dropoute": 0.0, "wdrop": 0.1}
    presets = {
        "official": ({"emsize": 400, "nhid": 600, "nlayers": 3, "tie_weights": True, **_DROPOUTS},
                     "NAS-Bench-NLP model: embedding 400, 3 layers of hidden 600, tied decoder"),
        "small": ({"emsize": 32, "nhid": 32, "nlayers": 2, "tie_weights": True, **_DROPOUTS},
                  "CPU preset: embedding 32, 2 layers of hidden 32, tied decoder"),
    }

    def _arch(self, arch: Any) -> NLPArch:
        a = self._check(arch)
        assert isinstance(a, NLPArch)
        return a

    # -- text ------------------------------------------------------------------------------
    def parse(self, text: str | Mapping[str, Any]) -> NLPArch:
        """Recipe JSON text (or a decoded recipe: any names, key and input order)."""
        return parse_recipe(text)

    def format(self, arch: Arch) -> str:
        return self._arch(arch).text

    # -- exploring -------------------------------------------------------------------------
    def _sample(self, rng: np.random.Generator) -> NLPArch:
        """The release's generator (module docstring), H and budget uniform over its grid."""
        num_hidden = int(rng.integers(1, MAX_HIDDEN + 1))
        budget = int(rng.choice(_BUDGETS))
        while True:
            recipe = _generate(rng, num_hidden, budget)
            if recipe is not None:
                return parse_recipe(recipe)

    def _mutate(self, arch: Arch, rng: np.random.Generator) -> NLPArch:
        """One random move (module docstring) that gives a different generatable cell."""
        a = self._arch(arch)
        moves = _moves(a)
        for k in rng.permutation(len(moves)):
            b = _try(moves[int(k)])
            if b is not None and b != a:
                return b
        raise InvalidArchError(f"no generatable cell is one move from {a.text!r}")

    def neighbors(self, arch: Arch | str) -> list[Arch]:
        return list(_neighbors(self._arch(arch)))

    # -- encodings -------------------------------------------------------------------------
    def encode(self, arch: Arch, kind: str = "adjacency_one_hot") -> np.ndarray:
        self._check_kind(kind)
        edges, ops, hiddens = arch_to_compact(self._arch(arch))
        last = len(ops) - 1
        pos = [*range(last), MAX_INDEX]  # NASLib moves the last node to the end
        adj = np.zeros((_N, _N), dtype=np.float32)
        for a, b in edges:
            adj[pos[a], pos[b]] = 1.0
        cat = [*ops[:-1], *[0] * (MAX_INDEX - last), ops[-1]]
        if kind == "adjacency":
            hid = [*hiddens, *[0] * (MAX_HIDDEN - len(hiddens))]
            return np.concatenate([adj.reshape(-1), np.array(cat + hid, dtype=np.float32)])
        onehot = np.zeros((_N, 9), dtype=np.float32)
        for i, op in enumerate(cat):
            onehot[i, op] = 1.0
            onehot[i, 8] = float(i in hiddens or (i == MAX_INDEX and last in hiddens))
        return np.concatenate([adj.reshape(-1), onehot.reshape(-1)])

    def graph(self, arch: Arch) -> tuple[np.ndarray, np.ndarray]:
        """(adjacency [29, 29] in `to_suite_zero` order, zero-padded; features [29, 14]: a one-hot
        over `GRAPH_LABELS` (x, h_prev_0..2, the 7 ops; none for unused h_prev and padding),
        then flags for h_new_0..2)."""
        a = self._arch(arch)
        edges, ops, _ = arch_to_compact(a)
        adj = np.zeros((_N, _N), dtype=np.float32)
        for u, v in edges:
            adj[u, v] = 1.0
        features = np.zeros((_N, len(GRAPH_LABELS) + MAX_HIDDEN), dtype=np.float32)
        for k in range(1 + a.num_hidden):
            features[k, k] = 1.0
        names = [*BASE, *compact_order(a)]
        for i in range(len(BASE), len(ops)):
            features[i, GRAPH_LABELS.index(COMPACT_OPS[ops[i]])] = 1.0
            out = hidden_index(names[i])
            if out is not None:
                features[i, len(GRAPH_LABELS) + out] = 1.0
        return adj, features

    # -- NASLib compact keys ---------------------------------------------------------------
    def from_suite_zero(self, key: str | tuple) -> NLPArch:
        """A NASLib compact key (its text or the tuple), in any node and input order."""
        what = f"invalid NLP compact key {str(key)[:80]!r}"
        form = "expected (edges [(from, to), ...], ops [8 kinds], hidden node indices)"
        try:
            value = ast.literal_eval(key) if isinstance(key, str) else key
            pairs = [tuple(e) for e in value[0]]
            if len(value) != 3 or any(len(e) != 2 for e in pairs) or not all(
                    is_int(v) for v in [*(v for e in pairs for v in e), *value[1], *value[2]]):
                raise ValueError  # floats or bools are not silently read as indices
            edges = [(int(a), int(b)) for a, b in pairs]
            ops, hiddens = [int(o) for o in value[1]], [int(h) for h in value[2]]
        except (ValueError, TypeError, SyntaxError, IndexError, MemoryError, RecursionError):
            raise InvalidArchError(f"{what}: {form}") from None
        n = len(ops)
        if (not edges or n <= len(BASE) or ops[:len(BASE)] != [0] * len(BASE)
                or any(not 1 <= o < len(COMPACT_OPS) for o in ops[len(BASE):])
                or any(not 0 <= a < n or not len(BASE) <= b < n for a, b in edges)
                or max(max(e) for e in edges) != n - 1
                or any(not len(BASE) <= h < n for h in hiddens)):
            raise InvalidArchError(f"{what}: edges must join nodes 0..{n - 1} (0-3 the inputs, op "
                                   f"0), ops must be 1..7 after the inputs; {form}")
        recipe = compact_to_recipe((tuple(edges), tuple(ops), tuple(hiddens)))
        nodes, why = check_recipe(recipe)
        if nodes is None:
            raise InvalidArchError(f"{what}: {why}")
        return canonical_arch(nodes)

    def to_suite_zero(self, arch: Arch) -> str:
        return str(arch_to_compact(self._arch(arch)))

    # -- facts and networks ------------------------------------------------------------------
    def info(self, arch: Arch | str) -> dict[str, Any]:
        a = self._arch(arch)
        why = generatable_problem(a.nodes)
        return {
            "num_nodes": a.num_nodes,
            "num_hidden": a.num_hidden,
            **{f"n_{op}": sum(int(o == op) for _, o, _ in a.nodes) for op in OPS},
            "num_linear_inputs": sum(len(ins) for _, op, ins in a.nodes if op == "linear"),
            "generatable": why is None,
            **({} if why is None else {"not_generatable": why}),
            "num_params_wikitext2": num_params(a),
            "compact": self.to_suite_zero(a),
        }

    def build_network(self, arch: Arch | str, num_classes: int | None = None,
                      preset: str = "official", **overrides: Any):
        """The release's language model; `num_classes` is the vocabulary (WikiText-2's 33,278)."""
        return super().build_network(self._arch(arch), num_classes, preset, **overrides)

    def _build_network(self, arch: Arch, num_classes: int, **params: Any):
        from search_spaces.nlp_network import NLPModel

        assert isinstance(arch, NLPArch)
        return NLPModel(arch.nodes, num_classes, **params)

