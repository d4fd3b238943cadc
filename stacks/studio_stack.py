"""The dev account's data-science platform: Studio and its people."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from roadway.config import RoadwayConfig
from roadway.naming import Names
from stacks.constructs.studio_domain import StudioDomain
from stacks.platform_imports import PlatformImports
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

        shared = PlatformImports.of(self, names, "dev")
        self.studio = StudioDomain(
            self,
            "Studio",
            domain_name=names.studio_domain(),
            network=platform.network,
            storage_key=shared.data_key,
            data_bucket=shared.data_bucket,
            artifact_bucket=shared.artifact_bucket,
            artifact_key=shared.artifact_key,
            model_package_group_arn=platform.registry.group_arn,
            model_packages_arn=platform.registry.packages_arn,
            project=config.project,
            idle_shutdown_minutes=config.studio.idle_shutdown_minutes,
            data_scientists=config.data_scientists,
        )
        CfnOutput(self, "DomainId", value=self.studio.domain.attr_domain_id)
        CfnOutput(self, "StudioSecurityGroupId", value=self.studio.security_group.security_group_id)
