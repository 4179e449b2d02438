"""The real NB201 CIFAR-10 data shipped in the package (`load_benchmark("nb201")`), its stored
Suite-Zero proxies as precomputed zero-cost scores on their own clock, and the main job's
real-data panel spec. Runs without ../shared: that is the point of shipping the data."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from _real_data import SHARED
from typer.testing import CliRunner

from benchmarks import list_benchmarks, load_benchmark
from benchmarks.nb201_cifar10 import DATA_FILE, export_source_files
from benchmarks.splits import restrict
from experiments import evaluate
from experiments.budgets import RECORDED_CLOCK, TRAIN_CLOCK, configurations
from experiments.spec import parse_spec
from predbench.cli import app
from predbench.cli.main_job import REAL_PANELS, SPLIT, panel_spec
from predictors import Context, get_predictor
from predictors.zero_cost.score import ZeroCostWarning

BEST = ("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|"
        "nor_conv_3x3~2|", 91.57)
PROXIES = ["flops", "params", "synflow", "grasp", "fisher", "grad_norm", "l2_norm", "plain",
           "nwot", "epe_nas", "jacov", "snip"]  # Suite-Zero's order


@pytest.fixture(scope="module")
def full():
    return load_benchmark("nb201", dataset="cifar10")


@pytest.fixture(scope="module")
def suite():
    return load_benchmark("nb201", subset="suite_zero")


def test_shipped_file_is_compact_and_listed():
    assert DATA_FILE.stat().st_size < 200_000
    assert "nb201" in list_benchmarks()


def test_all_cells(full):
    assert len(full) == 15_625 and len(set(full.archs())) == 15_625
    arch, acc = full.best()
    assert (str(arch), acc) == BEST
    values = full.final_val_acc()
    assert values.min() == 10.0 and int((values == 10.0).sum()) == 341
    assert full.reported_epochs == 200 and full.max_epochs == 1 and full.dataset == "cifar10"
    assert full.proxies() == PROXIES
    # stored proxies exist for the 725 Suite-Zero cells only
    assert int(np.isfinite(full.proxy_scores("params")[0]).sum()) == 725
    assert load_benchmark("nb201", dataset="cifar10-valid").best()[1] == 91.57  # NB201's name


def test_suite_zero_subset(suite, full):
    assert len(suite) == 725
    np.testing.assert_array_equal(suite.final_val_acc(), full.final_val_acc(suite.archs()))
    scores, seconds = suite.proxy_scores("synflow")
    assert int(np.isnan(scores).sum()) == 1 and (seconds[np.isfinite(seconds)] > 0).all()
    first = suite.archs()[0]  # Suite-Zero's first entry, key (0, 2, 3, 2, 3, 1)
    assert suite.space.to_suite_zero(first) == "(0, 2, 3, 2, 3, 1)"
    assert suite.curve(first).final_val_acc == 86.06
    assert suite.proxy_score(first, "synflow") == pytest.approx((41.94876860937543,
                                                                 0.4779003739822656))


@pytest.mark.parametrize("options, message", [
    ({"dataset": "cifar100"}, "nb201: no shipped data for dataset 'cifar100'"),
    ({"subset": "some"}, "nb201: unknown subset 'some'"),
    ({"path": "x.csv"}, "path"),
])
def test_bad_options_one_line(options, message):
    with pytest.raises((ValueError, TypeError)) as info:
        load_benchmark("nb201", **options)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_export_writes_the_source_formats(tmp_path, full):
    paths = export_source_files(tmp_path)
    table = load_benchmark("table", path=paths["table"], space="nb201")
    np.testing.assert_array_equal(table.final_val_acc(full.archs()), full.final_val_acc())
    suite = load_benchmark("suite_zero", path=paths["suite_zero"], space="nb201")
    assert len(suite) == 725 and suite.proxies() == PROXIES


@pytest.mark.skipif(not (SHARED / "zc_nasbench201_cifar10.json").is_file(),
                    reason="compares with the source files in ../shared/data")
def test_export_reproduces_the_source_files_exactly(tmp_path):
    paths = export_source_files(tmp_path)
    assert json.loads(paths["suite_zero"].read_text()) == \
        json.loads((SHARED / "zc_nasbench201_cifar10.json").read_text())
    ours = pd.read_csv(paths["table"], dtype=str).set_index("arch")["val_accuracy"]
    theirs = pd.read_csv(SHARED / "nb201_cifar10_valid_accuracy.csv",
                         dtype=str).set_index("arch")["val_accuracy"]
    assert ours.sort_index().equals(theirs.sort_index())


# -- stored proxies as precomputed zero-cost scores ------------------------------------------------
def test_context_carries_stored_scores_of_its_archs_only(suite):
    train, test = suite.archs()[:3], suite.archs()[3:8]
    ctx = Context.for_benchmark(suite, train, test)
    assert set(ctx.stored_proxies) == set(PROXIES)
    assert set(ctx.stored_proxies["params"]) == set(train) | set(test)
    assert ctx.stored_proxies["jacov"][test[0]] == suite.proxy_score(test[0], "jacov")


def test_stored_scores_are_used_and_their_seconds_charged(suite):
    archs = suite.archs()[:40]
    ctx = Context.for_benchmark(suite, (), archs)
    jacov = get_predictor("jacov")
    scores = jacov.query(archs, ctx)  # no images here: only the stored scores make this work
    stored, seconds = suite.proxy_scores("jacov", archs)
    np.testing.assert_array_equal(scores, stored)
    assert jacov.recorded_query_seconds_ == pytest.approx(float(seconds.sum()))
    # computed here instead: our params equal the stored ones (same network, same counting)
    params = get_predictor("params", use_stored=False)
    ours = params.query(archs, ctx)
    assert params.recorded_query_seconds_ == 0.0
    np.testing.assert_allclose(ours, suite.proxy_scores("params", archs)[0], atol=1e-6)
    with pytest.raises(ValueError, match="needs Context.batch"):
        get_predictor("jacov", use_stored=False).query(archs, ctx)
    with pytest.raises(ValueError, match="use_stored must be true or false"):
        get_predictor("jacov", use_stored="yes")


def test_a_few_missing_scores_rank_last_and_most_missing_computes_here(suite, full):
    scores, _ = suite.proxy_scores("synflow")
    missing = suite.archs()[int(np.flatnonzero(np.isnan(scores))[0])]
    archs = [missing, *[a for a in suite.archs()[:10] if a != missing]]
    synflow = get_predictor("synflow")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = synflow.query(archs, Context.for_benchmark(suite, (), archs))
    assert np.isnan(out[0]) and np.isfinite(out[1:]).all()
    assert any(issubclass(w.category, ZeroCostWarning) and "stores no score for 1 of 11"
               in str(w.message) for w in caught)
    # mostly not stored (cells outside Suite-Zero): every arch is computed here, one scale
    outside = [a for a in full.archs()[:200] if np.isnan(full.proxy_score(a, "params")[0])][:6]
    params = get_predictor("params")
    got = params.query(outside, Context.for_benchmark(full, (), outside))
    assert np.isfinite(got).all() and params.recorded_query_seconds_ == 0.0


def test_evaluator_charges_recorded_seconds_on_their_own_clock(suite):
    rows = evaluate(suite, "jacov", test_size=50, seeds=[0, 1], split="reporting")
    assert rows["error"].isna().all() and (rows["kendalltau"] > 0.3).all()
    assert (rows["query_recorded_seconds"] > 0.1).all()
    assert (rows["query_compute_seconds"] < 0.01).all()
    model = evaluate(suite, "bayes_lin_reg", train_sizes=[20], test_size=50, seeds=[0])
    configs = configurations(pd.concat([rows, model]))
    by = configs.set_index("predictor")
    assert by.loc["jacov", "clock"] == RECORDED_CLOCK
    assert by.loc["jacov", "query_seconds"] == pytest.approx(
        rows["query_recorded_seconds"].mean() + rows["query_compute_seconds"].mean())
    assert by.loc["bayes_lin_reg", "clock"] != RECORDED_CLOCK
    assert (model["query_recorded_seconds"] == 0).all()
    assert TRAIN_CLOCK != RECORDED_CLOCK


def test_bench_info_cli():
    result = CliRunner().invoke(app, ["bench", "info", "nb201", "--dataset", "cifar10", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["size"] == 15_625 and info["best_value"] == 91.57
    bad = CliRunner().invoke(app, ["bench", "info", "nb201", "--dataset", "imagenet"])
    assert bad.exit_code == 2 and "no shipped data for dataset 'imagenet'" in bad.output


# -- the main job's real-data panel ---------------------------------------------------------------
@pytest.mark.parametrize("panel", REAL_PANELS, ids=[p.folder for p in REAL_PANELS])
def test_real_panel_specs_follow_the_rules(panel):
    spec = parse_spec(panel_spec(panel, 3))
    assert spec.split == SPLIT == "reporting" and spec.sampler == panel.sampler
    bench = spec.benchmarks[0].load()
    pool = restrict(bench.archs(), SPLIT)
    assert spec.test_size + max(spec.train_sizes) <= len(pool)
    families = {p.build().family for p in spec.predictors}
    assert families == {"model_based", "zero_cost"}
    assert {p.name for p in spec.predictors} == set(panel.predictors)
    assert {p.sampler for p in REAL_PANELS} == {"uniform", "mutation"}


def test_usage_examples_run_without_shared_data(tmp_path, monkeypatch, capsys):
    """The 'Real data in the box' Python block of docs/usage.md runs as printed."""
    import re
    from pathlib import Path

    usage = (Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text()
    start = usage.index("## Real data in the box")
    section = usage[start:usage.index("\n## ", start + 1)]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/usage.md (real data)", "exec"), {})
    assert "query_recorded_seconds" in capsys.readouterr().out
    assert (tmp_path / "data" / "zc_nasbench201_cifar10.json").is_file()
