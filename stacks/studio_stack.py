"""The dev account's data-science platform: Studio and its people."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from roadway.config import RoadwayConfig
from roadway.naming import Names, people_stack_index
from stacks.constructs.data_scientist import DataScientistProfile, StudioAccess
from stacks.constructs.evidence_pipeline import EvidencePipeline
from stacks.constructs.studio_domain import StudioDomain
from stacks.platform_imports import PlatformImports
from stacks.platform_stack import PlatformStack


def add_people(scope: Construct, studio: StudioAccess, config: RoadwayConfig, index: int) -> list[DataScientistProfile]:
    """The data scientists whose people stack is ``index`` (see :func:`people_stack_index`), under ``scope``."""
    stacks = config.studio.people_stacks
    return [
        DataScientistProfile(scope, f"User-{user.user_name}", user=user, studio=studio)
        for user in config.data_scientists
        if people_stack_index(user.user_name, stacks) == index
    ]


class StudioStack(Stack):
    """The domain, the shared and team policies, the pipeline's roles, and the people of people stack 0.

    Onboarding a data scientist changes their people stack only: one profile, one role, one policy."""

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
        every = names.every_model()
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
            project=config.project,
            idle_shutdown_minutes=config.studio.idle_shutdown_minutes,
            teams=config.teams,
            registries={
                team.name: [platform.registries[project.name] for project in config.projects_of(team.name)]
                for team in config.teams
            },
        )
        access = StudioAccess.of(self.studio)
        self.people = add_people(self.studio, access, config, 0)
        if config.studio.people_stacks > 1:
            access.export_from(self, names)
        self.pipeline = EvidencePipeline(
            self,
            "Pipeline",
            pipeline_role_name=names.pipeline_role(),
            job_role_name=names.pipeline_job_role(),
            subnet_ids=platform.network.subnet_ids,
            security_group_id=self.studio.security_group.security_group_id,
            data_key=shared.data_key,
            data_bucket=shared.data_bucket,
            artifact_bucket=shared.artifact_bucket,
            artifact_key=shared.artifact_key,
            # Every project's group until pipelines are per project (one pipeline role serves every team).
            group_arn=every.model_package_group_arn(platform.account),
            packages_arn=every.model_packages_arn(platform.account),
            # Whoever starts the pipeline, its jobs run on a type some team may use (a team's own list binds its
            # members' notebooks and jobs; the pipeline's is the union until pipelines are per project).
            instance_types=sorted({t for team in config.teams for t in team.instance_types}),
        )
        # Data scientists hand the pipeline role to SageMaker Pipelines; never the job role, which writes evidence.
        self.studio.policy.add_statements(
            iam.PolicyStatement(
                sid="PassThePipelineRoleToPipelines",
                actions=["iam:PassRole"],
                resources=[self.pipeline.pipeline_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        CfnOutput(self, "DomainId", value=self.studio.domain.attr_domain_id)
        # model_code/pipeline.py's --role-arn and --job-role-arn.
        CfnOutput(self, "PipelineRoleArn", value=self.pipeline.pipeline_role.role_arn)
        CfnOutput(self, "PipelineJobRoleArn", value=self.pipeline.job_role.role_arn)
        CfnOutput(self, "StudioSecurityGroupId", value=self.studio.security_group.security_group_id)
