"""One synth of a road as `make synth` makes it (provenance, verdict, identity set-up, report), for the demo, the
tests and the bench: each reads the templates by CloudFormation stack name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roadway.config import DEFAULT_CONFIG_PATH, RoadwayConfig

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PATH = ROOT / DEFAULT_CONFIG_PATH


@dataclass
class Synth:
    """One synthesized cloud assembly, indexed by CloudFormation stack name."""

    outdir: Path
    templates: dict[str, dict[str, Any]]
    report: dict[str, Any] | None

    def resources(self, stack: str, type_: str | None = None) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack]["Resources"].items()
            if type_ is None or resource["Type"] == type_
        }

    def stack_tags(self, stack_name: str) -> dict[str, str]:
        """The tags the CDK CLI deploys a stack with (the cloud assembly's manifest), which CloudFormation puts on
        every resource it creates in that stack."""
        for manifest in self.outdir.glob("assembly-*/manifest.json"):
            for artifact in json.loads(manifest.read_text())["artifacts"].values():
                properties = artifact.get("properties", {})
                if properties.get("stackName") == stack_name:
                    return dict(properties.get("tags", {}))
        raise LookupError(f"{stack_name} is not in {self.outdir}")


def synthesize(
    config: RoadwayConfig,
    outdir: Path,
    *,
    compliance: bool = True,
    config_path: Path = CONFIG_PATH,
    stage_assets: bool = False,
) -> Synth:
    """As `make synth` does, provenance included; ``config_path`` is what the provenance names. Assets are copied
    into the assembly only when ``stage_assets`` says so (the shipped road's ``synth``; stacks.app.cli_context).
    ``compliance`` False leaves the packs out (a variant's templates, the moto road's)."""
    from stacks.quiet_jsii import quiet_jsii

    quiet_jsii(announce=False)  # as app.py does, before the CDK's Node process starts
    from aws_cdk import App

    from stacks import identity_setup
    from stacks.app import build_app, cli_context, conclude, templates_by_stack
    from stacks.compliance.report import write_report

    app = App(outdir=str(outdir), context=cli_context(stage_assets=stage_assets))
    build_app(app, config, compliance=compliance)
    assembly, verdict = conclude(app, config_path)
    assert assembly is not None and (verdict.passed or not compliance), verdict.line()
    identity_setup.write(outdir, config)
    templates = templates_by_stack(assembly)
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    if report is not None:
        write_report(outdir)  # as `make synth` does, before any test (or the other worker) reads the assembly
    return Synth(outdir=outdir, templates=templates, report=report)
