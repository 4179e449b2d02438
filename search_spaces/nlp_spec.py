"""NAS-Bench-NLP recipes: validation, the canonical labelling and text form, and NASLib's compact
`(edges, ops, hiddens)` form. `search_spaces/nlp.py` documents the space as a whole.

A recipe maps node names to ``{"op": ..., "input": [...]}``; inputs are ``x``, ``h_prev_k`` or
other nodes; the outputs are the nodes ``h_new_0 .. h_new_{H-1}``. Only the graph matters, not the
names of the other nodes, nor the input order of `linear` (a sum of one matrix product per input
plus one bias: permuting inputs permutes the weights) and of the two-input elementwise ops; the
order of `blend`'s inputs (gate, a, b -> gate*a + (1-gate)*b) matters. The canonical form renames
the other nodes ``node_0, node_1, ...`` by a canonical labelling (colour refinement, then
individualisation of tied nodes, keeping the smallest text), so isomorphic cells share one text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from search_spaces.base import Arch, InvalidArchError

OPS: tuple[str, ...] = ("linear", "blend", "elementwise_prod", "elementwise_sum",
                        "activation_tanh", "activation_sigm", "activation_leaky_relu")
ACTIVATIONS: tuple[str, ...] = OPS[4:]
ELEMENTWISE: tuple[str, ...] = OPS[2:4]
#: inputs each op takes (the release's generator; `linear` takes 2 or 3)
ARITY: dict[str, tuple[int, ...]] = {"linear": (2, 3), "blend": (3,), "elementwise_prod": (2,),
                                     "elementwise_sum": (2,), **{a: (1,) for a in ACTIVATIONS}}
ORDERED_OPS = frozenset({"blend"})  # the only op whose input order changes the cell
MAX_HIDDEN = 3
#: most nodes in a cell: the generator's largest budget, 3 hidden + 21 intermediate vertices,
#: plus the one node a final linear+activation pair may overshoot it by
MAX_NODES = 25
BASE: tuple[str, ...] = ("x", *(f"h_prev_{k}" for k in range(MAX_HIDDEN)))
#: NASLib `conversions.py` op indices (0 marks the four base nodes)
COMPACT_OPS: tuple[str, ...] = ("in", "activation_sigm", "activation_tanh",
                                "activation_leaky_relu", "elementwise_sum", "elementwise_prod",
                                "linear", "blend")
_HNEW = re.compile(r"^h_new_(\d+)$")
_FORM = ('a JSON object {name: {"op": op, "input": [names]}} over inputs x, h_prev_k and other '
         'nodes, with outputs h_new_0..h_new_{H-1} (H <= 3), e.g. {"f": {"op": "linear", '
         '"input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["f"]}}')

Node = tuple[str, str, tuple[str, ...]]  # (name, op, inputs)
Compact = tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...]]


def hidden_index(name: str) -> int | None:
    m = _HNEW.match(name)
    return int(m.group(1)) if m else None


@dataclass(frozen=True, repr=False)
class NLPArch(Arch):
    """A canonically labelled NAS-Bench-NLP cell; build it with `NLPSpace.parse` or
    `canonical_arch`, not the raw constructor. `nodes` lists (name, op, inputs) in a canonical
    topological order; equal iff the cells are isomorphic."""

    nodes: tuple[Node, ...]
    space: ClassVar[str] = "nlp"

    def __str__(self) -> str:  # independent of the registry: the space may be unregistered
        return self.text

    @cached_property
    def text(self) -> str:
        return json.dumps(self.recipe, sort_keys=True, separators=(",", ":"))

    @property
    def recipe(self) -> dict[str, dict[str, Any]]:
        return {name: {"op": op, "input": list(ins)} for name, op, ins in self.nodes}

    @property
    def num_hidden(self) -> int:
        return sum(hidden_index(name) is not None for name, _, _ in self.nodes)

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)


def _bad(text: Any, why: str) -> InvalidArchError:
    shown = text if isinstance(text, str) else json.dumps(text, default=str)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return InvalidArchError(f"invalid NLP recipe {shown!r}: {why}; expected {_FORM}")


def parse_recipe(text: Any) -> NLPArch:
    """Recipe JSON text (or an already decoded mapping) -> canonical arch; InvalidArchError."""
    if isinstance(text, str):
        try:
            recipe = json.loads(text)
        except ValueError as e:
            raise _bad(text, f"not JSON ({str(e).splitlines()[0]})") from None
    else:
        recipe = text
    nodes, why = check_recipe(recipe)
    if nodes is None:
        raise _bad(text, why or "invalid")
    return canonical_arch(nodes)


def check_recipe(recipe: Any) -> tuple[list[Node] | None, str | None]:
    """Validate a decoded recipe: (nodes in the given order, None) or (None, why)."""
    if not isinstance(recipe, Mapping) or not recipe:
        return None, "not a non-empty JSON object"
    if len(recipe) > MAX_NODES:
        return None, f"{len(recipe)} nodes, at most {MAX_NODES} allowed"
    nodes: list[Node] = []
    for name, spec in recipe.items():
        if not isinstance(name, str) or name in BASE or name.startswith("h_prev"):
            return None, f"node name {name!r} is reserved for an input"
        if (not isinstance(spec, Mapping) or not isinstance(spec.get("op"), str)
                or not isinstance(spec.get("input"), (list, tuple))
                or not all(isinstance(i, str) for i in spec["input"])):
            return None, f"node {name!r} must be {{\"op\": str, \"input\": [str, ...]}}"
        op, ins = spec["op"], tuple(spec["input"])
        if op not in ARITY:
            return None, f"node {name!r} has unknown op {op!r} (ops: {', '.join(OPS)})"
        if len(ins) not in ARITY[op]:
            want = " or ".join(map(str, ARITY[op]))
            return None, f"node {name!r}: {op} takes {want} inputs, got {len(ins)}"
        if len(set(ins)) != len(ins):
            return None, f"node {name!r} reads the same input twice"
        k = hidden_index(name)
        if k is not None and name != f"h_new_{k}":
            return None, f"output name {name!r} must be written h_new_{k}"
        nodes.append((name, op, ins))
    hidden = sorted(k for k in (hidden_index(n) for n, _, _ in nodes) if k is not None)
    num_hidden = len(hidden)
    if not 1 <= num_hidden <= MAX_HIDDEN or hidden != list(range(num_hidden)):
        return None, (f"the outputs must be h_new_0..h_new_{{H-1}} with 1 <= H <= {MAX_HIDDEN}, "
                      f"got {[f'h_new_{k}' for k in hidden]}")
    inputs = ("x", *(f"h_prev_{k}" for k in range(num_hidden)))
    names = {n for n, _, _ in nodes}
    for name, _, ins in nodes:
        for i in ins:
            if i not in names and i not in inputs:
                return None, (f"node {name!r} reads {i!r}, which is neither a node nor an input "
                              f"({', '.join(inputs)} for {num_hidden} hidden state(s))")
    if _topological(nodes) is None:
        return None, "the graph has a cycle"
    feeds = _ancestors(nodes, [f"h_new_{k}" for k in range(num_hidden)])
    dead = [n for n, _, _ in nodes if n not in feeds]
    if dead:
        return None, f"node {dead[0]!r} feeds no h_new output"
    unread = [i for i in inputs if i not in feeds]
    if unread:
        return None, f"input {unread[0]!r} is never read"
    return nodes, None


def _topological(nodes: Sequence[Node]) -> list[str] | None:
    """Kahn's order of the node names (inputs first), or None if there is a cycle."""
    spec = {n: ins for n, _, ins in nodes}
    done: set[str] = set()
    order: list[str] = []
    left = [n for n, _, _ in nodes]
    while left:
        ready = [n for n in left if all(i in done or i not in spec for i in spec[n])]
        if not ready:
            return None
        for n in ready:
            done.add(n)
            order.append(n)
        left = [n for n in left if n not in done]
    return order


