"""Data scientists beyond the Studio stack: CloudFormation holds at most 500 resources per stack, and each person
is three (role, policy, profile)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnWaitConditionHandle, Stack
from constructs import Construct

from roadway.stage_view import StageView
from stacks.constructs.studio.data_scientist import StudioAccess
from stacks.studio_stack import StudioStack, add_people


class PeopleStack(Stack):
    """People stack ``index`` (1 and up; 0 is the Studio stack): the profiles and roles of the people it holds.

    They sit under a ``Studio`` scope, as in the Studio stack, so a person's logical IDs are the same in every
    people stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        view: StageView,
        studio: StudioStack,
        index: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.add_stack_dependency(studio)
        # By the Studio stack's named exports, which stay when this stack's last person leaves.
        access = StudioAccess.imported(Construct(self, "Imports"), view.names, view.config.teams)
        self.people = add_people(Construct(self, "Studio"), access, view.config, index)
        if not self.people:
            # CloudFormation refuses a template without resources; the stack stays, so the road's stacks are
            # the same for any number of people and removing a stack's last person is an ordinary update.
            CfnWaitConditionHandle(self, "NobodyYet")
