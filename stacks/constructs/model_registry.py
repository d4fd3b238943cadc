"""The Model Registry group of one account, and who else may read it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

# What the next account's promotion role needs to see of a package: the package and its group.
_READ_ACTIONS = [
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
]


class ModelRegistry(Construct):
    """One group per account, same name everywhere: the name is a contract between accounts."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group_name: str,
        group_arn: str,
        packages_arn: str,
        reader_account: str | None,
        reader_role_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        policy = None
        if reader_account and reader_role_arn:
            # The account is the principal and the role a condition, so the policy is valid before the
            # next account's role exists (deploy order between accounts does not matter).
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "NextStagePromotionReadsPackages",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{reader_account}:root"},
                        "Action": _READ_ACTIONS,
                        "Resource": [group_arn, packages_arn],
                        "Condition": {"ArnEquals": {"aws:PrincipalArn": reader_role_arn}},
                    }
                ],
            }
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=group_name,
            model_package_group_description="Roadway: versions of the model on their way to production",
            model_package_group_policy=policy,
        )
        self.group.apply_removal_policy(RemovalPolicy.RETAIN)
        self.group_name = group_name
        self.group_arn = group_arn
        self.packages_arn = packages_arn
