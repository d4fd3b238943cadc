"""Whoever controls the previous stage can hand prod's serving stack a new template (until promotion pulls, see
docs/threat-model.md); the CloudFormation role that applies it creates models, endpoint configs and monitoring
jobs in prod only in their hardened form. Proven by asking IAM's rules what prod's own template needs (allowed)
and what a rewritten one would need (denied)."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import aws, iam


def deployer(synth: Synth, config: RoadwayConfig, stage: str) -> list[dict[str, Any]]:
    template = synth.templates[f"roadway-{stage}-promotion"]
    role = Names.of(config).model(config.projects[0]).serving_deploy_role(stage)  # type: ignore[arg-type]
    return iam.role_statements(template, iam.role_named(template, role))


def serving(synth: Synth, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources("roadway-prod-serving", type_).values()
    return dict(resource["Properties"])


def arn(config: RoadwayConfig, kind: str) -> str:
    return f"arn:aws:sagemaker:{config.region}:{config.stages.prod.account}:{kind}/x"


def model_request(props: dict[str, Any]) -> dict[str, Any]:
    """The keys SageMaker's CreateModel carries for the model the template describes."""
    context: dict[str, Any] = {"sagemaker:NetworkIsolation": str(props.get("EnableNetworkIsolation", False)).lower()}
    if "VpcConfig" in props:
        context["sagemaker:VpcSubnets"] = [iam.render(s) for s in props["VpcConfig"]["Subnets"]]
        context["sagemaker:VpcSecurityGroupIds"] = [iam.render(g) for g in props["VpcConfig"]["SecurityGroupIds"]]
    return context


def test_prods_own_model_is_created_and_a_weakened_one_is_not(synth: Synth, config: RoadwayConfig) -> None:
    statements = deployer(synth, config, "prod")
    model = arn(config, "model")
    own = model_request(serving(synth, "AWS::SageMaker::Model"))
    assert iam.allowed(statements, "sagemaker:CreateModel", model, own)
    assert not iam.allowed(statements, "sagemaker:CreateModel", model, {**own, "sagemaker:NetworkIsolation": "false"})
    for key in ("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds"):
        without = {k: v for k, v in own.items() if k != key}
        assert not iam.allowed(statements, "sagemaker:CreateModel", model, without), f"a model without {key}"
    for key, other in (("sagemaker:VpcSubnets", "subnet-0attacker"), ("sagemaker:VpcSecurityGroupIds", "sg-0open")):
        assert not iam.allowed(statements, "sagemaker:CreateModel", model, {**own, key: [other]}), other
        assert not iam.allowed(statements, "sagemaker:CreateModel", model, {**own, key: [*own[key], other]}), other


def test_prods_endpoint_config_keeps_its_volume_key_and_instance_type(synth: Synth, config: RoadwayConfig) -> None:
    statements = deployer(synth, config, "prod")
    props = serving(synth, "AWS::SageMaker::EndpointConfig")
    own = {
        "sagemaker:VolumeKmsKey": iam.render(props["KmsKeyId"]),
        "sagemaker:InstanceTypes": [v["InstanceType"] for v in props["ProductionVariants"]],
    }
    assert own["sagemaker:InstanceTypes"] == [config.projects[0].stages.prod.serving.endpoint.instance_type]  # type: ignore[union-attr]
    target = arn(config, "endpoint-config")
    assert iam.allowed(statements, "sagemaker:CreateEndpointConfig", target, own)
    assert not iam.allowed(statements, "sagemaker:CreateEndpointConfig", target, {})
    for key, weaker in (
        ("sagemaker:VolumeKmsKey", "arn:aws:kms:eu-west-1:999999999999:key/x"),
        ("sagemaker:InstanceTypes", ["ml.p4d.24xlarge"]),
        ("sagemaker:InstanceTypes", [*own["sagemaker:InstanceTypes"], "ml.p4d.24xlarge"]),
    ):
        assert not iam.allowed(statements, "sagemaker:CreateEndpointConfig", target, {**own, key: weaker}), weaker
    serverless = {"sagemaker:VolumeKmsKey": own["sagemaker:VolumeKmsKey"]}  # no instances named at all
    assert not iam.allowed(statements, "sagemaker:CreateEndpointConfig", target, serverless)


def test_prods_monitoring_job_stays_isolated_encrypted_in_the_vpc_and_its_size(
    model_monitor_synth: Synth, model_monitor_config: RoadwayConfig
) -> None:
    synth, config = model_monitor_synth, model_monitor_config
    statements = deployer(synth, config, "prod")
    props = serving(synth, "AWS::SageMaker::DataQualityJobDefinition")
    network = props["NetworkConfig"]
    own = {
        "sagemaker:NetworkIsolation": str(network["EnableNetworkIsolation"]).lower(),
        "sagemaker:InterContainerTrafficEncryption": str(network["EnableInterContainerTrafficEncryption"]).lower(),
        "sagemaker:VpcSubnets": [iam.render(s) for s in network["VpcConfig"]["Subnets"]],
        "sagemaker:VpcSecurityGroupIds": [iam.render(g) for g in network["VpcConfig"]["SecurityGroupIds"]],
        "sagemaker:VolumeKmsKey": iam.render(props["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"]),
        "sagemaker:InstanceTypes": [props["JobResources"]["ClusterConfig"]["InstanceType"]],
    }
    target = arn(config, "data-quality-job-definition")
    assert iam.allowed(statements, "sagemaker:CreateDataQualityJobDefinition", target, own)
    for key, weaker in (
        ("sagemaker:NetworkIsolation", "false"),
        ("sagemaker:InterContainerTrafficEncryption", "false"),
        ("sagemaker:VolumeKmsKey", "arn:aws:kms:eu-west-1:999999999999:key/x"),
        ("sagemaker:VpcSecurityGroupIds", ["sg-0open"]),
        ("sagemaker:InstanceTypes", ["ml.p4d.24xlarge"]),
    ):
        assert not iam.allowed(statements, "sagemaker:CreateDataQualityJobDefinition", target, {**own, key: weaker})


