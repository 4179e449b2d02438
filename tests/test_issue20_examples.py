"""Issue 20's "What was found", one test per example that no other test pins end to end.

The other examples are pinned where their code is tested (test_bad_input_api, test_cli_arch,
test_store, test_sweep, test_search, test_cli_fuzz); this file holds the rest: the command a
user typed, its exit code, one line naming the file or option, and nothing left behind.
Everything here runs in-process on tiny inputs (no training: `train`'s workers are stand-ins
that finish runs in the store the way real ones do).
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from predbench.cli import app


def _invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _one_line(result: Result, code: int = 2) -> str:
    """The command's only stderr line (asserting the exit code and no traceback)."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


def _files(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `root`: what a command changed or left."""
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def table_spec(tmp_path: Path) -> Path:
    """A valid sweep spec on a 40-arch NB201 table (loads in milliseconds)."""
    from search_spaces import get_search_space

    space: Any = get_search_space("nb201")
    archs = [space.format(space.from_index(i)) for i in range(0, 15_625, 390)]
    csv = tmp_path / "table.csv"
    pd.DataFrame({"arch": archs, "val_accuracy": np.linspace(40, 90, len(archs))}).to_csv(
        csv, index=False)
    spec = tmp_path / "good.toml"
    spec.write_text(f'[sweep]\nseeds = "0"\ntest_size = 20\ntrain_sizes = [10]\n'
                    f'[[benchmarks]]\nkind = "table"\npath = "{csv}"\nspace = "nb201"\n'
                    f'[[predictors]]\nname = "params"\n')
    return spec


# -- tracebacks -----------------------------------------------------------------------------
def _damaged_sweep_store(path: Path) -> None:
    """A real sweep store with 2 KB inside it overwritten (the issue's example)."""
    from experiments.sweep_store import SweepStore

    store = SweepStore(path)
    store._commit = lambda: None  # type: ignore[method-assign]  # one transaction: fast
    for i in range(300):
        store.add(("b", "p", i, 0, 0), {"kendalltau": 0.1, "pad": "x" * 200})
    store._db.commit()
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store._db.close()
    data = bytearray(path.read_bytes())
    data[4096:4096 + 2048] = np.random.default_rng(0).integers(0, 256, 2048, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("command", ["sweep", "report", "plot", "recommend"])
def test_commands_on_a_damaged_sweep_store_say_so_in_one_line(command: str, tmp_path: Path,
                                                              table_spec: Path) -> None:
    """`sweep good.toml --db <damaged>` and `report -r <damaged>`: sqlite3.DatabaseError
    tracebacks before the sweep store checked itself on open."""
    db = tmp_path / "damaged.db"
    _damaged_sweep_store(db)
    before = _files(tmp_path)
    out = tmp_path / "out"
    args = {"sweep": ["sweep", table_spec, "--db", db],
            "report": ["report", "-r", db, "-o", out],
            "plot": ["plot", "-r", db, "-o", out],
            "recommend": ["recommend", "-r", db, "--init-seconds", "1", "--query-seconds", "1"]}
    line = _one_line(_invoke(*args[command]))
    assert str(db) in line and "another --db" in line, line
    assert _files(tmp_path) == before  # the damaged file untouched, no output folder


def test_broken_pipe_on_help_is_no_traceback() -> None:
    """`predbench search --help | head` hit an AttributeError (typer's click copy has no
    Abort) while handling the closed pipe: a traceback found while trying the examples."""
    proc = subprocess.Popen([sys.executable, "-m", "predbench.cli", "search", "--help"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])  # this checkout's code
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the help is written: EPIPE every time
    err = proc.stderr.read()
    assert proc.wait(timeout=60) in (0, 1)  # 1: click's code for a closed pipe
    assert "Traceback" not in err and err.strip() == "", err


# -- false success --------------------------------------------------------------------------
def test_bench_info_on_an_empty_suite_zero_file(tmp_path: Path) -> None:
    """`bench info suite_zero` on {"cifar10": {}} reported a 0-arch benchmark, exit 0."""
    path = tmp_path / "zc.json"
    path.write_text('{"cifar10": {}}')
    line = _one_line(_invoke("bench", "info", "suite_zero", "--path", path, "--space", "nb201"))
    assert str(path) in line and "dataset 'cifar10' holds no architectures" in line


def _fake_workers(finish: Any) -> Any:
    """A stand-in for `benchmarks.live.run_workers`: claims every queued run in-process with
    the command's tag and passes each to `finish(store, job, claim)`; no process is left
    running."""
    from benchmarks.live import make_job, run_workers
    from benchmarks.store import open_run_store

    signature = inspect.signature(run_workers)

    def fake(*args: Any, **kwargs: Any) -> list:
        given = signature.bind(*args, **kwargs).arguments
        store = open_run_store(str(given["db"]))
        job = make_job(given["space"], given["dataset"], given["preset"], given["recipe"])
        while (claim := store.claim(job, store.new_token(given["tag"]))) is not None:
            finish(store, job, claim)
        store.close()
        return []

    return fake


def test_train_whose_every_run_failed_exits_1_with_the_count_and_first_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`train` exited 0 when every run failed (the issue's `--seeds=-1` / `--threads -1` are
    refused up front now, test_store.py; this is the rule for runs that fail while training)."""
    monkeypatch.setattr("benchmarks.live.run_workers", _fake_workers(
        lambda store, job, claim: store.finish(claim, "failed", reason="RuntimeError: boom")))
    result = _invoke("train", "--dataset", "digits", "--archs", "2", "--epochs", "1",
                     "--db", tmp_path / "t.db", "--no-progress")
    assert result.exit_code == 1, result.output
    assert "2 of 2 runs failed" in result.output and "RuntimeError: boom" in result.output


# -- progress that lies ---------------------------------------------------------------------
def test_train_summary_counts_only_the_runs_its_own_workers_finished(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `train` commands on one store each said "6 new": they counted each other's runs.
    Here another command's worker finishes one of the three runs meanwhile."""
    others = iter([True])  # the first run goes to the other command

    def finish(store: Any, job: Any, claim: Any) -> None:
        if next(others, False):  # given back, then taken and finished by another command
            store.release(claim)
            claim = store.claim(job, store.new_token("othercommand"), claim.arch, claim.seed)
        store.finish(claim, "done", test_acc=50.0)

    monkeypatch.setattr("benchmarks.live.run_workers", _fake_workers(finish))
    result = _invoke("train", "--dataset", "digits", "--archs", "3", "--epochs", "1",
                     "--db", tmp_path / "t.db", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "done 3," in result.output and "2 trained by this command" in result.output


def test_a_foreign_sqlite_file_is_left_as_it_was(tmp_path: Path, table_spec: Path) -> None:
    """Found while trying the examples: the sweep store switched a foreign or damaged file to
    WAL mode before refusing it, and left -wal/-shm files next to it."""
    import sqlite3

    db = tmp_path / "theirs.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE customers (id INTEGER)")
    con.close()
    before = _files(tmp_path)
    for args in (["sweep", table_spec, "--db", db], ["report", "-r", db, "-o", tmp_path / "o"]):
        line = _one_line(_invoke(*args))
        assert str(db) in line and "not a predbench sweep store" in line
    assert _files(tmp_path) == before


# -- messages that do not name the culprit --------------------------------------------------
def _results_csv(path: Path) -> Path:
    rows = [dict(predictor="xgb", family="model_based", train_size=20, fidelity=0, seed=s,
                 kendalltau=0.5, spearman=0.6, init_train_seconds=100.0,
                 init_compute_seconds=1.0, query_train_seconds=0.0,
                 query_compute_seconds=0.001, error=None) for s in range(2)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_recommend_top_zero_names_the_option(tmp_path: Path) -> None:
    """`recommend --top 0` said no predictor fits and then named one."""
    results = _results_csv(tmp_path / "r.csv")
    assert _invoke("recommend", "-r", results, "--init-seconds", "1e6",
                   "--query-seconds", "10").exit_code == 0  # the file is fine: --top is not
    line = _one_line(_invoke("recommend", "-r", results, "--init-seconds", "1e6",
                             "--query-seconds", "10", "--top", "0"))
    assert "--top must be >= 1, got 0" in line and "fits" not in line


BAD_RESULTS = {
    "empty.csv": (b"", "an empty file"),
    "binary.csv": (bytes(range(256)) * 4, "not a text file"),
    "cut.csv": (b'a,b\n1,2\n"unterminated\n', "not a readable results table"),
    "other.csv": (b"kendalltau\n0.1\n", "not a predbench results table: no column predictor"),
    "empty.parquet": (b"", "an empty file"),
    "binary.parquet": (bytes(range(256)) * 4, "not a readable results table"),
    "empty.db": (b"", "an empty file, not a sweep store"),
    "binary.db": (bytes(range(256)) * 4, "not an SQLite database"),
}


@pytest.mark.parametrize("command", ["plot", "report", "recommend"])
@pytest.mark.parametrize("name", sorted(BAD_RESULTS))
def test_results_commands_name_an_empty_binary_or_foreign_file(command: str, name: str,
                                                               tmp_path: Path) -> None:
    """`plot -r` on an empty or binary file said "No columns to parse from file" or "'utf-8'
    codec can't decode byte ..." (or a bare column name), without the file."""
    data, problem = BAD_RESULTS[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = _files(tmp_path)
    args = [command, "-r", path] + (["--init-seconds", "1", "--query-seconds", "1"]
                                    if command == "recommend" else ["-o", tmp_path / "out"])
    line = _one_line(_invoke(*args))
    assert str(path) in line and problem in line, line
    assert _files(tmp_path) == before  # no output folder, nothing written next to the file


def test_sweep_spec_problems_name_file_and_key_and_leave_no_store(tmp_path: Path,
                                                                  table_spec: Path) -> None:
    """A spec with `seed = -4` on the default benchmark reported "holds 0 archs"; a binary spec
    was not named; a missing benchmark file was named without its spec entry, after an empty
    store had been created."""
    seed = tmp_path / "seed.toml"
    seed.write_text('[sweep]\nseeds = "0"\n[[benchmarks]]\nkind = "default"\nseed = -4\n'
                    '[[predictors]]\nname = "xgb"\n')
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x00\x01\xff\xfe" * 64)
    missing = tmp_path / "missing.toml"
    missing.write_text(table_spec.read_text().replace("table.csv", "no_such_table.csv"))
    db = tmp_path / "out" / "s.db"
    for spec, problem in ((seed, "benchmarks[0]: benchmark 'default' option seed must be >= 0, "
                                 "got -4"),
                          (binary, "not a text file"),
                          (missing, "benchmarks[0]: ")):
        line = _one_line(_invoke("sweep", spec, "--db", db))
        assert line.startswith(f"error: {spec}: ") and problem in line, line
        assert not db.exists() and not db.parent.exists()
    assert "no_such_table.csv: no such file" in line


def test_search_param_of_the_wrong_type_on_npenas(tmp_path: Path) -> None:
    """`search ... --param k=abc`: a TypeError deep in the loop (and an empty folder left)."""
    out = tmp_path / "search"
    line = _one_line(_invoke("search", "-a", "npenas", "-p", "xgb", "--budget", "5",
                             "--seeds", "0", "--param", "k=abc", "-o", out))
    assert "--param k of npenas must be int" in line and "'abc'" in line
    assert not out.exists()