def _ancestors(nodes: Sequence[Node], roots: Sequence[str]) -> set[str]:
    """`roots` and everything they read, transitively (inputs included)."""
    spec = {n: ins for n, _, ins in nodes}
    seen, stack = set(roots), list(roots)
    while stack:
        for i in spec.get(stack.pop(), ()):
            if i not in seen:
                seen.add(i)
                stack.append(i)
    return seen


# -- canonical labelling --------------------------------------------------------------------------
def _h(*parts: Any) -> str:
    return hashlib.md5(repr(parts).encode()).hexdigest()


def _refine(nodes: Sequence[Node], colour: dict[str, str]) -> dict[str, str]:
    """Colour refinement to a stable partition: a node's colour gathers its op, its inputs'
    colours (as a multiset unless the op is ordered) and its consumers' colours and slots."""
    consumers: dict[str, list[tuple[str, int]]] = {}
    for name, op, ins in nodes:
        for slot, i in enumerate(ins):
            consumers.setdefault(i, []).append((name, slot if op in ORDERED_OPS else -1))
    ops = {n: op for n, op, _ in nodes}
    ins_of = {n: ins for n, _, ins in nodes}
    classes = len(set(colour.values()))
    while True:
        new = {}
        for v, c in colour.items():
            in_colours = [colour[i] for i in ins_of.get(v, ())]
            if ops.get(v) not in ORDERED_OPS:
                in_colours.sort()
            outs = sorted((colour[w], slot) for w, slot in consumers.get(v, ()))
            new[v] = _h(c, in_colours, outs)
        n_new = len(set(new.values()))
        colour = new
        if n_new == classes:
            return colour
        classes = n_new


