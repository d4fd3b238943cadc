"""The Model Registry group of one account."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct


class ModelRegistry(Construct):
    """One group per account, same name everywhere: the name is a contract between accounts.

    No group policy: the next account reads this group through this account's reader role (PromotionSource),
    which keeps the grant in one place and the path runnable on moto (which has no group policies)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group_name: str,
        group_arn: str,
        packages_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=group_name,
            model_package_group_description="Roadway: versions of the model on their way to production",
        )
        self.group.apply_removal_policy(RemovalPolicy.RETAIN)
        self.group_name = group_name
        self.group_arn = group_arn
        self.packages_arn = packages_arn
