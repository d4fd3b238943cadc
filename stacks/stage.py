"""One CDK Stage per account: the stacks of dev, test or prod, placed in that account."""

from __future__ import annotations

from aws_cdk import Environment, Stage
from constructs import Construct

from roadway.config import RoadwayConfig, StageName
from roadway.naming import PROJECT_TAG, STAGE_TAG, TEAM_TAG
from roadway.stage_view import StageView
from stacks import organization
from stacks.people_stack import PeopleStack
from stacks.pipelines_stack import PipelinesStack
from stacks.platform_stack import PlatformStack
from stacks.promotion_stack import PromotionStack
from stacks.serving_stack import ServingStack
from stacks.studio_stack import StudioStack


class RoadwayStage(Stage):
    """Deployed with ``cdk deploy '<Stage>/*'`` against that stage's account."""

    def __init__(self, scope: Construct, *, config: RoadwayConfig, stage: StageName) -> None:
        view = StageView.of(config, stage)  # the stage's account, names and neighbours, once for its stacks
        names = view.names
        super().__init__(
            scope,
            names.stage_id(stage),
            env=Environment(account=view.account, region=view.region),
            permissions_boundary=organization.boundary(config),
        )
        organization.govern(self, config)
        # Stack tags (CloudFormation puts them on what it creates; cdk.json's explicitStackTags keeps Tags.of off
        # them): the organization's and Roadway's.
        tags = {**config.tags, PROJECT_TAG: config.project, STAGE_TAG: stage}
        self.platform = PlatformStack(
            self,
            "Platform",
            view=view,
            stack_name=names.stack_name(stage, "platform"),
            description=f"Roadway {stage}: network, keys, buckets and model registry",
            termination_protection=True,
            tags=tags,
            synthesizer=organization.synthesizer(config),
        )
        self.studio: StudioStack | None = None
        self.people: list[PeopleStack] = []
        self.pipelines: PipelinesStack | None = None
        if stage == "dev":
            self.studio = StudioStack(
                self,
                "Studio",
                view=view,
                platform=self.platform,
                stack_name=names.people_stack(0),
                description="Roadway dev: SageMaker Studio domain and data scientists",
                termination_protection=True,
                tags=tags,
                synthesizer=organization.synthesizer(config),
            )
            self.people = [
                PeopleStack(
                    self,
                    f"People{index}",
                    view=view,
                    studio=self.studio,
                    index=index,
                    stack_name=names.people_stack(index),
                    description=f"Roadway dev: data scientists, people stack {index}",
                    termination_protection=True,
                    tags=tags,
                    synthesizer=organization.synthesizer(config),
                )
                for index in range(1, config.studio.people_stacks)
            ]
            self.pipelines = PipelinesStack(
                self,
                "Pipelines",
                view=view,
                platform=self.platform,
                studio=self.studio,
                stack_name=names.stack_name(stage, "pipelines"),
                description="Roadway dev: the pipeline roles of every model project but the original's",
                termination_protection=True,
                tags=tags,
                synthesizer=organization.synthesizer(config),
            )
        # One serving stack per project in test and prod: promotions of one project update only its own stack.
        self.serving: dict[str, ServingStack] = {}
        for project in config.projects if stage != "dev" else ():
            model = names.model(project)
            self.serving[project.name] = ServingStack(
                self,
                "Serving" if project.original else f"Serving-{project.name}",
                view=view,
                project=project,
                platform=self.platform,
                stack_name=model.serving_stack(stage),
                description=f"Roadway {stage}: {project.name}'s endpoint, its alarms and monitoring (model set by "
                "promotion)",
                # Cost allocation: a project's own resources carry its name; shared ones the road's (``project``).
                tags={**tags, PROJECT_TAG: project.name, TEAM_TAG: project.team},
                # Promotion updates this stack outside the CDK CLI, keeping every parameter: without the
                # bootstrap-version rule, every parameter of the stack is one Roadway owns.
                synthesizer=organization.synthesizer(config, generate_bootstrap_version_rule=False),
            )
        self.promotion = PromotionStack(
            self,
            "Promotion",
            view=view,
            platform=self.platform,
            stack_name=names.stack_name(stage, "promotion"),
            description=f"Roadway {stage}: promotion of approved model packages, and the roles that receive them",
            tags=tags,
            synthesizer=organization.synthesizer(config),
        )
