"""`predbench train`: fill a live run store with worker processes or Ray tasks (kill-safe,
resumable), and `predbench train export`: write the compact shipped-benchmark file from a store.
The store is an SQLite file or a PostgreSQL URL (`--db postgresql://user@host:port/name`)."""

from __future__ import annotations

import shlex
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from predbench.cli.errors import (
    check_input_path,
    check_output_path,
    one_line_errors,
    usage_error,
)

train_app = typer.Typer(help="Train architectures into a live run store (resumable).",
                        invoke_without_command=True)
console = Console(stderr=True)
EXECUTORS = ("local", "ray")
DB_HELP = ("Run store: an SQLite file, or postgresql://user@host:port/name (one store shared by "
           "several machines; needs the postgres extra).")


class _Processes:
    """The local executor's worker processes, polled like `benchmarks.live_ray.RayWorkers`."""

    def __init__(self, procs: list) -> None:
        self.procs = procs

    def alive(self, timeout: float = 0.0) -> bool:
        time.sleep(timeout)
        return any(p.is_alive() for p in self.procs)

    def errors(self) -> list[str]:
        return [f"worker {p.pid} exited with code {p.exitcode}" for p in self.procs
                if p.exitcode not in (0, None)]

    def close(self) -> None:
        pass


def _job_for(space: str, dataset: str | None, preset: str, recipe: str | None,
             epochs: int | None):
    from benchmarks.live import make_job, resolve_training
    from search_spaces import get_search_space

    sp = get_search_space(space)
    sp.preset_params(preset)
    dataset, rec = resolve_training(sp, dataset, recipe, epochs)
    return rec, make_job(space, dataset, preset, rec)


