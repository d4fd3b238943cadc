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
    """Each claim in docs/threat-model.md (and docs/auditor.md) names the test that proves it; a renamed test must not
    leave it unproven.
    Names ending in an ellipsis cite every test that starts so."""
    text = "\n".join((ROOT / "docs" / name).read_text() for name in ("threat-model.md", "auditor.md"))
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


YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
WHERE = re.compile(r"^# config/roadway\.yaml: one more entry of the list under `(\w+):`")


def pasted(config: str, key: str, entry: str) -> str:
    """``entry`` pasted where its snippet says: after the last line of the list under ``key:``."""
    lines = config.splitlines(keepends=True)
    start = lines.index(f"{key}:\n")
    end = start + 1
    while end < len(lines) and (lines[end].startswith(" ") or lines[end].strip() == ""):
        end += 1
    return "".join(lines[:end]) + entry + "".join(lines[end:])


def test_onboarding_snippets_pasted_as_they_say_add_and_drop_nothing(tmp_path: Path) -> None:
    """Each onboarding snippet says where it goes and is one list entry, never a top-level key the shipped config
    already holds: pasted at the end of the file, a second `projects:` used to replace every project above it."""
    from roadway.config import load_config

    shipped = (ROOT / "config" / "roadway.yaml").read_text()
    top_keys = set(re.findall(r"^(\w+):", shipped, flags=re.MULTILINE))
    followed = 0
    for doc in DOCS:
        config, before = shipped, load_config(ROOT / "config" / "roadway.yaml")
        grown: dict[str, int] = {}
        for block in YAML_BLOCK.findall(doc.read_text()):
            first = block.splitlines()[0]
            assert first.split(":")[0] not in top_keys, f"{doc.name}: a snippet begins with {first!r}"
            where = WHERE.match(first)
            if where is None:
                continue
            key = where.group(1)
            config = pasted(config, key, block.split("\n", 1)[1])
            grown[key] = grown.get(key, 0) + 1
            followed += 1
        if not grown:
            continue
        (tmp_path / doc.name).write_text(config)
        after = load_config(tmp_path / doc.name)
        for key, added in grown.items():
            old, new = getattr(before, key), getattr(after, key)
            assert new[: len(old)] == old and len(new) == len(old) + added, f"{doc.name}: {key}"
    assert followed >= 5, "README's and platform-engineer.md's snippets for teams, people and projects"


def test_make_help_names_every_target_a_user_runs() -> None:
    import subprocess

    shown = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    named = set(re.findall(r"^make ([a-z-]+)", shown, flags=re.MULTILINE))
    assert named == make_targets() - {"help", "layers"}, "a target make help does not name, or one it names wrongly"


def test_make_report_png_asks_for_chromium_before_it_synthesizes() -> None:
    import subprocess

    plan = subprocess.run(
        ["make", "-n", "report-png"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    plan = [line for line in plan if not line.startswith("make[")]  # run under `make test`, make says where it is
    assert "command -v chromium" in plan[0] and plan[1].endswith("make synth")


def test_every_python_snippet_of_the_docs_compiles_and_names_only_what_it_defines() -> None:
    """A reader pastes a snippet as it is: each must parse, and use no name it neither imports nor assigns (nor
    declares given, for an excerpt from inside a construct)."""
    import ast
    import builtins

    checked = 0
    for doc in DOCS:
        for block in re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.DOTALL):
            tree = ast.parse(block, filename=doc.name)
            # An excerpt from inside a construct says what it is handed: "# given: policy, ...".
            given = re.findall(r"^# given: (\w+(?:, \w+)*)", block, flags=re.MULTILINE)
            defined = set(dir(builtins)) | {name for names in given for name in names.split(", ")}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    defined.add(node.id)
                elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                    defined.add(node.name)
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            assert used <= defined, f"{doc.name}: {sorted(used - defined)} used but never defined"
            checked += 1
    assert checked >= 3
