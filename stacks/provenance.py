"""What a cloud assembly was made from, so that what is deployed is what was synthesized and reviewed.

``make synth CONFIG=...`` writes ``roadway-provenance.json`` beside the templates: the config file and its
SHA-256, the git commit (and whether the tree had uncommitted changes), the versions of the CDK library,
cdk-nag and the CDK CLI, the sources of AWS's facts the tests prove the templates against (aws_facts/), the time,
and where in the source every compliance acknowledgement was made.
``make diff`` and ``make deploy`` deploy that assembly (``cdk deploy --app cdk.out``, no second synth) after
:func:`check` confirms the config has not changed since; the auditor's report prints the same record.

    python -m stacks.provenance check cdk.out [CONFIG]

Imports nothing of the CDK: the check runs before every deploy and must stay quick.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from roadway import timestamps

FILE_NAME = "roadway-provenance.json"
ROOT = Path(__file__).resolve().parent.parent
# The CDK CLI tells the app its version in this variable (aws-cdk's CLI_VERSION_ENV).
CLI_VERSION_ENV = "CDK_CLI_VERSION"
LIBRARIES = ("aws-cdk-lib", "constructs", "cdk-nag")


class ProvenanceError(Exception):
    """The assembly cannot be deployed as it is; the message is the one line to print."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def display_path(path: Path) -> str:
    """The path relative to the project when it lies inside it (what a reviewer recognises), else absolute."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(ROOT))
    except ValueError:
        return str(resolved)


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """The commit and whether tracked or untracked files differ from it; unknown outside a git checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def cli_version(root: Path = ROOT) -> str | None:
    """The CLI that runs the app says its version; otherwise the pinned one in node_modules, if installed."""
    if os.environ.get(CLI_VERSION_ENV):
        return os.environ[CLI_VERSION_ENV].split(" ")[0]
    package = root / "node_modules" / "aws-cdk" / "package.json"
    if package.exists():
        return str(json.loads(package.read_text())["version"])
    return None


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    found["aws-cdk (CLI)"] = cli_version()
    return found


AWS_FACTS = ROOT / "aws_facts"


def aws_facts(root: Path = AWS_FACTS) -> dict[str, Any]:
    """Which of AWS's published facts the proofs of this commit asked (aws_facts/README.md): each file's source,
    its package and version or its document and date."""
    return {path.stem: json.loads(path.read_text())["source"] for path in sorted(root.glob("*.json"))}


def record(config_path: Path, acknowledgements: list[dict[str, Any]], *, gate: str = "passed") -> dict[str, Any]:
    """``gate`` is the compliance gate's outcome: CDK writes the templates even when the gate fails them."""
    return {
        "generated_at": timestamps.now(),
        "compliance_gate": gate,
        "config": {"path": display_path(config_path), "sha256": sha256_of(config_path)},
        "source": git_state(),
        "versions": versions(),
        "aws_facts": aws_facts(),
        "acknowledgements": acknowledgements,
    }


def write(outdir: Path, provenance: dict[str, Any]) -> Path:
    target = outdir / FILE_NAME
    target.write_text(json.dumps(provenance, indent=2) + "\n")
    return target


def read(outdir: Path) -> dict[str, Any] | None:
    source = outdir / FILE_NAME
    return json.loads(source.read_text()) if source.exists() else None


def check(outdir: Path, config: Path | None = None) -> dict[str, Any]:
    """The provenance of an assembly that may be deployed, or the reason it may not."""
    provenance = read(outdir)
    if provenance is None:
        raise ProvenanceError(f"{outdir}/{FILE_NAME} is missing: run `make synth CONFIG=...` first")
    if provenance.get("compliance_gate") != "passed":
        raise ProvenanceError(
            f"{outdir} failed the compliance gate (open findings in {outdir}/compliance/index.html): "
            "fix or acknowledge them, then run `make synth` again"
        )
    synthesized = provenance["config"]["path"]
    if config is not None and display_path(config) != synthesized:
        raise ProvenanceError(
            f"{outdir} was synthesized from {synthesized}, not {display_path(config)}: "
            f"run `make synth CONFIG={display_path(config)}` first"
        )
    path = Path(synthesized) if Path(synthesized).is_absolute() else ROOT / synthesized
    if not path.exists():
        raise ProvenanceError(f"{synthesized}, which {outdir} was synthesized from, no longer exists")
    if sha256_of(path) != provenance["config"]["sha256"]:
        raise ProvenanceError(
            f"{synthesized} changed after {outdir} was synthesized: run `make synth CONFIG={synthesized}` again"
        )
    return provenance


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "check" or len(args) > 3:
        print("usage: python -m stacks.provenance check CDK_OUT [CONFIG]", file=sys.stderr)
        return 2
    outdir = Path(args[1] if len(args) > 1 else "cdk.out")
    try:
        provenance = check(outdir, Path(args[2]) if len(args) > 2 and args[2] else None)
    except ProvenanceError as error:
        print(f"roadway: {error}", file=sys.stderr)
        return 1
    source = provenance["source"]
    commit = (source["commit"] or "no git")[:12] + (" (uncommitted changes)" if source["dirty"] else "")
    print(
        f"roadway: {outdir} as synthesized at {provenance['generated_at']} "
        f"from {provenance['config']['path']} (sha256 {provenance['config']['sha256'][:12]}), commit {commit}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
