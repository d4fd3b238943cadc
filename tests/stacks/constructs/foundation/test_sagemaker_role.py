"""SageMakerRole: SageMaker alone assumes it; it pulls images of the region's SageMaker image accounts and of its
own account only, writes SageMaker's log groups, and in a VPC places the containers' network interfaces."""

from __future__ import annotations

from tests import iam
from tests.stacks.constructs.bare import ACCOUNT, REGION, Granting


def test_only_sagemaker_assumes_it(granting: Granting) -> None:
    trust = iam.trust_statements(granting.template.to_json(), granting.ids["job"])
    assert iam.service_may_assume(trust, "sagemaker.amazonaws.com", "sts:AssumeRole")
    assert not iam.service_may_assume(trust, "lambda.amazonaws.com", "sts:AssumeRole")


def test_its_own_grants_and_the_common_ones_and_no_more(granting: Granting) -> None:
    statements = iam.role_statements(granting.template.to_json(), granting.ids["job"])
    assert iam.allowed(statements, "s3:GetObject", "arn:aws:s3:::d/x/train.csv"), "the statement it was given"
    assert not iam.allowed(statements, "s3:GetObject", "arn:aws:s3:::d/y/train.csv")
    own_image = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team-image"
    assert iam.allowed(statements, "ecr:BatchGetImage", own_image)
    assert not iam.allowed(statements, "ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:999999999999:repository/x")
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:x"
    assert iam.allowed(statements, "logs:PutLogEvents", log_group)
    assert not iam.allowed(statements, "logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:other")
    assert iam.allowed(statements, "ec2:CreateNetworkInterface", "*"), "in a VPC: SageMaker places its containers"
    assert not iam.allowed(statements, "iam:PassRole", "*")
