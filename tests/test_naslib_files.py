"""NASLib's data files (`load_benchmark("naslib")`): each layout on fixtures written in exactly
that layout (`_naslib_files.py`), the real NB101 sample from NASLib's test assets, and one-line
errors for wrong, truncated and unsafe files."""

from __future__ import annotations

import os
import pickle
import warnings

import numpy as np
import pytest
from _naslib_files import (
    darts_compact,
    nb101_records,
    nb201_records,
    nb301_records,
    nlp_records,
    write,
)
from _real_data import SHARED
from typer.testing import CliRunner

from benchmarks import list_benchmarks, load_benchmark
from experiments import evaluate
from predbench.cli import app
from search_spaces import get_search_space

NB101_SAMPLE = SHARED / "naslib_nb101_dummy.pkl"


def _one_line(exc: pytest.ExceptionInfo, *parts: str) -> None:
    message = str(exc.value)
    assert "\n" not in message, message
    for part in parts:
        assert part in message, message


# -- NB201 -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nb201_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("naslib") / "nb201_cifar10_full_training.pickle"
    return write(path, nb201_records(40)), nb201_records(40)


def test_registered():
    assert "naslib" in list_benchmarks()


def test_nb201_curves_are_the_files_numbers(nb201_file):
    path, source = nb201_file
    bench = load_benchmark("naslib", path=path)
    assert (bench.layout, bench.space.name, bench.dataset) == ("nb201", "nb201", "cifar10-valid")
    assert len(bench) == 40 and bench.max_epochs == 200 and bench.reported_epochs == 200
    nb201 = get_search_space("nb201")
    assert bench.archs() == [nb201.parse(k) for k in source]  # the file's order
    for key, record in list(source.items())[::7]:
        entry = record["cifar10-valid"]
        curve = bench.curve(key)
        np.testing.assert_array_equal(curve.val_acc, entry["eval_acc1es"])
        np.testing.assert_array_equal(curve.val_loss, entry["eval_losses"])
        np.testing.assert_array_equal(curve.train_acc, entry["train_acc1es"])
        np.testing.assert_array_equal(curve.train_loss, entry["train_losses"])
        assert (curve.epoch_seconds == entry["cost_info"]["train_time"]).all()
        assert curve.test_acc is None  # NASLib's NB201 "test accuracy" is the validation curve
    finals = [r["cifar10-valid"]["eval_acc1es"][-1] for r in source.values()]
    np.testing.assert_array_equal(bench.final_val_acc(), finals)
    assert bench.columns() == ["flops", "params", "latency"]
    np.testing.assert_array_equal(bench.values("params"),
                                  [r["cifar10-valid"]["cost_info"]["params"]
                                   for r in source.values()])


def test_nb201_dataset_names(nb201_file, tmp_path):
    path, _ = nb201_file
    assert load_benchmark("naslib", path=path, dataset="cifar10").dataset == "cifar10-valid"
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=path, dataset="cifar100")
    _one_line(exc, path.name, "no dataset 'cifar100'", "cifar10-valid")
    both = nb201_records(3)
    for key, record in nb201_records(3, dataset="cifar100", seed=1).items():
        both[key].update(record)
    two = write(tmp_path / "two.pickle", both)
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=two)
    _one_line(exc, "several datasets", "dataset=")
    assert load_benchmark("naslib", path=two, dataset="cifar100").dataset == "cifar100"


def test_learning_curve_predictor_runs_on_it(nb201_file):
    path, _ = nb201_file
    rows = evaluate(load_benchmark("naslib", path=path), "sotle", fidelities=[20], test_size=20,
                    seeds=[0])
    assert rows["error"].isna().all() and np.isfinite(rows["kendalltau"]).all()
    assert (rows["fidelity"] == 20).all()


# -- NB301 -----------------------------------------------------------------------------------------
def test_nb301_keys_curves_and_cumulative_runtime(tmp_path):
    source = nb301_records(12)
    bench = load_benchmark("naslib", path=write(tmp_path / "nb301_full_training.pickle", source))
    darts = get_search_space("darts")
    assert (bench.layout, bench.space.name) == ("nb301", "darts")
    assert (len(bench), bench.max_epochs) == (12, 98)
    for key, record in source.items():
        arch = darts.from_suite_zero(key)
        assert darts_compact(arch) == key or darts.from_suite_zero(darts_compact(arch)) == arch
        curve = bench.curve(arch)
        np.testing.assert_array_equal(curve.val_acc, record["val_accuracies"])
        np.testing.assert_array_equal(curve.train_loss, record["train_losses"])
        assert np.isnan(curve.train_acc).all() and np.isnan(curve.val_loss).all()
        assert curve.train_seconds() == pytest.approx(record["runtime"][-1])  # cumulative
        assert curve.epoch_seconds[0] == record["runtime"][0]


