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


def test_every_test_the_threat_model_cites_exists() -> None:
    """Each claim in docs/threat-model.md names the test that proves it; a renamed test must not leave it unproven.
    Names ending in an ellipsis cite every test that starts so."""
    text = (ROOT / "docs" / "threat-model.md").read_text()
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    defined = set(re.findall(r"^def (test_\w+)", sources, flags=re.MULTILINE))
    cited = re.findall(r"`(test_\w+?)(…)?`", text)
    assert len(cited) >= 15
    for name, prefix in cited:
        assert any(d.startswith(name) for d in defined) if prefix else name in defined, name
    for path in re.findall(r"`(tests/[\w/]+\.py)`", text):
        assert (ROOT / path).exists(), path


def test_acknowledgements_that_rest_on_a_control_name_an_existing_test() -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    defined = set(re.findall(r"^def (test_\w+)", sources, flags=re.MULTILINE))
    for source in (ROOT / "stacks").rglob("*.py"):
        text = source.read_text()
        for cited in re.findall(r"(tests/[\w/]+?\.py|test_\w+\.py)", text):
            found = list((ROOT / "tests").rglob(Path(cited).name))
            assert found, f"{source.name} cites {cited}, which does not exist"
        for name in re.findall(r"\((test_\w+)\)", text):
            assert name in defined, f"{source.name} cites {name}, which does not exist"
