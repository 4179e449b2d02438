"""The run store on both backends (`store_db`: SQLite and PostgreSQL): claims, epochs, status,
two concurrent worker processes, lost claims, heartbeats; and SQLite's own rules: dead-claim
reclaim by pid, corrupt or foreign database files. PostgreSQL's own: test_store_postgres.py."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.store import BaseRunStore, Job, LostClaim, RunStore, StoreError, open_run_store
from predbench.cli import app

JOB = Job("nb201", "digits", "small", "abc123", "{}")
ROW = dict(train_loss=1.0, train_acc=50.0, val_loss=1.1, val_acc=48.0, seconds=0.1)


def _sql(store: BaseRunStore, statement: str, args: tuple = ()) -> None:
    """Change the store behind its back (`?` placeholders, either backend)."""
    with store._tx():
        store._execute(statement, args)


def test_claim_record_finish_roundtrip(store_db: str) -> None:
    store = open_run_store(store_db)
    assert store.enqueue(JOB, ["a", "b"], seeds=[0, 1]) == 4
    assert store.enqueue(JOB, ["a", "c"]) == 1  # (a, 0) already queued
    token = store.new_token()
    c = store.claim(JOB, token)
    assert (c.arch, c.seed) == ("a", 0)
    store.record_epoch(c, 1, ROW)
    store.record_epoch(c, 2, ROW)
    store.finish(c, "done", test_acc=47.5, seconds=0.3)
    c2 = store.claim(JOB, token, arch="c", seed=0)  # a specific run
    store.finish(c2, "failed", reason="non-finite training loss at epoch 1, step 3")
    assert store.counts(JOB) == {"pending": 3, "running": 0, "done": 1, "failed": 1}
    r = store.result(JOB, "a", 0)
    assert r["status"] == "done" and r["test_acc"] == 47.5 and len(r["epochs"]) == 2
    assert store.status(JOB, "c") == ("failed", "non-finite training loss at epoch 1, step 3")
    assert store.retry_failed(JOB) == 1 and store.status(JOB, "c")[0] == "pending"
    c3 = store.claim(JOB, token)
    store.record_epoch(c3, 1, ROW)
    store.record_epoch(c3, 1, dict(ROW, val_acc=49.0))  # an epoch written again: replaced
    store.release(c3)
    assert store.counts(JOB)["pending"] == 4 and store.running(JOB) == []
    again = store.claim(JOB, token)  # the oldest pending run: that one, its epochs dropped
    assert (again.arch, again.seed) == (c3.arch, c3.seed)
    assert store.result(JOB, c3.arch, c3.seed)["epochs"] == []
    if store.backend == "sqlite":
        with sqlite3.connect(store_db) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _fake_worker(path: str, out: mp.Queue, start: mp.Barrier) -> None:
    store = open_run_store(path)
    token = store.new_token()
    mine = []
    start.wait()  # both race for the same queue from the same moment
    while (c := store.claim(JOB, token)) is not None:
        for e in (1, 2, 3):
            time.sleep(0.002)  # "training": lets the other worker in between claims
            store.record_epoch(c, e, ROW)
        store.finish(c, "done", 50.0)
        mine.append(c.arch)
    out.put(mine)


def test_two_concurrent_workers_never_share_a_run(store_db: str) -> None:
    path = store_db
    archs = [f"arch{i}" for i in range(120)]
    seed = open_run_store(path)
    seed.enqueue(JOB, archs)
    seed.close()
    ctx = mp.get_context("fork")
    q, start = ctx.Queue(), ctx.Barrier(2)
    procs = [ctx.Process(target=_fake_worker, args=(path, q, start)) for _ in range(2)]
    for p in procs:
        p.start()
    got = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(got), "both workers should have claimed runs"
    assert sorted(got[0] + got[1]) == sorted(archs)  # each exactly once, none lost
    store = open_run_store(path)
    assert store.counts(JOB)["done"] == 120
    assert all(r["attempts"] == 1 and len(r["epochs"]) == 3 for r in store.results(JOB))


def test_dead_worker_claim_is_reclaimed_and_old_owner_locked_out(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "s.db")
    store.enqueue(JOB, ["a"])
    old = store.claim(JOB, "host:1:dead")
    store.record_epoch(old, 1, ROW)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with sqlite3.connect(tmp_path / "s.db") as db:  # the claim now belongs to a dead pid
        db.execute("UPDATE runs SET pid=? WHERE arch='a'", (dead.pid,))
    new = store.claim(JOB, store.new_token())
    assert new is not None and new.arch == "a"
    r = store.result(JOB, "a")
    assert r["attempts"] == 2 and r["epochs"] == []  # the dead try's partial epochs dropped
    with pytest.raises(LostClaim):
        store.record_epoch(old, 2, ROW)
    with pytest.raises(LostClaim):
        store.finish(old, "done", 1.0)
    # a live worker's claim is left alone; a stale heartbeat (another host) is taken over
    assert store.claim(JOB, store.new_token()) is None
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("UPDATE runs SET host='elsewhere', heartbeat=? WHERE arch='a'",
                   (time.time() - 10_000,))
    assert store.claim(JOB, store.new_token()).arch == "a"


def test_corrupt_and_foreign_files_are_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 10)
    with pytest.raises(StoreError, match=r"junk\.db: not a predbench run store: the file is "
                                         r"not an SQLite database"):
        RunStore(junk)
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match=r"other\.db: an SQLite database of another program.*"
                                         r"customers"):
        RunStore(foreign)
    # a real store whose pages were overwritten
    broken = tmp_path / "broken.db"
    s = RunStore(broken)
    s.enqueue(JOB, [f"a{i}" for i in range(300)])
    s.close()
    for suffix in ("-wal", "-shm"):
        Path(str(broken) + suffix).unlink(missing_ok=True)
    data = bytearray(broken.read_bytes())
    data[4096:12288] = b"\xff" * 8192
    broken.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"broken\.db"):
        RunStore(broken)
    with pytest.raises(StoreError, match="is a directory"):
        RunStore(tmp_path)
    # the CLI says it in one line, exit 2
    res = CliRunner().invoke(app, ["train", "--dataset", "digits", "--archs", "1",
                                   "--db", str(junk), "--no-progress"])
    assert res.exit_code == 2
    err = res.stderr if hasattr(res, "stderr") else res.output
    assert "junk.db" in err and "not an SQLite database" in err
    assert len(err.strip().splitlines()) == 1


def test_store_throughput_is_far_above_training_rate(store_db: str) -> None:
    store = open_run_store(store_db)
    store.enqueue(JOB, [f"a{i}" for i in range(50)])
    token = store.new_token()
    t0 = time.perf_counter()
    while (c := store.claim(JOB, token)) is not None:
        for e in range(1, 9):
            store.record_epoch(c, e, ROW)
        store.finish(c, "done", 1.0)
    per_run = (time.perf_counter() - t0) / 50
    # a run with 8 epochs costs the store well under a second even on a loaded 2-core machine
    assert per_run < 0.5, per_run


def test_import_marks_queued_runs_done(store_db: str) -> None:
    store = open_run_store(store_db)
    store.enqueue(JOB, ["a", "b"])
    epochs = [dict(ROW)] * 2
    assert store.insert_done(JOB, "a", 0, epochs, 40.0)        # queued -> done
    assert store.insert_done(JOB, "z", 0, epochs, 41.0)        # new -> done
    assert not store.insert_done(JOB, "a", 0, epochs, 40.0)    # already done
    assert store.counts(JOB) == {"pending": 1, "running": 0, "done": 2, "failed": 0}
    assert len(store.result(JOB, "a")["epochs"]) == 2


def test_live_claim_on_its_own_host_is_never_taken(tmp_path: Path) -> None:
    """However old its heartbeat, a claim whose pid is alive on this host stays with it (the
    old rule took it after `stale_after`, so a short value made two workers train one run)."""
    store = RunStore(tmp_path / "s.db", stale_after=11)
    store.enqueue(JOB, ["a"])
    mine = store.claim(JOB, store.new_token())  # this process: alive
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("UPDATE runs SET heartbeat=0 WHERE arch='a'")
    other = RunStore(tmp_path / "s.db", stale_after=11)
    for _ in range(3):  # the livelock of issue 20: repeated claims of one run
        assert other.claim(JOB, other.new_token()) is None
    store.record_epoch(mine, 1, ROW)
    store.finish(mine, "done", 1.0)
    assert store.result(JOB, "a")["attempts"] == 1


@pytest.mark.parametrize("bad", [-1, 0, 0.5, 10, float("nan"), float("inf"), "soon"])
def test_stale_after_must_exceed_the_heartbeat_interval(tmp_path: Path, bad) -> None:
    with pytest.raises(ValueError, match="stale_after must be"):
        RunStore(tmp_path / "s.db", stale_after=bad)
    result = CliRunner().invoke(app, ["train", "--db", str(tmp_path / "t.db"), "--archs", "1",
                                      "--stale-after", str(bad)])
    expected = "Invalid value for '--stale-after'" if bad == "soon" else "--stale-after must be"
    assert result.exit_code == 2 and expected in result.output
    assert "Traceback" not in result.output and not (tmp_path / "t.db").exists()


def test_heartbeat_thread_keeps_a_long_epoch_alive(store_db: str) -> None:
    from benchmarks.store import Heartbeat

    store = open_run_store(store_db)
    store.enqueue(JOB, ["a"])
    claim = store.claim(JOB, store.new_token())
    _sql(store, "UPDATE runs SET heartbeat=0 WHERE arch='a'")
    with Heartbeat(store_db, claim, interval=0.05):
        time.sleep(0.4)
    beat = store._one("SELECT heartbeat FROM runs WHERE arch='a'")[0]
    assert time.time() - beat < 5
    store.finish(claim, "done", 1.0)
    assert not store.beat(claim)  # finished: no longer ours to beat


@pytest.mark.parametrize("args, problem", [
    (["--archs", "-5"], "--archs must be >= 1"),
    (["--archs", "0"], "--archs must be >= 1"),
    (["--threads", "-1"], "--threads must be >= 1"),
    (["--seeds", "-1"], "--seeds expects integers >= 0"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--device", "mps"], "device 'mps' is not supported"),
])
def test_train_rejects_bad_options_before_any_work(tmp_path: Path, args, problem) -> None:
    db = tmp_path / "t.db"
    result = CliRunner().invoke(app, ["train", "--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert problem in result.output and "Traceback" not in result.output
    assert not db.exists()


def test_finished_by_counts_only_this_commands_workers(store_db: str) -> None:
    """Issue 20: two `train` commands on one store each reported the other's runs as new."""
    import os

    store = open_run_store(store_db)
    store.enqueue(JOB, ["a", "b", "c"])
    t0 = time.time() - 1.0  # the database's clock may lag this process's by a little
    for tag in ("mine", "mine", "theirs"):
        c = store.claim(JOB, store.new_token(tag))
        store.finish(c, "done", 1.0)
    _sql(store, "UPDATE runs SET pid=999999 WHERE arch='c'")  # run c: another command's worker
    assert store.finished_with(JOB, "mine") == 2 and store.finished_with(JOB, "theirs") == 1
    assert store.finished_with(JOB, "nobody") == 0
    with pytest.raises(ValueError, match="worker tag"):
        store.finished_with(JOB, "a%")
    assert store.finished_by(JOB, [os.getpid()], t0) == 2
    assert store.finished_by(JOB, [999999], t0) == 1
    assert store.finished_by(JOB, [os.getpid()], time.time() + 10) == 0
    assert store.finished_by(JOB, [], t0) == 0