def test_nb301_runtime_forms_and_duplicates(tmp_path):
    source = nb301_records(3)
    keys = list(source)
    source[keys[0]]["runtime"] = 980.0  # one number: the whole run
    source[keys[1]]["runtime"] = [10.0, 9.0] * 49  # per epoch (not increasing)
    normal, reduce = keys[2]
    swapped = ((normal[1], normal[0], *normal[2:]), reduce)  # same arch, pair order swapped
    source[swapped] = dict(source[keys[2]], val_accuracies=[1.0] * 98)
    with pytest.warns(UserWarning, match="1 key"):
        bench = load_benchmark("naslib", path=write(tmp_path / "nb301.pickle", source))
    assert len(bench) == 3 and bench.duplicates == 1
    curves = [bench.curve(a) for a in bench.archs()]
    assert (curves[0].epoch_seconds == 10.0).all()
    assert curves[1].train_seconds() == pytest.approx(19.0 * 49)
    assert curves[2].final_val_acc != 1.0  # the first key read wins


# -- NB101 -----------------------------------------------------------------------------------------
def test_nb101_budgets_repeats_and_points(tmp_path):
    source = nb101_records(6, budgets=(4, 108))
    path = write(tmp_path / "nb101.pkl", source)
    bench = load_benchmark("naslib", path=path)
    assert (bench.layout, bench.space.name, bench.max_epochs) == ("nb101", "nb101", 108)
    short = load_benchmark("naslib", path=path, epochs=4)
    one = load_benchmark("naslib", path=path, repeat=2)
    nb101 = get_search_space("nb101")
    for h, (fixed, computed) in source.items():
        arch = nb101.from_spec(fixed["module_adjacency"].tolist(), fixed["module_operations"])
        assert arch.hash == h
        runs = computed[108]
        curve = bench.curve(arch)
        known = np.flatnonzero(~np.isnan(curve.val_acc))
        assert known.tolist() == [53, 107]  # the run's halfway and final points, nothing else
        assert curve.final_val_acc == pytest.approx(
            100 * np.mean([r["final_validation_accuracy"] for r in runs]))
        assert curve.test_acc == pytest.approx(
            100 * np.mean([r["final_test_accuracy"] for r in runs]))
        assert curve.train_seconds(54) == pytest.approx(
            np.mean([r["halfway_training_time"] for r in runs]))
        assert curve.train_seconds() == pytest.approx(
            np.mean([r["final_training_time"] for r in runs]))
        assert one.curve(arch).final_val_acc == pytest.approx(
            100 * runs[2]["final_validation_accuracy"])
        assert short.curve(arch).epochs == 4
        assert short.curve(arch).final_val_acc == pytest.approx(
            100 * np.mean([r["final_validation_accuracy"] for r in computed[4]]))
    np.testing.assert_array_equal(bench.values("params"),
                                  [f["trainable_parameters"] for f, _ in source.values()])
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=path, epochs=36)
    _one_line(exc, "epochs must be one of", "4, 108", "36")
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=path, repeat=3)
    _one_line(exc, "no repeat 3")


def test_nb101_key_must_be_the_specs_hash(tmp_path):
    source = nb101_records(2)
    first, second = list(source)
    source[first] = source[second]  # a record filed under another arch's hash
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=write(tmp_path / "bad.pkl", source))
    _one_line(exc, "row 1", first, f"hashes to {second}")


@pytest.mark.skipif(not NB101_SAMPLE.is_file(),
                    reason="needs ../shared/data (NASLib's NB101 sample)")
