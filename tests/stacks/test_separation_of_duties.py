"""No one approves their own work: authors register for approval only, a distinct role approves, and its
sessions carry the person. Proven from the synthesized policies with IAM's own evaluation rules (moto checks
no IAM decision), each with the refusal beside the permission."""

from __future__ import annotations

from typing import Any

import pytest

from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import iam
from tests.conftest import Synth

STUDIO, DEV_PLATFORM = "roadway-dev-studio", "roadway-dev-platform"


def package(config: RoadwayConfig, stage: str, version: int = 7) -> str:
    account = config.stage(stage).account  # type: ignore[arg-type]
    return f"arn:aws:sagemaker:{config.region}:{account}:model-package/{config.projects[0].name}/{version}"


def data_scientist_statements(synth: Synth) -> dict[str, list[dict[str, Any]]]:
    template = synth.templates[STUDIO]
    profiles = synth.resources(STUDIO, "AWS::SageMaker::UserProfile").values()
    return {
        p["Properties"]["UserProfileName"]: iam.role_statements(
            template, p["Properties"]["UserSettings"]["ExecutionRole"]["Fn::GetAtt"][0]
        )
        for p in profiles
    }


def test_an_author_registers_only_as_pending(synth: Synth, config: RoadwayConfig) -> None:
    arn = package(config, "dev")
    for user, statements in data_scientist_statements(synth).items():
        pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
        assert iam.allowed(statements, "sagemaker:CreateModelPackage", arn, pending), user
        for status in ("Approved", "Rejected"):
            assert not iam.allowed(
                statements, "sagemaker:CreateModelPackage", arn, {"sagemaker:ModelApprovalStatus": status}
            )
        assert not iam.allowed(statements, "sagemaker:CreateModelPackage", arn), "a request naming no status"


def test_an_author_cannot_change_a_package_at_all(synth: Synth, config: RoadwayConfig) -> None:
    for user, statements in data_scientist_statements(synth).items():
        for status in ("Approved", "Rejected", "PendingManualApproval"):
            context = {"sagemaker:ModelApprovalStatus": status}
            assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", package(config, "dev"), context), user
        assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", package(config, "dev"))
        assert not iam.allowed(statements, "sagemaker:DeleteModelPackage", package(config, "dev"))


