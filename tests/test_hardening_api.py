"""Issue 20 (hardening): bad input to `predbench sweep` / `predbench search` and to
`run_sweep`, `parse_spec`, `run_search`, `evaluate` and the metrics is refused before any work
starts — one line naming the option / argument / spec key (CLI: exit 2, nothing on stdout, so
no progress bar came first; nothing created), a TypeError/ValueError naming the argument for
the API — never a traceback, never a false success."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from benchmarks import load_benchmark
from experiments import evaluate, metrics, run_search
from experiments.spec import SpecError, parse_spec
from experiments.sweep import run_sweep
from experiments.sweep_store import SweepStore
from predbench.cli import app

SWEEP = {"seeds": [0], "test_size": 20, "train_sizes": [10]}


@pytest.fixture(scope="module")
def bench() -> Any:
    return load_benchmark("default")


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


def _spec_text(sweep: dict[str, Any] | None = None, benchmark: dict[str, Any] | None = None,
               predictor: dict[str, Any] | None = None) -> str:
    lines = ["[sweep]", *(f"{k} = {_toml(v)}" for k, v in (sweep or SWEEP).items()),
             "[[benchmarks]]",
             *(f"{k} = {_toml(v)}" for k, v in (benchmark or {"kind": "default"}).items()),
             "[[predictors]]",
             *(f"{k} = {_toml(v)}" for k, v in (predictor or {"name": "xgb"}).items())]
    return "\n".join(lines) + "\n"


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _refused(result: Result, *names: str) -> str:
    """Exit 2, one `error:` line on stderr naming every one of `names`, nothing on stdout."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == "", result.stdout  # no progress bar (or anything) before the error
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def _sweep(tmp_path: Path, *options: str, spec: str | None = None) -> Result:
    (tmp_path / "spec.toml").write_text(spec or _spec_text())
    args = ["sweep", str(tmp_path / "spec.toml"), *options]
    if "--db" not in options:
        args += ["--db", str(tmp_path / "out" / "s.db")]
    return CliRunner().invoke(app, args)


# -- 1. predbench sweep: every check before the progress bar, nothing left behind ----------
@pytest.mark.parametrize("options, names", [
    (["--db", "{tmp}/a_dir"], ["a_dir", "directory"]),
    (["--db", "{tmp}/text.db"], ["text.db", "not an SQLite database"]),
    (["--db", "mysql://u@localhost/x"], ["mysql"]),
    (["--db", "{tmp}/run.db"], ["run.db", "not a predbench sweep store"]),
    (["--executor", "nope"], ["--executor", "nope"]),
    (["--executor", ""], ["--executor"]),
    (["--workers", str(2**63)], ["--workers"]),
    (["--workers", "0"], ["--workers"]),
    (["--ray-address", "1.2.3.4:1"], ["--ray-address", "--executor ray"]),
    (["--export", "{tmp}/a_dir"], ["--export", "a_dir", "folder"]),
    (["--export", "{tmp}/table.txt"], ["--export", "table.txt", ".csv"]),
    (["--export", "{tmp}/out/s.db"], ["--export", "s.db"]),
])
def test_sweep_options_refused_before_the_work(tmp_path, options, names):
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "text.db").write_text("this is not a database\n")
    import sqlite3

    with sqlite3.connect(tmp_path / "run.db") as db:
        db.execute("CREATE TABLE runs (x)")
    before = _files(tmp_path)
    given = [o.replace("{tmp}", str(tmp_path)) for o in options]
    _refused(_sweep(tmp_path, *given), *names)
    assert _files(tmp_path) == before | {"spec.toml"}  # no s.db, no out/ folder


