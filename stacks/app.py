"""Builds the whole road from a validated config: one Stage per account and the compliance gate."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, cx_api

from roadway.config import DEFAULT_CONFIG_PATH, STAGE_NAMES, ConfigError, RoadwayConfig, StageName, load_config
from roadway.naming import check_names
from stacks import identity_setup, provenance
from stacks.assembly_files import stack_files
from stacks.cloudformation_limits import STACK_RESOURCE_LIMIT_CONTEXT, Excess, excesses
from stacks.compliance.gate import AcknowledgementError, acknowledgement_sources, add_compliance_gate
from stacks.compliance.verdict import Verdict, judge, read_report
from stacks.constructs.foundation.pinned_layer import LayerMissing
from stacks.stage import RoadwayStage

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def cli_context(*, stage_assets: bool = True) -> dict[str, Any]:
    """The context `cdk synth` gives the app (cdk.json's, and the flag the CLI sets itself, which Roadway's gate
    overrides), for an App made without the CLI: the tests, the demo, the diagram. ``stage_assets`` False reads the
    assets where they are instead of copying them into the assembly: the templates are the same (an asset's hash is
    of its source), and the drift job's numpy and scipy layer is 150 MB."""
    context = json.loads(CDK_JSON.read_text())["context"]
    return {
        **context,
        "@aws-cdk/core:failSynthOnValidationErrors": False,
        **({} if stage_assets else {"aws:cdk:disable-asset-staging": True}),
    }


def availability_zone_context(config: RoadwayConfig) -> dict[str, list[str]]:
    """The context keys a VPC would otherwise look up in AWS; set from config so synth stays offline."""
    return {
        f"availability-zones:account={config.stage(name).account}:region={config.region}": list(
            config.availability_zones
        )
        for name in STAGE_NAMES
    }


def build_app(
    app: App, config: RoadwayConfig, *, compliance: bool = True, stages: tuple[StageName, ...] = STAGE_NAMES
) -> dict[str, RoadwayStage]:
    """The road's stages (``stages``: a subset, for tests and benchmarks that need one account's stacks)."""
    # Context must be set before the first child construct exists.
    for key, zones in availability_zone_context(config).items():
        app.node.set_context(key, zones)
    # CDK's own count of a stack's resources ends synth in a traceback; check_limits says it in one line.
    app.node.set_context(STACK_RESOURCE_LIMIT_CONTEXT, 0)
    if compliance:
        add_compliance_gate(app)
    return {name: RoadwayStage(app, config=config, stage=name) for name in stages}


def templates_by_stack(assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    """Every stage's templates, by CloudFormation stack name (stack names are unique across the road)."""
    return {s.stack_name: s.template for stage in assembly.nested_assemblies for s in stage.nested_assembly.stacks}


def check_limits(cdk_out: Path) -> list[Excess]:
    """Every CloudFormation or IAM limit a synthesized stack exceeds (see stacks.cloudformation_limits), read from
    the files synth wrote (the templates' sizes are what CloudFormation is sent)."""
    found: list[Excess] = []
    for stack in stack_files(cdk_out):
        paths = {logical_id: path for path, logical_id in stack.logical_ids().items()}
        found += excesses(stack.name, stack.template(), stack.template_path.stat().st_size, paths)
    return found


PEOPLE_FIX = "spread the people over more stacks (studio.people_stacks)"
TEAM_FIX = (
    "split team {team}: its policies name each of its projects and instance types; give some projects a team of "
    "their own"
)
OTHER_FIX = "docs/platform-engineer.md, 'What scales how far'"


def fix_for(found: list[Excess]) -> str:
    """What to change for the first excess: the one the line names."""
    first = found[0]
    team = re.search(r"/Team-([a-z][a-z0-9-]*?)(-work)?/", first.path)
    if team:
        return TEAM_FIX.format(team=team.group(1)) + f" ({OTHER_FIX})"
    if first.what == "resources" and re.search(r"-(studio|people-\d+)$", first.where):
        return f"{PEOPLE_FIX} ({OTHER_FIX})"
    return OTHER_FIX


def conclude(app: App, config_path: Path) -> tuple[cx_api.CloudAssembly | None, Verdict]:
    """Synthesize ``app`` and judge it once: the verdict synth's exit status, the provenance, the report and
    ``make deploy`` all read. CDK writes the templates before its validation fails, so both outcomes are judged,
    from the files written; the assembly is returned when synth completed."""
    assembly: cx_api.CloudAssembly | None = None  # None when the packs failed it: judged from the files alone
    try:
        assembly = app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
    too_big = check_limits(Path(app.outdir))
    verdict = judge(read_report(Path(app.outdir)), too_big, fix_for(too_big) if too_big else "")
    outdir = Path(app.outdir)
    made = provenance.record(outdir, config_path, acknowledgement_sources(app), verdict)
    provenance.write(outdir, made)
    return assembly, verdict


def main() -> int:
    """Entry point of ``cdk synth``: bad config and compliance failures are one line, not a trace."""
    app = App()
    config_path = Path(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
    try:
        config = load_config(config_path)
        check_names(config, str(config_path))
    except ConfigError as error:
        hint = "" if config_path.exists() else f" (from {Path.cwd()}; run synth from the project's root)"
        for line in str(error).splitlines():
            print(f"roadway: config error: {line}{hint}", file=sys.stderr)
        return 2
    try:
        build_app(app, config)
    except (LayerMissing, AcknowledgementError) as error:
        print(f"roadway: {error}", file=sys.stderr)
        return 2
    _, verdict = conclude(app, config_path)
    if not verdict.passed:
        print(f"roadway: {verdict.line()}", file=sys.stderr)
        return 1
    people = identity_setup.write(Path(app.outdir), config)
    print(
        f"roadway: synthesized {provenance.display_path(config_path)} "
        f"(sha256 {provenance.sha256_of(config_path)[:12]}); what it was made from: "
        f"{Path(app.outdir) / provenance.FILE_NAME}; what each person's own identity needs: {people}/",
        file=sys.stderr,
    )
    return 0
