"""Roadway's own rule pack: each rule finds its violation on a small stack, passes the fixed form, and an
unacknowledged finding fails synth like any standard pack's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from stacks.app import cli_context
from stacks.compliance import add_compliance_gate
from stacks.compliance.ml_rules import RoadwayChecks

ROLE = "arn:aws:iam::111111111111:role/x"


def findings(stack: Stack) -> dict[str, list[str]]:
    report = RoadwayChecks().validate_scope(stack)
    return {v.rule_name: sorted(r.construct_path for r in v.violating_resources) for v in report.violations}


def model(stack: Stack, name: str, *, isolated: bool, vpc: bool) -> None:
    sagemaker.CfnModel(
        stack,
        name,
        execution_role_arn=ROLE,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(model_package_name="arn:x"),
        enable_network_isolation=isolated,
        vpc_config=sagemaker.CfnModel.VpcConfigProperty(security_group_ids=["sg-1"], subnets=["subnet-1"])
        if vpc
        else None,
    )


def test_sm1_a_model_must_be_isolated_in_a_vpc() -> None:
    stack = Stack(App(), "S")
    model(stack, "Open", isolated=False, vpc=True)
    model(stack, "NoVpc", isolated=True, vpc=False)
    model(stack, "Hardened", isolated=True, vpc=True)
    assert findings(stack) == {"Roadway-SM1": ["S/NoVpc", "S/Open"]}


def policy(stack: Stack, name: str, statement: iam.PolicyStatement) -> None:
    iam.ManagedPolicy(stack, name, statements=[statement])


def test_sm2_images_only_from_named_accounts() -> None:
    stack = Stack(App(), "S")
    pull = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    policy(stack, "AnyAccount", iam.PolicyStatement(actions=pull, resources=["arn:aws:ecr:eu-west-1:*:repository/*"]))
    policy(stack, "Star", iam.PolicyStatement(actions=["ecr:*"], resources=["*"]))
    named = "arn:aws:ecr:eu-west-1:141502667606:repository/*"
    policy(stack, "Named", iam.PolicyStatement(actions=pull, resources=[named]))
    assert findings(stack) == {"Roadway-SM2": ["S/AnyAccount/Resource", "S/Star/Resource"]}


def test_sm3_package_writes_are_bound_by_approval_status() -> None:
    stack = Stack(App(), "S")
    packages = ["arn:aws:sagemaker:eu-west-1:111111111111:model-package/house-price/*"]
    policy(stack, "Unbound", iam.PolicyStatement(actions=["sagemaker:UpdateModelPackage"], resources=packages))
    policy(stack, "Wildcard", iam.PolicyStatement(actions=["sagemaker:*"], resources=packages))
    bound = {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
    statement = iam.PolicyStatement(actions=["sagemaker:CreateModelPackage"], resources=packages, conditions=bound)
    policy(stack, "Bound", statement)
    policy(stack, "ReadOnly", iam.PolicyStatement(actions=["sagemaker:Describe*"], resources=packages))
    assert findings(stack) == {"Roadway-SM3": ["S/Unbound/Resource", "S/Wildcard/Resource"]}


def test_sm4_endpoint_storage_and_captures_use_a_key() -> None:
    stack = Stack(App(), "S")
    instances = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name="v", model_name="m", initial_instance_count=1, instance_type="ml.m5.large"
    )
    serverless = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name="v",
        model_name="m",
        serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
            memory_size_in_mb=2048, max_concurrency=1
        ),
    )
    capture = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
        initial_sampling_percentage=10,
        destination_s3_uri="s3://b/c",
        capture_options=[sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input")],
    )
    sagemaker.CfnEndpointConfig(stack, "NoKey", production_variants=[instances])
    sagemaker.CfnEndpointConfig(stack, "Keyed", production_variants=[instances], kms_key_id="arn:aws:kms:k")
    sagemaker.CfnEndpointConfig(stack, "Serverless", production_variants=[serverless])
    sagemaker.CfnEndpointConfig(
        stack, "PlainCapture", production_variants=[instances], kms_key_id="arn:aws:kms:k", data_capture_config=capture
    )
    assert findings(stack) == {"Roadway-SM4": ["S/NoKey", "S/PlainCapture"]}


def test_vpc1_every_endpoint_has_a_policy() -> None:
    stack = Stack(App(), "S")
    isolated = ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["eu-west-1a"], nat_gateways=0, subnet_configuration=[isolated])
    vpc.add_gateway_endpoint("Open", service=ec2.GatewayVpcEndpointAwsService.S3)
    guarded = vpc.add_gateway_endpoint("Guarded", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)
    guarded.add_to_policy(
        iam.PolicyStatement(
            principals=[iam.AnyPrincipal()],
            actions=["dynamodb:*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:PrincipalAccount": "111111111111"}},
        )
    )
    assert findings(stack)["Roadway-VPC1"] == ["S/Vpc/Open/Resource"]


def test_a_seeded_violation_fails_synth_and_is_named_in_the_report(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path), context=cli_context())
    add_compliance_gate(app)
    stack = Stack(app, "Seeded", env={"account": "111111111111", "region": "eu-west-1"})
    model(stack, "Open", isolated=False, vpc=True)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (roadway,) = [p for p in report["pluginReports"] if p["pluginName"] == "Roadway"]
    assert roadway["conclusion"] == "failure"
    assert [v["ruleName"] for v in roadway["violations"]] == ["Roadway-SM1"]


def test_sm5_a_model_monitor_schedule_is_a_finding_to_acknowledge_where_the_account_has_it() -> None:
    stack = Stack(App(), "S")
    sagemaker.CfnMonitoringSchedule(
        stack,
        "Schedule",
        monitoring_schedule_name="s",
        monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
            monitoring_job_definition_name="d", monitoring_type="DataQuality"
        ),
    )
    assert findings(stack) == {"Roadway-SM5": ["S/Schedule"]}