@pytest.mark.parametrize("sweep, benchmark, predictor, names", [
    ({**SWEEP, "test_size": 10**6}, None, None, ["benchmarks[0]", "test_size"]),
    ({**SWEEP, "train_sizes": [2**63]}, None, None, ["sweep.train_sizes"]),
    ({**SWEEP, "fidelities": [100]}, None, None, ["sweep.fidelities", "8 epochs"]),
    (None, {"kind": "default", "label": 5}, None, ["benchmarks[0].label"]),
    (None, None, {"name": "xgb", "label": 5}, ["predictors[0].label"]),
    (None, {"kind": "default", "path": "/nonexistent/x.npz"}, None, ["benchmarks[0]", "x.npz"]),
    (None, {"kind": "table"}, None, ["benchmarks[0]", "path"]),
    (None, None, {"name": "xgb", "params": {"encoding": "nope"}},
     ["predictors[0]", "encoding", "nope"]),
    (None, None, {"name": "snip", "params": {"preset": "nope"}}, ["predictors[0]", "preset"]),
    (None, None, {"name": "zc_ensemble", "params": {"proxies": ["nope"]}},
     ["predictors[0]", "nope"]),
])
def test_sweep_spec_problems_refused_before_the_store_exists(tmp_path, sweep, benchmark,
                                                              predictor, names):
    line = _refused(_sweep(tmp_path, spec=_spec_text(sweep, benchmark, predictor)), *names)
    assert "spec.toml" in line
    assert not (tmp_path / "out").exists()


def test_sweep_spec_cut_npz_names_the_file(tmp_path):
    from benchmarks.default import DEFAULT_FILE

    cut = tmp_path / "cut.npz"
    cut.write_bytes(DEFAULT_FILE.read_bytes()[:2000])
    _refused(_sweep(tmp_path, spec=_spec_text(benchmark={"kind": "default", "path": str(cut)})),
             "benchmarks[0]", "cut.npz")
    assert not (tmp_path / "out").exists()


def test_sweep_store_of_another_protocol_refused_before_the_work(tmp_path):
    store = SweepStore(tmp_path / "made.db")
    store.check_protocol({"test_size": 30, "sampler": "uniform", "split": "all"})
    store.close()
    _refused(_sweep(tmp_path, "--db", str(tmp_path / "made.db")), "made.db", "test_size")


@pytest.mark.parametrize("data, problem", [
    (math.nan, "float"), ([], "list"), ("text", "str"),
])
def test_parse_spec_of_a_non_mapping_names_the_spec(data, problem):
    with pytest.raises(TypeError, match=f"sweep spec must be a mapping.*got {problem}"):
        parse_spec(data)


def test_parse_spec_builds_every_predictor():
    spec = {"sweep": SWEEP, "benchmarks": [{"kind": "default"}],
            "predictors": [{"name": "xgb", "params": {"nope": 1}}]}
    with pytest.raises(SpecError, match=r"predictors\[0\]\.params.*nope"):
        parse_spec(spec)


# -- 5. run_sweep ---------------------------------------------------------------------------
@pytest.mark.parametrize("change, error, name", [
    (dict(store_path="{tmp}/a_file/s.db"), ValueError, "a_file"),
    (dict(store_path=42), TypeError, "store_path"),
    (dict(workers=1.5), TypeError, "workers"),
    (dict(workers="2"), TypeError, "workers"),
    (dict(workers=10**6), ValueError, "workers"),
    (dict(executor="nope"), ValueError, "executor"),
    (dict(ray_address="1.2.3.4:1"), ValueError, "ray_address"),
    (dict(on_progress=5), TypeError, "on_progress"),
    (dict(spec={"sweep": {}}), TypeError, "spec"),
])
def test_run_sweep_arguments_are_named(tmp_path, change, error, name):
    (tmp_path / "a_file").write_text("x")
    kwargs: dict[str, Any] = dict(spec=parse_spec({"sweep": SWEEP,
                                                   "benchmarks": [{"kind": "default"}],
                                                   "predictors": [{"name": "xgb"}]}),
                                  store_path=str(tmp_path / "s.db"))
    kwargs.update({k: v.replace("{tmp}", str(tmp_path)) if isinstance(v, str) else v
                   for k, v in change.items()})
    with pytest.raises(error, match=name):
        run_sweep(**kwargs)
    assert _files(tmp_path) == {"a_file"}


