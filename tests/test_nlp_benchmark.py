"""The real NAS-Bench-NLP curves shipped in the package (`load_benchmark("nlp")`): the file is
the release's logs unchanged, the score convention is NASLib's (100 - loss), and the diverged
runs are kept as failures that never become labels. Runs without ../shared; the checks against
the logs themselves skip without it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _real_data import SHARED

from benchmarks import list_benchmarks, load_benchmark
from benchmarks.nlp_wikitext2 import DATA_FILE
from experiments import evaluate

LOGS = SHARED / "nasbench_nlp_wikitext2_logs.zip"


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("nlp")


def test_shipped_file_is_small_and_listed(bench):
    assert "nlp" in list_benchmarks()
    assert DATA_FILE.stat().st_size < 1_000_000
    # 345 logged runs of 265 distinct cells (recipes differing only in node names or input
    # order are one cell); 4 runs diverged, 2 of them of cells that also finished elsewhere
    assert (len(bench), bench.max_epochs, bench.dataset) == (263, 50, "wikitext2")
    assert len(bench.failed()) == 2
    assert set(bench.failed().values()) == {"loss is nan!"}
    runs = [bench.runs(a) for a in [*bench.archs(), *bench.failed()]]
    assert sorted(r for rows in runs for r in rows) == list(range(345))


def test_score_convention_and_perplexity(bench):
    arch = bench.archs()[0]
    curve = bench.curve(arch)
    np.testing.assert_allclose(curve.val_acc, 100.0 - curve.val_loss)
    np.testing.assert_allclose(curve.train_acc, 100.0 - curve.train_loss)
    np.testing.assert_allclose(bench.perplexity(arch), np.exp(curve.val_loss))
    assert curve.test_acc is not None and 90 < curve.test_acc < 96  # 100 - a test loss of 4-10
    assert (curve.epoch_seconds > 10).all()  # the release's GPU seconds per epoch
    finals = bench.final_val_acc()
    assert np.isfinite(finals).all() and len(finals) == 263


def test_diverged_runs_are_failures_not_labels(bench):
    failed = list(bench.failed())
    assert not set(failed) & set(bench.archs())
    for arch in failed:
        assert arch in bench  # held: its curve can still be read
        curve = bench.curve(arch)
        assert curve.epochs == 50 and math.isnan(curve.final_val_acc)
    rows = evaluate(bench, "bayes_lin_reg", train_sizes=[20], test_size=50, seeds=[0])
    assert rows["error"].isna().all() and np.isfinite(rows["kendalltau"]).all()


def test_learning_curve_predictor_below_full_fidelity(bench):
    rows = evaluate(bench, "sotle", fidelities=[5, 16], test_size=60, seeds=[0, 1])
    assert not rows["oracle"].any() and set(rows["fidelity"]) == {5, 16}
    assert (rows.groupby("fidelity")["kendalltau"].mean() > 0.3).all()


@pytest.mark.skipif(not LOGS.is_file(), reason="needs ../shared/data (the release's logs)")
def test_shipped_file_is_the_logs_unchanged(bench, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_nlp", DATA_FILE.parents[2] / "scripts" / "build_nlp_wikitext2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    logs = module.read_logs(LOGS)
    assert len(logs) == 345
    rebuilt = tmp_path / "nlp.npz"
    module.build(SHARED, rebuilt)
    with np.load(rebuilt) as new, np.load(DATA_FILE) as shipped:
        for key in shipped.files:
            np.testing.assert_array_equal(new[key], shipped[key], err_msg=key)
    for arch in bench.archs():  # rows are in recipe-id order, as read_logs sorts them
        rows = bench.runs(arch)
        logs_of = [logs[r] for r in rows]
        assert all(bench.space.parse(log["recepie"]) == arch for log in logs_of)
        assert bench.num_params(arch) == logs_of[0]["num_params"]
        finished = [log for log in logs_of if log["status"] == "OK"]
        mean = np.mean([log["val_losses"] for log in finished], axis=0)
        np.testing.assert_allclose(bench.curve(arch).val_loss, mean, rtol=0, atol=1e-12)
        if len(finished) == 1:  # one run: the log's numbers exactly
            np.testing.assert_array_equal(bench.curve(arch).val_loss, finished[0]["val_losses"])
            np.testing.assert_array_equal(bench.curve(arch).epoch_seconds,
                                          finished[0]["wall_times"])


def test_every_shipped_recipe_has_its_logged_parameter_count():
    """The exactness pin of the nlp network, on the copy shipped in the package (so it runs on
    a fresh clone): the release's model with each of the 345 logged cells, built on the meta
    device, has exactly the `num_params` its log recorded."""
    import torch

    from search_spaces import get_search_space

    space = get_search_space("nlp")
    with np.load(DATA_FILE) as data:
        recipes, logged = data["recipe"], data["num_params"]
    wrong = []
    for recipe, expected in zip(recipes, logged):
        with torch.device("meta"):
            model = space.build_network(space.parse(str(recipe)))
        got = sum(p.numel() for p in model.parameters())
        if got != int(expected):
            wrong.append((str(recipe)[:60], got, int(expected)))
    assert len(recipes) == 345 and not wrong, wrong[:3]