@train_app.callback()
@one_line_errors
def train(
    ctx: typer.Context,
    space: str = typer.Option("nb201", help="Search space."),
    dataset: str | None = typer.Option(
        None, help="Image spaces: shapes10 (embedded default), digits, cifar10, cifar100, "
                   "imagenet16-120. The nlp space: synthtext (embedded default), wikitext2, ptb "
                   "(your copy: --data-root)."),
    preset: str = typer.Option("small", help="Network preset of the space."),
    archs: int = typer.Option(100, help="How many random archs (the first N of a seeded stream)."),
    arch_seed: int = typer.Option(0, help="Seed of the random arch stream."),
    epochs: int | None = typer.Option(None, help="Epochs (default: the dataset's)."),
    recipe: str | None = typer.Option(None, help="Training recipe: nb201 (image default), "
                                                 "nb101, darts; nlp (token spaces)."),
    seeds: str = typer.Option("0", help="Training seeds: one, a comma list or a range A-B "
                                        "(inclusive)."),
    workers: int | None = typer.Option(
        None, min=1, help="Worker processes (local; default 1) or Ray tasks (ray; default: as "
                          "many as the cluster holds now, more wait for nodes to join)."),
    db: str = typer.Option("results/live.db", help=DB_HELP),
    executor: str = typer.Option("local", "--executor",
                                 help="local (worker processes) or ray (one task per worker)."),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Ray cluster to join (ray executor; default: a local Ray "
                                    "instance). Needs a PostgreSQL --db."),
    gpus_per_worker: float | None = typer.Option(
        None, help="GPUs per Ray task (default: 1 when the cluster has GPUs, else 0)."),
    cpus_per_worker: float | None = typer.Option(
        None, help="CPUs per Ray task (default 1; also its CPU threads unless --threads)."),
    device: str = typer.Option("auto", help="auto (CUDA when present), cuda or cpu."),
    threads: int | None = typer.Option(
        None, help="CPU threads per worker (default: the cores split between workers). Part "
                   "of a run's numbers: the same run with another thread count differs."),
    deterministic: bool = typer.Option(
        False, "--deterministic", help="Deterministic kernels only (torch, cuDNN, cuBLAS): "
        "the same run on the same machine type and thread count is bit-identical. Every "
        "run records its environment either way."),
    data_root: Path | None = typer.Option(None, help="Where CIFAR/ImageNet16 files, or the "
                                                     "text splits (train.txt, valid.txt, "
                                                     "test.txt), live."),
    download: bool = typer.Option(False, "--download", help="Download CIFAR via torchvision."),
    import_from: Path | None = typer.Option(None, help="Seed the store with a shipped .npz "
                                                       "first (continue a committed build)."),
    export_to: Path | None = typer.Option(None, help="Write the shipped .npz here when done."),
    export_every: int = typer.Option(0, help="Also export after every N newly finished runs."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Queue failed runs again."),
    stale_after: float | None = typer.Option(
        None, help="Seconds without a heartbeat before a claim is taken over (default: 300 on "
                   "PostgreSQL, where it is the only rule; 3600 on SQLite, for other hosts' "
                   "claims: on its own host a worker's pid decides)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Rich progress bar."),
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from benchmarks.datasets import load_dataset
    from benchmarks.default import import_npz
    from benchmarks.live import run_workers, sample_archs
    from benchmarks.live_ray import check_ray_store, check_resources, run_ray_workers
    from benchmarks.store import check_stale_after, describe_db, is_db_url, open_run_store
    from benchmarks.text_data import TEXT_DATASETS, load_text_dataset
    from benchmarks.training import resolve_device
    from experiments.options import parse_int_list
    from search_spaces import get_search_space

    # the options' meanings, checked before any work (a bad value must not queue or train)
    if archs < 1:
        raise ValueError(f"--archs must be >= 1, got {archs}")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be >= 1, got {threads}")
    if epochs is not None and epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {epochs}")
    if export_every < 0:
        raise ValueError(f"--export-every must be >= 0, got {export_every}")
    if arch_seed < 0:
        raise ValueError(f"--arch-seed must be >= 0, got {arch_seed}")
    if data_root is not None and not download and not data_root.is_dir():  # --download makes it
        raise ValueError(f"--data-root {data_root} is not a folder"
                         + ("" if data_root.exists() else " (it does not exist)"))
    if import_from is not None:
        check_input_path(import_from, "--import-from", folder=False)
    if export_to is not None:
        check_output_path(export_to, "--export-to")
    if not is_db_url(db):
        check_output_path(db, "--db")
    if stale_after is not None:
        check_stale_after(stale_after, "--stale-after")
    seed_list = parse_int_list(seeds, "--seeds")  # integers >= 0, or a one-line error
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    if executor == "ray":
        check_ray_store(db, ray_address)
        check_resources(cpus_per_worker, gpus_per_worker)
        if device not in ("auto", "cuda", "cpu"):
            resolve_device(device)  # its one-line error for an unknown device
            raise ValueError(f"device {device!r}: the ray executor takes auto, cuda or cpu")
        dev = device
    else:
        for flag, value in (("--ray-address", ray_address), ("--gpus-per-worker",
                            gpus_per_worker), ("--cpus-per-worker", cpus_per_worker)):
            if value is not None:
                raise ValueError(f"{flag} is an option of the ray executor (--executor ray)")
        dev = resolve_device(device).type
    rec, job = _job_for(space, dataset, preset, recipe, epochs)
    dataset = job.dataset
    if dataset == "shapes10":
        load_dataset(dataset)  # render and cache once here, not in every worker at once
    if dataset in ("cifar10", "cifar100"):
        try:  # fetch once, before the workers start
            load_dataset(dataset, root=data_root, download=download)
        except ImportError as exc:  # the optional [cifar] extra is missing: a usage problem
            raise usage_error(str(exc)) from None
    if dataset in TEXT_DATASETS:  # a missing or unreadable corpus: one line, before workers
        load_text_dataset(dataset, root=data_root)
    store = open_run_store(db, stale_after=stale_after)
    if import_from is not None:
        imported_job, added = import_npz(store, import_from)
        if imported_job != job:
            console.print(f"[yellow]note: {import_from} holds another job (recipe "
                          f"{imported_job.recipe}) than this run ({job.recipe})")
        console.print(f"imported {added} runs from {import_from}")
    sp = get_search_space(space)
    arch_list = [sp.format(a) for a in sample_archs(sp, archs, arch_seed)]
    store.enqueue(job, arch_list, seed_list)
    if retry_failed:
        store.retry_failed(job)
    total = len(arch_list) * len(seed_list)
    wanted = set(arch_list)
    command = "predbench train " + " ".join(shlex.quote(a) for a in sys.argv[2:])

    def finished() -> int:
        c = store.counts(job, wanted)
        return c["done"] + c["failed"]

    start_done = finished()
    console.print(f"{total} runs ({len(arch_list)} archs x {len(seed_list)} seeds), "
                  f"{start_done} already finished; store {describe_db(db)}; recipe "
                  f"{rec.name}/{rec.hash} ({rec.epochs} epochs)"
                  + (f"; device {dev}; {workers or 1} worker(s)" if executor == "local" else ""))
    tag = uuid.uuid4().hex[:12]  # marks this command's workers' tokens: what it trained
    root = None if data_root is None else str(data_root)
    pool: Any
    t0 = time.time()
    if executor == "ray":
        pool = run_ray_workers(db, space, dataset, preset, rec, workers, dev, threads, root,
                               stale_after, tag, ray_address, cpus_per_worker, gpus_per_worker,
                               deterministic)
        console.print(pool.plan.describe())
    else:
        pool = _Processes(run_workers(db, space, dataset, preset, rec, workers or 1, dev,
                                      threads, root, stale_after, tag, deterministic))
    try:
        _follow(pool, store, job, rec, total, start_done, finished, progress, export_to,
                export_every, command)
    finally:
        pool.close()
    _summary(pool, store, job, total, wanted, tag, time.time() - t0, export_to, command)


def _follow(pool: Any, store: Any, job: Any, rec: Any, total: int, start_done: int,
            finished: Any, progress: bool, export_to: Path | None, export_every: int,
            command: str) -> None:
    """The progress bar (and periodic exports) while the workers run: the driver polls the
    store once a second."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from benchmarks.default import export_npz

    last_export = start_done
    columns = [TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[now]}")]
    with Progress(*columns, console=console, disable=not progress, transient=False) as bar:
        task = bar.add_task("train", total=total, completed=start_done, now="")
        while pool.alive(1.0):
            done = finished()
            running = store.running(job)
            now = "  ".join(f"{a[:40]}… epoch {e}/{rec.epochs}" for a, _, e in running[:2])
            bar.update(task, completed=done, now=now)
            if export_to is not None and export_every > 0 and done - last_export >= export_every:
                export_npz(store, job, export_to, command)
                last_export = done
        bar.update(task, completed=finished(), now="")


def _summary(pool: Any, store: Any, job: Any, total: int, wanted: set[str], tag: str,
             elapsed: float, export_to: Path | None, command: str) -> None:
    """The closing lines: counts, what this command trained, failures; exit 1 when a worker
    failed or nothing trained."""
    from benchmarks.default import export_npz

    counts = store.counts(job, wanted)
    new = store.finished_with(job, tag)
    console.print(f"done {counts['done']}, failed {counts['failed']}, pending "
                  f"{counts['pending']}, running {counts['running']} of {total}; {new} "
                  f"trained by this command in {elapsed:.0f} s"
                  + (f" ({elapsed / new:.1f} s per run)" if new else ""))
    console.print(_environments_line(store, job, wanted))
    if export_to is not None:
        rows = export_npz(store, job, export_to, command)
        console.print(f"exported {rows} runs to {export_to}")
    failed = [r for r in store.results(job, statuses=("failed",)) if r["arch"] in wanted]
    if failed:
        first = failed[0]
        console.print(f"[yellow]{len(failed)} of {total} runs failed; the first "
                      f"({first['arch']}, seed {first['seed']}): {first['reason']}")
    bad = pool.errors()
    if bad:
        console.print(f"[red]{len(bad)} worker(s) failed; the first: {bad[0]}")
    if bad or (failed and counts["done"] == 0):  # nothing trained: not a success
        raise typer.Exit(code=1)


def _environments_line(store: Any, job: Any, wanted: set[str]) -> str:
    """Where the finished runs trained (`benchmarks.run_env`), most common first: a run's
    numbers depend on it, so the summary says when a store mixes environments."""
    from collections import Counter

    from benchmarks.run_env import describe_env

    seen = Counter(describe_env(r["env"]) for r in store.results(job, ("done", "failed"))
                   if r["arch"] in wanted)
    parts = [f"{what} ({n} run{'' if n == 1 else 's'})" for what, n in seen.most_common()]
    return "environments: " + ("; ".join(parts) if parts else "none yet")


@train_app.command("export", help="Write the compact shipped-benchmark .npz from a store.")
@one_line_errors
def export(
    db: str = typer.Option("results/live.db", help=DB_HELP),
    out: Path = typer.Option(..., help="The .npz to write."),
    space: str = typer.Option("nb201"),
    dataset: str | None = typer.Option(None, help="Default: the space's embedded dataset."),
    preset: str = typer.Option("small"),
    recipe: str | None = typer.Option(None, help="Default: the space's recipe."),
    epochs: int | None = typer.Option(None),
    command: str = typer.Option("", help="The build command, recorded in the file."),
) -> None:
    from benchmarks.default import export_npz
    from benchmarks.store import is_db_url, open_run_store

    if epochs is not None and epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {epochs}")
    check_output_path(out, "--out")
    _, job = _job_for(space, dataset, preset, recipe, epochs)  # bad options before the store
    if not is_db_url(db) and not Path(db).exists():
        raise FileNotFoundError(f"{db}: no such run store")
    rows = export_npz(open_run_store(db), job, out, command)
    console.print(f"exported {rows} runs ({job.dataset}, {job.preset}, recipe {job.recipe}) "
                  f"to {out}")
