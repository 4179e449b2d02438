"""LiveBenchmark (train on a miss, then read), the shipped default benchmark and its export /
import, and `predbench train` killed with SIGKILL and started again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks import Curve, load_benchmark
from benchmarks.default import DEFAULT_FILE, export_npz, import_npz, read_npz
from benchmarks.store import RunStore

ARCH = ("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|"
        "+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|")


def test_live_benchmark_trains_on_miss_then_reads(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    bench = load_benchmark("live", space="nb201", dataset="digits", preset="small", db=str(db),
                           epochs=2, device="cpu", threads=1)
    assert bench.max_epochs == 2 and bench.archs() == [] and ARCH not in bench
    c = bench.curve(ARCH)
    assert isinstance(c, Curve) and c.epochs == 2 and c.test_acc is not None
    assert np.all(c.epoch_seconds > 0) and ARCH in bench
    t0 = time.perf_counter()
    again = load_benchmark("live", space="nb201", dataset="digits", preset="small", db=str(db),
                           epochs=2).curve(ARCH)  # read back, no training
    assert time.perf_counter() - t0 < 5.0
    assert np.array_equal(again.val_acc, c.val_acc)
    assert [str(a) for a in bench.archs()] == [ARCH]
    x, y = bench.batch(16, seed=0)
    assert x.shape == (16, 1, 8, 8) and y.shape == (16,)
    # another recipe (epochs) is another key: not served from this run
    assert ARCH not in load_benchmark("live", dataset="digits", db=str(db), epochs=3)


def test_export_import_roundtrip(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    bench = load_benchmark("live", dataset="digits", db=str(db), epochs=1, device="cpu",
                           threads=1)
    bench.curve(ARCH)
    out = tmp_path / "d.npz"
    assert export_npz(bench.store, bench.job, out, command="predbench train ...") == 1
    meta, arrays = read_npz(out)
    assert meta["dataset"] == "digits" and meta["epochs"] == 1 and meta["rows"] == 1
    assert arrays["val_acc"].dtype == np.float32 and arrays["val_acc"].shape == (1, 1)
    shipped = load_benchmark("default", path=str(out))
    assert shipped.max_epochs == 1 and len(shipped) == 1
    assert shipped.curve(ARCH).final_val_acc == pytest.approx(bench.curve(ARCH).final_val_acc,
                                                              abs=1e-3)
    with pytest.raises(KeyError, match="not in the default benchmark"):
        shipped.curve("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    fresh = RunStore(tmp_path / "fresh.db")
    job, added = import_npz(fresh, out)
    assert job == bench.job and added == 1 and import_npz(fresh, out)[1] == 0
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    with pytest.raises(ValueError, match="bad.npz: not a predbench default-benchmark file"):
        load_benchmark("default", path=str(bad))


@pytest.mark.skipif(not DEFAULT_FILE.exists(), reason="shipped default benchmark not built yet")
def test_shipped_default_benchmark() -> None:
    bench = load_benchmark("default")
    assert bench.space.name == "nb201" and bench.dataset == "shapes10"
    assert bench.max_epochs == 8 and len(bench) > 0
    assert DEFAULT_FILE.stat().st_size < 20 * 2**20
    arch = bench.archs()[0]
    c = bench.curve(arch)
    assert c.epochs == 8 and np.all(np.isfinite(c.epoch_seconds)) and 0 <= c.final_val_acc <= 100
    assert bench.final_val_acc().shape == (len(bench),)
    x, y = bench.batch(8, seed=0)
    assert x.shape == (8, 3, 8, 8) and int(y.max()) < 10


def _train_cmd(db: Path) -> list[str]:
    return [sys.executable, "-m", "predbench.cli", "train", "--dataset", "digits",
            "--archs", "8", "--epochs", "8", "--workers", "2", "--threads", "1",
            "--device", "cpu", "--db", str(db), "--no-progress"]


def _runs(db: Path) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as con:
        return con.execute("SELECT arch, seed, status, attempts FROM runs").fetchall()


@pytest.mark.slow
def test_kill_and_resume_finishes_same_set_without_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    root = Path(__file__).resolve().parents[1]
    first = subprocess.Popen(_train_cmd(db), cwd=root, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline:  # kill once a run is done and others are in flight
        time.sleep(0.2)
        if db.exists():
            try:
                rows = _runs(db)
            except sqlite3.OperationalError:
                continue
            if any(r[2] == "done" for r in rows) and any(r[2] == "running" for r in rows):
                break
    else:
        first.kill()
        pytest.fail("first run never got going: " + first.stderr.read().decode()[-500:])
    os.killpg(first.pid, signal.SIGKILL)  # the CLI and both workers, no cleanup
    first.wait()
    before = _runs(db)
    in_flight = sum(r[2] == "running" for r in before)
    assert in_flight >= 1 and sum(r[2] == "done" for r in before) < 8

    second = subprocess.run(_train_cmd(db), cwd=root, env=env, capture_output=True, timeout=300)
    assert second.returncode == 0, second.stderr.decode()[-800:]
    after = _runs(db)
    assert len(after) == 8 and len({(a, s) for a, s, _, _ in after}) == 8  # same set, no dupes
    assert all(r[2] == "done" for r in after)
    # only the runs in flight at the kill were trained again
    assert sum(r[3] for r in after) <= 8 + in_flight
    with sqlite3.connect(db) as con:  # exactly 8 epoch rows per run, none left over
        assert con.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 8 * 8
