"""What a training run ran on, and deterministic mode (issue 20: reproducibility).

The run store's key (space, arch, dataset, preset, recipe hash, seed) says *which experiment* a
run is; it does not make two runs' numbers equal. Floating-point sums are reordered by the
number of intra-op threads, by the kernels a CPU's instruction set selects (oneDNN, MKL) and by
the torch version, and CUDA adds non-deterministic kernels (atomics in some backward passes,
cuDNN's autotuner). So every run records its environment (`run_environment`) next to its curve,
and `deterministic_mode` removes the sources that vary between two runs on the same machine
type with the same thread count:

- `torch.use_deterministic_algorithms(True)`: an op without a deterministic kernel raises
  instead of silently varying;
- cuDNN: `deterministic = True`, `benchmark = False` (no autotuner choosing kernels by timing);
- cuBLAS: `CUBLAS_WORKSPACE_CONFIG=:4096:8` (must be set before the first cuBLAS call, so the
  worker sets it before training starts).

The contract (README, "Reproducibility"): same arch, recipe hash, seed, preset and dataset, same
torch version, same machine type (CPU model or GPU name) and same thread count, in deterministic
mode → bit-identical curves. Anything else differs by hardware noise, measured by
`studies/reproducibility.py`.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported where used: the run store reads records without it
    import torch

#: the keys of a run's environment record, in the order they are shown
ENV_KEYS = ("torch", "python", "numpy", "device", "device_name", "cpu_capability", "threads",
            "deterministic", "recipe", "machine", "os")
#: what decides the kernels on a CPU besides its model: the instruction set torch dispatches
#: to (ATEN_CPU_CAPABILITY can lower it) and oneDNN's ceiling (ONEDNN_MAX_CPU_ISA). Measured
#: here (studies/reproducibility.py): one run, one thread, the same machine, AVX2 / AVX / SSE4.1
#: kernels -> final validation accuracy 71.70 / 72.85 / 74.25
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR")


@lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_name(device: torch.device) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_name()


def run_environment(device: torch.device | str, deterministic: bool, recipe_hash: str,
                    threads: int | None = None) -> dict[str, Any]:
    """What a run trained on: versions, device and its name, the CPU instruction set torch's
    kernels use (and any variable that lowers it), intra-op threads (torch's current setting
    unless given; on CUDA the host threads matter little but are kept), whether deterministic
    mode was on, and the recipe hash."""
    import numpy as np
    import torch

    dev = torch.device(device)
    env = {"torch": torch.__version__, "python": platform.python_version(),
           "numpy": np.__version__, "device": dev.type, "device_name": device_name(dev),
           "cpu_capability": torch.backends.cpu.get_cpu_capability(),
           "threads": int(threads if threads is not None else torch.get_num_threads()),
           "deterministic": bool(deterministic), "recipe": str(recipe_hash),
           "machine": platform.machine(), "os": platform.system()}
    env.update({k.lower(): os.environ[k] for k in ISA_VARIABLES if os.environ.get(k)})
    return env


def env_to_json(env: dict[str, Any] | None) -> str | None:
    return None if env is None else json.dumps(env, sort_keys=True)


def env_from_json(text: str | None) -> dict[str, Any] | None:
    """A stored environment record (None for runs stored before environments were recorded,
    or imported from a file that has none)."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def describe_env(env: dict[str, Any] | None) -> str:
    """One line for people: torch 2.13.0+cpu, cpu (AMD EPYC ...), 1 thread, deterministic."""
    if not env:
        return "environment not recorded"
    threads = env.get("threads")
    isa = f" {env['cpu_capability']}" if env.get("device") == "cpu" and env.get(
        "cpu_capability") else ""
    return (f"torch {env.get('torch')}, {env.get('device')} ({env.get('device_name')}{isa}), "
            f"{threads} thread{'' if threads == 1 else 's'}"
            + (", deterministic" if env.get("deterministic") else ""))


def same_machine_type(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether two runs' environments promise bit-identical results under the contract: both
    deterministic, and the same torch, device type and name, and thread count."""
    if not a or not b:
        return False
    keys = ("torch", "device", "device_name", "cpu_capability", "threads", "recipe",
            *(k.lower() for k in ISA_VARIABLES))
    return bool(a.get("deterministic") and b.get("deterministic")) and all(
        a.get(k) == b.get(k) for k in keys)


def prepare_deterministic_process(device: str | torch.device | None) -> None:
    """Before anything touches CUDA in this process: the cuBLAS workspace setting that makes
    its matrix products deterministic (a no-op on CPU; a value the user set is kept)."""
    import torch

    if device is None or str(device) == "auto" or torch.device(device).type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


@contextmanager
def deterministic_mode(enabled: bool, device: torch.device | str | None = None) -> Iterator[None]:
    """While in the block (when `enabled`): deterministic algorithms only, cuDNN without its
    autotuner; the previous settings are restored afterwards."""
    import torch

    if not enabled:
        yield
        return
    prepare_deterministic_process(device)
    before = (torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[2:]
