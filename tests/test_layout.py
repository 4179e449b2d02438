"""The import graph (DESIGN §1, §2): the library packages are layered `experiments` ->
`predictors` -> `benchmarks` -> `search_spaces`; the CLI (`predbench.cli`) and the studies sit
above them, and nothing imports the CLI or the studies. Checked on the source with `ast`: every
`import` / `from ... import` (module level or inside functions, relative ones resolved) and every
`importlib.import_module("...")` / `__import__("...")` with a literal name."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: the library, bottom layer first: each package may import only itself and those before it
LAYERS = ("search_spaces", "benchmarks", "predictors", "experiments")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module `path` imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)  # submodule imports
        elif isinstance(node, ast.Call) and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__"):
                found.add(node.args[0].value)
    return found


def sources(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_source_tree_is_where_the_test_looks() -> None:
    for package in (*LAYERS, "predbench", "studies"):
        assert sources(package), package
    assert REPO / "predbench" / "cli" / "__init__.py" in sources("predbench")


@pytest.mark.parametrize("package", LAYERS)
def test_library_imports_only_its_own_layer_and_below(package: str) -> None:
    allowed = LAYERS[: LAYERS.index(package) + 1]
    bad = []
    for path in sources(package):
        for module in imported_modules(path):
            top = module.partition(".")[0]
            if top in LAYERS and top not in allowed:
                bad.append(f"{path.relative_to(REPO)} imports {module} (a layer above)")
            if is_under(module, "predbench.cli") or is_under(module, "studies"):
                bad.append(f"{path.relative_to(REPO)} imports {module} (the CLI / studies "
                           f"sit above the library)")
    assert not bad, "\n".join(bad)


#: modules outside predbench/cli that may import it, and why: their subject is the command line
CLI_CLIENTS = {"studies.hostile_inputs": "tries bad input on every command, in-process"}


def test_nothing_imports_the_cli_or_the_studies() -> None:
    bad = []
    for package in (*LAYERS, "predbench", "studies"):
        for path in sources(package):
            name = module_name(path)
            for module in imported_modules(path):
                if is_under(module, "predbench.cli") and not is_under(name, "predbench.cli") \
                        and name not in CLI_CLIENTS:
                    bad.append(f"{path.relative_to(REPO)} imports the CLI ({module})")
                if is_under(module, "studies") and not is_under(name, "studies"):
                    bad.append(f"{path.relative_to(REPO)} imports a study ({module})")
    assert not bad, "\n".join(bad)


def test_the_old_cli_modules_are_gone() -> None:
    """The CLI moved to predbench/cli/ (issue 19): no copy left in the library."""
    left = [p.name for p in (REPO / "experiments").glob("*.py")
            if p.stem in ("cli", "console", "errors", "run") or p.stem.startswith("cli_")]
    assert not left, left


def test_the_checker_sees_every_import_form(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    (tmp_path / "experiments" / "search").mkdir(parents=True)
    path = tmp_path / "experiments" / "search" / "mod.py"
    path.write_text("import a.b\nfrom c import d\nfrom . import sibling\nfrom ..cli import app\n"
                    "def f():\n    import importlib\n    importlib.import_module('studies.x')\n")
    assert imported_modules(path) >= {"a.b", "c", "c.d", "experiments.search",
                                      "experiments.search.sibling", "experiments.cli",
                                      "experiments.cli.app", "importlib", "studies.x"}
