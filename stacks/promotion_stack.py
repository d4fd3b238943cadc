"""A stage's part in promotion: its function and ledger, what it sends (dev, test) and what it receives
(test, prod). Each account changes only itself: the sender announces and grants read, the receiver pulls."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct
from promote_model.artifacts import evidence_prefix
from promote_model.settings import Env

from roadway.config import RoadwayConfig, StageName
from roadway.naming import Names
from roadway.sagemaker_images import image_accounts
from stacks.constructs.model_promoter import ModelPromoter
from stacks.constructs.promotion_ledger import PromotionLedger
from stacks.constructs.promotion_source import PromotionSource
from stacks.constructs.promotion_target import PromotionTarget
from stacks.platform_imports import PlatformImports
from stacks.platform_stack import PlatformStack


def arrival_status(config: RoadwayConfig, stage: StageName) -> str:
    """How a promoted package arrives in ``stage``: pending where someone approves it on, Approved at the end."""
    return "PendingManualApproval" if config.next_stage(stage) else "Approved"


def promoter_environment(config: RoadwayConfig, stage: StageName, *, ledger: str, alarm_topic: str) -> dict[str, str]:
    """What the function of ``stage`` reads (lambdas/promote_model/settings.py): the names are the runtime's."""
    names = Names.of(config)
    account = config.stage(stage).account
    environment = {
        Env.GROUP: names.model_package_group,
        Env.STAGE: stage,
        Env.ACCOUNT: account,
        Env.LEDGER_TABLE: ledger,
        Env.ALARM_TOPIC: alarm_topic,
    }
    previous = config.previous_stage(stage)
    if previous is None:
        return environment
    source_account = config.stage(previous).account
    gate = config.stage(stage).promotion_gate
    return {
        **environment,
        Env.SOURCE_STAGE: previous,
        Env.SOURCE_ACCOUNT: source_account,
        Env.SOURCE_READER_ROLE: names.role_arn(source_account, names.reader_role(previous)),
        Env.SOURCE_PROMOTION_STACK: names.stack_name(previous, "promotion"),
        Env.SERVING_STACK: names.serving_stack(stage),
        Env.SERVING_DEPLOY_ROLE: names.role_arn(account, names.serving_deploy_role(stage)),
        # The last stage has no one left to approve for; its package arrives approved.
        Env.ARRIVAL_STATUS: arrival_status(config, stage),
        # Approvals count only through the source's approver role, and never by the package's author.
        Env.APPROVER_ROLE: names.approver_role(previous),
        # Packages the source's promoter registered came from the stage before; their author is in the lineage.
        Env.REGISTRAR_ROLE: names.promoter_role(previous),
        # Images only from the region's SageMaker registries and the road's own accounts.
        Env.IMAGE_ACCOUNTS: ",".join(sorted({*image_accounts(config.region), source_account, account})),
        # A rejection here through this role is an emergency withdrawal of the served package.
        Env.BREAK_GLASS_ROLE: names.break_glass_role(stage),
        Env.GATE_RMSE_LOG_MAX: "" if gate.rmse_log_max is None else str(gate.rmse_log_max),
        Env.GATE_MAX_REGRESSION_PCT: "" if gate.max_regression_pct is None else str(gate.max_regression_pct),
    }


def drift_role_arn(config: RoadwayConfig, stage: StageName) -> str | None:
    """The drift job's role where Roadway's engine watches the stage's endpoint: promotions update that job."""
    serving = config.stage(stage).serving
    if serving is None or serving.monitoring is None or serving.monitoring.engine != "roadway":
        return None
    names = Names.of(config)
    return names.role_arn(config.stage(stage).account, names.drift_role(stage))


class PromotionStack(Stack):
    """Role names here are contracts between accounts; both sides derive them from ``Names``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: RoadwayConfig,
        stage: StageName,
        platform: PlatformStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = Names.of(config)
        self.add_stack_dependency(platform)
        shared = PlatformImports.of(self, names, stage)
        account = config.stage(stage).account

        self.ledger = PromotionLedger(self, "Ledger", key=shared.ops_key)
        self.promoter = ModelPromoter(
            self,
            "Promoter",
            role_name=names.promoter_role(stage),
            environment=promoter_environment(
                config, stage, ledger=self.ledger.table.table_name, alarm_topic=shared.alarm_topic.topic_arn
            ),
            network=platform.network,
            ops_key=shared.ops_key,
            alarm_topic=shared.alarm_topic,
            ledger=self.ledger.table,
        )
        CfnOutput(self, "DeadLetterQueueUrl", value=self.promoter.dead_letters.queue_url)
        CfnOutput(self, "WorkDeadLetterQueueUrl", value=self.promoter.work_dead_letters.queue_url)
        # `roadway status` and `roadway trace` find the ledger through this output, and so does the next
        # stage's promoter (through this stage's reader role) when it looks for a seal.
        CfnOutput(self, "LedgerTableName", value=self.ledger.table.table_name)
        CfnOutput(self, "PromoterFunctionName", value=self.promoter.function.function_name)
        # The next stage's promoter reads these through the reader role: only packages whose artifacts all lie
        # in this bucket, under this prefix (written by one role alone), are taken in.
        CfnOutput(self, "ArtifactBucketName", value=shared.artifact_bucket.bucket_name)
        CfnOutput(self, "EvidencePrefix", value=evidence_prefix(config.previous_stage(stage) is None))

        self.source: PromotionSource | None = None
        next_stage = config.next_stage(stage)
        if next_stage is not None:
            next_account = config.stage(next_stage).account
            self.promoter.seal_registrations(
                group_name=names.model_package_group,
                packages_arn=names.model_packages_arn(account),
                artifact_bucket=shared.artifact_bucket,
                artifact_key=shared.artifact_key,
            )
            self.source = PromotionSource(
                self,
                "Source",
                reader_role_name=names.reader_role(stage),
                next_account=next_account,
                next_promoter_role_arn=names.role_arn(next_account, names.promoter_role(next_stage)),
                group_name=names.model_package_group,
                group_arn=names.model_package_group_arn(account),
                packages_arn=names.model_packages_arn(account),
                pipeline_executions_arn=names.pipeline_executions_arn(account),
                ledger=self.ledger.table,
                ops_key=shared.ops_key,
                dead_letters=self.promoter.dead_letters,
            )
            CfnOutput(self, "ReaderRoleArn", value=self.source.reader.role_arn)

        self.target: PromotionTarget | None = None
        previous = config.previous_stage(stage)
        if previous is not None:
            source_account = config.stage(previous).account
            self.target = PromotionTarget(
                self,
                "Target",
                promoter=self.promoter,
                deployer_role_name=names.serving_deploy_role(stage),
                source_account=source_account,
                source_reader_role_arn=names.role_arn(source_account, names.reader_role(previous)),
                group_name=names.model_package_group,
                group_arn=names.model_package_group_arn(account),
                packages_arn=names.model_packages_arn(account),
                serving_stack_name=names.serving_stack(stage),
                endpoint_name=names.endpoint(stage),
                artifact_bucket=shared.artifact_bucket,
                artifact_key=shared.artifact_key,
                data_key=shared.data_key,
                hardened=None if config.stage(stage).serving.serverless else platform.network,  # type: ignore[union-attr]
                arrival_status=arrival_status(config, stage),
                drift_role_arn=drift_role_arn(config, stage),
            )
