"""Sweeps: spec validation (errors name the key), a tiny sweep end to end, resume, kill-safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from experiments.spec import SpecError, load_spec, parse_spec
from experiments.sweep import plan, run_sweep
from experiments.sweep_store import SweepStore
from predbench.cli import app
from search_spaces import get_search_space


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    archs = get_search_space("nb201").all()
    acc = np.array([50 + 8 * a.ops.count(3) + 3 * a.ops.count(2) for a in archs], float)
    acc += rng.normal(0, 2, len(archs))
    path = tmp_path_factory.mktemp("t") / "nb201.csv"
    pd.DataFrame({"arch": [str(a) for a in archs], "val_accuracy": acc}).to_csv(path, index=False)
    return path


def spec_text(csv: Path, predictors: str, sweep: str = "seeds = [0, 1]\ntest_size = 50\n"
              "train_sizes = [10, 40]") -> str:
    return f"[sweep]\n{sweep}\n\n[[benchmarks]]\nkind = \"table\"\npath = \"{csv}\"\n" \
           f"space = \"nb201\"\nlabel = \"synthetic\"\n\n{predictors}"


XGB = '[[predictors]]\nname = "xgb"\nparams = { num_boost_round = 20 }\n'
SVR = '[[predictors]]\nname = "svr"\n'


@pytest.mark.parametrize("text, key", [
    ("[sweep]\nseeds = 3\n", "sweep.seeds"),
    ("[sweep]\nsampler = 'nope'\n", "sweep.sampler"),
    ("[sweep]\nwhatever = 1\n", "sweep.whatever"),
    ("[[predictors]]\nname = 'xgb'\n", "benchmarks"),
    ("[[benchmarks]]\nkind = 'nope'\n[[predictors]]\nname = 'xgb'\n", "benchmarks[0].kind"),
    ("[[benchmarks]]\nkind = 'table'\npth = 'x'\n[[predictors]]\nname = 'xgb'\n",
     "benchmarks[0].pth"),
    ("[[benchmarks]]\nkind = 'table'\npath = 'x'\n[[predictors]]\nname = 'xbg'\n",
     "predictors[0].name"),
    ("[[benchmarks]]\nkind = 'table'\npath = 'x'\n[[predictors]]\nname = 'xgb'\n"
     "params = { depth_of_trees = 3 }\n", "predictors[0].params"),
    ("[oops]\n", "oops"),
])
def test_bad_specs_name_the_key(tmp_path, text, key):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}:") and "\n" not in message


def test_spec_not_toml(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text("[[benchmarks]\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(path)


def test_tiny_sweep_end_to_end_and_resume(tmp_path, table_csv):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(spec_text(table_csv, XGB + SVR))
    spec = load_spec(spec_path)
    cells, errors = plan(spec)
    assert len(cells) == 2 * 2 * 2 and not errors  # predictors × seeds × train sizes
    calls = []
    store = run_sweep(spec, tmp_path / "r.db", on_progress=lambda d, t: calls.append((d, t)))
    frame = store.frame()
    assert len(frame) == 8 and frame.error.isna().all()
    assert calls[0] == (0, 8) and calls[-1] == (8, 8)
    assert (frame[frame.train_size == 40].kendalltau > 0.3).all()
    assert set(frame.predictor_label) == {"xgb-" + spec.predictors[0].label.split("-")[1], "svr"}
    # the same cell alone gives the same row as in a full-grid evaluate call
    from experiments.evaluator import evaluate

    full = evaluate(spec.benchmarks[0].load(), "svr", train_sizes=[10, 40], test_size=50,
                    seeds=[1])
    mine = frame[(frame.predictor == "svr") & (frame.seed == 1)].sort_values("train_size")
    assert np.allclose(mine.kendalltau.values, full.kendalltau.values)
    # resume: nothing left to do
    calls.clear()
    again = run_sweep(spec, tmp_path / "r.db", on_progress=lambda d, t: calls.append((d, t)))
    assert len(again) == 8 and calls == [(0, 0)]
    out = again.export(tmp_path / "r.csv")
    assert len(pd.read_csv(out)) == 8


def test_predictor_that_cannot_run_gets_error_rows(tmp_path, table_csv):
    # a learning-curve predictor on a final-accuracy table: one error row per seed, sweep goes on
    from predictors import Needs, Predictor
    from predictors import base as predictor_base
    from predictors.base import register_predictor

    @register_predictor
    class LastEpoch(Predictor):
        name, family, needs = "_sweep_last_epoch", "learning_curve", Needs(query_epochs=True)

        def query(self, archs, ctx):
            return np.array([ctx.curves.curve(a).val_acc[-1] for a in archs])

    try:
        spec = parse_spec({
            "sweep": {"seeds": [0, 1], "test_size": 50, "train_sizes": [10]},
            "benchmarks": [{"kind": "table", "path": str(table_csv), "space": "nb201"}],
            "predictors": [{"name": LastEpoch.name}, {"name": "svr"}]})
        frame = run_sweep(spec, tmp_path / "r.db").frame()
    finally:
        predictor_base._REGISTRY.pop(LastEpoch.name)
    assert len(frame) == 4
    errors = frame[frame.predictor == LastEpoch.name].error
    assert len(errors) == 2 and errors.str.contains("only final accuracies").all()
    assert frame[frame.predictor == "svr"].error.isna().all()


def test_corrupt_or_foreign_store(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ValueError, match="the file is not an SQLite database"):
        SweepStore(bad)
    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE other (x)")
    con.commit()
    con.close()
    with pytest.raises(ValueError, match="not a predbench sweep store"):
        SweepStore(foreign)


@pytest.mark.parametrize("offset", [4096, 60_000])
def test_damaged_store_is_one_line_on_open(tmp_path, offset):
    """Issue 20: 2 KB overwritten inside a sweep store gave sqlite3.DatabaseError tracebacks
    from `sweep` and `report`; the store now checks itself on open."""
    good = tmp_path / "good.db"
    store = SweepStore(good)
    for i in range(300):
        store.add(("b", "p", i, 0, 0), {"kendalltau": 0.1, "pad": "x" * 200})
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store._db.close()
    data = bytearray(good.read_bytes())
    noise = np.random.default_rng(0).integers(0, 256, 2048, np.uint8)
    data[offset: offset + 2048] = noise.tobytes()
    bad = tmp_path / "bad.db"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError) as exc:
        SweepStore(bad)
    message = str(exc.value)
    assert "\n" not in message and str(bad) in message and "another --db" in message
    result = CliRunner().invoke(app, ["report", "-r", str(bad), "-o", str(tmp_path / "r")])
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.slow
def test_killed_sweep_loses_only_in_flight_cells(tmp_path, table_csv):
    spec_path = tmp_path / "spec.toml"
    sweep = "seeds = [0, 1, 2, 3, 4, 5]\ntest_size = 50\ntrain_sizes = [10, 20, 40]"
    spec_path.write_text(spec_text(table_csv, SVR + XGB, sweep))
    db = tmp_path / "kill.db"
    exe = str(Path(sys.executable).parent / "predbench")
    cmd = [exe, "sweep", str(spec_path), "--db", str(db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until some, not all, cells are stored
        time.sleep(0.2)
        if db.exists():
            try:
                n = sqlite3.connect(db).execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.Error:
                continue
            if n >= 3:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert 3 <= stored < 36
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    keys = sqlite3.connect(db).execute(
        "SELECT benchmark, predictor_label, train_size, fidelity, seed FROM results").fetchall()
    assert len(keys) == len(set(keys)) == 36


def test_spec_parameter_values_are_checked_before_any_cell(tmp_path, table_csv):
    """Issue 20: `num_boost_round = -5` used to run, store NaN rows and exit 0."""
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(spec_text(table_csv, XGB.replace("20", "-5")))
    db = tmp_path / "s.db"
    result = CliRunner().invoke(app, ["sweep", str(spec_path), "--db", str(db)])
    assert result.exit_code == 2
    assert "predictors[0].params" in result.output and "num_boost_round" in result.output
    assert not db.exists()


def test_sweep_whose_every_cell_failed_is_not_a_success(tmp_path, table_csv):
    spec_path = tmp_path / "spec.toml"  # a learning-curve predictor on a final-accuracy table
    spec_path.write_text(spec_text(table_csv, '[[predictors]]\nname = "sotle"\n',
                                   "seeds = [0]\ntest_size = 20"))
    result = CliRunner().invoke(app, ["sweep", str(spec_path), "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 1, result.output
    assert "every one of the 1 cells failed" in result.output
