"""Whoever controls the previous stage can hand prod's serving stack a new template (until promotion pulls, see
docs/threat-model.md); the CloudFormation role that applies it creates models, endpoint configs and monitoring
jobs in prod only in their hardened form. Proven by asking IAM's rules what prod's own template needs (allowed)
and what a rewritten one would need (denied)."""

from __future__ import annotations

from typing import Any

import pytest

from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import iam
from tests.conftest import Synth


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
    context: dict[str, Any] = {"sagemaker:NetworkIsolation": str(props.get("EnableNetworkIsolation", False)).lower()}
    if "VpcConfig" in props:
        context["sagemaker:VpcSubnets"] = [iam.render(s) for s in props["VpcConfig"]["Subnets"]]
    return context


def test_prods_own_model_is_created_and_a_weakened_one_is_not(synth: Synth, config: RoadwayConfig) -> None:
    statements = deployer(synth, config, "prod")
    model = arn(config, "model")
    own = model_request(serving(synth, "AWS::SageMaker::Model"))
    assert iam.allowed(statements, "sagemaker:CreateModel", model, own)
    assert not iam.allowed(statements, "sagemaker:CreateModel", model, {**own, "sagemaker:NetworkIsolation": "false"})
    outside = {k: v for k, v in own.items() if k != "sagemaker:VpcSubnets"}
    assert not iam.allowed(statements, "sagemaker:CreateModel", model, outside), "a model outside the VPC"
    other = {**own, "sagemaker:VpcSubnets": ["subnet-0attacker"]}
    assert not iam.allowed(statements, "sagemaker:CreateModel", model, other), "a subnet of someone else's"


def test_prods_endpoint_config_keeps_its_volume_key(synth: Synth, config: RoadwayConfig) -> None:
    statements = deployer(synth, config, "prod")
    key = iam.render(serving(synth, "AWS::SageMaker::EndpointConfig")["KmsKeyId"])
    target = arn(config, "endpoint-config")
    assert iam.allowed(statements, "sagemaker:CreateEndpointConfig", target, {"sagemaker:VolumeKmsKey": key})
    assert not iam.allowed(statements, "sagemaker:CreateEndpointConfig", target, {})
    other = {"sagemaker:VolumeKmsKey": "arn:aws:kms:eu-west-1:999999999999:key/x"}
    assert not iam.allowed(statements, "sagemaker:CreateEndpointConfig", target, other)


def test_prods_monitoring_job_stays_isolated_encrypted_and_in_the_vpc(
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
        "sagemaker:VolumeKmsKey": iam.render(props["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"]),
    }
    target = arn(config, "data-quality-job-definition")
    assert iam.allowed(statements, "sagemaker:CreateDataQualityJobDefinition", target, own)
    for key, weaker in (
        ("sagemaker:NetworkIsolation", "false"),
        ("sagemaker:InterContainerTrafficEncryption", "false"),
        ("sagemaker:VolumeKmsKey", "arn:aws:kms:eu-west-1:999999999999:key/x"),
    ):
        assert not iam.allowed(statements, "sagemaker:CreateDataQualityJobDefinition", target, {**own, key: weaker})


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
    hardening = {"IsolatedModelsInTheVpcOnly", "EncryptedEndpointVolumesOnly", "IsolatedEncryptedMonitoringOnly"}
    assert not hardening & {s.get("Sid") for s in statements}
    assert hardening <= {s.get("Sid") for s in deployer(synth, config, "prod")}
