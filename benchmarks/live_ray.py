"""The Ray executor of `predbench train --executor ray`: one Ray task per worker slot, each
running the same `benchmarks.live.work` loop as a worker process does — it claims runs from
the shared run store until none is left — so there is no coordinator of ours: adding a node
adds throughput, and a slot that dies loses only its run in flight (Ray retries the task; the
run is reclaimed once its heartbeat is older than `stale_after`, or at once on an SQLite
store, whose dead pids are seen on their host).

Each task asks Ray for `gpus_per_worker` GPUs and `cpus_per_worker` CPUs (defaults: one GPU
when the cluster has GPUs, else one CPU). With an SQLite store only a local Ray instance is
allowed: a file cannot be shared safely across machines; a PostgreSQL URL can.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.recipes import Recipe
from benchmarks.store import is_db_url

#: how often Ray starts a worker slot's task again after its process died (a killed worker,
#: a lost node); each new try claims the next pending run
TASK_RETRIES = 3


def check_ray_store(db: str | Path, address: str | None) -> None:
    """A one-line `ValueError` when `db` cannot be shared by the workers of `address`."""
    if address is not None and not is_db_url(db):
        raise ValueError(f"--ray-address {address}: an SQLite run store ({db}) cannot be "
                         f"shared across machines; use --db postgresql://user@host:port/name, "
                         f"or leave out --ray-address for a local Ray instance")


def check_resources(cpus_per_worker: float | None, gpus_per_worker: float | None) -> None:
    for flag, value in (("--cpus-per-worker", cpus_per_worker),
                        ("--gpus-per-worker", gpus_per_worker)):
        if value is not None and not value >= 0:
            raise ValueError(f"{flag} must be >= 0, got {value}")
    if cpus_per_worker is not None and gpus_per_worker == 0 and cpus_per_worker == 0:
        raise ValueError("a worker needs a CPU or a GPU: --cpus-per-worker and "
                         "--gpus-per-worker are both 0")


@dataclass(frozen=True)
class RayPlan:
    """What each task asks for and how many run at once."""

    workers: int
    cpus: float
    gpus: float
    device: str
    cluster: str   # the cluster's resources, in words

    def describe(self) -> str:
        each = ", ".join(p for p in (f"{self.gpus:g} GPU" if self.gpus else "",
                                     f"{self.cpus:g} CPU" if self.cpus else "") if p)
        return f"ray: {self.workers} worker(s) x ({each}) on {self.cluster}"


def plan_workers(resources: dict[str, float], workers: int | None, device: str,
                 cpus_per_worker: float | None, gpus_per_worker: float | None) -> RayPlan:
    """Resources per task and the slot count (default: as many as the cluster holds now)."""
    gpus_total, cpus_total = resources.get("GPU", 0.0), resources.get("CPU", 0.0)
    cluster = f"a cluster of {cpus_total:g} CPUs, {gpus_total:g} GPUs"
    if gpus_per_worker is None:
        gpus_per_worker = 1.0 if gpus_total > 0 and device != "cpu" else 0.0
    if cpus_per_worker is None:
        cpus_per_worker = 1.0
    if gpus_per_worker > gpus_total:
        raise ValueError(f"--gpus-per-worker {gpus_per_worker:g}: {cluster}")
    if gpus_per_worker > 0 and device == "cpu":
        raise ValueError(f"--device cpu with --gpus-per-worker {gpus_per_worker:g}: ask for "
                         f"no GPUs (--gpus-per-worker 0) or train on them (--device auto)")
    if device == "cuda" and gpus_per_worker == 0:
        raise ValueError(f"--device cuda needs --gpus-per-worker > 0 ({cluster})")
    if workers is None:
        fit = (gpus_total / gpus_per_worker if gpus_per_worker
               else cpus_total / max(cpus_per_worker, 1e-9))
        workers = max(1, int(fit))
    return RayPlan(int(workers), float(cpus_per_worker), float(gpus_per_worker),
                   "cuda" if gpus_per_worker > 0 else "cpu", cluster)


class RayWorkers:
    """The tasks of one `run_ray_workers` call: poll `alive()`, read `errors()`, `close()`."""

    def __init__(self, ray: Any, refs: list, plan: RayPlan, started: bool) -> None:
        self._ray, self.refs, self.plan, self._started = ray, refs, plan, started
        self._errors: list[str] = []
        self._done: set = set()

    def alive(self, timeout: float = 0.0) -> bool:
        """Whether a task is still running (waits up to `timeout` s for one to end)."""
        pending = [r for r in self.refs if r not in self._done]
        if not pending:
            return False
        ready, _ = self._ray.wait(pending, num_returns=len(pending), timeout=timeout)
        for ref in ready:
            self._done.add(ref)
            try:
                self._ray.get(ref)
            except Exception as exc:  # a task that failed after its retries: report it
                self._errors.append(" ".join(f"{type(exc).__name__}: {exc}".split())[:300])
        return len(ready) < len(pending)

    def errors(self) -> list[str]:
        return list(self._errors)

    def close(self) -> None:
        """Cancel what still runs and shut down the Ray instance this call started."""
        for ref in self.refs:
            if ref not in self._done:
                try:
                    self._ray.cancel(ref, force=True)
                except Exception:  # already finished or its node gone: nothing to cancel
                    pass
        if self._started:
            self._ray.shutdown()


def _slot(args: dict[str, Any]) -> int:
    """One worker slot: the `work` loop, with no parent to watch (Ray ends a dead driver's
    tasks itself; a worker process's parent here is Ray's, not the driver)."""
    from benchmarks.live import work

    return work(**args)


def run_ray_workers(db: str | Path, space: str, dataset: str, preset: str, recipe: Recipe,
                    workers: int | None = None, device: str = "auto",
                    threads: int | None = None, data_root: str | None = None,
                    stale_after: float | None = None, tag: str = "",
                    address: str | None = None,
                    cpus_per_worker: float | None = None,
                    gpus_per_worker: float | None = None,
                    deterministic: bool = False) -> RayWorkers:
    """Start one Ray task per worker slot on the cluster at `address` (None: a new local Ray
    instance, started here and shut down by `close()`; "auto": the cluster this machine
    belongs to), each running `work` on the store `db`. On CPU each task trains with
    `threads` threads (default: its CPUs); `deterministic`: see `benchmarks.run_env`."""
    check_ray_store(db, address)
    check_resources(cpus_per_worker, gpus_per_worker)
    try:
        import ray
    except ImportError:
        raise ValueError("the ray executor needs Ray: pip install -e '.[ray]'") from None
    started = not ray.is_initialized()
    if started:
        local_cpus = None
        if address is None:  # like worker processes, every slot asked for runs
            local_cpus = max(os.cpu_count() or 1,
                             round((workers or 1) * (cpus_per_worker or 1.0)))
        try:  # "local": a new instance, never a cluster found in RAY_ADDRESS or /tmp/ray
            ray.init(address=address or "local", num_cpus=local_cpus, include_dashboard=False,
                     log_to_driver=False, logging_level=logging.ERROR)
        except Exception as exc:  # an unreachable or malformed address: one line
            raise ValueError(f"--ray-address {address}: cannot start or join Ray "
                             f"({' '.join(str(exc).split())[:200]})") from None
    try:
        plan = plan_workers(ray.cluster_resources(), workers, device, cpus_per_worker,
                            gpus_per_worker)
        if threads is None and plan.device == "cpu":
            threads = max(1, int(plan.cpus))
        remote = ray.remote(_slot).options(num_cpus=plan.cpus, num_gpus=plan.gpus,
                                           max_retries=TASK_RETRIES, retry_exceptions=False,
                                           name="predbench-train")
        args = dict(db=str(db), space_name=space, dataset=dataset, preset=preset,
                    recipe_json=recipe.to_json(), device=plan.device, threads=threads,
                    parent=None, data_root=data_root, stale_after=stale_after, tag=tag,
                    deterministic=deterministic)
        refs = [remote.remote(args) for _ in range(plan.workers)]
    except BaseException:
        if started:
            ray.shutdown()
        raise
    return RayWorkers(ray, refs, plan, started)