def _leaf(nodes: Sequence[Node], colour: dict[str, str]) -> tuple[str, tuple[Node, ...]]:
    """Names and order from a discrete colouring: Kahn's order taking the smallest colour among
    the ready nodes; non-output nodes are named node_0, node_1, ... in that order."""
    spec = {n: (op, ins) for n, op, ins in nodes}
    rename = {b: b for b in BASE}
    order: list[str] = []
    left = set(spec)
    while left:
        v = min((n for n in left if all(i in rename for i in spec[n][1])), key=colour.__getitem__)
        rename[v] = v if hidden_index(v) is not None else f"node_{len(order) - _n_hidden(order)}"
        order.append(v)
        left.remove(v)
    out: list[Node] = []
    for v in order:
        op, ins = spec[v]
        new_ins = [rename[i] for i in ins]
        out.append((rename[v], op, tuple(new_ins if op in ORDERED_OPS else sorted(new_ins))))
    recipe = {n: {"op": op, "input": list(ins)} for n, op, ins in out}
    return json.dumps(recipe, sort_keys=True, separators=(",", ":")), tuple(out)


def _n_hidden(names: Sequence[str]) -> int:
    return sum(hidden_index(n) is not None for n in names)


def canonical_arch(nodes: Sequence[Node]) -> NLPArch:
    """The canonical arch of validated nodes (see the module docstring)."""
    colour = {b: _h("in", b) for b in BASE}
    colour.update({n: _h(op, hidden_index(n)) for n, op, _ in nodes})
    best: tuple[str, tuple[Node, ...]] | None = None

    def search(colour: dict[str, str]) -> None:
        nonlocal best
        colour = _refine(nodes, colour)
        groups: dict[str, list[str]] = {}
        for n, _, _ in nodes:
            groups.setdefault(colour[n], []).append(n)
        tied = [g for c, g in sorted(groups.items()) if len(g) > 1]
        if not tied:
            leaf = _leaf(nodes, colour)
            if best is None or leaf[0] < best[0]:
                best = leaf
            return
        for v in tied[0]:  # individualise each member of the first tied class in turn
            search({**colour, v: _h(colour[v], "*")})

    search(colour)
    assert best is not None
    return NLPArch(best[1])


# -- NASLib's compact form ---------------------------------------------------------------------
def recipe_to_compact(recipe: Mapping[str, Mapping[str, Any]]) -> Compact:
    """NASLib `convert_recipe_to_compact`, exactly: nodes numbered x, h_prev_0..2, then the
    recipe's keys in order, except that a node met before one of its inputs is moved to the end
    and the walk restarts; edges per node in input order; `hiddens` are the nodes whose name
    contains 'h_new'. Depends on the key and input order; the recipe must be acyclic."""
    return _compact(recipe, _naslib_order(recipe))


def _naslib_order(recipe: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The key order NASLib's walk ends with (every node after its inputs)."""
    keys = list(recipe)
    while True:
        seen = set(BASE)
        for name in keys:
            seen.add(name)  # NASLib lists a node before looking at its inputs
            if any(p not in seen for p in recipe[name]["input"]):
                keys.remove(name)
                keys.append(name)
                break
        else:
            return keys


def _compact(recipe: Mapping[str, Mapping[str, Any]], order: Sequence[str]) -> Compact:
    index = {name: i for i, name in enumerate([*BASE, *order])}
    edges = tuple((index[p], index[n]) for n in order for p in recipe[n]["input"])
    ops = (0,) * len(BASE) + tuple(COMPACT_OPS.index(recipe[n]["op"]) for n in order)
    return edges, ops, tuple(index[n] for n in order if "h_new" in n)


def compact_to_recipe(compact: Compact) -> dict[str, dict[str, Any]]:
    """NASLib `convert_compact_to_recipe`, exactly: nodes 4.. are named h_new_0, h_new_1, ... in
    index order if listed in `hiddens`, else node_0, node_1, ...; inputs in edge order."""
    edges, ops, hiddens = compact
    last = max(max(e) for e in edges)
    names = list(BASE)
    n_hidden = n_other = 0
    for i in range(len(BASE), last + 1):
        if i in hiddens:
            names.append(f"h_new_{n_hidden}")
            n_hidden += 1
        else:
            names.append(f"node_{n_other}")
            n_other += 1
    return {names[i]: {"op": COMPACT_OPS[ops[i]],
                       "input": [names[a] for a, b in edges if b == i]}
            for i in range(len(BASE), len(names))}


def compact_order(arch: NLPArch) -> list[str]:
    """The node names in `arch_to_compact`'s numbering (after x, h_prev_0..2): NASLib's walk over
    the canonical nodes listed node_0, node_1, ... then h_new_0, h_new_1, ... (the generator's
    own key order). Where that walk would number a later h_new before an earlier one (an output
    reading a later output), NASLib would swap them on the way back, so then the listing itself
    is the numbering (not topological; NASLib's decoding does not need it to be)."""
    listing = [n for n, _, _ in sorted(
        arch.nodes, key=lambda n: (hidden_index(n[0]) is not None, int(n[0].rsplit("_", 1)[1])))]
    recipe = arch.recipe  # canonical names: only the outputs contain 'h_new'
    order = _naslib_order({n: recipe[n] for n in listing})
    outputs = [n for n in order if hidden_index(n) is not None]
    return order if outputs == sorted(outputs, key=lambda n: hidden_index(n) or 0) else listing


def arch_to_compact(arch: NLPArch) -> Compact:
    """A compact form of `arch` that `compact_to_recipe` maps back to the same cell."""
    return _compact(arch.recipe, compact_order(arch))