def test_naslib_nb101_sample():
    """The real 30-record sample from NASLib's test assets (official NB101 records)."""
    with NB101_SAMPLE.open("rb") as f:
        records = pickle.load(f)
    bench = load_benchmark("naslib", path=NB101_SAMPLE)
    assert len(bench) == 30 and bench.max_epochs == 108 and bench.dataset == "cifar10"
    assert [a.hash for a in bench.archs()] == list(records)
    for arch, params in zip(bench.archs(), bench.values("params")):
        fixed, computed = records[arch.hash]
        assert params == fixed["trainable_parameters"]
        runs = computed[108]
        curve = bench.curve(arch)
        assert curve.final_val_acc == pytest.approx(
            100 * np.mean([r["final_validation_accuracy"] for r in runs]), abs=1e-9)
        assert 80 < curve.final_val_acc < 95 and 80 < curve.test_acc < 95
        assert curve.train_seconds() == pytest.approx(
            np.mean([r["final_training_time"] for r in runs]))


# -- NAS-Bench-NLP ------------------------------------------------------------------------------
def test_nlp_keys_curves_score_convention_and_divergence(tmp_path):
    source = nlp_records(20, diverged=1)
    bench = load_benchmark("naslib", path=write(tmp_path / "nb_nlp.pickle", source))
    nlp = get_search_space("nlp")
    assert (bench.layout, bench.space.name, bench.dataset) == ("nlp", "nlp", "wikitext2")
    assert bench.max_epochs == 50 and len(bench) == 19 and len(bench.failed()) == 1
    for key, record in source.items():
        arch = nlp.from_suite_zero(key)
        curve = bench.curve(arch)
        logged = len(record["val_losses"])
        np.testing.assert_array_equal(curve.val_loss[:logged], record["val_losses"])
        np.testing.assert_array_equal(curve.val_acc[:logged],
                                      100.0 - np.asarray(record["val_losses"]))
        np.testing.assert_array_equal(curve.epoch_seconds[:logged], record["wall_times"])
        if logged < 50:
            assert arch in bench.failed() and arch not in bench.archs()
            assert np.isnan(curve.val_loss[logged:]).all()
        else:
            assert curve.test_acc == pytest.approx(100.0 - record["test_losses"][-1])
    rows = evaluate(bench, "sotle", fidelities=[5], test_size=10, seeds=[0])
    assert rows["error"].isna().all() and np.isfinite(rows["kendalltau"]).all()


# -- bad files -------------------------------------------------------------------------------------
def test_truncated_wrong_and_unsafe_files(tmp_path, nb201_file):
    path, _ = nb201_file
    cut = tmp_path / "cut.pickle"
    cut.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    cases = {
        cut: "truncated",
        write(tmp_path / "empty.pkl", {}): "holds no architectures",
        write(tmp_path / "list.pkl", [1, 2]): "expected a dict",
        write(tmp_path / "keys.pkl", {42: {}}): "unknown layout",
    }
    (tmp_path / "zero.pkl").write_bytes(b"")
    cases[tmp_path / "zero.pkl"] = "an empty file"
    (tmp_path / "text.pkl").write_text("{'a': 1}\n")
    cases[tmp_path / "text.pkl"] = "not a pickle"
    short = nb201_records(3)
    record = short[list(short)[2]]["cifar10-valid"]
    record["eval_acc1es"] = record["eval_acc1es"][:150]
    cases[write(tmp_path / "short.pkl", short)] = "row 3"
    for bad, problem in cases.items():
        with pytest.raises(ValueError) as exc:
            load_benchmark("naslib", path=bad)
        _one_line(exc, bad.name, problem)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    evil = write(tmp_path / "evil.pickle", {"|a|": _Evil()})
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=evil)
    _one_line(exc, "evil.pickle", "system", "not loaded")


def test_wrong_space_and_options(nb201_file):
    path, _ = nb201_file
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=path, space="nb101")
    _one_line(exc, "holds nb201 data", "'nb101'")
    with pytest.raises(ValueError) as exc:
        load_benchmark("naslib", path=path, epochs=12)
    _one_line(exc, "NB101 files only")


def test_bench_info_cli(nb201_file, tmp_path):
    path, _ = nb201_file
    ok = CliRunner().invoke(app, ["bench", "info", "naslib", "--path", str(path), "--json"])
    assert ok.exit_code == 0, ok.output
    warnings.simplefilter("ignore")
    (tmp_path / "x.pkl").write_bytes(path.read_bytes()[:1000])
    bad = CliRunner().invoke(app, ["bench", "info", "naslib", "--path", str(tmp_path / "x.pkl")])
    assert bad.exit_code == 2 and "truncated" in bad.output and "Traceback" not in bad.output
