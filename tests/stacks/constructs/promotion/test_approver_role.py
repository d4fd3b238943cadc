"""ApproverRole: only the named people of the approver accounts assume it, each carrying their own name as source
identity; it may set the statuses it decides and read packages, nothing else (IAM evaluator, tests/iam.py)."""

from __future__ import annotations

from tests import iam
from tests.stacks.constructs.bare import ACCOUNT, REGION, Granting

APPROVER = "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/Approvers_0a1b2c3d4e5f6a7b"
PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/house-price/3"


def test_a_named_approver_assumes_it_with_their_own_name_and_nobody_else_does(granting: Granting) -> None:
    trust = iam.trust_statements(granting.template.to_json(), granting.ids["approver"])
    own = {"aws:PrincipalTag/roadway:user": "maria-lopez", "sts:SourceIdentity": "maria-lopez"}
    assert iam.may_assume(trust, APPROVER, "sts:AssumeRole", own)
    assert iam.may_assume(trust, APPROVER, "sts:SetSourceIdentity", own)
    other = {**own, "sts:SourceIdentity": "ana-garcia"}
    assert not iam.may_assume(trust, APPROVER, "sts:AssumeRole", other), "someone else's name"
    stranger = "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/Authors_0a1b2c3d4e5f6a7b"
    assert not iam.may_assume(trust, stranger, "sts:AssumeRole", own), "another permission set of that account"


def test_it_decides_only_its_statuses_and_reads_packages(granting: Granting) -> None:
    statements = iam.role_statements(granting.template.to_json(), granting.ids["approver"])
    for status, may in (("Approved", True), ("Rejected", True), ("PendingManualApproval", False)):
        context = {"sagemaker:ModelApprovalStatus": status}
        assert iam.allowed(statements, "sagemaker:UpdateModelPackage", PACKAGE, context) is may, status
    elsewhere = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"
    assert not iam.allowed(
        statements, "sagemaker:UpdateModelPackage", elsewhere, {"sagemaker:ModelApprovalStatus": "Approved"}
    ), "a group of no project on the road"
    assert iam.allowed(statements, "sagemaker:DescribeModelPackage", elsewhere), "reads any"
    assert not iam.allowed(statements, "sagemaker:DeleteModelPackage", PACKAGE)
