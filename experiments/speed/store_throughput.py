"""How fast the run stores and the executors of `predbench train` are (issue 18, item 4).

1. **Store throughput**: `--clients` concurrent client processes (default 8) drain a queue of
   `--runs` runs from one store, each run a claim, `--epochs` epoch commits and a finish (the
   writes a training worker makes), and once more with no epochs (claims alone). PostgreSQL
   (a temporary server started here, `benchmarks.pg_server`, with the server's default
   durability: fsync and synchronous commit on; and once more with `synchronous_commit=off`,
   which may lose the last moment's commits in a server crash, never consistency) vs SQLite
   (WAL, synchronous=NORMAL, a file in a temporary folder). Reported: runs/s (= claims/s) and
   epoch rows/s, over the wall clock from the moment all clients start together to the last
   one's end.
2. **Executors end to end**: `predbench train` with the process executor and with `--executor
   ray` (a local Ray instance) on the same tiny config (`--train-archs` NB201 cells, `digits`,
   small preset, `--train-epochs` epochs, 2 workers) into a fresh PostgreSQL database each.
   Reported: the command's wall clock, the time to its first finished run (start-up), the
   steady rate between its first and last finished run, and Ray's overhead per run: the
   difference of the wall clocks divided by the runs.

    python -m experiments.speed.store_throughput                      # both parts
    python -m experiments.speed.store_throughput --skip-train          # the stores only

Writes results/speed/store_throughput.csv (one row per measurement) and prints the table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
ROW = dict(train_loss=1.0, train_acc=50.0, val_loss=1.1, val_acc=48.0, seconds=0.1)


def _client(db: str, epochs: int, start, out) -> None:
    from benchmarks.store import Job, open_run_store

    job = Job("nb201", "bench", "small", "throughput", "{}")
    store = open_run_store(db)
    token = store.new_token()
    runs = 0
    start.wait()
    while (c := store.claim(job, token)) is not None:
        for e in range(1, epochs + 1):
            store.record_epoch(c, e, ROW)
        store.finish(c, "done", 50.0)
        runs += 1
    store.close()
    out.put((runs, time.time()))


def store_throughput(db: str, clients: int, runs: int, epochs: int) -> dict:
    """Drain `runs` runs of `epochs` epochs from the fresh store `db` with `clients` processes."""
    from benchmarks.store import Job, open_run_store

    job = Job("nb201", "bench", "small", "throughput", "{}")
    store = open_run_store(db)
    store.enqueue(job, [f"a{i}" for i in range(runs)])
    ctx = mp.get_context("fork")  # the clients share this process's imports; each connects anew
    start, out = ctx.Barrier(clients + 1), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(db, epochs, start, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    start.wait()
    t0 = time.time()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(t for _, t in results) - t0
    done = store.counts(job)["done"]
    store.close()
    assert done == runs == sum(n for n, _ in results), (done, runs, results)
    return {"runs": runs, "epochs": epochs, "clients": clients, "seconds": round(wall, 2),
            "runs_per_s": round(runs / wall, 1),
            "epoch_rows_per_s": round(runs * epochs / wall, 1),
            "busiest_client_runs": max(n for n, _ in results)}


def train_throughput(db: str, executor: str, archs: int, epochs: int) -> dict:
    """`predbench train` on the tiny config into `db`; wall clock, start-up, steady rate."""
    cmd = [sys.executable, "-m", "predbench.cli", "train", "--dataset", "digits", "--archs",
           str(archs), "--epochs", str(epochs), "--workers", "2", "--threads", "1", "--db", db,
           "--no-progress", "--executor", executor]
    t0 = time.time()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    wall = time.time() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{executor}: predbench train failed: {done.stderr[-600:]}")
    import psycopg

    with psycopg.connect(db) as con:
        finished = sorted(r[0] for r in con.execute("SELECT finished FROM runs"))
        trained = con.execute("SELECT SUM(seconds) FROM runs").fetchone()[0]
    first, last = finished[0], finished[-1]
    return {"executor": executor, "runs": archs, "epochs": epochs, "seconds": round(wall, 1),
            "to_first_run_s": round(first - t0, 1),
            "steady_runs_per_s": round((archs - 1) / max(last - first, 1e-9), 2),
            "train_seconds_per_run": round(trained / archs, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--train-archs", type=int, default=24)
    ap.add_argument("--train-epochs", type=int, default=2)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "results" / "speed" / "store_throughput.csv"))
    args = ap.parse_args()
    from benchmarks.pg_server import TempPostgres

    rows = []
    load = os.getloadavg()[0]
    with TempPostgres(settings={}, create_user=True) as pg, \
            TempPostgres(settings={"synchronous_commit": "off"}, create_user=True) as lazy, \
            tempfile.TemporaryDirectory() as tmp:
        for epochs in (args.epochs, 0):
            for backend in ("postgresql", "postgresql, synchronous_commit=off", "sqlite"):
                db = (os.path.join(tmp, f"s{epochs}.db") if backend == "sqlite"
                      else (pg if backend == "postgresql" else lazy).create_database())
                row = store_throughput(db, args.clients, args.runs, epochs)
                rows.append({"part": "store", "backend": backend, **row})
                print(rows[-1], flush=True)
        if not args.skip_train:
            for executor in ("local", "ray"):
                row = train_throughput(pg.create_database(), executor, args.train_archs,
                                       args.train_epochs)
                rows.append({"part": "train", "backend": "postgresql", **row})
                print(rows[-1], flush=True)
    frame = pd.DataFrame(rows).assign(cpus=os.cpu_count(), load_before=round(load, 2))
    if "executor" not in frame:
        frame["executor"] = None
    train = frame[frame.part == "train"].set_index("executor", drop=False)
    if len(train) == 2:
        extra = (train.seconds["ray"] - train.seconds["local"]) / args.train_archs
        print(f"ray overhead: {extra:.2f} s per run over {args.train_archs} runs "
              f"({train.seconds['ray'] - train.seconds['local']:.1f} s in all)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(frame.to_string(index=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
