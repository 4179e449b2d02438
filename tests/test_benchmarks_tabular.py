"""Tabular ground truth: the Benchmark/Curve contract, Suite-Zero JSON, CSV/parquet tables, the
official NB201 / NATS-Bench files (tiny fixtures written here), bad files, real shared data,
load time and memory, and `predbench bench info`."""

from __future__ import annotations

import json
import math
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from _real_data import NB201_CSV, SZ_NB201  # ../shared/data, else the shipped copy
from typer.testing import CliRunner

from benchmarks import (
    Benchmark,
    Curve,
    TabularBenchmark,
    UnsupportedError,
    list_benchmarks,
    load_benchmark,
)
from predbench.cli import app
from search_spaces import get_search_space

NB201 = get_search_space("nb201")
# the best cells of the real files, looked up once from the data and pinned here
BEST_CSV = ("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|"
            "nor_conv_3x3~2|", 91.57)
BEST_SZ = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_1x1~1|"
           "nor_conv_3x3~2|", 91.36, "(2, 2, 0, 3, 3, 2)")
SZ_PROXIES = ["flops", "params", "synflow", "grasp", "fisher", "grad_norm", "l2_norm", "plain",
              "nwot", "epe_nas", "jacov", "snip"]


def sample_archs(space_name: str, n: int, seed: int = 0) -> list:
    space = get_search_space(space_name)
    rng = np.random.default_rng(seed)
    out: list = []
    while len(out) < n:
        arch = space.sample(rng)
        if arch not in out:
            out.append(arch)
    return out


