"""NAS-Bench-NLP space: canonical text, validation, generator, moves, encodings, NASLib compact
keys, and the language model's exact parameter counts against the 345 WikiText-2 logs."""

from __future__ import annotations

import json
import random
import zipfile

import numpy as np
import pytest
import torch
from _real_data import SHARED

from search_spaces.base import InvalidArchError
from search_spaces.nlp import (
    WIKITEXT2_VOCAB,
    NLPArch,
    NLPSpace,
    generatable_problem,
    num_params,
    recipe_to_compact,
)

SPACE = NLPSpace()
LOGS = SHARED / "nasbench_nlp_wikitext2_logs.zip"
needs_logs = pytest.mark.skipif(not LOGS.is_file(), reason=f"{LOGS} is absent")
RNN = '{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", ' \
      '"input": ["f"]}}'


@pytest.fixture(scope="module")
def logs() -> list[dict]:
    with zipfile.ZipFile(LOGS) as z:
        return [json.loads(z.read(n)) for n in sorted(z.namelist()) if n.endswith(".json")]


@pytest.fixture(scope="module")
def samples() -> list:
    rng = np.random.default_rng(0)
    return [SPACE.sample(rng) for _ in range(200)]


def _cell_params(recipe: dict, emsize: int, nhid: int, nlayers: int) -> int:
    """Cell parameters of the tied model, from the release's MultiLinear shapes."""
    total = 0
    for layer in range(nlayers):
        x, hid = (emsize if layer == 0 else nhid), (emsize if layer == nlayers - 1 else nhid)
        for spec in recipe.values():
            if spec["op"] == "linear":
                total += hid * sum(x if i == "x" else hid for i in spec["input"]) + hid
    return total


def _naslib_compact(recipe: dict):
    """NASLib's recursive convert_recipe_to_compact, transcribed independently of the space."""
    nodes, ops, edges, hiddens = ["x", "h_prev_0", "h_prev_1", "h_prev_2"], [0] * 4, [], []
    op_dict = ["in", "activation_sigm", "activation_tanh", "activation_leaky_relu",
               "elementwise_sum", "elementwise_prod", "linear", "blend"]
    for node in recipe:
        nodes.append(node)
        ops.append(op_dict.index(recipe[node]["op"]))
        if "h_new" in node:
            hiddens.append(len(nodes) - 1)
        for parent in recipe[node]["input"]:
            if parent not in nodes:
                moved = {k: v for k, v in recipe.items() if k != node}
                moved[node] = recipe[node]
                return _naslib_compact(moved)
            edges.append((nodes.index(parent), len(nodes) - 1))
    return (tuple(edges), tuple(ops), tuple(hiddens)), nodes


@needs_logs
def test_logs_round_trip_and_settings(logs):
    assert len(logs) == 345
    settings = {(d["emsize"], d["nhid"], d["nlayers"], d["tied"], d["dropout"], d["dropouth"],
                 d["dropouti"], d["dropoute"], d["wdrop"]) for d in logs}
    official = SPACE.preset_params("official")
    assert settings == {tuple(official[k] for k in ("emsize", "nhid", "nlayers", "tie_weights",
                                                     "dropout", "dropouth", "dropouti",
                                                     "dropoute", "wdrop"))}
    for d in logs:
        a = SPACE.parse(d["recepie"])
        text = SPACE.format(a)
        assert SPACE.parse(text) == a and SPACE.format(SPACE.parse(text)) == text == str(a)
        assert SPACE.parse(json.loads(d["recepie"])) == a  # decoded recipes too


@needs_logs
def test_vocabulary_from_logs(logs):
    # every log's count minus its cells' parameters is vocab * (emsize + 1): embedding + bias
    vocabs = {(d["num_params"] - _cell_params(json.loads(d["recepie"]), 400, 600, 3)) / 401
              for d in logs}
    assert vocabs == {WIKITEXT2_VOCAB}


@needs_logs
def test_exact_parameter_counts(logs):
    mismatches = []
    for d in logs:
        a = SPACE.parse(d["recepie"])
        with torch.device("meta"):
            model = SPACE.build_network(a)
        built = sum(p.numel() for p in model.parameters())
        if not built == num_params(a) == SPACE.info(a)["num_params_wikitext2"] == d["num_params"]:
            mismatches.append((d["recepie_id"], built, num_params(a), d["num_params"]))
    assert not mismatches, mismatches


