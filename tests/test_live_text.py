"""Live training of the token space (issue 16 item 4): the embedded synthtext task, corpus files
in the field's layouts, the language-model recipe and trainer, divergence, the live benchmark
and `predbench train --space nlp`."""

from __future__ import annotations

import hashlib
import math

import pytest
import torch
from typer.testing import CliRunner

from benchmarks import load_benchmark
from benchmarks import procedural_text as pt
from benchmarks.lm_training import batchify, train_language_model
from benchmarks.recipes import get_recipe
from benchmarks.text_data import TextData, load_text_dataset, read_corpus
from benchmarks.training import seed_everything, train_arch
from predbench.cli import app
from search_spaces import get_search_space

SPACE = get_search_space("nlp")
LSTM_LIKE = ('{"node_0": {"op": "linear", "input": ["x", "h_prev_0"]}, '
             '"node_1": {"op": "activation_sigm", "input": ["node_0"]}, '
             '"node_2": {"op": "linear", "input": ["x", "h_prev_0"]}, '
             '"node_3": {"op": "activation_tanh", "input": ["node_2"]}, '
             '"h_new_0": {"op": "blend", "input": ["node_1", "node_3", "h_prev_0"]}}')


def _tiny(data: TextData, n: int = 3000) -> TextData:
    return TextData(data.name, data.vocab_size, data.train[:n], data.val[:800], data.test[:800])


# -- the embedded task -----------------------------------------------------------------------
def test_synthtext_is_fixed_balanced_and_in_vocabulary() -> None:
    data = load_text_dataset()
    assert data.vocab_size == pt.VOCAB == 96
    sizes = {"train": data.train, "val": data.val, "test": data.test}
    for name, stream in sizes.items():
        assert pt.SPLIT_SIZES[name] <= stream.numel() < pt.SPLIT_SIZES[name] + 400
        assert int(stream[-1]) == pt.EOS and 0 <= int(stream.min()) and int(stream.max()) < 96
    # every sentence closes its brackets in order (a stack empties at each <eos>)
    stack: list[int] = []
    for tok in data.val.tolist():
        if 1 <= tok <= pt.BRACKET_TYPES:
            stack.append(tok)
        elif pt.BRACKET_TYPES < tok < pt.FIRST_WORD:
            assert stack and stack.pop() == tok - pt.BRACKET_TYPES
        elif tok == pt.EOS:
            assert not stack
    # the same bytes on every machine: a change to the generator must be deliberate
    digest = hashlib.sha256(data.train.numpy().tobytes()).hexdigest()[:16]
    assert digest == hashlib.sha256(pt.splits()["train"].tobytes()).hexdigest()[:16]
    assert data.train[:12].tolist() == [35, 58, 28, 21, 87, 18, 34, 18, 66, 61, 74, 35]


def test_token_batch_contract() -> None:
    data = load_text_dataset()
    x, y = data.batch(6, seed=3)
    assert x.shape == y.shape == (6, 35) and x.dtype == y.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one token
    x2, _ = data.batch(6, seed=3)
    assert torch.equal(x, x2) and not torch.equal(x, data.batch(6, seed=4)[0])
    with pytest.raises(ValueError, match="n >= 1"):
        data.batch(0, seed=0)


# -- corpus files ---------------------------------------------------------------------------
def _write_corpus(root, names=("train.txt", "valid.txt", "test.txt"), repeat: int = 30):
    root.mkdir(parents=True, exist_ok=True)
    lines = ["the cat sat on the mat", "a dog ran to the park", "the cat saw a dog"]
    texts = ["\n".join(lines * repeat) + "\n", "the dog sat on a mat\n" * 20,
             "a cat ran to the mat\n" * 20]
    for name, text in zip(names, texts):
        (root / name).write_text(text)
    return root


def test_corpus_tokenised_as_the_release(tmp_path) -> None:
    data = read_corpus("wikitext2", _write_corpus(tmp_path / "c"))
    words = "the cat sat on mat <eos> a dog ran to park saw".split()
    assert data.vocab_size == len(words)
    assert data.train[:7].tolist() == [0, 1, 2, 3, 0, 4, 5]  # first appearance, <eos> per line
    assert data.train.numel() == 3 * 30 * 7 - 30  # (6 + 7 + 6 + 3 <eos>) x 30
    # WikiText-2's and PTB's own file names are read too
    wiki = read_corpus("wikitext2", _write_corpus(
        tmp_path / "w", ("wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens")))
    assert torch.equal(wiki.train, data.train)


