"""The README's quick tour runs as printed, and the documents it links to exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_quick_tour_python_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", _section("A quick tour"), re.S)
    assert len(blocks) == 1, "the quick tour has one Python block"
    exec(compile(blocks[0], "README.md (quick tour)", "exec"), {})
    printed = capsys.readouterr().out
    tau = float(printed.splitlines()[0])
    assert 0.0 < tau <= 1.0, f"gp with 100 trained cells should rank the default benchmark: {tau}"
    assert "kendalltau" in printed and "regret" in printed


def test_linked_documents_exist() -> None:
    links = re.findall(r"\]\(((?:docs|results)/[^)#]+)", README)
    assert links, "the README links its documentation"
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, f"README links to missing files: {missing}"


def test_docs_link_each_other() -> None:
    for page in (ROOT / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)#:]+\.md)", page.read_text()):
            assert (page.parent / link).resolve().is_file(), f"{page.name} links to {link}"