@needs_logs
def test_forward_small_vocabulary(logs):
    torch.manual_seed(0)
    by_hidden: dict[int, NLPArch] = {}
    for d in logs:
        a = SPACE.parse(d["recepie"])
        by_hidden.setdefault(a.num_hidden, a)
    assert sorted(by_hidden) == [1, 2, 3]
    tokens = torch.randint(0, 50, (5, 2))
    for k, a in by_hidden.items():
        model = SPACE.build_network(a, num_classes=50, preset="small")
        model.train()
        logits, hidden = model(tokens)
        assert logits.shape == (5, 2, 50) and torch.isfinite(logits).all()
        assert len(hidden) == 2 and len(hidden[0]) == k
        assert all(h.shape == (2, 32) for h in hidden[0])
        logits.sum().backward()
        model.eval()
        again, _ = model(tokens, hidden)
        assert torch.isfinite(again).all()
    assert SPACE.build_network(RNN, num_classes=7, preset="small", nlayers=1).decoder.weight \
        is not None
    with pytest.raises(ValueError, match="unknown network option"):
        SPACE.build_network(RNN, depth=3)


def test_canonical_form_ignores_names_and_commutative_order():
    a = SPACE.parse(RNN)
    renamed = {"zz": {"op": "linear", "input": ["h_prev_0", "x"]},
               "h_new_0": {"op": "activation_tanh", "input": ["zz"]}}
    assert SPACE.parse(json.dumps(renamed)) == a
    gate = {"l": {"op": "linear", "input": ["x", "h_prev_0"]},
            "g": {"op": "activation_sigm", "input": ["l"]},
            "h_new_0": {"op": "blend", "input": ["g", "h_prev_0", "l"]}}
    swapped = {**gate, "h_new_0": {"op": "blend", "input": ["g", "l", "h_prev_0"]}}
    assert SPACE.parse(gate) != SPACE.parse(swapped)  # blend's order matters


@needs_logs
def test_canonical_form_is_invariant(logs):
    rng = random.Random(0)
    for d in logs[::5]:
        recipe = json.loads(d["recepie"])
        names = [n for n in recipe if not n.startswith("h_new_")]
        new = {n: f"v{rng.random():.6f}" for n in names}
        keys = list(recipe)
        rng.shuffle(keys)
        shuffled = {}
        for k in keys:
            ins = [new.get(i, i) for i in recipe[k]["input"]]
            if recipe[k]["op"] != "blend":
                rng.shuffle(ins)
            shuffled[new.get(k, k)] = {"op": recipe[k]["op"], "input": ins}
        assert SPACE.parse(shuffled) == SPACE.parse(recipe), d["recepie_id"]


@needs_logs
def test_compact_keys(logs):
    lossless = 0
    for d in logs:
        recipe, a = json.loads(d["recepie"]), SPACE.parse(d["recepie"])
        key = SPACE.to_suite_zero(a)
        assert SPACE.from_suite_zero(key) == a == SPACE.from_suite_zero(eval(key))
        raw = recipe_to_compact(recipe)
        naslib, numbered = _naslib_compact(recipe)
        assert raw == naslib
        # NASLib's own decoding names outputs h_new_0, h_new_1, ... in index order (and counts
        # any name containing 'h_new' as an output), so a raw key gives back the cell exactly
        # when the names at its hidden indices are h_new_0, h_new_1, ... in order
        hidden_names = [numbered[i] for i in raw[2]]
        if hidden_names == [f"h_new_{k}" for k in range(len(hidden_names))]:
            assert SPACE.from_suite_zero(raw) == a, d["recepie_id"]
            lossless += 1
    assert 0 < lossless < len(logs)


def test_sample_follows_generator(samples):
    assert len({a.num_hidden for a in samples}) == 3
    for a in samples:
        assert generatable_problem(a.nodes) is None
        assert SPACE.parse(SPACE.format(a)) == a
        ops = dict((n, op) for n, op, _ in a.nodes)
        for name, op, ins in a.nodes:  # two rules checked here independently
            if op in ("blend", "elementwise_prod", "elementwise_sum"):
                assert "x" not in ins
            if op == "linear":
                assert all(i == "x" or i.startswith("h_prev_") or ops[i].startswith("activation")
                           for i in ins)
        assert a.num_nodes <= a.num_hidden + 22


def test_mutate_and_neighbors(samples):
    rng = np.random.default_rng(1)
    for a in samples:
        b = SPACE.mutate(a, rng)
        assert b != a and generatable_problem(b.nodes) is None and SPACE.parse(str(b)) == b
    for a in samples[:3]:
        nbrs = SPACE.neighbors(a)
        assert nbrs and len(set(nbrs)) == len(nbrs) and a not in nbrs
        for nb in nbrs:
            assert isinstance(nb, NLPArch) and generatable_problem(nb.nodes) is None
            assert SPACE.parse(str(nb)) == nb
        assert SPACE.mutate(a, rng) in nbrs


