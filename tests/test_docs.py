"""What the docs tell a user to run exists: every `make` target they name, every module they run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "config" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))


def test_every_make_target_the_docs_name_exists() -> None:
    named = {(doc.name, t) for doc in DOCS for t in re.findall(r"`make ([a-z][a-z-]*)", doc.read_text())}
    assert named, "the docs name make targets; finding none means this test reads the wrong files"
    missing = sorted((doc, target) for doc, target in named if target not in make_targets())
    assert missing == []


def test_every_module_the_docs_run_exists() -> None:
    modules = {m for doc in DOCS for m in re.findall(r"python -m ([a-z_.]+)", doc.read_text())}
    assert "model_code.train" in modules
    for module in modules:
        path = ROOT / Path(*module.split("."))
        assert path.with_suffix(".py").exists() or (path / "__main__.py").exists(), module


def test_every_doc_link_points_at_a_file() -> None:
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
