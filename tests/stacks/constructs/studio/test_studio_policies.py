"""The statement builders of Studio's people, teams and projects, each judged by the IAM evaluator on its own:
authors register only as pending, a team runs only its instance types, and Studio's execution roles trust the
source identity SageMaker sets. How the domain composes them is tested in test_studio_domain.py."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam_cdk

from stacks.constructs.studio.studio_policies import (
    instance_types_only,
    register_for_approval_only,
    studio_execution_role,
)
from tests import iam
from tests.stacks.constructs.bare import bare_stack

GROUP = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/house-price"


def as_json(statement: iam_cdk.PolicyStatement) -> dict[str, Any]:
    return dict(statement.to_statement_json())


def test_an_author_registers_pending_only() -> None:
    statements = [as_json(register_for_approval_only([GROUP]))]
    for status, may in (("PendingManualApproval", True), ("Approved", False), ("Rejected", False)):
        context = {"sagemaker:ModelApprovalStatus": status}
        assert iam.allowed(statements, "sagemaker:CreateModelPackage", GROUP, context) is may, status


def test_only_the_listed_instance_types_and_studios_own_default() -> None:
    deny = as_json(instance_types_only(["ml.m5.large"]))
    allow = {"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob", "Resource": "*"}
    job = "arn:aws:sagemaker:eu-west-1:111111111111:training-job/x"
    for types, may in ((["ml.m5.large"], True), (["system"], True), (["ml.p4d.24xlarge"], False)):
        context = {"sagemaker:InstanceTypes": types}
        assert iam.allowed([allow, deny], "sagemaker:CreateTrainingJob", job, context) is may, types


def test_a_studio_execution_role_trusts_the_source_identity_sagemaker_sets() -> None:
    stack = bare_stack(packs=False, name="Roles").stack
    role = studio_execution_role(stack, "Role", "a person's Studio role")
    trust = Stack.of(role).resolve(role.assume_role_policy.to_json())["Statement"]  # type: ignore[union-attr]
    assert iam.service_may_assume(trust, "sagemaker.amazonaws.com", "sts:AssumeRole")
    assert iam.service_may_assume(trust, "sagemaker.amazonaws.com", "sts:SetSourceIdentity")
    assert not iam.service_may_assume(trust, "lambda.amazonaws.com", "sts:AssumeRole")
