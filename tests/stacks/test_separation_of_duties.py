"""No one approves their own work: authors register for approval only, a distinct role approves, and its
sessions carry the person. Proven from the synthesized policies with IAM's own evaluation rules (moto checks
no IAM decision), each with the refusal beside the permission."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import iam
from tests.stacks.people import as_person, permission_set

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






@pytest.mark.parametrize(
    ("stage", "role_of", "kind"),
    [
        ("dev", "approver_role", "RoadwayApprover"),
        ("test", "approver_role", "RoadwayApprover"),
        ("test", "break_glass_role", "RoadwayOnCall"),
        ("prod", "break_glass_role", "RoadwayOnCall"),
    ],
)
def test_a_configured_approver_may_assume_it_naming_only_themselves(
    synth: Synth, config: RoadwayConfig, stage: str, role_of: str, kind: str
) -> None:
    """The trust itself binds the name to the identity provider's (not the caller's own policy, which the
    permission set's administrator may widen): an author on the approver list cannot name a colleague."""
    template = synth.templates[f"roadway-{stage}-platform"]
    trust = iam.trust_statements(template, iam.role_named(template, getattr(Names.of(config), role_of)(stage)))
    person = permission_set(config, stage, kind)
    for action in ("sts:AssumeRole", "sts:SetSourceIdentity"):
        assert iam.may_assume(trust, person, action, as_person(config, "maria-lopez", "maria-lopez"))
        assert not iam.may_assume(trust, person, action, as_person(config, "ana-garcia", "maria-lopez")), (
            "an author tagged as herself naming a colleague"
        )
        assert not iam.may_assume(trust, person, action, as_person(config, "maria-lopez", None)), "no name on it"
        assert not iam.may_assume(trust, person, action, as_person(config, None, "maria-lopez")), "no asserted name"
        author = f"arn:aws:iam::{config.stage(stage).account}:role/roadway-dev-studio-UserAnaGarciaExecutionRole"  # type: ignore[arg-type]
        assert not iam.may_assume(trust, author, action, as_person(config, "ana-garcia", "ana-garcia"))
        # Identity Center names a permission set's role with a 16-character suffix: a longer set name is not it.
        read_only = permission_set(config, stage, f"{kind}_ReadOnly")
        assert not iam.may_assume(trust, read_only, action, as_person(config, "maria-lopez", "maria-lopez"))
        elsewhere = permission_set(config, "prod" if stage != "prod" else "dev", kind)
        assert not iam.may_assume(trust, elsewhere, action, as_person(config, "maria-lopez", "maria-lopez"))


def test_with_federation_setting_the_source_identity_the_trust_demands_that_same_name() -> None:
    """binding: source-identity: the name STS already carries from the federated sign-in (``aws:SourceIdentity``)
    is the only one the role accepts."""
    from aws_cdk import App, Stack

    from stacks.constructs.promotion.approver_role import ApproverRole

    stack = Stack(App(), "Approving", env={"account": "111111111111", "region": "eu-west-1"})
    person = "arn:aws:iam::111111111111:role/approver"
    ApproverRole(
        stack,
        "Approver",
        role_name="approver",
        approvers={"111111111111": [person]},
        own_name="${aws:SourceIdentity}",
        group_arn="arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/*",
        packages_arn="arn:aws:sagemaker:eu-west-1:111111111111:model-package/*",
        decides_on=["arn:aws:sagemaker:eu-west-1:111111111111:model-package/house-price/*"],
    )
    template = Template.from_stack(stack).to_json()
    trust = iam.trust_statements(template, iam.role_named(template, "approver"))
    for action in ("sts:AssumeRole", "sts:SetSourceIdentity"):
        signed_in = {"aws:SourceIdentity": "maria-lopez"}
        assert iam.may_assume(trust, person, action, {**signed_in, "sts:SourceIdentity": "maria-lopez"})
        assert not iam.may_assume(trust, person, action, {**signed_in, "sts:SourceIdentity": "ana-garcia"})
        assert not iam.may_assume(trust, person, action, {"sts:SourceIdentity": "maria-lopez"}), "not federated so"


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
