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
from stacks.compliance.gate import add_compliance_gate
from stacks.compliance.iam_meaning import listed
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


# The rules judge what a policy means, not how it is spelled: each case below was accepted (or, for the lower-case
# key name, refused) by the rules that compared text; stacks/compliance/iam_meaning.py reads them IAM's way.

PACKAGES = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/house-price/*"
STATUS = "sagemaker:ModelApprovalStatus"


def document_policy(statement: dict[str, object], *, kind: str = "managed") -> Stack:
    """A stack holding one identity policy with ``statement``, as a managed policy or a user's inline policy."""
    stack = Stack(App(), "S")
    document = {"Version": "2012-10-17", "Statement": [statement]}
    if kind == "user":
        iam.CfnUser(stack, "P", policies=[iam.CfnUser.PolicyProperty(policy_name="p", policy_document=document)])
    else:
        iam.CfnManagedPolicy(stack, "P", policy_document=document)  # as written: no CDK check of the action names
    return stack


def flagged(stack: Stack, rule: str) -> bool:
    found = findings(stack).get(f"Roadway-{rule}", [])
    assert found in ([], ["S/P"]), found
    return bool(found)


def update(condition: dict[str, object] | None = None, **element: object) -> dict[str, object]:
    statement = {"Effect": "Allow", "Action": "sagemaker:UpdateModelPackage", "Resource": PACKAGES, **element}
    return {**statement, "Condition": condition} if condition else statement


SM3_UNBOUND = {
    "StringLike *": update({"StringLike": {STATUS: "*"}}),
    "StringLike of wildcards only": update({"StringLike": {STATUS: ["?*"]}}),
    "StringNotEquals a status that does not exist": update({"StringNotEquals": {STATUS: "Approve"}}),
    "IfExists: a request without the key passes": update({"StringEqualsIfExists": {STATUS: "Rejected"}}),
    "ForAllValues: an absent key is the empty set": update({"ForAllValues:StringEquals": {STATUS: "Rejected"}}),
    "every status listed": update({"StringEquals": {STATUS: ["Approved", "Rejected", "PendingManualApproval"]}}),
    "Null false: the key present, any status": update({"Null": {STATUS: "false"}}),
    "a policy variable for the status": update({"StringEquals": {STATUS: "${aws:PrincipalTag/status}"}}),
    "NotAction that leaves UpdateModelPackage": {"Effect": "Allow", "NotAction": "s3:*", "Resource": PACKAGES},
    "wildcard mid-name Update*Package": update(Action="sagemaker:Update*Package"),
    "wildcard around the name *Model*": update(Action="sagemaker:*Model*"),
    "wildcard ? in the name": update(Action="sagemaker:CreateModel?ackage"),
    "the action's name in another case": update(Action="SageMaker:updatemodelpackage"),
}
SM3_BOUND = {
    "StringEquals the pending status": update({"StringEquals": {STATUS: "PendingManualApproval"}}),
    "the approver's decisions": update({"StringEquals": {STATUS: ["Approved", "Rejected"]}}),
    "StringLike a pattern that refuses a status": update({"StringLike": {STATUS: "*ed"}}),
    "the key's name in another case": update({"StringEquals": {"SageMaker:modelApprovalStatus": "Rejected"}}),
    "NotAction that excludes every SageMaker action": {"Effect": "Allow", "NotAction": "sagemaker:*", "Resource": "*"},
    "Describe* does not match Update": update(Action="sagemaker:Describe*"),
}


@pytest.mark.parametrize("statement", SM3_UNBOUND.values(), ids=SM3_UNBOUND.keys())
def test_sm3_a_grant_whose_condition_binds_nothing_is_a_finding(statement: dict[str, object]) -> None:
    assert flagged(document_policy(statement), "SM3")


@pytest.mark.parametrize("statement", SM3_BOUND.values(), ids=SM3_BOUND.keys())
def test_sm3_a_condition_that_refuses_a_status_binds_however_it_is_spelled(statement: dict[str, object]) -> None:
    assert not flagged(document_policy(statement), "SM3")


def test_sm3_and_sm2_read_a_users_inline_policies_too() -> None:
    assert flagged(document_policy(update(), kind="user"), "SM3")
    pull = {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}
    assert flagged(document_policy(pull, kind="user"), "SM2")
    assert not flagged(document_policy(update({"StringEquals": {STATUS: "Rejected"}}), kind="user"), "SM3")


def pull(resource: object, **element: object) -> dict[str, object]:
    return {
        "Effect": "Allow",
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Resource": resource,
        **element,
    }


SM2_ANY_ACCOUNT = {
    "wildcard mid-name Batch*Image": pull("arn:aws:ecr:eu-west-1:*:repository/*", Action="ecr:Batch*Image"),
    "NotAction that leaves the pulls": {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
    "the action's name in another case": pull("*", Action="ECR:batchgetimage"),
    "? for every digit of the account": pull("arn:aws:ecr:eu-west-1:????????????:repository/*"),
    "a wildcard service": pull("arn:aws:*:eu-west-1:*:repository/*"),
    "an ARN that stops before the account": pull("arn:aws:ecr:*"),
    "NotResource": {"Effect": "Allow", "Action": "ecr:BatchGetImage", "NotResource": "arn:aws:s3:::b"},
}
OWN_REPOSITORIES = {
    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ecr:eu-west-1:", {"Ref": "AWS::AccountId"}, ":repository/*"]]
}
SM2_NAMED = {
    "SageMaker's account": pull("arn:aws:ecr:eu-west-1:141502667606:repository/*"),
    "the road's own account, as a token": pull(OWN_REPOSITORIES),
    "any account's S3 is not ECR": pull("arn:aws:s3:::*"),
}


@pytest.mark.parametrize("statement", SM2_ANY_ACCOUNT.values(), ids=SM2_ANY_ACCOUNT.keys())
def test_sm2_a_pull_grant_that_reaches_any_account_is_a_finding(statement: dict[str, object]) -> None:
    assert flagged(document_policy(statement), "SM2")


@pytest.mark.parametrize("statement", SM2_NAMED.values(), ids=SM2_NAMED.keys())
def test_sm2_named_registries_pass(statement: dict[str, object]) -> None:
    assert not flagged(document_policy(statement), "SM2")


def endpoint_policy(*statements: dict[str, object]) -> Stack:
    stack = Stack(App(), "S")
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    ec2.CfnVPCEndpoint(stack, "P", service_name="com.amazonaws.eu-west-1.s3", vpc_id="vpc-1", policy_document=document)
    return stack


EVERYTHING = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
OUR_ACCOUNT = {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}
VPC1_ALLOW_ALL = {
    "* to *": EVERYTHING,
    "*:* to AWS *, arn:*:*:*:*:*": {
        **EVERYTHING,
        "Principal": {"AWS": "*"},
        "Action": "*:*",
        "Resource": "arn:*:*:*:*:*",
    },
    "a condition that only asks for the account": {
        **EVERYTHING,
        "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}},
    },
    "an IfExists condition on wildcards": {**EVERYTHING, "Condition": {"StringLikeIfExists": {"aws:SourceVpc": "**"}}},
    "Null false only": {**EVERYTHING, "Condition": {"Null": {"aws:PrincipalAccount": "false"}}},
    "beside a narrower statement": [{**EVERYTHING, "Action": "s3:GetObject", "Condition": OUR_ACCOUNT}, EVERYTHING],
}
VPC1_PERIMETER = {
    "the road's accounts": {**EVERYTHING, "Condition": OUR_ACCOUNT},
    "one service's actions": {**EVERYTHING, "Action": "s3:*"},
    "the road's buckets": {**EVERYTHING, "Resource": "arn:aws:s3:::roadway-*"},
    "a Deny draws the perimeter": [
        EVERYTHING,
        {**EVERYTHING, "Effect": "Deny", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}}},
    ],
}


@pytest.mark.parametrize("statements", VPC1_ALLOW_ALL.values(), ids=VPC1_ALLOW_ALL.keys())
def test_vpc1_an_allow_all_endpoint_policy_is_a_finding(statements: object) -> None:
    assert flagged(endpoint_policy(*listed(statements)), "VPC1")


@pytest.mark.parametrize("statements", VPC1_PERIMETER.values(), ids=VPC1_PERIMETER.keys())
def test_vpc1_a_policy_that_restricts_passes(statements: object) -> None:
    assert not flagged(endpoint_policy(*listed(statements)), "VPC1")


def test_sm4_an_aws_managed_key_is_not_a_customer_key() -> None:
    stack = Stack(App(), "S")
    instances = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name="v", model_name="m", initial_instance_count=1, instance_type="ml.m5.large"
    )
    sagemaker.CfnEndpointConfig(stack, "Alias", production_variants=[instances], kms_key_id="alias/aws/sagemaker")
    arn = "arn:aws:kms:eu-west-1:111111111111:alias/aws/sagemaker"
    sagemaker.CfnEndpointConfig(stack, "AliasArn", production_variants=[instances], kms_key_id=arn)
    sagemaker.CfnEndpointConfig(stack, "Own", production_variants=[instances], kms_key_id="alias/roadway-serving")
    assert findings(stack) == {"Roadway-SM4": ["S/Alias", "S/AliasArn"]}
