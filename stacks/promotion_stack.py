"""A stage's part in promotion: its function and ledger, what it sends (dev, test) and what it receives
(test, prod). Each account changes only itself: the sender announces and grants read, the receiver pulls."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct
from promote_model.contract import EVERY_GROUP, GROUP_PLACEHOLDER, STACK_PLACEHOLDER, Env, Output, evidence_prefix

from roadway.config import STAGE_NAMES, Project
from roadway.images import image_accounts
from roadway.naming import serving_deployer
from roadway.stage_view import StageView
from stacks.constructs.promotion.model_promoter import ModelPromoter
from stacks.constructs.promotion.promotion_ledger import PromotionLedger
from stacks.constructs.promotion.promotion_source import PromotionSource
from stacks.constructs.promotion.promotion_target import PromotionTarget
from stacks.platform_imports import PlatformImports
from stacks.platform_stack import PlatformStack


def promoter_environment(view: StageView, *, ledger: str, alarm_topic: str) -> dict[str, str]:
    """What the function of ``stage`` reads (lambdas/promote_model/settings.py): the names are the runtime's.

    Per-project names travel as one JSON map (group to serving stack) and two patterns, so the environment stays
    inside Lambda's 4 KB for a road of many projects; each project's gate is its serving stack's output."""
    config, stage, names, account = view.config, view.stage, view.names, view.account
    projects = {
        project.name: names.model(project).serving_stack(stage) if stage != "dev" else "" for project in config.projects
    }
    environment = {
        Env.PROJECTS: json.dumps(projects, separators=(",", ":"), sort_keys=True),
        Env.STAGE: stage,
        Env.ACCOUNT: account,
        Env.LEDGER_TABLE: ledger,
        Env.ALARM_TOPIC: alarm_topic,
    }
    previous, source_account = view.previous, view.previous_account
    if previous is None or source_account is None:
        # Where packages are first registered: each project's own pipeline role (another's is not sealed), as a
        # pattern and the original project's exception, so the environment does not grow by a name per project.
        pattern = names.model_named(GROUP_PLACEHOLDER).pipeline_role()
        roles = {project.name: names.model(project).pipeline_role() for project in config.projects}
        pipeline_roles = {EVERY_GROUP: pattern} | {
            group: role for group, role in roles.items() if role != pattern.replace(GROUP_PLACEHOLDER, group)
        }
        return {
            **environment,
            Env.PIPELINE_ROLES: json.dumps(pipeline_roles, separators=(",", ":"), sort_keys=True),
            Env.PIPELINE_NAME: names.model_named(GROUP_PLACEHOLDER).pipeline(),
        }
    return {
        **environment,
        Env.SOURCE_STAGE: previous,
        Env.SOURCE_ACCOUNT: source_account,
        # The event's group fills the placeholder: each project has its own reader role there.
        Env.SOURCE_READER_ROLE: names.role_arn(
            source_account, names.model_named(GROUP_PLACEHOLDER).reader_role(previous)
        ),
        Env.SOURCE_PROMOTION_STACK: names.stack_name(previous, "promotion"),
        # The project's serving stack fills the placeholder: each has its own deployer role.
        Env.SERVING_DEPLOY_ROLE: names.role_arn(account, serving_deployer(STACK_PLACEHOLDER)),
        # The last stage has no one left to approve for; its package arrives approved.
        Env.ARRIVAL_STATUS: view.arrival_status,
        # Approvals count only through the source's approver role, and never by the package's author.
        Env.APPROVER_ROLE: names.approver_role(previous),
        # Packages the source's promoter registered came from the stage before; their author is in the lineage.
        Env.REGISTRAR_ROLE: names.promoter_role(previous),
        # Approvals count only by the Roadway names of the road's approvers: one namespace with the authors'.
        Env.APPROVER_NAMES: ",".join(config.identity.approver_names),
        # Runs of the first stage's pipelines: their code's owner, starter and last modifier must be one person.
        Env.SOURCE_PIPELINE: names.model_named(GROUP_PLACEHOLDER).pipeline() if previous == STAGE_NAMES[0] else "",
        # Images only from the region's SageMaker registries and the road's own accounts.
        Env.IMAGE_ACCOUNTS: ",".join(sorted({*image_accounts(config.region), source_account, account})),
        # A rejection here through this role is an emergency withdrawal of the served package.
        Env.BREAK_GLASS_ROLE: names.break_glass_role(stage),
    }


