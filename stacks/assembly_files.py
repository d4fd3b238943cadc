"""A cloud assembly as the files CDK wrote: its stages, their stacks' templates and metadata.

Read without the CDK (no jsii): the verdict's limits, the auditor's report, `make bootstrap`'s environment and the
deploy check all run after synth, some before every deploy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StackFile:
    """One stack of one stage, as written under ``cdk_out``."""

    stage: str  # the CDK stage's name: Dev, Test, Prod
    folder: Path  # the stage's nested assembly
    artifact: dict[str, Any]  # the stack's entry in that assembly's manifest

    @property
    def name(self) -> str:
        return str(self.artifact["properties"].get("stackName", ""))

    @property
    def environment(self) -> str:
        return str(self.artifact.get("environment", ""))

    @property
    def template_path(self) -> Path:
        return self.folder / self.artifact["properties"]["templateFile"]

    def template(self) -> dict[str, Any]:
        return json.loads(self.template_path.read_text())

    def logical_ids(self) -> dict[str, str]:
        """Construct path (as findings name it, no leading slash) to logical ID, from the stack's metadata."""
        metadata = self.artifact.get("metadata") or {}
        if self.artifact.get("additionalMetadataFile"):
            metadata = json.loads((self.folder / self.artifact["additionalMetadataFile"]).read_text())
        return {
            path.lstrip("/"): str(entry["data"])
            for path, entries in metadata.items()
            for entry in entries
            if entry["type"] == "aws:cdk:logicalId"
        }


def stage_folders(cdk_out: Path) -> dict[str, Path]:
    """Each stage's name and nested assembly folder, in the manifest's order; none without a manifest."""
    manifest = cdk_out / "manifest.json"
    if not manifest.exists():
        return {}
    return {
        artifact["properties"]["directoryName"].removeprefix("assembly-"): cdk_out
        / artifact["properties"]["directoryName"]
        for artifact in json.loads(manifest.read_text())["artifacts"].values()
        if artifact["type"] == "cdk:cloud-assembly"
    }


def stack_files(cdk_out: Path, stage: str | None = None) -> Iterator[StackFile]:
    """Every stack of every stage (or of ``stage``)."""
    for name, folder in stage_folders(cdk_out).items():
        if stage is not None and name != stage:
            continue
        for artifact in json.loads((folder / "manifest.json").read_text())["artifacts"].values():
            if artifact["type"] == "aws:cloudformation:stack":
                yield StackFile(name, folder, artifact)
