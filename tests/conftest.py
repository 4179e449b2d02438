"""Fixtures and markers shared by the test modules.

- `one_thread`: torch on one intra-op thread for a module's tests (restored afterwards). The test
  machines have 2 shared cores; 2 torch threads under load are several times slower than one.
  A module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``.
- `default_benchmark`: the shipped CPU benchmark, ``load_benchmark("default")``, loaded once per
  session (treat it as read-only).
- marker ``slow`` (registered in pyproject.toml): subprocess, Ray and memory tests and anything
  else that takes tens of seconds. ``python -m pytest`` runs everything;
  ``python -m pytest -m "not slow"`` is the quick run.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def default_benchmark():
    from benchmarks import load_benchmark

    return load_benchmark("default")
