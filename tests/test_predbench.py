"""`import predbench as pb`: the one public namespace (DESIGN §1 point 5, §3) -- lazy, complete,
the same objects as the old imports, versioned, and not shadowed by a user's own folders."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import predbench

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "pandas", "scipy", "search_spaces", "benchmarks", "predictors", "experiments",
         "typer")


def loaded_after(code: str, cwd: Path | None = None) -> list[str]:
    """Which of HEAVY a fresh interpreter holds after running `code`."""
    probe = (f"{code}\nimport sys, json\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=300, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_predbench_loads_nothing_heavy() -> None:
    assert loaded_after("import predbench; predbench.__all__; dir(predbench)") == []
    assert loaded_after("import predbench; predbench.__version__") == []
    assert loaded_after("import predbench.cli") == []  # the typer app is built on first use
    # a light name stays light: search spaces need numpy only
    assert loaded_after("import predbench; predbench.get_search_space('nb201')") == \
        ["search_spaces"]


def test_every_public_name_resolves_to_the_library_object() -> None:
    import benchmarks
    import benchmarks.splits
    import experiments
    import experiments.search.optimum
    import predictors
    import search_spaces

    expected = {
        "get_search_space": search_spaces.get_search_space,
        "list_search_spaces": search_spaces.list_search_spaces,
        "load_benchmark": benchmarks.load_benchmark,
        "list_benchmarks": benchmarks.list_benchmarks,
        "register_benchmark": benchmarks.register_benchmark,
        "Benchmark": benchmarks.Benchmark,
        "Curve": benchmarks.Curve,
        "get_predictor": predictors.get_predictor,
        "list_predictors": predictors.list_predictors,
        "register_predictor": predictors.register_predictor,
        "Predictor": predictors.Predictor,
        "Needs": predictors.Needs,
        "Context": predictors.Context,
        "CurveView": predictors.CurveView,
        "FidelityError": predictors.FidelityError,
        "evaluate": experiments.evaluate,  # the function (DESIGN §3), not the module
        "run_search": experiments.run_search,
        "search_optimum": experiments.search.optimum.search_optimum,
        "split_of": benchmarks.splits.split_of,
        "SPLITS": benchmarks.splits.SPLITS,
    }
    for name, obj in expected.items():
        assert name in predbench.__all__
        assert getattr(predbench, name) is obj, name
    assert callable(predbench.evaluate) and predbench.evaluate.__name__ == "evaluate"
    for name in predbench.__all__:  # every listed name exists
        assert getattr(predbench, name) is not None
    assert set(predbench.__all__) | {"__version__"} <= set(dir(predbench))
    from predbench import Context, evaluate  # noqa: F401  (the from-import form works too)

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = predbench.nope


def test_version_from_metadata_else_pyproject(monkeypatch) -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    declared = re.search(r'^version\s*=\s*"([^"]+)"', pyproject, re.M).group(1)
    assert predbench.__version__ == importlib.metadata.version("predbench")

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert predbench._read_version() == declared


@pytest.mark.slow
def test_users_own_experiments_and_benchmarks_folders_do_not_shadow(tmp_path: Path) -> None:
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "__init__.py").write_text("raise ImportError('a user folder')\n")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("mine = True\n")
    code = ("import sys, predbench as pb\n"
            "assert pb.evaluate.__name__ == 'evaluate' and pb.SPLITS[0] == 'all'\n"
            "print(sys.modules['experiments'].__file__)\n"
            "print(sys.modules['benchmarks'].__file__)\n"
            "print(pb.load_benchmark('default').max_epochs)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)  # `python -c`: the cwd comes first on sys.path
    assert out.returncode == 0, out.stderr
    experiments_file, benchmarks_file, epochs = out.stdout.split()
    assert Path(experiments_file) == REPO / "experiments" / "__init__.py"
    assert Path(benchmarks_file) == REPO / "benchmarks" / "__init__.py"
    assert int(epochs) > 0
    # a shadowing package imported before: a clear error naming both files
    out = subprocess.run([sys.executable, "-c", "import benchmarks, predbench; predbench.Curve"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 1
    assert "ImportError: predbench needs its library package 'benchmarks'" in out.stderr
    assert str(tmp_path / "benchmarks" / "__init__.py") in out.stderr
