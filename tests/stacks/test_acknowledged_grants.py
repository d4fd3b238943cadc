"""What the acknowledgements say a grant reaches, asked of IAM's rules: the residual each reason admits is what the
templates allow, no more and no less, so a reason cannot drift from its grant unnoticed."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import iam

# A model package group of this account that is no project of the road's (another team's, or a test's).
FOREIGN_GROUP = "someone-elses-model"


def package(config: RoadwayConfig, account: str, group: str, version: int = 3) -> str:
    return f"arn:aws:sagemaker:{config.region}:{account}:model-package/{group.lower()}/{version}"


def role(synth: Synth, stack: str, name: str) -> list[dict[str, Any]]:
    template = synth.templates[stack]
    return iam.role_statements(template, iam.role_named(template, name))


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_the_approver_decides_only_on_the_roads_groups(synth: Synth, config: RoadwayConfig, stage: str) -> None:
    """As its reason says: the road's projects' groups by name, only Approved or Rejected; it reads every group of
    its account, and decides on none but the road's."""
    names, account = Names.of(config), config.stage(stage).account  # type: ignore[arg-type, union-attr]
    statements = role(synth, f"roadway-{stage}-platform", names.approver_role(stage))  # type: ignore[arg-type]
    own = names.model(config.projects[0]).model_package_group
    for status in ("Approved", "Rejected"):
        decision = {"sagemaker:ModelApprovalStatus": status}
        assert iam.allowed(statements, "sagemaker:UpdateModelPackage", package(config, account, own), decision)
        assert not iam.allowed(
            statements, "sagemaker:UpdateModelPackage", package(config, account, FOREIGN_GROUP), decision
        ), "a group of no project of the road"
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", package(config, account, own), pending)
    assert iam.allowed(statements, "sagemaker:DescribeModelPackage", package(config, account, FOREIGN_GROUP))
    approve = {"sagemaker:ModelApprovalStatus": "Approved"}
    assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", package(config, "999999999999", own), approve)


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_break_glass_only_rejects_and_only_in_the_roads_groups(
    synth: Synth, config: RoadwayConfig, stage: str
) -> None:
    names, account = Names.of(config), config.stage(stage).account  # type: ignore[arg-type, union-attr]
    statements = role(synth, f"roadway-{stage}-platform", names.break_glass_role(stage))  # type: ignore[arg-type]
    reject, approve = ({"sagemaker:ModelApprovalStatus": s} for s in ("Rejected", "Approved"))
    arn = package(config, account, names.model(config.projects[0]).model_package_group)
    assert iam.allowed(statements, "sagemaker:UpdateModelPackage", arn, reject)
    assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", arn, approve)
    assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", package(config, account, FOREIGN_GROUP), reject)


def test_the_promoter_may_delete_any_package_of_its_account(synth: Synth, config: RoadwayConfig) -> None:
    """The receiving promoter's groups and packages are every one of its account (its reason); the function's code,
    not IAM, keeps it to its own projects."""
    names, account = Names.of(config), config.stages.test.account
    statements = role(synth, "roadway-test-promotion", names.promoter_role("test"))
    for group in (names.model(config.projects[0]).model_package_group, FOREIGN_GROUP):
        assert iam.allowed(statements, "sagemaker:DeleteModelPackage", package(config, account, group))
    assert not iam.allowed(statements, "sagemaker:DeleteModelPackage", package(config, "999999999999", FOREIGN_GROUP))


def test_a_deployer_reaches_every_projects_generated_serving_resources_only(
    two_projects_synth: Synth, two_projects_config: RoadwayConfig
) -> None:
    """The deployer role's reason: by name only its own project's endpoint, schedule and alarms; the generated
    models, endpoint configs and job definitions of every project."""
    config, names = two_projects_config, Names.of(two_projects_config)
    account = config.stages.prod.account
    mine, theirs = (names.model(p) for p in config.projects)
    statements = role(two_projects_synth, "roadway-prod-promotion", mine.serving_deploy_role("prod"))

    def sm(kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{config.region}:{account}:{kind}/{name}"

    theirs_generated = f"{theirs.serving_stack('prod')}-EndpointModel-1A2B3C4D5E6F"
    for kind, verb in (("model", "Model"), ("endpoint-config", "EndpointConfig"),
                       ("data-quality-job-definition", "DataQualityJobDefinition")):
        assert iam.allowed(statements, f"sagemaker:Delete{verb}", sm(kind, theirs_generated)), kind
        assert iam.allowed(statements, "sagemaker:AddTags", sm(kind, theirs_generated)), kind
    assert not iam.allowed(statements, "sagemaker:DeleteEndpoint", sm("endpoint", theirs.endpoint("prod")))
    alarm = f"arn:aws:cloudwatch:{config.region}:{account}:alarm:{theirs.idle_alarm('prod')}"
    for action in ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"):
        assert not iam.allowed(statements, action, alarm), action
    own_alarm = f"arn:aws:cloudwatch:{config.region}:{account}:alarm:{mine.idle_alarm('prod')}"
    assert iam.allowed(statements, "cloudwatch:DeleteAlarms", own_alarm)