def test_with_roadways_drift_job_no_monitoring_job_can_be_created_at_all(synth: Synth, config: RoadwayConfig) -> None:
    statements = deployer(synth, config, "prod")
    anything = {"sagemaker:NetworkIsolation": "true", "sagemaker:InstanceTypes": ["ml.m5.large"]}
    target = arn(config, "data-quality-job-definition")
    assert not iam.allowed(statements, "sagemaker:CreateDataQualityJobDefinition", target, anything)


# What a rewritten template would change to blind the watch or page nobody: each kept by CloudFormation's own
# handlers (aws_facts/cloudformation_handlers.json), so the deployer lacking one mutating permission of a handler
# makes CloudFormation fail that change.
_KEPT = {
    "AWS::Lambda::Function": "arn:aws:lambda:{region}:{account}:function:{stack}-DriftMonitorFunction-x",
    "AWS::Lambda::Permission": "arn:aws:lambda:{region}:{account}:function:{stack}-DriftMonitorFunction-x",
    "AWS::Lambda::EventInvokeConfig": "arn:aws:lambda:{region}:{account}:function:{stack}-DriftMonitorFunction-x",
    "AWS::Lambda::LayerVersion": "arn:aws:lambda:{region}:{account}:layer:x:1",
    "AWS::Events::Rule": "arn:aws:events:{region}:{account}:rule/{stack}-DriftMonitorSchedule-x",
    "AWS::EC2::SecurityGroup": "arn:aws:ec2:{region}:{account}:security-group/sg-0drift",
    "AWS::EC2::SecurityGroupEgress": "arn:aws:ec2:{region}:{account}:security-group/sg-0drift",
    "AWS::CloudWatch::Alarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{stack}-DriftMonitorDriftAlarm-x",
    "AWS::SQS::Queue": "arn:aws:sqs:{region}:{account}:{stack}-DriftMonitorDeadLetters-x",
    "AWS::SQS::QueuePolicy": "arn:aws:sqs:{region}:{account}:{stack}-DriftMonitorDeadLetters-x",
    "AWS::Logs::LogGroup": "arn:aws:logs:{region}:{account}:log-group:{stack}-DriftMonitorLogs-x",
    "AWS::IAM::Role": "arn:aws:iam::{account}:role/{stack}-drift",
    "AWS::IAM::ManagedPolicy": "arn:aws:iam::{account}:policy/{stack}-DriftMonitorPolicy-x",
}
_READS = ("Describe", "Get", "List")


def test_a_rewritten_template_cannot_touch_what_promotion_never_changes(synth: Synth, config: RoadwayConfig) -> None:
    """The drift job, its schedule, its security group, its alarms, the rollback alarms and every role: promotion
    changes none of them (they carry no HasModel condition), so the deployer can neither update nor delete one."""
    statements = deployer(synth, config, "prod")
    stack, account, region = "roadway-prod-serving", config.stages.prod.account, config.region
    kept = {k: r for k, r in synth.resources(stack).items() if "Condition" not in r}
    assert {r["Type"] for r in kept.values()} <= set(_KEPT), "a new kind of resource: say how it is kept"
    assert any(r["Type"] == "AWS::Lambda::Function" for r in kept.values()), "the drift job is among them"
    for logical_id, resource in kept.items():
        target = _KEPT[resource["Type"]].format(region=region, account=account, stack=stack)
        for handler in ("update", "delete"):
            changes = [
                a
                for a in aws.handler_permissions(resource["Type"], handler)
                if not a.split(":", 1)[1].startswith(_READS) and aws.known(a)  # (a service Roadway never uses)
            ]
            if not changes:
                continue  # nothing to change: CloudFormation replaces instead (create + delete)
            denied = [a for a in changes if not iam.allowed(statements, a, target, iam.as_carried(a, {}))]
            assert denied, f"the deployer holds every permission to {handler} {logical_id}: {changes}"


@pytest.mark.parametrize("action", ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig"])
def test_a_serverless_stage_cannot_be_hardened_and_says_so(synth: Synth, config: RoadwayConfig, action: str) -> None:
    """SageMaker offers serverless endpoints no VPC, isolation or volume key: test's deployer has no such keys to
    demand. docs/threat-model.md names that exposure."""
    assert config.projects[0].stages.test.serving.serverless
    statements = deployer(synth, config, "test")
    target = f"arn:aws:sagemaker:{config.region}:{config.stages.test.account}:model/x"
    assert iam.allowed(
        statements, action, target.replace(":model/", ":endpoint-config/") if "Config" in action else target
    )
    hardening = {"IsolatedModelsInTheVpcOnly", "EncryptedEndpointVolumesOnly"}
    assert not hardening & {s.get("Sid") for s in statements}
    assert hardening <= {s.get("Sid") for s in deployer(synth, config, "prod")}
