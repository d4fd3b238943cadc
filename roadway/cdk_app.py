"""Builds the whole road from a validated config: one Stage per account and the compliance gate."""

from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import App

from roadway import provenance
from roadway.compliance import AcknowledgementError, acknowledgement_sources, add_compliance_gate
from roadway.config import DEFAULT_CONFIG_PATH, STAGE_NAMES, ConfigError, RoadwayConfig, load_config
from stacks.constructs.drift_monitor import LayerMissing
from stacks.stage import RoadwayStage


def availability_zone_context(config: RoadwayConfig) -> dict[str, list[str]]:
    """The context keys a VPC would otherwise look up in AWS; set from config so synth stays offline."""
    return {
        f"availability-zones:account={config.stage(name).account}:region={config.region}": list(
            config.availability_zones
        )
        for name in STAGE_NAMES
    }


def build_app(app: App, config: RoadwayConfig, *, compliance: bool = True) -> dict[str, RoadwayStage]:
    # Context must be set before the first child construct exists.
    for key, zones in availability_zone_context(config).items():
        app.node.set_context(key, zones)
    if compliance:
        add_compliance_gate(app)
    return {name: RoadwayStage(app, config=config, stage=name) for name in STAGE_NAMES}


def write_provenance(app: App, config_path: Path, *, gate: str = "passed") -> Path:
    """What this assembly was made from and whether it passed the gate, for ``make deploy``'s check and the
    auditor's report."""
    made = provenance.record(config_path, acknowledgement_sources(app), gate=gate)
    return provenance.write(Path(app.outdir), made)


def main() -> int:
    """Entry point of ``cdk synth``: bad config and compliance failures are one line, not a trace."""
    app = App()
    config_path = Path(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
    try:
        config = load_config(config_path)
    except ConfigError as error:
        hint = "" if config_path.exists() else f" (from {Path.cwd()}; run synth from the project's root)"
        print(f"roadway: config error: {error}{hint}", file=sys.stderr)
        return 2
    try:
        build_app(app, config)
    except (LayerMissing, AcknowledgementError) as error:
        print(f"roadway: {error}", file=sys.stderr)
        return 2
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        write_provenance(app, config_path, gate="failed")
        print(
            "roadway: compliance gate failed: unacknowledged cdk-nag findings are listed above "
            "(fix them, or acknowledge them next to the resource with a reason)",
            file=sys.stderr,
        )
        return 1
    written = write_provenance(app, config_path)
    print(
        f"roadway: synthesized {provenance.display_path(config_path)} "
        f"(sha256 {provenance.sha256_of(config_path)[:12]}); what it was made from: {written}",
        file=sys.stderr,
    )
    return 0
