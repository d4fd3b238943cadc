"""The dev account's data-science platform: Studio and its people."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from roadway.config import Project, RoadwayConfig
from roadway.naming import people_stack_index
from roadway.stage_view import StageView
from stacks.constructs.studio.data_scientist import DataScientistProfile, StudioAccess
from stacks.constructs.studio.evidence_pipeline import EvidencePipeline
from stacks.constructs.studio.studio_domain import StudioDomain, TeamProject, TeamWork
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
    """The domain, the shared and team policies, each project's pipeline roles, and the people of people stack 0.

    Onboarding a data scientist changes their people stack only: one profile, one role, one policy."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        view: StageView,
        platform: PlatformStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config, names = view.config, view.names
        # Buckets and keys come in by named export (see PlatformStack), the VPC by reference.
        self.add_stack_dependency(platform)

        shared = PlatformImports.of(self, names, "dev")
        account = platform.account

        def reached(project: Project) -> TeamProject:
            model = names.model(project)
            return TeamProject(
                registry=platform.registries[project.name],
                pipeline_arn=model.pipeline_arn(account),
                pipeline_executions_arn=model.pipeline_executions_arn(account),
                pipeline_role_arn=names.role_arn(account, model.pipeline_role()),
                evidence_prefix=model.evidence_prefix(),
            )

        self.studio = StudioDomain(
            self,
            "Studio",
            domain_name=names.studio_domain(),
            network=platform.network,
            storage_key=shared.data_key,
            data_bucket=shared.data_bucket,
            artifact_bucket=shared.artifact_bucket,
            artifact_key=shared.artifact_key,
            idle_shutdown_minutes=config.studio.idle_shutdown_minutes,
            teams=[
                TeamWork(team, names.team_prefix(team.name), [reached(p) for p in config.projects_of(team.name)])
                for team in config.teams
            ],
        )
        access = StudioAccess.of(self.studio)
        self.people = add_people(self.studio, access, config, 0)
        access.export_from(self, names, people_stacks=config.studio.people_stacks > 1)
        # The original project's pipeline roles stay here, with the logical IDs and names they had when one pair
        # served every team; every other project's are in the pipelines stack (PipelinesStack).
        self.pipelines = {
            project.name: project_pipeline(
                self, view, project, platform, shared, self.studio.security_group.security_group_id
            )
            for project in config.projects
            if project.original
        }
        CfnOutput(self, "DomainId", value=self.studio.domain.attr_domain_id)
        CfnOutput(self, "StudioSecurityGroupId", value=self.studio.security_group.security_group_id)


def project_pipeline(
    scope: Stack,
    view: StageView,
    project: Project,
    platform: PlatformStack,
    shared: PlatformImports,
    security_group_id: str,
) -> EvidencePipeline:
    """A project's pipeline roles in ``scope``, and their outputs (model_code/pipeline.py's --role-arn and
    --job-role-arn); the original project's keep the construct ID and output names they had."""
    names = view.names
    pipeline = EvidencePipeline(
        scope,
        "Pipeline" if project.original else f"Pipeline-{project.name}",
        model=names.model(project),
        team=view.config.team(project.team),
        team_folder=names.team_prefix(project.team),
        subnet_ids=platform.network.subnet_ids,
        security_group_id=security_group_id,
        platform=shared,
    )
    suffix = "" if project.original else output_suffix(project.name)
    CfnOutput(scope, f"PipelineRoleArn{suffix}", value=pipeline.pipeline_role.role_arn)
    CfnOutput(scope, f"PipelineJobRoleArn{suffix}", value=pipeline.job_role.role_arn)
    return pipeline


def output_suffix(name: str) -> str:
    """A project's name in an output's logical ID (letters and digits only): ``fraud-score`` -> ``FraudScore``."""
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
