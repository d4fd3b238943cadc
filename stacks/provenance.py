"""What a cloud assembly was made from, so that what is deployed is what was synthesized and reviewed.

``make synth CONFIG=...`` writes ``roadway-provenance.json`` beside the templates: the config file and its
SHA-256, the git commit (and whether the tree had uncommitted changes), the versions of the CDK library,
cdk-nag and the CDK CLI, the sources of AWS's facts the tests prove the templates against (aws_facts/), the time,
and where in the source every compliance acknowledgement was made.
``make diff`` and ``make deploy`` deploy that assembly (``cdk deploy --app cdk.out``, no second synth) after
:func:`check` confirms the config has not changed since; the auditor's report prints the same record.

    python -m stacks.provenance check cdk.out [CONFIG]
    python -m stacks.provenance environment cdk.out STAGE     # make bootstrap: the stage's account and region
    python -m stacks.provenance profile NAME                  # make diff, deploy, bootstrap: PROFILE= exists

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
from stacks.assembly_files import stack_files, stage_folders
from stacks.compliance.verdict import Verdict

FILE_NAME = "roadway-provenance.json"
# The auditor's report of the same synth (stacks.compliance.report), which embeds this record.
REPORT = Path("compliance") / "report.json"
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


def assembly_digest(outdir: Path) -> str:
    """One SHA-256 of what deploy reads: the assembly's manifest, every stage's templates, manifests and asset
    lists, and the validation report the verdict was judged from. Not this record, the report written from it, the
    identity set-up written beside it, nor the asset folders (CDK names each by its content's hash)."""
    files = sorted(
        [*(outdir / name for name in ("manifest.json", "validation-report.json")), *outdir.glob("assembly-*/*.json")]
    )
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(f"{path.relative_to(outdir).as_posix()}\0{sha256_of(path)}\n".encode())
    return digest.hexdigest()


def record(outdir: Path, config_path: Path, acknowledgements: list[dict[str, Any]], verdict: Verdict) -> dict[str, Any]:
    """``verdict`` is the compliance gate's, judged once: CDK writes the templates even when the gate fails them."""
    return {
        "generated_at": timestamps.now(),
        "compliance_gate": verdict.record(),
        "assembly_sha256": assembly_digest(outdir),
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
    verdict = Verdict.of_record(provenance)
    if verdict is None:
        raise ProvenanceError(f"{outdir} holds no compliance verdict: run `make synth CONFIG=...` again")
    if not verdict.passed:
        raise ProvenanceError(
            f"{outdir}: {verdict.line()} (then run `make synth` again; {outdir}/compliance/index.html)"
        )
    if assembly_digest(outdir) != provenance.get("assembly_sha256"):
        raise ProvenanceError(
            f"{outdir} changed after `make synth` judged it (something synthesized or edited it since, e.g. a bare "
            "`cdk bootstrap` or `cdk synth`): run `make synth CONFIG=...` again"
        )
    reviewed = outdir / REPORT
    if not reviewed.exists() or json.loads(reviewed.read_text()).get("provenance") != provenance:
        raise ProvenanceError(
            f"{reviewed} is missing or was written for another synth of {outdir}: run `make synth CONFIG=...` again"
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


def environment(outdir: Path, stage: str) -> str:
    """``aws://<account>/<region>`` of a stage of the assembly (``Dev`` or the config's ``dev``), for bootstrapping
    its account from what `make synth` wrote: with cdk.json naming the app, a bare `cdk bootstrap` synthesizes the
    default config into cdk.out first."""
    if read(outdir) is None:
        raise ProvenanceError(f"{outdir} holds no assembly of `make synth`: run `make synth CONFIG=...` first")
    stages = stage_folders(outdir)
    found = next((name for name in stages if name.lower() == stage.lower()), None)
    if found is None:
        raise ProvenanceError(f"{outdir} has no stage {stage!r}: expected one of {', '.join(stages)}")
    environments = {stack.environment for stack in stack_files(outdir, found) if stack.environment}
    if len(environments) != 1:
        raise ProvenanceError(f"stage {found} of {outdir} has {len(environments)} environments, expected one")
    return environments.pop()


USAGE = "usage: python -m stacks.provenance check CDK_OUT [CONFIG] | environment CDK_OUT STAGE | profile NAME"


def profile(name: str) -> None:
    """A PROFILE= the AWS config does not have reads, in the CDK's words, as missing credentials; say it plainly."""
    import boto3

    known = boto3.session.Session().available_profiles
    if name not in known:
        raise ProvenanceError(
            f"PROFILE={name} is not a profile of your AWS config (~/.aws/config); known: {', '.join(known) or 'none'} "
            f"(aws configure sso --profile {name})"
        )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if (args[:1] == ["environment"] and len(args) == 3) or (args[:1] == ["profile"] and len(args) == 2):
        try:
            if args[0] == "profile":
                profile(args[1])
            else:
                print(environment(Path(args[1]), args[2]))
        except ProvenanceError as error:
            print(f"roadway: {error}", file=sys.stderr)
            return 1
        return 0
    if not args or args[0] != "check" or len(args) > 3:
        print(USAGE, file=sys.stderr)
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