def test_studio_sessions_carry_the_user_profile_name(synth: Synth) -> None:
    (domain,) = synth.resources(STUDIO, "AWS::SageMaker::Domain").values()
    assert domain["Properties"]["DomainSettings"]["ExecutionRoleIdentityConfig"] == "USER_PROFILE_NAME"


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_the_approver_role_decides_and_does_nothing_else(synth: Synth, config: RoadwayConfig, stage: str) -> None:
    template = synth.templates[f"roadway-{stage}-platform"]
    role = iam.role_named(template, Names.of(config).approver_role(stage))  # type: ignore[arg-type]
    statements = iam.role_statements(template, role)
    arn = package(config, stage)
    for decision in ("Approved", "Rejected"):
        assert iam.allowed(statements, "sagemaker:UpdateModelPackage", arn, {"sagemaker:ModelApprovalStatus": decision})
    assert not iam.allowed(
        statements, "sagemaker:UpdateModelPackage", arn, {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    )
    assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", arn), "a change that is not a decision"
    other_account = package(config, "prod")
    assert not iam.allowed(
        statements, "sagemaker:UpdateModelPackage", other_account, {"sagemaker:ModelApprovalStatus": "Approved"}
    )
    for action in ("sagemaker:CreateModelPackage", "sagemaker:DeleteModelPackage", "s3:PutObject"):
        approving = iam.as_carried(action, {"sagemaker:ModelApprovalStatus": "Approved"})
        assert not iam.allowed(statements, action, arn, approving)


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_only_configured_approvers_with_a_source_identity_may_assume_it(
    synth: Synth, config: RoadwayConfig, stage: str
) -> None:
    template = synth.templates[f"roadway-{stage}-platform"]
    trust = iam.trust_statements(template, iam.role_named(template, Names.of(config).approver_role(stage)))  # type: ignore[arg-type]
    account = config.stage(stage).account  # type: ignore[arg-type]
    sso = f"role/aws-reserved/sso.amazonaws.com/{config.region}"
    approver = f"arn:aws:iam::{account}:{sso}/AWSReservedSSO_RoadwayApprover_0a1b2c"
    author_role = f"arn:aws:iam::{account}:role/roadway-dev-studio-UserAnaGarciaExecutionRole"
    named = {"sts:SourceIdentity": "maria-lopez"}
    for action in ("sts:AssumeRole", "sts:SetSourceIdentity"):
        assert iam.may_assume(trust, approver, action, named)
        assert not iam.may_assume(trust, approver, action, {}), "no session without the person's name on it"
        assert not iam.may_assume(trust, author_role, action, named), "an author's role is not an approver"
    other = f"arn:aws:iam::{config.stages.prod.account}:{sso}/AWSReservedSSO_RoadwayApprover_0a1b2c"
    assert not iam.may_assume(trust, other, "sts:AssumeRole", named)


@pytest.mark.parametrize(("source", "receiver"), [("dev", "test"), ("test", "prod")])
def test_the_promoter_checks_approvals_against_the_same_role_name(
    synth: Synth, config: RoadwayConfig, source: str, receiver: str
) -> None:
    """One spelling across the boundary: the source platform's approver role and the source's promoter (the
    registrar of what it received) are the names the receiving function is told."""
    names = Names.of(config)
    (function,) = [
        r
        for r in synth.resources(f"roadway-{receiver}-promotion", "AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == "promote_model.handler.handler"
    ]
    variables = function["Properties"]["Environment"]["Variables"]
    template = synth.templates[f"roadway-{source}-platform"]
    role = template["Resources"][iam.role_named(template, variables["APPROVER_ROLE_NAME"])]
    assert role["Properties"]["RoleName"] == names.approver_role(source)  # type: ignore[arg-type]
    promotion = synth.templates[f"roadway-{source}-promotion"]
    iam.role_named(promotion, variables["REGISTRAR_ROLE_NAME"])  # the source's promoter: it exists, by that name
    assert variables["REGISTRAR_ROLE_NAME"] == names.promoter_role(source)  # type: ignore[arg-type]


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_the_break_glass_role_may_only_withdraw(synth: Synth, config: RoadwayConfig, stage: str) -> None:
    """Break-glass is one person acting alone, so it may do one thing: reject a package of its stage (the
    promotion function then withdraws it from serving, records who and pages; test_break_glass.py)."""
    names = Names.of(config)
    template = synth.templates[f"roadway-{stage}-platform"]
    role = iam.role_named(template, names.break_glass_role(stage))  # type: ignore[arg-type]
    statements = iam.role_statements(template, role)
    arn = package(config, stage)
    assert iam.allowed(statements, "sagemaker:UpdateModelPackage", arn, {"sagemaker:ModelApprovalStatus": "Rejected"})
    for status in ("Approved", "PendingManualApproval"):
        assert not iam.allowed(
            statements, "sagemaker:UpdateModelPackage", arn, {"sagemaker:ModelApprovalStatus": status}
        )
    assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", arn), "a change that is not a withdrawal"
    for action, resource in (
        ("sagemaker:CreateModelPackage", arn),
        ("sagemaker:DeleteModelPackage", arn),
        ("cloudformation:UpdateStack", f"arn:aws:cloudformation:{config.region}:1:stack/roadway-{stage}-serving/x"),
        ("sagemaker:UpdateEndpoint", f"arn:aws:sagemaker:{config.region}:1:endpoint/roadway-{stage}-house-price"),
    ):
        rejecting = iam.as_carried(action, {"sagemaker:ModelApprovalStatus": "Rejected"})
        assert not iam.allowed(statements, action, resource, rejecting), action

    trust = iam.trust_statements(template, role)
    account = config.stage(stage).account  # type: ignore[arg-type]
    on_call = (
        f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{config.region}/AWSReservedSSO_RoadwayOnCall_9f"
    )
    assert iam.may_assume(trust, on_call, "sts:AssumeRole", {"sts:SourceIdentity": "lee-oncall"})
    assert not iam.may_assume(trust, on_call, "sts:AssumeRole", {}), "no emergency without a name on it"
    approver = (
        f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{config.region}/AWSReservedSSO_RoadwayApprover_1"
    )
    assert not iam.may_assume(trust, approver, "sts:AssumeRole", {"sts:SourceIdentity": "maria-lopez"})


def test_dev_has_no_break_glass_and_prod_no_approver(synth: Synth, config: RoadwayConfig) -> None:
    names = Names.of(config)
    role_names = {
        stage: {
            r["Properties"].get("RoleName")
            for r in synth.resources(f"roadway-{stage}-platform", "AWS::IAM::Role").values()
        }
        for stage in ("dev", "test", "prod")
    }
    assert names.break_glass_role("dev") not in role_names["dev"]
    assert names.approver_role("prod") not in role_names["prod"]
    assert {names.approver_role("test"), names.break_glass_role("test")} <= role_names["test"]


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_the_function_knows_the_break_glass_role_by_the_platforms_name(
    synth: Synth, config: RoadwayConfig, stage: str
) -> None:
    (function,) = [
        r
        for r in synth.resources(f"roadway-{stage}-promotion", "AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == "promote_model.handler.handler"
    ]
    name = function["Properties"]["Environment"]["Variables"]["BREAK_GLASS_ROLE_NAME"]
    iam.role_named(synth.templates[f"roadway-{stage}-platform"], name)  # exists there, by that very name
    assert name == Names.of(config).break_glass_role(stage)  # type: ignore[arg-type]