def one_line_error(excinfo: pytest.ExceptionInfo, *parts: str) -> str:
    message = str(excinfo.value.args[0]) if excinfo.value.args else str(excinfo.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


# -- Curve and the registry -------------------------------------------------------------------
def test_curve_contract() -> None:
    curve = Curve(train_loss=[2.0, 1.0, 0.5], train_acc=[30, 60, 80], val_loss=[2.1, 1.2, 0.9],
                  val_acc=[28, 55, 70], epoch_seconds=[1.5, 2.0, 2.5], test_acc=69)
    assert curve.epochs == len(curve) == 3 and curve.final_val_acc == 70.0
    assert curve.val_acc.dtype == np.float64 and curve.test_acc == 69.0
    assert curve.train_seconds(0) == 0.0 and curve.train_seconds(2) == 3.5
    assert curve.train_seconds() == 6.0
    with pytest.raises(ValueError):
        curve.val_acc[0] = 1.0  # read-only: a frozen curve stays frozen
    with pytest.raises(ValueError, match="upto"):
        curve.train_seconds(4)
    with pytest.raises(ValueError, match="one length"):
        Curve(train_loss=[1], train_acc=[1], val_loss=[1], val_acc=[1, 2], epoch_seconds=[1])
    final = Curve.final_only(91.5)
    assert final.epochs == 1 and final.final_val_acc == 91.5 and final.test_acc is None
    assert math.isnan(final.train_loss[0]) and math.isnan(final.train_seconds(1))
    assert Curve.final_only(90.0, train_seconds=100.0).train_seconds() == 100.0


def test_registry_errors(tmp_path: Path) -> None:
    assert {"suite_zero", "table", "nb201_official"} <= set(list_benchmarks())
    with pytest.raises(ValueError, match="unknown benchmark kind 'nope'.*suite_zero"):
        load_benchmark("nope")
    with pytest.raises(ValueError, match="unknown option.*colour.*expected some of: path"):
        load_benchmark("table", path=tmp_path / "x.csv", colour="red")
    with pytest.raises(ValueError, match="needs option.*path"):
        load_benchmark("suite_zero")
    with pytest.raises(FileNotFoundError, match="x.csv: no such file"):
        load_benchmark("table", path=tmp_path / "x.csv")


# -- Suite-Zero JSON ------------------------------------------------------------------------------
def write_suite_zero(path: Path, space: str, archs: list, dataset: str = "cifar10",
                     extra_dataset: str | None = None) -> dict:
    sp = get_search_space(space)
    entries = {}
    for i, arch in enumerate(archs):
        key = sp.to_suite_zero(arch)
        entry = {"idx": str(100 + i), "arch": key, "val_accuracy": 80.0 + i,
                 "synflow": {"score": 10.0 * i, "time": 0.5 + i},
                 "flops": {"score": 1.0 + i, "time": 0.01}}
        if i == 1:
            del entry["synflow"]  # one arch without a score (as in the real NB201 file)
        entries[key] = entry
    data = {dataset: entries}
    if extra_dataset:
        data[extra_dataset] = {}
    path.write_text(json.dumps(data))
    return entries


@pytest.mark.parametrize("space", ["nb201", "nb101", "darts"])
def test_suite_zero_round_trip(tmp_path: Path, space: str) -> None:
    sp = get_search_space(space)
    archs = sample_archs(space, 5)
    try:
        ok = all(sp.from_suite_zero(sp.to_suite_zero(a)) == a for a in archs)
    except NotImplementedError as exc:  # a space still being written
        pytest.skip(f"{space} has no Suite-Zero keys yet: {exc}")
    assert ok, f"{space}: from_suite_zero(to_suite_zero(arch)) != arch"
    path = tmp_path / f"zc_{space}.json"
    write_suite_zero(path, space, archs)
    bench = load_benchmark("suite_zero", path=path, space=space)
    assert isinstance(bench, TabularBenchmark) and isinstance(bench, Benchmark)
    assert bench.kind == "suite_zero" and bench.dataset == "cifar10" and bench.space is sp
    assert bench.archs() == archs and len(bench) == 5
    assert bench.max_epochs == 1 and bench.reported_epochs == {"nb201": 200, "nb101": 108,
                                                               "darts": 100}[space]
    assert bench.target == "val_accuracy"
    assert bench.curve(archs[3]).final_val_acc == 83.0
    assert bench.curve(sp.format(archs[3])).val_acc.tolist() == [83.0]  # canonical text works
    np.testing.assert_array_equal(bench.final_val_acc(), [80, 81, 82, 83, 84])
    assert bench.best() == (archs[4], 84.0)
    assert bench.proxies() == ["synflow", "flops"]
    assert bench.proxy_score(archs[2], "synflow") == (20.0, 2.5)
    assert all(math.isnan(v) for v in bench.proxy_score(archs[1], "synflow"))
    scores, seconds = bench.proxy_scores("flops", archs[::-1])
    assert scores.tolist() == [5.0, 4.0, 3.0, 2.0, 1.0] and seconds.tolist() == [0.01] * 5
    assert archs[0] in bench and sp.format(archs[0]) in bench and "garbage" not in bench


def test_suite_zero_datasets_and_capabilities(tmp_path: Path) -> None:
    archs = sample_archs("nb201", 3)
    path = tmp_path / "zc.json"
    write_suite_zero(path, "nb201", archs, extra_dataset="cifar100")
    with pytest.raises(ValueError) as info:
        load_benchmark("suite_zero", path=path)
    one_line_error(info, str(path), "several datasets", "cifar10, cifar100")
    with pytest.raises(ValueError) as info:
        load_benchmark("suite_zero", path=path, dataset="imagenet")
    one_line_error(info, "no dataset 'imagenet'", "cifar10, cifar100")
    bench = load_benchmark("suite_zero", path=path, dataset="cifar10")
    absent = next(a for a in NB201.all() if a not in archs)
    with pytest.raises(KeyError) as info:
        bench.curve(absent)
    one_line_error(info, NB201.format(absent), "not in suite_zero benchmark", "zc.json")
    with pytest.raises(KeyError, match="no proxy 'zen'.*synflow, flops"):
        bench.proxy_score(archs[0], "zen")
    with pytest.raises(NotImplementedError, match="holds no images.*live.*proxy_score"):
        bench.batch(8, 0)
    with pytest.raises(ValueError):  # also a usage error for the CLI
        bench.batch(8, 0)
    assert issubclass(UnsupportedError, NotImplementedError) and not bench.has_batches
    with pytest.raises(ValueError, match="space 'nb201'"):
        bench.curve(sample_archs("nb101", 1)[0])


# -- CSV / parquet tables -------------------------------------------------------------------------
def table_rows(archs: list) -> list[dict]:
    return [{"arch": NB201.format(a), "val_accuracy": 70.0 + i, "test_acc": 69.0 + i,
             "train_time": 100.0 * (i + 1), "params": 0.1 * i} for i, a in enumerate(archs)]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet"])
def test_table_round_trip(tmp_path: Path, fmt: str) -> None:
    import pandas as pd

    archs = sample_archs("nb201", 6, seed=1)
    frame = pd.DataFrame(table_rows(archs))
    path = tmp_path / f"table.{fmt}"
    if fmt == "parquet":
        pytest.importorskip("pyarrow", reason="parquet needs pip install 'predbench[parquet]'")
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, sep="," if fmt == "csv" else "\t")
    bench = load_benchmark("table", path=path, space="nb201", dataset="cifar10-valid",
                           test_column="test_acc", seconds_column="train_time")
    assert bench.kind == "table" and bench.archs() == archs and len(bench) == 6
    assert bench.dataset == "cifar10-valid" and bench.reported_epochs == 200
    curve = bench.curve(archs[2])
    assert (curve.epochs, curve.final_val_acc, curve.test_acc) == (1, 72.0, 71.0)
    assert curve.train_seconds(1) == 300.0 and math.isnan(curve.val_loss[0])
    assert bench.columns() == ["params"] and bench.column(archs[3], "params") == pytest.approx(0.3)
    assert bench.column(archs[3], "val_accuracy") == 73.0
    assert bench.values().tolist() == [70.0 + i for i in range(6)]
    with pytest.raises(KeyError, match="no column 'flops'"):
        bench.column(archs[0], "flops")
    assert bench.proxies() == []
    with pytest.raises(KeyError, match="stores no zero-cost proxy scores"):
        bench.proxy_score(archs[0], "synflow")
    frame_back = bench.to_frame()
    assert frame_back["arch"].tolist() == frame["arch"].tolist()


