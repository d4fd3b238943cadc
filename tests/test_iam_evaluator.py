"""The evaluator the template proofs use answers as IAM does, and refuses questions AWS never asks."""

from __future__ import annotations

from typing import Any

import pytest

from tests import iam

BUCKET = "arn:aws:s3:::roadway-data"
ROLE = "arn:aws:iam::111111111111:role/roadway-dev-approver"
PERSON = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Approver_1a"


def allow(action: Any, resource: Any = "*", condition: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **more}
    return {**statement, "Condition": condition} if condition else statement


def test_a_request_context_with_a_key_the_action_never_carries_is_refused() -> None:
    space = [allow("sagemaker:AddTags", condition={"ArnLike": {"sagemaker:OwnerUserProfileArn": "arn:*"}})]
    with pytest.raises(iam.InventedKey, match="sagemaker:AddTags never carries sagemaker:OwnerUserProfileArn"):
        iam.allowed(space, "sagemaker:AddTags", "*", {"sagemaker:OwnerUserProfileArn": "arn:aws:x"})
    with pytest.raises(LookupError, match="not an action"):
        iam.allowed(space, "sagemaker:AddTag", "*")
    # What the action does carry is asked as given: its own keys, its resource types' and the global ones.
    assert iam.allowed([allow("sagemaker:AddTags")], "sagemaker:AddTags", "*", {"sagemaker:TaggingAction": "x"})
    assert iam.allowed([allow("s3:GetObject")], "s3:GetObject", BUCKET + "/k", {"aws:SecureTransport": "true"})
    assert iam.as_carried("sagemaker:DeleteModelPackage", {"sagemaker:ModelApprovalStatus": "Approved"}) == {}


def test_key_names_are_case_insensitive_and_values_are_not() -> None:
    statement = [allow("s3:GetObject", condition={"StringEquals": {"AWS:PrincipalArn": ROLE}})]
    assert iam.allowed(statement, "s3:GetObject", BUCKET, {"aws:principalarn": ROLE})
    assert not iam.allowed(statement, "s3:GetObject", BUCKET, {"aws:PrincipalArn": ROLE.upper()})


def test_policy_variables_take_the_requests_values_and_a_missing_one_matches_nothing() -> None:
    own = [allow("s3:GetObject", "arn:aws:s3:::roadway-data/home/${aws:PrincipalTag/roadway:user}/*")]
    tagged = {"aws:PrincipalTag/roadway:user": "ana-garcia"}
    assert iam.allowed(own, "s3:GetObject", BUCKET + "/home/ana-garcia/x", tagged)
    assert not iam.allowed(own, "s3:GetObject", BUCKET + "/home/ben-okafor/x", tagged)
    assert not iam.allowed(own, "s3:GetObject", BUCKET + "/home/ana-garcia/x"), "no tag: the resource matches nothing"
    bound = [allow("sts:AssumeRole", condition={"StringEquals": {"sts:SourceIdentity": "${aws:PrincipalTag/user}"}})]
    assert iam.allowed(bound, "sts:AssumeRole", ROLE, {"sts:SourceIdentity": "ana", "aws:PrincipalTag/user": "ana"})
    assert not iam.allowed(bound, "sts:AssumeRole", ROLE, {"sts:SourceIdentity": "ben", "aws:PrincipalTag/user": "ana"})
    assert not iam.allowed(bound, "sts:AssumeRole", ROLE, {"sts:SourceIdentity": "ana"}), "no tag: the condition fails"


def test_an_arn_wildcard_stays_within_its_segment_and_brackets_are_literal() -> None:
    in_region = [allow("sagemaker:DescribeModelPackage", "arn:aws:sagemaker:*:111111111111:model-package/*")]
    assert iam.allowed(in_region, "sagemaker:DescribeModelPackage",
                       "arn:aws:sagemaker:eu-west-1:111111111111:model-package/house-price/1")
    # The account's '*' must not swallow "111111111111:model-package/x" into the next segment (fnmatch would).
    group = [allow("sagemaker:DescribeModelPackage", "arn:aws:sagemaker:eu-west-1:*:model-package/house-price/*")]
    assert not iam.allowed(group, "sagemaker:DescribeModelPackage",
                           "arn:aws:sagemaker:eu-west-1:111111111111:model-package/x:model-package/house-price/1")
    literal = [allow("s3:GetObject", "arn:aws:s3:::roadway-data/[ab]*")]
    assert not iam.allowed(literal, "s3:GetObject", BUCKET + "/a1"), "'[' is no character class in IAM"
    assert iam.allowed(literal, "s3:GetObject", BUCKET + "/[ab]1")


def test_not_action_covers_every_other_action_and_action_names_ignore_case() -> None:
    deny_all_but_read = [
        allow("s3:*", BUCKET + "/*"),
        {"Effect": "Deny", "NotAction": ["s3:Get*"], "Resource": "*"},
    ]
    assert iam.allowed(deny_all_but_read, "s3:GetObject", BUCKET + "/k")
    assert not iam.allowed(deny_all_but_read, "s3:PutObject", BUCKET + "/k")
    assert iam.allowed([allow("S3:getobject", BUCKET)], "s3:GetObject", BUCKET)


def test_trust_policies_honour_deny_everyone_and_refuse_not_principal() -> None:
    everyone = [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}}]
    assert iam.may_assume(everyone, PERSON, "sts:AssumeRole", {})
    assert not iam.may_assume(everyone, "arn:aws:iam::999999999999:role/x", "sts:AssumeRole", {})
    denied = [*everyone, {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                          "Condition": {"Null": {"sts:SourceIdentity": "true"}}}]
    assert not iam.may_assume(denied, PERSON, "sts:AssumeRole", {}), "the Deny in the trust wins"
    assert iam.may_assume(denied, PERSON, "sts:AssumeRole", {"sts:SourceIdentity": "ana"})
    with pytest.raises(NotImplementedError, match="NotPrincipal"):
        iam.may_assume([{"Effect": "Allow", "NotPrincipal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}], PERSON,
                       "sts:AssumeRole", {})
    service = [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert iam.service_may_assume(service, "sagemaker.amazonaws.com", "sts:AssumeRole")
    assert not iam.service_may_assume(service, "sagemaker.amazonaws.com", "sts:SetSourceIdentity")
