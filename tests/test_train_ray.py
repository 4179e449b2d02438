"""`predbench train` beyond one process set, on real servers the tests start (a PostgreSQL
server: `postgres_server` in conftest.py; a local Ray instance): two executors on one
PostgreSQL store, the Ray driver killed (a rerun finishes the set) and a Ray worker killed
mid-run (its run reclaimed after the heartbeat timeout and finished once); nothing trained
twice. Tiny NB201 cells on `digits`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from signal import SIGKILL

import pytest

from benchmarks.live import make_job, resolve_training, run_workers, sample_archs
from benchmarks.store import open_run_store
from search_spaces import get_search_space

pytestmark = pytest.mark.slow  # worker processes, Ray instances, a PostgreSQL server
ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONUNBUFFERED="1")


def _train(db: str, archs: int, epochs: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "predbench.cli", "train", "--dataset", "digits", "--archs",
            str(archs), "--epochs", str(epochs), "--threads", "1", "--db", db, "--no-progress",
            *extra]


def _rows(url: str) -> list[tuple]:
    """(id, arch, seed, status, attempts, pid, epoch rows) of every run."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        return con.execute("SELECT r.id, r.arch, r.seed, r.status, r.attempts, r.pid, (SELECT "
                           "COUNT(*) FROM epochs e WHERE e.run_id = r.id) FROM runs r "
                           "ORDER BY r.id").fetchall()


def _wait_for(db: str, proc: subprocess.Popen, ok, what: str, limit: float = 150) -> list:
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            rows = _rows(db)
        except Exception:  # the store is not created yet
            rows = []
        if ok(rows):
            return rows
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"{what} never happened: " + proc.stderr.read().decode()[-800:])


def _check_complete(rows: list, n: int, epochs: int) -> None:
    assert len(rows) == n and len({(r[1], r[2]) for r in rows}) == n  # the set, no dupes
    assert all(r[3] == "done" for r in rows), rows
    assert all(r[6] == epochs for r in rows), rows  # exactly one try's epochs per run


def test_two_executors_share_a_postgres_store_without_duplicates(pg_url: str) -> None:
    space = get_search_space("nb201")
    dataset, recipe = resolve_training(space, "digits", None, epochs=2)
    archs = [space.format(a) for a in sample_archs(space, 12, 0)]
    open_run_store(pg_url).enqueue(make_job("nb201", dataset, "small", recipe), archs)
    sets = [run_workers(pg_url, "nb201", dataset, "small", recipe, workers=1, threads=1,
                        stale_after=30) for _ in range(2)]
    for procs in sets:
        for p in procs:
            p.join(timeout=240)
            assert p.exitcode == 0
    rows = _rows(pg_url)
    _check_complete(rows, 12, 2)
    assert all(r[4] == 1 for r in rows)  # every run trained once: nothing claimed twice
    by_set = [sum(r[5] in {p.pid for p in procs} for r in rows) for procs in sets]
    print(f"two executors: 12 runs expected, {len(rows)} done, per executor {by_set}, "
          f"duplicates {sum(r[4] - 1 for r in rows)}")
    assert sum(by_set) == 12 and min(by_set) >= 1, by_set


def test_ray_driver_and_worker_killed_lose_only_runs_in_flight(pg_url: str) -> None:
    """`predbench train --executor ray` on a PostgreSQL store: SIGKILL the driver and its local
    Ray instance once a run is done and others are in flight; rerun the same command and, mid-run,
    SIGKILL one of its Ray worker processes. The rerun finishes the set: the runs in flight at
    each kill are reclaimed once their heartbeat is older than --stale-after (12 s), each
    trained again exactly once, nothing else twice."""
    pytest.importorskip("ray", reason="the [ray] extra is not installed")
    n, epochs = 8, 4
    cmd = _train(pg_url, n, epochs, "--executor", "ray", "--workers", "2",
                 "--stale-after", "12")
    first = subprocess.Popen(cmd, cwd=ROOT, env=ENV, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        rows = _wait_for(pg_url, first, lambda rs: any(r[3] == "done" for r in rs) and any(
            r[3] == "running" for r in rs), "a run done and one in flight")
        # the driver's machine dies: the driver, the local Ray instance it started and its
        # worker processes (Ray's workers live in sessions of their own and, with the driver
        # alone killed, finish their run before Ray ends them: then nothing is lost at all)
        _killpg(first.pid)
        first.wait()
        workers = {r[5] for r in _rows(pg_url) if r[3] == "running"}
        for pid in workers:
            try:
                os.kill(pid, SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 20
        while time.time() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), "a killed worker is still alive"
    finally:
        _killpg(first.pid)  # what Ray left of its instance
    at_driver_kill = {r[0] for r in _rows(pg_url) if r[3] == "running"}
    assert at_driver_kill and sum(r[3] == "done" for r in _rows(pg_url)) < n - 2

    again = subprocess.Popen(cmd, cwd=ROOT, env=ENV, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        rows = _wait_for(pg_url, again, lambda rs: any(
            r[3] == "running" and r[6] >= 1 and r[0] not in at_driver_kill for r in rs),
            "a rerun's run in flight")
        victim = next(r for r in rows if r[3] == "running" and r[6] >= 1
                      and r[0] not in at_driver_kill)
        os.kill(victim[5], SIGKILL)  # the Ray worker process training it
        time.sleep(0.3)
        lost = [r[0] for r in _rows(pg_url) if r[5] == victim[5] and r[3] == "running"]
        assert lost == [victim[0]], "the worker should die mid-run"
        err = again.communicate(timeout=240)[1].decode()
    finally:
        _killpg(again.pid)
    assert again.returncode == 0, err[-800:]
    rows = _rows(pg_url)
    _check_complete(rows, n, epochs)
    attempts = {r[0]: r[4] for r in rows}
    retried = at_driver_kill | {victim[0]}
    assert all(attempts[i] == 2 for i in retried), attempts
    assert sum(attempts.values()) == n + len(retried)  # nothing else trained twice
    print(f"ray kills: {n} runs expected, {len(rows)} done, {len(at_driver_kill)} in flight "
          f"at the driver kill, 1 at the worker kill, each trained again once; duplicates 0")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, SIGKILL)
    except ProcessLookupError:
        pass