def test_corpus_errors_name_the_problem(tmp_path) -> None:
    with pytest.raises(ValueError, match="give its folder"):
        load_text_dataset("wikitext2")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        read_corpus("ptb", tmp_path / "missing")
    (tmp_path / "e").mkdir()
    with pytest.raises(FileNotFoundError, match="none of the split layouts"):
        read_corpus("ptb", tmp_path / "e")
    root = _write_corpus(tmp_path / "z")
    (root / "valid.txt").write_text("")
    with pytest.raises(ValueError, match="valid.txt is empty"):
        read_corpus("ptb", root)
    (root / "valid.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(ValueError, match="not UTF-8"):
        read_corpus("ptb", root)
    with pytest.raises(ValueError, match="unknown text dataset"):
        load_text_dataset("enwik8")


# -- recipe and trainer ---------------------------------------------------------------------
def test_image_recipe_hashes_unchanged_and_nlp_recipe_is_the_release() -> None:
    # the store keys of every image build stay what they were before the LM fields existed
    assert {n: get_recipe(n).hash for n in ("nb201", "nb101", "darts")} == {
        "nb201": "350e33a55f65", "nb101": "e7e3f28df23b", "darts": "8d517bfed800"}
    r = get_recipe("nlp")
    assert (r.optimizer, r.lr, r.batch_size, r.bptt, r.epochs, r.grad_clip, r.weight_decay,
            r.activation_reg, r.temporal_activation_reg) == (
        "adam", 1e-3, 20, 70, 50, 0.25, 1.2e-6, 2.0, 1.0)
    assert r.lr_at(7) == r.lr and type(r).from_json(r.to_json()) == r
    with pytest.raises(ValueError, match="bptt must be >= 0"):
        r.replace(bptt=-1)


def test_batchify_columns() -> None:
    cols = batchify(torch.arange(103), 10)
    assert cols.shape == (10, 10) and cols[:, 1].tolist() == list(range(10, 20))
    assert batchify(torch.arange(6), 50).shape == (2, 3)  # short streams: fewer columns


def test_trainer_learns_records_the_convention_and_is_deterministic() -> None:
    data = _tiny(load_text_dataset(), 6000)
    recipe = get_recipe("nlp", epochs=3, lr=1e-2, bptt=20)
    runs = []
    for _ in range(2):
        runs.append(train_arch(SPACE, SPACE.parse(LSTM_LIKE), data, recipe, "small", seed=1,
                               threads=1))
    r = runs[0]
    assert r.status == "done" and len(r.epochs) == 3 and r.test_acc is not None
    for e in r.epochs:
        assert e.val_acc == pytest.approx(100.0 - e.val_loss)
        assert e.train_acc == pytest.approx(100.0 - e.train_loss) and e.seconds > 0
    assert r.epochs[-1].val_loss < r.epochs[0].val_loss < math.log(96)  # it learns
    assert [e.val_loss for e in r.epochs] == [e.val_loss for e in runs[1].epochs]


def test_divergence_ends_run_as_failed_with_reason() -> None:
    data = _tiny(load_text_dataset(), 3000)
    recipe = get_recipe("nlp", epochs=2, lr=float("inf"), bptt=20, grad_clip=0.0)
    seed_everything(0)
    net = SPACE.build_network(LSTM_LIKE, num_classes=data.vocab_size, preset="small")
    r = train_language_model(net, data, recipe, seed=0)
    assert r.status == "failed" and "non-finite" in r.reason and r.test_acc is None


def test_trainer_refuses_an_image_recipe() -> None:
    net = SPACE.build_network(LSTM_LIKE, num_classes=96, preset="small")
    with pytest.raises(ValueError, match="not a language-model recipe"):
        train_language_model(net, _tiny(load_text_dataset()), get_recipe("nb201", epochs=1))


# -- live benchmark and CLI -----------------------------------------------------------------
def test_live_benchmark_trains_a_corpus_file_once(tmp_path) -> None:
    root = _write_corpus(tmp_path / "corpus")
    kw = dict(space="nlp", dataset="wikitext2", data_root=str(root), epochs=1,
              db=str(tmp_path / "live.db"), threads=1)
    bench = load_benchmark("live", **kw)
    assert bench.recipe.name == "nlp" and bench.recipe.bptt == 70
    curve = bench.curve(LSTM_LIKE)
    assert curve.epochs == 1 and math.isfinite(curve.final_val_acc)
    again = load_benchmark("live", **kw)
    assert [SPACE.format(a) for a in again.archs()] == [SPACE.format(SPACE.parse(LSTM_LIKE))]
    assert again.curve(LSTM_LIKE).final_val_acc == curve.final_val_acc  # stored, not retrained
    x, y = again.batch(4, seed=0)
    assert x.shape == (4, 35) and torch.equal(x[:, 1:], y[:, :-1])


def test_live_benchmark_defaults_follow_the_space(tmp_path) -> None:
    bench = load_benchmark("live", space="nlp", db=str(tmp_path / "a.db"))
    assert (bench.dataset, bench.recipe.name, bench.recipe.epochs, bench.recipe.lr) == (
        "synthtext", "nlp", 10, 1e-2)
    assert load_benchmark("live", db=str(tmp_path / "b.db")).dataset == "shapes10"
    with pytest.raises(ValueError, match="it is an image dataset"):
        load_benchmark("live", space="nlp", dataset="shapes10", db=str(tmp_path / "c.db"))
    with pytest.raises(ValueError, match="language-model recipe"):
        load_benchmark("live", space="nb201", recipe="nlp", db=str(tmp_path / "d.db"))


def test_cli_train_nlp_on_a_corpus_and_bad_datasets(tmp_path) -> None:
    runner = CliRunner()
    root = _write_corpus(tmp_path / "corpus")
    db = tmp_path / "s.db"
    res = runner.invoke(app, ["train", "--space", "nlp", "--dataset", "ptb", "--data-root",
                              str(root), "--archs", "1", "--epochs", "1", "--db", str(db),
                              "--threads", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "done 1, failed 0" in res.output
    for args, message in ((["--dataset", "shapes10"], "it is an image dataset"),
                          (["--dataset", "wikitext2"], "give its folder"),
                          (["--dataset", "wikitext2", "--data-root", str(tmp_path / "nope")],
                           "not a folder")):
        res = runner.invoke(app, ["train", "--space", "nlp", *args, "--db",
                                  str(tmp_path / "x.db")])
        assert res.exit_code == 2, res.output
        assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x.db").exists()  # a refused command leaves no store