class PromotionStack(Stack):
    """Role names here are contracts between accounts; both sides derive them from ``Names``."""

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
        config, stage, names, account = view.config, view.stage, view.names, view.account
        self.add_stack_dependency(platform)
        shared = PlatformImports.of(self, names, stage)

        self.ledger = PromotionLedger(self, "Ledger", key=shared.ops_key)
        self.promoter = ModelPromoter(
            self,
            "Promoter",
            role_name=names.promoter_role(stage),
            environment=promoter_environment(
                view, ledger=self.ledger.table.table_name, alarm_topic=shared.alarm_topic.topic_arn
            ),
            network=platform.network,
            platform=shared,
            ledger=self.ledger.table,
        )
        CfnOutput(self, Output.DEAD_LETTERS, value=self.promoter.dead_letters.queue_url)
        CfnOutput(self, Output.WORK_DEAD_LETTERS, value=self.promoter.work_dead_letters.queue_url)
        # `roadway status` and `roadway trace` find the ledger through this output, and so does the next
        # stage's promoter (through this stage's reader role) when it looks for a seal.
        CfnOutput(self, Output.LEDGER_TABLE, value=self.ledger.table.table_name)
        CfnOutput(self, "PromoterFunctionName", value=self.promoter.function.function_name)
        # The next stage's promoter reads these through the reader role: only packages whose artifacts all lie
        # in this bucket, under this prefix (written by one role alone), are taken in.
        CfnOutput(self, Output.ARTIFACT_BUCKET, value=shared.artifact_bucket.bucket_name)
        CfnOutput(self, Output.EVIDENCE_PREFIX, value=evidence_prefix(view.first))

        self.source: PromotionSource | None = None
        every = names.every_model()
        next_stage, next_account = view.next, view.next_account
        if next_stage is not None and next_account is not None:
            self.promoter.seal_registrations(
                packages_arn=every.model_packages_arn(account),
                artifact_bucket=shared.artifact_bucket,
                artifact_key=shared.artifact_key,
                groups=[
                    (project.name, "RegistrationRule" if project.original else f"RegistrationRule-{project.name}")
                    for project in config.projects
                ],
            )
            self.source = PromotionSource(
                self,
                "Source",
                next_account=next_account,
                next_promoter_role_arn=names.role_arn(next_account, names.promoter_role(next_stage)),
                group_names=[project.name for project in config.projects],
                ledger=self.ledger.table,
                ops_key=shared.ops_key,
                dead_letters=self.promoter.rule_dead_letters,
            )
            for project in config.projects:
                model = names.model(project)
                self.source.add_reader(
                    project_scope(self.source, project),
                    role_name=model.reader_role(stage),
                    group_name=model.model_package_group,
                    group_arn=model.model_package_group_arn(account),
                    packages_arn=model.model_packages_arn(account),
                    pipeline_executions_arn=model.pipeline_executions_arn(account),
                )

        self.target: PromotionTarget | None = None
        previous, source_account = view.previous, view.previous_account
        if previous is not None and source_account is not None:
            self.target = PromotionTarget(
                self, "Target", promoter=self.promoter, view=view, platform=shared, network=platform.network
            )
            for project in config.projects:
                self.target.add_project(project_scope(self.target, project), project)


def project_scope(parent: Construct, project: Project) -> Construct:
    """Where a project's constructs live under ``parent``: the original project's directly (its logical IDs, and so
    its named roles, are what they were before the road had projects), every other project's in its own scope."""
    return parent if project.original else Construct(parent, f"Project-{project.name}")
