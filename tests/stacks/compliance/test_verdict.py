"""One verdict per synth, judged once, that synth's exit status, the provenance, the report and `make deploy` read:
an open finding of any pack fails it (CDK reports cfn-lint's warnings as a success), and so does a stack over a
limit, with a reason that says what to change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Stage, aws_iam, aws_sagemaker

from stacks import provenance
from stacks.app import cli_context, conclude, fix_for
from stacks.cloudformation_limits import Excess
from stacks.compliance.gate import add_compliance_gate
from stacks.compliance.packs import PACKS
from stacks.compliance.report import write_report
from stacks.compliance.verdict import judge


def test_judged_from_every_pack_open_findings_and_limits() -> None:
    report = {"pluginReports": [{"pluginName": p, "conclusion": "success", "violations": []} for p in PACKS]}
    assert judge(report, []).passed
    warned = json.loads(json.dumps(report))
    warned["pluginReports"][-1]["violations"] = [
        {"ruleName": "W3030", "violatingConstructs": [{"constructPath": "Prod/Serving/Endpoint/EndpointConfig"}]}
    ]
    verdict = judge(warned, [])
    assert not verdict.passed and verdict.open_findings == 1
    assert verdict.reasons[0].startswith(
        "1 open finding (CloudFormation Validate: 1): CloudFormation Validate W3030 on "
        "Prod/Serving/Endpoint/EndpointConfig"
    )
    assert judge(None, []).reasons == ("no rule pack ran (the assembly has no validation report)",)
    too_big = judge(warned, [Excess("stack s", "resources", 501, 500)], "fix")
    assert too_big.reasons[1] == "too big to deploy: stack s: 501 resources, CloudFormation allows 500; fix"


@pytest.fixture(scope="module")
def warned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An endpoint config of an instance type SageMaker has not: cfn-lint warns (W3030), and CDK's plugin still
    concludes "success"; before the one verdict, synth exited 0 and provenance said "passed"."""
    outdir = tmp_path_factory.mktemp("warned")
    config = outdir.parent / "warned.yaml"
    config.write_text("project: roadway\n")
    app = App(outdir=str(outdir), context=cli_context(stage_assets=False))
    add_compliance_gate(app)
    stack = Stack(app, "Serving")
    aws_sagemaker.CfnEndpointConfig(
        stack,
        "EndpointConfig",
        kms_key_id="arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000",
        production_variants=[
            aws_sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="AllTraffic", model_name="m", initial_instance_count=1, instance_type="ml.m5.huge"
            )
        ],
    )
    _, verdict = conclude(app, config)
    assert not verdict.passed
    write_report(outdir)
    return outdir, config


def test_an_open_cfn_lint_warning_fails_synth_provenance_the_report_and_deploy(warned: tuple[Path, Path]) -> None:
    outdir, _ = warned
    recorded = provenance.read(outdir)
    assert recorded is not None and recorded["compliance_gate"]["outcome"] == "failed"
    (reason,) = recorded["compliance_gate"]["reasons"]
    assert reason.startswith(
        "1 open finding (CloudFormation Validate: 1): CloudFormation Validate W3030 on Serving/EndpointConfig"
    )
    page = (outdir / "compliance" / "index.html").read_text()
    assert "FAIL: 1 open finding" in page and "PASS" not in page
    with pytest.raises(provenance.ProvenanceError, match=r"compliance gate failed: 1 open finding .*W3030"):
        provenance.check(outdir)


def test_a_stack_over_a_limit_fails_with_the_fix_that_fits_and_a_report_that_agrees(tmp_path: Path) -> None:
    """A team policy over IAM's 6,144 characters is fixed by splitting the team, not by studio.people_stacks."""
    config = tmp_path / "road.yaml"
    config.write_text("project: roadway\n")
    app = App(outdir=str(tmp_path / "out"), context=cli_context(stage_assets=False))
    stack = Stack(Stage(app, "Dev"), "Studio")
    aws_iam.ManagedPolicy(
        stack,
        "Team-pricing-work",
        statements=[
            aws_iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[f"arn:aws:s3:::bucket/{n:04}/*" for n in range(300)]
            )
        ],
    )
    _, verdict = conclude(app, config)  # no packs: the verdict says so too
    (too_big,) = [r for r in verdict.reasons if r.startswith("too big")]
    assert "managed policy TeamPricingwork" in too_big.replace("Teampricingwork", "TeamPricingwork")
    assert "split team pricing" in too_big and "people_stacks" not in too_big
    (Path(app.outdir) / "validation-report.json").write_text(json.dumps({"pluginReports": []}))
    write_report(Path(app.outdir))
    page = (Path(app.outdir) / "compliance" / "index.html").read_text()
    assert "FAIL: " in page and "too big to deploy" in page and "PASS" not in page


def test_the_fix_for_a_crowded_people_stack_is_more_people_stacks() -> None:
    crowded = Excess("stack roadway-dev-people-3", "resources", 503, 500, path="Dev/People3/x")
    assert fix_for([crowded]).startswith("spread the people over more stacks (studio.people_stacks)")
    assert "people_stacks" not in fix_for([Excess("stack roadway-prod-serving", "resources", 501, 500)])
