"""Whole-template properties: cfn-lint clean, deterministic synth, stable logical IDs of stateful resources."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from devtools.synth import Synth
from roadway.config import RoadwayConfig

SNAPSHOT = Path(__file__).with_name("stateful_logical_ids.json")
STATEFUL_TYPES = {
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::SageMaker::Domain",
    "AWS::SageMaker::UserProfile",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::DynamoDB::Table",
    "AWS::Logs::LogGroup",
    "AWS::SQS::Queue",
}


def stateful_ids(synth: Synth) -> dict[str, dict[str, str]]:
    return {
        stack: {
            lid: resource["Type"]
            for lid, resource in sorted(template["Resources"].items())
            if resource["Type"] in STATEFUL_TYPES
        }
        for stack, template in sorted(synth.templates.items())
    }


def test_stateful_logical_ids_never_change_by_accident(synth: Synth) -> None:
    """A changed logical ID replaces the resource: a bucket, key or domain would be lost or orphaned.

    If a change is intended (a new stateful resource, or a planned migration), update the snapshot
    with `python -m tests.stacks.test_templates` and explain it in the commit.
    """
    expected = json.loads(SNAPSHOT.read_text())
    current = stateful_ids(synth)
    for stack in sorted(set(expected) | set(current)):
        gone = set(expected.get(stack, {})) - set(current.get(stack, {}))
        assert not gone, f"{stack}: stateful resources renamed or removed: {sorted(gone)}"
    assert current == expected, "new stateful resources: add them to the snapshot on purpose"


def test_two_synths_give_identical_templates(
    config: RoadwayConfig, synth: Synth, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    """Two synths of one config (in two apps, and with and without the compliance packs, which change nothing)."""
    second = synth_with(config)
    assert second is not synth and second.outdir != synth.outdir
    assert second.templates == synth.templates


def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    templates = sorted(str(p) for p in synth.outdir.glob("assembly-*/*.template.json"))
    assert len(templates) == len(synth.templates)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
        capture_output=True,
        text=True,
        timeout=300,
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode in (0, 4), result.stdout + result.stderr  # 2 = errors, 4 = warnings only
    # Three warnings are explained, and only where they are expected:
    # - W3005 (a DependsOn that a GetAtt already implies) on the Lambda CDK itself generates to strip the VPC's
    #   default security group, and on the promotion functions and the drift job, whose DependsOn their role CDK adds
    #   for VPC functions.
    # - W3010 (literal availability zones) on subnets: the zones come from config on purpose, so that synth
    #   needs no AWS lookup; CDK's own validation acknowledges the same thing.
    # - W6001 (an output that repeats an import) on ArtifactBucketName of the serving stacks and of the promotion
    #   stacks: the promotion reads its own bucket from the one stack it updates, and the next stage's promoter
    #   reads the source's bucket (where evidence must lie) from the one stack its reader role may describe; and on
    #   prod's DriftReports, where `roadway status` finds the drift job's last verdict in the serving stack it reads.
    explained = [
        f
        for f in findings
        if (":W3005:" in f and "CustomVpcRestrictDefaultSGCustomResourceProvider" in f)
        or (":W3005:" in f and "'PromoterRole" in f and ("PromoterFunction" in f or "PromoterRollbackRecorder" in f))
        or (":W3005:" in f and "'DriftMonitorRole" in f and "DriftMonitorFunction" in f)
        or (":W3010:" in f and "Avoid hardcoding availability zones" in f)
        or (":W6001:" in f and ("Serving" in f or "Promotion" in f) and "artifact-bucket-arn" in f)
        or (":W6001:" in f and "ProdServing" in f and "data-bucket-arn" in f)
    ]
    assert [f for f in findings if f not in explained] == []


if __name__ == "__main__":
    import tempfile

    from devtools.synth import CONFIG_PATH, synthesize
    from roadway.config import load_config

    with tempfile.TemporaryDirectory() as out:
        SNAPSHOT.write_text(json.dumps(stateful_ids(synthesize(load_config(CONFIG_PATH), Path(out))), indent=2) + "\n")
    print(f"wrote {SNAPSHOT}")
