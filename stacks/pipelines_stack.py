"""Every model project's pipeline roles but the original project's: four resources and about 10 KB of template per
project, kept out of the Studio stack, whose 500 resources and 1 MB go to the domain and its people."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnWaitConditionHandle, Fn, Stack
from constructs import Construct

from roadway.stage_view import StageView
from stacks.platform_imports import PlatformImports
from stacks.platform_stack import PlatformStack
from stacks.studio_stack import StudioStack, project_pipeline


class PipelinesStack(Stack):
    """One pipeline role and one job role per project (the original project's stay in the Studio stack, where they
    were named before the road had projects). Onboarding a project adds its pair here; removing it removes them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        view: StageView,
        platform: PlatformStack,
        studio: StudioStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = view.names
        self.add_stack_dependency(platform)
        self.add_stack_dependency(studio)
        shared = PlatformImports.of(self, names, "dev")
        # Studio's security group by its named export, which stays when this stack's last project leaves.
        security_group_id = Fn.import_value(names.studio_export("security-group-id"))
        self.pipelines = {
            project.name: project_pipeline(self, view, project, platform, shared, security_group_id)
            for project in view.config.projects
            if not project.original
        }
        if not self.pipelines:
            # CloudFormation refuses a template without resources; the stack stays, so onboarding the first
            # project and removing the last are ordinary updates.
            CfnWaitConditionHandle(self, "NoProjectYet")
