"""The architecture picture, drawn from the synthesized app itself (so it cannot drift from the code).

    python -m devtools.diagram docs/architecture      # writes architecture.dot and, with Graphviz, .png

Each account is a cluster of its stacks; each stack shows the resources that matter to a reader; the arrows
between accounts come from the promotion functions' settings in the templates.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOWN = {
    "AWS::EC2::VPC": "VPC (isolated subnets)",
    "AWS::EC2::VPCEndpoint": "VPC endpoint",
    "AWS::KMS::Key": "KMS key (rotated)",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::SNS::Topic": "alarm topic",
    "AWS::SageMaker::ModelPackageGroup": "Model Registry group",
    "AWS::SageMaker::Domain": "Studio domain (VpcOnly)",
    "AWS::SageMaker::UserProfile": "user profile",
    "AWS::SageMaker::Endpoint": "endpoint (when a package is set)",
    "AWS::SageMaker::MonitoringSchedule": "Model Monitor schedule",
    "AWS::ApplicationAutoScaling::ScalableTarget": "auto-scaling",
    "AWS::CloudWatch::Alarm": "alarm",
    "AWS::Lambda::Function": "Lambda (promoter, rollback recorder)",
    "AWS::Events::Rule": "EventBridge rule",
    "AWS::DynamoDB::Table": "promotion ledger (DynamoDB, KMS, PITR)",
    "AWS::SQS::Queue": "SQS queue (FIFO work, dead letters)",
}


def _label(stack: str, template: dict[str, Any]) -> str:
    counts = Counter(
        r["Type"]
        for logical_id, r in template["Resources"].items()
        if r["Type"] in SHOWN and not logical_id.startswith("Custom")  # CDK's own helper resources
    )
    lines = [f"{n} x {SHOWN[t]}" if n > 1 else SHOWN[t] for t, n in sorted(counts.items(), key=lambda i: SHOWN[i[0]])]
    roles = [
        r["Properties"]["RoleName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and isinstance(r["Properties"].get("RoleName"), str)
    ]
    lines += [f"role {name}" for name in sorted(roles)]
    return "\\n".join([stack, *lines])


def dot(templates: dict[str, dict[str, Any]], accounts: dict[str, str]) -> str:
    out = [
        "digraph roadway {",
        '  rankdir=LR; compound=true; node [shape=box, style="rounded,filled", '
        'fillcolor="#f2f4f8", fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=9];',
    ]
    for stage, account in accounts.items():
        out.append(f'  subgraph cluster_{stage} {{ label="{stage} account {account}"; style=rounded; color="#7a869a";')
        for stack in sorted(s for s in templates if s.split("-")[1] == stage):
            out.append(f'    "{stack}" [label="{_label(stack, templates[stack])}"];')
        out.append("  }")
    for stack, template in sorted(templates.items()):
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            if resource["Properties"].get("Handler") != "promote_model.handler.handler":
                continue
            env = resource["Properties"].get("Environment", {}).get("Variables", {})
            if "SOURCE_PROMOTION_STACK" in env:
                source = env["SOURCE_PROMOTION_STACK"]
                reader = env["SOURCE_READER_ROLE_ARN"].split("/")[-1].replace("{group}", "<project>")
                out.append(f'  "{source}" -> "{stack}" [style=dashed, label="announces approval\\n(EventBridge)"];')
                out.append(
                    f'  "{stack}" -> "{source}" [label="pulls: reads through {reader},\\ncopies sealed artifacts"];'
                )
                for serving in sorted(json.loads(env["PROJECTS"]).values()):
                    deployer = env["SERVING_DEPLOY_ROLE_ARN"].split("/")[-1].replace("{stack}", serving)
                    out.append(f'  "{stack}" -> "{serving}" [label="update ModelPackageArn\\n(via {deployer})"];')
    for stack in templates:
        if stack.endswith("-studio"):
            out.append(f'  "{stack}" -> "{stack.replace("-studio", "-platform")}" [label="train, register"];')
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    from stacks.quiet_jsii import quiet_jsii

    quiet_jsii(announce=False)
    import tempfile

    from aws_cdk import App

    from roadway.config import DEFAULT_CONFIG_PATH, load_config
    from stacks.app import build_app, cli_context, templates_by_stack

    target = Path((argv or sys.argv[1:] or ["docs/architecture"])[0])
    config = load_config(ROOT / DEFAULT_CONFIG_PATH)
    with tempfile.TemporaryDirectory() as work:
        app = App(outdir=work, context=cli_context(stage_assets=False))  # the drawing reads templates only
        build_app(app, config, compliance=False)
        assembly = app.synth()
        templates = templates_by_stack(assembly)
    accounts = {name: config.stage(name).account for name in ("dev", "test", "prod")}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".dot").write_text(dot(templates, accounts))
    if shutil.which("dot") is None:
        print(
            "roadway: Graphviz 'dot' is not installed (apt-get install graphviz); wrote the .dot only", file=sys.stderr
        )
        return 2
    subprocess.run(
        ["dot", "-Tpng", "-Gdpi=110", "-o", str(target.with_suffix(".png")), str(target.with_suffix(".dot"))],
        check=True,
    )
    print(f"wrote {target.with_suffix('.dot')} and {target.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