@needs_logs
def test_encodings_and_graph(logs, samples):
    archs = list({SPACE.parse(d["recepie"]): None for d in logs}) + samples
    assert SPACE.encodings == {"adjacency": 873, "adjacency_one_hot": 1102}
    for kind, length in SPACE.encodings.items():
        vecs: dict[bytes, set[NLPArch]] = {}
        for a in archs:
            v = SPACE.encode(a, kind)
            assert v.shape == (length,) and v.dtype == np.float32
            vecs.setdefault(v.tobytes(), set()).add(a)
        assert all(len(group) == 1 for group in vecs.values()), kind
    for a in archs[::7]:  # NASLib encode_adj, transcribed independently, max_nodes = 28
        edges, ops, hiddens = eval(SPACE.to_suite_zero(a))
        last = len(ops) - 1
        m = np.zeros((29, 29))
        for u, v in edges:
            m[28 if u == last else u, 28 if v == last else v] = 1
        cat = [*ops[:-1], *[0] * (28 - last), ops[-1]]
        mix = [*m.flatten(), *cat, *hiddens, *[0] * (3 - len(hiddens))]
        assert SPACE.encode(a, "adjacency").tolist() == mix
        hot = [float(op == k) for i, op in enumerate(cat) for k in range(8)]
        flags = [float(i in hiddens or (i == 28 and last in hiddens)) for i in range(29)]
        one_hot = [*m.flatten(), *[x for i in range(29) for x in (*hot[8 * i:8 * i + 8], flags[i])]]
        assert SPACE.encode(a, "adjacency_one_hot").tolist() == one_hot
    adj, feats = SPACE.graph(archs[0])
    assert adj.shape == (29, 29) and feats.shape == (29, 14)
    with pytest.raises(ValueError, match="unknown encoding"):
        SPACE.encode(archs[0], "path")


def test_info():
    info = SPACE.info(RNN)
    assert info["num_nodes"] == 2 and info["n_linear"] == 1 and info["generatable"]
    assert info["num_params_wikitext2"] == WIKITEXT2_VOCAB * 401 + 600 * 1000 + 600 \
        + 600 * 1200 + 600 + 400 * 1000 + 400


BAD = [
    ("not json", "not JSON"),
    ('[1, 2]', "not a non-empty JSON object"),
    ('{"h_new_0": {"op": "conv", "input": ["x"]}}', "unknown op"),
    ('{"h_new_0": {"op": "linear", "input": ["x", "nope"]}}', "neither a node nor an input"),
    ('{"a": {"op": "linear", "input": ["x", "b"]}, "b": {"op": "activation_tanh", '
     '"input": ["a"]}, "h_new_0": {"op": "elementwise_sum", "input": ["b", "h_prev_0"]}}', "cycle"),
    ('{"f": {"op": "linear", "input": ["x", "h_prev_0"]}}', "outputs must be h_new_0"),
    ('{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_1": {"op": "activation_tanh", '
     '"input": ["f"]}}', "outputs must be h_new_0"),
    ('{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "g": {"op": "activation_sigm", '
     '"input": ["f"]}, "h_new_0": {"op": "activation_tanh", "input": ["f"]}}', "feeds no h_new"),
    ('{"h_new_0": {"op": "elementwise_sum", "input": ["x"]}}', "takes 2 inputs"),
    ('{"h_new_0": {"op": "linear", "input": ["x", "x"]}}', "same input twice"),
    ('{"h_new_0": {"op": "linear", "input": ["x", "h_prev_1"]}}', "neither a node nor an input"),
    ('{"h_new_0": {"op": "linear", "input": ["h_prev_0", "h_prev_0"]}}', "same input twice"),
    ('{"f": {"op": "activation_tanh", "input": ["h_prev_0"]}, "h_new_0": {"op": "linear", '
     '"input": ["f", "h_prev_0"]}}', "'x' is never read"),
    ('{"x": {"op": "linear", "input": ["h_prev_0", "h_prev_1"]}}', "reserved"),
]


@pytest.mark.parametrize("text,why", BAD)
def test_malformed_recipes(text, why):
    with pytest.raises(InvalidArchError, match=why) as err:
        SPACE.parse(text)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("key", ["(1, 2", "((), (0, 0, 0, 0), ())",
                                 (((0, 4),), (0, 0, 0, 0, 9), (4,)),
                                 (((0, 4.5),), (0, 0, 0, 0, 6), (4,)),
                                 (((0, 4),), (0, 0, 0, 0, 6), (4,))])
def test_malformed_compact_keys(key):
    with pytest.raises(InvalidArchError) as err:
        SPACE.from_suite_zero(key)
    assert "\n" not in str(err.value)