# -- 2. predbench search: loop and predictor settings before the bar or folder --------------
@pytest.mark.parametrize("args, names", [
    (["-a", "re", "--param", "population=-1"], ["population"]),
    (["-a", "re", "--param", "sample=1000"], ["sample"]),
    (["-a", "re", "--param", "population=abc"], ["--param population"]),
    (["-a", "bananas", "--param", "acquisition=nope"], ["acquisition"]),
    (["-a", "bananas", "--param", "ensemble_size=0"], ["ensemble_size"]),
    (["-a", "ls", "--param", "move=nope"], ["move"]),
    (["-a", "npenas", "--param", "fidelity=-1"], ["fidelity"]),
    (["-a", "npenas", "--param", "k=0"], ["k="]),
    (["-a", "npenas", "--param", "num_candidates=-1"], ["num_candidates"]),
    (["-a", "npenas", "--param", "candidates=nope"], ["candidates"]),
    (["-a", "npenas", "--predictor-param", "encoding=nope"], ["encoding", "nope"]),
    (["-a", "npenas", "--predictor-param", "nope=1"], ["--predictor-param", "nope"]),
    (["-a", "npenas", "-p", "oneshot", "-b", "table:path={csv},space=nb201"], ["oneshot"]),
    (["-a", "rs", "-o", "{tmp}/a_file"], ["--out", "a_file"]),
])
def test_search_settings_refused_before_the_work(tmp_path, args, names):
    (tmp_path / "a_file").write_text("x")
    csv = tmp_path / "t.csv"
    bench = load_benchmark("default")
    archs = list(bench.archs())[:30]
    csv.write_text("arch,val_accuracy\n" + "".join(f"{a},{50 + i}\n" for i, a in
                                                    enumerate(archs)))
    before = _files(tmp_path)
    given = [a.replace("{tmp}", str(tmp_path)).replace("{csv}", str(csv)) for a in args]
    if "-o" not in given:
        given += ["-o", str(tmp_path / "search")]
    result = CliRunner().invoke(app, ["search", "--budget", "5", "--seeds", "0", "--no-plot",
                                      *given])
    _refused(result, *names)
    assert _files(tmp_path) == before


# -- 3. run_search ------------------------------------------------------------------------
@pytest.mark.parametrize("algo, change, error, name", [
    ("rs", dict(benchmark=None), TypeError, "benchmark"),
    ("rs", dict(benchmark="default"), TypeError, "load_benchmark"),
    ("rs", dict(seed=-1), ValueError, "seed"),
    ("rs", dict(seed="a"), TypeError, "seed"),
    ("rs", dict(seed=None), TypeError, "seed"),
    ("rs", dict(seed=1.5), TypeError, "seed"),
    ("rs", dict(seed=True), TypeError, "seed"),
    ("rs", dict(on_step=5), TypeError, "on_step"),
    ("rs", dict(budget="a"), TypeError, "budget"),
    ("npenas", dict(predictor=5), TypeError, "predictor"),
    ("npenas", dict(predictor_params=5), TypeError, "predictor_params"),
    ("re", dict(population="abc"), TypeError, "population"),
    ("re", dict(population=0), ValueError, "population"),
    ("bananas", dict(ensemble_size=0), ValueError, "ensemble_size"),
    ("bananas", dict(beta=math.nan), ValueError, "beta"),
    ("npenas", dict(predictor="xgb", predictor_params={"encoding": "nope"}), ValueError,
     "encoding"),
])
def test_run_search_arguments_are_named(bench, algo, change, error, name):
    steps: list[Any] = []
    kwargs: dict[str, Any] = dict(benchmark=bench, budget=3, seed=0)
    kwargs.update(change)
    if "on_step" not in kwargs:
        kwargs["on_step"] = steps.append
    with pytest.raises(error, match=name):
        run_search(algo, **kwargs)
    assert not steps  # nothing was queried


