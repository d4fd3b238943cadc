"""The dev account's data-science platform: Studio and its people."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Fn, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from roadway.config import RoadwayConfig
from roadway.naming import Names
from stacks.constructs.studio_domain import StudioDomain
from stacks.platform_stack import PlatformStack


class StudioStack(Stack):
    """Onboarding a data scientist changes this stack only: one profile, one role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: RoadwayConfig,
        platform: PlatformStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = Names.of(config)
        # Buckets and keys come in by named export (see PlatformStack), the VPC by reference.
        self.add_stack_dependency(platform)

        def imported(what: str) -> str:
            return Fn.import_value(names.export("dev", what))

        data_bucket = s3.Bucket.from_bucket_arn(self, "DataBucket", imported("data-bucket-arn"))
        artifact_bucket = s3.Bucket.from_bucket_arn(self, "ArtifactBucket", imported("artifact-bucket-arn"))
        data_key = kms.Key.from_key_arn(self, "DataKey", imported("data-key-arn"))
        artifact_key = kms.Key.from_key_arn(self, "ArtifactKey", imported("artifact-key-arn"))
        self.studio = StudioDomain(
            self,
            "Studio",
            domain_name=names.studio_domain(),
            vpc=platform.network.vpc,
            vpc_cidr=platform.network.cidr,
            subnet_ids=platform.network.subnet_ids,
            storage_key=data_key,
            data_bucket=data_bucket,
            artifact_bucket=artifact_bucket,
            artifact_key=artifact_key,
            model_package_group_arn=platform.registry.group_arn,
            model_packages_arn=platform.registry.packages_arn,
            project=config.project,
            idle_shutdown_minutes=config.studio.idle_shutdown_minutes,
            data_scientists=config.data_scientists,
        )
        CfnOutput(self, "DomainId", value=self.studio.domain.attr_domain_id)
        CfnOutput(self, "StudioSecurityGroupId", value=self.studio.security_group.security_group_id)
