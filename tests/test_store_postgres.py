"""The PostgreSQL stores' own rules, against a real server the tests start (`postgres_server`
in conftest.py): reclaim by heartbeat age alone, eight concurrent clients that never share a
run, the live benchmark, a NAS loop on it and `train export` on a URL, bad database URLs as
one line, and the sweep store on a URL. The behaviour both run-store backends share is tested
in test_store.py (`store_db`)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks import load_benchmark
from benchmarks.store import Job, LostClaim, PostgresRunStore, StoreError, open_run_store
from predbench.cli import app

JOB = Job("nb201", "digits", "small", "abc123", "{}")
ROW = dict(train_loss=1.0, train_acc=50.0, val_loss=1.1, val_acc=48.0, seconds=0.1)
ARCH = ("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|"
        "+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|")


def _set_heartbeat(store, arch: str, age: float) -> None:
    with store._tx():
        store._execute("UPDATE runs SET heartbeat={now} - ? WHERE arch=?", (age, arch))


def test_reclaim_goes_by_heartbeat_age_alone(pg_url: str) -> None:
    """On PostgreSQL every claim is another host's: a live pid on this very host does not keep
    a run whose heartbeat is older than stale_after; a fresh heartbeat always does."""
    store = open_run_store(pg_url, stale_after=30)
    assert isinstance(store, PostgresRunStore)
    store.enqueue(JOB, ["a"])
    old = store.claim(JOB, store.new_token())
    store.record_epoch(old, 1, ROW)
    other = open_run_store(pg_url, stale_after=30)
    _set_heartbeat(store, "a", 25)  # old, but younger than stale_after: still alive
    assert other.claim(JOB, other.new_token()) is None
    _set_heartbeat(store, "a", 31)  # this process is alive, yet its claim is stale: taken
    new = other.claim(JOB, other.new_token())
    assert new is not None and new.arch == "a"
    r = other.result(JOB, "a")
    assert r["attempts"] == 2 and r["epochs"] == []  # the dead try's partial epochs dropped
    with pytest.raises(LostClaim):
        store.record_epoch(old, 2, ROW)
    with pytest.raises(LostClaim):
        store.finish(old, "done", 1.0)
    assert not store.beat(old) and other.beat(new)
    other.record_epoch(new, 1, ROW)
    other.finish(new, "done", 2.0)
    assert other.result(JOB, "a")["epochs"] == [dict(ROW, epoch=1)]
    # the server's clock: a heartbeat is seconds since the epoch, as on SQLite
    beat = store._one("SELECT heartbeat FROM runs WHERE arch='a'")[0]
    assert abs(beat - time.time()) < 60


def test_eight_clients_claim_each_run_once(pg_url: str) -> None:
    archs = [f"arch{i}" for i in range(160)]
    open_run_store(pg_url).enqueue(JOB, archs)
    got: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(8)

    def client(i: int) -> None:
        store = open_run_store(pg_url)
        token = store.new_token()
        start.wait()
        while (c := store.claim(JOB, token)) is not None:
            store.record_epoch(c, 1, ROW)
            store.finish(c, "done", 1.0)
            got[i].append(c.arch)
        store.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    claimed = [a for g in got for a in g]
    assert sorted(claimed) == sorted(archs)  # each exactly once, none lost
    assert sum(1 for g in got if g) >= 2
    store = open_run_store(pg_url)
    assert all(r["attempts"] == 1 and len(r["epochs"]) == 1 for r in store.results(JOB))


def test_live_benchmark_search_and_export_on_a_url(pg_url: str, tmp_path: Path) -> None:
    bench = load_benchmark("live", dataset="digits", db=pg_url, epochs=1, device="cpu",
                           threads=1)
    assert bench.path is None and pg_url in bench.describe()
    c = bench.curve(ARCH)  # trained on a miss, into PostgreSQL
    again = load_benchmark("live", dataset="digits", db=pg_url, epochs=1).curve(ARCH)
    assert again.val_acc.tolist() == c.val_acc.tolist() and [str(a) for a in bench.archs()] == [
        ARCH]
    from experiments import run_search  # a NAS loop's live path: trains into the database

    trace = run_search("rs", bench, budget=2, seed=0)
    assert len(trace) == 2 and len(bench.archs()) >= 2
    out = tmp_path / "d.npz"
    res = CliRunner().invoke(app, ["train", "export", "--db", pg_url, "--out", str(out),
                                   "--dataset", "digits", "--epochs", "1"])
    assert res.exit_code == 0, res.output
    assert load_benchmark("default", path=str(out)).curve(ARCH).epochs == 1


@pytest.mark.parametrize("db, problem", [
    ("postgresql://ada:s3cret@127.0.0.1:1/runs", "cannot connect to the PostgreSQL run store"),
    ("postgresql://ada:s3cret@127.0.0.1:notaport/runs", "malformed PostgreSQL URL"),
    ("postgresql://ada:s3cret@127.0.0.1:5432/runs?colour=blue", "malformed PostgreSQL URL"),
    ("mysql://ada:s3cret@127.0.0.1/runs", "unsupported database URL scheme 'mysql'"),
])
def test_bad_database_urls_are_one_line(db: str, problem: str) -> None:
    shown = db.replace("s3cret", "***")
    with pytest.raises(StoreError, match=problem):
        open_run_store(db)
    for args in (["train", "--dataset", "digits", "--archs", "1", "--no-progress"],
                 ["train", "export", "--out", "never.npz", "--dataset", "digits"]):
        res = CliRunner().invoke(app, [*args, "--db", db])
        assert res.exit_code == 2, res.output
        assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
        assert shown in res.output and problem in res.output and "s3cret" not in res.output
    assert not Path("never.npz").exists()


def test_missing_database_names_it(postgres_server) -> None:
    url = postgres_server.url_for("no_such_database")
    with pytest.raises(StoreError, match='no_such_database.*does not exist'):
        load_benchmark("live", dataset="digits", db=url)


def test_ray_executor_refuses_an_sqlite_store_on_a_cluster(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    res = CliRunner().invoke(app, ["train", "--executor", "ray", "--ray-address",
                                   "10.0.0.1:6379", "--db", str(db), "--archs", "1"])
    assert res.exit_code == 2 and "cannot be shared across machines" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not db.exists()
    res = CliRunner().invoke(app, ["train", "--gpus-per-worker", "1", "--db", str(db)])
    assert res.exit_code == 2 and "option of the ray executor" in res.output


def test_sweep_store_on_a_url(pg_url: str, tmp_path: Path) -> None:
    """`predbench sweep --db postgresql://...`: rows land in the database, a rerun skips them,
    and the results commands read them back from the URL."""
    import numpy as np
    import pandas as pd

    from experiments.spec import parse_spec
    from experiments.sweep import run_sweep
    from experiments.sweep_store import open_sweep_store, read_rows
    from search_spaces import get_search_space

    archs = get_search_space("nb201").all()[::20]
    acc = np.array([50 + 8 * a.ops.count(3) + a.index % 7 for a in archs], float)
    csv = tmp_path / "t.csv"
    pd.DataFrame({"arch": [str(a) for a in archs], "val_accuracy": acc}).to_csv(csv, index=False)
    spec = {"sweep": {"seeds": [0, 1], "test_size": 50, "train_sizes": [20]},
            "benchmarks": [{"kind": "table", "path": str(csv), "space": "nb201", "label": "t"}],
            "predictors": [{"name": "svr"}]}
    store = run_sweep(parse_spec(spec), pg_url)
    assert store.backend == "postgresql" and len(store) == 2
    assert store.frame().kendalltau.notna().all()
    (tmp_path / "spec.toml").write_text(
        f'[sweep]\nseeds = [0, 1]\ntest_size = 50\ntrain_sizes = [20]\n[[benchmarks]]\n'
        f'kind = "table"\npath = "{csv}"\nspace = "nb201"\nlabel = "t"\n'
        f'[[predictors]]\nname = "svr"\n')
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "spec.toml"), "--db", pg_url])
    assert res.exit_code == 0, res.output  # resumed: both cells were there already
    assert len(open_sweep_store(pg_url)) == 2 and len(read_rows([pg_url])) == 2
    res = CliRunner().invoke(app, ["recommend", "-r", pg_url, "--init-seconds", "100",
                                   "--query-seconds", "1"])
    assert res.exit_code == 0 and "svr" in res.output, res.output
    with pytest.raises(StoreError, match="cannot connect to the PostgreSQL sweep store"):
        open_sweep_store("postgresql://ada:s3cret@127.0.0.1:1/sweeps")