# -- 4. evaluate --------------------------------------------------------------------------
@pytest.mark.parametrize("change, error, name", [
    (dict(predictor=5), TypeError, "predictor"),
    (dict(predictor=None), TypeError, "predictor"),
    (dict(benchmark=None), TypeError, "benchmark"),
    (dict(benchmark="default"), TypeError, r"load_benchmark\('default'\)"),
    (dict(train_sizes=5), TypeError, "train_sizes"),
    (dict(fidelities=5), TypeError, "fidelities"),
    (dict(seeds=5), TypeError, "seeds"),
    (dict(seeds=[-1]), ValueError, "seed"),
    (dict(seeds=[0.5]), TypeError, "seed"),
    (dict(test_size=2), ValueError, "test_size"),
    (dict(device="tpu"), ValueError, "device"),
    (dict(device=5), TypeError, "device"),
    (dict(progress=5), TypeError, "progress"),
    (dict(sampler="nope"), ValueError, "sampler"),
    (dict(train_sizes=[10**6]), ValueError, "train_sizes"),
    (dict(fidelities=[100]), ValueError, "fidelities"),
    (dict(predictor="snip", train_sizes=None), None, None),  # preset follows a valid space
])
def test_evaluate_arguments_are_named(bench, change, error, name):
    calls: list[int] = []
    kwargs: dict[str, Any] = dict(benchmark=bench, predictor="xgb", train_sizes=[10],
                                  test_size=20, seeds=[0], progress=lambda: calls.append(1))
    kwargs.update(change)
    if error is None:
        from predictors import get_predictor

        kwargs["predictor"] = get_predictor("snip", preset="nope")
        with pytest.raises(ValueError, match="preset"):
            evaluate(**kwargs)
        return
    with pytest.raises(error, match=name):
        evaluate(**kwargs)
    assert not calls


def test_evaluate_accepts_the_documented_devices(bench):
    for device in ("cpu", None):
        frame = evaluate(bench, "xgb", train_sizes=[10], test_size=20, seeds=[0], device=device)
        assert frame.error.isna().all()


# -- 6. metrics ---------------------------------------------------------------------------
Y = [1.0, 2.0, 3.0, 4.0]
METRICS = [metrics.pearson, metrics.spearman, metrics.kendall_tau, metrics.sparse_kendall_tau,
           lambda y, p: metrics.precision_at_k(y, p, 2)]


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("pred, error, words", [
    ({1: 2}, TypeError, ["pred", "dict"]),
    ([1 + 1j, 2, 3, 4], TypeError, ["pred", "real"]),
    ((v for v in Y), TypeError, ["pred", "generator"]),
    (["a", "b", "c", "d"], TypeError, ["pred", "real"]),
    (np.ones((2, 2)), TypeError, ["pred", "shape (2, 2)"]),
    ([1.0, 2.0, 3.0], ValueError, ["y", "pred", "4 vs 3"]),
    (5.0, TypeError, ["pred", "1-D"]),
])
def test_metrics_coerce_inputs_in_one_place(metric, pred, error, words):
    with pytest.raises(error) as info:
        metric(Y, pred)
    for word in words:
        assert word in str(info.value)


def test_metrics_shapes_3x2_vs_2x3_refused():
    with pytest.raises(TypeError, match=r"shape \(3, 2\)"):
        metrics.spearman(np.ones((3, 2)), np.ones((2, 3)))
    assert metrics.spearman(np.arange(4.0).reshape(4, 1), Y) == pytest.approx(1.0)  # a column


@pytest.mark.parametrize("k, error", [(1.5, TypeError), ("2", TypeError), (None, TypeError),
                                      (True, TypeError), (0, ValueError)])
def test_precision_at_k_needs_an_integer_k(k, error):
    with pytest.raises(error, match="k must be an integer >= 1"):
        metrics.precision_at_k(Y, Y, k)
    assert metrics.precision_at_k(Y, Y, np.int64(2)) == 1.0


@pytest.mark.parametrize("decimals, error", [(1.5, TypeError), ("x", TypeError),
                                             (-1, ValueError), (True, TypeError)])
def test_sparse_kendall_tau_needs_integer_decimals(decimals, error):
    with pytest.raises(error, match="decimals must be an integer >= 0"):
        metrics.sparse_kendall_tau(Y, Y, decimals)
