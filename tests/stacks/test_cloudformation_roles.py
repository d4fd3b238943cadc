"""The role CloudFormation applies promotions with holds every permission its handlers need for what a promotion
creates, updates and deletes (tests/stacks/cloudformation_roles.py says how that is derived, from AWS's schemas)."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import iam
from tests.stacks.cloudformation_roles import NOT_CALLED, Place, calls, touched

# moto_synth: a governed road, whose stack tags (the organization's) CloudFormation puts on what it creates.
ROADS = ["synth", "two_projects_synth", "model_monitor_synth", "moto_synth"]


def serving_stacks(synth: Synth, config: RoadwayConfig) -> list[tuple[str, str, str]]:
    """(stage, serving stack, deployer role) of every project in every serving stage."""
    names = Names.of(config)
    return [
        (stage, names.model(project).serving_stack(stage), names.model(project).serving_deploy_role(stage))
        for stage in ("test", "prod")
        for project in config.projects
    ]


def missing(synth: Synth, config: RoadwayConfig, *, statements_of: Any = None) -> list[str]:
    denied: list[str] = []
    for stage, stack, role in serving_stacks(synth, config):
        promotion = synth.templates[f"{config.project}-{stage}-promotion"]
        statements = iam.role_statements(promotion, iam.role_named(promotion, role))
        if statements_of is not None:
            statements = statements_of(statements)
        template = synth.templates[stack]
        account = config.stage(stage).account  # type: ignore[arg-type]
        place = Place(config.region, account, stack, template, synth.stack_tags(stack))
        for logical_id in touched(template):
            denied += [
                f"{stack}: {call}"
                for call in calls(place, logical_id)
                if not iam.allowed(statements, call.action, call.resource, call.context)
            ]
    return denied


@pytest.mark.parametrize("road", ROADS)
def test_the_deployer_may_do_all_a_promotion_makes_cloudformation_do(road: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(road)
    config: RoadwayConfig = request.getfixturevalue(
        {
            "synth": "config",
            "two_projects_synth": "two_projects_config",
            "model_monitor_synth": "model_monitor_config",
            "moto_synth": "moto_config",
        }[road]
    )
    assert missing(synth, config) == []


def test_what_a_promotion_touches_is_the_endpoint_its_scaling_and_alarm_not_the_drift_job(synth: Synth) -> None:
    kinds = {
        synth.templates["roadway-prod-serving"]["Resources"][r]["Type"]
        for r in touched(synth.templates["roadway-prod-serving"])
    }
    assert kinds == {
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::CloudWatch::Alarm",
    }
    assert not [r for r in touched(synth.templates["roadway-prod-serving"]) if r.startswith("DriftMonitor")]


@pytest.mark.parametrize(
    "taken",
    ["cloudwatch:PutMetricAlarm", "iam:CreateServiceLinkedRole", "cloudwatch:GetMetricData", "sagemaker:AddTags"],
)
def test_the_proof_fails_when_the_deployer_lacks_a_handler_permission(
    synth: Synth, config: RoadwayConfig, taken: str
) -> None:
    def without(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        deny = {"Effect": "Deny", "Action": taken, "Resource": "*"}
        return [*statements, deny]

    assert any(taken in line for line in missing(synth, config, statements_of=without))


def test_every_permission_left_out_is_one_the_schema_lists() -> None:
    from tests import aws

    for (type_name, action), why in NOT_CALLED.items():
        listed = {a for verb in ("create", "update", "delete") for a in aws.handler_permissions(type_name, verb)}
        assert action in listed and len(why) > 40, (type_name, action)
