"""PromotionSource: the next account's promoter, and only it, assumes a project's reader role, which reads that
project's packages, runs and seals and nothing else; approvals are announced to the next account's bus only."""

from __future__ import annotations

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from stacks.constructs.promotion.promotion_source import READER_ACTIONS
from tests import iam
from tests.stacks.constructs.bare import ACCOUNT, REGION, Granting
from tests.stacks.promotion_wiring import (
    ACCOUNTS,
    DECRYPT,
    NEXT,
    READS,
    actions_of,
    grants_to,
    rules,
    statements_of,
)

PROMOTER = "arn:aws:iam::333333333333:role/roadway-prod-promoter"


def test_only_the_next_promoter_assumes_the_reader(granting: Granting) -> None:
    trust = iam.trust_statements(granting.template.to_json(), granting.ids["reader"])
    assert iam.may_assume(trust, PROMOTER, "sts:AssumeRole", {})
    assert not iam.may_assume(trust, "arn:aws:iam::333333333333:role/Admin", "sts:AssumeRole", {})
    assert not iam.may_assume(trust, "arn:aws:iam::444444444444:role/roadway-prod-promoter", "sts:AssumeRole", {})


def test_the_reader_reads_its_own_project_only_and_writes_nothing(granting: Granting) -> None:
    statements = iam.role_statements(granting.template.to_json(), granting.ids["reader"])
    own = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/house-price/3"
    other = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"
    assert iam.allowed(statements, "sagemaker:DescribeModelPackage", own)
    assert not iam.allowed(statements, "sagemaker:DescribeModelPackage", other)
    assert not iam.allowed(statements, "sagemaker:UpdateModelPackage", own)
    run = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/roadway-house-price/execution/abc"
    assert iam.allowed(statements, "sagemaker:DescribePipelineExecution", run)
    ledger = [s for s in statements if s.get("Sid") == "ReadTheSeal"]
    assert [s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] for s in ledger] == [
        [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/house-price/*"]
    ], "the seals of its own project's packages only"


def test_approvals_are_announced_to_the_next_accounts_default_bus(granting: Granting) -> None:
    (rule,) = granting.template.find_resources("AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == f"arn:aws:events:{REGION}:333333333333:event-bus/default"
    assert rule["Properties"]["EventPattern"]["detail"]["ModelApprovalStatus"] == ["Approved"]
    assert "DeadLetterConfig" in target, "an announcement that cannot be delivered pages here"


@pytest.mark.parametrize(("stage", "target"), [("dev", "test"), ("test", "prod")])
def test_approvals_are_announced_to_the_next_account_and_nothing_more(synth: Synth, stage: str, target: str) -> None:
    stack = f"roadway-{stage}-promotion"
    next_bus = f"arn:aws:events:eu-west-1:{ACCOUNTS[target]}:event-bus/default"
    (rule,) = [r for r in rules(synth, stack) if r["Targets"][0]["Arn"] == next_bus]
    assert rule["EventPattern"] == {
        "account": [ACCOUNTS[stage]],  # this account's own approvals only
        "detail": {"ModelApprovalStatus": ["Approved"], "ModelPackageGroupName": ["house-price"]},
        "detail-type": ["SageMaker Model Package State Change"],
        "source": ["aws.sagemaker"],
    }
    assert "DeadLetterConfig" in rule["Targets"][0], "an announcement that cannot be delivered pages"
    assert statements_of(synth, stack)["AnnounceApprovals"] == {
        "Action": "events:PutEvents",
        "Effect": "Allow",
        "Resource": next_bus,
        "Sid": "AnnounceApprovals",
    }


@pytest.mark.parametrize(("stage", "receiver"), [("dev", "test"), ("test", "prod")])
def test_a_source_grants_the_next_account_reads_and_nothing_else(synth: Synth, stage: str, receiver: str) -> None:
    granted = grants_to(synth, stage, ACCOUNTS[receiver])
    assert granted, "the next account must be able to read something"
    promoter = f"arn:aws:iam::{ACCOUNTS[receiver]}:role/roadway-{receiver}-promoter"
    for statement in granted:
        actions = set(actions_of(statement))
        assert actions <= READS | DECRYPT | {"sts:AssumeRole"}, statement
        # Only the next stage's promoter, never any principal of that account.
        assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": promoter}, statement
        if actions & DECRYPT:
            assert statement["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_the_reader_role_can_read_and_cannot_write(synth: Synth, config: RoadwayConfig, stage: str) -> None:
    template = synth.templates[f"roadway-{stage}-promotion"]
    names = Names.of(config).model(config.projects[0])
    statements = iam.role_statements(template, iam.role_named(template, names.reader_role(stage)))  # type: ignore[arg-type]
    assert {a for s in statements for a in actions_of(s)} <= set(READER_ACTIONS)
    package = f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:model-package/house-price/7"
    group = f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:model-package-group/house-price"
    assert iam.allowed(statements, "sagemaker:DescribeModelPackage", package)
    assert iam.allowed(statements, "sagemaker:ListModelPackages", group)
    for action in ("UpdateModelPackage", "CreateModelPackage", "DeleteModelPackage", "PutModelPackageGroupPolicy"):
        approving = iam.as_carried(f"sagemaker:{action}", {"sagemaker:ModelApprovalStatus": "Approved"})
        assert not iam.allowed(statements, f"sagemaker:{action}", package, approving)
    other_group = f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:model-package/other-model/1"
    assert not iam.allowed(statements, "sagemaker:DescribeModelPackage", other_group), "one group's reader"
    for action, resource in (
        ("s3:PutObject", "arn:aws:s3:::anything/key"),
        ("s3:GetObject", "arn:aws:s3:::anything/key"),
        ("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:111111111111:table/x"),
        ("cloudformation:UpdateStack", f"arn:aws:cloudformation:eu-west-1:{ACCOUNTS[stage]}:stack/roadway-x/1"),
        ("kms:Decrypt", "arn:aws:kms:eu-west-1:111111111111:key/k"),  # without going through DynamoDB
        ("sts:AssumeRole", "arn:aws:iam::111111111111:role/anything"),
    ):
        assert not iam.allowed(statements, action, resource), action
    trust = iam.trust_statements(template, iam.role_named(template, names.reader_role(stage)))  # type: ignore[arg-type]
    receiver = NEXT[stage]
    promoter = f"arn:aws:iam::{ACCOUNTS[receiver]}:role/roadway-{receiver}-promoter"
    assert iam.may_assume(trust, promoter, "sts:AssumeRole", {})
    assert not iam.may_assume(trust, f"arn:aws:iam::{ACCOUNTS[receiver]}:role/admin", "sts:AssumeRole", {})
