"""A serving deployer's Application Auto Scaling rights: writes only on scalable targets of SageMaker variants'
instance counts, and none at all for a project served serverless (SageMaker scales that itself). Asked of IAM's
rules with the keys Application Auto Scaling sends (aws_facts), so a key it never sends cannot make this pass."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from stacks.constructs.promotion.promotion_target import SCALING_TAGS, SCALING_WRITES
from tests import aws, iam

SAGEMAKER = {
    "application-autoscaling:service-namespace": "sagemaker",
    "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount",
}
OTHERS = {
    "another service": {
        "application-autoscaling:service-namespace": "ecs",
        "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
    },
    "another dimension": {
        **SAGEMAKER,
        "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredProvisionedConcurrency",
    },
    "a DynamoDB table": {
        "application-autoscaling:service-namespace": "dynamodb",
        "application-autoscaling:scalable-dimension": "dynamodb:table:WriteCapacityUnits",
    },
}


def deployer(synth: Synth, config: RoadwayConfig, stage: str) -> list[dict[str, Any]]:
    template = synth.templates[f"roadway-{stage}-promotion"]
    role = Names.of(config).model(config.projects[0]).serving_deploy_role(stage)  # type: ignore[arg-type]
    return iam.role_statements(template, iam.role_named(template, role))


def target(config: RoadwayConfig, stage: str, account: str | None = None) -> str:
    account = account or config.stage(stage).account  # type: ignore[arg-type, union-attr]
    return f"arn:aws:application-autoscaling:{config.region}:{account}:scalable-target/sgm0123456789abcdef"


def test_the_writes_carry_the_keys_the_deployer_is_held_to() -> None:
    """Every write the deployer is held to a namespace and dimension on carries both (else the condition would lock
    it out on AWS); the tagging actions carry neither, so they are granted without them."""
    for action in SCALING_WRITES:
        assert all(aws.carries(action, key) for key in SAGEMAKER), action
    for action in SCALING_TAGS:
        assert not any(aws.carries(action, key) for key in SAGEMAKER), action
    assert {*SCALING_WRITES, *SCALING_TAGS} == {
        a for a in aws.actions_matching("application-autoscaling:*") if aws.action(a)[1]["resource_types"]
    } - {"application-autoscaling:GetPredictiveScalingForecast"}


@pytest.mark.parametrize("action", SCALING_WRITES)
def test_the_deployer_scales_sagemaker_variants_only(synth: Synth, config: RoadwayConfig, action: str) -> None:
    assert not config.projects[0].stages.prod.serving.serverless
    statements = deployer(synth, config, "prod")
    assert iam.allowed(statements, action, target(config, "prod"), SAGEMAKER)
    for what, other in OTHERS.items():
        assert not iam.allowed(statements, action, target(config, "prod"), other), what
    assert not iam.allowed(statements, action, target(config, "prod", "999999999999"), SAGEMAKER)


def test_the_deployer_scales_nothing_but_scalable_targets(synth: Synth, config: RoadwayConfig) -> None:
    """No scaling write, and no scaling tag, on anything but this account's scalable targets."""
    statements = deployer(synth, config, "prod")
    on_star = [s for s in statements if "*" in iam.listed(s.get("Resource", []))]
    for action in [*SCALING_WRITES, *SCALING_TAGS, "cloudwatch:DescribeAlarms"]:
        assert not iam.names_action(on_star, action), action


def test_a_serverless_projects_deployer_holds_no_scaling_right(synth: Synth, config: RoadwayConfig) -> None:
    assert config.projects[0].stages.test.serving.serverless
    statements = deployer(synth, config, "test")
    for action in aws.actions_matching("application-autoscaling:*"):
        assert not iam.names_action(statements, action), action
    assert not iam.names_action(statements, "iam:CreateServiceLinkedRole")
    assert not iam.names_action(statements, "cloudwatch:GetMetricData")
