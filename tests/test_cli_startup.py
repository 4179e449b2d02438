"""The CLI starts without the library's heavy modules, and its fast paths print what the typer
commands print: `predbench predictors` from the checked index equals the real registry's listing.
(The start-up seconds themselves: `python -m experiments.speed.cli_startup`.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "pandas", "scipy", "numpy", "pydantic", "typer", "search_spaces", "benchmarks",
         "predictors", "experiments")


def predbench_exe() -> str:
    return shutil.which("predbench") or str(Path(sys.executable).parent / "predbench")


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300)


def modules_after(*args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `predbench ARGS` through `predbench.cli.main` in a fresh interpreter; which of HEAVY
    it had loaded when it exited."""
    code = ("import atexit, json, sys\n"
            f"atexit.register(lambda: print('MODULES', json.dumps([m for m in {HEAVY!r} "
            "if m in sys.modules]), file=sys.stderr))\n"
            "sys.argv = ['predbench', *sys.argv[1:]]\n"
            "from predbench.cli import main\nmain()\n")
    out = run_python(code, *args)
    line = [x for x in out.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return out, json.loads(line.split(" ", 1)[1])


def test_help_spaces_predictors_load_no_torch() -> None:
    out, loaded = modules_after("--help")
    assert out.returncode == 0 and "predictors" in out.stdout
    assert set(loaded) == {"typer"}  # typer renders the help; nothing of the library
    out, loaded = modules_after("spaces")
    assert out.returncode == 0 and "nb201" in out.stdout
    assert set(loaded) == {"numpy", "search_spaces"}  # the spaces' plain data; no typer, torch
    out, loaded = modules_after("predictors")
    assert out.returncode == 0 and "xgb" in out.stdout
    assert loaded == []  # the index: no predictor module, no torch


def test_predictor_index_is_current_and_equals_the_registry() -> None:
    code = ("import json\n"
            "from predbench.cli.predictor_index import INDEX_PATH, build_index\n"
            "print(json.dumps({'built': build_index(), "
            "'committed': json.loads(INDEX_PATH.read_text())}))\n")
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    both = json.loads(out.stdout)
    hint = "rebuild it: .venv/bin/python -m predbench.cli.predictor_index"
    assert both["committed"]["fingerprint"] == both["built"]["fingerprint"], \
        f"predbench/cli/predictor_index.json is stale (predictors/ changed); {hint}"
    assert both["committed"] == both["built"], f"the index differs from the registry; {hint}"


@pytest.mark.parametrize("args", [("predictors",), ("spaces",)])
def test_fast_path_prints_what_the_typer_command_prints(args: tuple[str, ...]) -> None:
    fast = subprocess.run([predbench_exe(), *args], capture_output=True, text=True, timeout=300)
    typer_path = run_python("import sys\nfrom predbench.cli import app\n"
                            "app(sys.argv[1:], prog_name='predbench')", *args)
    # with the registry imported first, `predictors` lists from the registry, not the index
    registry = run_python("import sys, predictors, search_spaces\nfrom predbench.cli import app\n"
                          "app(sys.argv[1:], prog_name='predbench')", *args)
    for out in (fast, typer_path, registry):
        assert out.returncode == 0, out.stderr
    assert fast.stdout == typer_path.stdout == registry.stdout
    assert fast.stdout.count("\n") > 5


@pytest.mark.slow
def test_unknown_family_is_one_line_exit_2_on_every_path() -> None:
    fast = subprocess.run([predbench_exe(), "predictors", "--family", "nope"],
                          capture_output=True, text=True, timeout=300)
    registry = run_python("import sys, predictors\nfrom predbench.cli import app\n"
                          "app(sys.argv[1:], prog_name='predbench')",
                          "predictors", "--family", "nope")
    for out in (fast, registry):
        assert out.returncode == 2
        assert out.stderr.strip() == ("error: unknown family 'nope'; expected one of "
                                      "model_based, learning_curve, hybrid, zero_cost, "
                                      "weight_sharing, ensemble")


def test_index_is_used_only_while_it_matches_the_source(monkeypatch, tmp_path: Path) -> None:
    from predbench.cli import predictor_index

    monkeypatch.delitem(sys.modules, "predictors", raising=False)  # as in a fresh process
    assert predictor_index.load_index() is not None  # the committed index is current
    index = json.loads(predictor_index.INDEX_PATH.read_text())
    index["fingerprint"] = "0" * 64  # as after an edit of predictors/
    stale = tmp_path / "index.json"
    stale.write_text(json.dumps(index))
    monkeypatch.setattr(predictor_index, "INDEX_PATH", stale)
    assert predictor_index.load_index() is None  # -> the rows come from the registry


def test_python_m_predbench_cli_is_the_command() -> None:
    out = subprocess.run([sys.executable, "-m", "predbench.cli", "arch", "sample", "-n", "2"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.split()) == 2