def test_table_target_and_arch_column_options(tmp_path: Path) -> None:
    archs = sample_archs("nb201", 3, seed=2)
    path = tmp_path / "renamed.csv"
    path.write_text("cell,acc,other\n" + "".join(
        f"{NB201.format(a)},{90 - i},{i}\n" for i, a in enumerate(archs)))
    bench = load_benchmark("table", path=path, target="acc")  # arch column found by content
    assert bench.archs() == archs and bench.target == "acc" and bench.best() == (archs[0], 90.0)
    assert bench.columns() == ["other"]
    bench = load_benchmark("table", path=path, target="other", arch_column="cell")
    assert bench.best() == (archs[2], 2.0) and bench.columns() == ["acc"]


# -- bad files: one line naming file, row and problem ---------------------------------------------
GOOD = NB201.format(NB201.from_index(123))
OTHER = NB201.format(NB201.from_index(456))


@pytest.mark.parametrize("text, parts", [
    ("arch,accuracy\n" + f"{GOOD},90\n", ["row 1 (header)", "no target column 'val_accuracy'",
                                          "columns are: arch, accuracy"]),
    ("arch,val_accuracy\n" + f"{GOOD},90\n"
     "|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|,80\n",
     ["row 3", "unknown op 'nor_conv_9x9'"]),
    ("arch,val_accuracy\n" + f"{GOOD},90\n{OTHER},80\n{GOOD},70\n",
     ["row 4", "duplicate architecture", "same as row 2"]),
    ("arch,val_accuracy\n" + f"{GOOD},90\n{OTHER},high\n", ["row 3", "must be a number", "'high'"]),
    ("arch,val_accuracy\n" + f"{GOOD},90\n{OTHER},\n",
     ["row 3", "no value in column 'val_accuracy'"]),
    ("arch,val_accuracy\n" + f"{GOOD},90\n,80\n", ["row 3", "empty arch"]),
    ("arch,val_accuracy\n" + f"{GOOD},90\n{OTHER},80,extra\n", ["malformed CSV", "line 3"]),
    ("", ["empty file"]),
])
def test_bad_tables(tmp_path: Path, text: str, parts: list[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_benchmark("table", path=path, space="nb201")
    one_line_error(info, str(path), *parts)


def test_wrong_space_names_the_right_one(tmp_path: Path) -> None:
    path = tmp_path / "nb201.csv"
    path.write_text(f"arch,val_accuracy\n{GOOD},90\n")
    with pytest.raises(ValueError) as info:
        load_benchmark("table", path=path, space="nb101")
    one_line_error(info, str(path), "row 2", "reads as space 'nb201'", "wrong space")
    sz = tmp_path / "zc.json"
    write_suite_zero(sz, "nb201", sample_archs("nb201", 2))
    with pytest.raises(ValueError) as info:
        load_benchmark("suite_zero", path=sz, space="darts")
    one_line_error(info, str(sz), "row 1", "key '(", "reads as space 'nb201'")


@pytest.mark.parametrize("text, parts", [
    ('{"cifar10": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": 90.0,}}}',
     ["line 1 column", "malformed JSON"]),
    ('[1, 2]', ["top level"]),
    ('{"cifar10": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": 90.0}, "(0, 1, 2, 3, 4, 9)": '
     '{"val_accuracy": 80.0}}}', ["row 2", "key '(0, 1, 2, 3, 4, 9)'", "op index 9"]),
    ('{"cifar10": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": 90.0}, "(0, 1, 2, 3, 4, 1)": '
     '{"synflow": {"score": 1, "time": 1}}}}', ["row 2", "no 'val_accuracy'", "synflow"]),
    ('{"cifar10": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": "high"}}}',
     ["row 1", "must be a number"]),
    ('{"cifar10": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": 90.0}, "(0,1,2,3,4,0)": '
     '{"val_accuracy": 80.0}}}', ["row 2", "duplicate architecture", "same as row 1"]),
])
def test_bad_suite_zero(tmp_path: Path, text: str, parts: list[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_benchmark("suite_zero", path=path, space="nb201")
    one_line_error(info, str(path), *parts)


# -- the real shared files ------------------------------------------------------------------------
def test_real_nb201_csv() -> None:
    bench = load_benchmark("table", path=NB201_CSV, space="nb201")
    assert len(bench) == 15_625 and set(bench.archs()) == set(NB201.all())  # every row parses
    arch, acc = bench.best()
    assert (NB201.format(arch), acc) == BEST_CSV
    values = bench.final_val_acc()
    assert values.min() == 10.0 and int((values == 10.0).sum()) == 341
    assert bench.curve(BEST_CSV[0]).final_val_acc == BEST_CSV[1]


def test_real_suite_zero_nb201() -> None:
    bench = load_benchmark("suite_zero", path=SZ_NB201, space="nb201")
    assert len(bench) == 725 and bench.dataset == "cifar10"
    arch, acc = bench.best()
    assert (NB201.format(arch), acc) == BEST_SZ[:2]
    assert NB201.to_suite_zero(arch) == BEST_SZ[2]
    assert bench.proxies() == SZ_PROXIES
    scores, seconds = bench.proxy_scores("synflow")
    assert int(np.isnan(scores).sum()) == 1 and (seconds[~np.isnan(seconds)] > 0).all()
    assert bench.proxy_score(arch, "params")[0] > 0


def test_real_files_agree() -> None:
    table = load_benchmark("table", path=NB201_CSV)
    suite = load_benchmark("suite_zero", path=SZ_NB201)
    np.testing.assert_array_equal(table.final_val_acc(suite.archs()), suite.final_val_acc())


@pytest.mark.slow
def test_real_nb201_csv_time_and_memory() -> None:
    load_benchmark("table", path=NB201_CSV)  # warm imports (pandas) so they are not measured
    start = time.perf_counter()
    bench = load_benchmark("table", path=NB201_CSV)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        load_benchmark("table", path=NB201_CSV)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(bench) == 15_625
    assert seconds < 10.0, f"loading all NB201 rows took {seconds:.2f} s"
    assert peak < 500 * 2**20, f"loading all NB201 rows peaked at {peak / 2**20:.0f} MB"


# -- official NAS-Bench-201 / NATS-Bench files (tiny fixtures in the real structure) --------------
FIXTURE_ARCHS = [NB201.from_index(i) for i in (0, 7_000, 15_624)]
EPOCHS = 200


def arch_results(api, index: int, arch_str: str, epochs: int, seeds: tuple[int, ...]):
    """One arch's ArchResults built with the package's own classes: cifar10-valid (x-valid,
    ori-test), cifar10 (ori-test only, as in NB201) and cifar100 (x-valid, x-test, ori-test);
    accuracies depend on index, seed and split."""
    results = api.ArchResults(index, arch_str)
    for dataset, sets in (("cifar10-valid", ("x-valid", "ori-test")), ("cifar10", ("ori-test",)),
                          ("cifar100", ("x-valid", "x-test", "ori-test"))):
        for seed in seeds:
            shift = index / 1000 + (seed % 7)
            train_acc = {e: 20 + 70 * e / epochs + shift for e in range(epochs)}
            train_loss = {e: 2.0 - e / epochs for e in range(epochs)}
            count = api.ResultsCount(dataset, None, train_acc, train_loss, 0.5, 80.0,
                                     {"arch_str": arch_str, "channel": 16, "num_cells": 5,
                                      "class_num": 10}, seed, epochs, [0.01])
            count.update_train_info(train_acc, None, train_loss,
                                    {e: 10.0 + index / 10_000 + seed / 1000 for e in range(epochs)})
            accs, losses, times = {}, {}, {}
            for k, name in enumerate(sets):
                for e in range(epochs):
                    accs[f"{name}@{e}"] = 15 + 70 * e / epochs + shift - k
                    losses[f"{name}@{e}"] = 2.1 - e / epochs + k / 10
                    times[f"{name}@{e}"] = 1.0
            count.update_eval(accs, losses, times)
            results.update(dataset, seed, count)
    return results


def official_dict(api, hp_keys: tuple[str, str]) -> dict:
    """{meta_archs, arch2infos, evaluated_indexes}: all 15,625 names, three archs evaluated."""
    meta = [NB201.format(a) for a in NB201.all()]
    infos = {}
    for arch in FIXTURE_ARCHS:
        seeds = (777, 888) if arch.index == 7_000 else (777,)
        infos[arch.index] = {
            hp_keys[0]: arch_results(api, arch.index, meta[arch.index], 12, seeds).state_dict(),
            hp_keys[1]: arch_results(api, arch.index, meta[arch.index], EPOCHS, seeds).state_dict()}
    return {"meta_archs": meta, "arch2infos": infos,
            "evaluated_indexes": [a.index for a in FIXTURE_ARCHS]}


@pytest.fixture(scope="module")
def nb201_pth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    api = pytest.importorskip("nas_201_api", reason="needs pip install 'predbench[nb201]'")
    import torch

    data = official_dict(api, ("less", "full"))
    path = tmp_path_factory.mktemp("nb201") / "NAS-Bench-201-v1_1-096897.pth"
    torch.save(data, path)
    return path, data


@pytest.fixture(scope="module")
def nats_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    nats = pytest.importorskip("nats_bench", reason="needs pip install 'predbench[nb201]'")
    root = tmp_path_factory.mktemp("nats")
    data = official_dict(nats, ("12", "200"))
    nats.pickle_save(data, str(root / "NATS-tss-v1_0-3ffb9.pickle"))  # appends .pbz2
    archive = root / "NATS-tss-v1_0-3ffb9-simple"
    archive.mkdir()
    nats.pickle_save({"meta_archs": data["meta_archs"]}, str(archive / "meta.pickle"))
    for index, infos in data["arch2infos"].items():
        nats.pickle_save(infos, str(archive / f"{index:06d}.pickle"))
    return root / "NATS-tss-v1_0-3ffb9.pickle.pbz2", archive


def check_against_official(bench, official, dataset: str) -> None:
    """Our curves agree with the package's own `get_more_info` (mean over trials)."""
    assert bench.archs() == FIXTURE_ARCHS and len(bench) == 3 and bench.max_epochs == EPOCHS
    for arch in FIXTURE_ARCHS:
        curve = bench.curve(arch)
        ref = official.get_more_info(arch.index, dataset, iepoch=None, hp="200", is_random=False)
        assert curve.epochs == EPOCHS
        assert curve.final_val_acc == pytest.approx(ref["valid-accuracy"])
        assert curve.val_loss[-1] == pytest.approx(ref["valid-loss"])
        assert curve.train_acc[-1] == pytest.approx(ref["train-accuracy"])
        assert curve.train_loss[-1] == pytest.approx(ref["train-loss"])
        assert curve.train_seconds() == pytest.approx(ref["train-all-time"])
        assert curve.test_acc == pytest.approx(ref["test-accuracy"])
        mid = official.get_more_info(arch.index, dataset, iepoch=49, hp="200", is_random=False)
        assert curve.val_acc[49] == pytest.approx(mid["valid-accuracy"])  # epoch 50
        assert curve.train_seconds(50) == pytest.approx(mid["train-all-time"])
    np.testing.assert_allclose(bench.final_val_acc(),
                               [bench.curve(a).final_val_acc for a in FIXTURE_ARCHS])


@pytest.mark.parametrize("dataset", ["cifar10-valid", "cifar100"])
def test_nb201_pth(nb201_pth: tuple[Path, dict], dataset: str) -> None:
    import nas_201_api

    path, data = nb201_pth
    bench = load_benchmark("nb201_official", path=path, dataset=dataset)
    assert bench.kind == "nb201_official" and bench.api == "nas_201_api"
    official = nas_201_api.NASBench201API(data, verbose=False)
    check_against_official(bench, official, dataset)


@pytest.mark.parametrize("layout", ["file", "archive"])
def test_nats_topology(nats_files: tuple[Path, Path], layout: str) -> None:
    import nats_bench

    file, archive = nats_files
    path = file if layout == "file" else archive
    bench = load_benchmark("nb201_official", path=path, dataset="cifar10-valid")
    assert bench.api == "nats_bench"
    official = nats_bench.create(str(path), "tss", fast_mode=layout == "archive", verbose=False)
    check_against_official(bench, official, "cifar10-valid")


def test_nb201_cifar10_has_no_validation_split(nb201_pth: tuple[Path, dict]) -> None:
    import nas_201_api

    path, data = nb201_pth
    bench = load_benchmark("nb201_official", path=path, dataset="cifar10")
    official = nas_201_api.NASBench201API(data, verbose=False)
    for arch in FIXTURE_ARCHS:  # trained on train+valid: the test split fills val_* and test_acc
        curve = bench.curve(arch)
        ref = official.get_more_info(arch.index, "cifar10", hp="200", is_random=False)
        assert "valid-accuracy" not in ref
        assert curve.final_val_acc == curve.test_acc == pytest.approx(ref["test-accuracy"])
        assert curve.train_seconds() == pytest.approx(ref["train-all-time"])


def test_nb201_official_options_and_errors(nb201_pth: tuple[Path, dict]) -> None:
    path, _ = nb201_pth
    two_seeds = FIXTURE_ARCHS[1]
    mean = load_benchmark("nb201_official", path=path).curve(two_seeds)
    one = load_benchmark("nb201_official", path=path, seed=888).curve(two_seeds)
    other = load_benchmark("nb201_official", path=path, seed=777).curve(two_seeds)
    assert mean.final_val_acc == pytest.approx((one.final_val_acc + other.final_val_acc) / 2)
    assert one.final_val_acc != other.final_val_acc
    short = load_benchmark("nb201_official", path=path, hp="12")
    assert short.max_epochs == 12 and short.curve(FIXTURE_ARCHS[0]).epochs == 12
    bench = load_benchmark("nb201_official", path=path)
    absent = NB201.from_index(1)
    assert absent not in bench and FIXTURE_ARCHS[0] in bench
    with pytest.raises(KeyError) as info:
        bench.curve(absent)
    one_line_error(info, NB201.format(absent), "not evaluated", path.name)
    with pytest.raises(NotImplementedError, match="holds no images"):
        bench.batch(4, 0)
    with pytest.raises(ValueError) as info:
        load_benchmark("nb201_official", path=path, dataset="ImageNet16-120")
    one_line_error(info, str(path), "no results for dataset 'ImageNet16-120'",
                   "cifar10-valid, cifar10, cifar100")
    result = run_cli("nb201_official", "--path", str(path), "-o", "seed=777", "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["size"] == 3 and facts["max_epochs"] == facts["reported_epochs"] == EPOCHS
    assert facts["best_arch"] == NB201.format(FIXTURE_ARCHS[2]) and facts["proxies"] == []
    with pytest.raises(ValueError, match="unknown NAS-Bench-201 dataset 'cifar1'"):
        load_benchmark("nb201_official", path=path, dataset="cifar1")
    with pytest.raises(ValueError) as info:  # archs differ in their trials: checked per arch
        load_benchmark("nb201_official", path=path, seed=888).curve(FIXTURE_ARCHS[0])
    one_line_error(info, str(path), "index 0", "no trial with seed 888", "seeds: 777")
    with pytest.raises(ValueError) as info:
        load_benchmark("nb201_official", path=path, hp="90")
    one_line_error(info, "no schedule hp='90'", "less, full")


def test_nb201_official_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nats_bench", reason="needs pip install 'predbench[nb201]'")
    junk = tmp_path / "junk.pickle.pbz2"
    junk.write_bytes(b"not bz2")
    with pytest.raises(ValueError) as info:
        load_benchmark("nb201_official", path=junk)
    one_line_error(info, str(junk), "not a readable NATS-Bench")
    with pytest.raises(FileNotFoundError, match="no meta.pickle.pbz2"):
        load_benchmark("nb201_official", path=tmp_path)
    monkeypatch.setitem(__import__("sys").modules, "nats_bench", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'predbench\[nb201\]'"):
        load_benchmark("nb201_official", path=junk)
    result = run_cli("nb201_official", "--path", str(junk))  # the CLI says so in one line
    assert result.exit_code == 2 and "predbench[nb201]" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- the CLI ---------------------------------------------------------------------------------------
def run_cli(*args: str):
    return CliRunner().invoke(app, ["bench", "info", *args])


def test_cli_bench_info_real_files() -> None:
    result = run_cli("table", "--path", str(NB201_CSV), "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["size"] == 15_625 and facts["best_arch"] == BEST_CSV[0]
    assert (facts["target_min"], facts["target_max"]) == (10.0, BEST_CSV[1])
    assert facts["target_median"] == pytest.approx(86.93) and facts["load_seconds"] < 10
    result = run_cli("suite_zero", "--path", str(SZ_NB201), "--space", "nb201")
    assert result.exit_code == 0, result.output
    for text in ("725", "91.36", "synflow", "nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1"):
        assert text in result.stdout


def test_cli_bench_info_fixture_and_errors(tmp_path: Path) -> None:
    archs = sample_archs("nb201", 4, seed=3)
    path = tmp_path / "zc.json"
    write_suite_zero(path, "nb201", archs)
    result = run_cli("suite_zero", "--path", str(path), "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["size"] == 4 and facts["best_arch"] == NB201.format(archs[3])
    assert facts["proxies"] == ["synflow", "flops"] and facts["best_value"] == 83.0

    bad = tmp_path / "bad.csv"
    bad.write_text(f"arch,val_accuracy\n{GOOD},90\n|none~0|+|oops|,80\n")
    for args in (["table", "--path", str(bad)],
                 ["suite_zero", "--path", str(path), "--target", "acc"],
                 ["nowhere", "--path", str(path)],
                 ["table", "--path", str(tmp_path / "missing.csv")]):
        result = run_cli(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert f"{bad}: row 3:" in run_cli("table", "--path", str(bad)).stderr
