"""Issue 20's API findings, each pinned: bad arguments raise a ValueError / TypeError naming
the argument, instead of being truncated, accepted or scored."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks import load_benchmark
from experiments import evaluate
from predictors.zero_cost import score
from search_spaces import get_search_space

NB201 = get_search_space("nb201")


@pytest.mark.parametrize("index", [3.7, True, "5", None])
def test_from_index_takes_integers_only(index):
    with pytest.raises(ValueError, match="NB201 index must be an integer"):
        NB201.from_index(index)
    assert NB201.from_index(np.int64(17)) == NB201.from_index(17)  # numpy ints are integers


@pytest.mark.parametrize("space, key", [
    ("nb201", (True, False, 1, 2, 3, 4)),
    ("nb201", (1.0, 2, 3, 4, 0, 1)),
    ("nb101", tuple([True] * 56)),
])
def test_suite_zero_keys_of_bools_or_floats_are_refused(space, key):
    with pytest.raises(ValueError, match="integers"):
        get_search_space(space).from_suite_zero(key)


def test_benchmark_path_of_the_wrong_type_names_it():
    with pytest.raises(TypeError, match="path must be a file path"):
        load_benchmark("table", path=42, space="nb201")


@pytest.mark.parametrize("options, problem", [
    (dict(fidelities=[-1]), "fidelities must be integers >= 0"),
    (dict(fidelities=[2.5]), "fidelities must be integers >= 0"),
    (dict(train_sizes=[-3]), "train_sizes must be integers >= 0"),
    (dict(test_size=0), "test_size must be an integer >= 3"),  # rank metrics need 3
])
def test_evaluate_checks_grid_values_even_where_unused(options, problem):
    bench = load_benchmark("nb201", subset="suite_zero")
    with pytest.raises(ValueError, match=problem):
        evaluate(bench, "params", seeds=[0], **options)  # params reads neither grid


def test_zero_cost_on_an_empty_or_mismatched_batch():
    network = NB201.build_network(NB201.from_index(100), num_classes=10, preset="small")
    with pytest.raises(ValueError, match="the batch is empty"):
        score(network, (torch.zeros(0, 3, 8, 8), torch.zeros(0)), ["snip"])
    with pytest.raises(ValueError, match="4 inputs but 3 labels"):
        score(network, (torch.zeros(4, 3, 8, 8), torch.zeros(3)), ["snip"])


def test_empty_tables_are_errors_not_zero_arch_benchmarks(tmp_path):
    empty_json = tmp_path / "zc.json"
    empty_json.write_text('{"cifar10": {}}')
    with pytest.raises(ValueError, match="dataset 'cifar10' holds no architectures"):
        load_benchmark("suite_zero", path=empty_json, space="nb201")
    empty_csv = tmp_path / "t.csv"
    empty_csv.write_text("arch,val_accuracy\n")
    with pytest.raises(ValueError, match="holds a header but no rows"):
        load_benchmark("table", path=empty_csv, space="nb201")


@pytest.mark.parametrize("param, problem", [
    ("population=abc", "--param population of re must be int"),
    ("population=-1", "needs population >= 1"),
])
def test_search_param_values_fail_cleanly(tmp_path, param, problem):
    """Issue 20: a TypeError deep in the loop, and an empty output folder left behind."""
    from typer.testing import CliRunner

    from predbench.cli import app

    out = tmp_path / "search"
    result = CliRunner().invoke(app, ["search", "-a", "re", "--budget", "5", "--seeds", "0",
                                      "--param", param, "-o", str(out)])
    assert result.exit_code == 2 and problem in result.output, result.output
    assert not out.exists()


@pytest.mark.parametrize("options, error, problem", [
    (dict(seed=3.7), TypeError, "option seed expects an integer, got 3.7"),
    (dict(seed=True), TypeError, "option seed expects an integer, got True"),
    (dict(seed="abc"), TypeError, "option seed expects an integer"),
    (dict(seed=-4), ValueError, "option seed must be >= 0, got -4"),
])
def test_benchmark_option_values_are_checked_before_loading(options, error, problem):
    with pytest.raises(error, match=problem):
        load_benchmark("default", **options)
    with pytest.raises(ValueError, match=problem):  # a usage error for the CLI too
        load_benchmark("default", **options)


def test_sweep_spec_values_and_binary_files_are_named(tmp_path):
    from experiments.spec import SpecError, load_spec

    binary = tmp_path / "spec.toml"
    binary.write_bytes(b"\x00\x01\xff\xfe garbage")
    with pytest.raises(SpecError, match="spec.toml: not a text file"):
        load_spec(binary)
    spec = tmp_path / "seed.toml"
    spec.write_text('[sweep]\nseeds = "0"\n[[benchmarks]]\nkind = "default"\nseed = -4\n'
                    '[[predictors]]\nname = "xgb"\n')
    with pytest.raises(SpecError, match=r"benchmarks\[0\].*option seed must be >= 0, got -4"):
        load_spec(spec)
