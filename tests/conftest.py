"""Fixtures and markers shared by the test modules.

- `one_thread`: torch on one intra-op thread for a module's tests (restored afterwards). The test
  machines have 2 shared cores; 2 torch threads under load are several times slower than one.
  A module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``.
- `default_benchmark`: the shipped CPU benchmark, ``load_benchmark("default")``, loaded once per
  session (treat it as read-only).
- `postgres_server` / `pg_url`: a temporary PostgreSQL server for the session (skipped where the
  binaries or psycopg are missing) and a new database on it per test; `store_db`: a fresh run
  store's `db` string, parametrised over SQLite and PostgreSQL.
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


# -- PostgreSQL: a temporary server of the tests' own (benchmarks/pg_server.py) ---------------
@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server in a temporary directory for the whole session, stopped and removed
    at the end; skipped (with the reason) where psycopg or the server binaries are missing."""
    pytest.importorskip("psycopg", reason="the [postgres] extra (psycopg) is not installed")
    from benchmarks.pg_server import PostgresUnavailable, TempPostgres

    server = TempPostgres(create_user=True)  # as root: runs as 'postgres', created if missing
    try:
        server.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server for the tests: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server) -> str:
    """The URL of a new, empty database on the session's server (one per test)."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_db(request, tmp_path) -> str:
    """A fresh run store's `db` string on each backend: an SQLite path, a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "s.db")
    return request.getfixturevalue("pg_url")
